/*
 * Tests for the ICE-lite STUN responder (wr_stun): the RFC 5769 sample
 * messages, answers checked both by this file's own HMAC-SHA1 and CRC-32
 * (OpenSSL and a bitwise CRC) and by libnice acting as the client, and
 * every reason a request is dropped.
 */

#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stun/usages/ice.h>

#include "wr_test.h"
#include "wr_stun.h"


#define SRV_UFRAG  "srvU"
#define SRV_PWD    "server-password-0123456789"
#define CLI_UFRAG  "cliU"
#define RFC_PWD    "VOkJxbRl1RmTxUk/WvJxBt"

#define A_USERNAME       0x0006
#define A_INTEGRITY      0x0008
#define A_ERROR_CODE     0x0009
#define A_UNKNOWN_ATTRS  0x000a
#define A_XOR_MAPPED     0x0020
#define A_PRIORITY       0x0024
#define A_USE_CANDIDATE  0x0025
#define A_SOFTWARE       0x8022
#define A_FINGERPRINT    0x8028
#define A_CONTROLLED     0x8029
#define A_CONTROLLING    0x802a


/* RFC 5769 2.1, 2.2 and 2.3 */
static const char  *rfc_request =
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e2074657374"
    "20636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576"
    "746a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571"
    "a280280004e57a3bcf";
static const char  *rfc_response4 =
    "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b746573742076656374"
    "6f7220002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9"
    "ba53f06be7d780280004c07d4c96";
static const char  *rfc_response6 =
    "010100482112a442b7e7a701bc34d686fa87dfae8022000b746573742076656374"
    "6f7220002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382"
    "954e4be67bf11784c97c8292c275bfe3ed4180280004c8fb0b4c";


typedef struct {
    const char  *ufrag;
    const char  *pwd;
    void        *peer;
} user_t;


typedef struct {
    const user_t  *users;
    int            calls;
    char           ufrag[64];
    char           remote[64];
} zone_t;


static int       peer_a, peer_b;
static user_t    users[] = {
    { SRV_UFRAG, SRV_PWD, &peer_a },
    { "evtj", RFC_PWD, &peer_b },
    { "empty", "", &peer_b },
    { NULL, NULL, NULL }
};

static const uint16_t  client_known[] = {
    A_USERNAME, A_INTEGRITY, A_ERROR_CODE, A_UNKNOWN_ATTRS, A_XOR_MAPPED,
    A_PRIORITY, A_USE_CANDIDATE, A_FINGERPRINT, A_CONTROLLED, A_CONTROLLING,
    A_SOFTWARE, 0
};


static size_t
unhex(const char *s, uint8_t *out)
{
    size_t        n;
    unsigned int  b;

    for (n = 0; s[2 * n]; n++) {
        sscanf(s + 2 * n, "%2x", &b);
        out[n] = (uint8_t) b;
    }

    return n;
}


static void
put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t) (v >> 8);
    p[1] = (uint8_t) v;
}


static uint32_t
get32(const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}


/* CRC-32 of ISO-HDLC, bit by bit: a different way from libnice's table */

static uint32_t
crc32_bitwise(const uint8_t *p, size_t n)
{
    int       k;
    size_t    i;
    uint32_t  c;

    c = 0xffffffff;

    for (i = 0; i < n; i++) {
        c ^= p[i];

        for (k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ 0xedb88320 : c >> 1;
        }
    }

    return ~c;
}


/* appends an attribute to a message of *len bytes, padding with zeros */

static void
add_attr(uint8_t *m, size_t *len, unsigned type, const void *v, size_t vlen)
{
    put16(m + *len, type);
    put16(m + *len + 2, (unsigned) vlen);
    memcpy(m + *len + 4, v, vlen);
    memset(m + *len + 4 + vlen, 0, (4 - vlen % 4) % 4);
    *len += 4 + ((vlen + 3) & ~(size_t) 3);
    put16(m + 2, (unsigned) (*len - 20));
}


/* signs a message: MESSAGE-INTEGRITY if key, then FINGERPRINT if fp */

static size_t
sign(uint8_t *m, size_t len, const char *key, int fp)
{
    uint8_t   mac[20];
    uint32_t  crc;

    if (key) {
        put16(m + 2, (unsigned) (len + 24 - 20));
        HMAC(EVP_sha1(), key, (int) strlen(key), m, len, mac, NULL);
        add_attr(m, &len, A_INTEGRITY, mac, 20);
    }

    if (fp) {
        put16(m + 2, (unsigned) (len + 8 - 20));
        crc = crc32_bitwise(m, len) ^ 0x5354554e;
        mac[0] = (uint8_t) (crc >> 24);
        mac[1] = (uint8_t) (crc >> 16);
        mac[2] = (uint8_t) (crc >> 8);
        mac[3] = (uint8_t) crc;
        add_attr(m, &len, A_FINGERPRINT, mac, 4);
    }

    return len;
}


