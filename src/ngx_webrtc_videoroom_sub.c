
/*
 * VideoRoom subscribers: one PeerConnection receives streams of any of
 * the room's publishers.  The server offers (one sendonly m-line per
 * subscribed stream, an SSRC of its own for each), the client answers
 * with "start"; subscribe, unsubscribe, update and switch change the
 * subscription, with a new offer when the m-lines change.  How each
 * m-line is offered is in ngx_webrtc_videoroom_sdp.c.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"
#include "ngx_webrtc_videoroom.h"


#define NGX_WEBRTC_VR_SUB_MIX      ((ngx_uint_t *) NULL)


static ngx_webrtc_vr_pub_t *ngx_webrtc_vr_sub_check(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_room_t *vroom, json_t *s, ngx_uint_t *e2ee,
    ngx_uint_t *first);
static ngx_int_t ngx_webrtc_vr_sub_add_feed(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_sub_t *sub, json_t *s, ngx_uint_t reuse,
    ngx_uint_t legacy, ngx_uint_t *changes);
static ngx_webrtc_vr_sstream_t *ngx_webrtc_vr_sub_add(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_sub_t *sub, ngx_webrtc_vr_pstream_t *ps,
    json_t *crossrefid, ngx_uint_t reuse);
static void ngx_webrtc_vr_sstream_targets(ngx_webrtc_vr_sstream_t *ss,
    json_t *s);
static ngx_webrtc_vr_sstream_t *ngx_webrtc_vr_sub_mid(
    ngx_webrtc_vr_sub_t *sub, const char *mid);
static void ngx_webrtc_vr_sub_send_update(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_sub_t *sub, json_t *transaction, ngx_uint_t restart);
static ngx_int_t ngx_webrtc_vr_sub_start(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_sub_t *sub);
static ngx_int_t ngx_webrtc_vr_sub_configure(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_sub_t *sub);
static ngx_int_t ngx_webrtc_vr_sub_update(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_sub_t *sub);
static ngx_int_t ngx_webrtc_vr_sub_switch(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_sub_t *sub);
static ngx_int_t ngx_webrtc_vr_sub_check_layers(ngx_webrtc_vr_req_t *r,
    json_t *s);


static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_subscriber_params[] = {
    { "streams", JSON_ARRAY, 0 },
    { "private_id", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "autoupdate", JSON_TRUE, 0 },
    { "use_msid", JSON_TRUE, 0 },
    { "audio", JSON_TRUE, 0 },
    { "video", JSON_TRUE, 0 },
    { "data", JSON_TRUE, 0 },
    { "offer_audio", JSON_TRUE, 0 },
    { "offer_video", JSON_TRUE, 0 },
    { "offer_data", JSON_TRUE, 0 },
    { "substream", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "temporal", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "fallback", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "spatial_layer", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "temporal_layer", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_feed_params[] = {
    { "feed", JSON_INTEGER, NGX_WEBRTC_VR_REQUIRED | NGX_WEBRTC_VR_POSITIVE }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_feedopt_params[] = {
    { "feed", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_sub_stream_params[] = {
    { "mid", JSON_STRING, 0 },
    { "crossrefid", JSON_STRING, 0 },
    { "send", JSON_TRUE, 0 },
    { "substream", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "temporal", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "fallback", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "spatial_layer", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "temporal_layer", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "min_delay", JSON_INTEGER, 0 },
    { "max_delay", JSON_INTEGER, 0 }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_update_params[] = {
    { "streams", JSON_ARRAY, NGX_WEBRTC_VR_REQUIRED }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_combined_params[] = {
    { "subscribe", JSON_ARRAY, 0 },
    { "unsubscribe", JSON_ARRAY, 0 }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_remove_params[] = {
    { "mid", JSON_STRING, 0 },
    { "sub_mid", JSON_STRING, 0 }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_switch_params[] = {
    { "streams", JSON_ARRAY, 0 },
    { "feed", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_switch_stream_params[] = {
    { "mid", JSON_STRING, NGX_WEBRTC_VR_REQUIRED },
    { "sub_mid", JSON_STRING, NGX_WEBRTC_VR_REQUIRED },
    { "substream", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "temporal", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "spatial_layer", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "temporal_layer", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_configure_params[] = {
    { "streams", JSON_ARRAY, 0 },
    { "update", JSON_TRUE, 0 },
    { "restart", JSON_TRUE, 0 },
    { "audio", JSON_TRUE, 0 },
    { "video", JSON_TRUE, 0 },
    { "data", JSON_TRUE, 0 }
};

static const ngx_webrtc_vr_param_t  ngx_webrtc_vr_conf_stream_params[] = {
    { "mid", JSON_STRING, 0 },
    { "send", JSON_TRUE, 0 },
    { "audio_level_average", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "audio_active_packets", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "substream", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "temporal", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "fallback", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "spatial_layer", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "temporal_layer", JSON_INTEGER, NGX_WEBRTC_VR_POSITIVE },
    { "min_delay", JSON_INTEGER, 0 },
    { "max_delay", JSON_INTEGER, 0 }
};


ngx_int_t
ngx_webrtc_vr_sub_join(ngx_webrtc_vr_req_t *r, ngx_webrtc_room_t *room)
{
    json_t                *feeds, *v, *event, *jsep, *legacy;
    uint32_t               pvt;
    ngx_uint_t             i, e2ee, first, changes;
    ngx_queue_t           *q;
    ngx_webrtc_vr_pub_t   *pub;
    ngx_webrtc_vr_sub_t   *sub;
    ngx_webrtc_vr_room_t  *vroom;
    ngx_webrtc_jsep_err_t  err;

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_subscriber_params)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (r->m->jsep) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_REQUEST,
                                   "Can't send an offer to create "
                                   "subscribers");
    }

    vroom = ngx_webrtc_vr_room_state(r->wcf, room);
    if (vroom == NULL) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                   "Out of memory in the shared zone");
    }

    /* the old way: "feed" alone means every stream of that publisher */

    feeds = json_object_get(r->body, "streams");
    legacy = NULL;

    if (json_array_size(feeds) == 0) {
        if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_feed_params)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        legacy = json_pack("[{s:O}]", "feed",
                           json_object_get(r->body, "feed"));
        if (legacy == NULL) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                       "Out of memory");
        }

        feeds = legacy;
    }

    /* E2EE or not is fixed by the room, or else by the first feed */

    e2ee = room->opts.require_e2ee;
    first = 1;

    for (i = 0; i < json_array_size(feeds); i++) {
        if (ngx_webrtc_vr_sub_check(r, vroom, json_array_get(feeds, i),
                                    &e2ee, &first)
            == NULL)
        {
            goto failed;
        }
    }

    pvt = (uint32_t) json_integer_value(json_object_get(r->body,
                                                        "private_id"));

    if (vroom->require_pvtid) {
        pub = NULL;

        for (q = ngx_queue_head(&vroom->pubs);
             pvt && q != ngx_queue_sentinel(&vroom->pubs);
             q = ngx_queue_next(q))
        {
            pub = ngx_queue_data(q, ngx_webrtc_vr_pub_t, queue);

            if (pub->private_id == pvt) {
                break;
            }

            pub = NULL;
        }

        if (pub == NULL) {
            (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNAUTHORIZED,
                                       "Unauthorized (this room requires a "
                                       "valid private_id)");
            goto failed;
        }
    }

    sub = ngx_slab_calloc_locked(r->wcf->shpool, sizeof(ngx_webrtc_vr_sub_t));
    if (sub == NULL) {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                   "Out of memory in the shared zone");
        goto failed;
    }

    sub->type = NGX_WEBRTC_VR_SUBSCRIBER;
    sub->handle = r->h;
    sub->room = vroom;
    sub->room_id = room->opts.id;
    sub->private_id = pvt;
    sub->e2ee = e2ee;
    sub->paused = 1;        /* until "start" */
    sub->use_msid = json_is_true(json_object_get(r->body, "use_msid"));
    v = json_object_get(r->body, "autoupdate");
    sub->autoupdate = v ? json_is_true(v) : 1;

    ngx_queue_insert_tail(&vroom->subs, &sub->queue);
    r->h->plugin_data = sub;

    changes = 0;

    for (i = 0; i < json_array_size(feeds); i++) {
        if (ngx_webrtc_vr_sub_add_feed(r, sub, json_array_get(feeds, i), 0,
                                       legacy != NULL, &changes)
            != NGX_OK)
        {
            goto undo;
        }
    }

    if (sub->nstreams == 0) {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_SDP,
                                   "Can't offer an SDP with no stream");
        goto undo;
    }

    event = ngx_webrtc_vr_event("attached", sub->room_id);

    if (legacy && event) {
        json_object_set_new(event, "id",
                            json_copy(json_object_get(r->body, "feed")));
        json_object_set_new(event, "warning", json_string("deprecated_api"));
    }

    json_object_set_new(event, "streams",
                        ngx_webrtc_vr_sub_streams_json(sub,
                                                       legacy ? event : NULL));

    jsep = ngx_webrtc_vr_sub_offer(r->wcf, sub, 0, &err);
    if (jsep == NULL) {
        json_decref(event);
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                   "Error generating the offer: %s",
                                   err.text);
        goto undo;
    }

    json_decref(legacy);

    ngx_webrtc_vr_changed(r->wcf);
    ngx_webrtc_vr_reply_locked(r, event, jsep);

    return NGX_OK;

