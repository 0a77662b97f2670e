/*
 * wr-peer: WebRTC test peer for the Janus API (EchoTest and VideoRoom).
 *
 *   wr-peer echotest|publish|subscribe|load [options]
 *
 * Prints one JSON line with what it measured on stdout and exits 0 when all
 * checks passed, 1 when one failed (the reason is in the JSON and on stderr),
 * 2 on bad usage. See README.md.
 */

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>

#include "wr_peer.h"


#define WP_SIGNAL_TIMEOUT  10.0
#define WP_FEED_WAIT       5.0     /* subscribe: for the publisher to appear */


static const char  *wp_usage =
    "usage: wr-peer echotest|publish|subscribe|load [options]\n"
    "  --url URL              ws://host:port/ or http://host:port/janus\n"
    "                         (default ws://127.0.0.1:8188/)\n"
    "  --duration SEC         media time (default 5)\n"
    "  --video-kbps N         video bitrate, 0 = no video (default 1000)\n"
    "  --video-size N         video payload bytes (default 1200)\n"
    "  --fps N                video frames per second (default 30)\n"
    "  --audio-pps N          audio packets per second, 0 = none (default 50)\n"
    "  --audio-size N         audio payload bytes (default 80)\n"
    "  --room ID              VideoRoom room (default 1234)\n"
    "  --display NAME         publisher display name (default wr-peer)\n"
    "  --feed ID              publisher id to take or to subscribe to\n"
    "  --feeds ID,ID,...      subscribe: to all of them, one PeerConnection\n"
    "  --subscribers N        load: subscribers (default 10)\n"
    "  --e2ee                 send jsep.e2ee = true\n"
    "  --expect-webrtcup SEC  fail without webrtcup in SEC, 0 = don't\n"
    "                         wait for it (default 10)\n"
    "  --local-port PORT      UDP port of the first PeerConnection (to test\n"
    "                         a client port reused by a later call)\n"
    "  --local-ip IP          ICE host candidate address (default: all\n"
    "                         non-loopback interfaces)\n"
    "  --srtp LIST            use_srtp profiles, colon separated (default\n"
    "                         AEAD_AES_128_GCM:AEAD_AES_256_GCM:\n"
    "                         AES_CM_128_HMAC_SHA1_80)\n"
    "  --setup ROLE           a=setup to write (default: actpass in offers,\n"
    "                         active in answers)\n"
    "  --send-pli             send a PLI one second into received video\n"
    "  --send-nack            send a NACK one second into received video\n"
    "  --expect-pli N         fail unless the publisher got N PLI/FIR\n"
    "  --expect-nack N        fail unless the publisher got N NACKs\n"
    "  --max-loss PCT         allowed loss in percent (default 0)\n"
    "  --drain MS             wait after the senders stop (default 1000)\n"
    "  --inject-drop N        self-test: do not send every Nth packet\n"
    "  --report-loss N        receiver reports claim N more packets lost\n"
    "                         each second (to test the server's slowlink)\n"
    "  --inject-corrupt N     self-test: flip a byte in every Nth packet\n"
    "  --inject-bad-srtp N    flip a byte of every Nth SRTP packet after\n"
    "                         protection (the server must drop it)\n"
    "  --replay N             send every Nth SRTP packet twice\n"
    "  --bad-fingerprint      offer an a=fingerprint that is not ours\n"
    "  --stop-consent         once the call is up, send no more STUN\n"
    "  --expect-hangup REASON pass only if the server hangs up with REASON\n"
    "  --audio-level-pattern P  send the RFC 6464 audio level, cycling\n"
    "                         through P: STEP:MS,... where STEP is talk\n"
    "                         (-10 dBov), quiet (-127) or a number 0..127\n"
    "  --dump FILE            subscribe: write every RTP packet received\n"
    "                         (after SRTP) to FILE, skip the payload check\n"
    "  --rtx                  negotiate RTX (RFC 4588) for video; check\n"
    "                         every RTX packet received against the video\n"
    "  --send-rtx N           with --rtx: send every Nth video packet again\n"
    "                         as RTX, a few packets later\n"
    "  --switch FEED          subscribe: halfway through --duration, switch\n"
    "                         the video to FEED's (no renegotiation)\n"
    "  --switch-at SEC        switch then instead of halfway\n"
    "  --switch-back-at SEC   switch back to --feed's video then\n"
    "  --pause-at SEC         subscribe: send \"pause\" SEC into the media\n"
    "  --resume-at SEC        subscribe: send \"start\" again then\n"
    "  --new-ssrc-at SEC      senders: new SSRCs, sequence numbers and\n"
    "                         timestamps then (an encoder starting over)\n"
    "  --wrap-at SEC          senders: first sequence numbers such that\n"
    "                         they wrap (65535 to 0) SEC into the media\n"
    "  --progress MS          every MS of media, a line \"wr-peer: progress\n"
    "                         {...}\" on stderr: packets per SSRC received\n"
    "  SIGUSR1                ends the media now, as if --duration were up\n"
    "  -v, --verbose          log signaling and states to stderr\n";


static void wp_on_event(json_t *msg, void *data);
static json_t *wp_message_ok(wp_peer_t *peer, wp_pc_t *pc, json_t *body,
    const char *type, const char *sdp, json_t **reply);
static void wp_on_talking(wp_peer_t *peer, wp_pc_t *pc, json_t *msg);


void
wp_log(wp_peer_t *peer, const char *fmt, ...)
{
    va_list  ap;

    if (!peer->opts.verbose) {
        return;
    }

    fprintf(stderr, "wr-peer: %8.3f ", (wp_now() - peer->t0) / 1e6);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}


