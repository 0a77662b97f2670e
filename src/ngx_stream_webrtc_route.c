
/*
 * VideoRoom fan-out.  The worker that receives a publisher's packets
 * sends them to every subscriber of that stream, wherever the
 * subscriber's own packets land: any worker can send from the shared
 * reuseport socket.  It protects each copy with the subscriber's SRTP
 * keys, which it builds once from the zone.
 *
 * The packet path takes no lock and allocates nothing: it reads a route
 * cached in the flow, rebuilt under the zone lock only when the zone's
 * room or media generation has moved.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_stream_webrtc.h"
#include "ngx_webrtc_videoroom.h"
#include "wr_rtp.h"
#include "wr_rtcp.h"


#define NGX_STREAM_WEBRTC_BATCH   64

/* packets one worker may send on an SSRC between two saves (1 s) */
#define NGX_STREAM_WEBRTC_RESERVE 4096


static ngx_int_t ngx_stream_webrtc_route_build(
    ngx_stream_webrtc_flow_t *flow);
static ngx_stream_webrtc_peer_t *ngx_stream_webrtc_peer_get(uint64_t id,
    ngx_uint_t generation, ngx_webrtc_pc_t *pc);
static void ngx_stream_webrtc_peer_put(ngx_stream_webrtc_peer_t *peer);
static void ngx_stream_webrtc_peer_srtp_free(ngx_stream_webrtc_peer_t *peer);
static ngx_stream_webrtc_out_t *ngx_stream_webrtc_peer_out(
    ngx_stream_webrtc_peer_t *peer, uint32_t ssrc);
static ngx_uint_t ngx_stream_webrtc_had_target(ngx_stream_webrtc_route_t *old,
    ngx_uint_t n, ngx_stream_webrtc_target_t *t);
static void ngx_stream_webrtc_target_resume(ngx_stream_webrtc_target_t *t,
    uint32_t ssrc, ngx_webrtc_pc_t *pc, uint32_t src);
static uint64_t ngx_stream_webrtc_ix(const wr_srtp_index_t *ix);
static void ngx_stream_webrtc_reserve(ngx_webrtc_pc_t *pc,
    ngx_stream_webrtc_out_t *out, uint64_t v);
static uint32_t ngx_stream_webrtc_rtcp_base(ngx_stream_webrtc_peer_t *peer);
static void ngx_stream_webrtc_epoch(ngx_stream_webrtc_out_t *out,
    uint32_t src, uint16_t seq, uint32_t ts, uint32_t clock);
static ngx_stream_webrtc_out_t *ngx_stream_webrtc_rtx_out(
    ngx_stream_webrtc_target_t *t, uint32_t src, uint16_t *osn,
    uint32_t *ts);
static uint16_t ngx_stream_webrtc_rtx_seq(ngx_stream_webrtc_out_t *rout);
static ngx_stream_webrtc_out_t *ngx_stream_webrtc_out_find(
    ngx_stream_webrtc_peer_t *peer, uint32_t ssrc);
static uint32_t ngx_stream_webrtc_in_ext(ngx_stream_webrtc_flow_t *flow,
    uint32_t ssrc);
static void ngx_stream_webrtc_queue(ngx_uint_t n, u_char *data, size_t len,
    ngx_stream_webrtc_peer_t *peer);
static void ngx_stream_webrtc_send_batch(ngx_connection_t *c,
    ngx_uint_t count);


static ngx_rbtree_t        ngx_stream_webrtc_peers;
static ngx_rbtree_node_t   ngx_stream_webrtc_peers_sentinel;
static ngx_uint_t          ngx_stream_webrtc_peers_ready;
static uint32_t            ngx_stream_webrtc_rtcp_floor;

/* one batch of copies for sendmmsg(), aligned for libsrtp */
static uint32_t            ngx_stream_webrtc_copies[NGX_STREAM_WEBRTC_BATCH]
                               [NGX_STREAM_WEBRTC_PKT_MAX / 4];
static struct mmsghdr      ngx_stream_webrtc_msgs[NGX_STREAM_WEBRTC_BATCH];
static struct iovec        ngx_stream_webrtc_iovs[NGX_STREAM_WEBRTC_BATCH];


void
ngx_stream_webrtc_route_free(ngx_stream_webrtc_flow_t *flow)
{
    ngx_uint_t  i, k;

    for (i = 0; i < flow->nroutes; i++) {
        for (k = 0; k < flow->routes[i].ntargets; k++) {
            ngx_stream_webrtc_peer_put(flow->routes[i].targets[k].peer);
        }
    }

    if (flow->routes) {
        ngx_free(flow->routes);
        flow->routes = NULL;
    }

    flow->nroutes = 0;
}


/* a publisher's packet, unprotected: a copy to every subscriber */

