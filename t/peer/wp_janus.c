/*
 * Janus API client over WebSocket or HTTP (REST + long poll), chosen by the
 * URL scheme. wp_janus_call() sends one request and pumps the loop until its
 * reply: for async requests the "ack" is skipped and the event with the same
 * transaction is the reply (Janus may send that event before the ack).
 * Messages without a pending transaction go to the event callback.
 */

#include <stdio.h>
#include <string.h>

#include "wr_peer.h"


#define WP_KEEPALIVE_S  25         /* Janus drops idle sessions after 60 s */


/* an outstanding REST request, kept so that close can cancel it */
typedef struct {
    wp_janus_t     *j;
    wp_http_req_t  *r;
} wp_post_t;


struct wp_janus_s {
    wp_url_t       url;
    wp_ws_t       *ws;
    wp_http_req_t *poll;
    GPtrArray     *posts;
    int            polling;
    int            poll_errors;
    json_int_t     session;
    unsigned       tx_next;
    char           waiting[32];
    int            waiting_async;
    json_t        *reply;
    int            broken;
    char           err[256];
    guint          keepalive;
    int            verbose;
    wp_event_pt    on_event;
    void          *data;
};


static void wp_janus_text(const char *text, size_t len, void *data);
static void wp_janus_dispatch(wp_janus_t *j, json_t *msg);
static void wp_janus_send(wp_janus_t *j, json_t *req);
static void wp_janus_posted(int status, const char *body, size_t len,
    void *data);
static void wp_janus_poll(wp_janus_t *j);
static void wp_janus_polled(int status, const char *body, size_t len,
    void *data);
static gboolean wp_janus_keepalive(gpointer data);
static int wp_janus_ws_ready(void *arg);
static int wp_janus_replied(void *arg);


wp_janus_t *
wp_janus_open(const char *url, int verbose, wp_event_pt on_event, void *data,
    char *err, size_t errlen)
{
    wp_janus_t  *j;

    j = g_new0(wp_janus_t, 1);
    j->verbose = verbose;
    j->on_event = on_event;
    j->data = data;
    j->posts = g_ptr_array_new();

    if (wp_url_parse(&j->url, url) != 0) {
        snprintf(err, errlen, "bad url \"%s\" (want ws:// or http://)", url);
        goto failed;
    }

    if (j->url.ws) {
        j->ws = wp_ws_open(&j->url, wp_janus_text, j, err, errlen);
        if (j->ws == NULL) {
            goto failed;
        }

        if (!wp_wait(wp_janus_ws_ready, j, 5.0)) {
            snprintf(err, errlen, "websocket handshake timed out");
            goto failed;
        }

        if (wp_ws_state(j->ws) != 1) {
            snprintf(err, errlen, "%s", wp_ws_error(j->ws));
            goto failed;
        }
    }

    j->keepalive = g_timeout_add_seconds(WP_KEEPALIVE_S, wp_janus_keepalive,
                                         j);
    return j;

failed:

    wp_janus_close(j);
    return NULL;
}


static int
wp_janus_ws_ready(void *arg)
{
    wp_janus_t  *j = arg;

    return wp_ws_state(j->ws) != 0;
}


const char *
wp_janus_error(wp_janus_t *j)
{
    return j->err[0] ? j->err : "no error";
}


/*
 * Sends req (stolen) and waits for its reply. Returns the reply (a new
 * reference: success, event, error...) or NULL with wp_janus_error() set on
 * timeout or a broken transport.
 */
