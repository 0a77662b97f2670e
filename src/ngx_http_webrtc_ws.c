
/*
 * The Janus API over WebSocket (subprotocol "janus-protocol").  The HTTP
 * request is taken over after the 101 answer; frames are read with the
 * nginx-free parser in src/proto/wr_ws.c and written from a bounded
 * queue, so a client that does not read is closed, not allowed to grow
 * a worker without limit.  Sessions created or claimed on a WebSocket
 * are its own: their events come here, and they end when it closes
 * (unless reclaim_session_timeout keeps them for a "claim").
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_webrtc.h"
#include "wr_ws.h"


#define NGX_HTTP_WEBRTC_WS_PROTOCOL     "janus-protocol"
#define NGX_HTTP_WEBRTC_WS_READ         16384
#define NGX_HTTP_WEBRTC_WS_QUEUE_MAX    (4 * 1024 * 1024)
#define NGX_HTTP_WEBRTC_WS_IDLE         120000
#define NGX_HTTP_WEBRTC_WS_CLOSE_WAIT   5000
#define NGX_HTTP_WEBRTC_WS_EVENTS       64


typedef struct ngx_http_webrtc_frame_s  ngx_http_webrtc_frame_t;

struct ngx_http_webrtc_frame_s {
    ngx_http_webrtc_frame_t      *next;
    size_t                        len;
    size_t                        sent;
    u_char                        data[1];
};


typedef struct {
    ngx_http_request_t           *request;
    uint64_t                      conn;

    wr_ws_parser_t                parser;
    u_char                       *msg;
    u_char                       *in;

    ngx_http_webrtc_frame_t      *out;
    ngx_http_webrtc_frame_t      *out_last;
    size_t                        queued;

    ngx_http_webrtc_link_t       *links;

    ngx_event_t                   idle;

    unsigned                      in_request:1;
    unsigned                      pending:1;
    unsigned                      closing:1;   /* our close frame queued */
    unsigned                      failed:1;    /* the connection broke */
    unsigned                      closed:1;    /* finalized */
} ngx_http_webrtc_ws_t;


static void ngx_http_webrtc_ws_read(ngx_http_request_t *r);
static void ngx_http_webrtc_ws_write(ngx_http_request_t *r);
static ngx_int_t ngx_http_webrtc_ws_input(ngx_http_webrtc_ws_t *ws,
    u_char *data, size_t len);
static void ngx_http_webrtc_ws_message(ngx_http_webrtc_ws_t *ws,
    wr_ws_message_t *msg);
static ngx_int_t ngx_http_webrtc_ws_queue(ngx_http_webrtc_ws_t *ws,
    unsigned opcode, u_char *data, size_t len);
static ngx_int_t ngx_http_webrtc_ws_flush(ngx_http_webrtc_ws_t *ws);
static void ngx_http_webrtc_ws_close(ngx_http_webrtc_ws_t *ws,
    unsigned code, const char *reason);
static void ngx_http_webrtc_ws_deliver(ngx_http_webrtc_link_t *link);
static void ngx_http_webrtc_ws_drain(ngx_http_webrtc_ws_t *ws);
static void ngx_http_webrtc_ws_own(ngx_http_webrtc_ws_t *ws,
    uint64_t session);
static void ngx_http_webrtc_ws_disown(ngx_http_webrtc_ws_t *ws,
    uint64_t session, ngx_uint_t destroy);
static void ngx_http_webrtc_ws_idle(ngx_event_t *ev);
static void ngx_http_webrtc_ws_finish(ngx_http_webrtc_ws_t *ws);
static void ngx_http_webrtc_ws_cleanup(void *data);


ngx_uint_t
ngx_http_webrtc_ws_requested(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = r->headers_in.upgrade;

    return h != NULL
           && wr_ws_header_has_token((char *) h->value.data, h->value.len,
                                     "websocket", 9);
}


