/*
 * One PeerConnection: a libnice agent (controlling, one bundled rtcp-muxed
 * component) and what arrives on it, demultiplexed to DTLS (wp_dtls.c) or
 * SRTP media (wp_media.c). Offers and answers are built here from wp_sdp_t.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <glib-unix.h>
#include <nice.h>

#include "wr_peer.h"


#define WP_PROTO       "UDP/TLS/RTP/SAVPF"
#define WP_PT_OPUS     111
#define WP_PT_VP8      96
#define WP_PT_RTX      97


static NiceAgent *wp_pc_agent_new(void);
static void wp_pc_gathering_done(NiceAgent *agent, guint stream,
    gpointer data);
static void wp_pc_state(NiceAgent *agent, guint stream, guint comp,
    guint state, gpointer data);
static void wp_pc_recv(NiceAgent *agent, guint stream, guint comp, guint len,
    gchar *buf, gpointer data);
static void wp_pc_input(wp_pc_t *pc, const uint8_t *buf, size_t len);
static void wp_pc_local(wp_pc_t *pc, wp_sdp_m_t *m, const char *setup);
static int wp_pc_remote(wp_pc_t *pc, int we_active);


/*
 * Consent freshness (RFC 7675): a check every 4-6 s on the selected pair,
 * which is what browsers do and what an ICE-lite server must answer to
 * keep the session alive. libnice before 0.1.22 declares consent lost 10 s
 * after the last answer, not 30 s, and sends each check once: a single
 * check lost to a full socket buffer on a loaded machine then fails the
 * PeerConnection about half the time (the next check comes 4-6 s later,
 * often past the 10 s). There the agent sends the same checks as plain
 * keepalive connectivity checks, which it gives up on after 50 s.
 */
static NiceAgent *
wp_pc_agent_new(void)
{
    NiceAgent  *agent;

#if NICE_CHECK_VERSION(0, 1, 22)
    agent = nice_agent_new_full(g_main_context_default(),
                                NICE_COMPATIBILITY_RFC5245,
                                NICE_AGENT_OPTION_CONSENT_FRESHNESS);
#else
    agent = nice_agent_new_full(g_main_context_default(),
                                NICE_COMPATIBILITY_RFC5245, 0);
    g_object_set(agent, "keepalive-conncheck", TRUE, NULL);
#endif

    return agent;
}


wp_pc_t *
wp_pc_new(wp_peer_t *peer, const char *name)
{
    wp_pc_t     *pc;
    NiceAddress  addr;
    gchar       *ufrag, *pwd;

    pc = g_new0(wp_pc_t, 1);
    pc->peer = peer;
    g_strlcpy(pc->name, name, sizeof(pc->name));
    pc->t_start = wp_now();
    pc->local_ssrc = g_random_int() | 1;
    pc->fd = -1;
    g_ptr_array_add(peer->pcs, pc);

    pc->agent = wp_pc_agent_new();
    g_object_set(pc->agent, "controlling-mode", TRUE, "ice-tcp", FALSE,
                 NULL);

    if (g_object_class_find_property(G_OBJECT_GET_CLASS(pc->agent), "upnp")) {
        g_object_set(pc->agent, "upnp", FALSE, NULL);
    }

    if (peer->opts.local_ip) {
        /* also the way to get loopback, which libnice skips by default */
        nice_address_init(&addr);
        if (!nice_address_set_from_string(&addr, peer->opts.local_ip)) {
            wp_fail(peer, "bad --local-ip %s", peer->opts.local_ip);
            return pc;
        }

        nice_agent_add_local_address(pc->agent, &addr);
    }

    g_signal_connect(pc->agent, "candidate-gathering-done",
                     G_CALLBACK(wp_pc_gathering_done), pc);
    g_signal_connect(pc->agent, "component-state-changed",
                     G_CALLBACK(wp_pc_state), pc);

    pc->stream = nice_agent_add_stream(pc->agent, 1);

    if (peer->opts.local_port) {
        /* only the first PeerConnection: the others keep their own ports */
        nice_agent_set_port_range(pc->agent, pc->stream, 1,
                                  peer->opts.local_port,
                                  peer->opts.local_port);
        peer->opts.local_port = 0;
    }

    nice_agent_attach_recv(pc->agent, pc->stream, 1,
                           g_main_context_default(), wp_pc_recv, pc);

    if (nice_agent_get_local_credentials(pc->agent, pc->stream, &ufrag,
                                         &pwd))
    {
        g_strlcpy(pc->ufrag, ufrag, sizeof(pc->ufrag));
        g_strlcpy(pc->pwd, pwd, sizeof(pc->pwd));
        g_free(ufrag);
        g_free(pwd);
    }

    if (!nice_agent_gather_candidates(pc->agent, pc->stream)) {
        wp_fail(peer, "%s: cannot gather ICE candidates", pc->name);
    }

    return pc;
}


