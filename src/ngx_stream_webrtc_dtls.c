
/*
 * DTLS on a flow that ICE has bound: the server role with the shared
 * certificate, the peer's certificate checked against its SDP, and the
 * SRTP keys stored in the zone when the handshake completes, so that
 * any worker can rebuild the SRTP contexts.  Then "webrtcup".
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_stream_webrtc.h"

#if (NGX_WEBRTC_VIDEOROOM)
#include "ngx_webrtc_videoroom.h"
#endif


static void ngx_stream_webrtc_dtls_flush(ngx_stream_webrtc_flow_t *flow);
static void ngx_stream_webrtc_dtls_timer(ngx_event_t *ev);
static ngx_int_t ngx_stream_webrtc_dtls_result(
    ngx_stream_webrtc_flow_t *flow, int rc);
static void ngx_stream_webrtc_dtls_connected(ngx_stream_webrtc_flow_t *flow);
static void ngx_stream_webrtc_save_handler(ngx_event_t *ev);


void
ngx_stream_webrtc_dtls(ngx_stream_webrtc_flow_t *flow, u_char *pkt,
    size_t len)
{
    int                   rc;
    ngx_webrtc_conf_t    *wcf;
    ngx_webrtc_handle_t  *h;
    u_char                fp[WR_DTLS_FINGERPRINT_LEN];
    ngx_uint_t            have_fp;

    if (flow->handle == 0 || ngx_stream_webrtc_worker->dtls == NULL) {
        /* DTLS before ICE: not ours yet */
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_DROPPED, 1);
        return;
    }

    if (flow->dtls == NULL) {
        wcf = ngx_stream_webrtc_worker->wcf;
        have_fp = 0;

        ngx_shmtx_lock(&wcf->shpool->mutex);

        h = ngx_webrtc_handle_lookup_locked(wcf, flow->handle);

        if (h && h->has_pc && h->pc.remote_fp_set) {
            ngx_memcpy(fp, h->pc.remote_fp, WR_DTLS_FINGERPRINT_LEN);
            have_fp = 1;
        }

        ngx_shmtx_unlock(&wcf->shpool->mutex);

        if (!have_fp) {
            ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_DROPPED, 1);
            return;
        }

        flow->dtls = wr_dtls_create(ngx_stream_webrtc_worker->dtls, fp);
        if (flow->dtls == NULL) {
            ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_DTLS_FAILED, 1);
            return;
        }

        flow->dtls_timer.handler = ngx_stream_webrtc_dtls_timer;
        flow->dtls_timer.data = flow;
        flow->dtls_timer.log = flow->session->connection->log;
    }

    rc = wr_dtls_handle(flow->dtls, pkt, len);

    (void) ngx_stream_webrtc_dtls_result(flow, rc);
}


static void
ngx_stream_webrtc_dtls_timer(ngx_event_t *ev)
{
    ngx_stream_webrtc_flow_t *flow = ev->data;

    if (flow->dtls == NULL) {
        return;
    }

    (void) ngx_stream_webrtc_dtls_result(flow, wr_dtls_timer(flow->dtls));
}


static ngx_int_t
ngx_stream_webrtc_dtls_result(ngx_stream_webrtc_flow_t *flow, int rc)
{
    int                ms, err;
    ngx_connection_t  *c;

    c = flow->session->connection;

    /* after any call: what it wrote, even an alert before a failure */
    ngx_stream_webrtc_dtls_flush(flow);

    ms = wr_dtls_timeout(flow->dtls);

    if (ms >= 0) {
        ngx_add_timer(&flow->dtls_timer, (ngx_msec_t) ms);

    } else if (flow->dtls_timer.timer_set) {
        ngx_del_timer(&flow->dtls_timer);
    }

    switch (rc) {

    case WR_DTLS_CONNECTED:
        ngx_stream_webrtc_dtls_connected(flow);
        return NGX_OK;

    case WR_DTLS_CLOSED:
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "webrtc: DTLS closed by the peer, handle %uL",
                      flow->handle);
        ngx_stream_webrtc_hangup(flow, "DTLS alert");
        return NGX_DONE;

    case WR_DTLS_FAILED:
        err = wr_dtls_error(flow->dtls);

        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_DTLS_FAILED, 1);

        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "webrtc: DTLS failed (%s), handle %uL",
                      err == WR_DTLS_E_FINGERPRINT ? "certificate does not "
                                                     "match the fingerprint"
                      : err == WR_DTLS_E_NO_SRTP ? "no common SRTP profile"
                      : err == WR_DTLS_E_TIMEOUT ? "handshake timeout"
                      : err == WR_DTLS_E_ALERT ? "alert from the peer"
                      : "protocol error", flow->handle);

        ngx_stream_webrtc_hangup(flow, err == WR_DTLS_E_TIMEOUT
                                       ? "DTLS timeout" : "DTLS error");
        return NGX_DONE;
    }

    return NGX_OK;
}


