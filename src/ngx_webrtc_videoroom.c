
/*
 * janus.plugin.videoroom, the Janus 1.x multistream VideoRoom: the plugin
 * callbacks, the dispatch of requests, and what every part shares (field
 * checks with Janus's error codes and texts, events to one handle or to a
 * whole room, strings in the zone).
 *
 * The synchronous requests are in ngx_webrtc_videoroom_admin.c, the
 * publishers in ngx_webrtc_videoroom_pub.c, the subscribers in
 * ngx_webrtc_videoroom_sub.c.  All of it runs with the zone locked.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"
#include "ngx_webrtc_videoroom.h"


static ngx_int_t ngx_webrtc_videoroom_attach(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h);
static ngx_int_t ngx_webrtc_videoroom_message(ngx_webrtc_plugin_msg_t *m);
static void ngx_webrtc_videoroom_hangup(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h);
static void ngx_webrtc_videoroom_detach(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h);
static ngx_uint_t ngx_webrtc_vr_is_async(const char *request);
static ngx_int_t ngx_webrtc_vr_async(ngx_webrtc_vr_req_t *r);
static ngx_int_t ngx_webrtc_vr_join(ngx_webrtc_vr_req_t *r);
static void ngx_webrtc_vr_type_name(int type, ngx_uint_t flags, char *buf);


ngx_webrtc_plugin_t  ngx_webrtc_videoroom_plugin = {
    "janus.plugin.videoroom",
    "videoroom",
    "The VideoRoom plugin: an SFU for rooms of publishers and subscribers",
    NGX_WEBRTC_VERSION,
    NGX_WEBRTC_VERSION_NUM,
    ngx_webrtc_videoroom_attach,
    ngx_webrtc_videoroom_message,
    ngx_webrtc_videoroom_hangup,
    ngx_webrtc_videoroom_detach,
    ngx_webrtc_videoroom_room_gone_locked
};


/*
 * The ids Chrome uses, so that most forwarded packets need no rewrite of
 * their one-byte extension headers.
 */
const uint16_t  ngx_webrtc_vr_ext_id[WR_SDP_EXT_COUNT] = {
    0,      /* WR_SDP_EXT_UNKNOWN */
    4,      /* WR_SDP_EXT_MID */
    1,      /* WR_SDP_EXT_AUDIO_LEVEL */
    2,      /* WR_SDP_EXT_ABS_SEND_TIME */
    3,      /* WR_SDP_EXT_TWCC */
    12,     /* WR_SDP_EXT_DD */
    10,     /* WR_SDP_EXT_RID (never offered) */
    11,     /* WR_SDP_EXT_RRID (never offered) */
    13,     /* WR_SDP_EXT_VIDEO_ORIENTATION */
    5,      /* WR_SDP_EXT_PLAYOUT_DELAY */
    9       /* WR_SDP_EXT_VLA (never offered) */
};


static const char  *ngx_webrtc_vr_async_requests[] = {
    "join", "joinandconfigure", "configure", "publish", "unpublish",
    "start", "pause", "switch", "subscribe", "unsubscribe", "update",
    "leave", NULL
};


