
/*
 * VideoRoom requests answered at once: create, edit, destroy, exists,
 * list, listparticipants, allowed and kick.  Rooms live in the zone next
 * to those of nginx.conf (ngx_webrtc_room_create_locked()); a room the
 * API creates lasts until destroyed, and none is saved to nginx.conf, so
 * "permanent" is refused as Janus refuses it without a configuration
 * file.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"
#include "ngx_webrtc_videoroom.h"


#define NGX_WEBRTC_VR_MIN_BITRATE  64000


typedef json_t *(*ngx_webrtc_vr_sync_pt)(ngx_webrtc_vr_req_t *r);

typedef struct {
    const char                   *name;
    ngx_webrtc_vr_sync_pt         handler;
} ngx_webrtc_vr_sync_t;


static json_t *ngx_webrtc_vr_create(ngx_webrtc_vr_req_t *r);
static json_t *ngx_webrtc_vr_edit(ngx_webrtc_vr_req_t *r);
static json_t *ngx_webrtc_vr_destroy(ngx_webrtc_vr_req_t *r);
static json_t *ngx_webrtc_vr_exists(ngx_webrtc_vr_req_t *r);
static json_t *ngx_webrtc_vr_list(ngx_webrtc_vr_req_t *r);
static json_t *ngx_webrtc_vr_listparticipants(ngx_webrtc_vr_req_t *r);
static json_t *ngx_webrtc_vr_allowed(ngx_webrtc_vr_req_t *r);
static json_t *ngx_webrtc_vr_kick(ngx_webrtc_vr_req_t *r);
static ngx_int_t ngx_webrtc_vr_opt_str(ngx_webrtc_vr_req_t *r,
    const char *key, u_char *dst, size_t *len, size_t size);
static ngx_int_t ngx_webrtc_vr_opt_codecs(ngx_webrtc_vr_req_t *r,
    const char *key, ngx_uint_t video, u_char *dst);
static ngx_int_t ngx_webrtc_vr_tokens_check(ngx_webrtc_vr_req_t *r,
    json_t *allowed);
static ngx_int_t ngx_webrtc_vr_tokens_add(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_room_t *vroom, json_t *allowed, ngx_uint_t add);
static json_t *ngx_webrtc_vr_codec_list(u_char *codecs);
static ngx_int_t ngx_webrtc_vr_refuse_permanent(ngx_webrtc_vr_req_t *r,
    const char *what);


static ngx_webrtc_vr_sync_t  ngx_webrtc_vr_sync[] = {
    { "create", ngx_webrtc_vr_create },
    { "edit", ngx_webrtc_vr_edit },
    { "destroy", ngx_webrtc_vr_destroy },
    { "exists", ngx_webrtc_vr_exists },
    { "list", ngx_webrtc_vr_list },
    { "listparticipants", ngx_webrtc_vr_listparticipants },
    { "allowed", ngx_webrtc_vr_allowed },
    { "kick", ngx_webrtc_vr_kick },
    { NULL, NULL }
};


static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_create_params[] = {
    { "room", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "description", JSON_STRING, 0 },
    { "is_private", JSON_TRUE, 0 },
    { "allowed", JSON_ARRAY, 0 },
    { "secret", JSON_STRING, 0 },
    { "pin", JSON_STRING, 0 },
    { "require_pvtid", JSON_TRUE, 0 },
    { "signed_tokens", JSON_TRUE, 0 },
    { "bitrate", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "bitrate_cap", JSON_TRUE, 0 },
    { "fir_freq", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "publishers", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "audiocodec", JSON_STRING, 0 },
    { "videocodec", JSON_STRING, 0 },
    { "vp9_profile", JSON_STRING, 0 },
    { "h264_profile", JSON_STRING, 0 },
    { "opus_fec", JSON_TRUE, 0 },
    { "opus_dtx", JSON_TRUE, 0 },
    { "audiolevel_ext", JSON_TRUE, 0 },
    { "audiolevel_event", JSON_TRUE, 0 },
    { "audio_active_packets", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "audio_level_average", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "videoorient_ext", JSON_TRUE, 0 },
    { "playoutdelay_ext", JSON_TRUE, 0 },
    { "transport_wide_cc_ext", JSON_TRUE, 0 },
    { "record", JSON_TRUE, 0 },
    { "rec_dir", JSON_STRING, 0 },
    { "lock_record", JSON_TRUE, 0 },
    { "permanent", JSON_TRUE, 0 },
    { "notify_joining", JSON_TRUE, 0 },
    { "require_e2ee", JSON_TRUE, 0 },
    { "dummy_publisher", JSON_TRUE, 0 },
    { "dummy_streams", JSON_ARRAY, 0 },
    { "dummy_e2ee", JSON_TRUE, 0 },
    { "threads", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_edit_params[] = {
    { "secret", JSON_STRING, 0 },
    { "new_description", JSON_STRING, 0 },
    { "new_is_private", JSON_TRUE, 0 },
    { "new_secret", JSON_STRING, 0 },
    { "new_pin", JSON_STRING, 0 },
    { "new_require_pvtid", JSON_TRUE, 0 },
    { "new_bitrate", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "new_fir_freq", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "new_publishers", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "new_lock_record", JSON_TRUE, 0 },
    { "new_rec_dir", JSON_STRING, 0 },
    { "permanent", JSON_TRUE, 0 }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_room_params[] = {
    { "room", JSON_INTEGER, NGX_WEBRTC_VR_REQUIRED | NGX_WEBRTC_VR_POSITIVE }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_destroy_params[] = {
    { "permanent", JSON_TRUE, 0 }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_allowed_params[] = {
    { "secret", JSON_STRING, 0 },
    { "action", JSON_STRING, NGX_WEBRTC_VR_REQUIRED },
    { "allowed", JSON_ARRAY, 0 }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_kick_params[] = {
    { "id", JSON_INTEGER, NGX_WEBRTC_VR_REQUIRED | NGX_WEBRTC_VR_POSITIVE },
    { "secret", JSON_STRING, 0 }
};


/* the reply to a synchronous request, or NULL: not one of them */

