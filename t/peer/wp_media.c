/*
 * Media on a secure PeerConnection: the paced synthetic senders (audio
 * packets at a fixed rate, video frames of full packets at the bitrate), the
 * receive checks on every payload, and RTCP both ways.
 */

#include <string.h>

#include "wr_peer.h"


#define WP_TICK_MS     5
#define WP_RTCP_MS     1000


static gboolean wp_media_tick(gpointer data);
static gboolean wp_media_rtcp_tick(gpointer data);
static void wp_media_rtx_queue(wp_tx_t *t, const wp_rtp_t *r, uint32_t seq,
    const uint8_t *payload, size_t len);
static void wp_media_rtx_send(wp_pc_t *pc, wp_tx_t *t, uint32_t seq);
static void wp_media_rtx_note(wp_pc_t *pc, const wp_rtp_t *r,
    const wp_payload_t *pl);
static void wp_media_rtx_in(wp_pc_t *pc, const wp_rtp_t *r);
static wp_rtx_seen_t *wp_media_rtx_ring(wp_pc_t *pc, uint32_t ssrc, int add);


void
wp_media_start(wp_pc_t *pc)
{
    pc->rtcp_timer = g_timeout_add(WP_RTCP_MS, wp_media_rtcp_tick, pc);
}


/* ---- sending ------------------------------------------------------------- */

/*
 * --wrap-at: the first sequence number of a stream such that it wraps
 * (65535, then 0) that many seconds into the media: audio sends a packet
 * per frame, video as many as the bitrate owes, at least one per frame.
 */
static uint16_t
wp_media_wrap_seq(wp_opts_t *o, char kind)
{
    double  pps;

    if (kind == 'a') {
        pps = o->audio_pps;

    } else {
        pps = o->video_kbps * 1000.0 / 8 / o->video_size;
        pps = pps > o->fps ? pps : o->fps;
    }

    return (uint16_t) (65536 - (uint32_t) (o->wrap_at * pps + 0.5));
}


void
wp_pc_media(wp_pc_t *pc, int on)
{
    int      i;
    int64_t  now;

    if (on && !pc->sending && pc->ntx > 0) {
        now = wp_now();
        for (i = 0; i < pc->ntx; i++) {
            pc->tx[i].next_us = now;

            if (pc->peer->opts.wrap_at > 0 && pc->tx[i].packets == 0) {
                pc->tx[i].rtp_seq = wp_media_wrap_seq(&pc->peer->opts,
                                                      pc->tx[i].kind);
            }
        }

        pc->sending = 1;
        /* above the receive callbacks, so pacing holds under load */
        pc->tick = g_timeout_add_full(G_PRIORITY_HIGH, WP_TICK_MS,
                                      wp_media_tick, pc, NULL);

    } else if (!on && pc->sending) {
        /* the copies still waiting go now, so none is due at the end */
        wp_media_rtx_flush(pc);
        pc->sending = 0;
        g_source_remove(pc->tick);
        pc->tick = 0;
    }
}


/* the ssrc-audio-level id the answer accepted for this stream, 0 = none */
static int
wp_media_level_ext(wp_pc_t *pc, wp_tx_t *t)
{
    int  i;

    if (pc->remote == NULL) {
        return 0;
    }

    for (i = 0; i < pc->remote->nm; i++) {
        if (strcmp(pc->remote->m[i].mid, t->mid) == 0) {
            return pc->remote->m[i].level_ext;
        }
    }

    return 0;
}


/* the --audio-level-pattern step for the time of this audio packet */
static uint8_t
wp_media_level(wp_opts_t *o, uint64_t frame)
{
    int      i;
    int64_t  ms;

    ms = (int64_t) (frame * 1000 / o->audio_pps) % o->level_cycle_ms;

    for (i = 0; i < o->nlevels - 1; i++) {
        ms -= o->level_ms[i];
        if (ms < 0) {
            break;
        }
    }

    return o->level[i];
}


