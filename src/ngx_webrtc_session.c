
/*
 * Janus sessions and handles in the shared zone, the events queued for
 * their clients, and the wake-up of the worker that holds a client's
 * connection.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/rand.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"


#define NGX_WEBRTC_WAKE_MAX   256

/* an expired session whose owner never drains it is freed after this */
#define NGX_WEBRTC_DRAIN_TIME  10000


typedef struct {
    ngx_pid_t                     pid;
    uint64_t                      session;
    uint64_t                      conn;
} ngx_webrtc_wake_t;


static void ngx_webrtc_session_free_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s);
static void ngx_webrtc_wake_add(ngx_webrtc_session_t *s);


void (*ngx_webrtc_deliver)(uint64_t session, uint64_t conn);

static ngx_webrtc_wake_t  ngx_webrtc_wakes[NGX_WEBRTC_WAKE_MAX];
static ngx_uint_t         ngx_webrtc_nwakes;


uint64_t
ngx_webrtc_random_id(void)
{
    uint64_t  id;

    do {
        if (RAND_bytes((u_char *) &id, sizeof(id)) != 1) {
            id = ((uint64_t) ngx_random() << 31) ^ (uint64_t) ngx_random();
        }

        id &= NGX_WEBRTC_ID_MASK;

    } while (id == 0);

    return id;
}


/* the node of a tree keyed by unique 64-bit ids: sessions, handles, ... */

ngx_rbtree_node_t *
ngx_webrtc_rbtree_lookup(ngx_rbtree_t *tree, uint64_t key)
{
    ngx_rbtree_node_t  *node, *sentinel;

    node = tree->root;
    sentinel = tree->sentinel;

    while (node != sentinel) {

        if ((ngx_rbtree_key_t) key < node->key) {
            node = node->left;
            continue;
        }

        if ((ngx_rbtree_key_t) key > node->key) {
            node = node->right;
            continue;
        }

        return node;
    }

    return NULL;
}


ngx_webrtc_session_t *
ngx_webrtc_session_create_locked(ngx_webrtc_conf_t *wcf, uint64_t id)
{
    ngx_webrtc_shm_t      *sh;
    ngx_webrtc_session_t  *s;

    sh = wcf->sh;

    s = ngx_slab_calloc_locked(wcf->shpool, sizeof(ngx_webrtc_session_t));
    if (s == NULL) {
        return NULL;
    }

    if (id == 0) {
        do {
            id = ngx_webrtc_random_id();
        } while (ngx_webrtc_rbtree_lookup(&sh->sessions_tree, id));
    }

    s->node.key = (ngx_rbtree_key_t) id;
    ngx_queue_init(&s->handles);
    s->last_activity = ngx_current_msec;

    ngx_rbtree_insert(&sh->sessions_tree, &s->node);
    ngx_queue_insert_tail(&sh->sessions, &s->queue);
    sh->nsessions++;

    return s;
}


ngx_webrtc_session_t *
ngx_webrtc_session_lookup_locked(ngx_webrtc_conf_t *wcf, uint64_t id)
{
    ngx_webrtc_session_t  *s;

    s = ngx_webrtc_session_find_locked(wcf, id);

    return (s && !s->expired) ? s : NULL;
}


/* also a session that has ended but still has events for its client */

ngx_webrtc_session_t *
ngx_webrtc_session_find_locked(ngx_webrtc_conf_t *wcf, uint64_t id)
{
    return (ngx_webrtc_session_t *)
               ngx_webrtc_rbtree_lookup(&wcf->sh->sessions_tree, id);
}


/*
 * Later requests get 458 at once, but the session stays in the zone
 * while its owner still has events to take (the "timeout" event).
 */