/* the value of the first attribute of a type, or NULL */

static const uint8_t *
find_attr(const uint8_t *m, size_t len, unsigned type, size_t *vlen)
{
    size_t  off, alen;

    for (off = 20; off + 4 <= len; off += 4 + ((alen + 3) & ~(size_t) 3)) {
        alen = ((size_t) m[off + 2] << 8) | m[off + 3];

        if ((((unsigned) m[off] << 8) | m[off + 1]) == type) {
            *vlen = alen;
            return m + off + 4;
        }
    }

    return NULL;
}


/*
 * Checks a whole message independently: its length field, HMAC-SHA1 over
 * what precedes MESSAGE-INTEGRITY, CRC-32 over what precedes the final
 * FINGERPRINT.
 */

static int
verify(const uint8_t *m, size_t len, const char *key)
{
    size_t          vlen, off;
    uint8_t         copy[2048], mac[20];
    const uint8_t  *mi;

    if (len < 28 || len > sizeof(copy)
        || (((size_t) m[2] << 8) | m[3]) + 20 != len)
    {
        return 0;
    }

    if ((((unsigned) m[len - 8] << 8) | m[len - 7]) != A_FINGERPRINT
        || get32(m + len - 4) != (crc32_bitwise(m, len - 8) ^ 0x5354554e))
    {
        return 0;
    }

    mi = find_attr(m, len, A_INTEGRITY, &vlen);
    if (mi == NULL || vlen != 20) {
        return 0;
    }

    off = (size_t) (mi - m) - 4;
    memcpy(copy, m, off);
    put16(copy + 2, (unsigned) (off + 24 - 20));
    HMAC(EVP_sha1(), key, (int) strlen(key), copy, off, mac, NULL);

    return memcmp(mac, mi, 20) == 0;
}


static int
lookup(void *ctx, const uint8_t *ufrag, size_t ufrag_len,
    const uint8_t *remote, size_t remote_len, const uint8_t **pwd,
    size_t *pwd_len, void **peer)
{
    zone_t        *z;
    const user_t  *u;

    z = ctx;
    z->calls++;

    snprintf(z->ufrag, sizeof(z->ufrag), "%.*s", (int) ufrag_len, ufrag);
    snprintf(z->remote, sizeof(z->remote), "%.*s", (int) remote_len, remote);

    for (u = z->users; u->ufrag; u++) {
        if (strlen(u->ufrag) == ufrag_len
            && memcmp(u->ufrag, ufrag, ufrag_len) == 0)
        {
            *pwd = (const uint8_t *) u->pwd;
            *pwd_len = strlen(u->pwd);
            *peer = u->peer;
            return 1;
        }
    }

    return 0;
}


static struct sockaddr_in
addr4(const char *ip, unsigned port)
{
    struct sockaddr_in  sin;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t) port);
    inet_pton(AF_INET, ip, &sin.sin_addr);

    return sin;
}


static struct sockaddr_in6
addr6(const char *ip, unsigned port)
{
    struct sockaddr_in6  sin6;

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons((uint16_t) port);
    inet_pton(AF_INET6, ip, &sin6.sin6_addr);

    return sin6;
}


/* runs one datagram through a fresh zone record; *z says what lookup saw */

static int
handle(wr_stun_t *st, const uint8_t *in, size_t len, zone_t *z,
    uint8_t *out, size_t size, wr_stun_result_t *res)
{
    struct sockaddr_in  sin;

    memset(z, 0, sizeof(zone_t));
    z->users = users;
    sin = addr4("127.0.0.1", 40000);

    return wr_stun_handle(st, in, len, (struct sockaddr *) &sin, sizeof(sin),
                          lookup, z, out, size, res);
}


static void
client_init(StunAgent *cli, int fingerprint)
{
    stun_agent_init(cli, client_known, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS
                    | (fingerprint ? STUN_AGENT_USAGE_USE_FINGERPRINT : 0));
}


/* a connectivity check as libnice's full agent builds it */

