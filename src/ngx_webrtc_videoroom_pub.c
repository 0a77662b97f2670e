
/*
 * VideoRoom publishers: join, publish and configure (the server answers
 * the publisher's offer and records its streams in the zone), unpublish,
 * leave, and what the room hears of them ("publishers", "joining",
 * "unpublished", "leaving", "kicked", display and metadata changes).
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"
#include "ngx_webrtc_videoroom.h"


static ngx_int_t ngx_webrtc_vr_pub_check_codecs(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_room_opts_t *opts, ngx_webrtc_vr_pub_t *pub);
static ngx_int_t ngx_webrtc_vr_pub_configure(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_pub_t *pub);
static ngx_int_t ngx_webrtc_vr_pub_set_json(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_pub_t *pub, const char *key, ngx_str_t *dst,
    ngx_uint_t *changed);
static ngx_int_t ngx_webrtc_vr_pub_publish(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_pub_t *pub, json_t *event);
static ngx_int_t ngx_webrtc_vr_pub_streams(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_pub_t *pub, const wr_sdp_t *offer,
    const wr_sdp_answer_t *neg, json_t *descriptions);
static void ngx_webrtc_vr_pstream_set(ngx_webrtc_vr_pstream_t *ps,
    const wr_sdp_media_t *om, const wr_sdp_answer_media_t *am);
static ngx_int_t ngx_webrtc_vr_pub_describe(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_pub_t *pub, json_t *descriptions);
static json_t *ngx_webrtc_vr_pstream_json(ngx_webrtc_vr_pstream_t *ps,
    ngx_uint_t talking);
static json_t *ngx_webrtc_vr_pub_event(ngx_webrtc_vr_pub_t *pub,
    const char *key);
static void ngx_webrtc_vr_pub_announce(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_pub_t *pub);
static json_t *ngx_webrtc_vr_pub_brief(ngx_webrtc_vr_pub_t *pub);
static void ngx_webrtc_vr_copy(u_char *dst, size_t size, wr_sdp_str_t src);


static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_publisher_params[] = {
    { "display", JSON_STRING, 0 },
    { "metadata", JSON_OBJECT, 0 },
    { "id", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "descriptions", JSON_ARRAY, 0 },
    { "audiocodec", JSON_STRING, 0 },
    { "videocodec", JSON_STRING, 0 },
    { "audio_active_packets", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "audio_level_average", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_desc_params[] = {
    { "mid", JSON_STRING, NGX_WEBRTC_VR_REQUIRED },
    { "description", JSON_STRING, NGX_WEBRTC_VR_REQUIRED }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_publish_params[] = {
    { "descriptions", JSON_ARRAY, 0 },
    { "audiocodec", JSON_STRING, 0 },
    { "videocodec", JSON_STRING, 0 },
    { "bitrate", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "keyframe", JSON_TRUE, 0 },
    { "record", JSON_TRUE, 0 },
    { "filename", JSON_STRING, 0 },
    { "display", JSON_STRING, 0 },
    { "metadata", JSON_OBJECT, 0 },
    { "secret", JSON_STRING, 0 },
    { "audio_level_average", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "audio_active_packets", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "audio", JSON_TRUE, 0 },
    { "video", JSON_TRUE, 0 },
    { "data", JSON_TRUE, 0 },
    { "update", JSON_TRUE, 0 },
    { "restart", JSON_TRUE, 0 },
    { "streams", JSON_ARRAY, 0 }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_publish_stream_params[] = {
    { "mid", JSON_STRING, 0 },
    { "send", JSON_TRUE, 0 },
    { "keyframe", JSON_TRUE, 0 },
    { "min_delay", JSON_INTEGER, 0 },
    { "max_delay", JSON_INTEGER, 0 }
};


ngx_int_t
ngx_webrtc_vr_pub_join(ngx_webrtc_vr_req_t *r, ngx_webrtc_room_t *room)
{
    json_t                 *v, *event, *list, *attendees, *token;
    uint64_t                id;
    uint32_t                pvt;
    ngx_uint_t              i, found;
    ngx_queue_t            *q;
    ngx_webrtc_vr_pub_t    *pub, *p;
    ngx_webrtc_vr_room_t   *vroom;
    ngx_webrtc_vr_token_t  *t;

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_publisher_params)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    v = json_object_get(r->body, "descriptions");

    for (i = 0; i < json_array_size(v); i++) {
        if (ngx_webrtc_vr_check(r, json_array_get(v, i),
                                ngx_webrtc_vr_desc_params)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    vroom = ngx_webrtc_vr_room_state(r->wcf, room);
    if (vroom == NULL) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                   "Out of memory in the shared zone");
    }

    if (vroom->check_allowed) {
        token = json_object_get(r->body, "token");
        found = 0;

        for (q = ngx_queue_head(&vroom->allowed);
             token && q != ngx_queue_sentinel(&vroom->allowed);
             q = ngx_queue_next(q))
        {
            t = ngx_queue_data(q, ngx_webrtc_vr_token_t, queue);

            if (t->len == json_string_length(token)
                && ngx_memcmp(t->data, json_string_value(token), t->len) == 0)
            {
                found = 1;
                break;
            }
        }

        if (!found) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNAUTHORIZED,
                                       "Unauthorized (not in the allowed "
                                       "list)");
        }
    }

    id = (uint64_t) json_integer_value(json_object_get(r->body, "id"));

    if (id && ngx_webrtc_vr_pub_find(vroom, id)) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_ID_EXISTS,
                                   "User ID %uL already exists", id);
    }

    /* not in Janus: nginx.conf bounds a room, as it bounds the server */
    if (room->opts.max_participants
        && vroom->npubs >= room->opts.max_participants)
    {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_PUBLISHERS_FULL,
                                   "Maximum number of participants (%ui) "
                                   "already reached",
                                   room->opts.max_participants);
    }

    pub = ngx_slab_calloc_locked(r->wcf->shpool, sizeof(ngx_webrtc_vr_pub_t));
    if (pub == NULL) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                   "Out of memory in the shared zone");
    }

    pub->type = NGX_WEBRTC_VR_PUBLISHER;
    pub->handle = r->h;
    pub->bitrate = room->opts.bitrate;

    if (ngx_webrtc_vr_pub_check_codecs(r, &room->opts, pub) != NGX_OK
        || ngx_webrtc_vr_pub_set_json(r, pub, "display", &pub->display, NULL)
           != NGX_OK
        || ngx_webrtc_vr_pub_set_json(r, pub, "metadata", &pub->metadata,
                                      NULL)
           != NGX_OK)
    {
        ngx_webrtc_vr_pub_free_locked(r->wcf, pub);
        return NGX_ERROR;
    }

    while (id == 0) {
        id = ngx_webrtc_random_id();

        if (ngx_webrtc_vr_pub_find(vroom, id)) {
            id = 0;
        }
    }

    /* the private id ties a subscriber to its owner: unique in the room */
    do {
        pvt = (uint32_t) ngx_webrtc_random_id();

        for (q = ngx_queue_head(&vroom->pubs);
             pvt && q != ngx_queue_sentinel(&vroom->pubs);
             q = ngx_queue_next(q))
        {
            p = ngx_queue_data(q, ngx_webrtc_vr_pub_t, queue);

            if (p->private_id == pvt) {
                pvt = 0;
            }
        }

    } while (pvt == 0);

    pub->id = id;
    pub->private_id = pvt;
    pub->room = vroom;
    pub->room_id = room->opts.id;

    v = json_object_get(r->body, "bitrate");
    if (v) {
        pub->bitrate = (ngx_uint_t) json_integer_value(v);
    }

    pub->audio_active_packets = (ngx_uint_t) json_integer_value(
                                json_object_get(r->body,
                                                "audio_active_packets"));
    pub->audio_level_average = (ngx_uint_t) json_integer_value(
                                json_object_get(r->body,
                                                "audio_level_average"));

    /* the joined event lists who publishes, and who else is there */

    list = json_array();
    attendees = room->opts.notify_joining ? json_array() : NULL;

    for (q = ngx_queue_head(&vroom->pubs);
         q != ngx_queue_sentinel(&vroom->pubs);
         q = ngx_queue_next(q))
    {
        p = ngx_queue_data(q, ngx_webrtc_vr_pub_t, queue);

        if (p->publishing) {
            json_array_append_new(list, ngx_webrtc_vr_pub_json(p, 1));

        } else if (attendees) {
            json_array_append_new(attendees, ngx_webrtc_vr_pub_brief(p));
        }
    }

    ngx_queue_insert_tail(&vroom->pubs, &pub->queue);
    vroom->npubs++;
    room->participants++;
    r->wcf->sh->nparticipants++;
    r->h->plugin_data = pub;

    event = json_pack("{s:s, s:I, s:s, s:I, s:I, s:o}",
                      "videoroom", "joined",
                      "room", (json_int_t) pub->room_id,
                      "description", (char *) room->opts.description,
                      "id", (json_int_t) pub->id,
                      "private_id", (json_int_t) pub->private_id,
                      "publishers", list);

    if (event && attendees) {
        json_object_set_new(event, "attendees", attendees);

    } else {
        json_decref(attendees);
    }

    if (event && pub->audio_active_packets) {
        json_object_set_new(event, "audio_active_packets",
                            json_integer(pub->audio_active_packets));
    }

    if (event && pub->audio_level_average) {
        json_object_set_new(event, "audio_level_average",
                            json_integer(pub->audio_level_average));
    }

    if (room->opts.notify_joining) {
        v = ngx_webrtc_vr_event("event", pub->room_id);
        json_object_set_new(v, "joining", ngx_webrtc_vr_pub_brief(pub));
        ngx_webrtc_vr_notify_locked(r->wcf, vroom, pub, v);
    }

    /* "joinandconfigure", or a "join" with an offer: publish at once */

    if (r->m->jsep) {
        if (ngx_webrtc_vr_pub_publish(r, pub, event) != NGX_OK) {
            json_decref(event);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    ngx_webrtc_vr_reply_locked(r, event, NULL);

    return NGX_OK;
}


/* an audio or video codec asked for must be one the room allows */

static ngx_int_t
ngx_webrtc_vr_pub_check_codecs(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_room_opts_t *opts, ngx_webrtc_vr_pub_t *pub)
{
    u_char      *list;
    json_t      *v;
    ngx_uint_t   i, video, codec;

    if (r->m->jsep == NULL) {
        return NGX_OK;
    }

    for (video = 0; video < 2; video++) {
        v = json_object_get(r->body, video ? "videocodec" : "audiocodec");

        if (v == NULL) {
            continue;
        }

        codec = ngx_webrtc_vr_codec_from_name(json_string_value(v), video);
        list = video ? opts->videocodec : opts->audiocodec;

        for (i = 0; codec && i < NGX_WEBRTC_MAX_CODECS; i++) {
            if (list[i] == codec) {
                break;
            }
        }

        if (codec == 0 || i == NGX_WEBRTC_MAX_CODECS) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                       "%s codec unavailable in this room",
                                       video ? "Video" : "Audio");
        }

        if (video) {
            pub->vcodec = (u_char) codec;

        } else {
            pub->acodec = (u_char) codec;
        }
    }

    return NGX_OK;
}


