/*
 * Tests for SRTP/SRTCP sessions, with keys from a real DTLS handshake
 * (wr_dtls against an OpenSSL client).  The peer side is plain libsrtp
 * keyed from the client's own export, so a key mix-up in wr_srtp cannot
 * hide behind a symmetric mistake.  Round trips for both profiles, both
 * directions, RTP and RTCP; replays, flipped bits, short buffers;
 * sessions rebuilt from the stored key struct continuing streams, across
 * sequence number wraps, in both directions; the index estimate against
 * libsrtp's own; no allocation in this code per packet.
 */

#include <stdint.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <srtp2/srtp.h>

#include "wr_test.h"
#include "wr_dtls.h"
#include "wr_srtp.h"


#define EXPORTER    "EXTRACTOR-dtls_srtp"
#define PKT_SIZE    1500
#define SSRC_A      0x11223344u
#define SSRC_B      0x55667788u
#define SSRC_C      0x0a0b0c0du


/* what the test peer (the DTLS client) has after the handshake */

typedef struct {
    uint16_t        profile;
    wr_srtp_keys_t  keys;           /* the server's struct, as stored */
    srtp_t          peer_out;       /* client -> server, client key */
    srtp_t          peer_in;        /* server -> client, server key */
} call_t;


/* packets: 4-byte aligned, as libsrtp wants */

typedef union {
    uint32_t        align;
    uint8_t         b[PKT_SIZE];
} pkt_t;


static long         allocs;
static int          counting;


/* sanitizers bring their own allocator: no counting there */

#if defined(__SANITIZE_ADDRESS__)
#define NO_ALLOC_COUNT  1
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define NO_ALLOC_COUNT  1
#endif
#endif

#ifndef NO_ALLOC_COUNT

/* count allocations by wrapping glibc's allocator */

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

void *
malloc(size_t size)
{
    allocs += counting;
    return __libc_malloc(size);
}


void *
calloc(size_t n, size_t size)
{
    allocs += counting;
    return __libc_calloc(n, size);
}


void *
realloc(void *p, size_t size)
{
    allocs += counting;
    return __libc_realloc(p, size);
}

#define COUNTS_ALLOCS  1

#endif


static void
bail(const char *what)
{
    printf("Bail out! %s\n", what);
    ERR_print_errors_fp(stdout);
    exit(1);
}


/* DTLS: a self-signed certificate, a client, and a pump */

static void
make_cert(EVP_PKEY **pkey, X509 **x509, uint8_t **der, int *der_len,
    uint8_t **key, int *key_len)
{
    uint8_t  *p;

    *pkey = EVP_EC_gen("P-256");
    *x509 = X509_new();

    if (*pkey == NULL || *x509 == NULL
        || ASN1_INTEGER_set(X509_get_serialNumber(*x509), 1) != 1
        || X509_gmtime_adj(X509_getm_notBefore(*x509), -86400) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(*x509), 86400) == NULL
        || X509_set_pubkey(*x509, *pkey) != 1
        || X509_sign(*x509, *pkey, EVP_sha256()) == 0)
    {
        bail("certificate");
    }

    *der_len = i2d_X509(*x509, NULL);
    *key_len = i2d_PrivateKey(*pkey, NULL);
    *der = malloc(*der_len);
    *key = malloc(*key_len);

    if (*der == NULL || *key == NULL) {
        bail("out of memory");
    }

    p = *der;
    i2d_X509(*x509, &p);
    p = *key;
    i2d_PrivateKey(*pkey, &p);
}


static srtp_t
raw_session(uint16_t profile, const uint8_t *key, const uint8_t *salt,
    int inbound)
{
    size_t         salt_len;
    srtp_t         s;
    uint8_t        master[30];
    srtp_policy_t  p;

    memset(&p, 0, sizeof(p));

    if (profile == WR_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
        salt_len = 12;

    } else {
        srtp_crypto_policy_set_rtp_default(&p.rtp);
        srtp_crypto_policy_set_rtcp_default(&p.rtcp);
        salt_len = 14;
    }

    memcpy(master, key, 16);
    memcpy(master + 16, salt, salt_len);

    p.key = master;
    p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    p.window_size = 1024;

    if (srtp_create(&s, &p) != srtp_err_status_ok) {
        bail("srtp_create");
    }

    return s;
}


static void
pump_client(SSL *ssl, BIO *wbio, wr_dtls_t *d, int *rc)
{
    int      n;
    uint8_t  buf[8192];

    (void) SSL_do_handshake(ssl);
    ERR_clear_error();

    /* the whole flight as one datagram is fine for OpenSSL */

    n = BIO_read(wbio, buf, sizeof(buf));
    if (n > 0) {
        *rc = wr_dtls_handle(d, buf, (size_t) n);
    }
}


static void
handshake(call_t *call, const char *offer)
{
    int              rc, round, der_len, key_len, cder_len, ckey_len;
    size_t           n, salt;
    X509            *x509, *cx509;
    EVP_PKEY        *pkey, *cpkey;
    SSL_CTX         *cctx;
    SSL             *ssl;
    BIO             *rbio, *wbio;
    uint8_t         *der, *key, *cder, *ckey, fp[32], buf[2048], km[60];
    wr_dtls_t       *d;
    wr_dtls_ctx_t   *ctx;
    wr_dtls_conf_t   conf;

    make_cert(&pkey, &x509, &der, &der_len, &key, &key_len);
    make_cert(&cpkey, &cx509, &cder, &cder_len, &ckey, &ckey_len);

    memset(&conf, 0, sizeof(conf));
    conf.cert = der;
    conf.cert_len = der_len;
    conf.key = key;
    conf.key_len = key_len;

    ctx = wr_dtls_ctx_create(&conf);
    EVP_Digest(cder, cder_len, fp, NULL, EVP_sha256(), NULL);
    d = ctx ? wr_dtls_create(ctx, fp) : NULL;

    cctx = SSL_CTX_new(DTLS_client_method());

    if (d == NULL || cctx == NULL
        || SSL_CTX_use_certificate(cctx, cx509) != 1
        || SSL_CTX_use_PrivateKey(cctx, cpkey) != 1
        || SSL_CTX_set_tlsext_use_srtp(cctx, offer) != 0)
    {
        bail("DTLS setup");
    }

    ssl = SSL_new(cctx);
    rbio = BIO_new(BIO_s_mem());
    wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio, -1);
    SSL_set_bio(ssl, rbio, wbio);
    SSL_set_connect_state(ssl);

    rc = WR_DTLS_AGAIN;

    for (round = 0; round < 16; round++) {
        pump_client(ssl, wbio, d, &rc);

        while ((n = wr_dtls_output(d, buf, sizeof(buf))) > 0) {
            BIO_write(rbio, buf, (int) n);
            (void) SSL_do_handshake(ssl);
            ERR_clear_error();
        }

        if (SSL_is_init_finished(ssl) && rc == WR_DTLS_CONNECTED) {
            break;
        }
    }

    if (rc != WR_DTLS_CONNECTED || wr_dtls_keys(d, &call->keys) != 0) {
        bail("handshake");
    }

    /* the peer's libsrtp sessions, from the client's own export */

    call->profile = call->keys.profile;
    salt = (call->profile == WR_SRTP_AEAD_AES_128_GCM) ? 12 : 14;

    if (SSL_export_keying_material(ssl, km, 2 * (16 + salt), EXPORTER,
                                   sizeof(EXPORTER) - 1, NULL, 0, 0) != 1)
    {
        bail("export");
    }

    call->peer_out = raw_session(call->profile, km, km + 32, 0);
    call->peer_in = raw_session(call->profile, km + 16, km + 32 + salt, 1);

    SSL_free(ssl);
    SSL_CTX_free(cctx);
    wr_dtls_free(d);
    wr_dtls_ctx_free(ctx);
    X509_free(x509);
    X509_free(cx509);
    EVP_PKEY_free(pkey);
    EVP_PKEY_free(cpkey);
    free(der);
    free(key);
    free(cder);
    free(ckey);
}