void
ngx_stream_webrtc_forward(ngx_stream_webrtc_flow_t *flow, u_char *pkt,
    size_t len)
{
    size_t                        clen, osn_off;
    u_char                       *copy;
    uint8_t                       pt;
    uint16_t                      seq, oseq, osn, rosn;
    uint32_t                      ssrc, src, ts, ots;
    ngx_uint_t                    i, k, rtx, count;
    wr_rtp_t                      rtp;
    ngx_webrtc_shm_t             *sh;
    ngx_connection_t             *c;
    ngx_stream_webrtc_in_t       *in;
    ngx_stream_webrtc_out_t      *out;
    ngx_stream_webrtc_route_t    *route;
    ngx_stream_webrtc_target_t   *t;
    ngx_stream_webrtc_cached_t   *e;

    sh = ngx_stream_webrtc_worker->wcf->sh;

    if (flow->route_rooms != sh->rooms_generation
        || flow->route_media != sh->media_generation)
    {
        if (ngx_stream_webrtc_route_build(flow) != NGX_OK) {
            return;
        }
    }

    pt = pkt[1] & 0x7f;
    route = NULL;
    rtx = 0;

    for (i = 0; i < flow->nroutes; i++) {
        if (flow->routes[i].pt == pt) {
            route = &flow->routes[i];
            break;
        }

        if (flow->routes[i].rtx_pt && flow->routes[i].rtx_pt == pt) {
            route = &flow->routes[i];
            rtx = 1;
            break;
        }
    }

    if (route == NULL) {
        return;
    }

    src = ngx_stream_webrtc_ssrc(pkt);
    seq = ngx_stream_webrtc_seq(pkt);
    ts = ngx_stream_webrtc_ts(pkt);
    in = &flow->ins[route->mindex];
    osn_off = 0;
    osn = 0;
    rosn = 0;

    if (rtx) {
        /*
         * RFC 4588: the payload starts with the sequence number of the
         * packet repaired (OSN), in the publisher's numbering; each copy
         * renames it.  Only those two bytes: the rest may be E2EE.  A
         * packet of padding only repairs nothing.
         */

        if (wr_rtp_parse(&rtp, pkt, len) != WR_RTP_OK
            || rtp.payload_len < 2)
        {
            return;
        }

        osn_off = rtp.header_len;
        osn = (uint16_t) (pkt[osn_off] << 8 | pkt[osn_off + 1]);

    } else {
        if (in->src != src) {
            in->src = src;
            in->received = 0;
            in->base = ngx_stream_webrtc_in_ext(flow, src);
            in->prior_expected = 0;
            in->prior_received = 0;
        }

        in->received++;
        in->last_rx = ngx_current_msec;

        if (!in->receiving) {
            ngx_stream_webrtc_media_state(flow, in, 1);
        }

        if (in->cache && len <= sizeof(in->cache[0].data)) {
            /* plain memory, no allocation: the slot of this seq */
            e = &in->cache[seq % NGX_STREAM_WEBRTC_CACHE];
            ngx_memcpy(e->data, pkt, len);
            e->len = (uint16_t) len;
            e->seq = seq;
            e->ssrc = src;
        }

        if (in->level_id && flow->audio_events) {
            ngx_stream_webrtc_audio_level(flow, route->mindex, pkt, len);
        }
    }

    c = flow->session->connection;
    count = 0;

    for (k = 0; k < route->ntargets; k++) {
        t = &route->targets[k];

        if (t->peer->srtp == NULL) {
            continue;
        }

        if (rtx) {
            rosn = osn;
            ots = ts;
            out = ngx_stream_webrtc_rtx_out(t, in->src, &rosn, &ots);

            if (out == NULL) {
                continue;
            }

            ssrc = t->rtx_ssrc;
            oseq = ngx_stream_webrtc_rtx_seq(out);

            /* before protecting: a saved index must never lag a used one */
            wr_srtp_index_update(&out->index, oseq);

        } else {
            ssrc = t->ssrc;

            if (ssrc == 0) {
                continue;
            }

            out = ngx_stream_webrtc_peer_out(t->peer, ssrc);

            if (out == NULL) {
                ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_DROPPED, 1);
                continue;
            }

            if (!out->sent || out->src != src) {
                ngx_stream_webrtc_epoch(out, src, seq, ts, t->clock);
            }

            oseq = (uint16_t) (seq + out->seq_off);
            ots = ts + out->ts_off;

            /* before protecting: a saved index must never lag a used one */
            wr_srtp_index_update(&out->index, oseq);

            if ((int16_t) (oseq - out->last_seq) > 0) {
                out->last_seq = oseq;
                out->last_ts = ots;
                out->last_ms = ngx_current_msec;
            }
        }

        out->packets++;
        out->octets += len - WR_RTP_HEADER_LEN;

        copy = (u_char *) ngx_stream_webrtc_copies[count];
        ngx_memcpy(copy, pkt, len);

        /* the subscriber's SSRC, payload type, sequence and timestamp */

        copy[1] = (u_char) ((copy[1] & 0x80) | (rtx ? t->rtx_pt : t->pt));
        wr_rtp_rewrite(copy, ssrc, oseq, ots);

        if (rtx) {
            copy[osn_off] = (u_char) (rosn >> 8);
            copy[osn_off + 1] = (u_char) rosn;
        }

        clen = len;

        if (wr_srtp_protect_rtp(t->peer->srtp, copy, &clen,
                                NGX_STREAM_WEBRTC_PKT_MAX)
            != WR_SRTP_OK)
        {
            ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_DROPPED, 1);
            continue;
        }

        ngx_stream_webrtc_queue(count, copy, clen, t->peer);

        if (++count == NGX_STREAM_WEBRTC_BATCH) {
            ngx_stream_webrtc_send_batch(c, count);
            count = 0;
        }
    }

    if (count) {
        ngx_stream_webrtc_send_batch(c, count);
    }
}


static void
ngx_stream_webrtc_queue(ngx_uint_t n, u_char *data, size_t len,
    ngx_stream_webrtc_peer_t *peer)
{
    ngx_stream_webrtc_iovs[n].iov_base = data;
    ngx_stream_webrtc_iovs[n].iov_len = len;

    ngx_memzero(&ngx_stream_webrtc_msgs[n], sizeof(struct mmsghdr));
    ngx_stream_webrtc_msgs[n].msg_hdr.msg_name = peer->sockaddr;
    ngx_stream_webrtc_msgs[n].msg_hdr.msg_namelen = peer->socklen;
    ngx_stream_webrtc_msgs[n].msg_hdr.msg_iov = &ngx_stream_webrtc_iovs[n];
    ngx_stream_webrtc_msgs[n].msg_hdr.msg_iovlen = 1;
}


