/*
 * DTLS-SRTP server without nginx; see wr_dtls.h.
 */

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "wr_dtls.h"


#define WR_DTLS_RECORD_HEADER  13
#define WR_DTLS_TIMER_MAX_US   60000000u    /* RFC 6347: at most 60 s */
#define WR_DTLS_EXPORTER       "EXTRACTOR-dtls_srtp"

/* the server's order of preference (decision 4: GCM first) */
#define WR_DTLS_SRTP_PROFILES  "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

/* forward secrecy only; browsers offer these first */
#define WR_DTLS_CIPHERS        "ECDHE+AESGCM:ECDHE+CHACHA20:ECDHE+AES"
#define WR_DTLS_GROUPS         "X25519:P-256:P-384"


struct wr_dtls_ctx_s {
    SSL_CTX            *ssl_ctx;
    unsigned            mtu;
    unsigned            retransmit_ms;
    unsigned            handshake_ms;
};


struct wr_dtls_s {
    SSL                *ssl;
    BIO                *rbio;               /* owned by ssl */
    BIO                *wbio;               /* owned by ssl */
    int                 state;
    int                 error;
    unsigned long       reason;
    unsigned            mtu;
    unsigned            retransmit_us;
    uint64_t            deadline;           /* monotonic ms */
    wr_srtp_keys_t      keys;
    uint8_t             fingerprint[WR_DTLS_FINGERPRINT_LEN];
};


static int wr_dtls_run(wr_dtls_t *d);
static int wr_dtls_connected(wr_dtls_t *d);
static int wr_dtls_fail(wr_dtls_t *d, int error);
static int wr_dtls_verify(X509_STORE_CTX *store, void *arg);
static unsigned int wr_dtls_timer_cb(SSL *ssl, unsigned int previous_us);
static uint64_t wr_dtls_now(void);


