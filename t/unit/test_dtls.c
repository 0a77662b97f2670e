/*
 * Tests for the DTLS-SRTP server: in-memory handshakes against an OpenSSL
 * DTLS client in the same process, datagrams moved by hand between memory
 * BIOs.  Profile choice, exported keys on both sides, fingerprint check,
 * MTU, retransmission after lost flights, handshake timeout, alerts,
 * close_notify in both directions.
 */

#include <poll.h>
#include <stdint.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "wr_test.h"
#include "wr_dtls.h"


#define MAX_DGRAMS   64
#define DGRAM_SIZE   2048
#define FAST_MS      100            /* retransmission tests' first timer */
#define SHORT_MS     30             /* the timeout test's */
#define EXPORTER     "EXTRACTOR-dtls_srtp"


typedef struct {
    size_t          n;
    size_t          len[MAX_DGRAMS];
    uint8_t         data[MAX_DGRAMS][DGRAM_SIZE];
} dgrams_t;


/* the test peer: an OpenSSL DTLS client */

typedef struct {
    SSL_CTX        *ctx;
    SSL            *ssl;
    BIO            *rbio;
    BIO            *wbio;
    int             done;
    int             failed;
    int             closed;
    size_t          app_len;
    uint8_t         app[256];
    size_t          nwrites;        /* datagram boundaries in wbio */
    size_t          writes[MAX_DGRAMS];
} client_t;


/* what the server said over one exchange */

typedef struct {
    int             connected;      /* WR_DTLS_CONNECTED returned */
    int             closed;
    int             failed;
    int             other;          /* anything unexpected */
} events_t;


typedef struct {
    uint8_t        *der;
    size_t          der_len;
    uint8_t        *key;
    size_t          key_len;
    uint8_t         fp[32];
    X509           *x509;
    EVP_PKEY       *pkey;
} cert_t;


static cert_t       server_cert, client_cert, other_cert;
static dgrams_t     to_server, to_client;
static size_t       bad_datagrams;   /* too big, or not whole records */
static size_t       datagram_max;


static void
bail(const char *what)
{
    printf("Bail out! %s\n", what);
    ERR_print_errors_fp(stdout);
    exit(1);
}


static void
make_cert(cert_t *c, const char *cn)
{
    uint8_t    *p;
    X509_NAME  *name;

    c->pkey = EVP_EC_gen("P-256");
    c->x509 = X509_new();

    if (c->pkey == NULL || c->x509 == NULL) {
        bail("key generation");
    }

    name = X509_get_subject_name(c->x509);

    if (X509_set_version(c->x509, 2) != 1
        || ASN1_INTEGER_set(X509_get_serialNumber(c->x509), 1) != 1
        || X509_gmtime_adj(X509_getm_notBefore(c->x509), -86400) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(c->x509), 86400) == NULL
        || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                      (const uint8_t *) cn, -1, -1, 0) != 1
        || X509_set_issuer_name(c->x509, name) != 1
        || X509_set_pubkey(c->x509, c->pkey) != 1
        || X509_sign(c->x509, c->pkey, EVP_sha256()) == 0)
    {
        bail("certificate");
    }

    c->der_len = i2d_X509(c->x509, NULL);
    c->key_len = i2d_PrivateKey(c->pkey, NULL);
    c->der = malloc(c->der_len);
    c->key = malloc(c->key_len);

    if (c->der == NULL || c->key == NULL) {
        bail("out of memory");
    }

    p = c->der;
    i2d_X509(c->x509, &p);
    p = c->key;
    i2d_PrivateKey(c->pkey, &p);

    if (EVP_Digest(c->der, c->der_len, c->fp, NULL, EVP_sha256(), NULL)
        != 1)
    {
        bail("digest");
    }
}


static wr_dtls_ctx_t *
server_ctx(unsigned mtu, unsigned retransmit_ms, unsigned handshake_ms)
{
    wr_dtls_ctx_t   *ctx;
    wr_dtls_conf_t   conf;

    memset(&conf, 0, sizeof(conf));
    conf.cert = server_cert.der;
    conf.cert_len = server_cert.der_len;
    conf.key = server_cert.key;
    conf.key_len = server_cert.key_len;
    conf.mtu = mtu;
    conf.retransmit_ms = retransmit_ms;
    conf.handshake_ms = handshake_ms;

    ctx = wr_dtls_ctx_create(&conf);
    if (ctx == NULL) {
        bail("wr_dtls_ctx_create");
    }

    datagram_max = mtu ? mtu : WR_DTLS_MTU;

    return ctx;
}


