/*
 * wr-peer: a WebRTC test peer speaking the Janus API (see README.md).
 *
 * One process, one GLib main loop. The mode scripts in wr_peer.c run
 * sequentially and "pump" the loop (wp_wait) while they wait for a reply or a
 * state; everything else (libnice, sockets, timers) runs from loop callbacks,
 * which never pump. Names are wp_ (peer) so they cannot clash with the
 * server's wr_ protocol code.
 */

#ifndef WR_PEER_H
#define WR_PEER_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <srtp2/srtp.h>
#include <agent.h>
#include <sys/socket.h>


#define WP_MAX_STREAMS   64      /* RTP streams per PC and direction */
#define WP_PKT_MAX       1600    /* RTP packet buffer, room for SRTP trailer */
#define WP_DTLS_MTU      1200
#define WP_MAX_LEVELS    16      /* steps of --audio-level-pattern */
#define WP_LEVEL_EXT     2       /* our extmap id of ssrc-audio-level */

#define WP_PAYLOAD_HDR   22      /* our header inside every RTP payload */
#define WP_VP8_PREFIX    11      /* VP8 descriptor + frame header before it */

#define WP_RTX_DELAY     5       /* --send-rtx: a copy 5 packets later */
#define WP_RTX_QUEUE     8       /* copies waiting, more than WP_RTX_DELAY */
#define WP_RTX_RING      1024    /* received video packets an OSN may name */
#define WP_RTX_RINGS     32      /* video streams with RTX one PC receives */
#define WP_RTX_HIST      (WP_RTX_RING * WP_RTX_RINGS)
#define WP_MAX_FEEDS     32      /* subscribe --feeds */


typedef struct wp_peer_s   wp_peer_t;
typedef struct wp_pc_s     wp_pc_t;
typedef struct wp_janus_s  wp_janus_t;


/* ---- command line -------------------------------------------------------- */

typedef struct {
    const char   *mode;
    const char   *url;
    const char   *display;
    const char   *local_ip;
    unsigned      local_port;       /* 0: any; the first PC's port */
    const char   *srtp;            /* profiles for use_srtp, RFC names */
    const char   *setup;           /* a=setup we write, NULL = default */
    double        duration;
    double        expect_webrtcup;
    double        max_loss;        /* percent */
    json_int_t    room;
    json_int_t    feed;
    json_int_t    feeds[WP_MAX_FEEDS];     /* subscribe --feeds */
    int           nfeeds;
    int           video_kbps;
    int           video_size;
    int           fps;
    int           audio_pps;
    int           audio_size;
    int           subscribers;
    int           e2ee;
    int           send_pli;
    int           send_nack;
    int           expect_pli;
    int           expect_nack;
    int           drain_ms;
    int           inject_drop;     /* self-test: skip every Nth packet */
    int           report_loss;     /* RRs claim N more lost per second */
    int           inject_corrupt;  /* self-test: flip a byte in every Nth */
    int           inject_bad_srtp; /* flip a byte of every Nth SRTP packet */
    int           replay;          /* send every Nth SRTP packet twice */
    int           bad_fingerprint; /* a=fingerprint that is not ours */
    int           stop_consent;    /* no STUN once the call is up */
    int           rtx;             /* negotiate RTX (RFC 4588) for video */
    int           send_rtx;        /* send every Nth video packet as RTX */
    json_int_t    switch_feed;     /* subscribe: switch video halfway */
    double        switch_at;       /* when, 0 = halfway */
    double        switch_back_at;  /* back to --feed then, 0 = never */
    double        pause_at;        /* subscribe: "pause" then, 0 = never */
    double        resume_at;       /* and "start" again */
    double        new_ssrc_at;     /* senders: new SSRCs then, 0 = never */
    double        wrap_at;         /* senders: the RTP seq wraps then */
    int           progress_ms;     /* a progress line on stderr, 0 = none */
    const char   *expect_hangup;   /* pass only on this server hangup */
    const char   *dump;            /* subscribe: record what arrives */
    int           verbose;
    int           nlevels;         /* --audio-level-pattern steps, 0 = off */
    int           level_cycle_ms;  /* the whole pattern */
    uint8_t       level[WP_MAX_LEVELS];     /* RFC 6464 -dBov, 0..127 */
    int           level_ms[WP_MAX_LEVELS];
} wp_opts_t;


