
/*
 * The Janus API over HTTP: POST /janus[/<session>[/<handle>]] for
 * requests, GET /janus/<session> for the long-poll, CORS as Janus does
 * it, and the hand-over to the WebSocket transport on an upgrade.  Also
 * this worker's registry of the sessions whose events it delivers.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_webrtc.h"


#define NGX_HTTP_WEBRTC_POLL_TIMEOUT   30000
#define NGX_HTTP_WEBRTC_POLL_MAXEV     64
#define NGX_HTTP_WEBRTC_SWEEP          1000


typedef struct {
    ngx_http_request_t           *request;
    ngx_http_webrtc_link_t        link;
    ngx_event_t                   timer;
    ngx_uint_t                    maxev;
    unsigned                      linked:1;
    unsigned                      done:1;
} ngx_http_webrtc_poll_t;


static ngx_int_t ngx_http_webrtc_parse_path(ngx_http_request_t *r,
    uint64_t *session, uint64_t *handle, ngx_str_t *word);
static void ngx_http_webrtc_post_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_webrtc_long_poll(ngx_http_request_t *r,
    uint64_t session);
static void ngx_http_webrtc_poll_deliver(ngx_http_webrtc_link_t *link);
static void ngx_http_webrtc_poll_timeout(ngx_event_t *ev);
static void ngx_http_webrtc_poll_cleanup(void *data);
static void ngx_http_webrtc_poll_finish(ngx_http_webrtc_poll_t *poll,
    ngx_str_t *events, ngx_uint_t n);
static ngx_int_t ngx_http_webrtc_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *body);
static ngx_int_t ngx_http_webrtc_send_json(ngx_http_request_t *r,
    json_t *json);
static ngx_int_t ngx_http_webrtc_cors(ngx_http_request_t *r,
    ngx_uint_t preflight);
static void ngx_http_webrtc_deliver(uint64_t session, uint64_t conn);
static void ngx_http_webrtc_ipc_events(ngx_webrtc_ipc_msg_t *msg);
static void ngx_http_webrtc_sweep(ngx_event_t *ev);


static ngx_rbtree_t        ngx_http_webrtc_links;
static ngx_rbtree_node_t   ngx_http_webrtc_links_sentinel;
static uint64_t            ngx_http_webrtc_conn_serial;
static ngx_event_t         ngx_http_webrtc_sweep_ev;
static ngx_connection_t    ngx_http_webrtc_sweep_conn;


ngx_int_t
ngx_http_webrtc_signaling_init_process(ngx_cycle_t *cycle)
{
    ngx_webrtc_conf_t  *wcf;

    ngx_rbtree_init(&ngx_http_webrtc_links, &ngx_http_webrtc_links_sentinel,
                    ngx_rbtree_insert_value);

    wcf = ngx_webrtc_get_conf(cycle);

    if (wcf == NULL || wcf->shm_zone == NULL
        || wcf->signaling_pos.line == 0)
    {
        return NGX_OK;
    }

    if (ngx_webrtc_ipc_init_process(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_webrtc_deliver = ngx_http_webrtc_deliver;
    ngx_webrtc_ipc_set_handler(NGX_WEBRTC_IPC_EVENTS,
                               ngx_http_webrtc_ipc_events);

    /* Janus's session watchdog; any worker may run it */

    ngx_http_webrtc_sweep_conn.fd = (ngx_socket_t) -1;
    ngx_http_webrtc_sweep_ev.handler = ngx_http_webrtc_sweep;
    ngx_http_webrtc_sweep_ev.data = &ngx_http_webrtc_sweep_conn;
    ngx_http_webrtc_sweep_ev.log = cycle->log;
    ngx_http_webrtc_sweep_ev.cancelable = 1;

    ngx_add_timer(&ngx_http_webrtc_sweep_ev, NGX_HTTP_WEBRTC_SWEEP);

    return NGX_OK;
}


void
ngx_http_webrtc_signaling_exit_process(ngx_cycle_t *cycle)
{
    ngx_webrtc_ipc_exit_process(cycle);
}