/*
 * A new source on an outgoing SSRC, or the same one after a pause: go on
 * right after what was sent before, the timestamp moved on by the time
 * since.  For an SSRC this worker has not sent on, or that another worker
 * sent on since, go on after the index reserved in the zone; either way
 * no index is used twice.  Then the timestamp comes from the SSRC's own
 * clock: its value, plus the monotonic time, which is the same in every
 * worker, at the stream's rate.  The first source starts on that clock
 * too, so a worker that takes the SSRC over goes on where the clock of
 * the one before had got to, give or take how much the sources' clocks
 * drifted from it.
 */

static void
ngx_stream_webrtc_epoch(ngx_stream_webrtc_out_t *out, uint32_t src,
    uint16_t seq, uint32_t ts, uint32_t clock)
{
    uint32_t  elapsed;

    if (out->sent) {
        elapsed = (uint32_t) (ngx_current_msec - out->last_ms);
        elapsed = ngx_min(elapsed, 10000);

        out->seq_off = (uint16_t) (out->last_seq + 1 - seq);
        out->ts_off = out->last_ts + 1 + elapsed * (clock / 1000) - ts;

    } else {
        out->seq_off = out->index.valid
                       ? (uint16_t) (out->index.seq + 1 - seq) : 0;
        out->ts_off = out->ssrc + (uint32_t) ngx_current_msec * (clock / 1000)
                      - ts;
    }

    out->src = src;
    out->start = (uint16_t) (seq + out->seq_off);
    out->last_seq = (uint16_t) (out->start - 1);
    out->last_ts = ts + out->ts_off;
    out->last_ms = ngx_current_msec;
    out->sent = 1;
}


/*
 * An RTX packet of the publisher for one subscriber: the packet it
 * repairs (*osn: in, the publisher's seq; out, the subscriber's) must be
 * of the primary stream's current epoch, which also gives the timestamp
 * (*ts) its offset.  A packet from before the epoch, or from another
 * source, has no number the subscriber knows: no copy.  Returns the
 * subscriber's RTX stream.
 */

static ngx_stream_webrtc_out_t *
ngx_stream_webrtc_rtx_out(ngx_stream_webrtc_target_t *t, uint32_t src,
    uint16_t *osn, uint32_t *ts)
{
    uint16_t                  s;
    ngx_stream_webrtc_out_t  *out, *rout;

    if (t->rtx_ssrc == 0 || t->ssrc == 0) {
        return NULL;
    }

    out = ngx_stream_webrtc_out_find(t->peer, t->ssrc);

    if (out == NULL || !out->sent || out->src != src) {
        return NULL;
    }

    s = (uint16_t) (*osn + out->seq_off);

    if ((int16_t) (s - out->start) < 0
        || (int16_t) (out->last_seq - s) < 0)
    {
        return NULL;
    }

    rout = ngx_stream_webrtc_peer_out(t->peer, t->rtx_ssrc);

    if (rout == NULL) {
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_DROPPED, 1);
        return NULL;
    }

    *osn = s;
    *ts += out->ts_off;

    return rout;
}


/*
 * The next sequence number on a subscriber's RTX SSRC.  RTX packets are
 * numbered here, one after another, whether forwarded from the publisher
 * or answered from the cache: an offset from the publisher's numbering
 * would collide with the answers.  The first goes on after anything sent
 * on the SSRC before, here or by another worker (the saved index).
 */

static uint16_t
ngx_stream_webrtc_rtx_seq(ngx_stream_webrtc_out_t *rout)
{
    if (!rout->sent) {
        /* no saved index: from the clock, unlikely where another began */
        rout->last_seq = rout->index.valid
                         ? rout->index.seq
                         : (uint16_t) (ngx_current_msec & 0x7fff);
        rout->sent = 1;
        rout->src = 0;
        rout->start = (uint16_t) (rout->last_seq + 1);
    }

    return ++rout->last_seq;
}


/* the extended highest seq received on an inbound SSRC */

static uint32_t
ngx_stream_webrtc_in_ext(ngx_stream_webrtc_flow_t *flow, uint32_t ssrc)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_WEBRTC_PC_SSRCS; i++) {
        if (flow->in_index[i].valid && flow->in_ssrc[i] == ssrc) {
            return (flow->in_index[i].roc << 16) | flow->in_index[i].seq;
        }
    }

    return 0;
}


static void
ngx_stream_webrtc_send_batch(ngx_connection_t *c, ngx_uint_t count)
{
    int         n;
    size_t      bytes;
    ngx_uint_t  i, sent;

    sent = 0;

    while (sent < count) {
        n = sendmmsg(c->fd, &ngx_stream_webrtc_msgs[sent], count - sent, 0);

        if (n <= 0) {
            /* a full socket buffer: the rest is dropped and counted */
            ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_DROPPED, count - sent);
            break;
        }

        sent += n;
    }

    bytes = 0;

    for (i = 0; i < sent; i++) {
        bytes += ngx_stream_webrtc_iovs[i].iov_len;
    }

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_OUT, sent);
    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_PACKETS_OUT, sent);
    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_BYTES_OUT, bytes);
}


/*
 * Under the zone lock: where each of this publisher's streams goes now.
 * Subscribers whose DTLS is not up yet are left out; their coming up
 * moves the media generation, and the route is built again.  The new
 * route takes its peers before the old one lets them go, so their
 * sending state survives.
 */