/* ---- SDP (wp_sdp.c) ------------------------------------------------------ */

#define WP_SDP_MAX_M     32      /* the server's, WR_SDP_MAX_MEDIA */
#define WP_SDP_MAX_PT    16
#define WP_SDP_MAX_CAND  16

typedef struct {
    int           pt;
    char          codec[32];
    int           rate;
    int           channels;
    char          fmtp[256];
    unsigned      nack:1;
    unsigned      pli:1;
    unsigned      fir:1;
} wp_sdp_pt_t;

typedef struct {
    char          kind[16];        /* audio, video, application */
    int           port;
    char          proto[48];
    int           npt;
    wp_sdp_pt_t   pt[WP_SDP_MAX_PT];
    char          mid[32];
    char          dir[16];         /* sendrecv, sendonly, recvonly, inactive */
    int           mid_ext;         /* extmap id of sdes:mid, 0 = none */
    int           level_ext;       /* of ssrc-audio-level, 0 = none */
    int           nssrc;
    uint32_t      ssrc[4];
    char          cname[64];
    char          ufrag[64];
    char          pwd[128];
    char          fp_alg[16];
    char          fp[200];
    char          setup[16];
    int           ncand;
    char          cand[WP_SDP_MAX_CAND][192];
    unsigned      rtcp_mux:1;
    unsigned      fid:1;           /* ssrc[0] and ssrc[1]: a FID group */
} wp_sdp_m_t;

typedef struct {
    char          ufrag[64];       /* session level, m-level wins */
    char          pwd[128];
    char          fp_alg[16];
    char          fp[200];
    char          setup[16];
    unsigned      ice_lite:1;
    int           nm;
    wp_sdp_m_t    m[WP_SDP_MAX_M];
} wp_sdp_t;

int wp_sdp_parse(wp_sdp_t *s, const char *text, char *err, size_t errlen);
char *wp_sdp_write(const wp_sdp_t *s);
const char *wp_sdp_attr(const wp_sdp_t *s, const wp_sdp_m_t *m,
    const char *which);


/* ---- RTP, payloads, RTCP (wp_rtp.c) -------------------------------------- */

#define WP_F_FIRST  0x01           /* first packet of a frame */
#define WP_F_LAST   0x02
#define WP_F_KEY    0x04
#define WP_F_RTX    0x08           /* sent again as RTX (--send-rtx) */

typedef struct {
    int           pt;
    int           marker;
    uint16_t      seq;
    uint32_t      ts;
    uint32_t      ssrc;
    const uint8_t *payload;
    size_t        len;
} wp_rtp_t;

typedef struct {
    uint32_t      origin;          /* SSRC the original sender used */
    uint32_t      seq;
    int64_t       sent_us;
    uint8_t       flags;
} wp_payload_t;

/* one stream as identified by the payload header, for loss and latency */
typedef struct {
    uint32_t      origin;
    char          kind;
    uint32_t      first;
    uint32_t      max;
    uint32_t      base;            /* bitset origin */
    GByteArray   *seen;
    uint64_t      packets;
    uint64_t      bytes;
    uint64_t      unique;
    uint64_t      dup;
    uint64_t      reordered;
    GArray       *lat_us;          /* guint32 per packet */
} wp_rxs_t;

typedef struct {
    uint64_t      rtcp;            /* compound packets received */
    uint64_t      sr;
    uint64_t      rr;
    uint64_t      sdes;
    uint64_t      bye;
    uint64_t      pli;
    uint64_t      fir;
    uint64_t      nack;
    uint64_t      nack_pids;
    uint64_t      remb;
    uint64_t      other;
} wp_rtcp_stats_t;

