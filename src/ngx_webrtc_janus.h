
/*
 * The Janus API core: sessions, handles, event queues and plugins, all in
 * the shared zone so that any worker can answer any request and an event
 * reaches its client whichever worker holds the client's connection.
 *
 * Locking: everything here that ends in _locked expects the zone's slab
 * mutex (wcf->shpool->mutex) held.  Plugin callbacks are called with it
 * held.  Nothing under the lock does I/O: events are queued in the zone,
 * and the worker that owns the client's transport is woken after unlock
 * (ngx_webrtc_wake_flush()).
 */

#ifndef _NGX_WEBRTC_JANUS_H_INCLUDED_
#define _NGX_WEBRTC_JANUS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>

#include "ngx_webrtc.h"
#include "wr_sdp.h"
#include "wr_srtp.h"


/* Janus core error codes (janus/apierror.h) */
#define NGX_WEBRTC_JANUS_ERROR_UNAUTHORIZED           403
#define NGX_WEBRTC_JANUS_ERROR_TRANSPORT_SPECIFIC     450
#define NGX_WEBRTC_JANUS_ERROR_MISSING_REQUEST        452
#define NGX_WEBRTC_JANUS_ERROR_UNKNOWN_REQUEST        453
#define NGX_WEBRTC_JANUS_ERROR_INVALID_JSON           454
#define NGX_WEBRTC_JANUS_ERROR_INVALID_JSON_OBJECT    455
#define NGX_WEBRTC_JANUS_ERROR_MISSING_MANDATORY      456
#define NGX_WEBRTC_JANUS_ERROR_INVALID_REQUEST_PATH   457
#define NGX_WEBRTC_JANUS_ERROR_SESSION_NOT_FOUND      458
#define NGX_WEBRTC_JANUS_ERROR_HANDLE_NOT_FOUND       459
#define NGX_WEBRTC_JANUS_ERROR_PLUGIN_NOT_FOUND       460
#define NGX_WEBRTC_JANUS_ERROR_PLUGIN_ATTACH          461
#define NGX_WEBRTC_JANUS_ERROR_PLUGIN_MESSAGE         462
#define NGX_WEBRTC_JANUS_ERROR_PLUGIN_DETACH          463
#define NGX_WEBRTC_JANUS_ERROR_JSEP_UNKNOWN_TYPE      464
#define NGX_WEBRTC_JANUS_ERROR_JSEP_INVALID_SDP       465
#define NGX_WEBRTC_JANUS_ERROR_TRICKLE_INVALID_STREAM 466
#define NGX_WEBRTC_JANUS_ERROR_INVALID_ELEMENT_TYPE   467
#define NGX_WEBRTC_JANUS_ERROR_SESSION_CONFLICT       468
#define NGX_WEBRTC_JANUS_ERROR_UNEXPECTED_ANSWER      469
#define NGX_WEBRTC_JANUS_ERROR_TOKEN_NOT_FOUND        470
#define NGX_WEBRTC_JANUS_ERROR_WEBRTC_STATE           471
#define NGX_WEBRTC_JANUS_ERROR_NOT_ACCEPTING_SESSIONS 472
#define NGX_WEBRTC_JANUS_ERROR_UNKNOWN                490

/* ids are 53-bit so that JavaScript numbers hold them exactly */
#define NGX_WEBRTC_ID_MASK         0x1FFFFFFFFFFFFFULL

#define NGX_WEBRTC_ICE_UFRAG_LEN   8
#define NGX_WEBRTC_ICE_PWD_LEN     24
#define NGX_WEBRTC_OPAQUE_ID_LEN   128
#define NGX_WEBRTC_PC_SSRCS        16     /* received: a publisher's */
#define NGX_WEBRTC_PC_OUT_SSRCS    64     /* sent: 2 per m-line (+ RTX) */

/* events queued for one session before the oldest are dropped */
#define NGX_WEBRTC_MAX_EVENTS      1024


typedef struct ngx_webrtc_event_s    ngx_webrtc_event_t;
typedef struct ngx_webrtc_session_s  ngx_webrtc_session_t;
typedef struct ngx_webrtc_handle_s   ngx_webrtc_handle_t;
typedef struct ngx_webrtc_plugin_s   ngx_webrtc_plugin_t;


/* one JSON message waiting in the zone for its client */
struct ngx_webrtc_event_s {
    ngx_webrtc_event_t           *next;
    size_t                        len;
    u_char                        data[1];
};