void
ngx_webrtc_session_destroy_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s)
{
    ngx_queue_t          *q;
    ngx_webrtc_handle_t  *h;

    if (s->expired) {
        return;
    }

    while (!ngx_queue_empty(&s->handles)) {
        q = ngx_queue_head(&s->handles);
        h = ngx_queue_data(q, ngx_webrtc_handle_t, queue);
        ngx_webrtc_handle_destroy_locked(wcf, h, 0);
    }

    wcf->sh->nsessions--;

    s->expired = 1;
    s->last_activity = ngx_current_msec;

    if (s->nevents == 0 || s->owner == NGX_WEBRTC_OWNER_NONE) {
        ngx_webrtc_session_free_locked(wcf, s);
    }
}


static void
ngx_webrtc_session_free_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s)
{
    ngx_webrtc_event_t  *ev, *next;

    for (ev = s->events; ev; ev = next) {
        next = ev->next;
        ngx_slab_free_locked(wcf->shpool, ev);
    }

    ngx_rbtree_delete(&wcf->sh->sessions_tree, &s->node);
    ngx_queue_remove(&s->queue);
    ngx_slab_free_locked(wcf->shpool, s);
}


/* a WebSocket closed, or a long-poll ended, and was this session's owner */

void
ngx_webrtc_session_disown_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s, uint64_t conn)
{
    if (s->owner_pid != ngx_pid || s->owner_conn != conn) {
        return;
    }

    s->owner = NGX_WEBRTC_OWNER_NONE;
    s->owner_pid = 0;
    s->owner_conn = 0;

    if (s->expired) {
        ngx_webrtc_session_free_locked(wcf, s);
    }
}


ngx_webrtc_handle_t *
ngx_webrtc_handle_create_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s, ngx_uint_t plugin)
{
    uint64_t              id;
    ngx_webrtc_shm_t     *sh;
    ngx_webrtc_handle_t  *h;

    sh = wcf->sh;

    h = ngx_slab_calloc_locked(wcf->shpool, sizeof(ngx_webrtc_handle_t));
    if (h == NULL) {
        return NULL;
    }

    do {
        id = ngx_webrtc_random_id();
    } while (ngx_webrtc_rbtree_lookup(&sh->handles_tree, id));

    h->node.key = (ngx_rbtree_key_t) id;
    h->session = s;
    h->plugin = plugin;

    ngx_rbtree_insert(&sh->handles_tree, &h->node);
    ngx_queue_insert_tail(&s->handles, &h->queue);
    s->nhandles++;
    sh->nhandles++;

    return h;
}


ngx_webrtc_handle_t *
ngx_webrtc_handle_lookup_locked(ngx_webrtc_conf_t *wcf, uint64_t id)
{
    return (ngx_webrtc_handle_t *)
               ngx_webrtc_rbtree_lookup(&wcf->sh->handles_tree, id);
}


void
ngx_webrtc_handle_destroy_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, ngx_uint_t notify)
{
    ngx_webrtc_plugin_t   *plugin;
    ngx_webrtc_session_t  *s;

    s = h->session;
    plugin = ngx_webrtc_plugins[h->plugin];

    if (h->has_pc && plugin->hangup) {
        plugin->hangup(wcf, h);
    }

    if (plugin->detach) {
        plugin->detach(wcf, h);
    }

    ngx_webrtc_pc_close_locked(wcf, h);

    if (notify) {
        (void) ngx_webrtc_session_push_locked(wcf, s,
                                      ngx_webrtc_handle_event(h, "detached"));
    }

    ngx_rbtree_delete(&wcf->sh->handles_tree, &h->node);
    ngx_queue_remove(&h->queue);
    s->nhandles--;
    wcf->sh->nhandles--;

    ngx_slab_free_locked(wcf->shpool, h);
}


json_t *
ngx_webrtc_handle_event(ngx_webrtc_handle_t *h, const char *janus)
{
    return json_pack("{s:s, s:I, s:I}",
                     "janus", janus,
                     "session_id",
                     (json_int_t) ngx_webrtc_session_id(h->session),
                     "sender", (json_int_t) ngx_webrtc_handle_id(h));
}