undo:

    ngx_webrtc_vr_sub_free_locked(r->wcf, sub);

failed:

    json_decref(legacy);

    return NGX_ERROR;
}


/*
 * One entry of a subscription: a feed that publishes, a mid it has,
 * layers in range, and E2EE as the subscription is.  With first, the
 * rules of "join" (the room, or else the first feed, decides); without,
 * the feed must match the subscription.
 */

static ngx_webrtc_vr_pub_t *
ngx_webrtc_vr_sub_check(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_room_t *vroom,
    json_t *s, ngx_uint_t *e2ee, ngx_uint_t *first)
{
    uint64_t              feed;
    const char           *mid;
    ngx_webrtc_vr_pub_t  *pub;

    if (ngx_webrtc_vr_check(r, s, ngx_webrtc_vr_sub_stream_params) != NGX_OK
        || ngx_webrtc_vr_check(r, s, ngx_webrtc_vr_feed_params) != NGX_OK)
    {
        return NULL;
    }

    feed = (uint64_t) json_integer_value(json_object_get(s, "feed"));
    pub = ngx_webrtc_vr_pub_find(vroom, feed);

    if (pub == NULL || !pub->publishing) {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_NO_SUCH_FEED,
                                   "No such feed (%uL)", feed);
        return NULL;
    }

    if (first == NGX_WEBRTC_VR_SUB_MIX) {
        if (pub->e2ee != *e2ee) {
            (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_FEED,
                                       "Can't mix normal and end-to-end "
                                       "encrypted subscriptions");
            return NULL;
        }

    } else if (*e2ee && !pub->e2ee) {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_FEED,
                                   "Can't have not end-to-end encrypted "
                                   "feed in this subscription (%uL)", feed);
        return NULL;

    } else if (!*e2ee && pub->e2ee) {
        if (!*first) {
            (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_FEED,
                                       "Can't have end-to-end encrypted "
                                       "feed in this subscription (%uL)",
                                       feed);
            return NULL;
        }

        *e2ee = 1;
    }

    if (first != NGX_WEBRTC_VR_SUB_MIX) {
        *first = 0;
    }

    mid = json_string_value(json_object_get(s, "mid"));

    if (mid && ngx_webrtc_vr_pub_mid(pub, mid) == NULL) {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_NO_SUCH_FEED,
                                   "No such mid '%s' in feed (%uL)", mid,
                                   feed);
        return NULL;
    }

    if (ngx_webrtc_vr_sub_check_layers(r, s) != NGX_OK) {
        return NULL;
    }

    return pub;
}