static void
call_free(call_t *call)
{
    srtp_dealloc(call->peer_out);
    srtp_dealloc(call->peer_in);
}


/* packets */

static size_t
make_rtp(pkt_t *p, uint32_t ssrc, uint16_t seq, size_t payload)
{
    size_t    i;
    uint32_t  ts;

    ts = (uint32_t) seq * 3000;

    p->b[0] = 0x80;
    p->b[1] = 96;
    p->b[2] = seq >> 8;
    p->b[3] = seq & 0xff;
    p->b[4] = ts >> 24;
    p->b[5] = ts >> 16;
    p->b[6] = ts >> 8;
    p->b[7] = ts;
    p->b[8] = ssrc >> 24;
    p->b[9] = ssrc >> 16;
    p->b[10] = ssrc >> 8;
    p->b[11] = ssrc;

    for (i = 0; i < payload; i++) {
        p->b[12 + i] = (uint8_t) (seq + i * 7);
    }

    return 12 + payload;
}


/* a receiver report with one report block */

static size_t
make_rtcp(pkt_t *p, uint32_t ssrc, uint32_t tag)
{
    size_t  i;

    memset(p->b, 0, 32);

    p->b[0] = 0x81;
    p->b[1] = 201;
    p->b[3] = 7;                    /* 8 words - 1 */
    p->b[4] = ssrc >> 24;
    p->b[5] = ssrc >> 16;
    p->b[6] = ssrc >> 8;
    p->b[7] = ssrc;

    for (i = 8; i < 32; i++) {
        p->b[i] = (uint8_t) (tag + i);
    }

    return 32;
}


/* the peer sends RTP; returns the protected length */

static size_t
peer_rtp(call_t *call, pkt_t *p, uint32_t ssrc, uint16_t seq)
{
    int  len;

    len = (int) make_rtp(p, ssrc, seq, 160);

    if (srtp_protect(call->peer_out, p->b, &len) != srtp_err_status_ok) {
        bail("peer srtp_protect");
    }

    return (size_t) len;
}


/* the peer receives RTP: 1 if it authenticates and reads as sent */

static int
peer_gets_rtp(call_t *call, const pkt_t *p, size_t len, uint32_t ssrc,
    uint16_t seq)
{
    int    n;
    pkt_t  copy, want;

    copy = *p;
    n = (int) len;

    if (srtp_unprotect(call->peer_in, copy.b, &n) != srtp_err_status_ok) {
        return 0;
    }

    return (size_t) n == make_rtp(&want, ssrc, seq, 160)
           && memcmp(copy.b, want.b, n) == 0;
}


static void
test_rtp(call_t *call, const char *name)
{
    int         rc, all;
    size_t      len, tag, plain;
    uint16_t    seq;
    pkt_t       p, q, want;
    wr_srtp_t  *in, *out;
    char        what[160];

    tag = wr_srtp_rtp_trailer(call->profile);

    in = wr_srtp_create(&call->keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);
    out = wr_srtp_create(&call->keys, WR_SRTP_OUTBOUND, WR_SRTP_SERVER);

    snprintf(what, sizeof(what), "%s: sessions created", name);
    WR_OK(in != NULL && out != NULL, "%s", what);

    /* peer -> server, two SSRCs on the one inbound session */

    all = 1;

    for (seq = 1000; seq < 1050; seq++) {
        len = peer_rtp(call, &p, (seq & 1) ? SSRC_A : SSRC_B, seq);
        plain = make_rtp(&want, (seq & 1) ? SSRC_A : SSRC_B, seq, 160);

        rc = wr_srtp_unprotect_rtp(in, p.b, &len);

        all &= rc == WR_SRTP_OK && len == plain
               && memcmp(p.b, want.b, len) == 0;
    }

    snprintf(what, sizeof(what), "%s: peer -> server RTP, any SSRC", name);
    WR_OK(all, "%s", what);

    /* replay, flipped bits, truncation */

    len = peer_rtp(call, &p, SSRC_A, 2000);
    q = p;
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_OK, name);

    p = q;
    len = 12 + 160 + tag;
    snprintf(what, sizeof(what), "%s: RTP replay refused", name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_REPLAY, what);

    len = peer_rtp(call, &p, SSRC_A, 2001);
    q = p;
    p.b[40] ^= 0x01;
    snprintf(what, sizeof(what), "%s: RTP payload bit flip refused", name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_AUTH, what);

    p = q;
    p.b[1] ^= 0x80;
    snprintf(what, sizeof(what), "%s: RTP marker bit flip refused", name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_AUTH, what);

    p = q;
    p.b[len - 1] ^= 0x40;
    snprintf(what, sizeof(what), "%s: RTP tag bit flip refused", name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_AUTH, what);

    p = q;
    snprintf(what, sizeof(what), "%s: the intact packet still passes", name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_OK, what);

    len = 12 + tag - 1;
    snprintf(what, sizeof(what), "%s: RTP shorter than header + tag", name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_BAD_PACKET,
              what);

    p.b[0] = 0x40;
    len = 100;
    snprintf(what, sizeof(what), "%s: RTP version 1 refused", name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_BAD_PACKET,
              what);

    /* header extension or CSRC list running past the end */

    len = peer_rtp(call, &p, SSRC_A, 2002);
    p.b[0] |= 0x10;
    p.b[12] = 0xbe;
    p.b[13] = 0xde;
    p.b[14] = 0xff;
    p.b[15] = 0xff;
    snprintf(what, sizeof(what), "%s: RTP extension longer than the packet",
             name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_BAD_PACKET,
              what);

    len = 12 + 15 * 4 - 4 + tag;
    p.b[0] = 0x8f;
    snprintf(what, sizeof(what), "%s: RTP CSRC list longer than the packet",
             name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_BAD_PACKET,
              what);

    /* server -> peer */

    len = make_rtp(&p, SSRC_A, 7, 160);
    snprintf(what, sizeof(what), "%s: protect before add_stream", name);
    WR_EQ_INT(wr_srtp_protect_rtp(out, p.b, &len, sizeof(p.b)),
              WR_SRTP_NO_STREAM, what);

    snprintf(what, sizeof(what), "%s: add_stream", name);
    WR_EQ_INT(wr_srtp_add_stream(out, SSRC_A, NULL), WR_SRTP_OK, what);

    len = make_rtp(&p, SSRC_A, 7, 160);
    snprintf(what, sizeof(what), "%s: protect without room for the tag",
             name);
    WR_EQ_INT(wr_srtp_protect_rtp(out, p.b, &len, len + tag - 1),
              WR_SRTP_NO_ROOM, what);

    all = 1;

    for (seq = 7; seq < 57; seq++) {
        len = make_rtp(&p, SSRC_A, seq, 160);
        rc = wr_srtp_protect_rtp(out, p.b, &len, len + tag);
        all &= rc == WR_SRTP_OK && len == 12 + 160 + tag
               && peer_gets_rtp(call, &p, len, SSRC_A, seq);
    }

    snprintf(what, sizeof(what), "%s: server -> peer RTP, trailer %zu",
             name, tag);
    WR_OK(all, "%s", what);

    len = make_rtp(&p, SSRC_A, 30, 160);
    snprintf(what, sizeof(what), "%s: an index is never protected twice",
             name);
    WR_EQ_INT(wr_srtp_protect_rtp(out, p.b, &len, sizeof(p.b)),
              WR_SRTP_REPLAY, what);

    snprintf(what, sizeof(what), "%s: wrong direction", name);
    WR_OK(wr_srtp_protect_rtp(in, p.b, &len, sizeof(p.b)) == WR_SRTP_ERROR
          && wr_srtp_unprotect_rtp(out, p.b, &len) == WR_SRTP_ERROR,
          "%s", what);

    snprintf(what, sizeof(what), "%s: remove_stream", name);
    WR_OK(wr_srtp_remove_stream(out, SSRC_A) == WR_SRTP_OK
          && wr_srtp_remove_stream(out, SSRC_A) == WR_SRTP_NO_STREAM,
          "%s", what);

    wr_srtp_free(in);
    wr_srtp_free(out);
}


