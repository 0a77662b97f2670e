
/*
 * Declarations shared by the files of the stream (media) half.
 */

#ifndef _NGX_STREAM_WEBRTC_H_INCLUDED_
#define _NGX_STREAM_WEBRTC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"
#include "wr_stun.h"
#include "wr_dtls.h"
#include "wr_srtp.h"


/* ICE consent freshness (RFC 7675): 30 s without a valid check ends it */
#define NGX_STREAM_WEBRTC_CONSENT   30000

#define NGX_STREAM_WEBRTC_PKT_MAX   2048
#define NGX_STREAM_WEBRTC_SSRCS     8

/* how often SRTP indexes are saved to the zone */
#define NGX_STREAM_WEBRTC_SAVE      1000


#define NGX_STREAM_WEBRTC_PEER_SSRCS  64


/*
 * One SSRC this worker sends to a subscriber.  Sequence numbers and
 * timestamps are rewritten by an offset fixed per source ("epoch"), so
 * what the subscriber sees never goes back or repeats when its source
 * changes: a repeated sequence number would reuse an SRTP index.
 */
typedef struct {
    uint32_t                      ssrc;
    wr_srtp_index_t               index;         /* highest sent */
    uint32_t                      src;           /* the source's SSRC */
    uint16_t                      seq_off;
    uint16_t                      start;         /* first seq of the epoch */
    uint16_t                      last_seq;
    uint32_t                      ts_off;
    uint32_t                      last_ts;
    ngx_msec_t                    last_ms;
    uint64_t                      reserved;      /* ours in the zone, 0: none */
    uint32_t                      packets;       /* for sender reports */
    uint32_t                      octets;
    unsigned                      sent:1;        /* an epoch has begun */
} ngx_stream_webrtc_out_t;


/* this worker's sending side of a subscriber's PeerConnection */
typedef struct {
    ngx_rbtree_node_t             node;          /* key: handle id */
    ngx_uint_t                    refs;
    ngx_uint_t                    generation;    /* pc.media_generation */
    wr_srtp_t                    *srtp;
    wr_srtp_t                    *resend;        /* NACK answers, same keys */
    wr_srtp_keys_t                keys;
    uint32_t                      rtcp_next;     /* SRTCP index floor */
    socklen_t                     socklen;
    u_char                        sockaddr[NGX_SOCKADDRLEN];
    ngx_uint_t                    nssrcs;
    ngx_stream_webrtc_out_t       out[NGX_STREAM_WEBRTC_PEER_SSRCS];
} ngx_stream_webrtc_peer_t;


typedef struct {
    ngx_stream_webrtc_peer_t     *peer;
    uint32_t                      ssrc;
    uint32_t                      rtx_ssrc;
    uint32_t                      clock;
    uint8_t                       pt;
    uint8_t                       rtx_pt;
} ngx_stream_webrtc_target_t;


/* where one publisher stream goes, found by its payload type */
typedef struct {
    uint8_t                       pt;
    uint8_t                       rtx_pt;
    ngx_uint_t                    mindex;        /* flow->ins[] */
    ngx_uint_t                    ntargets;
    ngx_stream_webrtc_target_t   *targets;
} ngx_stream_webrtc_route_t;


#define NGX_STREAM_WEBRTC_CACHE      512        /* packets per video stream */
#define NGX_STREAM_WEBRTC_STREAMS    32         /* WR_SDP_MAX_MEDIA */


/* a cached packet of a publisher's video stream, for NACKs */
typedef struct {
    uint16_t                      len;           /* 0: empty */
    uint16_t                      seq;
    uint32_t                      ssrc;
    u_char                        data[NGX_STREAM_WEBRTC_PKT_MAX
                                       - WR_SRTP_RTCP_TRAILER_MAX];
} ngx_stream_webrtc_cached_t;


/*
 * What this worker knows of one stream a publisher sends it, kept across
 * route rebuilds: receive statistics for receiver reports, keyframe
 * throttling, the "media" and talking states, and the packet cache.
 */
