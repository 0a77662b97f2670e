
/*
 * JSEP for plugins: the server's answers and offers, with its ICE-lite
 * credentials, DTLS fingerprint and candidates, and the PeerConnection
 * state the media half will need, kept on the handle in the zone.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"


#define NGX_WEBRTC_SDP_MAX  65536


static ngx_int_t ngx_webrtc_jsep_parse(ngx_webrtc_handle_t *h, json_t *jsep,
    ngx_webrtc_jsep_err_t *err);
static void ngx_webrtc_jsep_remote(ngx_webrtc_handle_t *h);
static ngx_int_t ngx_webrtc_jsep_local(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, wr_sdp_local_t *local);
static size_t ngx_webrtc_jsep_prefs(const u_char *codecs,
    wr_sdp_codec_pref_t *prefs, ngx_uint_t video);
static json_t *ngx_webrtc_jsep_json(ngx_webrtc_handle_t *h, const char *type,
    const char *sdp, size_t len);


/* big: one per process, used under the zone lock */
static wr_sdp_t   ngx_webrtc_sdp;
static char       ngx_webrtc_sdp_out[NGX_WEBRTC_SDP_MAX];
static u_char     ngx_webrtc_fp[WR_SDP_SHA256_LEN];
static const char *ngx_webrtc_addrs[NGX_WEBRTC_MAX_ANNOUNCE + 1];
static u_char     ngx_webrtc_addr_text[NGX_WEBRTC_MAX_ANNOUNCE + 1]
                                      [NGX_SOCKADDR_STRLEN + 1];


const wr_sdp_t *
ngx_webrtc_jsep_parsed(void)
{
    return &ngx_webrtc_sdp;
}


json_t *
ngx_webrtc_jsep_answer_locked(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h,
    json_t *jsep, const u_char *audiocodec, const u_char *videocodec,
    wr_sdp_dir_t dir, const wr_sdp_send_t *send, size_t nsend,
    wr_sdp_answer_t *neg, ngx_webrtc_jsep_err_t *err)
{
    ssize_t                n;
    wr_sdp_rc_t            rc;
    wr_sdp_answer_t        local_neg;
    wr_sdp_codec_pref_t    audio[NGX_WEBRTC_MAX_CODECS];
    wr_sdp_codec_pref_t    video[NGX_WEBRTC_MAX_CODECS];
    wr_sdp_answer_conf_t   conf;
    static const u_char    opus[] = { NGX_WEBRTC_CODEC_OPUS, 0 };
    static const u_char    vp8[] = { NGX_WEBRTC_CODEC_VP8, 0 };

    if (neg == NULL) {
        neg = &local_neg;
    }

    if (ngx_webrtc_jsep_parse(h, jsep, err) != NGX_OK) {
        return NULL;
    }

    ngx_memzero(&conf, sizeof(wr_sdp_answer_conf_t));

    ngx_webrtc_pc_create_locked(wcf, h);

    if (ngx_webrtc_jsep_local(wcf, h, &conf.local) != NGX_OK) {
        err->code = NGX_WEBRTC_JANUS_ERROR_UNKNOWN;
        ngx_sprintf((u_char *) err->text, "No address to announce%Z");
        return NULL;
    }

    conf.audio_codecs = audio;
    conf.naudio_codecs = ngx_webrtc_jsep_prefs(audiocodec ? audiocodec : opus,
                                               audio, 0);
    conf.video_codecs = video;
    conf.nvideo_codecs = ngx_webrtc_jsep_prefs(videocodec ? videocodec : vp8,
                                               video, 1);
    conf.dir = dir;
    /*
     * No transport-wide congestion control: the server sends no
     * transport-cc feedback, and a browser that negotiated it would wait
     * for it and hold its bitrate at the minimum; REMB drives it instead.
     */
    conf.ext_mask = WR_SDP_EXT_DEFAULT & ~WR_SDP_EXT_BIT(WR_SDP_EXT_TWCC);
    /* layers are not switched yet: one stream per m-line, not three mixed */
    conf.simulcast = 0;
    conf.e2ee = h->e2ee;
    conf.send = send;
    conf.nsend = nsend;

    rc = wr_sdp_negotiate(&ngx_webrtc_sdp, &conf, neg);

    if (rc != WR_SDP_OK) {
        err->code = NGX_WEBRTC_JANUS_ERROR_JSEP_INVALID_SDP;
        ngx_snprintf((u_char *) err->text, sizeof(err->text) - 1,
                     "Invalid SDP: %s%Z", wr_sdp_strerror(rc));
        return NULL;
    }

    n = wr_sdp_write_answer(&ngx_webrtc_sdp, &conf, neg, ngx_webrtc_sdp_out,
                            sizeof(ngx_webrtc_sdp_out));

    if (n < 0) {
        err->code = NGX_WEBRTC_JANUS_ERROR_UNKNOWN;
        ngx_snprintf((u_char *) err->text, sizeof(err->text) - 1,
                     "Error writing the answer: %s%Z",
                     wr_sdp_strerror((wr_sdp_rc_t) -n));
        return NULL;
    }

    ngx_webrtc_jsep_remote(h);
    h->pc.negotiated = 1;

    return ngx_webrtc_jsep_json(h, "answer", ngx_webrtc_sdp_out, n);
}