/*
 * Adds a one-byte extension element (RFC 8285) with one byte of data to
 * the header wp_rtp_write made (no CSRCs): into the padding of its block
 * when two bytes are free, else one more word. Returns the header size.
 */
static size_t
wp_media_add_ext(uint8_t *p, int id, uint8_t v)
{
    size_t  i, end, words;

    if (!(p[0] & 0x10)) {
        p[0] |= 0x10;
        memcpy(p + 12, "\xbe\xde\x00\x01", 4);
        p[16] = (uint8_t) (id << 4);
        p[17] = v;
        p[18] = 0;
        p[19] = 0;
        return 20;
    }

    words = ((size_t) p[14] << 8) | p[15];
    end = 16 + words * 4;

    /* past the elements there, to the first padding byte */
    for (i = 16; i < end && p[i] != 0; i += 2 + (p[i] & 0x0f)) {
        /* void */
    }

    if (i + 2 > end) {
        memset(p + end, 0, 4);
        end += 4;
        words++;
        p[14] = (uint8_t) (words >> 8);
        p[15] = (uint8_t) words;
    }

    p[i] = (uint8_t) (id << 4);
    p[i + 1] = v;

    return end;
}


static void
wp_media_send_rtp(wp_pc_t *pc, wp_tx_t *t, int marker, uint32_t ts,
    size_t size, uint8_t flags)
{
    int         len, id, leveled;
    size_t      h, n;
    uint8_t     buf[WP_PKT_MAX], level;
    uint32_t    seq, drop, flip;
    wp_rtp_t    r;
    wp_opts_t  *o = &pc->peer->opts;

    r.pt = t->pt;
    r.marker = marker;
    r.seq = t->rtp_seq++;
    r.ts = ts;
    r.ssrc = t->ssrc;

    seq = t->seq++;
    h = wp_rtp_write(buf, &r, t->mid_ext, t->mid);

    if (t->rtx_q && seq % o->send_rtx == 0) {
        /* the payload says so: a receiver knows a copy must come */
        flags |= WP_F_RTX;
    }

    leveled = 0;

    if (t->kind == 'a' && o->nlevels) {
        id = wp_media_level_ext(pc, t);
        if (id > 0 && id < 15) {
            /* V (voice activity) on every level above silence */
            level = wp_media_level(o, t->frame);
            h = wp_media_add_ext(buf, id,
                                 (uint8_t) ((level < 127 ? 0x80 : 0)
                                            | level));
            leveled = 1;
        }
    }

    n = wp_payload_write(buf + h, size, t->kind, t->ssrc, seq, flags,
                         wp_now());
    len = h + n;

    /* fault injection, so tests can prove the receive checks catch it */
    drop = o->inject_drop;
    flip = o->inject_corrupt;

    if (drop && seq % drop == drop - 1) {
        t->dropped++;
        return;
    }

    if (flip && seq % flip == flip - 1) {
        buf[len - 1] ^= 0x5a;
    }

    if (flags & WP_F_RTX) {
        wp_media_rtx_queue(t, &r, seq, buf + h, n);
    }

    if (srtp_protect(pc->srtp_tx, buf, &len) != srtp_err_status_ok) {
        pc->srtp_err++;
        return;
    }

    wp_pc_send(pc, buf, len);
    t->packets++;
    pc->peer->level_packets += leveled;
    t->bytes += n;
    t->last_ts = ts;

    if (t->nrtx) {
        wp_media_rtx_send(pc, t, seq);
    }
}


/* ---- RTX (RFC 4588), sending: --send-rtx --------------------------------- */

static void
wp_media_rtx_queue(wp_tx_t *t, const wp_rtp_t *r, uint32_t seq,
    const uint8_t *payload, size_t len)
{
    wp_rtx_copy_t  *c;

    if (t->nrtx == WP_RTX_QUEUE) {
        return;
    }

    c = &t->rtx_q[(t->rtx_head + t->nrtx++) % WP_RTX_QUEUE];
    c->due = seq + WP_RTX_DELAY;
    c->seq = r->seq;
    c->ts = r->ts;
    c->marker = r->marker;
    c->len = len;
    memcpy(c->payload, payload, len);
}