static void
ngx_stream_webrtc_dtls_flush(ngx_stream_webrtc_flow_t *flow)
{
    size_t  n;
    u_char  out[WR_DTLS_MTU];

    while ((n = wr_dtls_output(flow->dtls, out, sizeof(out))) > 0) {
        (void) ngx_stream_webrtc_send(flow, out, n);
    }
}


static void
ngx_stream_webrtc_dtls_connected(ngx_stream_webrtc_flow_t *flow)
{
    ngx_uint_t            up;
    wr_srtp_keys_t        keys;
    ngx_connection_t     *c;
    ngx_webrtc_conf_t    *wcf;
    ngx_webrtc_handle_t  *h;

    c = flow->session->connection;
    wcf = ngx_stream_webrtc_worker->wcf;

    if (wr_dtls_keys(flow->dtls, &keys) != 0) {
        ngx_stream_webrtc_hangup(flow, "DTLS error");
        return;
    }

    ngx_stream_webrtc_start_srtp(flow, &keys, NULL);

    if (flow->srtp_in == NULL || flow->srtp_out == NULL) {
        ngx_stream_webrtc_hangup(flow, "DTLS error");
        return;
    }

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_DTLS_CONNECTED, 1);

    up = 0;

    ngx_shmtx_lock(&wcf->shpool->mutex);

    h = ngx_webrtc_handle_lookup_locked(wcf, flow->handle);

    if (h && h->has_pc
        && ngx_memcmp(h->pc.ufrag, flow->ufrag, NGX_WEBRTC_ICE_UFRAG_LEN)
           == 0)
    {
        h->pc.keys = keys;
        h->pc.dtls_connected = 1;
        h->pc.media_generation++;
        wcf->sh->media_generation++;

#if (NGX_WEBRTC_VIDEOROOM)
        if (ngx_webrtc_plugins[h->plugin] == &ngx_webrtc_videoroom_plugin) {
            /* Janus's setup_media: the plugin learns the media is up */
            ngx_webrtc_videoroom_setup_media_locked(wcf, h);
        }
#endif

        (void) ngx_webrtc_session_push_locked(wcf, h->session,
                                    ngx_webrtc_handle_event(h, "webrtcup"));
        up = 1;
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    ngx_webrtc_wake_flush();

    if (up) {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "webrtc: DTLS connected, SRTP profile %xd, "
                      "handle %uL", (int) keys.profile, flow->handle);
    }
}


/*
 * SRTP contexts from keys, resuming each stream where the zone says it
 * had got to (saved is NULL for a fresh handshake).
 */

