/*
 * The server's SDP: what to accept in an offer, the answer that says so,
 * and the offers the server makes to subscribers; see wr_sdp.h.
 *
 * The server is ICE-lite with one UDP port, so every accepted m-line
 * shares one transport (BUNDLE, rtcp-mux), carries the same credentials
 * and candidates, and ends with a=end-of-candidates (no server trickle).
 * It is always the DTLS server: "passive" in answers, "actpass" in its
 * offers, which browsers answer with "active".
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wr_sdp.h"


typedef struct {
    char      *start;
    char      *p;
    char      *end;
    unsigned   overflow:1;
} wr_sdp_out_t;


static int wr_sdp_acceptable(const wr_sdp_t *offer, unsigned i,
    unsigned naccepted);
static unsigned wr_sdp_send_rids(const wr_sdp_media_t *m);
static int wr_sdp_pick_codec(const wr_sdp_media_t *m,
    const wr_sdp_codec_pref_t *prefs, size_t nprefs, unsigned offer_order);
static int wr_sdp_codec_matches(const wr_sdp_codec_t *c,
    const wr_sdp_codec_pref_t *pref);
static int wr_sdp_fmtp_has(wr_sdp_str_t fmtp, const char *param);
static wr_sdp_dir_t wr_sdp_overlap(wr_sdp_dir_t local, wr_sdp_dir_t remote);
static int wr_sdp_sends(wr_sdp_dir_t dir);
static int wr_sdp_receives(wr_sdp_dir_t dir);

static void wr_sdp_answer_media(wr_sdp_out_t *o, const wr_sdp_t *offer,
    const wr_sdp_answer_conf_t *conf, const wr_sdp_answer_t *answer,
    unsigned i);
static void wr_sdp_offer_media(wr_sdp_out_t *o, const wr_sdp_local_t *l,
    const wr_sdp_offer_media_t *om);
static void wr_sdp_session(wr_sdp_out_t *o, const wr_sdp_local_t *l);
static void wr_sdp_transport(wr_sdp_out_t *o, const wr_sdp_local_t *l,
    const char *setup);
static void wr_sdp_candidates(wr_sdp_out_t *o, const wr_sdp_local_t *l);
static void wr_sdp_fb(wr_sdp_out_t *o, unsigned pt, unsigned flags);
static void wr_sdp_ssrcs(wr_sdp_out_t *o, const char *cname, uint32_t ssrc,
    uint32_t rtx_ssrc, const char *stream, const char *track);

static wr_sdp_rc_t wr_sdp_check_local(const wr_sdp_local_t *l);
static int wr_sdp_cstr_ok(const char *s, size_t min, size_t max, int space);
static int wr_sdp_ice_ok(const char *s, size_t min);
static int wr_sdp_addr_ok(const char *s);

static void wr_sdp_put(wr_sdp_out_t *o, const char *s, size_t len);
static void wr_sdp_puts(wr_sdp_out_t *o, const char *s);
static void wr_sdp_putstr(wr_sdp_out_t *o, wr_sdp_str_t s);
static void wr_sdp_printf(wr_sdp_out_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static ssize_t wr_sdp_out_done(wr_sdp_out_t *o);


static const char  *wr_sdp_dir_names[] = {
    "sendrecv", "sendrecv", "sendonly", "recvonly", "inactive"
};


/* the feedback lines, in the order Chrome writes them */
static const struct {
    unsigned     flag;
    const char  *name;
} wr_sdp_fbs[] = {
    { WR_SDP_FB_REMB, "goog-remb" },
    { WR_SDP_FB_TWCC, "transport-cc" },
    { WR_SDP_FB_FIR, "ccm fir" },
    { WR_SDP_FB_NACK, "nack" },
    { WR_SDP_FB_PLI, "nack pli" },
};