static unsigned int
client_timer_cb(SSL *ssl, unsigned int previous_us)
{
    return previous_us == 0 ? FAST_MS * 1000 : previous_us * 2;
}


/*
 * OpenSSL writes each datagram with one BIO_write (a flush of its
 * buffering BIO): note the lengths, so the client's datagrams reach the
 * server as a real socket would deliver them.
 */

static long
client_wbio_cb(BIO *b, int oper, const char *argp, size_t len, int argi,
    long argl, int ret, size_t *processed)
{
    client_t  *c;

    if (oper == (BIO_CB_WRITE | BIO_CB_RETURN) && ret > 0
        && processed != NULL)
    {
        c = (client_t *) BIO_get_callback_arg(b);

        if (c->nwrites == MAX_DGRAMS) {
            bail("client datagrams");
        }

        c->writes[c->nwrites++] = *processed;
    }

    return ret;
}


static int
client_reject_server(X509_STORE_CTX *store, void *arg)
{
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
}


/*
 * profiles: an OpenSSL use_srtp list, or NULL to offer none; fast: the
 * first retransmission after FAST_MS rather than OpenSSL's 1 s
 */

static void
client_init(client_t *c, const char *profiles, int reject_server, int fast)
{
    memset(c, 0, sizeof(client_t));

    c->ctx = SSL_CTX_new(DTLS_client_method());
    if (c->ctx == NULL) {
        bail("SSL_CTX_new");
    }

    SSL_CTX_set_options(c->ctx, SSL_OP_NO_QUERY_MTU);

    if (SSL_CTX_use_certificate(c->ctx, client_cert.x509) != 1
        || SSL_CTX_use_PrivateKey(c->ctx, client_cert.pkey) != 1
        || (profiles != NULL
            && SSL_CTX_set_tlsext_use_srtp(c->ctx, profiles) != 0))
    {
        bail("client context");
    }

    if (reject_server) {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_cert_verify_callback(c->ctx, client_reject_server, NULL);
    }

    c->ssl = SSL_new(c->ctx);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());

    if (c->ssl == NULL || c->rbio == NULL || c->wbio == NULL) {
        bail("client");
    }

    BIO_set_mem_eof_return(c->rbio, -1);
    BIO_set_mem_eof_return(c->wbio, -1);
    BIO_set_callback_ex(c->wbio, client_wbio_cb);
    BIO_set_callback_arg(c->wbio, (char *) c);
    SSL_set_bio(c->ssl, c->rbio, c->wbio);
    SSL_set_connect_state(c->ssl);
    SSL_set_mtu(c->ssl, WR_DTLS_MTU);

    if (fast) {
        DTLS_set_timer_cb(c->ssl, client_timer_cb);
    }
}


static void
client_free(client_t *c)
{
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    ERR_clear_error();
}


static void
client_step(client_t *c)
{
    int  n, err;

    if (c->failed || c->closed) {
        return;
    }

    if (!c->done) {
        n = SSL_do_handshake(c->ssl);

        if (n == 1) {
            c->done = 1;

        } else {
            err = SSL_get_error(c->ssl, n);

            if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
                c->failed = 1;
                ERR_clear_error();
            }

            return;
        }
    }

    for ( ;; ) {
        n = SSL_read(c->ssl, c->app + c->app_len,
                     sizeof(c->app) - c->app_len);

        if (n > 0) {
            c->app_len += n;
            continue;
        }

        err = SSL_get_error(c->ssl, n);

        if (err == SSL_ERROR_ZERO_RETURN) {
            c->closed = 1;

        } else if (err != SSL_ERROR_WANT_READ) {
            c->failed = 1;
            ERR_clear_error();
        }

        return;
    }
}


/* the records of one datagram, each header and length checked */

static int
records_ok(const uint8_t *p, size_t len)
{
    size_t  n, rec;

    for (n = 0; n < len; n += rec) {
        if (len - n < 13 || p[n] < 20 || p[n] > 25 || p[n + 1] != 0xfe) {
            return 0;
        }

        rec = 13 + (p[n + 11] << 8 | p[n + 12]);

        if (rec > len - n) {
            return 0;
        }
    }

    return len > 0;
}