json_t *
ngx_webrtc_vr_sync_request(ngx_webrtc_vr_req_t *r)
{
    json_t                *res;
    ngx_webrtc_vr_sync_t  *s;

    for (s = ngx_webrtc_vr_sync; s->name; s++) {
        if (ngx_strcasecmp((u_char *) r->request, (u_char *) s->name) != 0) {
            continue;
        }

        res = s->handler(r);

        if (res == NULL) {
            res = ngx_webrtc_vr_error_json(r);
        }

        return res;
    }

    return NULL;
}


static json_t *
ngx_webrtc_vr_create(ngx_webrtc_vr_req_t *r)
{
    json_t                  *v, *allowed;
    uint64_t                 id;
    ngx_webrtc_conf_t       *wcf;
    ngx_webrtc_room_t       *room;
    ngx_webrtc_vr_room_t    *vroom;
    ngx_webrtc_room_opts_t   opts;

    wcf = r->wcf;

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_create_params)
        != NGX_OK)
    {
        return NULL;
    }

    if (wcf->admin_key.len
        && ngx_webrtc_vr_check_secret(r, wcf->admin_key.data,
                                      wcf->admin_key.len, "admin_key")
           != NGX_OK)
    {
        return NULL;
    }

    /* not in Janus: nginx.conf decides whether clients may make rooms */
    if (!wcf->room_create) {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNAUTHORIZED,
                                   "Unauthorized (rooms can't be created "
                                   "through the API on this server)");
        return NULL;
    }

    ngx_memzero(&opts, sizeof(ngx_webrtc_room_opts_t));

    if (ngx_webrtc_vr_opt_codecs(r, "audiocodec", 0, opts.audiocodec)
        != NGX_OK
        || ngx_webrtc_vr_opt_codecs(r, "videocodec", 1, opts.videocodec)
           != NGX_OK)
    {
        return NULL;
    }

    allowed = json_object_get(r->body, "allowed");

    if (ngx_webrtc_vr_tokens_check(r, allowed) != NGX_OK) {
        return NULL;
    }

    if (json_is_true(json_object_get(r->body, "permanent"))) {
        (void) ngx_webrtc_vr_refuse_permanent(r, "create permanent room");
        return NULL;
    }

    if (ngx_webrtc_vr_opt_str(r, "description", opts.description,
                              &opts.description_len,
                              sizeof(opts.description))
        != NGX_OK
        || ngx_webrtc_vr_opt_str(r, "secret", opts.secret, &opts.secret_len,
                                 sizeof(opts.secret))
           != NGX_OK
        || ngx_webrtc_vr_opt_str(r, "pin", opts.pin, &opts.pin_len,
                                 sizeof(opts.pin))
           != NGX_OK
        || ngx_webrtc_vr_opt_str(r, "rec_dir", opts.rec_dir,
                                 &opts.rec_dir_len, sizeof(opts.rec_dir))
           != NGX_OK)
    {
        return NULL;
    }

    id = (uint64_t) json_integer_value(json_object_get(r->body, "room"));

    if (id && ngx_webrtc_room_lookup_locked(wcf->sh, id)) {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_ROOM_EXISTS,
                                   "Room %uL already exists", id);
        return NULL;
    }

    while (id == 0) {
        id = ngx_webrtc_random_id();

        if (ngx_webrtc_room_lookup_locked(wcf->sh, id)) {
            id = 0;
        }
    }

    opts.id = id;

    if (opts.description_len == 0) {
        opts.description_len = ngx_sprintf(opts.description, "Room %uL", id)
                               - opts.description;
    }

    /* Janus's defaults and bounds */

    v = json_object_get(r->body, "publishers");
    opts.publishers = v ? (ngx_uint_t) json_integer_value(v) : 3;

    opts.bitrate = (ngx_uint_t) json_integer_value(
                                    json_object_get(r->body, "bitrate"));
    if (opts.bitrate && opts.bitrate < NGX_WEBRTC_VR_MIN_BITRATE) {
        opts.bitrate = NGX_WEBRTC_VR_MIN_BITRATE;
    }

    opts.fir_freq = (ngx_uint_t) json_integer_value(
                                     json_object_get(r->body, "fir_freq"));

    opts.audio_active_packets = 100;
    opts.audio_level_average = 25;

    v = json_object_get(r->body, "audio_active_packets");
    if (json_integer_value(v) > 0) {
        opts.audio_active_packets = (ngx_uint_t) json_integer_value(v);
    }

    v = json_object_get(r->body, "audio_level_average");
    if (json_integer_value(v) > 0) {
        opts.audio_level_average = (ngx_uint_t) json_integer_value(v);
    }

    opts.max_participants = ngx_max(wcf->max_participants, opts.publishers);

    opts.require_e2ee = json_is_true(json_object_get(r->body,
                                                     "require_e2ee"));
    opts.is_private = json_is_true(json_object_get(r->body, "is_private"));
    opts.audiolevel_event = json_is_true(json_object_get(r->body,
                                                      "audiolevel_event"));
    opts.notify_joining = json_is_true(json_object_get(r->body,
                                                       "notify_joining"));
    opts.record = json_is_true(json_object_get(r->body, "record"));

    room = ngx_webrtc_room_create_locked(wcf, &opts, r->m->log);
    if (room == NULL) {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                   "Out of memory in the shared zone");
        return NULL;
    }

    if (allowed
        || json_is_true(json_object_get(r->body, "require_pvtid"))
        || json_is_true(json_object_get(r->body, "lock_record")))
    {
        vroom = ngx_webrtc_vr_room_state(wcf, room);

        if (vroom == NULL
            || ngx_webrtc_vr_tokens_add(r, vroom, allowed, 1) != NGX_OK)
        {
            ngx_webrtc_room_destroy_locked(wcf, room, r->m->log);
            (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                       "Out of memory in the shared zone");
            return NULL;
        }

        vroom->check_allowed = (allowed != NULL);
        vroom->require_pvtid = json_is_true(json_object_get(r->body,
                                                        "require_pvtid"));
        vroom->lock_record = json_is_true(json_object_get(r->body,
                                                          "lock_record"));
    }

    ngx_log_error(NGX_LOG_INFO, r->m->log, 0,
                  "webrtc room %uL created through the API", id);

    return json_pack("{s:s, s:I, s:b}", "videoroom", "created",
                     "room", (json_int_t) id, "permanent", 0);
}