static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_request_params[] = {
    { "request", JSON_STRING, NGX_WEBRTC_VR_REQUIRED }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_room_params[] = {
    { "room", JSON_INTEGER, NGX_WEBRTC_VR_REQUIRED | NGX_WEBRTC_VR_POSITIVE }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_join_params[] = {
    { "ptype", JSON_STRING, NGX_WEBRTC_VR_REQUIRED },
    { "audio", JSON_TRUE, 0 },
    { "video", JSON_TRUE, 0 },
    { "data", JSON_TRUE, 0 },
    { "bitrate", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "record", JSON_TRUE, 0 },
    { "filename", JSON_STRING, 0 },
    { "token", JSON_STRING, 0 }
};


static ngx_int_t
ngx_webrtc_videoroom_attach(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h)
{
    /* a handle is nobody until it joins as a publisher or a subscriber */
    h->plugin_data = NULL;

    return NGX_OK;
}


static ngx_int_t
ngx_webrtc_videoroom_message(ngx_webrtc_plugin_msg_t *m)
{
    json_t               *result;
    ngx_webrtc_vr_req_t   r;

    ngx_memzero(&r, offsetof(ngx_webrtc_vr_req_t, error));
    r.error[0] = '\0';
    r.wcf = m->wcf;
    r.m = m;
    r.h = m->handle;
    r.body = m->body;

    if (!json_is_object(m->body)) {
        (void) ngx_webrtc_vr_error(&r, NGX_WEBRTC_VR_ERROR_INVALID_JSON,
                                   "JSON error: not an object");
        m->result = ngx_webrtc_vr_error_json(&r);
        return NGX_OK;
    }

    if (ngx_webrtc_vr_check(&r, m->body, ngx_webrtc_vr_request_params)
        != NGX_OK)
    {
        m->result = ngx_webrtc_vr_error_json(&r);
        return NGX_OK;
    }

    r.request = json_string_value(json_object_get(m->body, "request"));

    result = ngx_webrtc_vr_sync_request(&r);

    if (result) {
        m->result = result;
        return NGX_OK;
    }

    if (!ngx_webrtc_vr_is_async(r.request)) {
        (void) ngx_webrtc_vr_error(&r, NGX_WEBRTC_VR_ERROR_INVALID_REQUEST,
                                   "Unknown request '%s'", r.request);
        m->result = ngx_webrtc_vr_error_json(&r);
        return NGX_OK;
    }

    /* "ack" now; what happens comes as events with the same transaction */
    m->async = 1;

    if (ngx_webrtc_vr_async(&r) != NGX_OK && r.code) {
        ngx_webrtc_vr_reply_locked(&r, ngx_webrtc_vr_error_json(&r), NULL);
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_webrtc_vr_is_async(const char *request)
{
    ngx_uint_t  i;

    for (i = 0; ngx_webrtc_vr_async_requests[i]; i++) {
        if (ngx_strcasecmp((u_char *) request,
                           (u_char *) ngx_webrtc_vr_async_requests[i])
            == 0)
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_webrtc_vr_async(ngx_webrtc_vr_req_t *r)
{
    ngx_uint_t  *type;

    type = r->h->plugin_data;

    if (type == NULL) {
        return ngx_webrtc_vr_join(r);
    }

    if (*type == NGX_WEBRTC_VR_PUBLISHER) {
        return ngx_webrtc_vr_pub_request(r, (ngx_webrtc_vr_pub_t *) type);
    }

    return ngx_webrtc_vr_sub_request(r, (ngx_webrtc_vr_sub_t *) type);
}


/* the first request of a handle decides what it is */

static ngx_int_t
ngx_webrtc_vr_join(ngx_webrtc_vr_req_t *r)
{
    const char         *ptype;
    ngx_webrtc_room_t  *room;

    if (ngx_strcasecmp((u_char *) r->request, (u_char *) "join") != 0
        && ngx_strcasecmp((u_char *) r->request,
                          (u_char *) "joinandconfigure") != 0)
    {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_JOIN_FIRST,
                                   "Invalid request on unconfigured "
                                   "participant");
    }

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_room_params) != NGX_OK
        || ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_join_params)
           != NGX_OK
        || ngx_webrtc_vr_access_room(r, 0, 1, &room) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ptype = json_string_value(json_object_get(r->body, "ptype"));

    if (ngx_strcasecmp((u_char *) ptype, (u_char *) "publisher") == 0) {
        return ngx_webrtc_vr_pub_join(r, room);
    }

    if (ngx_strcasecmp((u_char *) ptype, (u_char *) "subscriber") == 0) {
        return ngx_webrtc_vr_sub_join(r, room);
    }

    return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                               "Invalid element (ptype)");
}


/* the PeerConnection went away (hangup, ICE or DTLS failure) */

static void
ngx_webrtc_videoroom_hangup(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h)
{
    ngx_uint_t  *type;

    type = h->plugin_data;

    if (type == NULL) {
        return;
    }

    if (*type == NGX_WEBRTC_VR_PUBLISHER) {
        ngx_webrtc_vr_pub_unpublish_locked(wcf, (ngx_webrtc_vr_pub_t *) type,
                                           1);
        return;
    }

    ngx_webrtc_vr_sub_clear_locked(wcf, (ngx_webrtc_vr_sub_t *) type);
}


/* the handle is gone: the room hears of it, and nothing stays behind */

static void
ngx_webrtc_videoroom_detach(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h)
{
    ngx_uint_t           *type;
    ngx_webrtc_vr_pub_t  *pub;

    type = h->plugin_data;

    if (type == NULL) {
        return;
    }

    if (*type == NGX_WEBRTC_VR_PUBLISHER) {
        pub = (ngx_webrtc_vr_pub_t *) type;

        ngx_webrtc_vr_pub_unpublish_locked(wcf, pub, 1);

        if (pub->room) {
            ngx_webrtc_vr_pub_leave_locked(wcf, pub, "leaving");
        }

        ngx_webrtc_vr_pub_free_locked(wcf, pub);

    } else {
        ngx_webrtc_vr_sub_free_locked(wcf, (ngx_webrtc_vr_sub_t *) type);
    }

    h->plugin_data = NULL;
}


/*
 * A room ends (destroyed through the API, or gone from nginx.conf on
 * reload).  As in Janus, its participants get "destroyed" and lose their
 * PeerConnection; subscribers lose theirs too, as nothing is left to
 * receive.  Their handles stay, and later requests get "No such room".
 */

void
ngx_webrtc_videoroom_room_gone_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_room_t *room)
{
    json_t                 *ev;
    ngx_queue_t            *q;
    ngx_webrtc_vr_pub_t    *pub;
    ngx_webrtc_vr_sub_t    *sub;
    ngx_webrtc_vr_room_t   *vroom;
    ngx_webrtc_vr_token_t  *t;

    vroom = room->data;

    if (vroom == NULL) {
        return;
    }

    while (!ngx_queue_empty(&vroom->pubs)) {
        q = ngx_queue_head(&vroom->pubs);
        pub = ngx_queue_data(q, ngx_webrtc_vr_pub_t, queue);

        ev = json_pack("{s:s, s:I}", "videoroom", "destroyed",
                       "room", (json_int_t) room->opts.id);
        ngx_webrtc_vr_send_locked(wcf, pub->handle, ev, NULL);

        /* the whole room goes: nobody needs to hear of this one alone */
        ngx_webrtc_vr_pub_unpublish_locked(wcf, pub, 0);
        ngx_webrtc_vr_pub_leave_locked(wcf, pub, NULL);
        ngx_webrtc_vr_close_pc_locked(wcf, pub->handle);
    }

    while (!ngx_queue_empty(&vroom->subs)) {
        q = ngx_queue_head(&vroom->subs);
        sub = ngx_queue_data(q, ngx_webrtc_vr_sub_t, queue);

        ngx_webrtc_vr_sub_clear_locked(wcf, sub);
        ngx_queue_remove(&sub->queue);
        sub->room = NULL;
        ngx_webrtc_vr_close_pc_locked(wcf, sub->handle);
    }

    while (!ngx_queue_empty(&vroom->allowed)) {
        q = ngx_queue_head(&vroom->allowed);
        t = ngx_queue_data(q, ngx_webrtc_vr_token_t, queue);
        ngx_queue_remove(q);
        ngx_slab_free_locked(wcf->shpool, t);
    }

    ngx_slab_free_locked(wcf->shpool, vroom);
    room->data = NULL;

    ngx_webrtc_vr_changed(wcf);
}


void
ngx_webrtc_videoroom_setup_media_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h)
{
    ngx_uint_t  *type;

    type = h->plugin_data;

    if (type && *type == NGX_WEBRTC_VR_PUBLISHER) {
        ((ngx_webrtc_vr_pub_t *) type)->media = 1;
    }
}