wr_sdp_rc_t
wr_sdp_negotiate(const wr_sdp_t *offer, const wr_sdp_answer_conf_t *conf,
    wr_sdp_answer_t *answer)
{
    int                           k;
    unsigned                      i, e, mask, flags;
    const wr_sdp_media_t         *m;
    const wr_sdp_codec_t         *c;
    const wr_sdp_codec_pref_t    *prefs;
    size_t                        nprefs;
    wr_sdp_answer_media_t        *am;

    memset(answer, 0, sizeof(wr_sdp_answer_t));

    answer->nmedia = offer->nmedia;

    /*
     * E2EE changes nothing here: payloads are opaque to the server either
     * way, and the flag travels in jsep.  A rule that depends on it (for
     * example preferring codecs that survive whole-frame SFrame, see
     * browser-e2ee.md) belongs in this function.
     */
    answer->e2ee = conf->e2ee;

    for (i = 0; i < offer->nmedia; i++) {
        m = &offer->media[i];
        am = &answer->media[i];

        am->codec = -1;
        am->rtx = -1;
        am->dir = WR_SDP_DIR_INACTIVE;

        if (!wr_sdp_acceptable(offer, i, answer->naccepted)) {
            continue;
        }

        if (m->kind == WR_SDP_KIND_AUDIO) {
            prefs = conf->audio_codecs;
            nprefs = conf->naudio_codecs;

        } else {
            prefs = conf->video_codecs;
            nprefs = conf->nvideo_codecs;
        }

        k = wr_sdp_pick_codec(m, prefs, nprefs, conf->offer_order);
        if (k < 0) {
            continue;
        }

        c = &m->codecs[k];

        am->accepted = 1;
        am->codec = k;
        am->dir = wr_sdp_overlap(conf->dir, m->dir);
        answer->naccepted++;

        for (k = 0; k < (int) m->ncodecs; k++) {
            if (m->codecs[k].pt == c->rtx) {
                am->rtx = k;
                break;
            }
        }

        /*
         * Rids name the simulcast layers in the RTP headers: without the
         * rtp-stream-id extension the layers could not be told apart.
         */
        mask = conf->ext_mask;

        if (conf->simulcast && wr_sdp_send_rids(m) && m->simulcast_send.len
            && m->ext_id[WR_SDP_EXT_RID])
        {
            am->simulcast = 1;
            mask |= WR_SDP_EXT_BIT(WR_SDP_EXT_RID)
                    | WR_SDP_EXT_BIT(WR_SDP_EXT_RRID);
        }

        for (e = 1; e < WR_SDP_EXT_COUNT; e++) {
            if (mask & WR_SDP_EXT_BIT(e)) {
                am->ext_id[e] = m->ext_id[e];
            }
        }

        flags = c->fb_flags & WR_SDP_FB_VIDEO;

        if (am->ext_id[WR_SDP_EXT_TWCC] == 0) {
            flags &= ~WR_SDP_FB_TWCC;
        }

        am->fb_flags = (uint8_t) flags;
    }

    return answer->naccepted ? WR_SDP_OK : WR_SDP_ENOMEDIA;
}


/*
 * What rules an m-line out before codecs are looked at: kinds without
 * RTP (data channels: the server has no SCTP), offers that reject it,
 * profiles without DTLS-SRTP, no rtcp-mux (one port), and m-lines
 * outside the BUNDLE group.  An offer without BUNDLE gets only its first
 * usable m-line, as the server runs one transport per PeerConnection.
 */