/* the first failure is the reason; later ones are usually consequences */
void
wp_fail(wp_peer_t *peer, const char *fmt, ...)
{
    va_list  ap;

    if (peer->failed) {
        return;
    }

    peer->failed = 1;
    va_start(ap, fmt);
    vsnprintf(peer->reason, sizeof(peer->reason), fmt, ap);
    va_end(ap);
    wp_log(peer, "FAIL: %s", peer->reason);
}


/*
 * Also ends waits when the signaling transport died under us, or when the
 * hangup that --expect-hangup waits for came.
 */
static int
wp_failed(void *arg)
{
    wp_peer_t  *peer = arg;

    if (!peer->failed && peer->janus && !wp_janus_alive(peer->janus)) {
        wp_fail(peer, "signaling lost: %s", wp_janus_error(peer->janus));
    }

    return peer->failed || peer->hungup;
}


/* ---- Janus helpers ------------------------------------------------------- */

static wp_pc_t *
wp_pc_by_handle(wp_peer_t *peer, json_int_t handle)
{
    guint     i;
    wp_pc_t  *pc;

    for (i = 0; i < peer->pcs->len; i++) {
        pc = g_ptr_array_index(peer->pcs, i);
        if (pc->handle == handle) {
            return pc;
        }
    }

    return NULL;
}


static void
wp_on_event(json_t *msg, void *data)
{
    wp_pc_t     *pc;
    wp_peer_t   *peer = data;
    const char  *type, *reason;

    type = json_string_value(json_object_get(msg, "janus"));
    pc = wp_pc_by_handle(peer,
                         json_integer_value(json_object_get(msg, "sender")));
    if (type == NULL) {
        return;
    }

    if (strcmp(type, "timeout") == 0 && !peer->closing) {
        wp_fail(peer, "the server timed the session out");
        return;
    }

    if (pc == NULL) {
        return;
    }

    if (strcmp(type, "webrtcup") == 0) {
        pc->webrtcup = 1;
        pc->t_webrtcup = wp_now();
        wp_log(peer, "%s: webrtcup", pc->name);

    } else if (strcmp(type, "hangup") == 0) {
        reason = json_string_value(json_object_get(msg, "reason"));
        g_strlcpy(pc->hangup, reason ? reason : "?", sizeof(pc->hangup));
        wp_log(peer, "%s: hangup: %s", pc->name, pc->hangup);

        if (peer->closing) {
            return;
        }

        if (peer->opts.expect_hangup
            && strcmp(pc->hangup, peer->opts.expect_hangup) == 0)
        {
            /* what the run waited for: it ends here, and passes */
            peer->hungup = 1;

        } else if (peer->opts.expect_hangup) {
            wp_fail(peer, "%s: server hung up: %s (expected %s)", pc->name,
                    pc->hangup, peer->opts.expect_hangup);

        } else {
            wp_fail(peer, "%s: server hung up: %s", pc->name, pc->hangup);
        }

    } else if (strcmp(type, "event") == 0) {
        wp_on_talking(peer, pc, msg);

    } else if (strcmp(type, "media") == 0) {
        wp_log(peer, "%s: media %s receiving=%s", pc->name,
               json_string_value(json_object_get(msg, "type")),
               json_is_true(json_object_get(msg, "receiving"))
               ? "true" : "false");
    }
}


/* VideoRoom talking events, kept in order for the report */
static void
wp_on_talking(wp_peer_t *peer, wp_pc_t *pc, json_t *msg)
{
    json_t      *data, *id, *level;
    const char  *what;

    data = json_object_get(json_object_get(msg, "plugindata"), "data");
    what = json_string_value(json_object_get(data, "videoroom"));

    if (what == NULL || (strcmp(what, "talking") != 0
                         && strcmp(what, "stopped-talking") != 0))
    {
        return;
    }

    id = json_object_get(data, "id");
    level = json_object_get(data, "audio-level-dBov-avg");

    wp_log(peer, "%s: %s: feed %" JSON_INTEGER_FORMAT ", level %.1f",
           pc->name, what, json_integer_value(id), json_number_value(level));

    if (json_array_size(peer->talking) < 256) {
        json_array_append_new(peer->talking,
            json_pack("{sssssOsOsf}", "event", what, "pc", pc->name,
                      "id", id ? id : json_null(),
                      "level", level ? level : json_null(),
                      "t", (wp_now() - peer->t0) / 1e6));
    }
}


/* --audio-level-pattern: STEP:MS[,STEP:MS...] */
static int
wp_level_pattern(wp_opts_t *o, const char *text)
{
    int    ms, level;
    char  *copy, *step, *save, *colon, *end;

    copy = g_strdup(text);
    o->nlevels = 0;
    o->level_cycle_ms = 0;

    for (step = strtok_r(copy, ",", &save); step;
         step = strtok_r(NULL, ",", &save))
    {
        colon = strchr(step, ':');
        if (colon == NULL || o->nlevels == WP_MAX_LEVELS) {
            goto bad;
        }

        *colon = '\0';

        if (strcmp(step, "talk") == 0) {
            level = 10;

        } else if (strcmp(step, "quiet") == 0) {
            level = 127;

        } else {
            level = (int) strtol(step, &end, 10);
            if (*step == '\0' || *end != '\0' || level < 0 || level > 127) {
                goto bad;
            }
        }

        ms = (int) strtol(colon + 1, &end, 10);
        if (colon[1] == '\0' || *end != '\0' || ms < 1 || ms > 3600000) {
            goto bad;
        }

        o->level[o->nlevels] = (uint8_t) level;
        o->level_ms[o->nlevels++] = ms;
        o->level_cycle_ms += ms;
    }

    g_free(copy);
    return o->nlevels ? 0 : -1;

bad:

    g_free(copy);
    o->nlevels = 0;
    return -1;
}


