
/*
 * ICE-lite: answer connectivity checks for PeerConnections of the zone,
 * bind a remote address to its PeerConnection, and keep consent fresh.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_stream_webrtc.h"


static int ngx_stream_webrtc_stun_lookup(void *ctx, const uint8_t *ufrag,
    size_t ufrag_len, const uint8_t *remote_ufrag, size_t remote_ufrag_len,
    const uint8_t **pwd, size_t *pwd_len, void **peer);
static void ngx_stream_webrtc_bind(ngx_stream_webrtc_flow_t *flow,
    uint64_t handle);


/*
 * The ice-pwd is copied out of the zone under the lock, so the check
 * itself (an HMAC) runs unlocked.
 */

static int
ngx_stream_webrtc_stun_lookup(void *ctx, const uint8_t *ufrag,
    size_t ufrag_len, const uint8_t *remote_ufrag, size_t remote_ufrag_len,
    const uint8_t **pwd, size_t *pwd_len, void **peer)
{
    ngx_stream_webrtc_flow_t *flow = ctx;

    uint64_t              id;
    ngx_webrtc_conf_t    *wcf;
    ngx_webrtc_handle_t  *h;

    wcf = ngx_stream_webrtc_worker->wcf;
    id = 0;

    ngx_shmtx_lock(&wcf->shpool->mutex);

    h = ngx_webrtc_pc_lookup_locked(wcf, (u_char *) ufrag, ufrag_len);

    if (h) {
        ngx_memcpy(flow->pwd, h->pc.pwd, NGX_WEBRTC_ICE_PWD_LEN);
        ngx_memcpy(flow->ufrag, h->pc.ufrag, NGX_WEBRTC_ICE_UFRAG_LEN);
        id = ngx_webrtc_handle_id(h);
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    if (id == 0) {
        return 0;
    }

    *pwd = flow->pwd;
    *pwd_len = NGX_WEBRTC_ICE_PWD_LEN;
    *peer = (void *) (uintptr_t) id;

    return 1;
}


ngx_int_t
ngx_stream_webrtc_stun(ngx_stream_webrtc_flow_t *flow, u_char *pkt,
    size_t len)
{
    int                  rc;
    time_t               now;
    uint64_t             id;
    ngx_connection_t    *c;
    wr_stun_result_t     res;
    u_char               out[WR_STUN_REPLY_MAX];

    c = flow->session->connection;

    rc = wr_stun_handle(&ngx_stream_webrtc_worker->stun, pkt, len,
                        c->sockaddr, c->socklen,
                        ngx_stream_webrtc_stun_lookup, flow,
                        out, sizeof(out), &res);

    if (res.reply_len) {
        (void) ngx_stream_webrtc_send(flow, out, res.reply_len);
    }

    if (rc == WR_STUN_INDICATION) {
        return NGX_OK;
    }

    if (rc != WR_STUN_OK) {
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_STUN_DROPPED, 1);

        /* one line a second per reason: checks can come in floods */

        now = ngx_time();

        if (rc < WR_STUN_NREASONS
            && ngx_stream_webrtc_worker->log_time[rc] != now)
        {
            ngx_stream_webrtc_worker->log_time[rc] = now;
            ngx_log_error(NGX_LOG_INFO, c->log, 0,
                          "webrtc: STUN from %V:%d dropped: %s",
                          &c->addr_text, ngx_inet_get_port(c->sockaddr),
                          wr_stun_reason(rc));
        }

        return NGX_DECLINED;
    }

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_STUN_ANSWERED, 1);

    id = (uint64_t) (uintptr_t) res.peer;

    /*
     * A lite agent takes the pair the controlling side checks: the
     * browser nominates with USE-CANDIDATE, and a later check from
     * another address may move the PeerConnection there.
     */

    if (flow->handle != id || res.use_candidate) {
        ngx_stream_webrtc_bind(flow, id);
    }

    ngx_add_timer(c->read, NGX_STREAM_WEBRTC_CONSENT);

    return NGX_OK;
}


static void
ngx_stream_webrtc_bind(ngx_stream_webrtc_flow_t *flow, uint64_t id)
{
    ngx_connection_t     *c;
    ngx_webrtc_conf_t    *wcf;
    ngx_webrtc_handle_t  *h;

    c = flow->session->connection;
    wcf = ngx_stream_webrtc_worker->wcf;

    if ((flow->dtls || flow->srtp_in)
        && (flow->handle != id
            || ngx_memcmp(flow->bound_ufrag, flow->ufrag,
                          NGX_WEBRTC_ICE_UFRAG_LEN) != 0))
    {
        ngx_stream_webrtc_flow_reset(flow);
    }

    ngx_shmtx_lock(&wcf->shpool->mutex);

    h = ngx_webrtc_handle_lookup_locked(wcf, id);

    if (h && h->has_pc
        && ngx_memcmp(h->pc.ufrag, flow->ufrag, NGX_WEBRTC_ICE_UFRAG_LEN)
           == 0)
    {
        if (!h->pc.ice_connected) {
            ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_ICE_CONNECTED, 1);
        }

        h->pc.ice_connected = 1;
        h->pc.media_pid = ngx_pid;
        h->pc.consent = ngx_current_msec;
        ngx_webrtc_pc_set_addr_locked(wcf, h, c->sockaddr, c->socklen);
        h->pc.media_generation++;
        wcf->sh->media_generation++;

        flow->handle = id;
        ngx_memcpy(flow->bound_ufrag, flow->ufrag, NGX_WEBRTC_ICE_UFRAG_LEN);
        flow->echo = (ngx_strcmp(ngx_webrtc_plugins[h->plugin]->package,
                                 "janus.plugin.echotest") == 0);
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    if (flow->handle == id) {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "webrtc: ICE connected, handle %uL at %V:%d",
                      id, &c->addr_text, ngx_inet_get_port(c->sockaddr));
    }
}


/*
 * RFC 7675: no valid check for 30 s, the PeerConnection is gone; the
 * client hears it as Janus says it, with a "hangup".
 */

void
ngx_stream_webrtc_consent_expired(ngx_stream_webrtc_flow_t *flow)
{
    if (flow->handle == 0) {
        return;
    }

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_CONSENT_EXPIRED, 1);

    ngx_log_error(NGX_LOG_INFO, flow->session->connection->log, 0,
                  "webrtc: ICE consent expired, handle %uL", flow->handle);

    ngx_stream_webrtc_hangup(flow, "ICE failed");
}


/* the PeerConnection of this flow ends, if this flow still carries it */

void
ngx_stream_webrtc_hangup(ngx_stream_webrtc_flow_t *flow, const char *reason)
{
    ngx_connection_t     *c;
    ngx_webrtc_conf_t    *wcf;
    ngx_webrtc_handle_t  *h;

    if (flow->handle == 0) {
        return;
    }

    c = flow->session->connection;
    wcf = ngx_stream_webrtc_worker->wcf;

    ngx_shmtx_lock(&wcf->shpool->mutex);

    h = ngx_webrtc_handle_lookup_locked(wcf, flow->handle);

    if (h && h->has_pc && h->pc.media_pid == ngx_pid
        && ngx_memcmp(h->pc.ufrag, flow->ufrag, NGX_WEBRTC_ICE_UFRAG_LEN)
           == 0
        && h->pc.socklen == c->socklen
        && ngx_memcmp(h->pc.sockaddr, c->sockaddr, h->pc.socklen) == 0)
    {
        ngx_webrtc_pc_hangup_locked(wcf, h, reason, 1);
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    ngx_webrtc_wake_flush();

    flow->handle = 0;
}
