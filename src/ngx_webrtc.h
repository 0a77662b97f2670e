
/*
 * ngx_webrtc_module: declarations shared by the core module (the
 * "webrtc {}" block and the shared zone), the HTTP half (signaling,
 * status) and the stream half (media).
 */

#ifndef _NGX_WEBRTC_H_INCLUDED_
#define _NGX_WEBRTC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_WEBRTC_VERSION            "0.1.0"
#define NGX_WEBRTC_VERSION_NUM        100

#define NGX_WEBRTC_MAX_CODECS         8
#define NGX_WEBRTC_MAX_ANNOUNCE       8
#define NGX_WEBRTC_MAX_WORKER_SLOTS   64

#define NGX_WEBRTC_DESCRIPTION_LEN    256
#define NGX_WEBRTC_SECRET_LEN         64
#define NGX_WEBRTC_PATH_LEN           256

#define NGX_WEBRTC_CERT_MAX           8192
#define NGX_WEBRTC_FINGERPRINT_LEN    95    /* "AB:CD:..." of SHA-256 */


/* codecs a room may allow, in the names Janus's VideoRoom uses */
typedef enum {
    NGX_WEBRTC_CODEC_NONE = 0,
    NGX_WEBRTC_CODEC_OPUS,
    NGX_WEBRTC_CODEC_G722,
    NGX_WEBRTC_CODEC_PCMU,
    NGX_WEBRTC_CODEC_PCMA,
    NGX_WEBRTC_CODEC_ISAC32,
    NGX_WEBRTC_CODEC_ISAC16,
    NGX_WEBRTC_CODEC_VP8,
    NGX_WEBRTC_CODEC_VP9,
    NGX_WEBRTC_CODEC_H264,
    NGX_WEBRTC_CODEC_AV1,
    NGX_WEBRTC_CODEC_H265
} ngx_webrtc_codec_e;


/*
 * Room options as they are kept in the shared zone: fixed-size fields
 * only, so a room is one slab allocation and can be copied as a whole.
 */
typedef struct {
    uint64_t                      id;
    ngx_uint_t                    publishers;
    ngx_uint_t                    bitrate;
    ngx_uint_t                    fir_freq;
    ngx_uint_t                    audio_active_packets;
    ngx_uint_t                    audio_level_average;
    ngx_uint_t                    max_participants;

    u_char                        audiocodec[NGX_WEBRTC_MAX_CODECS];
    u_char                        videocodec[NGX_WEBRTC_MAX_CODECS];

    unsigned                      require_e2ee:1;
    unsigned                      is_private:1;
    unsigned                      audiolevel_event:1;
    unsigned                      notify_joining:1;
    unsigned                      record:1;

    size_t                        description_len;
    size_t                        pin_len;
    size_t                        secret_len;
    size_t                        rec_dir_len;
    u_char                        description[NGX_WEBRTC_DESCRIPTION_LEN];
    u_char                        pin[NGX_WEBRTC_SECRET_LEN];
    u_char                        secret[NGX_WEBRTC_SECRET_LEN];
    u_char                        rec_dir[NGX_WEBRTC_PATH_LEN];
} ngx_webrtc_room_opts_t;


/* a room in the zone */
typedef struct {
    ngx_rbtree_node_t             node;         /* key: room id */
    ngx_queue_t                   queue;        /* in id order of creation */
    ngx_webrtc_room_opts_t        opts;

    ngx_uint_t                    config_generation;
    ngx_uint_t                    participants;
    ngx_uint_t                    active_publishers;

    /* the VideoRoom plugin's state of this room, in the zone */
    void                         *data;

    unsigned                      from_config:1;
} ngx_webrtc_room_t;


/*
 * Counters.  Each worker process owns one slot and is its only writer,
 * so the hot path increments plain memory: no lock, no atomic.  Readers
 * (the status location) sum the slots; a slot left by an exited or
 * crashed worker is folded into "retired" before it is reused.
 */
