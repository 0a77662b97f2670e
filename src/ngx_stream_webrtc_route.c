
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


#define NGX_STREAM_WEBRTC_BATCH   64


static ngx_int_t ngx_stream_webrtc_route_build(
    ngx_stream_webrtc_flow_t *flow);
static ngx_stream_webrtc_peer_t *ngx_stream_webrtc_peer_get(uint64_t id,
    ngx_uint_t generation, ngx_webrtc_pc_t *pc);
static void ngx_stream_webrtc_peer_put(ngx_stream_webrtc_peer_t *peer);
static ngx_int_t ngx_stream_webrtc_peer_ssrc(ngx_stream_webrtc_peer_t *peer,
    uint32_t ssrc);
static void ngx_stream_webrtc_send_batch(ngx_connection_t *c,
    ngx_uint_t count);


static ngx_rbtree_t        ngx_stream_webrtc_peers;
static ngx_rbtree_node_t   ngx_stream_webrtc_peers_sentinel;
static ngx_uint_t          ngx_stream_webrtc_peers_ready;

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
    size_t                        clen;
    u_char                       *copy;
    uint8_t                       pt;
    uint32_t                      ssrc;
    ngx_int_t                     slot;
    ngx_uint_t                    i, k, rtx, count;
    ngx_webrtc_shm_t             *sh;
    ngx_connection_t             *c;
    ngx_stream_webrtc_route_t    *route;
    ngx_stream_webrtc_target_t   *t;

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

    c = flow->session->connection;
    count = 0;

    for (k = 0; k < route->ntargets; k++) {
        t = &route->targets[k];
        ssrc = rtx ? t->rtx_ssrc : t->ssrc;

        if (t->peer->srtp == NULL || ssrc == 0) {
            continue;
        }

        slot = ngx_stream_webrtc_peer_ssrc(t->peer, ssrc);

        if (slot < 0) {
            ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_DROPPED, 1);
            continue;
        }

        /* before protecting: a saved index must never lag a used one */
        wr_srtp_index_update(&t->peer->index[slot],
                             ngx_stream_webrtc_seq(pkt));

        copy = (u_char *) ngx_stream_webrtc_copies[count];
        ngx_memcpy(copy, pkt, len);

        /* the subscriber's SSRC and payload type; the payload untouched */

        copy[1] = (u_char) ((copy[1] & 0x80) | (rtx ? t->rtx_pt : t->pt));
        copy[8] = (u_char) (ssrc >> 24);
        copy[9] = (u_char) (ssrc >> 16);
        copy[10] = (u_char) (ssrc >> 8);
        copy[11] = (u_char) ssrc;

        clen = len;

        if (wr_srtp_protect_rtp(t->peer->srtp, copy, &clen,
                                NGX_STREAM_WEBRTC_PKT_MAX)
            != WR_SRTP_OK)
        {
            ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SRTP_DROPPED, 1);
            continue;
        }

        ngx_stream_webrtc_iovs[count].iov_base = copy;
        ngx_stream_webrtc_iovs[count].iov_len = clen;

        ngx_memzero(&ngx_stream_webrtc_msgs[count], sizeof(struct mmsghdr));
        ngx_stream_webrtc_msgs[count].msg_hdr.msg_name = t->peer->sockaddr;
        ngx_stream_webrtc_msgs[count].msg_hdr.msg_namelen = t->peer->socklen;
        ngx_stream_webrtc_msgs[count].msg_hdr.msg_iov =
                                               &ngx_stream_webrtc_iovs[count];
        ngx_stream_webrtc_msgs[count].msg_hdr.msg_iovlen = 1;

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
 * moves the media generation, and the route is built again.
 */

