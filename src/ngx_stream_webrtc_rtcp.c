
/*
 * RTCP of the VideoRoom: reports and feedback are terminated here, never
 * forwarded.  Keyframe requests and NACKs from a subscriber go to the
 * worker that receives the publisher (the zone says which; an IPC
 * message wakes it), which asks the publisher (PLI/FIR, throttled) or
 * answers from its packet cache.  Each second, a publisher's flow sends
 * it receiver reports and REMB, and sends its subscribers sender reports.
 * Media and talking states change under the lock only when they flip.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_stream_webrtc.h"
#include "ngx_webrtc_videoroom.h"
#include "wr_rtp.h"
#include "wr_rtcp.h"


#define NGX_STREAM_WEBRTC_RTCP_MS     1000
#define NGX_STREAM_WEBRTC_PLI_MS      500       /* per publisher stream */
#define NGX_STREAM_WEBRTC_MEDIA_MS    1000      /* "receiving": false */
#define NGX_STREAM_WEBRTC_FB_MAX      16        /* requests per compound */

#define NGX_STREAM_WEBRTC_FB_PLI      1
#define NGX_STREAM_WEBRTC_FB_NACK     2


typedef struct {
    ngx_uint_t                    op;
    uint32_t                      ssrc;          /* the subscriber's */
    uint16_t                      pid;
    uint16_t                      blp;
    uint64_t                      pub;           /* found under the lock */
    ngx_uint_t                    mindex;
    ngx_pid_t                     pid_owner;
} ngx_stream_webrtc_fb_t;


static void ngx_stream_webrtc_rtcp_timer(ngx_event_t *ev);
static void ngx_stream_webrtc_feedback(ngx_stream_webrtc_flow_t *flow,
    ngx_stream_webrtc_fb_t *fb, ngx_uint_t n);
static void ngx_stream_webrtc_feedback_run(uint64_t pub, ngx_uint_t op,
    ngx_uint_t mindex, uint32_t ssrc, uint16_t pid, uint16_t blp);
static void ngx_stream_webrtc_ipc_feedback(ngx_webrtc_ipc_msg_t *msg);
static void ngx_stream_webrtc_slowlink(ngx_stream_webrtc_flow_t *flow,
    ngx_stream_webrtc_in_t *in, uint32_t lost);
static void ngx_stream_webrtc_downlink(ngx_stream_webrtc_flow_t *flow,
    wr_rtcp_report_t *r);
static void ngx_stream_webrtc_slowlink_down(ngx_stream_webrtc_flow_t *flow,
    uint32_t ssrc, uint32_t lost);
static void ngx_stream_webrtc_receiver_reports(
    ngx_stream_webrtc_flow_t *flow);


static ngx_rbtree_t        ngx_stream_webrtc_flows;
static ngx_rbtree_node_t   ngx_stream_webrtc_flows_sentinel;


void
ngx_stream_webrtc_rtcp_init_process(ngx_cycle_t *cycle)
{
    ngx_rbtree_init(&ngx_stream_webrtc_flows,
                    &ngx_stream_webrtc_flows_sentinel,
                    ngx_rbtree_insert_value);

    ngx_webrtc_ipc_set_handler(NGX_WEBRTC_IPC_FEEDBACK,
                               ngx_stream_webrtc_ipc_feedback);
}


/* SRTP is up on a flow: find it by handle, and report each second */

void
ngx_stream_webrtc_rtcp_start(ngx_stream_webrtc_flow_t *flow)
{
    if (!flow->registered && flow->handle) {
        flow->reg.key = (ngx_rbtree_key_t) flow->handle;
        ngx_rbtree_insert(&ngx_stream_webrtc_flows, &flow->reg);
        flow->registered = 1;
    }

    if (flow->echo) {
        return;
    }

    flow->rtcp_timer.handler = ngx_stream_webrtc_rtcp_timer;
    flow->rtcp_timer.data = flow;
    flow->rtcp_timer.log = flow->session->connection->log;
    flow->rtcp_timer.cancelable = 1;

    ngx_add_timer(&flow->rtcp_timer, NGX_STREAM_WEBRTC_RTCP_MS);
}


void
ngx_stream_webrtc_rtcp_stop(ngx_stream_webrtc_flow_t *flow)
{
    ngx_uint_t  i;

    if (flow->registered) {
        ngx_rbtree_delete(&ngx_stream_webrtc_flows, &flow->reg);
        flow->registered = 0;
    }

    if (flow->rtcp_timer.timer_set) {
        ngx_del_timer(&flow->rtcp_timer);
    }

    if (flow->ins) {
        for (i = 0; i < NGX_STREAM_WEBRTC_STREAMS; i++) {
            if (flow->ins[i].cache) {
                ngx_free(flow->ins[i].cache);
            }
        }

        ngx_free(flow->ins);
        flow->ins = NULL;
    }
}


