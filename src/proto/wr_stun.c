/*
 * ICE-lite STUN responder on libnice's STUN library; see wr_stun.h.
 *
 * The attributes are scanned here before libnice sees the message, for
 * two reasons: the result codes can then tell the reasons apart (libnice
 * says "unauthorized" for an unknown user and for a bad HMAC alike), and
 * libnice trusts some lengths it should not (a MESSAGE-INTEGRITY shorter
 * than 20 bytes makes it read past the message; fuzz/README.md).
 */

#include <string.h>

#include <stun/usages/ice.h>

#include "wr_stun.h"


#define WR_STUN_COOKIE       0x2112a442
#define WR_STUN_BINDING      0x001

/* message classes, from the C1 and C0 bits of the type */
#define WR_STUN_CLASS_REQUEST     0
#define WR_STUN_CLASS_INDICATION  1

#define wr_stun_align(n)  (((n) + 3) & ~(size_t) 3)
#define wr_stun_get16(p)  ((uint16_t) (((p)[0] << 8) | (p)[1]))
#define wr_stun_get32(p)                                                      \
    (((uint32_t) (p)[0] << 24) | ((uint32_t) (p)[1] << 16)                    \
     | ((uint32_t) (p)[2] << 8) | (p)[3])


/* what the scan found in a request */
typedef struct {
    unsigned        cls;
    unsigned        method;
    const uint8_t  *username;
    size_t          username_len;
    unsigned        integrity;
    unsigned        fingerprint;
    uint32_t        priority;
    unsigned        role;
    uint64_t        tie_breaker;
    unsigned        use_candidate;
} wr_stun_scan_t;


/* handed through libnice to the credential callback */
typedef struct {
    wr_stun_lookup_pt   lookup;
    void               *ctx;
    wr_stun_result_t   *res;
    unsigned            found;
} wr_stun_call_t;


static int wr_stun_scan(const uint8_t *in, size_t len, wr_stun_scan_t *s);
static bool wr_stun_credentials(StunAgent *agent, StunMessage *msg,
    uint8_t *username, uint16_t username_len, uint8_t **password,
    size_t *password_len, void *data);
static int wr_stun_reply(wr_stun_t *stun, StunMessage *req,
    const wr_stun_scan_t *s, const struct sockaddr *src, socklen_t srclen,
    uint8_t *out, size_t size, wr_stun_result_t *res);


/*
 * Comprehension-required attributes not listed here get a 420 answer.
 * libnice only reads this list.
 */
static const uint16_t  wr_stun_known[] = {
    STUN_ATTRIBUTE_USERNAME,
    STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
    STUN_ATTRIBUTE_PRIORITY,
    STUN_ATTRIBUTE_USE_CANDIDATE,
    STUN_ATTRIBUTE_FINGERPRINT,
    STUN_ATTRIBUTE_ICE_CONTROLLED,
    STUN_ATTRIBUTE_ICE_CONTROLLING,
    STUN_ATTRIBUTE_SOFTWARE,
    0
};


static const char  *const wr_stun_reasons[WR_STUN_NREASONS] = {
    "ok",
    "indication",
    "not_stun",
    "truncated",
    "malformed",
    "not_request",
    "bad_method",
    "no_fingerprint",
    "bad_fingerprint",
    "no_credentials",
    "unknown_user",
    "bad_integrity",
    "unknown_attribute",
    "role_conflict",
    "no_space",
    "error"
};


int
wr_stun_init(wr_stun_t *stun, const char *software)
{
    stun->software_len = software ? strlen(software) : 0;

    if (stun->software_len > WR_STUN_SOFTWARE_MAX) {
        return -1;
    }

    stun_agent_init(&stun->agent, wr_stun_known, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS
                    | STUN_AGENT_USAGE_USE_FINGERPRINT);

    if (software) {
        stun_agent_set_software(&stun->agent, software);
    }

    return 0;
}


