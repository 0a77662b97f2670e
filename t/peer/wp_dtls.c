/*
 * DTLS-SRTP with OpenSSL over memory BIOs: datagrams come from and go to the
 * ICE agent. Either role, decided by a=setup. The peer's certificate must
 * match the SDP a=fingerprint; the SRTP keys come from the exporter.
 */

#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "wr_peer.h"


typedef struct {
    const char   *rfc;            /* name in reports and --srtp */
    const char   *openssl;        /* name for use_srtp */
    unsigned long id;
    size_t        key;
    size_t        salt;
} wp_profile_t;


static const wp_profile_t  wp_profiles[] = {
    { "AEAD_AES_128_GCM", "SRTP_AEAD_AES_128_GCM", 0x0007, 16, 12 },
    { "AEAD_AES_256_GCM", "SRTP_AEAD_AES_256_GCM", 0x0008, 32, 12 },
    { "AES_CM_128_HMAC_SHA1_80", "SRTP_AES128_CM_SHA1_80", 0x0001, 16, 14 },
};

#define WP_NPROFILES  (sizeof(wp_profiles) / sizeof(wp_profiles[0]))


static int wp_dtls_verify(int ok, X509_STORE_CTX *ctx);
static unsigned int wp_dtls_timer(SSL *ssl, unsigned int previous_us);
static void wp_dtls_step(wp_pc_t *pc);
static void wp_dtls_flush(wp_pc_t *pc);
static void wp_dtls_arm(wp_pc_t *pc);
static gboolean wp_dtls_timeout(gpointer data);
static int wp_dtls_keys(wp_pc_t *pc);
static int wp_fp_check(wp_pc_t *pc, X509 *cert);


static void
wp_ssl_error(char *buf, size_t len)
{
    unsigned long  e;

    e = ERR_get_error();
    snprintf(buf, len, "%s", e ? ERR_error_string(e, NULL) : "unknown");
    ERR_clear_error();
}


/* one ECDSA P-256 certificate for the whole process, as browsers have */
int
wp_dtls_init(wp_peer_t *peer)
{
    int            i;
    char           list[256], *tok, *save, *want;
    size_t         k;
    X509          *x;
    uint8_t        md[EVP_MAX_MD_SIZE];
    unsigned       mdlen;
    EVP_PKEY      *key;
    X509_NAME     *name;
    const char    *sep;
    const wp_profile_t *p;

    key = EVP_EC_gen("P-256");
    x = X509_new();
    if (key == NULL || x == NULL) {
        wp_fail(peer, "cannot make a DTLS key");
        return -1;
    }

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), g_random_int() >> 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), 30 * 86400);
    X509_set_pubkey(x, key);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const uint8_t *) "wr-peer", -1, -1, 0);
    X509_set_issuer_name(x, name);

    if (X509_sign(x, key, EVP_sha256()) == 0) {
        wp_fail(peer, "cannot sign the DTLS certificate");
        return -1;
    }

    X509_digest(x, EVP_sha256(), md, &mdlen);
    for (i = 0; i < (int) mdlen; i++) {
        sprintf(peer->fingerprint + 3 * i, "%02X%s", md[i],
                i + 1 < (int) mdlen ? ":" : "");
    }

    /* --srtp takes RFC names; use_srtp wants OpenSSL's */
    list[0] = '\0';
    sep = "";
    want = g_strdup(peer->opts.srtp);
    for (tok = strtok_r(want, ":,", &save); tok;
         tok = strtok_r(NULL, ":,", &save))
    {
        p = NULL;
        for (k = 0; k < WP_NPROFILES; k++) {
            if (g_ascii_strcasecmp(tok, wp_profiles[k].rfc) == 0) {
                p = &wp_profiles[k];
            }
        }

        if (p == NULL) {
            wp_fail(peer, "unknown SRTP profile \"%s\"", tok);
            g_free(want);
            return -1;
        }

        g_strlcat(list, sep, sizeof(list));
        g_strlcat(list, p->openssl, sizeof(list));
        sep = ":";
    }

    g_free(want);

    peer->ssl_ctx = SSL_CTX_new(DTLS_method());
    if (peer->ssl_ctx == NULL
        || SSL_CTX_set_min_proto_version(peer->ssl_ctx, DTLS1_2_VERSION) != 1
        || SSL_CTX_use_certificate(peer->ssl_ctx, x) != 1
        || SSL_CTX_use_PrivateKey(peer->ssl_ctx, key) != 1
        /* note: 0 means success here */
        || SSL_CTX_set_tlsext_use_srtp(peer->ssl_ctx, list) != 0)
    {
        wp_ssl_error(list, sizeof(list));
        wp_fail(peer, "DTLS context: %s", list);
        return -1;
    }

    /* any certificate: what counts is the fingerprint from the SDP */
    SSL_CTX_set_verify(peer->ssl_ctx,
                       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       wp_dtls_verify);

    X509_free(x);
    EVP_PKEY_free(key);

    if (srtp_init() != srtp_err_status_ok) {
        wp_fail(peer, "srtp_init failed");
        return -1;
    }

    return 0;
}


