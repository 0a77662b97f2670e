
/*
 * The m-lines of a subscriber's PeerConnection as the server offers them:
 * a payload type with one meaning across the BUNDLE, SSRCs of the
 * server's own, the extensions of ngx_webrtc_vr_ext_id[], and the
 * "streams" summary Janus gives with "attached", "updated", "switched".
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"
#include "ngx_webrtc_videoroom.h"


static uint8_t ngx_webrtc_vr_sub_pt(ngx_webrtc_vr_sub_t *sub,
    ngx_webrtc_vr_sstream_t *self, uint8_t want1, uint8_t want2,
    ngx_uint_t rtx);
static ngx_uint_t ngx_webrtc_vr_sub_pt_ok(ngx_webrtc_vr_sub_t *sub,
    ngx_webrtc_vr_sstream_t *self, uint8_t pt, ngx_uint_t rtx);


/* ss stops receiving from its source, if it had one */

void
ngx_webrtc_vr_sstream_unlink(ngx_webrtc_vr_sstream_t *ss)
{
    if (ss->ps) {
        ngx_queue_remove(&ss->pqueue);
        ss->ps = NULL;
    }

    ss->ready = 0;
}


/*
 * ss now forwards ps: the codec as the publisher sends it, the pt free.
 * An m-line that had a source (a switch) keeps the RTX its answer took:
 * no new offer tells the subscriber of another.  One without (new, or
 * back from inactive) is offered again, so it takes the publisher's.
 */

void
ngx_webrtc_vr_sstream_source(ngx_webrtc_vr_sub_t *sub,
    ngx_webrtc_vr_sstream_t *ss, ngx_webrtc_vr_pstream_t *ps)
{
    ngx_uint_t  e, live;

    live = (ss->ps != NULL);

    ngx_webrtc_vr_sstream_unlink(ss);

    ss->codec = ps->codec;
    ngx_memcpy(ss->codec_name, ps->codec_name, sizeof(ss->codec_name));
    ngx_memcpy(ss->fmtp, ps->fmtp, sizeof(ss->fmtp));
    ss->clock = ps->clock;
    ss->channels = ps->channels;
    ss->fb_flags = ps->fb_flags;

    /* BUNDLE needs one meaning per payload type across the m-lines */
    ss->pt = ngx_webrtc_vr_sub_pt(sub, ss, ss->pt, ps->pt, 0);

    if (ps->rtx_pt && !live) {
        ss->rtx_pt = ngx_webrtc_vr_sub_pt(sub, ss, ss->rtx_pt, ps->rtx_pt,
                                          1);
        if (ss->rtx_pt && ss->rtx_ssrc == 0) {
            ss->rtx_ssrc = ngx_webrtc_vr_sub_ssrc(sub);
        }
    }

    ss->exts = WR_SDP_EXT_BIT(WR_SDP_EXT_MID);

    for (e = WR_SDP_EXT_MID + 1; e < WR_SDP_EXT_COUNT; e++) {
        if (ps->ext_id[e] == 0
            || e == WR_SDP_EXT_RID || e == WR_SDP_EXT_RRID
            || e == WR_SDP_EXT_VLA
            || (e == WR_SDP_EXT_AUDIO_LEVEL && ss->kind != WR_SDP_KIND_AUDIO)
            || ((e == WR_SDP_EXT_DD || e == WR_SDP_EXT_VIDEO_ORIENTATION
                 || e == WR_SDP_EXT_PLAYOUT_DELAY)
                && ss->kind != WR_SDP_KIND_VIDEO))
        {
            continue;
        }

        ss->exts |= WR_SDP_EXT_BIT(e);
    }

    ss->ps = ps;
    ngx_queue_insert_tail(&ps->subs, &ss->pqueue);
}


/*
 * A payload type for ss: want1 (what it had), else want2 (what the
 * publisher sends), if no other m-line gives it another meaning; else a
 * free one, which the media half then rewrites to.
 */

static uint8_t
ngx_webrtc_vr_sub_pt(ngx_webrtc_vr_sub_t *sub, ngx_webrtc_vr_sstream_t *self,
    uint8_t want1, uint8_t want2, ngx_uint_t rtx)
{
    ngx_uint_t  pt;

    if (want1 && ngx_webrtc_vr_sub_pt_ok(sub, self, want1, rtx)) {
        return want1;
    }

    if (want2 && ngx_webrtc_vr_sub_pt_ok(sub, self, want2, rtx)) {
        return want2;
    }

    for (pt = 96; pt <= 127; pt++) {
        if (ngx_webrtc_vr_sub_pt_ok(sub, self, (uint8_t) pt, rtx)) {
            return (uint8_t) pt;
        }
    }

    for (pt = 35; pt <= 63; pt++) {
        if (ngx_webrtc_vr_sub_pt_ok(sub, self, (uint8_t) pt, rtx)) {
            return (uint8_t) pt;
        }
    }

    /* 32 m-lines with RTX fit in those 61 values; not reached */
    return want2;
}


