
/*
 * janus.plugin.videoroom (the Janus 1.x multistream API): the state it
 * keeps in the shared zone, and what the media half calls.
 *
 * Everything here lives in the zone and is read or changed with the
 * zone's slab mutex held (the _locked functions), so any worker can
 * answer any request, and the media half of any worker can find where a
 * publisher's packets go.
 *
 *     ngx_webrtc_room_t.data --> ngx_webrtc_vr_room_t
 *         pubs: ngx_webrtc_vr_pub_t        one per publisher-type handle
 *             streams[]: ngx_webrtc_vr_pstream_t   what it sends, by mindex
 *                 subs: ngx_webrtc_vr_sstream_t    who receives it
 *         subs: ngx_webrtc_vr_sub_t        one per subscriber handle
 *             streams[]: ngx_webrtc_vr_sstream_t   its m-lines, by mindex
 *
 * Forwarding (media half): the PeerConnection a packet comes in on is a
 * handle's; its plugin_data is an ngx_webrtc_vr_pub_t (first field
 * NGX_WEBRTC_VR_PUBLISHER), and the stream is found by mid (the
 * publisher's id of the mid extension is ps->ext_id[WR_SDP_EXT_MID]) or
 * by SSRC (ps->ssrc, when the offer listed it).  While ps->active, a
 * packet of ps goes to every ss in ps->subs with ss->send set and
 * ss->sub->paused clear, rewritten to ss->ssrc (ss->rtx_ssrc for RTX), to
 * ss->pt (ss->rtx_pt) and to the extension ids of ngx_webrtc_vr_ext_id[]
 * (the subscriber offers always use those; the publisher's are in
 * ps->ext_id), keeping only the extensions of ss->exts.
 * wcf->sh->rooms_generation is bumped whenever any of this changes, so
 * per-worker caches know when to refresh.
 */

#ifndef _NGX_WEBRTC_VIDEOROOM_H_INCLUDED_
#define _NGX_WEBRTC_VIDEOROOM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"


/* Janus's VideoRoom error codes */
#define NGX_WEBRTC_VR_ERROR_UNKNOWN           499
#define NGX_WEBRTC_VR_ERROR_NO_MESSAGE        421
#define NGX_WEBRTC_VR_ERROR_INVALID_JSON      422
#define NGX_WEBRTC_VR_ERROR_INVALID_REQUEST   423
#define NGX_WEBRTC_VR_ERROR_JOIN_FIRST        424
#define NGX_WEBRTC_VR_ERROR_ALREADY_JOINED    425
#define NGX_WEBRTC_VR_ERROR_NO_SUCH_ROOM      426
#define NGX_WEBRTC_VR_ERROR_ROOM_EXISTS       427
#define NGX_WEBRTC_VR_ERROR_NO_SUCH_FEED      428
#define NGX_WEBRTC_VR_ERROR_MISSING_ELEMENT   429
#define NGX_WEBRTC_VR_ERROR_INVALID_ELEMENT   430
#define NGX_WEBRTC_VR_ERROR_INVALID_SDP_TYPE  431
#define NGX_WEBRTC_VR_ERROR_PUBLISHERS_FULL   432
#define NGX_WEBRTC_VR_ERROR_UNAUTHORIZED      433
#define NGX_WEBRTC_VR_ERROR_ALREADY_PUBLISHED 434
#define NGX_WEBRTC_VR_ERROR_NOT_PUBLISHED     435
#define NGX_WEBRTC_VR_ERROR_ID_EXISTS         436
#define NGX_WEBRTC_VR_ERROR_INVALID_SDP       437
#define NGX_WEBRTC_VR_ERROR_INVALID_FEED      438

#define NGX_WEBRTC_VR_MAX_STREAMS     WR_SDP_MAX_MEDIA
#define NGX_WEBRTC_VR_CODEC_LEN       16
#define NGX_WEBRTC_VR_FMTP_LEN        256
#define NGX_WEBRTC_VR_ERROR_LEN       512

/* what plugin_data of a handle points to: the first field says which */
#define NGX_WEBRTC_VR_PUBLISHER       1
#define NGX_WEBRTC_VR_SUBSCRIBER      2


typedef struct ngx_webrtc_vr_room_s     ngx_webrtc_vr_room_t;
typedef struct ngx_webrtc_vr_pub_s      ngx_webrtc_vr_pub_t;
typedef struct ngx_webrtc_vr_sub_s      ngx_webrtc_vr_sub_t;
typedef struct ngx_webrtc_vr_pstream_s  ngx_webrtc_vr_pstream_t;
typedef struct ngx_webrtc_vr_sstream_s  ngx_webrtc_vr_sstream_t;


