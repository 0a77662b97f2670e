/*
 * SRTP and SRTCP without nginx; see wr_srtp.h.
 */

/*
 * HMAC-SHA1 for outbound SRTCP uses the low-level SHA-1 calls, deprecated
 * in OpenSSL 3: an EVP digest allocates on every init, while a SHA_CTX is
 * a plain struct that can be copied from a keyed state per packet.
 */
#define OPENSSL_SUPPRESS_DEPRECATED  1

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <srtp2/srtp.h>

#include "wr_srtp.h"


#define WR_SRTP_WINDOW         1024        /* replay window, packets */
#define WR_SRTP_RTP_HEADER     12
#define WR_SRTP_RTCP_HEADER    8

#define WR_SRTCP_E             0x80000000u /* encrypted flag */
#define WR_SRTCP_INDEX_MAX     0x7fffffffu
#define WR_SRTCP_WORD          4           /* E flag + index */
#define WR_SRTCP_CM_TAG        10          /* HMAC-SHA1-80 */
#define WR_SRTCP_GCM_TAG       16
#define WR_SRTCP_AUTH_KEY_LEN  20

/* RFC 3711 4.3.2: the first of the three key derivation labels */
#define WR_SRTP_LABEL_RTP      0x00
#define WR_SRTP_LABEL_RTCP     0x03

#define WR_SRTP_SEQ_MEDIAN     0x8000

#define WR_SRTP_INDEX_MAX      0xffffffffffffULL  /* 48 bits */
#define WR_SRTP_OUT_WINDOW     128                /* indexes, 2 words */


typedef struct {
    uint32_t            ssrc;
    wr_srtp_index_t     index;
} wr_srtp_resume_t;


/*
 * An outbound SSRC: the highest index protected and which of the 127
 * below it were, so that no index is ever protected twice.
 */

typedef struct {
    uint32_t            ssrc;
    unsigned            started;
    uint64_t            top;
    uint64_t            window[2];       /* bit i: top - i was protected */
    wr_srtp_index_t     resume;          /* where a resumed SSRC goes on */
} wr_srtp_out_t;


typedef struct {
    EVP_CIPHER_CTX     *cipher;
    SHA_CTX             inner;           /* HMAC-SHA1 after the key block */
    SHA_CTX             outer;
    uint8_t             salt[WR_SRTP_SALT_MAX];
} wr_srtp_ctx_t;


struct wr_srtp_s {
    srtp_t              srtp;            /* inbound only */
    int                 direction;
    uint16_t            profile;
    size_t              rtp_tag;
    size_t              rtcp_tag;
    size_t              master_len;

    /* key || salt of the side this session uses, as libsrtp takes it */
    uint8_t             master[WR_SRTP_KEY_LEN + WR_SRTP_SALT_MAX];

    /* outbound SRTP */
    wr_srtp_ctx_t       rtp;
    wr_srtp_out_t      *out;
    unsigned            nout;
    unsigned            out_size;

    /* outbound SRTCP */
    uint32_t            rtcp_index;
    wr_srtp_ctx_t       rtcp;

    /* SSRCs added with a stored index, until their first good packet */
    wr_srtp_resume_t   *resume;
    unsigned            nresume;
    unsigned            resume_size;
};


static void wr_srtp_policy(wr_srtp_t *s, srtp_policy_t *policy);
static int wr_srtp_ctx_init(wr_srtp_t *s, wr_srtp_ctx_t *ctx,
    unsigned label);
static void wr_srtp_ctx_free(wr_srtp_ctx_t *ctx);
static int wr_srtp_kdf(const uint8_t *key, const uint8_t *salt,
    size_t salt_len, unsigned label, uint8_t *out, size_t len);
static int wr_srtp_rtcp_cm(wr_srtp_t *s, uint8_t *buf, size_t len,
    uint32_t index);
static int wr_srtp_rtcp_gcm(wr_srtp_t *s, uint8_t *buf, size_t len,
    uint32_t index);
static int wr_srtp_out_add(wr_srtp_t *s, uint32_t ssrc,
    const wr_srtp_index_t *resume);
static wr_srtp_out_t *wr_srtp_out_find(wr_srtp_t *s, uint32_t ssrc);
static uint64_t wr_srtp_out_index(const wr_srtp_out_t *out, uint16_t seq);
static void wr_srtp_out_mark(wr_srtp_out_t *out, uint64_t index);
static int wr_srtp_rtp_cm(wr_srtp_t *s, uint8_t *buf, size_t hlen,
    size_t len, uint64_t index);
