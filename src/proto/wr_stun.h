/*
 * ICE-lite STUN responder (RFC 8489, RFC 8445) without nginx, on libnice's
 * STUN library (link with -lnice).
 *
 * The server is lite and always controlled: it answers Binding requests
 * (connectivity checks and consent freshness) and never sends any.  One
 * wr_stun_t per worker, owned by the caller (a StunAgent is about 12.8 KB;
 * answering keeps no state in it, so one serves every session):
 *
 *     wr_stun_init(&stun, NULL);
 *
 *     rc = wr_stun_handle(&stun, pkt, len, sa, socklen, lookup, zone,
 *                         out, sizeof(out), &res);
 *     counters[rc]++;
 *
 *     if (res.reply_len) {
 *         send out, res.reply_len bytes, back to sa;
 *     }
 *
 *     if (rc == WR_STUN_OK) {
 *         res.peer is the session the lookup returned; the address is
 *         verified, and res.use_candidate says it was nominated;
 *     }
 *
 * A request is checked in this order: STUN framing (magic cookie, length,
 * attribute layout), class and method, presence of FINGERPRINT, USERNAME
 * and MESSAGE-INTEGRITY, then the FINGERPRINT value, then the user: the
 * USERNAME "<local ufrag>:<remote ufrag>" goes to the caller's lookup,
 * which gives the local ice-pwd, and MESSAGE-INTEGRITY is checked with it.
 * Only authenticated requests are answered.  Binding indications (what
 * libnice sends as keepalives, without credentials) are ignored with
 * WR_STUN_INDICATION, which is not an error.
 *
 * Roles: a peer that says ICE-CONTROLLING is what a lite server expects.
 * A peer that says ICE-CONTROLLED gets a 487 (Role Conflict) error answer,
 * so that a full agent switches to controlling and checks again; a lite
 * server cannot take the controlling role.  A request with neither is
 * answered.  An unknown comprehension-required attribute gets a 420 answer
 * that lists it.
 *
 * Nothing is allocated by this unit and nothing is logged: the result code
 * says what happened, wr_stun_reason() names it.  (libnice's HMAC goes
 * through GnuTLS, which allocates a context per check; checks come every
 * few seconds per session, not per media packet.)
 */

#ifndef WR_STUN_H
#define WR_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <stun/stunagent.h>


#define WR_STUN_HEADER_LEN    20
#define WR_STUN_USERNAME_MAX  513    /* RFC 8489 14.3 */
#define WR_STUN_SOFTWARE_MAX  128

/*
 * Room for any answer: header, XOR-MAPPED-ADDRESS (IPv6), the echoed
 * USERNAME, an optional SOFTWARE, MESSAGE-INTEGRITY and FINGERPRINT.
 */
#define WR_STUN_REPLY_MAX     768


/* wr_stun_handle() results; each has a name in wr_stun_reason() */
enum {
    WR_STUN_OK = 0,              /* answered: a Binding success response */
    WR_STUN_INDICATION,          /* an indication (keepalive): ignored */
    WR_STUN_NOT_STUN,            /* no STUN header or magic cookie */
    WR_STUN_TRUNCATED,           /* shorter than its header says */
    WR_STUN_MALFORMED,           /* bad length or attribute layout */
    WR_STUN_NOT_REQUEST,         /* a response or error response */
    WR_STUN_BAD_METHOD,          /* a request other than Binding */
    WR_STUN_NO_FINGERPRINT,
    WR_STUN_BAD_FINGERPRINT,
    WR_STUN_NO_CREDENTIALS,      /* USERNAME or MESSAGE-INTEGRITY missing */
    WR_STUN_UNKNOWN_USER,        /* the lookup knows no such ufrag */
    WR_STUN_BAD_INTEGRITY,       /* MESSAGE-INTEGRITY does not match */
    WR_STUN_UNKNOWN_ATTRIBUTE,   /* answered with a 420 error response */
    WR_STUN_ROLE_CONFLICT,       /* answered with a 487 error response */
    WR_STUN_NO_SPACE,            /* the output buffer is too small */
    WR_STUN_ERROR,               /* unusable source address or library */
    WR_STUN_NREASONS
};

/* wr_stun_result_t.role: what the peer said it is */
#define WR_STUN_ROLE_NONE         0
#define WR_STUN_ROLE_CONTROLLING  1
#define WR_STUN_ROLE_CONTROLLED   2


/* one per worker */
typedef struct {
    StunAgent       agent;
    size_t          software_len;
} wr_stun_t;


/*
 * Finds the session of a local ufrag.  Returns 1 and sets *pwd, *pwd_len
 * (the local ice-pwd, which must stay valid until wr_stun_handle()
 * returns) and *peer (anything; handed back in the result), or returns 0
 * for an unknown user.  The remote ufrag is given too, for callers that
 * want to check it; both are bytes from the packet, not NUL-terminated.
 */
typedef int (*wr_stun_lookup_pt)(void *ctx, const uint8_t *ufrag,
    size_t ufrag_len, const uint8_t *remote_ufrag, size_t remote_ufrag_len,
    const uint8_t **pwd, size_t *pwd_len, void **peer);


typedef struct {
    size_t          reply_len;     /* bytes of out to send back, or 0 */

    /* from a request that got as far as the lookup */
    const uint8_t  *ufrag;         /* local ufrag, inside the packet */
    size_t          ufrag_len;
    const uint8_t  *remote_ufrag;
    size_t          remote_ufrag_len;
    void           *peer;          /* from the lookup */

    /* from an authenticated request */
    uint32_t        priority;      /* PRIORITY, 0 if absent */
    unsigned        role;          /* WR_STUN_ROLE_* */
    uint64_t        tie_breaker;   /* from ICE-CONTROLLING/CONTROLLED */
    unsigned        use_candidate; /* USE-CANDIDATE present: nominated */
} wr_stun_result_t;


/*
 * software: NULL, or a SOFTWARE value of at most WR_STUN_SOFTWARE_MAX bytes
 * added to every answer; libnice keeps the pointer, so the string must
 * outlive the wr_stun_t.  Returns 0, or -1 if software is too long.
 */
int wr_stun_init(wr_stun_t *stun, const char *software);

/*
 * Handles one datagram that looks like STUN (see wr_demux()).  src is
 * where it came from (AF_INET or AF_INET6): it goes into the answer's
 * XOR-MAPPED-ADDRESS.  The answer, if any, is written to out (at most
 * WR_STUN_REPLY_MAX bytes are needed) and res->reply_len is its length.
 */
int wr_stun_handle(wr_stun_t *stun, const uint8_t *in, size_t len,
    const struct sockaddr *src, socklen_t srclen, wr_stun_lookup_pt lookup,
    void *ctx, uint8_t *out, size_t size, wr_stun_result_t *res);

/* a static name for a result code, e.g. "bad_integrity", for counters */
const char *wr_stun_reason(int rc);


#endif /* WR_STUN_H */