ngx_stream_webrtc_flow_t *
ngx_stream_webrtc_flow_find(uint64_t handle)
{
    ngx_rbtree_node_t  *node;

    if (ngx_stream_webrtc_flows.root == NULL) {
        return NULL;
    }

    node = ngx_webrtc_rbtree_lookup(&ngx_stream_webrtc_flows, handle);

    return node ? ngx_rbtree_data(node, ngx_stream_webrtc_flow_t, reg)
                : NULL;
}


/* an unprotected RTCP compound from the peer of a VideoRoom flow */

void
ngx_stream_webrtc_rtcp(ngx_stream_webrtc_flow_t *flow, u_char *pkt,
    size_t len)
{
    unsigned                 fir_seq;
    ngx_uint_t               i, n;
    wr_rtcp_fb_t             fb;
    wr_rtcp_pkt_t            p;
    wr_rtcp_iter_t           it;
    wr_rtcp_report_t         sr;
    const uint8_t           *f;
    ngx_stream_webrtc_fb_t   req[NGX_STREAM_WEBRTC_FB_MAX];

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_RTCP_IN, 1);

    n = 0;

    wr_rtcp_iter_init(&it, pkt, len);

    while (wr_rtcp_next(&it, &p) == 1) {

        if (p.pt == WR_RTCP_SR) {
            /* a publisher's clock, for the LSR of our receiver reports */
            if (wr_rtcp_sr(&p, &sr) != 0 || flow->ins == NULL) {
                continue;
            }

            for (i = 0; i < NGX_STREAM_WEBRTC_STREAMS; i++) {
                if (flow->ins[i].known && flow->ins[i].src == sr.ssrc) {
                    flow->ins[i].lsr = (uint32_t) (sr.ntp >> 16);
                    flow->ins[i].lsr_ms = ngx_current_msec;
                }
            }

            continue;
        }

        if (p.pt == WR_RTCP_RR) {
            /* terminated here; what they say of loss may be a slowlink */
            if (ngx_stream_webrtc_worker->wcf->slowlink_threshold
                && wr_rtcp_rr(&p, &sr) == 0)
            {
                ngx_stream_webrtc_downlink(flow, &sr);
            }

            continue;
        }

        if ((p.pt != WR_RTCP_PSFB && p.pt != WR_RTCP_RTPFB)
            || wr_rtcp_fb(&p, &fb) != 0)
        {
            /* the rest ends here */
            continue;
        }

        if (p.pt == WR_RTCP_PSFB
            && (fb.fmt == WR_RTCP_PLI || fb.fmt == WR_RTCP_FIR))
        {
            if (fb.fmt == WR_RTCP_FIR && wr_rtcp_fir_count(&fb) > 0) {
                wr_rtcp_fir_entry(&fb, 0, &fb.media_ssrc, &fir_seq);
            }

            if (n < NGX_STREAM_WEBRTC_FB_MAX) {
                req[n].op = NGX_STREAM_WEBRTC_FB_PLI;
                req[n].ssrc = fb.media_ssrc;
                n++;
            }

            continue;
        }

        if (p.pt == WR_RTCP_RTPFB && fb.fmt == WR_RTCP_NACK) {
            for (f = fb.fci; f + 4 <= fb.fci + fb.fci_len; f += 4) {
                if (n == NGX_STREAM_WEBRTC_FB_MAX) {
                    break;
                }

                req[n].op = NGX_STREAM_WEBRTC_FB_NACK;
                req[n].ssrc = fb.media_ssrc;
                req[n].pid = (uint16_t) (f[0] << 8 | f[1]);
                req[n].blp = (uint16_t) (f[2] << 8 | f[3]);
                n++;
            }
        }
    }

    if (n) {
        ngx_stream_webrtc_feedback(flow, req, n);
    }
}


/*
 * Under the lock, once per compound: which publisher stream each request
 * is about, and which worker receives that publisher.
 */

