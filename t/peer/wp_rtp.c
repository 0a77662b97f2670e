/*
 * RTP and RTCP on byte buffers, and the synthetic payloads.
 *
 * Every payload is fully predictable from its own header, so a receiver can
 * check each byte without knowing the sender:
 *
 *   video only: VP8 descriptor (1) + VP8 frame header (10), from the flags
 *   'W' 'R' kind flags | origin SSRC (4) | seq (4) | send time us (8) |
 *   length (2) | pattern: byte i = f(origin, seq, i) up to the length
 *
 * origin and seq belong to the sender, not to the RTP header, because an SFU
 * rewrites SSRC, sequence numbers and timestamps on the way.
 */

#include <string.h>
#include <time.h>

#include "wr_peer.h"


#define WP_NTP_OFFSET  2208988800ULL   /* 1900 to 1970 */


/* a VP8 key frame header (P=0, show_frame, start code, 320x180) */
static const uint8_t  wp_vp8_key[10] = {
    0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00
};

/* an interframe header (P=1); also filler for later packets of a frame */
static const uint8_t  wp_vp8_inter[10] = {
    0x11, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
};


static void
wp_put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v & 0xff;
}


static void
wp_put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = (v >> 16) & 0xff;
    p[2] = (v >> 8) & 0xff;
    p[3] = v & 0xff;
}


static uint16_t
wp_get16(const uint8_t *p)
{
    return (uint16_t) ((p[0] << 8) | p[1]);
}


static uint32_t
wp_get32(const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}


/* ---- RTP ----------------------------------------------------------------- */

/* header with the mid one-byte extension when negotiated; returns its size */
size_t
wp_rtp_write(uint8_t *p, const wp_rtp_t *r, int mid_ext, const char *mid)
{
    size_t  n, len, words;

    p[0] = 0x80;
    p[1] = (r->marker ? 0x80 : 0) | (r->pt & 0x7f);
    wp_put16(p + 2, r->seq);
    wp_put32(p + 4, r->ts);
    wp_put32(p + 8, r->ssrc);
    n = 12;

    len = mid ? strlen(mid) : 0;
    if (mid_ext > 0 && mid_ext < 15 && len > 0 && len <= 16) {
        p[0] |= 0x10;
        words = (1 + len + 3) / 4;
        p[12] = 0xbe;
        p[13] = 0xde;
        wp_put16(p + 14, words);
        memset(p + 16, 0, words * 4);
        p[16] = (mid_ext << 4) | (len - 1);
        memcpy(p + 17, mid, len);
        n = 16 + words * 4;
    }

    return n;
}


int
wp_rtp_parse(wp_rtp_t *r, const uint8_t *p, size_t n)
{
    size_t  off, ext, pad;

    if (n < 12 || (p[0] >> 6) != 2) {
        return -1;
    }

    off = 12 + (p[0] & 0x0f) * 4;

    if (p[0] & 0x10) {
        if (n < off + 4) {
            return -1;
        }

        ext = wp_get16(p + off + 2) * 4;
        off += 4 + ext;
    }

    pad = (p[0] & 0x20) ? p[n - 1] : 0;

    if (n < off + pad) {
        return -1;
    }

    r->marker = p[1] >> 7;
    r->pt = p[1] & 0x7f;
    r->seq = wp_get16(p + 2);
    r->ts = wp_get32(p + 4);
    r->ssrc = wp_get32(p + 8);
    r->payload = p + off;
    r->len = n - off - pad;
    return 0;
}


/* ---- payloads ------------------------------------------------------------ */

static uint8_t
wp_pattern(uint32_t origin, uint32_t seq, size_t i)
{
    return (uint8_t) (origin + seq * 7 + i * 13 + (i >> 8) * 3);
}


/* n: payload size wanted (at least the header); returns the size written */
size_t
wp_payload_write(uint8_t *p, size_t n, char kind, uint32_t origin,
    uint32_t seq, uint8_t flags, int64_t now_us)
{
    size_t    i, h;
    uint64_t  t;

    h = 0;

    if (kind == 'v') {
        p[0] = (flags & WP_F_FIRST) ? 0x10 : 0x00;
        memcpy(p + 1, ((flags & WP_F_FIRST) && (flags & WP_F_KEY))
                      ? wp_vp8_key : wp_vp8_inter, 10);
        h = WP_VP8_PREFIX;
    }

    if (n < h + WP_PAYLOAD_HDR) {
        n = h + WP_PAYLOAD_HDR;
    }

    p[h] = 'W';
    p[h + 1] = 'R';
    p[h + 2] = kind;
    p[h + 3] = flags;
    wp_put32(p + h + 4, origin);
    wp_put32(p + h + 8, seq);
    t = (uint64_t) now_us;
    wp_put32(p + h + 12, t >> 32);
    wp_put32(p + h + 16, t & 0xffffffff);
    wp_put16(p + h + 20, n);

    for (i = h + WP_PAYLOAD_HDR; i < n; i++) {
        p[i] = wp_pattern(origin, seq, i);
    }

    return n;
}