static size_t
conncheck(StunAgent *cli, uint8_t *buf, size_t size, const char *username,
    const char *pwd, int use_candidate, int controlling)
{
    StunMessage  msg;

    return stun_usage_ice_conncheck_create(cli, &msg, buf, size,
               (const uint8_t *) username, username ? strlen(username) : 0,
               (const uint8_t *) pwd, pwd ? strlen(pwd) : 0,
               use_candidate, controlling, 0x6e7f1eff,
               0x0123456789abcdefULL, NULL,
               STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
}


static void
test_rfc5769(wr_stun_t *st)
{
    int                  rc;
    size_t               n, len, mlen, vlen;
    uint8_t              req[256], resp[256], mod[256], out[WR_STUN_REPLY_MAX];
    zone_t               z;
    const uint8_t       *v;
    wr_stun_result_t     res;
    struct sockaddr_in   sin;
    struct sockaddr_in6  sin6;

    /* the checker of this file agrees with the RFC's samples */
    len = unhex(rfc_request, req);
    WR_OK(verify(req, len, RFC_PWD), "RFC 5769 request: integrity and "
          "fingerprint check out");

    n = unhex(rfc_response4, resp);
    WR_OK(verify(resp, n, RFC_PWD), "RFC 5769 IPv4 response checks out");
    v = find_attr(resp, n, A_XOR_MAPPED, &vlen);
    WR_OK(v && vlen == 8 && v[1] == 1
          && (((v[2] << 8) | v[3]) ^ 0x2112) == 32853
          && (get32(v + 4) ^ 0x2112a442) == 0xc0000201,
          "RFC 5769 IPv4 response maps 192.0.2.1:32853");

    n = unhex(rfc_response6, resp);
    WR_OK(verify(resp, n, RFC_PWD), "RFC 5769 IPv6 response checks out");

    /* ... and so does its signer: it rebuilds the sample exactly */
    memcpy(mod, req, 76);
    n = sign(mod, 76, RFC_PWD, 1);
    WR_OK(n == len && memcmp(mod, req, len) == 0,
          "re-signing the sample request gives the same bytes");

    /* the sample says ICE-CONTROLLED: a lite server answers 487 */
    rc = handle(st, req, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_ROLE_CONFLICT, "sample request: role conflict");
    WR_EQ_STR(z.ufrag, "evtj", "lookup got the local ufrag");
    WR_EQ_STR(z.remote, "h6vY", "lookup got the remote ufrag");
    WR_OK(res.peer == &peer_b, "the lookup's peer is in the result");
    WR_EQ_INT(res.priority, 0x6e0001ff, "PRIORITY reported");
    WR_EQ_INT(res.role, WR_STUN_ROLE_CONTROLLED, "role: controlled");
    WR_OK(res.tie_breaker == 0x932ff9b151263b36ULL, "tie-breaker reported");
    WR_EQ_INT(res.use_candidate, 0, "no USE-CANDIDATE");
    WR_OK(res.reply_len > 20 && out[0] == 0x01 && out[1] == 0x11
          && memcmp(out + 4, req + 4, 16) == 0,
          "a Binding error response with the request's transaction");
    v = find_attr(out, res.reply_len, A_ERROR_CODE, &vlen);
    WR_OK(v && vlen >= 4 && v[2] == 4 && v[3] == 87, "error code 487");
    WR_OK(verify(out, res.reply_len, RFC_PWD),
          "the 487 answer is signed with the ice-pwd and fingerprinted");

    /* the same request as a controlling peer's, signed again */
    memcpy(mod, req, 76);
    put16(mod + 48, A_CONTROLLING);
    mlen = sign(mod, 76, RFC_PWD, 1);

    sin = addr4("192.0.2.1", 32853);
    memset(&z, 0, sizeof(z));
    z.users = users;
    rc = wr_stun_handle(st, mod, mlen, (struct sockaddr *) &sin, sizeof(sin),
                        lookup, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_OK, "controlling sample request: answered");
    WR_EQ_INT(res.role, WR_STUN_ROLE_CONTROLLING, "role: controlling");
    WR_OK(res.reply_len > 20 && out[0] == 0x01 && out[1] == 0x01
          && memcmp(out + 4, req + 4, 16) == 0,
          "a Binding success response with the request's transaction");
    WR_OK(verify(out, res.reply_len, RFC_PWD),
          "IPv4 answer: integrity and fingerprint check out");

    v = find_attr(out, res.reply_len, A_XOR_MAPPED, &vlen);
    n = unhex(rfc_response4, resp);
    WR_OK(v && vlen == 8 && memcmp(v, resp + 40, 8) == 0,
          "XOR-MAPPED-ADDRESS equals RFC 5769's IPv4 sample");

    v = find_attr(out, res.reply_len, A_USERNAME, &vlen);
    WR_OK(v && vlen == 9 && memcmp(v, "evtj:h6vY", 9) == 0,
          "USERNAME echoed");

    sin6 = addr6("2001:db8:1234:5678:11:2233:4455:6677", 32853);
    rc = wr_stun_handle(st, mod, mlen, (struct sockaddr *) &sin6,
                        sizeof(sin6), lookup, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_OK, "IPv6 source: answered");
    WR_OK(verify(out, res.reply_len, RFC_PWD),
          "IPv6 answer: integrity and fingerprint check out");

    v = find_attr(out, res.reply_len, A_XOR_MAPPED, &vlen);
    n = unhex(rfc_response6, resp);
    WR_OK(v && vlen == 20 && memcmp(v, resp + 40, 20) == 0,
          "XOR-MAPPED-ADDRESS equals RFC 5769's IPv6 sample");
}


static void
test_libnice_client(wr_stun_t *st)
{
    int                      rc, i, ok;
    bool                     use;
    size_t                   n;
    uint8_t                  req[512], out[WR_STUN_REPLY_MAX];
    zone_t                   z;
    socklen_t                alen;
    StunAgent                cli;
    StunMessage              msg;
    wr_stun_result_t         res;
    struct sockaddr_in      *got;
    struct sockaddr_storage  addr;

    client_init(&cli, 1);

    n = conncheck(&cli, req, sizeof(req), SRV_UFRAG ":" CLI_UFRAG, SRV_PWD,
                  1, 1);
    WR_OK(n > 0, "libnice built a connectivity check");

    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_OK, "check answered");
    WR_EQ_INT(z.calls, 1, "one lookup");
    WR_EQ_STR(z.ufrag, SRV_UFRAG, "local ufrag");
    WR_EQ_STR(z.remote, CLI_UFRAG, "remote ufrag");
    WR_OK(res.ufrag_len == 4 && memcmp(res.ufrag, SRV_UFRAG, 4) == 0
          && res.remote_ufrag_len == 4
          && memcmp(res.remote_ufrag, CLI_UFRAG, 4) == 0,
          "ufrags in the result point into the request");
    WR_OK(res.peer == &peer_a, "peer from the lookup");
    WR_EQ_INT(res.use_candidate, 1, "USE-CANDIDATE reported");
    WR_EQ_INT(res.role, WR_STUN_ROLE_CONTROLLING, "controlling peer");
    WR_OK(res.tie_breaker == 0x0123456789abcdefULL, "tie-breaker");
    WR_EQ_INT(res.priority, 0x6e7f1eff, "priority");
    WR_OK(res.reply_len <= WR_STUN_REPLY_MAX, "answer within REPLY_MAX");

    WR_EQ_INT(stun_agent_validate(&cli, &msg, out, res.reply_len, NULL, NULL),
              STUN_VALIDATION_SUCCESS, "libnice accepts the answer");

    alen = sizeof(addr);
    rc = stun_usage_ice_conncheck_process(&msg, &addr, &alen,
                                      STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
    got = (struct sockaddr_in *) &addr;
    WR_EQ_INT(rc, STUN_USAGE_ICE_RETURN_SUCCESS, "libnice: mapped address");
    WR_OK(addr.ss_family == AF_INET && ntohs(got->sin_port) == 40000
          && got->sin_addr.s_addr == htonl(0x7f000001),
          "libnice reads 127.0.0.1:40000 back");
    WR_OK(verify(out, res.reply_len, SRV_PWD), "own check agrees");

    /* consent freshness: no state builds up in the server's agent */
    ok = 1;

    for (i = 0; i < 300 && ok; i++) {
        n = conncheck(&cli, req, sizeof(req), SRV_UFRAG ":" CLI_UFRAG,
                      SRV_PWD, 0, 1);
        rc = handle(st, req, n, &z, out, sizeof(out), &res);
        ok = n > 0 && rc == WR_STUN_OK && res.use_candidate == 0
             && stun_agent_validate(&cli, &msg, out, res.reply_len, NULL,
                                    NULL) == STUN_VALIDATION_SUCCESS;
    }

    WR_OK(ok, "300 checks in a row answered and accepted (stopped at %d)", i);

    /* a controlled peer: libnice sees the role conflict */
    n = conncheck(&cli, req, sizeof(req), SRV_UFRAG ":" CLI_UFRAG, SRV_PWD,
                  0, 0);
    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_ROLE_CONFLICT, "controlled peer: role conflict");
    WR_EQ_INT(stun_agent_validate(&cli, &msg, out, res.reply_len, NULL, NULL),
              STUN_VALIDATION_SUCCESS, "libnice accepts the 487 answer");
    alen = sizeof(addr);
    WR_EQ_INT(stun_usage_ice_conncheck_process(&msg, &addr, &alen,
                                      STUN_USAGE_ICE_COMPATIBILITY_RFC5245),
              STUN_USAGE_ICE_RETURN_ROLE_CONFLICT,
              "libnice reads it as a role conflict");

    /* an unknown comprehension-required attribute: 420 */
    stun_agent_init_request(&cli, &msg, req, sizeof(req), STUN_BINDING);
    stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME,
                              SRV_UFRAG ":" CLI_UFRAG, 9);
    stun_message_append64(&msg, STUN_ATTRIBUTE_ICE_CONTROLLING, 7);
    stun_message_append32(&msg, 0x0030, 0xdeadbeef);
    n = stun_agent_finish_message(&cli, &msg, (const uint8_t *) SRV_PWD,
                                  strlen(SRV_PWD));
    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_UNKNOWN_ATTRIBUTE, "unknown attribute: 420");
    WR_EQ_INT(stun_agent_validate(&cli, &msg, out, res.reply_len, NULL, NULL),
              STUN_VALIDATION_SUCCESS, "libnice accepts the 420 answer");
    {
        int       code;
        uint16_t  ulen;
        uint8_t  *u;

        code = 0;
        stun_message_find_error(&msg, &code);
        u = (uint8_t *) stun_message_find(&msg,
                                          STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
                                          &ulen);
        WR_OK(code == 420 && u && ulen == 2 && u[0] == 0x00 && u[1] == 0x30,
              "420 with UNKNOWN-ATTRIBUTES 0x0030");
    }

    /* a request other than Binding */
    stun_agent_init_request(&cli, &msg, req, sizeof(req), STUN_ALLOCATE);
    stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME,
                              SRV_UFRAG ":" CLI_UFRAG, 9);
    n = stun_agent_finish_message(&cli, &msg, (const uint8_t *) SRV_PWD,
                                  strlen(SRV_PWD));
    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_BAD_METHOD, "Allocate request: bad method");
    WR_EQ_INT(res.reply_len, 0, "not answered");

    /* the keepalive libnice sends once connected */
    stun_agent_init_indication(&cli, &msg, req, sizeof(req), STUN_BINDING);
    n = stun_agent_finish_message(&cli, &msg, NULL, 0);
    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_INDICATION, "binding indication: ignored");
    WR_EQ_INT(res.reply_len, 0, "indication not answered");
    WR_EQ_INT(z.calls, 0, "indication: no lookup");

    use = stun_usage_ice_conncheck_use_candidate(&msg);
    WR_OK(!use, "(libnice agrees there is no USE-CANDIDATE)");
}