static int
wp_attach(wp_peer_t *peer, wp_pc_t *pc, const char *plugin)
{
    json_t      *reply, *id;
    const char  *type;

    reply = wp_janus_call(peer->janus,
                          json_pack("{ssss}", "janus", "attach",
                                    "plugin", plugin),
                          0, WP_SIGNAL_TIMEOUT);
    if (reply == NULL) {
        wp_fail(peer, "attach: %s", wp_janus_error(peer->janus));
        return -1;
    }

    type = json_string_value(json_object_get(reply, "janus"));
    id = json_object_get(json_object_get(reply, "data"), "id");

    if (type == NULL || strcmp(type, "success") != 0 || !json_is_integer(id)) {
        wp_fail(peer, "attach %s: %s", plugin,
                json_string_value(json_object_get(json_object_get(reply,
                                  "error"), "reason")));
        json_decref(reply);
        return -1;
    }

    pc->handle = json_integer_value(id);
    json_decref(reply);
    return 0;
}


/*
 * A plugin message, with a jsep when sdp is given. Returns the plugin data
 * of the reply (and the jsep through *jsep), or NULL after wp_fail; on a
 * plugin error, NULL with *code set and no failure, so callers can retry.
 */
static json_t *
wp_message(wp_peer_t *peer, wp_pc_t *pc, json_t *body, const char *type,
    const char *sdp, json_t **reply_out, int *code)
{
    json_t      *req, *reply, *data, *err;
    const char  *what;

    *reply_out = NULL;
    *code = 0;

    req = json_pack("{sssIso}", "janus", "message", "handle_id",
                    pc->handle, "body", body);
    if (sdp) {
        json_object_set_new(req, "jsep",
                            json_pack("{ssss}", "type", type, "sdp", sdp));
        if (peer->opts.e2ee) {
            json_object_set_new(json_object_get(req, "jsep"), "e2ee",
                                json_true());
        }
    }

    reply = wp_janus_call(peer->janus, req, 1, WP_SIGNAL_TIMEOUT);
    if (reply == NULL) {
        wp_fail(peer, "%s: %s", pc->name, wp_janus_error(peer->janus));
        return NULL;
    }

    what = json_string_value(json_object_get(reply, "janus"));
    if (what && strcmp(what, "error") == 0) {
        err = json_object_get(reply, "error");
        wp_fail(peer, "%s: error %d: %s", pc->name,
                (int) json_integer_value(json_object_get(err, "code")),
                json_string_value(json_object_get(err, "reason")));
        json_decref(reply);
        return NULL;
    }

    data = json_object_get(json_object_get(reply, "plugindata"), "data");
    if (data == NULL) {
        wp_fail(peer, "%s: reply without plugindata", pc->name);
        json_decref(reply);
        return NULL;
    }

    if (json_object_get(data, "error_code")) {
        *code = json_integer_value(json_object_get(data, "error_code"));
        wp_log(peer, "%s: plugin error %d: %s", pc->name, *code,
               json_string_value(json_object_get(data, "error")));
        json_decref(reply);
        return NULL;
    }

    *reply_out = reply;
    return data;
}


/* the plugin's error ends the run, with its text */
static json_t *
wp_message_ok(wp_peer_t *peer, wp_pc_t *pc, json_t *body, const char *type,
    const char *sdp, json_t **reply)
{
    int      code;
    json_t  *data;

    data = wp_message(peer, pc, body, type, sdp, reply, &code);
    if (data == NULL && code && !peer->failed) {
        wp_fail(peer, "%s: plugin error %d", pc->name, code);
    }

    return data;
}


/* the remote SDP from a reply's jsep; notes e2ee */
static const char *
wp_jsep(wp_peer_t *peer, wp_pc_t *pc, json_t *reply, const char *want)
{
    json_t      *jsep;
    const char  *type, *sdp;

    jsep = json_object_get(reply, "jsep");
    type = json_string_value(json_object_get(jsep, "type"));
    sdp = json_string_value(json_object_get(jsep, "sdp"));

    if (type == NULL || sdp == NULL || strcmp(type, want) != 0) {
        wp_fail(peer, "%s: expected a jsep %s from the server", pc->name,
                want);
        return NULL;
    }

    pc->e2ee_remote = json_is_true(json_object_get(jsep, "e2ee"));
    return sdp;
}


/* half-trickle: our candidates were in the SDP, say there are no more */
static void
wp_trickle_done(wp_peer_t *peer, wp_pc_t *pc)
{
    json_t  *reply;

    reply = wp_janus_call(peer->janus,
                          json_pack("{sssIs{sb}}", "janus", "trickle",
                                    "handle_id", pc->handle, "candidate",
                                    "completed", 1),
                          0, WP_SIGNAL_TIMEOUT);
    if (reply == NULL) {
        wp_fail(peer, "%s: trickle: %s", pc->name,
                wp_janus_error(peer->janus));
    }

    json_decref(reply);
}


static int
wp_gather(wp_peer_t *peer, wp_pc_t *pc)
{
    if (!wp_wait(wp_pc_gathered, pc, WP_SIGNAL_TIMEOUT) && !peer->failed) {
        wp_fail(peer, "%s: ICE gathering timed out", pc->name);
    }

    return peer->failed ? -1 : 0;
}


static int
wp_all_up(void *arg)
{
    guint       i;
    wp_pc_t    *pc;
    wp_peer_t  *peer = arg;

    if (wp_failed(peer)) {
        return 1;
    }

    for (i = 0; i < peer->pcs->len; i++) {
        pc = g_ptr_array_index(peer->pcs, i);
        if (!pc->up || (peer->opts.expect_webrtcup > 0 && !pc->webrtcup)) {
            return 0;
        }
    }

    return 1;
}