static ngx_int_t
ngx_stream_webrtc_route_build(ngx_stream_webrtc_flow_t *flow)
{
    size_t                        size;
    ngx_uint_t                    i, n, nt, oldn;
    ngx_queue_t                  *q;
    ngx_webrtc_shm_t             *sh;
    ngx_webrtc_conf_t            *wcf;
    ngx_webrtc_room_t            *room;
    ngx_webrtc_handle_t          *h, *sh_h;
    ngx_webrtc_vr_pub_t          *pub;
    ngx_webrtc_vr_pstream_t      *ps;
    ngx_webrtc_vr_sstream_t      *ss;
    ngx_stream_webrtc_in_t       *in;
    ngx_stream_webrtc_route_t    *routes, *old;
    ngx_stream_webrtc_target_t   *t;

    wcf = ngx_stream_webrtc_worker->wcf;
    sh = wcf->sh;

    if (!ngx_stream_webrtc_peers_ready) {
        ngx_rbtree_init(&ngx_stream_webrtc_peers,
                        &ngx_stream_webrtc_peers_sentinel,
                        ngx_rbtree_insert_value);
        ngx_stream_webrtc_peers_ready = 1;
    }

    if (flow->ins == NULL) {
        flow->ins = ngx_calloc(NGX_STREAM_WEBRTC_STREAMS
                               * sizeof(ngx_stream_webrtc_in_t),
                               ngx_cycle->log);
        if (flow->ins == NULL) {
            return NGX_ERROR;
        }
    }

    old = flow->routes;
    oldn = flow->nroutes;
    routes = NULL;
    n = 0;

    ngx_shmtx_lock(&wcf->shpool->mutex);

    flow->route_rooms = sh->rooms_generation;
    flow->route_media = sh->media_generation;

    h = ngx_webrtc_handle_lookup_locked(wcf, flow->handle);
    pub = h ? h->plugin_data : NULL;

    if (pub == NULL || pub->type != NGX_WEBRTC_VR_PUBLISHER
        || pub->nstreams == 0)
    {
        goto done;
    }

    /* the room's limits, read here and by the report timer */

    room = pub->room ? pub->room->room : NULL;
    flow->bitrate = pub->bitrate;

    if (room && room->opts.bitrate
        && (flow->bitrate == 0 || room->opts.bitrate < flow->bitrate))
    {
        flow->bitrate = room->opts.bitrate;
    }

    flow->fir_freq = room ? room->opts.fir_freq : 0;
    flow->audio_events = room ? room->opts.audiolevel_event : 0;
    flow->audio_packets = pub->audio_active_packets
                          ? pub->audio_active_packets
                          : room ? room->opts.audio_active_packets : 0;
    flow->audio_threshold = pub->audio_level_average
                            ? pub->audio_level_average
                            : room ? room->opts.audio_level_average : 0;

    /* one allocation: the routes, then all their targets */

    nt = 0;

    for (i = 0; i < pub->nstreams; i++) {
        ps = pub->streams[i];

        if (ps == NULL) {
            continue;
        }

        for (q = ngx_queue_head(&ps->subs);
             q != ngx_queue_sentinel(&ps->subs);
             q = ngx_queue_next(q))
        {
            nt++;
        }
    }

    size = pub->nstreams * sizeof(ngx_stream_webrtc_route_t)
           + nt * sizeof(ngx_stream_webrtc_target_t);

    routes = ngx_alloc(size, ngx_cycle->log);
    if (routes == NULL) {
        ngx_shmtx_unlock(&wcf->shpool->mutex);
        return NGX_ERROR;
    }

    ngx_memzero(routes, size);
    t = (ngx_stream_webrtc_target_t *) (routes + pub->nstreams);

    for (i = 0; i < NGX_STREAM_WEBRTC_STREAMS; i++) {
        flow->ins[i].known = 0;
    }

    for (i = 0; i < pub->nstreams && i < NGX_STREAM_WEBRTC_STREAMS; i++) {
        ps = pub->streams[i];

        if (ps == NULL || ps->disabled) {
            continue;
        }

        in = &flow->ins[i];
        in->known = 1;
        in->kind = (uint8_t) ps->kind;
        in->fb_flags = ps->fb_flags;
        in->level_id = (ps->kind == WR_SDP_KIND_AUDIO)
                       ? (uint8_t) ps->ext_id[WR_SDP_EXT_AUDIO_LEVEL] : 0;
        ngx_cpystrn(in->mid, ps->mid, sizeof(in->mid));

        if (ps->kind == WR_SDP_KIND_VIDEO && in->cache == NULL) {
            /* once per video stream of this flow, not per packet */
            in->cache = ngx_calloc(NGX_STREAM_WEBRTC_CACHE
                                   * sizeof(ngx_stream_webrtc_cached_t),
                                   ngx_cycle->log);
        }

        routes[n].pt = ps->pt;
        routes[n].rtx_pt = ps->rtx_pt;
        routes[n].mindex = i;
        routes[n].targets = t;

        for (q = ngx_queue_head(&ps->subs);
             q != ngx_queue_sentinel(&ps->subs);
             q = ngx_queue_next(q))
        {
            ss = ngx_queue_data(q, ngx_webrtc_vr_sstream_t, pqueue);
            sh_h = ss->sub->handle;

            if (sh_h == NULL || !sh_h->has_pc || !sh_h->pc.dtls_connected) {
                continue;
            }

            t->peer = ngx_stream_webrtc_peer_get(ngx_webrtc_handle_id(sh_h),
                                                 sh_h->pc.media_generation,
                                                 &sh_h->pc);
            if (t->peer == NULL) {
                continue;
            }

            /*
             * A paused stream stays, sending nothing (no SSRC): so does
             * this worker's state of the subscriber, and "start" goes on
             * from it.
             */

            if (ss->send && !ss->sub->paused) {
                t->ssrc = ss->ssrc;
                t->rtx_ssrc = ss->rtx_pt ? ss->rtx_ssrc : 0;
            }

            t->pt = ss->pt;
            t->rtx_pt = ss->rtx_pt;
            t->clock = ss->clock ? ss->clock : 90000;

            if (!ngx_stream_webrtc_had_target(old, oldn, t)) {
                ngx_stream_webrtc_target_resume(t, t->ssrc, &sh_h->pc,
                                                in->src);
                ngx_stream_webrtc_target_resume(t, t->rtx_ssrc, &sh_h->pc,
                                                0);
            }

            t++;
            routes[n].ntargets++;
        }

        n++;
    }

done:

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    flow->routes = old;
    flow->nroutes = oldn;
    ngx_stream_webrtc_route_free(flow);

    flow->routes = routes;
    flow->nroutes = n;

    return NGX_OK;
}


