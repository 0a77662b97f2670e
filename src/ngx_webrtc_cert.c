
/*
 * The DTLS certificate shared by every worker: loaded from PEM files or
 * generated (ECDSA P-256, self-signed, as browsers expect for WebRTC).
 * It travels to the workers through the shared zone in DER form.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "ngx_webrtc.h"


static void ngx_webrtc_ssl_error(ngx_uint_t level, ngx_log_t *log,
    const char *what);
static ngx_int_t ngx_webrtc_cert_der(ngx_log_t *log, X509 *x509,
    EVP_PKEY *pkey, u_char *cert, size_t *cert_len, u_char *key,
    size_t *key_len);


ngx_int_t
ngx_webrtc_cert_load(ngx_conf_t *cf, ngx_webrtc_conf_t *wcf)
{
    BIO        *bio;
    X509       *x509;
    EVP_PKEY   *pkey;
    ngx_int_t   rc;

    x509 = NULL;
    pkey = NULL;
    rc = NGX_ERROR;

    bio = BIO_new_file((char *) wcf->certificate.data, "r");
    if (bio == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot read certificate \"%V\"",
                           &wcf->certificate);
        goto done;
    }

    x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);

    if (x509 == NULL) {
        ngx_webrtc_ssl_error(NGX_LOG_EMERG, cf->log, "PEM_read_bio_X509()");
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no PEM certificate in \"%V\"", &wcf->certificate);
        goto done;
    }

    bio = BIO_new_file((char *) wcf->certificate_key.data, "r");
    if (bio == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot read certificate key \"%V\"",
                           &wcf->certificate_key);
        goto done;
    }

    pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);

    if (pkey == NULL) {
        ngx_webrtc_ssl_error(NGX_LOG_EMERG, cf->log,
                             "PEM_read_bio_PrivateKey()");
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no PEM private key in \"%V\"",
                           &wcf->certificate_key);
        goto done;
    }

    if (X509_check_private_key(x509, pkey) != 1) {
        ERR_clear_error();
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "certificate \"%V\" does not match key \"%V\"",
                           &wcf->certificate, &wcf->certificate_key);
        goto done;
    }

    wcf->file_cert = ngx_pnalloc(cf->pool, NGX_WEBRTC_CERT_MAX);
    wcf->file_key = ngx_pnalloc(cf->pool, NGX_WEBRTC_CERT_MAX);

    if (wcf->file_cert == NULL || wcf->file_key == NULL) {
        goto done;
    }

    if (ngx_webrtc_cert_der(cf->log, x509, pkey, wcf->file_cert,
                            &wcf->file_cert_len, wcf->file_key,
                            &wcf->file_key_len)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "certificate \"%V\" or its key is larger than "
                           "%d bytes", &wcf->certificate,
                           NGX_WEBRTC_CERT_MAX);
        goto done;
    }

    rc = NGX_OK;

done:

    X509_free(x509);
    EVP_PKEY_free(pkey);

    return rc;
}


ngx_int_t
ngx_webrtc_cert_generate(ngx_log_t *log, u_char *cert, size_t *cert_len,
    u_char *key, size_t *key_len)
{
    X509          *x509;
    BIGNUM        *bn;
    EVP_PKEY      *pkey;
    X509_NAME     *name;
    ngx_int_t      rc;
    unsigned char  serial[8];

    x509 = NULL;
    bn = NULL;
    rc = NGX_ERROR;

    pkey = EVP_EC_gen("P-256");
    if (pkey == NULL) {
        ngx_webrtc_ssl_error(NGX_LOG_EMERG, log, "EVP_EC_gen(\"P-256\")");
        goto done;
    }

    x509 = X509_new();
    if (x509 == NULL) {
        ngx_webrtc_ssl_error(NGX_LOG_EMERG, log, "X509_new()");
        goto done;
    }

    if (RAND_bytes(serial, sizeof(serial)) != 1) {
        ngx_webrtc_ssl_error(NGX_LOG_EMERG, log, "RAND_bytes()");
        goto done;
    }

    serial[0] &= 0x7f;

    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    if (bn == NULL) {
        ngx_webrtc_ssl_error(NGX_LOG_EMERG, log, "BN_bin2bn()");
        goto done;
    }

    /* browsers pin the fingerprint, not the name, so any name will do */

    name = X509_get_subject_name(x509);

    if (X509_set_version(x509, 2) != 1
        || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) == NULL
        || X509_gmtime_adj(X509_getm_notBefore(x509), -86400) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(x509), 86400L * 365 * 10)
           == NULL
        || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                      (const u_char *) "ngx_webrtc_module",
                                      -1, -1, 0)
           != 1
        || X509_set_issuer_name(x509, name) != 1
        || X509_set_pubkey(x509, pkey) != 1
        || X509_sign(x509, pkey, EVP_sha256()) == 0)
    {
        ngx_webrtc_ssl_error(NGX_LOG_EMERG, log, "X509 certificate setup");
        goto done;
    }

    rc = ngx_webrtc_cert_der(log, x509, pkey, cert, cert_len, key, key_len);

    if (rc == NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "webrtc generated an ECDSA P-256 DTLS certificate");
    }

done:

    BN_free(bn);
    X509_free(x509);
    EVP_PKEY_free(pkey);

    return rc;
}


static ngx_int_t
ngx_webrtc_cert_der(ngx_log_t *log, X509 *x509, EVP_PKEY *pkey,
    u_char *cert, size_t *cert_len, u_char *key, size_t *key_len)
{
    int     n;
    u_char *p;

    n = i2d_X509(x509, NULL);
    if (n <= 0 || n > NGX_WEBRTC_CERT_MAX) {
        ERR_clear_error();
        return NGX_ERROR;
    }

    p = cert;
    *cert_len = i2d_X509(x509, &p);

    n = i2d_PrivateKey(pkey, NULL);
    if (n <= 0 || n > NGX_WEBRTC_CERT_MAX) {
        ERR_clear_error();
        return NGX_ERROR;
    }

    p = key;
    *key_len = i2d_PrivateKey(pkey, &p);

    return NGX_OK;
}


/* "AB:CD:...": the form of a=fingerprint:sha-256 */

ngx_int_t
ngx_webrtc_cert_fingerprint(ngx_log_t *log, u_char *cert, size_t cert_len,
    u_char *out)
{
    u_char        *p;
    unsigned int   i, len;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (EVP_Digest(cert, cert_len, md, &len, EVP_sha256(), NULL) != 1
        || len != 32)
    {
        ngx_webrtc_ssl_error(NGX_LOG_EMERG, log, "EVP_Digest(sha256)");
        return NGX_ERROR;
    }

    p = out;

    for (i = 0; i < len; i++) {
        p = ngx_sprintf(p, i ? ":%02Xd" : "%02Xd", md[i]);
    }

    *p = '\0';

    return NGX_OK;
}


static void
ngx_webrtc_ssl_error(ngx_uint_t level, ngx_log_t *log, const char *what)
{
    unsigned long  n;
    char           buf[256];

    n = ERR_get_error();

    if (n) {
        ERR_error_string_n(n, buf, sizeof(buf));
        ngx_log_error(level, log, 0, "webrtc: %s failed (%s)", what, buf);

    } else {
        ngx_log_error(level, log, 0, "webrtc: %s failed", what);
    }

    ERR_clear_error();
}