/* secure media on every PC, and webrtcup from the server when asked */
static int
wp_wait_up(wp_peer_t *peer, double timeout)
{
    guint     i;
    wp_pc_t  *pc;

    if (wp_wait(wp_all_up, peer, timeout) && !peer->failed) {
        /* an expected hangup before the call was up ends the run */
        return peer->hungup ? -1 : 0;
    }

    for (i = 0; i < peer->pcs->len && !peer->failed; i++) {
        pc = g_ptr_array_index(peer->pcs, i);

        if (!pc->up) {
            wp_fail(peer, "%s: not connected after %.0f s (ICE %s, DTLS %s)",
                    pc->name, timeout,
                    nice_component_state_to_string(pc->ice_state),
                    pc->dtls_done ? "done" : "not done");

        } else if (!pc->webrtcup) {
            wp_fail(peer, "%s: no webrtcup event within %.0f s", pc->name,
                    timeout);
        }
    }

    return -1;
}


static double
wp_up_timeout(wp_peer_t *peer)
{
    return peer->opts.expect_webrtcup > 0 ? peer->opts.expect_webrtcup
                                          : WP_SIGNAL_TIMEOUT;
}


/*
 * --switch: every subscription's video now comes from the video of
 * another publisher, in the same m-line; the server sends no new offer.
 */
static void
wp_switch(wp_peer_t *peer, json_int_t feed)
{
    guint        i;
    json_t      *body, *reply, *data, *changes;
    wp_pc_t     *pc;
    const char  *ok;

    for (i = 0; i < peer->pcs->len && !peer->failed; i++) {
        pc = g_ptr_array_index(peer->pcs, i);
        if (pc->video_mid[0] == '\0') {
            continue;
        }

        body = json_pack("{sss[{sIssss}]}", "request", "switch",
                         "streams", "feed", feed,
                         "mid", pc->feed_video_mid,
                         "sub_mid", pc->video_mid);
        data = wp_message_ok(peer, pc, body, NULL, NULL, &reply);
        if (data == NULL) {
            return;
        }

        ok = json_string_value(json_object_get(data, "switched"));
        changes = json_object_get(data, "changes");

        if (ok == NULL || strcmp(ok, "ok") != 0
            || json_integer_value(changes) != 1)
        {
            wp_fail(peer, "%s: switch to feed %" JSON_INTEGER_FORMAT
                    " changed nothing", pc->name, feed);

        } else {
            wp_log(peer, "%s: video switched to feed %" JSON_INTEGER_FORMAT,
                   pc->name, feed);
        }

        json_decref(reply);
    }
}


/* --pause-at, --resume-at: "pause" or "start" on every subscription */
static void
wp_pause(wp_peer_t *peer, const char *request, const char *key)
{
    guint        i;
    json_t      *reply, *data;
    wp_pc_t     *pc;
    const char  *ok;

    for (i = 0; i < peer->pcs->len && !peer->failed; i++) {
        pc = g_ptr_array_index(peer->pcs, i);
        if (!pc->receiving || pc->ntx > 0) {
            continue;
        }

        data = wp_message_ok(peer, pc, json_pack("{ss}", "request", request),
                             NULL, NULL, &reply);
        if (data == NULL) {
            return;
        }

        ok = json_string_value(json_object_get(data, key));

        if (ok == NULL || strcmp(ok, "ok") != 0) {
            wp_fail(peer, "%s: no \"%s\": \"ok\" after \"%s\"", pc->name,
                    key, request);

        } else {
            wp_log(peer, "%s: %s", pc->name, key);
        }

        json_decref(reply);
    }
}


/* the media ends early on a failure, or when SIGUSR1 says so */
static int
wp_media_over(void *arg)
{
    wp_peer_t  *peer = arg;

    return wp_failed(peer) || peer->stop;
}


static gboolean
wp_on_usr1(gpointer data)
{
    wp_peer_t  *peer = data;

    peer->stop = 1;
    wp_log(peer, "SIGUSR1: the media ends");

    return G_SOURCE_CONTINUE;
}


/* --progress: what has arrived so far, for a test to watch */
static gboolean
wp_progress_tick(gpointer data)
{
    char       *line;
    json_t     *p;
    wp_peer_t  *peer = data;

    p = wp_progress(peer);
    line = json_dumps(p, JSON_COMPACT | JSON_REAL_PRECISION(6));
    fprintf(stderr, "wr-peer: progress %s\n", line);
    free(line);
    json_decref(p);

    return G_SOURCE_CONTINUE;
}


/* what happens at a time into the media (--switch, --pause-at, ...) */
typedef struct {
    double        at;
    int           what;
} wp_step_t;

enum {
    WP_STEP_SWITCH,
    WP_STEP_SWITCH_BACK,
    WP_STEP_PAUSE,
    WP_STEP_RESUME,
    WP_STEP_NEW_SSRC
};


static gint
wp_step_cmp(gconstpointer a, gconstpointer b)
{
    const wp_step_t  *x = a, *y = b;

    return (x->at > y->at) - (x->at < y->at);
}


static void
wp_steps(wp_peer_t *peer)
{
    int         n, k;
    guint       i;
    double      left;
    wp_pc_t    *pc;
    wp_step_t   steps[5];
    wp_opts_t  *o = &peer->opts;

    n = 0;

    if (o->switch_feed) {
        steps[n].at = o->switch_at ? o->switch_at : o->duration / 2;
        steps[n++].what = WP_STEP_SWITCH;
    }

    if (o->switch_back_at) {
        steps[n].at = o->switch_back_at;
        steps[n++].what = WP_STEP_SWITCH_BACK;
    }

    if (o->pause_at) {
        steps[n].at = o->pause_at;
        steps[n++].what = WP_STEP_PAUSE;
    }

    if (o->resume_at) {
        steps[n].at = o->resume_at;
        steps[n++].what = WP_STEP_RESUME;
    }

    if (o->new_ssrc_at) {
        steps[n].at = o->new_ssrc_at;
        steps[n++].what = WP_STEP_NEW_SSRC;
    }

    qsort(steps, n, sizeof(wp_step_t), wp_step_cmp);

    for (k = 0; k <= n && !peer->failed && !peer->stop; k++) {
        left = (k < n ? steps[k].at : o->duration)
               - (wp_now() - peer->media_start) / 1e6;

        if (left > 0 && wp_wait(wp_media_over, peer, left)) {
            return;
        }

        if (k == n) {
            break;
        }

        switch (steps[k].what) {

        case WP_STEP_SWITCH:
            wp_switch(peer, o->switch_feed);
            break;

        case WP_STEP_SWITCH_BACK:
            wp_switch(peer, o->feed);
            break;

        case WP_STEP_PAUSE:
            wp_pause(peer, "pause", "paused");
            break;

        case WP_STEP_RESUME:
            wp_pause(peer, "start", "started");
            break;

        default:
            for (i = 0; i < peer->pcs->len; i++) {
                pc = g_ptr_array_index(peer->pcs, i);
                if (pc->sending) {
                    wp_media_new_ssrc(pc);
                }
            }
        }
    }
}


