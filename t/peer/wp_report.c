/*
 * The end: add up what every PeerConnection saw, apply the pass/fail rules,
 * and build the one JSON line the peer prints.
 */

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "wr_peer.h"


typedef struct {
    uint64_t   packets;
    uint64_t   bytes;
    uint64_t   expected;
    uint64_t   unique;
    uint64_t   dup;
    uint64_t   reordered;
    GArray    *lat;                /* guint32 us */
} wp_agg_t;


double
wp_cpu_seconds(void)
{
    struct rusage  ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
           + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}


/* the last seq sent for origin, when the sender is in this process */
static int
wp_last_sent(wp_peer_t *peer, uint32_t origin, uint32_t *last)
{
    int       k;
    guint     i;
    wp_pc_t  *pc;

    for (i = 0; i < peer->pcs->len; i++) {
        pc = g_ptr_array_index(peer->pcs, i);
        for (k = 0; k < pc->ntx; k++) {
            if (pc->tx[k].ssrc == origin && pc->tx[k].seq > 0) {
                *last = pc->tx[k].seq - 1;
                return 1;
            }
        }
    }

    return 0;
}


static void
wp_agg_add(wp_peer_t *peer, wp_agg_t *a, const wp_rxs_t *s)
{
    uint32_t  last;

    if (s->packets == 0) {
        return;
    }

    /* loss up to the last packet sent if we know it, else the last seen */
    if (!wp_last_sent(peer, s->origin, &last) || last < s->max) {
        last = s->max;
    }

    a->packets += s->packets;
    a->bytes += s->bytes;
    a->expected += last - s->first + 1;
    a->unique += s->unique;
    a->dup += s->dup;
    a->reordered += s->reordered;
    g_array_append_vals(a->lat, s->lat_us->data, s->lat_us->len);
}


static gint
wp_cmp_u32(gconstpointer a, gconstpointer b)
{
    guint32  x = *(const guint32 *) a, y = *(const guint32 *) b;

    return x < y ? -1 : x > y;
}


static json_t *
wp_agg_json(wp_agg_t *a)
{
    guint     n;
    guint32  *v;
    uint64_t  lost;

    lost = a->expected > a->unique ? a->expected - a->unique : 0;
    g_array_sort(a->lat, wp_cmp_u32);
    n = a->lat->len;
    v = (guint32 *) a->lat->data;

    return json_pack("{sIsIsIsIsfsIsIsfsfsf}",
                     "packets", (json_int_t) a->packets,
                     "bytes", (json_int_t) a->bytes,
                     "expected", (json_int_t) a->expected,
                     "lost", (json_int_t) lost,
                     "loss_pct", a->expected
                                 ? 100.0 * lost / a->expected : 0.0,
                     "duplicates", (json_int_t) a->dup,
                     "reordered", (json_int_t) a->reordered,
                     "latency_p50_ms", n ? v[n / 2] / 1000.0 : 0.0,
                     "latency_p99_ms", n ? v[n * 99 / 100] / 1000.0 : 0.0,
                     "latency_max_ms", n ? v[n - 1] / 1000.0 : 0.0);
}


static void
wp_rtcp_add(wp_rtcp_stats_t *sum, const wp_rtcp_stats_t *s)
{
    sum->rtcp += s->rtcp;
    sum->sr += s->sr;
    sum->rr += s->rr;
    sum->pli += s->pli;
    sum->fir += s->fir;
    sum->nack += s->nack;
    sum->nack_pids += s->nack_pids;
    sum->remb += s->remb;
}


static void
wp_rtx_add(wp_rtx_stats_t *sum, const wp_rtx_stats_t *s)
{
    int  i, k;

    sum->received += s->received;
    sum->recovered += s->recovered;
    sum->mismatch += s->mismatch;
    sum->bad_ts += s->bad_ts;
    sum->orphans += s->orphans;
    sum->padding += s->padding;
    sum->jumps += s->jumps;
    sum->back += s->back;
    sum->nack_answers += s->nack_answers;

    for (i = 0; i < s->norigins; i++) {
        for (k = 0; k < sum->norigins; k++) {
            if (sum->origins[k] == s->origins[i]) {
                break;
            }
        }

        if (k == sum->norigins && k < WP_MAX_STREAMS) {
            sum->origins[sum->norigins++] = s->origins[i];
        }
    }
}