static ngx_uint_t
ngx_stream_webrtc_had_target(ngx_stream_webrtc_route_t *old, ngx_uint_t n,
    ngx_stream_webrtc_target_t *t)
{
    ngx_uint_t  i, k;

    for (i = 0; i < n; i++) {
        for (k = 0; k < old[i].ntargets; k++) {
            if (old[i].targets[k].peer == t->peer
                && old[i].targets[k].ssrc == t->ssrc)
            {
                return 1;
            }
        }
    }

    return 0;
}


static uint64_t
ngx_stream_webrtc_ix(const wr_srtp_index_t *ix)
{
    return ix->valid ? ((uint64_t) ix->roc << 16 | ix->seq) : 0;
}


/*
 * An outgoing SSRC that this flow did not send on until now: a switch, a
 * "start" after a pause, a new subscriber.  If this worker sent on it
 * last, the next packet starts a new epoch right after what it sent (src:
 * the source's SSRC now, 0 for RTX, which has no epochs).  Else another
 * worker may have sent since, up to what it reserved in the zone: start
 * after that, and reserve ahead in turn, at once, so that a worker that
 * takes the SSRC back before this one saves sees that it moved.
 */

static void
ngx_stream_webrtc_target_resume(ngx_stream_webrtc_target_t *t,
    uint32_t ssrc, ngx_webrtc_pc_t *pc, uint32_t src)
{
    ngx_uint_t                i;
    wr_srtp_index_t           zone;
    ngx_stream_webrtc_out_t  *out;

    if (ssrc == 0 || t->peer->srtp == NULL) {
        return;
    }

    ngx_memzero(&zone, sizeof(wr_srtp_index_t));

    for (i = 0; pc->out && i < NGX_WEBRTC_PC_OUT_SSRCS; i++) {
        if (pc->out[i].index.valid && pc->out[i].ssrc == ssrc
            && ngx_stream_webrtc_ix(&pc->out[i].index)
               > ngx_stream_webrtc_ix(&zone))
        {
            zone = pc->out[i].index;
        }
    }

    out = ngx_stream_webrtc_out_find(t->peer, ssrc);

    /*
     * The zone holds what this worker reserved itself, or is within one
     * reservation of what it sent: nobody else sent since.
     */

    if (out
        && ((zone.valid && ngx_stream_webrtc_ix(&zone) == out->reserved)
            || (out->sent
                && ngx_stream_webrtc_ix(&zone)
                   <= ngx_stream_webrtc_ix(&out->index)
                      + NGX_STREAM_WEBRTC_RESERVE)))
    {
        if (out->sent && src) {
            /* any SSRC but the source's: the next packet starts anew */
            out->src = ~src;
        }

        return;
    }

    if (out == NULL) {
        if (!zone.valid) {
            /* never sent: its first packet sets it up */
            return;
        }

        out = ngx_stream_webrtc_peer_out(t->peer, ssrc);
        if (out == NULL) {
            return;
        }
    }

    if (ngx_stream_webrtc_ix(&zone) > ngx_stream_webrtc_ix(&out->index)) {
        out->index = zone;
    }

    out->sent = 0;
    (void) wr_srtp_add_stream(t->peer->srtp, ssrc, &out->index);

    /*
     * The other worker's sender reports on this SSRC had SRTCP indexes
     * from its own context: ours must go on above them, or the receiver
     * takes them for replays.
     */
    (void) wr_srtp_set_rtcp_index(t->peer->srtp,
                                  ngx_stream_webrtc_rtcp_base(t->peer));

    if (!out->index.valid) {
        return;
    }

    ngx_stream_webrtc_reserve(pc, out,
                              ngx_stream_webrtc_ix(&out->index)
                              + NGX_STREAM_WEBRTC_RESERVE);
}


/*
 * Under the zone lock: v, the index up to which this worker may send on
 * the SSRC before it saves again, into the zone, remembered as its own:
 * a context rebuilt here later must not take its own reservation for
 * another worker's sending.
 */

static void
ngx_stream_webrtc_reserve(ngx_webrtc_pc_t *pc, ngx_stream_webrtc_out_t *out,
    uint64_t v)
{
    wr_srtp_index_t  ix;

    ix.roc = (uint32_t) (v >> 16);
    ix.seq = (uint16_t) v;
    ix.valid = 1;

    if (ngx_webrtc_pc_save_index_locked(ngx_stream_webrtc_worker->wcf, pc, 1,
                                        out->ssrc, &ix)
        == NGX_ERROR)
    {
        /* a rebuilt context would have to guess: say so */
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "webrtc: zone is full, SRTP index of SSRC %uD "
                      "not saved", out->ssrc);
        return;
    }

    out->reserved = v;
}