void
ngx_stream_webrtc_start_srtp(ngx_stream_webrtc_flow_t *flow,
    wr_srtp_keys_t *keys, ngx_webrtc_pc_t *saved)
{
    ngx_uint_t  i;

    flow->srtp_in = wr_srtp_create(keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);
    flow->srtp_out = wr_srtp_create(keys, WR_SRTP_OUTBOUND, WR_SRTP_SERVER);

    if (flow->srtp_in == NULL || flow->srtp_out == NULL || saved == NULL) {
        goto timer;
    }

    for (i = 0; i < NGX_WEBRTC_PC_SSRCS; i++) {
        if (saved->in_index[i].valid) {
            (void) wr_srtp_add_stream(flow->srtp_in, saved->in_ssrc[i],
                                      &saved->in_index[i]);
            flow->in_ssrc[i] = saved->in_ssrc[i];
            flow->in_index[i] = saved->in_index[i];
        }
    }

    for (i = 0; saved->out && i < NGX_WEBRTC_PC_OUT_SSRCS; i++) {
        if (saved->out[i].index.valid
            && flow->nssrcs < NGX_STREAM_WEBRTC_SSRCS
            && wr_srtp_add_stream(flow->srtp_out, saved->out[i].ssrc,
                                  &saved->out[i].index)
               == WR_SRTP_OK)
        {
            flow->ssrcs[flow->nssrcs] = saved->out[i].ssrc;
            flow->out_index[flow->nssrcs] = saved->out[i].index;
            flow->nssrcs++;
        }
    }

    /* SRTCP indexes were reserved ahead when saved: a jump is harmless */
    flow->rtcp_index = saved->rtcp_index + 1000;
    (void) wr_srtp_set_rtcp_index(flow->srtp_out, flow->rtcp_index);

timer:

#if (NGX_WEBRTC_VIDEOROOM)
    ngx_stream_webrtc_rtcp_start(flow);
#endif

    flow->save_timer.handler = ngx_stream_webrtc_save_handler;
    flow->save_timer.data = flow;
    flow->save_timer.log = flow->session->connection->log;
    flow->save_timer.cancelable = 1;

    ngx_add_timer(&flow->save_timer, NGX_STREAM_WEBRTC_SAVE);
}


static void
ngx_stream_webrtc_save_handler(ngx_event_t *ev)
{
    ngx_stream_webrtc_flow_t *flow = ev->data;

    ngx_stream_webrtc_save(flow);

    ngx_add_timer(ev, NGX_STREAM_WEBRTC_SAVE);
}


/* the streams' indexes into the zone, for whoever rebuilds them */

void
ngx_stream_webrtc_save(ngx_stream_webrtc_flow_t *flow)
{
    ngx_uint_t            i;
    ngx_webrtc_conf_t    *wcf;
    ngx_webrtc_handle_t  *h;

    if (flow->handle == 0 || flow->srtp_out == NULL) {
        return;
    }

    wcf = ngx_stream_webrtc_worker->wcf;

    if (flow->srtp_out) {
        flow->rtcp_index = wr_srtp_rtcp_index(flow->srtp_out);
    }

    ngx_shmtx_lock(&wcf->shpool->mutex);

    h = ngx_webrtc_handle_lookup_locked(wcf, flow->handle);

    if (h && h->has_pc
        && ngx_memcmp(h->pc.ufrag, flow->ufrag, NGX_WEBRTC_ICE_UFRAG_LEN)
           == 0)
    {
        for (i = 0; i < NGX_WEBRTC_PC_SSRCS; i++) {
            if (flow->in_index[i].valid) {
                (void) ngx_webrtc_pc_save_index_locked(wcf, &h->pc, 0,
                                                       flow->in_ssrc[i],
                                                       &flow->in_index[i]);
            }
        }

        for (i = 0; i < flow->nssrcs; i++) {
            if (flow->out_index[i].valid) {
                (void) ngx_webrtc_pc_save_index_locked(wcf, &h->pc, 1,
                                                       flow->ssrcs[i],
                                                       &flow->out_index[i]);
            }
        }

        h->pc.rtcp_index = flow->rtcp_index;
    }

#if (NGX_WEBRTC_VIDEOROOM)
    ngx_stream_webrtc_route_save(flow);
#endif

    ngx_shmtx_unlock(&wcf->shpool->mutex);
}


/*
 * A packet from an address this worker has no flow for, while the zone
 * has a connected PeerConnection there: its old worker was reloaded away
 * or crashed.  Take it over from the zone, without renegotiation.
 */

