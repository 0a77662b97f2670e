/*
 * RTP headers and header extensions without nginx; see wr_rtp.h.
 */

#include "wr_rtp.h"


#define WR_RTP_PROFILE_ONE_BYTE  0xbede
#define WR_RTP_PROFILE_TWO_BYTE  0x1000      /* the low 4 bits are free */

#define wr_rtp_get16(p)  ((uint16_t) (((p)[0] << 8) | (p)[1]))
#define wr_rtp_get32(p)                                                       \
    (((uint32_t) (p)[0] << 24) | ((uint32_t) (p)[1] << 16)                    \
     | ((uint32_t) (p)[2] << 8) | (p)[3])


static int wr_rtp_walk_one_byte(wr_rtp_t *rtp);
static int wr_rtp_walk_two_byte(wr_rtp_t *rtp);
static void wr_rtp_add_elem(wr_rtp_t *rtp, unsigned id, size_t len,
    size_t off);


int
wr_rtp_parse_header(wr_rtp_t *rtp, const uint8_t *p, size_t len)
{
    size_t  off, words;

    if (len < WR_RTP_HEADER_LEN) {
        return WR_RTP_TOO_SHORT;
    }

    if ((p[0] >> 6) != 2) {
        return WR_RTP_BAD_VERSION;
    }

    rtp->data = p;
    rtp->len = len;

    rtp->padding = (p[0] >> 5) & 1;
    rtp->extension = (p[0] >> 4) & 1;
    rtp->csrc_count = p[0] & 0x0f;
    rtp->marker = p[1] >> 7;
    rtp->pt = p[1] & 0x7f;
    rtp->seq = wr_rtp_get16(p + 2);
    rtp->ts = wr_rtp_get32(p + 4);
    rtp->ssrc = wr_rtp_get32(p + 8);
    rtp->csrc = p + WR_RTP_HEADER_LEN;

    rtp->ext_form = WR_RTP_EXT_NONE;
    rtp->ext_profile = 0;
    rtp->ext_off = 0;
    rtp->ext_len = 0;
    rtp->n_elems = 0;
    rtp->elems_dropped = 0;
    rtp->pad_len = 0;

    off = WR_RTP_HEADER_LEN + 4 * rtp->csrc_count;

    if (off > len) {
        return WR_RTP_TOO_SHORT;
    }

    if (rtp->extension) {
        if (len - off < 4) {
            return WR_RTP_TOO_SHORT;
        }

        rtp->ext_profile = wr_rtp_get16(p + off);
        words = wr_rtp_get16(p + off + 2);
        off += 4;

        if (words > (len - off) / 4) {
            return WR_RTP_TOO_SHORT;
        }

        rtp->ext_off = off;
        rtp->ext_len = words * 4;
        off += rtp->ext_len;

        if (rtp->ext_profile == WR_RTP_PROFILE_ONE_BYTE) {
            rtp->ext_form = WR_RTP_EXT_ONE_BYTE;

            if (wr_rtp_walk_one_byte(rtp) != WR_RTP_OK) {
                return WR_RTP_BAD_EXTENSION;
            }

        } else if ((rtp->ext_profile & 0xfff0) == WR_RTP_PROFILE_TWO_BYTE) {
            rtp->ext_form = WR_RTP_EXT_TWO_BYTE;

            if (wr_rtp_walk_two_byte(rtp) != WR_RTP_OK) {
                return WR_RTP_BAD_EXTENSION;
            }

        } else {
            rtp->ext_form = WR_RTP_EXT_OTHER;
        }
    }

    rtp->header_len = off;
    rtp->payload_len = len - off;

    return WR_RTP_OK;
}


int
wr_rtp_parse(wr_rtp_t *rtp, const uint8_t *p, size_t len)
{
    int     rc;
    size_t  pad;

    rc = wr_rtp_parse_header(rtp, p, len);
    if (rc != WR_RTP_OK) {
        return rc;
    }

    if (rtp->padding) {
        /* the count is the last byte and counts itself */
        if (rtp->payload_len == 0) {
            return WR_RTP_BAD_PADDING;
        }

        pad = p[len - 1];

        if (pad == 0 || pad > rtp->payload_len) {
            return WR_RTP_BAD_PADDING;
        }

        rtp->pad_len = pad;
        rtp->payload_len -= pad;
    }

    return WR_RTP_OK;
}


const char *
wr_rtp_strerror(int rc)
{
    switch (rc) {
    case WR_RTP_OK:
        return "ok";
    case WR_RTP_TOO_SHORT:
        return "too_short";
    case WR_RTP_BAD_VERSION:
        return "bad_version";
    case WR_RTP_BAD_PADDING:
        return "bad_padding";
    case WR_RTP_BAD_EXTENSION:
        return "bad_extension";
    default:
        return "unknown";
    }
}


/* RFC 8285 4.2: a byte of id and length - 1, then the value */

static int
wr_rtp_walk_one_byte(wr_rtp_t *rtp)
{
    size_t          i, elen;
    unsigned        id;
    const uint8_t  *b;

    b = rtp->data + rtp->ext_off;

    for (i = 0; i < rtp->ext_len; /* void */) {
        id = b[i] >> 4;

        if (id == 0) {
            /* padding */
            i++;
            continue;
        }

        if (id == 15) {
            /* reserved: stop reading */
            break;
        }

        elen = (b[i] & 0x0f) + 1;

        if (elen > rtp->ext_len - i - 1) {
            return WR_RTP_BAD_EXTENSION;
        }

        wr_rtp_add_elem(rtp, id, elen, rtp->ext_off + i + 1);
        i += 1 + elen;
    }

    return WR_RTP_OK;
}


/* RFC 8285 4.3: a byte of id, a byte of length, then the value */

