/*
 * RTCP without nginx, and the demultiplexing of a muxed port; see
 * wr_rtcp.h.
 */

#include <string.h>

#include "wr_rtcp.h"


#define wr_rtcp_get16(p)  ((uint16_t) (((p)[0] << 8) | (p)[1]))
#define wr_rtcp_get32(p)                                                      \
    (((uint32_t) (p)[0] << 24) | ((uint32_t) (p)[1] << 16)                    \
     | ((uint32_t) (p)[2] << 8) | (p)[3])


static int wr_rtcp_fail(wr_rtcp_iter_t *it, int error);
static uint8_t *wr_rtcp_put_header(uint8_t *p, unsigned count, unsigned pt,
    size_t len);
static uint8_t *wr_rtcp_put32(uint8_t *p, uint32_t v);
static uint8_t *wr_rtcp_put_block(uint8_t *p, const wr_rtcp_block_t *b);


int
wr_demux(const uint8_t *p, size_t len)
{
    if (len == 0) {
        return WR_DEMUX_UNKNOWN;
    }

    if (p[0] <= 3) {
        return len >= 20 ? WR_DEMUX_STUN : WR_DEMUX_UNKNOWN;
    }

    if (p[0] >= 20 && p[0] <= 63) {
        return len >= 13 ? WR_DEMUX_DTLS : WR_DEMUX_UNKNOWN;
    }

    if (p[0] >= 128 && p[0] <= 191 && len >= 8) {
        if (p[1] >= 192 && p[1] <= 223) {
            return WR_DEMUX_RTCP;
        }

        return len >= 12 ? WR_DEMUX_RTP : WR_DEMUX_UNKNOWN;
    }

    /* ZRTP, TURN channels, QUIC and the rest */
    return WR_DEMUX_UNKNOWN;
}


void
wr_rtcp_iter_init(wr_rtcp_iter_t *it, const uint8_t *p, size_t len)
{
    it->data = p;
    it->len = len;
    it->off = 0;
    it->error = 0;
}


int
wr_rtcp_next(wr_rtcp_iter_t *it, wr_rtcp_pkt_t *pkt)
{
    size_t          left, plen, pad;
    const uint8_t  *p;

    if (it->error) {
        return it->error;
    }

    if (it->off == it->len) {
        return 0;
    }

    left = it->len - it->off;
    p = it->data + it->off;

    if (left < 4) {
        return wr_rtcp_fail(it, WR_RTCP_TOO_SHORT);
    }

    if ((p[0] >> 6) != 2) {
        return wr_rtcp_fail(it, WR_RTCP_BAD_VERSION);
    }

    plen = ((size_t) wr_rtcp_get16(p + 2) + 1) * 4;

    if (plen > left) {
        return wr_rtcp_fail(it, WR_RTCP_BAD_LENGTH);
    }

    pkt->pt = p[1];
    pkt->count = p[0] & 0x1f;
    pkt->padding = (p[0] >> 5) & 1;
    pkt->data = p;
    pkt->len = plen;
    pkt->body = p + 4;
    pkt->body_len = plen - 4;

    if (pkt->padding) {
        /* only the last packet of a compound may be padded */
        if (plen != left || pkt->body_len == 0) {
            return wr_rtcp_fail(it, WR_RTCP_BAD_PADDING);
        }

        pad = p[plen - 1];

        if (pad == 0 || pad > pkt->body_len) {
            return wr_rtcp_fail(it, WR_RTCP_BAD_PADDING);
        }

        pkt->body_len -= pad;
    }

    it->off += plen;

    return 1;
}


static int
wr_rtcp_fail(wr_rtcp_iter_t *it, int error)
{
    it->error = error;
    return error;
}


int
wr_rtcp_validate(const uint8_t *p, size_t len)
{
    int             rc, n;
    wr_rtcp_pkt_t   pkt;
    wr_rtcp_iter_t  it;

    if (len == 0) {
        return WR_RTCP_TOO_SHORT;
    }

    wr_rtcp_iter_init(&it, p, len);
    n = 0;

    while ((rc = wr_rtcp_next(&it, &pkt)) == 1) {
        n++;
    }

    return rc < 0 ? rc : n;
}


const char *
wr_rtcp_strerror(int rc)
{
    switch (rc) {
    case WR_RTCP_TOO_SHORT:
        return "too_short";
    case WR_RTCP_BAD_VERSION:
        return "bad_version";
    case WR_RTCP_BAD_LENGTH:
        return "bad_length";
    case WR_RTCP_BAD_PADDING:
        return "bad_padding";
    case WR_RTCP_BAD_PACKET:
        return "bad_packet";
    case WR_RTCP_WRONG_TYPE:
        return "wrong_type";
    default:
        return rc >= 0 ? "ok" : "unknown";
    }
}


