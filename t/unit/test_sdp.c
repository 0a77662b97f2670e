/*
 * SDP parser and writers (src/proto/wr_sdp*.c).
 *
 * Recorded SDPs live in t/unit/sdp/ (see its README.md): real Chromium and
 * Firefox offers, the browsers' answers to the server's subscriber offer,
 * and hand-written Safari and janus.js shapes.  Parsed fields are compared
 * with the raw text through a small line lookup, so the checks follow the
 * files rather than numbers copied from them.
 */

#define _GNU_SOURCE              /* memmem */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wr_test.h"
#include "wr_sdp.h"


#define SDP_DIR   "t/unit/sdp/"
#define OUT_SIZE  65536


typedef struct {
    char    *data;
    size_t   len;
} text_t;


/* big: keep them off the stack */
static wr_sdp_t              sdp;
static wr_sdp_t              back;
static wr_sdp_answer_t       ans;
static char                  out[OUT_SIZE];
static char                  scratch[OUT_SIZE * 4];

static const uint8_t         server_fp[WR_SDP_SHA256_LEN] = {
    0x5a, 0x01, 0xc3, 0x44, 0x9e, 0x12, 0x70, 0xbd, 0x2f, 0x88, 0x06, 0xe1,
    0x39, 0xa7, 0x54, 0xfe, 0x0b, 0x63, 0xd8, 0x21, 0x97, 0x4c, 0xaa, 0x15,
    0x7e, 0xc0, 0x3d, 0x82, 0x6b, 0xf9, 0x10, 0x47
};
static const char           *server_addrs[] = { "192.0.2.1", "2001:db8::1" };

static const wr_sdp_codec_pref_t  opus_only[] = { { "opus", NULL } };
static const wr_sdp_codec_pref_t  janus_video[] = {
    { "vp8", NULL }, { "vp9", NULL }, { "h264", NULL }, { "av1", NULL }
};


/* helpers */