/* display (a string) or metadata (an object, kept as JSON text) */

static ngx_int_t
ngx_webrtc_vr_pub_set_json(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_pub_t *pub,
    const char *key, ngx_str_t *dst, ngx_uint_t *changed)
{
    char       *text;
    json_t     *v;
    ngx_int_t   rc;
    ngx_uint_t  had;

    v = json_object_get(r->body, key);

    if (v == NULL) {
        return NGX_OK;
    }

    had = (dst->len != 0);

    if (json_is_string(v)) {
        rc = ngx_webrtc_vr_str_set(r->wcf, dst, json_string_value(v),
                                   json_string_length(v));

    } else {
        text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (text == NULL) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                       "Out of memory");
        }

        rc = ngx_webrtc_vr_str_set(r->wcf, dst, text, ngx_strlen(text));
        free(text);
    }

    if (rc != NGX_OK) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                   "Out of memory in the shared zone");
    }

    if (changed) {
        /* as in Janus, only a change of a value already set is told */
        *changed = had;
    }

    return NGX_OK;
}


ngx_int_t
ngx_webrtc_vr_pub_request(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_pub_t *pub)
{
    ngx_uint_t  join;

    join = (ngx_strcasecmp((u_char *) r->request, (u_char *) "join") == 0
            || ngx_strcasecmp((u_char *) r->request,
                              (u_char *) "joinandconfigure") == 0);

    if (pub->room == NULL) {
        if (join) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_ALREADY_JOINED,
                                       "Not in a room (create a new "
                                       "handle)");
        }

        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_NO_SUCH_ROOM,
                                   "No such room");
    }

    if (join) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_ALREADY_JOINED,
                                   "Already in as a publisher on this "
                                   "handle");
    }

    if (ngx_strcasecmp((u_char *) r->request, (u_char *) "configure") == 0
        || ngx_strcasecmp((u_char *) r->request, (u_char *) "publish") == 0)
    {
        return ngx_webrtc_vr_pub_configure(r, pub);
    }

    if (ngx_strcasecmp((u_char *) r->request, (u_char *) "unpublish") == 0) {

        if (!pub->publishing) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_NOT_PUBLISHED,
                                       "Can't unpublish, not published");
        }

        ngx_webrtc_vr_pub_unpublish_locked(r->wcf, pub, 1);

        ngx_webrtc_vr_reply_locked(r,
                          json_pack("{s:s, s:I, s:s}", "videoroom", "event",
                                    "room", (json_int_t) pub->room_id,
                                    "unpublished", "ok"),
                          NULL);

        ngx_webrtc_vr_close_pc_locked(r->wcf, r->h);

        return NGX_OK;
    }

    if (ngx_strcasecmp((u_char *) r->request, (u_char *) "leave") == 0) {
        ngx_webrtc_vr_pub_unpublish_locked(r->wcf, pub, 1);
        ngx_webrtc_vr_pub_leave_locked(r->wcf, pub, "leaving");

        ngx_webrtc_vr_reply_locked(r,
                          json_pack("{s:s, s:I, s:s}", "videoroom", "event",
                                    "room", (json_int_t) pub->room_id,
                                    "leaving", "ok"),
                          NULL);

        ngx_webrtc_vr_close_pc_locked(r->wcf, r->h);

        return NGX_OK;
    }

    return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_REQUEST,
                               "Unknown request '%s'", r->request);
}