int
wp_pc_gathered(void *arg)
{
    wp_pc_t  *pc = arg;

    return pc->gathered || pc->peer->failed;
}


static void
wp_pc_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
    wp_pc_t  *pc = data;

    pc->gathered = 1;
}


static void
wp_pc_state(NiceAgent *agent, guint stream, guint comp, guint state,
    gpointer data)
{
    wp_pc_t  *pc = data;

    pc->ice_state = state;
    wp_log(pc->peer, "%s: ICE %s", pc->name,
           nice_component_state_to_string(state));

    if ((state == NICE_COMPONENT_STATE_CONNECTED
         || state == NICE_COMPONENT_STATE_READY) && pc->t_ice == 0)
    {
        pc->t_ice = wp_now();
        wp_dtls_connect(pc);
    }

    if (state == NICE_COMPONENT_STATE_FAILED) {
        wp_fail(pc->peer, "%s: ICE failed", pc->name);
    }
}


static void
wp_pc_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
    gpointer data)
{
    wp_pc_input(data, (const uint8_t *) buf, len);
}


/* RFC 7983 demultiplexing by the first byte */
static void
wp_pc_input(wp_pc_t *pc, const uint8_t *buf, size_t len)
{
    uint8_t   b0, pkt[WP_PKT_MAX];

    if (len == 0) {
        return;
    }

    b0 = buf[0];

    if (b0 >= 20 && b0 <= 63) {
        wp_dtls_input(pc, buf, len);
        return;
    }

    if (b0 < 128 || b0 > 191 || len < 12 || len > sizeof(pkt) || !pc->up) {
        return;
    }

    /* SRTP works in place and the agent's buffer is not ours */
    memcpy(pkt, buf, len);

    if (buf[1] >= 192 && buf[1] <= 223) {
        wp_media_rtcp_in(pc, pkt, len);

    } else {
        wp_media_rtp_in(pc, pkt, len);
    }
}


static void
wp_pc_transmit(wp_pc_t *pc, const uint8_t *p, size_t n)
{
    if (pc->agent) {
        (void) nice_agent_send(pc->agent, pc->stream, 1, n,
                               (const gchar *) p);

    } else if (pc->fd >= 0) {
        (void) sendto(pc->fd, p, n, 0, (struct sockaddr *) &pc->raddr,
                      pc->raddr_len);
    }
}


/*
 * Every datagram leaves here. The server-facing faults are injected on
 * SRTP (not SRTCP, not DTLS) packets as they are on the wire, after
 * protection: --inject-bad-srtp breaks the authentication tag's last byte,
 * --replay sends the packet a second time, unchanged.
 */
void
wp_pc_send(wp_pc_t *pc, const uint8_t *p, size_t n)
{
    int         copies;
    uint8_t     bad[WP_PKT_MAX];
    wp_opts_t  *o = &pc->peer->opts;

    copies = 1;

    if (n >= 12 && p[0] >= 128 && p[0] <= 191
        && !(p[1] >= 192 && p[1] <= 223))
    {
        pc->srtp_out++;

        if (o->inject_bad_srtp && pc->srtp_out % o->inject_bad_srtp == 0
            && n <= sizeof(bad))
        {
            memcpy(bad, p, n);
            bad[n - 1] ^= 0x5a;
            p = bad;
            pc->injected_bad++;
        }

        if (o->replay && pc->srtp_out % o->replay == 0) {
            copies = 2;
            pc->injected_replays++;
        }
    }

    while (copies--) {
        wp_pc_transmit(pc, p, n);
    }
}