static int wr_srtp_rtp_gcm(wr_srtp_t *s, uint8_t *buf, size_t hlen,
    size_t len, uint64_t index);
static void wr_srtp_resume_apply(wr_srtp_t *s, const uint8_t *buf);
static void wr_srtp_resume_drop(wr_srtp_t *s, uint32_t ssrc);
static int wr_srtp_result(srtp_err_status_t status);
static uint32_t wr_srtp_get32(const uint8_t *p);


int
wr_srtp_init(void)
{
    /* libsrtp keeps its crypto kernel per process; again is harmless */
    return srtp_init() == srtp_err_status_ok ? WR_SRTP_OK : WR_SRTP_ERROR;
}


wr_srtp_t *
wr_srtp_create(const wr_srtp_keys_t *keys, int direction, int role)
{
    wr_srtp_t          *s;
    const uint8_t      *key, *salt;
    srtp_policy_t       policy;
    srtp_err_status_t   status;

    if (keys->key_len != WR_SRTP_KEY_LEN
        || (keys->profile == WR_SRTP_AES128_CM_SHA1_80
            && keys->salt_len != 14)
        || (keys->profile == WR_SRTP_AEAD_AES_128_GCM
            && keys->salt_len != 12)
        || wr_srtp_rtp_trailer(keys->profile) == 0
        || (direction != WR_SRTP_INBOUND && direction != WR_SRTP_OUTBOUND)
        || (role != WR_SRTP_SERVER && role != WR_SRTP_CLIENT))
    {
        return NULL;
    }

    s = calloc(1, sizeof(wr_srtp_t));
    if (s == NULL) {
        return NULL;
    }

    s->direction = direction;
    s->profile = keys->profile;
    s->rtp_tag = wr_srtp_rtp_trailer(keys->profile);
    s->rtcp_tag = (keys->profile == WR_SRTP_AEAD_AES_128_GCM)
                  ? WR_SRTCP_GCM_TAG : WR_SRTCP_CM_TAG;
    s->rtcp_index = 1;

    /*
     * The client writes with the client key (RFC 5764 4.2): a server
     * reads with it, a client writes with it.
     */

    if ((direction == WR_SRTP_INBOUND) == (role == WR_SRTP_SERVER)) {
        key = keys->client_key;
        salt = keys->client_salt;

    } else {
        key = keys->server_key;
        salt = keys->server_salt;
    }

    memcpy(s->master, key, WR_SRTP_KEY_LEN);
    memcpy(s->master + WR_SRTP_KEY_LEN, salt, keys->salt_len);
    s->master_len = WR_SRTP_KEY_LEN + keys->salt_len;

    if (direction == WR_SRTP_INBOUND) {
        wr_srtp_policy(s, &policy);
        policy.ssrc.type = ssrc_any_inbound;
        status = srtp_create(&s->srtp, &policy);

    } else {
        /* outbound is done here on OpenSSL: see "Outbound" in wr_srtp.h */
        status = (wr_srtp_ctx_init(s, &s->rtp, WR_SRTP_LABEL_RTP) == 0
                  && wr_srtp_ctx_init(s, &s->rtcp, WR_SRTP_LABEL_RTCP) == 0)
                 ? srtp_err_status_ok : srtp_err_status_init_fail;
    }

    if (status != srtp_err_status_ok) {
        wr_srtp_free(s);
        return NULL;
    }

    return s;
}


void
wr_srtp_free(wr_srtp_t *s)
{
    if (s == NULL) {
        return;
    }

    if (s->srtp != NULL) {
        srtp_dealloc(s->srtp);
    }

    wr_srtp_ctx_free(&s->rtp);
    wr_srtp_ctx_free(&s->rtcp);
    free(s->out);
    free(s->resume);

    OPENSSL_cleanse(s, sizeof(wr_srtp_t));
    free(s);
}


static void
wr_srtp_policy(wr_srtp_t *s, srtp_policy_t *policy)
{
    memset(policy, 0, sizeof(srtp_policy_t));

    if (s->profile == WR_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtcp);

    } else {
        /* the default is AES_CM_128_HMAC_SHA1_80 */
        srtp_crypto_policy_set_rtp_default(&policy->rtp);
        srtp_crypto_policy_set_rtcp_default(&policy->rtcp);
    }

    policy->key = s->master;
    policy->window_size = WR_SRTP_WINDOW;

    /* an index is never protected twice: no keystream reuse */
    policy->allow_repeat_tx = 0;
}