/* a string option that must fit the zone's fixed-size room */

static ngx_int_t
ngx_webrtc_vr_opt_str(ngx_webrtc_vr_req_t *r, const char *key, u_char *dst,
    size_t *len, size_t size)
{
    json_t  *v;

    v = json_object_get(r->body, key);

    if (v == NULL) {
        return NGX_OK;
    }

    if (json_string_length(v) >= size) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                   "Invalid value (%s is longer than %uz "
                                   "bytes)", key, size - 1);
    }

    ngx_memcpy(dst, json_string_value(v), json_string_length(v));
    *len = json_string_length(v);

    return NGX_OK;
}


/* "opus,g722" into the room's codec list; the default when absent */

static ngx_int_t
ngx_webrtc_vr_opt_codecs(ngx_webrtc_vr_req_t *r, const char *key,
    ngx_uint_t video, u_char *dst)
{
    char        name[16];
    json_t     *v;
    ngx_int_t   codec;
    ngx_uint_t  i, n, k;
    const char  *p, *end;

    v = json_object_get(r->body, key);

    if (v == NULL) {
        dst[0] = video ? NGX_WEBRTC_CODEC_VP8 : NGX_WEBRTC_CODEC_OPUS;
        return NGX_OK;
    }

    p = json_string_value(v);
    n = 0;

    for ( ;; ) {
        end = p;

        while (*end && *end != ',') {
            end++;
        }

        codec = 0;

        if (end - p > 0 && (size_t) (end - p) < sizeof(name)) {
            ngx_memcpy(name, p, end - p);
            name[end - p] = '\0';
            codec = ngx_webrtc_vr_codec_from_name(name, video);
        }

        if (codec == 0) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                       video
                                       ? "Invalid element (videocodec can "
                                         "only be or contain vp8, vp9, av1, "
                                         "h264 or h265)"
                                       : "Invalid element (audiocodec can "
                                         "only be or contain opus, isac32, "
                                         "isac16, pcmu, pcma or g722)");
        }

        for (k = 0; k < n; k++) {
            if (dst[k] == codec) {
                break;
            }
        }

        /* as Janus: codecs past the list's room are ignored */
        if (k == n && n < NGX_WEBRTC_MAX_CODECS) {
            dst[n++] = (u_char) codec;
        }

        if (*end == '\0') {
            break;
        }

        p = end + 1;
    }

    for (i = n; i < NGX_WEBRTC_MAX_CODECS; i++) {
        dst[i] = NGX_WEBRTC_CODEC_NONE;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_webrtc_vr_tokens_check(ngx_webrtc_vr_req_t *r, json_t *allowed)
{
    ngx_uint_t  i;

    for (i = 0; i < json_array_size(allowed); i++) {
        if (!json_is_string(json_array_get(allowed, i))) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                       "Invalid element in the allowed "
                                       "array (not a string)");
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_webrtc_vr_tokens_add(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_room_t *vroom,
    json_t *allowed, ngx_uint_t add)
{
    json_t                 *v;
    ngx_uint_t              i;
    ngx_queue_t            *q;
    ngx_webrtc_vr_token_t  *t;

    for (i = 0; i < json_array_size(allowed); i++) {
        v = json_array_get(allowed, i);
        t = NULL;

        for (q = ngx_queue_head(&vroom->allowed);
             q != ngx_queue_sentinel(&vroom->allowed);
             q = ngx_queue_next(q))
        {
            t = ngx_queue_data(q, ngx_webrtc_vr_token_t, queue);

            if (t->len == json_string_length(v)
                && ngx_memcmp(t->data, json_string_value(v), t->len) == 0)
            {
                break;
            }

            t = NULL;
        }

        if (!add) {
            if (t) {
                ngx_queue_remove(&t->queue);
                ngx_slab_free_locked(r->wcf->shpool, t);
            }

            continue;
        }

        if (t) {
            continue;
        }

        t = ngx_slab_alloc_locked(r->wcf->shpool,
                                  offsetof(ngx_webrtc_vr_token_t, data)
                                  + json_string_length(v) + 1);
        if (t == NULL) {
            return NGX_ERROR;
        }

        t->len = json_string_length(v);
        ngx_memcpy(t->data, json_string_value(v), t->len);
        t->data[t->len] = '\0';
        ngx_queue_insert_tail(&vroom->allowed, &t->queue);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_webrtc_vr_refuse_permanent(ngx_webrtc_vr_req_t *r, const char *what)
{
    /* rooms live in nginx.conf, which the API never writes */
    return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                               "No configuration file, can't %s", what);
}


static json_t *
ngx_webrtc_vr_edit(ngx_webrtc_vr_req_t *r)
{
    json_t                 *v;
    ngx_uint_t              bitrate;
    ngx_webrtc_room_t      *room;
    ngx_webrtc_vr_room_t   *vroom;
    ngx_webrtc_room_opts_t  opts;

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_room_params) != NGX_OK
        || ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_edit_params)
           != NGX_OK)
    {
        return NULL;
    }

    if (json_is_true(json_object_get(r->body, "permanent"))) {
        (void) ngx_webrtc_vr_refuse_permanent(r, "edit room permanently");
        return NULL;
    }

    if (ngx_webrtc_vr_access_room(r, 1, 0, &room) != NGX_OK) {
        return NULL;
    }

    /* a copy, so that a value too long changes nothing */
    opts = room->opts;

    v = json_object_get(r->body, "new_description");
    if (json_string_length(v)
        && ngx_webrtc_vr_opt_str(r, "new_description", opts.description,
                                 &opts.description_len,
                                 sizeof(opts.description))
           != NGX_OK)
    {
        return NULL;
    }

    v = json_object_get(r->body, "new_secret");
    if (json_string_length(v)
        && ngx_webrtc_vr_opt_str(r, "new_secret", opts.secret,
                                 &opts.secret_len, sizeof(opts.secret))
           != NGX_OK)
    {
        return NULL;
    }

    v = json_object_get(r->body, "new_pin");
    if (json_string_length(v)
        && ngx_webrtc_vr_opt_str(r, "new_pin", opts.pin, &opts.pin_len,
                                 sizeof(opts.pin))
           != NGX_OK)
    {
        return NULL;
    }

    if (ngx_webrtc_vr_opt_str(r, "new_rec_dir", opts.rec_dir,
                              &opts.rec_dir_len, sizeof(opts.rec_dir))
        != NGX_OK)
    {
        return NULL;
    }

    v = json_object_get(r->body, "new_is_private");
    if (v) {
        opts.is_private = json_is_true(v);
    }

    v = json_object_get(r->body, "new_publishers");
    if (v) {
        opts.publishers = (ngx_uint_t) json_integer_value(v);
        opts.max_participants = ngx_max(opts.max_participants,
                                        opts.publishers);
    }

    v = json_object_get(r->body, "new_bitrate");
    if (v) {
        bitrate = (ngx_uint_t) json_integer_value(v);

        if (bitrate && bitrate < NGX_WEBRTC_VR_MIN_BITRATE) {
            bitrate = NGX_WEBRTC_VR_MIN_BITRATE;
        }

        opts.bitrate = bitrate;
    }

    v = json_object_get(r->body, "new_fir_freq");
    if (v) {
        opts.fir_freq = (ngx_uint_t) json_integer_value(v);
    }

    if (json_object_get(r->body, "new_require_pvtid")
        || json_object_get(r->body, "new_lock_record"))
    {
        vroom = ngx_webrtc_vr_room_state(r->wcf, room);
        if (vroom == NULL) {
            (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                       "Out of memory in the shared zone");
            return NULL;
        }

        v = json_object_get(r->body, "new_require_pvtid");
        if (v) {
            vroom->require_pvtid = json_is_true(v);
        }

        v = json_object_get(r->body, "new_lock_record");
        if (v) {
            vroom->lock_record = json_is_true(v);
        }
    }

    room->opts = opts;
    ngx_webrtc_vr_changed(r->wcf);

    return json_pack("{s:s, s:I, s:b}", "videoroom", "edited",
                     "room", (json_int_t) opts.id, "permanent", 0);
}