json_t *
wp_janus_call(wp_janus_t *j, json_t *req, int async, double timeout)
{
    char        what[32];
    json_t      *reply, *id;

    /* req is gone once sent */
    g_strlcpy(what, json_string_value(json_object_get(req, "janus")),
              sizeof(what));
    snprintf(j->waiting, sizeof(j->waiting), "wp%u", ++j->tx_next);
    j->waiting_async = async;
    json_object_set_new(req, "transaction", json_string(j->waiting));

    wp_janus_send(j, req);

    if (!wp_wait(wp_janus_replied, j, timeout)) {
        snprintf(j->err, sizeof(j->err), "no reply to \"%s\" in %.0f s",
                 what, timeout);
    }

    j->waiting[0] = '\0';
    reply = j->reply;
    j->reply = NULL;

    if (reply && strcmp(what, "create") == 0) {
        id = json_object_get(json_object_get(reply, "data"), "id");
        if (json_is_integer(id)) {
            j->session = json_integer_value(id);
            if (!j->url.ws) {
                j->polling = 1;
                wp_janus_poll(j);
            }
        }
    }

    return reply;
}


/* 0 once the transport is gone: a closed socket, or long polls failing */
int
wp_janus_alive(wp_janus_t *j)
{
    if (j->ws && wp_ws_state(j->ws) < 0 && !j->broken) {
        j->broken = 1;
        snprintf(j->err, sizeof(j->err), "%s", wp_ws_error(j->ws));
    }

    return !j->broken;
}


static int
wp_janus_replied(void *arg)
{
    wp_janus_t  *j = arg;

    return !wp_janus_alive(j) || j->reply != NULL;
}


/* fire and forget: keepalives, trickles the peer does not wait for */
void
wp_janus_post(wp_janus_t *j, json_t *req)
{
    char  tx[32];

    snprintf(tx, sizeof(tx), "wp%u", ++j->tx_next);
    json_object_set_new(req, "transaction", json_string(tx));
    wp_janus_send(j, req);
}


static void
wp_janus_send(wp_janus_t *j, json_t *req)
{
    char       *text, path[600];
    json_t     *hid;
    wp_post_t  *post;

    if (j->session && json_object_get(req, "session_id") == NULL
        && strcmp(json_string_value(json_object_get(req, "janus")),
                  "create") != 0)
    {
        json_object_set_new(req, "session_id", json_integer(j->session));
    }

    text = json_dumps(req, JSON_COMPACT);

    if (j->verbose) {
        fprintf(stderr, "wr-peer: -> %s\n", text);
    }

    if (j->url.ws) {
        if (j->ws && wp_ws_state(j->ws) == 1) {
            wp_ws_send(j->ws, text, strlen(text));

        } else {
            j->broken = 1;
            snprintf(j->err, sizeof(j->err), "%s",
                     j->ws ? wp_ws_error(j->ws) : "websocket closed");
        }

    } else {
        /* REST: the path addresses the session and handle */
        hid = json_object_get(req, "handle_id");
        if (json_object_get(req, "session_id") && hid) {
            snprintf(path, sizeof(path), "%s/%" JSON_INTEGER_FORMAT
                     "/%" JSON_INTEGER_FORMAT, j->url.path, j->session,
                     json_integer_value(hid));

        } else if (json_object_get(req, "session_id")) {
            snprintf(path, sizeof(path), "%s/%" JSON_INTEGER_FORMAT,
                     j->url.path, j->session);

        } else {
            snprintf(path, sizeof(path), "%s", j->url.path);
        }

        post = g_new0(wp_post_t, 1);
        post->j = j;
        post->r = wp_http_request(&j->url, "POST", path, text,
                                  wp_janus_posted, post);
        if (post->r == NULL) {
            g_free(post);
            j->broken = 1;
            snprintf(j->err, sizeof(j->err), "cannot connect to %.200s:%d",
                     j->url.host, j->url.port);

        } else {
            g_ptr_array_add(j->posts, post);
        }
    }

    free(text);
    json_decref(req);
}


static void
wp_janus_posted(int status, const char *body, size_t len, void *data)
{
    wp_post_t   *post = data;
    wp_janus_t  *j = post->j;

    /* the request is done and freed: drop it from the cancel list */
    g_ptr_array_remove_fast(j->posts, post);
    g_free(post);

    if (status != 200) {
        j->broken = 1;
        snprintf(j->err, sizeof(j->err), "HTTP POST failed (status %d)",
                 status);
        return;
    }

    wp_janus_text(body, len, j);
}