int
wr_srtp_add_stream(wr_srtp_t *s, uint32_t ssrc, const wr_srtp_index_t *resume)
{
    wr_srtp_resume_t   *r;
    srtp_policy_t       policy;
    srtp_err_status_t   status;

    if (s->direction == WR_SRTP_OUTBOUND) {
        return wr_srtp_out_add(s, ssrc, resume);
    }

    /* libsrtp would keep a second stream for the same SSRC */
    (void) srtp_remove_stream(s->srtp, htonl(ssrc));
    wr_srtp_resume_drop(s, ssrc);

    wr_srtp_policy(s, &policy);
    policy.ssrc.type = ssrc_specific;
    policy.ssrc.value = ssrc;

    status = srtp_add_stream(s->srtp, &policy);
    if (status != srtp_err_status_ok) {
        return WR_SRTP_ERROR;
    }

    if (resume == NULL || !resume->valid) {
        return WR_SRTP_OK;
    }

    if (s->nresume == s->resume_size) {
        r = realloc(s->resume,
                    (s->resume_size + 8) * sizeof(wr_srtp_resume_t));
        if (r == NULL) {
            (void) srtp_remove_stream(s->srtp, htonl(ssrc));
            return WR_SRTP_ERROR;
        }

        s->resume = r;
        s->resume_size += 8;
    }

    s->resume[s->nresume].ssrc = ssrc;
    s->resume[s->nresume].index = *resume;
    s->nresume++;

    return WR_SRTP_OK;
}


int
wr_srtp_remove_stream(wr_srtp_t *s, uint32_t ssrc)
{
    wr_srtp_out_t  *out;

    if (s->direction == WR_SRTP_OUTBOUND) {
        out = wr_srtp_out_find(s, ssrc);
        if (out == NULL) {
            return WR_SRTP_NO_STREAM;
        }

        *out = s->out[--s->nout];

        return WR_SRTP_OK;
    }

    wr_srtp_resume_drop(s, ssrc);

    if (srtp_remove_stream(s->srtp, htonl(ssrc)) != srtp_err_status_ok) {
        return WR_SRTP_NO_STREAM;
    }

    return WR_SRTP_OK;
}


int
wr_srtp_protect_rtp(wr_srtp_t *s, uint8_t *buf, size_t *len, size_t size)
{
    int             rc;
    size_t          hlen;
    uint64_t        index, delta;
    wr_srtp_out_t  *out;

    if (s->direction != WR_SRTP_OUTBOUND) {
        return WR_SRTP_ERROR;
    }

    if (*len < WR_SRTP_RTP_HEADER || (buf[0] >> 6) != 2
        || *len > INT_MAX / 2)
    {
        return WR_SRTP_BAD_PACKET;
    }

    /* the header is authenticated, the rest encrypted: CSRCs, extension */

    hlen = WR_SRTP_RTP_HEADER + 4 * (buf[0] & 0x0f);

    if ((buf[0] & 0x10) && hlen + 4 <= *len) {
        hlen += 4 + 4 * (size_t) (buf[hlen + 2] << 8 | buf[hlen + 3]);

    } else if (buf[0] & 0x10) {
        return WR_SRTP_BAD_PACKET;
    }

    if (hlen > *len) {
        return WR_SRTP_BAD_PACKET;
    }

    if (size < *len || size - *len < s->rtp_tag) {
        return WR_SRTP_NO_ROOM;
    }

    out = wr_srtp_out_find(s, wr_srtp_get32(buf + 8));
    if (out == NULL) {
        return WR_SRTP_NO_STREAM;
    }

    index = wr_srtp_out_index(out, (uint16_t) (buf[2] << 8 | buf[3]));

    if (index > WR_SRTP_INDEX_MAX) {
        /* 2^48 packets: the keys are used up */
        return WR_SRTP_ERROR;
    }

    /* an index is never protected twice: that would repeat keystream */

    delta = out->top - index;

    if (out->started && index <= out->top
        && (delta >= WR_SRTP_OUT_WINDOW
            || (out->window[delta / 64] >> (delta % 64)) & 1))
    {
        return WR_SRTP_REPLAY;
    }

    if (s->profile == WR_SRTP_AEAD_AES_128_GCM) {
        rc = wr_srtp_rtp_gcm(s, buf, hlen, *len, index);

    } else {
        rc = wr_srtp_rtp_cm(s, buf, hlen, *len, index);
    }

    if (rc != 0) {
        return WR_SRTP_ERROR;
    }

    wr_srtp_out_mark(out, index);

    *len += s->rtp_tag;

    return WR_SRTP_OK;
}