static void
test_rtcp(call_t *call, const char *name)
{
    int         n, rc, all;
    size_t      len, trailer, plain;
    uint32_t    i, word;
    pkt_t       p, q, want;
    wr_srtp_t  *in, *out;
    char        what[160];

    trailer = (call->profile == WR_SRTP_AEAD_AES_128_GCM) ? 20 : 14;

    in = wr_srtp_create(&call->keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);
    out = wr_srtp_create(&call->keys, WR_SRTP_OUTBOUND, WR_SRTP_SERVER);

    /* peer -> server */

    all = 1;

    for (i = 0; i < 20; i++) {
        n = (int) make_rtcp(&p, (i & 1) ? SSRC_A : SSRC_B, i);
        plain = make_rtcp(&want, (i & 1) ? SSRC_A : SSRC_B, i);

        if (srtp_protect_rtcp(call->peer_out, p.b, &n)
            != srtp_err_status_ok)
        {
            bail("peer srtp_protect_rtcp");
        }

        len = (size_t) n;
        rc = wr_srtp_unprotect_rtcp(in, p.b, &len);
        all &= rc == WR_SRTP_OK && len == plain
               && memcmp(p.b, want.b, len) == 0;
    }

    snprintf(what, sizeof(what), "%s: peer -> server RTCP", name);
    WR_OK(all, "%s", what);

    n = (int) make_rtcp(&p, SSRC_A, 99);
    srtp_protect_rtcp(call->peer_out, p.b, &n);
    q = p;
    len = (size_t) n;
    WR_EQ_INT(wr_srtp_unprotect_rtcp(in, p.b, &len), WR_SRTP_OK, name);

    p = q;
    len = (size_t) n;
    snprintf(what, sizeof(what), "%s: RTCP replay refused", name);
    WR_EQ_INT(wr_srtp_unprotect_rtcp(in, p.b, &len), WR_SRTP_REPLAY, what);

    n = (int) make_rtcp(&p, SSRC_A, 100);
    srtp_protect_rtcp(call->peer_out, p.b, &n);
    q = p;
    p.b[12] ^= 0x08;
    len = (size_t) n;
    snprintf(what, sizeof(what), "%s: RTCP bit flip refused", name);
    WR_EQ_INT(wr_srtp_unprotect_rtcp(in, p.b, &len), WR_SRTP_AUTH, what);

    p = q;
    p.b[n - 1] ^= 0x01;             /* the index: authenticated too */
    len = (size_t) n;
    snprintf(what, sizeof(what), "%s: RTCP index bit flip refused", name);
    WR_EQ_INT(wr_srtp_unprotect_rtcp(in, p.b, &len), WR_SRTP_AUTH, what);

    len = 8;
    snprintf(what, sizeof(what), "%s: RTCP without trailer", name);
    WR_EQ_INT(wr_srtp_unprotect_rtcp(in, q.b, &len), WR_SRTP_BAD_PACKET,
              what);

    /* server -> peer: our own SRTCP, read by the peer's libsrtp */

    len = make_rtcp(&p, SSRC_A, 1);
    snprintf(what, sizeof(what), "%s: RTCP protect without room", name);
    WR_EQ_INT(wr_srtp_protect_rtcp(out, p.b, &len, len + trailer - 1),
              WR_SRTP_NO_ROOM, what);

    snprintf(what, sizeof(what), "%s: first SRTCP index is 1", name);
    WR_EQ_INT(wr_srtp_rtcp_index(out), 1, what);

    all = 1;

    for (i = 0; i < 20; i++) {
        len = make_rtcp(&p, (i & 1) ? SSRC_A : SSRC_B, i);
        plain = len;

        rc = wr_srtp_protect_rtcp(out, p.b, &len, sizeof(p.b));
        all &= rc == WR_SRTP_OK && len == plain + trailer;

        /* GCM: tag, then E + index; AES-CM: E + index, then tag */
        memcpy(&word, p.b + len - 4 - (trailer == 20 ? 0 : 10), 4);

        all &= ntohl(word) == (0x80000000u | (i + 1));

        /* encrypted: the report block is not readable */
        make_rtcp(&want, (i & 1) ? SSRC_A : SSRC_B, i);
        all &= memcmp(p.b + 8, want.b + 8, 24) != 0;

        n = (int) len;
        all &= srtp_unprotect_rtcp(call->peer_in, p.b, &n)
               == srtp_err_status_ok
               && (size_t) n == plain && memcmp(p.b, want.b, n) == 0;
    }

    snprintf(what, sizeof(what), "%s: server -> peer RTCP, E flag and index, "
             "read by libsrtp", name);
    WR_OK(all, "%s", what);

    WR_EQ_INT(wr_srtp_rtcp_index(out), 21, name);

    snprintf(what, sizeof(what), "%s: RTCP wrong direction", name);
    WR_OK(wr_srtp_protect_rtcp(in, p.b, &len, sizeof(p.b)) == WR_SRTP_ERROR
          && wr_srtp_unprotect_rtcp(out, p.b, &len) == WR_SRTP_ERROR,
          "%s", what);

    wr_srtp_free(in);
    wr_srtp_free(out);
}