static json_t *
ngx_webrtc_vr_destroy(ngx_webrtc_vr_req_t *r)
{
    uint64_t            id;
    ngx_webrtc_room_t  *room;

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_room_params) != NGX_OK
        || ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_destroy_params)
           != NGX_OK)
    {
        return NULL;
    }

    if (json_is_true(json_object_get(r->body, "permanent"))) {
        (void) ngx_webrtc_vr_refuse_permanent(r, "destroy room permanently");
        return NULL;
    }

    if (ngx_webrtc_vr_access_room(r, 1, 0, &room) != NGX_OK) {
        return NULL;
    }

    id = room->opts.id;

    /* its participants hear "destroyed" (ngx_webrtc_videoroom_room_gone) */
    ngx_webrtc_room_destroy_locked(r->wcf, room, r->m->log);

    ngx_log_error(NGX_LOG_INFO, r->m->log, 0,
                  "webrtc room %uL destroyed through the API", id);

    return json_pack("{s:s, s:I, s:b}", "videoroom", "destroyed",
                     "room", (json_int_t) id, "permanent", 0);
}


static json_t *
ngx_webrtc_vr_exists(ngx_webrtc_vr_req_t *r)
{
    uint64_t  id;

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_room_params) != NGX_OK)
    {
        return NULL;
    }

    id = (uint64_t) json_integer_value(json_object_get(r->body, "room"));

    return json_pack("{s:s, s:I, s:b}", "videoroom", "success",
                     "room", (json_int_t) id,
                     "exists",
                     ngx_webrtc_room_lookup_locked(r->wcf->sh, id) != NULL);
}