/* who receives a session's events */
typedef enum {
    NGX_WEBRTC_OWNER_NONE = 0,       /* nobody yet: events wait */
    NGX_WEBRTC_OWNER_WS,             /* a WebSocket, for its whole life */
    NGX_WEBRTC_OWNER_POLL            /* a waiting HTTP long-poll */
} ngx_webrtc_owner_e;


struct ngx_webrtc_session_s {
    ngx_rbtree_node_t             node;          /* key: session id */
    ngx_queue_t                   queue;         /* sh->sessions */
    ngx_queue_t                   handles;       /* ngx_webrtc_handle_t */
    ngx_uint_t                    nhandles;

    ngx_webrtc_event_t           *events;
    ngx_webrtc_event_t           *events_last;
    ngx_uint_t                    nevents;
    ngx_uint_t                    dropped;

    ngx_msec_t                    last_activity; /* ngx_current_msec */
    ngx_msec_t                    orphaned;      /* its WebSocket closed */

    ngx_pid_t                     owner_pid;
    uint64_t                      owner_conn;    /* in that worker */
    ngx_uint_t                    owner;         /* ngx_webrtc_owner_e */

    /* timed out or destroyed: no longer found, kept until drained */
    unsigned                      expired:1;
};


/*
 * A PeerConnection's signaling side.  The media half reads it from the
 * zone by the local ICE username fragment.
 */
/* where one SSRC a PeerConnection is sent has got to */
typedef struct {
    uint32_t                      ssrc;
    wr_srtp_index_t               index;
} ngx_webrtc_pc_out_t;


typedef struct {
    u_char                        ufrag[NGX_WEBRTC_ICE_UFRAG_LEN + 1];
    u_char                        pwd[NGX_WEBRTC_ICE_PWD_LEN + 1];
    u_char                        remote_ufrag[257];
    u_char                        remote_pwd[257];
    u_char                        remote_fingerprint[NGX_WEBRTC_FINGERPRINT_LEN
                                                     + 1];
    u_char                        remote_fp[32];  /* SHA-256 bytes */
    unsigned                      remote_fp_set:1;
    unsigned                      negotiated:1;  /* an answer went out/in */
    unsigned                      offered:1;     /* the server offered */
    unsigned                      e2ee:1;

    /* media, kept by the stream half: who receives it, and from where */
    ngx_pid_t                     media_pid;
    ngx_uint_t                    media_generation;
    ngx_msec_t                    consent;       /* last valid check */
    socklen_t                     socklen;
    u_char                        sockaddr[NGX_SOCKADDRLEN];
    unsigned                      ice_connected:1;
    unsigned                      dtls_connected:1;

    /* from the DTLS handshake: any worker can rebuild SRTP from these */
    wr_srtp_keys_t                keys;

    /*
     * Where the SRTP streams had got to, saved about once a second by the
     * worker that uses them, so that a context rebuilt after a reload or
     * a crash never reuses an index (and a GCM nonce) with these keys.
     */
    uint32_t                      in_ssrc[NGX_WEBRTC_PC_SSRCS];
    wr_srtp_index_t               in_index[NGX_WEBRTC_PC_SSRCS];
    uint32_t                      rtcp_index;

    /*
     * Sent: as many SSRCs as a subscription to every feed can have, so
     * allocated in the zone at the first save (only PCs that send).
     */
    ngx_webrtc_pc_out_t          *out;           /* NGX_WEBRTC_PC_OUT_SSRCS */
} ngx_webrtc_pc_t;


struct ngx_webrtc_handle_s {
    ngx_rbtree_node_t             node;          /* key: handle id */
    ngx_rbtree_node_t             pc_node;       /* key: crc32 of ufrag */
    ngx_rbtree_node_t             addr_node;     /* key: crc32 of address */
    ngx_queue_t                   queue;         /* session->handles */
    ngx_webrtc_session_t         *session;

    ngx_uint_t                    plugin;        /* index, see plugins */
    void                         *plugin_data;   /* in the zone */

    size_t                        opaque_id_len;
    u_char                        opaque_id[NGX_WEBRTC_OPAQUE_ID_LEN];

    ngx_webrtc_pc_t               pc;

    /* jsep.e2ee seen on this handle: sticky, as in Janus */
    unsigned                      e2ee:1;
    unsigned                      has_pc:1;
    unsigned                      addr_indexed:1;
};