wr_dtls_ctx_t *
wr_dtls_ctx_create(const wr_dtls_conf_t *conf)
{
    X509                 *x509;
    EVP_PKEY             *pkey;
    wr_dtls_ctx_t        *ctx;
    const unsigned char  *p;

    x509 = NULL;
    pkey = NULL;

    ctx = calloc(1, sizeof(wr_dtls_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->mtu = conf->mtu ? conf->mtu : WR_DTLS_MTU;
    ctx->retransmit_ms = conf->retransmit_ms ? conf->retransmit_ms
                                             : WR_DTLS_RETRANSMIT_MS;
    ctx->handshake_ms = conf->handshake_ms ? conf->handshake_ms
                                           : WR_DTLS_HANDSHAKE_MS;

    if (ctx->mtu < 256 || ctx->retransmit_ms > WR_DTLS_TIMER_MAX_US / 1000
        || conf->cert_len > LONG_MAX || conf->key_len > LONG_MAX)
    {
        goto failed;
    }

    p = conf->cert;
    x509 = d2i_X509(NULL, &p, (long) conf->cert_len);
    if (x509 == NULL || p != conf->cert + conf->cert_len) {
        goto failed;
    }

    p = conf->key;
    pkey = d2i_AutoPrivateKey(NULL, &p, (long) conf->key_len);
    if (pkey == NULL) {
        goto failed;
    }

    ctx->ssl_ctx = SSL_CTX_new(DTLS_server_method());
    if (ctx->ssl_ctx == NULL) {
        goto failed;
    }

    /*
     * No session resumption or renegotiation: every association is one
     * fresh handshake.  The MTU is ours to set: a memory BIO cannot be
     * asked.  Idle associations give their record buffers back.
     */

    SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET
                                      | SSL_OP_NO_RENEGOTIATION
                                      | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx->ssl_ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx->ssl_ctx, SSL_MODE_RELEASE_BUFFERS);

    /* the peer's certificate is checked against its fingerprint only */

    SSL_CTX_set_verify(ctx->ssl_ctx,
                       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    SSL_CTX_set_cert_verify_callback(ctx->ssl_ctx, wr_dtls_verify, NULL);

    if (SSL_CTX_set_min_proto_version(ctx->ssl_ctx, DTLS1_2_VERSION) != 1
        || SSL_CTX_set_cipher_list(ctx->ssl_ctx, WR_DTLS_CIPHERS) != 1
        || SSL_CTX_set1_groups_list(ctx->ssl_ctx, WR_DTLS_GROUPS) != 1
        || SSL_CTX_use_certificate(ctx->ssl_ctx, x509) != 1
        || SSL_CTX_use_PrivateKey(ctx->ssl_ctx, pkey) != 1
        || SSL_CTX_check_private_key(ctx->ssl_ctx) != 1
        /* this one returns 0 on success */
        || SSL_CTX_set_tlsext_use_srtp(ctx->ssl_ctx, WR_DTLS_SRTP_PROFILES)
           != 0)
    {
        goto failed;
    }

    X509_free(x509);
    EVP_PKEY_free(pkey);

    return ctx;

failed:

    X509_free(x509);
    EVP_PKEY_free(pkey);
    wr_dtls_ctx_free(ctx);

    return NULL;
}


void
wr_dtls_ctx_free(wr_dtls_ctx_t *ctx)
{
    if (ctx == NULL) {
        return;
    }

    /* connections hold their own reference to the SSL_CTX */
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx);
}


wr_dtls_t *
wr_dtls_create(wr_dtls_ctx_t *ctx, const uint8_t *fingerprint)
{
    wr_dtls_t  *d;

    d = calloc(1, sizeof(wr_dtls_t));
    if (d == NULL) {
        return NULL;
    }

    memcpy(d->fingerprint, fingerprint, WR_DTLS_FINGERPRINT_LEN);
    d->mtu = ctx->mtu;
    d->retransmit_us = ctx->retransmit_ms * 1000;
    d->deadline = wr_dtls_now() + ctx->handshake_ms;

    d->ssl = SSL_new(ctx->ssl_ctx);
    d->rbio = BIO_new(BIO_s_mem());
    d->wbio = BIO_new(BIO_s_mem());

    if (d->ssl == NULL || d->rbio == NULL || d->wbio == NULL) {
        BIO_free(d->rbio);
        BIO_free(d->wbio);
        SSL_free(d->ssl);
        free(d);
        ERR_clear_error();
        return NULL;
    }

    /* an empty memory BIO means "no datagram yet", not end of file */
    BIO_set_mem_eof_return(d->rbio, -1);
    BIO_set_mem_eof_return(d->wbio, -1);

    SSL_set_bio(d->ssl, d->rbio, d->wbio);
    SSL_set_app_data(d->ssl, d);
    SSL_set_accept_state(d->ssl);
    DTLS_set_timer_cb(d->ssl, wr_dtls_timer_cb);

    /* returns the MTU set, 0 if it is too small */

    if (SSL_set_mtu(d->ssl, d->mtu) <= 0) {
        wr_dtls_free(d);
        ERR_clear_error();
        return NULL;
    }

    return d;
}


void
wr_dtls_free(wr_dtls_t *d)
{
    if (d == NULL) {
        return;
    }

    SSL_free(d->ssl);

    OPENSSL_cleanse(d, sizeof(wr_dtls_t));
    free(d);
}


int
wr_dtls_handle(wr_dtls_t *d, const uint8_t *data, size_t len)
{
    int  rc;

    if (d->state == WR_DTLS_S_CLOSED || d->state == WR_DTLS_S_FAILED
        || len == 0 || len > INT_MAX)
    {
        return WR_DTLS_AGAIN;
    }

    if (BIO_write(d->rbio, data, (int) len) != (int) len) {
        return wr_dtls_fail(d, WR_DTLS_E_INTERNAL);
    }

    rc = wr_dtls_run(d);

    /* OpenSSL reads whole datagrams; what is left is not a record */

    if (BIO_ctrl_pending(d->rbio) != 0) {
        (void) BIO_reset(d->rbio);
    }

    return rc;
}


static int
wr_dtls_run(wr_dtls_t *d)
{
    int      n, err, event;
    uint8_t  data[2048];

    event = WR_DTLS_AGAIN;

    ERR_clear_error();

    if (d->state == WR_DTLS_S_HANDSHAKE) {
        n = SSL_do_handshake(d->ssl);

        if (n != 1) {
            err = SSL_get_error(d->ssl, n);

            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
                return WR_DTLS_AGAIN;
            }

            return wr_dtls_fail(d, WR_DTLS_E_PROTOCOL);
        }

        event = wr_dtls_connected(d);
        if (event != WR_DTLS_CONNECTED) {
            return event;
        }
    }

    /*
     * Connected: records still come, such as alerts, or a retransmitted
     * client Finished, which makes OpenSSL send our last flight again.
     */

    for ( ;; ) {
        n = SSL_read(d->ssl, data, sizeof(data));

        if (n > 0) {
            continue;
        }

        err = SSL_get_error(d->ssl, n);

        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            return event;
        }

        if (err == SSL_ERROR_ZERO_RETURN) {
            d->state = WR_DTLS_S_CLOSED;
            return WR_DTLS_CLOSED;
        }

        return wr_dtls_fail(d, WR_DTLS_E_PROTOCOL);
    }
}