ngx_int_t
ngx_http_webrtc_ws_handler(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    ngx_uint_t             offered;
    ngx_table_elt_t       *h, *key, *version;
    ngx_list_part_t       *part;
    ngx_connection_t      *c;
    ngx_webrtc_conf_t     *wcf;
    ngx_http_cleanup_t    *cln;
    ngx_http_webrtc_ws_t  *ws;
    char                   accept[WR_WS_ACCEPT_LEN + 1];
    ngx_uint_t             i;

    c = r->connection;
    wcf = ngx_webrtc_get_conf(ngx_cycle);

    if (r != r->main || r->http_version != NGX_HTTP_VERSION_11
#if (NGX_HTTP_V2)
        || r->stream
#endif
        )
    {
        return NGX_HTTP_BAD_REQUEST;
    }

    h = ngx_http_webrtc_header_in(r, "Connection", 10);

    if (h == NULL
        || !wr_ws_header_has_token((char *) h->value.data, h->value.len,
                                   "upgrade", 7))
    {
        return NGX_HTTP_BAD_REQUEST;
    }

    version = ngx_http_webrtc_header_in(r, "Sec-WebSocket-Version", 21);

    if (version == NULL
        || !wr_ws_version_ok((char *) version->value.data,
                             version->value.len))
    {
        /* RFC 6455 4.4: say which version this server speaks */
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Sec-WebSocket-Version");
        ngx_str_set(&h->value, "13");

        return 426;
    }

    key = ngx_http_webrtc_header_in(r, "Sec-WebSocket-Key", 17);

    if (key == NULL
        || wr_ws_accept((char *) key->value.data, key->value.len, accept)
           != 0)
    {
        return NGX_HTTP_BAD_REQUEST;
    }

    /* janus-protocol is mandatory, as in Janus; it may be one of several */

    offered = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == 22
            && ngx_strncasecmp(h[i].key.data,
                               (u_char *) "Sec-WebSocket-Protocol", 22) == 0
            && wr_ws_protocol_offered((char *) h[i].value.data,
                                      h[i].value.len,
                                      NGX_HTTP_WEBRTC_WS_PROTOCOL,
                                      sizeof(NGX_HTTP_WEBRTC_WS_PROTOCOL) - 1))
        {
            offered = 1;
        }
    }

    if (!offered) {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "webrtc: WebSocket without the \"janus-protocol\" "
                      "subprotocol refused");
        return NGX_HTTP_BAD_REQUEST;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ws = ngx_pcalloc(r->pool, sizeof(ngx_http_webrtc_ws_t));
    if (ws == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ws->request = r;
    ws->conn = ngx_http_webrtc_next_conn();
    ws->msg = ngx_palloc(r->pool, wcf->max_message_size);
    ws->in = ngx_palloc(r->pool, NGX_HTTP_WEBRTC_WS_READ);

    if (ws->msg == NULL || ws->in == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    wr_ws_parser_init(&ws->parser, ws->msg, wcf->max_message_size,
                      WR_WS_SERVER);

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_webrtc_ws_cleanup;
    cln->data = ws;

    r->headers_out.status = NGX_HTTP_SWITCHING_PROTOCOLS;
    ngx_str_set(&r->headers_out.status_line, "101 Switching Protocols");
    r->headers_out.content_length_n = -1;
    r->keepalive = 0;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Upgrade");
    ngx_str_set(&h->value, "websocket");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Sec-WebSocket-Accept");
    h->value.len = WR_WS_ACCEPT_LEN;
    h->value.data = ngx_pnalloc(r->pool, WR_WS_ACCEPT_LEN);
    if (h->value.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(h->value.data, accept, WR_WS_ACCEPT_LEN);

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Sec-WebSocket-Protocol");
    ngx_str_set(&h->value, NGX_HTTP_WEBRTC_WS_PROTOCOL);

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    if (ngx_http_send_special(r, NGX_HTTP_FLUSH) == NGX_ERROR) {
        return NGX_ERROR;
    }

    r->read_event_handler = ngx_http_webrtc_ws_read;
    r->write_event_handler = ngx_http_webrtc_ws_write;

    /* an "ack" and its event are two small writes: do not hold the second */
    if (ngx_tcp_nodelay(c) != NGX_OK) {
        return NGX_ERROR;
    }

    ws->idle.handler = ngx_http_webrtc_ws_idle;
    ws->idle.data = ws;
    ws->idle.log = c->log;
    ngx_add_timer(&ws->idle, NGX_HTTP_WEBRTC_WS_IDLE);

    r->main->count++;

    /*
     * Read once the handler has returned: a first frame may have come
     * with the handshake, and handling it may end the request.
     */
    ngx_post_event(c->read, &ngx_posted_events);

    return NGX_DONE;
}


static ngx_http_webrtc_ws_t *
ngx_http_webrtc_ws_get(ngx_http_request_t *r)
{
    ngx_http_cleanup_t  *cln;

    for (cln = r->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_webrtc_ws_cleanup) {
            return cln->data;
        }
    }

    return NULL;
}


static void
ngx_http_webrtc_ws_read(ngx_http_request_t *r)
{
    ssize_t                n;
    ngx_connection_t      *c;
    ngx_http_webrtc_ws_t  *ws;

    c = r->connection;
    ws = ngx_http_webrtc_ws_get(r);

    if (ws == NULL || ws->closed) {
        return;
    }

    /* bytes that came with the handshake */

    if (r->header_in->pos < r->header_in->last) {
        n = r->header_in->last - r->header_in->pos;
        r->header_in->pos = r->header_in->last;

        if (ngx_http_webrtc_ws_input(ws, r->header_in->last - n, n)
            != NGX_OK)
        {
            ngx_http_webrtc_ws_finish(ws);
            return;
        }
    }

    for ( ;; ) {
        n = c->recv(c, ws->in, NGX_HTTP_WEBRTC_WS_READ);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            /* the peer went away without a close frame */
            ws->closed = 1;
            ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
            return;
        }

        if (ngx_http_webrtc_ws_input(ws, ws->in, n) != NGX_OK) {
            break;
        }
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ws->failed = 1;
    }

    ngx_http_webrtc_ws_finish(ws);
}