size_t wp_rtp_write(uint8_t *p, const wp_rtp_t *r, int mid_ext,
    const char *mid);
int wp_rtp_parse(wp_rtp_t *r, const uint8_t *p, size_t n);
size_t wp_payload_write(uint8_t *p, size_t n, char kind, uint32_t origin,
    uint32_t seq, uint8_t flags, int64_t now_us);
int wp_payload_check(const uint8_t *p, size_t n, char kind, wp_payload_t *pl);
void wp_rxs_account(wp_rxs_t *s, const wp_payload_t *pl, size_t bytes,
    int64_t now_us);
int wp_rxs_seen(const wp_rxs_t *s, uint32_t seq);
void wp_rxs_free(wp_rxs_t *s);
size_t wp_rtcp_sr(uint8_t *p, uint32_t ssrc, uint32_t rtp_ts,
    uint32_t packets, uint32_t octets);
size_t wp_rtcp_rr(uint8_t *p, uint32_t ssrc, int n, const uint32_t *src,
    const uint32_t *ext_max, const uint32_t *lost, const uint32_t *lsr,
    const uint32_t *dlsr);
size_t wp_rtcp_sdes(uint8_t *p, uint32_t ssrc, const char *cname);
size_t wp_rtcp_pli(uint8_t *p, uint32_t ssrc, uint32_t media);
size_t wp_rtcp_nack(uint8_t *p, uint32_t ssrc, uint32_t media, uint16_t pid,
    uint16_t blp);
int wp_rtcp_parse(const uint8_t *p, size_t n, wp_rtcp_stats_t *st,
    uint32_t *sr_ssrc, uint32_t *sr_ntp_mid);
uint64_t wp_ntp_now(void);


/* ---- continuity of what arrives (wp_cont.c) ------------------------------ */

#define WP_CONT_MAX      WP_MAX_STREAMS    /* incoming SSRCs per PC */

/*
 * One incoming SSRC as its RTP headers go: an SFU that rewrites them must
 * keep one stream, whatever the source behind it does.
 */
typedef struct {
    uint32_t      ssrc;
    char          kind;
    int           mline;           /* of the offer, -1 unknown */
    int           announced;       /* the offer named this SSRC there */
    uint32_t      clock;
    uint64_t      packets;
    uint16_t      last_seq;
    uint32_t      last_ts;
    int64_t       last_us;         /* its send time, else its arrival */
    uint32_t      origin;          /* the sender behind it */
    uint64_t      seq_jumps;       /* seq not one after the last */
    uint64_t      seq_back;        /* of them, back or repeated */
    uint32_t      max_gap;         /* the most numbers skipped at once */
    uint64_t      sources;         /* senders in turn: changes + 1 */
    uint64_t      wraps;           /* the sequence number went past 65535 */
    uint64_t      ts_checks;       /* at a new source or after a pause */
    uint64_t      ts_bad;
    int64_t       ts_worst_us;     /* off the wall clock, the most */
} wp_cont_t;


/* ---- PeerConnection (wp_pc.c, wp_dtls.c, wp_media.c) --------------------- */

/* a video packet to be sent again as RTX (--send-rtx) */
typedef struct {
    uint32_t      due;             /* after the packet of this payload seq */
    uint16_t      seq;             /* its RTP seq: the OSN */
    uint32_t      ts;
    int           marker;
    size_t        len;
    uint8_t       payload[WP_PKT_MAX];
} wp_rtx_copy_t;

/*
 * A video packet received, for the RTX packets that may name it: one
 * ring of WP_RTX_RING per video SSRC, by sequence number, in the
 * WP_RTX_HIST that pc->rtx_seen holds.
 */