static int
wr_dtls_connected(wr_dtls_t *d)
{
    size_t                     salt_len;
    uint8_t                    km[2 * (WR_SRTP_KEY_LEN + WR_SRTP_SALT_MAX)];
    SRTP_PROTECTION_PROFILE   *profile;

    profile = SSL_get_selected_srtp_profile(d->ssl);

    if (profile == NULL) {
        /* tell the peer, although a peer without SRTP may not listen */
        (void) SSL_shutdown(d->ssl);
        return wr_dtls_fail(d, WR_DTLS_E_NO_SRTP);
    }

    switch (profile->id) {

    case SRTP_AEAD_AES_128_GCM:
        d->keys.profile = WR_SRTP_AEAD_AES_128_GCM;
        salt_len = 12;
        break;

    case SRTP_AES128_CM_SHA1_80:
        d->keys.profile = WR_SRTP_AES128_CM_SHA1_80;
        salt_len = 14;
        break;

    default:
        (void) SSL_shutdown(d->ssl);
        return wr_dtls_fail(d, WR_DTLS_E_NO_SRTP);
    }

    /* RFC 5764 4.2: client key, server key, client salt, server salt */

    if (SSL_export_keying_material(d->ssl, km,
                                   2 * (WR_SRTP_KEY_LEN + salt_len),
                                   WR_DTLS_EXPORTER,
                                   sizeof(WR_DTLS_EXPORTER) - 1,
                                   NULL, 0, 0)
        != 1)
    {
        return wr_dtls_fail(d, WR_DTLS_E_INTERNAL);
    }

    d->keys.key_len = WR_SRTP_KEY_LEN;
    d->keys.salt_len = (uint8_t) salt_len;
    memcpy(d->keys.client_key, km, WR_SRTP_KEY_LEN);
    memcpy(d->keys.server_key, km + WR_SRTP_KEY_LEN, WR_SRTP_KEY_LEN);
    memcpy(d->keys.client_salt, km + 2 * WR_SRTP_KEY_LEN, salt_len);
    memcpy(d->keys.server_salt, km + 2 * WR_SRTP_KEY_LEN + salt_len,
           salt_len);

    OPENSSL_cleanse(km, sizeof(km));

    d->state = WR_DTLS_S_CONNECTED;

    return WR_DTLS_CONNECTED;
}


static int
wr_dtls_fail(wr_dtls_t *d, int error)
{
    /* an error set by the verify callback or a timeout is more precise */

    if (d->error == WR_DTLS_E_NONE) {
        if (error == WR_DTLS_E_PROTOCOL
            && (SSL_get_shutdown(d->ssl) & SSL_RECEIVED_SHUTDOWN))
        {
            error = WR_DTLS_E_ALERT;
        }

        d->error = error;
    }

    d->reason = ERR_peek_error();
    d->state = WR_DTLS_S_FAILED;

    ERR_clear_error();

    return WR_DTLS_FAILED;
}


size_t
wr_dtls_output(wr_dtls_t *d, uint8_t *out, size_t size)
{
    long            pending;
    size_t          n, record, limit;
    const uint8_t  *p;
    char           *data;

    pending = BIO_get_mem_data(d->wbio, &data);
    if (pending <= 0) {
        return 0;
    }

    p = (const uint8_t *) data;
    limit = size < d->mtu ? size : d->mtu;

    /*
     * The memory BIO loses datagram boundaries, so pack whole records
     * into datagrams again; OpenSSL sizes each record to fit the MTU.
     */

    n = 0;

    while (n + WR_DTLS_RECORD_HEADER <= (size_t) pending) {
        record = WR_DTLS_RECORD_HEADER + (p[n + 11] << 8 | p[n + 12]);

        if (n + record > (size_t) pending || n + record > limit) {
            break;
        }

        n += record;
    }

    if (n == 0) {
        /* a record larger than out, or a partial one: cannot be sent */
        (void) BIO_reset(d->wbio);
        return 0;
    }

    if (BIO_read(d->wbio, out, (int) n) != (int) n) {
        (void) BIO_reset(d->wbio);
        return 0;
    }

    return n;
}