static int
has_record(const dgrams_t *q, unsigned type)
{
    size_t  i;

    for (i = 0; i < q->n; i++) {
        if (q->len[i] > 0 && q->data[i][0] == type) {
            return 1;
        }
    }

    return 0;
}


static void
push(dgrams_t *q, const uint8_t *p, size_t len)
{
    if (q->n == MAX_DGRAMS || len > DGRAM_SIZE) {
        bail("datagram queue");
    }

    memcpy(q->data[q->n], p, len);
    q->len[q->n++] = len;
}


static void
server_flush(wr_dtls_t *d)
{
    size_t   n;
    uint8_t  buf[DGRAM_SIZE];

    while ((n = wr_dtls_output(d, buf, sizeof(buf))) > 0) {
        if (n > datagram_max || !records_ok(buf, n)) {
            bad_datagrams++;
        }

        push(&to_client, buf, n);
    }
}


/* the client's datagrams, cut where OpenSSL wrote them */

static void
client_flush(client_t *c)
{
    int      len;
    size_t   i, at;
    uint8_t  buf[16384];

    len = BIO_read(c->wbio, buf, sizeof(buf));
    at = 0;

    for (i = 0; i < c->nwrites; i++) {
        if (at + c->writes[i] > (size_t) (len > 0 ? len : 0)) {
            bail("client datagram boundaries");
        }

        push(&to_server, buf + at, c->writes[i]);
        at += c->writes[i];
    }

    c->nwrites = 0;
}


static void
to_server_deliver(wr_dtls_t *d, events_t *ev)
{
    int     rc;
    size_t  i;

    for (i = 0; i < to_server.n; i++) {
        rc = wr_dtls_handle(d, to_server.data[i], to_server.len[i]);

        switch (rc) {
        case WR_DTLS_AGAIN:
            break;
        case WR_DTLS_CONNECTED:
            ev->connected++;
            break;
        case WR_DTLS_CLOSED:
            ev->closed++;
            break;
        case WR_DTLS_FAILED:
            ev->failed++;
            break;
        default:
            ev->other++;
        }

        server_flush(d);
    }

    to_server.n = 0;
}


static void
to_client_deliver(client_t *c)
{
    size_t  i;

    for (i = 0; i < to_client.n; i++) {
        BIO_write(c->rbio, to_client.data[i], (int) to_client.len[i]);
        client_step(c);
        (void) BIO_reset(c->rbio);
        client_flush(c);
    }

    to_client.n = 0;
}


/* exchange until nothing moves; drop_* throw a direction's next flight */

static void
run(wr_dtls_t *d, client_t *c, events_t *ev)
{
    int  round;

    client_step(c);
    client_flush(c);

    for (round = 0; round < 32; round++) {
        if (to_server.n == 0 && to_client.n == 0) {
            return;
        }

        to_server_deliver(d, ev);
        to_client_deliver(c);
    }

    ev->other++;
}


static void
wait_ms(int ms)
{
    if (ms > 0) {
        (void) poll(NULL, 0, ms);
    }
}


static uint64_t
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static void
reset_queues(void)
{
    to_server.n = 0;
    to_client.n = 0;
    bad_datagrams = 0;
}


/* the keys both sides derive must match, in RFC 5764's order */