/* media for --duration, then the drain */
static void
wp_run(wp_peer_t *peer)
{
    guint     i, progress;
    wp_pc_t  *pc;

    peer->media_start = wp_now();
    peer->cpu0 = wp_cpu_seconds();
    progress = 0;

    if (peer->opts.progress_ms) {
        progress = g_timeout_add(peer->opts.progress_ms, wp_progress_tick,
                                 peer);
    }

    for (i = 0; i < peer->pcs->len; i++) {
        pc = g_ptr_array_index(peer->pcs, i);
        if (peer->opts.stop_consent) {
            wp_pc_stop_consent(pc);
        }

        wp_pc_media(pc, 1);
    }

    wp_steps(peer);

    for (i = 0; i < peer->pcs->len; i++) {
        pc = g_ptr_array_index(peer->pcs, i);
        wp_pc_media(pc, 0);
    }

    peer->media_stop = wp_now();
    peer->cpu_s = wp_cpu_seconds() - peer->cpu0;

    wp_wait(wp_failed, peer, peer->opts.drain_ms / 1000.0);

    if (progress) {
        /* and one last line, with what the drain brought */
        wp_progress_tick(peer);
        g_source_remove(progress);
    }
}


/* ---- modes --------------------------------------------------------------- */

static void
wp_echotest(wp_peer_t *peer)
{
    char        *offer;
    json_t      *body, *reply, *data;
    wp_pc_t     *pc;
    const char  *sdp;

    pc = wp_pc_new(peer, "echo");
    if (peer->failed || wp_attach(peer, pc, "janus.plugin.echotest") != 0
        || wp_gather(peer, pc) != 0)
    {
        return;
    }

    offer = wp_pc_offer(pc, 1, 1);
    body = json_pack("{sbsb}", "audio", peer->opts.audio_pps > 0,
                     "video", peer->opts.video_kbps > 0);
    data = wp_message_ok(peer, pc, body, "offer", offer, &reply);
    g_free(offer);

    if (data == NULL) {
        return;
    }

    sdp = wp_jsep(peer, pc, reply, "answer");
    if (sdp && wp_pc_set_answer(pc, sdp) == 0) {
        wp_trickle_done(peer, pc);
    }

    json_decref(reply);

    if (!peer->failed && wp_wait_up(peer, wp_up_timeout(peer)) == 0) {
        wp_run(peer);
    }
}


/* join the room and publish; the PC is up (or the run failed) on return */
static wp_pc_t *
wp_publisher(wp_peer_t *peer)
{
    char        *offer;
    json_t      *body, *reply, *data;
    wp_pc_t     *pc;
    const char  *sdp;

    pc = wp_pc_new(peer, "pub");
    if (peer->failed || wp_attach(peer, pc, "janus.plugin.videoroom") != 0) {
        return NULL;
    }

    body = json_pack("{sssssIss}", "request", "join", "ptype", "publisher",
                     "room", peer->opts.room, "display", peer->opts.display);
    if (peer->opts.feed) {
        json_object_set_new(body, "id", json_integer(peer->opts.feed));
    }

    data = wp_message_ok(peer, pc, body, NULL, NULL, &reply);
    if (data == NULL) {
        return NULL;
    }

    peer->feed = json_integer_value(json_object_get(data, "id"));
    json_decref(reply);
    wp_log(peer, "joined room %" JSON_INTEGER_FORMAT " as feed %"
           JSON_INTEGER_FORMAT, peer->opts.room, peer->feed);

    if (wp_gather(peer, pc) != 0) {
        return NULL;
    }

    offer = wp_pc_offer(pc, 1, 0);
    body = json_pack("{ss}", "request", "publish");
    data = wp_message_ok(peer, pc, body, "offer", offer, &reply);
    g_free(offer);

    if (data == NULL) {
        return NULL;
    }

    sdp = wp_jsep(peer, pc, reply, "answer");
    if (sdp && wp_pc_set_answer(pc, sdp) == 0) {
        wp_trickle_done(peer, pc);
    }

    json_decref(reply);

    if (peer->failed || wp_wait_up(peer, wp_up_timeout(peer)) != 0) {
        return NULL;
    }

    return pc;
}


/* the video m-line of a subscription and its publisher's mid (--switch) */
static void
wp_video_mids(wp_pc_t *pc, json_t *data)
{
    size_t       i;
    json_t      *st;
    const char  *type, *mid, *feed_mid;

    json_array_foreach(json_object_get(data, "streams"), i, st) {
        type = json_string_value(json_object_get(st, "type"));
        mid = json_string_value(json_object_get(st, "mid"));
        feed_mid = json_string_value(json_object_get(st, "feed_mid"));

        if (type && mid && feed_mid && strcmp(type, "video") == 0) {
            g_strlcpy(pc->video_mid, mid, sizeof(pc->video_mid));
            g_strlcpy(pc->feed_video_mid, feed_mid,
                      sizeof(pc->feed_video_mid));
            return;
        }
    }
}


