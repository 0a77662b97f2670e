/*
 * SRTP and SRTCP without nginx; see wr_srtp.h.
 */

/*
 * HMAC-SHA1 uses the low-level SHA-1 calls, deprecated in OpenSSL 3: an
 * EVP digest allocates on every init, while a SHA_CTX is a plain struct
 * that can be copied from a keyed state per packet.
 */
#define OPENSSL_SUPPRESS_DEPRECATED  1

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "wr_srtp.h"


#define WR_SRTP_WINDOW         1024        /* replay window, indexes */
#define WR_SRTP_STREAMS        8           /* SSRCs room is made for */
#define WR_SRTP_STREAMS_MAX    64          /* SSRCs one session takes */
#define WR_SRTP_RTP_HEADER     12
#define WR_SRTP_RTCP_HEADER    8
#define WR_SRTP_SEQ_MEDIAN     0x8000
#define WR_SRTP_INDEX_MAX      0xffffffffffffULL  /* 48 bits */
#define WR_SRTP_CM_TAG         10          /* HMAC-SHA1-80 */
#define WR_SRTP_GCM_TAG        16
#define WR_SRTP_AUTH_KEY_LEN   20

#define WR_SRTCP_E             0x80000000u /* encrypted flag */
#define WR_SRTCP_INDEX_MAX     0x7fffffffu
#define WR_SRTCP_WORD          4           /* E flag + index */

/* RFC 3711 4.3.2: the first of the three key derivation labels */
#define WR_SRTP_LABEL_RTP      0x00
#define WR_SRTP_LABEL_RTCP     0x03


/*
 * Which indexes were used: the highest, and a bit per index for the
 * WR_SRTP_WINDOW up to it, kept at index % WR_SRTP_WINDOW so that moving
 * on by one index clears one bit instead of shifting the whole map.
 */

typedef struct {
    uint64_t            top;
    unsigned            started;
    uint64_t            bits[WR_SRTP_WINDOW / 64];
} wr_srtp_window_t;


/* one SSRC: its SRTP indexes, and inbound its SRTCP indexes */

typedef struct {
    uint32_t            ssrc;
    wr_srtp_index_t     resume;          /* where a resumed SSRC goes on */
    wr_srtp_window_t    rtp;
    wr_srtp_window_t    rtcp;
} wr_srtp_stream_t;


/* the session keys of SRTP or of SRTCP, derived once */

typedef struct {
    EVP_CIPHER_CTX     *cipher;
    SHA_CTX             inner;           /* HMAC-SHA1 after the key block */
    SHA_CTX             outer;
    uint8_t             salt[WR_SRTP_SALT_MAX];
} wr_srtp_ctx_t;


struct wr_srtp_s {
    int                 direction;
    uint16_t            profile;
    size_t              rtp_tag;
    size_t              rtcp_tag;
    size_t              master_len;

    /* key || salt of the side this session uses */
    uint8_t             master[WR_SRTP_KEY_LEN + WR_SRTP_SALT_MAX];

    wr_srtp_ctx_t       rtp;
    wr_srtp_ctx_t       rtcp;

    wr_srtp_stream_t   *streams;
    unsigned            nstreams;
    unsigned            streams_size;

    uint32_t            rtcp_index;      /* outbound: the next SRTCP index */
};


static int wr_srtp_ctx_init(wr_srtp_t *s, wr_srtp_ctx_t *ctx,
    unsigned label);
static int wr_srtp_kdf(const uint8_t *key, const uint8_t *salt,
    size_t salt_len, unsigned label, uint8_t *out, size_t len);
static wr_srtp_stream_t *wr_srtp_stream_find(wr_srtp_t *s, uint32_t ssrc);
static wr_srtp_stream_t *wr_srtp_stream_add(wr_srtp_t *s, uint32_t ssrc);
static wr_srtp_stream_t *wr_srtp_stream_keep(wr_srtp_t *s,
    wr_srtp_stream_t *st, wr_srtp_stream_t *fresh);