int
wr_srtp_unprotect_rtp(wr_srtp_t *s, uint8_t *buf, size_t *len)
{
    int                 n;
    srtp_err_status_t   status;

    if (s->direction != WR_SRTP_INBOUND) {
        return WR_SRTP_ERROR;
    }

    if (*len < WR_SRTP_RTP_HEADER + s->rtp_tag || (buf[0] >> 6) != 2
        || *len > INT_MAX / 2)
    {
        return WR_SRTP_BAD_PACKET;
    }

    if (s->nresume) {
        wr_srtp_resume_apply(s, buf);
    }

    n = (int) *len;

    status = srtp_unprotect(s->srtp, buf, &n);
    if (status != srtp_err_status_ok) {
        return wr_srtp_result(status);
    }

    /* only an authentic packet ends a resume: forgeries cannot steer it */

    if (s->nresume) {
        wr_srtp_resume_drop(s, wr_srtp_get32(buf + 8));
    }

    *len = (size_t) n;

    return WR_SRTP_OK;
}


int
wr_srtp_protect_rtcp(wr_srtp_t *s, uint8_t *buf, size_t *len, size_t size)
{
    int  rc;

    if (s->direction != WR_SRTP_OUTBOUND) {
        return WR_SRTP_ERROR;
    }

    if (*len < WR_SRTP_RTCP_HEADER || (buf[0] >> 6) != 2
        || *len > INT_MAX / 2)
    {
        return WR_SRTP_BAD_PACKET;
    }

    if (size < *len || size - *len < s->rtcp_tag + WR_SRTCP_WORD) {
        return WR_SRTP_NO_ROOM;
    }

    if (s->rtcp_index > WR_SRTCP_INDEX_MAX) {
        /* 2^31 packets: the keys are used up */
        return WR_SRTP_ERROR;
    }

    if (s->profile == WR_SRTP_AEAD_AES_128_GCM) {
        rc = wr_srtp_rtcp_gcm(s, buf, *len, s->rtcp_index);

    } else {
        rc = wr_srtp_rtcp_cm(s, buf, *len, s->rtcp_index);
    }

    if (rc != 0) {
        return WR_SRTP_ERROR;
    }

    s->rtcp_index++;
    *len += s->rtcp_tag + WR_SRTCP_WORD;

    return WR_SRTP_OK;
}


int
wr_srtp_unprotect_rtcp(wr_srtp_t *s, uint8_t *buf, size_t *len)
{
    int                 n;
    srtp_err_status_t   status;

    if (s->direction != WR_SRTP_INBOUND) {
        return WR_SRTP_ERROR;
    }

    if (*len < WR_SRTP_RTCP_HEADER + WR_SRTCP_WORD + s->rtcp_tag
        || (buf[0] >> 6) != 2 || *len > INT_MAX / 2)
    {
        return WR_SRTP_BAD_PACKET;
    }

    n = (int) *len;

    status = srtp_unprotect_rtcp(s->srtp, buf, &n);
    if (status != srtp_err_status_ok) {
        return wr_srtp_result(status);
    }

    *len = (size_t) n;

    return WR_SRTP_OK;
}


uint32_t
wr_srtp_rtcp_index(const wr_srtp_t *s)
{
    return s->rtcp_index;
}


int
wr_srtp_set_rtcp_index(wr_srtp_t *s, uint32_t next)
{
    /* going back would reuse keystream */

    if (s->direction != WR_SRTP_OUTBOUND || next < s->rtcp_index
        || next > WR_SRTCP_INDEX_MAX + 1)
    {
        return WR_SRTP_ERROR;
    }

    s->rtcp_index = next;

    return WR_SRTP_OK;
}


/*
 * libsrtp takes ROC 0 while the index is at most 2^15, and the RFC 3711
 * guess (the ROC that puts seq nearest the highest index) after that.
 */