static void
ngx_stream_webrtc_feedback(ngx_stream_webrtc_flow_t *flow,
    ngx_stream_webrtc_fb_t *fb, ngx_uint_t n)
{
    ngx_uint_t                 i, k, m;
    ngx_webrtc_conf_t         *wcf;
    ngx_webrtc_handle_t       *h, *ph;
    ngx_webrtc_vr_sub_t       *sub;
    ngx_webrtc_vr_sstream_t   *ss;
    ngx_webrtc_vr_pstream_t   *ps;

    wcf = ngx_stream_webrtc_worker->wcf;

    ngx_shmtx_lock(&wcf->shpool->mutex);

    h = ngx_webrtc_handle_lookup_locked(wcf, flow->handle);
    sub = h ? h->plugin_data : NULL;

    for (i = 0; i < n; i++) {
        fb[i].pub = 0;

        if (sub == NULL || sub->type != NGX_WEBRTC_VR_SUBSCRIBER) {
            continue;
        }

        for (k = 0; k < sub->nstreams; k++) {
            ss = sub->streams[k];

            if (ss == NULL || ss->ps == NULL || ss->ssrc != fb[i].ssrc) {
                continue;
            }

            ps = ss->ps;
            ph = ps->pub->handle;

            if (ph == NULL || !ph->has_pc || ph->pc.media_pid == 0) {
                break;
            }

            for (m = 0; m < ps->pub->nstreams; m++) {
                if (ps->pub->streams[m] == ps) {
                    fb[i].pub = ngx_webrtc_handle_id(ph);
                    fb[i].mindex = m;
                    fb[i].pid_owner = ph->pc.media_pid;
                }
            }

            break;
        }
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    for (i = 0; i < n; i++) {
        if (fb[i].pub == 0) {
            continue;
        }

        if (fb[i].pid_owner == ngx_pid) {
            ngx_stream_webrtc_feedback_run(fb[i].pub, fb[i].op, fb[i].mindex,
                                           fb[i].ssrc, fb[i].pid, fb[i].blp);
            continue;
        }

        /* handle ids are 53 bits: op and stream fit above them */

        (void) ngx_webrtc_ipc_send2(fb[i].pid_owner, NGX_WEBRTC_IPC_FEEDBACK,
                                    fb[i].pub
                                    | ((uint64_t) fb[i].op << 53)
                                    | ((uint64_t) fb[i].mindex << 56),
                                    ((uint64_t) fb[i].ssrc << 32)
                                    | ((uint64_t) fb[i].pid << 16)
                                    | fb[i].blp);
    }
}


static void
ngx_stream_webrtc_ipc_feedback(ngx_webrtc_ipc_msg_t *msg)
{
    ngx_stream_webrtc_feedback_run(msg->arg & NGX_WEBRTC_ID_MASK,
                                   (msg->arg >> 53) & 7,
                                   (msg->arg >> 56) & 0xff,
                                   (uint32_t) (msg->arg2 >> 32),
                                   (uint16_t) (msg->arg2 >> 16),
                                   (uint16_t) msg->arg2);
}


static void
ngx_stream_webrtc_feedback_run(uint64_t pub, ngx_uint_t op,
    ngx_uint_t mindex, uint32_t ssrc, uint16_t pid, uint16_t blp)
{
    ngx_stream_webrtc_flow_t  *flow;

    flow = ngx_stream_webrtc_flow_find(pub);

    if (flow == NULL || flow->srtp_out == NULL) {
        return;
    }

    if (op == NGX_STREAM_WEBRTC_FB_PLI) {
        ngx_stream_webrtc_keyframe(flow, mindex, 0);

    } else if (op == NGX_STREAM_WEBRTC_FB_NACK) {
        ngx_stream_webrtc_resend(flow, mindex, ssrc, pid, blp);
    }
}


/* the server's own SSRC on a publisher's PeerConnection */

static uint32_t
ngx_stream_webrtc_local_ssrc(ngx_stream_webrtc_flow_t *flow)
{
    return (uint32_t) (flow->handle ^ (flow->handle >> 32)) | 1;
}


/* a keyframe request to the publisher: PLI, or FIR without PLI */

void
ngx_stream_webrtc_keyframe(ngx_stream_webrtc_flow_t *flow,
    ngx_uint_t mindex, ngx_uint_t force)
{
    size_t                   n;
    ngx_stream_webrtc_in_t  *in;
    uint32_t                 buf[64];

    if (flow->ins == NULL || mindex >= NGX_STREAM_WEBRTC_STREAMS) {
        return;
    }

    in = &flow->ins[mindex];

    if (!in->known || in->src == 0 || in->kind != WR_SDP_KIND_VIDEO) {
        return;
    }

    if (!force && in->last_pli
        && ngx_current_msec - in->last_pli < NGX_STREAM_WEBRTC_PLI_MS)
    {
        return;
    }

    in->last_pli = ngx_current_msec;

    if (!(in->fb_flags & WR_SDP_FB_PLI) && (in->fb_flags & WR_SDP_FB_FIR)) {
        n = wr_rtcp_build_fir((u_char *) buf, 128,
                              ngx_stream_webrtc_local_ssrc(flow), in->src,
                              in->fir_seq++);
    } else {
        n = wr_rtcp_build_pli((u_char *) buf, 128,
                              ngx_stream_webrtc_local_ssrc(flow), in->src);
    }

    if (n && ngx_stream_webrtc_send_rtcp(flow, (u_char *) buf, n) == NGX_OK) {
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_KEYFRAME_REQUESTS, 1);
    }
}