static uint64_t wr_srtp_estimate(const wr_srtp_stream_t *st, uint16_t seq);
static int wr_srtp_window_check(const wr_srtp_window_t *w, uint64_t index);
static void wr_srtp_window_add(wr_srtp_window_t *w, uint64_t index);
static size_t wr_srtp_rtp_header(const uint8_t *buf, size_t len);
static void wr_srtp_iv(const wr_srtp_t *s, const wr_srtp_ctx_t *ctx,
    const uint8_t *ssrc, uint64_t index, uint8_t *iv);
static int wr_srtp_ctr(const wr_srtp_ctx_t *ctx, const uint8_t *iv,
    uint8_t *data, size_t len);
static int wr_srtp_gcm(const wr_srtp_ctx_t *ctx, const uint8_t *iv,
    int enc, const uint8_t *aad, size_t aad_len, const uint8_t *aad2,
    size_t aad2_len, uint8_t *data, size_t len, uint8_t *tag);
static void wr_srtp_hmac(const wr_srtp_ctx_t *ctx, const uint8_t *buf,
    size_t len, const uint8_t *word, uint8_t *mac);
static uint32_t wr_srtp_get32(const uint8_t *p);
static void wr_srtp_put32(uint8_t *p, uint32_t v);


int
wr_srtp_init(void)
{
    /* nothing global: OpenSSL 3 initialises itself */
    return WR_SRTP_OK;
}