void
wp_dtls_done(wp_peer_t *peer)
{
    if (peer->ssl_ctx) {
        SSL_CTX_free(peer->ssl_ctx);
    }

    srtp_shutdown();
}


static int
wp_dtls_verify(int ok, X509_STORE_CTX *ctx)
{
    return 1;
}


/*
 * OpenSSL waits a full second before its first retransmission. A lite
 * server may drop a ClientHello that arrives just before its own ICE state
 * says "connected"; like browsers, retry much sooner.
 */
static unsigned int
wp_dtls_timer(SSL *ssl, unsigned int previous_us)
{
    if (previous_us == 0) {
        return 100000;
    }

    return previous_us >= 1600000 ? 3200000 : 2 * previous_us;
}


/* when the remote description is known: the role follows a=setup */
int
wp_dtls_start(wp_pc_t *pc)
{
    pc->ssl = SSL_new(pc->peer->ssl_ctx);
    pc->rbio = BIO_new(BIO_s_mem());
    pc->wbio = BIO_new(BIO_s_mem());
    if (pc->ssl == NULL || pc->rbio == NULL || pc->wbio == NULL) {
        wp_fail(pc->peer, "%s: cannot create the DTLS session", pc->name);
        return -1;
    }

    /* an empty read BIO means "wait for more", not end of file */
    BIO_set_mem_eof_return(pc->rbio, -1);
    SSL_set_bio(pc->ssl, pc->rbio, pc->wbio);
    SSL_set_options(pc->ssl, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(pc->ssl, WP_DTLS_MTU);
    DTLS_set_timer_cb(pc->ssl, wp_dtls_timer);

    if (pc->dtls_client) {
        SSL_set_connect_state(pc->ssl);

    } else {
        SSL_set_accept_state(pc->ssl);
    }

    return 0;
}


/* ICE is up: the client sends its ClientHello */
void
wp_dtls_connect(wp_pc_t *pc)
{
    if (pc->ssl && pc->dtls_client && !pc->dtls_done) {
        wp_dtls_step(pc);
    }
}


void
wp_dtls_input(wp_pc_t *pc, const uint8_t *p, size_t n)
{
    int      r, e;
    uint8_t  buf[2048];

    if (pc->ssl == NULL || pc->dtls_closed) {
        return;
    }

    BIO_write(pc->rbio, p, n);

    if (!pc->dtls_done) {
        wp_dtls_step(pc);
        return;
    }

    /* after the handshake only alerts are expected (no data channel) */
    for ( ;; ) {
        r = SSL_read(pc->ssl, buf, sizeof(buf));
        if (r > 0) {
            continue;
        }

        e = SSL_get_error(pc->ssl, r);
        if (e == SSL_ERROR_ZERO_RETURN) {
            pc->dtls_closed = 1;
            wp_log(pc->peer, "%s: DTLS close_notify received", pc->name);
        }

        ERR_clear_error();
        break;
    }

    wp_dtls_flush(pc);
}


static void
wp_dtls_step(wp_pc_t *pc)
{
    int   r, e;
    char  err[256];

    r = SSL_do_handshake(pc->ssl);
    wp_dtls_flush(pc);

    if (r == 1) {
        if (pc->dtls_timer) {
            g_source_remove(pc->dtls_timer);
            pc->dtls_timer = 0;
        }

        pc->dtls_done = 1;
        if (wp_dtls_keys(pc) == 0) {
            wp_pc_secure(pc);
        }

        return;
    }

    e = SSL_get_error(pc->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        wp_ssl_error(err, sizeof(err));
        pc->dtls_closed = 1;

        if (pc->peer->opts.expect_hangup) {
            /* e.g. the server's alert for --bad-fingerprint: whether the
             * run passes is up to the hangup that should follow */
            wp_log(pc->peer, "%s: DTLS handshake failed: %s", pc->name, err);
            return;
        }

        wp_fail(pc->peer, "%s: DTLS handshake failed: %s", pc->name, err);
        return;
    }

    wp_dtls_arm(pc);
}


/*
 * The memory BIO joins everything OpenSSL wrote; cut it back into datagrams
 * at record boundaries so that none exceeds the MTU.
 */
static void
wp_dtls_flush(wp_pc_t *pc)
{
    int      n;
    size_t   off, start, rec;
    uint8_t  buf[16384];

    while ((n = BIO_read(pc->wbio, buf, sizeof(buf))) > 0) {
        off = 0;
        start = 0;

        while (off + 13 <= (size_t) n) {
            rec = 13 + ((buf[off + 11] << 8) | buf[off + 12]);
            if (off + rec > (size_t) n) {
                break;
            }

            if (off > start && off + rec - start > WP_DTLS_MTU) {
                wp_pc_send(pc, buf + start, off - start);
                start = off;
            }

            off += rec;
        }

        wp_pc_send(pc, buf + start, n - start);
    }
}


static void
wp_dtls_arm(wp_pc_t *pc)
{
    struct timeval  tv;

    if (pc->dtls_timer) {
        g_source_remove(pc->dtls_timer);
        pc->dtls_timer = 0;
    }

    if (DTLSv1_get_timeout(pc->ssl, &tv) == 1) {
        pc->dtls_timer = g_timeout_add(tv.tv_sec * 1000 + tv.tv_usec / 1000
                                       + 1, wp_dtls_timeout, pc);
    }
}


static gboolean
wp_dtls_timeout(gpointer data)
{
    wp_pc_t  *pc = data;

    pc->dtls_timer = 0;

    if (pc->dtls_closed) {
        return G_SOURCE_REMOVE;
    }

    if (DTLSv1_handle_timeout(pc->ssl) < 0) {
        wp_fail(pc->peer, "%s: DTLS retransmissions exhausted", pc->name);
        return G_SOURCE_REMOVE;
    }

    wp_dtls_flush(pc);
    wp_dtls_arm(pc);
    return G_SOURCE_REMOVE;
}


static int
wp_dtls_keys(wp_pc_t *pc)
{
    size_t             k, klen, slen;
    X509              *cert;
    uint8_t            m[2 * (32 + 14)], tx[46], rx[46];
    uint8_t           *ck, *sk, *cs, *ss;
    srtp_policy_t      pol;
    srtp_err_status_t  s1, s2;
    const wp_profile_t *prof;
    SRTP_PROTECTION_PROFILE *sel;

    cert = SSL_get1_peer_certificate(pc->ssl);
    if (cert == NULL) {
        wp_fail(pc->peer, "%s: DTLS peer sent no certificate", pc->name);
        return -1;
    }

    if (wp_fp_check(pc, cert) != 0) {
        X509_free(cert);
        return -1;
    }

    X509_free(cert);

    sel = SSL_get_selected_srtp_profile(pc->ssl);
    prof = NULL;
    for (k = 0; sel && k < WP_NPROFILES; k++) {
        if (wp_profiles[k].id == sel->id) {
            prof = &wp_profiles[k];
        }
    }

    if (prof == NULL) {
        wp_fail(pc->peer, "%s: no SRTP profile negotiated", pc->name);
        return -1;
    }

    klen = prof->key;
    slen = prof->salt;

    if (SSL_export_keying_material(pc->ssl, m, 2 * (klen + slen),
                                   "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0)
        != 1)
    {
        wp_fail(pc->peer, "%s: DTLS exporter failed", pc->name);
        return -1;
    }

    /* RFC 5764: client key, server key, client salt, server salt */
    ck = m;
    sk = m + klen;
    cs = m + 2 * klen;
    ss = cs + slen;

    memcpy(tx, pc->dtls_client ? ck : sk, klen);
    memcpy(tx + klen, pc->dtls_client ? cs : ss, slen);
    memcpy(rx, pc->dtls_client ? sk : ck, klen);
    memcpy(rx + klen, pc->dtls_client ? ss : cs, slen);

    memset(&pol, 0, sizeof(pol));

    switch (prof->id) {

    case 0x0007:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
        break;

    case 0x0008:
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol.rtcp);
        break;

    default:
        srtp_crypto_policy_set_rtp_default(&pol.rtp);
        srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
    }

    /* wide window: the checker, not SRTP, should see reordering */
    pol.window_size = 1024;
    pol.allow_repeat_tx = 1;

    pol.ssrc.type = ssrc_any_outbound;
    pol.key = tx;
    s1 = srtp_create(&pc->srtp_tx, &pol);

    pol.ssrc.type = ssrc_any_inbound;
    pol.key = rx;
    s2 = srtp_create(&pc->srtp_rx, &pol);

    OPENSSL_cleanse(m, sizeof(m));
    OPENSSL_cleanse(tx, sizeof(tx));
    OPENSSL_cleanse(rx, sizeof(rx));

    if (s1 != srtp_err_status_ok || s2 != srtp_err_status_ok) {
        wp_fail(pc->peer, "%s: srtp_create failed (%d, %d)", pc->name, s1,
                s2);
        return -1;
    }

    pc->profile = prof->rfc;
    return 0;
}


/* compares the certificate with a=fingerprint, in the SDP's hash */
static int
wp_fp_check(wp_pc_t *pc, X509 *cert)
{
    char           alg[16], *d;
    size_t         n;
    uint8_t        md[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
    unsigned       mdlen;
    const char    *p;
    const EVP_MD  *evp;

    /* "sha-256" -> "sha256" */
    d = alg;
    for (p = pc->fp_alg; *p && d < alg + sizeof(alg) - 1; p++) {
        if (*p != '-') {
            *d++ = g_ascii_tolower(*p);
        }
    }

    *d = '\0';

    evp = EVP_get_digestbyname(alg);
    if (evp == NULL) {
        wp_fail(pc->peer, "%s: unknown fingerprint hash \"%s\"", pc->name,
                pc->fp_alg);
        return -1;
    }

    n = 0;
    for (p = pc->fp; *p && n < sizeof(want); ) {
        if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1])) {
            break;
        }

        want[n++] = g_ascii_xdigit_value(p[0]) * 16
                    + g_ascii_xdigit_value(p[1]);
        p += 2;
        if (*p == ':') {
            p++;
        }
    }

    X509_digest(cert, evp, md, &mdlen);

    if (*p != '\0' || n != mdlen || memcmp(md, want, n) != 0) {
        wp_fail(pc->peer, "%s: DTLS certificate does not match "
                "a=fingerprint", pc->name);
        return -1;
    }

    return 0;
}


/* close_notify, so the server sees an orderly end (Janus: "DTLS alert") */
void
wp_dtls_close(wp_pc_t *pc)
{
    if (pc->dtls_timer) {
        g_source_remove(pc->dtls_timer);
        pc->dtls_timer = 0;
    }

    if (pc->ssl) {
        if (pc->dtls_done && !pc->dtls_closed) {
            SSL_shutdown(pc->ssl);
            wp_dtls_flush(pc);
        }

        SSL_free(pc->ssl);     /* frees both BIOs */
        pc->ssl = NULL;
    }

    if (pc->srtp_tx) {
        srtp_dealloc(pc->srtp_tx);
        pc->srtp_tx = NULL;
    }

    if (pc->srtp_rx) {
        srtp_dealloc(pc->srtp_rx);
        pc->srtp_rx = NULL;
    }
}