static int
wr_sdp_acceptable(const wr_sdp_t *offer, unsigned i, unsigned naccepted)
{
    unsigned               j;
    const wr_sdp_media_t  *m;

    m = &offer->media[i];

    if (m->kind != WR_SDP_KIND_AUDIO && m->kind != WR_SDP_KIND_VIDEO) {
        return 0;
    }

    if (m->port == 0 && !m->bundle_only) {
        return 0;
    }

    if (!wr_sdp_str_eq(m->proto, "UDP/TLS/RTP/SAVPF")
        && !wr_sdp_str_eq(m->proto, "UDP/TLS/RTP/SAVP")
        && !wr_sdp_str_eq(m->proto, "RTP/SAVPF"))
    {
        return 0;
    }

    if (!m->rtcp_mux) {
        return 0;
    }

    if (offer->nbundle == 0) {
        return naccepted == 0;
    }

    for (j = 0; j < offer->nbundle; j++) {
        if (offer->bundle[j].len == m->mid.len
            && memcmp(offer->bundle[j].data, m->mid.data, m->mid.len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static unsigned
wr_sdp_send_rids(const wr_sdp_media_t *m)
{
    unsigned  i, n;

    for (i = 0, n = 0; i < m->nrids; i++) {
        if (m->rids[i].dir == WR_SDP_DIR_SENDONLY) {
            n++;
        }
    }

    return n;
}


/*
 * One codec per m-line, as Janus does.  By default the server's list
 * decides (Janus walks the room's codec list and takes the first payload
 * type offered for it); offer_order lets the offerer's order decide.
 * Among payload types of one name (H.264 profiles) the offer's order
 * wins either way.
 */

static int
wr_sdp_pick_codec(const wr_sdp_media_t *m, const wr_sdp_codec_pref_t *prefs,
    size_t nprefs, unsigned offer_order)
{
    size_t    p;
    unsigned  i;

    if (offer_order) {
        for (i = 0; i < m->ncodecs; i++) {
            for (p = 0; p < nprefs; p++) {
                if (wr_sdp_codec_matches(&m->codecs[i], &prefs[p])) {
                    return i;
                }
            }
        }

        return -1;
    }

    for (p = 0; p < nprefs; p++) {
        for (i = 0; i < m->ncodecs; i++) {
            if (wr_sdp_codec_matches(&m->codecs[i], &prefs[p])) {
                return i;
            }
        }
    }

    return -1;
}


static int
wr_sdp_codec_matches(const wr_sdp_codec_t *c, const wr_sdp_codec_pref_t *pref)
{
    if (pref->name == NULL || c->clock == 0
        || !wr_sdp_str_caseeq(c->name, pref->name))
    {
        return 0;
    }

    return pref->fmtp == NULL || pref->fmtp[0] == '\0'
           || wr_sdp_fmtp_has(c->fmtp, pref->fmtp);
}


/* "profile-id=2" is in "profile-id=2;x=1" but not in "profile-id=20" */

static int
wr_sdp_fmtp_has(wr_sdp_str_t fmtp, const char *param)
{
    size_t       n, len;
    const char  *p, *end, *semi;

    if (fmtp.len == 0) {
        return 0;
    }

    n = strlen(param);
    p = fmtp.data;
    end = fmtp.data + fmtp.len;

    while (p < end) {
        semi = memchr(p, ';', end - p);
        len = (semi ? semi : end) - p;

        while (len && *p == ' ') {
            p++;
            len--;
        }

        while (len && p[len - 1] == ' ') {
            len--;
        }

        if (len == n && strncasecmp(p, param, n) == 0) {
            return 1;
        }

        p = semi ? semi + 1 : end;
    }

    return 0;
}


static int
wr_sdp_sends(wr_sdp_dir_t dir)
{
    return dir == WR_SDP_DIR_SENDRECV || dir == WR_SDP_DIR_SENDONLY;
}


static int
wr_sdp_receives(wr_sdp_dir_t dir)
{
    return dir == WR_SDP_DIR_SENDRECV || dir == WR_SDP_DIR_RECVONLY;
}


/* what the answerer may do given what it wants and what was offered */

static wr_sdp_dir_t
wr_sdp_overlap(wr_sdp_dir_t local, wr_sdp_dir_t remote)
{
    int  send, recv;

    send = wr_sdp_sends(local) && wr_sdp_receives(remote);
    recv = wr_sdp_receives(local) && wr_sdp_sends(remote);

    if (send && recv) {
        return WR_SDP_DIR_SENDRECV;
    }

    if (send) {
        return WR_SDP_DIR_SENDONLY;
    }

    return recv ? WR_SDP_DIR_RECVONLY : WR_SDP_DIR_INACTIVE;
}


ssize_t
wr_sdp_write_answer(const wr_sdp_t *offer, const wr_sdp_answer_conf_t *conf,
    const wr_sdp_answer_t *answer, char *buf, size_t size)
{
    unsigned                      i;
    wr_sdp_rc_t                   rc;
    wr_sdp_out_t                  out;
    const wr_sdp_answer_media_t  *am;

    rc = wr_sdp_check_local(&conf->local);
    if (rc != WR_SDP_OK) {
        return -(ssize_t) rc;
    }

    if (answer->nmedia != offer->nmedia || answer->naccepted == 0) {
        return -WR_SDP_EINVAL;
    }

    /* an answer not made by wr_sdp_negotiate() for this offer */
    for (i = 0; i < answer->nmedia; i++) {
        am = &answer->media[i];

        if (am->accepted
            && (am->codec < 0 || am->codec >= (int) offer->media[i].ncodecs
                || am->rtx >= (int) offer->media[i].ncodecs
                || am->dir == WR_SDP_DIR_NONE
                || am->dir > WR_SDP_DIR_INACTIVE))
        {
            return -WR_SDP_EINVAL;
        }
    }

    out.start = buf;
    out.p = buf;
    out.end = buf + size;
    out.overflow = 0;

    wr_sdp_session(&out, &conf->local);

    wr_sdp_puts(&out, "a=group:BUNDLE");

    for (i = 0; i < offer->nmedia; i++) {
        if (answer->media[i].accepted) {
            wr_sdp_puts(&out, " ");
            wr_sdp_putstr(&out, offer->media[i].mid);
        }
    }

    wr_sdp_puts(&out, "\r\n");

    if (offer->extmap_allow_mixed) {
        wr_sdp_puts(&out, "a=extmap-allow-mixed\r\n");
    }

    wr_sdp_puts(&out, "a=ice-lite\r\n");

    for (i = 0; i < offer->nmedia; i++) {
        wr_sdp_answer_media(&out, offer, conf, answer, i);
    }

    return wr_sdp_out_done(&out);
}


static void
wr_sdp_answer_media(wr_sdp_out_t *o, const wr_sdp_t *offer,
    const wr_sdp_answer_conf_t *conf, const wr_sdp_answer_t *answer,
    unsigned i)
{
    unsigned                      k;
    const char                   *addr;
    wr_sdp_dir_t                  dir;
    const wr_sdp_rid_t           *r;
    const wr_sdp_send_t          *send;
    const wr_sdp_codec_t         *c, *rtx;
    const wr_sdp_media_t         *m;
    const wr_sdp_extmap_t        *e;
    const wr_sdp_answer_media_t  *am;

    m = &offer->media[i];
    am = &answer->media[i];

    if (!am->accepted) {
        /* rejected: port 0, the offered formats, and the mid to match */
        wr_sdp_puts(o, "m=");
        wr_sdp_putstr(o, m->media);
        wr_sdp_puts(o, " 0 ");
        wr_sdp_putstr(o, m->proto);
        wr_sdp_puts(o, " ");
        wr_sdp_putstr(o, m->fmts);
        wr_sdp_puts(o, "\r\nc=IN IP4 0.0.0.0\r\n");

        if (m->mid.len) {
            wr_sdp_puts(o, "a=mid:");
            wr_sdp_putstr(o, m->mid);
            wr_sdp_puts(o, "\r\n");
        }

        return;
    }

    c = &m->codecs[am->codec];
    rtx = am->rtx >= 0 ? &m->codecs[am->rtx] : NULL;
    addr = conf->local.addrs[0];

    wr_sdp_puts(o, "m=");
    wr_sdp_putstr(o, m->media);
    wr_sdp_printf(o, " %u ", (unsigned) conf->local.port);
    wr_sdp_putstr(o, m->proto);
    wr_sdp_printf(o, " %u", (unsigned) c->pt);

    if (rtx) {
        wr_sdp_printf(o, " %u", (unsigned) rtx->pt);
    }

    wr_sdp_printf(o, "\r\nc=IN %s %s\r\n", strchr(addr, ':') ? "IP6" : "IP4",
                  addr);

    wr_sdp_puts(o, "a=mid:");
    wr_sdp_putstr(o, m->mid);
    wr_sdp_puts(o, "\r\n");

    wr_sdp_transport(o, &conf->local, "passive");

    wr_sdp_printf(o, "a=%s\r\n", wr_sdp_dir_names[am->dir]);

    /* kept extensions with the offerer's ids, directions mirrored */
    for (k = 0; k < m->nextmaps; k++) {
        e = &m->extmaps[k];

        if (e->ext == WR_SDP_EXT_UNKNOWN || am->ext_id[e->ext] != e->id) {
            continue;
        }

        dir = e->dir;

        if (dir == WR_SDP_DIR_SENDONLY) {
            dir = WR_SDP_DIR_RECVONLY;

        } else if (dir == WR_SDP_DIR_RECVONLY) {
            dir = WR_SDP_DIR_SENDONLY;
        }

        wr_sdp_printf(o, "a=extmap:%u", (unsigned) e->id);

        if (dir != WR_SDP_DIR_NONE) {
            wr_sdp_printf(o, "/%s", wr_sdp_dir_names[dir]);
        }

        wr_sdp_puts(o, " ");
        wr_sdp_putstr(o, e->uri);
        wr_sdp_puts(o, "\r\n");
    }

    if (m->extmap_allow_mixed) {
        wr_sdp_puts(o, "a=extmap-allow-mixed\r\n");
    }

    send = NULL;

    if (conf->send && i < conf->nsend && conf->send[i].ssrc
        && wr_sdp_sends(am->dir))
    {
        send = &conf->send[i];
    }

    if (send && send->msid_stream) {
        wr_sdp_printf(o, "a=msid:%s %s\r\n", send->msid_stream,
                      send->msid_track ? send->msid_track : "-");
    }

    wr_sdp_puts(o, "a=rtcp-mux\r\n");

    if (m->rtcp_rsize) {
        wr_sdp_puts(o, "a=rtcp-rsize\r\n");
    }

    wr_sdp_printf(o, "a=rtpmap:%u ", (unsigned) c->pt);
    wr_sdp_putstr(o, c->name);
    wr_sdp_printf(o, "/%" PRIu32, c->clock);

    if (c->channels) {
        wr_sdp_printf(o, "/%u", (unsigned) c->channels);
    }

    wr_sdp_puts(o, "\r\n");

    wr_sdp_fb(o, c->pt, am->fb_flags);

    if (c->fmtp.len) {
        wr_sdp_printf(o, "a=fmtp:%u ", (unsigned) c->pt);
        wr_sdp_putstr(o, c->fmtp);
        wr_sdp_puts(o, "\r\n");
    }

    if (rtx) {
        wr_sdp_printf(o, "a=rtpmap:%u ", (unsigned) rtx->pt);
        wr_sdp_putstr(o, rtx->name);
        wr_sdp_printf(o, "/%" PRIu32 "\r\na=fmtp:%u apt=%u\r\n", rtx->clock,
                      (unsigned) rtx->pt, (unsigned) c->pt);
    }

    if (am->simulcast) {
        for (k = 0; k < m->nrids; k++) {
            r = &m->rids[k];

            if (r->dir == WR_SDP_DIR_SENDONLY) {
                wr_sdp_puts(o, "a=rid:");
                wr_sdp_putstr(o, r->id);
                wr_sdp_puts(o, " recv\r\n");
            }
        }

        wr_sdp_puts(o, "a=simulcast:recv ");
        wr_sdp_putstr(o, m->simulcast_send);
        wr_sdp_puts(o, "\r\n");
    }

    if (send) {
        wr_sdp_ssrcs(o, conf->local.cname, send->ssrc,
                     rtx ? send->rtx_ssrc : 0, send->msid_stream,
                     send->msid_track);
    }

    wr_sdp_candidates(o, &conf->local);
}


ssize_t
wr_sdp_write_offer(const wr_sdp_offer_conf_t *conf, char *buf, size_t size)
{
    size_t                       i, j;
    wr_sdp_rc_t                  rc;
    wr_sdp_out_t                 out;
    const wr_sdp_offer_media_t  *om;

    rc = wr_sdp_check_local(&conf->local);
    if (rc != WR_SDP_OK) {
        return -(ssize_t) rc;
    }

    if (conf->nmedia == 0 || conf->nmedia > WR_SDP_MAX_MEDIA) {
        return -WR_SDP_EINVAL;
    }

    for (i = 0; i < conf->nmedia; i++) {
        om = &conf->media[i];

        if ((om->kind != WR_SDP_KIND_AUDIO && om->kind != WR_SDP_KIND_VIDEO)
            || !wr_sdp_cstr_ok(om->mid, 1, WR_SDP_MAX_MID, 0)
            || !wr_sdp_cstr_ok(om->codec, 1, 64, 0)
            || om->pt > 127 || om->rtx_pt > 127 || om->clock == 0
            || (om->rtx_pt && om->rtx_pt == om->pt)
            || om->dir == WR_SDP_DIR_NONE || om->dir > WR_SDP_DIR_INACTIVE
            || (om->fmtp && !wr_sdp_cstr_ok(om->fmtp, 1, 1024, 1))
            || (om->msid_stream && !wr_sdp_cstr_ok(om->msid_stream, 1, 64, 0))
            || (om->msid_track && !wr_sdp_cstr_ok(om->msid_track, 1, 64, 0)))
        {
            return -WR_SDP_EINVAL;
        }

        for (j = 0; j < i; j++) {
            if (strcmp(conf->media[j].mid, om->mid) == 0) {
                return -WR_SDP_EINVAL;
            }
        }

        for (j = 1; j < WR_SDP_EXT_COUNT; j++) {
            if (om->ext_id[j] > 255) {
                return -WR_SDP_EINVAL;
            }
        }
    }

    out.start = buf;
    out.p = buf;
    out.end = buf + size;
    out.overflow = 0;

    wr_sdp_session(&out, &conf->local);

    wr_sdp_puts(&out, "a=group:BUNDLE");

    for (i = 0; i < conf->nmedia; i++) {
        wr_sdp_printf(&out, " %s", conf->media[i].mid);
    }

    /*
     * Forwarded packets keep the publisher's extensions, and a dependency
     * descriptor does not always fit the one-byte form.
     */
    wr_sdp_puts(&out, "\r\na=extmap-allow-mixed\r\na=ice-lite\r\n");

    for (i = 0; i < conf->nmedia; i++) {
        wr_sdp_offer_media(&out, &conf->local, &conf->media[i]);
    }

    return wr_sdp_out_done(&out);
}


static void
wr_sdp_offer_media(wr_sdp_out_t *o, const wr_sdp_local_t *l,
    const wr_sdp_offer_media_t *om)
{
    unsigned     e, flags;
    const char  *addr;
    int          sending;

    addr = l->addrs[0];
    sending = wr_sdp_sends(om->dir);

    wr_sdp_printf(o, "m=%s %u UDP/TLS/RTP/SAVPF %u",
                  om->kind == WR_SDP_KIND_AUDIO ? "audio" : "video",
                  (unsigned) l->port, (unsigned) om->pt);

    if (om->rtx_pt) {
        wr_sdp_printf(o, " %u", (unsigned) om->rtx_pt);
    }

    wr_sdp_printf(o, "\r\nc=IN %s %s\r\na=mid:%s\r\n",
                  strchr(addr, ':') ? "IP6" : "IP4", addr, om->mid);

    wr_sdp_transport(o, l, "actpass");

    wr_sdp_printf(o, "a=%s\r\n", wr_sdp_dir_names[om->dir]);

    for (e = 1; e < WR_SDP_EXT_COUNT; e++) {
        if (om->ext_id[e]) {
            wr_sdp_printf(o, "a=extmap:%u %s\r\n", (unsigned) om->ext_id[e],
                          wr_sdp_ext_uri(e));
        }
    }

    if (sending && om->msid_stream) {
        wr_sdp_printf(o, "a=msid:%s %s\r\n", om->msid_stream,
                      om->msid_track ? om->msid_track : "-");
    }

    wr_sdp_printf(o, "a=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:%u %s/%" PRIu32,
                  (unsigned) om->pt, om->codec, om->clock);

    if (om->channels) {
        wr_sdp_printf(o, "/%u", (unsigned) om->channels);
    }

    wr_sdp_puts(o, "\r\n");

    flags = om->fb_flags;

    if (om->ext_id[WR_SDP_EXT_TWCC] == 0) {
        flags &= ~WR_SDP_FB_TWCC;
    }

    wr_sdp_fb(o, om->pt, flags);

    if (om->fmtp) {
        wr_sdp_printf(o, "a=fmtp:%u %s\r\n", (unsigned) om->pt, om->fmtp);
    }

    if (om->rtx_pt) {
        wr_sdp_printf(o, "a=rtpmap:%u rtx/%" PRIu32 "\r\na=fmtp:%u apt=%u\r\n",
                      (unsigned) om->rtx_pt, om->clock,
                      (unsigned) om->rtx_pt, (unsigned) om->pt);
    }

    if (sending && om->ssrc) {
        wr_sdp_ssrcs(o, l->cname, om->ssrc, om->rtx_pt ? om->rtx_ssrc : 0,
                     om->msid_stream, om->msid_track);
    }

    wr_sdp_candidates(o, l);
}


static void
wr_sdp_session(wr_sdp_out_t *o, const wr_sdp_local_t *l)
{
    wr_sdp_printf(o, "v=0\r\no=- %" PRIu64 " %" PRIu64 " IN IP4 127.0.0.1\r\n"
                  "s=%s\r\nt=0 0\r\n", l->session_id, l->session_version,
                  l->session_name ? l->session_name : "-");
}


static void
wr_sdp_transport(wr_sdp_out_t *o, const wr_sdp_local_t *l, const char *setup)
{
    unsigned  i;

    wr_sdp_printf(o, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:sha-256 ",
                  l->ice_ufrag, l->ice_pwd);

    for (i = 0; i < WR_SDP_SHA256_LEN; i++) {
        wr_sdp_printf(o, i ? ":%02X" : "%02X", l->fingerprint[i]);
    }

    wr_sdp_printf(o, "\r\na=setup:%s\r\n", setup);
}


/*
 * Host candidates only (ICE-lite), one per announced address, all on the
 * media port; earlier addresses get higher priorities.
 */

static void
wr_sdp_candidates(wr_sdp_out_t *o, const wr_sdp_local_t *l)
{
    size_t    i;
    uint32_t  prio;

    for (i = 0; i < l->naddrs; i++) {
        prio = (126u << 24) | ((uint32_t) (65535 - i) << 8) | 255;

        wr_sdp_printf(o, "a=candidate:%u 1 udp %" PRIu32 " %s %u typ host\r\n",
                      (unsigned) (i + 1), prio, l->addrs[i],
                      (unsigned) l->port);
    }

    wr_sdp_puts(o, "a=end-of-candidates\r\n");
}


static void
wr_sdp_fb(wr_sdp_out_t *o, unsigned pt, unsigned flags)
{
    size_t  i;

    for (i = 0; i < sizeof(wr_sdp_fbs) / sizeof(wr_sdp_fbs[0]); i++) {
        if (flags & wr_sdp_fbs[i].flag) {
            wr_sdp_printf(o, "a=rtcp-fb:%u %s\r\n", pt, wr_sdp_fbs[i].name);
        }
    }
}


static void
wr_sdp_ssrcs(wr_sdp_out_t *o, const char *cname, uint32_t ssrc,
    uint32_t rtx_ssrc, const char *stream, const char *track)
{
    unsigned  i;
    uint32_t  s;

    if (cname == NULL) {
        cname = "wr";
    }

    if (rtx_ssrc) {
        wr_sdp_printf(o, "a=ssrc-group:FID %" PRIu32 " %" PRIu32 "\r\n",
                      ssrc, rtx_ssrc);
    }

    for (i = 0; i < 2; i++) {
        s = i ? rtx_ssrc : ssrc;

        if (s == 0) {
            continue;
        }

        wr_sdp_printf(o, "a=ssrc:%" PRIu32 " cname:%s\r\n", s, cname);

        if (stream) {
            wr_sdp_printf(o, "a=ssrc:%" PRIu32 " msid:%s %s\r\n", s, stream,
                          track ? track : "-");
        }
    }
}


/* values from the configuration end up inside SDP lines: check them */

static wr_sdp_rc_t
wr_sdp_check_local(const wr_sdp_local_t *l)
{
    size_t  i;

    if (!wr_sdp_ice_ok(l->ice_ufrag, 4) || !wr_sdp_ice_ok(l->ice_pwd, 22)
        || l->fingerprint == NULL || l->naddrs == 0 || l->addrs == NULL
        || l->port == 0
        || (l->session_name && !wr_sdp_cstr_ok(l->session_name, 1, 128, 1))
        || (l->cname && !wr_sdp_cstr_ok(l->cname, 1, 64, 0)))
    {
        return WR_SDP_EINVAL;
    }

    for (i = 0; i < l->naddrs; i++) {
        if (!wr_sdp_addr_ok(l->addrs[i])) {
            return WR_SDP_EINVAL;
        }
    }

    return WR_SDP_OK;
}


static int
wr_sdp_cstr_ok(const char *s, size_t min, size_t max, int space)
{
    size_t         n;
    unsigned char  c;

    if (s == NULL) {
        return 0;
    }

    for (n = 0; s[n]; n++) {
        c = (unsigned char) s[n];

        if (c < 0x20 || c >= 0x7f || (c == ' ' && !space)) {
            return 0;
        }
    }

    return n >= min && n <= max;
}


static int
wr_sdp_ice_ok(const char *s, size_t min)
{
    size_t  n;
    char    c;

    if (s == NULL) {
        return 0;
    }

    for (n = 0; s[n]; n++) {
        c = s[n];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '+' || c == '/'))
        {
            return 0;
        }
    }

    return n >= min && n <= 256;
}


/* a literal IPv4 or IPv6 address: digits, hex, dots and colons only */

static int
wr_sdp_addr_ok(const char *s)
{
    size_t  n;
    char    c;
    int     dot, colon;

    if (s == NULL) {
        return 0;
    }

    dot = 0;
    colon = 0;

    for (n = 0; s[n]; n++) {
        c = s[n];

        if (c == '.') {
            dot = 1;

        } else if (c == ':') {
            colon = 1;

        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
                     || (c >= 'A' && c <= 'F')))
        {
            return 0;
        }
    }

    return n >= 2 && n <= 45 && (dot || colon);
}


static void
wr_sdp_put(wr_sdp_out_t *o, const char *s, size_t len)
{
    if (len == 0) {
        return;
    }

    if (o->overflow || (size_t) (o->end - o->p) < len) {
        o->overflow = 1;
        return;
    }

    memcpy(o->p, s, len);
    o->p += len;
}


static void
wr_sdp_puts(wr_sdp_out_t *o, const char *s)
{
    wr_sdp_put(o, s, strlen(s));
}


static void
wr_sdp_putstr(wr_sdp_out_t *o, wr_sdp_str_t s)
{
    wr_sdp_put(o, s.data, s.len);
}


static void
wr_sdp_printf(wr_sdp_out_t *o, const char *fmt, ...)
{
    int      n;
    size_t   room;
    va_list  ap;

    if (o->overflow) {
        return;
    }

    room = o->end - o->p;

    va_start(ap, fmt);
    n = vsnprintf(o->p, room, fmt, ap);
    va_end(ap);

    /* vsnprintf needs room for its NUL, which is not part of the output */
    if (n < 0 || (size_t) n >= room) {
        o->overflow = 1;
        return;
    }

    o->p += n;
}


static ssize_t
wr_sdp_out_done(wr_sdp_out_t *o)
{
    if (o->overflow || o->p == o->end) {
        return -WR_SDP_ENOSPACE;
    }

    *o->p = '\0';

    return o->p - o->start;
}