wr_srtp_t *
wr_srtp_create(const wr_srtp_keys_t *keys, int direction, int role)
{
    wr_srtp_t      *s;
    const uint8_t  *key, *salt;

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
    s->rtcp_tag = s->rtp_tag;
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

    /* room for the usual SSRCs now: no allocation on a first packet */

    s->streams = calloc(WR_SRTP_STREAMS, sizeof(wr_srtp_stream_t));
    s->streams_size = WR_SRTP_STREAMS;

    if (s->streams == NULL
        || wr_srtp_ctx_init(s, &s->rtp, WR_SRTP_LABEL_RTP) != 0
        || wr_srtp_ctx_init(s, &s->rtcp, WR_SRTP_LABEL_RTCP) != 0)
    {
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

    EVP_CIPHER_CTX_free(s->rtp.cipher);
    EVP_CIPHER_CTX_free(s->rtcp.cipher);
    free(s->streams);

    OPENSSL_cleanse(s, sizeof(wr_srtp_t));
    free(s);
}


int
wr_srtp_add_stream(wr_srtp_t *s, uint32_t ssrc, const wr_srtp_index_t *resume)
{
    wr_srtp_stream_t  *st;

    st = wr_srtp_stream_find(s, ssrc);

    if (st == NULL) {
        st = wr_srtp_stream_add(s, ssrc);
        if (st == NULL) {
            return WR_SRTP_ERROR;
        }
    }

    /* adding it again restarts it */

    memset(st, 0, sizeof(wr_srtp_stream_t));
    st->ssrc = ssrc;

    if (resume != NULL && resume->valid) {
        st->resume = *resume;

        /*
         * The stored index is the top from the start: a packet from far
         * below it (late, or replayed) must not set the estimate back
         * and leave every later packet with the wrong ROC.  The window
         * is empty, so the 1023 indexes below can still be taken once.
         */
        st->rtp.top = (uint64_t) resume->roc << 16 | resume->seq;
        st->rtp.started = 1;
    }

    return WR_SRTP_OK;
}


int
wr_srtp_remove_stream(wr_srtp_t *s, uint32_t ssrc)
{
    wr_srtp_stream_t  *st;

    st = wr_srtp_stream_find(s, ssrc);
    if (st == NULL) {
        return WR_SRTP_NO_STREAM;
    }

    *st = s->streams[--s->nstreams];

    return WR_SRTP_OK;
}


int
wr_srtp_protect_rtp(wr_srtp_t *s, uint8_t *buf, size_t *len, size_t size)
{
    int                rc;
    size_t             hlen;
    uint8_t            iv[16], roc[4];
    uint64_t           index;
    wr_srtp_stream_t  *st;

    if (s->direction != WR_SRTP_OUTBOUND) {
        return WR_SRTP_ERROR;
    }

    if (*len > INT_MAX / 2) {
        return WR_SRTP_BAD_PACKET;
    }

    hlen = wr_srtp_rtp_header(buf, *len);
    if (hlen == 0) {
        return WR_SRTP_BAD_PACKET;
    }

    if (size < *len || size - *len < s->rtp_tag) {
        return WR_SRTP_NO_ROOM;
    }

    st = wr_srtp_stream_find(s, wr_srtp_get32(buf + 8));
    if (st == NULL) {
        return WR_SRTP_NO_STREAM;
    }

    index = wr_srtp_estimate(st, (uint16_t) (buf[2] << 8 | buf[3]));

    if (index > WR_SRTP_INDEX_MAX) {
        /* 2^48 packets: the keys are used up */
        return WR_SRTP_ERROR;
    }

    /* an index is never protected twice: that would repeat keystream */

    if (wr_srtp_window_check(&st->rtp, index) != WR_SRTP_OK) {
        return WR_SRTP_REPLAY;
    }

    wr_srtp_iv(s, &s->rtp, buf + 8, index, iv);

    if (s->profile == WR_SRTP_AEAD_AES_128_GCM) {
        /* RFC 7714 8: the header is the AAD, the tag follows */
        rc = wr_srtp_gcm(&s->rtp, iv, 1, buf, hlen, NULL, 0, buf + hlen,
                         *len - hlen, buf + *len);

    } else {
        /* RFC 3711: encrypt, then HMAC over the packet and the ROC */
        rc = wr_srtp_ctr(&s->rtp, iv, buf + hlen, *len - hlen);
        wr_srtp_put32(roc, (uint32_t) (index >> 16));
        wr_srtp_hmac(&s->rtp, buf, *len, roc, buf + *len);
    }

    if (rc != 0) {
        return WR_SRTP_ERROR;
    }

    wr_srtp_window_add(&st->rtp, index);

    *len += s->rtp_tag;

    return WR_SRTP_OK;
}


int
wr_srtp_unprotect_rtp(wr_srtp_t *s, uint8_t *buf, size_t *len)
{
    int                rc;
    size_t             hlen, n;
    uint8_t            iv[16], roc[4], mac[SHA_DIGEST_LENGTH];
    uint32_t           ssrc;
    uint64_t           index;
    wr_srtp_stream_t  *st, fresh;

    if (s->direction != WR_SRTP_INBOUND) {
        return WR_SRTP_ERROR;
    }

    if (*len > INT_MAX / 2 || *len < WR_SRTP_RTP_HEADER + s->rtp_tag) {
        return WR_SRTP_BAD_PACKET;
    }

    n = *len - s->rtp_tag;

    hlen = wr_srtp_rtp_header(buf, n);
    if (hlen == 0) {
        return WR_SRTP_BAD_PACKET;
    }

    ssrc = wr_srtp_get32(buf + 8);
    st = wr_srtp_stream_find(s, ssrc);

    if (st == NULL) {
        /* a new SSRC is taken only once a packet of it is authentic */
        memset(&fresh, 0, sizeof(wr_srtp_stream_t));
        fresh.ssrc = ssrc;
        st = &fresh;
    }

    /*
     * A resumed SSRC takes its index from the stored one until a packet
     * passes, so a forged packet cannot leave a wrong ROC behind.
     */

    index = wr_srtp_estimate(st, (uint16_t) (buf[2] << 8 | buf[3]));

    if (index > WR_SRTP_INDEX_MAX) {
        return WR_SRTP_REPLAY;
    }

    if (wr_srtp_window_check(&st->rtp, index) != WR_SRTP_OK) {
        return WR_SRTP_REPLAY;
    }

    wr_srtp_iv(s, &s->rtp, buf + 8, index, iv);

    if (s->profile == WR_SRTP_AEAD_AES_128_GCM) {
        if (wr_srtp_gcm(&s->rtp, iv, 0, buf, hlen, NULL, 0, buf + hlen,
                        n - hlen, buf + n)
            != 0)
        {
            return WR_SRTP_AUTH;
        }

    } else {
        wr_srtp_put32(roc, (uint32_t) (index >> 16));
        wr_srtp_hmac(&s->rtp, buf, n, roc, mac);

        if (CRYPTO_memcmp(mac, buf + n, WR_SRTP_CM_TAG) != 0) {
            return WR_SRTP_AUTH;
        }

        rc = wr_srtp_ctr(&s->rtp, iv, buf + hlen, n - hlen);
        if (rc != 0) {
            return WR_SRTP_ERROR;
        }
    }

    st = wr_srtp_stream_keep(s, st, &fresh);
    if (st == NULL) {
        return WR_SRTP_NO_STREAM;
    }

    wr_srtp_window_add(&st->rtp, index);

    *len = n;

    return WR_SRTP_OK;
}


/*
 * SRTCP: the first 8 bytes stay clear, the rest is encrypted; then, for
 * AES-CM (RFC 3711 3.4), E flag + index, then HMAC-SHA1-80 over it all;
 * for GCM (RFC 7714 9), the tag, then E flag + index, the first 8 bytes
 * and E flag + index as AAD.
 */

int
wr_srtp_protect_rtcp(wr_srtp_t *s, uint8_t *buf, size_t *len, size_t size)
{
    int       rc;
    size_t    n;
    uint8_t   iv[16], word[WR_SRTCP_WORD];
    uint32_t  index;

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

    n = *len;
    index = s->rtcp_index;
    wr_srtp_put32(word, WR_SRTCP_E | index);
    wr_srtp_iv(s, &s->rtcp, buf + 4, index, iv);

    if (s->profile == WR_SRTP_AEAD_AES_128_GCM) {
        rc = wr_srtp_gcm(&s->rtcp, iv, 1, buf, WR_SRTP_RTCP_HEADER, word,
                         WR_SRTCP_WORD, buf + WR_SRTP_RTCP_HEADER,
                         n - WR_SRTP_RTCP_HEADER, buf + n);
        memcpy(buf + n + WR_SRTP_GCM_TAG, word, WR_SRTCP_WORD);

    } else {
        rc = wr_srtp_ctr(&s->rtcp, iv, buf + WR_SRTP_RTCP_HEADER,
                         n - WR_SRTP_RTCP_HEADER);
        memcpy(buf + n, word, WR_SRTCP_WORD);
        wr_srtp_hmac(&s->rtcp, buf, n + WR_SRTCP_WORD, NULL,
                     buf + n + WR_SRTCP_WORD);
    }

    if (rc != 0) {
        return WR_SRTP_ERROR;
    }

    s->rtcp_index++;
    *len = n + s->rtcp_tag + WR_SRTCP_WORD;

    return WR_SRTP_OK;
}


int
wr_srtp_unprotect_rtcp(wr_srtp_t *s, uint8_t *buf, size_t *len)
{
    size_t             n, clear;
    uint8_t            iv[16], mac[SHA_DIGEST_LENGTH];
    uint8_t           *word;
    uint32_t           ssrc, index;
    wr_srtp_stream_t  *st, fresh;

    if (s->direction != WR_SRTP_INBOUND) {
        return WR_SRTP_ERROR;
    }

    if (*len < WR_SRTP_RTCP_HEADER + WR_SRTCP_WORD + s->rtcp_tag
        || (buf[0] >> 6) != 2 || *len > INT_MAX / 2)
    {
        return WR_SRTP_BAD_PACKET;
    }

    n = *len - WR_SRTCP_WORD - s->rtcp_tag;

    if (s->profile == WR_SRTP_AEAD_AES_128_GCM) {
        word = buf + n + WR_SRTP_GCM_TAG;

    } else {
        word = buf + n;
    }

    index = wr_srtp_get32(word) & WR_SRTCP_INDEX_MAX;
    ssrc = wr_srtp_get32(buf + 4);

    st = wr_srtp_stream_find(s, ssrc);

    if (st == NULL) {
        memset(&fresh, 0, sizeof(wr_srtp_stream_t));
        fresh.ssrc = ssrc;
        st = &fresh;
    }

    if (wr_srtp_window_check(&st->rtcp, index) != WR_SRTP_OK) {
        return WR_SRTP_REPLAY;
    }

    /* without the E flag the payload is clear, and authenticated only */
    clear = (wr_srtp_get32(word) & WR_SRTCP_E) ? WR_SRTP_RTCP_HEADER : n;

    wr_srtp_iv(s, &s->rtcp, buf + 4, index, iv);

    if (s->profile == WR_SRTP_AEAD_AES_128_GCM) {
        if (wr_srtp_gcm(&s->rtcp, iv, 0, buf, clear, word, WR_SRTCP_WORD,
                        buf + clear, n - clear, buf + n)
            != 0)
        {
            return WR_SRTP_AUTH;
        }

    } else {
        wr_srtp_hmac(&s->rtcp, buf, n + WR_SRTCP_WORD, NULL, mac);

        if (CRYPTO_memcmp(mac, buf + n + WR_SRTCP_WORD, WR_SRTP_CM_TAG)
            != 0)
        {
            return WR_SRTP_AUTH;
        }

        if (wr_srtp_ctr(&s->rtcp, iv, buf + clear, n - clear) != 0) {
            return WR_SRTP_ERROR;
        }
    }

    st = wr_srtp_stream_keep(s, st, &fresh);
    if (st == NULL) {
        return WR_SRTP_NO_STREAM;
    }

    wr_srtp_window_add(&st->rtcp, index);

    *len = n;

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
 * RFC 3711 3.3.1, as libsrtp does it: ROC 0 while the index is at most
 * 2^15, then the ROC that puts seq nearest the highest index.
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
        return WR_SRTP_CM_TAG;

    case WR_SRTP_AEAD_AES_128_GCM:
        return WR_SRTP_GCM_TAG;

    default:
        return 0;
    }
}