static void
check_keys(wr_dtls_t *d, client_t *c, uint16_t profile, const char *name)
{
    size_t                    salt;
    uint8_t                   km[60];
    wr_srtp_keys_t            keys;
    SRTP_PROTECTION_PROFILE  *p;
    char                      what[128];

    p = SSL_get_selected_srtp_profile(c->ssl);
    salt = (profile == WR_SRTP_AEAD_AES_128_GCM) ? 12 : 14;

    snprintf(what, sizeof(what), "%s: client sees the same profile", name);
    WR_OK(p != NULL && p->id == profile, "%s", what);

    snprintf(what, sizeof(what), "%s: server keys available", name);
    WR_EQ_INT(wr_dtls_keys(d, &keys), 0, what);

    snprintf(what, sizeof(what), "%s: profile", name);
    WR_EQ_INT(keys.profile, profile, what);
    snprintf(what, sizeof(what), "%s: key and salt lengths", name);
    WR_OK(keys.key_len == 16 && keys.salt_len == salt, "%s", what);

    if (SSL_export_keying_material(c->ssl, km, 2 * (16 + salt), EXPORTER,
                                   sizeof(EXPORTER) - 1, NULL, 0, 0) != 1)
    {
        bail("client export");
    }

    snprintf(what, sizeof(what), "%s: client master key", name);
    WR_EQ_MEM(keys.client_key, km, 16, what);
    snprintf(what, sizeof(what), "%s: server master key", name);
    WR_EQ_MEM(keys.server_key, km + 16, 16, what);
    snprintf(what, sizeof(what), "%s: client master salt", name);
    WR_EQ_MEM(keys.client_salt, km + 32, salt, what);
    snprintf(what, sizeof(what), "%s: server master salt", name);
    WR_EQ_MEM(keys.server_salt, km + 32 + salt, salt, what);
    snprintf(what, sizeof(what), "%s: client and server keys differ", name);
    WR_OK(memcmp(keys.client_key, keys.server_key, 16) != 0, "%s", what);
}


static void
test_config(void)
{
    uint8_t          bad[16];
    wr_dtls_conf_t   conf;

    memset(&conf, 0, sizeof(conf));
    memset(bad, 0x30, sizeof(bad));

    conf.cert = bad;
    conf.cert_len = sizeof(bad);
    conf.key = server_cert.key;
    conf.key_len = server_cert.key_len;
    WR_OK(wr_dtls_ctx_create(&conf) == NULL, "a certificate that is not DER "
          "is refused");

    conf.cert = server_cert.der;
    conf.cert_len = server_cert.der_len;
    conf.key = client_cert.key;
    conf.key_len = client_cert.key_len;
    WR_OK(wr_dtls_ctx_create(&conf) == NULL, "a key that does not match the "
          "certificate is refused");

    conf.key = server_cert.key;
    conf.key_len = server_cert.key_len;
    conf.mtu = 100;
    WR_OK(wr_dtls_ctx_create(&conf) == NULL, "an MTU of 100 is refused");

    ERR_clear_error();
}


static void
test_profile(const char *offer, uint16_t want, unsigned mtu,
    const char *name)
{
    size_t          i;
    events_t        ev;
    client_t        c;
    wr_dtls_t      *d;
    wr_dtls_ctx_t  *ctx;
    wr_srtp_keys_t  keys;
    uint8_t        *p;
    X509           *peer;
    char            what[128];
    int             len;

    reset_queues();
    memset(&ev, 0, sizeof(ev));

    ctx = server_ctx(mtu, 0, 0);
    d = wr_dtls_create(ctx, client_cert.fp);
    client_init(&c, offer, 0, 0);

    snprintf(what, sizeof(what), "%s: no keys before the handshake", name);
    WR_EQ_INT(wr_dtls_keys(d, &keys), -1, what);

    /* the server's first flight, by itself */

    client_step(&c);
    client_flush(&c);
    to_server_deliver(d, &ev);

    snprintf(what, sizeof(what), "%s: first flight in %s datagram%s", name,
             mtu ? "several" : "one", mtu ? "s" : "");
    WR_OK(mtu ? to_client.n >= 3 : to_client.n == 1, "%s", what);

    run(d, &c, &ev);

    snprintf(what, sizeof(what), "%s: server connected exactly once", name);
    WR_OK(ev.connected == 1 && ev.failed == 0 && ev.other == 0, "%s", what);
    snprintf(what, sizeof(what), "%s: client connected", name);
    WR_OK(c.done && !c.failed, "%s", what);
    snprintf(what, sizeof(what), "%s: state", name);
    WR_EQ_INT(wr_dtls_state(d), WR_DTLS_S_CONNECTED, what);
    snprintf(what, sizeof(what), "%s: datagrams within the MTU, whole "
             "records", name);
    WR_EQ_INT(bad_datagrams, 0, what);
    snprintf(what, sizeof(what), "%s: no timer once connected", name);
    WR_EQ_INT(wr_dtls_timeout(d), -1, what);

    check_keys(d, &c, want, name);

    /* the client sees the certificate the server was given */

    peer = SSL_get1_peer_certificate(c.ssl);
    len = peer ? i2d_X509(peer, NULL) : 0;
    p = malloc(len > 0 ? len : 1);
    i = 0;

    if (peer != NULL && p != NULL) {
        uint8_t  *q = p;
        i = i2d_X509(peer, &q);
    }

    snprintf(what, sizeof(what), "%s: server certificate as configured",
             name);
    WR_OK(i == server_cert.der_len
          && memcmp(p, server_cert.der, i) == 0, "%s", what);

    free(p);
    X509_free(peer);

    wr_dtls_free(d);
    client_free(&c);
    wr_dtls_ctx_free(ctx);
}