/*
 * The copies due once the packet of payload seq went (all of them for
 * seq UINT32_MAX): on the RTX SSRC, with their own sequence numbers, the
 * original timestamp, and the original sequence number (OSN) first.
 */
static void
wp_media_rtx_send(wp_pc_t *pc, wp_tx_t *t, uint32_t seq)
{
    int             len;
    size_t          h;
    uint8_t         buf[WP_PKT_MAX];
    wp_rtp_t        r;
    wp_rtx_copy_t  *c;

    while (t->nrtx && t->rtx_q[t->rtx_head].due <= seq) {
        c = &t->rtx_q[t->rtx_head];
        t->rtx_head = (t->rtx_head + 1) % WP_RTX_QUEUE;
        t->nrtx--;

        r.pt = t->rtx_pt;
        r.marker = c->marker;
        r.seq = t->rtx_seq++;
        r.ts = c->ts;
        r.ssrc = t->rtx_ssrc;

        h = wp_rtp_write(buf, &r, t->mid_ext, t->mid);
        buf[h] = (uint8_t) (c->seq >> 8);
        buf[h + 1] = (uint8_t) c->seq;
        memcpy(buf + h + 2, c->payload, c->len);
        len = h + 2 + c->len;

        if (srtp_protect(pc->srtp_tx, buf, &len) != srtp_err_status_ok) {
            pc->srtp_err++;
            continue;
        }

        wp_pc_send(pc, buf, len);
        t->rtx_packets++;
    }
}


void
wp_media_rtx_flush(wp_pc_t *pc)
{
    int  i;

    for (i = 0; i < pc->ntx; i++) {
        if (pc->tx[i].nrtx) {
            wp_media_rtx_send(pc, &pc->tx[i], UINT32_MAX);
        }
    }
}


static void
wp_media_send_frame(wp_pc_t *pc, wp_tx_t *t)
{
    int         i, n, key;
    uint8_t     flags;
    uint32_t    ts;
    wp_opts_t  *o = &pc->peer->opts;

    if (t->kind == 'a') {
        ts = t->ts_base + (uint32_t) (t->frame * 48000 / o->audio_pps);
        wp_media_send_rtp(pc, t, t->frame == 0, ts, o->audio_size,
                          WP_F_FIRST | WP_F_LAST);
        t->frame++;
        return;
    }

    /* a frame is as many full packets as the bitrate owes, at least one */
    t->credit += o->video_kbps * 1000.0 / 8 / o->fps;
    n = (int) (t->credit / o->video_size);
    n = n < 1 ? 1 : n;
    t->credit -= n * o->video_size;

    key = (t->frame == 0 || t->key_req);
    t->key_req = 0;
    t->keyframes += key;
    ts = t->ts_base + (uint32_t) (t->frame * 90000 / o->fps);

    for (i = 0; i < n; i++) {
        flags = (i == 0 ? WP_F_FIRST : 0) | (i == n - 1 ? WP_F_LAST : 0)
                | (key ? WP_F_KEY : 0);
        wp_media_send_rtp(pc, t, i == n - 1, ts, o->video_size, flags);
    }

    t->frame++;
}


/*
 * --new-ssrc-at: what a browser does when its encoder starts over on the
 * same PeerConnection: new SSRCs, sequence numbers and timestamps from
 * new random bases, a key frame first. The SFU must hide it.
 */