uint64_t
wr_srtp_index_guess(const wr_srtp_index_t *ix, uint16_t seq)
{
    int       s, local;
    uint32_t  roc;

    if (!ix->valid
        || ((uint64_t) ix->roc << 16 | ix->seq) <= WR_SRTP_SEQ_MEDIAN)
    {
        return seq;
    }

    roc = ix->roc;
    s = seq;
    local = ix->seq;

    if (local < WR_SRTP_SEQ_MEDIAN) {
        if (s - local > WR_SRTP_SEQ_MEDIAN) {
            roc--;
        }

    } else if (local - WR_SRTP_SEQ_MEDIAN > s) {
        roc++;
    }

    return (uint64_t) roc << 16 | seq;
}


void
wr_srtp_index_update(wr_srtp_index_t *ix, uint16_t seq)
{
    uint64_t  guess;

    guess = wr_srtp_index_guess(ix, seq);

    if (!ix->valid || guess > ((uint64_t) ix->roc << 16 | ix->seq)) {
        ix->roc = (uint32_t) (guess >> 16);
        ix->seq = (uint16_t) guess;
        ix->valid = 1;
    }
}


size_t
wr_srtp_rtp_trailer(uint16_t profile)
{
    switch (profile) {

    case WR_SRTP_AES128_CM_SHA1_80:
        return 10;

    case WR_SRTP_AEAD_AES_128_GCM:
        return 16;

    default:
        return 0;
    }
}


/* resuming a stream: see "Rebuilding" in wr_srtp.h */

static void
wr_srtp_resume_apply(wr_srtp_t *s, const uint8_t *buf)
{
    unsigned   i;
    uint16_t   seq;
    uint32_t   ssrc;
    uint64_t   index;

    ssrc = wr_srtp_get32(buf + 8);

    for (i = 0; i < s->nresume; i++) {
        if (s->resume[i].ssrc != ssrc) {
            continue;
        }

        /*
         * libsrtp applies a set ROC to the next packet of a stream; it is
         * set again for every packet until one passes, so a forged one
         * cannot leave a wrong ROC behind.
         */

        seq = (uint16_t) (buf[2] << 8 | buf[3]);
        index = wr_srtp_index_guess(&s->resume[i].index, seq);

        (void) srtp_set_stream_roc(s->srtp, ssrc, (uint32_t) (index >> 16));

        return;
    }
}


static void
wr_srtp_resume_drop(wr_srtp_t *s, uint32_t ssrc)
{
    unsigned  i;

    for (i = 0; i < s->nresume; i++) {
        if (s->resume[i].ssrc == ssrc) {
            s->resume[i] = s->resume[--s->nresume];
            return;
        }
    }
}


static int
wr_srtp_result(srtp_err_status_t status)
{
    switch (status) {

    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
    case srtp_err_status_pkt_idx_old:
        return WR_SRTP_REPLAY;

    case srtp_err_status_auth_fail:
    case srtp_err_status_cipher_fail:
        return WR_SRTP_AUTH;

    case srtp_err_status_parse_err:
    case srtp_err_status_bad_param:
        return WR_SRTP_BAD_PACKET;

    case srtp_err_status_no_ctx:
        return WR_SRTP_NO_STREAM;

    default:
        return WR_SRTP_ERROR;
    }
}


static uint32_t
wr_srtp_get32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


/* outbound SSRCs */

static int
wr_srtp_out_add(wr_srtp_t *s, uint32_t ssrc, const wr_srtp_index_t *resume)
{
    wr_srtp_out_t  *out;

    out = wr_srtp_out_find(s, ssrc);

    if (out == NULL) {
        if (s->nout == s->out_size) {
            out = realloc(s->out, (s->out_size + 4) * sizeof(wr_srtp_out_t));
            if (out == NULL) {
                return WR_SRTP_ERROR;
            }

            s->out = out;
            s->out_size += 4;
        }

        out = &s->out[s->nout++];
    }

    memset(out, 0, sizeof(wr_srtp_out_t));
    out->ssrc = ssrc;

    if (resume != NULL && resume->valid) {
        out->resume = *resume;
    }

    return WR_SRTP_OK;
}


