/*
 * Continuity of what arrives, on the RTP headers only: an SFU rewrites
 * SSRC, sequence numbers and timestamps, and whatever happens behind it
 * (a pause, a switch to another publisher, a publisher whose encoder
 * starts over with a new SSRC) each m-line must stay one stream:
 *
 *   - one SSRC per m-line, the one the offer announced;
 *   - each sequence number one after the last (on loopback nothing is
 *     lost, so any other step is the SFU's);
 *   - timestamps that never go back, and that, where the source changed
 *     or the stream resumed after a pause, moved on by the wall-clock time
 *     between the two packets at the stream's clock rate, within 100 ms
 *     plus a frame.
 *
 * The wall clock is the send time our payload header carries (the
 * senders are on this host, CLOCK_MONOTONIC), so a stall of this process
 * does not count; with --dump there is none, and arrival time stands in.
 */

#include <stdlib.h>
#include <string.h>

#include "wr_peer.h"


/* a silence this long between two packets is a pause: check the clock */
#define WP_CONT_GAP_US     250000
#define WP_CONT_SLACK_US   100000

/* the first few oddities of an SSRC are logged; the report counts all */
#define WP_CONT_LOG_MAX    20
#define WP_CONT_LOG(c)     if ((c)->seq_jumps + (c)->ts_bad <= WP_CONT_LOG_MAX)


static int wp_cont_mline(wp_pc_t *pc, const wp_rtp_t *r, char kind,
    int *announced, uint32_t *clock);


void
wp_cont_rtp(wp_pc_t *pc, const wp_rtp_t *r, char kind,
    const wp_payload_t *pl)
{
    int         i, check;
    int32_t     dts;
    int64_t     dus, dev, tol, frame_us;
    uint16_t    d;
    wp_cont_t  *c;
    wp_opts_t  *o = &pc->peer->opts;

    c = NULL;

    for (i = 0; i < pc->ncont; i++) {
        if (pc->cont[i].ssrc == r->ssrc) {
            c = &pc->cont[i];
            break;
        }
    }

    if (c == NULL) {
        if (pc->ncont == WP_CONT_MAX) {
            return;
        }

        c = &pc->cont[pc->ncont++];
        memset(c, 0, sizeof(*c));
        c->ssrc = r->ssrc;
        c->kind = kind;
        c->mline = wp_cont_mline(pc, r, kind, &c->announced, &c->clock);
    }

    if (c->packets++ == 0) {
        c->sources = 1;
        goto last;
    }

    d = (uint16_t) (r->seq - c->last_seq);

    if (d != 1) {
        c->seq_jumps++;

        if (d == 0 || d >= 0x8000) {
            /* back or repeated: the newest stays the reference */
            c->seq_back++;
            return;
        }

        if (d - 1u > c->max_gap) {
            c->max_gap = d - 1u;
        }
    }

    if (r->seq < c->last_seq) {
        /* forward past 65535: the SRTP rollover counter went up */
        c->wraps++;
    }

    dts = (int32_t) (r->ts - c->last_ts);
    dus = pl->sent_us - c->last_us;
    check = 0;

    if (pl->origin != c->origin) {
        c->sources++;
        check = 1;
    }

    if (dus >= WP_CONT_GAP_US) {
        check = 1;
    }

    if (check) {
        frame_us = (kind == 'v') ? 1000000 / (o->fps ? o->fps : 30)
                                 : 1000000 / (o->audio_pps ? o->audio_pps
                                                           : 50);
        tol = WP_CONT_SLACK_US + frame_us;
        dev = (int64_t) dts * 1000000 / c->clock - dus;

        c->ts_checks++;

        if (llabs(dev) > llabs(c->ts_worst_us)) {
            c->ts_worst_us = dev;
        }

        if (dts < 0 || llabs(dev) > tol) {
            c->ts_bad++;
            WP_CONT_LOG(c) wp_log(pc->peer, "%s: SSRC %u: timestamp %u after %u, %.1f ms "
                   "of clock for %.1f ms of wall time", pc->name, r->ssrc,
                   r->ts, c->last_ts, dts * 1000.0 / c->clock, dus / 1000.0);
        }

    } else if (dts < 0) {
        c->ts_bad++;
        WP_CONT_LOG(c) wp_log(pc->peer, "%s: SSRC %u: timestamp %u went back from %u",
               pc->name, r->ssrc, r->ts, c->last_ts);
    }

    if (d != 1) {
        WP_CONT_LOG(c) wp_log(pc->peer, "%s: SSRC %u: seq %u after %u",
                              pc->name, r->ssrc, r->seq, c->last_seq);
    }

last:

    c->last_seq = r->seq;
    c->last_ts = r->ts;
    c->last_us = pl->sent_us;
    c->origin = pl->origin;
}