static void
ngx_http_webrtc_sweep(ngx_event_t *ev)
{
    ngx_webrtc_conf_t  *wcf;

    wcf = ngx_webrtc_get_conf(ngx_cycle);

    ngx_shmtx_lock(&wcf->shpool->mutex);
    ngx_webrtc_sessions_expire_locked(wcf);
    ngx_shmtx_unlock(&wcf->shpool->mutex);

    ngx_webrtc_wake_flush();

    if (!ngx_exiting) {
        ngx_add_timer(ev, NGX_HTTP_WEBRTC_SWEEP);
    }
}


uint64_t
ngx_http_webrtc_next_conn(void)
{
    return ++ngx_http_webrtc_conn_serial;
}


void
ngx_http_webrtc_link_add(ngx_http_webrtc_link_t *link)
{
    ngx_rbtree_insert(&ngx_http_webrtc_links, &link->node);
}


void
ngx_http_webrtc_link_remove(ngx_http_webrtc_link_t *link)
{
    ngx_rbtree_delete(&ngx_http_webrtc_links, &link->node);
}


ngx_http_webrtc_link_t *
ngx_http_webrtc_link_find(uint64_t session)
{
    return (ngx_http_webrtc_link_t *)
               ngx_webrtc_rbtree_lookup(&ngx_http_webrtc_links, session);
}


static void
ngx_http_webrtc_deliver(uint64_t session, uint64_t conn)
{
    ngx_http_webrtc_link_t  *link;

    link = ngx_http_webrtc_link_find(session);

    if (link && (conn == 0 || link->conn == conn)) {
        link->deliver(link);
    }
}


/* another worker queued events for a session whose client is here */

static void
ngx_http_webrtc_ipc_events(ngx_webrtc_ipc_msg_t *msg)
{
    ngx_http_webrtc_deliver(msg->arg, 0);
}