ngx_int_t
ngx_webrtc_session_push_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s, json_t *msg)
{
    char                *text;
    size_t               len;
    ngx_webrtc_event_t  *ev, *old;

    if (msg == NULL) {
        return NGX_ERROR;
    }

    text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(msg);

    if (text == NULL) {
        return NGX_ERROR;
    }

    len = ngx_strlen(text);

    /* a client that does not read loses its oldest events, not others' */

    if (s->nevents >= NGX_WEBRTC_MAX_EVENTS) {
        old = s->events;
        s->events = old->next;
        s->nevents--;
        s->dropped++;
        ngx_slab_free_locked(wcf->shpool, old);

        if (s->events == NULL) {
            s->events_last = NULL;
        }
    }

    ev = ngx_slab_alloc_locked(wcf->shpool,
                               offsetof(ngx_webrtc_event_t, data) + len);
    if (ev == NULL) {
        free(text);
        s->dropped++;
        return NGX_ERROR;
    }

    ev->next = NULL;
    ev->len = len;
    ngx_memcpy(ev->data, text, len);
    free(text);

    if (s->events_last) {
        s->events_last->next = ev;

    } else {
        s->events = ev;
    }

    s->events_last = ev;
    s->nevents++;

    if (s->owner != NGX_WEBRTC_OWNER_NONE) {
        ngx_webrtc_wake_add(s);
    }

    return NGX_OK;
}


ngx_uint_t
ngx_webrtc_session_pop_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s, ngx_uint_t max, ngx_str_t *out,
    ngx_pool_t *pool)
{
    ngx_uint_t           n;
    ngx_webrtc_event_t  *ev;

    n = 0;

    while (n < max && s->events) {
        ev = s->events;

        out[n].data = ngx_pnalloc(pool, ev->len);
        if (out[n].data == NULL) {
            break;
        }

        ngx_memcpy(out[n].data, ev->data, ev->len);
        out[n].len = ev->len;
        n++;

        s->events = ev->next;
        s->nevents--;
        ngx_slab_free_locked(wcf->shpool, ev);
    }

    if (s->events == NULL) {
        s->events_last = NULL;

        if (s->expired) {
            /* its last words are out: the session is gone */
            ngx_webrtc_session_free_locked(wcf, s);
        }
    }

    return n;
}


ngx_int_t
ngx_webrtc_plugin_event_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, json_t *transaction, json_t *data, json_t *jsep)
{
    json_t  *ev;

    ev = ngx_webrtc_handle_event(h, "event");

    if (ev == NULL || data == NULL) {
        json_decref(ev);
        json_decref(data);
        json_decref(jsep);
        return NGX_ERROR;
    }

    if (transaction) {
        json_object_set(ev, "transaction", transaction);
    }

    json_object_set_new(ev, "plugindata",
                        json_pack("{s:s, s:o}",
                                  "plugin",
                                  ngx_webrtc_plugins[h->plugin]->package,
                                  "data", data));

    if (jsep) {
        json_object_set_new(ev, "jsep", jsep);
    }

    return ngx_webrtc_session_push_locked(wcf, h->session, ev);
}


static void
ngx_webrtc_wake_add(ngx_webrtc_session_t *s)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_webrtc_nwakes; i++) {
        if (ngx_webrtc_wakes[i].session == ngx_webrtc_session_id(s)) {
            return;
        }
    }

    if (ngx_webrtc_nwakes == NGX_WEBRTC_WAKE_MAX) {
        /* rare: many sessions touched at once; a wake-up is one datagram */
        (void) ngx_webrtc_ipc_send(s->owner_pid, NGX_WEBRTC_IPC_EVENTS,
                                   ngx_webrtc_session_id(s));
        return;
    }

    ngx_webrtc_wakes[ngx_webrtc_nwakes].pid = s->owner_pid;
    ngx_webrtc_wakes[ngx_webrtc_nwakes].session = ngx_webrtc_session_id(s);
    ngx_webrtc_wakes[ngx_webrtc_nwakes].conn = s->owner_conn;
    ngx_webrtc_nwakes++;
}