static ngx_int_t
ngx_http_webrtc_ws_input(ngx_http_webrtc_ws_t *ws, u_char *data, size_t len)
{
    int              rc;
    size_t           n;
    wr_ws_message_t  msg;

    if (ws->closing) {
        /* after our close frame only the peer's close matters; drop */
        return NGX_OK;
    }

    ngx_add_timer(&ws->idle, NGX_HTTP_WEBRTC_WS_IDLE);

    while (len) {
        rc = wr_ws_parse(&ws->parser, data, len, &n, &msg);
        data += n;
        len -= n;

        if (rc == WR_WS_ERROR) {
            ngx_log_error(NGX_LOG_INFO, ws->request->connection->log, 0,
                          "webrtc: WebSocket closed with %ui: %s",
                          (ngx_uint_t) ws->parser.error,
                          ws->parser.error_text);
            ngx_http_webrtc_ws_close(ws, ws->parser.error,
                                     ws->parser.error_text);
            return NGX_ERROR;
        }

        if (rc != WR_WS_MESSAGE) {
            break;
        }

        ngx_http_webrtc_ws_message(ws, &msg);

        if (ws->closing || ws->failed) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_webrtc_ws_message(ngx_http_webrtc_ws_t *ws, wr_ws_message_t *msg)
{
    char                    *text;
    json_t                  *reply;
    ngx_webrtc_janus_req_t   req;

    switch (msg->opcode) {

    case WR_WS_PING:
        (void) ngx_http_webrtc_ws_queue(ws, WR_WS_PONG, (u_char *) msg->data,
                                        msg->len);
        (void) ngx_http_webrtc_ws_flush(ws);
        return;

    case WR_WS_PONG:
        return;

    case WR_WS_CLOSE:
        /* echo the code, as RFC 6455 5.5.1 asks, then close */
        ngx_http_webrtc_ws_close(ws,
                                 msg->close_code == WR_WS_CLOSE_NO_STATUS
                                 ? 0 : msg->close_code, NULL);
        return;

    case WR_WS_BINARY:
        ngx_http_webrtc_ws_close(ws, WR_WS_CLOSE_UNSUPPORTED,
                                 "the Janus API is text");
        return;
    }

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SIGNALING_REQUESTS, 1);

    ngx_memzero(&req, sizeof(ngx_webrtc_janus_req_t));
    req.wcf = ngx_webrtc_get_conf(ngx_cycle);
    req.log = ws->request->connection->log;
    req.ws = 1;
    req.conn = ws->conn;

    /* events for the same transaction must follow the reply, not pass it */
    ws->in_request = 1;

    reply = ngx_webrtc_janus_handle(&req, (u_char *) msg->data, msg->len);

    ws->in_request = 0;

    if (req.created) {
        ngx_http_webrtc_ws_own(ws, req.created);
    }

    if (req.destroyed) {
        ngx_http_webrtc_ws_disown(ws, req.destroyed, 0);
    }

    if (reply == NULL) {
        ngx_http_webrtc_ws_close(ws, WR_WS_CLOSE_INTERNAL, "out of memory");
        return;
    }

    if (ngx_strcmp(json_string_value(json_object_get(reply, "janus")),
                   "error") == 0)
    {
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_SIGNALING_ERRORS, 1);
    }

    text = json_dumps(reply, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(reply);

    if (text == NULL) {
        ngx_http_webrtc_ws_close(ws, WR_WS_CLOSE_INTERNAL, "out of memory");
        return;
    }

    if (ngx_http_webrtc_ws_queue(ws, WR_WS_TEXT, (u_char *) text,
                                 ngx_strlen(text))
        != NGX_OK)
    {
        free(text);
        return;
    }

    free(text);

    if (ws->pending) {
        ws->pending = 0;
        ngx_http_webrtc_ws_drain(ws);
    }

    (void) ngx_http_webrtc_ws_flush(ws);
}


/* frames wait in process memory; past the limit the reader is too slow */

static ngx_int_t
ngx_http_webrtc_ws_queue(ngx_http_webrtc_ws_t *ws, unsigned opcode,
    u_char *data, size_t len)
{
    size_t                    hlen;
    ngx_http_webrtc_frame_t  *f;
    u_char                    header[WR_WS_SERVER_HEADER_MAX];

    if (ws->closed) {
        return NGX_ERROR;
    }

    if (ws->queued + len > NGX_HTTP_WEBRTC_WS_QUEUE_MAX
        && opcode != WR_WS_CLOSE)
    {
        ngx_log_error(NGX_LOG_INFO, ws->request->connection->log, 0,
                      "webrtc: WebSocket reader too slow, %uz bytes queued",
                      ws->queued);
        ngx_http_webrtc_ws_close(ws, WR_WS_CLOSE_POLICY,
                                 "send queue full");
        return NGX_ERROR;
    }

    hlen = wr_ws_header(header, opcode, 1, len);
    if (hlen == 0) {
        return NGX_ERROR;
    }

    f = ngx_alloc(offsetof(ngx_http_webrtc_frame_t, data) + hlen + len,
                  ws->request->connection->log);
    if (f == NULL) {
        return NGX_ERROR;
    }

    f->next = NULL;
    f->len = hlen + len;
    f->sent = 0;
    ngx_memcpy(f->data, header, hlen);
    ngx_memcpy(f->data + hlen, data, len);

    if (ws->out_last) {
        ws->out_last->next = f;

    } else {
        ws->out = f;
    }

    ws->out_last = f;
    ws->queued += f->len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webrtc_ws_flush(ngx_http_webrtc_ws_t *ws)
{
    ssize_t                   n;
    ngx_connection_t         *c;
    ngx_http_webrtc_frame_t  *f;

    c = ws->request->connection;

    while (ws->out) {
        f = ws->out;

        n = c->send(c, f->data + f->sent, f->len - f->sent);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
                ws->failed = 1;
                return NGX_ERROR;
            }

            return NGX_AGAIN;
        }

        if (n == NGX_ERROR) {
            ws->failed = 1;
            return NGX_ERROR;
        }

        f->sent += n;

        if (f->sent < f->len) {
            continue;
        }

        ws->out = f->next;
        ws->queued -= f->len;
        ngx_free(f);
    }

    ws->out_last = NULL;

    return NGX_OK;
}