static text_t
load(const char *name)
{
    FILE    *f;
    long     n;
    text_t   t;
    char     path[256];

    snprintf(path, sizeof(path), SDP_DIR "%s", name);

    t.data = NULL;
    t.len = 0;

    f = fopen(path, "rb");
    if (f == NULL) {
        printf("# cannot open %s (run from the repository root)\n", path);
        return t;
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    t.data = malloc(n + 1);
    t.len = fread(t.data, 1, n, f);
    t.data[t.len] = '\0';
    fclose(f);

    return t;
}


/* a copy with "\r\n" turned into "\n" or the other way round */
static text_t
convert(text_t in, int crlf)
{
    size_t   i;
    text_t   t;

    t.data = malloc(in.len * 2 + 1);
    t.len = 0;

    for (i = 0; i < in.len; i++) {
        if (in.data[i] == '\r') {
            continue;
        }

        if (in.data[i] == '\n' && crlf) {
            t.data[t.len++] = '\r';
        }

        t.data[t.len++] = in.data[i];
    }

    t.data[t.len] = '\0';

    return t;
}


/*
 * The oracle: the value of the n-th line (from 0) starting with prefix,
 * into a static buffer, or NULL.  Nothing of the parser is used.
 */
static const char *
line_value(const char *text, const char *prefix, int n)
{
    size_t       plen, len;
    const char  *p, *eol;
    static char  buf[4096];

    plen = strlen(prefix);

    for (p = text; p && *p; p = eol ? eol + 1 : NULL) {
        eol = strchr(p, '\n');
        len = eol ? (size_t) (eol - p) : strlen(p);

        if (len && p[len - 1] == '\r') {
            len--;
        }

        if (len >= plen && memcmp(p, prefix, plen) == 0 && n-- == 0) {
            len -= plen;
            memcpy(buf, p + plen, len);
            buf[len] = '\0';
            return buf;
        }
    }

    return NULL;
}


static int
count_lines(const char *text, const char *prefix)
{
    int  n;

    for (n = 0; line_value(text, prefix, n); n++) { /* void */ }

    return n;
}


static int
count_str(const char *text, const char *needle)
{
    int          n;
    const char  *p;

    for (n = 0, p = strstr(text, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }

    return n;
}


/* a copy of t with one line replaced (or removed when with is NULL) */
static text_t
edit(text_t t, const char *line, const char *with)
{
    char    *p;
    text_t   e;
    size_t   skip;

    e.data = malloc(t.len + 1024);
    p = strstr(t.data, line);

    if (p == NULL) {
        memcpy(e.data, t.data, t.len + 1);
        e.len = t.len;
        printf("# edit: '%s' not found\n", line);
        return e;
    }

    skip = strlen(line);
    e.len = p - t.data;
    memcpy(e.data, t.data, e.len);

    if (with) {
        memcpy(e.data + e.len, with, strlen(with));
        e.len += strlen(with);
    }

    memcpy(e.data + e.len, p + skip, t.len - (p - t.data) - skip);
    e.len += t.len - (p - t.data) - skip;
    e.data[e.len] = '\0';

    return e;
}


/* the payload types of an m= line value: the words after port and proto */
static int
count_fmts(const char *mline)
{
    int          words;
    const char  *p;

    for (words = 1, p = mline; *p; p++) {
        if (*p == ' ' && p[1] != ' ' && p[1] != '\0') {
            words++;
        }
    }

    return words - 3;   /* media, port, proto */
}


static int
str_is(wr_sdp_str_t s, const char *c)
{
    return c != NULL && wr_sdp_str_eq(s, c);
}


/* "AB:CD:..." of a fingerprint as the parser stored it */
static const char *
fp_text(const wr_sdp_fingerprint_t *fp)
{
    size_t       k;
    unsigned     i;
    static char  buf[3 * WR_SDP_MAX_FINGERPRINT + 1];

    buf[0] = '\0';

    for (i = 0, k = 0; i < fp->len; i++) {
        k += sprintf(buf + k, i ? ":%02X" : "%02X", fp->bytes[i]);
    }

    return buf;
}


/* the first space-separated word of s, in a static buffer */
static const char *
first_word(const char *s)
{
    size_t       n;
    static char  buf[256];

    if (s == NULL) {
        return NULL;
    }

    n = strcspn(s, " ");
    n = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';

    return buf;
}


static void
local_init(wr_sdp_local_t *l)
{
    memset(l, 0, sizeof(wr_sdp_local_t));

    l->ice_ufrag = "wrSf";
    l->ice_pwd = "0123456789abcdefghijkLMNOP+/";
    l->fingerprint = server_fp;
    l->addrs = server_addrs;
    l->naddrs = 2;
    l->port = 10000;
    l->session_id = 4611686018427387904ULL;
    l->session_version = 3;
    l->session_name = "EchoTest";
    l->cname = "wrcname";
}


static void
echo_conf(wr_sdp_answer_conf_t *c)
{
    memset(c, 0, sizeof(wr_sdp_answer_conf_t));

    local_init(&c->local);
    c->audio_codecs = opus_only;
    c->naudio_codecs = 1;
    c->video_codecs = janus_video;
    c->nvideo_codecs = 4;
    c->dir = WR_SDP_DIR_SENDRECV;
    c->ext_mask = WR_SDP_EXT_DEFAULT;
    c->simulcast = 1;
}


static ssize_t
answer(const char *what, text_t offer, const wr_sdp_answer_conf_t *c)
{
    wr_sdp_rc_t  rc;
    ssize_t      n;

    rc = wr_sdp_parse(&sdp, offer.data, offer.len);
    if (rc != WR_SDP_OK) {
        printf("# %s: parse: %s\n", what, sdp.error);
        return -1;
    }

    rc = wr_sdp_negotiate(&sdp, c, &ans);
    if (rc != WR_SDP_OK) {
        printf("# %s: negotiate: %s\n", what, wr_sdp_strerror(rc));
        return -1;
    }

    n = wr_sdp_write_answer(&sdp, c, &ans, out, sizeof(out));
    if (n < 0) {
        printf("# %s: write: %s\n", what, wr_sdp_strerror(-n));
        return -1;
    }

    rc = wr_sdp_parse(&back, out, n);
    if (rc != WR_SDP_OK) {
        printf("# %s: answer does not parse back: %s\n%s", what, back.error,
               out);
        return -1;
    }

    return n;
}


/* the offered payload type the answer kept in m-line i, or -1 */
static int
answered_pt(unsigned i)
{
    return ans.media[i].accepted ? sdp.media[i].codecs[ans.media[i].codec].pt
                                 : -1;
}


/* parsing recorded SDPs */

static const char  *recorded[] = {
    "chrome156-av-offer.sdp", "chrome156-simulcast-offer.sdp",
    "chrome156-dd-data-offer.sdp", "chrome156-sub-answer.sdp",
    "firefox153-av-offer.sdp", "firefox153-simulcast-offer.sdp",
    "firefox153-dd-data-offer.sdp", "firefox153-sub-answer.sdp",
    "safari17-av-offer.sdp", "janusjs-sim-offer.sdp", "server-sub-offer.sdp"
};


/* m-section i of text (-1: the session part), "\r" removed, malloc'd */
static char *
section(const char *text, int i)
{
    int          n;
    char        *s, *d;
    const char  *p, *start, *end;

    start = i < 0 ? text : NULL;

    for (p = text, n = 0; i >= 0 && p && *p; p = strchr(p, '\n'), p += !!p) {
        if (strncmp(p, "m=", 2) == 0 && n++ == i) {
            start = p;
            break;
        }
    }

    if (start == NULL) {
        start = "";
    }

    for (p = strchr(start, '\n'); p && strncmp(p + 1, "m=", 2); ) {
        p = strchr(p + 1, '\n');
    }

    end = p ? p + 1 : start + strlen(start);
    s = malloc(end - start + 1);

    for (d = s, p = start; p < end; p++) {
        if (*p != '\r') {
            *d++ = *p;
        }
    }

    *d = '\0';

    return s;
}


static int
distinct_ssrcs(const char *sec)
{
    int          n, k;
    const char  *v;
    long         seen[64];

    for (n = 0, k = 0; (v = line_value(sec, "a=ssrc:", k)) != NULL; k++) {
        long  id = atol(v);
        int   j;

        for (j = 0; j < n && seen[j] != id; j++) { /* void */ }

        if (j == n && n < 64) {
            seen[n++] = id;
        }
    }

    return n;
}


/* the parsed m-line against its section of the raw text */
static int
media_matches(const wr_sdp_t *p, unsigned i, const char *sess,
    const char *sec)
{
    int                    port, nfmts;
    char                   fp[256];
    const char            *v;
    wr_sdp_dir_t           dir;
    const wr_sdp_media_t  *m;

    m = &p->media[i];

    /* line_value() reuses its buffer: take what is needed from m= first */
    v = line_value(sec, "m=", 0);
    port = atoi(strchr(v, ' ') + 1);
    nfmts = strstr(v, "RTP/") ? count_fmts(v) : -1;

    dir = line_value(sec, "a=sendonly", 0) ? WR_SDP_DIR_SENDONLY
          : line_value(sec, "a=recvonly", 0) ? WR_SDP_DIR_RECVONLY
          : line_value(sec, "a=inactive", 0) ? WR_SDP_DIR_INACTIVE
          : WR_SDP_DIR_SENDRECV;

    snprintf(fp, sizeof(fp), "sha-256 %s", fp_text(&m->fingerprint));

#define OR_SESSION(attr)                                                      \
    (line_value(sec, attr, 0) ? line_value(sec, attr, 0)                      \
                              : line_value(sess, attr, 0))

    return m->port == port
           && (nfmts < 0 || (int) m->ncodecs == nfmts)
           && str_is(m->mid, line_value(sec, "a=mid:", 0))
           && str_is(m->ice_ufrag, OR_SESSION("a=ice-ufrag:"))
           && str_is(m->ice_pwd, OR_SESSION("a=ice-pwd:"))
           && strcmp(fp, OR_SESSION("a=fingerprint:")) == 0
           && m->dir == dir
           && (int) m->nextmaps == count_lines(sec, "a=extmap:")
           && (int) m->ncandidates == count_lines(sec, "a=candidate:")
           && m->end_of_candidates
              == (line_value(sec, "a=end-of-candidates", 0) != NULL)
           && (int) m->nrids == count_lines(sec, "a=rid:")
           && (int) m->nssrc_groups == count_lines(sec, "a=ssrc-group:")
           && (int) m->nssrcs == distinct_ssrcs(sec)
           && m->rtcp_mux == (line_value(sec, "a=rtcp-mux", 0) != NULL);

#undef OR_SESSION
}


static void
test_recorded(void)
{
    size_t       f;
    text_t       t, other;
    unsigned     i;
    char        *sess, *sec;
    wr_sdp_rc_t  rc;

    for (f = 0; f < sizeof(recorded) / sizeof(recorded[0]); f++) {
        t = load(recorded[f]);
        rc = wr_sdp_parse(&sdp, t.data, t.len);
        WR_OK(rc == WR_SDP_OK, "%s parses (%s)", recorded[f], sdp.error);

        if (rc != WR_SDP_OK) {
            free(t.data);
            continue;
        }

        sess = section(t.data, -1);
        WR_EQ_INT(sdp.nmedia, count_lines(t.data, "m="), recorded[f]);
        WR_OK(str_is(sdp.bundle[0], first_word(strchr(line_value(sess,
                                     "a=group:BUNDLE", 0), ' ') + 1))
              && (int) sdp.nbundle == count_fmts(line_value(sess,
                                                 "a=group:", 0)) + 2,
              "%s: BUNDLE group", recorded[f]);

        for (i = 0; i < sdp.nmedia; i++) {
            sec = section(t.data, i);
            WR_OK(media_matches(&sdp, i, sess, sec), "%s m%u: fields match "
                  "the text", recorded[f], i);
            free(sec);
        }

        free(sess);

        /* the other line end gives the same result */
        other = convert(t, strstr(t.data, "\r\n") == NULL);
        rc = wr_sdp_parse(&back, other.data, other.len);
        WR_OK(rc == WR_SDP_OK && back.nmedia == sdp.nmedia
              && back.media[0].ncodecs == sdp.media[0].ncodecs
              && back.media[0].nextmaps == sdp.media[0].nextmaps
              && memcmp(&back.media[0].fingerprint, &sdp.media[0].fingerprint,
                        sizeof(wr_sdp_fingerprint_t)) == 0
              && back.media[0].codecs[0].fmtp.len
                 == sdp.media[0].codecs[0].fmtp.len,
              "%s with the other line ends", recorded[f]);

        free(other.data);
        free(t.data);
    }
}


/* what the generic check cannot see */
static void
test_recorded_details(void)
{
    text_t                 t;
    unsigned               i, missing;
    const wr_sdp_media_t  *a, *v;
    const wr_sdp_codec_t  *c;

    t = load("chrome156-av-offer.sdp");
    wr_sdp_parse(&sdp, t.data, t.len);
    a = &sdp.media[0];
    v = &sdp.media[1];

    WR_OK(a->kind == WR_SDP_KIND_AUDIO && v->kind == WR_SDP_KIND_VIDEO
          && str_is(a->proto, "UDP/TLS/RTP/SAVPF") && sdp.extmap_allow_mixed
          && a->setup == WR_SDP_SETUP_ACTPASS && a->rtcp_rsize
          && str_is(a->ice_options, "trickle")
          && str_is(sdp.origin_sess_id,
                    first_word(line_value(t.data, "o=- ", 0))),
          "chrome: kinds, proto, setup, rsize, options, o=");
    c = &a->codecs[0];
    WR_OK(c->pt == 111 && str_is(c->name, "opus") && c->clock == 48000
          && c->channels == 2 && str_is(c->fmtp, "minptime=10;useinbandfec=1")
          && c->nfb == 1 && str_is(c->fb[0], "transport-cc")
          && c->fb_flags == WR_SDP_FB_TWCC, "chrome: opus/48000/2 first");
    c = wr_sdp_find_codec(a, "PCMU");
    WR_OK(c && c->pt == 0 && c->clock == 8000 && c->channels == 0
          && str_is(wr_sdp_find_codec(a, "red")->fmtp, "111/111"),
          "chrome: PCMU/8000, red fmtp");

    c = &v->codecs[0];
    WR_OK(c->pt == 96 && str_is(c->name, "VP8") && c->clock == 90000
          && c->nfb == 5 && c->fb_flags == WR_SDP_FB_VIDEO && c->rtx == 97
          && v->codecs[1].apt == 96 && v->codecs[1].rtx == -1,
          "chrome: VP8 96, five rtcp-fb, rtx 97 apt=96");

    for (i = 0, missing = 0; i < v->ncodecs; i++) {
        c = &v->codecs[i];
        missing += c->rtx < 0 && c->apt < 0 && !str_is(c->name, "ulpfec");
    }

    WR_EQ_INT(missing, 0, "chrome: every video codec has its rtx");
    c = wr_sdp_find_codec(v, "H264");
    WR_OK(c && c->pt == 102
          && str_is(c->fmtp, line_value(t.data, "a=fmtp:102 ", 0))
          && wr_sdp_find_codec(v, "AV1")->rtx == 46,
          "chrome: first H264 with its fmtp, AV1 rtx 46");
    WR_OK(a->ext_id[WR_SDP_EXT_AUDIO_LEVEL] == 1
          && a->ext_id[WR_SDP_EXT_ABS_SEND_TIME] == 2
          && a->ext_id[WR_SDP_EXT_TWCC] == 3 && a->ext_id[WR_SDP_EXT_MID] == 4
          && v->ext_id[WR_SDP_EXT_RID] == 10 && v->ext_id[WR_SDP_EXT_RRID] == 11
          && v->ext_id[WR_SDP_EXT_DD] == 0,
          "chrome: extension ids, no DD by default");
    WR_OK(v->extmaps[0].id == 14 && v->extmaps[0].ext == WR_SDP_EXT_UNKNOWN
          && str_is(v->extmaps[0].uri, "urn:ietf:params:rtp-hdrext:toffset"),
          "chrome: unknown extension kept with its uri");
    WR_OK(str_is(a->msid_stream, first_word(line_value(t.data, "a=msid:", 0)))
          && a->ssrcs[0].msid_stream.len == a->msid_stream.len
          && str_is(a->ssrcs[0].cname,
                    strchr(line_value(t.data, "a=ssrc:", 0), ':') + 1)
          && v->ssrc_groups[0].ssrcs[0] == v->ssrcs[0].ssrc
          && str_is(v->ssrc_groups[0].semantics, "FID")
          && wr_sdp_find_ssrc(v, v->ssrc_groups[0].ssrcs[1]) == &v->ssrcs[1]
          && wr_sdp_find_ssrc(v, 12345) == NULL,
          "chrome: msid, cname, FID group, find_ssrc");
    WR_OK(strncmp(a->candidates[0].data, "candidate:", 10) == 0
          && a->candidates[0].len == 10 + strlen(line_value(t.data,
                                                 "a=candidate:", 0)),
          "chrome: candidate kept as \"candidate:...\"");
    free(t.data);

    t = load("chrome156-simulcast-offer.sdp");
    wr_sdp_parse(&sdp, t.data, t.len);
    v = &sdp.media[1];
    WR_OK(str_is(v->rids[0].id, "h") && str_is(v->rids[2].id, "l")
          && v->rids[0].dir == WR_SDP_DIR_SENDONLY && v->rids[0].params.len == 0
          && str_is(v->simulcast_send, "h;m;l") && v->simulcast_recv.len == 0
          && v->ext_id[WR_SDP_EXT_DD] == 12 && v->ext_id[WR_SDP_EXT_VLA] == 9,
          "chrome simulcast: rids h/m/l, send list, DD 12 and VLA 9");
    free(t.data);

    t = load("chrome156-dd-data-offer.sdp");
    wr_sdp_parse(&sdp, t.data, t.len);
    v = &sdp.media[2];
    WR_OK(sdp.media[1].ext_id[WR_SDP_EXT_DD] == 12
          && v->kind == WR_SDP_KIND_APPLICATION && v->ncodecs == 0
          && str_is(v->fmts, "webrtc-datachannel") && v->sctp_port == 5000
          && v->max_message_size == 262144,
          "chrome dd-data: DD negotiated, data m-line, sctp-port");
    free(t.data);

    t = load("firefox153-av-offer.sdp");
    wr_sdp_parse(&sdp, t.data, t.len);
    a = &sdp.media[0];
    v = &sdp.media[1];
    WR_OK(count_lines(t.data, "a=fingerprint:") == 1
          && memcmp(&v->fingerprint, &sdp.fingerprint,
                    sizeof(wr_sdp_fingerprint_t)) == 0
          && sdp.dir == WR_SDP_DIR_SENDRECV
          && str_is(a->ice_options, "trickle"),
          "firefox: session fingerprint, direction, ice-options inherited");
    c = wr_sdp_find_codec(v, "VP8");
    WR_OK(c && c->pt == 120 && c->nfb == 5 && c->fb_flags == WR_SDP_FB_VIDEO
          && c->rtx == 124 && str_is(c->fmtp, "max-fs=12288;max-fr=60")
          && wr_sdp_find_codec(v, "red")->rtx == 119,
          "firefox: rtcp-fb and fmtp before rtpmap still land on VP8");
    c = wr_sdp_find_codec(a, "G722");
    WR_OK(c && c->channels == 1
          && str_is(wr_sdp_find_codec(a, "telephone-event")->fmtp, "0-15"),
          "firefox: G722/8000/1, telephone-event 0-15");
    WR_OK(a->extmaps[1].dir == WR_SDP_DIR_RECVONLY
          && a->extmaps[1].ext == WR_SDP_EXT_UNKNOWN
          && a->ext_id[WR_SDP_EXT_TWCC] == 7 && a->extmap_allow_mixed
          && !sdp.extmap_allow_mixed && v->msid_stream.data[0] == '{'
          && memmem(a->candidates[0].data, a->candidates[0].len, ".local", 6),
          "firefox: extmap 2/recvonly, media-level allow-mixed, mDNS");
    free(t.data);

    t = load("firefox153-simulcast-offer.sdp");
    wr_sdp_parse(&sdp, t.data, t.len);
    v = &sdp.media[1];
    WR_OK(str_is(v->simulcast_send, "h;m;l") && v->ext_id[WR_SDP_EXT_RID] == 9
          && v->extmaps[6].ext == WR_SDP_EXT_RID
          && v->extmaps[6].dir == WR_SDP_DIR_SENDONLY
          && v->ext_id[WR_SDP_EXT_DD] == 8,
          "firefox simulcast: 9/sendonly rtp-stream-id, DD 8");
    free(t.data);

    t = load("safari17-av-offer.sdp");
    wr_sdp_parse(&sdp, t.data, t.len);
    v = &sdp.media[1];
    WR_OK(str_is(v->codecs[0].name, "H264") && v->codecs[0].rtx == 97
          && wr_sdp_find_codec(v, "H265")->rtx == 101
          && memmem(v->candidates[1].data, v->candidates[1].len, "srflx", 5),
          "safari: H264 High first, H265, srflx kept");
    free(t.data);

    t = load("janusjs-sim-offer.sdp");
    wr_sdp_parse(&sdp, t.data, t.len);
    v = &sdp.media[1];
    WR_OK(strchr(t.data, '\r') == NULL
          && str_is(v->ssrc_groups[3].semantics, "SIM")
          && v->ssrc_groups[3].nssrcs == 3
          && v->ssrc_groups[3].ssrcs[2] == 2000000005u,
          "janus.js: \\n line ends, SIM group of 3");
    free(t.data);
}


/* the subscriber offer the browsers answered (server-sub-offer.sdp) */
static wr_sdp_offer_media_t  sub_media[3];

static void
sub_conf(wr_sdp_offer_conf_t *c)
{
    wr_sdp_offer_media_t  *m;

    memset(c, 0, sizeof(wr_sdp_offer_conf_t));
    memset(sub_media, 0, sizeof(sub_media));

    local_init(&c->local);
    c->local.session_name = "VideoRoom 1234";
    c->media = sub_media;
    c->nmedia = 3;

    m = &sub_media[0];
    m->kind = WR_SDP_KIND_AUDIO;
    m->mid = "a0";
    m->codec = "opus";
    m->pt = 111;
    m->clock = 48000;
    m->channels = 2;
    m->fmtp = "minptime=10;useinbandfec=1";
    m->fb_flags = WR_SDP_FB_TWCC;
    m->ext_id[WR_SDP_EXT_MID] = 4;
    m->ext_id[WR_SDP_EXT_AUDIO_LEVEL] = 1;
    m->ext_id[WR_SDP_EXT_TWCC] = 3;
    m->dir = WR_SDP_DIR_SENDONLY;
    m->msid_stream = "feed42";
    m->msid_track = "feed42a";
    m->ssrc = 10001;

    m = &sub_media[1];
    m->kind = WR_SDP_KIND_VIDEO;
    m->mid = "v1";
    m->codec = "VP8";
    m->pt = 96;
    m->clock = 90000;
    m->rtx_pt = 97;
    m->fb_flags = WR_SDP_FB_VIDEO;
    m->ext_id[WR_SDP_EXT_MID] = 4;
    m->ext_id[WR_SDP_EXT_TWCC] = 3;
    m->ext_id[WR_SDP_EXT_ABS_SEND_TIME] = 2;
    m->ext_id[WR_SDP_EXT_DD] = 12;
    m->dir = WR_SDP_DIR_SENDONLY;
    m->msid_stream = "feed42";
    m->msid_track = "feed42v";
    m->ssrc = 20001;
    m->rtx_ssrc = 20002;

    /* a stream that was unsubscribed: stays as an inactive m-line */
    sub_media[2] = *m;
    m = &sub_media[2];
    m->mid = "v2";
    m->codec = "VP9";
    m->pt = 98;
    m->rtx_pt = 99;
    m->fmtp = "profile-id=0";
    m->msid_stream = "feed43";
    m->msid_track = "feed43v";
    m->ssrc = 30001;
    m->rtx_ssrc = 30002;
    m->dir = WR_SDP_DIR_INACTIVE;
}


static const char  *bad_offer[] = {
    "sub: duplicate mid refused", "sub: mid with a space refused",
    "sub: CRLF in fmtp refused", "sub: application m-line refused",
    "sub: rtx pt = pt refused", "sub: no m-line refused"
};

static const char  *bad_local[] = {
    "bad local: short ufrag", "bad local: short pwd",
    "bad local: CRLF in an address", "bad local: host name as address",
    "bad local: no fingerprint", "bad local: port 0",
    "answer not made by negotiate refused"
};


static void
test_subscriber_offer(void)
{
    size_t                 size, bad;
    ssize_t                n;
    unsigned               i;
    text_t                 t;
    wr_sdp_rc_t            rc;
    wr_sdp_offer_conf_t    c;
    const wr_sdp_media_t  *m;

    sub_conf(&c);
    n = wr_sdp_write_offer(&c, out, sizeof(out));
    WR_OK(n > 0 && (size_t) n == strlen(out), "subscriber offer written");

    rc = wr_sdp_parse(&sdp, out, n);
    WR_EQ_INT(rc, WR_SDP_OK, "subscriber offer parses back");
    if (rc != WR_SDP_OK) {
        printf("# %s\n%s", sdp.error, out);
        return;
    }

    WR_OK(sdp.ice_lite && sdp.extmap_allow_mixed, "sub: ice-lite");
    WR_OK(sdp.nbundle == 3 && str_is(sdp.bundle[0], "a0")
          && str_is(sdp.bundle[2], "v2"), "sub: BUNDLE a0 v1 v2");
    WR_OK(str_is(sdp.name, "VideoRoom 1234"), "sub: s=");

    for (i = 0; i < 3; i++) {
        m = &sdp.media[i];

        WR_OK(str_is(m->mid, sub_media[i].mid) && m->port == 10000
              && m->setup == WR_SDP_SETUP_ACTPASS
              && str_is(m->ice_ufrag, "wrSf")
              && str_is(m->ice_pwd, c.local.ice_pwd)
              && m->fingerprint.len == 32
              && memcmp(m->fingerprint.bytes, server_fp, 32) == 0
              && m->rtcp_mux && m->rtcp_rsize,
              "sub m%u: transport, actpass", i);
        WR_OK(m->ncandidates == 2 && m->end_of_candidates
              && str_is(m->candidates[0],
                        "candidate:1 1 udp 2130706431 192.0.2.1 10000 typ host")
              && str_is(m->candidates[1],
                        "candidate:2 1 udp 2130706175 2001:db8::1 10000 "
                        "typ host"),
              "sub m%u: host candidates, IPv4 first", i);
        WR_OK(m->codecs[0].pt == sub_media[i].pt
              && str_is(m->codecs[0].name, sub_media[i].codec)
              && m->codecs[0].clock == sub_media[i].clock
              && m->codecs[0].channels == sub_media[i].channels,
              "sub m%u: codec", i);
        WR_OK(memcmp(m->ext_id, sub_media[i].ext_id, sizeof(m->ext_id)) == 0,
              "sub m%u: extension ids", i);
    }

    m = &sdp.media[0];
    WR_OK(m->dir == WR_SDP_DIR_SENDONLY && m->ncodecs == 1
          && str_is(m->codecs[0].fmtp, "minptime=10;useinbandfec=1")
          && m->codecs[0].fb_flags == WR_SDP_FB_TWCC,
          "sub m0: sendonly opus with fmtp and transport-cc");
    WR_OK(m->nssrcs == 1 && m->ssrcs[0].ssrc == 10001
          && str_is(m->ssrcs[0].cname, "wrcname")
          && str_is(m->ssrcs[0].msid_stream, "feed42")
          && str_is(m->ssrcs[0].msid_track, "feed42a")
          && str_is(m->msid_stream, "feed42"), "sub m0: ssrc, cname, msid");

    m = &sdp.media[1];
    WR_OK(m->ncodecs == 2 && m->codecs[0].rtx == 97
          && m->codecs[1].apt == 96
          && m->codecs[0].fb_flags == WR_SDP_FB_VIDEO,
          "sub m1: VP8 + rtx, full feedback");
    WR_OK(m->nssrcs == 2 && m->nssrc_groups == 1
          && str_is(m->ssrc_groups[0].semantics, "FID")
          && m->ssrc_groups[0].ssrcs[0] == 20001
          && m->ssrc_groups[0].ssrcs[1] == 20002,
          "sub m1: FID 20001 20002");

    m = &sdp.media[2];
    WR_OK(m->dir == WR_SDP_DIR_INACTIVE && m->nssrcs == 0
          && m->msid_stream.len == 0 && m->port != 0
          && str_is(m->codecs[0].fmtp, "profile-id=0"),
          "sub m2: inactive, no ssrc/msid, still bundled");

    /* what the browsers answered is this same offer */
    t = load("server-sub-offer.sdp");
    rc = wr_sdp_parse(&back, t.data, t.len);
    WR_EQ_INT(rc, WR_SDP_OK, "recorded server offer parses");

    for (i = 0; i < 3; i++) {
        WR_OK(wr_sdp_str_eq(back.media[i].mid, sub_media[i].mid)
              && back.media[i].ncodecs == sdp.media[i].ncodecs
              && back.media[i].codecs[0].pt == sdp.media[i].codecs[0].pt
              && back.media[i].dir == sdp.media[i].dir
              && back.media[i].nssrcs == sdp.media[i].nssrcs
              && memcmp(back.media[i].ext_id, sdp.media[i].ext_id,
                        sizeof(sdp.media[i].ext_id)) == 0,
              "sub m%u: same shape as the offer the browsers answered", i);
    }

    free(t.data);

    /* TWCC feedback needs the TWCC extension */
    sub_conf(&c);
    sub_media[1].ext_id[WR_SDP_EXT_TWCC] = 0;
    n = wr_sdp_write_offer(&c, out, sizeof(out));
    WR_OK(n > 0 && wr_sdp_parse(&sdp, out, n) == WR_SDP_OK
          && sdp.media[1].codecs[0].fb_flags
             == (WR_SDP_FB_VIDEO & ~WR_SDP_FB_TWCC)
          && sdp.media[0].codecs[0].fb_flags == WR_SDP_FB_TWCC,
          "sub: no transport-cc without its extension");

    /* every buffer size: too small fails, never a byte past the end */
    sub_conf(&c);
    n = wr_sdp_write_offer(&c, out, sizeof(out));
    bad = 0;

    for (size = 0; size <= (size_t) n + 1; size++) {
        memset(scratch, 0x7e, size + 16);

        if (wr_sdp_write_offer(&c, scratch, size)
            != (size > (size_t) n ? n : -WR_SDP_ENOSPACE)
            || scratch[size] != 0x7e)
        {
            bad++;
        }
    }

    WR_EQ_INT(bad, 0, "sub: ENOSPACE below len+1, exact fit works");
    WR_OK(memcmp(scratch, out, n + 1) == 0, "sub: exact fit is identical");

    /* configurations that would make bad SDP */
    for (i = 0; i < sizeof(bad_offer) / sizeof(bad_offer[0]); i++) {
        sub_conf(&c);

        switch (i) {
        case 0:
            sub_media[2].mid = "v1";
            break;

        case 1:
            sub_media[0].mid = "a 0";
            break;

        case 2:
            sub_media[1].fmtp = "x=1\r\na=inject";
            break;

        case 3:
            sub_media[0].kind = WR_SDP_KIND_APPLICATION;
            break;

        case 4:
            sub_media[1].rtx_pt = 96;
            break;

        default:
            c.nmedia = 0;
        }

        WR_EQ_INT(wr_sdp_write_offer(&c, out, sizeof(out)), -WR_SDP_EINVAL,
                  bad_offer[i]);
    }
}


static void
test_browser_answers(void)
{
    text_t                 t;
    unsigned               i, k;
    wr_sdp_rc_t            rc;
    wr_sdp_offer_conf_t    c;
    const wr_sdp_media_t  *m;
    static const char     *names[] = { "chrome156-sub-answer.sdp",
                                       "firefox153-sub-answer.sdp" };
    static const wr_sdp_dir_t  dirs[] = { WR_SDP_DIR_RECVONLY,
                                          WR_SDP_DIR_RECVONLY,
                                          WR_SDP_DIR_INACTIVE };

    sub_conf(&c);

    for (i = 0; i < 2; i++) {
        t = load(names[i]);
        rc = wr_sdp_parse(&sdp, t.data, t.len);
        WR_EQ_INT(rc, WR_SDP_OK, names[i]);
        if (rc != WR_SDP_OK) {
            printf("# %s\n", sdp.error);
            continue;
        }

        WR_EQ_INT(sdp.nmedia, 3, "answer: 3 m-lines");

        for (k = 0; k < 3; k++) {
            m = &sdp.media[k];

            WR_OK(str_is(m->mid, sub_media[k].mid)
                  && m->setup == WR_SDP_SETUP_ACTIVE
                  && m->dir == dirs[k]
                  && m->codecs[0].pt == sub_media[k].pt
                  && (sub_media[k].rtx_pt == 0
                      || m->codecs[0].rtx == sub_media[k].rtx_pt)
                  && m->ice_ufrag.len && m->ice_pwd.len
                  && m->fingerprint.hash == WR_SDP_HASH_SHA256,
                  "%s m%u: mid, active, direction, pt", names[i], k);
        }

        /* Chrome took DD, Firefox 153 does not receive it */
        WR_EQ_INT(sdp.media[1].ext_id[WR_SDP_EXT_DD], i == 0 ? 12 : 0,
                  "answer: DD as the browser chose");
        free(t.data);
    }
}


/* answers */

static void
test_answer_echo(void)
{
    ssize_t                n;
    text_t                 t;
    unsigned               i;
    wr_sdp_send_t          send[2];
    wr_sdp_answer_conf_t   c;
    const wr_sdp_media_t  *m;

    t = load("chrome156-av-offer.sdp");
    echo_conf(&c);

    memset(send, 0, sizeof(send));
    send[0].ssrc = 1111;
    send[0].msid_stream = "echo";
    send[0].msid_track = "echo-a";
    send[1].ssrc = 2222;
    send[1].rtx_ssrc = 2223;
    send[1].msid_stream = "echo";
    send[1].msid_track = "echo-v";
    c.send = send;
    c.nsend = 2;

    n = answer("echo", t, &c);
    WR_OK(n > 0, "echo: chrome offer answered");
    if (n <= 0) {
        return;
    }

    WR_OK(ans.naccepted == 2 && answered_pt(0) == 111 && answered_pt(1) == 96,
          "echo: opus 111 and VP8 96 (offerer's pts)");
    WR_OK(ans.media[1].rtx >= 0
          && sdp.media[1].codecs[ans.media[1].rtx].pt == 97,
          "echo: VP8's rtx 97 kept");

    WR_OK(back.ice_lite, "echo: a=ice-lite");
    WR_OK(back.extmap_allow_mixed && back.media[0].extmap_allow_mixed == 0,
          "echo: extmap-allow-mixed answered at session level, as offered");
    WR_OK(wr_sdp_find_mid(&back, "1") == &back.media[1]
          && wr_sdp_find_mid(&back, "2") == NULL, "echo: find_mid");
    WR_OK(back.nbundle == 2 && str_is(back.bundle[0], "0")
          && str_is(back.bundle[1], "1"), "echo: BUNDLE 0 1");
    WR_OK(count_str(out, "a=ice-lite\r\n") == 1
          && count_str(out, "a=setup:passive\r\n") == 2
          && count_str(out, "a=end-of-candidates\r\n") == 2
          && strstr(out, "a=fingerprint:sha-256 5A:01:C3:44:9E:12:70:BD:"),
          "echo: ice-lite once, passive, upper-case fingerprint");

    for (i = 0; i < 2; i++) {
        m = &back.media[i];

        WR_OK(m->port == 10000 && m->setup == WR_SDP_SETUP_PASSIVE
              && m->dir == WR_SDP_DIR_SENDRECV
              && str_is(m->ice_ufrag, "wrSf")
              && memcmp(m->fingerprint.bytes, server_fp, 32) == 0
              && m->rtcp_mux && m->rtcp_rsize
              && str_is(m->mid, i ? "1" : "0")
              && m->ncandidates == 2 && m->end_of_candidates
              && str_is(m->candidates[1], "candidate:2 1 udp 2130706175 "
                        "2001:db8::1 10000 typ host"),
              "echo m%u: port, passive, sendrecv, credentials, candidates",
              i);
    }

    m = &back.media[0];
    WR_OK(m->ncodecs == 1 && m->codecs[0].pt == 111
          && str_is(m->codecs[0].fmtp, "minptime=10;useinbandfec=1")
          && m->codecs[0].fb_flags == WR_SDP_FB_TWCC,
          "echo m0: opus only, fmtp echoed, transport-cc");
    WR_OK(m->nextmaps == 4 && m->ext_id[WR_SDP_EXT_AUDIO_LEVEL] == 1
          && m->ext_id[WR_SDP_EXT_MID] == 4, "echo m0: audio extmaps kept");

    m = &back.media[1];
    WR_OK(m->ncodecs == 2 && m->codecs[0].pt == 96 && m->codecs[0].rtx == 97
          && m->codecs[0].fb_flags == WR_SDP_FB_VIDEO,
          "echo m1: VP8 + rtx, nack/pli/fir/remb/twcc");
    WR_OK(m->nextmaps == 3 && m->ext_id[WR_SDP_EXT_ABS_SEND_TIME] == 2
          && m->ext_id[WR_SDP_EXT_TWCC] == 3 && m->ext_id[WR_SDP_EXT_MID] == 4
          && m->ext_id[WR_SDP_EXT_RID] == 0,
          "echo m1: only the allowed extensions, offerer's ids");
    WR_OK(strstr(out, "a=extmap:14") == NULL
          && strstr(out, "video-orientation") == NULL
          && strstr(out, "H264") == NULL && strstr(out, "a=rtpmap:102") == NULL,
          "echo: nothing else leaks into the answer");

    /* what the server sends back */
    WR_OK(back.media[0].nssrcs == 1 && back.media[0].ssrcs[0].ssrc == 1111
          && str_is(back.media[0].ssrcs[0].cname, "wrcname")
          && str_is(back.media[0].msid_track, "echo-a"),
          "echo m0: our ssrc and msid");
    WR_OK(back.media[1].nssrcs == 2 && back.media[1].nssrc_groups == 1
          && back.media[1].ssrc_groups[0].ssrcs[1] == 2223,
          "echo m1: FID group with our rtx ssrc");

    free(t.data);
}


static void
test_answer_publisher(void)
{
    ssize_t                n, n2;
    text_t                 t;
    wr_sdp_answer_conf_t   c;
    const wr_sdp_media_t  *v;

    /* a VideoRoom publisher with simulcast: recvonly, rids accepted */
    t = load("chrome156-simulcast-offer.sdp");
    echo_conf(&c);
    c.dir = WR_SDP_DIR_RECVONLY;
    c.local.session_name = "VideoRoom 1234";

    n = answer("publisher", t, &c);
    WR_OK(n > 0, "publisher: simulcast offer answered");
    if (n <= 0) {
        return;
    }

    v = &back.media[1];
    WR_OK(back.media[0].dir == WR_SDP_DIR_RECVONLY
          && v->dir == WR_SDP_DIR_RECVONLY, "publisher: recvonly");
    WR_OK(ans.media[1].simulcast && v->nrids == 3
          && v->rids[0].dir == WR_SDP_DIR_RECVONLY
          && str_is(v->rids[2].id, "l")
          && str_is(v->simulcast_recv, "h;m;l") && v->simulcast_send.len == 0,
          "publisher: a=rid:* recv and a=simulcast:recv h;m;l");
    WR_OK(strstr(out, "a=rid:h recv\r\na=rid:m recv\r\na=rid:l recv\r\n"
                      "a=simulcast:recv h;m;l\r\n") != NULL,
          "publisher: rid lines as written");
    WR_OK(v->ext_id[WR_SDP_EXT_RID] == 10 && v->ext_id[WR_SDP_EXT_RRID] == 11
          && v->ext_id[WR_SDP_EXT_DD] == 12 && v->ext_id[WR_SDP_EXT_VLA] == 0
          && ans.media[1].ext_id[WR_SDP_EXT_DD] == 12,
          "publisher: rid/rrid with simulcast, DD kept, VLA dropped");
    WR_OK(back.media[0].nssrcs == 0 && v->nssrcs == 0
          && strstr(out, "a=msid:") == NULL,
          "publisher: nothing sent, no ssrc or msid");

    /* rids the offerer only wants to receive are not simulcast to us */
    {
        text_t  e;

        e = edit(t, "a=rid:h send\r\na=rid:m send\r\na=rid:l send\r\n",
                 "a=rid:h recv\r\na=rid:m recv\r\na=rid:l recv\r\n");
        n2 = answer("recv rids", e, &c);
        WR_OK(n2 > 0 && !ans.media[1].simulcast
              && strstr(out, "a=simulcast") == NULL,
              "publisher: no send rid, no simulcast");
        free(e.data);
    }

    /* simulcast refused: one stream, no rid extension */
    c.simulcast = 0;
    n2 = answer("no simulcast", t, &c);
    WR_OK(n2 > 0 && !ans.media[1].simulcast && back.media[1].nrids == 0
          && back.media[1].ext_id[WR_SDP_EXT_RID] == 0
          && strstr(out, "a=simulcast") == NULL,
          "publisher: simulcast off means no rids and no rid extension");

    /* without TWCC, no transport-cc feedback either */
    c.simulcast = 1;
    c.ext_mask = WR_SDP_EXT_DEFAULT & ~WR_SDP_EXT_BIT(WR_SDP_EXT_TWCC);
    n2 = answer("no twcc", t, &c);
    WR_OK(n2 > 0 && strstr(out, "transport-cc") == NULL
          && strstr(out, "transport-wide-cc") == NULL
          && back.media[1].codecs[0].fb_flags
             == (WR_SDP_FB_NACK | WR_SDP_FB_PLI | WR_SDP_FB_FIR
                 | WR_SDP_FB_REMB),
          "publisher: transport-cc only with its extmap");
    free(t.data);

    /* Firefox writes extmap directions: the answer mirrors them */
    t = load("firefox153-simulcast-offer.sdp");
    echo_conf(&c);
    c.dir = WR_SDP_DIR_RECVONLY;
    n = answer("firefox publisher", t, &c);
    WR_OK(n > 0 && strstr(out, "a=extmap:9/recvonly urn:ietf:params:"
                              "rtp-hdrext:sdes:rtp-stream-id\r\n")
          && strstr(out, "a=extmap:8/recvonly https://aomediacodec")
          && back.media[1].nrids == 3,
          "firefox publisher: sendonly extmaps answered recvonly");
    WR_OK(back.media[0].extmap_allow_mixed && !back.extmap_allow_mixed,
          "firefox publisher: extmap-allow-mixed where it was offered");
    free(t.data);
}


/* codec choice on Chrome's offer: one pref list, whose order, what wins */
static const struct {
    int                         video;
    wr_sdp_codec_pref_t         prefs[2];
    unsigned                    offer_order;
    int                         pt, rtx;
    const char                 *name;
} choices[] = {
    { 1, { { "h264", NULL } }, 0, 102, 103, "first offered H264, its rtx" },
    { 1, { { "H264", "profile-level-id=42e01f" } }, 0, 108, 109,
      "H264 with profile-level-id=42e01f" },
    { 1, { { "vp9", "profile-id=2" } }, 0, 100, 101, "VP9 profile-id=2" },
    { 1, { { "av1", "" } }, 0, 45, 46, "AV1, empty fmtp constraint" },
    { 1, { { "vp9", NULL }, { "vp8", NULL } }, 0, 98, 99,
      "server order (Janus): vp9 before vp8" },
    { 1, { { "vp9", NULL }, { "vp8", NULL } }, 1, 96, 97,
      "offer_order: Chrome's VP8 first" },
    { 0, { { "g722", NULL }, { "opus", NULL } }, 0, 9, -1, "G722 preferred" },
    { 0, { { "g722", NULL }, { "opus", NULL } }, 1, 111, -1,
      "offer order: opus first" },
    { 0, { { "pcmu", NULL } }, 0, 0, -1, "PCMU, static pt 0" },
};


static void
test_codec_choice(void)
{
    size_t                 i, np;
    ssize_t                n;
    text_t                 t, ff;
    wr_sdp_answer_conf_t   c;
    const wr_sdp_codec_t  *k, *offered;

    static const wr_sdp_codec_pref_t  h264[] = { { "h264", NULL } };
    static const wr_sdp_codec_pref_t  nothing[] = { { "isac", NULL } };

    t = load("chrome156-av-offer.sdp");

    for (i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
        echo_conf(&c);
        np = choices[i].prefs[1].name ? 2 : 1;

        if (choices[i].video) {
            c.video_codecs = choices[i].prefs;
            c.nvideo_codecs = np;

        } else {
            c.audio_codecs = choices[i].prefs;
            c.naudio_codecs = np;
        }

        c.offer_order = choices[i].offer_order;
        n = answer(choices[i].name, t, &c);
        k = n > 0 ? &back.media[choices[i].video].codecs[0] : NULL;
        offered = n > 0 ? wr_sdp_find_codec(&sdp.media[choices[i].video],
                                            "-") : NULL;

        /* the answer carries the offered fmtp and exactly one codec + rtx */
        for (np = 0; n > 0 && np < sdp.media[choices[i].video].ncodecs; np++) {
            if (sdp.media[choices[i].video].codecs[np].pt == choices[i].pt) {
                offered = &sdp.media[choices[i].video].codecs[np];
            }
        }

        WR_OK(k && offered && k->pt == choices[i].pt && k->rtx == choices[i].rtx
              && k->fmtp.len == offered->fmtp.len
              && back.media[choices[i].video].ncodecs
                 == (choices[i].rtx < 0 ? 1u : 2u)
              && (choices[i].rtx >= 0 || k->fb_flags == offered->fb_flags),
              "codec choice: %s", choices[i].name);
    }

    /* no allowed codec at all */
    echo_conf(&c);
    c.audio_codecs = nothing;
    c.video_codecs = nothing;
    c.nvideo_codecs = 1;
    wr_sdp_parse(&sdp, t.data, t.len);
    WR_EQ_INT(wr_sdp_negotiate(&sdp, &c, &ans), WR_SDP_ENOMEDIA,
              "no allowed codec anywhere: ENOMEDIA");
    WR_EQ_INT(wr_sdp_write_answer(&sdp, &c, &ans, out, sizeof(out)),
              -WR_SDP_EINVAL, "nothing accepted: nothing written");

    /* Firefox offers no H264 here: the video m-line is rejected */
    ff = load("firefox153-av-offer.sdp");
    echo_conf(&c);
    c.video_codecs = h264;
    c.nvideo_codecs = 1;
    n = answer("firefox h264", ff, &c);
    WR_OK(n > 0 && ans.naccepted == 1 && !ans.media[1].accepted
          && back.media[1].port == 0 && str_is(back.media[1].mid, "1")
          && back.nbundle == 1 && str_is(back.bundle[0], "0"),
          "firefox h264: m=video port 0 with its mid, out of BUNDLE");
    WR_OK(strstr(out, "m=video 0 UDP/TLS/RTP/SAVPF 120 124 121 125 99 100 "
                      "123 122 119\r\n") != NULL
          && count_str(out, "a=end-of-candidates") == 1,
          "firefox h264: rejected m-line has no transport");

    free(ff.data);
    free(t.data);
}


static void
test_answer_shapes(void)
{
    int                    i, same;
    ssize_t                n, n2;
    text_t                 t, e;
    size_t                 size, bad;
    wr_sdp_answer_conf_t   c;

    /* data channel: rejected, as the server has no SCTP */
    t = load("chrome156-dd-data-offer.sdp");
    echo_conf(&c);
    c.dir = WR_SDP_DIR_RECVONLY;
    n = answer("data", t, &c);
    WR_OK(n > 0 && ans.naccepted == 2 && !ans.media[2].accepted
          && strstr(out, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n")
          && back.media[2].port == 0 && str_is(back.media[2].mid, "2")
          && back.nbundle == 2,
          "data: m=application rejected with port 0, mid kept");
    free(t.data);

    /* directions: the overlap of what we want and what was offered */
    t = load("chrome156-av-offer.sdp");
    e = edit(t, "a=sendrecv\r\na=msid:", "a=recvonly\r\na=msid:");
    echo_conf(&c);
    n = answer("recvonly offer, echo", e, &c);
    WR_OK(n > 0 && back.media[0].dir == WR_SDP_DIR_SENDONLY
          && back.media[1].dir == WR_SDP_DIR_SENDRECV,
          "offer recvonly, server sendrecv: sendonly");
    c.dir = WR_SDP_DIR_RECVONLY;
    n = answer("recvonly offer, publisher", e, &c);
    WR_OK(n > 0 && back.media[0].dir == WR_SDP_DIR_INACTIVE
          && back.media[0].ncodecs == 1 && back.media[0].port == 10000,
          "offer recvonly, server recvonly: inactive but accepted");
    free(e.data);

    /* no BUNDLE group: one transport, so only the first m-line */
    e = edit(t, "a=group:BUNDLE 0 1\r\n", NULL);
    echo_conf(&c);
    n = answer("no bundle", e, &c);
    WR_OK(n > 0 && ans.naccepted == 1 && ans.media[0].accepted
          && back.media[1].port == 0, "no BUNDLE: first m-line only");
    free(e.data);

    /* no rtcp-mux: the server has one port, refuse the m-line */
    e = edit(t, "a=rtcp-mux\r\n", NULL);
    n = answer("no rtcp-mux", e, &c);
    WR_OK(n > 0 && !ans.media[0].accepted && ans.media[1].accepted,
          "no rtcp-mux: m-line rejected");
    free(e.data);

    /* the e2ee flag is carried but changes no byte of the SDP */
    echo_conf(&c);
    n = answer("e2ee off", t, &c);
    memcpy(scratch, out, n + 1);
    c.e2ee = 1;
    n2 = answer("e2ee on", t, &c);
    same = n == n2 && memcmp(scratch, out, n) == 0;
    WR_OK(same && ans.e2ee, "e2ee: flag in the result, SDP unchanged");

    /* every buffer size */
    c.e2ee = 0;
    n = answer("sizes", t, &c);
    bad = 0;

    for (size = 0; size <= (size_t) n + 1; size++) {
        memset(scratch, 0x7e, size + 16);

        if (wr_sdp_write_answer(&sdp, &c, &ans, scratch, size)
            != (size > (size_t) n ? n : -WR_SDP_ENOSPACE)
            || scratch[size] != 0x7e)
        {
            bad++;
        }
    }

    WR_EQ_INT(bad, 0, "answer: ENOSPACE below len+1, nothing past the end");

    /* local configuration that would corrupt the SDP */
    for (i = 0; i < (int) (sizeof(bad_local) / sizeof(bad_local[0])); i++) {
        static const char  *inj[] = { "192.0.2.1\r\na=x" };
        static const char  *host[] = { "example.org" };

        echo_conf(&c);

        switch (i) {
        case 0:
            c.local.ice_ufrag = "abc";
            break;

        case 1:
            c.local.ice_pwd = "short";
            break;

        case 2:
            c.local.addrs = inj;
            c.local.naddrs = 1;
            break;

        case 3:
            c.local.addrs = host;
            c.local.naddrs = 1;
            break;

        case 4:
            c.local.fingerprint = NULL;
            break;

        case 5:
            c.local.port = 0;
            break;

        default:
            ans.media[1].codec = 99;
        }

        WR_EQ_INT(wr_sdp_write_answer(&sdp, &c, &ans, out, sizeof(out)),
                  -WR_SDP_EINVAL, bad_local[i]);
    }

    free(t.data);
}


/* garbage */

#define FP_REST                                                               \
    "01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:"     \
    "17:18:19:1A:1B:1C:1D:1E:1F"
#define FP32      "00:" FP_REST

#define SESSION                                                               \
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"                     \
    "a=group:BUNDLE 0\r\n"

#define TRANSPORT                                                             \
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"              \
    "a=fingerprint:sha-256 " FP32 "\r\na=setup:actpass\r\n"

#define MLINE     "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
#define AUDIO                                                                 \
    MLINE "c=IN IP4 0.0.0.0\r\n" TRANSPORT                                    \
    "a=mid:0\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"


static const struct {
    const char   *sdp;
    wr_sdp_rc_t   rc;
    const char   *name;
} garbage[] = {
    { SESSION AUDIO, WR_SDP_OK, "minimal SDP parses" },
    { "hello world", WR_SDP_EVERSION, "no v=" },
    { "v=1\r\n", WR_SDP_EVERSION, "v=1" },
    { "\r\nv=0\r\n", WR_SDP_EVERSION, "blank first line" },
    { SESSION "a=x-y:1\r2\r\n" AUDIO, WR_SDP_ESYNTAX, "bare CR in a line" },
    { SESSION "a=x-y:\x01\r\n" AUDIO, WR_SDP_ESYNTAX, "control character" },
    { SESSION "v=0\r\n" AUDIO, WR_SDP_ESYNTAX, "second v=" },
    { SESSION "a=fingerprint:sha-256 00:01:02\r\n" AUDIO, WR_SDP_EFINGERPRINT,
      "fingerprint too short" },
    { SESSION "a=fingerprint:sha-256 ZZ:" FP_REST "\r\n" AUDIO,
      WR_SDP_EFINGERPRINT, "fingerprint not hex" },
    { SESSION "a=fingerprint:sha-256 00-" FP_REST "\r\n" AUDIO,
      WR_SDP_EFINGERPRINT, "fingerprint separator" },
    { SESSION "a=fingerprint:sha-1 " FP32 "\r\n" AUDIO, WR_SDP_EFINGERPRINT,
      "sha-256-long hex labelled sha-1" },
    { SESSION MLINE "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
      "a=fingerprint:md5 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F\r\n"
      "a=mid:0\r\n", WR_SDP_EMISSING, "only an unknown hash" },
    { SESSION MLINE "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=mid:0\r\n"
      "a=fingerprint:sha-256 " FP32 "\r\n", WR_SDP_EMISSING, "no ice-ufrag" },
    { SESSION MLINE TRANSPORT, WR_SDP_EMISSING, "no mid" },
    { SESSION AUDIO AUDIO, WR_SDP_ESYNTAX, "the same mid twice" },
    { SESSION "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n", WR_SDP_OK,
      "a rejected m-line needs nothing" },
    { SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111 111\r\n", WR_SDP_ESYNTAX,
      "payload type listed twice" },
    { SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 128\r\n", WR_SDP_ESYNTAX,
      "payload type 128" },
    { SESSION "m=audio 70000 UDP/TLS/RTP/SAVPF 0\r\n", WR_SDP_ESYNTAX,
      "port 70000" },
    { SESSION "m=audio\r\n", WR_SDP_ESYNTAX, "m=audio alone" },
    { SESSION AUDIO "a=rtpmap:111 opus\r\n", WR_SDP_ESYNTAX,
      "rtpmap without clock" },
    { SESSION AUDIO "a=rtpmap:111 opus/48k\r\n", WR_SDP_ESYNTAX,
      "rtpmap clock not a number" },
    { SESSION AUDIO "a=extmap:0 urn:x\r\n", WR_SDP_ESYNTAX, "extmap id 0" },
    { SESSION AUDIO "a=extmap:1 urn:x\r\na=extmap:1 urn:y\r\n",
      WR_SDP_ESYNTAX, "extmap id twice" },
    { SESSION AUDIO "a=extmap:1/sideways urn:x\r\n", WR_SDP_ESYNTAX,
      "extmap direction" },
    { SESSION AUDIO "a=setup:maybe\r\n", WR_SDP_ESYNTAX, "setup value" },
    { SESSION AUDIO "a=ice-ufrag:ab\"cd\r\n", WR_SDP_ESYNTAX,
      "ice-ufrag characters" },
    { SESSION AUDIO "a=ssrc:4294967296 cname:x\r\n", WR_SDP_ESYNTAX,
      "ssrc above 32 bits" },
    { SESSION AUDIO "a=rid:h sideways\r\n", WR_SDP_ESYNTAX, "rid direction" },
    { SESSION AUDIO "a=simulcast:both h\r\n", WR_SDP_ESYNTAX,
      "simulcast direction" },
    { SESSION AUDIO "a=fmtp:111 apt=x\r\n", WR_SDP_ESYNTAX,
      "apt not a number" },
    { SESSION AUDIO "a=x-unknown:whatever\r\nb=AS:30\r\nz=ignored\r\n",
      WR_SDP_OK, "unknown attributes and lines skipped" },
    { SESSION AUDIO "a=rtcp-mux \t\r\n", WR_SDP_OK, "trailing blanks" },
};


static wr_sdp_rc_t
parse_str(const char *s)
{
    return wr_sdp_parse(&sdp, s, strlen(s));
}


/* an SDP with n m-lines, or one m-line with n payload types */
static char *
many(int n, int codecs)
{
    int    k;
    char  *p;

    p = malloc(n * 512 + 1024);
    strcpy(p, SESSION);

    if (codecs) {
        strcat(p, "m=video 9 UDP/TLS/RTP/SAVPF");

        for (k = 0; k < n; k++) {
            sprintf(p + strlen(p), " %d", 96 - k);
        }

        strcat(p, "\r\n" TRANSPORT "a=mid:0\r\n");
        return p;
    }

    for (k = 0; k < n; k++) {
        sprintf(p + strlen(p), "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n" TRANSPORT
                "a=mid:%s%d\r\n", k ? "m" : "", k);
    }

    return p;
}


static void
test_garbage(void)
{
    int          i;
    char        *p;
    size_t       k, cut, bad;
    text_t       t;
    wr_sdp_rc_t  rc;

    for (k = 0; k < sizeof(garbage) / sizeof(garbage[0]); k++) {
        rc = parse_str(garbage[k].sdp);
        WR_OK(rc == garbage[k].rc && (rc == WR_SDP_OK || sdp.error[0]),
              "garbage: %s (%s)", garbage[k].name, sdp.error);
    }

    WR_EQ_INT(wr_sdp_parse(&sdp, "", 0), WR_SDP_EVERSION, "empty");
    WR_EQ_STR(sdp.error, "line 1: empty SDP", "empty: error text");
    parse_str("v=1\r\n");
    WR_EQ_STR(sdp.error, "line 1: doesn't start with v=0", "no v=0: text");
    WR_EQ_STR(wr_sdp_strerror(WR_SDP_EVERSION), "doesn't start with v=0",
              "EVERSION text matches Janus' 465 reason");

    rc = parse_str(SESSION "this is not sdp\r\n" AUDIO);
    WR_OK(rc == WR_SDP_ESYNTAX && sdp.error_line == 6
          && strncmp(sdp.error, "line 6: ", 8) == 0,
          "a line without type=: ESYNTAX at line 6");
    WR_EQ_INT(wr_sdp_parse(&sdp, SESSION "a=mid\0:0\r\n" AUDIO,
                           sizeof(SESSION "a=mid\0:0\r\n" AUDIO) - 1),
              WR_SDP_ESYNTAX, "NUL byte");
    parse_str(SESSION MLINE "a=mid:0\r\n");
    WR_OK(strstr(sdp.error, "ice-ufrag") && sdp.error_line == 0,
          "EMISSING names the attribute, not a line");

    /* a huge line */
    p = malloc(WR_SDP_MAX_LINE + 1024);
    strcpy(p, SESSION "a=x-big:");
    memset(p + strlen(p), 'z', WR_SDP_MAX_LINE);
    strcpy(p + strlen(SESSION "a=x-big:") + WR_SDP_MAX_LINE, "\r\n" AUDIO);
    WR_EQ_INT(parse_str(p), WR_SDP_ELINE, "line longer than the limit");
    free(p);

    /* limits: the limit itself is fine, one more is ELIMIT */
    p = many(WR_SDP_MAX_MEDIA, 0);
    WR_EQ_INT(parse_str(p), WR_SDP_OK, "WR_SDP_MAX_MEDIA m-lines parse");
    free(p);
    p = many(WR_SDP_MAX_MEDIA + 1, 0);
    WR_EQ_INT(parse_str(p), WR_SDP_ELIMIT, "one m-line too many");
    free(p);
    p = many(WR_SDP_MAX_CODECS, 1);
    WR_EQ_INT(parse_str(p), WR_SDP_OK, "WR_SDP_MAX_CODECS payload types");
    free(p);
    p = many(WR_SDP_MAX_CODECS + 1, 1);
    WR_OK(parse_str(p) == WR_SDP_ELIMIT && strstr(sdp.error, "payload types"),
          "one payload type too many: ELIMIT, says what");
    free(p);

    /* leniency that real clients need */
    WR_OK(parse_str(SESSION AUDIO "a=simulcast: send rid=h;m;l\r\n")
          == WR_SDP_OK && str_is(sdp.media[0].simulcast_send, "h;m;l"),
          "old Firefox simulcast syntax, rid= dropped");
    WR_OK(parse_str("v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 0\na=ice-ufrag:abcd\n"
                    "a=ice-pwd:abcdefghijklmnopqrstuvwx\n"
                    "a=fingerprint:sha-256 " FP32 "\na=mid:0") == WR_SDP_OK
          && str_is(sdp.media[0].mid, "0")
          && str_is(sdp.media[0].codecs[0].name, "PCMU"),
          "\\n line ends, last line without one, static pt named");

    /* max-bundle style: port 0 with a=bundle-only is in use, and accepted */
    {
        wr_sdp_answer_conf_t  c;
        static const char     bo[] =
            "v=0\r\na=group:BUNDLE 0 1\r\n" AUDIO
            "m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\na=bundle-only\r\n"
            "a=mid:1\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n"
            "a=rtcp-fb:* nack\r\na=rtcp-fb:* nack pli\r\n"
            "a=rtpmap:97 H264/90000\r\n";

        echo_conf(&c);
        rc = parse_str(bo);
        WR_OK(rc == WR_SDP_OK && sdp.media[1].bundle_only
              && sdp.media[1].ice_ufrag.data == sdp.media[0].ice_ufrag.data
              && sdp.media[1].fingerprint.len == 32
              && sdp.media[1].codecs[1].fb_flags
                 == (WR_SDP_FB_NACK | WR_SDP_FB_PLI)
              && sdp.media[1].codecs[1].nfb == 0,
              "bundle-only m-line: transport of the BUNDLE tag, "
              "a=rtcp-fb:* flags on every codec");
        WR_OK(wr_sdp_negotiate(&sdp, &c, &ans) == WR_SDP_OK
              && ans.media[1].accepted
              && ans.media[1].fb_flags == (WR_SDP_FB_NACK | WR_SDP_FB_PLI),
              "bundle-only m-line accepted with its wildcard feedback");
    }

    WR_OK(parse_str(SESSION "a=fingerprint:sha-384 " FP32 ":20:21:22:23:24:"
                    "25:26:27:28:29:2A:2B:2C:2D:2E:2F\r\n" AUDIO) == WR_SDP_OK
          && sdp.media[0].fingerprint.hash == WR_SDP_HASH_SHA256
          && sdp.fingerprint.hash == WR_SDP_HASH_SHA384,
          "sha-384 parsed; the m-line's sha-256 is the one it uses");

    p = malloc(64 * 80 + 1024);
    strcpy(p, SESSION AUDIO);

    for (i = 0; i < WR_SDP_MAX_CANDIDATES + 5; i++) {
        sprintf(p + strlen(p), "a=candidate:%d 1 udp 1 192.0.2.%d 9 typ host"
                "\r\n", i, i);
    }

    WR_OK(parse_str(p) == WR_SDP_OK
          && sdp.media[0].ncandidates == WR_SDP_MAX_CANDIDATES
          && sdp.media[0].ncandidates_dropped == 5,
          "candidates beyond the limit counted, not fatal");
    free(p);

    /*
     * Every truncation of a real offer: an error with a message, or a
     * shorter valid SDP, which cannot have an m-line before its first
     * setup line (no fingerprint and mid yet).
     */
    t = load("chrome156-av-offer.sdp");
    bad = 0;

    for (cut = 0; cut < t.len; cut++) {
        p = malloc(cut ? cut : 1);
        memcpy(p, t.data, cut);
        rc = wr_sdp_parse(&sdp, p, cut);
        free(p);

        if ((rc != WR_SDP_OK && sdp.error[0] == '\0')
            || (rc == WR_SDP_OK && sdp.nmedia
                && cut < (size_t) (strstr(t.data, "a=setup:") - t.data)))
        {
            bad++;
        }
    }

    WR_EQ_INT(bad, 0, "truncations: errors have messages, no early success");
    WR_EQ_INT(wr_sdp_parse(&sdp, t.data,
                           strstr(t.data, "a=fingerprint:") - t.data + 30),
              WR_SDP_EFINGERPRINT, "cut inside the fingerprint");
    WR_EQ_INT(wr_sdp_parse(&sdp, t.data,
                           strstr(t.data, "a=rtpmap:96 ") - t.data + 14),
              WR_SDP_ESYNTAX, "cut inside an rtpmap");
    WR_EQ_INT(wr_sdp_parse(&sdp, t.data, strstr(t.data, "a=mid:0") - t.data),
              WR_SDP_EMISSING, "cut before the first mid");
    free(t.data);

    for (i = WR_SDP_OK; i <= WR_SDP_ENOSPACE; i++) {
        if (strcmp(wr_sdp_strerror(i), "unknown error") == 0) {
            break;
        }
    }

    WR_EQ_INT(i, WR_SDP_ENOSPACE + 1, "every code has a text");
}


int
main(void)
{
    test_recorded();
    test_recorded_details();
    test_subscriber_offer();
    test_browser_answers();
    test_answer_echo();
    test_answer_publisher();
    test_codec_choice();
    test_answer_shapes();
    test_garbage();

    return wr_test_done();
}