/*
 * Join as subscriber to every feed of feeds (one PeerConnection, the
 * 1.x multistream "streams"), answer, start; does not wait for media.
 */
static wp_pc_t *
wp_subscriber(wp_peer_t *peer, const char *name, const json_int_t *feeds,
    int nfeeds)
{
    int          i, code;
    char        *answer;
    json_t      *body, *reply, *data, *streams;
    int64_t      until;
    wp_pc_t     *pc;
    const char  *sdp;

    pc = wp_pc_new(peer, name);
    if (peer->failed || wp_attach(peer, pc, "janus.plugin.videoroom") != 0) {
        return NULL;
    }

    until = wp_now() + (int64_t) (WP_FEED_WAIT * 1e6);

    for ( ;; ) {
        streams = json_array();

        for (i = 0; i < nfeeds; i++) {
            json_array_append_new(streams, json_pack("{sI}", "feed",
                                                     feeds[i]));
        }

        body = json_pack("{sssssIso}", "request", "join",
                         "ptype", "subscriber", "room", peer->opts.room,
                         "streams", streams);
        data = wp_message(peer, pc, body, NULL, NULL, &reply, &code);

        /* 428: no such feed (yet); the publisher may still be starting */
        if (data || code != 428 || wp_now() > until) {
            break;
        }

        wp_wait(wp_failed, peer, 0.2);
    }

    if (data == NULL) {
        if (!peer->failed) {
            wp_fail(peer, "%s: cannot subscribe to feed %" JSON_INTEGER_FORMAT
                    "%s (plugin error %d)", name, feeds[0],
                    nfeeds > 1 ? " and the others" : "", code);
        }

        return NULL;
    }

    wp_video_mids(pc, data);

    sdp = wp_jsep(peer, pc, reply, "offer");
    if (sdp == NULL || wp_gather(peer, pc) != 0) {
        json_decref(reply);
        return NULL;
    }

    answer = wp_pc_answer(pc, sdp);
    json_decref(reply);

    if (answer == NULL) {
        return NULL;
    }

    body = json_pack("{ss}", "request", "start");
    data = wp_message_ok(peer, pc, body, "answer", answer, &reply);
    g_free(answer);

    if (data == NULL) {
        return NULL;
    }

    json_decref(reply);
    wp_trickle_done(peer, pc);

    return peer->failed ? NULL : pc;
}


static void
wp_publish(wp_peer_t *peer)
{
    if (wp_publisher(peer) != NULL) {
        wp_run(peer);
    }
}


static void
wp_subscribe(wp_peer_t *peer)
{
    wp_opts_t  *o = &peer->opts;

    if (o->feed == 0 && o->nfeeds == 0) {
        wp_fail(peer, "subscribe needs --feed or --feeds");
        return;
    }

    if (o->nfeeds == 0) {
        o->feeds[o->nfeeds++] = o->feed;
    }

    if (o->feed == 0) {
        /* --switch-back-at goes back to the first */
        o->feed = o->feeds[0];
    }

    if (wp_subscriber(peer, "sub", o->feeds, o->nfeeds) != NULL
        && wp_wait_up(peer, wp_up_timeout(peer)) == 0)
    {
        wp_run(peer);
    }
}


/* one publisher and N subscribers in this process; it measures the SFU */
static void
wp_load(wp_peer_t *peer)
{
    int       i;
    char      name[32];
    wp_pc_t  *pub;

    pub = wp_publisher(peer);
    if (pub == NULL) {
        return;
    }

    /* a feed exists for subscribers once its media flows */
    wp_pc_media(pub, 1);

    for (i = 0; i < peer->opts.subscribers && !peer->failed; i++) {
        snprintf(name, sizeof(name), "sub%d", i + 1);
        if (wp_subscriber(peer, name, &peer->feed, 1) == NULL) {
            return;
        }
    }

    if (wp_wait_up(peer, wp_up_timeout(peer)
                         + peer->opts.subscribers * 0.05) == 0)
    {
        wp_run(peer);
    }
}


/* ---- main ---------------------------------------------------------------- */

/* --feeds ID,ID,...: each a publisher id, at most WP_MAX_FEEDS */
static int
wp_feed_list(wp_opts_t *o, const char *text)
{
    char        *end;
    json_int_t   id;
    const char  *p;

    o->nfeeds = 0;
    p = text;

    for ( ;; ) {
        id = strtoll(p, &end, 10);
        if (end == p || id <= 0 || o->nfeeds == WP_MAX_FEEDS) {
            return -1;
        }

        o->feeds[o->nfeeds++] = id;

        if (*end == '\0') {
            return 0;
        }

        if (*end != ',') {
            return -1;
        }

        p = end + 1;
    }
}