/* a token of the room's "allowed" list */
typedef struct {
    ngx_queue_t                   queue;
    size_t                        len;
    u_char                        data[1];
} ngx_webrtc_vr_token_t;


/* room->data: what the plugin keeps of a room besides its options */
struct ngx_webrtc_vr_room_s {
    ngx_webrtc_room_t            *room;
    ngx_queue_t                   pubs;          /* ngx_webrtc_vr_pub_t */
    ngx_queue_t                   subs;          /* ngx_webrtc_vr_sub_t */
    ngx_queue_t                   allowed;       /* ngx_webrtc_vr_token_t */
    ngx_uint_t                    npubs;         /* joined publisher-types */
    ngx_uint_t                    npublishing;   /* of those, publishing */

    unsigned                      check_allowed:1;
    unsigned                      require_pvtid:1;
    unsigned                      lock_record:1;
};


/* one m-line a publisher sends, kept by mindex */
struct ngx_webrtc_vr_pstream_s {
    ngx_queue_t                   subs;          /* ngx_webrtc_vr_sstream_t */
    ngx_webrtc_vr_pub_t          *pub;

    wr_sdp_kind_t                 kind;
    ngx_uint_t                    mindex;
    u_char                        mid[WR_SDP_MAX_MID + 1];

    ngx_uint_t                    codec;         /* NGX_WEBRTC_CODEC_* */
    u_char                        codec_name[NGX_WEBRTC_VR_CODEC_LEN];
    u_char                        fmtp[NGX_WEBRTC_VR_FMTP_LEN];
    uint8_t                       pt;
    uint8_t                       rtx_pt;        /* 0: none */
    uint8_t                       channels;
    uint8_t                       fb_flags;      /* WR_SDP_FB_* negotiated */
    uint32_t                      clock;
    uint16_t                      ext_id[WR_SDP_EXT_COUNT];

    /* the publisher's own SSRCs when its offer listed them (0: not) */
    uint32_t                      ssrc;
    uint32_t                      rtx_ssrc;

    ngx_str_t                     description;   /* slab, or empty */

    /* what the media half keeps up to date */
    int                           audio_level;   /* dBov, average */

    unsigned                      disabled:1;    /* rejected or recvonly */
    unsigned                      active:1;      /* "send" of configure */
    unsigned                      simulcast:1;
    unsigned                      talking:1;
    unsigned                      opus_fec:1;
    unsigned                      opus_dtx:1;
    unsigned                      opus_stereo:1;
};


struct ngx_webrtc_vr_pub_s {
    ngx_uint_t                    type;          /* NGX_WEBRTC_VR_PUBLISHER */
    ngx_webrtc_handle_t          *handle;

    /* NULL once the participant left, was kicked or its room ended */
    ngx_webrtc_vr_room_t         *room;
    ngx_queue_t                   queue;         /* room->pubs */
    uint64_t                      room_id;

    uint64_t                      id;
    uint32_t                      private_id;
    ngx_str_t                     display;       /* slab, NUL-terminated */
    ngx_str_t                     metadata;      /* JSON text, or empty */

    ngx_uint_t                    bitrate;
    ngx_uint_t                    audio_active_packets;
    ngx_uint_t                    audio_level_average;
    u_char                        acodec;        /* asked for, or 0 */
    u_char                        vcodec;

    ngx_uint_t                    nstreams;
    ngx_webrtc_vr_pstream_t      *streams[NGX_WEBRTC_VR_MAX_STREAMS];

    unsigned                      publishing:1;  /* answered, announced */
    unsigned                      media:1;       /* webrtcup seen */
    unsigned                      e2ee:1;
    unsigned                      kicked:1;
    unsigned                      record:1;
};


/* one m-line of a subscriber's PeerConnection */
struct ngx_webrtc_vr_sstream_s {
    ngx_queue_t                   pqueue;        /* ps->subs, if ps */
    ngx_webrtc_vr_sub_t          *sub;

    /* the source, or NULL: an inactive m-line kept for a later reuse */
    ngx_webrtc_vr_pstream_t      *ps;

    wr_sdp_kind_t                 kind;
    ngx_uint_t                    mindex;
    u_char                        mid[8];