typedef enum {
    NGX_WEBRTC_STAT_UDP_PACKETS_IN = 0,
    NGX_WEBRTC_STAT_UDP_BYTES_IN,
    NGX_WEBRTC_STAT_UDP_DROPPED,
    NGX_WEBRTC_STAT_UDP_PACKETS_OUT,
    NGX_WEBRTC_STAT_UDP_BYTES_OUT,
    NGX_WEBRTC_STAT_SIGNALING_REQUESTS,
    NGX_WEBRTC_STAT_SIGNALING_ERRORS,
    NGX_WEBRTC_STAT_STATUS_REQUESTS,
    NGX_WEBRTC_STAT_STUN_ANSWERED,
    NGX_WEBRTC_STAT_STUN_DROPPED,
    NGX_WEBRTC_STAT_ICE_CONNECTED,
    NGX_WEBRTC_STAT_CONSENT_EXPIRED,
    NGX_WEBRTC_STAT_DTLS_CONNECTED,
    NGX_WEBRTC_STAT_DTLS_FAILED,
    NGX_WEBRTC_STAT_SRTP_IN,
    NGX_WEBRTC_STAT_SRTP_DROPPED,
    NGX_WEBRTC_STAT_SRTP_OUT,
    NGX_WEBRTC_STAT_FLOWS_ADOPTED,
    NGX_WEBRTC_STAT_RTCP_IN,
    NGX_WEBRTC_STAT_RTCP_OUT,
    NGX_WEBRTC_STAT_KEYFRAME_REQUESTS,
    NGX_WEBRTC_STAT_RETRANSMITS,
    NGX_WEBRTC_STAT_N
} ngx_webrtc_stat_e;


typedef struct {
    ngx_atomic_t                  pid;          /* 0: free */
    ngx_uint_t                    worker;       /* ngx_worker of the owner */
    ngx_uint_t                    generation;   /* zone generation at start */
    time_t                        started;
    uint64_t                      stat[NGX_WEBRTC_STAT_N];
} ngx_webrtc_worker_slot_t;


/* the root of the shared zone */
typedef struct {
    ngx_rbtree_t                  rooms_tree;
    ngx_rbtree_node_t             rooms_sentinel;
    ngx_queue_t                   rooms;
    ngx_uint_t                    nrooms;

    /* Janus sessions and handles (ngx_webrtc_janus.h) */
    ngx_rbtree_t                  sessions_tree;
    ngx_rbtree_node_t             sessions_sentinel;
    ngx_queue_t                   sessions;
    ngx_rbtree_t                  handles_tree;
    ngx_rbtree_node_t             handles_sentinel;

    /* PeerConnections by the crc32 of their local ICE ufrag */
    ngx_rbtree_t                  pc_tree;
    ngx_rbtree_node_t             pc_sentinel;

    /* and by the client's address, for a worker that inherits a flow */
    ngx_rbtree_t                  addr_tree;
    ngx_rbtree_node_t             addr_sentinel;

    /* gauges kept by the signaling and media halves */
    ngx_uint_t                    nsessions;
    ngx_uint_t                    nhandles;
    ngx_uint_t                    nparticipants;
    ngx_uint_t                    npeerconnections;

    /* bumped whenever configuration is applied (start and each reload) */
    ngx_atomic_t                  generation;

    /* bumped whenever rooms change, so workers can refresh caches */
    ngx_atomic_t                  rooms_generation;

    /* bumped whenever a PeerConnection's address, keys or state change */
    ngx_atomic_t                  media_generation;

    time_t                        created;

    /* the DTLS certificate that every worker uses */
    size_t                        cert_len;
    size_t                        key_len;
    u_char                        cert_der[NGX_WEBRTC_CERT_MAX];
    u_char                        key_der[NGX_WEBRTC_CERT_MAX];
    u_char                        fingerprint[NGX_WEBRTC_FINGERPRINT_LEN + 1];
    unsigned                      cert_from_file:1;

    uint64_t                      retired[NGX_WEBRTC_STAT_N];
    ngx_webrtc_worker_slot_t      workers[NGX_WEBRTC_MAX_WORKER_SLOTS];
} ngx_webrtc_shm_t;


/* where a directive was written, for errors reported after parsing */
typedef struct {
    ngx_str_t                     file;
    ngx_uint_t                    line;
} ngx_webrtc_conf_pos_t;


typedef struct {
    ngx_addr_t                    addr;
    ngx_str_t                     text;         /* address only, no port */
    in_port_t                     port;         /* 0: the media port */
} ngx_webrtc_announce_t;


