/*
 * RTCP (RFC 3550, RFC 4585, RFC 5104) without nginx: the demultiplexing
 * of one UDP port (RFC 7983, RFC 5761), a walk over compound packets,
 * readers for the reports and feedback an SFU acts on, and builders for
 * what it sends.
 *
 *     switch (wr_demux(pkt, len)) {
 *     case WR_DEMUX_STUN: ...  case WR_DEMUX_DTLS: ...
 *     case WR_DEMUX_RTP: ...   case WR_DEMUX_RTCP: (unprotect, then)
 *
 *         wr_rtcp_iter_init(&it, pkt, len);
 *
 *         while ((rc = wr_rtcp_next(&it, &p)) == 1) {
 *             if (p.pt == WR_RTCP_PSFB && p.count == WR_RTCP_PLI) ...
 *         }
 *
 *         if (rc < 0) { the compound is bad from it.off on; count it }
 *     }
 *
 * The walk checks every packet of a compound: version 2, a length that
 * fits, padding only in the last packet and not longer than its body.
 * It does not insist on SR or RR first (RFC 5506 reduced-size RTCP).
 * SDES, BYE, APP, XR and unknown types are walked over, not read.
 *
 * The readers check that the body holds what the header claims.  The
 * builders write into the caller's buffer and return the bytes written, or
 * 0 if it does not fit (or the input cannot be encoded); output is ready
 * for SRTCP protect.  Nothing allocates.
 */

#ifndef WR_RTCP_H
#define WR_RTCP_H

#include <stddef.h>
#include <stdint.h>


/* wr_demux() results */
#define WR_DEMUX_UNKNOWN      0
#define WR_DEMUX_STUN         1
#define WR_DEMUX_DTLS         2
#define WR_DEMUX_RTP          3
#define WR_DEMUX_RTCP         4

/* packet types */
#define WR_RTCP_SR            200
#define WR_RTCP_RR            201
#define WR_RTCP_SDES          202
#define WR_RTCP_BYE           203
#define WR_RTCP_APP           204
#define WR_RTCP_RTPFB         205
#define WR_RTCP_PSFB          206
#define WR_RTCP_XR            207

/* feedback formats (the count field) */
#define WR_RTCP_NACK          1      /* RTPFB */
#define WR_RTCP_TWCC          15     /* RTPFB, transport-cc */
#define WR_RTCP_PLI           1      /* PSFB */
#define WR_RTCP_FIR           4      /* PSFB */
#define WR_RTCP_AFB           15     /* PSFB, REMB lives here */

#define WR_RTCP_BLOCK_LEN     24
#define WR_RTCP_BLOCKS_MAX    31
#define WR_RTCP_NACK_MAX_SEQS 17     /* per FCI entry: pid + 16 bits */

/* errors, from wr_rtcp_next() and the readers */
#define WR_RTCP_TOO_SHORT     -1     /* less than a header is left */
#define WR_RTCP_BAD_VERSION   -2
#define WR_RTCP_BAD_LENGTH    -3     /* the length runs past the datagram */
#define WR_RTCP_BAD_PADDING   -4
#define WR_RTCP_BAD_PACKET    -5     /* body shorter than its contents */
#define WR_RTCP_WRONG_TYPE    -6     /* reader called on another type */


typedef struct {
    const uint8_t  *data;
    size_t          len;
    size_t          off;             /* the next packet */
    int             error;           /* sticky, 0 while fine */
} wr_rtcp_iter_t;


typedef struct {
    unsigned        pt;
    unsigned        count;           /* RC, SC or FMT */
    unsigned        padding;
    const uint8_t  *data;            /* the whole packet */
    size_t          len;             /* with header and padding */
    const uint8_t  *body;            /* after the 4-byte header */
    size_t          body_len;        /* without padding */
} wr_rtcp_pkt_t;


typedef struct {
    uint32_t        ssrc;            /* the source reported on */
    unsigned        fraction_lost;   /* of 256 */
    int32_t         cumulative_lost; /* 24-bit signed */
    uint32_t        highest_seq;     /* extended */
    uint32_t        jitter;
    uint32_t        lsr;
    uint32_t        dlsr;
} wr_rtcp_block_t;


/* SR, and RR with the sender fields 0 */
typedef struct {
    uint32_t        ssrc;
    uint64_t        ntp;             /* NTP timestamp, 32.32 */
    uint32_t        rtp_ts;
    uint32_t        packet_count;
    uint32_t        octet_count;
    unsigned        n_blocks;
    const uint8_t  *blocks;          /* for wr_rtcp_block() */
} wr_rtcp_report_t;