/* SSRCs */

static wr_srtp_stream_t *
wr_srtp_stream_find(wr_srtp_t *s, uint32_t ssrc)
{
    unsigned  i;

    /* a handful per PeerConnection: a scan is cheaper than anything else */

    for (i = 0; i < s->nstreams; i++) {
        if (s->streams[i].ssrc == ssrc) {
            return &s->streams[i];
        }
    }

    return NULL;
}


static wr_srtp_stream_t *
wr_srtp_stream_add(wr_srtp_t *s, uint32_t ssrc)
{
    wr_srtp_stream_t  *st;

    if (s->nstreams == s->streams_size) {
        if (s->streams_size >= WR_SRTP_STREAMS_MAX) {
            return NULL;
        }

        st = realloc(s->streams,
                     2 * s->streams_size * sizeof(wr_srtp_stream_t));
        if (st == NULL) {
            return NULL;
        }

        s->streams = st;
        s->streams_size *= 2;
    }

    st = &s->streams[s->nstreams++];
    memset(st, 0, sizeof(wr_srtp_stream_t));
    st->ssrc = ssrc;

    return st;
}


/* an authentic packet of a new SSRC: the state it was checked with kept */

static wr_srtp_stream_t *
wr_srtp_stream_keep(wr_srtp_t *s, wr_srtp_stream_t *st,
    wr_srtp_stream_t *fresh)
{
    if (st != fresh) {
        return st;
    }

    st = wr_srtp_stream_add(s, fresh->ssrc);
    if (st != NULL) {
        *st = *fresh;
    }

    return st;
}