static ngx_int_t
ngx_webrtc_vr_sub_check_layers(ngx_webrtc_vr_req_t *r, json_t *s)
{
    if (json_integer_value(json_object_get(s, "spatial_layer")) > 2
        || json_integer_value(json_object_get(s, "substream")) > 2)
    {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                   "Invalid value (substream/spatial_layer "
                                   "should be 0, 1 or 2)");
    }

    if (json_integer_value(json_object_get(s, "temporal_layer")) > 2
        || json_integer_value(json_object_get(s, "temporal")) > 2)
    {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                   "Invalid value (temporal/temporal_layer "
                                   "should be 0, 1 or 2)");
    }

    return NGX_OK;
}


/*
 * The streams of one checked entry {feed, mid?, ...}: all of the feed's
 * if no mid.  Streams the server cannot offer (disabled ones, data
 * channels) are skipped.  With reuse, an inactive m-line of the same
 * kind and codec takes the stream, as Janus does on "subscribe".
 */

static ngx_int_t
ngx_webrtc_vr_sub_add_feed(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_sub_t *sub,
    json_t *s, ngx_uint_t reuse, ngx_uint_t legacy, ngx_uint_t *changes)
{
    json_t                   *send, *offer;
    uint64_t                  feed;
    ngx_uint_t                i;
    const char               *mid;
    ngx_webrtc_vr_pub_t      *pub;
    ngx_webrtc_vr_pstream_t  *ps;
    ngx_webrtc_vr_sstream_t  *ss;

    feed = (uint64_t) json_integer_value(json_object_get(s, "feed"));
    pub = ngx_webrtc_vr_pub_find(sub->room, feed);

    if (pub == NULL || !pub->publishing) {
        return NGX_OK;
    }

    mid = json_string_value(json_object_get(s, "mid"));
    send = json_object_get(s, "send");

    for (i = 0; i < pub->nstreams; i++) {
        ps = pub->streams[i];

        if (ps == NULL
            || (mid && ngx_strcmp(ps->mid, (u_char *) mid) != 0)
            || ps->disabled || ps->codec == 0
            || (ps->kind != WR_SDP_KIND_AUDIO
                && ps->kind != WR_SDP_KIND_VIDEO))
        {
            continue;
        }

        if (legacy) {
            offer = json_object_get(r->body,
                                    ps->kind == WR_SDP_KIND_AUDIO
                                    ? "offer_audio" : "offer_video");
            if (offer && !json_is_true(offer)) {
                continue;
            }
        }

        ss = ngx_webrtc_vr_sub_add(r, sub, ps,
                                   json_object_get(s, "crossrefid"), reuse);
        if (ss == NULL) {
            return NGX_ERROR;
        }

        if (send) {
            ss->send = json_is_true(send);
        }

        ngx_webrtc_vr_sstream_targets(ss, s);

        (*changes)++;
    }

    return NGX_OK;
}