json_t *
ngx_webrtc_jsep_offer_locked(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h,
    const wr_sdp_offer_media_t *media, size_t nmedia,
    ngx_webrtc_jsep_err_t *err)
{
    ssize_t               n;
    wr_sdp_offer_conf_t   conf;

    ngx_memzero(&conf, sizeof(wr_sdp_offer_conf_t));

    ngx_webrtc_pc_create_locked(wcf, h);

    if (ngx_webrtc_jsep_local(wcf, h, &conf.local) != NGX_OK) {
        err->code = NGX_WEBRTC_JANUS_ERROR_UNKNOWN;
        ngx_sprintf((u_char *) err->text, "No address to announce%Z");
        return NULL;
    }

    conf.media = media;
    conf.nmedia = nmedia;

    n = wr_sdp_write_offer(&conf, ngx_webrtc_sdp_out,
                           sizeof(ngx_webrtc_sdp_out));

    if (n < 0) {
        err->code = NGX_WEBRTC_JANUS_ERROR_UNKNOWN;
        ngx_snprintf((u_char *) err->text, sizeof(err->text) - 1,
                     "Error writing the offer: %s%Z",
                     wr_sdp_strerror((wr_sdp_rc_t) -n));
        return NULL;
    }

    h->pc.offered = 1;

    return ngx_webrtc_jsep_json(h, "offer", ngx_webrtc_sdp_out, n);
}