/* ---- --stop-consent ------------------------------------------------------ */

static gboolean
wp_pc_fd_in(gint fd, GIOCondition cond, gpointer data)
{
    ssize_t   n;
    uint8_t   buf[2048];
    wp_pc_t  *pc = data;

    for ( ;; ) {
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                wp_fail(pc->peer, "%s: recv: %s", pc->name,
                        g_strerror(errno));
                pc->fd_watch = 0;
                return G_SOURCE_REMOVE;
            }

            return G_SOURCE_CONTINUE;
        }

        wp_pc_input(pc, buf, n);
    }
}


/*
 * libnice keeps consent fresh with a check every few seconds and has no
 * switch to stop that on a live stream. So the agent goes, and media goes
 * on over a duplicate of its socket on the selected pair: the server sees
 * the same address and port, and from now on never a STUN packet.
 */
void
wp_pc_stop_consent(wp_pc_t *pc)
{
    int             fd;
    GSocket        *gs;
    NiceCandidate  *local, *remote;

    if (pc->agent == NULL) {
        return;
    }

    gs = nice_agent_get_selected_socket(pc->agent, pc->stream, 1);

    if (gs == NULL
        || !nice_agent_get_selected_pair(pc->agent, pc->stream, 1, &local,
                                         &remote))
    {
        wp_fail(pc->peer, "%s: --stop-consent: no selected pair", pc->name);
        if (gs) {
            g_object_unref(gs);
        }

        return;
    }

    fd = dup(g_socket_get_fd(gs));
    g_object_unref(gs);

    if (fd < 0) {
        wp_fail(pc->peer, "%s: dup: %s", pc->name, g_strerror(errno));
        return;
    }

    memset(&pc->raddr, 0, sizeof(pc->raddr));
    nice_address_copy_to_sockaddr(&remote->addr,
                                  (struct sockaddr *) &pc->raddr);
    pc->raddr_len = nice_address_ip_version(&remote->addr) == 6
                    ? sizeof(struct sockaddr_in6)
                    : sizeof(struct sockaddr_in);

    g_signal_handlers_disconnect_by_data(pc->agent, pc);
    nice_agent_attach_recv(pc->agent, pc->stream, 1,
                           g_main_context_default(), NULL, NULL);
    nice_agent_remove_stream(pc->agent, pc->stream);
    g_object_unref(pc->agent);
    pc->agent = NULL;

    pc->fd = fd;
    pc->fd_watch = g_unix_fd_add(fd, G_IO_IN, wp_pc_fd_in, pc);
    wp_log(pc->peer, "%s: ICE agent stopped, no more consent checks",
           pc->name);
}


/* ---- offer and answer ---------------------------------------------------- */

static void
wp_pc_add_tx(wp_pc_t *pc, wp_sdp_m_t *m, char kind, int pt)
{
    wp_tx_t  *t;

    t = &pc->tx[pc->ntx++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->ssrc = g_random_int() | 1;
    t->pt = pt;
    t->rtp_seq = g_random_int() & 0x7fff;
    t->ts_base = g_random_int();
    t->interval_us = (kind == 'a') ? 1000000 / pc->peer->opts.audio_pps
                                   : 1000000 / pc->peer->opts.fps;
    g_strlcpy(t->mid, m->mid, sizeof(t->mid));

    m->ssrc[m->nssrc++] = t->ssrc;
    g_strlcpy(m->cname, "wr-peer", sizeof(m->cname));

    if (kind == 'v' && pc->peer->opts.rtx) {
        t->rtx_ssrc = g_random_int() | 1;
        t->rtx_seq = g_random_int() & 0x7fff;
        m->ssrc[m->nssrc++] = t->rtx_ssrc;
        m->fid = 1;
    }
}


/* the payload type of an rtx codec in m that repairs pt, or -1 */
static int
wp_pc_rtx_for(const wp_sdp_m_t *m, int pt)
{
    int   i;
    char  apt[16];

    snprintf(apt, sizeof(apt), "apt=%d", pt);

    for (i = 0; i < m->npt; i++) {
        if (strcasecmp(m->pt[i].codec, "rtx") == 0
            && strcmp(m->pt[i].fmtp, apt) == 0)
        {
            return m->pt[i].pt;
        }
    }

    return -1;
}


/* RTX will arrive with payload type pt: what its checks need */
static void
wp_pc_rtx_receive(wp_pc_t *pc, int pt)
{
    pc->pt_kind[pt] = 'r';

    if (pc->rtx_seen == NULL) {
        pc->rtx_seen = g_new0(wp_rtx_seen_t, WP_RTX_HIST);
        pc->rtx_due = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                            g_free, NULL);
    }
}