/* what a plugin gets for a "message" request */
typedef struct {
    ngx_webrtc_conf_t            *wcf;
    ngx_webrtc_session_t         *session;
    ngx_webrtc_handle_t          *handle;
    json_t                       *transaction;   /* borrowed string */
    json_t                       *body;          /* borrowed object */
    json_t                       *jsep;          /* borrowed, or NULL */
    ngx_log_t                    *log;

    /*
     * The plugin sets either result (a synchronous answer: the client
     * gets "success" with plugindata.data = result, a new reference), or
     * async = 1 (the client gets "ack" now and the plugin's events, with
     * the same transaction, queued by the plugin with
     * ngx_webrtc_plugin_event_locked()).
     */
    json_t                       *result;
    unsigned                      async:1;
} ngx_webrtc_plugin_msg_t;


struct ngx_webrtc_plugin_s {
    const char                   *package;       /* janus.plugin.echotest */
    const char                   *name;          /* echotest */
    const char                   *description;
    const char                   *version_string;
    ngx_uint_t                    version;

    /* all called with the zone locked; NGX_ERROR fails the request */
    ngx_int_t                   (*attach)(ngx_webrtc_conf_t *wcf,
                                          ngx_webrtc_handle_t *h);
    ngx_int_t                   (*message)(ngx_webrtc_plugin_msg_t *m);
    void                        (*hangup)(ngx_webrtc_conf_t *wcf,
                                          ngx_webrtc_handle_t *h);
    void                        (*detach)(ngx_webrtc_conf_t *wcf,
                                          ngx_webrtc_handle_t *h);

    /* a room ends (API or reload): tell its participants, free state */
    void                        (*room_gone)(ngx_webrtc_conf_t *wcf,
                                             ngx_webrtc_room_t *room);
};


extern ngx_webrtc_plugin_t  *ngx_webrtc_plugins[];


/* ngx_webrtc_session.c: the zone's sessions and handles */
uint64_t ngx_webrtc_random_id(void);
ngx_webrtc_session_t *ngx_webrtc_session_create_locked(ngx_webrtc_conf_t *wcf,
    uint64_t id);
ngx_webrtc_session_t *ngx_webrtc_session_lookup_locked(ngx_webrtc_conf_t *wcf,
    uint64_t id);
ngx_webrtc_session_t *ngx_webrtc_session_find_locked(ngx_webrtc_conf_t *wcf,
    uint64_t id);
void ngx_webrtc_session_destroy_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s);
ngx_webrtc_handle_t *ngx_webrtc_handle_create_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s, ngx_uint_t plugin);
ngx_webrtc_handle_t *ngx_webrtc_handle_lookup_locked(ngx_webrtc_conf_t *wcf,
    uint64_t id);
void ngx_webrtc_handle_destroy_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, ngx_uint_t notify);

/* PeerConnections: created with ICE credentials, found by local ufrag */
void ngx_webrtc_pc_create_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h);
void ngx_webrtc_pc_close_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h);
void ngx_webrtc_pc_hangup_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, const char *reason, ngx_uint_t plugin_hangup);
ngx_webrtc_handle_t *ngx_webrtc_pc_lookup_locked(ngx_webrtc_conf_t *wcf,
    u_char *ufrag, size_t len);
void ngx_webrtc_pc_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);

/* the client address of a PeerConnection, indexed; NULL: none */
void ngx_webrtc_pc_set_addr_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, struct sockaddr *sa, socklen_t len);
ngx_webrtc_handle_t *ngx_webrtc_pc_addr_lookup_locked(ngx_webrtc_conf_t *wcf,
    struct sockaddr *sa, socklen_t len);
void ngx_webrtc_pc_addr_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);

/* save where an SRTP stream got to (dir: 0 in, 1 out) */
ngx_int_t ngx_webrtc_pc_save_index_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_pc_t *pc, ngx_uint_t dir, uint32_t ssrc, wr_srtp_index_t *ix);

#define ngx_webrtc_session_id(s)  ((uint64_t) (s)->node.key)
#define ngx_webrtc_handle_id(h)   ((uint64_t) (h)->node.key)

/*
 * Queue a message for a session's client.  The message is serialized
 * into the zone; the reference is always consumed.  The owner is woken
 * after the lock is released, by ngx_webrtc_wake_flush().
 */
ngx_int_t ngx_webrtc_session_push_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s, json_t *msg);