typedef struct {
    uint32_t                      src;           /* the publisher's SSRC */
    uint32_t                      received;
    uint32_t                      base;          /* first extended seq */
    uint32_t                      prior_expected;
    uint32_t                      prior_received;
    uint32_t                      lsr;           /* middle of the last SR */
    ngx_msec_t                    lsr_ms;
    ngx_msec_t                    last_rx;
    ngx_msec_t                    last_pli;
    ngx_msec_t                    last_fir_freq;
    uint8_t                       fir_seq;
    uint8_t                       fb_flags;      /* WR_SDP_FB_* */
    uint8_t                       level_id;      /* audio level ext id */
    uint8_t                       kind;          /* wr_sdp_kind_t */
    u_char                        mid[17];
    uint32_t                      level_sum;
    uint32_t                      level_n;
    ngx_stream_webrtc_cached_t   *cache;         /* video only */
    unsigned                      known:1;       /* in the current route */
    unsigned                      receiving:1;
    unsigned                      talking:1;
} ngx_stream_webrtc_in_t;


/* one remote address: a UDP pseudo-session of nginx's stream module */
typedef struct {
    ngx_stream_session_t         *session;
    uint64_t                      handle;        /* 0: not bound by ICE */
    u_char                        ufrag[NGX_WEBRTC_ICE_UFRAG_LEN];

    /* the lookup's copy of the local ice-pwd, valid during one check */
    u_char                        pwd[NGX_WEBRTC_ICE_PWD_LEN];

    /* the PeerConnection whose DTLS and SRTP state this flow holds */
    u_char                        bound_ufrag[NGX_WEBRTC_ICE_UFRAG_LEN];

    wr_dtls_t                    *dtls;
    ngx_event_t                   dtls_timer;
    wr_srtp_t                    *srtp_in;
    wr_srtp_t                    *srtp_out;

    /* outbound SSRCs added to srtp_out */
    ngx_uint_t                    nssrcs;
    uint32_t                      ssrcs[NGX_STREAM_WEBRTC_SSRCS];

    /* where the SRTP streams are, saved to the zone by save_timer */
    uint32_t                      in_ssrc[NGX_WEBRTC_PC_SSRCS];
    wr_srtp_index_t               in_index[NGX_WEBRTC_PC_SSRCS];
    wr_srtp_index_t               out_index[NGX_STREAM_WEBRTC_SSRCS];
    uint32_t                      rtcp_index;
    ngx_event_t                   save_timer;

    /* a publisher's fan-out, valid for these zone generations */
    ngx_stream_webrtc_route_t    *routes;
    ngx_uint_t                    nroutes;
    ngx_atomic_uint_t             route_rooms;
    ngx_atomic_uint_t             route_media;

    /* RTCP of the flow: per-stream state, the report timer, room limits */
    ngx_stream_webrtc_in_t       *ins;
    ngx_event_t                   rtcp_timer;
    ngx_rbtree_node_t             reg;           /* by handle, this worker */
    uint64_t                      bitrate;       /* REMB cap, 0: none */
    ngx_uint_t                    fir_freq;      /* s, 0: none */
    ngx_uint_t                    audio_packets;
    ngx_uint_t                    audio_threshold;
    unsigned                      audio_events:1;
    unsigned                      registered:1;

    /* what this subscriber last reported lost, per SSRC, for slowlink */
    uint32_t                      dl_ssrc[NGX_STREAM_WEBRTC_SSRCS];
    int32_t                       dl_lost[NGX_STREAM_WEBRTC_SSRCS];
    ngx_msec_t                    dl_time[NGX_STREAM_WEBRTC_SSRCS];

    unsigned                      echo:1;        /* janus.plugin.echotest */
} ngx_stream_webrtc_flow_t;


/* per worker */
typedef struct {
    wr_stun_t                     stun;
    wr_dtls_ctx_t                *dtls;
    ngx_webrtc_conf_t            *wcf;
    time_t                        log_time[WR_STUN_NREASONS];
} ngx_stream_webrtc_worker_t;


extern ngx_module_t                 ngx_stream_webrtc_module;
extern ngx_stream_webrtc_worker_t  *ngx_stream_webrtc_worker;