static ngx_webrtc_vr_sstream_t *
ngx_webrtc_vr_sub_add(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_sub_t *sub,
    ngx_webrtc_vr_pstream_t *ps, json_t *crossrefid, ngx_uint_t reuse)
{
    ngx_uint_t                i;
    ngx_webrtc_vr_sstream_t  *ss;

    ss = NULL;

    for (i = 0; reuse && i < sub->nstreams; i++) {
        if (sub->streams[i]->ps == NULL
            && sub->streams[i]->kind == ps->kind
            && sub->streams[i]->codec == ps->codec)
        {
            ss = sub->streams[i];
            break;
        }
    }

    if (ss == NULL) {
        if (sub->nstreams == NGX_WEBRTC_VR_MAX_STREAMS) {
            (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                       "Too many streams in this "
                                       "subscription (at most %d)",
                                       NGX_WEBRTC_VR_MAX_STREAMS);
            return NULL;
        }

        ss = ngx_slab_calloc_locked(r->wcf->shpool,
                                    sizeof(ngx_webrtc_vr_sstream_t));
        if (ss == NULL) {
            (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                       "Out of memory in the shared zone");
            return NULL;
        }

        ss->sub = sub;
        ss->kind = ps->kind;
        ss->mindex = sub->nstreams;
        *ngx_sprintf(ss->mid, "%ui", ss->mindex) = '\0';
        ss->ssrc = ngx_webrtc_vr_sub_ssrc(sub);

        sub->streams[sub->nstreams++] = ss;
    }

    /* a reused m-line forgets the crossrefid of its former source */
    if (ngx_webrtc_vr_str_set(r->wcf, &ss->crossrefid,
                              json_string_value(crossrefid),
                              json_string_length(crossrefid))
        != NGX_OK)
    {
        (void) ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                   "Out of memory in the shared zone");
        return NULL;
    }

    ss->send = 1;
    ss->substream = -1;
    ss->substream_target = 2;
    ss->temporal = -1;
    ss->temporal_target = 2;
    ss->fallback = 0;
    ss->min_delay = -1;
    ss->max_delay = -1;

    ngx_webrtc_vr_sstream_source(sub, ss, ps);

    return ss;
}


/* substream, temporal and playout-delay settings of a request entry */

static void
ngx_webrtc_vr_sstream_targets(ngx_webrtc_vr_sstream_t *ss, json_t *s)
{
    json_t  *v;

    if (ss->kind != WR_SDP_KIND_VIDEO) {
        return;
    }

    v = json_object_get(s, "substream");
    if (v == NULL) {
        v = json_object_get(s, "spatial_layer");
    }

    if (v) {
        ss->substream_target = (int) json_integer_value(v);
    }

    v = json_object_get(s, "temporal");
    if (v == NULL) {
        v = json_object_get(s, "temporal_layer");
    }

    if (v) {
        ss->temporal_target = (int) json_integer_value(v);
    }

    v = json_object_get(s, "fallback");
    if (v) {
        ss->fallback = (int) json_integer_value(v);
    }

    v = json_object_get(s, "min_delay");
    if (v) {
        ss->min_delay = (int) json_integer_value(v);

        if (ss->min_delay < 0) {
            ss->min_delay = -1;
            ss->max_delay = -1;

        } else if (ss->max_delay < ss->min_delay) {
            ss->max_delay = ss->min_delay;
        }
    }

    v = json_object_get(s, "max_delay");
    if (v) {
        ss->max_delay = (int) json_integer_value(v);

        if (ss->max_delay < 0) {
            ss->min_delay = -1;
            ss->max_delay = -1;

        } else if (ss->min_delay > ss->max_delay) {
            ss->min_delay = ss->max_delay;
        }
    }
}