int
wr_rtcp_sr(const wr_rtcp_pkt_t *pkt, wr_rtcp_report_t *sr)
{
    const uint8_t  *b;

    if (pkt->pt != WR_RTCP_SR) {
        return WR_RTCP_WRONG_TYPE;
    }

    if (pkt->body_len < 24 + (size_t) pkt->count * WR_RTCP_BLOCK_LEN) {
        return WR_RTCP_BAD_PACKET;
    }

    b = pkt->body;

    sr->ssrc = wr_rtcp_get32(b);
    sr->ntp = ((uint64_t) wr_rtcp_get32(b + 4) << 32) | wr_rtcp_get32(b + 8);
    sr->rtp_ts = wr_rtcp_get32(b + 12);
    sr->packet_count = wr_rtcp_get32(b + 16);
    sr->octet_count = wr_rtcp_get32(b + 20);
    sr->n_blocks = pkt->count;
    sr->blocks = b + 24;

    return 0;
}


int
wr_rtcp_rr(const wr_rtcp_pkt_t *pkt, wr_rtcp_report_t *rr)
{
    if (pkt->pt != WR_RTCP_RR) {
        return WR_RTCP_WRONG_TYPE;
    }

    if (pkt->body_len < 4 + (size_t) pkt->count * WR_RTCP_BLOCK_LEN) {
        return WR_RTCP_BAD_PACKET;
    }

    memset(rr, 0, sizeof(wr_rtcp_report_t));
    rr->ssrc = wr_rtcp_get32(pkt->body);
    rr->n_blocks = pkt->count;
    rr->blocks = pkt->body + 4;

    return 0;
}


/* i < r->n_blocks */

void
wr_rtcp_block(const wr_rtcp_report_t *r, unsigned i, wr_rtcp_block_t *b)
{
    uint32_t        lost;
    const uint8_t  *p;

    p = r->blocks + (size_t) i * WR_RTCP_BLOCK_LEN;

    b->ssrc = wr_rtcp_get32(p);
    b->fraction_lost = p[4];

    /* 24-bit two's complement */
    lost = ((uint32_t) p[5] << 16) | ((uint32_t) p[6] << 8) | p[7];
    b->cumulative_lost = (lost & 0x800000) ? (int32_t) lost - 0x1000000
                                           : (int32_t) lost;

    b->highest_seq = wr_rtcp_get32(p + 8);
    b->jitter = wr_rtcp_get32(p + 12);
    b->lsr = wr_rtcp_get32(p + 16);
    b->dlsr = wr_rtcp_get32(p + 20);
}


int
wr_rtcp_fb(const wr_rtcp_pkt_t *pkt, wr_rtcp_fb_t *fb)
{
    if (pkt->pt != WR_RTCP_RTPFB && pkt->pt != WR_RTCP_PSFB) {
        return WR_RTCP_WRONG_TYPE;
    }

    if (pkt->body_len < 8) {
        return WR_RTCP_BAD_PACKET;
    }

    fb->pt = pkt->pt;
    fb->fmt = pkt->count;
    fb->sender_ssrc = wr_rtcp_get32(pkt->body);
    fb->media_ssrc = wr_rtcp_get32(pkt->body + 4);
    fb->fci = pkt->body + 8;
    fb->fci_len = pkt->body_len - 8;

    return 0;
}


int
wr_rtcp_nack(const wr_rtcp_fb_t *fb, uint16_t *seqs, size_t max, size_t *n)
{
    size_t          i, entries, k;
    unsigned        bit, pid, blp;
    const uint8_t  *e;

    *n = 0;

    if (fb->pt != WR_RTCP_RTPFB || fb->fmt != WR_RTCP_NACK) {
        return WR_RTCP_WRONG_TYPE;
    }

    entries = fb->fci_len / 4;

    if (entries == 0) {
        return WR_RTCP_BAD_PACKET;
    }

    k = 0;

    for (i = 0; i < entries; i++) {
        e = fb->fci + 4 * i;
        pid = wr_rtcp_get16(e);
        blp = wr_rtcp_get16(e + 2);

        if (k == max) {
            *n = k;
            return 1;
        }

        seqs[k++] = (uint16_t) pid;

        for (bit = 0; bit < 16; bit++) {
            if (!(blp & (1u << bit))) {
                continue;
            }

            if (k == max) {
                *n = k;
                return 1;
            }

            seqs[k++] = (uint16_t) (pid + bit + 1);
        }
    }

    *n = k;

    return 0;
}