/*
 * The index of an RTP packet: estimated from the highest index used, or
 * for the first packet of a resumed SSRC from the stored one, or ROC 0
 * for the first packet of a new SSRC.
 */

static uint64_t
wr_srtp_estimate(const wr_srtp_stream_t *st, uint16_t seq)
{
    wr_srtp_index_t  ix;

    if (st->rtp.started) {
        ix.roc = (uint32_t) (st->rtp.top >> 16);
        ix.seq = (uint16_t) st->rtp.top;
        ix.valid = 1;

        return wr_srtp_index_guess(&ix, seq);
    }

    return wr_srtp_index_guess(&st->resume, seq);
}


static int
wr_srtp_window_check(const wr_srtp_window_t *w, uint64_t index)
{
    uint64_t  bit;

    if (!w->started || index > w->top) {
        return WR_SRTP_OK;
    }

    if (w->top - index >= WR_SRTP_WINDOW) {
        return WR_SRTP_REPLAY;
    }

    bit = index % WR_SRTP_WINDOW;

    return ((w->bits[bit / 64] >> (bit % 64)) & 1) ? WR_SRTP_REPLAY
                                                    : WR_SRTP_OK;
}


static void
wr_srtp_window_add(wr_srtp_window_t *w, uint64_t index)
{
    uint64_t  i, bit;

    if (!w->started
        || (index > w->top && index - w->top >= WR_SRTP_WINDOW))
    {
        memset(w->bits, 0, sizeof(w->bits));
        w->top = index;
        w->started = 1;

    } else if (index > w->top) {
        /* the slots of the indexes passed over held old ones: clear */

        for (i = w->top + 1; i < index; i++) {
            bit = i % WR_SRTP_WINDOW;
            w->bits[bit / 64] &= ~((uint64_t) 1 << (bit % 64));
        }

        w->top = index;
    }

    bit = index % WR_SRTP_WINDOW;
    w->bits[bit / 64] |= (uint64_t) 1 << (bit % 64);
}