void
ngx_webrtc_videoroom_talking_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, ngx_uint_t mindex, ngx_uint_t talking,
    double level)
{
    json_t                   *ev;
    ngx_uint_t               *type;
    ngx_webrtc_vr_pub_t      *pub;
    ngx_webrtc_vr_pstream_t  *ps;

    type = h->plugin_data;

    if (type == NULL || *type != NGX_WEBRTC_VR_PUBLISHER) {
        return;
    }

    pub = (ngx_webrtc_vr_pub_t *) type;

    if (mindex >= pub->nstreams) {
        return;
    }

    ps = pub->streams[mindex];

    if (ps == NULL || ps->kind != WR_SDP_KIND_AUDIO) {
        return;
    }

    ps->audio_level = (int) level;

    if ((ngx_uint_t) ps->talking == (talking ? 1 : 0)) {
        return;
    }

    ps->talking = talking ? 1 : 0;

    if (pub->room == NULL || !pub->room->room->opts.audiolevel_event) {
        return;
    }

    ev = json_pack("{s:s, s:I, s:I, s:i, s:s, s:f}",
                   "videoroom", talking ? "talking" : "stopped-talking",
                   "room", (json_int_t) pub->room_id,
                   "id", (json_int_t) pub->id,
                   "mindex", (int) ps->mindex,
                   "mid", (char *) ps->mid,
                   "audio-level-dBov-avg", level);

    /* the speaker hears of it too, as in Janus */
    ngx_webrtc_vr_notify_locked(wcf, pub->room, NULL, ev);
}