const char *
wr_stun_reason(int rc)
{
    if (rc < 0 || rc >= WR_STUN_NREASONS) {
        return "unknown";
    }

    return wr_stun_reasons[rc];
}


int
wr_stun_handle(wr_stun_t *stun, const uint8_t *in, size_t len,
    const struct sockaddr *src, socklen_t srclen, wr_stun_lookup_pt lookup,
    void *ctx, uint8_t *out, size_t size, wr_stun_result_t *res)
{
    int                   rc;
    StunMessage           req, ans;
    wr_stun_call_t        call;
    wr_stun_scan_t        s;
    StunValidationStatus  vs;

    memset(res, 0, sizeof(wr_stun_result_t));

    rc = wr_stun_scan(in, len, &s);
    if (rc != WR_STUN_OK) {
        return rc;
    }

    if (s.cls == WR_STUN_CLASS_INDICATION) {
        return WR_STUN_INDICATION;
    }

    if (s.cls != WR_STUN_CLASS_REQUEST) {
        return WR_STUN_NOT_REQUEST;
    }

    if (s.method != WR_STUN_BINDING) {
        return WR_STUN_BAD_METHOD;
    }

    if (!s.fingerprint) {
        return WR_STUN_NO_FINGERPRINT;
    }

    if (s.username == NULL || !s.integrity) {
        return WR_STUN_NO_CREDENTIALS;
    }

    call.lookup = lookup;
    call.ctx = ctx;
    call.res = res;
    call.found = 0;

    /* libnice checks FINGERPRINT, then asks for the key, then the HMAC */
    vs = stun_agent_validate(&stun->agent, &req, in, len,
                             wr_stun_credentials, &call);

    switch (vs) {

    case STUN_VALIDATION_SUCCESS:
    case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE:
        break;

    case STUN_VALIDATION_BAD_REQUEST:
        /* the cookie and a FINGERPRINT are there: its value is wrong */
        return WR_STUN_BAD_FINGERPRINT;

    case STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST:
        return WR_STUN_NO_CREDENTIALS;

    case STUN_VALIDATION_UNAUTHORIZED:
        return call.found ? WR_STUN_BAD_INTEGRITY : WR_STUN_UNKNOWN_USER;

    default:
        /* the scan has excluded the others */
        return WR_STUN_ERROR;
    }

    res->priority = s.priority;
    res->role = s.role;
    res->tie_breaker = s.tie_breaker;
    res->use_candidate = s.use_candidate;

    /*
     * libnice pads attributes without checking that the padding fits, so
     * it gets a whole number of words: then it always does.
     */
    size &= ~(size_t) 3;

    if (size < WR_STUN_HEADER_LEN) {
        return WR_STUN_NO_SPACE;
    }

    if (vs == STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE) {
        res->reply_len = stun_agent_build_unknown_attributes_error(
                             &stun->agent, &ans, out, size, &req);
        return res->reply_len ? WR_STUN_UNKNOWN_ATTRIBUTE : WR_STUN_NO_SPACE;
    }

    if (s.role == WR_STUN_ROLE_CONTROLLED) {
        if (!stun_agent_init_error(&stun->agent, &ans, out, size, &req,
                                   STUN_ERROR_ROLE_CONFLICT))
        {
            return WR_STUN_NO_SPACE;
        }

        /* the answer took the request's key: it is signed */
        res->reply_len = stun_agent_finish_message(&stun->agent, &ans,
                                                   NULL, 0);
        return res->reply_len ? WR_STUN_ROLE_CONFLICT : WR_STUN_NO_SPACE;
    }

    return wr_stun_reply(stun, &req, &s, src, srclen, out, size, res);
}


/*
 * Framing and the attributes libnice will rely on.  The first occurrence
 * of an attribute counts, and after MESSAGE-INTEGRITY only FINGERPRINT
 * does, as in libnice; nothing may follow FINGERPRINT.
 */