static void
wp_janus_poll(wp_janus_t *j)
{
    char  path[600];

    snprintf(path, sizeof(path), "%s/%" JSON_INTEGER_FORMAT "?maxev=10",
             j->url.path, j->session);

    j->poll = wp_http_request(&j->url, "GET", path, NULL, wp_janus_polled, j);
    if (j->poll == NULL) {
        j->broken = 1;
        snprintf(j->err, sizeof(j->err), "long poll: cannot connect");
    }
}


static void
wp_janus_polled(int status, const char *body, size_t len, void *data)
{
    wp_janus_t  *j = data;

    j->poll = NULL;

    if (status == 200) {
        j->poll_errors = 0;
        wp_janus_text(body, len, j);

    } else if (++j->poll_errors > 3) {
        j->broken = 1;
        snprintf(j->err, sizeof(j->err), "long poll failed (status %d)",
                 status);
        return;
    }

    if (j->polling) {
        wp_janus_poll(j);
    }
}


static void
wp_janus_text(const char *text, size_t len, void *data)
{
    size_t        i;
    json_t       *msg;
    wp_janus_t   *j = data;
    json_error_t  e;

    msg = json_loadb(text, len, 0, &e);
    if (msg == NULL) {
        fprintf(stderr, "wr-peer: bad JSON from server: %s\n", e.text);
        return;
    }

    if (json_is_array(msg)) {
        /* long poll with maxev > 1 */
        for (i = 0; i < json_array_size(msg); i++) {
            wp_janus_dispatch(j, json_array_get(msg, i));
        }

    } else {
        wp_janus_dispatch(j, msg);
    }

    json_decref(msg);
}


static void
wp_janus_dispatch(wp_janus_t *j, json_t *msg)
{
    char        *dump;
    const char  *tx, *type;

    tx = json_string_value(json_object_get(msg, "transaction"));
    type = json_string_value(json_object_get(msg, "janus"));
    type = type ? type : "";

    if (j->verbose) {
        dump = json_dumps(msg, JSON_COMPACT);
        fprintf(stderr, "wr-peer: <- %s\n", dump);
        free(dump);
    }

    if (tx && j->waiting[0] && strcmp(tx, j->waiting) == 0) {
        if (strcmp(type, "ack") == 0 && j->waiting_async) {
            return;
        }

        json_decref(j->reply);
        j->reply = json_incref(msg);
        return;
    }

    if (strcmp(type, "ack") == 0 || strcmp(type, "keepalive") == 0
        || (tx && strcmp(type, "success") == 0))
    {
        return;
    }

    if (strcmp(type, "error") == 0) {
        dump = json_dumps(msg, JSON_COMPACT);
        fprintf(stderr, "wr-peer: server error: %s\n", dump);
        free(dump);
        return;
    }

    j->on_event(msg, j->data);
}


static gboolean
wp_janus_keepalive(gpointer data)
{
    wp_janus_t  *j = data;

    if (j->session && !j->broken) {
        wp_janus_post(j, json_pack("{ss}", "janus", "keepalive"));
    }

    return G_SOURCE_CONTINUE;
}


void
wp_janus_close(wp_janus_t *j)
{
    guint  i;

    if (j->keepalive) {
        g_source_remove(j->keepalive);
    }

    j->polling = 0;
    if (j->poll) {
        wp_http_cancel(j->poll);
    }

    for (i = 0; i < j->posts->len; i++) {
        wp_post_t  *post = g_ptr_array_index(j->posts, i);

        wp_http_cancel(post->r);
        g_free(post);
    }

    g_ptr_array_free(j->posts, TRUE);

    if (j->ws) {
        wp_ws_free(j->ws);
    }

    json_decref(j->reply);
    g_free(j);
}