static void
wp_pc_local(wp_pc_t *pc, wp_sdp_m_t *m, const char *setup)
{
    char            ip[NICE_ADDRESS_STRING_LEN];
    GSList         *l, *i;
    const char     *typ;
    NiceCandidate  *c;

    g_strlcpy(m->ufrag, pc->ufrag, sizeof(m->ufrag));
    g_strlcpy(m->pwd, pc->pwd, sizeof(m->pwd));
    g_strlcpy(m->fp_alg, "sha-256", sizeof(m->fp_alg));
    g_strlcpy(m->fp, pc->peer->fingerprint, sizeof(m->fp));

    if (pc->peer->opts.bad_fingerprint) {
        /* still well formed: only the first digit differs */
        m->fp[0] = (m->fp[0] == '0') ? '1' : '0';
    }
    g_strlcpy(m->setup, setup, sizeof(m->setup));
    m->rtcp_mux = 1;

    l = nice_agent_get_local_candidates(pc->agent, pc->stream, 1);

    for (i = l; i && m->ncand < WP_SDP_MAX_CAND; i = i->next) {
        c = i->data;
        if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP) {
            continue;
        }

        switch (c->type) {
        case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: typ = "srflx"; break;
        case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:   typ = "prflx"; break;
        case NICE_CANDIDATE_TYPE_RELAYED:          typ = "relay"; break;
        default:                                   typ = "host";
        }

        nice_address_to_string(&c->addr, ip);
        snprintf(m->cand[m->ncand++], sizeof(m->cand[0]),
                 "candidate:%s 1 udp %u %s %u typ %s", c->foundation,
                 c->priority, ip, nice_address_get_port(&c->addr), typ);
    }

    g_slist_free_full(l, (GDestroyNotify) nice_candidate_free);

    if (m->ncand == 0) {
        wp_fail(pc->peer, "%s: no local ICE candidate (only loopback? "
                "try --local-ip 127.0.0.1)", pc->name);
    }
}


/* audio and/or video as the options say; send and recv pick the direction */
char *
wp_pc_offer(wp_pc_t *pc, int send, int recv)
{
    char         *sdp;
    wp_sdp_t     *s;
    wp_sdp_m_t   *m;
    wp_sdp_pt_t  *p;
    const char   *dir;
    wp_opts_t    *o = &pc->peer->opts;

    s = g_new0(wp_sdp_t, 1);
    dir = (send && recv) ? "sendrecv" : send ? "sendonly" : "recvonly";
    pc->receiving = recv;

    if (o->audio_pps > 0) {
        m = &s->m[s->nm];
        g_strlcpy(m->kind, "audio", sizeof(m->kind));
        p = &m->pt[m->npt++];
        p->pt = WP_PT_OPUS;
        g_strlcpy(p->codec, "opus", sizeof(p->codec));
        p->rate = 48000;
        p->channels = 2;
        g_strlcpy(p->fmtp, "minptime=10;useinbandfec=1", sizeof(p->fmtp));
        pc->pt_kind[WP_PT_OPUS] = 'a';
        s->nm++;
    }

    if (o->video_kbps > 0) {
        m = &s->m[s->nm];
        g_strlcpy(m->kind, "video", sizeof(m->kind));
        p = &m->pt[m->npt++];
        p->pt = WP_PT_VP8;
        g_strlcpy(p->codec, "VP8", sizeof(p->codec));
        p->rate = 90000;
        p->nack = 1;
        p->pli = 1;
        p->fir = 1;
        pc->pt_kind[WP_PT_VP8] = 'v';

        if (o->rtx) {
            p = &m->pt[m->npt++];
            p->pt = WP_PT_RTX;
            g_strlcpy(p->codec, "rtx", sizeof(p->codec));
            p->rate = 90000;
            snprintf(p->fmtp, sizeof(p->fmtp), "apt=%d", WP_PT_VP8);

            if (recv) {
                /* an echo: our own copies come back */
                wp_pc_rtx_receive(pc, WP_PT_RTX);
            }
        }

        s->nm++;
    }

    for (m = s->m; m < s->m + s->nm; m++) {
        m->port = 9;
        g_strlcpy(m->proto, WP_PROTO, sizeof(m->proto));
        snprintf(m->mid, sizeof(m->mid), "%d", (int) (m - s->m));
        g_strlcpy(m->dir, dir, sizeof(m->dir));
        m->mid_ext = 1;

        if (send) {
            wp_pc_add_tx(pc, m, m->kind[0], m->pt[0].pt);
        }

        wp_pc_local(pc, m, o->setup ? o->setup : "actpass");
    }

    sdp = wp_sdp_write(s);
    g_free(s);
    return sdp;
}