static void
test_no_srtp(const char *offer, const char *name)
{
    events_t        ev;
    client_t        c;
    wr_dtls_t      *d;
    wr_dtls_ctx_t  *ctx;
    wr_srtp_keys_t  keys;
    char            what[128];

    reset_queues();
    memset(&ev, 0, sizeof(ev));

    ctx = server_ctx(0, 0, 0);
    d = wr_dtls_create(ctx, client_cert.fp);
    client_init(&c, offer, 0, 0);

    run(d, &c, &ev);

    snprintf(what, sizeof(what), "%s: handshake fails once", name);
    WR_OK(ev.failed == 1 && ev.connected == 0, "%s", what);
    snprintf(what, sizeof(what), "%s: error is WR_DTLS_E_NO_SRTP", name);
    WR_EQ_INT(wr_dtls_error(d), WR_DTLS_E_NO_SRTP, what);
    snprintf(what, sizeof(what), "%s: no keys", name);
    WR_EQ_INT(wr_dtls_keys(d, &keys), -1, what);
    snprintf(what, sizeof(what), "%s: the client is told (close_notify)",
             name);
    WR_OK(c.closed, "%s", what);

    wr_dtls_free(d);
    client_free(&c);
    wr_dtls_ctx_free(ctx);
}


static void
test_fingerprint(void)
{
    events_t        ev;
    client_t        c;
    wr_dtls_t      *d;
    wr_dtls_ctx_t  *ctx;
    wr_srtp_keys_t  keys;
    size_t          i;
    int             alert;

    reset_queues();
    memset(&ev, 0, sizeof(ev));

    ctx = server_ctx(0, 0, 0);

    /* the client presents client_cert, the SDP said other_cert */
    d = wr_dtls_create(ctx, other_cert.fp);
    client_init(&c, "SRTP_AEAD_AES_128_GCM", 0, 0);

    client_step(&c);
    client_flush(&c);

    for (i = 0; i < 8 && (to_server.n || to_client.n); i++) {
        to_server_deliver(d, &ev);

        alert = has_record(&to_client, 21);
        to_client_deliver(&c);

        if (alert) {
            break;
        }
    }

    WR_OK(ev.failed == 1 && ev.connected == 0, "wrong fingerprint: the "
          "handshake fails once");
    WR_EQ_INT(wr_dtls_error(d), WR_DTLS_E_FINGERPRINT, "wrong fingerprint: "
              "error is WR_DTLS_E_FINGERPRINT");
    WR_OK(wr_dtls_reason(d) != 0, "wrong fingerprint: OpenSSL's reason is "
          "kept");
    WR_EQ_INT(ERR_peek_error(), 0, "wrong fingerprint: the OpenSSL error "
              "queue is left empty");
    WR_OK(alert && c.failed && !c.done, "wrong fingerprint: the client gets "
          "an alert and fails");
    WR_EQ_INT(wr_dtls_keys(d, &keys), -1, "wrong fingerprint: no keys");
    WR_EQ_INT(wr_dtls_state(d), WR_DTLS_S_FAILED, "wrong fingerprint: "
              "state failed");

    /* a failed association ignores what still comes */
    WR_EQ_INT(wr_dtls_handle(d, to_client.data[0], 13), WR_DTLS_AGAIN,
              "wrong fingerprint: later input is ignored");

    wr_dtls_free(d);
    client_free(&c);
    wr_dtls_ctx_free(ctx);
}