/* the SRTCP index a new context of a subscriber starts from */

static uint32_t
ngx_stream_webrtc_rtcp_base(ngx_stream_webrtc_peer_t *peer)
{
    uint32_t   base;
    ngx_time_t  *tp;

    /*
     * Every context built from one PeerConnection's keys must use an
     * SRTCP index at most once per sender SSRC, whichever worker builds
     * it: start from the time since the zone began, 250 a second, which
     * no context's sender reports catch up with.
     */

    tp = ngx_timeofday();
    base = (uint32_t) (((uint64_t) (tp->sec
                                    - ngx_stream_webrtc_worker->wcf->sh
                                      ->created) * 1000 + tp->msec) / 4);

    base = ngx_max(base, peer->rtcp_next);
    base = ngx_max(base, ngx_stream_webrtc_rtcp_floor);

    return base & 0x7fffffff;
}


/*
 * This worker's sending side of a subscriber's PeerConnection: its
 * address and an SRTP context built from the zone's keys.  Shared by the
 * routes of every publisher it subscribes to, counted by reference.
 */

static ngx_stream_webrtc_peer_t *
ngx_stream_webrtc_peer_get(uint64_t id, ngx_uint_t generation,
    ngx_webrtc_pc_t *pc)
{
    uint64_t                   v;
    ngx_uint_t                 i, k;
    ngx_stream_webrtc_out_t   *out;
    ngx_stream_webrtc_peer_t  *peer;

    peer = (ngx_stream_webrtc_peer_t *)
               ngx_webrtc_rbtree_lookup(&ngx_stream_webrtc_peers, id);

    if (peer && peer->generation != generation) {
        /* new address or keys: a fresh context, the same sequence state */
        ngx_stream_webrtc_peer_srtp_free(peer);
    }

    if (peer == NULL) {
        peer = ngx_calloc(sizeof(ngx_stream_webrtc_peer_t), ngx_cycle->log);
        if (peer == NULL) {
            return NULL;
        }

        peer->node.key = (ngx_rbtree_key_t) id;
        ngx_rbtree_insert(&ngx_stream_webrtc_peers, &peer->node);
    }

    if (peer->srtp == NULL) {
        peer->srtp = wr_srtp_create(&pc->keys, WR_SRTP_OUTBOUND,
                                    WR_SRTP_SERVER);
        peer->generation = generation;
        peer->keys = pc->keys;
        peer->socklen = pc->socklen;
        ngx_memcpy(peer->sockaddr, pc->sockaddr, pc->socklen);

        if (peer->srtp) {
            (void) wr_srtp_set_rtcp_index(peer->srtp,
                                          ngx_stream_webrtc_rtcp_base(peer));
        }

        /* streams sent before, here or by another worker: go on after */

        for (i = 0; peer->srtp && pc->out && i < NGX_WEBRTC_PC_OUT_SSRCS;
             i++)
        {
            if (!pc->out[i].index.valid) {
                continue;
            }

            for (k = 0; k < peer->nssrcs; k++) {
                if (peer->out[k].ssrc == pc->out[i].ssrc) {
                    break;
                }
            }

            if (k == peer->nssrcs) {
                if (peer->nssrcs == NGX_STREAM_WEBRTC_PEER_SSRCS) {
                    continue;
                }

                out = &peer->out[peer->nssrcs++];
                ngx_memzero(out, sizeof(ngx_stream_webrtc_out_t));
                out->ssrc = pc->out[i].ssrc;
            }

            out = &peer->out[k];

            /*
             * The zone holds this worker's own reservation: go on from
             * what it sent (taking its own reservation for another
             * worker's sending left nothing reserved beyond it).  Else
             * someone else sent since, up to what it reserved: go on
             * after that; this worker reserves again when it sends on
             * the SSRC (ngx_stream_webrtc_target_resume()), not here,
             * where it learns of every SSRC of the subscriber.
             */

            v = ngx_stream_webrtc_ix(&pc->out[i].index);

            if (v != out->reserved
                && v > ngx_stream_webrtc_ix(&out->index)
                       + (out->sent ? NGX_STREAM_WEBRTC_RESERVE : 0))
            {
                out->index = pc->out[i].index;
                out->sent = 0;
            }
        }

        for (k = 0; peer->srtp && k < peer->nssrcs; k++) {
            (void) wr_srtp_add_stream(peer->srtp, peer->out[k].ssrc,
                                      &peer->out[k].index);
        }
    }

    peer->refs++;

    return peer;
}


static void
ngx_stream_webrtc_peer_srtp_free(ngx_stream_webrtc_peer_t *peer)
{
    if (peer->srtp) {
        peer->rtcp_next = wr_srtp_rtcp_index(peer->srtp);
        ngx_stream_webrtc_rtcp_floor = ngx_max(ngx_stream_webrtc_rtcp_floor,
                                               peer->rtcp_next);
        wr_srtp_free(peer->srtp);
        peer->srtp = NULL;
    }

    if (peer->resend) {
        wr_srtp_free(peer->resend);
        peer->resend = NULL;
    }
}


static void
ngx_stream_webrtc_peer_put(ngx_stream_webrtc_peer_t *peer)
{
    if (--peer->refs) {
        return;
    }

    ngx_rbtree_delete(&ngx_stream_webrtc_peers, &peer->node);

    ngx_stream_webrtc_peer_srtp_free(peer);

    ngx_free(peer);
}


/* each outgoing SSRC is set up once, on its first packet: its state */