/* "configure" and "publish": settings, and an offer to answer if any */

static ngx_int_t
ngx_webrtc_vr_pub_configure(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_pub_t *pub)
{
    json_t                   *streams, *s, *v, *descriptions, *ev;
    json_t                   *send, *audio, *video, *data;
    ngx_uint_t                i, j, n, publish, display_changed;
    ngx_uint_t                metadata_changed, routing;
    const char               *mid;
    ngx_webrtc_vr_pstream_t  *ps;

    publish = (ngx_strcasecmp((u_char *) r->request, (u_char *) "publish")
               == 0);

    if (publish && pub->publishing) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_ALREADY_PUBLISHED,
                                   "Can't publish, already published");
    }

    if (pub->kicked) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNAUTHORIZED,
                                   "Unauthorized, you have been kicked");
    }

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_publish_params)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    descriptions = json_object_get(r->body, "descriptions");

    for (i = 0; i < json_array_size(descriptions); i++) {
        if (ngx_webrtc_vr_check(r, json_array_get(descriptions, i),
                                ngx_webrtc_vr_desc_params)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /*
     * The changes per stream: a "streams" array of {mid, send, ...}, or,
     * as older clients send them, the same keys in the body itself.
     */

    streams = json_object_get(r->body, "streams");
    n = streams ? json_array_size(streams) : 1;

    for (i = 0; i < n; i++) {
        s = streams ? json_array_get(streams, i) : r->body;

        if (ngx_webrtc_vr_check(r, s, ngx_webrtc_vr_publish_stream_params)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        mid = json_string_value(json_object_get(s, "mid"));

        if (mid == NULL && n > 1) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                       "Invalid value (mid can't be null in "
                                       "a streams array)");
        }

        if (mid && ngx_webrtc_vr_pub_mid(pub, mid) == NULL) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_NO_SUCH_FEED,
                                       "No such mid '%s' published", mid);
        }
    }

    if (ngx_webrtc_vr_pub_check_codecs(r, &pub->room->room->opts, pub)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the deprecated audio/video/data switches apply without a mid */
    audio = json_object_get(r->body, "audio");
    video = json_object_get(r->body, "video");
    data = json_object_get(r->body, "data");
    routing = 0;

    for (i = 0; i < n; i++) {
        s = streams ? json_array_get(streams, i) : r->body;
        mid = json_string_value(json_object_get(s, "mid"));
        send = json_object_get(s, "send");

        if (mid) {
            audio = NULL;
            video = NULL;
            data = NULL;
        }

        for (j = 0; j < pub->nstreams; j++) {
            ps = pub->streams[j];

            if (ps == NULL) {
                continue;
            }

            v = NULL;

            if (send && mid && ngx_strcasecmp(ps->mid, (u_char *) mid) == 0) {
                v = send;

            } else if (ps->kind == WR_SDP_KIND_AUDIO) {
                v = audio;

            } else if (ps->kind == WR_SDP_KIND_VIDEO) {
                v = video;

            } else if (ps->kind == WR_SDP_KIND_APPLICATION) {
                v = data;
            }

            if (v && (ngx_uint_t) ps->active != (json_is_true(v) ? 1 : 0)) {
                ps->active = json_is_true(v);
                routing = 1;
            }
        }
    }

    if (routing) {
        ngx_webrtc_vr_changed(r->wcf);
    }

    v = json_object_get(r->body, "bitrate");
    if (v) {
        pub->bitrate = (ngx_uint_t) json_integer_value(v);
    }

    v = json_object_get(r->body, "audio_active_packets");
    if (v) {
        pub->audio_active_packets = (ngx_uint_t) json_integer_value(v);
    }

    v = json_object_get(r->body, "audio_level_average");
    if (v) {
        pub->audio_level_average = (ngx_uint_t) json_integer_value(v);
    }

    v = json_object_get(r->body, "record");
    if (v) {
        /* recording is not done yet; the setting is kept for later */
        pub->record = json_is_true(v);
    }

    display_changed = 0;
    metadata_changed = 0;

    if (ngx_webrtc_vr_pub_set_json(r, pub, "display", &pub->display,
                                   &display_changed)
        != NGX_OK
        || ngx_webrtc_vr_pub_set_json(r, pub, "metadata", &pub->metadata,
                                      &metadata_changed)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (display_changed) {
        /* Janus's shape: no "room" in this one */
        ev = json_pack("{s:s, s:I, s:s}", "videoroom", "event",
                       "id", (json_int_t) pub->id,
                       "display", (char *) pub->display.data);

        if (ev && pub->metadata.len) {
            json_object_set_new(ev, "metadata",
                                json_loads((char *) pub->metadata.data, 0,
                                           NULL));
        }

        ngx_webrtc_vr_notify_locked(r->wcf, pub->room, pub, ev);
    }

    if (metadata_changed) {
        ev = json_pack("{s:s, s:I, s:o}", "videoroom", "event",
                       "id", (json_int_t) pub->id,
                       "metadata", json_loads((char *) pub->metadata.data, 0,
                                              NULL));

        ngx_webrtc_vr_notify_locked(r->wcf, pub->room, pub, ev);
    }

    /* descriptions without an offer change now, with one below */

    if (descriptions && r->m->jsep == NULL) {
        switch (ngx_webrtc_vr_pub_describe(r, pub, descriptions)) {

        case NGX_ERROR:
            return NGX_ERROR;

        case NGX_OK:
            if (pub->publishing) {
                ngx_webrtc_vr_pub_announce(r->wcf, pub);
            }

            break;

        default: /* NGX_DECLINED: nothing changed */
            break;
        }
    }

    ev = json_pack("{s:s, s:I, s:s}", "videoroom", "event",
                   "room", (json_int_t) pub->room_id, "configured", "ok");

    if (r->m->jsep) {
        if (ngx_webrtc_vr_pub_publish(r, pub, ev) != NGX_OK) {
            json_decref(ev);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    ngx_webrtc_vr_reply_locked(r, ev, NULL);

    return NGX_OK;
}


/* descriptions[] given without an offer: NGX_DECLINED if none changed */

static ngx_int_t
ngx_webrtc_vr_pub_describe(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_pub_t *pub,
    json_t *descriptions)
{
    json_t                   *d, *text;
    ngx_int_t                 rc;
    ngx_uint_t                i;
    ngx_webrtc_vr_pstream_t  *ps;

    rc = NGX_DECLINED;

    for (i = 0; i < json_array_size(descriptions); i++) {
        d = json_array_get(descriptions, i);
        ps = ngx_webrtc_vr_pub_mid(pub,
                          json_string_value(json_object_get(d, "mid")));
        text = json_object_get(d, "description");

        if (ps == NULL) {
            continue;
        }

        if (ngx_webrtc_vr_str_set(r->wcf, &ps->description,
                                  json_string_value(text),
                                  json_string_length(text))
            != NGX_OK)
        {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                       "Out of memory in the shared zone");
        }

        rc = NGX_OK;
    }

    return rc;
}


/*
 * The offer of a publisher: answer it receive-only with the room's
 * codecs, record what it sends, and tell the room.  event (a "joined" or
 * "configured") goes back with the answer; on error it is left to the
 * caller.
 */

static ngx_int_t
ngx_webrtc_vr_pub_publish(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_pub_t *pub,
    json_t *event)
{
    u_char                  acodecs[NGX_WEBRTC_MAX_CODECS];
    u_char                  vcodecs[NGX_WEBRTC_MAX_CODECS];
    u_char                 *alist, *vlist;
    json_t                 *answer, *jsep, *list;
    ngx_uint_t              i, update, e2ee, audio, video;
    const char             *type;
    wr_sdp_answer_t         neg;
    ngx_webrtc_room_t      *room;
    ngx_webrtc_jsep_err_t   err;

    jsep = r->m->jsep;
    room = pub->room->room;

    type = json_string_value(json_object_get(jsep, "type"));

    if (type == NULL || ngx_strcasecmp((u_char *) type, (u_char *) "offer")
                        != 0)
    {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_SDP_TYPE,
                                   "Unknown SDP type '%s'",
                                   type ? type : "");
    }

    update = pub->publishing;

    if (!update && pub->room->npublishing >= room->opts.publishers) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_PUBLISHERS_FULL,
                                   "Maximum number of publishers (%ui) "
                                   "already reached", room->opts.publishers);
    }

    e2ee = json_is_true(json_object_get(jsep, "e2ee"));

    if (room->opts.require_e2ee && !e2ee && !pub->e2ee) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNAUTHORIZED,
                                   "Room requires end-to-end encrypted "
                                   "media");
    }

    /* a codec asked for narrows the room's list to it */

    alist = room->opts.audiocodec;
    vlist = room->opts.videocodec;

    if (pub->acodec) {
        ngx_memzero(acodecs, sizeof(acodecs));
        acodecs[0] = pub->acodec;
        alist = acodecs;
    }

    if (pub->vcodec) {
        ngx_memzero(vcodecs, sizeof(vcodecs));
        vcodecs[0] = pub->vcodec;
        vlist = vcodecs;
    }

    ngx_memzero(&neg, sizeof(wr_sdp_answer_t));

    answer = ngx_webrtc_jsep_answer_locked(r->wcf, r->h, jsep, alist, vlist,
                                           WR_SDP_DIR_RECVONLY, NULL, 0,
                                           &neg, &err);
    if (answer == NULL) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_SDP,
                                   "Error parsing offer: %s", err.text);
    }

    if (ngx_webrtc_vr_pub_streams(r, pub, ngx_webrtc_jsep_parsed(), &neg,
                                  json_object_get(r->body, "descriptions"))
        != NGX_OK)
    {
        json_decref(answer);
        return NGX_ERROR;
    }

    if (e2ee) {
        pub->e2ee = 1;
    }

    /* the first codec of each kind, at the top level for older clients */

    list = json_array();
    audio = 0;
    video = 0;

    for (i = 0; i < pub->nstreams; i++) {
        if (pub->streams[i] == NULL) {
            continue;
        }

        json_array_append_new(list,
                              ngx_webrtc_vr_pstream_json(pub->streams[i], 0));

        if (pub->streams[i]->disabled || pub->streams[i]->codec == 0) {
            continue;
        }

        if (pub->streams[i]->kind == WR_SDP_KIND_AUDIO && !audio++) {
            json_object_set_new(event, "audio_codec",
                      json_string(ngx_webrtc_codec_name(
                                                pub->streams[i]->codec)));
        }

        if (pub->streams[i]->kind == WR_SDP_KIND_VIDEO && !video++) {
            json_object_set_new(event, "video_codec",
                      json_string(ngx_webrtc_codec_name(
                                                pub->streams[i]->codec)));
        }
    }

    json_object_set_new(event, "streams", list);

    if (!update) {
        pub->publishing = 1;
        pub->room->npublishing++;
        room->active_publishers++;
    }

    ngx_webrtc_vr_changed(r->wcf);

    ngx_webrtc_vr_reply_locked(r, event, answer);

    /*
     * Janus tells the room at setup_media (webrtcup); the streams are
     * known now, so the room hears of them with the answer.
     */
    ngx_webrtc_vr_pub_announce(r->wcf, pub);

    return NGX_OK;
}


