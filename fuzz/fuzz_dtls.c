/*
 * libFuzzer harness for the DTLS-SRTP server (wr_dtls) and SRTP/SRTCP
 * unprotect (wr_srtp); see fuzz/README.md.
 *
 * Input: byte 0 picks a mode, the rest is a list of datagrams, each a
 * 2-byte big-endian length and that many bytes (a short tail is one more
 * datagram).  Modes (byte 0 % 5):
 *   0  datagrams to a fresh server;
 *   1  a real client's ClientHello first, then the datagrams;
 *   2  a completed handshake first, then the datagrams;
 *   3  a real handshake whose client datagrams are XORed with the input
 *      bytes in turn (flipped bits in real flights);
 *   4  the datagrams as SRTP and SRTCP to inbound sessions of both
 *      profiles, and through the index estimate.
 * Besides the sanitizers' own checks, it aborts when:
 *   - a datagram from the server is larger than the MTU or is not whole
 *     DTLS records;
 *   - a call returns a result it does not define, CONNECTED comes twice,
 *     or anything but AGAIN comes after CLOSED or FAILED;
 *   - keys are given without a completed handshake, or refused after one;
 *   - a failure leaves no error code, or OpenSSL's error queue is not empty
 *     after a call;
 *   - an unprotect that succeeds does not shorten the packet by exactly
 *     the trailer, or fails with an undefined code;
 *   - the stored index moves backwards.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "wr_dtls.h"
#include "wr_srtp.h"


#define MODES      5
#define MAX_DGRAM  4096


static wr_dtls_ctx_t   *server_ctx;
static SSL_CTX         *client_ctx;
static uint8_t          client_fp[32];
static wr_srtp_keys_t   srtp_keys;


typedef struct {
    const uint8_t  *p;
    size_t          len;
} input_t;


/* the state a server must be in, checked against what it returns */

typedef struct {
    wr_dtls_t      *d;
    int             connected;
    int             ended;
} server_t;


static void
cert(EVP_PKEY **pkey, X509 **x509)
{
    *pkey = EVP_EC_gen("P-256");
    *x509 = X509_new();

    if (*pkey == NULL || *x509 == NULL
        || ASN1_INTEGER_set(X509_get_serialNumber(*x509), 1) != 1
        || X509_gmtime_adj(X509_getm_notBefore(*x509), -86400) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(*x509), 86400) == NULL
        || X509_set_pubkey(*x509, *pkey) != 1
        || X509_sign(*x509, *pkey, EVP_sha256()) == 0)
    {
        abort();
    }
}


static void
init(void)
{
    int             n;
    X509           *sx, *cx;
    EVP_PKEY       *sk, *ck;
    uint8_t        *p, der[1024], key[256];
    wr_dtls_conf_t  conf;

    cert(&sk, &sx);
    cert(&ck, &cx);

    memset(&conf, 0, sizeof(conf));
    p = der;
    conf.cert_len = i2d_X509(sx, &p);
    p = key;
    conf.key_len = i2d_PrivateKey(sk, &p);
    conf.cert = der;
    conf.key = key;

    server_ctx = wr_dtls_ctx_create(&conf);

    p = der;
    n = i2d_X509(cx, &p);
    EVP_Digest(der, n, client_fp, NULL, EVP_sha256(), NULL);

    client_ctx = SSL_CTX_new(DTLS_client_method());

    if (server_ctx == NULL || client_ctx == NULL
        || SSL_CTX_use_certificate(client_ctx, cx) != 1
        || SSL_CTX_use_PrivateKey(client_ctx, ck) != 1
        || SSL_CTX_set_tlsext_use_srtp(client_ctx,
                          "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM") != 0
        || wr_srtp_init() != WR_SRTP_OK)
    {
        abort();
    }

    memset(&srtp_keys, 0x3c, sizeof(srtp_keys));
    srtp_keys.key_len = WR_SRTP_KEY_LEN;

    X509_free(sx);
    X509_free(cx);
    EVP_PKEY_free(sk);
    EVP_PKEY_free(ck);
}


static int
next_dgram(input_t *in, const uint8_t **p, size_t *len)
{
    size_t  n;

    if (in->len == 0) {
        return 0;
    }

    if (in->len < 2) {
        n = in->len;
        *p = in->p;

    } else {
        n = (size_t) in->p[0] << 8 | in->p[1];
        in->p += 2;
        in->len -= 2;

        if (n > in->len) {
            n = in->len;
        }

        *p = in->p;
    }

    *len = n;
    in->p += n;
    in->len -= n;

    return 1;
}


/* the server's output: datagrams of whole records within the MTU */

static size_t
drain(server_t *s, uint8_t *keep, size_t size)
{
    size_t   n, at, rec, kept;
    uint8_t  buf[MAX_DGRAM];

    kept = 0;

    while ((n = wr_dtls_output(s->d, buf, sizeof(buf))) > 0) {
        if (n > WR_DTLS_MTU) {
            abort();
        }

        for (at = 0; at < n; at += rec) {
            if (n - at < 13) {
                abort();
            }

            rec = 13 + (buf[at + 11] << 8 | buf[at + 12]);

            if (rec > n - at) {
                abort();
            }
        }

        if (keep != NULL && kept + n <= size) {
            memcpy(keep + kept, buf, n);
            kept += n;
        }
    }

    return kept;
}