    /* as offered to the subscriber: the media half rewrites to these */
    ngx_uint_t                    codec;
    u_char                        codec_name[NGX_WEBRTC_VR_CODEC_LEN];
    u_char                        fmtp[NGX_WEBRTC_VR_FMTP_LEN];
    uint8_t                       pt;
    uint8_t                       rtx_pt;
    uint8_t                       channels;
    uint8_t                       fb_flags;
    uint32_t                      clock;
    uint32_t                      ssrc;          /* chosen by the server */
    uint32_t                      rtx_ssrc;
    unsigned                      exts;          /* WR_SDP_EXT_BIT() set */

    ngx_str_t                     crossrefid;    /* slab, or empty */

    /* simulcast targets, and what the media half currently sends */
    int                           substream;
    int                           substream_target;
    int                           temporal;
    int                           temporal_target;
    int                           fallback;
    int                           min_delay;     /* playout-delay, -1 */
    int                           max_delay;

    unsigned                      send:1;
    unsigned                      ready:1;       /* answered, not inactive */
};


struct ngx_webrtc_vr_sub_s {
    ngx_uint_t                    type;          /* NGX_WEBRTC_VR_SUBSCRIBER */
    ngx_webrtc_handle_t          *handle;

    ngx_webrtc_vr_room_t         *room;          /* NULL: its room ended */
    ngx_queue_t                   queue;         /* room->subs */
    uint64_t                      room_id;
    uint32_t                      private_id;    /* its owner's, or 0 */

    ngx_uint_t                    nstreams;
    ngx_webrtc_vr_sstream_t      *streams[NGX_WEBRTC_VR_MAX_STREAMS];

    unsigned                      e2ee:1;        /* fixed at join */
    unsigned                      paused:1;
    unsigned                      use_msid:1;
    unsigned                      autoupdate:1;
    unsigned                      answered:1;    /* no offer awaits answer */
    unsigned                      pending_offer:1;
    unsigned                      pending_restart:1;
    unsigned                      skipped_autoupdate:1;
    unsigned                      kicked:1;
    unsigned                      dirty:1;       /* lost a source just now */
};


/*
 * A request in progress: the message, and Janus's error code and text
 * once something is wrong (code 0: nothing yet).
 */
typedef struct {
    ngx_webrtc_conf_t            *wcf;
    ngx_webrtc_plugin_msg_t      *m;
    ngx_webrtc_handle_t          *h;
    json_t                       *body;
    const char                   *request;
    ngx_uint_t                    code;
    char                          error[NGX_WEBRTC_VR_ERROR_LEN];
} ngx_webrtc_vr_req_t;


/* how a request field is checked, as Janus's JANUS_VALIDATE_JSON_OBJECT */
#define NGX_WEBRTC_VR_REQUIRED   0x01
#define NGX_WEBRTC_VR_POSITIVE   0x02    /* >= 0, as Janus means it */
#define NGX_WEBRTC_VR_NONEMPTY   0x04

typedef struct {
    const char                   *name;
    int                           type;          /* JSON_TRUE: a boolean */
    ngx_uint_t                    flags;
} ngx_webrtc_vr_param_t;

#define ngx_webrtc_vr_check(r, obj, params)                                   \
    ngx_webrtc_vr_validate(r, obj, params,                                   \
                           sizeof(params) / sizeof(ngx_webrtc_vr_param_t))


/* the extension ids every subscriber offer uses, by wr_sdp_ext_t */
extern const uint16_t  ngx_webrtc_vr_ext_id[WR_SDP_EXT_COUNT];

extern ngx_webrtc_plugin_t  ngx_webrtc_videoroom_plugin;


/* ngx_webrtc_videoroom.c: requests, events, common helpers */
ngx_int_t ngx_webrtc_vr_validate(ngx_webrtc_vr_req_t *r, json_t *obj,
    const ngx_webrtc_vr_param_t *params, ngx_uint_t n);
ngx_int_t ngx_webrtc_vr_error(ngx_webrtc_vr_req_t *r, ngx_uint_t code,
    const char *fmt, ...);
ngx_int_t ngx_webrtc_vr_check_secret(ngx_webrtc_vr_req_t *r,
    const u_char *secret, size_t len, const char *member);
ngx_int_t ngx_webrtc_vr_access_room(ngx_webrtc_vr_req_t *r,
    ngx_uint_t check_modify, ngx_uint_t check_join,
    ngx_webrtc_room_t **room);
ngx_webrtc_vr_room_t *ngx_webrtc_vr_room_state(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_room_t *room);
json_t *ngx_webrtc_vr_error_json(ngx_webrtc_vr_req_t *r);
json_t *ngx_webrtc_vr_event(const char *videoroom, uint64_t room);
void ngx_webrtc_vr_reply_locked(ngx_webrtc_vr_req_t *r, json_t *data,
    json_t *jsep);