static json_t *
wp_rtcp_json(const wp_rtcp_stats_t *s)
{
    return json_pack("{sIsIsIsIsIsIsIsI}",
                     "received", (json_int_t) s->rtcp,
                     "sr", (json_int_t) s->sr,
                     "rr", (json_int_t) s->rr,
                     "pli", (json_int_t) s->pli,
                     "fir", (json_int_t) s->fir,
                     "nack", (json_int_t) s->nack,
                     "nack_pids", (json_int_t) s->nack_pids,
                     "remb", (json_int_t) s->remb);
}


/* per PC and RTX SSRC: its own numbering */
static json_t *
wp_rtx_ssrcs(wp_peer_t *peer)
{
    int            i;
    guint          n;
    json_t        *list;
    wp_pc_t       *pc;
    wp_rtx_src_t  *s;

    list = json_array();

    for (n = 0; n < peer->pcs->len; n++) {
        pc = g_ptr_array_index(peer->pcs, n);

        for (i = 0; i < pc->nrtx_src; i++) {
            s = &pc->rtx_src[i];
            json_array_append_new(list,
                json_pack("{sssIsIsIsI}", "pc", pc->name,
                          "ssrc", (json_int_t) s->ssrc,
                          "packets", (json_int_t) s->packets,
                          "seq_jumps", (json_int_t) s->jumps,
                          "seq_back", (json_int_t) s->back));
        }
    }

    return list;
}


/*
 * --progress: while the media runs, what each incoming SSRC (audio,
 * video, RTX) brought so far, and the SRTP packets refused, so that a
 * test can see a stream stop or come back as it happens.
 */
json_t *
wp_progress(wp_peer_t *peer)
{
    int        i;
    guint      n;
    json_t    *list;
    wp_pc_t   *pc;
    uint64_t   err, replay, old;

    list = json_array();
    err = replay = old = 0;

    for (n = 0; n < peer->pcs->len; n++) {
        pc = g_ptr_array_index(peer->pcs, n);
        err += pc->srtp_err;
        replay += pc->srtp_replay;
        old += pc->srtp_old;

        for (i = 0; i < pc->ncont; i++) {
            json_array_append_new(list,
                json_pack("{sssIsssIsI}", "pc", pc->name,
                          "ssrc", (json_int_t) pc->cont[i].ssrc,
                          "kind", pc->cont[i].kind == 'a' ? "audio"
                                                          : "video",
                          "packets", (json_int_t) pc->cont[i].packets,
                          "wraps", (json_int_t) pc->cont[i].wraps));
        }

        for (i = 0; i < pc->nrtx_src; i++) {
            json_array_append_new(list,
                json_pack("{sssIsssIsI}", "pc", pc->name,
                          "ssrc", (json_int_t) pc->rtx_src[i].ssrc,
                          "kind", "rtx",
                          "packets", (json_int_t) pc->rtx_src[i].packets,
                          "wraps", (json_int_t) pc->rtx_src[i].wraps));
        }
    }

    return json_pack("{sfsIsIsIso}", "t", (wp_now() - peer->t0) / 1e6,
                     "srtp_errors", (json_int_t) err,
                     "retransmits", (json_int_t) replay,
                     "too_old", (json_int_t) old,
                     "ssrcs", list);
}


/* each receiving PC must have got every kind it was promised */
static void
wp_check_pc(wp_peer_t *peer, wp_pc_t *pc)
{
    int       i;
    uint64_t  audio, video;

    if (!pc->up) {
        wp_fail(peer, "%s: never connected (ICE %s)", pc->name,
                nice_component_state_to_string(pc->ice_state));
        return;
    }

    audio = video = 0;
    for (i = 0; i < pc->nrxs; i++) {
        if (pc->rxs[i].kind == 'a') {
            audio += pc->rxs[i].packets;

        } else {
            video += pc->rxs[i].packets;
        }
    }

    if (pc->expect_audio && audio == 0) {
        wp_fail(peer, "%s: no audio received", pc->name);
    }

    if (pc->expect_video && video == 0) {
        wp_fail(peer, "%s: no video received", pc->name);
    }
}