ngx_int_t
ngx_webrtc_jsep_take_answer_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, json_t *jsep, ngx_webrtc_jsep_err_t *err)
{
    if (!h->pc.offered) {
        err->code = NGX_WEBRTC_JANUS_ERROR_UNEXPECTED_ANSWER;
        ngx_sprintf((u_char *) err->text,
                    "Unexpected ANSWER (did we offer?)%Z");
        return NGX_ERROR;
    }

    if (ngx_webrtc_jsep_parse(h, jsep, err) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_webrtc_jsep_remote(h);
    h->pc.offered = 0;
    h->pc.negotiated = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_webrtc_jsep_parse(ngx_webrtc_handle_t *h, json_t *jsep,
    ngx_webrtc_jsep_err_t *err)
{
    json_t       *sdp;
    wr_sdp_rc_t   rc;

    sdp = ngx_webrtc_json_get(jsep, "sdp", JSON_STRING);

    if (sdp == NULL) {
        err->code = NGX_WEBRTC_JANUS_ERROR_MISSING_MANDATORY;
        ngx_sprintf((u_char *) err->text,
                    "JSEP error: missing mandatory element (sdp)%Z");
        return NGX_ERROR;
    }

    rc = wr_sdp_parse(&ngx_webrtc_sdp, json_string_value(sdp),
                      json_string_length(sdp));

    if (rc != WR_SDP_OK) {
        err->code = NGX_WEBRTC_JANUS_ERROR_JSEP_INVALID_SDP;
        ngx_snprintf((u_char *) err->text, sizeof(err->text) - 1,
                     "Invalid SDP (%s)%Z", ngx_webrtc_sdp.error);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the peer's ICE credentials and fingerprint, from its first m-line */

static void
ngx_webrtc_jsep_remote(ngx_webrtc_handle_t *h)
{
    u_char                *p;
    ngx_uint_t             i, k;
    wr_sdp_media_t        *m;

    for (i = 0; i < ngx_webrtc_sdp.nmedia; i++) {
        m = &ngx_webrtc_sdp.media[i];

        if (m->ice_ufrag.len == 0 || m->ice_pwd.len == 0) {
            continue;
        }

        p = ngx_cpymem(h->pc.remote_ufrag, m->ice_ufrag.data,
                       ngx_min(m->ice_ufrag.len, 256));
        *p = '\0';

        p = ngx_cpymem(h->pc.remote_pwd, m->ice_pwd.data,
                       ngx_min(m->ice_pwd.len, 256));
        *p = '\0';

        if (m->fingerprint.hash == WR_SDP_HASH_SHA256
            && m->fingerprint.len == WR_SDP_SHA256_LEN)
        {
            ngx_memcpy(h->pc.remote_fp, m->fingerprint.bytes,
                       WR_SDP_SHA256_LEN);
            h->pc.remote_fp_set = 1;

            p = h->pc.remote_fingerprint;

            for (k = 0; k < WR_SDP_SHA256_LEN; k++) {
                p = ngx_sprintf(p, k ? ":%02Xd" : "%02Xd",
                                m->fingerprint.bytes[k]);
            }

            *p = '\0';
        }

        return;
    }
}


static ngx_int_t
ngx_webrtc_jsep_local(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h,
    wr_sdp_local_t *local)
{
    u_char                 *p, c;
    size_t                  naddrs, len;
    ngx_uint_t              i, k;
    in_port_t               port;
    ngx_webrtc_announce_t  *an;

    /* the fingerprint text of the zone, back to bytes */

    p = wcf->sh->fingerprint;

    for (i = 0; i < WR_SDP_SHA256_LEN; i++) {
        ngx_webrtc_fp[i] = 0;

        for (k = 0; k < 2; k++) {
            c = *p++;
            c = (c >= 'A') ? (u_char) (c - 'A' + 10) : (u_char) (c - '0');
            ngx_webrtc_fp[i] = (u_char) ((ngx_webrtc_fp[i] << 4) | (c & 0xf));
        }

        p++;
    }

    an = wcf->announce.elts;
    naddrs = 0;
    port = wcf->media_port;

    for (i = 0; i < wcf->announce.nelts; i++) {
        len = ngx_min(an[i].text.len, NGX_SOCKADDR_STRLEN);
        p = ngx_cpymem(ngx_webrtc_addr_text[naddrs], an[i].text.data, len);
        *p = '\0';
        ngx_webrtc_addrs[naddrs] = (char *) ngx_webrtc_addr_text[naddrs];
        naddrs++;

        if (i == 0 && an[i].port) {
            port = an[i].port;
        }
    }

    if (naddrs == 0 && wcf->media_addr.len) {
        len = ngx_min(wcf->media_addr.len, NGX_SOCKADDR_STRLEN);
        p = ngx_cpymem(ngx_webrtc_addr_text[0], wcf->media_addr.data, len);
        *p = '\0';
        ngx_webrtc_addrs[0] = (char *) ngx_webrtc_addr_text[0];
        naddrs = 1;
    }

    if (naddrs == 0 || port == 0) {
        return NGX_ERROR;
    }

    local->ice_ufrag = (char *) h->pc.ufrag;
    local->ice_pwd = (char *) h->pc.pwd;
    local->fingerprint = ngx_webrtc_fp;
    local->addrs = ngx_webrtc_addrs;
    local->naddrs = naddrs;
    local->port = port;
    local->session_id = ngx_webrtc_handle_id(h);
    local->session_version = (uint64_t) ngx_time();
    local->session_name = "ngx_webrtc_module";
    local->cname = "ngx_webrtc";

    return NGX_OK;
}


static size_t
ngx_webrtc_jsep_prefs(const u_char *codecs, wr_sdp_codec_pref_t *prefs,
    ngx_uint_t video)
{
    size_t  n;

    for (n = 0; n < NGX_WEBRTC_MAX_CODECS && codecs[n]; n++) {
        prefs[n].name = ngx_webrtc_codec_name(codecs[n]);
        prefs[n].fmtp = NULL;
    }

    return n;
}


static json_t *
ngx_webrtc_jsep_json(ngx_webrtc_handle_t *h, const char *type,
    const char *sdp, size_t len)
{
    json_t  *j;

    j = json_pack("{s:s, s:s#}", "type", type, "sdp", sdp, (int) len);

    if (j && h->e2ee) {
        json_object_set_new(j, "e2ee", json_true());
    }

    return j;
}