/* protect with the flow's own context and send to its peer */

ngx_int_t
ngx_stream_webrtc_send_rtcp(ngx_stream_webrtc_flow_t *flow, u_char *pkt,
    size_t len)
{
    if (flow->srtp_out == NULL
        || wr_srtp_protect_rtcp(flow->srtp_out, pkt, &len, len
                                + WR_SRTP_RTCP_TRAILER_MAX)
           != WR_SRTP_OK)
    {
        return NGX_ERROR;
    }

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_RTCP_OUT, 1);

    return ngx_stream_webrtc_send(flow, pkt, len);
}


static void
ngx_stream_webrtc_rtcp_timer(ngx_event_t *ev)
{
    ngx_uint_t                 i;
    ngx_stream_webrtc_in_t    *in;
    ngx_stream_webrtc_flow_t  *flow = ev->data;

    ngx_add_timer(ev, NGX_STREAM_WEBRTC_RTCP_MS);

    if (flow->ins == NULL || flow->srtp_out == NULL) {
        return;
    }

    for (i = 0; i < NGX_STREAM_WEBRTC_STREAMS; i++) {
        in = &flow->ins[i];

        if (in->receiving
            && ngx_current_msec - in->last_rx >= NGX_STREAM_WEBRTC_MEDIA_MS)
        {
            ngx_stream_webrtc_media_state(flow, in, 0);
        }

        /* the room's fir_freq: keyframes asked for regularly */

        if (flow->fir_freq && in->receiving
            && ngx_current_msec - in->last_fir_freq
               >= flow->fir_freq * 1000)
        {
            in->last_fir_freq = ngx_current_msec;
            ngx_stream_webrtc_keyframe(flow, i, 1);
        }
    }

    ngx_stream_webrtc_receiver_reports(flow);
    ngx_stream_webrtc_sender_reports(flow);
}


/* one RR per received stream (+ REMB on video), as browsers send them */

static void
ngx_stream_webrtc_receiver_reports(ngx_stream_webrtc_flow_t *flow)
{
    size_t                   n, m;
    uint32_t                 ext, expected, exp_int, rcv_int, lost_int;
    uint32_t                 remb_ssrcs[NGX_STREAM_WEBRTC_STREAMS];
    ngx_uint_t               i, k, nremb;
    wr_rtcp_block_t          b;
    ngx_stream_webrtc_in_t  *in;
    uint32_t                 buf[128];

    nremb = 0;

    for (i = 0; i < NGX_STREAM_WEBRTC_STREAMS; i++) {
        in = &flow->ins[i];

        if (!in->known || in->src == 0 || in->received == 0) {
            continue;
        }

        ext = 0;

        for (k = 0; k < NGX_WEBRTC_PC_SSRCS; k++) {
            if (flow->in_index[k].valid && flow->in_ssrc[k] == in->src) {
                ext = (flow->in_index[k].roc << 16) | flow->in_index[k].seq;
            }
        }

        expected = ext - in->base + 1;
        exp_int = expected - in->prior_expected;
        rcv_int = in->received - in->prior_received;
        lost_int = exp_int > rcv_int ? exp_int - rcv_int : 0;
        in->prior_expected = expected;
        in->prior_received = in->received;

        if (ngx_stream_webrtc_worker->wcf->slowlink_threshold
            && lost_int >= ngx_stream_webrtc_worker->wcf->slowlink_threshold)
        {
            ngx_stream_webrtc_slowlink(flow, in, lost_int);
        }

        ngx_memzero(&b, sizeof(wr_rtcp_block_t));
        b.ssrc = in->src;
        b.fraction_lost = exp_int ? (lost_int << 8) / exp_int : 0;
        b.cumulative_lost = expected > in->received
                            ? (int32_t) (expected - in->received) : 0;
        b.highest_seq = ext;

        if (in->lsr_ms) {
            b.lsr = in->lsr;
            b.dlsr = (uint32_t) ((ngx_current_msec - in->lsr_ms) * 65536
                                 / 1000);
        }

        n = wr_rtcp_build_rr((u_char *) buf, 256,
                             ngx_stream_webrtc_local_ssrc(flow), &b, 1);

        if (n == 0) {
            continue;
        }

        if (in->kind == WR_SDP_KIND_VIDEO) {
            remb_ssrcs[nremb++] = in->src;
        }

        (void) ngx_stream_webrtc_send_rtcp(flow, (u_char *) buf, n);
    }

    /* REMB: the room's or the publisher's cap, whichever is lower */

    if (nremb && flow->bitrate) {
        m = wr_rtcp_build_remb((u_char *) buf, 256,
                               ngx_stream_webrtc_local_ssrc(flow),
                               flow->bitrate, remb_ssrcs, nremb);
        if (m) {
            (void) ngx_stream_webrtc_send_rtcp(flow, (u_char *) buf, m);
        }
    }
}