void
ngx_webrtc_wake_flush(void)
{
    ngx_uint_t          i, n;
    ngx_webrtc_wake_t  *w, wakes[NGX_WEBRTC_WAKE_MAX];

    /*
     * Delivering may queue more, and may even flush again (a WebSocket
     * that closes): work on a copy, and loop.
     */

    while (ngx_webrtc_nwakes) {
        n = ngx_webrtc_nwakes;
        ngx_memcpy(wakes, ngx_webrtc_wakes, n * sizeof(ngx_webrtc_wake_t));
        ngx_webrtc_nwakes = 0;

        for (i = 0; i < n; i++) {
            w = &wakes[i];

            if (w->pid == ngx_pid) {
                if (ngx_webrtc_deliver) {
                    ngx_webrtc_deliver(w->session, w->conn);
                }

            } else {
                (void) ngx_webrtc_ipc_send(w->pid, NGX_WEBRTC_IPC_EVENTS,
                                           w->session);
            }
        }
    }
}


/*
 * Janus's watchdog: an idle session gets "timeout" and its handles
 * "detached", then it is gone.  Any worker may sweep; it is idempotent.
 */

void
ngx_webrtc_sessions_expire_locked(ngx_webrtc_conf_t *wcf)
{
    ngx_msec_t             now;
    ngx_queue_t           *q, *next, *hq;
    ngx_webrtc_handle_t   *h;
    ngx_webrtc_session_t  *s;

    now = ngx_current_msec;

    for (q = ngx_queue_head(&wcf->sh->sessions);
         q != ngx_queue_sentinel(&wcf->sh->sessions);
         q = next)
    {
        next = ngx_queue_next(q);
        s = ngx_queue_data(q, ngx_webrtc_session_t, queue);

        if (s->expired) {
            if ((ngx_msec_int_t) (now - s->last_activity)
                > NGX_WEBRTC_DRAIN_TIME)
            {
                ngx_webrtc_session_free_locked(wcf, s);
            }

            continue;
        }

        if (s->orphaned && (ngx_msec_int_t) (now - s->orphaned)
                           >= (ngx_msec_int_t) wcf->reclaim_session_timeout)
        {
            /* nobody claimed it after its WebSocket closed */
            ngx_webrtc_session_destroy_locked(wcf, s);
            continue;
        }

        if (wcf->session_timeout == 0
            || (ngx_msec_int_t) (now - s->last_activity)
               < (ngx_msec_int_t) wcf->session_timeout)
        {
            continue;
        }

        (void) ngx_webrtc_session_push_locked(wcf, s,
                   json_pack("{s:s, s:I}", "janus", "timeout",
                             "session_id",
                             (json_int_t) ngx_webrtc_session_id(s)));

        for (hq = ngx_queue_head(&s->handles);
             hq != ngx_queue_sentinel(&s->handles);
             hq = ngx_queue_next(hq))
        {
            h = ngx_queue_data(hq, ngx_webrtc_handle_t, queue);
            (void) ngx_webrtc_session_push_locked(wcf, s,
                                      ngx_webrtc_handle_event(h, "detached"));
        }

        ngx_webrtc_session_destroy_locked(wcf, s);
    }
}


/* equal crc32 keys are ordered by the ufrag itself */