void
wp_media_new_ssrc(wp_pc_t *pc)
{
    int       i;
    wp_tx_t  *t;

    for (i = 0; i < pc->ntx; i++) {
        t = &pc->tx[i];

        /* the copies waiting repair the old stream: they go first */
        if (t->nrtx) {
            wp_media_rtx_send(pc, t, UINT32_MAX);
        }

        t->ssrc = g_random_int() | 1;
        t->rtp_seq = g_random_int() & 0xffff;
        t->ts_base = g_random_int() - (uint32_t) (t->kind == 'a'
                         ? t->frame * 48000 / pc->peer->opts.audio_pps
                         : t->frame * 90000 / pc->peer->opts.fps);
        t->key_req = (t->kind == 'v');

        if (t->rtx_ssrc) {
            t->rtx_ssrc = g_random_int() | 1;
            t->rtx_seq = g_random_int() & 0xffff;
        }

        wp_log(pc->peer, "%s: %c now SSRC %u, seq %u", pc->name, t->kind,
               t->ssrc, t->rtp_seq);
    }
}


static gboolean
wp_media_tick(gpointer data)
{
    int       i;
    int64_t   now;
    wp_tx_t  *t;
    wp_pc_t  *pc = data;

    now = wp_now();

    for (i = 0; i < pc->ntx; i++) {
        t = &pc->tx[i];
        if (t->interval_us == 0) {
            continue;
        }

        if (now - t->next_us > 1000000) {
            /* the loop stalled for a second: skip, do not burst */
            pc->late++;
            t->next_us = now;
        }

        while (t->next_us <= now) {
            wp_media_send_frame(pc, t);
            t->next_us += t->interval_us;
        }
    }

    return G_SOURCE_CONTINUE;
}


/* ---- receiving ----------------------------------------------------------- */

static wp_src_t *
wp_media_src(wp_pc_t *pc, uint32_t ssrc, char kind)
{
    int  i;

    for (i = 0; i < pc->nsrc; i++) {
        if (pc->src[i].ssrc == ssrc) {
            return &pc->src[i];
        }
    }

    if (pc->nsrc == WP_MAX_STREAMS) {
        return NULL;
    }

    pc->src[pc->nsrc].ssrc = ssrc;
    pc->src[pc->nsrc].kind = kind;
    return &pc->src[pc->nsrc++];
}


void
wp_media_rtp_in(wp_pc_t *pc, uint8_t *buf, int len)
{
    int                i;
    char               kind;
    int64_t            now;
    uint16_t           delta;
    wp_rtp_t           r;
    wp_src_t          *src;
    wp_rxs_t          *s;
    wp_payload_t       pl;
    srtp_err_status_t  st;

    st = srtp_unprotect(pc->srtp_rx, buf, &len);

    if (st != srtp_err_status_ok && pc->peer->opts.verbose
        && pc->srtp_replay + pc->srtp_err < 50
        && wp_rtp_parse(&r, buf, len) == 0)
    {
        /* the header is still clear: which stream, where */
        wp_log(pc->peer, "%s: SSRC %u seq %u refused: %s", pc->name, r.ssrc,
               r.seq, st == srtp_err_status_replay_fail ? "replay"
                      : st == srtp_err_status_replay_old ? "too old"
                      : st == srtp_err_status_auth_fail ? "authentication"
                      : "SRTP error");
    }

    if (st == srtp_err_status_replay_fail || st == srtp_err_status_replay_old) {
        /*
         * The same SRTP index again: a retransmission or a duplicate; or
         * one too far behind the newest to tell.
         */
        pc->srtp_replay++;
        pc->srtp_old += (st == srtp_err_status_replay_old);
        return;
    }

    if (st != srtp_err_status_ok) {
        pc->srtp_err++;
        return;
    }

    if (wp_rtp_parse(&r, buf, len) != 0) {
        pc->corrupt++;
        return;
    }

    kind = pc->pt_kind[r.pt];
    if (kind == 'r') {
        wp_media_rtx_in(pc, &r);
        return;
    }

    if (kind == 0) {
        if (pc->peer->opts.dump) {
            /* recorded as kind '?' and counted there: the test judges */
            wp_dump_rtp(pc, &r, '?', NULL, &pl, 0);
            return;
        }

        pc->unknown_pt++;
        return;
    }

    now = wp_now();

    src = wp_media_src(pc, r.ssrc, kind);
    if (src) {
        if (src->packets == 0) {
            src->max_seq = r.seq;
            src->first_ext = r.seq;

        } else {
            delta = r.seq - src->max_seq;
            if (delta != 0 && delta < 0x8000) {
                if (r.seq < src->max_seq) {
                    src->cycles += 0x10000;
                }

                src->max_seq = r.seq;
            }
        }

        src->packets++;
    }

    if (kind == 'v' && pc->first_video_rx == 0) {
        pc->first_video_rx = now;
    }

    if (pc->peer->opts.dump) {
        /* --dump: someone else's payload (wp_dump.c), record it */
        wp_dump_rtp(pc, &r, kind, src, &pl, now);

    } else if (wp_payload_check(r.payload, r.len, kind, &pl) != 0) {
        pc->corrupt++;
        if (pc->peer->opts.verbose && pc->corrupt <= 5) {
            wp_log(pc->peer, "%s: corrupt %c payload, %zu bytes, seq %u",
                   pc->name, kind, r.len, r.seq);
        }

        return;
    }

    wp_cont_rtp(pc, &r, kind, &pl);

    s = NULL;
    for (i = 0; i < pc->nrxs; i++) {
        if (pc->rxs[i].origin == pl.origin && pc->rxs[i].kind == kind) {
            s = &pc->rxs[i];
        }
    }

    if (s == NULL) {
        if (pc->nrxs == WP_MAX_STREAMS) {
            return;
        }

        s = &pc->rxs[pc->nrxs++];
        s->origin = pl.origin;
        s->kind = kind;
    }

    wp_rxs_account(s, &pl, r.len, now);

    if (kind == 'v' && pc->rtx_seen && !pc->peer->opts.dump) {
        wp_media_rtx_note(pc, &r, &pl);
    }
}