static wr_srtp_out_t *
wr_srtp_out_find(wr_srtp_t *s, uint32_t ssrc)
{
    unsigned  i;

    /* a handful per PeerConnection: a scan is cheaper than anything else */

    for (i = 0; i < s->nout; i++) {
        if (s->out[i].ssrc == ssrc) {
            return &s->out[i];
        }
    }

    return NULL;
}


/*
 * The index of a packet: RFC 3711's estimate from the highest index
 * protected, or for the first packet of a resumed SSRC from the stored
 * one, or ROC 0 for the first packet of a new SSRC; as libsrtp does.
 */

static uint64_t
wr_srtp_out_index(const wr_srtp_out_t *out, uint16_t seq)
{
    wr_srtp_index_t  ix;

    if (out->started) {
        ix.roc = (uint32_t) (out->top >> 16);
        ix.seq = (uint16_t) out->top;
        ix.valid = 1;

        return wr_srtp_index_guess(&ix, seq);
    }

    return wr_srtp_index_guess(&out->resume, seq);
}


static void
wr_srtp_out_mark(wr_srtp_out_t *out, uint64_t index)
{
    uint64_t  delta;

    if (!out->started) {
        out->started = 1;
        out->top = index;
        out->window[0] = 1;
        out->window[1] = 0;
        return;
    }

    if (index <= out->top) {
        delta = out->top - index;
        out->window[delta / 64] |= (uint64_t) 1 << (delta % 64);
        return;
    }

    delta = index - out->top;
    out->top = index;

    if (delta >= WR_SRTP_OUT_WINDOW) {
        out->window[1] = 0;
        out->window[0] = 0;

    } else if (delta >= 64) {
        out->window[1] = out->window[0] << (delta - 64);
        out->window[0] = 0;

    } else {
        out->window[1] = out->window[1] << delta
                         | out->window[0] >> (64 - delta);
        out->window[0] <<= delta;
    }

    out->window[0] |= 1;
}


/*
 * RFC 3711 3.1: the payload encrypted with the IV
 * (salt << 16) ^ (SSRC << 64) ^ (index << 16), then HMAC-SHA1 over the
 * packet and the ROC, 80 bits of it appended.
 */

static int
wr_srtp_rtp_cm(wr_srtp_t *s, uint8_t *buf, size_t hlen, size_t len,
    uint64_t index)
{
    int       n;
    size_t    i;
    SHA_CTX   sha;
    uint8_t   iv[16], roc[4], inner[SHA_DIGEST_LENGTH];
    uint8_t   mac[SHA_DIGEST_LENGTH];

    memset(iv, 0, sizeof(iv));
    memcpy(iv, s->rtp.salt, 14);

    for (i = 0; i < 4; i++) {
        iv[4 + i] ^= buf[8 + i];
    }

    for (i = 0; i < 6; i++) {
        iv[8 + i] ^= (uint8_t) (index >> (40 - 8 * i));
    }

    if (len > hlen
        && (EVP_EncryptInit_ex(s->rtp.cipher, NULL, NULL, NULL, iv) != 1
            || EVP_EncryptUpdate(s->rtp.cipher, buf + hlen, &n, buf + hlen,
                                 (int) (len - hlen))
               != 1))
    {
        return -1;
    }

    for (i = 0; i < 4; i++) {
        roc[i] = (uint8_t) (index >> (40 - 8 * i));
    }

    sha = s->rtp.inner;
    SHA1_Update(&sha, buf, len);
    SHA1_Update(&sha, roc, sizeof(roc));
    SHA1_Final(inner, &sha);

    sha = s->rtp.outer;
    SHA1_Update(&sha, inner, sizeof(inner));
    SHA1_Final(mac, &sha);

    memcpy(buf + len, mac, s->rtp_tag);

    OPENSSL_cleanse(&sha, sizeof(SHA_CTX));

    return 0;
}


/*
 * RFC 7714 8: IV = (0x0000 || SSRC || ROC || SEQ) ^ salt, the header as
 * AAD, the payload encrypted, the 16-byte tag appended.
 */