/* private rooms are listed only for a valid admin_key, as in Janus */

static json_t *
ngx_webrtc_vr_list(ngx_webrtc_vr_req_t *r)
{
    json_t                *list, *rl, *key;
    ngx_uint_t             all, opus;
    ngx_queue_t           *q;
    ngx_webrtc_room_t     *room;
    ngx_webrtc_vr_room_t  *vroom;

    all = 0;
    key = json_object_get(r->body, "admin_key");

    if (r->wcf->admin_key.len && json_is_string(key)
        && json_string_length(key))
    {
        if (ngx_webrtc_vr_check_secret(r, r->wcf->admin_key.data,
                                       r->wcf->admin_key.len, "admin_key")
            != NGX_OK)
        {
            return NULL;
        }

        all = 1;
    }

    list = json_array();

    for (q = ngx_queue_head(&r->wcf->sh->rooms);
         list && q != ngx_queue_sentinel(&r->wcf->sh->rooms);
         q = ngx_queue_next(q))
    {
        room = ngx_queue_data(q, ngx_webrtc_room_t, queue);
        vroom = room->data;

        if (room->opts.is_private && !all) {
            continue;
        }

        opus = (ngx_strlchr(room->opts.audiocodec,
                            room->opts.audiocodec + NGX_WEBRTC_MAX_CODECS,
                            NGX_WEBRTC_CODEC_OPUS)
                != NULL);

        rl = json_pack("{s:I, s:s%, s:b, s:b, s:i, s:I, s:i, s:b, s:b,"
                       " s:b, s:b, s:o, s:o, s:b, s:b, s:i, s:b, s:b, s:b,"
                       " s:b, s:b}",
                       "room", (json_int_t) room->opts.id,
                       "description", (char *) room->opts.description,
                       room->opts.description_len,
                       "pin_required", room->opts.pin_len != 0,
                       "is_private", (int) room->opts.is_private,
                       "max_publishers", (int) room->opts.publishers,
                       "bitrate", (json_int_t) room->opts.bitrate,
                       "fir_freq", (int) room->opts.fir_freq,
                       "require_pvtid", vroom && vroom->require_pvtid,
                       "require_e2ee", (int) room->opts.require_e2ee,
                       "dummy_publisher", 0,
                       "notify_joining", (int) room->opts.notify_joining,
                       "audiocodec",
                       ngx_webrtc_vr_codec_list(room->opts.audiocodec),
                       "videocodec",
                       ngx_webrtc_vr_codec_list(room->opts.videocodec),
                       "record", (int) room->opts.record,
                       "lock_record", vroom && vroom->lock_record,
                       "num_participants", (int) room->participants,
                       "audiolevel_ext", 1,
                       "audiolevel_event", (int) room->opts.audiolevel_event,
                       "videoorient_ext", 1,
                       "playoutdelay_ext", 1,
                       "transport_wide_cc_ext", 1);
        if (rl == NULL) {
            continue;
        }

        if (opus) {
            json_object_set_new(rl, "opus_fec", json_true());
        }

        if (room->opts.rec_dir_len) {
            json_object_set_new(rl, "rec_dir",
                                json_stringn((char *) room->opts.rec_dir,
                                             room->opts.rec_dir_len));
        }

        if (room->opts.audiolevel_event) {
            json_object_set_new(rl, "audio_active_packets",
                       json_integer(room->opts.audio_active_packets));
            json_object_set_new(rl, "audio_level_average",
                       json_integer(room->opts.audio_level_average));
        }

        json_array_append_new(list, rl);
    }

    return json_pack("{s:s, s:o}", "videoroom", "success", "list", list);
}