void ngx_webrtc_vr_send_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, json_t *data, json_t *jsep);
void ngx_webrtc_vr_notify_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_room_t *vroom, ngx_webrtc_vr_pub_t *except, json_t *data);
void ngx_webrtc_vr_close_pc_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h);
ngx_int_t ngx_webrtc_vr_str_set(ngx_webrtc_conf_t *wcf, ngx_str_t *dst,
    const char *src, size_t len);
void ngx_webrtc_vr_str_free(ngx_webrtc_conf_t *wcf, ngx_str_t *s);
ngx_int_t ngx_webrtc_vr_codec_from_name(const char *name, ngx_uint_t video);
ngx_uint_t ngx_webrtc_vr_fmtp_param(const u_char *fmtp, const char *name,
    char *out, size_t size);
void ngx_webrtc_vr_changed(ngx_webrtc_conf_t *wcf);

/* ngx_webrtc_videoroom_admin.c: the synchronous requests */
json_t *ngx_webrtc_vr_sync_request(ngx_webrtc_vr_req_t *r);

/* ngx_webrtc_videoroom_pub.c: publishers */
ngx_int_t ngx_webrtc_vr_pub_join(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_room_t *room);
ngx_int_t ngx_webrtc_vr_pub_request(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_pub_t *pub);
ngx_webrtc_vr_pub_t *ngx_webrtc_vr_pub_find(ngx_webrtc_vr_room_t *vroom,
    uint64_t id);
ngx_webrtc_vr_pstream_t *ngx_webrtc_vr_pub_mid(ngx_webrtc_vr_pub_t *pub,
    const char *mid);
json_t *ngx_webrtc_vr_pub_json(ngx_webrtc_vr_pub_t *pub, ngx_uint_t full);
void ngx_webrtc_vr_pub_unpublish_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_pub_t *pub, ngx_uint_t notify);
void ngx_webrtc_vr_pub_leave_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_pub_t *pub, const char *how);
void ngx_webrtc_vr_pub_free_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_pub_t *pub);

/* ngx_webrtc_videoroom_sub.c: subscribers */
ngx_int_t ngx_webrtc_vr_sub_join(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_room_t *room);
ngx_int_t ngx_webrtc_vr_sub_request(ngx_webrtc_vr_req_t *r,
    ngx_webrtc_vr_sub_t *sub);
void ngx_webrtc_vr_sub_source_gone_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_sstream_t *ss);
void ngx_webrtc_vr_sub_autoupdate_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_sub_t *sub);
void ngx_webrtc_vr_sub_clear_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_sub_t *sub);
void ngx_webrtc_vr_sub_free_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_sub_t *sub);

/* ngx_webrtc_videoroom_sdp.c: a subscriber's m-lines and its offer */
void ngx_webrtc_vr_sstream_source(ngx_webrtc_vr_sub_t *sub,
    ngx_webrtc_vr_sstream_t *ss, ngx_webrtc_vr_pstream_t *ps);
void ngx_webrtc_vr_sstream_unlink(ngx_webrtc_vr_sstream_t *ss);
uint32_t ngx_webrtc_vr_sub_ssrc(ngx_webrtc_vr_sub_t *sub);
json_t *ngx_webrtc_vr_sub_offer(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_vr_sub_t *sub, ngx_uint_t restart,
    ngx_webrtc_jsep_err_t *err);
json_t *ngx_webrtc_vr_sub_streams_json(ngx_webrtc_vr_sub_t *sub,
    json_t *legacy);


/* a room ends: its participants hear "destroyed", the plugin's state goes */
void ngx_webrtc_videoroom_room_gone_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_room_t *room);


/*
 * For the media half, with the zone locked.
 *
 * ngx_webrtc_videoroom_setup_media_locked(): the PeerConnection of h is up
 * (ICE and DTLS done, Janus's setup_media).  Publishers are announced to
 * the room as soon as their answer is produced, so this only records it.
 *
 * ngx_webrtc_videoroom_talking_locked(): the audio level of stream mindex
 * of the publisher on h crossed the room's threshold (talking 1) or fell
 * back (talking 0); level is the average in -dBov (0..127).  Sends
 * "talking"/"stopped-talking" to the room when audiolevel_event is on.
 */
void ngx_webrtc_videoroom_setup_media_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h);
void ngx_webrtc_videoroom_talking_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, ngx_uint_t mindex, ngx_uint_t talking,
    double level);


#endif /* _NGX_WEBRTC_VIDEOROOM_H_INCLUDED_ */