static ngx_int_t
ngx_stream_webrtc_route_build(ngx_stream_webrtc_flow_t *flow)
{
    size_t                        size;
    ngx_uint_t                    i, n, nt;
    ngx_queue_t                  *q;
    ngx_webrtc_shm_t             *sh;
    ngx_webrtc_conf_t            *wcf;
    ngx_webrtc_handle_t          *h, *sh_h;
    ngx_webrtc_vr_pub_t          *pub;
    ngx_webrtc_vr_pstream_t      *ps;
    ngx_webrtc_vr_sstream_t      *ss;
    ngx_stream_webrtc_route_t    *routes;
    ngx_stream_webrtc_target_t   *t;

    wcf = ngx_stream_webrtc_worker->wcf;
    sh = wcf->sh;

    ngx_stream_webrtc_route_free(flow);

    if (!ngx_stream_webrtc_peers_ready) {
        ngx_rbtree_init(&ngx_stream_webrtc_peers,
                        &ngx_stream_webrtc_peers_sentinel,
                        ngx_rbtree_insert_value);
        ngx_stream_webrtc_peers_ready = 1;
    }

    ngx_shmtx_lock(&wcf->shpool->mutex);

    flow->route_rooms = sh->rooms_generation;
    flow->route_media = sh->media_generation;

    h = ngx_webrtc_handle_lookup_locked(wcf, flow->handle);
    pub = h ? h->plugin_data : NULL;

    if (pub == NULL || pub->type != NGX_WEBRTC_VR_PUBLISHER
        || pub->nstreams == 0)
    {
        ngx_shmtx_unlock(&wcf->shpool->mutex);
        return NGX_OK;
    }

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

    n = 0;

    for (i = 0; i < pub->nstreams; i++) {
        ps = pub->streams[i];

        if (ps == NULL || ps->disabled) {
            continue;
        }

        routes[n].pt = ps->pt;
        routes[n].rtx_pt = ps->rtx_pt;
        routes[n].targets = t;

        for (q = ngx_queue_head(&ps->subs);
             q != ngx_queue_sentinel(&ps->subs);
             q = ngx_queue_next(q))
        {
            ss = ngx_queue_data(q, ngx_webrtc_vr_sstream_t, pqueue);
            sh_h = ss->sub->handle;

            if (!ss->send || ss->sub->paused || sh_h == NULL
                || !sh_h->has_pc || !sh_h->pc.dtls_connected)
            {
                continue;
            }

            t->peer = ngx_stream_webrtc_peer_get(ngx_webrtc_handle_id(sh_h),
                                                 sh_h->pc.media_generation,
                                                 &sh_h->pc);
            if (t->peer == NULL) {
                continue;
            }

            t->ssrc = ss->ssrc;
            t->rtx_ssrc = ss->rtx_pt ? ss->rtx_ssrc : 0;
            t->pt = ss->pt;
            t->rtx_pt = ss->rtx_pt;

            t++;
            routes[n].ntargets++;
        }

        n++;
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    flow->routes = routes;
    flow->nroutes = n;

    return NGX_OK;
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
    ngx_uint_t                 i;
    ngx_rbtree_node_t         *node, *sentinel;
    ngx_stream_webrtc_peer_t  *peer;

    node = ngx_stream_webrtc_peers.root;
    sentinel = ngx_stream_webrtc_peers.sentinel;
    peer = NULL;

    while (node != sentinel) {
        if ((ngx_rbtree_key_t) id < node->key) {
            node = node->left;

        } else if ((ngx_rbtree_key_t) id > node->key) {
            node = node->right;

        } else {
            peer = (ngx_stream_webrtc_peer_t *) node;
            break;
        }
    }

    if (peer && peer->generation != generation) {
        /* new address or keys: start over with a fresh context */
        if (peer->srtp) {
            wr_srtp_free(peer->srtp);
            peer->srtp = NULL;
        }

        peer->nssrcs = 0;
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
        peer->socklen = pc->socklen;
        ngx_memcpy(peer->sockaddr, pc->sockaddr, pc->socklen);

        /* streams another worker sent before: go on from where they were */

        for (i = 0; peer->srtp && i < NGX_WEBRTC_PC_SSRCS; i++) {
            if (pc->out_index[i].valid
                && peer->nssrcs < NGX_STREAM_WEBRTC_PEER_SSRCS
                && wr_srtp_add_stream(peer->srtp, pc->out_ssrc[i],
                                      &pc->out_index[i])
                   == WR_SRTP_OK)
            {
                peer->ssrcs[peer->nssrcs] = pc->out_ssrc[i];
                peer->index[peer->nssrcs] = pc->out_index[i];
                peer->nssrcs++;
            }
        }
    }

    peer->refs++;

    return peer;
}


static void
ngx_stream_webrtc_peer_put(ngx_stream_webrtc_peer_t *peer)
{
    if (--peer->refs) {
        return;
    }

    ngx_rbtree_delete(&ngx_stream_webrtc_peers, &peer->node);

    if (peer->srtp) {
        wr_srtp_free(peer->srtp);
    }

    ngx_free(peer);
}


/* each outgoing SSRC is set up once, on its first packet: its slot */

static ngx_int_t
ngx_stream_webrtc_peer_ssrc(ngx_stream_webrtc_peer_t *peer, uint32_t ssrc)
{
    ngx_uint_t  i;

    for (i = 0; i < peer->nssrcs; i++) {
        if (peer->ssrcs[i] == ssrc) {
            return i;
        }
    }

    if (peer->nssrcs == NGX_STREAM_WEBRTC_PEER_SSRCS) {
        return -1;
    }

    if (wr_srtp_add_stream(peer->srtp, ssrc, NULL) != WR_SRTP_OK) {
        return -1;
    }

    peer->ssrcs[peer->nssrcs] = ssrc;
    ngx_memzero(&peer->index[peer->nssrcs], sizeof(wr_srtp_index_t));

    return peer->nssrcs++;
}


/* called with the zone locked: the subscribers' streams, as sent from here */

void
ngx_stream_webrtc_route_save(ngx_stream_webrtc_flow_t *flow)
{
    ngx_uint_t                 i, k, n;
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
                if (peer->index[n].valid) {
                    ngx_webrtc_pc_save_index_locked(&h->pc, 1,
                                                    peer->ssrcs[n],
                                                    &peer->index[n]);
                }
            }
        }
    }
}