/*
 * The zone holds the key struct as bytes; a new process builds sessions
 * from its copy.
 */

static wr_srtp_t *
rebuild(const call_t *call, int direction)
{
    uint8_t         zone[sizeof(wr_srtp_keys_t)];
    wr_srtp_keys_t  keys;

    memcpy(zone, &call->keys, sizeof(zone));
    memcpy(&keys, zone, sizeof(keys));

    return wr_srtp_create(&keys, direction, WR_SRTP_SERVER);
}


/* the server sends seq from..to (wrapping), tracking the stored index */

static int
send_range(call_t *call, wr_srtp_t *out, uint16_t from, uint16_t to,
    wr_srtp_index_t *ix)
{
    int       ok;
    size_t    len;
    uint16_t  seq;
    pkt_t     p;

    ok = 1;

    for (seq = from; ; seq++) {
        /* stored before protecting: see wr_srtp.h */
        wr_srtp_index_update(ix, seq);

        len = make_rtp(&p, SSRC_A, seq, 160);
        ok &= wr_srtp_protect_rtp(out, p.b, &len, sizeof(p.b)) == WR_SRTP_OK;
        ok &= peer_gets_rtp(call, &p, len, SSRC_A, seq);

        if (seq == to) {
            return ok;
        }
    }
}


static int
receive_range(call_t *call, wr_srtp_t *in, uint16_t from, uint16_t to,
    wr_srtp_index_t *ix)
{
    int       ok;
    size_t    len;
    uint16_t  seq;
    pkt_t     p;

    ok = 1;

    for (seq = from; ; seq++) {
        len = peer_rtp(call, &p, SSRC_A, seq);

        if (wr_srtp_unprotect_rtp(in, p.b, &len) == WR_SRTP_OK) {
            wr_srtp_index_update(ix, seq);

        } else {
            ok = 0;
        }

        if (seq == to) {
            return ok;
        }
    }
}


static void
test_rebuild_out(const char *offer, const char *name)
{
    size_t           len;
    pkt_t            p;
    call_t           call;
    wr_srtp_t       *a, *b, *c;
    wr_srtp_index_t  ix, ixb;
    char             what[160];

    handshake(&call, offer);
    memset(&ix, 0, sizeof(ix));

    /* A sends across a wrap, then the process goes away */

    a = rebuild(&call, WR_SRTP_OUTBOUND);
    wr_srtp_add_stream(a, SSRC_A, NULL);

    snprintf(what, sizeof(what), "%s: A sends 65500..10 (ROC 0 -> 1)", name);
    WR_OK(send_range(&call, a, 65500, 10, &ix), "%s", what);
    snprintf(what, sizeof(what), "%s: stored index after the wrap", name);
    WR_OK(ix.valid && ix.roc == 1 && ix.seq == 10, "%s", what);

    wr_srtp_free(a);

    /* without the stored index the peer would refuse the new context */

    c = rebuild(&call, WR_SRTP_OUTBOUND);
    wr_srtp_add_stream(c, SSRC_A, NULL);
    len = make_rtp(&p, SSRC_A, 11, 160);
    wr_srtp_protect_rtp(c, p.b, &len, sizeof(p.b));
    snprintf(what, sizeof(what), "%s: a context without the index is "
             "refused by the peer", name);
    WR_OK(!peer_gets_rtp(&call, &p, len, SSRC_A, 11), "%s", what);
    wr_srtp_free(c);

    b = rebuild(&call, WR_SRTP_OUTBOUND);
    snprintf(what, sizeof(what), "%s: B resumes from the stored index", name);
    WR_EQ_INT(wr_srtp_add_stream(b, SSRC_A, &ix), WR_SRTP_OK, what);

    /* a second resumed SSRC, whose first packet comes first */

    memset(&ixb, 0, sizeof(ixb));
    wr_srtp_index_update(&ixb, 100);
    WR_EQ_INT(wr_srtp_add_stream(b, SSRC_B, &ixb), WR_SRTP_OK, name);

    len = make_rtp(&p, SSRC_B, 101, 160);
    wr_srtp_index_update(&ixb, 101);
    snprintf(what, sizeof(what), "%s: the second resumed SSRC", name);
    WR_OK(wr_srtp_protect_rtp(b, p.b, &len, sizeof(p.b)) == WR_SRTP_OK
          && peer_gets_rtp(&call, &p, len, SSRC_B, 101), "%s", what);

    snprintf(what, sizeof(what), "%s: B continues the stream (ROC 1)", name);
    WR_OK(send_range(&call, b, 11, 200, &ix), "%s", what);
    wr_srtp_free(b);

    /* rebuilt just before a wrap: the new context wraps itself */

    b = rebuild(&call, WR_SRTP_OUTBOUND);
    wr_srtp_add_stream(b, SSRC_A, &ix);
    snprintf(what, sizeof(what), "%s: B runs to just before the next wrap",
             name);
    WR_OK(send_range(&call, b, 201, 300, &ix)
          && send_range(&call, b, 30000, 30050, &ix)
          && send_range(&call, b, 60000, 65533, &ix) && ix.roc == 1,
          "%s", what);
    wr_srtp_free(b);

    c = rebuild(&call, WR_SRTP_OUTBOUND);
    wr_srtp_add_stream(c, SSRC_A, &ix);
    snprintf(what, sizeof(what), "%s: C resumes at 65534 and wraps to ROC 2",
             name);
    WR_OK(send_range(&call, c, 65534, 20, &ix) && ix.roc == 2, "%s", what);
    wr_srtp_free(c);

    call_free(&call);
}