static int
wr_srtp_rtp_gcm(wr_srtp_t *s, uint8_t *buf, size_t hlen, size_t len,
    uint64_t index)
{
    int       n;
    size_t    i;
    uint8_t   iv[12];

    memset(iv, 0, sizeof(iv));
    memcpy(iv + 2, buf + 8, 4);

    for (i = 0; i < 6; i++) {
        iv[6 + i] = (uint8_t) (index >> (40 - 8 * i));
    }

    for (i = 0; i < sizeof(iv); i++) {
        iv[i] ^= s->rtp.salt[i];
    }

    if (EVP_EncryptInit_ex(s->rtp.cipher, NULL, NULL, NULL, iv) != 1
        || EVP_EncryptUpdate(s->rtp.cipher, NULL, &n, buf, (int) hlen) != 1
        || (len > hlen
            && EVP_EncryptUpdate(s->rtp.cipher, buf + hlen, &n, buf + hlen,
                                 (int) (len - hlen))
               != 1)
        || EVP_EncryptFinal_ex(s->rtp.cipher, buf + len, &n) != 1
        || EVP_CIPHER_CTX_ctrl(s->rtp.cipher, EVP_CTRL_GCM_GET_TAG,
                               (int) s->rtp_tag, buf + len)
           != 1)
    {
        return -1;
    }

    return 0;
}


/*
 * The session keys of one direction's SRTP or SRTCP, from the master key
 * and the three labels (RFC 3711 4.3), ready for use per packet.
 */

static int
wr_srtp_ctx_init(wr_srtp_t *s, wr_srtp_ctx_t *ctx, unsigned label)
{
    int                rc;
    size_t             i, salt_len;
    uint8_t            enc[WR_SRTP_KEY_LEN], auth[WR_SRTCP_AUTH_KEY_LEN];
    uint8_t            pad[SHA_CBLOCK];
    const uint8_t     *master_salt;
    const EVP_CIPHER  *cipher;

    salt_len = s->master_len - WR_SRTP_KEY_LEN;
    master_salt = s->master + WR_SRTP_KEY_LEN;

    rc = -1;

    /* label: encryption key; label + 1: authentication; label + 2: salt */

    if (wr_srtp_kdf(s->master, master_salt, salt_len, label, enc,
                    sizeof(enc)) != 0
        || wr_srtp_kdf(s->master, master_salt, salt_len, label + 2,
                       ctx->salt, salt_len)
           != 0)
    {
        goto done;
    }

    cipher = (s->profile == WR_SRTP_AEAD_AES_128_GCM) ? EVP_aes_128_gcm()
                                                      : EVP_aes_128_ctr();

    ctx->cipher = EVP_CIPHER_CTX_new();

    if (ctx->cipher == NULL
        || EVP_EncryptInit_ex(ctx->cipher, cipher, NULL, enc, NULL) != 1)
    {
        goto done;
    }

    if (s->profile == WR_SRTP_AES128_CM_SHA1_80) {

        /* HMAC's inner and outer states after the key block, kept */

        if (wr_srtp_kdf(s->master, master_salt, salt_len, label + 1, auth,
                        sizeof(auth))
            != 0)
        {
            goto done;
        }

        memset(pad, 0x36, sizeof(pad));
        for (i = 0; i < sizeof(auth); i++) {
            pad[i] ^= auth[i];
        }

        SHA1_Init(&ctx->inner);
        SHA1_Update(&ctx->inner, pad, sizeof(pad));

        memset(pad, 0x5c, sizeof(pad));
        for (i = 0; i < sizeof(auth); i++) {
            pad[i] ^= auth[i];
        }

        SHA1_Init(&ctx->outer);
        SHA1_Update(&ctx->outer, pad, sizeof(pad));
    }

    rc = 0;

done:

    OPENSSL_cleanse(enc, sizeof(enc));
    OPENSSL_cleanse(auth, sizeof(auth));
    OPENSSL_cleanse(pad, sizeof(pad));

    return rc;
}


static void
wr_srtp_ctx_free(wr_srtp_ctx_t *ctx)
{
    EVP_CIPHER_CTX_free(ctx->cipher);
}


/*
 * The AES-CM PRF of RFC 3711 4.3.3 with a key derivation rate of 0: the
 * keystream for the IV (salt XOR label << 48) << 16.  The 96-bit GCM salt
 * is padded with zeros to 112 bits (RFC 7714 11).
 */