/*
 * Field checks worded as Janus's JANUS_VALIDATE_JSON_OBJECT: "Missing
 * mandatory element (x)" (429), "Invalid element type (x should be a
 * positive integer)" (430).
 */

ngx_int_t
ngx_webrtc_vr_validate(ngx_webrtc_vr_req_t *r, json_t *obj,
    const ngx_webrtc_vr_param_t *params, ngx_uint_t n)
{
    char        type[32];
    json_t     *v;
    ngx_uint_t  i, ok;

    for (i = 0; i < n; i++) {
        v = json_object_get(obj, params[i].name);

        if (v == NULL) {
            if (params[i].flags & NGX_WEBRTC_VR_REQUIRED) {
                return ngx_webrtc_vr_error(r,
                                        NGX_WEBRTC_VR_ERROR_MISSING_ELEMENT,
                                        "Missing mandatory element (%s)",
                                        params[i].name);
            }

            continue;
        }

        if (params[i].type == JSON_TRUE) {
            ok = json_is_boolean(v);

        } else {
            ok = ((int) json_typeof(v) == params[i].type);
        }

        if (ok && (params[i].flags & NGX_WEBRTC_VR_POSITIVE)) {
            if (json_is_integer(v)) {
                ok = (json_integer_value(v) >= 0);

            } else if (json_is_real(v)) {
                ok = (json_real_value(v) >= 0);
            }

        } else if (ok && (params[i].flags & NGX_WEBRTC_VR_NONEMPTY)) {
            if (json_is_string(v)) {
                ok = (json_string_length(v) > 0);

            } else if (json_is_array(v)) {
                ok = (json_array_size(v) > 0);
            }
        }

        if (!ok) {
            ngx_webrtc_vr_type_name(params[i].type, params[i].flags, type);

            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                       "Invalid element type (%s should be "
                                       "%s)", params[i].name, type);
        }
    }

    return NGX_OK;
}


static void
ngx_webrtc_vr_type_name(int type, ngx_uint_t flags, char *buf)
{
    u_char      *p;
    const char  *article, *name;

    if (flags & NGX_WEBRTC_VR_POSITIVE) {
        article = "a positive ";

    } else if (flags & NGX_WEBRTC_VR_NONEMPTY) {
        article = "a non-empty ";

    } else if (type == JSON_INTEGER || type == JSON_ARRAY
               || type == JSON_OBJECT)
    {
        article = "an ";

    } else {
        article = "a ";
    }

    switch (type) {
    case JSON_TRUE:
        name = "boolean";
        break;
    case JSON_INTEGER:
        name = "integer";
        break;
    case JSON_REAL:
        name = "real";
        break;
    case JSON_STRING:
        name = "string";
        break;
    case JSON_ARRAY:
        name = "array";
        break;
    default:
        name = "object";
        break;
    }

    p = ngx_sprintf((u_char *) buf, "%s%s", article, name);
    *p = '\0';
}