static int
wp_options(wp_opts_t *o, int argc, char **argv)
{
    int                        c;
    static const struct option  opts[] = {
        { "url", required_argument, NULL, 'u' },
        { "duration", required_argument, NULL, 'd' },
        { "video-kbps", required_argument, NULL, 'V' },
        { "video-size", required_argument, NULL, 'S' },
        { "fps", required_argument, NULL, 'f' },
        { "audio-pps", required_argument, NULL, 'A' },
        { "audio-size", required_argument, NULL, 'Z' },
        { "room", required_argument, NULL, 'r' },
        { "display", required_argument, NULL, 'n' },
        { "feed", required_argument, NULL, 'F' },
        { "subscribers", required_argument, NULL, 'N' },
        { "e2ee", no_argument, NULL, 'e' },
        { "expect-webrtcup", required_argument, NULL, 'w' },
        { "local-ip", required_argument, NULL, 'l' },
        { "local-port", required_argument, NULL, 1001 },
        { "srtp", required_argument, NULL, 's' },
        { "setup", required_argument, NULL, 'R' },
        { "send-pli", no_argument, NULL, 'P' },
        { "send-nack", no_argument, NULL, 'K' },
        { "expect-pli", required_argument, NULL, 'p' },
        { "expect-nack", required_argument, NULL, 'k' },
        { "max-loss", required_argument, NULL, 'L' },
        { "drain", required_argument, NULL, 'D' },
        { "inject-drop", required_argument, NULL, 'X' },
        { "report-loss", required_argument, NULL, 1002 },
        { "inject-corrupt", required_argument, NULL, 'C' },
        { "inject-bad-srtp", required_argument, NULL, 'B' },
        { "replay", required_argument, NULL, 'Y' },
        { "bad-fingerprint", no_argument, NULL, 'G' },
        { "stop-consent", no_argument, NULL, 'T' },
        { "expect-hangup", required_argument, NULL, 'H' },
        { "audio-level-pattern", required_argument, NULL, 'a' },
        { "dump", required_argument, NULL, 'O' },
        { "rtx", no_argument, NULL, 1003 },
        { "send-rtx", required_argument, NULL, 1004 },
        { "switch", required_argument, NULL, 1005 },
        { "switch-at", required_argument, NULL, 1006 },
        { "switch-back-at", required_argument, NULL, 1007 },
        { "pause-at", required_argument, NULL, 1008 },
        { "resume-at", required_argument, NULL, 1009 },
        { "new-ssrc-at", required_argument, NULL, 1010 },
        { "feeds", required_argument, NULL, 1011 },
        { "wrap-at", required_argument, NULL, 1012 },
        { "progress", required_argument, NULL, 1013 },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    o->url = "ws://127.0.0.1:8188/";
    o->display = "wr-peer";
    o->srtp = "AEAD_AES_128_GCM:AEAD_AES_256_GCM:AES_CM_128_HMAC_SHA1_80";
    o->duration = 5;
    o->expect_webrtcup = 10;
    o->room = 1234;
    o->video_kbps = 1000;
    o->video_size = 1200;
    o->fps = 30;
    o->audio_pps = 50;
    o->audio_size = 80;
    o->subscribers = 10;
    o->drain_ms = 1000;

    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case 'u': o->url = optarg; break;
        case 'd': o->duration = atof(optarg); break;
        case 'V': o->video_kbps = atoi(optarg); break;
        case 'S': o->video_size = atoi(optarg); break;
        case 'f': o->fps = atoi(optarg); break;
        case 'A': o->audio_pps = atoi(optarg); break;
        case 'Z': o->audio_size = atoi(optarg); break;
        case 'r': o->room = strtoll(optarg, NULL, 10); break;
        case 'n': o->display = optarg; break;
        case 'F': o->feed = strtoll(optarg, NULL, 10); break;
        case 'N': o->subscribers = atoi(optarg); break;
        case 'e': o->e2ee = 1; break;
        case 'w': o->expect_webrtcup = atof(optarg); break;
        case 'l': o->local_ip = optarg; break;
        case 1001: o->local_port = (unsigned) atoi(optarg); break;
        case 's': o->srtp = optarg; break;
        case 'R': o->setup = optarg; break;
        case 'P': o->send_pli = 1; break;
        case 'K': o->send_nack = 1; break;
        case 'p': o->expect_pli = atoi(optarg); break;
        case 'k': o->expect_nack = atoi(optarg); break;
        case 'L': o->max_loss = atof(optarg); break;
        case 'D': o->drain_ms = atoi(optarg); break;
        case 'X': o->inject_drop = atoi(optarg); break;
        case 1002: o->report_loss = atoi(optarg); break;
        case 'C': o->inject_corrupt = atoi(optarg); break;
        case 'B': o->inject_bad_srtp = atoi(optarg); break;
        case 'Y': o->replay = atoi(optarg); break;
        case 'G': o->bad_fingerprint = 1; break;
        case 'T': o->stop_consent = 1; break;
        case 'H': o->expect_hangup = optarg; break;
        case 'O': o->dump = optarg; break;
        case 1003: o->rtx = 1; break;
        case 1004: o->send_rtx = atoi(optarg); break;
        case 1005: o->switch_feed = strtoll(optarg, NULL, 10); break;
        case 1006: o->switch_at = atof(optarg); break;
        case 1007: o->switch_back_at = atof(optarg); break;
        case 1008: o->pause_at = atof(optarg); break;
        case 1009: o->resume_at = atof(optarg); break;
        case 1010: o->new_ssrc_at = atof(optarg); break;
        case 1011:
            if (wp_feed_list(o, optarg) != 0) {
                fprintf(stderr, "wr-peer: bad --feeds\n");
                return -1;
            }
            break;
        case 1012: o->wrap_at = atof(optarg); break;
        case 1013: o->progress_ms = atoi(optarg); break;
        case 'v': o->verbose = 1; break;
        case 'a':
            if (wp_level_pattern(o, optarg) != 0) {
                fprintf(stderr, "wr-peer: bad --audio-level-pattern\n");
                return -1;
            }
            break;
        default: return -1;
        }
    }

    if (optind != argc - 1) {
        return -1;
    }

    o->mode = argv[optind];

    if (strcmp(o->mode, "echotest") != 0 && strcmp(o->mode, "publish") != 0
        && strcmp(o->mode, "subscribe") != 0 && strcmp(o->mode, "load") != 0)
    {
        fprintf(stderr, "wr-peer: unknown mode \"%s\"\n", o->mode);
        return -1;
    }

    /* sizes must hold the checked header, and fit one packet */
    if (o->duration < 0 || o->fps < 1 || o->fps > 120 || o->video_kbps < 0
        || o->audio_pps < 0 || o->audio_pps > 1000
        || o->video_size < WP_VP8_PREFIX + WP_PAYLOAD_HDR
        || o->video_size > 1400 || o->audio_size < WP_PAYLOAD_HDR
        || o->audio_size > 1400 || o->subscribers < 1
        || o->inject_drop < 0 || o->inject_corrupt < 0
        || o->inject_bad_srtp < 0 || o->replay < 0
        || o->send_rtx < 0 || (o->send_rtx && !o->rtx)
        || o->switch_feed < 0
        || (o->switch_feed && strcmp(o->mode, "subscribe") != 0)
        || o->switch_at < 0 || (o->switch_at && !o->switch_feed)
        || o->switch_back_at < 0
        || (o->switch_back_at
            && (!o->switch_feed || o->switch_back_at
                                   <= (o->switch_at ? o->switch_at
                                                    : o->duration / 2)))
        || o->pause_at < 0 || o->resume_at < 0
        || ((o->pause_at || o->resume_at)
            && strcmp(o->mode, "subscribe") != 0)
        || (o->resume_at && o->resume_at <= o->pause_at)
        || o->new_ssrc_at < 0
        || (o->new_ssrc_at && strcmp(o->mode, "subscribe") == 0)
        || (o->switch_at && o->switch_at >= o->duration)
        || (o->switch_back_at && o->switch_back_at >= o->duration)
        || (o->pause_at && o->pause_at >= o->duration)
        || (o->resume_at && o->resume_at >= o->duration)
        || (o->new_ssrc_at && o->new_ssrc_at >= o->duration)
        || (o->expect_hangup && o->expect_hangup[0] == '\0')
        || (o->dump && strcmp(o->mode, "subscribe") != 0)
        || (o->nfeeds && strcmp(o->mode, "subscribe") != 0)
        || o->wrap_at < 0
        || (o->wrap_at && strcmp(o->mode, "subscribe") == 0)
        || o->progress_ms < 0 || (o->progress_ms && o->progress_ms < 10)
        || (o->video_kbps == 0 && o->audio_pps == 0)
        || (o->setup && strcmp(o->setup, "active") != 0
            && strcmp(o->setup, "passive") != 0
            && strcmp(o->setup, "actpass") != 0))
    {
        fprintf(stderr, "wr-peer: option out of range\n");
        return -1;
    }

    return 0;
}