/* what the offer and its answer say of each m-line, kept by mindex */

static ngx_int_t
ngx_webrtc_vr_pub_streams(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_pub_t *pub,
    const wr_sdp_t *offer, const wr_sdp_answer_t *neg, json_t *descriptions)
{
    json_t                       *d, *text;
    ngx_uint_t                    i, j, n;
    const wr_sdp_media_t         *om;
    ngx_webrtc_vr_pstream_t      *ps;
    const wr_sdp_answer_media_t  *am;

    n = ngx_min(neg->nmedia, offer->nmedia);
    n = ngx_min(n, NGX_WEBRTC_VR_MAX_STREAMS);

    for (i = 0; i < n; i++) {
        om = &offer->media[i];
        am = &neg->media[i];

        if (om->kind == WR_SDP_KIND_OTHER) {
            continue;
        }

        ps = pub->streams[i];

        if (ps == NULL) {
            ps = ngx_slab_calloc_locked(r->wcf->shpool,
                                        sizeof(ngx_webrtc_vr_pstream_t));
            if (ps == NULL) {
                return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                           "Out of memory in the shared "
                                           "zone");
            }

            ngx_queue_init(&ps->subs);
            ps->pub = pub;
            ps->mindex = i;
            ps->active = 1;
            pub->streams[i] = ps;

            if (i >= pub->nstreams) {
                pub->nstreams = i + 1;
            }
        }

        ps->kind = om->kind;

        if (om->mid.len && om->mid.len <= WR_SDP_MAX_MID) {
            ngx_webrtc_vr_copy(ps->mid, sizeof(ps->mid), om->mid);

        } else {
            *ngx_sprintf(ps->mid, "%ui", i) = '\0';
        }

        ngx_webrtc_vr_pstream_set(ps, om, am);

        for (j = 0; j < json_array_size(descriptions); j++) {
            d = json_array_get(descriptions, j);
            text = json_object_get(d, "description");

            if (ngx_strcmp(ps->mid,
                           json_string_value(json_object_get(d, "mid")))
                != 0)
            {
                continue;
            }

            if (ngx_webrtc_vr_str_set(r->wcf, &ps->description,
                                      json_string_value(text),
                                      json_string_length(text))
                != NGX_OK)
            {
                return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                           "Out of memory in the shared "
                                           "zone");
            }

            break;
        }
    }

    return NGX_OK;
}