int
wr_dtls_timeout(wr_dtls_t *d)
{
    int64_t         ms, left;
    uint64_t        now;
    struct timeval  tv;

    if (d->state != WR_DTLS_S_HANDSHAKE) {
        return -1;
    }

    now = wr_dtls_now();
    left = now < d->deadline ? (int64_t) (d->deadline - now) : 0;

    ms = left;

    if (DTLSv1_get_timeout(d->ssl, &tv) == 1) {
        /* rounded up: waking a little early would only mean waiting again */
        ms = (int64_t) tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;

        if (ms > left) {
            ms = left;
        }
    }

    return ms > INT_MAX ? INT_MAX : (int) ms;
}


int
wr_dtls_timer(wr_dtls_t *d)
{
    if (d->state != WR_DTLS_S_HANDSHAKE) {
        return WR_DTLS_AGAIN;
    }

    if (wr_dtls_now() >= d->deadline) {
        return wr_dtls_fail(d, WR_DTLS_E_TIMEOUT);
    }

    ERR_clear_error();

    /* retransmits the last flight if OpenSSL's timer has expired */

    if (DTLSv1_handle_timeout(d->ssl) < 0) {
        /* too many retransmissions */
        return wr_dtls_fail(d, WR_DTLS_E_TIMEOUT);
    }

    return WR_DTLS_AGAIN;
}


int
wr_dtls_close(wr_dtls_t *d)
{
    if (d->state != WR_DTLS_S_CONNECTED) {
        return -1;
    }

    ERR_clear_error();

    /* 0: close_notify written to the output; the peer's is not awaited */
    (void) SSL_shutdown(d->ssl);

    ERR_clear_error();

    d->state = WR_DTLS_S_CLOSED;

    return 0;
}


int
wr_dtls_state(const wr_dtls_t *d)
{
    return d->state;
}


int
wr_dtls_error(const wr_dtls_t *d)
{
    return d->error;
}


unsigned long
wr_dtls_reason(const wr_dtls_t *d)
{
    return d->reason;
}


int
wr_dtls_keys(const wr_dtls_t *d, wr_srtp_keys_t *keys)
{
    if (d->keys.key_len == 0) {
        return -1;
    }

    *keys = d->keys;

    return 0;
}


/*
 * Replaces the chain verification: WebRTC certificates are self-signed,
 * and only the fingerprint from the signaled SDP identifies the peer.
 */

static int
wr_dtls_verify(X509_STORE_CTX *store, void *arg)
{
    SSL           *ssl;
    X509          *cert;
    wr_dtls_t     *d;
    unsigned int   len;
    unsigned char  md[EVP_MAX_MD_SIZE];

    ssl = X509_STORE_CTX_get_ex_data(store,
                                     SSL_get_ex_data_X509_STORE_CTX_idx());
    d = SSL_get_app_data(ssl);
    cert = X509_STORE_CTX_get0_cert(store);

    if (cert == NULL
        || X509_digest(cert, EVP_sha256(), md, &len) != 1
        || len != WR_DTLS_FINGERPRINT_LEN
        || CRYPTO_memcmp(md, d->fingerprint, WR_DTLS_FINGERPRINT_LEN) != 0)
    {
        d->error = WR_DTLS_E_FINGERPRINT;
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }

    return 1;
}


/* the first retransmission after retransmit_ms, then doubling */

static unsigned int
wr_dtls_timer_cb(SSL *ssl, unsigned int previous_us)
{
    wr_dtls_t  *d;

    if (previous_us == 0) {
        d = SSL_get_app_data(ssl);
        return d->retransmit_us;
    }

    return previous_us >= WR_DTLS_TIMER_MAX_US / 2 ? WR_DTLS_TIMER_MAX_US
                                                   : previous_us * 2;
}


static uint64_t
wr_dtls_now(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}