/* ---- RTX, receiving: --rtx ----------------------------------------------- */

static uint64_t
wp_media_hash(const uint8_t *p, size_t n)
{
    size_t    i;
    uint64_t  h;

    /* FNV-1a: two different payloads of ours do not collide by chance */
    h = 0xcbf29ce484222325ULL;

    for (i = 0; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001b3ULL;
    }

    return h;
}


/*
 * The ring of video packets received on SSRC ssrc, in pc->rtx_seen; a
 * new one if add and there is room. Each video stream has its own
 * numbering: one ring for all would mix them up.
 */
static wp_rtx_seen_t *
wp_media_rtx_ring(wp_pc_t *pc, uint32_t ssrc, int add)
{
    int  i;

    for (i = 0; i < pc->nrtx_rings; i++) {
        if (pc->rtx_ring[i] == ssrc) {
            return pc->rtx_seen + i * WP_RTX_RING;
        }
    }

    if (!add || pc->nrtx_rings == WP_RTX_RINGS) {
        return NULL;
    }

    pc->rtx_ring[pc->nrtx_rings] = ssrc;

    return pc->rtx_seen + pc->nrtx_rings++ * WP_RTX_RING;
}


/*
 * The video SSRC an RTX SSRC repairs: by the FID group of the remote
 * SDP, else by ours (an echo), else the only video SSRC received.
 */
static uint32_t
wp_media_rtx_primary(wp_pc_t *pc, uint32_t rtx)
{
    int  i;

    for (i = 0; pc->remote && i < pc->remote->nm; i++) {
        if (pc->remote->m[i].fid && pc->remote->m[i].ssrc[1] == rtx) {
            return pc->remote->m[i].ssrc[0];
        }
    }

    for (i = 0; i < pc->ntx; i++) {
        if (pc->tx[i].rtx_ssrc && pc->tx[i].rtx_ssrc == rtx) {
            return pc->tx[i].ssrc;
        }
    }

    return pc->nrtx_rings == 1 ? pc->rtx_ring[0] : 0;
}