static void
ngx_webrtc_vr_pstream_set(ngx_webrtc_vr_pstream_t *ps,
    const wr_sdp_media_t *om, const wr_sdp_answer_media_t *am)
{
    size_t                       len;
    const wr_sdp_codec_t        *c;
    const wr_sdp_ssrc_group_t   *g;

    /* the server only receives; anything else leaves the stream unused */

    if (!am->accepted
        || (am->dir != WR_SDP_DIR_RECVONLY && am->dir != WR_SDP_DIR_SENDRECV))
    {
        ps->disabled = 1;
        return;
    }

    ps->disabled = 0;

    if (ps->kind == WR_SDP_KIND_APPLICATION || am->codec < 0
        || (unsigned) am->codec >= om->ncodecs)
    {
        return;
    }

    c = &om->codecs[am->codec];

    ngx_webrtc_vr_copy(ps->codec_name, sizeof(ps->codec_name), c->name);
    ps->codec = ngx_webrtc_vr_codec_from_name((char *) ps->codec_name,
                                              ps->kind == WR_SDP_KIND_VIDEO);
    ps->pt = c->pt;
    ps->clock = c->clock;
    ps->channels = c->channels;
    ps->fb_flags = am->fb_flags;
    ps->simulcast = am->simulcast;
    ps->rtx_pt = 0;

    if (am->rtx >= 0 && (unsigned) am->rtx < om->ncodecs) {
        ps->rtx_pt = om->codecs[am->rtx].pt;
    }

    ngx_memcpy(ps->ext_id, am->ext_id, sizeof(ps->ext_id));

    /* an fmtp too long for the zone is cut at a parameter boundary */

    len = c->fmtp.len;

    if (len >= NGX_WEBRTC_VR_FMTP_LEN) {
        len = NGX_WEBRTC_VR_FMTP_LEN - 1;

        while (len && c->fmtp.data[len] != ';') {
            len--;
        }
    }

    if (len) {
        ngx_memcpy(ps->fmtp, c->fmtp.data, len);
    }

    ps->fmtp[len] = '\0';

    ps->opus_fec = 0;
    ps->opus_dtx = 0;
    ps->opus_stereo = 0;

    if (ps->codec == NGX_WEBRTC_CODEC_OPUS) {
        ps->opus_fec = (ngx_strstr(ps->fmtp, "useinbandfec=1") != NULL);
        ps->opus_stereo = (ngx_strstr(ps->fmtp, "stereo=1") != NULL
                           && ngx_strstr(ps->fmtp, "sprop-stereo=1") == NULL);
    }

    /* the publisher's SSRCs, when the offer lists them (not simulcast) */

    ps->ssrc = 0;
    ps->rtx_ssrc = 0;

    if (om->nssrc_groups) {
        g = &om->ssrc_groups[0];

        if (g->nssrcs == 2
            && g->semantics.len == 3
            && ngx_strncmp(g->semantics.data, "FID", 3) == 0)
        {
            ps->ssrc = g->ssrcs[0];
            ps->rtx_ssrc = g->ssrcs[1];
        }

    } else if (om->nssrcs) {
        ps->ssrc = om->ssrcs[0].ssrc;
    }
}