ngx_int_t
ngx_http_webrtc_signaling_handler(ngx_http_request_t *r)
{
    json_t                  *reply;
    uint64_t                 session, handle;
    ngx_int_t                rc;
    ngx_str_t                word, location;
    ngx_webrtc_conf_t       *wcf;
    ngx_webrtc_janus_req_t   req;

    static u_char  info[] = "{\"janus\":\"info\",\"transaction\":\"info\"}";
    static u_char  ping[] = "{\"janus\":\"ping\",\"transaction\":\"ping\"}";

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SIGNALING_REQUESTS, 1);

    if (r->method == NGX_HTTP_OPTIONS) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_http_webrtc_cors(r, 1) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_null(&word);
        return ngx_http_webrtc_send(r, NGX_HTTP_OK, &word);
    }

    if (ngx_http_webrtc_parse_path(r, &session, &handle, &word) != NGX_OK) {
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SIGNALING_ERRORS, 1);
        return NGX_HTTP_NOT_FOUND;
    }

    if (r->method == NGX_HTTP_GET && ngx_http_webrtc_ws_requested(r)) {
        return ngx_http_webrtc_ws_handler(r);
    }

    if (ngx_http_webrtc_cors(r, 0) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method == NGX_HTTP_POST) {
        if (word.len) {
            return NGX_HTTP_NOT_FOUND;
        }

        rc = ngx_http_read_client_request_body(r, ngx_http_webrtc_post_body);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    if (r->method != NGX_HTTP_GET && r->method != NGX_HTTP_HEAD) {
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SIGNALING_ERRORS, 1);
        return NGX_HTTP_FORBIDDEN;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    wcf = ngx_webrtc_get_conf(ngx_cycle);

    /* GET /janus/info and GET /janus/ping: the requests without a body */

    if (word.len) {
        ngx_memzero(&req, sizeof(ngx_webrtc_janus_req_t));
        req.wcf = wcf;
        req.log = r->connection->log;
        req.http = 1;

        if (word.len == 4 && ngx_strncmp(word.data, "info", 4) == 0) {
            reply = ngx_webrtc_janus_handle(&req, info, sizeof(info) - 1);

        } else if (word.len == 4 && ngx_strncmp(word.data, "ping", 4) == 0) {
            reply = ngx_webrtc_janus_handle(&req, ping, sizeof(ping) - 1);

        } else {
            return NGX_HTTP_NOT_FOUND;
        }

        return ngx_http_webrtc_send_json(r, reply);
    }

    if (session == 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    if (handle) {
        /* as Janus: a GET on a handle polls its session */
        location.len = r->uri.len;
        location.data = r->uri.data;

        while (location.len && location.data[location.len - 1] != '/') {
            location.len--;
        }

        if (location.len) {
            location.len--;
        }

        r->headers_out.location = ngx_list_push(&r->headers_out.headers);
        if (r->headers_out.location == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.location->hash = 1;
        ngx_str_set(&r->headers_out.location->key, "Location");
        r->headers_out.location->value = location;

        return NGX_HTTP_MOVED_TEMPORARILY;
    }

    return ngx_http_webrtc_long_poll(r, session);
}


/*
 * What follows the location: nothing, "<session>", "<session>/<handle>",
 * or one word ("info", "ping").
 */

static ngx_int_t
ngx_http_webrtc_parse_path(ngx_http_request_t *r, uint64_t *session,
    uint64_t *handle, ngx_str_t *word)
{
    u_char                    *p, *last, *start;
    uint64_t                   id, ids[2];
    ngx_uint_t                 n;
    ngx_http_core_loc_conf_t  *clcf;

    *session = 0;
    *handle = 0;
    ngx_str_null(word);

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    p = r->uri.data;
    last = r->uri.data + r->uri.len;

#if (NGX_PCRE)
    if (clcf->regex == NULL)
#endif
    {
        if (r->uri.len >= clcf->name.len
            && ngx_strncmp(p, clcf->name.data, clcf->name.len) == 0)
        {
            p += clcf->name.len;
        }
    }

    n = 0;

    while (p < last) {

        while (p < last && *p == '/') {
            p++;
        }

        if (p == last) {
            break;
        }

        start = p;
        id = 0;

        while (p < last && *p != '/') {
            if (*p >= '0' && *p <= '9' && id <= NGX_WEBRTC_ID_MASK) {
                id = id * 10 + (*p - '0');

            } else {
                id = (uint64_t) -1;
            }

            p++;
        }

        if (n == 2) {
            return NGX_ERROR;
        }

        if (id == (uint64_t) -1 || id > NGX_WEBRTC_ID_MASK || id == 0) {
            if (n != 0 || p != last) {
                return NGX_ERROR;
            }

            word->data = start;
            word->len = p - start;
            return NGX_OK;
        }

        ids[n++] = id;
    }

    if (n > 0) {
        *session = ids[0];
    }

    if (n > 1) {
        *handle = ids[1];
    }

    return NGX_OK;
}


static void
ngx_http_webrtc_post_body(ngx_http_request_t *r)
{
    u_char                  *data, *p;
    size_t                   len;
    json_t                  *reply;
    ngx_str_t                word;
    ngx_buf_t               *b;
    ngx_chain_t             *cl;
    ngx_webrtc_conf_t       *wcf;
    ngx_webrtc_janus_req_t   req;

    wcf = ngx_webrtc_get_conf(ngx_cycle);

    if (r->request_body == NULL || r->request_body->temp_file) {
        /* larger than client_body_buffer_size: too large for us too */
        reply = ngx_webrtc_janus_error(NULL, 0,
                                  NGX_WEBRTC_JANUS_ERROR_TRANSPORT_SPECIFIC,
                                  "Message too large (more than the client "
                                  "body buffer)");
        ngx_http_finalize_request(r, ngx_http_webrtc_send_json(r, reply));
        return;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > wcf->max_message_size) {
        reply = ngx_webrtc_janus_error(NULL, 0,
                                  NGX_WEBRTC_JANUS_ERROR_TRANSPORT_SPECIFIC,
                                  "Message too large (max_message_size %uz)",
                                  wcf->max_message_size);
        ngx_http_finalize_request(r, ngx_http_webrtc_send_json(r, reply));
        return;
    }

    data = ngx_pnalloc(r->pool, len + 1);
    if (data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = data;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    ngx_memzero(&req, sizeof(ngx_webrtc_janus_req_t));
    req.wcf = wcf;
    req.log = r->connection->log;
    req.http = 1;

    if (ngx_http_webrtc_parse_path(r, &req.path_session, &req.path_handle,
                                   &word)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_NOT_FOUND);
        return;
    }

    reply = ngx_webrtc_janus_handle(&req, data, len);

    ngx_http_finalize_request(r, ngx_http_webrtc_send_json(r, reply));
}


static ngx_int_t
ngx_http_webrtc_long_poll(ngx_http_request_t *r, uint64_t session)
{
    ngx_int_t                n;
    ngx_str_t                arg, *events;
    ngx_uint_t               maxev;
    ngx_webrtc_conf_t       *wcf;
    ngx_http_cleanup_t      *cln;
    ngx_webrtc_session_t    *s;
    ngx_http_webrtc_link_t  *old;
    ngx_http_webrtc_poll_t  *poll;

    wcf = ngx_webrtc_get_conf(ngx_cycle);

    maxev = 1;

    if (ngx_http_arg(r, (u_char *) "maxev", 5, &arg) == NGX_OK) {
        n = ngx_atoi(arg.data, arg.len);

        if (n > 0) {
            maxev = ngx_min((ngx_uint_t) n, NGX_HTTP_WEBRTC_POLL_MAXEV);
        }
    }

    poll = ngx_pcalloc(r->pool, sizeof(ngx_http_webrtc_poll_t));
    events = ngx_palloc(r->pool, maxev * sizeof(ngx_str_t));

    if (poll == NULL || events == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    poll->request = r;
    poll->maxev = maxev;
    poll->link.node.key = (ngx_rbtree_key_t) session;
    poll->link.conn = ngx_http_webrtc_next_conn();
    poll->link.deliver = ngx_http_webrtc_poll_deliver;
    poll->link.data = poll;

    ngx_shmtx_lock(&wcf->shpool->mutex);

    s = ngx_webrtc_session_lookup_locked(wcf, session);

    if (s == NULL) {
        ngx_shmtx_unlock(&wcf->shpool->mutex);
        return NGX_HTTP_NOT_FOUND;
    }

    s->last_activity = ngx_current_msec;

    if (s->events) {
        n = ngx_webrtc_session_pop_locked(wcf, s, maxev, events, r->pool);
        ngx_shmtx_unlock(&wcf->shpool->mutex);

        r->main->count++;
        ngx_http_webrtc_poll_finish(poll, events, n);
        return NGX_DONE;
    }

    if (s->owner == NGX_WEBRTC_OWNER_WS) {
        /* a WebSocket's session: its events go there, not here */
        ngx_shmtx_unlock(&wcf->shpool->mutex);
        return NGX_HTTP_NOT_FOUND;
    }

    s->owner = NGX_WEBRTC_OWNER_POLL;
    s->owner_pid = ngx_pid;
    s->owner_conn = poll->link.conn;

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    /* a newer poll of the same session replaces an older one here */

    old = ngx_http_webrtc_link_find(session);

    if (old) {
        ngx_http_webrtc_poll_finish(old->data, NULL, 0);
    }

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_webrtc_poll_cleanup;
    cln->data = poll;

    ngx_http_webrtc_link_add(&poll->link);
    poll->linked = 1;

    poll->timer.handler = ngx_http_webrtc_poll_timeout;
    poll->timer.data = poll;
    poll->timer.log = r->connection->log;
    ngx_add_timer(&poll->timer, NGX_HTTP_WEBRTC_POLL_TIMEOUT);

    /* notice a client that goes away while it waits */
    r->read_event_handler = ngx_http_test_reading;

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_webrtc_poll_deliver(ngx_http_webrtc_link_t *link)
{
    ngx_uint_t               n;
    ngx_str_t               *events;
    ngx_webrtc_conf_t       *wcf;
    ngx_webrtc_session_t    *s;
    ngx_http_webrtc_poll_t  *poll;

    poll = link->data;

    if (poll->done) {
        return;
    }

    wcf = ngx_webrtc_get_conf(ngx_cycle);

    events = ngx_palloc(poll->request->pool,
                        poll->maxev * sizeof(ngx_str_t));
    if (events == NULL) {
        return;
    }

    n = 0;

    ngx_shmtx_lock(&wcf->shpool->mutex);

    s = ngx_webrtc_session_find_locked(wcf, link->node.key);

    if (s && s->owner_pid == ngx_pid && s->owner_conn == link->conn) {
        n = ngx_webrtc_session_pop_locked(wcf, s, poll->maxev, events,
                                          poll->request->pool);
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);

    if (n) {
        ngx_http_webrtc_poll_finish(poll, events, n);
    }
}


static void
ngx_http_webrtc_poll_timeout(ngx_event_t *ev)
{
    ngx_http_webrtc_poll_finish(ev->data, NULL, 0);
}


/* the request ends, however it ends: this poll no longer owns events */

static void
ngx_http_webrtc_poll_cleanup(void *data)
{
    ngx_http_webrtc_poll_t  *poll = data;

    ngx_webrtc_conf_t     *wcf;
    ngx_webrtc_session_t  *s;

    if (poll->timer.timer_set) {
        ngx_del_timer(&poll->timer);
    }

    if (!poll->linked) {
        return;
    }

    ngx_http_webrtc_link_remove(&poll->link);
    poll->linked = 0;

    wcf = ngx_webrtc_get_conf(ngx_cycle);

    ngx_shmtx_lock(&wcf->shpool->mutex);

    s = ngx_webrtc_session_find_locked(wcf, poll->link.node.key);

    if (s) {
        ngx_webrtc_session_disown_locked(wcf, s, poll->link.conn);
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);
}


/* events as an array when maxev > 1, as janus.js expects; else one */

static void
ngx_http_webrtc_poll_finish(ngx_http_webrtc_poll_t *poll, ngx_str_t *events,
    ngx_uint_t n)
{
    u_char              *p;
    size_t               len;
    ngx_int_t            rc;
    ngx_str_t            body;
    ngx_uint_t           i;
    ngx_http_request_t  *r;

    static u_char  keepalive[] = "{\"janus\":\"keepalive\"}";

    if (poll->done) {
        return;
    }

    poll->done = 1;
    r = poll->request;

    ngx_http_webrtc_poll_cleanup(poll);

    if (n == 0) {
        body.data = keepalive;
        body.len = sizeof(keepalive) - 1;

    } else if (poll->maxev == 1) {
        body = events[0];

    } else {
        len = 2;

        for (i = 0; i < n; i++) {
            len += events[i].len + 1;
        }

        body.data = ngx_pnalloc(r->pool, len);
        if (body.data == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        p = body.data;
        *p++ = '[';

        for (i = 0; i < n; i++) {
            if (i) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, events[i].data, events[i].len);
        }

        *p++ = ']';
        body.len = p - body.data;
    }

    r->read_event_handler = ngx_http_block_reading;

    rc = ngx_http_webrtc_send(r, NGX_HTTP_OK, &body);

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_webrtc_send_json(ngx_http_request_t *r, json_t *json)
{
    char       *text;
    ngx_str_t   body;

    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (json_is_object(json)
        && ngx_strcmp(json_string_value(json_object_get(json, "janus")),
                      "error") == 0)
    {
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SIGNALING_ERRORS, 1);
    }

    text = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(json);

    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.len = ngx_strlen(text);
    body.data = ngx_pnalloc(r->pool, body.len);

    if (body.data == NULL) {
        free(text);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(body.data, text, body.len);
    free(text);

    return ngx_http_webrtc_send(r, NGX_HTTP_OK, &body);
}


/* every answer is 200 with JSON, API errors included, as Janus does */

static ngx_int_t
ngx_http_webrtc_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = body->len;

    if (body->len) {
        ngx_str_set(&r->headers_out.content_type, "application/json");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
    }

    if (body->len == 0 || r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_webrtc_cors(ngx_http_request_t *r, ngx_uint_t preflight)
{
    ngx_table_elt_t  *h, *in;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Access-Control-Allow-Origin");
    ngx_str_set(&h->value, "*");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Access-Control-Max-Age");
    ngx_str_set(&h->value, "86400");

    if (!preflight) {
        return NGX_OK;
    }

    in = ngx_http_webrtc_header_in(r, "Access-Control-Request-Method", 29);

    if (in) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Access-Control-Allow-Methods");
        h->value = in->value;
    }

    in = ngx_http_webrtc_header_in(r, "Access-Control-Request-Headers", 30);

    if (in) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Access-Control-Allow-Headers");
        h->value = in->value;
    }

    return NGX_OK;
}


ngx_table_elt_t *
ngx_http_webrtc_header_in(ngx_http_request_t *r, const char *name,
    size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}