typedef struct {
    uint16_t      seq;
    uint8_t       valid;
    uint8_t       due;             /* flagged WP_F_RTX: a copy will come */
    uint32_t      ts;
    size_t        len;
    uint64_t      hash;            /* of the payload */
} wp_rtx_seen_t;

/* an incoming RTX SSRC: its own numbering must go on one by one */
typedef struct {
    uint32_t      ssrc;
    uint64_t      packets;
    uint16_t      last_seq;
    uint64_t      jumps;           /* seq not one after the last */
    uint64_t      back;            /* of them, back or repeated */
    uint64_t      wraps;           /* went past 65535 */
} wp_rtx_src_t;

/* what the RTX packets a PC received said */
typedef struct {
    uint64_t      received;
    uint64_t      recovered;       /* named a packet we got, same bytes */
    uint64_t      mismatch;        /* named one we got, other bytes */
    uint64_t      bad_ts;          /* same bytes, another timestamp */
    uint64_t      orphans;         /* named a packet we never got */
    uint64_t      padding;         /* no OSN: padding only */
    uint64_t      jumps;           /* RTX seq not one after the last */
    uint64_t      back;            /* of them, back or repeated */
    uint64_t      nack_answers;    /* named the packet we NACKed */
    int           norigins;
    uint32_t      origins[WP_MAX_STREAMS];    /* senders repaired */
} wp_rtx_stats_t;

typedef struct {
    char          kind;            /* 'a' or 'v' */
    uint32_t      ssrc;
    int           pt;
    int           mid_ext;
    char          mid[32];
    uint16_t      rtp_seq;
    uint32_t      ts_base;
    uint32_t      seq;             /* payload counter, from 0 */
    uint64_t      frame;
    int64_t       next_us;
    int64_t       interval_us;
    double        credit;          /* video bytes owed */
    int           key_req;
    uint64_t      packets;
    uint64_t      bytes;
    uint64_t      keyframes;
    uint64_t      dropped;         /* by --inject-drop */
    uint32_t      last_ts;
    int           rtx_pt;          /* 0: the answer took no RTX */
    uint32_t      rtx_ssrc;
    uint16_t      rtx_seq;
    uint64_t      rtx_packets;
    wp_rtx_copy_t *rtx_q;          /* --send-rtx: WP_RTX_QUEUE, a ring */
    int           rtx_head;
    int           nrtx;
} wp_tx_t;

/* an incoming RTP SSRC: for receiver reports and as PLI/NACK target */
typedef struct {
    uint32_t      ssrc;
    char          kind;
    uint32_t      cycles;
    uint16_t      max_seq;
    uint32_t      first_ext;
    uint64_t      packets;
    uint32_t      lsr;
    int64_t       lsr_at;
    uint32_t      fake_lost;      /* --report-loss: what the RRs add */
} wp_src_t;

struct wp_pc_s {
    wp_peer_t    *peer;
    char          name[32];
    json_int_t    handle;
    int           receiving;       /* expects media back */

    NiceAgent    *agent;
    guint         stream;
    int           gathered;
    int           ice_state;
    char          ufrag[64];
    char          pwd[128];

    wp_sdp_t     *remote;
    char          fp_alg[16];
    char          fp[200];
    int           dtls_client;
    SSL          *ssl;
    BIO          *rbio;
    BIO          *wbio;
    guint         dtls_timer;
    int           dtls_done;
    int           dtls_closed;

    srtp_t        srtp_tx;
    srtp_t        srtp_rx;
    const char   *profile;
    int           up;

    int64_t       t_start;
    int64_t       t_ice;
    int64_t       t_up;
    int64_t       t_webrtcup;
    int           webrtcup;
    int           e2ee_remote;
    char          hangup[64];

    int           ntx;
    wp_tx_t       tx[2];
    int           sending;
    guint         tick;
    guint         rtcp_timer;
    uint32_t      local_ssrc;