static void
test_rebuild_in(const char *offer, const char *name)
{
    int              rc;
    size_t           len, late_len;
    pkt_t            p, late;
    call_t           call;
    wr_srtp_t       *a, *b;
    wr_srtp_index_t  ix;
    char             what[160];

    handshake(&call, offer);
    memset(&ix, 0, sizeof(ix));

    a = rebuild(&call, WR_SRTP_INBOUND);
    snprintf(what, sizeof(what), "%s: A receives 65500..10", name);
    WR_OK(receive_range(&call, a, 65500, 10, &ix), "%s", what);
    WR_OK(ix.roc == 1 && ix.seq == 10, "%s: stored index", name);
    wr_srtp_free(a);

    /* without the index, a new inbound context guesses ROC 0 */

    late_len = peer_rtp(&call, &late, SSRC_A, 11);
    p = late;
    len = late_len;

    b = rebuild(&call, WR_SRTP_INBOUND);
    snprintf(what, sizeof(what), "%s: a fresh context fails after a wrap",
             name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(b, p.b, &len), WR_SRTP_AUTH, what);
    wr_srtp_free(b);

    b = rebuild(&call, WR_SRTP_INBOUND);
    WR_EQ_INT(wr_srtp_add_stream(b, SSRC_A, &ix), WR_SRTP_OK, name);

    /* a forgery first, whose seq would lead the estimate astray */

    len = make_rtp(&p, SSRC_A, 45000, 160);
    memset(p.b + len, 0x5a, 16);
    len += 16;
    snprintf(what, sizeof(what), "%s: a forged packet on the resumed SSRC",
             name);
    rc = wr_srtp_unprotect_rtp(b, p.b, &len);
    WR_OK(rc == WR_SRTP_AUTH || rc == WR_SRTP_REPLAY, "%s", what);

    snprintf(what, sizeof(what), "%s: B continues the stream", name);
    WR_OK(receive_range(&call, b, 12, 300, &ix), "%s", what);

    /* sent before the first packet B saw: late, not refused */
    snprintf(what, sizeof(what), "%s: a late packet still decrypts", name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(b, late.b, &late_len), WR_SRTP_OK, what);

    /* forward jumps below 2^15 keep the estimate */
    snprintf(what, sizeof(what), "%s: B runs to just before the next wrap",
             name);
    WR_OK(receive_range(&call, b, 30000, 30050, &ix)
          && receive_range(&call, b, 60000, 65533, &ix) && ix.roc == 1,
          "%s", what);
    wr_srtp_free(b);

    b = rebuild(&call, WR_SRTP_INBOUND);
    wr_srtp_add_stream(b, SSRC_A, &ix);
    snprintf(what, sizeof(what), "%s: resumed at 65534, wraps to ROC 2",
             name);
    WR_OK(receive_range(&call, b, 65534, 40, &ix) && ix.roc == 2, "%s",
          what);
    wr_srtp_free(b);

    call_free(&call);
}


static void
test_rebuild_rtcp(const char *offer, const char *name)
{
    int                 n;
    size_t              len;
    uint32_t            i, stored;
    pkt_t               p;
    call_t              call;
    wr_srtp_t          *a, *b;
    srtp_err_status_t   st;
    char                what[160];

    handshake(&call, offer);

    a = rebuild(&call, WR_SRTP_OUTBOUND);

    for (i = 0; i < 300; i++) {
        len = make_rtcp(&p, SSRC_A, i);
        wr_srtp_protect_rtcp(a, p.b, &len, sizeof(p.b));
        n = (int) len;
        srtp_unprotect_rtcp(call.peer_in, p.b, &n);
    }

    stored = wr_srtp_rtcp_index(a);
    wr_srtp_free(a);

    /* a new context restarting at index 1: the peer drops it as a replay */

    b = rebuild(&call, WR_SRTP_OUTBOUND);
    len = make_rtcp(&p, SSRC_A, 1);
    wr_srtp_protect_rtcp(b, p.b, &len, sizeof(p.b));
    n = (int) len;
    st = srtp_unprotect_rtcp(call.peer_in, p.b, &n);
    snprintf(what, sizeof(what), "%s: SRTCP restarted at 1 is a replay",
             name);
    WR_OK(st == srtp_err_status_replay_old || st == srtp_err_status_replay_fail,
          "%s", what);
    wr_srtp_free(b);

    b = rebuild(&call, WR_SRTP_OUTBOUND);
    snprintf(what, sizeof(what), "%s: set the stored SRTCP index", name);
    WR_EQ_INT(wr_srtp_set_rtcp_index(b, stored), WR_SRTP_OK, what);
    snprintf(what, sizeof(what), "%s: the index cannot go back", name);
    WR_EQ_INT(wr_srtp_set_rtcp_index(b, stored - 1), WR_SRTP_ERROR, what);

    len = make_rtcp(&p, SSRC_A, 5);
    wr_srtp_protect_rtcp(b, p.b, &len, sizeof(p.b));
    n = (int) len;
    snprintf(what, sizeof(what), "%s: the rebuilt context's SRTCP is "
             "accepted", name);
    WR_EQ_INT(srtp_unprotect_rtcp(call.peer_in, p.b, &n), srtp_err_status_ok,
              what);

    /* a reservation ahead of the real index is fine too */
    WR_EQ_INT(wr_srtp_set_rtcp_index(b, stored + 5000), WR_SRTP_OK, name);
    len = make_rtcp(&p, SSRC_A, 6);
    wr_srtp_protect_rtcp(b, p.b, &len, sizeof(p.b));
    n = (int) len;
    snprintf(what, sizeof(what), "%s: a forward jump is accepted", name);
    WR_EQ_INT(srtp_unprotect_rtcp(call.peer_in, p.b, &n), srtp_err_status_ok,
              what);

    wr_srtp_free(b);
    call_free(&call);
}


/*
 * wr_srtp_index_update() against libsrtp's own receiver: sequence
 * numbers with jumps, reordering and wraps; after each packet the ROC
 * libsrtp holds must be the one the stored index has.
 */

static void
test_index(void)
{
    int              i, n, same, accepted;
    uint16_t         seq, send;
    uint32_t         roc, r;
    pkt_t            p;
    srtp_t           tx, rx;
    wr_srtp_index_t  ix;
    uint8_t          key[16], salt[14];

    memset(key, 7, sizeof(key));
    memset(salt, 9, sizeof(salt));
    tx = raw_session(WR_SRTP_AES128_CM_SHA1_80, key, salt, 0);
    rx = raw_session(WR_SRTP_AES128_CM_SHA1_80, key, salt, 1);

    memset(&ix, 0, sizeof(ix));
    same = 1;
    accepted = 0;
    seq = 100;
    r = 12345;

    for (i = 0; i < 100000; i++) {
        r = r * 1103515245 + 12345;

        /* mostly forward; sometimes a jump, sometimes an older packet */

        switch ((r >> 16) % 16) {
        case 0:
            send = seq - 1 - (r >> 8) % 200;
            break;
        case 1:
            seq += 1000 + (r >> 4) % 20000;
            send = seq;
            break;
        default:
            send = ++seq;
        }

        n = (int) make_rtp(&p, SSRC_A, send, 20);

        if (srtp_protect(tx, p.b, &n) != srtp_err_status_ok) {
            continue;
        }

        if (srtp_unprotect(rx, p.b, &n) != srtp_err_status_ok) {
            continue;
        }

        accepted++;
        wr_srtp_index_update(&ix, send);

        if (srtp_get_stream_roc(rx, SSRC_A, &roc) != srtp_err_status_ok
            || roc != ix.roc)
        {
            same = 0;
            printf("# packet %d seq %u: libsrtp ROC %u, ours %u\n", i,
                   (unsigned) send, roc, ix.roc);
            break;
        }
    }

    WR_OK(accepted > 80000 && ix.roc > 10, "index: long run with jumps, "
          "reordering and %u wraps", ix.roc);
    WR_OK(same, "index: the stored ROC always equals libsrtp's");

    memset(&ix, 0, sizeof(ix));
    wr_srtp_index_update(&ix, 100);
    wr_srtp_index_update(&ix, 65000);
    WR_OK(ix.roc == 0 && ix.seq == 65000, "index: below 2^15 libsrtp "
          "takes ROC 0, so do we");
    wr_srtp_index_update(&ix, 5);
    WR_OK(ix.roc == 1 && ix.seq == 5, "index: wrap");
    wr_srtp_index_update(&ix, 65530);
    WR_OK(ix.roc == 1 && ix.seq == 5, "index: an older packet does not move "
          "it back");
    WR_EQ_INT(wr_srtp_index_guess(&ix, 65530), 65530, "index: guess for a "
              "late packet from before the wrap");

    srtp_dealloc(tx);
    srtp_dealloc(rx);
}