int
wp_pc_set_answer(wp_pc_t *pc, const char *text)
{
    int          i, k, send_back;
    char         err[256];
    wp_tx_t     *t;
    wp_sdp_m_t  *m;
    const char  *setup;

    pc->remote = g_new0(wp_sdp_t, 1);

    if (wp_sdp_parse(pc->remote, text, err, sizeof(err)) != 0) {
        wp_fail(pc->peer, "%s: bad answer: %s", pc->name, err);
        return -1;
    }

    /* m-lines pair up with ours by position */
    for (i = 0; i < pc->remote->nm; i++) {
        m = &pc->remote->m[i];
        send_back = m->port != 0 && (strcmp(m->dir, "sendrecv") == 0
                                     || strcmp(m->dir, "sendonly") == 0);

        for (k = 0; k < pc->ntx; k++) {
            t = &pc->tx[k];
            if (strcmp(t->mid, m->mid) != 0) {
                continue;
            }

            t->mid_ext = m->mid_ext;
            t->rtx_pt = t->rtx_ssrc ? wp_pc_rtx_for(m, t->pt) : -1;
            t->rtx_pt = t->rtx_pt > 0 ? t->rtx_pt : 0;

            if (t->rtx_pt && pc->peer->opts.send_rtx && t->rtx_q == NULL) {
                t->rtx_q = g_new0(wp_rtx_copy_t, WP_RTX_QUEUE);
            }

            if (m->port == 0 || strcmp(m->dir, "sendonly") == 0
                || strcmp(m->dir, "inactive") == 0)
            {
                /* rejected, or the server will not receive it */
                t->interval_us = 0;
            }
        }

        if (pc->receiving && send_back) {
            if (strcmp(m->kind, "audio") == 0) {
                pc->expect_audio = 1;

            } else if (strcmp(m->kind, "video") == 0) {
                pc->expect_video = 1;
            }
        }
    }

    setup = wp_sdp_attr(pc->remote, &pc->remote->m[0], "setup");

    /* their active makes us the DTLS server; passive (and anything else,
     * as actpass is not a valid answer) makes us the client */
    return wp_pc_remote(pc, strcmp(setup, "active") != 0);
}


static int
wp_pc_choose(const wp_sdp_m_t *m)
{
    int          i;
    const char  *want;

    want = strcmp(m->kind, "audio") == 0 ? "opus" : "VP8";

    for (i = 0; i < m->npt; i++) {
        if (strcasecmp(m->pt[i].codec, want) == 0) {
            return i;
        }
    }

    return -1;
}