int
main(int argc, char **argv)
{
    guint       i;
    char        err[256], *line;
    json_t     *reply, *report;
    wp_peer_t   peer;

    memset(&peer, 0, sizeof(peer));

    if (wp_options(&peer.opts, argc, argv) != 0) {
        fputs(wp_usage, stderr);
        return 2;
    }

    peer.t0 = wp_now();
    peer.pcs = g_ptr_array_new();
    g_unix_signal_add(SIGUSR1, wp_on_usr1, &peer);
    peer.talking = json_array();

    if (peer.opts.dump) {
        peer.dump = fopen(peer.opts.dump, "wb");
        if (peer.dump == NULL) {
            fprintf(stderr, "wr-peer: cannot open %s\n", peer.opts.dump);
            return 2;
        }
    }

    if (wp_dtls_init(&peer) == 0) {
        peer.janus = wp_janus_open(peer.opts.url, peer.opts.verbose,
                                   wp_on_event, &peer, err, sizeof(err));
        if (peer.janus == NULL) {
            wp_fail(&peer, "%s", err);
        }
    }

    if (peer.janus) {
        reply = wp_janus_call(peer.janus,
                              json_pack("{ss}", "janus", "create"), 0,
                              WP_SIGNAL_TIMEOUT);
        if (reply == NULL || json_object_get(reply, "data") == NULL) {
            wp_fail(&peer, "create: %s", reply
                    ? "server refused" : wp_janus_error(peer.janus));

        } else if (strcmp(peer.opts.mode, "echotest") == 0) {
            wp_echotest(&peer);

        } else if (strcmp(peer.opts.mode, "publish") == 0) {
            wp_publish(&peer);

        } else if (strcmp(peer.opts.mode, "subscribe") == 0) {
            wp_subscribe(&peer);

        } else {
            wp_load(&peer);
        }

        json_decref(reply);
    }

    if (peer.opts.expect_hangup && !peer.hungup) {
        wp_fail(&peer, "no hangup \"%s\" from the server",
                peer.opts.expect_hangup);
    }

    /* before the report, so a failed write fails the run */
    if (peer.dump && fclose(peer.dump) != 0) {
        wp_fail(&peer, "--dump: cannot write %s", peer.opts.dump);
    }

    peer.dump = NULL;

    report = wp_report(&peer);
    json_object_set_new(json_object_get(report, "sent"),
                        "audio_level_packets",
                        json_integer((json_int_t) peer.level_packets));
    json_object_set_new(report, "talking", peer.talking);
    json_object_set_new(report, "dumped",
                        json_integer((json_int_t) peer.dumped));
    json_object_set_new(report, "dumped_unknown_pt",
                        json_integer((json_int_t) peer.dumped_unknown_pt));
    peer.talking = NULL;            /* the report has them; later ones go */

    /* orderly teardown: DTLS close_notify, then the session goes */
    peer.closing = 1;
    for (i = 0; i < peer.pcs->len; i++) {
        wp_pc_close(g_ptr_array_index(peer.pcs, i));
    }

    if (peer.janus) {
        json_decref(wp_janus_call(peer.janus,
                                  json_pack("{ss}", "janus", "destroy"), 0,
                                  2.0));
        wp_janus_close(peer.janus);
    }

    for (i = 0; i < peer.pcs->len; i++) {
        wp_pc_free(g_ptr_array_index(peer.pcs, i));
    }

    g_ptr_array_free(peer.pcs, TRUE);
    wp_dtls_done(&peer);

    line = json_dumps(report, JSON_COMPACT | JSON_REAL_PRECISION(6));
    printf("%s\n", line);
    fflush(stdout);
    free(line);
    json_decref(report);

    if (peer.failed) {
        fprintf(stderr, "wr-peer: FAIL: %s\n", peer.reason);
        return 1;
    }

    return 0;
}