/* records Janus's error code and text; always NGX_ERROR, for returns */

ngx_int_t
ngx_webrtc_vr_error(ngx_webrtc_vr_req_t *r, ngx_uint_t code,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf((u_char *) r->error,
                      (u_char *) r->error + NGX_WEBRTC_VR_ERROR_LEN - 1,
                      fmt, args);
    va_end(args);

    *p = '\0';
    r->code = code;

    return NGX_ERROR;
}


json_t *
ngx_webrtc_vr_error_json(ngx_webrtc_vr_req_t *r)
{
    if (r->code == 0) {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                   "Invalid response");
    }

    return json_pack("{s:s, s:i, s:s}", "videoroom", "event",
                     "error_code", (int) r->code, "error", r->error);
}


/* Janus's JANUS_CHECK_SECRET, compared in constant time */

ngx_int_t
ngx_webrtc_vr_check_secret(ngx_webrtc_vr_req_t *r, const u_char *secret,
    size_t len, const char *member)
{
    json_t                 *v;
    ngx_webrtc_vr_param_t   p[1];

    if (len == 0) {
        return NGX_OK;
    }

    p[0].name = member;
    p[0].type = JSON_STRING;
    p[0].flags = NGX_WEBRTC_VR_REQUIRED;

    if (ngx_webrtc_vr_check(r, r->body, p) != NGX_OK) {
        return NGX_ERROR;
    }

    v = json_object_get(r->body, member);

    if (json_string_length(v) != len
        || CRYPTO_memcmp(json_string_value(v), secret, len) != 0)
    {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNAUTHORIZED,
                                   "Unauthorized (wrong %s)", member);
    }

    return NGX_OK;
}


/* "room" already checked as an integer; secret and pin as asked */

ngx_int_t
ngx_webrtc_vr_access_room(ngx_webrtc_vr_req_t *r, ngx_uint_t check_modify,
    ngx_uint_t check_join, ngx_webrtc_room_t **room)
{
    uint64_t            id;
    ngx_webrtc_room_t  *rm;

    id = (uint64_t) json_integer_value(json_object_get(r->body, "room"));

    rm = ngx_webrtc_room_lookup_locked(r->wcf->sh, id);

    if (rm == NULL) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_NO_SUCH_ROOM,
                                   "No such room (%uL)", id);
    }

    if (check_modify
        && ngx_webrtc_vr_check_secret(r, rm->opts.secret,
                                      rm->opts.secret_len, "secret")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (check_join
        && ngx_webrtc_vr_check_secret(r, rm->opts.pin, rm->opts.pin_len,
                                      "pin")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    *room = rm;

    return NGX_OK;
}


/* the plugin's part of a room, made when first needed */

ngx_webrtc_vr_room_t *
ngx_webrtc_vr_room_state(ngx_webrtc_conf_t *wcf, ngx_webrtc_room_t *room)
{
    ngx_webrtc_vr_room_t  *vroom;

    if (room->data) {
        return room->data;
    }

    vroom = ngx_slab_calloc_locked(wcf->shpool, sizeof(ngx_webrtc_vr_room_t));
    if (vroom == NULL) {
        return NULL;
    }

    vroom->room = room;
    ngx_queue_init(&vroom->pubs);
    ngx_queue_init(&vroom->subs);
    ngx_queue_init(&vroom->allowed);

    room->data = vroom;

    return vroom;
}


json_t *
ngx_webrtc_vr_event(const char *videoroom, uint64_t room)
{
    return json_pack("{s:s, s:I}", "videoroom", videoroom,
                     "room", (json_int_t) room);
}


/* an event answering the request in progress: same transaction */

void
ngx_webrtc_vr_reply_locked(ngx_webrtc_vr_req_t *r, json_t *data,
    json_t *jsep)
{
    (void) ngx_webrtc_plugin_event_locked(r->wcf, r->h, r->m->transaction,
                                          data, jsep);
}


/* an event nobody asked for */

void
ngx_webrtc_vr_send_locked(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h,
    json_t *data, json_t *jsep)
{
    (void) ngx_webrtc_plugin_event_locked(wcf, h, NULL, data, jsep);
}


/* every participant of the room but one hears of it; data is consumed */

void
ngx_webrtc_vr_notify_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_room_t *vroom, ngx_webrtc_vr_pub_t *except, json_t *data)
{
    ngx_queue_t          *q;
    ngx_webrtc_vr_pub_t  *pub;

    if (data == NULL) {
        return;
    }

    for (q = ngx_queue_head(&vroom->pubs);
         q != ngx_queue_sentinel(&vroom->pubs);
         q = ngx_queue_next(q))
    {
        pub = ngx_queue_data(q, ngx_webrtc_vr_pub_t, queue);

        if (pub == except) {
            continue;
        }

        ngx_webrtc_vr_send_locked(wcf, pub->handle, json_incref(data), NULL);
    }

    json_decref(data);
}