static int
wr_srtp_kdf(const uint8_t *key, const uint8_t *salt, size_t salt_len,
    unsigned label, uint8_t *out, size_t len)
{
    int              n, rc;
    uint8_t          iv[16], zero[32];
    EVP_CIPHER_CTX  *ctx;

    if (len > sizeof(zero)) {
        return -1;
    }

    memset(iv, 0, sizeof(iv));
    memcpy(iv, salt, salt_len);
    iv[7] ^= (uint8_t) label;

    memset(zero, 0, sizeof(zero));

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    rc = (EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key, iv) == 1
          && EVP_EncryptUpdate(ctx, out, &n, zero, (int) len) == 1
          && n == (int) len)
         ? 0 : -1;

    EVP_CIPHER_CTX_free(ctx);

    return rc;
}


/*
 * RFC 3711 3.4: the part after the first 8 bytes is encrypted with the
 * IV (salt << 16) ^ (SSRC << 64) ^ (index << 16), then E flag + index,
 * then HMAC-SHA1 of it all, 80 bits.
 */

static int
wr_srtp_rtcp_cm(wr_srtp_t *s, uint8_t *buf, size_t len, uint32_t index)
{
    int       n;
    size_t    i;
    SHA_CTX   sha;
    uint8_t   iv[16], inner[SHA_DIGEST_LENGTH], mac[SHA_DIGEST_LENGTH];
    uint32_t  word;

    memset(iv, 0, sizeof(iv));
    memcpy(iv, s->rtcp.salt, 14);

    for (i = 0; i < 4; i++) {
        iv[4 + i] ^= buf[4 + i];
        iv[10 + i] ^= (uint8_t) (index >> (24 - 8 * i));
    }

    if (EVP_EncryptInit_ex(s->rtcp.cipher, NULL, NULL, NULL, iv) != 1
        || EVP_EncryptUpdate(s->rtcp.cipher, buf + WR_SRTP_RTCP_HEADER, &n,
                             buf + WR_SRTP_RTCP_HEADER,
                             (int) (len - WR_SRTP_RTCP_HEADER))
           != 1)
    {
        return -1;
    }

    word = htonl(WR_SRTCP_E | index);
    memcpy(buf + len, &word, WR_SRTCP_WORD);

    sha = s->rtcp.inner;
    SHA1_Update(&sha, buf, len + WR_SRTCP_WORD);
    SHA1_Final(inner, &sha);

    sha = s->rtcp.outer;
    SHA1_Update(&sha, inner, sizeof(inner));
    SHA1_Final(mac, &sha);

    memcpy(buf + len + WR_SRTCP_WORD, mac, WR_SRTCP_CM_TAG);

    OPENSSL_cleanse(&sha, sizeof(SHA_CTX));

    return 0;
}


/*
 * RFC 7714 9: IV = (0x0000 || SSRC || 0x0000 || index) ^ salt, the
 * first 8 bytes and E flag + index as AAD, the rest encrypted, then the
 * tag, then E flag + index.
 */

static int
wr_srtp_rtcp_gcm(wr_srtp_t *s, uint8_t *buf, size_t len, uint32_t index)
{
    int       n;
    size_t    i;
    uint8_t   iv[12];
    uint32_t  word;

    memset(iv, 0, sizeof(iv));
    memcpy(iv + 2, buf + 4, 4);
    word = htonl(index);
    memcpy(iv + 8, &word, 4);

    for (i = 0; i < sizeof(iv); i++) {
        iv[i] ^= s->rtcp.salt[i];
    }

    word = htonl(WR_SRTCP_E | index);

    if (EVP_EncryptInit_ex(s->rtcp.cipher, NULL, NULL, NULL, iv) != 1
        || EVP_EncryptUpdate(s->rtcp.cipher, NULL, &n, buf,
                             WR_SRTP_RTCP_HEADER) != 1
        || EVP_EncryptUpdate(s->rtcp.cipher, NULL, &n, (uint8_t *) &word,
                             WR_SRTCP_WORD) != 1
        || EVP_EncryptUpdate(s->rtcp.cipher, buf + WR_SRTP_RTCP_HEADER, &n,
                             buf + WR_SRTP_RTCP_HEADER,
                             (int) (len - WR_SRTP_RTCP_HEADER)) != 1
        || EVP_EncryptFinal_ex(s->rtcp.cipher, buf + len, &n) != 1
        || EVP_CIPHER_CTX_ctrl(s->rtcp.cipher, EVP_CTRL_GCM_GET_TAG,
                               WR_SRTCP_GCM_TAG, buf + len) != 1)
    {
        return -1;
    }

    memcpy(buf + len + WR_SRTCP_GCM_TAG, &word, WR_SRTCP_WORD);

    return 0;
}