static void
wp_media_rtx_note(wp_pc_t *pc, const wp_rtp_t *r, const wp_payload_t *pl)
{
    gint64          *key;
    wp_rtx_seen_t   *e, *ring;

    ring = wp_media_rtx_ring(pc, r->ssrc, 1);
    if (ring == NULL) {
        return;
    }

    e = &ring[r->seq % WP_RTX_RING];
    e->seq = r->seq;
    e->valid = 1;
    e->due = (pl->flags & WP_F_RTX) != 0;
    e->ts = r->ts;
    e->len = r->len;
    e->hash = wp_media_hash(r->payload, r->len);

    if (e->due) {
        key = g_new(gint64, 1);
        *key = (gint64) ((uint64_t) pl->origin << 32 | pl->seq);

        if (g_hash_table_contains(pc->rtx_due, key)) {
            g_free(key);

        } else {
            g_hash_table_insert(pc->rtx_due, key, GINT_TO_POINTER(1));
        }
    }
}


/*
 * Each RTX SSRC's own numbering: one after the last, else a jump, and
 * back or repeated is worse (the newest stays the reference).
 */
static void
wp_media_rtx_seq(wp_pc_t *pc, const wp_rtp_t *r)
{
    int            i;
    uint16_t       d;
    wp_rtx_src_t  *s;

    for (i = 0; i < pc->nrtx_src && pc->rtx_src[i].ssrc != r->ssrc; i++) {
        /* void */
    }

    if (i == pc->nrtx_src) {
        if (i == WP_MAX_STREAMS) {
            return;
        }

        pc->nrtx_src++;
        memset(&pc->rtx_src[i], 0, sizeof(wp_rtx_src_t));
        pc->rtx_src[i].ssrc = r->ssrc;
    }

    s = &pc->rtx_src[i];

    if (s->packets++ == 0) {
        s->last_seq = r->seq;
        return;
    }

    d = (uint16_t) (r->seq - s->last_seq);

    if (d == 1) {
        s->wraps += (r->seq == 0);
        s->last_seq = r->seq;
        return;
    }

    s->jumps++;
    pc->rtx.jumps++;
    wp_log(pc->peer, "%s: RTX SSRC %u: seq %u after %u", pc->name, r->ssrc,
           r->seq, s->last_seq);

    if (d == 0 || d >= 0x8000) {
        s->back++;
        pc->rtx.back++;
        return;
    }

    s->wraps += (r->seq < s->last_seq);
    s->last_seq = r->seq;
}


/*
 * An RTX packet: its OSN must name a video packet we got on the SSRC it
 * repairs, by the sequence number we got it with, and carry that
 * packet's payload and timestamp.
 */
static void
wp_media_rtx_in(wp_pc_t *pc, const wp_rtp_t *r)
{
    int              i;
    gint64          *key;
    uint16_t         osn;
    wp_payload_t     pl;
    wp_rtx_seen_t   *e, *ring;
    wp_rtx_stats_t  *st = &pc->rtx;

    st->received++;
    wp_media_rtx_seq(pc, r);

    if (r->len < 2 || pc->rtx_seen == NULL) {
        st->padding++;
        return;
    }

    osn = (uint16_t) ((r->payload[0] << 8) | r->payload[1]);

    if (pc->nack_sent && osn == pc->nack_seq) {
        st->nack_answers++;
    }

    ring = wp_media_rtx_ring(pc, wp_media_rtx_primary(pc, r->ssrc), 0);
    e = ring ? &ring[osn % WP_RTX_RING] : NULL;

    if (e == NULL || !e->valid || e->seq != osn) {
        st->orphans++;
        wp_log(pc->peer, "%s: RTX seq %u: OSN %u names no packet we got",
               pc->name, r->seq, osn);
        return;
    }

    if (e->len != r->len - 2
        || e->hash != wp_media_hash(r->payload + 2, r->len - 2))
    {
        st->mismatch++;
        wp_log(pc->peer, "%s: RTX seq %u: OSN %u, not the payload we got "
               "with that seq", pc->name, r->seq, osn);
        return;
    }

    if (e->ts != r->ts) {
        st->bad_ts++;
        wp_log(pc->peer, "%s: RTX seq %u: OSN %u, timestamp %u, not %u",
               pc->name, r->seq, osn, r->ts, e->ts);
        return;
    }

    st->recovered++;

    if (wp_payload_check(r->payload + 2, r->len - 2, 'v', &pl) != 0) {
        return;
    }

    for (i = 0; i < st->norigins && st->origins[i] != pl.origin; i++) {
        /* void */
    }

    if (i == st->norigins && i < WP_MAX_STREAMS) {
        st->origins[st->norigins++] = pl.origin;
    }

    if (pl.flags & WP_F_RTX) {
        key = g_new(gint64, 1);
        *key = (gint64) ((uint64_t) pl.origin << 32 | pl.seq);
        g_hash_table_replace(pc->rtx_due, key, GINT_TO_POINTER(2));
    }
}