ngx_int_t
ngx_stream_webrtc_adopt(ngx_stream_webrtc_flow_t *flow)
{
    ngx_connection_t     *c;
    ngx_webrtc_pc_t      *saved;
    ngx_webrtc_conf_t    *wcf;
    ngx_webrtc_handle_t  *h;
    ngx_webrtc_pc_out_t  *out;

    c = flow->session->connection;
    wcf = ngx_stream_webrtc_worker->wcf;

    saved = ngx_palloc(c->pool, sizeof(ngx_webrtc_pc_t));
    out = ngx_palloc(c->pool,
                     NGX_WEBRTC_PC_OUT_SSRCS * sizeof(ngx_webrtc_pc_out_t));

    if (saved == NULL || out == NULL) {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&wcf->shpool->mutex);

    /*
     * By the handle a connectivity check bound this flow to, or by the
     * address when media comes first.
     */

    h = flow->handle
        ? ngx_webrtc_handle_lookup_locked(wcf, flow->handle)
        : ngx_webrtc_pc_addr_lookup_locked(wcf, c->sockaddr, c->socklen);

    if (h == NULL || !h->has_pc || !h->pc.dtls_connected) {
        ngx_shmtx_unlock(&wcf->shpool->mutex);
        return NGX_DECLINED;
    }

    /* a copy to read after the lock, the sent SSRCs' slots with it */

    *saved = h->pc;

    if (h->pc.out) {
        ngx_memcpy(out, h->pc.out,
                   NGX_WEBRTC_PC_OUT_SSRCS * sizeof(ngx_webrtc_pc_out_t));
        saved->out = out;
    }

    flow->handle = ngx_webrtc_handle_id(h);
    ngx_memcpy(flow->ufrag, h->pc.ufrag, NGX_WEBRTC_ICE_UFRAG_LEN);
    ngx_memcpy(flow->bound_ufrag, h->pc.ufrag, NGX_WEBRTC_ICE_UFRAG_LEN);
    flow->echo = (ngx_strcmp(ngx_webrtc_plugins[h->plugin]->package,
                             "janus.plugin.echotest") == 0);

    h->pc.media_pid = ngx_pid;
    h->pc.consent = ngx_current_msec;
    h->pc.media_generation++;
    wcf->sh->media_generation++;

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    ngx_stream_webrtc_start_srtp(flow, &saved->keys, saved);

    if (flow->srtp_in == NULL || flow->srtp_out == NULL) {
        flow->handle = 0;
        return NGX_ERROR;
    }

    ngx_add_timer(c->read, NGX_STREAM_WEBRTC_CONSENT);

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_FLOWS_ADOPTED, 1);

    ngx_log_error(NGX_LOG_INFO, c->log, 0,
                  "webrtc: took over handle %uL at %V:%d from the zone",
                  flow->handle, &c->addr_text,
                  ngx_inet_get_port(c->sockaddr));

    return NGX_OK;
}


/*
 * A new PeerConnection from an address whose flow still holds an ended
 * one's DTLS and SRTP (a client port reused by a later call): start
 * over, or its DTLS would go to the old association.
 */

void
ngx_stream_webrtc_flow_reset(ngx_stream_webrtc_flow_t *flow)
{
    ngx_stream_webrtc_dtls_free(flow);

    ngx_memzero(&flow->dtls, sizeof(ngx_stream_webrtc_flow_t)
                             - offsetof(ngx_stream_webrtc_flow_t, dtls));
}


void
ngx_stream_webrtc_dtls_free(ngx_stream_webrtc_flow_t *flow)
{
    /* a reload closes the flow: its successor resumes from here */
    ngx_stream_webrtc_save(flow);

    if (flow->save_timer.timer_set) {
        ngx_del_timer(&flow->save_timer);
    }

#if (NGX_WEBRTC_VIDEOROOM)
    ngx_stream_webrtc_route_free(flow);
    ngx_stream_webrtc_rtcp_stop(flow);
#endif

    if (flow->dtls_timer.timer_set) {
        ngx_del_timer(&flow->dtls_timer);
    }

    if (flow->dtls) {
        wr_dtls_free(flow->dtls);
        flow->dtls = NULL;
    }

    if (flow->srtp_in) {
        wr_srtp_free(flow->srtp_in);
        flow->srtp_in = NULL;
    }

    if (flow->srtp_out) {
        wr_srtp_free(flow->srtp_out);
        flow->srtp_out = NULL;
    }
}