/*
 * Janus's close_pc: the plugin ends a handle's PeerConnection (unpublish,
 * leave, kick, a room that ends); the client gets "hangup" with reason
 * "Close PC", and, as in Janus, the handle's E2EE flag goes with the
 * PeerConnection.
 */

void
ngx_webrtc_vr_close_pc_locked(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h)
{
    ngx_webrtc_pc_hangup_locked(wcf, h, "Close PC", 0);
}


/* a NUL-terminated copy in the zone; an empty one holds nothing */

ngx_int_t
ngx_webrtc_vr_str_set(ngx_webrtc_conf_t *wcf, ngx_str_t *dst,
    const char *src, size_t len)
{
    u_char  *p;

    p = NULL;

    if (len) {
        p = ngx_slab_alloc_locked(wcf->shpool, len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, src, len);
        p[len] = '\0';
    }

    ngx_webrtc_vr_str_free(wcf, dst);

    dst->data = p;
    dst->len = len;

    return NGX_OK;
}


void
ngx_webrtc_vr_str_free(ngx_webrtc_conf_t *wcf, ngx_str_t *s)
{
    if (s->data) {
        ngx_slab_free_locked(wcf->shpool, s->data);
    }

    s->data = NULL;
    s->len = 0;
}


/* "vp8" -> NGX_WEBRTC_CODEC_VP8; 0 if unknown or of the other kind */

ngx_int_t
ngx_webrtc_vr_codec_from_name(const char *name, ngx_uint_t video)
{
    ngx_uint_t  c;

    for (c = NGX_WEBRTC_CODEC_OPUS; c <= NGX_WEBRTC_CODEC_H265; c++) {
        if (ngx_strcasecmp((u_char *) name,
                           (u_char *) ngx_webrtc_codec_name(c))
            == 0)
        {
            return ((c >= NGX_WEBRTC_CODEC_VP8) == (video != 0)) ? c : 0;
        }
    }

    return 0;
}


/* the value of name in "a=1;name=value;b=2"; 0 if absent */

ngx_uint_t
ngx_webrtc_vr_fmtp_param(const u_char *fmtp, const char *name, char *out,
    size_t size)
{
    size_t         n, len;
    const u_char  *p, *end;

    n = ngx_strlen(name);
    p = fmtp;

    while (*p) {
        while (*p == ' ' || *p == ';') {
            p++;
        }

        end = p;

        while (*end && *end != ';') {
            end++;
        }

        if ((size_t) (end - p) > n && p[n] == '='
            && ngx_strncasecmp((u_char *) p, (u_char *) name, n) == 0)
        {
            len = ngx_min((size_t) (end - p) - n - 1, size - 1);
            ngx_memcpy(out, p + n + 1, len);
            out[len] = '\0';
            return 1;
        }

        p = end;
    }

    return 0;
}


/* routing changed: the media half's caches refresh */

void
ngx_webrtc_vr_changed(ngx_webrtc_conf_t *wcf)
{
    (void) ngx_atomic_fetch_add(&wcf->sh->rooms_generation, 1);
}