/* "opus,g722", as Janus writes the room's codecs */

static json_t *
ngx_webrtc_vr_codec_list(u_char *codecs)
{
    u_char      buf[NGX_WEBRTC_MAX_CODECS * 8], *p;
    ngx_uint_t  i;

    p = buf;

    for (i = 0; i < NGX_WEBRTC_MAX_CODECS && codecs[i]; i++) {
        p = ngx_sprintf(p, "%s%s", i ? "," : "",
                        ngx_webrtc_codec_name(codecs[i]));
    }

    return json_stringn((char *) buf, p - buf);
}


static json_t *
ngx_webrtc_vr_listparticipants(ngx_webrtc_vr_req_t *r)
{
    json_t                   *list, *p;
    ngx_uint_t                i, level, talking;
    ngx_queue_t              *q;
    ngx_webrtc_room_t        *room;
    ngx_webrtc_vr_pub_t      *pub;
    ngx_webrtc_vr_room_t     *vroom;
    ngx_webrtc_vr_pstream_t  *ps;

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_room_params) != NGX_OK
        || ngx_webrtc_vr_access_room(r, 0, 0, &room) != NGX_OK)
    {
        return NULL;
    }

    list = json_array();
    vroom = room->data;

    for (q = vroom ? ngx_queue_head(&vroom->pubs) : NULL;
         list && vroom && q != ngx_queue_sentinel(&vroom->pubs);
         q = ngx_queue_next(q))
    {
        pub = ngx_queue_data(q, ngx_webrtc_vr_pub_t, queue);

        p = json_pack("{s:I}", "id", (json_int_t) pub->id);
        if (p == NULL) {
            continue;
        }

        if (pub->display.len) {
            json_object_set_new(p, "display",
                                json_string((char *) pub->display.data));
        }

        if (pub->metadata.len) {
            json_object_set_new(p, "metadata",
                                json_loads((char *) pub->metadata.data, 0,
                                           NULL));
        }

        json_object_set_new(p, "publisher", json_boolean(pub->publishing));

        level = 0;
        talking = 0;

        for (i = 0; pub->publishing && i < pub->nstreams; i++) {
            ps = pub->streams[i];

            if (ps && ps->kind == WR_SDP_KIND_AUDIO
                && ps->ext_id[WR_SDP_EXT_AUDIO_LEVEL])
            {
                level = 1;
                talking |= ps->talking;
            }
        }

        if (level) {
            json_object_set_new(p, "talking", json_boolean(talking));
        }

        json_array_append_new(list, p);
    }

    return json_pack("{s:s, s:I, s:o}", "videoroom", "participants",
                     "room", (json_int_t) room->opts.id,
                     "participants", list);
}