static void
test_peer_alert(void)
{
    events_t        ev;
    client_t        c;
    wr_dtls_t      *d;
    wr_dtls_ctx_t  *ctx;

    reset_queues();
    memset(&ev, 0, sizeof(ev));

    ctx = server_ctx(0, 0, 0);
    d = wr_dtls_create(ctx, client_cert.fp);
    client_init(&c, "SRTP_AEAD_AES_128_GCM", 1, 0);

    run(d, &c, &ev);

    WR_OK(c.failed, "client rejecting the server: client fails");
    WR_EQ_INT(ev.failed, 1, "client rejecting the server: server fails once");
    WR_EQ_INT(wr_dtls_error(d), WR_DTLS_E_ALERT, "client rejecting the "
              "server: error is WR_DTLS_E_ALERT");

    wr_dtls_free(d);
    client_free(&c);
    wr_dtls_ctx_free(ctx);
}


/* the handshake bodies of a flight, record headers (sequence) left out */

static size_t
flight_bodies(const dgrams_t *q, uint8_t *out, size_t size)
{
    size_t  i, n, rec, len;

    len = 0;

    for (i = 0; i < q->n; i++) {
        for (n = 0; n + 13 <= q->len[i]; n += rec) {
            rec = 13 + (q->data[i][n + 11] << 8 | q->data[i][n + 12]);

            if (n + rec > q->len[i] || len + rec - 13 > size) {
                return 0;
            }

            memcpy(out + len, q->data[i] + n + 13, rec - 13);
            len += rec - 13;
        }
    }

    return len;
}