void
ngx_webrtc_pc_insert_value(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t    **p;
    ngx_webrtc_handle_t   *h, *t;

    h = ngx_rbtree_data(node, ngx_webrtc_handle_t, pc_node);

    for ( ;; ) {

        t = ngx_rbtree_data(temp, ngx_webrtc_handle_t, pc_node);

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            p = (ngx_memcmp(h->pc.ufrag, t->pc.ufrag,
                            NGX_WEBRTC_ICE_UFRAG_LEN) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* ICE-lite credentials, once per PeerConnection, indexed for the media half */

void
ngx_webrtc_pc_create_locked(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h)
{
    ngx_uint_t     i;
    u_char         rnd[NGX_WEBRTC_ICE_UFRAG_LEN + NGX_WEBRTC_ICE_PWD_LEN];
    static u_char  ice_chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    if (h->has_pc) {
        return;
    }

    do {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            for (i = 0; i < sizeof(rnd); i++) {
                rnd[i] = (u_char) ngx_random();
            }
        }

        for (i = 0; i < NGX_WEBRTC_ICE_UFRAG_LEN; i++) {
            h->pc.ufrag[i] = ice_chars[rnd[i] & 63];
        }

        h->pc.ufrag[NGX_WEBRTC_ICE_UFRAG_LEN] = '\0';

    } while (ngx_webrtc_pc_lookup_locked(wcf, h->pc.ufrag,
                                         NGX_WEBRTC_ICE_UFRAG_LEN));

    for (i = 0; i < NGX_WEBRTC_ICE_PWD_LEN; i++) {
        h->pc.pwd[i] = ice_chars[rnd[NGX_WEBRTC_ICE_UFRAG_LEN + i] & 63];
    }

    h->pc.pwd[NGX_WEBRTC_ICE_PWD_LEN] = '\0';

    h->pc_node.key = ngx_crc32_short(h->pc.ufrag, NGX_WEBRTC_ICE_UFRAG_LEN);
    ngx_rbtree_insert(&wcf->sh->pc_tree, &h->pc_node);

    h->has_pc = 1;
    wcf->sh->npeerconnections++;
}


void
ngx_webrtc_pc_close_locked(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h)
{
    if (!h->has_pc) {
        return;
    }

    ngx_rbtree_delete(&wcf->sh->pc_tree, &h->pc_node);
    ngx_webrtc_pc_set_addr_locked(wcf, h, NULL, 0);

    if (h->pc.out) {
        ngx_slab_free_locked(wcf->shpool, h->pc.out);
    }

    ngx_memzero(&h->pc, sizeof(ngx_webrtc_pc_t));

    /* the media half's routes to it must go */
    wcf->sh->media_generation++;

    h->has_pc = 0;
    wcf->sh->npeerconnections--;

    /* as in Janus, the E2EE flag goes with the PeerConnection */
    h->e2ee = 0;
}


/*
 * A PeerConnection ends and its client hears Janus's "hangup" with the
 * reason.  plugin_hangup is 0 when the plugin itself closes it.
 */

void
ngx_webrtc_pc_hangup_locked(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h,
    const char *reason, ngx_uint_t plugin_hangup)
{
    json_t               *ev;
    ngx_webrtc_plugin_t  *plugin;

    if (!h->has_pc) {
        return;
    }

    plugin = ngx_webrtc_plugins[h->plugin];

    if (plugin_hangup && plugin->hangup) {
        plugin->hangup(wcf, h);
    }

    ngx_webrtc_pc_close_locked(wcf, h);

    ev = ngx_webrtc_handle_event(h, "hangup");

    if (ev) {
        json_object_set_new(ev, "reason", json_string(reason));
    }

    (void) ngx_webrtc_session_push_locked(wcf, h->session, ev);
}


ngx_webrtc_handle_t *
ngx_webrtc_pc_lookup_locked(ngx_webrtc_conf_t *wcf, u_char *ufrag,
    size_t len)
{
    uint32_t              key;
    ngx_int_t             rc;
    ngx_rbtree_node_t    *node, *sentinel;
    ngx_webrtc_handle_t  *h;

    if (len != NGX_WEBRTC_ICE_UFRAG_LEN) {
        return NULL;
    }

    key = ngx_crc32_short(ufrag, len);

    node = wcf->sh->pc_tree.root;
    sentinel = wcf->sh->pc_tree.sentinel;

    while (node != sentinel) {

        if (key < node->key) {
            node = node->left;
            continue;
        }

        if (key > node->key) {
            node = node->right;
            continue;
        }

        h = ngx_rbtree_data(node, ngx_webrtc_handle_t, pc_node);

        rc = ngx_memcmp(ufrag, h->pc.ufrag, len);

        if (rc == 0) {
            return h;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


void
ngx_webrtc_pc_addr_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_int_t              rc;
    ngx_rbtree_node_t    **p;
    ngx_webrtc_handle_t   *h, *t;

    h = ngx_rbtree_data(node, ngx_webrtc_handle_t, addr_node);

    for ( ;; ) {

        t = ngx_rbtree_data(temp, ngx_webrtc_handle_t, addr_node);

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            rc = ngx_memn2cmp(h->pc.sockaddr, t->pc.sockaddr,
                              h->pc.socklen, t->pc.socklen);
            p = (rc < 0) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


void
ngx_webrtc_pc_set_addr_locked(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h,
    struct sockaddr *sa, socklen_t len)
{
    if (h->addr_indexed) {
        ngx_rbtree_delete(&wcf->sh->addr_tree, &h->addr_node);
        h->addr_indexed = 0;
    }

    if (sa == NULL || len > NGX_SOCKADDRLEN) {
        return;
    }

    h->pc.socklen = len;
    ngx_memcpy(h->pc.sockaddr, sa, len);

    h->addr_node.key = ngx_crc32_short(h->pc.sockaddr, len);
    ngx_rbtree_insert(&wcf->sh->addr_tree, &h->addr_node);
    h->addr_indexed = 1;
}


ngx_webrtc_handle_t *
ngx_webrtc_pc_addr_lookup_locked(ngx_webrtc_conf_t *wcf,
    struct sockaddr *sa, socklen_t len)
{
    uint32_t              key;
    ngx_int_t             rc;
    ngx_rbtree_node_t    *node, *sentinel;
    ngx_webrtc_handle_t  *h;

    key = ngx_crc32_short((u_char *) sa, len);

    node = wcf->sh->addr_tree.root;
    sentinel = wcf->sh->addr_tree.sentinel;

    while (node != sentinel) {

        if (key != node->key) {
            node = (key < node->key) ? node->left : node->right;
            continue;
        }

        h = ngx_rbtree_data(node, ngx_webrtc_handle_t, addr_node);

        rc = ngx_memn2cmp((u_char *) sa, h->pc.sockaddr, len,
                          h->pc.socklen);

        if (rc == 0) {
            return h;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


ngx_int_t
ngx_webrtc_pc_save_index_locked(ngx_webrtc_conf_t *wcf, ngx_webrtc_pc_t *pc,
    ngx_uint_t dir, uint32_t ssrc, wr_srtp_index_t *ix)
{
    ngx_uint_t            i, free;
    ngx_webrtc_pc_out_t  *out;

    if (dir == 0) {
        free = NGX_WEBRTC_PC_SSRCS;

        for (i = 0; i < NGX_WEBRTC_PC_SSRCS; i++) {
            if (pc->in_index[i].valid && pc->in_ssrc[i] == ssrc) {
                pc->in_index[i] = *ix;
                return NGX_OK;
            }

            if (!pc->in_index[i].valid && free == NGX_WEBRTC_PC_SSRCS) {
                free = i;
            }
        }

        if (free == NGX_WEBRTC_PC_SSRCS) {
            return NGX_DECLINED;
        }

        pc->in_ssrc[free] = ssrc;
        pc->in_index[free] = *ix;

        return NGX_OK;
    }

    if (pc->out == NULL) {
        pc->out = ngx_slab_calloc_locked(wcf->shpool,
                                         NGX_WEBRTC_PC_OUT_SSRCS
                                         * sizeof(ngx_webrtc_pc_out_t));
        if (pc->out == NULL) {
            return NGX_ERROR;
        }
    }

    out = pc->out;
    free = NGX_WEBRTC_PC_OUT_SSRCS;

    for (i = 0; i < NGX_WEBRTC_PC_OUT_SSRCS; i++) {
        if (out[i].index.valid && out[i].ssrc == ssrc) {
            out[i].index = *ix;
            return NGX_OK;
        }

        if (!out[i].index.valid && free == NGX_WEBRTC_PC_OUT_SSRCS) {
            free = i;
        }
    }

    if (free == NGX_WEBRTC_PC_OUT_SSRCS) {
        /* more than a PeerConnection can be sent: cannot happen */
        return NGX_DECLINED;
    }

    out[free].ssrc = ssrc;
    out[free].index = *ix;

    return NGX_OK;
}