ngx_int_t
ngx_webrtc_vr_sub_request(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_sub_t *sub)
{
    const char  *req;

    req = r->request;

    if (sub->room == NULL) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_NO_SUCH_ROOM,
                                   "No such room");
    }

    if (ngx_strcasecmp((u_char *) req, (u_char *) "join") == 0
        || ngx_strcasecmp((u_char *) req, (u_char *) "joinandconfigure") == 0)
    {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_ALREADY_JOINED,
                                   "Already in as a subscriber on this "
                                   "handle");
    }

    if (ngx_strcasecmp((u_char *) req, (u_char *) "start") == 0) {
        return ngx_webrtc_vr_sub_start(r, sub);
    }

    if (ngx_strcasecmp((u_char *) req, (u_char *) "pause") == 0) {
        sub->paused = 1;
        ngx_webrtc_vr_changed(r->wcf);

        ngx_webrtc_vr_reply_locked(r,
                          json_pack("{s:s, s:I, s:s}", "videoroom", "event",
                                    "room", (json_int_t) sub->room_id,
                                    "paused", "ok"),
                          NULL);
        return NGX_OK;
    }

    if (ngx_strcasecmp((u_char *) req, (u_char *) "configure") == 0) {
        return ngx_webrtc_vr_sub_configure(r, sub);
    }

    if (ngx_strcasecmp((u_char *) req, (u_char *) "subscribe") == 0
        || ngx_strcasecmp((u_char *) req, (u_char *) "unsubscribe") == 0
        || ngx_strcasecmp((u_char *) req, (u_char *) "update") == 0)
    {
        return ngx_webrtc_vr_sub_update(r, sub);
    }

    if (ngx_strcasecmp((u_char *) req, (u_char *) "switch") == 0) {
        return ngx_webrtc_vr_sub_switch(r, sub);
    }

    if (ngx_strcasecmp((u_char *) req, (u_char *) "leave") == 0) {
        ngx_webrtc_vr_sub_clear_locked(r->wcf, sub);

        ngx_webrtc_vr_reply_locked(r,
                          json_pack("{s:s, s:I, s:s}", "videoroom", "event",
                                    "room", (json_int_t) sub->room_id,
                                    "left", "ok"),
                          NULL);

        ngx_webrtc_vr_close_pc_locked(r->wcf, r->h);

        return NGX_OK;
    }

    return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_REQUEST,
                               "Unknown request '%s'", req);
}


/* "start", with the answer to the server's offer, or to resume */

static ngx_int_t
ngx_webrtc_vr_sub_start(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_sub_t *sub)
{
    json_t                  *jsep;
    ngx_uint_t               i, k;
    const char              *type;
    const wr_sdp_t          *answer;
    ngx_webrtc_jsep_err_t    err;
    const wr_sdp_media_t    *m;

    jsep = r->m->jsep;

    if (jsep) {
        type = json_string_value(json_object_get(jsep, "type"));

        if (type == NULL
            || ngx_strcasecmp((u_char *) type, (u_char *) "answer") != 0)
        {
            return ngx_webrtc_vr_error(r,
                                       NGX_WEBRTC_VR_ERROR_INVALID_SDP_TYPE,
                                       "Only publishers send offers");
        }

        if (ngx_webrtc_jsep_take_answer_locked(r->wcf, r->h, jsep, &err)
            != NGX_OK)
        {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_SDP,
                                       "%s", err.text);
        }

        /* what the answer did not make inactive is ready to receive */

        answer = ngx_webrtc_jsep_parsed();

        for (i = 0; i < sub->nstreams && i < answer->nmedia; i++) {
            m = &answer->media[i];
            sub->streams[i]->ready = (sub->streams[i]->ps != NULL
                                      && m->port != 0
                                      && m->dir != WR_SDP_DIR_INACTIVE
                                      && m->dir != WR_SDP_DIR_SENDONLY);

            /* RTX only if the answer kept its payload type */

            if (sub->streams[i]->rtx_pt) {
                for (k = 0; k < m->ncodecs; k++) {
                    if (m->codecs[k].pt == sub->streams[i]->rtx_pt) {
                        break;
                    }
                }

                if (k == m->ncodecs) {
                    sub->streams[i]->rtx_pt = 0;
                    sub->streams[i]->rtx_ssrc = 0;
                }
            }
        }
    }

    sub->paused = 0;
    ngx_webrtc_vr_changed(r->wcf);

    ngx_webrtc_vr_reply_locked(r,
                          json_pack("{s:s, s:I, s:s}", "videoroom", "event",
                                    "room", (json_int_t) sub->room_id,
                                    "started", "ok"),
                          NULL);

    if (jsep == NULL) {
        return NGX_OK;
    }

    /* changes that came while this answer was awaited: one offer now */

    if (sub->pending_offer) {
        ngx_webrtc_vr_sub_send_update(r->wcf, sub, NULL,
                                      sub->pending_restart);
        return NGX_OK;
    }

    sub->answered = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_webrtc_vr_sub_configure(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_sub_t *sub)
{
    json_t                   *streams, *s, *v, *ev, *jsep;
    json_t                   *audio, *video, *send;
    ngx_uint_t                i, j, n, restart;
    const char               *mid;
    ngx_webrtc_vr_sstream_t  *ss;
    ngx_webrtc_jsep_err_t     err;

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_configure_params)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (sub->kicked) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNAUTHORIZED,
                                   "Unauthorized, you have been kicked");
    }

    /* a "streams" array, or older clients' keys in the body itself */

    streams = json_object_get(r->body, "streams");
    n = streams ? json_array_size(streams) : 1;

    for (i = 0; i < n; i++) {
        s = streams ? json_array_get(streams, i) : r->body;

        if (ngx_webrtc_vr_check(r, s, ngx_webrtc_vr_conf_stream_params)
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

        if (mid && ngx_webrtc_vr_sub_mid(sub, mid) == NULL) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_NO_SUCH_FEED,
                                       "No such mid '%s' in subscription",
                                       mid);
        }

        if (ngx_webrtc_vr_sub_check_layers(r, s) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    audio = json_object_get(r->body, "audio");
    video = json_object_get(r->body, "video");

    for (i = 0; i < n; i++) {
        s = streams ? json_array_get(streams, i) : r->body;
        mid = json_string_value(json_object_get(s, "mid"));
        send = json_object_get(s, "send");

        if (mid) {
            audio = NULL;
            video = NULL;
        }

        for (j = 0; j < sub->nstreams; j++) {
            ss = sub->streams[j];

            if (audio && ss->kind == WR_SDP_KIND_AUDIO) {
                ss->send = json_is_true(audio);
            }

            if (video && ss->kind == WR_SDP_KIND_VIDEO) {
                ss->send = json_is_true(video);
            }

            if (mid && ngx_strcasecmp(ss->mid, (u_char *) mid) != 0) {
                continue;
            }

            if (send) {
                ss->send = json_is_true(send);
            }

            ngx_webrtc_vr_sstream_targets(ss, s);
        }
    }

    ngx_webrtc_vr_changed(r->wcf);

    ev = json_pack("{s:s, s:I, s:s}", "videoroom", "event",
                   "room", (json_int_t) sub->room_id, "configured", "ok");

    v = json_object_get(r->body, "restart");
    restart = json_is_true(v);

    if (!restart && !json_is_true(json_object_get(r->body, "update"))) {
        ngx_webrtc_vr_reply_locked(r, ev, NULL);
        return NGX_OK;
    }

    if (!sub->answered) {
        /*
         * The offer follows the awaited answer.  Janus then answers
         * nothing at all, which leaves the client's transaction open.
         */
        sub->pending_offer = 1;
        sub->pending_restart |= restart;
        ngx_webrtc_vr_reply_locked(r, ev, NULL);
        return NGX_OK;
    }

    jsep = ngx_webrtc_vr_sub_offer(r->wcf, sub, restart, &err);
    if (jsep == NULL) {
        json_decref(ev);
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_UNKNOWN,
                                   "Error generating the offer: %s",
                                   err.text);
    }

    ngx_webrtc_vr_reply_locked(r, ev, jsep);

    return NGX_OK;
}