/*
 * Copies due that never came: of a packet flagged WP_F_RTX that we got,
 * when we also got the packet sent after its copy (WP_RTX_DELAY + 1
 * later). The copy went between the two, on the same path, so it should
 * have arrived; a subscription moved away in between does not count.
 */
uint64_t
wp_media_rtx_missing(wp_pc_t *pc)
{
    int             i;
    gint64         *key;
    gpointer        k, v;
    uint32_t        origin, seq;
    uint64_t        missing;
    GHashTableIter  it;

    missing = 0;

    if (pc->rtx_due == NULL) {
        return 0;
    }

    g_hash_table_iter_init(&it, pc->rtx_due);

    while (g_hash_table_iter_next(&it, &k, &v)) {
        key = k;
        origin = (uint32_t) ((uint64_t) *key >> 32);
        seq = (uint32_t) *key;

        if (GPOINTER_TO_INT(v) != 1) {
            continue;
        }

        for (i = 0; i < pc->nrxs; i++) {
            if (pc->rxs[i].origin == origin && pc->rxs[i].kind == 'v'
                && wp_rxs_seen(&pc->rxs[i], seq + WP_RTX_DELAY + 1))
            {
                missing++;
                wp_log(pc->peer, "%s: no RTX copy of %u:%u", pc->name,
                       origin, seq);
            }
        }
    }

    return missing;
}


void
wp_media_rtcp_in(wp_pc_t *pc, uint8_t *buf, int len)
{
    int                i;
    uint32_t           ssrc, mid;
    uint64_t           key_before;
    srtp_err_status_t  st;

    st = srtp_unprotect_rtcp(pc->srtp_rx, buf, &len);
    if (st != srtp_err_status_ok) {
        if (st == srtp_err_status_replay_fail) {
            pc->srtp_replay++;

        } else {
            pc->srtp_err++;
        }

        return;
    }

    key_before = pc->rtcp_rx.pli + pc->rtcp_rx.fir;
    ssrc = 0;

    if (wp_rtcp_parse(buf, len, &pc->rtcp_rx, &ssrc, &mid) != 0) {
        pc->corrupt++;
        return;
    }

    for (i = 0; ssrc && i < pc->nsrc; i++) {
        if (pc->src[i].ssrc == ssrc) {
            pc->src[i].lsr = mid;
            pc->src[i].lsr_at = wp_now();
        }
    }

    if (pc->rtcp_rx.pli + pc->rtcp_rx.fir != key_before) {
        /* a keyframe request: the next video frame is a key frame */
        for (i = 0; i < pc->ntx; i++) {
            if (pc->tx[i].kind == 'v') {
                pc->tx[i].key_req = 1;
            }
        }
    }
}


/* ---- RTCP out: reports, and PLI/NACK when asked -------------------------- */

static void
wp_media_send_rtcp(wp_pc_t *pc, uint8_t *buf, size_t n)
{
    int  len;

    len = n;
    if (srtp_protect_rtcp(pc->srtp_tx, buf, &len) == srtp_err_status_ok) {
        wp_pc_send(pc, buf, len);
        pc->rtcp_tx++;

    } else {
        pc->srtp_err++;
    }
}


/*
 * The packet a NACK asks for: one we got, two before the last; with RTX,
 * one whose payload does not also bring a copy from the publisher, so
 * that an RTX naming it is the server's answer.
 */