    char          pt_kind[128];    /* receive payload type -> 'a', 'v' */
    int           expect_audio;
    int           expect_video;
    int           nsrc;
    wp_src_t      src[WP_MAX_STREAMS];
    int           nrxs;
    wp_rxs_t      rxs[WP_MAX_STREAMS];
    int64_t       first_video_rx;
    int           pli_sent;
    int           nack_sent;
    uint16_t      nack_seq;

    /* --rtx: the video received by RTP seq, the copies due, the checks */
    wp_rtx_seen_t *rtx_seen;       /* WP_RTX_HIST, a ring per video SSRC */
    uint32_t      rtx_ring[WP_RTX_RINGS];  /* the video SSRC of each ring */
    int           nrtx_rings;
    GHashTable   *rtx_due;         /* origin << 32 | seq -> 1 due, 2 got */
    wp_rtx_stats_t rtx;
    int           nrtx_src;
    wp_rtx_src_t  rtx_src[WP_MAX_STREAMS];
    char          video_mid[32];   /* subscriber: our video m-line */
    char          feed_video_mid[32];   /* and its publisher's mid */

    int           ncont;
    wp_cont_t     cont[WP_CONT_MAX];

    wp_rtcp_stats_t rtcp_rx;
    uint64_t      rtcp_tx;
    uint64_t      srtp_err;
    uint64_t      srtp_replay;     /* refused as replays */
    uint64_t      srtp_old;        /* of them, older than the window */
    uint64_t      unknown_pt;
    uint64_t      corrupt;
    uint64_t      late;

    /* fault injection after SRTP (wp_pc_send), and --stop-consent */
    uint64_t      srtp_out;        /* SRTP (not SRTCP) packets sent */
    uint64_t      injected_bad;
    uint64_t      injected_replays;
    int           fd;              /* the ICE socket once libnice is gone */
    guint         fd_watch;
    struct sockaddr_storage  raddr;
    socklen_t     raddr_len;
};

wp_pc_t *wp_pc_new(wp_peer_t *peer, const char *name);
void wp_pc_stop_consent(wp_pc_t *pc);
char *wp_pc_offer(wp_pc_t *pc, int send, int recv);
int wp_pc_set_answer(wp_pc_t *pc, const char *sdp);
char *wp_pc_answer(wp_pc_t *pc, const char *offer);
void wp_pc_secure(wp_pc_t *pc);
void wp_pc_send(wp_pc_t *pc, const uint8_t *p, size_t n);
void wp_pc_media(wp_pc_t *pc, int on);
void wp_media_start(wp_pc_t *pc);
void wp_media_rtp_in(wp_pc_t *pc, uint8_t *buf, int len);
void wp_media_rtx_flush(wp_pc_t *pc);
uint64_t wp_media_rtx_missing(wp_pc_t *pc);
void wp_media_rtcp_in(wp_pc_t *pc, uint8_t *buf, int len);
void wp_media_new_ssrc(wp_pc_t *pc);
void wp_cont_rtp(wp_pc_t *pc, const wp_rtp_t *r, char kind,
    const wp_payload_t *pl);
json_t *wp_cont_json(wp_peer_t *peer);
void wp_dump_rtp(wp_pc_t *pc, const wp_rtp_t *r, char kind,
    const wp_src_t *src, wp_payload_t *pl, int64_t now);
void wp_pc_close(wp_pc_t *pc);
void wp_pc_free(wp_pc_t *pc);
int wp_pc_gathered(void *pc);

int wp_dtls_init(wp_peer_t *peer);
void wp_dtls_done(wp_peer_t *peer);
int wp_dtls_start(wp_pc_t *pc);
void wp_dtls_connect(wp_pc_t *pc);
void wp_dtls_input(wp_pc_t *pc, const uint8_t *p, size_t n);
void wp_dtls_close(wp_pc_t *pc);


/* ---- network and Janus (wp_net.c, wp_ws.c, wp_http.c, wp_janus.c) -------- */