static int
wr_stun_scan(const uint8_t *in, size_t len, wr_stun_scan_t *s)
{
    size_t          off, end, alen, padded;
    unsigned        type, after_integrity, controlling, controlled;
    const uint8_t  *v;

    memset(s, 0, sizeof(wr_stun_scan_t));

    /* RFC 7983: STUN starts with 0-3 on a port shared with DTLS */
    if (len == 0 || in[0] > 3) {
        return WR_STUN_NOT_STUN;
    }

    if (len < 8) {
        return WR_STUN_TRUNCATED;
    }

    if (wr_stun_get32(in + 4) != WR_STUN_COOKIE) {
        return WR_STUN_NOT_STUN;
    }

    if (len < WR_STUN_HEADER_LEN) {
        return WR_STUN_TRUNCATED;
    }

    type = wr_stun_get16(in);
    s->cls = ((type >> 7) & 2) | ((type >> 4) & 1);
    s->method = ((type & 0x3e00) >> 2) | ((type & 0x00e0) >> 1)
                | (type & 0x000f);

    end = WR_STUN_HEADER_LEN + wr_stun_get16(in + 2);

    if (end > len) {
        return WR_STUN_TRUNCATED;
    }

    /*
     * libnice keeps the total length in 16 bits: a longer message (not
     * possible over UDP) would wrap it, and its CRC would then run off.
     */
    if (end < len || (end & 3) || end > 0xffff) {
        return WR_STUN_MALFORMED;
    }

    after_integrity = 0;
    controlling = 0;
    controlled = 0;

    for (off = WR_STUN_HEADER_LEN; off < end; off += 4 + padded) {

        if (s->fingerprint || end - off < 4) {
            return WR_STUN_MALFORMED;
        }

        type = wr_stun_get16(in + off);
        alen = wr_stun_get16(in + off + 2);
        padded = wr_stun_align(alen);
        v = in + off + 4;

        if (padded > end - off - 4) {
            return WR_STUN_MALFORMED;
        }

        if (type == STUN_ATTRIBUTE_FINGERPRINT) {
            if (alen != 4) {
                return WR_STUN_MALFORMED;
            }

            s->fingerprint = 1;
            continue;
        }

        if (after_integrity) {
            continue;
        }

        switch (type) {

        case STUN_ATTRIBUTE_USERNAME:
            if (alen > WR_STUN_USERNAME_MAX) {
                return WR_STUN_MALFORMED;
            }

            if (s->username == NULL) {
                s->username = v;
                s->username_len = alen;
            }
            break;

        case STUN_ATTRIBUTE_MESSAGE_INTEGRITY:
            if (alen != 20) {
                return WR_STUN_MALFORMED;
            }

            s->integrity = 1;
            after_integrity = 1;
            break;

        case STUN_ATTRIBUTE_PRIORITY:
            if (alen != 4) {
                return WR_STUN_MALFORMED;
            }

            if (s->priority == 0) {
                s->priority = wr_stun_get32(v);
            }
            break;

        case STUN_ATTRIBUTE_USE_CANDIDATE:
            if (alen != 0) {
                return WR_STUN_MALFORMED;
            }

            s->use_candidate = 1;
            break;

        case STUN_ATTRIBUTE_ICE_CONTROLLING:
        case STUN_ATTRIBUTE_ICE_CONTROLLED:
            if (alen != 8) {
                return WR_STUN_MALFORMED;
            }

            if (!controlling && !controlled) {
                s->tie_breaker = ((uint64_t) wr_stun_get32(v) << 32)
                                 | wr_stun_get32(v + 4);
            }

            if (type == STUN_ATTRIBUTE_ICE_CONTROLLING) {
                controlling = 1;

            } else {
                controlled = 1;
            }
            break;

        default:
            break;
        }
    }

    /* a peer cannot be both */
    if (controlling && controlled) {
        return WR_STUN_MALFORMED;
    }

    s->role = controlling ? WR_STUN_ROLE_CONTROLLING
              : controlled ? WR_STUN_ROLE_CONTROLLED : WR_STUN_ROLE_NONE;

    return WR_STUN_OK;
}