static int
wr_rtp_walk_two_byte(wr_rtp_t *rtp)
{
    size_t          i, elen;
    unsigned        id;
    const uint8_t  *b;

    b = rtp->data + rtp->ext_off;

    for (i = 0; i < rtp->ext_len; /* void */) {
        id = b[i];

        if (id == 0) {
            i++;
            continue;
        }

        if (rtp->ext_len - i < 2) {
            return WR_RTP_BAD_EXTENSION;
        }

        elen = b[i + 1];

        if (elen > rtp->ext_len - i - 2) {
            return WR_RTP_BAD_EXTENSION;
        }

        wr_rtp_add_elem(rtp, id, elen, rtp->ext_off + i + 2);
        i += 2 + elen;
    }

    return WR_RTP_OK;
}


static void
wr_rtp_add_elem(wr_rtp_t *rtp, unsigned id, size_t len, size_t off)
{
    wr_rtp_elem_t  *e;

    if (rtp->n_elems == WR_RTP_EXT_MAX) {
        rtp->elems_dropped++;
        return;
    }

    e = &rtp->elems[rtp->n_elems++];
    e->id = (uint8_t) id;
    e->len = (uint8_t) len;
    e->off = (uint32_t) off;
}


const uint8_t *
wr_rtp_ext_find(const wr_rtp_t *rtp, unsigned id, size_t *len)
{
    unsigned  i;

    for (i = 0; i < rtp->n_elems; i++) {
        if (rtp->elems[i].id == id) {
            *len = rtp->elems[i].len;
            return rtp->data + rtp->elems[i].off;
        }
    }

    return NULL;
}


int
wr_rtp_ext_mid(const wr_rtp_t *rtp, unsigned id, const uint8_t **mid,
    size_t *len)
{
    size_t          n;
    const uint8_t  *v;

    v = wr_rtp_ext_find(rtp, id, &n);
    if (v == NULL) {
        return 0;
    }

    if (n == 0) {
        return -1;
    }

    *mid = v;
    *len = n;

    return 1;
}


int
wr_rtp_ext_audio_level(const wr_rtp_t *rtp, unsigned id, unsigned *level,
    unsigned *voice)
{
    size_t          n;
    const uint8_t  *v;

    v = wr_rtp_ext_find(rtp, id, &n);
    if (v == NULL) {
        return 0;
    }

    /* one byte; some senders pad the two-byte form */
    if (n == 0) {
        return -1;
    }

    *voice = v[0] >> 7;
    *level = v[0] & 0x7f;

    return 1;
}


int
wr_rtp_ext_abs_send_time(const wr_rtp_t *rtp, unsigned id, uint32_t *t)
{
    size_t          n;
    const uint8_t  *v;

    v = wr_rtp_ext_find(rtp, id, &n);
    if (v == NULL) {
        return 0;
    }

    if (n != 3) {
        return -1;
    }

    *t = ((uint32_t) v[0] << 16) | ((uint32_t) v[1] << 8) | v[2];

    return 1;
}


int
wr_rtp_ext_twcc(const wr_rtp_t *rtp, unsigned id, uint16_t *seq)
{
    size_t          n;
    const uint8_t  *v;

    v = wr_rtp_ext_find(rtp, id, &n);
    if (v == NULL) {
        return 0;
    }

    /* version 2 may add two bytes of feedback request */
    if (n != 2 && n != 4) {
        return -1;
    }

    *seq = wr_rtp_get16(v);

    return 1;
}


int
wr_rtp_ext_dd(const wr_rtp_t *rtp, unsigned id, const uint8_t **dd,
    size_t *len)
{
    size_t          n;
    const uint8_t  *v;

    v = wr_rtp_ext_find(rtp, id, &n);
    if (v == NULL) {
        return 0;
    }

    /* the mandatory fields take 3 bytes */
    if (n < 3) {
        return -1;
    }

    *dd = v;
    *len = n;

    return 1;
}


void
wr_rtp_set_ssrc(uint8_t *pkt, uint32_t ssrc)
{
    pkt[8] = (uint8_t) (ssrc >> 24);
    pkt[9] = (uint8_t) (ssrc >> 16);
    pkt[10] = (uint8_t) (ssrc >> 8);
    pkt[11] = (uint8_t) ssrc;
}


void
wr_rtp_set_seq(uint8_t *pkt, uint16_t seq)
{
    pkt[2] = (uint8_t) (seq >> 8);
    pkt[3] = (uint8_t) seq;
}


void
wr_rtp_set_ts(uint8_t *pkt, uint32_t ts)
{
    pkt[4] = (uint8_t) (ts >> 24);
    pkt[5] = (uint8_t) (ts >> 16);
    pkt[6] = (uint8_t) (ts >> 8);
    pkt[7] = (uint8_t) ts;
}


void
wr_rtp_set_pt(uint8_t *pkt, unsigned pt)
{
    pkt[1] = (uint8_t) ((pkt[1] & 0x80) | (pt & 0x7f));
}


void
wr_rtp_rewrite(uint8_t *pkt, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
    wr_rtp_set_seq(pkt, seq);
    wr_rtp_set_ts(pkt, ts);
    wr_rtp_set_ssrc(pkt, ssrc);
}


int
wr_rtp_ext_set_twcc(uint8_t *pkt, const wr_rtp_t *rtp, unsigned id,
    uint16_t seq)
{
    unsigned  i;

    for (i = 0; i < rtp->n_elems; i++) {
        if (rtp->elems[i].id == id) {
            if (rtp->elems[i].len != 2 && rtp->elems[i].len != 4) {
                return -1;
            }

            pkt[rtp->elems[i].off] = (uint8_t) (seq >> 8);
            pkt[rtp->elems[i].off + 1] = (uint8_t) seq;

            return 0;
        }
    }

    return -1;
}
