
/*
 * SRTP and SRTCP on a connected flow: unprotect what the peer sends and
 * forward it.  The EchoTest sends it back to the same PeerConnection;
 * payloads are never parsed, so E2EE frames go back byte for byte.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_stream_webrtc.h"
#include "wr_rtp.h"


static ngx_int_t ngx_stream_webrtc_out_stream(ngx_stream_webrtc_flow_t *flow,
    uint32_t ssrc);
static void ngx_stream_webrtc_in_index(ngx_stream_webrtc_flow_t *flow,
    uint32_t ssrc, uint16_t seq);


void
ngx_stream_webrtc_srtp(ngx_stream_webrtc_flow_t *flow, u_char *pkt,
    size_t len, size_t size, ngx_uint_t rtcp)
{
    int        rc;
    uint16_t   seq;
    uint32_t   ssrc;
    ngx_int_t  slot;

    if (flow->srtp_in == NULL) {
        /* media before DTLS completed: nothing to decrypt it with */
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_DROPPED, 1);
        return;
    }

    rc = rtcp ? wr_srtp_unprotect_rtcp(flow->srtp_in, pkt, &len)
              : wr_srtp_unprotect_rtp(flow->srtp_in, pkt, &len);

    if (rc != WR_SRTP_OK) {
        /* replays and forgeries are dropped and counted, never logged */
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_DROPPED, 1);
        return;
    }

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_IN, 1);

    if (!rtcp) {
        ngx_stream_webrtc_in_index(flow, ngx_stream_webrtc_ssrc(pkt),
                                   ngx_stream_webrtc_seq(pkt));
    }

    if (!flow->echo) {
#if (NGX_WEBRTC_VIDEOROOM)
        if (rtcp) {
            /* terminated here; feedback goes on to the publisher */
            ngx_stream_webrtc_rtcp(flow, pkt, len);

        } else {
            ngx_stream_webrtc_forward(flow, pkt, len);
        }
#endif

        return;
    }

    if (rtcp) {
        rc = wr_srtp_protect_rtcp(flow->srtp_out, pkt, &len, size);

    } else {
        ssrc = ngx_stream_webrtc_ssrc(pkt);
        seq = ngx_stream_webrtc_seq(pkt);

        slot = ngx_stream_webrtc_out_stream(flow, ssrc);

        if (slot < 0) {
            ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_DROPPED, 1);
            return;
        }

        /* before protecting: a saved index must never lag a used one */
        wr_srtp_index_update(&flow->out_index[slot], seq);

        rc = wr_srtp_protect_rtp(flow->srtp_out, pkt, &len, size);
    }

    if (rc != WR_SRTP_OK) {
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_DROPPED, 1);
        return;
    }

    if (ngx_stream_webrtc_send(flow, pkt, len) == NGX_OK) {
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_OUT, 1);
    }
}


/* an outbound SSRC is set up once, on its first packet: its slot */

static ngx_int_t
ngx_stream_webrtc_out_stream(ngx_stream_webrtc_flow_t *flow, uint32_t ssrc)
{
    ngx_uint_t  i;

    for (i = 0; i < flow->nssrcs; i++) {
        if (flow->ssrcs[i] == ssrc) {
            return i;
        }
    }

    if (flow->nssrcs == NGX_STREAM_WEBRTC_SSRCS) {
        return -1;
    }

    if (wr_srtp_add_stream(flow->srtp_out, ssrc, NULL) != WR_SRTP_OK) {
        return -1;
    }

    flow->ssrcs[flow->nssrcs] = ssrc;
    ngx_memzero(&flow->out_index[flow->nssrcs], sizeof(wr_srtp_index_t));

    return flow->nssrcs++;
}


/* where an inbound stream is, after a packet that authenticated */

static void
ngx_stream_webrtc_in_index(ngx_stream_webrtc_flow_t *flow, uint32_t ssrc,
    uint16_t seq)
{
    ngx_uint_t  i, free;

    free = NGX_WEBRTC_PC_SSRCS;

    for (i = 0; i < NGX_WEBRTC_PC_SSRCS; i++) {
        if (flow->in_index[i].valid) {
            if (flow->in_ssrc[i] == ssrc) {
                wr_srtp_index_update(&flow->in_index[i], seq);
                return;
            }

        } else if (free == NGX_WEBRTC_PC_SSRCS) {
            free = i;
        }
    }

    if (free < NGX_WEBRTC_PC_SSRCS) {
        flow->in_ssrc[free] = ssrc;
        wr_srtp_index_update(&flow->in_index[free], seq);
    }
}


/*
 * A full socket buffer drops the datagram: nothing signals a shared UDP
 * pseudo-connection's write readiness, and media must not queue.
 */

ngx_int_t
ngx_stream_webrtc_send(ngx_stream_webrtc_flow_t *flow, u_char *data,
    size_t len)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = flow->session->connection;

    n = c->send(c, data, len);

    if (n != (ssize_t) len) {
        c->write->ready = 1;
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_DROPPED, 1);
        return NGX_ERROR;
    }

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_PACKETS_OUT, 1);
    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_BYTES_OUT, len);

    return NGX_OK;
}