/* RTP with CSRCs, a header extension and padding, as the shapes vary */

static size_t
make_rtp_shaped(pkt_t *p, uint32_t ssrc, uint16_t seq, unsigned shape)
{
    size_t    i, hlen, payload, cc, ext;

    cc = shape % 3;
    ext = (shape / 3) % 3;
    payload = (size_t[]) { 0, 1, 15, 16, 17, 1188 }[(shape / 9) % 6];

    (void) make_rtp(p, ssrc, seq, 0);
    p->b[0] = (uint8_t) (0x80 | cc);
    hlen = 12;

    for (i = 0; i < 4 * cc; i++) {
        p->b[hlen++] = (uint8_t) (0xc0 + i);
    }

    if (ext) {
        /* one-byte header extension (RFC 8285), ext words */
        p->b[0] |= 0x10;
        p->b[hlen++] = 0xbe;
        p->b[hlen++] = 0xde;
        p->b[hlen++] = 0;
        p->b[hlen++] = (uint8_t) ext;

        for (i = 0; i < 4 * ext; i++) {
            p->b[hlen++] = (uint8_t) (0x10 + i);
        }
    }

    for (i = 0; i < payload; i++) {
        p->b[hlen + i] = (uint8_t) (seq * 31 + i);
    }

    if (payload >= 4 && (shape & 1)) {
        /* RTP padding: the last byte counts it */
        p->b[0] |= 0x20;
        p->b[hlen + payload - 1] = 3;
    }

    return hlen + payload;
}


/*
 * Outbound SRTP is ours, on OpenSSL: it must give exactly libsrtp's
 * bytes for the same keys, for every header shape, across a sequence
 * number wrap, with packets out of order.
 */

static void
test_same_bytes(call_t *call, const char *name)
{
    int         n, same, lib_ok;
    size_t      len, lib_len, k;
    uint16_t    seq, seqs[600];
    unsigned    i, count;
    pkt_t       ours, lib;
    srtp_t      ref;
    wr_srtp_t  *out;
    char        what[160];

    ref = raw_session(call->profile, call->keys.server_key,
                      call->keys.server_salt, 0);
    out = wr_srtp_create(&call->keys, WR_SRTP_OUTBOUND, WR_SRTP_SERVER);
    wr_srtp_add_stream(out, SSRC_B, NULL);

    /* 65200 up to 65535, then 0..263; every tenth pair swapped */

    count = 0;

    for (seq = 65200; count < 600; seq++) {
        seqs[count++] = seq;
    }

    for (i = 10; i + 1 < count; i += 10) {
        seq = seqs[i];
        seqs[i] = seqs[i + 1];
        seqs[i + 1] = seq;
    }

    same = 1;
    lib_ok = 1;

    for (i = 0; i < count; i++) {
        len = make_rtp_shaped(&ours, SSRC_B, seqs[i], i);
        memcpy(lib.b, ours.b, len);

        n = (int) len;
        lib_ok &= srtp_protect(ref, lib.b, &n) == srtp_err_status_ok;
        lib_len = (size_t) n;

        same &= wr_srtp_protect_rtp(out, ours.b, &len, sizeof(ours.b))
                == WR_SRTP_OK
                && len == lib_len && memcmp(ours.b, lib.b, len) == 0;

        if (!same) {
            printf("# %s: first difference at packet %u, seq %u, shape %u\n",
                   name, i, seqs[i], i);
            break;
        }
    }

    snprintf(what, sizeof(what), "%s: libsrtp protects the same packets",
             name);
    WR_OK(lib_ok, "%s", what);
    snprintf(what, sizeof(what), "%s: 600 packets of every shape, across a "
             "wrap and out of order, byte for byte as libsrtp", name);
    WR_OK(same, "%s", what);

    /* the window of indexes already used: 1024 back from the highest */

    seq = seqs[count - 1];

    for (k = 0; k < 3; k++) {
        len = make_rtp(&ours, SSRC_B, (uint16_t) (seq + 1100 + k), 20);
        (void) wr_srtp_protect_rtp(out, ours.b, &len, sizeof(ours.b));
    }

    seq = (uint16_t) (seq + 1102);

    len = make_rtp(&ours, SSRC_B, (uint16_t) (seq - 1023), 20);
    snprintf(what, sizeof(what), "%s: an unused index 1023 back is "
             "protected", name);
    WR_EQ_INT(wr_srtp_protect_rtp(out, ours.b, &len, sizeof(ours.b)),
              WR_SRTP_OK, what);

    len = make_rtp(&ours, SSRC_B, (uint16_t) (seq - 1023), 20);
    snprintf(what, sizeof(what), "%s: ... but not twice", name);
    WR_EQ_INT(wr_srtp_protect_rtp(out, ours.b, &len, sizeof(ours.b)),
              WR_SRTP_REPLAY, what);

    len = make_rtp(&ours, SSRC_B, (uint16_t) (seq - 1024), 20);
    snprintf(what, sizeof(what), "%s: an index 1024 back is too old", name);
    WR_EQ_INT(wr_srtp_protect_rtp(out, ours.b, &len, sizeof(ours.b)),
              WR_SRTP_REPLAY, what);

    len = make_rtp(&ours, SSRC_B, (uint16_t) (seq - 1), 20);
    snprintf(what, sizeof(what), "%s: the highest but one, used, is "
             "refused", name);
    WR_EQ_INT(wr_srtp_protect_rtp(out, ours.b, &len, sizeof(ours.b)),
              WR_SRTP_REPLAY, what);

    len = make_rtp(&ours, SSRC_B, 0, 20);
    ours.b[0] |= 0x10;
    snprintf(what, sizeof(what), "%s: an extension longer than the packet",
             name);
    len = 16;
    ours.b[12] = 0xbe;
    ours.b[13] = 0xde;
    ours.b[14] = 0;
    ours.b[15] = 1;
    WR_EQ_INT(wr_srtp_protect_rtp(out, ours.b, &len, sizeof(ours.b)),
              WR_SRTP_BAD_PACKET, what);

    len = 14;
    snprintf(what, sizeof(what), "%s: an extension header cut short", name);
    WR_EQ_INT(wr_srtp_protect_rtp(out, ours.b, &len, sizeof(ours.b)),
              WR_SRTP_BAD_PACKET, what);

    len = make_rtp(&ours, SSRC_B, 0, 4);
    ours.b[0] |= 0x0f;
    snprintf(what, sizeof(what), "%s: more CSRCs than the packet holds",
             name);
    WR_EQ_INT(wr_srtp_protect_rtp(out, ours.b, &len, sizeof(ours.b)),
              WR_SRTP_BAD_PACKET, what);

    srtp_dealloc(ref);
    wr_srtp_free(out);
}