static json_t *
ngx_webrtc_vr_allowed(ngx_webrtc_vr_req_t *r)
{
    json_t                 *res, *list, *allowed;
    ngx_uint_t              disable;
    const char             *action;
    ngx_queue_t            *q;
    ngx_webrtc_room_t      *room;
    ngx_webrtc_vr_room_t   *vroom;
    ngx_webrtc_vr_token_t  *t;

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_room_params) != NGX_OK
        || ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_allowed_params)
           != NGX_OK)
    {
        return NULL;
    }

    action = json_string_value(json_object_get(r->body, "action"));

    if (ngx_strcasecmp((u_char *) action, (u_char *) "enable") != 0
        && ngx_strcasecmp((u_char *) action, (u_char *) "disable") != 0
        && ngx_strcasecmp((u_char *) action, (u_char *) "add") != 0
        && ngx_strcasecmp((u_char *) action, (u_char *) "remove") != 0)
    {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                   "Unsupported action '%s' (allowed)",
                                   action);
        return NULL;
    }

    if (ngx_webrtc_vr_access_room(r, 1, 0, &room) != NGX_OK) {
        return NULL;
    }

    vroom = ngx_webrtc_vr_room_state(r->wcf, room);
    if (vroom == NULL) {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                   "Out of memory in the shared zone");
        return NULL;
    }

    disable = 0;
    allowed = json_object_get(r->body, "allowed");

    if (ngx_strcasecmp((u_char *) action, (u_char *) "enable") == 0) {
        vroom->check_allowed = 1;

    } else if (ngx_strcasecmp((u_char *) action, (u_char *) "disable") == 0) {
        vroom->check_allowed = 0;
        disable = 1;

    } else {
        if (ngx_webrtc_vr_tokens_check(r, allowed) != NGX_OK) {
            return NULL;
        }

        if (ngx_webrtc_vr_tokens_add(r, vroom, allowed,
                                     ngx_strcasecmp((u_char *) action,
                                                    (u_char *) "add") == 0)
            != NGX_OK)
        {
            (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                       "Out of memory in the shared zone");
            return NULL;
        }
    }

    res = json_pack("{s:s, s:I}", "videoroom", "success",
                    "room", (json_int_t) room->opts.id);

    if (res == NULL || disable) {
        return res;
    }

    list = json_array();

    for (q = ngx_queue_head(&vroom->allowed);
         list && q != ngx_queue_sentinel(&vroom->allowed);
         q = ngx_queue_next(q))
    {
        t = ngx_queue_data(q, ngx_webrtc_vr_token_t, queue);
        json_array_append_new(list, json_stringn((char *) t->data, t->len));
    }

    json_object_set_new(res, "allowed", list);

    return res;
}