/* "subscribe", "unsubscribe" and "update" (unsubscribe first) */

static ngx_int_t
ngx_webrtc_vr_sub_update(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_sub_t *sub)
{
    json_t                   *subs, *unsubs, *s;
    uint64_t                  feed;
    ngx_uint_t                i, j, update, changes, e2ee;
    const char               *mid, *sub_mid;
    ngx_webrtc_vr_pub_t      *pub;
    ngx_webrtc_vr_sstream_t  *ss;

    update = (ngx_strcasecmp((u_char *) r->request, (u_char *) "update")
              == 0);
    subs = NULL;
    unsubs = NULL;

    if (update) {
        if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_combined_params)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        subs = json_object_get(r->body, "subscribe");
        unsubs = json_object_get(r->body, "unsubscribe");

    } else {
        if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_update_params)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (ngx_strcasecmp((u_char *) r->request, (u_char *) "subscribe")
            == 0)
        {
            subs = json_object_get(r->body, "streams");

        } else {
            unsubs = json_object_get(r->body, "streams");
        }
    }

    if (subs && json_array_size(subs) == 0) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                   "Empty subscription list");
    }

    if (unsubs && json_array_size(unsubs) == 0) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                   "Empty unsubscription list");
    }

    for (i = 0; i < json_array_size(unsubs); i++) {
        s = json_array_get(unsubs, i);

        if (ngx_webrtc_vr_check(r, s, ngx_webrtc_vr_remove_params) != NGX_OK
            || ngx_webrtc_vr_check(r, s, ngx_webrtc_vr_feedopt_params)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (update && subs == NULL && unsubs == NULL) {
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_MISSING_ELEMENT,
                                   "At least one of either 'subscribe' or "
                                   "'unsubscribe' must be present");
    }

    e2ee = sub->e2ee;

    for (i = 0; i < json_array_size(subs); i++) {
        if (ngx_webrtc_vr_sub_check(r, sub->room, json_array_get(subs, i),
                                    &e2ee, NGX_WEBRTC_VR_SUB_MIX)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    changes = 0;

    for (i = 0; i < json_array_size(unsubs); i++) {
        s = json_array_get(unsubs, i);
        sub_mid = json_string_value(json_object_get(s, "sub_mid"));
        mid = json_string_value(json_object_get(s, "mid"));
        feed = (uint64_t) json_integer_value(json_object_get(s, "feed"));

        if (sub_mid) {
            ss = ngx_webrtc_vr_sub_mid(sub, sub_mid);

            if (ss) {
                ngx_webrtc_vr_sstream_unlink(ss);
                changes++;
            }

            continue;
        }

        pub = feed ? ngx_webrtc_vr_pub_find(sub->room, feed) : NULL;

        if (pub == NULL || !pub->publishing) {
            continue;
        }

        for (j = 0; j < sub->nstreams; j++) {
            ss = sub->streams[j];

            if (ss->ps && ss->ps->pub == pub
                && (mid == NULL
                    || ngx_strcasecmp(ss->ps->mid, (u_char *) mid) == 0))
            {
                ngx_webrtc_vr_sstream_unlink(ss);
                changes++;
            }
        }
    }

    for (i = 0; i < json_array_size(subs); i++) {
        if (ngx_webrtc_vr_sub_add_feed(r, sub, json_array_get(subs, i), 1, 0,
                                       &changes)
            != NGX_OK)
        {
            /* what was done stays, and the next update offers it */
            sub->skipped_autoupdate = 1;
            ngx_webrtc_vr_changed(r->wcf);
            return NGX_ERROR;
        }
    }

    if (sub->skipped_autoupdate) {
        sub->skipped_autoupdate = 0;
        changes++;
    }

    ngx_webrtc_vr_changed(r->wcf);

    if (changes == 0) {
        ngx_webrtc_vr_reply_locked(r, ngx_webrtc_vr_event("updated",
                                                          sub->room_id),
                                   NULL);
        return NGX_OK;
    }

    if (!sub->answered) {
        sub->pending_offer = 1;
        ngx_webrtc_vr_reply_locked(r, ngx_webrtc_vr_event("updating",
                                                          sub->room_id),
                                   NULL);
        return NGX_OK;
    }

    ngx_webrtc_vr_sub_send_update(r->wcf, sub, r->m->transaction, 0);

    return NGX_OK;
}


/* another publisher's stream into an existing m-line: no renegotiation */

static ngx_int_t
ngx_webrtc_vr_sub_switch(ngx_webrtc_vr_req_t *r, ngx_webrtc_vr_sub_t *sub)
{
    json_t                   *feeds, *s, *ev, *feed, *legacy;
    uint64_t                  id;
    ngx_uint_t                i, j, changes, update, e2ee, used;
    const char               *mid;
    ngx_webrtc_vr_pub_t      *pub;
    ngx_webrtc_vr_pstream_t  *ps;
    ngx_webrtc_vr_sstream_t  *ss;

    if (ngx_webrtc_vr_check(r, r->body, ngx_webrtc_vr_switch_params)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    feeds = json_object_get(r->body, "streams");
    feed = json_object_get(r->body, "feed");
    legacy = NULL;

    if (json_array_size(feeds) == 0) {

        /* the old way: all of a feed's streams into matching m-lines */

        if (feed == NULL) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_MISSING_ELEMENT,
                                       "At least one between 'streams' and "
                                       "'feed' must be specified");
        }

        id = (uint64_t) json_integer_value(feed);
        pub = ngx_webrtc_vr_pub_find(sub->room, id);

        if (pub == NULL || !pub->publishing) {
            return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_NO_SUCH_FEED,
                                       "No such feed (%uL)", id);
        }

        legacy = json_array();
        used = 0;

        for (i = 0; i < pub->nstreams; i++) {
            ps = pub->streams[i];

            for (j = 0; ps && j < sub->nstreams; j++) {
                ss = sub->streams[j];

                if ((used & ((ngx_uint_t) 1 << j)) || ss->kind != ps->kind
                    || ss->codec != ps->codec)
                {
                    continue;
                }

                used |= (ngx_uint_t) 1 << j;
                json_array_append_new(legacy,
                                 json_pack("{s:I, s:s, s:s}",
                                           "feed", (json_int_t) id,
                                           "mid", (char *) ps->mid,
                                           "sub_mid", (char *) ss->mid));
                break;
            }
        }

        feeds = legacy;
    }

    if (json_array_size(feeds) == 0) {
        json_decref(legacy);
        return ngx_webrtc_vr_error(r, NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT,
                                   "Empty switch list");
    }

    e2ee = sub->e2ee;

    for (i = 0; i < json_array_size(feeds); i++) {
        s = json_array_get(feeds, i);

        if (ngx_webrtc_vr_check(r, s, ngx_webrtc_vr_switch_stream_params)
            != NGX_OK
            || ngx_webrtc_vr_sub_check(r, sub->room, s, &e2ee,
                                       NGX_WEBRTC_VR_SUB_MIX)
               == NULL)
        {
            json_decref(legacy);
            return NGX_ERROR;
        }
    }

    changes = 0;
    update = 0;

    for (i = 0; i < json_array_size(feeds); i++) {
        s = json_array_get(feeds, i);
        ss = ngx_webrtc_vr_sub_mid(sub,
                       json_string_value(json_object_get(s, "sub_mid")));
        pub = ngx_webrtc_vr_pub_find(sub->room,
                       (uint64_t) json_integer_value(json_object_get(s,
                                                                 "feed")));
        mid = json_string_value(json_object_get(s, "mid"));
        ps = pub ? ngx_webrtc_vr_pub_mid(pub, mid) : NULL;

        /* as Janus: what does not fit is skipped, not an error */
        if (ss == NULL || ps == NULL || ss->ps == ps || ps->disabled
            || ss->kind != ps->kind || ss->codec != ps->codec)
        {
            continue;
        }

        if (ss->ps == NULL) {
            /* an inactive m-line comes back: the SDP changes */
            update = 1;
        }

        ngx_webrtc_vr_sstream_source(sub, ss, ps);

        ss->send = 1;
        ss->substream = -1;
        ss->temporal = -1;
        ss->substream_target = 2;
        ss->temporal_target = 2;
        ngx_webrtc_vr_sstream_targets(ss, s);

        changes++;
    }

    json_decref(legacy);

    ngx_webrtc_vr_changed(r->wcf);

    ev = json_pack("{s:s, s:s, s:I, s:i}", "videoroom", "event",
                   "switched", "ok", "room", (json_int_t) sub->room_id,
                   "changes", (int) changes);

    json_object_set_new(ev, "streams",
                        ngx_webrtc_vr_sub_streams_json(sub, NULL));

    ngx_webrtc_vr_reply_locked(r, ev, NULL);

    if (update) {
        if (!sub->answered) {
            sub->pending_offer = 1;

        } else {
            ngx_webrtc_vr_sub_send_update(r->wcf, sub, r->m->transaction, 0);
        }
    }

    return NGX_OK;
}