static uint16_t
wp_media_nack_seq(wp_pc_t *pc, const wp_src_t *s)
{
    uint16_t        seq, k;
    wp_rtx_seen_t  *e, *ring;

    seq = (uint16_t) (s->max_seq - 2);
    ring = pc->rtx_seen ? wp_media_rtx_ring(pc, s->ssrc, 0) : NULL;

    for (k = 2; ring && k < 16; k++) {
        e = &ring[(uint16_t) (s->max_seq - k) % WP_RTX_RING];

        if (e->valid && !e->due && e->seq == (uint16_t) (s->max_seq - k)) {
            seq = e->seq;
            break;
        }
    }

    return seq;
}


/*
 * Like a browser, one compound packet per stream: SR + SDES for what we
 * send, RR + SDES (+ PLI/NACK) for what we receive. A single RR with every
 * report block would make a server that classifies RTCP by the first block
 * (Janus does) file video feedback under audio.
 */
static gboolean
wp_media_rtcp_tick(gpointer data)
{
    int         i;
    size_t      n;
    int64_t     now;
    uint8_t     buf[WP_PKT_MAX];
    uint32_t    me, ext, lost, expected, dlsr;
    wp_tx_t    *t;
    wp_src_t   *s;
    wp_pc_t    *pc = data;
    wp_opts_t  *o = &pc->peer->opts;

    now = wp_now();
    me = pc->ntx ? pc->tx[0].ssrc : pc->local_ssrc;

    for (i = 0; i < pc->ntx; i++) {
        t = &pc->tx[i];
        if (t->packets > 0) {
            n = wp_rtcp_sr(buf, t->ssrc, t->last_ts, t->packets, t->bytes);
            n += wp_rtcp_sdes(buf + n, t->ssrc, "wr-peer");
            wp_media_send_rtcp(pc, buf, n);
        }
    }

    for (i = 0; i < pc->nsrc; i++) {
        s = &pc->src[i];
        ext = s->cycles + s->max_seq;
        expected = ext - s->first_ext + 1;
        lost = expected > s->packets ? expected - s->packets : 0;

        if (o->report_loss) {
            s->fake_lost += o->report_loss;
            lost += s->fake_lost;
        }

        dlsr = s->lsr_at ? (uint32_t) ((now - s->lsr_at) * 65536 / 1000000)
                         : 0;

        n = wp_rtcp_rr(buf, me, 1, &s->ssrc, &ext, &lost, &s->lsr, &dlsr);
        n += wp_rtcp_sdes(buf + n, me, "wr-peer");

        if (s->kind == 'v' && s->packets > 0
            && now - pc->first_video_rx >= 1000000)
        {
            if (o->send_pli && !pc->pli_sent) {
                n += wp_rtcp_pli(buf + n, me, s->ssrc);
                pc->pli_sent = 1;
                wp_log(pc->peer, "%s: PLI sent for SSRC %u", pc->name,
                       s->ssrc);
            }

            if (o->send_nack && !pc->nack_sent) {
                /* one we did get: the server retransmits or forwards it */
                pc->nack_seq = wp_media_nack_seq(pc, s);
                n += wp_rtcp_nack(buf + n, me, s->ssrc, pc->nack_seq, 0);
                pc->nack_sent = 1;
                wp_log(pc->peer, "%s: NACK sent for SSRC %u seq %u",
                       pc->name, s->ssrc, pc->nack_seq);
            }
        }

        wp_media_send_rtcp(pc, buf, n);
    }

    if (pc->ntx == 0 && pc->nsrc == 0) {
        /* nothing yet either way: an empty RR keeps RTCP alive */
        n = wp_rtcp_rr(buf, me, 0, NULL, NULL, NULL, NULL, NULL);
        n += wp_rtcp_sdes(buf + n, me, "wr-peer");
        wp_media_send_rtcp(pc, buf, n);
    }

    return G_SOURCE_CONTINUE;
}