/*
 * libnice's validater: USERNAME is "<local ufrag>:<remote ufrag>" (ufrags
 * have no colon).  An empty password is refused, because libnice would
 * skip the HMAC check for it.
 */

static bool
wr_stun_credentials(StunAgent *agent, StunMessage *msg, uint8_t *username,
    uint16_t username_len, uint8_t **password, size_t *password_len,
    void *data)
{
    size_t             i;
    void              *peer;
    const uint8_t     *pwd;
    wr_stun_call_t    *call;
    wr_stun_result_t  *res;

    call = data;
    res = call->res;

    if (username == NULL || call->lookup == NULL) {
        return false;
    }

    for (i = 0; i < username_len && username[i] != ':'; i++) {
        /* void */
    }

    if (i == 0 || i == username_len) {
        return false;
    }

    res->ufrag = username;
    res->ufrag_len = i;
    res->remote_ufrag = username + i + 1;
    res->remote_ufrag_len = username_len - i - 1;

    pwd = NULL;
    *password_len = 0;
    peer = NULL;

    if (!call->lookup(call->ctx, res->ufrag, res->ufrag_len,
                      res->remote_ufrag, res->remote_ufrag_len,
                      &pwd, password_len, &peer)
        || pwd == NULL || *password_len == 0)
    {
        return false;
    }

    *password = (uint8_t *) pwd;
    res->peer = peer;
    call->found = 1;

    return true;
}


/* the Binding success response, signed with the request's key */

static int
wr_stun_reply(wr_stun_t *stun, StunMessage *req, const wr_stun_scan_t *s,
    const struct sockaddr *src, socklen_t srclen, uint8_t *out, size_t size,
    wr_stun_result_t *res)
{
    bool                     control;
    size_t                   n, need;
    StunMessage              msg;
    StunUsageIceReturn       rc;
    struct sockaddr_storage  ss;

    if (src == NULL
        || (src->sa_family == AF_INET
            && srclen < (socklen_t) sizeof(struct sockaddr_in))
        || (src->sa_family == AF_INET6
            && srclen < (socklen_t) sizeof(struct sockaddr_in6))
        || (src->sa_family != AF_INET && src->sa_family != AF_INET6)
        || srclen > (socklen_t) sizeof(ss))
    {
        return WR_STUN_ERROR;
    }

    /*
     * libnice asserts when a signed answer does not fit, instead of
     * failing: make sure it fits.  Header, XOR-MAPPED-ADDRESS (IPv6), the
     * echoed USERNAME, SOFTWARE, MESSAGE-INTEGRITY, FINGERPRINT.
     */
    need = WR_STUN_HEADER_LEN + 4 + 20
           + 4 + wr_stun_align(s->username_len)
           + (stun->software_len ? 4 + wr_stun_align(stun->software_len) : 0)
           + 4 + 20 + 4 + 4;

    if (size < need) {
        return WR_STUN_NO_SPACE;
    }

    memcpy(&ss, src, srclen);

    /* ICE-CONTROLLED was answered before: no role change here */
    control = false;
    n = size;

    rc = stun_usage_ice_conncheck_create_reply(&stun->agent, req, &msg, out,
                                               &n, &ss, srclen, &control, 0,
                                        STUN_USAGE_ICE_COMPATIBILITY_RFC5245);

    switch (rc) {

    case STUN_USAGE_ICE_RETURN_SUCCESS:
        if (n == 0) {
            return WR_STUN_NO_SPACE;
        }

        res->reply_len = n;
        return WR_STUN_OK;

    case STUN_USAGE_ICE_RETURN_MEMORY_ERROR:
        return WR_STUN_NO_SPACE;

    default:
        return WR_STUN_ERROR;
    }
}