static void
test_retransmit(void)
{
    int             ms, rc, tries;
    size_t          first_len, again_len;
    events_t        ev;
    client_t        c;
    wr_dtls_t      *d;
    wr_dtls_ctx_t  *ctx;
    static uint8_t  first[8192], again[8192];

    reset_queues();
    memset(&ev, 0, sizeof(ev));

    ctx = server_ctx(0, FAST_MS, 5000);
    d = wr_dtls_create(ctx, client_cert.fp);
    client_init(&c, "SRTP_AEAD_AES_128_GCM", 0, 1);

    /* 1. the server's first flight is lost: its own timer resends it */

    client_step(&c);
    client_flush(&c);
    to_server_deliver(d, &ev);

    WR_OK(to_client.n > 0, "retransmit: server answers the ClientHello");
    first_len = flight_bodies(&to_client, first, sizeof(first));
    to_client.n = 0;

    ms = wr_dtls_timeout(d);
    WR_OK(ms >= 0 && ms <= FAST_MS, "retransmit: timer armed within the "
          "first retransmission time");

    for (tries = 0; tries < 10 && to_client.n == 0; tries++) {
        wait_ms(wr_dtls_timeout(d));
        rc = wr_dtls_timer(d);
        server_flush(d);

        if (rc != WR_DTLS_AGAIN) {
            break;
        }
    }

    again_len = flight_bodies(&to_client, again, sizeof(again));

    WR_OK(to_client.n > 0, "retransmit: server resends its flight when the "
          "timer fires");
    WR_OK(first_len > 0 && first_len == again_len
          && memcmp(first, again, first_len) == 0,
          "retransmit: the same handshake messages");

    ms = wr_dtls_timeout(d);
    WR_OK(ms > FAST_MS && ms <= 2 * FAST_MS, "retransmit: the next timeout "
          "doubles");

    /* 2. the client's second flight is lost: the client resends it */

    to_client_deliver(&c);
    WR_OK(to_server.n > 0, "retransmit: client sends its second flight");
    to_server.n = 0;

    for (tries = 0; tries < 10 && to_server.n == 0; tries++) {
        struct timeval  tv;

        if (DTLSv1_get_timeout(c.ssl, &tv) == 1) {
            wait_ms(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
        }

        DTLSv1_handle_timeout(c.ssl);
        client_flush(&c);
    }

    WR_OK(to_server.n > 0, "retransmit: client resends its second flight");

    /* 3. the server's last flight is lost: resent on the client's resend */

    to_server_deliver(d, &ev);
    WR_EQ_INT(ev.connected, 1, "retransmit: server connected");
    WR_OK(to_client.n > 0, "retransmit: server sent its last flight");
    to_client.n = 0;

    for (tries = 0; tries < 10 && to_server.n == 0; tries++) {
        struct timeval  tv;

        if (DTLSv1_get_timeout(c.ssl, &tv) == 1) {
            wait_ms(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
        }

        DTLSv1_handle_timeout(c.ssl);
        client_flush(&c);
    }

    WR_OK(to_server.n > 0, "retransmit: client resends the flight that "
          "went unanswered");

    to_server_deliver(d, &ev);
    WR_OK(to_client.n > 0, "retransmit: server resends its last flight "
          "after the handshake completed");
    WR_EQ_INT(ev.connected, 1, "retransmit: CONNECTED is not returned again");

    to_client_deliver(&c);
    WR_OK(c.done && !c.failed, "retransmit: client connected");
    WR_EQ_INT(ev.failed + ev.other, 0, "retransmit: no failure");

    check_keys(d, &c, WR_SRTP_AEAD_AES_128_GCM, "after retransmissions");

    wr_dtls_free(d);
    client_free(&c);
    wr_dtls_ctx_free(ctx);
}


static void
test_timeout(void)
{
    int             ms, rc, resent, first_ms, fired;
    uint64_t        start;
    events_t        ev;
    client_t        c;
    wr_dtls_t      *d;
    wr_dtls_ctx_t  *ctx;

    reset_queues();
    memset(&ev, 0, sizeof(ev));

    ctx = server_ctx(0, SHORT_MS, 3 * SHORT_MS);

    /* a peer that answers nothing after its ClientHello */

    start = now_ms();
    d = wr_dtls_create(ctx, client_cert.fp);
    client_init(&c, "SRTP_AEAD_AES_128_GCM", 0, 0);

    client_step(&c);
    client_flush(&c);
    to_server_deliver(d, &ev);
    to_client.n = 0;

    rc = WR_DTLS_AGAIN;
    resent = 0;
    fired = 0;
    first_ms = wr_dtls_timeout(d);

    WR_OK(first_ms >= 0 && first_ms <= SHORT_MS, "timeout: first timer is "
          "the retransmission");

    while ((ms = wr_dtls_timeout(d)) >= 0 && fired < 100) {
        wait_ms(ms);
        rc = wr_dtls_timer(d);
        fired++;

        server_flush(d);
        resent += to_client.n > 0;
        to_client.n = 0;

        if (rc != WR_DTLS_AGAIN) {
            break;
        }
    }

    WR_EQ_INT(rc, WR_DTLS_FAILED, "timeout: the handshake fails");
    WR_EQ_INT(wr_dtls_error(d), WR_DTLS_E_TIMEOUT, "timeout: error is "
              "WR_DTLS_E_TIMEOUT");
    WR_OK(now_ms() - start >= 3 * SHORT_MS, "timeout: not before the "
          "handshake time");
    WR_OK(resent >= 1, "timeout: the flight was resent before giving up");
    WR_EQ_INT(wr_dtls_timeout(d), -1, "timeout: no timer after failing");
    WR_EQ_INT(wr_dtls_timer(d), WR_DTLS_AGAIN, "timeout: FAILED is "
              "returned once");

    wr_dtls_free(d);
    client_free(&c);

    /* a peer that never starts */

    start = now_ms();
    d = wr_dtls_create(ctx, client_cert.fp);
    rc = WR_DTLS_AGAIN;

    ms = wr_dtls_timeout(d);
    WR_OK(ms > 0 && ms <= 3 * SHORT_MS, "timeout: armed before any datagram");

    for (fired = 0; fired < 100 && rc == WR_DTLS_AGAIN; fired++) {
        ms = wr_dtls_timeout(d);
        if (ms < 0) {
            break;
        }

        wait_ms(ms);
        rc = wr_dtls_timer(d);
    }

    WR_OK(rc == WR_DTLS_FAILED && wr_dtls_error(d) == WR_DTLS_E_TIMEOUT,
          "timeout: silent peer times out");
    WR_OK(now_ms() - start >= 3 * SHORT_MS, "timeout: silent peer, not early");

    wr_dtls_free(d);
    wr_dtls_ctx_free(ctx);
}


static void
connect_pair(wr_dtls_ctx_t *ctx, wr_dtls_t **d, client_t *c)
{
    events_t  ev;

    reset_queues();
    memset(&ev, 0, sizeof(ev));

    *d = wr_dtls_create(ctx, client_cert.fp);
    client_init(c, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", 0, 0);

    run(*d, c, &ev);

    if (ev.connected != 1 || !c->done) {
        bail("handshake");
    }
}


static void
test_after_handshake(void)
{
    int             rc;
    events_t        ev;
    client_t        c;
    wr_dtls_t      *d;
    wr_dtls_ctx_t  *ctx;
    uint8_t         junk[64];

    ctx = server_ctx(0, 0, 0);

    /* application data is dropped, garbage records are ignored */

    connect_pair(ctx, &d, &c);
    memset(&ev, 0, sizeof(ev));

    WR_EQ_INT(SSL_write(c.ssl, "hello", 5), 5, "client writes data");
    client_flush(&c);

    memset(junk, 0xa5, sizeof(junk));
    junk[0] = 23;
    junk[1] = 0xfe;
    junk[2] = 0xfd;
    junk[11] = 0;
    junk[12] = sizeof(junk) - 13;
    push(&to_server, junk, sizeof(junk));

    to_server_deliver(d, &ev);
    WR_OK(ev.connected + ev.closed + ev.failed + ev.other == 0,
          "application data and a forged record change nothing");
    WR_EQ_INT(wr_dtls_state(d), WR_DTLS_S_CONNECTED, "still connected");

    /* the peer's close_notify */

    SSL_shutdown(c.ssl);
    client_flush(&c);
    WR_OK(has_record(&to_server, 21), "client sent an alert");

    to_server_deliver(d, &ev);
    WR_EQ_INT(ev.closed, 1, "close_notify: WR_DTLS_CLOSED once");
    WR_EQ_INT(wr_dtls_state(d), WR_DTLS_S_CLOSED, "close_notify: state "
              "closed");
    WR_EQ_INT(wr_dtls_error(d), WR_DTLS_E_NONE, "close_notify: no error");

    rc = wr_dtls_handle(d, junk, sizeof(junk));
    WR_EQ_INT(rc, WR_DTLS_AGAIN, "close_notify: later input ignored");

    wr_dtls_free(d);
    client_free(&c);

    /* our close_notify */

    connect_pair(ctx, &d, &c);

    WR_EQ_INT(wr_dtls_close(d), 0, "server close");
    server_flush(d);
    WR_OK(has_record(&to_client, 21), "server close: an alert is sent");
    to_client_deliver(&c);
    WR_OK(c.closed && !c.failed, "server close: client sees close_notify");
    WR_EQ_INT(wr_dtls_close(d), -1, "server close: only once");

    wr_dtls_free(d);
    client_free(&c);

    /* garbage during the handshake does not stop it */

    reset_queues();
    memset(&ev, 0, sizeof(ev));
    d = wr_dtls_create(ctx, client_cert.fp);
    client_init(&c, "SRTP_AES128_CM_SHA1_80", 0, 0);

    junk[0] = 22;
    push(&to_server, junk, sizeof(junk));
    junk[0] = 20;
    push(&to_server, junk, 20);
    to_server_deliver(d, &ev);

    WR_EQ_INT(ev.failed, 0, "garbage before the ClientHello is ignored");

    run(d, &c, &ev);
    WR_OK(ev.connected == 1 && c.done, "handshake after garbage");

    wr_dtls_free(d);
    client_free(&c);
    wr_dtls_ctx_free(ctx);
}


int
main(void)
{
    make_cert(&server_cert, "server");
    make_cert(&client_cert, "client");
    make_cert(&other_cert, "other");

    test_config();

    /* Chrome and Firefox list AES-CM first: the server still picks GCM */
    test_profile("SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM",
                 WR_SRTP_AEAD_AES_128_GCM, 0, "CM,GCM offered");
    test_profile("SRTP_AEAD_AES_128_GCM", WR_SRTP_AEAD_AES_128_GCM, 0,
                 "GCM offered");
    test_profile("SRTP_AES128_CM_SHA1_32:SRTP_AES128_CM_SHA1_80",
                 WR_SRTP_AES128_CM_SHA1_80, 0, "CM32,CM80 offered");

    /* a small MTU makes the certificate flight span datagrams */
    test_profile("SRTP_AES128_CM_SHA1_80", WR_SRTP_AES128_CM_SHA1_80, 300,
                 "MTU 300");

    test_no_srtp("SRTP_AES128_CM_SHA1_32", "only CM32 offered");
    test_no_srtp(NULL, "no use_srtp");

    test_fingerprint();
    test_peer_alert();
    test_retransmit();
    test_timeout();
    test_after_handshake();

    return wr_test_done();
}