unsigned
wr_rtcp_fir_count(const wr_rtcp_fb_t *fb)
{
    if (fb->pt != WR_RTCP_PSFB || fb->fmt != WR_RTCP_FIR) {
        return 0;
    }

    return (unsigned) (fb->fci_len / 8);
}


/* i < wr_rtcp_fir_count() */

void
wr_rtcp_fir_entry(const wr_rtcp_fb_t *fb, unsigned i, uint32_t *ssrc,
    unsigned *seq)
{
    const uint8_t  *e;

    e = fb->fci + (size_t) i * 8;
    *ssrc = wr_rtcp_get32(e);
    *seq = e[4];
}


/*
 * draft-alvestrand-rmcat-remb: "REMB", the SSRC count, a 6-bit exponent
 * and an 18-bit mantissa, then the SSRCs.
 */

int
wr_rtcp_remb(const wr_rtcp_fb_t *fb, wr_rtcp_remb_t *remb)
{
    unsigned        exp;
    uint64_t        mantissa;
    const uint8_t  *f;

    if (fb->pt != WR_RTCP_PSFB || fb->fmt != WR_RTCP_AFB) {
        return WR_RTCP_WRONG_TYPE;
    }

    if (fb->fci_len < 8) {
        return WR_RTCP_BAD_PACKET;
    }

    f = fb->fci;

    if (memcmp(f, "REMB", 4) != 0) {
        return WR_RTCP_WRONG_TYPE;
    }

    remb->n_ssrcs = f[4];

    if (fb->fci_len - 8 < (size_t) remb->n_ssrcs * 4) {
        return WR_RTCP_BAD_PACKET;
    }

    exp = f[5] >> 2;
    mantissa = ((uint64_t) (f[5] & 3) << 16) | ((uint64_t) f[6] << 8) | f[7];

    remb->bitrate = (mantissa > (UINT64_MAX >> exp)) ? UINT64_MAX
                                                     : mantissa << exp;
    remb->ssrcs = f + 8;

    return 0;
}


/* i < remb->n_ssrcs */

uint32_t
wr_rtcp_remb_ssrc(const wr_rtcp_remb_t *remb, unsigned i)
{
    return wr_rtcp_get32(remb->ssrcs + (size_t) i * 4);
}


/* builders */

size_t
wr_rtcp_build_pli(uint8_t *buf, size_t size, uint32_t sender, uint32_t media)
{
    uint8_t  *p;

    if (size < 12) {
        return 0;
    }

    p = wr_rtcp_put_header(buf, WR_RTCP_PLI, WR_RTCP_PSFB, 12);
    p = wr_rtcp_put32(p, sender);
    wr_rtcp_put32(p, media);

    return 12;
}


/* RFC 5104 4.3.1: the media SSRC of the header is 0, the FCI names it */

size_t
wr_rtcp_build_fir(uint8_t *buf, size_t size, uint32_t sender, uint32_t media,
    unsigned seq)
{
    uint8_t  *p;

    if (size < 20) {
        return 0;
    }

    p = wr_rtcp_put_header(buf, WR_RTCP_FIR, WR_RTCP_PSFB, 20);
    p = wr_rtcp_put32(p, sender);
    p = wr_rtcp_put32(p, 0);
    p = wr_rtcp_put32(p, media);
    wr_rtcp_put32(p, (uint32_t) (seq & 0xff) << 24);

    return 20;
}


size_t
wr_rtcp_build_remb(uint8_t *buf, size_t size, uint32_t sender,
    uint64_t bitrate, const uint32_t *ssrcs, unsigned n)
{
    size_t     len;
    uint8_t   *p;
    unsigned   i, exp;
    uint32_t   mantissa;

    len = 20 + (size_t) n * 4;

    if (n > 255 || size < len) {
        return 0;
    }

    /* the smallest exponent that fits the mantissa into 18 bits */
    for (exp = 0; (bitrate >> exp) > 0x3ffff; exp++) {
        /* void */
    }

    mantissa = (uint32_t) (bitrate >> exp);

    p = wr_rtcp_put_header(buf, WR_RTCP_AFB, WR_RTCP_PSFB, len);
    p = wr_rtcp_put32(p, sender);
    p = wr_rtcp_put32(p, 0);
    memcpy(p, "REMB", 4);
    p += 4;
    p = wr_rtcp_put32(p, ((uint32_t) n << 24) | ((uint32_t) exp << 18)
                         | mantissa);

    for (i = 0; i < n; i++) {
        p = wr_rtcp_put32(p, ssrcs[i]);
    }

    return len;
}