static void
test_drops(wr_stun_t *st)
{
    int               rc;
    size_t            n, len;
    uint8_t           req[1024], bad[1024], out[WR_STUN_REPLY_MAX];
    zone_t            z;
    StunAgent         cli, nofp;
    wr_stun_result_t  res;

    client_init(&cli, 1);
    client_init(&nofp, 0);

    /* wrong password */
    n = conncheck(&cli, req, sizeof(req), SRV_UFRAG ":" CLI_UFRAG,
                  "not-the-password-at-all!", 1, 1);
    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_BAD_INTEGRITY, "wrong password: bad integrity");
    WR_EQ_INT(z.calls, 1, "the user was looked up");
    WR_EQ_INT(res.reply_len, 0, "not answered");
    WR_EQ_INT(res.use_candidate, 0, "USE-CANDIDATE of a bad check unread");

    /* unknown user */
    n = conncheck(&cli, req, sizeof(req), "nobody:" CLI_UFRAG, SRV_PWD, 1, 1);
    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_UNKNOWN_USER, "unknown ufrag: unknown user");
    WR_EQ_STR(z.ufrag, "nobody", "looked up by its local part");
    WR_EQ_INT(res.reply_len, 0, "not answered");

    n = conncheck(&cli, req, sizeof(req), SRV_UFRAG, SRV_PWD, 1, 1);
    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_UNKNOWN_USER, "USERNAME without colon");
    WR_EQ_INT(z.calls, 0, "not looked up");

    n = conncheck(&cli, req, sizeof(req), ":" CLI_UFRAG, SRV_PWD, 1, 1);
    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_UNKNOWN_USER, "empty local ufrag");

    /* an empty password must not turn the HMAC check off */
    n = conncheck(&cli, req, sizeof(req), "empty:" CLI_UFRAG, "whatever",
                  1, 1);
    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_UNKNOWN_USER, "user with an empty password");
    WR_EQ_INT(res.reply_len, 0, "not answered");

    /* no FINGERPRINT */
    n = conncheck(&nofp, req, sizeof(req), SRV_UFRAG ":" CLI_UFRAG, SRV_PWD,
                  1, 1);
    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_NO_FINGERPRINT, "missing fingerprint");
    WR_EQ_INT(z.calls, 0, "no lookup");

    /* no credentials */
    n = conncheck(&cli, req, sizeof(req), NULL, NULL, 1, 1);
    rc = handle(st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_NO_CREDENTIALS, "no USERNAME, no integrity");

    len = unhex(rfc_request, bad);
    len = sign(bad, 76, NULL, 1);
    rc = handle(st, bad, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_NO_CREDENTIALS, "USERNAME without integrity");

    /* fingerprint and integrity damaged */
    n = conncheck(&cli, req, sizeof(req), SRV_UFRAG ":" CLI_UFRAG, SRV_PWD,
                  1, 1);
    memcpy(bad, req, n);
    bad[n - 1] ^= 1;
    rc = handle(st, bad, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_BAD_FINGERPRINT, "bad fingerprint");
    WR_EQ_INT(z.calls, 0, "checked before any lookup");

    memcpy(bad, req, n);
    bad[31] ^= 0x40;        /* in the PRIORITY value */
    rc = handle(st, bad, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_BAD_FINGERPRINT, "changed body: fingerprint fails");

    len = sign(bad, n - 8, NULL, 1);
    rc = handle(st, bad, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_BAD_INTEGRITY,
              "changed body, new fingerprint: integrity fails");

    /* truncated and oversized */
    rc = handle(st, req, n - 4, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_TRUNCATED, "4 bytes short: truncated");
    rc = handle(st, req, 19, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_TRUNCATED, "19 bytes: truncated");
    rc = handle(st, req, 3, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_TRUNCATED, "3 bytes: truncated");

    memcpy(bad, req, n);
    bad[n] = 0;
    rc = handle(st, bad, n + 1, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "a byte after the message: malformed");

    memcpy(bad, req, n);
    put16(bad + 2, (unsigned) (n - 20 - 2));
    rc = handle(st, bad, n - 2, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "length not a multiple of 4");

    /* not STUN at all */
    rc = handle(st, (const uint8_t *) "\x80\x60\x00\x01", 4, &z, out,
                sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_NOT_STUN, "an RTP header is not STUN");
    rc = handle(st, req, 0, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_NOT_STUN, "empty datagram");
    memcpy(bad, req, n);
    bad[4] ^= 0xff;
    rc = handle(st, bad, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_NOT_STUN, "wrong magic cookie");

    /* a response is not for a lite server */
    len = unhex(rfc_response4, bad);
    rc = handle(st, bad, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_NOT_REQUEST, "a success response: dropped");
}