/*
 * Inbound is ours too: what libsrtp protects, of every shape, across a
 * wrap and out of order, comes out as it went in; the replay window is
 * libsrtp's 1024; SRTCP without the E flag is authenticated only; one
 * session takes at most 64 SSRCs.
 */

static void
test_inbound_shapes(call_t *call, const char *name)
{
    int             n, same;
    size_t          len, plain_len, late_len;
    uint16_t        seq, seqs[600];
    uint32_t        i, count;
    pkt_t           p, plain, q, late;
    srtp_t          ref;
    srtp_policy_t   policy;
    wr_srtp_t      *in;
    uint8_t         master[30];
    char            what[160];

    ref = raw_session(call->profile, call->keys.client_key,
                      call->keys.client_salt, 0);
    in = wr_srtp_create(&call->keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);

    count = 0;

    for (seq = 65300; count < 600; seq++) {
        seqs[count++] = seq;
    }

    for (i = 7; i + 2 < count; i += 9) {
        seq = seqs[i];
        seqs[i] = seqs[i + 2];
        seqs[i + 2] = seq;
    }

    same = 1;

    for (i = 0; i < count; i++) {
        plain_len = make_rtp_shaped(&plain, SSRC_B, seqs[i], i);
        memcpy(p.b, plain.b, plain_len);
        n = (int) plain_len;

        if (srtp_protect(ref, p.b, &n) != srtp_err_status_ok) {
            bail("srtp_protect");
        }

        len = (size_t) n;
        same &= wr_srtp_unprotect_rtp(in, p.b, &len) == WR_SRTP_OK
                && len == plain_len && memcmp(p.b, plain.b, len) == 0;
    }

    snprintf(what, sizeof(what), "%s: libsrtp's packets of every shape, "
             "across a wrap and out of order, unprotected", name);
    WR_OK(same, "%s", what);

    /* the replay window: keep one packet back, then move 1100 on */

    seq = (uint16_t) (seqs[count - 1] + 1);
    len = make_rtp(&p, SSRC_B, seq, 40);
    n = (int) len;
    srtp_protect(ref, p.b, &n);
    q = p;
    plain_len = (size_t) n;

    late_len = 0;

    for (i = 1; i <= 1100; i++) {
        n = (int) make_rtp(&p, SSRC_B, (uint16_t) (seq + i), 40);
        srtp_protect(ref, p.b, &n);
        len = (size_t) n;

        if (i == 77) {
            late = p;               /* arrives 1023 indexes late */
            late_len = len;
            continue;
        }

        (void) wr_srtp_unprotect_rtp(in, p.b, &len);
    }

    p = q;
    len = plain_len;
    snprintf(what, sizeof(what), "%s: 1100 indexes back is too old", name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_REPLAY, what);

    p = late;
    len = late_len;
    snprintf(what, sizeof(what), "%s: 1023 indexes back, not seen, passes",
             name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_OK, what);

    p = late;
    len = late_len;
    snprintf(what, sizeof(what), "%s: ... once", name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, p.b, &len), WR_SRTP_REPLAY, what);

    srtp_dealloc(ref);
    wr_srtp_free(in);

    /* SRTCP authenticated only: E = 0 */

    memset(&policy, 0, sizeof(policy));

    if (call->profile == WR_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
        memcpy(master + 16, call->keys.client_salt, 12);

    } else {
        srtp_crypto_policy_set_rtp_default(&policy.rtp);
        srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
        memcpy(master + 16, call->keys.client_salt, 14);
    }

    memcpy(master, call->keys.client_key, 16);
    policy.rtcp.sec_serv = sec_serv_auth;
    policy.key = master;
    policy.ssrc.type = ssrc_any_outbound;
    policy.window_size = 1024;

    if (srtp_create(&ref, &policy) != srtp_err_status_ok) {
        bail("srtp_create");
    }

    in = wr_srtp_create(&call->keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);

    plain_len = make_rtcp(&plain, SSRC_A, 5);
    memcpy(p.b, plain.b, plain_len);
    n = (int) plain_len;
    srtp_protect_rtcp(ref, p.b, &n);
    len = (size_t) n;
    q = p;

    p.b[10] ^= 0x01;
    snprintf(what, sizeof(what), "%s: SRTCP without encryption (E = 0) is "
             "authenticated", name);
    WR_EQ_INT(wr_srtp_unprotect_rtcp(in, p.b, &len), WR_SRTP_AUTH, what);

    p = q;
    len = (size_t) n;
    snprintf(what, sizeof(what), "%s: SRTCP without encryption (E = 0)",
             name);
    WR_OK(wr_srtp_unprotect_rtcp(in, p.b, &len) == WR_SRTP_OK
          && len == plain_len && memcmp(p.b, plain.b, len) == 0
          && !(q.b[plain_len + (call->profile == WR_SRTP_AEAD_AES_128_GCM
                                ? 16 : 0)] & 0x80),
          "%s", what);

    srtp_dealloc(ref);
    wr_srtp_free(in);

    /* at most 64 SSRCs on one session */

    ref = raw_session(call->profile, call->keys.client_key,
                      call->keys.client_salt, 0);
    in = wr_srtp_create(&call->keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);
    same = 1;

    for (i = 0; i < 65; i++) {
        n = (int) make_rtp(&p, 0x7000 + i, 1, 40);
        srtp_protect(ref, p.b, &n);
        len = (size_t) n;
        same &= wr_srtp_unprotect_rtp(in, p.b, &len)
                == (i < 64 ? WR_SRTP_OK : WR_SRTP_NO_STREAM);
    }

    snprintf(what, sizeof(what), "%s: 64 SSRCs taken, the 65th refused",
             name);
    WR_OK(same, "%s", what);

    srtp_dealloc(ref);
    wr_srtp_free(in);
}


/*
 * Found by fuzz/fuzz_srtp.c: one authentic packet from far below the
 * stored index of a resumed inbound SSRC (late, or replayed by anyone
 * who captured it) set the estimate back, and every later packet was
 * refused.
 */