/* answers a server offer (a subscription): receive only */
char *
wp_pc_answer(wp_pc_t *pc, const char *offer)
{
    int           i, k, rtx;
    char          err[256], *sdp;
    wp_sdp_t     *s;
    wp_sdp_m_t   *m, *om;
    const char   *rsetup, *setup;

    pc->remote = g_new0(wp_sdp_t, 1);
    pc->receiving = 1;

    if (wp_sdp_parse(pc->remote, offer, err, sizeof(err)) != 0) {
        wp_fail(pc->peer, "%s: bad offer: %s", pc->name, err);
        return NULL;
    }

    rsetup = wp_sdp_attr(pc->remote, &pc->remote->m[0], "setup");
    if (pc->peer->opts.setup) {
        setup = pc->peer->opts.setup;

    } else {
        setup = strcmp(rsetup, "active") == 0 ? "passive" : "active";
    }

    s = g_new0(wp_sdp_t, 1);
    s->nm = pc->remote->nm;

    for (i = 0; i < s->nm; i++) {
        om = &pc->remote->m[i];
        m = &s->m[i];

        g_strlcpy(m->kind, om->kind, sizeof(m->kind));
        g_strlcpy(m->proto, om->proto, sizeof(m->proto));
        g_strlcpy(m->mid, om->mid, sizeof(m->mid));

        k = (om->port != 0) ? wp_pc_choose(om) : -1;

        if (k < 0) {
            m->port = 0;
            m->npt = 1;
            m->pt[0].pt = om->npt ? om->pt[0].pt : 0;
            continue;
        }

        m->port = 9;
        m->npt = 1;
        m->pt[0] = om->pt[k];
        m->mid_ext = om->mid_ext;
        rtx = pc->peer->opts.rtx ? wp_pc_rtx_for(om, om->pt[k].pt) : -1;

        if (strcmp(om->dir, "sendonly") == 0
            || strcmp(om->dir, "sendrecv") == 0)
        {
            g_strlcpy(m->dir, "recvonly", sizeof(m->dir));
            pc->pt_kind[om->pt[k].pt] = om->kind[0];

            if (rtx > 0 && om->kind[0] == 'v') {
                /* accepted: the packets of its pt are checked as RTX */
                m->pt[m->npt].pt = rtx;
                g_strlcpy(m->pt[m->npt].codec, "rtx",
                          sizeof(m->pt[0].codec));
                m->pt[m->npt].rate = om->pt[k].rate;
                snprintf(m->pt[m->npt].fmtp, sizeof(m->pt[0].fmtp),
                         "apt=%d", om->pt[k].pt);
                m->npt++;
                wp_pc_rtx_receive(pc, rtx);
            }

            if (om->kind[0] == 'a') {
                pc->expect_audio = 1;

            } else {
                pc->expect_video = 1;
            }

        } else {
            g_strlcpy(m->dir, "inactive", sizeof(m->dir));
        }

        wp_pc_local(pc, m, setup);
    }

    sdp = wp_sdp_write(s);
    g_free(s);

    if (wp_pc_remote(pc, strcmp(setup, "active") == 0) != 0) {
        g_free(sdp);
        return NULL;
    }

    return sdp;
}


static NiceCandidate *
wp_pc_candidate(wp_pc_t *pc, const char *line)
{
    char                found[33], proto[8], ip[64], typ[16];
    unsigned            comp, prio, port;
    NiceCandidate      *c;
    NiceCandidateType   type;

    if (sscanf(line, "candidate:%32s %u %7s %u %63s %u typ %15s", found,
               &comp, proto, &prio, ip, &port, typ) != 7
        || comp != 1 || g_ascii_strcasecmp(proto, "udp") != 0)
    {
        return NULL;
    }

    if (strcmp(typ, "srflx") == 0) {
        type = NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE;

    } else if (strcmp(typ, "prflx") == 0) {
        type = NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;

    } else if (strcmp(typ, "relay") == 0) {
        type = NICE_CANDIDATE_TYPE_RELAYED;

    } else {
        type = NICE_CANDIDATE_TYPE_HOST;
    }

    c = nice_candidate_new(type);
    c->stream_id = pc->stream;
    c->component_id = 1;
    c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
    c->priority = prio;
    g_strlcpy(c->foundation, found, NICE_CANDIDATE_MAX_FOUNDATION);

    if (!nice_address_set_from_string(&c->addr, ip)) {
        /* e.g. an mDNS name: not for a test peer */
        nice_candidate_free(c);
        return NULL;
    }

    nice_address_set_port(&c->addr, port);
    return c;
}