static ngx_uint_t
ngx_webrtc_vr_sub_pt_ok(ngx_webrtc_vr_sub_t *sub,
    ngx_webrtc_vr_sstream_t *self, uint8_t pt, ngx_uint_t rtx)
{
    ngx_uint_t                i;
    ngx_webrtc_vr_sstream_t  *ss;

    if (rtx && pt == self->pt) {
        return 0;
    }

    for (i = 0; i < sub->nstreams; i++) {
        ss = sub->streams[i];

        if (ss == self) {
            continue;
        }

        if (rtx) {
            /* an RTX pt repairs one pt, the same everywhere */
            if (ss->pt == pt || (ss->rtx_pt == pt && ss->pt != self->pt)) {
                return 0;
            }

            continue;
        }

        if (ss->rtx_pt == pt) {
            return 0;
        }

        if (ss->pt == pt
            && (ngx_strcasecmp(ss->codec_name, self->codec_name) != 0
                || ss->clock != self->clock
                || ss->channels != self->channels
                || ngx_strcmp(ss->fmtp, self->fmtp) != 0))
        {
            return 0;
        }
    }

    return 1;
}


uint32_t
ngx_webrtc_vr_sub_ssrc(ngx_webrtc_vr_sub_t *sub)
{
    uint32_t    ssrc;
    ngx_uint_t  i;

    for ( ;; ) {
        ssrc = (uint32_t) ngx_webrtc_random_id();

        for (i = 0; ssrc && i < sub->nstreams; i++) {
            if (sub->streams[i]->ssrc == ssrc
                || sub->streams[i]->rtx_ssrc == ssrc)
            {
                ssrc = 0;
            }
        }

        if (ssrc) {
            return ssrc;
        }
    }
}


/*
 * The server's offer for the whole subscription: one m-line per stream,
 * sendonly while it has a source, inactive once it lost it.
 */

json_t *
ngx_webrtc_vr_sub_offer(ngx_webrtc_conf_t *wcf, ngx_webrtc_vr_sub_t *sub,
    ngx_uint_t restart, ngx_webrtc_jsep_err_t *err)
{
    u_char                    msid[NGX_WEBRTC_VR_MAX_STREAMS][2][24];
    json_t                   *jsep;
    ngx_uint_t                i, e;
    wr_sdp_offer_media_t      media[NGX_WEBRTC_VR_MAX_STREAMS];
    wr_sdp_offer_media_t     *om;
    ngx_webrtc_vr_sstream_t  *ss;

    ngx_memzero(media, sizeof(media));

    for (i = 0; i < sub->nstreams; i++) {
        ss = sub->streams[i];
        om = &media[i];

        om->kind = ss->kind;
        om->mid = (char *) ss->mid;
        om->codec = (char *) ss->codec_name;
        om->pt = ss->pt;
        om->channels = ss->channels;
        om->clock = ss->clock;
        om->fmtp = ss->fmtp[0] ? (char *) ss->fmtp : NULL;
        om->rtx_pt = ss->rtx_pt;
        om->fb_flags = ss->fb_flags;
        om->ssrc = ss->ssrc;
        om->rtx_ssrc = ss->rtx_pt ? ss->rtx_ssrc : 0;

        for (e = 1; e < WR_SDP_EXT_COUNT; e++) {
            if (ss->exts & WR_SDP_EXT_BIT(e)) {
                om->ext_id[e] = ngx_webrtc_vr_ext_id[e];
            }
        }

        if (ss->ps == NULL || ss->ps->disabled) {
            om->dir = WR_SDP_DIR_INACTIVE;
            continue;
        }

        om->dir = WR_SDP_DIR_SENDONLY;

        /* as Janus: the publisher's id as stream with use_msid */
        if (sub->use_msid) {
            *ngx_sprintf(msid[i][0], "%uL", ss->ps->pub->id) = '\0';
            *ngx_sprintf(msid[i][1], "%s", ss->mid) = '\0';

        } else {
            *ngx_sprintf(msid[i][0], "janus") = '\0';
            *ngx_sprintf(msid[i][1], "janus%s", ss->mid) = '\0';
        }

        om->msid_stream = (char *) msid[i][0];
        om->msid_track = (char *) msid[i][1];
    }

    /* the core writes e2ee into the jsep from the handle's flag */
    if (sub->e2ee) {
        sub->handle->e2ee = 1;
    }

    jsep = ngx_webrtc_jsep_offer_locked(wcf, sub->handle, media,
                                        sub->nstreams, err);
    if (jsep == NULL) {
        return NULL;
    }

    if (restart) {
        json_object_set_new(jsep, "restart", json_true());
    }

    sub->answered = 0;

    return jsep;
}