json_t *
wp_report(wp_peer_t *peer)
{
    int              i, k, up, webrtcup, e2ee_remote, recv;
    guint            n;
    double           connect_ms, webrtcup_ms, loss;
    json_t          *r, *sent, *rx, *profiles, *v;
    wp_pc_t         *pc;
    wp_agg_t         all, audio, video;
    uint64_t         corrupt, unknown, srtp_err, replay, old, late;
    uint64_t         s_pkts, s_bytes, s_audio, s_video, keys, dropped;
    uint64_t         rtcp_tx, pli_tx, nack_tx, bad_srtp, replays;
    uint64_t         rtx_sent, rtx_missing;
    wp_rtx_stats_t   rtx;
    wp_rtcp_stats_t  rtcp, pub;
    const char      *profile, *hangup;

    memset(&all, 0, sizeof(all));
    memset(&audio, 0, sizeof(audio));
    memset(&video, 0, sizeof(video));
    memset(&rtcp, 0, sizeof(rtcp));
    memset(&pub, 0, sizeof(pub));
    memset(&rtx, 0, sizeof(rtx));
    rtx_sent = rtx_missing = 0;
    all.lat = g_array_new(FALSE, FALSE, sizeof(guint32));
    audio.lat = g_array_new(FALSE, FALSE, sizeof(guint32));
    video.lat = g_array_new(FALSE, FALSE, sizeof(guint32));

    up = webrtcup = recv = 0;
    e2ee_remote = peer->pcs->len > 0;
    connect_ms = webrtcup_ms = 0;
    corrupt = unknown = srtp_err = replay = old = late = 0;
    s_pkts = s_bytes = s_audio = s_video = keys = dropped = 0;
    rtcp_tx = pli_tx = nack_tx = bad_srtp = replays = 0;
    profile = hangup = NULL;
    profiles = json_array();

    for (n = 0; n < peer->pcs->len; n++) {
        pc = g_ptr_array_index(peer->pcs, n);

        /* after the hangup --expect-hangup waited for, a PC that never
         * came up or got nothing is what the test wanted */
        if (!peer->failed && !peer->hungup) {
            wp_check_pc(peer, pc);
        }

        if (pc->hangup[0] && hangup == NULL) {
            hangup = pc->hangup;
        }

        up += (pc->t_up != 0);
        webrtcup += pc->webrtcup;
        e2ee_remote &= pc->e2ee_remote;
        recv += pc->receiving;

        if (pc->t_up && (pc->t_up - pc->t_start) / 1000.0 > connect_ms) {
            connect_ms = (pc->t_up - pc->t_start) / 1000.0;
        }

        if (pc->webrtcup
            && (pc->t_webrtcup - pc->t_start) / 1000.0 > webrtcup_ms)
        {
            webrtcup_ms = (pc->t_webrtcup - pc->t_start) / 1000.0;
        }

        if (pc->profile) {
            profile = (profile == NULL || strcmp(profile, pc->profile) == 0)
                      ? pc->profile : "mixed";

            for (k = 0; k < (int) json_array_size(profiles); k++) {
                v = json_array_get(profiles, k);
                if (strcmp(json_string_value(v), pc->profile) == 0) {
                    break;
                }
            }

            if (k == (int) json_array_size(profiles)) {
                json_array_append_new(profiles, json_string(pc->profile));
            }
        }

        for (i = 0; i < pc->nrxs; i++) {
            wp_agg_add(peer, &all, &pc->rxs[i]);
            wp_agg_add(peer, pc->rxs[i].kind == 'a' ? &audio : &video,
                       &pc->rxs[i]);
        }

        for (k = 0; k < pc->ntx; k++) {
            s_pkts += pc->tx[k].packets;
            s_bytes += pc->tx[k].bytes;
            *(pc->tx[k].kind == 'a' ? &s_audio : &s_video) +=
                pc->tx[k].packets;
            keys += pc->tx[k].keyframes;
            dropped += pc->tx[k].dropped;
            rtx_sent += pc->tx[k].rtx_packets;
        }

        wp_rtx_add(&rtx, &pc->rtx);
        rtx_missing += wp_media_rtx_missing(pc);

        if (pc->ntx > 0) {
            wp_rtcp_add(&pub, &pc->rtcp_rx);
        }

        wp_rtcp_add(&rtcp, &pc->rtcp_rx);
        corrupt += pc->corrupt;
        unknown += pc->unknown_pt;
        srtp_err += pc->srtp_err;
        replay += pc->srtp_replay;
        old += pc->srtp_old;
        late += pc->late;
        rtcp_tx += pc->rtcp_tx;
        pli_tx += pc->pli_sent;
        nack_tx += pc->nack_sent;
        bad_srtp += pc->injected_bad;
        replays += pc->injected_replays;
    }

    rx = wp_agg_json(&all);
    json_object_set_new(rx, "audio", wp_agg_json(&audio));
    json_object_set_new(rx, "video", wp_agg_json(&video));
    json_object_set_new(rx, "corrupt", json_integer(corrupt));
    json_object_set_new(rx, "unknown_pt", json_integer(unknown));
    json_object_set_new(rx, "srtp_errors", json_integer(srtp_err));
    json_object_set_new(rx, "retransmits", json_integer(replay));
    json_object_set_new(rx, "too_old", json_integer(old));

    /* the rules: every byte right, nothing extra, loss within bounds */
    if (!peer->failed) {
        loss = all.expected
               ? 100.0 * (all.expected - MIN(all.expected, all.unique))
                 / all.expected : 0.0;

        if (corrupt) {
            wp_fail(peer, "%" G_GUINT64_FORMAT " corrupt packets", corrupt);

        } else if (srtp_err) {
            wp_fail(peer, "%" G_GUINT64_FORMAT " SRTP errors", srtp_err);

        } else if (unknown) {
            wp_fail(peer, "%" G_GUINT64_FORMAT " packets with payload "
                    "types never negotiated", unknown);

        } else if (rtx.mismatch || rtx.bad_ts) {
            wp_fail(peer, "%" G_GUINT64_FORMAT " RTX packets named a packet "
                    "we got but carried another payload, %" G_GUINT64_FORMAT
                    " another timestamp", rtx.mismatch, rtx.bad_ts);

        } else if ((rtx.orphans || rtx_missing)
                   && peer->opts.max_loss == 0)
        {
            /* with loss allowed, a lost original or copy explains either */
            wp_fail(peer, "%" G_GUINT64_FORMAT " RTX packets named a packet "
                    "we never got, %" G_GUINT64_FORMAT " copies due never "
                    "came", rtx.orphans, rtx_missing);

        } else if (loss > peer->opts.max_loss) {
            wp_fail(peer, "loss %.3f%% above --max-loss %.3f%%", loss,
                    peer->opts.max_loss);

        } else if (all.dup && !peer->opts.send_nack) {
            wp_fail(peer, "%" G_GUINT64_FORMAT " duplicate packets",
                    all.dup);

        } else if (recv && peer->pcs->len && all.packets == 0
                   && !peer->hungup)
        {
            wp_fail(peer, "nothing received");

        } else if (pub.pli + pub.fir < (uint64_t) peer->opts.expect_pli) {
            wp_fail(peer, "publisher got %" G_GUINT64_FORMAT " PLI/FIR, "
                    "expected %d", pub.pli + pub.fir, peer->opts.expect_pli);

        } else if (pub.nack < (uint64_t) peer->opts.expect_nack) {
            wp_fail(peer, "publisher got %" G_GUINT64_FORMAT " NACKs, "
                    "expected %d", pub.nack, peer->opts.expect_nack);
        }
    }

    sent = json_pack("{sIsIsIsIsIsIsI}",
                     "packets", (json_int_t) s_pkts,
                     "bytes", (json_int_t) s_bytes,
                     "audio_packets", (json_int_t) s_audio,
                     "video_packets", (json_int_t) s_video,
                     "keyframes", (json_int_t) keys,
                     "late_ticks", (json_int_t) late,
                     "injected_drops", (json_int_t) dropped);
    json_object_set_new(sent, "injected_bad_srtp", json_integer(bad_srtp));
    json_object_set_new(sent, "injected_replays", json_integer(replays));

    r = json_pack("{sssbss*}", "mode", peer->opts.mode,
                  "ok", !peer->failed,
                  "reason", peer->failed ? peer->reason : NULL);

    json_object_set_new(r, "transport",
                        json_string(strncmp(peer->opts.url, "http", 4) == 0
                                    ? "http" : "ws"));
    json_object_set_new(r, "e2ee", json_boolean(peer->opts.e2ee));
    json_object_set_new(r, "e2ee_remote", json_boolean(e2ee_remote));
    json_object_set_new(r, "srtp", profile ? json_string(profile)
                                           : json_null());
    json_object_set_new(r, "srtp_profiles", profiles);
    if (peer->pcs->len) {
        pc = g_ptr_array_index(peer->pcs, 0);
        json_object_set_new(r, "dtls_role",
                            json_string(pc->dtls_client ? "client"
                                                        : "server"));
    }

    if (peer->feed) {
        json_object_set_new(r, "feed", json_integer(peer->feed));
    }

    json_object_set_new(r, "hangup", hangup ? json_string(hangup)
                                             : json_null());
    json_object_set_new(r, "pcs", json_integer(peer->pcs->len));
    json_object_set_new(r, "pcs_up", json_integer(up));
    json_object_set_new(r, "webrtcup", json_integer(webrtcup));
    json_object_set_new(r, "connect_ms", json_real(connect_ms));
    json_object_set_new(r, "webrtcup_ms", json_real(webrtcup_ms));
    json_object_set_new(r, "duration_s",
                        json_real(peer->media_stop > peer->media_start
                                  ? (peer->media_stop - peer->media_start)
                                    / 1e6 : 0.0));
    json_object_set_new(r, "cpu_s", json_real(peer->cpu_s));
    json_object_set_new(r, "sent", sent);
    json_object_set_new(r, "recv", rx);

    json_object_set_new(r, "rtcp", wp_rtcp_json(&rtcp));
    json_object_set_new(json_object_get(r, "rtcp"), "sent",
                        json_integer(rtcp_tx));
    json_object_set_new(json_object_get(r, "rtcp"), "pli_sent",
                        json_integer(pli_tx));
    json_object_set_new(json_object_get(r, "rtcp"), "nack_sent",
                        json_integer(nack_tx));
    json_object_set_new(r, "publisher_rtcp", wp_rtcp_json(&pub));
    json_object_set_new(r, "continuity", wp_cont_json(peer));

    if (peer->opts.rtx) {
        v = json_pack("{sIsIsIsIsIsIsIsIsIsI}",
                      "sent", (json_int_t) rtx_sent,
                      "received", (json_int_t) rtx.received,
                      "recovered", (json_int_t) rtx.recovered,
                      "mismatch", (json_int_t) rtx.mismatch,
                      "bad_ts", (json_int_t) rtx.bad_ts,
                      "orphans", (json_int_t) rtx.orphans,
                      "missing", (json_int_t) rtx_missing,
                      "padding", (json_int_t) rtx.padding,
                      "seq_jumps", (json_int_t) rtx.jumps,
                      "nack_answers", (json_int_t) rtx.nack_answers);
        json_object_set_new(v, "origins", json_integer(rtx.norigins));
        json_object_set_new(v, "seq_back", json_integer(rtx.back));
        json_object_set_new(v, "ssrcs", wp_rtx_ssrcs(peer));
        json_object_set_new(r, "rtx", v);
    }

    g_array_free(all.lat, TRUE);
    g_array_free(audio.lat, TRUE);
    g_array_free(video.lat, TRUE);

    return r;
}