#define ngx_stream_webrtc_ssrc(p)                                             \
    (((uint32_t) (p)[8] << 24) | ((uint32_t) (p)[9] << 16)                   \
     | ((uint32_t) (p)[10] << 8) | (p)[11])

#define ngx_stream_webrtc_seq(p)                                              \
    ((uint16_t) (((p)[2] << 8) | (p)[3]))

#define ngx_stream_webrtc_ts(p)                                               \
    (((uint32_t) (p)[4] << 24) | ((uint32_t) (p)[5] << 16)                   \
     | ((uint32_t) (p)[6] << 8) | (p)[7])


/* ngx_stream_webrtc_ice.c */
ngx_int_t ngx_stream_webrtc_stun(ngx_stream_webrtc_flow_t *flow,
    u_char *pkt, size_t len);
void ngx_stream_webrtc_consent_expired(ngx_stream_webrtc_flow_t *flow);
void ngx_stream_webrtc_hangup(ngx_stream_webrtc_flow_t *flow,
    const char *reason);

/* ngx_stream_webrtc_dtls.c */
void ngx_stream_webrtc_dtls(ngx_stream_webrtc_flow_t *flow, u_char *pkt,
    size_t len);
void ngx_stream_webrtc_dtls_free(ngx_stream_webrtc_flow_t *flow);
void ngx_stream_webrtc_flow_reset(ngx_stream_webrtc_flow_t *flow);
ngx_int_t ngx_stream_webrtc_adopt(ngx_stream_webrtc_flow_t *flow);
void ngx_stream_webrtc_save(ngx_stream_webrtc_flow_t *flow);
void ngx_stream_webrtc_start_srtp(ngx_stream_webrtc_flow_t *flow,
    wr_srtp_keys_t *keys, ngx_webrtc_pc_t *saved);

/* ngx_stream_webrtc_rtp.c */
void ngx_stream_webrtc_srtp(ngx_stream_webrtc_flow_t *flow, u_char *pkt,
    size_t len, size_t size, ngx_uint_t rtcp);
ngx_int_t ngx_stream_webrtc_send(ngx_stream_webrtc_flow_t *flow,
    u_char *data, size_t len);

/* ngx_stream_webrtc_rtcp.c */
void ngx_stream_webrtc_rtcp_init_process(ngx_cycle_t *cycle);
void ngx_stream_webrtc_rtcp_start(ngx_stream_webrtc_flow_t *flow);
void ngx_stream_webrtc_rtcp_stop(ngx_stream_webrtc_flow_t *flow);
void ngx_stream_webrtc_rtcp(ngx_stream_webrtc_flow_t *flow, u_char *pkt,
    size_t len);
void ngx_stream_webrtc_media_state(ngx_stream_webrtc_flow_t *flow,
    ngx_stream_webrtc_in_t *in, ngx_uint_t receiving);
void ngx_stream_webrtc_audio_level(ngx_stream_webrtc_flow_t *flow,
    ngx_uint_t mindex, u_char *pkt, size_t len);
ngx_int_t ngx_stream_webrtc_send_rtcp(ngx_stream_webrtc_flow_t *flow,
    u_char *pkt, size_t len);

/* ngx_stream_webrtc_route.c */
ngx_stream_webrtc_flow_t *ngx_stream_webrtc_flow_find(uint64_t handle);
void ngx_stream_webrtc_keyframe(ngx_stream_webrtc_flow_t *flow,
    ngx_uint_t mindex, ngx_uint_t force);
void ngx_stream_webrtc_resend(ngx_stream_webrtc_flow_t *flow,
    ngx_uint_t mindex, uint32_t ssrc, uint16_t pid, uint16_t blp);
void ngx_stream_webrtc_sender_reports(ngx_stream_webrtc_flow_t *flow);
void ngx_stream_webrtc_forward(ngx_stream_webrtc_flow_t *flow, u_char *pkt,
    size_t len);
void ngx_stream_webrtc_route_free(ngx_stream_webrtc_flow_t *flow);
void ngx_stream_webrtc_route_save(ngx_stream_webrtc_flow_t *flow);


#endif /* _NGX_STREAM_WEBRTC_H_INCLUDED_ */