/*
 * The kicked participant hears it first, the room then hears "kicked";
 * its PeerConnection ends, and with require_pvtid so do the uses of its
 * subscriptions.
 */

static json_t *
ngx_webrtc_vr_kick(ngx_webrtc_vr_req_t *r)
{
    uint64_t               id;
    ngx_queue_t           *q;
    ngx_webrtc_room_t     *room;
    ngx_webrtc_vr_pub_t   *pub;
    ngx_webrtc_vr_sub_t   *sub;
    ngx_webrtc_vr_room_t  *vroom;

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_room_params) != NGX_OK
        || ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_kick_params)
           != NGX_OK
        || ngx_webrtc_vr_access_room(r, 1, 0, &room) != NGX_OK)
    {
        return NULL;
    }

    id = (uint64_t) json_integer_value(json_object_get(r->body, "id"));
    vroom = room->data;
    pub = vroom ? ngx_webrtc_vr_pub_find(vroom, id) : NULL;

    if (pub == NULL) {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_NO_SUCH_FEED,
                                   "No such user %uL in room %uL", id,
                                   room->opts.id);
        return NULL;
    }

    pub->kicked = 1;

    ngx_webrtc_vr_send_locked(r->wcf, pub->handle,
                              json_pack("{s:s, s:I, s:s, s:s}",
                                        "videoroom", "event",
                                        "room", (json_int_t) room->opts.id,
                                        "leaving", "ok",
                                        "reason", "kicked"),
                              NULL);

    if (vroom->require_pvtid) {
        for (q = ngx_queue_head(&vroom->subs);
             q != ngx_queue_sentinel(&vroom->subs);
             q = ngx_queue_next(q))
        {
            sub = ngx_queue_data(q, ngx_webrtc_vr_sub_t, queue);

            if (sub->private_id == pub->private_id) {
                sub->kicked = 1;
            }
        }
    }

    ngx_webrtc_vr_pub_unpublish_locked(r->wcf, pub, 1);
    ngx_webrtc_vr_pub_leave_locked(r->wcf, pub, "kicked");
    ngx_webrtc_vr_close_pc_locked(r->wcf, pub->handle);

    ngx_log_error(NGX_LOG_INFO, r->m->log, 0,
                  "webrtc room %uL: participant %uL kicked", room->opts.id,
                  id);

    return json_pack("{s:s}", "videoroom", "success");
}