/* the room hears of the publisher's streams: new, or changed */

static void
ngx_webrtc_vr_pub_announce(ngx_webrtc_conf_t *wcf, ngx_webrtc_vr_pub_t *pub)
{
    json_t  *ev, *list;

    if (pub->room == NULL) {
        return;
    }

    list = json_array();
    json_array_append_new(list, ngx_webrtc_vr_pub_json(pub, 0));

    ev = json_pack("{s:s, s:I, s:o}", "videoroom", "event",
                   "room", (json_int_t) pub->room_id, "publishers", list);

    ngx_webrtc_vr_notify_locked(wcf, pub->room, pub, ev);
}


/*
 * A publisher as the room sees it: {id, display, metadata, audio_codec,
 * video_codec, streams}.  With full (the list in "joined"), talking too.
 */

json_t *
ngx_webrtc_vr_pub_json(ngx_webrtc_vr_pub_t *pub, ngx_uint_t full)
{
    json_t                   *p, *list;
    ngx_uint_t                i, audio, video, talking, level;
    ngx_webrtc_vr_pstream_t  *ps;

    p = json_pack("{s:I}", "id", (json_int_t) pub->id);
    if (p == NULL) {
        return NULL;
    }

    if (pub->display.len) {
        json_object_set_new(p, "display",
                            json_string((char *) pub->display.data));
    }

    if (pub->metadata.len) {
        json_object_set_new(p, "metadata",
                            json_loads((char *) pub->metadata.data, 0, NULL));
    }

    list = json_array();
    audio = 0;
    video = 0;
    talking = 0;
    level = 0;

    for (i = 0; i < pub->nstreams; i++) {
        ps = pub->streams[i];

        if (ps == NULL) {
            continue;
        }

        json_array_append_new(list, ngx_webrtc_vr_pstream_json(ps, full));

        if (ps->disabled || ps->codec == 0) {
            continue;
        }

        if (ps->kind == WR_SDP_KIND_AUDIO) {
            if (!audio++) {
                json_object_set_new(p, "audio_codec",
                              json_string(ngx_webrtc_codec_name(ps->codec)));
            }

            if (ps->ext_id[WR_SDP_EXT_AUDIO_LEVEL]) {
                level = 1;
                talking |= ps->talking;
            }
        }

        if (ps->kind == WR_SDP_KIND_VIDEO && !video++) {
            json_object_set_new(p, "video_codec",
                              json_string(ngx_webrtc_codec_name(ps->codec)));
        }
    }

    json_object_set_new(p, "streams", list);

    if (full && level) {
        json_object_set_new(p, "talking", json_boolean(talking));
    }

    return p;
}