typedef struct {
    int           ws;              /* ws:// rather than http:// */
    char          host[256];
    int           port;
    char          path[512];       /* no trailing slash */
} wp_url_t;

typedef struct wp_tcp_s  wp_tcp_t;

/* called when bytes arrived or the connection ended; returns 1 to close it */
typedef int (*wp_tcp_handler_pt)(wp_tcp_t *c, void *data);

struct wp_tcp_s {
    int           fd;
    guint         in_watch;
    guint         out_watch;
    GByteArray   *in;
    GByteArray   *out;
    int           eof;
    int           error;
    wp_tcp_handler_pt handler;
    void         *data;
};

typedef void (*wp_text_pt)(const char *text, size_t len, void *data);
typedef void (*wp_http_done_pt)(int status, const char *body, size_t len,
    void *data);

typedef struct wp_ws_s        wp_ws_t;
typedef struct wp_http_req_s  wp_http_req_t;

int wp_url_parse(wp_url_t *u, const char *url);
wp_tcp_t *wp_tcp_connect(const wp_url_t *u, wp_tcp_handler_pt h, void *data,
    char *err, size_t errlen);
void wp_tcp_send(wp_tcp_t *c, const void *p, size_t n);
void wp_tcp_free(wp_tcp_t *c);
int wp_wait(int (*done)(void *arg), void *arg, double timeout_s);
int64_t wp_now(void);

wp_ws_t *wp_ws_open(const wp_url_t *u, wp_text_pt on_text, void *data,
    char *err, size_t errlen);
int wp_ws_state(wp_ws_t *ws);     /* 0 connecting, 1 open, -1 closed */
const char *wp_ws_error(wp_ws_t *ws);
void wp_ws_send(wp_ws_t *ws, const char *text, size_t len);
void wp_ws_free(wp_ws_t *ws);

wp_http_req_t *wp_http_request(const wp_url_t *u, const char *method,
    const char *path, const char *body, wp_http_done_pt done, void *data);
void wp_http_cancel(wp_http_req_t *r);

typedef void (*wp_event_pt)(json_t *msg, void *data);

wp_janus_t *wp_janus_open(const char *url, int verbose, wp_event_pt on_event,
    void *data, char *err, size_t errlen);
json_t *wp_janus_call(wp_janus_t *j, json_t *req, int async, double timeout);
void wp_janus_post(wp_janus_t *j, json_t *req);
const char *wp_janus_error(wp_janus_t *j);
int wp_janus_alive(wp_janus_t *j);
void wp_janus_close(wp_janus_t *j);


/* ---- the whole peer (wr_peer.c, wp_report.c) ----------------------------- */

struct wp_peer_s {
    wp_opts_t     opts;
    SSL_CTX      *ssl_ctx;
    char          fingerprint[200];     /* sha-256 of our certificate */
    wp_janus_t   *janus;
    GPtrArray    *pcs;
    int           failed;
    char          reason[512];
    int64_t       t0;
    int64_t       media_start;
    int64_t       media_stop;
    double        cpu0;
    double        cpu_s;           /* CPU used between start and stop */
    int           closing;         /* teardown: hangups are expected */
    int           stop;            /* SIGUSR1: the media ends now */
    int           hungup;          /* the --expect-hangup hangup came */
    json_int_t    feed;
    uint64_t      level_packets;   /* sent with an audio level */
    json_t       *talking;         /* VideoRoom talking events, in order */
    FILE         *dump;            /* --dump, open while media may come */
    uint64_t      dumped;          /* packets written to it */
    uint64_t      dumped_unknown_pt;    /* of them, PT not negotiated */
};

void wp_fail(wp_peer_t *peer, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
void wp_log(wp_peer_t *peer, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
double wp_cpu_seconds(void);
json_t *wp_report(wp_peer_t *peer);
json_t *wp_progress(wp_peer_t *peer);

#endif /* WR_PEER_H */