/* the "webrtc {}" block */
typedef struct {
    ngx_shm_zone_t               *shm_zone;
    ngx_webrtc_shm_t             *sh;
    ngx_slab_pool_t              *shpool;

    ngx_array_t                   rooms;        /* ngx_webrtc_room_opts_t */
    ngx_array_t                   announce;     /* ngx_webrtc_announce_t */

    ngx_str_t                     certificate;
    ngx_str_t                     certificate_key;

    /* the configured certificate, read at parse time (DER) */
    u_char                       *file_cert;
    size_t                        file_cert_len;
    u_char                       *file_key;
    size_t                        file_key_len;

    ngx_msec_t                    session_timeout;
    ngx_msec_t                    reclaim_session_timeout;
    ngx_uint_t                    max_sessions;
    ngx_uint_t                    max_handles;
    ngx_uint_t                    max_participants;
    size_t                        max_message_size;
    ngx_flag_t                    room_create;
    ngx_str_t                     admin_key;
    ngx_uint_t                    slowlink_threshold;

    unsigned                      block_seen:1;

    /* users of the zone, checked once the whole file is parsed */
    ngx_webrtc_conf_pos_t         signaling_pos;
    ngx_webrtc_conf_pos_t         status_pos;
    ngx_webrtc_conf_pos_t         media_pos;
    ngx_uint_t                    media_bad_listen;  /* no udp reuseport */
    ngx_webrtc_conf_pos_t         media_bad_pos;
    in_port_t                     media_port;
    ngx_str_t                     media_addr;   /* when not a wildcard */
} ngx_webrtc_conf_t;


extern ngx_module_t  ngx_webrtc_module;
extern const char   *ngx_webrtc_stat_names[NGX_WEBRTC_STAT_N];


#define ngx_webrtc_get_conf(cycle)                                            \
    ((ngx_webrtc_conf_t *) ngx_get_conf((cycle)->conf_ctx, ngx_webrtc_module))


/* ngx_webrtc_session.c: a tree keyed by unique 64-bit ids */
ngx_rbtree_node_t *ngx_webrtc_rbtree_lookup(ngx_rbtree_t *tree,
    uint64_t key);

/* ngx_webrtc_module.c */
void ngx_webrtc_conf_pos_set(ngx_conf_t *cf, ngx_webrtc_conf_pos_t *pos);

/* ngx_webrtc_room.c */
char *ngx_webrtc_room_block(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_webrtc_rooms_apply(ngx_webrtc_conf_t *wcf, ngx_log_t *log);
ngx_webrtc_room_t *ngx_webrtc_room_lookup_locked(ngx_webrtc_shm_t *sh,
    uint64_t id);
ngx_webrtc_room_t *ngx_webrtc_room_create_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_room_opts_t *opts, ngx_log_t *log);
void ngx_webrtc_room_destroy_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_room_t *room, ngx_log_t *log);
const char *ngx_webrtc_codec_name(ngx_uint_t codec);

/* ngx_webrtc_cert.c */
ngx_int_t ngx_webrtc_cert_load(ngx_conf_t *cf, ngx_webrtc_conf_t *wcf);
ngx_int_t ngx_webrtc_cert_generate(ngx_log_t *log, u_char *cert,
    size_t *cert_len, u_char *key, size_t *key_len);
ngx_int_t ngx_webrtc_cert_fingerprint(ngx_log_t *log, u_char *cert,
    size_t cert_len, u_char *out);

/* ngx_webrtc_ipc.c: wake-ups between workers */
typedef enum {
    NGX_WEBRTC_IPC_EVENTS = 0,       /* a session of yours has events */
    NGX_WEBRTC_IPC_FEEDBACK,         /* RTCP feedback for a flow of yours */
    NGX_WEBRTC_IPC_LAST
} ngx_webrtc_ipc_type_e;

typedef struct {
    uint32_t                      type;
    uint32_t                      from;
    uint64_t                      arg;
    uint64_t                      arg2;
} ngx_webrtc_ipc_msg_t;

typedef void (*ngx_webrtc_ipc_handler_pt)(ngx_webrtc_ipc_msg_t *msg);

ngx_int_t ngx_webrtc_ipc_init_process(ngx_cycle_t *cycle);
void ngx_webrtc_ipc_exit_process(ngx_cycle_t *cycle);
void ngx_webrtc_ipc_set_handler(ngx_uint_t type, ngx_webrtc_ipc_handler_pt h);
ngx_int_t ngx_webrtc_ipc_send(ngx_pid_t pid, ngx_uint_t type, uint64_t arg);
ngx_int_t ngx_webrtc_ipc_send2(ngx_pid_t pid, ngx_uint_t type, uint64_t arg,
    uint64_t arg2);

/* ngx_webrtc_stats.c */
ngx_int_t ngx_webrtc_stats_init_process(ngx_cycle_t *cycle);
void ngx_webrtc_stats_exit_process(ngx_cycle_t *cycle);
void ngx_webrtc_stats_sum(ngx_webrtc_shm_t *sh, uint64_t *total);

extern uint64_t  *ngx_webrtc_stat;     /* this process's slot */
extern uint64_t   ngx_webrtc_stat_dummy[NGX_WEBRTC_STAT_N];

#define ngx_webrtc_stat_inc(n, v)   ngx_webrtc_stat[n] += (v)


#endif /* _NGX_WEBRTC_H_INCLUDED_ */
