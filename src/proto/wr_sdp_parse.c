/*
 * SDP parser (RFC 8866 with the WebRTC attributes of RFC 8829, 8839,
 * 8842, 8843, 8851, 8853, 8285, 4585, 5576); see wr_sdp.h.
 *
 * One pass over the lines, each handled by the type letter and, for a=,
 * by the attribute name; values are checked as they are read, so the
 * first bad line stops the parse with its line number.  After the last
 * line every m-line is completed (RTX associations, static payload
 * names, session-level inheritance) and checked for what WebRTC needs.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wr_sdp.h"


typedef struct {
    wr_sdp_t        *sdp;
    wr_sdp_media_t  *m;          /* the current m-line, NULL at session */
    unsigned         line;
} wr_sdp_ctx_t;


typedef wr_sdp_rc_t (*wr_sdp_attr_handler_pt)(wr_sdp_ctx_t *ctx,
    wr_sdp_str_t value);

typedef struct {
    const char              *name;
    wr_sdp_attr_handler_pt   handler;
    unsigned                 media_only;   /* skipped at session level */
} wr_sdp_attr_t;


static wr_sdp_rc_t wr_sdp_line(wr_sdp_ctx_t *ctx, const char *p, size_t len);
static wr_sdp_rc_t wr_sdp_origin(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_media_line(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_attribute(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);

static wr_sdp_rc_t wr_sdp_a_group(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_ice_lite(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_ice_ufrag(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_ice_pwd(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_ice_options(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_fingerprint(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_setup(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_mid(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_set_dir(wr_sdp_ctx_t *ctx, wr_sdp_dir_t dir);
static wr_sdp_rc_t wr_sdp_a_sendrecv(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_sendonly(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_recvonly(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_inactive(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_rtcp_mux(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_rtcp_rsize(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_bundle_only(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_allow_mixed(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_eoc(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_rtpmap(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_fmtp(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_rtcp_fb(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_extmap(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_ssrc(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_ssrc_group(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_msid(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_msid_semantic(wr_sdp_ctx_t *ctx,
    wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_rid(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_simulcast(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_candidate(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_sctp_port(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);
static wr_sdp_rc_t wr_sdp_a_max_msg(wr_sdp_ctx_t *ctx, wr_sdp_str_t v);

static wr_sdp_rc_t wr_sdp_finish(wr_sdp_ctx_t *ctx);
static void wr_sdp_bundle_transport(wr_sdp_t *sdp);
static int wr_sdp_in_bundle(const wr_sdp_t *sdp, const wr_sdp_media_t *m);
static int wr_sdp_same(wr_sdp_str_t a, wr_sdp_str_t b);
static void wr_sdp_finish_media(wr_sdp_t *sdp, wr_sdp_media_t *m);
static wr_sdp_codec_t *wr_sdp_codec(wr_sdp_media_t *m, unsigned pt);
static wr_sdp_ssrc_t *wr_sdp_ssrc_entry(wr_sdp_ctx_t *ctx, uint32_t ssrc,
    wr_sdp_rc_t *rc);
static uint8_t wr_sdp_fb_flag(wr_sdp_str_t fb);
static wr_sdp_ext_t wr_sdp_ext_from_uri(wr_sdp_str_t uri);

static int wr_sdp_token(wr_sdp_str_t *v, wr_sdp_str_t *tok, char sep);
static int wr_sdp_item(wr_sdp_str_t *v, wr_sdp_str_t *item, char sep);
static void wr_sdp_trim(wr_sdp_str_t *v);
static int wr_sdp_number(wr_sdp_str_t s, uint64_t max, uint64_t *n);
static int wr_sdp_visible(wr_sdp_str_t s);
static int wr_sdp_is_rtp(wr_sdp_str_t proto);
static int wr_sdp_ice_chars(wr_sdp_str_t s, size_t min);
static int wr_sdp_hex(char c);
static wr_sdp_rc_t wr_sdp_fail(wr_sdp_ctx_t *ctx, wr_sdp_rc_t rc,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));


#define wr_sdp_s(lit)  { lit, sizeof(lit) - 1 }


static const wr_sdp_attr_t  wr_sdp_attrs[] = {
    { "group", wr_sdp_a_group, 0 },
    { "ice-lite", wr_sdp_a_ice_lite, 0 },
    { "ice-ufrag", wr_sdp_a_ice_ufrag, 0 },
    { "ice-pwd", wr_sdp_a_ice_pwd, 0 },
    { "ice-options", wr_sdp_a_ice_options, 0 },
    { "fingerprint", wr_sdp_a_fingerprint, 0 },
    { "setup", wr_sdp_a_setup, 0 },
    { "mid", wr_sdp_a_mid, 1 },
    { "sendrecv", wr_sdp_a_sendrecv, 0 },
    { "sendonly", wr_sdp_a_sendonly, 0 },
    { "recvonly", wr_sdp_a_recvonly, 0 },
    { "inactive", wr_sdp_a_inactive, 0 },
    { "rtcp-mux", wr_sdp_a_rtcp_mux, 1 },
    { "rtcp-rsize", wr_sdp_a_rtcp_rsize, 1 },
    { "bundle-only", wr_sdp_a_bundle_only, 1 },
    { "extmap-allow-mixed", wr_sdp_a_allow_mixed, 0 },
    { "end-of-candidates", wr_sdp_a_eoc, 0 },
    { "rtpmap", wr_sdp_a_rtpmap, 1 },
    { "fmtp", wr_sdp_a_fmtp, 1 },
    { "rtcp-fb", wr_sdp_a_rtcp_fb, 1 },
    { "extmap", wr_sdp_a_extmap, 0 },
    { "ssrc", wr_sdp_a_ssrc, 1 },
    { "ssrc-group", wr_sdp_a_ssrc_group, 1 },
    { "msid", wr_sdp_a_msid, 1 },
    { "msid-semantic", wr_sdp_a_msid_semantic, 0 },
    { "rid", wr_sdp_a_rid, 1 },
    { "simulcast", wr_sdp_a_simulcast, 1 },
    { "candidate", wr_sdp_a_candidate, 1 },
    { "sctp-port", wr_sdp_a_sctp_port, 1 },
    { "max-message-size", wr_sdp_a_max_msg, 1 },
    { NULL, NULL, 0 }
};


static const struct {
    wr_sdp_ext_t   ext;
    const char    *uri;
} wr_sdp_ext_uris[] = {
    { WR_SDP_EXT_MID, "urn:ietf:params:rtp-hdrext:sdes:mid" },
    { WR_SDP_EXT_AUDIO_LEVEL, "urn:ietf:params:rtp-hdrext:ssrc-audio-level" },
    { WR_SDP_EXT_ABS_SEND_TIME,
      "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time" },
    { WR_SDP_EXT_TWCC,
      "http://www.ietf.org/id/"
      "draft-holmer-rmcat-transport-wide-cc-extensions-01" },
    { WR_SDP_EXT_DD,
      "https://aomediacodec.github.io/av1-rtp-spec/"
      "#dependency-descriptor-rtp-header-extension" },
    { WR_SDP_EXT_RID, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id" },
    { WR_SDP_EXT_RRID,
      "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id" },
    { WR_SDP_EXT_VIDEO_ORIENTATION, "urn:3gpp:video-orientation" },
    { WR_SDP_EXT_PLAYOUT_DELAY,
      "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay" },
    { WR_SDP_EXT_VLA,
      "http://www.webrtc.org/experiments/rtp-hdrext/"
      "video-layers-allocation00" },
};


/* static payload types browsers may list without an rtpmap (RFC 3551) */
static const struct {
    uint8_t       pt;
    uint32_t      clock;
    wr_sdp_str_t  name;
} wr_sdp_static_pts[] = {
    { 0, 8000, wr_sdp_s("PCMU") },
    { 8, 8000, wr_sdp_s("PCMA") },
    { 9, 8000, wr_sdp_s("G722") },
    { 13, 8000, wr_sdp_s("CN") },
};


static const char  *wr_sdp_errors[] = {
    "OK",
    "syntax error",
    "doesn't start with v=0",
    "line too long",
    "too many elements",
    "missing mandatory attribute",
    "invalid fingerprint",
    "no acceptable media",
    "invalid local configuration",
    "output buffer too small",
};


wr_sdp_rc_t
wr_sdp_parse(wr_sdp_t *sdp, const char *text, size_t len)
{
    size_t        n;
    wr_sdp_rc_t   rc;
    const char   *p, *end, *nl;
    wr_sdp_ctx_t  ctx;

    memset(sdp, 0, sizeof(wr_sdp_t));

    ctx.sdp = sdp;
    ctx.m = NULL;
    ctx.line = 0;

    p = text;
    end = text + len;

    while (p < end) {
        ctx.line++;

        nl = memchr(p, '\n', end - p);
        n = (nl ? nl : end) - p;

        if (n > 0 && p[n - 1] == '\r') {
            n--;
        }

        if (n > WR_SDP_MAX_LINE) {
            return wr_sdp_fail(&ctx, WR_SDP_ELINE, "line longer than %d bytes",
                               WR_SDP_MAX_LINE);
        }

        rc = wr_sdp_line(&ctx, p, n);
        if (rc != WR_SDP_OK) {
            return rc;
        }

        p = nl ? nl + 1 : end;
    }

    if (ctx.line == 0) {
        ctx.line = 1;
        return wr_sdp_fail(&ctx, WR_SDP_EVERSION, "empty SDP");
    }

    return wr_sdp_finish(&ctx);
}


static wr_sdp_rc_t
wr_sdp_line(wr_sdp_ctx_t *ctx, const char *p, size_t len)
{
    size_t         i;
    unsigned char  c;
    wr_sdp_str_t   v;

    /* no control characters: values are copied into answers verbatim */
    for (i = 0; i < len; i++) {
        c = (unsigned char) p[i];

        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "control character");
        }
    }

    if (ctx->line == 1) {
        if (len != 3 || memcmp(p, "v=0", 3) != 0) {
            return wr_sdp_fail(ctx, WR_SDP_EVERSION, "doesn't start with v=0");
        }

        return WR_SDP_OK;
    }

    if (len == 0) {
        /* a blank line, usually the end: harmless */
        return WR_SDP_OK;
    }

    if (len < 2 || p[1] != '=' || p[0] < 'a' || p[0] > 'z') {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "not a <type>=<value> line");
    }

    v.data = p + 2;
    v.len = len - 2;

    switch (p[0]) {

    case 'v':
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "second v= line");

    case 'o':
        return ctx->m ? wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "o= inside media")
                      : wr_sdp_origin(ctx, v);

    case 's':
        if (ctx->m == NULL) {
            ctx->sdp->name = v;
        }
        return WR_SDP_OK;

    case 'm':
        return wr_sdp_media_line(ctx, v);

    case 'a':
        return wr_sdp_attribute(ctx, v);

    default:
        /* c=, b=, t=, i=, ...: nothing the server needs */
        return WR_SDP_OK;
    }
}


/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */

static wr_sdp_rc_t
wr_sdp_origin(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    wr_sdp_str_t  user, id, version;

    if (!wr_sdp_token(&v, &user, ' ')
        || !wr_sdp_token(&v, &id, ' ')
        || !wr_sdp_token(&v, &version, ' ')
        || v.len == 0)
    {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad o= line");
    }

    ctx->sdp->origin_sess_id = id;
    ctx->sdp->origin_sess_version = version;

    return WR_SDP_OK;
}


/* m=<media> <port>[/<count>] <proto> <fmt> ... */

static wr_sdp_rc_t
wr_sdp_media_line(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    uint64_t         n;
    wr_sdp_t        *sdp;
    wr_sdp_str_t     media, port, proto, fmt, fmts, count;
    wr_sdp_media_t  *m;
    wr_sdp_codec_t  *c;

    sdp = ctx->sdp;

    if (sdp->nmedia == WR_SDP_MAX_MEDIA) {
        return wr_sdp_fail(ctx, WR_SDP_ELIMIT, "more than %d m-lines",
                           WR_SDP_MAX_MEDIA);
    }

    if (!wr_sdp_token(&v, &media, ' ')
        || !wr_sdp_token(&v, &port, ' ')
        || !wr_sdp_token(&v, &proto, ' ')
        || v.len == 0
        || !wr_sdp_visible(media))
    {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad m= line");
    }

    /* a port count ("9/2") is legal SDP but has no use with BUNDLE */
    if (wr_sdp_token(&port, &count, '/')) {
        if (!wr_sdp_number(port, 0xffff, &n)) {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad port count");
        }
        port = count;
    }

    if (!wr_sdp_number(port, 0xffff, &n)) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad m= port");
    }

    m = &sdp->media[sdp->nmedia++];
    ctx->m = m;

    m->media = media;
    m->port = (uint16_t) n;
    m->proto = proto;
    m->fmts = v;

    if (wr_sdp_str_eq(media, "audio")) {
        m->kind = WR_SDP_KIND_AUDIO;

    } else if (wr_sdp_str_eq(media, "video")) {
        m->kind = WR_SDP_KIND_VIDEO;

    } else if (wr_sdp_str_eq(media, "application")) {
        m->kind = WR_SDP_KIND_APPLICATION;

    } else {
        m->kind = WR_SDP_KIND_OTHER;
    }

    /* only RTP formats are payload types; "webrtc-datachannel" is not */
    if (!wr_sdp_is_rtp(proto)) {
        return WR_SDP_OK;
    }

    fmts = v;

    while (wr_sdp_token(&fmts, &fmt, ' ')) {
        if (fmt.len == 0) {
            continue;
        }

        if (!wr_sdp_number(fmt, 127, &n)) {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad payload type");
        }

        if (wr_sdp_codec(m, n) != NULL) {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX,
                               "payload type %u listed twice", (unsigned) n);
        }

        if (m->ncodecs == WR_SDP_MAX_CODECS) {
            return wr_sdp_fail(ctx, WR_SDP_ELIMIT,
                               "more than %d payload types in an m-line",
                               WR_SDP_MAX_CODECS);
        }

        c = &m->codecs[m->ncodecs++];
        c->pt = (uint8_t) n;
        c->apt = -1;
        c->rtx = -1;
    }

    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_attribute(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    const char           *colon;
    wr_sdp_str_t          name, value;
    const wr_sdp_attr_t  *a;

    /* trailing blanks are never meaningful; leading ones are kept, so a
     * value still starts right after its colon (see a=candidate) */
    while (v.len && (v.data[v.len - 1] == ' ' || v.data[v.len - 1] == '\t')) {
        v.len--;
    }

    colon = memchr(v.data, ':', v.len);

    name.data = v.data;
    name.len = colon ? (size_t) (colon - v.data) : v.len;
    value.data = colon ? colon + 1 : v.data + v.len;
    value.len = v.len - name.len - (colon ? 1 : 0);

    for (a = wr_sdp_attrs; a->name; a++) {
        if (!wr_sdp_str_eq(name, a->name)) {
            continue;
        }

        if (a->media_only && ctx->m == NULL) {
            /* misplaced, and meaningless there: skip it like Janus does */
            return WR_SDP_OK;
        }

        return a->handler(ctx, value);
    }

    return WR_SDP_OK;
}


/* a=group:BUNDLE <mid> ...; other semantics (LS, FID) are not used */

static wr_sdp_rc_t
wr_sdp_a_group(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    wr_sdp_t      *sdp;
    wr_sdp_str_t   sem, mid;

    sdp = ctx->sdp;

    if (ctx->m) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "a=group inside media");
    }

    if (!wr_sdp_token(&v, &sem, ' ') || !wr_sdp_str_eq(sem, "BUNDLE")) {
        return WR_SDP_OK;
    }

    /* several BUNDLE groups: the server runs one transport, keep the first */
    if (sdp->nbundle) {
        return WR_SDP_OK;
    }

    while (wr_sdp_token(&v, &mid, ' ')) {
        if (mid.len == 0) {
            continue;
        }

        if (sdp->nbundle == WR_SDP_MAX_MEDIA) {
            return wr_sdp_fail(ctx, WR_SDP_ELIMIT, "BUNDLE group too long");
        }

        sdp->bundle[sdp->nbundle++] = mid;
    }

    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_ice_lite(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    ctx->sdp->ice_lite = 1;
    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_ice_ufrag(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    if (!wr_sdp_ice_chars(v, 4)) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad ice-ufrag");
    }

    *(ctx->m ? &ctx->m->ice_ufrag : &ctx->sdp->ice_ufrag) = v;
    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_ice_pwd(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    if (!wr_sdp_ice_chars(v, 22)) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad ice-pwd");
    }

    *(ctx->m ? &ctx->m->ice_pwd : &ctx->sdp->ice_pwd) = v;
    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_ice_options(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    *(ctx->m ? &ctx->m->ice_options : &ctx->sdp->ice_options) = v;
    return WR_SDP_OK;
}


/*
 * a=fingerprint:<hash> <XX:XX:...>.  A hash the server cannot check is
 * skipped (another line may carry sha-256); hex of the wrong length for
 * its hash is an error.  With several usable lines sha-256 wins, since
 * that is what the DTLS half computes.
 */

static wr_sdp_rc_t
wr_sdp_a_fingerprint(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    int                    hi, lo;
    size_t                 i, want;
    wr_sdp_str_t           hash;
    wr_sdp_hash_t          h;
    wr_sdp_fingerprint_t   fp, *dst;

    if (!wr_sdp_token(&v, &hash, ' ')) {
        return wr_sdp_fail(ctx, WR_SDP_EFINGERPRINT, "no hash in fingerprint");
    }

    if (wr_sdp_str_caseeq(hash, "sha-1")) {
        h = WR_SDP_HASH_SHA1;
        want = 20;

    } else if (wr_sdp_str_caseeq(hash, "sha-224")) {
        h = WR_SDP_HASH_SHA224;
        want = 28;

    } else if (wr_sdp_str_caseeq(hash, "sha-256")) {
        h = WR_SDP_HASH_SHA256;
        want = 32;

    } else if (wr_sdp_str_caseeq(hash, "sha-384")) {
        h = WR_SDP_HASH_SHA384;
        want = 48;

    } else if (wr_sdp_str_caseeq(hash, "sha-512")) {
        h = WR_SDP_HASH_SHA512;
        want = 64;

    } else {
        return WR_SDP_OK;
    }

    wr_sdp_trim(&v);

    /* zeroed, so fingerprints can be compared as a whole */
    memset(&fp, 0, sizeof(wr_sdp_fingerprint_t));

    if (v.len != want * 3 - 1) {
        return wr_sdp_fail(ctx, WR_SDP_EFINGERPRINT,
                           "%.*s fingerprint is not %u bytes of hex",
                           (int) hash.len, hash.data, (unsigned) want);
    }

    for (i = 0; i < want; i++) {
        hi = wr_sdp_hex(v.data[i * 3]);
        lo = wr_sdp_hex(v.data[i * 3 + 1]);

        if (hi < 0 || lo < 0 || (i + 1 < want && v.data[i * 3 + 2] != ':')) {
            return wr_sdp_fail(ctx, WR_SDP_EFINGERPRINT,
                               "bad hex in fingerprint");
        }

        fp.bytes[i] = (uint8_t) (hi << 4 | lo);
    }

    fp.hash = h;
    fp.len = (uint8_t) want;

    dst = ctx->m ? &ctx->m->fingerprint : &ctx->sdp->fingerprint;

    if (dst->hash == WR_SDP_HASH_NONE
        || (dst->hash != WR_SDP_HASH_SHA256 && h == WR_SDP_HASH_SHA256))
    {
        *dst = fp;
    }

    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_setup(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    wr_sdp_setup_t  s;

    if (wr_sdp_str_eq(v, "actpass")) {
        s = WR_SDP_SETUP_ACTPASS;

    } else if (wr_sdp_str_eq(v, "active")) {
        s = WR_SDP_SETUP_ACTIVE;

    } else if (wr_sdp_str_eq(v, "passive")) {
        s = WR_SDP_SETUP_PASSIVE;

    } else if (wr_sdp_str_eq(v, "holdconn")) {
        s = WR_SDP_SETUP_HOLDCONN;

    } else {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad setup value");
    }

    *(ctx->m ? &ctx->m->setup : &ctx->sdp->setup) = s;
    return WR_SDP_OK;
}


/* mids go into BUNDLE lists and the RTP mid extension: short tokens */

static wr_sdp_rc_t
wr_sdp_a_mid(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    if (v.len == 0 || v.len > WR_SDP_MAX_MID || !wr_sdp_visible(v)) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad mid");
    }

    ctx->m->mid = v;
    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_set_dir(wr_sdp_ctx_t *ctx, wr_sdp_dir_t dir)
{
    *(ctx->m ? &ctx->m->dir : &ctx->sdp->dir) = dir;
    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_sendrecv(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    return wr_sdp_set_dir(ctx, WR_SDP_DIR_SENDRECV);
}


static wr_sdp_rc_t
wr_sdp_a_sendonly(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    return wr_sdp_set_dir(ctx, WR_SDP_DIR_SENDONLY);
}


static wr_sdp_rc_t
wr_sdp_a_recvonly(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    return wr_sdp_set_dir(ctx, WR_SDP_DIR_RECVONLY);
}


static wr_sdp_rc_t
wr_sdp_a_inactive(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    return wr_sdp_set_dir(ctx, WR_SDP_DIR_INACTIVE);
}


static wr_sdp_rc_t
wr_sdp_a_rtcp_mux(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    ctx->m->rtcp_mux = 1;
    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_rtcp_rsize(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    ctx->m->rtcp_rsize = 1;
    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_bundle_only(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    ctx->m->bundle_only = 1;
    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_allow_mixed(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    if (ctx->m) {
        ctx->m->extmap_allow_mixed = 1;

    } else {
        ctx->sdp->extmap_allow_mixed = 1;
    }

    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_eoc(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    if (ctx->m) {
        ctx->m->end_of_candidates = 1;

    } else {
        ctx->sdp->end_of_candidates = 1;
    }

    return WR_SDP_OK;
}


/* a=rtpmap:<pt> <name>/<clock>[/<channels>] */

static wr_sdp_rc_t
wr_sdp_a_rtpmap(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    uint64_t         pt, clock, ch;
    wr_sdp_str_t     spt, name, sclock, sch;
    wr_sdp_codec_t  *c;

    if (!wr_sdp_token(&v, &spt, ' ')
        || !wr_sdp_number(spt, 127, &pt)
        || !wr_sdp_token(&v, &name, '/')
        || name.len == 0
        || !wr_sdp_visible(name))
    {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad rtpmap");
    }

    ch = 0;

    if (wr_sdp_token(&v, &sclock, '/')) {
        if (!wr_sdp_token(&v, &sch, ' ')
            || !wr_sdp_number(sch, 255, &ch)
            || v.len != 0)
        {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad rtpmap channels");
        }

    } else {
        sclock = v;
    }

    if (!wr_sdp_number(sclock, 0xffffffff, &clock) || clock == 0) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad rtpmap clock rate");
    }

    /* a map for a payload type the m= line does not list means nothing */
    c = wr_sdp_codec(ctx->m, pt);
    if (c == NULL) {
        return WR_SDP_OK;
    }

    c->name = name;
    c->clock = (uint32_t) clock;
    c->channels = (uint8_t) ch;

    return WR_SDP_OK;
}


/* a=fmtp:<pt> <params>; for rtx, "apt=<pt>" links it to its codec */

static wr_sdp_rc_t
wr_sdp_a_fmtp(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    uint64_t         pt, apt;
    wr_sdp_str_t     spt, params, param, key;
    wr_sdp_codec_t  *c;

    if (!wr_sdp_token(&v, &spt, ' ') || !wr_sdp_number(spt, 127, &pt)) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad fmtp");
    }

    c = wr_sdp_codec(ctx->m, pt);
    if (c == NULL) {
        return WR_SDP_OK;
    }

    wr_sdp_trim(&v);
    c->fmtp = v;

    params = v;

    while (wr_sdp_item(&params, &param, ';')) {
        wr_sdp_trim(&param);

        if (!wr_sdp_token(&param, &key, '=') || !wr_sdp_str_eq(key, "apt")) {
            continue;
        }

        if (!wr_sdp_number(param, 127, &apt)) {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad apt in fmtp");
        }

        c->apt = (int) apt;
    }

    return WR_SDP_OK;
}


/* a=rtcp-fb:<pt>|* <type>[ <subtype>] */

static wr_sdp_rc_t
wr_sdp_a_rtcp_fb(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    unsigned         i;
    uint64_t         pt;
    uint8_t          flag;
    wr_sdp_str_t     spt;
    wr_sdp_codec_t  *c;

    if (!wr_sdp_token(&v, &spt, ' ') || v.len == 0) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad rtcp-fb");
    }

    wr_sdp_trim(&v);
    flag = wr_sdp_fb_flag(v);

    if (wr_sdp_str_eq(spt, "*")) {
        /* applies to every payload type: flags only, the list is per pt */
        for (i = 0; i < ctx->m->ncodecs; i++) {
            ctx->m->codecs[i].fb_flags |= flag;
        }

        return WR_SDP_OK;
    }

    if (!wr_sdp_number(spt, 127, &pt)) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad rtcp-fb payload type");
    }

    c = wr_sdp_codec(ctx->m, pt);
    if (c == NULL) {
        return WR_SDP_OK;
    }

    c->fb_flags |= flag;

    if (c->nfb < WR_SDP_MAX_FB) {
        c->fb[c->nfb++] = v;
    }

    return WR_SDP_OK;
}


/* a=extmap:<id>[/<direction>] <uri>[ <attributes>] (RFC 8285) */

static wr_sdp_rc_t
wr_sdp_a_extmap(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    unsigned          i;
    uint64_t          id;
    const char       *slash;
    wr_sdp_str_t      sid, dir, uri;
    wr_sdp_media_t   *m;
    wr_sdp_extmap_t  *e;

    m = ctx->m;

    if (m == NULL) {
        /* session-level extmaps are legal but no browser sends them */
        return WR_SDP_OK;
    }

    if (!wr_sdp_token(&v, &sid, ' ') || !wr_sdp_token(&v, &uri, ' ')) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad extmap");
    }

    /* "<id>/<direction>" */
    dir.len = 0;
    slash = memchr(sid.data, '/', sid.len);

    if (slash) {
        dir.data = slash + 1;
        dir.len = sid.len - (slash + 1 - sid.data);
        sid.len = slash - sid.data;

        if (dir.len == 0) {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad extmap direction");
        }
    }

    if (!wr_sdp_number(sid, 255, &id) || id == 0 || uri.len == 0
        || !wr_sdp_visible(uri))
    {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad extmap");
    }

    for (i = 0; i < m->nextmaps; i++) {
        if (m->extmaps[i].id == id) {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "extmap id %u used twice",
                               (unsigned) id);
        }
    }

    if (m->nextmaps == WR_SDP_MAX_EXTMAPS) {
        return wr_sdp_fail(ctx, WR_SDP_ELIMIT, "more than %d extmaps",
                           WR_SDP_MAX_EXTMAPS);
    }

    e = &m->extmaps[m->nextmaps++];
    e->id = (uint16_t) id;
    e->uri = uri;
    e->ext = wr_sdp_ext_from_uri(uri);

    if (dir.len == 0) {
        e->dir = WR_SDP_DIR_NONE;

    } else if (wr_sdp_str_eq(dir, "sendrecv")) {
        e->dir = WR_SDP_DIR_SENDRECV;

    } else if (wr_sdp_str_eq(dir, "sendonly")) {
        e->dir = WR_SDP_DIR_SENDONLY;

    } else if (wr_sdp_str_eq(dir, "recvonly")) {
        e->dir = WR_SDP_DIR_RECVONLY;

    } else if (wr_sdp_str_eq(dir, "inactive")) {
        e->dir = WR_SDP_DIR_INACTIVE;

    } else {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad extmap direction");
    }

    if (e->ext != WR_SDP_EXT_UNKNOWN && m->ext_id[e->ext] == 0) {
        m->ext_id[e->ext] = e->id;
    }

    return WR_SDP_OK;
}


/* a=ssrc:<ssrc> <attribute>[:<value>]; cname and msid are kept */

static wr_sdp_rc_t
wr_sdp_a_ssrc(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    uint64_t        n;
    wr_sdp_rc_t     rc;
    wr_sdp_str_t    sssrc, attr;
    wr_sdp_ssrc_t  *s;

    if (!wr_sdp_token(&v, &sssrc, ' ')
        || !wr_sdp_number(sssrc, 0xffffffff, &n))
    {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad ssrc");
    }

    s = wr_sdp_ssrc_entry(ctx, (uint32_t) n, &rc);
    if (s == NULL) {
        return rc;
    }

    if (!wr_sdp_token(&v, &attr, ':')) {
        return WR_SDP_OK;
    }

    if (wr_sdp_str_eq(attr, "cname")) {
        s->cname = v;

    } else if (wr_sdp_str_eq(attr, "msid")) {
        if (!wr_sdp_token(&v, &s->msid_stream, ' ')) {
            s->msid_stream = v;
            v.len = 0;
        }

        s->msid_track = v;
    }

    return WR_SDP_OK;
}


/* a=ssrc-group:<semantics> <ssrc> ... */

static wr_sdp_rc_t
wr_sdp_a_ssrc_group(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    uint64_t              n;
    wr_sdp_str_t          sem, s;
    wr_sdp_media_t       *m;
    wr_sdp_ssrc_group_t  *g;

    m = ctx->m;

    if (!wr_sdp_token(&v, &sem, ' ') || sem.len == 0) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad ssrc-group");
    }

    if (m->nssrc_groups == WR_SDP_MAX_SSRC_GROUPS) {
        return wr_sdp_fail(ctx, WR_SDP_ELIMIT, "more than %d ssrc-groups",
                           WR_SDP_MAX_SSRC_GROUPS);
    }

    g = &m->ssrc_groups[m->nssrc_groups++];
    g->semantics = sem;

    while (wr_sdp_token(&v, &s, ' ')) {
        if (s.len == 0) {
            continue;
        }

        if (!wr_sdp_number(s, 0xffffffff, &n)) {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad ssrc in ssrc-group");
        }

        if (g->nssrcs == WR_SDP_MAX_GROUP_SSRCS) {
            return wr_sdp_fail(ctx, WR_SDP_ELIMIT, "ssrc-group too long");
        }

        g->ssrcs[g->nssrcs++] = (uint32_t) n;
    }

    if (g->nssrcs == 0) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "empty ssrc-group");
    }

    return WR_SDP_OK;
}


/* a=msid:<stream id> [<track id>] (RFC 8830) */

static wr_sdp_rc_t
wr_sdp_a_msid(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    wr_sdp_str_t    stream;
    wr_sdp_media_t  *m;

    m = ctx->m;

    if (m->msid_stream.data) {
        return WR_SDP_OK;
    }

    if (!wr_sdp_token(&v, &stream, ' ')) {
        stream = v;
        v.len = 0;
    }

    if (stream.len == 0) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad msid");
    }

    m->msid_stream = stream;
    m->msid_track = v;

    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_msid_semantic(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    wr_sdp_trim(&v);
    ctx->sdp->msid_semantic = v;
    return WR_SDP_OK;
}


/* a=rid:<id> send|recv[ <params>] (RFC 8851) */

static wr_sdp_rc_t
wr_sdp_a_rid(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    wr_sdp_str_t     id, dir;
    wr_sdp_rid_t    *r;
    wr_sdp_media_t  *m;

    m = ctx->m;

    if (!wr_sdp_token(&v, &id, ' ')) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad rid");
    }

    if (!wr_sdp_token(&v, &dir, ' ')) {
        dir = v;
        v.len = 0;
    }

    if (id.len == 0 || !wr_sdp_visible(id)
        || (!wr_sdp_str_eq(dir, "send") && !wr_sdp_str_eq(dir, "recv")))
    {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad rid");
    }

    if (m->nrids == WR_SDP_MAX_RIDS) {
        return wr_sdp_fail(ctx, WR_SDP_ELIMIT, "more than %d rids",
                           WR_SDP_MAX_RIDS);
    }

    r = &m->rids[m->nrids++];
    r->id = id;
    r->dir = dir.data[0] == 's' ? WR_SDP_DIR_SENDONLY : WR_SDP_DIR_RECVONLY;
    r->params = v;

    return WR_SDP_OK;
}


/*
 * a=simulcast:send <list>[ recv <list>] (RFC 8853).  Old Firefox wrote
 * "a=simulcast: send rid=h;m;l": the space and "rid=" are dropped.
 */

static wr_sdp_rc_t
wr_sdp_a_simulcast(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    wr_sdp_str_t     dir, list, *dst;
    wr_sdp_media_t  *m;

    m = ctx->m;
    wr_sdp_trim(&v);

    while (v.len) {
        if (!wr_sdp_token(&v, &dir, ' ')) {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad simulcast");
        }

        if (wr_sdp_str_eq(dir, "send")) {
            dst = &m->simulcast_send;

        } else if (wr_sdp_str_eq(dir, "recv")) {
            dst = &m->simulcast_recv;

        } else {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad simulcast direction");
        }

        if (!wr_sdp_token(&v, &list, ' ')) {
            list = v;
            v.len = 0;
        }

        if (list.len > 4 && memcmp(list.data, "rid=", 4) == 0) {
            list.data += 4;
            list.len -= 4;
        }

        if (list.len == 0) {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "empty simulcast list");
        }

        if (!wr_sdp_visible(list)) {
            return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad simulcast list");
        }

        *dst = list;
        wr_sdp_trim(&v);
    }

    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_candidate(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    wr_sdp_str_t     c;
    wr_sdp_media_t  *m;

    m = ctx->m;

    if (v.len == 0) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "empty candidate");
    }

    if (m->ncandidates == WR_SDP_MAX_CANDIDATES) {
        m->ncandidates_dropped++;
        return WR_SDP_OK;
    }

    /* keep "candidate:..." as trickle messages carry it */
    c.data = v.data - (sizeof("candidate:") - 1);
    c.len = v.len + sizeof("candidate:") - 1;

    m->candidates[m->ncandidates++] = c;

    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_sctp_port(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    uint64_t  n;

    if (!wr_sdp_number(v, 0xffff, &n)) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad sctp-port");
    }

    ctx->m->sctp_port = (uint16_t) n;
    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_a_max_msg(wr_sdp_ctx_t *ctx, wr_sdp_str_t v)
{
    uint64_t  n;

    if (!wr_sdp_number(v, 0xffffffff, &n)) {
        return wr_sdp_fail(ctx, WR_SDP_ESYNTAX, "bad max-message-size");
    }

    ctx->m->max_message_size = (uint32_t) n;
    return WR_SDP_OK;
}


static wr_sdp_rc_t
wr_sdp_finish(wr_sdp_ctx_t *ctx)
{
    unsigned         i, j;
    wr_sdp_t        *sdp;
    wr_sdp_media_t  *m;

    sdp = ctx->sdp;

    /* errors found here are about an m-line, not a line */
    ctx->line = 0;

    for (i = 0; i < sdp->nmedia; i++) {
        wr_sdp_finish_media(sdp, &sdp->media[i]);
    }

    wr_sdp_bundle_transport(sdp);

    for (i = 0; i < sdp->nmedia; i++) {
        m = &sdp->media[i];

        if (m->port == 0 && !m->bundle_only) {
            continue;
        }

        if (m->mid.len == 0) {
            return wr_sdp_fail(ctx, WR_SDP_EMISSING, "m-line %u has no mid", i);
        }

        for (j = 0; j < i; j++) {
            if (wr_sdp_same(sdp->media[j].mid, m->mid)) {
                return wr_sdp_fail(ctx, WR_SDP_ESYNTAX,
                                   "m-lines %u and %u have the same mid", j, i);
            }
        }

        if (m->ice_ufrag.len == 0 || m->ice_pwd.len == 0) {
            return wr_sdp_fail(ctx, WR_SDP_EMISSING,
                               "m-line %u has no ice-ufrag/ice-pwd", i);
        }

        if (m->fingerprint.hash == WR_SDP_HASH_NONE) {
            return wr_sdp_fail(ctx, WR_SDP_EMISSING,
                               "m-line %u has no usable fingerprint", i);
        }
    }

    return WR_SDP_OK;
}


/*
 * RFC 8843 lets bundled m-lines other than the tagged one (bundle-only
 * ones in particular) leave out the transport: they share the tagged
 * m-line's, which is the first of the group that has ICE credentials.
 */

static void
wr_sdp_bundle_transport(wr_sdp_t *sdp)
{
    unsigned               i, j;
    wr_sdp_media_t        *m;
    const wr_sdp_media_t  *tag;

    tag = NULL;

    for (i = 0; i < sdp->nbundle && tag == NULL; i++) {
        for (j = 0; j < sdp->nmedia; j++) {
            if (wr_sdp_same(sdp->media[j].mid, sdp->bundle[i])
                && sdp->media[j].ice_ufrag.len)
            {
                tag = &sdp->media[j];
                break;
            }
        }
    }

    if (tag == NULL) {
        return;
    }

    for (i = 0; i < sdp->nmedia; i++) {
        m = &sdp->media[i];

        if (m->ice_ufrag.len || !wr_sdp_in_bundle(sdp, m)) {
            continue;
        }

        m->ice_ufrag = tag->ice_ufrag;

        if (m->ice_pwd.len == 0) {
            m->ice_pwd = tag->ice_pwd;
        }

        if (m->ice_options.len == 0) {
            m->ice_options = tag->ice_options;
        }

        if (m->fingerprint.hash == WR_SDP_HASH_NONE) {
            m->fingerprint = tag->fingerprint;
        }

        if (m->setup == WR_SDP_SETUP_NONE) {
            m->setup = tag->setup;
        }
    }
}


static int
wr_sdp_in_bundle(const wr_sdp_t *sdp, const wr_sdp_media_t *m)
{
    unsigned  i;

    for (i = 0; i < sdp->nbundle; i++) {
        if (wr_sdp_same(sdp->bundle[i], m->mid)) {
            return 1;
        }
    }

    return 0;
}


static int
wr_sdp_same(wr_sdp_str_t a, wr_sdp_str_t b)
{
    return a.len && a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
}


static void
wr_sdp_finish_media(wr_sdp_t *sdp, wr_sdp_media_t *m)
{
    size_t           k;
    unsigned         i;
    wr_sdp_codec_t  *c, *target;

    if (m->ice_ufrag.len == 0) {
        m->ice_ufrag = sdp->ice_ufrag;
    }

    if (m->ice_pwd.len == 0) {
        m->ice_pwd = sdp->ice_pwd;
    }

    if (m->ice_options.len == 0) {
        m->ice_options = sdp->ice_options;
    }

    if (m->fingerprint.hash == WR_SDP_HASH_NONE) {
        m->fingerprint = sdp->fingerprint;
    }

    if (m->setup == WR_SDP_SETUP_NONE) {
        m->setup = sdp->setup;
    }

    if (m->dir == WR_SDP_DIR_NONE) {
        m->dir = sdp->dir != WR_SDP_DIR_NONE ? sdp->dir : WR_SDP_DIR_SENDRECV;
    }

    for (i = 0; i < m->ncodecs; i++) {
        c = &m->codecs[i];

        if (c->clock == 0 && m->kind == WR_SDP_KIND_AUDIO) {
            for (k = 0; k < sizeof(wr_sdp_static_pts)
                            / sizeof(wr_sdp_static_pts[0]); k++)
            {
                if (wr_sdp_static_pts[k].pt == c->pt) {
                    c->name = wr_sdp_static_pts[k].name;
                    c->clock = wr_sdp_static_pts[k].clock;
                }
            }
        }

        /* apt only means something on an rtx codec */
        if (!wr_sdp_str_caseeq(c->name, "rtx")) {
            c->apt = -1;
            continue;
        }

        if (c->apt < 0) {
            continue;
        }

        target = wr_sdp_codec(m, c->apt);

        if (target == NULL || target == c) {
            c->apt = -1;
            continue;
        }

        if (target->rtx < 0) {
            target->rtx = c->pt;
        }
    }
}


static wr_sdp_codec_t *
wr_sdp_codec(wr_sdp_media_t *m, unsigned pt)
{
    unsigned  i;

    for (i = 0; i < m->ncodecs; i++) {
        if (m->codecs[i].pt == pt) {
            return &m->codecs[i];
        }
    }

    return NULL;
}


static wr_sdp_ssrc_t *
wr_sdp_ssrc_entry(wr_sdp_ctx_t *ctx, uint32_t ssrc, wr_sdp_rc_t *rc)
{
    unsigned         i;
    wr_sdp_media_t  *m;

    m = ctx->m;

    for (i = 0; i < m->nssrcs; i++) {
        if (m->ssrcs[i].ssrc == ssrc) {
            return &m->ssrcs[i];
        }
    }

    if (m->nssrcs == WR_SDP_MAX_SSRCS) {
        *rc = wr_sdp_fail(ctx, WR_SDP_ELIMIT, "more than %d ssrcs",
                          WR_SDP_MAX_SSRCS);
        return NULL;
    }

    m->ssrcs[m->nssrcs].ssrc = ssrc;

    return &m->ssrcs[m->nssrcs++];
}


static uint8_t
wr_sdp_fb_flag(wr_sdp_str_t fb)
{
    if (wr_sdp_str_eq(fb, "nack")) {
        return WR_SDP_FB_NACK;
    }

    if (wr_sdp_str_eq(fb, "nack pli")) {
        return WR_SDP_FB_PLI;
    }

    if (wr_sdp_str_eq(fb, "ccm fir")) {
        return WR_SDP_FB_FIR;
    }

    if (wr_sdp_str_eq(fb, "goog-remb")) {
        return WR_SDP_FB_REMB;
    }

    if (wr_sdp_str_eq(fb, "transport-cc")) {
        return WR_SDP_FB_TWCC;
    }

    return 0;
}


static wr_sdp_ext_t
wr_sdp_ext_from_uri(wr_sdp_str_t uri)
{
    size_t  i;

    for (i = 0; i < sizeof(wr_sdp_ext_uris) / sizeof(wr_sdp_ext_uris[0]); i++)
    {
        if (wr_sdp_str_eq(uri, wr_sdp_ext_uris[i].uri)) {
            return wr_sdp_ext_uris[i].ext;
        }
    }

    return WR_SDP_EXT_UNKNOWN;
}


const char *
wr_sdp_ext_uri(wr_sdp_ext_t ext)
{
    size_t  i;

    for (i = 0; i < sizeof(wr_sdp_ext_uris) / sizeof(wr_sdp_ext_uris[0]); i++)
    {
        if (wr_sdp_ext_uris[i].ext == ext) {
            return wr_sdp_ext_uris[i].uri;
        }
    }

    return NULL;
}


const char *
wr_sdp_strerror(wr_sdp_rc_t rc)
{
    if ((size_t) rc >= sizeof(wr_sdp_errors) / sizeof(wr_sdp_errors[0])) {
        return "unknown error";
    }

    return wr_sdp_errors[rc];
}


int
wr_sdp_str_eq(wr_sdp_str_t s, const char *cstr)
{
    size_t  n;

    n = strlen(cstr);

    return s.len == n && (n == 0 || memcmp(s.data, cstr, n) == 0);
}


int
wr_sdp_str_caseeq(wr_sdp_str_t s, const char *cstr)
{
    size_t  i, n;
    char    a, b;

    n = strlen(cstr);

    if (s.len != n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        a = s.data[i];
        b = cstr[i];

        if (a >= 'A' && a <= 'Z') {
            a |= 0x20;
        }

        if (b >= 'A' && b <= 'Z') {
            b |= 0x20;
        }

        if (a != b) {
            return 0;
        }
    }

    return 1;
}


const wr_sdp_media_t *
wr_sdp_find_mid(const wr_sdp_t *sdp, const char *mid)
{
    unsigned  i;

    for (i = 0; i < sdp->nmedia; i++) {
        if (sdp->media[i].mid.len && wr_sdp_str_eq(sdp->media[i].mid, mid)) {
            return &sdp->media[i];
        }
    }

    return NULL;
}


const wr_sdp_codec_t *
wr_sdp_find_codec(const wr_sdp_media_t *m, const char *name)
{
    unsigned  i;

    for (i = 0; i < m->ncodecs; i++) {
        if (wr_sdp_str_caseeq(m->codecs[i].name, name)) {
            return &m->codecs[i];
        }
    }

    return NULL;
}


const wr_sdp_ssrc_t *
wr_sdp_find_ssrc(const wr_sdp_media_t *m, uint32_t ssrc)
{
    unsigned  i;

    for (i = 0; i < m->nssrcs; i++) {
        if (m->ssrcs[i].ssrc == ssrc) {
            return &m->ssrcs[i];
        }
    }

    return NULL;
}


/*
 * Splits v at the first sep: *tok gets what is before it, v what is after.
 * Without sep nothing changes and 0 is returned.
 */

static int
wr_sdp_token(wr_sdp_str_t *v, wr_sdp_str_t *tok, char sep)
{
    const char  *p;

    if (v->len == 0) {
        return 0;
    }

    p = memchr(v->data, sep, v->len);

    if (p == NULL) {
        if (sep == ' ') {
            /* the last word of a space-separated list */
            *tok = *v;
            v->data += v->len;
            v->len = 0;
            return 1;
        }

        return 0;
    }

    tok->data = v->data;
    tok->len = p - v->data;

    v->len -= tok->len + 1;
    v->data = p + 1;

    return 1;
}


/* the next item of a sep-separated list, the last one included */

static int
wr_sdp_item(wr_sdp_str_t *v, wr_sdp_str_t *item, char sep)
{
    if (wr_sdp_token(v, item, sep)) {
        return 1;
    }

    if (v->len == 0) {
        return 0;
    }

    *item = *v;
    v->data += v->len;
    v->len = 0;

    return 1;
}


static void
wr_sdp_trim(wr_sdp_str_t *v)
{
    while (v->len && (v->data[0] == ' ' || v->data[0] == '\t')) {
        v->data++;
        v->len--;
    }

    while (v->len
           && (v->data[v->len - 1] == ' ' || v->data[v->len - 1] == '\t'))
    {
        v->len--;
    }
}


static int
wr_sdp_number(wr_sdp_str_t s, uint64_t max, uint64_t *n)
{
    size_t    i;
    uint64_t  r;

    if (s.len == 0 || s.len > 10) {
        return 0;
    }

    r = 0;

    for (i = 0; i < s.len; i++) {
        if (s.data[i] < '0' || s.data[i] > '9') {
            return 0;
        }

        r = r * 10 + (s.data[i] - '0');
    }

    if (r > max) {
        return 0;
    }

    *n = r;

    return 1;
}


/*
 * Values the writers copy into answers (mids, rids, codec names, URIs)
 * must not carry spaces or control characters: they would change the
 * meaning of the line they are copied into.
 */

static int
wr_sdp_visible(wr_sdp_str_t s)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < s.len; i++) {
        c = (unsigned char) s.data[i];

        if (c <= 0x20 || c >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


static int
wr_sdp_is_rtp(wr_sdp_str_t proto)
{
    size_t  i;

    for (i = 0; i + 4 <= proto.len; i++) {
        if (memcmp(proto.data + i, "RTP/", 4) == 0) {
            return 1;
        }
    }

    return 0;
}


/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839), 256 at most */

static int
wr_sdp_ice_chars(wr_sdp_str_t s, size_t min)
{
    size_t  i;
    char    c;

    if (s.len < min || s.len > 256) {
        return 0;
    }

    for (i = 0; i < s.len; i++) {
        c = s.data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '+' || c == '/'))
        {
            return 0;
        }
    }

    return 1;
}


static int
wr_sdp_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


static wr_sdp_rc_t
wr_sdp_fail(wr_sdp_ctx_t *ctx, wr_sdp_rc_t rc, const char *fmt, ...)
{
    int       n;
    va_list   ap;
    wr_sdp_t  *sdp;

    sdp = ctx->sdp;
    sdp->error_line = ctx->line;

    n = 0;

    if (ctx->line) {
        n = snprintf(sdp->error, WR_SDP_ERROR_LEN, "line %u: ", ctx->line);
    }

    va_start(ap, fmt);
    vsnprintf(sdp->error + n, WR_SDP_ERROR_LEN - n, fmt, ap);
    va_end(ap);

    return rc;
}