json_t *
ngx_webrtc_vr_sub_streams_json(ngx_webrtc_vr_sub_t *sub, json_t *legacy)
{
    char                      profile[64];
    json_t                   *list, *s, *o;
    ngx_uint_t                i;
    ngx_webrtc_vr_pub_t      *pub;
    ngx_webrtc_vr_pstream_t  *ps;
    ngx_webrtc_vr_sstream_t  *ss;

    list = json_array();

    for (i = 0; list && i < sub->nstreams; i++) {
        ss = sub->streams[i];
        ps = ss->ps;

        s = json_pack("{s:s, s:b, s:i, s:s}",
                      "type", ss->kind == WR_SDP_KIND_AUDIO ? "audio"
                                                            : "video",
                      "active", ps != NULL,
                      "mindex", (int) ss->mindex,
                      "mid", (char *) ss->mid);
        if (s == NULL) {
            continue;
        }

        if (ss->crossrefid.len) {
            json_object_set_new(s, "crossrefid",
                                json_string((char *) ss->crossrefid.data));
        }

        json_object_set_new(s, "ready", json_boolean(ss->ready));
        json_object_set_new(s, "send", json_boolean(ss->send));

        if (ps == NULL) {
            json_array_append_new(list, s);
            continue;
        }

        pub = ps->pub;

        json_object_set_new(s, "feed_id", json_integer((json_int_t) pub->id));

        if (pub->display.len) {
            json_object_set_new(s, "feed_display",
                                json_string((char *) pub->display.data));
        }

        if (pub->metadata.len) {
            json_object_set_new(s, "feed_metadata",
                                json_loads((char *) pub->metadata.data, 0,
                                           NULL));
        }

        json_object_set_new(s, "feed_mid", json_string((char *) ps->mid));

        if (ps->description.len) {
            json_object_set_new(s, "feed_description",
                                json_string((char *) ps->description.data));
        }

        json_object_set_new(s, "codec",
                            json_string(ngx_webrtc_codec_name(ss->codec)));

        if (ss->codec == NGX_WEBRTC_CODEC_H264
            && ngx_webrtc_vr_fmtp_param(ss->fmtp, "profile-level-id",
                                        profile, sizeof(profile)))
        {
            json_object_set_new(s, "h264-profile", json_string(profile));
        }

        if (ss->codec == NGX_WEBRTC_CODEC_VP9
            && ngx_webrtc_vr_fmtp_param(ss->fmtp, "profile-id", profile,
                                        sizeof(profile)))
        {
            json_object_set_new(s, "vp9-profile", json_string(profile));
        }

        if (ss->kind == WR_SDP_KIND_VIDEO && ss->min_delay >= 0) {
            json_object_set_new(s, "playout-delay",
                                json_pack("{s:i, s:i}",
                                          "min-delay", ss->min_delay,
                                          "max-delay", ss->max_delay));
        }

        if (ps->simulcast) {
            o = json_pack("{s:i, s:i, s:i, s:i}",
                          "substream", ss->substream,
                          "substream-target", ss->substream_target,
                          "temporal-layer", ss->temporal,
                          "temporal-layer-target", ss->temporal_target);

            if (o && ss->fallback) {
                json_object_set_new(o, "fallback", json_integer(ss->fallback));
            }

            json_object_set_new(s, "simulcast", o);
        }

        /* a subscription the old way also names its feed at the top */
        if (legacy) {
            json_object_set_new(legacy, "id",
                                json_integer((json_int_t) pub->id));

            if (pub->display.len) {
                json_object_set_new(legacy, "display",
                                    json_string((char *) pub->display.data));
            }

            if (pub->metadata.len) {
                json_object_set_new(legacy, "metadata",
                                    json_loads((char *) pub->metadata.data,
                                               0, NULL));
            }
        }

        json_array_append_new(list, s);
    }

    return list;
}