/* 0 when every byte is what the header says it should be */
int
wp_payload_check(const uint8_t *p, size_t n, char kind, wp_payload_t *pl)
{
    size_t  i, h;

    h = (kind == 'v') ? WP_VP8_PREFIX : 0;

    if (n < h + WP_PAYLOAD_HDR || p[h] != 'W' || p[h + 1] != 'R'
        || p[h + 2] != kind || wp_get16(p + h + 20) != n)
    {
        return -1;
    }

    pl->flags = p[h + 3];
    pl->origin = wp_get32(p + h + 4);
    pl->seq = wp_get32(p + h + 8);
    pl->sent_us = ((int64_t) wp_get32(p + h + 12) << 32)
                  | wp_get32(p + h + 16);

    if (kind == 'v') {
        if (p[0] != ((pl->flags & WP_F_FIRST) ? 0x10 : 0x00)
            || memcmp(p + 1, ((pl->flags & WP_F_FIRST)
                              && (pl->flags & WP_F_KEY))
                             ? wp_vp8_key : wp_vp8_inter, 10) != 0)
        {
            return -1;
        }
    }

    for (i = h + WP_PAYLOAD_HDR; i < n; i++) {
        if (p[i] != wp_pattern(pl->origin, pl->seq, i)) {
            return -1;
        }
    }

    return 0;
}


/*
 * Loss, duplicates and order by the sender's seq. A bitset from "base"
 * (some way below the first seq seen, as the first packet to arrive need not
 * be the lowest) remembers what arrived.
 */
void
wp_rxs_account(wp_rxs_t *s, const wp_payload_t *pl, size_t bytes,
    int64_t now_us)
{
    guint32   lat;
    uint32_t  bit;
    uint8_t   zero = 0;

    if (s->seen == NULL) {
        s->seen = g_byte_array_new();
        s->lat_us = g_array_new(FALSE, FALSE, sizeof(guint32));
        s->first = s->max = pl->seq;
        s->base = pl->seq > 4096 ? pl->seq - 4096 : 0;
    }

    s->packets++;
    s->bytes += bytes;

    lat = (now_us > pl->sent_us) ? (guint32) (now_us - pl->sent_us) : 0;
    g_array_append_val(s->lat_us, lat);

    if (pl->seq < s->base) {
        /* far too late to tell; count as reordered, not as unique */
        s->reordered++;
        return;
    }

    bit = pl->seq - s->base;
    while (s->seen->len <= bit / 8) {
        g_byte_array_append(s->seen, &zero, 1);
    }

    if (s->seen->data[bit / 8] & (1 << (bit % 8))) {
        s->dup++;
        return;
    }

    s->seen->data[bit / 8] |= 1 << (bit % 8);
    s->unique++;

    if (pl->seq < s->max) {
        s->reordered++;
    }

    if (pl->seq < s->first) {
        s->first = pl->seq;
    }

    if (pl->seq > s->max) {
        s->max = pl->seq;
    }
}


/* 1 if the packet of the sender's seq arrived */
int
wp_rxs_seen(const wp_rxs_t *s, uint32_t seq)
{
    uint32_t  bit;

    if (s->seen == NULL || seq < s->base) {
        return 0;
    }

    bit = seq - s->base;

    return bit / 8 < s->seen->len
           && (s->seen->data[bit / 8] & (1 << (bit % 8))) != 0;
}


void
wp_rxs_free(wp_rxs_t *s)
{
    if (s->seen) {
        g_byte_array_free(s->seen, TRUE);
        g_array_free(s->lat_us, TRUE);
        s->seen = NULL;
        s->lat_us = NULL;
    }
}


/* ---- RTCP ---------------------------------------------------------------- */

uint64_t
wp_ntp_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return ((ts.tv_sec + WP_NTP_OFFSET) << 32)
           | (((uint64_t) ts.tv_nsec << 32) / 1000000000);
}


static void
wp_rtcp_head(uint8_t *p, int count, int pt, size_t bytes)
{
    p[0] = 0x80 | count;
    p[1] = pt;
    wp_put16(p + 2, bytes / 4 - 1);
}