static void
test_resume_old_packet(call_t *call, const char *name)
{
    int              ok;
    size_t           len, old_len;
    unsigned         i;
    uint16_t         seq;
    pkt_t            p, old;
    wr_srtp_t       *tx, *in;
    wr_srtp_index_t  stored;
    char             what[160];

    static const uint16_t  seqs[] = { 0x8000, 0xc000, 0x0000, 0x4000,
                                      0x8000 };

    /* the sender: indexes 0x8000 up to 0x18000, in steps of 2^14 */

    tx = wr_srtp_create(&call->keys, WR_SRTP_OUTBOUND, WR_SRTP_CLIENT);
    wr_srtp_add_stream(tx, SSRC_A, NULL);
    old_len = 0;

    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        len = make_rtp(&p, SSRC_A, seqs[i], 40);
        (void) wr_srtp_protect_rtp(tx, p.b, &len, sizeof(p.b));

        if (i == 2) {
            old = p;                /* index 0x10000 */
            old_len = len;
        }
    }

    stored.roc = 1;
    stored.seq = 0x8000;
    stored.valid = 1;

    in = wr_srtp_create(&call->keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);
    wr_srtp_add_stream(in, SSRC_A, &stored);

    len = old_len;
    snprintf(what, sizeof(what), "%s: a packet 2^15 below the stored index "
             "is refused", name);
    WR_EQ_INT(wr_srtp_unprotect_rtp(in, old.b, &len), WR_SRTP_REPLAY, what);

    ok = 1;

    for (seq = 0x8001; seq < 0x8010; seq++) {
        len = make_rtp(&p, SSRC_A, seq, 40);
        (void) wr_srtp_protect_rtp(tx, p.b, &len, sizeof(p.b));
        ok &= wr_srtp_unprotect_rtp(in, p.b, &len) == WR_SRTP_OK;
    }

    snprintf(what, sizeof(what), "%s: ... and the stream goes on", name);
    WR_OK(ok, "%s", what);

    wr_srtp_free(tx);
    wr_srtp_free(in);
}


static void
test_bad_keys(call_t *call)
{
    wr_srtp_keys_t  keys;

    keys = call->keys;
    keys.profile = 0x0002;
    WR_OK(wr_srtp_create(&keys, WR_SRTP_INBOUND, WR_SRTP_SERVER) == NULL,
          "an unknown profile is refused");

    keys = call->keys;
    keys.salt_len = 13;
    WR_OK(wr_srtp_create(&keys, WR_SRTP_INBOUND, WR_SRTP_SERVER) == NULL,
          "a salt of the wrong length is refused");

    WR_OK(wr_srtp_create(&call->keys, 2, WR_SRTP_SERVER) == NULL,
          "an unknown direction is refused");
}


static void
test_allocations(call_t *call, const char *name)
{
    int         i, n, rc;
    long        ours, rtp, lib;
    size_t      len;
    pkt_t       p;
    wr_srtp_t  *in, *out;
    char        what[160];

    lib = 0;
    out = wr_srtp_create(&call->keys, WR_SRTP_OUTBOUND, WR_SRTP_SERVER);
    in = wr_srtp_create(&call->keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);
    wr_srtp_add_stream(out, SSRC_A, NULL);

    rc = WR_SRTP_OK;

    allocs = 0;
    counting = 1;

    for (i = 0; i < 1000; i++) {
        len = make_rtcp(&p, SSRC_A, i);
        rc |= wr_srtp_protect_rtcp(out, p.b, &len, sizeof(p.b));
    }

    counting = 0;
    ours = allocs;

    allocs = 0;
    counting = 1;

    for (i = 0; i < 1000; i++) {
        len = make_rtp(&p, SSRC_A, i, 1188);
        rc |= wr_srtp_protect_rtp(out, p.b, &len, sizeof(p.b));
    }

    counting = 0;
    rtp = allocs;

    for (i = 0; i < 1000; i++) {
        /* an SSRC the peer has not sent on in the tests before */
        n = (int) make_rtp(&p, SSRC_C, i, 1188);
        rc |= srtp_protect(call->peer_out, p.b, &n);
        len = (size_t) n;

        allocs = 0;
        counting = 1;
        rc |= wr_srtp_unprotect_rtp(in, p.b, &len);
        counting = 0;
        lib += allocs;
    }

#ifdef COUNTS_ALLOCS
    snprintf(what, sizeof(what), "%s: no allocation in 1000 SRTCP protects",
             name);
    WR_OK(rc == WR_SRTP_OK && ours == 0, "%s", what);
    snprintf(what, sizeof(what), "%s: no allocation in 1000 RTP protects",
             name);
    WR_OK(rtp == 0, "%s", what);
    snprintf(what, sizeof(what), "%s: no allocation in 1000 RTP unprotects",
             name);
    WR_OK(lib == 0, "%s", what);
#else
    (void) ours;
    (void) rtp;
    (void) lib;
    (void) what;
    printf("# %s: allocations not counted in this build\n", name);
#endif

    wr_srtp_free(in);
    wr_srtp_free(out);
}


int
main(void)
{
    call_t  gcm, cm;

    /* libsrtp is the peer's side here, and the reference */
    if (wr_srtp_init() != WR_SRTP_OK || srtp_init() != srtp_err_status_ok) {
        bail("init");
    }

    handshake(&gcm, "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM");
    handshake(&cm, "SRTP_AES128_CM_SHA1_80");

    WR_EQ_INT(gcm.profile, WR_SRTP_AEAD_AES_128_GCM, "GCM negotiated");
    WR_EQ_INT(cm.profile, WR_SRTP_AES128_CM_SHA1_80, "AES-CM negotiated");

    test_bad_keys(&gcm);

    test_rtp(&gcm, "GCM");
    test_rtp(&cm, "AES-CM");
    test_rtcp(&gcm, "GCM");
    test_rtcp(&cm, "AES-CM");
    test_same_bytes(&gcm, "GCM");
    test_same_bytes(&cm, "AES-CM");
    test_inbound_shapes(&gcm, "GCM");
    test_inbound_shapes(&cm, "AES-CM");
    test_resume_old_packet(&gcm, "GCM");
    test_resume_old_packet(&cm, "AES-CM");

    test_rebuild_out("SRTP_AEAD_AES_128_GCM", "GCM out");
    test_rebuild_out("SRTP_AES128_CM_SHA1_80", "AES-CM out");
    test_rebuild_in("SRTP_AEAD_AES_128_GCM", "GCM in");
    test_rebuild_in("SRTP_AES128_CM_SHA1_80", "AES-CM in");
    test_rebuild_rtcp("SRTP_AEAD_AES_128_GCM", "GCM rtcp");
    test_rebuild_rtcp("SRTP_AES128_CM_SHA1_80", "AES-CM rtcp");

    test_index();

    test_allocations(&gcm, "GCM");
    test_allocations(&cm, "AES-CM");

    call_free(&gcm);
    call_free(&cm);

    return wr_test_done();
}