/* RTPFB and PSFB */
typedef struct {
    unsigned        pt;
    unsigned        fmt;
    uint32_t        sender_ssrc;
    uint32_t        media_ssrc;
    const uint8_t  *fci;
    size_t          fci_len;
} wr_rtcp_fb_t;


typedef struct {
    uint64_t        bitrate;         /* bit/s; UINT64_MAX if larger */
    unsigned        n_ssrcs;
    const uint8_t  *ssrcs;           /* for wr_rtcp_remb_ssrc() */
} wr_rtcp_remb_t;


/*
 * RFC 7983 by the first byte: 0-3 STUN, 20-63 DTLS, 128-191 RTP or RTCP
 * (RFC 5761: a second byte of 192-223 is RTCP, which keeps RTP payload
 * types 64-95 out of a muxed session).  Each also needs its minimum
 * length (STUN 20, DTLS 13, RTP 12, RTCP 8); anything else is UNKNOWN.
 */
int wr_demux(const uint8_t *p, size_t len);

/* compound walk: wr_rtcp_next() returns 1 with a packet, 0 at the end */
void wr_rtcp_iter_init(wr_rtcp_iter_t *it, const uint8_t *p, size_t len);
int wr_rtcp_next(wr_rtcp_iter_t *it, wr_rtcp_pkt_t *pkt);

/* the whole compound: the number of packets, or an error */
int wr_rtcp_validate(const uint8_t *p, size_t len);

const char *wr_rtcp_strerror(int rc);

/*
 * Readers: 0 or an error.  wr_rtcp_block() reads block i < n_blocks of a
 * report that was read without error.
 */
int wr_rtcp_sr(const wr_rtcp_pkt_t *pkt, wr_rtcp_report_t *sr);
int wr_rtcp_rr(const wr_rtcp_pkt_t *pkt, wr_rtcp_report_t *rr);
void wr_rtcp_block(const wr_rtcp_report_t *r, unsigned i,
    wr_rtcp_block_t *b);
int wr_rtcp_fb(const wr_rtcp_pkt_t *pkt, wr_rtcp_fb_t *fb);

/*
 * Generic NACK: writes the lost sequence numbers (each FCI entry gives
 * pid and the set bits of blp, pid + 1 .. pid + 16) to seqs, at most max;
 * *n is how many were written.  Returns 0, 1 if seqs was too small (the
 * first max were written), or an error.
 */
int wr_rtcp_nack(const wr_rtcp_fb_t *fb, uint16_t *seqs, size_t max,
    size_t *n);

/* FIR entries: the count (0 unless FIR), entry i's SSRC and seq number */
unsigned wr_rtcp_fir_count(const wr_rtcp_fb_t *fb);
void wr_rtcp_fir_entry(const wr_rtcp_fb_t *fb, unsigned i, uint32_t *ssrc,
    unsigned *seq);

/*
 * REMB: 0, WR_RTCP_WRONG_TYPE if this is not an AFB carrying REMB, or an
 * error; wr_rtcp_remb_ssrc() reads SSRC i < n_ssrcs.
 */
int wr_rtcp_remb(const wr_rtcp_fb_t *fb, wr_rtcp_remb_t *remb);
uint32_t wr_rtcp_remb_ssrc(const wr_rtcp_remb_t *remb, unsigned i);

/* builders */
size_t wr_rtcp_build_pli(uint8_t *buf, size_t size, uint32_t sender,
    uint32_t media);
size_t wr_rtcp_build_fir(uint8_t *buf, size_t size, uint32_t sender,
    uint32_t media, unsigned seq);
size_t wr_rtcp_build_remb(uint8_t *buf, size_t size, uint32_t sender,
    uint64_t bitrate, const uint32_t *ssrcs, unsigned n);

/*
 * Packs sequence numbers into as few pid/blp entries as the order allows:
 * a number joins the previous entry when it lies 1-16 after its pid, so
 * ascending order (modulo 2^16) packs best.  n must be at least 1.
 */
size_t wr_rtcp_build_nack(uint8_t *buf, size_t size, uint32_t sender,
    uint32_t media, const uint16_t *seqs, size_t n);

/*
 * n at most WR_RTCP_BLOCKS_MAX; fraction_lost is clamped to 255 and
 * cumulative_lost to 24 bits.  The SR builder takes the sender fields of
 * sr (not its n_blocks and blocks).
 */
size_t wr_rtcp_build_rr(uint8_t *buf, size_t size, uint32_t sender,
    const wr_rtcp_block_t *blocks, unsigned n);
size_t wr_rtcp_build_sr(uint8_t *buf, size_t size,
    const wr_rtcp_report_t *sr, const wr_rtcp_block_t *blocks, unsigned n);


#endif /* WR_RTCP_H */