static void
check(server_t *s, int rc)
{
    wr_srtp_keys_t  keys;

    if (ERR_peek_error() != 0) {
        abort();
    }

    if (s->ended && rc != WR_DTLS_AGAIN) {
        abort();
    }

    switch (rc) {

    case WR_DTLS_AGAIN:
        break;

    case WR_DTLS_CONNECTED:
        if (s->connected++) {
            abort();
        }
        break;

    case WR_DTLS_CLOSED:
        s->ended = 1;
        break;

    case WR_DTLS_FAILED:
        if (wr_dtls_error(s->d) == WR_DTLS_E_NONE) {
            abort();
        }
        s->ended = 1;
        break;

    default:
        abort();
    }

    if ((wr_dtls_keys(s->d, &keys) == 0) != (s->connected > 0)) {
        abort();
    }

    if (s->ended && wr_dtls_timeout(s->d) != -1) {
        abort();
    }
}


static void
feed(server_t *s, const uint8_t *p, size_t len)
{
    check(s, wr_dtls_handle(s->d, p, len));
}


/* move the client's pending output to the server, optionally flipped */

static void
client_to_server(SSL *ssl, BIO *wbio, server_t *s, input_t *mask)
{
    int      n, i;
    uint8_t  buf[16384];

    n = BIO_read(wbio, buf, sizeof(buf));
    if (n <= 0) {
        return;
    }

    for (i = 0; mask != NULL && i < n && mask->len > 0; i++) {
        buf[i] ^= *mask->p++;
        mask->len--;
    }

    feed(s, buf, (size_t) n);
}


static void
run_dtls(int mode, input_t *in)
{
    int             round;
    SSL            *ssl;
    BIO            *rbio, *wbio;
    size_t          n, len;
    server_t        s;
    const uint8_t  *p;
    static uint8_t  out[65536];

    memset(&s, 0, sizeof(s));

    s.d = wr_dtls_create(server_ctx, client_fp);
    if (s.d == NULL) {
        abort();
    }

    ssl = NULL;

    if (mode > 0) {
        ssl = SSL_new(client_ctx);
        rbio = BIO_new(BIO_s_mem());
        wbio = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(rbio, -1);
        SSL_set_bio(ssl, rbio, wbio);
        SSL_set_connect_state(ssl);

        (void) SSL_do_handshake(ssl);
        ERR_clear_error();

        client_to_server(ssl, wbio, &s, mode == 3 ? in : NULL);

        for (round = 0; mode >= 2 && round < 8; round++) {
            n = drain(&s, out, sizeof(out));

            if (n == 0) {
                break;
            }

            BIO_write(rbio, out, (int) n);
            (void) SSL_do_handshake(ssl);
            ERR_clear_error();

            client_to_server(ssl, wbio, &s, mode == 3 ? in : NULL);
        }

        if (mode == 2 && !s.connected) {
            /* an unmodified handshake must complete */
            abort();
        }
    }

    drain(&s, NULL, 0);

    while (mode != 3 && next_dgram(in, &p, &len)) {
        feed(&s, p, len);
        drain(&s, NULL, 0);

        if (len > 0 && p[0] == 0xff) {
            /* now and then the timer, as if it had fired */
            check(&s, wr_dtls_timer(s.d));
            drain(&s, NULL, 0);
        }
    }

    if (wr_dtls_state(s.d) == WR_DTLS_S_CONNECTED) {
        if (wr_dtls_close(s.d) != 0) {
            abort();
        }

        drain(&s, NULL, 0);
    }

    wr_dtls_free(s.d);
    SSL_free(ssl);
    ERR_clear_error();
}


static void
run_srtp(input_t *in)
{
    int              rc, k;
    size_t           len, got, trailer;
    uint64_t         before, after;
    wr_srtp_t       *s, *gcm, *cm;
    const uint8_t   *p;
    wr_srtp_keys_t   keys;
    wr_srtp_index_t  ix;
    static uint32_t  buf[MAX_DGRAM / 4 + 8];

    /* fresh sessions: each input starts from the same state */

    keys = srtp_keys;
    keys.profile = WR_SRTP_AEAD_AES_128_GCM;
    keys.salt_len = 12;
    gcm = wr_srtp_create(&keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);
    keys.profile = WR_SRTP_AES128_CM_SHA1_80;
    keys.salt_len = 14;
    cm = wr_srtp_create(&keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);

    if (gcm == NULL || cm == NULL) {
        abort();
    }

    memset(&ix, 0, sizeof(ix));

    while (next_dgram(in, &p, &len)) {
        for (k = 0; k < 4; k++) {
            s = (k & 1) ? cm : gcm;

            memcpy(buf, p, len);
            got = len;

            if (k < 2) {
                rc = wr_srtp_unprotect_rtp(s, (uint8_t *) buf, &got);
                trailer = (k & 1) ? 10 : 16;

            } else {
                rc = wr_srtp_unprotect_rtcp(s, (uint8_t *) buf, &got);
                trailer = (k & 1) ? 14 : 20;
            }

            if (rc == WR_SRTP_OK) {
                if (got + trailer != len) {
                    abort();
                }

            } else if (rc != WR_SRTP_REPLAY && rc != WR_SRTP_AUTH
                       && rc != WR_SRTP_BAD_PACKET && rc != WR_SRTP_ERROR)
            {
                abort();
            }
        }

        if (len >= 4) {
            before = (uint64_t) ix.roc << 16 | ix.seq;
            wr_srtp_index_update(&ix, (uint16_t) (p[2] << 8 | p[3]));
            after = (uint64_t) ix.roc << 16 | ix.seq;

            if (!ix.valid || after < before) {
                abort();
            }
        }
    }

    wr_srtp_free(gcm);
    wr_srtp_free(cm);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int      mode;
    input_t  in;

    if (server_ctx == NULL) {
        init();
    }

    if (size == 0) {
        return 0;
    }

    mode = data[0] % MODES;
    in.p = data + 1;
    in.len = size - 1;

    if (mode == 4) {
        run_srtp(&in);

    } else {
        run_dtls(mode, &in);
    }

    return 0;
}