/* attribute layouts that would mislead libnice */

static void
test_hostile(wr_stun_t *st)
{
    int               rc;
    size_t            len;
    uint8_t           m[1024], out[WR_STUN_REPLY_MAX];
    uint8_t           zero[600];
    zone_t            z;
    wr_stun_result_t  res;

    memset(zero, 0, sizeof(zero));
    len = unhex(rfc_request, m);

    /* MESSAGE-INTEGRITY of 4 bytes: libnice would hash past the end */
    len = 76;
    add_attr(m, &len, A_INTEGRITY, "abcd", 4);
    len = sign(m, len, NULL, 1);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "short MESSAGE-INTEGRITY: malformed");

    /* an attribute claiming more than the message holds */
    len = unhex(rfc_request, m);
    put16(m + 62, 200);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "attribute longer than the message");

    put16(m + 62, 0xffff);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "attribute length 0xffff");

    /* something after FINGERPRINT */
    len = unhex(rfc_request, m);
    add_attr(m, &len, A_PRIORITY, "\0\0\0\1", 4);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "attribute after FINGERPRINT");

    /* FINGERPRINT of the wrong size */
    len = 76;
    unhex(rfc_request, m);
    add_attr(m, &len, A_FINGERPRINT, "\1\2\3\4\5\6\7\0", 8);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "8-byte FINGERPRINT");

    /* both roles */
    len = 76;
    unhex(rfc_request, m);
    add_attr(m, &len, A_CONTROLLING, "\1\2\3\4\5\6\7\0", 8);
    len = sign(m, len, RFC_PWD, 1);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "both ICE-CONTROLLING and CONTROLLED");

    /* role and flag attributes of the wrong size */
    len = 76;
    unhex(rfc_request, m);
    add_attr(m, &len, A_USE_CANDIDATE, "\1\2\3\4", 4);
    len = sign(m, len, RFC_PWD, 1);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "USE-CANDIDATE with a value");

    len = 20;
    unhex(rfc_request, m);
    add_attr(m, &len, A_CONTROLLING, "\1\2\3\4", 4);
    len = sign(m, len, RFC_PWD, 1);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "4-byte ICE-CONTROLLING");

    /* a USERNAME too long for ICE */
    len = 20;
    add_attr(m, &len, A_USERNAME, zero, 514);
    len = sign(m, len, RFC_PWD, 1);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "514-byte USERNAME");

    len = 20;
    add_attr(m, &len, A_PRIORITY, "\1\2", 2);
    len = sign(m, len, RFC_PWD, 1);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_MALFORMED, "2-byte PRIORITY");

    /* the first of repeated attributes counts, as in libnice */
    len = 20;
    add_attr(m, &len, A_USERNAME, "evtj:h6vY", 9);
    add_attr(m, &len, A_USERNAME, "nobody:x", 8);
    add_attr(m, &len, A_PRIORITY, "\0\0\0\7", 4);
    add_attr(m, &len, A_PRIORITY, "\0\0\0\10", 4);
    add_attr(m, &len, A_CONTROLLING, "\1\2\3\4\5\6\7\10", 8);
    add_attr(m, &len, A_CONTROLLING, "\0\0\0\0\0\0\0\0", 8);
    len = sign(m, len, RFC_PWD, 1);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_OK, "repeated attributes: answered");
    WR_EQ_STR(z.ufrag, "evtj", "the first USERNAME");
    WR_OK(res.priority == 7 && res.tie_breaker == 0x0102030405060708ULL,
          "the first PRIORITY and ICE-CONTROLLING");

    /* longer than libnice's 16-bit total length (and than UDP allows) */
    {
        uint8_t  *big;

        big = calloc(1, 20 + 0xfffc);
        if (big) {
            memcpy(big, m, 20);
            put16(big + 2, 0xfffc);
            put16(big + 20, 0x8000);
            put16(big + 22, 0xfff8);
            rc = handle(st, big, 20 + 0xfffc, &z, out, sizeof(out), &res);
            free(big);
        }
        WR_EQ_INT(rc, WR_STUN_MALFORMED, "65552-byte message: malformed");
    }

    /* attributes after MESSAGE-INTEGRITY do not count */
    len = 20;
    add_attr(m, &len, A_USERNAME, "evtj:h6vY", 9);
    add_attr(m, &len, A_CONTROLLING, "\1\2\3\4\5\6\7\0", 8);
    len = sign(m, len, RFC_PWD, 0);
    add_attr(m, &len, A_USE_CANDIDATE, "", 0);
    len = sign(m, len, NULL, 1);
    rc = handle(st, m, len, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_OK, "USE-CANDIDATE after integrity: answered");
    WR_EQ_INT(res.use_candidate, 0, "... but not taken as a nomination");
}