/* "updated" with the streams and a new offer */

static void
ngx_webrtc_vr_sub_send_update(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_sub_t *sub, json_t *transaction, ngx_uint_t restart)
{
    json_t                 *ev, *jsep;
    ngx_webrtc_jsep_err_t   err;

    sub->pending_offer = 0;
    sub->pending_restart = 0;

    ev = ngx_webrtc_vr_event("updated", sub->room_id);
    json_object_set_new(ev, "streams",
                        ngx_webrtc_vr_sub_streams_json(sub, NULL));

    jsep = ngx_webrtc_vr_sub_offer(wcf, sub, restart, &err);

    if (jsep == NULL) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "videoroom: no offer for a subscriber of room %uL: %s",
                      sub->room_id, err.text);
    }

    (void) ngx_webrtc_plugin_event_locked(wcf, sub->handle, transaction, ev,
                                          jsep);
}


static ngx_webrtc_vr_sstream_t *
ngx_webrtc_vr_sub_mid(ngx_webrtc_vr_sub_t *sub, const char *mid)
{
    ngx_uint_t  i;

    if (mid == NULL) {
        return NULL;
    }

    for (i = 0; i < sub->nstreams; i++) {
        if (ngx_strcmp(sub->streams[i]->mid, (u_char *) mid) == 0) {
            return sub->streams[i];
        }
    }

    return NULL;
}