/*
 * Only the entry points (read, write, timer, delivery) end the request,
 * after everything on their stack is done with ws: ending it frees ws.
 */

static void
ngx_http_webrtc_ws_finish(ngx_http_webrtc_ws_t *ws)
{
    if (ws->closed) {
        return;
    }

    if (ws->failed) {
        ws->closed = 1;
        ngx_http_finalize_request(ws->request, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    if (ws->closing && ws->out == NULL) {
        /* our close frame is out: nothing more to say */
        ws->closed = 1;
        ngx_http_finalize_request(ws->request, NGX_HTTP_CLOSE);
    }
}


static void
ngx_http_webrtc_ws_write(ngx_http_request_t *r)
{
    ngx_http_webrtc_ws_t  *ws;

    ws = ngx_http_webrtc_ws_get(r);

    if (ws == NULL || ws->closed) {
        return;
    }

    (void) ngx_http_webrtc_ws_flush(ws);

    ngx_http_webrtc_ws_finish(ws);
}


static void
ngx_http_webrtc_ws_close(ngx_http_webrtc_ws_t *ws, unsigned code,
    const char *reason)
{
    size_t  n;
    u_char  frame[WR_WS_CONTROL_MAX + 2];

    if (ws->closing || ws->closed) {
        return;
    }

    n = wr_ws_close_frame(frame, sizeof(frame), code, (const uint8_t *) reason,
                          reason ? ngx_min(ngx_strlen(reason),
                                           WR_WS_REASON_MAX)
                                 : 0);

    ws->closing = 1;

    if (n) {
        (void) ngx_http_webrtc_ws_queue(ws, WR_WS_CLOSE, frame + 2, n - 2);
    }

    if (ws->idle.timer_set) {
        ngx_del_timer(&ws->idle);
    }

    ngx_add_timer(&ws->idle, NGX_HTTP_WEBRTC_WS_CLOSE_WAIT);

    (void) ngx_http_webrtc_ws_flush(ws);
}


static void
ngx_http_webrtc_ws_idle(ngx_event_t *ev)
{
    ngx_http_webrtc_ws_t  *ws = ev->data;

    if (ws->closing) {
        /* the peer never read our close frame */
        ws->failed = 1;

    } else {
        ngx_http_webrtc_ws_close(ws, WR_WS_CLOSE_GOING_AWAY, "idle");
    }

    ngx_http_webrtc_ws_finish(ws);
}


static void
ngx_http_webrtc_ws_own(ngx_http_webrtc_ws_t *ws, uint64_t session)
{
    ngx_http_webrtc_link_t  *link;

    for (link = ws->links; link; link = link->next) {
        if (link->node.key == (ngx_rbtree_key_t) session) {
            return;
        }
    }

    link = ngx_alloc(sizeof(ngx_http_webrtc_link_t),
                     ws->request->connection->log);
    if (link == NULL) {
        return;
    }

    ngx_memzero(link, sizeof(ngx_http_webrtc_link_t));
    link->node.key = (ngx_rbtree_key_t) session;
    link->conn = ws->conn;
    link->deliver = ngx_http_webrtc_ws_deliver;
    link->data = ws;
    link->next = ws->links;
    ws->links = link;

    ngx_http_webrtc_link_add(link);
}


/* destroy: the session ends with us (no reclaim window, or destroyed) */

static void
ngx_http_webrtc_ws_disown(ngx_http_webrtc_ws_t *ws, uint64_t session,
    ngx_uint_t destroy)
{
    ngx_webrtc_conf_t        *wcf;
    ngx_webrtc_session_t     *s;
    ngx_http_webrtc_link_t  **lp, *link;

    for (lp = &ws->links; *lp; lp = &(*lp)->next) {
        if ((*lp)->node.key == (ngx_rbtree_key_t) session) {
            break;
        }
    }

    link = *lp;

    if (link == NULL) {
        return;
    }

    *lp = link->next;
    ngx_http_webrtc_link_remove(link);
    ngx_free(link);

    if (!destroy) {
        return;
    }

    wcf = ngx_webrtc_get_conf(ngx_cycle);

    ngx_shmtx_lock(&wcf->shpool->mutex);

    s = ngx_webrtc_session_find_locked(wcf, session);

    if (s && s->owner_pid == ngx_pid && s->owner_conn == ws->conn) {

        if (s->expired) {
            /* ended already; nobody is left to take its events */
            ngx_webrtc_session_disown_locked(wcf, s, ws->conn);

        } else if (wcf->reclaim_session_timeout) {
            ngx_webrtc_session_disown_locked(wcf, s, ws->conn);
            s->orphaned = ngx_current_msec ? ngx_current_msec : 1;

        } else {
            ngx_webrtc_session_disown_locked(wcf, s, ws->conn);
            ngx_webrtc_session_destroy_locked(wcf, s);
        }
    }

    ngx_shmtx_unlock(&wcf->shpool->mutex);
}


static void
ngx_http_webrtc_ws_deliver(ngx_http_webrtc_link_t *link)
{
    ngx_http_webrtc_ws_t  *ws;

    ws = link->data;

    if (ws->in_request) {
        ws->pending = 1;
        return;
    }

    ngx_http_webrtc_ws_drain(ws);
    (void) ngx_http_webrtc_ws_flush(ws);

    ngx_http_webrtc_ws_finish(ws);
}


/* move every owned session's queued events into frames */

static void
ngx_http_webrtc_ws_drain(ngx_http_webrtc_ws_t *ws)
{
    ngx_uint_t               i, n;
    ngx_str_t                events[NGX_HTTP_WEBRTC_WS_EVENTS];
    ngx_pool_t              *pool;
    ngx_webrtc_conf_t       *wcf;
    ngx_webrtc_session_t    *s;
    ngx_http_webrtc_link_t  *link;

    wcf = ngx_webrtc_get_conf(ngx_cycle);

    /* a short-lived pool: the request's own would grow with every event */
    pool = ngx_create_pool(4096, ws->request->connection->log);
    if (pool == NULL) {
        return;
    }

    for (link = ws->links; link && !ws->closing; link = link->next) {

        do {
            n = 0;

            ngx_shmtx_lock(&wcf->shpool->mutex);

            s = ngx_webrtc_session_find_locked(wcf, link->node.key);

            if (s && s->owner_pid == ngx_pid && s->owner_conn == ws->conn) {
                n = ngx_webrtc_session_pop_locked(wcf, s,
                                                  NGX_HTTP_WEBRTC_WS_EVENTS,
                                                  events, pool);
            }

            ngx_shmtx_unlock(&wcf->shpool->mutex);

            for (i = 0; i < n; i++) {
                if (ngx_http_webrtc_ws_queue(ws, WR_WS_TEXT, events[i].data,
                                             events[i].len)
                    != NGX_OK)
                {
                    ngx_destroy_pool(pool);
                    return;
                }
            }

            ngx_reset_pool(pool);

        } while (n == NGX_HTTP_WEBRTC_WS_EVENTS);
    }

    ngx_destroy_pool(pool);
}


static void
ngx_http_webrtc_ws_cleanup(void *data)
{
    ngx_http_webrtc_ws_t  *ws = data;

    ngx_http_webrtc_frame_t  *f;

    ws->closed = 1;

    if (ws->idle.timer_set) {
        ngx_del_timer(&ws->idle);
    }

    while (ws->links) {
        ngx_http_webrtc_ws_disown(ws, ws->links->node.key, 1);
    }

    while (ws->out) {
        f = ws->out;
        ws->out = f->next;
        ngx_free(f);
    }

    ws->out_last = NULL;

    ngx_webrtc_wake_flush();
}