/* {id, display, metadata}: attendees and "joining" */

static json_t *
ngx_webrtc_vr_pub_brief(ngx_webrtc_vr_pub_t *pub)
{
    json_t  *p;

    p = ngx_webrtc_vr_pub_json(pub, 0);

    if (p) {
        json_object_del(p, "streams");
    }

    return p;
}


static json_t *
ngx_webrtc_vr_pstream_json(ngx_webrtc_vr_pstream_t *ps, ngx_uint_t talking)
{
    char        profile[64];
    json_t     *s;
    const char  *kind;

    kind = (ps->kind == WR_SDP_KIND_AUDIO) ? "audio"
           : (ps->kind == WR_SDP_KIND_VIDEO) ? "video" : "data";

    s = json_pack("{s:s, s:i, s:s}", "type", kind, "mindex", (int) ps->mindex,
                  "mid", (char *) ps->mid);
    if (s == NULL) {
        return NULL;
    }

    if (ps->disabled) {
        json_object_set_new(s, "disabled", json_true());
        return s;
    }

    if (ps->description.len) {
        json_object_set_new(s, "description",
                            json_string((char *) ps->description.data));
    }

    if (ps->codec == 0) {
        return s;
    }

    json_object_set_new(s, "codec",
                        json_string(ngx_webrtc_codec_name(ps->codec)));

    if (ps->kind == WR_SDP_KIND_AUDIO) {
        if (ps->opus_stereo) {
            json_object_set_new(s, "stereo", json_true());
        }

        if (ps->opus_fec) {
            json_object_set_new(s, "fec", json_true());
        }

        if (ps->opus_dtx) {
            json_object_set_new(s, "dtx", json_true());
        }

        if (talking && ps->ext_id[WR_SDP_EXT_AUDIO_LEVEL]) {
            json_object_set_new(s, "talking", json_boolean(ps->talking));
        }

        return s;
    }

    if (ps->codec == NGX_WEBRTC_CODEC_H264
        && ngx_webrtc_vr_fmtp_param(ps->fmtp, "profile-level-id", profile,
                                    sizeof(profile)))
    {
        json_object_set_new(s, "h264_profile", json_string(profile));

    } else if (ps->codec == NGX_WEBRTC_CODEC_VP9
               && ngx_webrtc_vr_fmtp_param(ps->fmtp, "profile-id", profile,
                                           sizeof(profile)))
    {
        json_object_set_new(s, "vp9_profile", json_string(profile));
    }

    if (ps->simulcast) {
        json_object_set_new(s, "simulcast", json_true());
    }

    return s;
}


/* {"videoroom":"event","room","display"?,"metadata"?, key: id} */

static json_t *
ngx_webrtc_vr_pub_event(ngx_webrtc_vr_pub_t *pub, const char *key)
{
    json_t  *ev;

    ev = ngx_webrtc_vr_event("event", pub->room_id);
    if (ev == NULL) {
        return NULL;
    }

    if (pub->display.len) {
        json_object_set_new(ev, "display",
                            json_string((char *) pub->display.data));
    }

    if (pub->metadata.len) {
        json_object_set_new(ev, "metadata",
                            json_loads((char *) pub->metadata.data, 0, NULL));
    }

    json_object_set_new(ev, key, json_integer((json_int_t) pub->id));

    return ev;
}


