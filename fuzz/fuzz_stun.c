/*
 * libFuzzer harness for the ICE-lite STUN responder (wr_stun); see
 * fuzz/README.md.
 *
 * Input: byte 0 picks a mode, the rest is the datagram.
 *   bit 0    sign: the harness sets the magic cookie and the length and
 *            appends MESSAGE-INTEGRITY (with the password of ufrag "srvU")
 *            and FINGERPRINT, so the fuzzer gets past the HMAC;
 *   bit 1    with bit 0: FINGERPRINT only;
 *   bit 2    the source is IPv6;
 *   bits 3-4 the output buffer: REPLY_MAX, 0, 61 or 100 bytes;
 *   bit 5    the answers carry SOFTWARE.
 *
 * Besides the sanitizers' own checks, it aborts when:
 *   - a result is out of range, or an answer comes with a result that
 *     must not have one (or none with one that must);
 *   - anything is written past the output buffer's size;
 *   - an answered request does not pass this file's own HMAC-SHA1 and
 *     CRC-32 check, or its answer does not (class, transaction,
 *     length, signature, XOR-MAPPED-ADDRESS = the source, error code);
 *   - handling the same datagram twice gives another result or answer;
 *   - wr_demux() disagrees that a datagram that got past framing is STUN.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "wr_stun.h"
#include "wr_rtcp.h"


#define MAX_IN     2048
#define CANARY     0x5a

#define SRV_PWD    "server-password-0123456789"
#define RFC_PWD    "VOkJxbRl1RmTxUk/WvJxBt"


static const size_t  out_sizes[4] = { WR_STUN_REPLY_MAX, 0, 61, 100 };


static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t) ((p[0] << 8) | p[1]);
}


static uint32_t
get32(const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}


static void
put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t) (v >> 8);
    p[1] = (uint8_t) v;
}


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


static int
lookup(void *ctx, const uint8_t *ufrag, size_t ufrag_len,
    const uint8_t *remote, size_t remote_len, const uint8_t **pwd,
    size_t *pwd_len, void **peer)
{
    const char  **found;

    found = ctx;

    if (ufrag_len == 4 && memcmp(ufrag, "srvU", 4) == 0) {
        *pwd = (const uint8_t *) SRV_PWD;
        *pwd_len = sizeof(SRV_PWD) - 1;
        *peer = ctx;
        *found = SRV_PWD;
        return 1;
    }

    /* RFC 5769's sample user */
    if (ufrag_len == 4 && memcmp(ufrag, "evtj", 4) == 0) {
        *pwd = (const uint8_t *) RFC_PWD;
        *pwd_len = sizeof(RFC_PWD) - 1;
        *found = RFC_PWD;
        return 1;
    }

    /* a user with no password must never get an answer */
    if (ufrag_len == 5 && memcmp(ufrag, "empty", 5) == 0) {
        *pwd = (const uint8_t *) "";
        *pwd_len = 0;
        *found = "";
        return 1;
    }

    return 0;
}


static size_t
append(uint8_t *m, size_t len, unsigned type, const uint8_t *v, size_t vlen)
{
    put16(m + len, type);
    put16(m + len + 2, vlen);
    memcpy(m + len + 4, v, vlen);
    len += 4 + vlen;
    put16(m + 2, len - 20);

    return len;
}


static size_t
sign(uint8_t *m, size_t len, int integrity)
{
    uint8_t   mac[20];
    uint32_t  crc;

    /* whole words, and a STUN header */
    len &= ~(size_t) 3;

    m[0] &= 0x03;
    m[4] = 0x21;
    m[5] = 0x12;
    m[6] = 0xa4;
    m[7] = 0x42;

    if (integrity) {
        put16(m + 2, len + 24 - 20);
        HMAC(EVP_sha1(), SRV_PWD, sizeof(SRV_PWD) - 1, m, len, mac, NULL);
        len = append(m, len, 0x0008, mac, 20);
    }

    put16(m + 2, len + 8 - 20);
    crc = crc32_bitwise(m, len) ^ 0x5354554e;
    mac[0] = (uint8_t) (crc >> 24);
    mac[1] = (uint8_t) (crc >> 16);
    mac[2] = (uint8_t) (crc >> 8);
    mac[3] = (uint8_t) crc;

    return append(m, len, 0x8028, mac, 4);
}


/* the first attribute of a type before MESSAGE-INTEGRITY, or NULL */

static const uint8_t *
find(const uint8_t *m, size_t len, unsigned type, size_t *vlen)
{
    size_t  off, alen;

    for (off = 20; off + 4 <= len; off += 4 + ((alen + 3) & ~(size_t) 3)) {
        alen = get16(m + off + 2);

        if (alen > len - off - 4) {
            return NULL;
        }

        if (get16(m + off) == type) {
            *vlen = alen;
            return m + off + 4;
        }

        if (get16(m + off) == 0x0008) {
            return NULL;
        }
    }

    return NULL;
}


/* MESSAGE-INTEGRITY and a final FINGERPRINT, checked the long way */