static void
test_buffers(void)
{
    int                 rc;
    size_t              n, len, need;
    uint8_t             req[512], out[1024], *v;
    zone_t              z;
    wr_stun_t           st;
    StunAgent           cli;
    wr_stun_result_t    res;
    struct sockaddr_un  sun;
    char                longname[WR_STUN_SOFTWARE_MAX + 2];

    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    WR_EQ_INT(wr_stun_init(&st, longname), -1, "SOFTWARE too long refused");

    WR_EQ_INT(wr_stun_init(&st, "ngx_webrtc"), 0, "init with SOFTWARE");
    client_init(&cli, 1);

    n = conncheck(&cli, req, sizeof(req), SRV_UFRAG ":" CLI_UFRAG, SRV_PWD,
                  1, 1);

    rc = handle(&st, req, n, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_OK, "answered with SOFTWARE");
    {
        size_t          vlen;
        const uint8_t  *sw;

        sw = find_attr(out, res.reply_len, A_SOFTWARE, &vlen);
        WR_OK(sw && vlen == 10 && memcmp(sw, "ngx_webrtc", 10) == 0,
              "SOFTWARE in the answer");
    }
    WR_OK(verify(out, res.reply_len, SRV_PWD), "and it is signed");

    /* every size below what the answer needs: refused, nothing written */
    len = n;
    need = res.reply_len;
    v = NULL;
    rc = WR_STUN_ERROR;

    for (n = 0; n < need; n++) {
        memset(out, 0xa5, sizeof(out));
        rc = handle(&st, req, len, &z, out, n, &res);

        for (v = out + n; v < out + sizeof(out) && *v == 0xa5; v++) {
            /* void */
        }

        if (rc != WR_STUN_NO_SPACE || res.reply_len != 0
            || v != out + sizeof(out))
        {
            break;
        }
    }

    WR_OK(rc == WR_STUN_NO_SPACE && v == out + sizeof(out),
          "too small output buffers: no space, nothing past the end "
          "(size %zu)", n);

    /* unusable source addresses */
    n = conncheck(&cli, req, sizeof(req), SRV_UFRAG ":" CLI_UFRAG, SRV_PWD,
                  1, 1);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memset(&z, 0, sizeof(z));
    z.users = users;
    rc = wr_stun_handle(&st, req, n, (struct sockaddr *) &sun, sizeof(sun),
                        lookup, &z, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_ERROR, "AF_UNIX source: error");

    rc = wr_stun_handle(&st, req, n, NULL, 0, lookup, &z, out, sizeof(out),
                        &res);
    WR_EQ_INT(rc, WR_STUN_ERROR, "no source: error");

    {
        struct sockaddr_in   sin;
        struct sockaddr_in6  sin6;

        sin = addr4("10.0.0.1", 1);
        rc = wr_stun_handle(&st, req, n, (struct sockaddr *) &sin, 4,
                            lookup, &z, out, sizeof(out), &res);
        WR_EQ_INT(rc, WR_STUN_ERROR, "AF_INET address cut short: error");

        sin6 = addr6("::1", 1);
        rc = wr_stun_handle(&st, req, n, (struct sockaddr *) &sin6,
                            sizeof(struct sockaddr_in), lookup, &z, out,
                            sizeof(out), &res);
        WR_EQ_INT(rc, WR_STUN_ERROR, "AF_INET6 address cut short: error");
    }

    rc = wr_stun_handle(&st, req, n, (struct sockaddr *) &sun, sizeof(sun),
                        NULL, NULL, out, sizeof(out), &res);
    WR_EQ_INT(rc, WR_STUN_UNKNOWN_USER, "no lookup: nobody is known");

    /* error answers that do not fit */
    {
        StunMessage  msg;

        n = conncheck(&cli, req, sizeof(req), SRV_UFRAG ":" CLI_UFRAG,
                      SRV_PWD, 0, 0);
        rc = handle(&st, req, n, &z, out, 24, &res);
        WR_OK(rc == WR_STUN_NO_SPACE && res.reply_len == 0,
              "487 into 24 bytes: no space");
        rc = handle(&st, req, n, &z, out, 60, &res);
        WR_OK(rc == WR_STUN_NO_SPACE && res.reply_len == 0,
              "487 without room for its signature: no space");

        stun_agent_init_request(&cli, &msg, req, sizeof(req), STUN_BINDING);
        stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME,
                                  SRV_UFRAG ":" CLI_UFRAG, 9);
        stun_message_append32(&msg, 0x0031, 1);
        n = stun_agent_finish_message(&cli, &msg, (const uint8_t *) SRV_PWD,
                                      strlen(SRV_PWD));
        rc = handle(&st, req, n, &z, out, 40, &res);
        WR_OK(rc == WR_STUN_NO_SPACE && res.reply_len == 0,
              "420 into 40 bytes: no space");
    }
}


static void
test_reasons(void)
{
    int          i, j, ok;
    const char  *a;

    ok = 1;

    for (i = 0; i < WR_STUN_NREASONS; i++) {
        a = wr_stun_reason(i);

        if (a == NULL || strcmp(a, "unknown") == 0) {
            ok = 0;
        }

        for (j = 0; j < i; j++) {
            if (strcmp(a, wr_stun_reason(j)) == 0) {
                ok = 0;
            }
        }
    }

    WR_OK(ok, "every result has its own name");
    WR_EQ_STR(wr_stun_reason(WR_STUN_BAD_INTEGRITY), "bad_integrity",
              "bad_integrity");
    WR_EQ_STR(wr_stun_reason(-1), "unknown", "out of range: unknown");
    WR_EQ_STR(wr_stun_reason(WR_STUN_NREASONS), "unknown", "past the end");
}


int
main(void)
{
    wr_stun_t  st;

    WR_EQ_INT(wr_stun_init(&st, NULL), 0, "init");

    test_rfc5769(&st);
    test_libnice_client(&st);
    test_drops(&st);
    test_hostile(&st);
    test_buffers();
    test_reasons();

    return wr_test_done();
}