size_t
wr_rtcp_build_nack(uint8_t *buf, size_t size, uint32_t sender,
    uint32_t media, const uint16_t *seqs, size_t n)
{
    size_t     i, off;
    uint16_t   pid, blp, d;

    if (n == 0 || size < 16) {
        return 0;
    }

    off = 12;
    pid = seqs[0];
    blp = 0;

    for (i = 1; i <= n; i++) {
        if (i < n) {
            d = (uint16_t) (seqs[i] - pid);

            if (d == 0) {
                continue;
            }

            if (d <= 16) {
                blp |= (uint16_t) (1u << (d - 1));
                continue;
            }
        }

        /* the entry is complete: write it */
        if (size - off < 4 || off / 4 > 0xffff) {
            return 0;
        }

        buf[off] = (uint8_t) (pid >> 8);
        buf[off + 1] = (uint8_t) pid;
        buf[off + 2] = (uint8_t) (blp >> 8);
        buf[off + 3] = (uint8_t) blp;
        off += 4;

        if (i < n) {
            pid = seqs[i];
            blp = 0;
        }
    }

    wr_rtcp_put_header(buf, WR_RTCP_NACK, WR_RTCP_RTPFB, off);
    wr_rtcp_put32(buf + 4, sender);
    wr_rtcp_put32(buf + 8, media);

    return off;
}


size_t
wr_rtcp_build_rr(uint8_t *buf, size_t size, uint32_t sender,
    const wr_rtcp_block_t *blocks, unsigned n)
{
    size_t     len;
    uint8_t   *p;
    unsigned   i;

    len = 8 + (size_t) n * WR_RTCP_BLOCK_LEN;

    if (n > WR_RTCP_BLOCKS_MAX || size < len) {
        return 0;
    }

    p = wr_rtcp_put_header(buf, n, WR_RTCP_RR, len);
    p = wr_rtcp_put32(p, sender);

    for (i = 0; i < n; i++) {
        p = wr_rtcp_put_block(p, &blocks[i]);
    }

    return len;
}


size_t
wr_rtcp_build_sr(uint8_t *buf, size_t size, const wr_rtcp_report_t *sr,
    const wr_rtcp_block_t *blocks, unsigned n)
{
    size_t     len;
    uint8_t   *p;
    unsigned   i;

    len = 28 + (size_t) n * WR_RTCP_BLOCK_LEN;

    if (n > WR_RTCP_BLOCKS_MAX || size < len) {
        return 0;
    }

    p = wr_rtcp_put_header(buf, n, WR_RTCP_SR, len);
    p = wr_rtcp_put32(p, sr->ssrc);
    p = wr_rtcp_put32(p, (uint32_t) (sr->ntp >> 32));
    p = wr_rtcp_put32(p, (uint32_t) sr->ntp);
    p = wr_rtcp_put32(p, sr->rtp_ts);
    p = wr_rtcp_put32(p, sr->packet_count);
    p = wr_rtcp_put32(p, sr->octet_count);

    for (i = 0; i < n; i++) {
        p = wr_rtcp_put_block(p, &blocks[i]);
    }

    return len;
}


/* len: the whole packet in bytes, a multiple of 4 */

static uint8_t *
wr_rtcp_put_header(uint8_t *p, unsigned count, unsigned pt, size_t len)
{
    p[0] = (uint8_t) (0x80 | (count & 0x1f));
    p[1] = (uint8_t) pt;
    p[2] = (uint8_t) ((len / 4 - 1) >> 8);
    p[3] = (uint8_t) (len / 4 - 1);

    return p + 4;
}


static uint8_t *
wr_rtcp_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;

    return p + 4;
}


static uint8_t *
wr_rtcp_put_block(uint8_t *p, const wr_rtcp_block_t *b)
{
    int32_t  lost;

    lost = b->cumulative_lost;

    if (lost > 0x7fffff) {
        lost = 0x7fffff;

    } else if (lost < -0x800000) {
        lost = -0x800000;
    }

    p = wr_rtcp_put32(p, b->ssrc);
    p = wr_rtcp_put32(p, ((uint32_t) (b->fraction_lost > 255
                                      ? 255 : b->fraction_lost) << 24)
                         | ((uint32_t) lost & 0xffffff));
    p = wr_rtcp_put32(p, b->highest_seq);
    p = wr_rtcp_put32(p, b->jitter);
    p = wr_rtcp_put32(p, b->lsr);

    return wr_rtcp_put32(p, b->dlsr);
}