/* the remote ICE credentials, candidates and fingerprint; DTLS role */
static int
wp_pc_remote(wp_pc_t *pc, int we_active)
{
    int          i, k, n;
    GSList      *cands;
    wp_sdp_t    *s;
    wp_sdp_m_t  *m, *b;
    const char  *ufrag, *pwd;
    NiceCandidate *c;

    s = pc->remote;
    b = NULL;
    for (i = 0; i < s->nm && b == NULL; i++) {
        if (s->m[i].port != 0) {
            b = &s->m[i];
        }
    }

    if (b == NULL) {
        wp_fail(pc->peer, "%s: every m-line rejected", pc->name);
        return -1;
    }

    ufrag = wp_sdp_attr(s, b, "ufrag");
    pwd = wp_sdp_attr(s, b, "pwd");
    g_strlcpy(pc->fp_alg, wp_sdp_attr(s, b, "fp_alg"), sizeof(pc->fp_alg));
    g_strlcpy(pc->fp, wp_sdp_attr(s, b, "fp"), sizeof(pc->fp));

    if (!ufrag[0] || !pwd[0] || !pc->fp[0]) {
        wp_fail(pc->peer, "%s: remote SDP lacks ICE credentials or "
                "a=fingerprint", pc->name);
        return -1;
    }

    nice_agent_set_remote_credentials(pc->agent, pc->stream, ufrag, pwd);

    /* bundled: every m-line's candidates are for the one transport */
    cands = NULL;
    for (i = 0; i < s->nm; i++) {
        m = &s->m[i];
        for (k = 0; m->port != 0 && k < m->ncand; k++) {
            c = wp_pc_candidate(pc, m->cand[k]);
            if (c) {
                cands = g_slist_append(cands, c);
            }
        }
    }

    if (cands == NULL) {
        wp_fail(pc->peer, "%s: no usable ICE candidate in the remote SDP",
                pc->name);
        return -1;
    }

    pc->dtls_client = we_active;
    if (wp_dtls_start(pc) != 0) {
        g_slist_free_full(cands, (GDestroyNotify) nice_candidate_free);
        return -1;
    }

    n = nice_agent_set_remote_candidates(pc->agent, pc->stream, 1, cands);
    g_slist_free_full(cands, (GDestroyNotify) nice_candidate_free);

    if (n <= 0) {
        wp_fail(pc->peer, "%s: libnice took no remote candidate", pc->name);
        return -1;
    }

    return 0;
}


/* DTLS done, SRTP keyed */
void
wp_pc_secure(wp_pc_t *pc)
{
    pc->up = 1;
    pc->t_up = wp_now();
    wp_log(pc->peer, "%s: secure after %.0f ms (%s, DTLS %s)", pc->name,
           (pc->t_up - pc->t_start) / 1000.0, pc->profile,
           pc->dtls_client ? "client" : "server");

    wp_media_start(pc);
}


/* ---- teardown ------------------------------------------------------------ */

void
wp_pc_close(wp_pc_t *pc)
{
    wp_pc_media(pc, 0);

    if (pc->rtcp_timer) {
        g_source_remove(pc->rtcp_timer);
        pc->rtcp_timer = 0;
    }

    wp_dtls_close(pc);
    pc->up = 0;

    if (pc->agent) {
        g_signal_handlers_disconnect_by_data(pc->agent, pc);
        nice_agent_attach_recv(pc->agent, pc->stream, 1,
                               g_main_context_default(), NULL, NULL);
        nice_agent_remove_stream(pc->agent, pc->stream);
        g_object_unref(pc->agent);
        pc->agent = NULL;
    }

    if (pc->fd_watch) {
        g_source_remove(pc->fd_watch);
        pc->fd_watch = 0;
    }

    if (pc->fd >= 0) {
        close(pc->fd);
        pc->fd = -1;
    }
}


void
wp_pc_free(wp_pc_t *pc)
{
    int  i;

    wp_pc_close(pc);

    for (i = 0; i < pc->nrxs; i++) {
        wp_rxs_free(&pc->rxs[i]);
    }

    for (i = 0; i < pc->ntx; i++) {
        g_free(pc->tx[i].rtx_q);
    }

    if (pc->rtx_due) {
        g_hash_table_destroy(pc->rtx_due);
    }

    g_free(pc->rtx_seen);

    g_free(pc->remote);
    g_free(pc);
}