/* the length of an RTP header with CSRCs and extension; 0: not RTP */

static size_t
wr_srtp_rtp_header(const uint8_t *buf, size_t len)
{
    size_t  hlen;

    if (len < WR_SRTP_RTP_HEADER || (buf[0] >> 6) != 2) {
        return 0;
    }

    hlen = WR_SRTP_RTP_HEADER + 4 * (size_t) (buf[0] & 0x0f);

    if (buf[0] & 0x10) {
        if (hlen + 4 > len) {
            return 0;
        }

        hlen += 4 + 4 * (size_t) (buf[hlen + 2] << 8 | buf[hlen + 3]);
    }

    return hlen <= len ? hlen : 0;
}


/*
 * The IV of a packet, from the session salt, the SSRC and the 48-bit
 * index (SRTCP: the 31-bit index).  AES-CM (RFC 3711 4.1.1): (salt <<
 * 16) ^ (SSRC << 64) ^ (index << 16).  GCM (RFC 7714 8.1, 9.1):
 * (0x0000 || SSRC || index as 48 bits) ^ salt.
 */

static void
wr_srtp_iv(const wr_srtp_t *s, const wr_srtp_ctx_t *ctx, const uint8_t *ssrc,
    uint64_t index, uint8_t *iv)
{
    size_t  i, at;

    memset(iv, 0, 16);

    at = (s->profile == WR_SRTP_AEAD_AES_128_GCM) ? 2 : 4;

    memcpy(iv + at, ssrc, 4);

    for (i = 0; i < 6; i++) {
        iv[at + 4 + i] = (uint8_t) (index >> (40 - 8 * i));
    }

    for (i = 0; i < s->master_len - WR_SRTP_KEY_LEN; i++) {
        iv[i] ^= ctx->salt[i];
    }
}