/*
 * Janus's "slowlink": in the last second more packets of a stream than
 * slowlink_threshold were lost on their way to the server (uplink).
 * At most once a second per stream: the report timer calls this.
 */

static void
ngx_stream_webrtc_slowlink(ngx_stream_webrtc_flow_t *flow,
    ngx_stream_webrtc_in_t *in, uint32_t lost)
{
    json_t               *ev;
    ngx_webrtc_conf_t    *wcf;
    ngx_webrtc_handle_t  *h;

    if (in->kind != WR_SDP_KIND_AUDIO && in->kind != WR_SDP_KIND_VIDEO) {
        return;
    }

    wcf = ngx_stream_webrtc_worker->wcf;

    ngx_shmtx_lock(&wcf->shpool->mutex);

    h = ngx_webrtc_handle_lookup_locked(wcf, flow->handle);

    if (h && h->session) {
        ev = ngx_webrtc_handle_event(h, "slowlink");

        if (ev) {
            json_object_set_new(ev, "mid", json_string((char *) in->mid));
            json_object_set_new(ev, "media",
                                json_string(in->kind == WR_SDP_KIND_AUDIO
                                            ? "audio" : "video"));
            json_object_set_new(ev, "uplink", json_true());
            json_object_set_new(ev, "lost", json_integer(lost));
            (void) ngx_webrtc_session_push_locked(wcf, h->session, ev);
        }
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    ngx_webrtc_wake_flush();
}


/*
 * Downlink: a subscriber's receiver reports say how many packets of the
 * streams the server sends it were lost; more than slowlink_threshold in
 * a second is a slowlink with uplink false.
 */

static void
ngx_stream_webrtc_downlink(ngx_stream_webrtc_flow_t *flow,
    wr_rtcp_report_t *r)
{
    unsigned         i;
    ngx_uint_t       k, free;
    wr_rtcp_block_t  b;

    for (i = 0; i < r->n_blocks; i++) {
        wr_rtcp_block(r, i, &b);

        free = NGX_STREAM_WEBRTC_SSRCS;

        for (k = 0; k < NGX_STREAM_WEBRTC_SSRCS; k++) {
            if (flow->dl_time[k] && flow->dl_ssrc[k] == b.ssrc) {
                break;
            }

            if (flow->dl_time[k] == 0 && free == NGX_STREAM_WEBRTC_SSRCS) {
                free = k;
            }
        }

        if (k == NGX_STREAM_WEBRTC_SSRCS) {
            if (free == NGX_STREAM_WEBRTC_SSRCS) {
                continue;
            }

            flow->dl_ssrc[free] = b.ssrc;
            flow->dl_lost[free] = b.cumulative_lost;
            flow->dl_time[free] = ngx_current_msec ? ngx_current_msec : 1;
            continue;
        }

        if (ngx_current_msec - flow->dl_time[k] < 900) {
            continue;
        }

        if (b.cumulative_lost - flow->dl_lost[k]
            >= (int32_t) ngx_stream_webrtc_worker->wcf->slowlink_threshold)
        {
            ngx_stream_webrtc_slowlink_down(flow, b.ssrc,
                                (uint32_t) (b.cumulative_lost
                                            - flow->dl_lost[k]));
        }

        flow->dl_lost[k] = b.cumulative_lost;
        flow->dl_time[k] = ngx_current_msec;
    }
}


static void
ngx_stream_webrtc_slowlink_down(ngx_stream_webrtc_flow_t *flow,
    uint32_t ssrc, uint32_t lost)
{
    json_t                   *ev;
    ngx_uint_t                i;
    ngx_webrtc_conf_t        *wcf;
    ngx_webrtc_vr_sub_t      *sub;
    ngx_webrtc_handle_t      *h;
    ngx_webrtc_vr_sstream_t  *ss;

    wcf = ngx_stream_webrtc_worker->wcf;

    ngx_shmtx_lock(&wcf->shpool->mutex);

    h = ngx_webrtc_handle_lookup_locked(wcf, flow->handle);
    sub = h ? h->plugin_data : NULL;

    if (sub && sub->type == NGX_WEBRTC_VR_SUBSCRIBER) {

        for (i = 0; i < sub->nstreams; i++) {
            ss = sub->streams[i];

            if (ss == NULL || ss->ssrc != ssrc) {
                continue;
            }

            ev = ngx_webrtc_handle_event(h, "slowlink");

            if (ev) {
                json_object_set_new(ev, "mid", json_string((char *) ss->mid));
                json_object_set_new(ev, "media",
                                    json_string(ss->kind == WR_SDP_KIND_AUDIO
                                                ? "audio" : "video"));
                json_object_set_new(ev, "uplink", json_false());
                json_object_set_new(ev, "lost", json_integer(lost));
                (void) ngx_webrtc_session_push_locked(wcf, h->session, ev);
            }

            break;
        }
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    ngx_webrtc_wake_flush();
}


/* Janus's "media" event: a mid starts or stops arriving */

void
ngx_stream_webrtc_media_state(ngx_stream_webrtc_flow_t *flow,
    ngx_stream_webrtc_in_t *in, ngx_uint_t receiving)
{
    json_t               *ev;
    ngx_webrtc_conf_t    *wcf;
    ngx_webrtc_handle_t  *h;

    in->receiving = receiving ? 1 : 0;

    if (in->kind != WR_SDP_KIND_AUDIO && in->kind != WR_SDP_KIND_VIDEO) {
        return;
    }

    wcf = ngx_stream_webrtc_worker->wcf;

    ngx_shmtx_lock(&wcf->shpool->mutex);

    h = ngx_webrtc_handle_lookup_locked(wcf, flow->handle);

    if (h && h->session) {
        ev = ngx_webrtc_handle_event(h, "media");

        if (ev) {
            json_object_set_new(ev, "mid", json_string((char *) in->mid));
            json_object_set_new(ev, "type",
                                json_string(in->kind == WR_SDP_KIND_AUDIO
                                            ? "audio" : "video"));
            json_object_set_new(ev, "receiving", json_boolean(receiving));
            (void) ngx_webrtc_session_push_locked(wcf, h->session, ev);
        }
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    ngx_webrtc_wake_flush();
}


/*
 * RFC 6464 levels, averaged over audio_active_packets without a lock;
 * the lock only when talking starts or stops.
 */

void
ngx_stream_webrtc_audio_level(ngx_stream_webrtc_flow_t *flow,
    ngx_uint_t mindex, u_char *pkt, size_t len)
{
    unsigned                 level, voice;
    ngx_uint_t               talking;
    wr_rtp_t                 rtp;
    double                   avg;
    ngx_webrtc_conf_t       *wcf;
    ngx_webrtc_handle_t     *h;
    ngx_stream_webrtc_in_t  *in;

    in = &flow->ins[mindex];

    if (wr_rtp_parse_header(&rtp, pkt, len) != WR_RTP_OK
        || wr_rtp_ext_audio_level(&rtp, in->level_id, &level, &voice) != 1)
    {
        return;
    }

    in->level_sum += level;

    if (++in->level_n < ngx_max(flow->audio_packets, 1)) {
        return;
    }

    avg = (double) in->level_sum / in->level_n;
    in->level_sum = 0;
    in->level_n = 0;

    /* -dBov: a lower number is louder */
    talking = avg < (double) flow->audio_threshold;

    if (talking == in->talking) {
        return;
    }

    in->talking = talking;
    wcf = ngx_stream_webrtc_worker->wcf;

    ngx_shmtx_lock(&wcf->shpool->mutex);

    h = ngx_webrtc_handle_lookup_locked(wcf, flow->handle);

    if (h) {
        ngx_webrtc_videoroom_talking_locked(wcf, h, mindex, talking, avg);
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    ngx_webrtc_wake_flush();
}