/*
 * The publisher's streams end (unpublish, hangup, leave, kick, detach).
 * Subscriptions to them become inactive m-lines, and the subscribers get
 * a new offer (autoupdate); then the room hears "unpublished".  Without
 * notify (the room itself ends) nobody is told.
 */

void
ngx_webrtc_vr_pub_unpublish_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_pub_t *pub, ngx_uint_t notify)
{
    ngx_uint_t                i, was;
    ngx_queue_t              *q;
    ngx_webrtc_vr_sub_t      *sub;
    ngx_webrtc_vr_room_t     *vroom;
    ngx_webrtc_vr_pstream_t  *ps;
    ngx_webrtc_vr_sstream_t  *ss;

    if (!pub->publishing && pub->nstreams == 0) {
        return;
    }

    vroom = pub->room;

    for (i = 0; i < pub->nstreams; i++) {
        ps = pub->streams[i];

        if (ps == NULL) {
            continue;
        }

        while (!ngx_queue_empty(&ps->subs)) {
            q = ngx_queue_head(&ps->subs);
            ss = ngx_queue_data(q, ngx_webrtc_vr_sstream_t, pqueue);
            ngx_webrtc_vr_sub_source_gone_locked(wcf, ss);
        }

        ngx_webrtc_vr_str_free(wcf, &ps->description);
        ngx_slab_free_locked(wcf->shpool, ps);
        pub->streams[i] = NULL;
    }

    pub->nstreams = 0;

    was = pub->publishing;
    pub->publishing = 0;
    pub->media = 0;
    pub->e2ee = 0;
    pub->acodec = 0;
    pub->vcodec = 0;

    ngx_webrtc_vr_changed(wcf);

    if (vroom == NULL) {
        return;
    }

    if (was) {
        vroom->npublishing--;
        vroom->room->active_publishers--;
    }

    for (q = ngx_queue_head(&vroom->subs);
         q != ngx_queue_sentinel(&vroom->subs);
         q = ngx_queue_next(q))
    {
        sub = ngx_queue_data(q, ngx_webrtc_vr_sub_t, queue);

        if (sub->dirty) {
            sub->dirty = 0;

            if (notify) {
                ngx_webrtc_vr_sub_autoupdate_locked(wcf, sub);
            }
        }
    }

    if (was && notify) {
        ngx_webrtc_vr_notify_locked(wcf, vroom, pub,
                                ngx_webrtc_vr_pub_event(pub, "unpublished"));
    }
}


/* out of the room; how ("leaving", "kicked") is what the room hears */

void
ngx_webrtc_vr_pub_leave_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_pub_t *pub, const char *how)
{
    ngx_webrtc_vr_room_t  *vroom;

    vroom = pub->room;

    if (vroom == NULL) {
        return;
    }

    if (how) {
        ngx_webrtc_vr_notify_locked(wcf, vroom, pub,
                                    ngx_webrtc_vr_pub_event(pub, how));
    }

    ngx_queue_remove(&pub->queue);
    vroom->npubs--;
    vroom->room->participants--;
    wcf->sh->nparticipants--;
    pub->room = NULL;
}


void
ngx_webrtc_vr_pub_free_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_pub_t *pub)
{
    ngx_webrtc_vr_pub_unpublish_locked(wcf, pub, 0);
    ngx_webrtc_vr_pub_leave_locked(wcf, pub, NULL);

    ngx_webrtc_vr_str_free(wcf, &pub->display);
    ngx_webrtc_vr_str_free(wcf, &pub->metadata);

    if (pub->handle && pub->handle->plugin_data == pub) {
        pub->handle->plugin_data = NULL;
    }

    ngx_slab_free_locked(wcf->shpool, pub);
}


ngx_webrtc_vr_pub_t *
ngx_webrtc_vr_pub_find(ngx_webrtc_vr_room_t *vroom, uint64_t id)
{
    ngx_queue_t          *q;
    ngx_webrtc_vr_pub_t  *pub;

    for (q = ngx_queue_head(&vroom->pubs);
         q != ngx_queue_sentinel(&vroom->pubs);
         q = ngx_queue_next(q))
    {
        pub = ngx_queue_data(q, ngx_webrtc_vr_pub_t, queue);

        if (pub->id == id) {
            return pub;
        }
    }

    return NULL;
}


ngx_webrtc_vr_pstream_t *
ngx_webrtc_vr_pub_mid(ngx_webrtc_vr_pub_t *pub, const char *mid)
{
    ngx_uint_t  i;

    if (mid == NULL) {
        return NULL;
    }

    for (i = 0; i < pub->nstreams; i++) {
        if (pub->streams[i]
            && ngx_strcmp(pub->streams[i]->mid, (u_char *) mid) == 0)
        {
            return pub->streams[i];
        }
    }

    return NULL;
}


static void
ngx_webrtc_vr_copy(u_char *dst, size_t size, wr_sdp_str_t src)
{
    size_t  len;

    len = ngx_min(src.len, size - 1);

    if (len) {
        ngx_memcpy(dst, src.data, len);
    }

    dst[len] = '\0';
}