static int
wr_srtp_ctr(const wr_srtp_ctx_t *ctx, const uint8_t *iv, uint8_t *data,
    size_t len)
{
    int  n;

    if (len == 0) {
        return 0;
    }

    return (EVP_CipherInit_ex(ctx->cipher, NULL, NULL, NULL, iv, 1) == 1
            && EVP_CipherUpdate(ctx->cipher, data, &n, data, (int) len) == 1)
           ? 0 : -1;
}


/* AES-GCM in place; on decryption -1 also means a tag that did not match */

static int
wr_srtp_gcm(const wr_srtp_ctx_t *ctx, const uint8_t *iv, int enc,
    const uint8_t *aad, size_t aad_len, const uint8_t *aad2, size_t aad2_len,
    uint8_t *data, size_t len, uint8_t *tag)
{
    int              n;
    EVP_CIPHER_CTX  *c;

    c = ctx->cipher;

    if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, enc) != 1
        || EVP_CipherUpdate(c, NULL, &n, aad, (int) aad_len) != 1
        || (aad2_len
            && EVP_CipherUpdate(c, NULL, &n, aad2, (int) aad2_len) != 1)
        || (len && EVP_CipherUpdate(c, data, &n, data, (int) len) != 1))
    {
        return -1;
    }

    if (enc) {
        return (EVP_CipherFinal_ex(c, data + len, &n) == 1
                && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
                                       WR_SRTP_GCM_TAG, tag) == 1)
               ? 0 : -1;
    }

    return (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, WR_SRTP_GCM_TAG,
                                tag) == 1
            && EVP_CipherFinal_ex(c, data + len, &n) == 1)
           ? 0 : -1;
}


/* HMAC-SHA1 of buf, then of word if any, from the kept keyed states */

static void
wr_srtp_hmac(const wr_srtp_ctx_t *ctx, const uint8_t *buf, size_t len,
    const uint8_t *word, uint8_t *mac)
{
    SHA_CTX  sha;
    uint8_t  inner[SHA_DIGEST_LENGTH], full[SHA_DIGEST_LENGTH];

    sha = ctx->inner;
    SHA1_Update(&sha, buf, len);

    if (word != NULL) {
        SHA1_Update(&sha, word, 4);
    }

    SHA1_Final(inner, &sha);

    sha = ctx->outer;
    SHA1_Update(&sha, inner, sizeof(inner));
    SHA1_Final(full, &sha);

    memcpy(mac, full, WR_SRTP_CM_TAG);

    OPENSSL_cleanse(&sha, sizeof(SHA_CTX));
}


static uint32_t
wr_srtp_get32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static void
wr_srtp_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;
}


/*
 * The session keys of SRTP (label 0) or SRTCP (label 3) from the master
 * key (RFC 3711 4.3): label: encryption key, label + 1: authentication
 * key, label + 2: salt.  The cipher context is keyed once here; each
 * packet only sets its IV.
 */

static int
wr_srtp_ctx_init(wr_srtp_t *s, wr_srtp_ctx_t *ctx, unsigned label)
{
    int                rc;
    size_t             i, salt_len;
    uint8_t            enc[WR_SRTP_KEY_LEN], auth[WR_SRTP_AUTH_KEY_LEN];
    uint8_t            pad[SHA_CBLOCK];
    const uint8_t     *master_salt;
    const EVP_CIPHER  *cipher;

    salt_len = s->master_len - WR_SRTP_KEY_LEN;
    master_salt = s->master + WR_SRTP_KEY_LEN;

    memset(auth, 0, sizeof(auth));
    memset(pad, 0, sizeof(pad));

    rc = -1;

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
        || EVP_CipherInit_ex(ctx->cipher, cipher, NULL, enc, NULL,
                             s->direction == WR_SRTP_OUTBOUND)
           != 1)
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