static int
signed_ok(const uint8_t *m, size_t len, const char *pwd)
{
    size_t          off, vlen;
    uint8_t         copy[MAX_IN + 64], mac[20];

    if (len < 28 || len > sizeof(copy) || (size_t) get16(m + 2) + 20 != len
        || get16(m + len - 8) != 0x8028
        || get32(m + len - 4) != (crc32_bitwise(m, len - 8) ^ 0x5354554e))
    {
        return 0;
    }

    /* the first MESSAGE-INTEGRITY */
    for (off = 20; /* void */; off += 4 + ((vlen + 3) & ~(size_t) 3)) {
        if (off + 4 > len) {
            return 0;
        }

        vlen = get16(m + off + 2);

        if (vlen > len - off - 4) {
            return 0;
        }

        if (get16(m + off) == 0x0008) {
            break;
        }
    }

    if (vlen != 20) {
        return 0;
    }

    memcpy(copy, m, off);
    put16(copy + 2, off + 24 - 20);
    HMAC(EVP_sha1(), pwd, (int) strlen(pwd), copy, off, mac, NULL);

    return memcmp(mac, m + off + 4, 20) == 0;
}


static void
check_answer(const uint8_t *req, const uint8_t *out, size_t n, int rc,
    const struct sockaddr *src, const char *pwd)
{
    size_t          vlen, i;
    unsigned        code;
    const uint8_t  *v, *x;

    if (!signed_ok(out, n, pwd) || memcmp(out + 4, req + 4, 16) != 0) {
        abort();
    }

    if (rc == WR_STUN_OK) {
        if (get16(out) != 0x0101) {
            abort();
        }

        v = find(out, n, 0x0020, &vlen);
        if (v == NULL || get16(v + 2) != (ntohs(((struct sockaddr_in *)
                                                 src)->sin_port) ^ 0x2112))
        {
            abort();
        }

        if (src->sa_family == AF_INET) {
            x = (const uint8_t *) &((struct sockaddr_in *) src)->sin_addr;

            if (vlen != 8 || v[1] != 1
                || (get32(v + 4) ^ 0x2112a442) != get32(x))
            {
                abort();
            }

        } else {
            x = (const uint8_t *) &((struct sockaddr_in6 *) src)->sin6_addr;

            if (vlen != 20 || v[1] != 2) {
                abort();
            }

            /* the address is XORed with the cookie and the transaction */
            for (i = 0; i < 16; i++) {
                if ((v[4 + i] ^ req[4 + i]) != x[i]) {
                    abort();
                }
            }
        }

        return;
    }

    if (get16(out) != 0x0111) {
        abort();
    }

    v = find(out, n, 0x0009, &vlen);
    if (v == NULL || vlen < 4) {
        abort();
    }

    code = (v[2] & 7) * 100 + v[3];

    if (code != (rc == WR_STUN_ROLE_CONFLICT ? 487 : 420)) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  rc, rc2;
    size_t               len, osize, i, n;
    uint8_t              mode;
    uint8_t              in[MAX_IN + 64];
    uint8_t              out[WR_STUN_REPLY_MAX + 64];
    uint8_t              out2[WR_STUN_REPLY_MAX + 64];
    uint8_t             *dgram;
    const char          *found, *found2;
    wr_stun_t            st;
    wr_stun_result_t     res, res2;
    struct sockaddr     *src;
    struct sockaddr_in   sin;
    struct sockaddr_in6  sin6;

    if (size < 1 || size - 1 > MAX_IN) {
        return 0;
    }

    mode = data[0];
    len = size - 1;
    memcpy(in, data + 1, len);

    if ((mode & 1) && len >= 20) {
        len = sign(in, len, !(mode & 2));
    }

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(40000);
    sin.sin_addr.s_addr = htonl(0xc0000201);

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(32853);
    memset(&sin6.sin6_addr, 0x2a, 16);

    src = (mode & 4) ? (struct sockaddr *) &sin6 : (struct sockaddr *) &sin;
    osize = out_sizes[(mode >> 3) & 3];

    wr_stun_init(&st, (mode & 0x20) ? "fuzz" : NULL);

    /* an exact-size copy, so that reading past the datagram is caught */
    dgram = malloc(len ? len : 1);
    memcpy(dgram, in, len);

    memset(out, CANARY, sizeof(out));
    found = NULL;
    rc = wr_stun_handle(&st, dgram, len, src,
                        (mode & 4) ? sizeof(sin6) : sizeof(sin),
                        lookup, &found, out, osize, &res);

    if (rc < 0 || rc >= WR_STUN_NREASONS || res.reply_len > osize) {
        abort();
    }

    for (i = osize; i < sizeof(out); i++) {
        if (out[i] != CANARY) {
            abort();
        }
    }

    n = res.reply_len;

    switch (rc) {

    case WR_STUN_OK:
    case WR_STUN_ROLE_CONFLICT:
    case WR_STUN_UNKNOWN_ATTRIBUTE:
        /* only a request signed with a real password gets an answer */
        if (n == 0 || found == NULL || found[0] == '\0'
            || !signed_ok(in, len, found))
        {
            abort();
        }

        check_answer(in, out, n, rc, src, found);
        break;

    default:
        if (n != 0) {
            abort();
        }
    }

    if (rc != WR_STUN_NOT_STUN && rc != WR_STUN_TRUNCATED
        && wr_demux(in, len) != WR_DEMUX_STUN)
    {
        abort();
    }

    /* the agent keeps no state between datagrams */
    found2 = NULL;
    rc2 = wr_stun_handle(&st, dgram, len, src,
                         (mode & 4) ? sizeof(sin6) : sizeof(sin),
                         lookup, &found2, out2, osize, &res2);

    if (rc2 != rc || res2.reply_len != n || found2 != found
        || (n && memcmp(out, out2, n) != 0))
    {
        abort();
    }

    free(dgram);

    return 0;
}