static ngx_stream_webrtc_out_t *
ngx_stream_webrtc_peer_out(ngx_stream_webrtc_peer_t *peer, uint32_t ssrc)
{
    ngx_uint_t                i;
    ngx_stream_webrtc_out_t  *out;

    for (i = 0; i < peer->nssrcs; i++) {
        if (peer->out[i].ssrc == ssrc) {
            return &peer->out[i];
        }
    }

    if (peer->nssrcs == NGX_STREAM_WEBRTC_PEER_SSRCS) {
        return NULL;
    }

    if (wr_srtp_add_stream(peer->srtp, ssrc, NULL) != WR_SRTP_OK) {
        return NULL;
    }

    out = &peer->out[peer->nssrcs++];
    ngx_memzero(out, sizeof(ngx_stream_webrtc_out_t));
    out->ssrc = ssrc;

    return out;
}


/*
 * Called with the zone locked: the subscribers' streams, as sent from
 * here, reserved ahead by the most this worker sends on one in a second.
 * Whoever sends on them next starts after that, and the first packet
 * still gets the right rollover counter.
 */

void
ngx_stream_webrtc_route_save(ngx_stream_webrtc_flow_t *flow)
{
    uint64_t                   v;
    ngx_uint_t                 i, k, n, j;
    ngx_webrtc_conf_t         *wcf;
    ngx_webrtc_handle_t       *h;
    ngx_stream_webrtc_peer_t  *peer;

    wcf = ngx_stream_webrtc_worker->wcf;

    for (i = 0; i < flow->nroutes; i++) {
        for (k = 0; k < flow->routes[i].ntargets; k++) {
            peer = flow->routes[i].targets[k].peer;

            h = ngx_webrtc_handle_lookup_locked(wcf, peer->node.key);

            if (h == NULL || !h->has_pc
                || h->pc.media_generation != peer->generation)
            {
                continue;
            }

            for (n = 0; n < peer->nssrcs; n++) {
                /*
                 * Only what this worker sends: an index merely copied
                 * from the zone, saved again with a reservation, would
                 * tell the worker that does send that another took over.
                 */
                if (!peer->out[n].index.valid || !peer->out[n].sent) {
                    continue;
                }

                v = ngx_stream_webrtc_ix(&peer->out[n].index)
                    + NGX_STREAM_WEBRTC_RESERVE;

                for (j = 0; h->pc.out && j < NGX_WEBRTC_PC_OUT_SSRCS; j++) {
                    if (h->pc.out[j].index.valid
                        && h->pc.out[j].ssrc == peer->out[n].ssrc
                        && ngx_stream_webrtc_ix(&h->pc.out[j].index) > v)
                    {
                        break;
                    }
                }

                if (h->pc.out == NULL || j == NGX_WEBRTC_PC_OUT_SSRCS) {
                    ngx_stream_webrtc_reserve(&h->pc, &peer->out[n], v);
                }

                /* else another worker reserved more: it took over, keep */
            }
        }
    }
}


static ngx_stream_webrtc_target_t *
ngx_stream_webrtc_target_find(ngx_stream_webrtc_flow_t *flow,
    ngx_uint_t mindex, uint32_t ssrc)
{
    ngx_uint_t  i, k;

    for (i = 0; i < flow->nroutes; i++) {
        if (flow->routes[i].mindex != mindex) {
            continue;
        }

        for (k = 0; k < flow->routes[i].ntargets; k++) {
            if (flow->routes[i].targets[k].ssrc == ssrc) {
                return &flow->routes[i].targets[k];
            }
        }
    }

    return NULL;
}


static ngx_stream_webrtc_out_t *
ngx_stream_webrtc_out_find(ngx_stream_webrtc_peer_t *peer, uint32_t ssrc)
{
    ngx_uint_t  i;

    for (i = 0; i < peer->nssrcs; i++) {
        if (peer->out[i].ssrc == ssrc) {
            return &peer->out[i];
        }
    }

    return NULL;
}


/*
 * A subscriber's NACK, answered from the stream's cache: with RTX when
 * it was negotiated, else the packet as it was sent.  A plain resend
 * reuses the packet's SRTP index; it is protected in a context of its
 * own, and only for packets of the current source, so the bytes, and so
 * the ciphertext, are exactly those sent before.
 */