/*
 * Detach up to max queued events into pool memory.  An ended session is
 * freed when its last event is taken: do not touch s afterwards.
 */
ngx_uint_t ngx_webrtc_session_pop_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s, ngx_uint_t max, ngx_str_t *out,
    ngx_pool_t *pool);

/* a plugin event: {"janus":"event", ... "plugindata":{...}, "jsep"?} */
ngx_int_t ngx_webrtc_plugin_event_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, json_t *transaction, json_t *data, json_t *jsep);

/* a core event about a handle: webrtcup, hangup, media, detached ... */
json_t *ngx_webrtc_handle_event(ngx_webrtc_handle_t *h, const char *janus);

/* the owner's wake-ups collected while locked, sent after unlock */
void ngx_webrtc_wake_flush(void);

/* set by the transports: deliver a session's events held in this worker */
extern void (*ngx_webrtc_deliver)(uint64_t session, uint64_t conn);

/* the transport of a session is gone (WebSocket closed, poll ended) */
void ngx_webrtc_session_disown_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_session_t *s, uint64_t conn);

/* sessions idle for longer than session_timeout: timeout + detached */
void ngx_webrtc_sessions_expire_locked(ngx_webrtc_conf_t *wcf);


/* ngx_webrtc_janus.c: requests, whatever the transport */
typedef struct {
    ngx_webrtc_conf_t            *wcf;
    ngx_log_t                    *log;

    /* ids from the HTTP path, 0 when absent */
    uint64_t                      path_session;
    uint64_t                      path_handle;
    unsigned                      http:1;

    /* a WebSocket transport owns the sessions it creates or claims */
    unsigned                      ws:1;
    uint64_t                      conn;          /* ws serial in this worker */

    /* set by the core: a session created or claimed by this request */
    uint64_t                      created;
    uint64_t                      destroyed;
} ngx_webrtc_janus_req_t;

/* parse and run one request; returns the synchronous reply (never NULL) */
json_t *ngx_webrtc_janus_handle(ngx_webrtc_janus_req_t *req, u_char *data,
    size_t len);
json_t *ngx_webrtc_janus_error(json_t *transaction, uint64_t session,
    ngx_uint_t code, const char *fmt, ...);


/*
 * ngx_webrtc_jsep.c: SDP for plugins.  The core has already checked that
 * jsep has "type" ("offer" or "answer") and "sdp" strings and recorded
 * jsep.e2ee on the handle.  On failure these return NULL or NGX_ERROR
 * and fill *err (a Janus or plugin error code is the caller's choice;
 * the text is for "error").
 */
typedef struct {
    ngx_uint_t                    code;      /* 465 invalid SDP, ... */
    char                          text[160];
} ngx_webrtc_jsep_err_t;

/*
 * Answer a client's offer on handle h: parse it (the parsed form stays
 * available through ngx_webrtc_jsep_parsed() until the next call), pick
 * one codec per m-line from the room's lists (NULL: opus / vp8), create
 * or update the handle's PeerConnection credentials, and return the
 * answer jsep {type, sdp, e2ee?} with the server's ICE-lite and DTLS
 * attributes and candidates.  neg, when not NULL, receives what was
 * accepted per m-line.  send describes what the server sends per offer
 * m-line (EchoTest), or NULL.
 */
json_t *ngx_webrtc_jsep_answer_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, json_t *jsep, const u_char *audiocodec,
    const u_char *videocodec, wr_sdp_dir_t dir, const wr_sdp_send_t *send,
    size_t nsend, wr_sdp_answer_t *neg, ngx_webrtc_jsep_err_t *err);

/* the server's offer to a subscriber on handle h: {type, sdp, e2ee?} */
json_t *ngx_webrtc_jsep_offer_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, const wr_sdp_offer_media_t *media, size_t n,
    ngx_webrtc_jsep_err_t *err);

/* a client's answer to the server's offer: records its ICE and DTLS */
ngx_int_t ngx_webrtc_jsep_take_answer_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h, json_t *jsep, ngx_webrtc_jsep_err_t *err);

/* the last SDP parsed by the calls above, in this process */
const wr_sdp_t *ngx_webrtc_jsep_parsed(void);


/* JSON helpers for plugins: NULL-tolerant, borrowed results */
json_t *ngx_webrtc_json_get(json_t *obj, const char *key, int type);


#endif /* _NGX_WEBRTC_JANUS_H_INCLUDED_ */