size_t
wp_rtcp_sr(uint8_t *p, uint32_t ssrc, uint32_t rtp_ts, uint32_t packets,
    uint32_t octets)
{
    uint64_t  ntp;

    ntp = wp_ntp_now();
    wp_rtcp_head(p, 0, 200, 28);
    wp_put32(p + 4, ssrc);
    wp_put32(p + 8, ntp >> 32);
    wp_put32(p + 12, ntp & 0xffffffff);
    wp_put32(p + 16, rtp_ts);
    wp_put32(p + 20, packets);
    wp_put32(p + 24, octets);
    return 28;
}


size_t
wp_rtcp_rr(uint8_t *p, uint32_t ssrc, int n, const uint32_t *src,
    const uint32_t *ext_max, const uint32_t *lost, const uint32_t *lsr,
    const uint32_t *dlsr)
{
    int       i;
    uint8_t  *b;

    wp_rtcp_head(p, n, 201, 8 + 24 * n);
    wp_put32(p + 4, ssrc);

    for (i = 0; i < n; i++) {
        b = p + 8 + 24 * i;
        wp_put32(b, src[i]);
        wp_put32(b + 4, lost[i] & 0xffffff);   /* fraction lost: 0 */
        wp_put32(b + 8, ext_max[i]);
        wp_put32(b + 12, 0);                   /* jitter: not measured */
        wp_put32(b + 16, lsr[i]);
        wp_put32(b + 20, dlsr[i]);
    }

    return 8 + 24 * n;
}


size_t
wp_rtcp_sdes(uint8_t *p, uint32_t ssrc, const char *cname)
{
    size_t  len, n;

    len = strlen(cname);
    n = (8 + 2 + len + 1 + 3) & ~(size_t) 3;   /* item, end, padding */
    memset(p, 0, n);
    wp_rtcp_head(p, 1, 202, n);
    wp_put32(p + 4, ssrc);
    p[8] = 1;
    p[9] = len;
    memcpy(p + 10, cname, len);
    return n;
}


size_t
wp_rtcp_pli(uint8_t *p, uint32_t ssrc, uint32_t media)
{
    wp_rtcp_head(p, 1, 206, 12);
    wp_put32(p + 4, ssrc);
    wp_put32(p + 8, media);
    return 12;
}


size_t
wp_rtcp_nack(uint8_t *p, uint32_t ssrc, uint32_t media, uint16_t pid,
    uint16_t blp)
{
    wp_rtcp_head(p, 1, 205, 16);
    wp_put32(p + 4, ssrc);
    wp_put32(p + 8, media);
    wp_put16(p + 12, pid);
    wp_put16(p + 14, blp);
    return 16;
}


/*
 * Counts what a compound packet holds. For a sender report it returns the
 * middle of its NTP time for the LSR of our next receiver report.
 */
int
wp_rtcp_parse(const uint8_t *p, size_t n, wp_rtcp_stats_t *st,
    uint32_t *sr_ssrc, uint32_t *sr_ntp_mid)
{
    int       fmt, pt;
    size_t    len, off, i;
    uint16_t  blp;

    st->rtcp++;

    for (off = 0; off + 4 <= n; off += len) {
        if ((p[off] >> 6) != 2) {
            return -1;
        }

        fmt = p[off] & 0x1f;
        pt = p[off + 1];
        len = (wp_get16(p + off + 2) + 1) * 4;

        if (off + len > n) {
            return -1;
        }

        switch (pt) {

        case 200:
            st->sr++;
            if (len >= 20) {
                *sr_ssrc = wp_get32(p + off + 4);
                *sr_ntp_mid = (wp_get32(p + off + 8) << 16)
                              | (wp_get32(p + off + 12) >> 16);
            }
            break;

        case 201:
            st->rr++;
            break;

        case 202:
            st->sdes++;
            break;

        case 203:
            st->bye++;
            break;

        case 205:
            if (fmt == 1) {
                st->nack++;
                for (i = off + 12; i + 4 <= off + len; i += 4) {
                    blp = wp_get16(p + i + 2);
                    st->nack_pids += 1 + __builtin_popcount(blp);
                }

            } else {
                st->other++;
            }
            break;

        case 206:
            if (fmt == 1) {
                st->pli++;

            } else if (fmt == 4) {
                st->fir++;

            } else if (fmt == 15) {
                st->remb++;

            } else {
                st->other++;
            }
            break;

        default:
            st->other++;
        }
    }

    return 0;
}