void
ngx_stream_webrtc_resend(ngx_stream_webrtc_flow_t *flow, ngx_uint_t mindex,
    uint32_t ssrc, uint16_t pid, uint16_t blp)
{
    size_t                        clen, hlen, len;
    u_char                       *copy;
    uint16_t                      s, pseq, rseq;
    ngx_uint_t                    i, count;
    wr_rtp_t                      rtp;
    wr_srtp_index_t               ix;
    ngx_connection_t             *c;
    ngx_stream_webrtc_in_t       *in;
    ngx_stream_webrtc_out_t      *out, *rout;
    ngx_stream_webrtc_peer_t     *peer;
    ngx_stream_webrtc_target_t   *t;
    ngx_stream_webrtc_cached_t   *e;

    if (flow->ins == NULL || mindex >= NGX_STREAM_WEBRTC_STREAMS) {
        return;
    }

    in = &flow->ins[mindex];
    t = ngx_stream_webrtc_target_find(flow, mindex, ssrc);

    if (in->cache == NULL || t == NULL || t->peer->srtp == NULL) {
        return;
    }

    peer = t->peer;
    out = ngx_stream_webrtc_out_find(peer, ssrc);

    if (out == NULL || !out->sent) {
        return;
    }

    c = flow->session->connection;
    count = 0;

    for (i = 0; i < 17; i++) {
        if (i > 0 && !(blp & (1 << (i - 1)))) {
            continue;
        }

        s = (uint16_t) (pid + i);

        /* only what this epoch sent: the same bytes as the first time */

        if ((int16_t) (s - out->start) < 0
            || (int16_t) (out->last_seq - s) < 0)
        {
            continue;
        }

        pseq = (uint16_t) (s - out->seq_off);
        e = &in->cache[pseq % NGX_STREAM_WEBRTC_CACHE];

        if (e->len == 0 || e->seq != pseq || e->ssrc != out->src) {
            continue;
        }

        copy = (u_char *) ngx_stream_webrtc_copies[count];
        len = e->len;

        if (t->rtx_pt && t->rtx_ssrc) {
            if (wr_rtp_parse(&rtp, e->data, len) != WR_RTP_OK
                || len + 2 > sizeof(e->data))
            {
                continue;
            }

            rout = ngx_stream_webrtc_peer_out(peer, t->rtx_ssrc);
            if (rout == NULL) {
                continue;
            }

            rseq = ngx_stream_webrtc_rtx_seq(rout);
            wr_srtp_index_update(&rout->index, rseq);

            /* RFC 4588: the original sequence number, then the payload */

            hlen = rtp.header_len;
            ngx_memcpy(copy, e->data, hlen);
            copy[0] &= ~0x20;
            copy[hlen] = (u_char) (s >> 8);
            copy[hlen + 1] = (u_char) s;
            ngx_memcpy(copy + hlen + 2, e->data + hlen, rtp.payload_len);
            clen = hlen + 2 + rtp.payload_len;

            copy[1] = (u_char) ((copy[1] & 0x80) | t->rtx_pt);
            wr_rtp_rewrite(copy, t->rtx_ssrc, rseq,
                           rtp.ts + out->ts_off);

            if (wr_srtp_protect_rtp(peer->srtp, copy, &clen,
                                    NGX_STREAM_WEBRTC_PKT_MAX)
                != WR_SRTP_OK)
            {
                continue;
            }

        } else {
            if (peer->resend == NULL) {
                peer->resend = wr_srtp_create(&peer->keys, WR_SRTP_OUTBOUND,
                                              WR_SRTP_SERVER);
                if (peer->resend == NULL) {
                    return;
                }
            }

            ngx_memcpy(copy, e->data, len);
            copy[1] = (u_char) ((copy[1] & 0x80) | t->pt);
            wr_rtp_rewrite(copy, ssrc, s,
                           ngx_stream_webrtc_ts(e->data) + out->ts_off);

            /* a fresh stream that has seen nothing: it takes this index */
            ix = out->index;

            if (wr_srtp_add_stream(peer->resend, ssrc, &ix) != WR_SRTP_OK) {
                continue;
            }

            clen = len;

            if (wr_srtp_protect_rtp(peer->resend, copy, &clen,
                                    NGX_STREAM_WEBRTC_PKT_MAX)
                != WR_SRTP_OK)
            {
                continue;
            }
        }

        ngx_stream_webrtc_queue(count++, copy, clen, peer);
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_RETRANSMITS, 1);
    }

    if (count) {
        ngx_stream_webrtc_send_batch(c, count);
    }
}


/* RFC 3550 sender reports for what this flow sends each subscriber */

void
ngx_stream_webrtc_sender_reports(ngx_stream_webrtc_flow_t *flow)
{
    size_t                        n;
    u_char                       *copy;
    ngx_uint_t                    i, k, count;
    ngx_time_t                   *tp;
    ngx_msec_t                    elapsed;
    wr_rtcp_report_t              sr;
    ngx_stream_webrtc_out_t      *out;
    ngx_stream_webrtc_target_t   *t;

    tp = ngx_timeofday();
    count = 0;

    for (i = 0; i < flow->nroutes; i++) {
        for (k = 0; k < flow->routes[i].ntargets; k++) {
            t = &flow->routes[i].targets[k];

            if (t->peer->srtp == NULL) {
                continue;
            }

            out = ngx_stream_webrtc_out_find(t->peer, t->ssrc);

            if (out == NULL || !out->sent || out->packets == 0) {
                continue;
            }

            elapsed = ngx_current_msec - out->last_ms;

            ngx_memzero(&sr, sizeof(wr_rtcp_report_t));
            sr.ssrc = t->ssrc;
            sr.ntp = ((uint64_t) (tp->sec + 2208988800ULL) << 32)
                     | (((uint64_t) tp->msec << 32) / 1000);
            sr.rtp_ts = out->last_ts
                        + (uint32_t) (elapsed * (t->clock / 1000));
            sr.packet_count = out->packets;
            sr.octet_count = out->octets;

            copy = (u_char *) ngx_stream_webrtc_copies[count];

            n = wr_rtcp_build_sr(copy, NGX_STREAM_WEBRTC_PKT_MAX
                                       - WR_SRTP_RTCP_TRAILER_MAX,
                                 &sr, NULL, 0);

            if (n == 0
                || wr_srtp_protect_rtcp(t->peer->srtp, copy, &n,
                                        NGX_STREAM_WEBRTC_PKT_MAX)
                   != WR_SRTP_OK)
            {
                continue;
            }

            ngx_stream_webrtc_queue(count, copy, n, t->peer);
            ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_RTCP_OUT, 1);

            if (++count == NGX_STREAM_WEBRTC_BATCH) {
                ngx_stream_webrtc_send_batch(flow->session->connection,
                                             count);
                count = 0;
            }
        }
    }

    if (count) {
        ngx_stream_webrtc_send_batch(flow->session->connection, count);
    }
}