/* the publisher of ss is gone: the m-line stays, inactive */

void
ngx_webrtc_vr_sub_source_gone_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_sstream_t *ss)
{
    ngx_webrtc_vr_sstream_unlink(ss);
    ss->sub->dirty = 1;
}


/* after a source left: a new offer, now or once the last is answered */

void
ngx_webrtc_vr_sub_autoupdate_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_sub_t *sub)
{
    if (sub->room == NULL) {
        return;
    }

    if (!sub->autoupdate) {
        sub->skipped_autoupdate = 1;
        return;
    }

    if (!sub->answered) {
        sub->pending_offer = 1;
        return;
    }

    ngx_webrtc_vr_sub_send_update(wcf, sub, NULL, 0);
}


/* the PeerConnection is gone: so is every m-line of it, as in Janus */

void
ngx_webrtc_vr_sub_clear_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_sub_t *sub)
{
    ngx_uint_t                i;
    ngx_webrtc_vr_sstream_t  *ss;

    for (i = 0; i < sub->nstreams; i++) {
        ss = sub->streams[i];

        ngx_webrtc_vr_sstream_unlink(ss);
        ngx_webrtc_vr_str_free(wcf, &ss->crossrefid);
        ngx_slab_free_locked(wcf->shpool, ss);
        sub->streams[i] = NULL;
    }

    sub->nstreams = 0;
    sub->paused = 1;

    /*
     * No offer awaits an answer any more: Janus leaves this unset and a
     * later "subscribe" then waits forever for an answer to nothing.
     */
    sub->answered = 1;
    sub->pending_offer = 0;
    sub->pending_restart = 0;
    sub->dirty = 0;

    ngx_webrtc_vr_changed(wcf);
}


void
ngx_webrtc_vr_sub_free_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_sub_t *sub)
{
    ngx_webrtc_vr_sub_clear_locked(wcf, sub);

    if (sub->room) {
        ngx_queue_remove(&sub->queue);
        sub->room = NULL;
    }

    if (sub->handle && sub->handle->plugin_data == sub) {
        sub->handle->plugin_data = NULL;
    }

    ngx_slab_free_locked(wcf->shpool, sub);
}