/*
 * The m-line of the offer this SSRC belongs to: the one that announced
 * it, else the first of its kind that offered its payload type; and the
 * clock rate of that payload type.
 */
static int
wp_cont_mline(wp_pc_t *pc, const wp_rtp_t *r, char kind, int *announced,
    uint32_t *clock)
{
    int                i, k, found;
    const wp_sdp_m_t  *m;

    *announced = 0;
    *clock = (kind == 'a') ? 48000 : 90000;
    found = -1;

    for (i = 0; pc->remote && i < pc->remote->nm && found < 0; i++) {
        m = &pc->remote->m[i];

        for (k = 0; m->kind[0] == kind && k < m->nssrc; k++) {
            if (m->ssrc[k] == r->ssrc) {
                *announced = 1;
                found = i;
            }
        }
    }

    for (i = 0; pc->remote && i < pc->remote->nm && found < 0; i++) {
        m = &pc->remote->m[i];

        for (k = 0; m->kind[0] == kind && k < m->npt; k++) {
            if (m->pt[k].pt == r->pt) {
                found = i;
            }
        }
    }

    if (found >= 0) {
        m = &pc->remote->m[found];

        for (k = 0; k < m->npt; k++) {
            if (m->pt[k].pt == r->pt && m->pt[k].rate > 0) {
                *clock = (uint32_t) m->pt[k].rate;
            }
        }
    }

    return found;
}


/* per PC and SSRC, and the totals the tests look at */
json_t *
wp_cont_json(wp_peer_t *peer)
{
    int           i, k, other;
    guint         n;
    json_t       *r, *list;
    wp_pc_t      *pc;
    wp_cont_t    *c;
    uint64_t      jumps, back, sources, checks, bad, changes, unannounced;
    uint32_t      gap;
    int64_t       worst;

    list = json_array();
    jumps = back = sources = checks = bad = changes = unannounced = 0;
    gap = 0;
    worst = 0;

    for (n = 0; n < peer->pcs->len; n++) {
        pc = g_ptr_array_index(peer->pcs, n);

        for (i = 0; i < pc->ncont; i++) {
            c = &pc->cont[i];

            /* another SSRC on an m-line an earlier one had: a change */
            other = 0;

            for (k = 0; k < i; k++) {
                if (c->mline >= 0 && pc->cont[k].mline == c->mline) {
                    other = 1;
                }
            }

            changes += other;

            if (!c->announced && c->mline >= 0
                && pc->remote->m[c->mline].nssrc > 0)
            {
                unannounced++;
            }

            jumps += c->seq_jumps;
            back += c->seq_back;
            gap = MAX(gap, c->max_gap);
            sources += c->sources ? c->sources - 1 : 0;
            checks += c->ts_checks;
            bad += c->ts_bad;

            if (llabs(c->ts_worst_us) > llabs(worst)) {
                worst = c->ts_worst_us;
            }

            json_array_append_new(list,
                json_pack("{sssIsssisbsIsIsIsIsIsIsIsfsI}",
                          "pc", pc->name,
                          "ssrc", (json_int_t) c->ssrc,
                          "kind", c->kind == 'a' ? "audio" : "video",
                          "mline", c->mline,
                          "announced", c->announced,
                          "packets", (json_int_t) c->packets,
                          "seq_jumps", (json_int_t) c->seq_jumps,
                          "seq_back", (json_int_t) c->seq_back,
                          "max_gap", (json_int_t) c->max_gap,
                          "sources", (json_int_t) c->sources,
                          "ts_checks", (json_int_t) c->ts_checks,
                          "ts_bad", (json_int_t) c->ts_bad,
                          "ts_worst_ms", c->ts_worst_us / 1000.0,
                          "wraps", (json_int_t) c->wraps));
        }
    }

    r = json_pack("{sIsIsIsIsIsIsfsIsI}",
                  "seq_jumps", (json_int_t) jumps,
                  "seq_back", (json_int_t) back,
                  "max_gap", (json_int_t) gap,
                  "source_changes", (json_int_t) sources,
                  "ts_checks", (json_int_t) checks,
                  "ts_bad", (json_int_t) bad,
                  "ts_worst_ms", worst / 1000.0,
                  "ssrc_changes", (json_int_t) changes,
                  "unannounced", (json_int_t) unannounced);
    json_object_set_new(r, "ssrcs", list);

    return r;
}
