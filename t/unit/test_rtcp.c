/*
 * Tests for the RTCP unit (wr_rtcp): the RFC 7983 demultiplexer, the
 * compound walk and its refusals, the SR, RR, PLI, FIR, NACK and REMB
 * readers on packets written out byte by byte, and the builders, read
 * back with the readers.
 */

#include <stdint.h>

#include "wr_test.h"
#include "wr_rtcp.h"


/* SR with two report blocks, SDES, BYE, PLI */
static const uint8_t  compound[] = {
    0x82, 200, 0x00, 0x12,
    0x11, 0x22, 0x33, 0x44,
    0xe1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
    0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x64,
    0x00, 0x01, 0x86, 0xa0,

    0xaa, 0xaa, 0xaa, 0xaa, 0x40, 0x00, 0x00, 0x10,
    0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x20,
    0x45, 0x67, 0x89, 0xab, 0x00, 0x01, 0x00, 0x00,

    0xbb, 0xbb, 0xbb, 0xbb, 0xff, 0xff, 0xff, 0xfe,
    0x00, 0x02, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,

    0x81, 202, 0x00, 0x03,
    0x11, 0x22, 0x33, 0x44, 0x01, 0x02, 'a', 'b', 0x00, 0x00, 0x00, 0x00,

    0x81, 203, 0x00, 0x01,
    0x11, 0x22, 0x33, 0x44,

    0x81, 206, 0x00, 0x02,
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88
};


static void
test_demux(void)
{
    uint8_t  p[32];

    memset(p, 0, sizeof(p));

    p[0] = 0x00;
    WR_EQ_INT(wr_demux(p, 20), WR_DEMUX_STUN, "0x00: STUN");
    p[0] = 0x01;
    WR_EQ_INT(wr_demux(p, 20), WR_DEMUX_STUN, "0x01: STUN");
    p[0] = 0x03;
    WR_EQ_INT(wr_demux(p, 20), WR_DEMUX_STUN, "3: STUN");
    WR_EQ_INT(wr_demux(p, 19), WR_DEMUX_UNKNOWN, "19-byte STUN: unknown");

    p[0] = 4;
    WR_EQ_INT(wr_demux(p, 32), WR_DEMUX_UNKNOWN, "4: unknown");
    p[0] = 16;
    WR_EQ_INT(wr_demux(p, 32), WR_DEMUX_UNKNOWN, "16 (ZRTP): unknown");

    p[0] = 20;
    WR_EQ_INT(wr_demux(p, 13), WR_DEMUX_DTLS, "20: DTLS");
    p[0] = 22;
    WR_EQ_INT(wr_demux(p, 13), WR_DEMUX_DTLS, "22 (handshake): DTLS");
    WR_EQ_INT(wr_demux(p, 12), WR_DEMUX_UNKNOWN, "12-byte DTLS: unknown");
    p[0] = 63;
    WR_EQ_INT(wr_demux(p, 13), WR_DEMUX_DTLS, "63: DTLS");
    p[0] = 64;
    WR_EQ_INT(wr_demux(p, 32), WR_DEMUX_UNKNOWN, "64 (TURN channel): unknown");
    p[0] = 127;
    WR_EQ_INT(wr_demux(p, 32), WR_DEMUX_UNKNOWN, "127: unknown");

    p[0] = 0x80;
    p[1] = 96;
    WR_EQ_INT(wr_demux(p, 12), WR_DEMUX_RTP, "PT 96: RTP");
    p[1] = 0x80 | 96;
    WR_EQ_INT(wr_demux(p, 12), WR_DEMUX_RTP, "PT 96 with marker: RTP");
    WR_EQ_INT(wr_demux(p, 11), WR_DEMUX_UNKNOWN, "11-byte RTP: unknown");
    p[1] = 191;
    WR_EQ_INT(wr_demux(p, 12), WR_DEMUX_RTP, "second byte 191: RTP");
    p[1] = 192;
    WR_EQ_INT(wr_demux(p, 8), WR_DEMUX_RTCP, "192: RTCP");
    p[1] = 200;
    WR_EQ_INT(wr_demux(p, 8), WR_DEMUX_RTCP, "SR: RTCP");
    WR_EQ_INT(wr_demux(p, 7), WR_DEMUX_UNKNOWN, "7-byte RTCP: unknown");
    p[1] = 223;
    WR_EQ_INT(wr_demux(p, 8), WR_DEMUX_RTCP, "223: RTCP");
    p[1] = 224;
    WR_EQ_INT(wr_demux(p, 12), WR_DEMUX_RTP, "224 (PT 96, marker): RTP");
    p[0] = 0xbf;
    p[1] = 201;
    WR_EQ_INT(wr_demux(p, 8), WR_DEMUX_RTCP, "first byte 191: RTCP");
    p[0] = 0xc0;
    WR_EQ_INT(wr_demux(p, 32), WR_DEMUX_UNKNOWN, "192 first: unknown");
    WR_EQ_INT(wr_demux(p, 0), WR_DEMUX_UNKNOWN, "empty: unknown");
}


static void
test_walk(void)
{
    int               rc;
    wr_rtcp_fb_t      fb;
    wr_rtcp_pkt_t     pkt;
    wr_rtcp_iter_t    it;
    wr_rtcp_block_t   b;
    wr_rtcp_report_t  sr;

    WR_EQ_INT(wr_rtcp_validate(compound, sizeof(compound)), 4,
              "compound of 4 packets");

    wr_rtcp_iter_init(&it, compound, sizeof(compound));

    rc = wr_rtcp_next(&it, &pkt);
    WR_OK(rc == 1 && pkt.pt == WR_RTCP_SR && pkt.count == 2
          && pkt.len == 76 && pkt.body_len == 72, "first: SR, RC 2");

    WR_EQ_INT(wr_rtcp_sr(&pkt, &sr), 0, "SR reads");
    WR_OK(sr.ssrc == 0x11223344, "SR SSRC");
    WR_OK(sr.ntp == 0xe123456789abcdefULL, "NTP timestamp");
    WR_OK(sr.rtp_ts == 0x10000 && sr.packet_count == 100
          && sr.octet_count == 100000, "RTP ts, packets, octets");
    WR_EQ_INT(sr.n_blocks, 2, "two blocks");

    wr_rtcp_block(&sr, 0, &b);
    WR_OK(b.ssrc == 0xaaaaaaaa && b.fraction_lost == 64
          && b.cumulative_lost == 16 && b.highest_seq == 0x10005
          && b.jitter == 32 && b.lsr == 0x456789ab && b.dlsr == 0x10000,
          "first block");

    wr_rtcp_block(&sr, 1, &b);
    WR_OK(b.ssrc == 0xbbbbbbbb && b.fraction_lost == 255
          && b.cumulative_lost == -2 && b.highest_seq == 0x2ffff,
          "second block, negative cumulative loss");

    WR_EQ_INT(wr_rtcp_rr(&pkt, &sr), WR_RTCP_WRONG_TYPE, "SR is not RR");
    WR_EQ_INT(wr_rtcp_fb(&pkt, &fb), WR_RTCP_WRONG_TYPE,
              "SR is not feedback");

    rc = wr_rtcp_next(&it, &pkt);
    WR_OK(rc == 1 && pkt.pt == WR_RTCP_SDES && pkt.len == 16,
          "second: SDES, walked over");

    rc = wr_rtcp_next(&it, &pkt);
    WR_OK(rc == 1 && pkt.pt == WR_RTCP_BYE && pkt.len == 8, "third: BYE");

    rc = wr_rtcp_next(&it, &pkt);
    WR_OK(rc == 1 && pkt.pt == WR_RTCP_PSFB && pkt.count == WR_RTCP_PLI,
          "fourth: PLI");
    WR_EQ_INT(wr_rtcp_fb(&pkt, &fb), 0, "feedback reads");
    WR_OK(fb.sender_ssrc == 0x11223344 && fb.media_ssrc == 0x55667788
          && fb.fci_len == 0, "PLI sender and media SSRC, no FCI");
    WR_EQ_INT(wr_rtcp_fir_count(&fb), 0, "a PLI has no FIR entries");

    WR_EQ_INT(wr_rtcp_next(&it, &pkt), 0, "end");
    WR_EQ_INT(wr_rtcp_next(&it, &pkt), 0, "still the end");
}


static void
test_reports(void)
{
    wr_rtcp_pkt_t     pkt;
    wr_rtcp_iter_t    it;
    wr_rtcp_report_t  rr;

    static const uint8_t  rr0[] = { 0x80, 201, 0x00, 0x01, 1, 2, 3, 4 };
    static const uint8_t  rr1_short[] = { 0x81, 201, 0x00, 0x01, 1, 2, 3, 4 };
    static const uint8_t  sr_short[] = {
        0x80, 200, 0x00, 0x05, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0
    };

    wr_rtcp_iter_init(&it, rr0, sizeof(rr0));
    wr_rtcp_next(&it, &pkt);
    WR_EQ_INT(wr_rtcp_rr(&pkt, &rr), 0, "empty RR reads");
    WR_OK(rr.ssrc == 0x01020304 && rr.n_blocks == 0 && rr.ntp == 0,
          "RR SSRC, no blocks");
    WR_EQ_INT(wr_rtcp_sr(&pkt, &rr), WR_RTCP_WRONG_TYPE, "RR is not SR");

    wr_rtcp_iter_init(&it, rr1_short, sizeof(rr1_short));
    wr_rtcp_next(&it, &pkt);
    WR_EQ_INT(wr_rtcp_rr(&pkt, &rr), WR_RTCP_BAD_PACKET,
              "RR claiming a block it has no room for");

    wr_rtcp_iter_init(&it, sr_short, sizeof(sr_short));
    wr_rtcp_next(&it, &pkt);
    WR_EQ_INT(wr_rtcp_sr(&pkt, &rr), WR_RTCP_BAD_PACKET,
              "SR shorter than its sender info");
}


static int
read_fb(const uint8_t *p, size_t len, wr_rtcp_fb_t *fb)
{
    wr_rtcp_pkt_t   pkt;
    wr_rtcp_iter_t  it;

    wr_rtcp_iter_init(&it, p, len);

    if (wr_rtcp_next(&it, &pkt) != 1) {
        return -100;
    }

    return wr_rtcp_fb(&pkt, fb);
}


static void
test_feedback(void)
{
    int             rc;
    size_t          n;
    uint16_t        seqs[64];
    uint32_t        ssrc;
    unsigned        seq;
    wr_rtcp_fb_t    fb;
    wr_rtcp_remb_t  remb;
    uint8_t         p[64];

    static const uint8_t  fir[] = {
        0x84, 206, 0x00, 0x06, 1, 1, 1, 1, 0, 0, 0, 0,
        0xaa, 0xbb, 0xcc, 0xdd, 5, 0, 0, 0,
        0x11, 0x22, 0x33, 0x44, 6, 0, 0, 0
    };
    static const uint8_t  nack[] = {
        0x81, 205, 0x00, 0x04, 1, 1, 1, 1, 2, 2, 2, 2,
        0x00, 0x64, 0x80, 0x01,
        0xff, 0xff, 0x00, 0x01
    };
    static const uint8_t  remb_pkt[] = {
        0x8f, 206, 0x00, 0x06, 1, 1, 1, 1, 0, 0, 0, 0,
        'R', 'E', 'M', 'B', 0x02, 0x0b, 0xff, 0xff,
        0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0xbb
    };
    static const uint8_t  short_fb[] = { 0x81, 206, 0x00, 0x01, 1, 1, 1, 1 };

    WR_EQ_INT(read_fb(fir, sizeof(fir), &fb), 0, "FIR reads");
    WR_EQ_INT(wr_rtcp_fir_count(&fb), 2, "two FIR entries");
    wr_rtcp_fir_entry(&fb, 0, &ssrc, &seq);
    WR_OK(ssrc == 0xaabbccdd && seq == 5, "first FIR entry");
    wr_rtcp_fir_entry(&fb, 1, &ssrc, &seq);
    WR_OK(ssrc == 0x11223344 && seq == 6, "second FIR entry");

    WR_EQ_INT(read_fb(nack, sizeof(nack), &fb), 0, "NACK reads");
    WR_OK(fb.sender_ssrc == 0x01010101 && fb.media_ssrc == 0x02020202,
          "NACK SSRCs");
    rc = wr_rtcp_nack(&fb, seqs, 64, &n);
    WR_OK(rc == 0 && n == 5 && seqs[0] == 100 && seqs[1] == 101
          && seqs[2] == 116 && seqs[3] == 65535 && seqs[4] == 0,
          "pid+blp expanded: 100 101 116 65535 0");

    rc = wr_rtcp_nack(&fb, seqs, 3, &n);
    WR_OK(rc == 1 && n == 3 && seqs[2] == 116, "3 at most: truncated");
    rc = wr_rtcp_nack(&fb, seqs, 0, &n);
    WR_OK(rc == 1 && n == 0, "room for none");

    memcpy(p, nack, 12);
    p[3] = 0x02;
    read_fb(p, 12, &fb);
    WR_EQ_INT(wr_rtcp_nack(&fb, seqs, 64, &n), WR_RTCP_BAD_PACKET,
              "NACK without FCI");

    WR_EQ_INT(read_fb(remb_pkt, sizeof(remb_pkt), &fb), 0, "REMB reads");
    WR_EQ_INT(wr_rtcp_nack(&fb, seqs, 64, &n), WR_RTCP_WRONG_TYPE,
              "REMB is no NACK");
    rc = wr_rtcp_remb(&fb, &remb);
    WR_OK(rc == 0 && remb.bitrate == 0x3ffffULL << 2 && remb.n_ssrcs == 2,
          "REMB: mantissa 0x3ffff, exponent 2, two SSRCs");
    WR_OK(wr_rtcp_remb_ssrc(&remb, 0) == 0xaaaaaaaa
          && wr_rtcp_remb_ssrc(&remb, 1) == 0xbbbbbbbb, "REMB SSRC list");

    memcpy(p, remb_pkt, sizeof(remb_pkt));
    p[16] = 3;
    read_fb(p, sizeof(remb_pkt), &fb);
    WR_EQ_INT(wr_rtcp_remb(&fb, &remb), WR_RTCP_BAD_PACKET,
              "REMB claiming more SSRCs than it holds");

    p[16] = 0;
    p[17] = 0xff;                     /* exponent 63 */
    read_fb(p, sizeof(remb_pkt), &fb);
    rc = wr_rtcp_remb(&fb, &remb);
    WR_OK(rc == 0 && remb.bitrate == UINT64_MAX, "huge REMB saturates");

    p[17] = 0xfc;
    p[18] = 0x00;
    p[19] = 0x01;
    read_fb(p, sizeof(remb_pkt), &fb);
    rc = wr_rtcp_remb(&fb, &remb);
    WR_OK(rc == 0 && remb.bitrate == 1ULL << 63, "1 << 63 still fits");

    p[12] = 'X';
    read_fb(p, sizeof(remb_pkt), &fb);
    WR_EQ_INT(wr_rtcp_remb(&fb, &remb), WR_RTCP_WRONG_TYPE,
              "AFB that is not REMB");

    memcpy(p, remb_pkt, 16);
    p[3] = 0x03;
    read_fb(p, 16, &fb);
    WR_EQ_INT(wr_rtcp_remb(&fb, &remb), WR_RTCP_BAD_PACKET,
              "REMB cut after its name");

    WR_EQ_INT(read_fb(short_fb, sizeof(short_fb), &fb), WR_RTCP_BAD_PACKET,
              "feedback without media SSRC");
}


static void
test_refusals(void)
{
    int             rc;
    uint8_t         p[256];
    wr_rtcp_pkt_t   pkt;
    wr_rtcp_iter_t  it;

    static const uint8_t  pli[] = {
        0x81, 206, 0x00, 0x02, 1, 1, 1, 1, 2, 2, 2, 2
    };

    memset(p, 0, sizeof(p));
    WR_EQ_INT(wr_rtcp_validate(p, 0), WR_RTCP_TOO_SHORT, "empty");

    memcpy(p, pli, 12);
    p[0] = 0x41;
    WR_EQ_INT(wr_rtcp_validate(p, 12), WR_RTCP_BAD_VERSION, "version 1");

    memcpy(p, pli, 12);
    p[3] = 0x03;
    WR_EQ_INT(wr_rtcp_validate(p, 12), WR_RTCP_BAD_LENGTH,
              "length one word past the datagram");
    p[2] = 0xff;
    p[3] = 0xff;
    WR_EQ_INT(wr_rtcp_validate(p, 12), WR_RTCP_BAD_LENGTH, "length 0xffff");

    memcpy(p, pli, 12);
    memcpy(p + 12, pli, 3);
    WR_EQ_INT(wr_rtcp_validate(p, 15), WR_RTCP_TOO_SHORT,
              "3 bytes after a packet");

    /* a compound whose second packet lies about its length */
    memcpy(p, pli, 12);
    memcpy(p + 12, pli, 12);
    p[15] = 0x09;
    wr_rtcp_iter_init(&it, p, 24);
    rc = wr_rtcp_next(&it, &pkt);
    WR_EQ_INT(rc, 1, "bad compound: the first packet comes out");
    WR_EQ_INT(wr_rtcp_next(&it, &pkt), WR_RTCP_BAD_LENGTH,
              "then the bad length");
    WR_EQ_INT(it.off, 12, "the iterator says where");
    WR_EQ_INT(wr_rtcp_next(&it, &pkt), WR_RTCP_BAD_LENGTH, "and stays bad");
    WR_EQ_INT(wr_rtcp_validate(p, 24), WR_RTCP_BAD_LENGTH,
              "validate refuses the compound");

    /* padding */
    memcpy(p, pli, 12);
    p[0] |= 0x20;
    p[11] = 4;
    wr_rtcp_iter_init(&it, p, 12);
    rc = wr_rtcp_next(&it, &pkt);
    WR_OK(rc == 1 && pkt.padding && pkt.body_len == 4,
          "padded last packet: body shortened");

    p[11] = 8;
    WR_EQ_INT(wr_rtcp_validate(p, 12), 1, "padding the whole body");
    p[11] = 9;
    WR_EQ_INT(wr_rtcp_validate(p, 12), WR_RTCP_BAD_PADDING,
              "padding larger than the body");
    p[11] = 0;
    WR_EQ_INT(wr_rtcp_validate(p, 12), WR_RTCP_BAD_PADDING,
              "padding count 0");

    p[11] = 4;
    memcpy(p + 12, pli, 12);
    WR_EQ_INT(wr_rtcp_validate(p, 24), WR_RTCP_BAD_PADDING,
              "padding on a packet that is not last");

    p[0] = 0xa0;
    p[1] = 203;
    p[2] = 0;
    p[3] = 0;
    WR_EQ_INT(wr_rtcp_validate(p, 4), WR_RTCP_BAD_PADDING,
              "P bit on a header-only packet");
    p[0] = 0x80;
    WR_EQ_INT(wr_rtcp_validate(p, 4), 1, "header-only BYE is fine");
}


static void
test_builders(void)
{
    int               rc;
    size_t            n, len, i;
    uint8_t           buf[512];
    uint16_t          seqs[64];
    uint32_t          ssrc, ssrcs[3] = { 7, 8, 9 };
    unsigned          seq;
    wr_rtcp_fb_t      fb;
    wr_rtcp_pkt_t     pkt;
    wr_rtcp_iter_t    it;
    wr_rtcp_remb_t    remb;
    wr_rtcp_block_t   blocks[2], b;
    wr_rtcp_report_t  sr, got;

    static const uint16_t  run[] = {
        100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112,
        113, 114, 115, 116
    };
    static const uint16_t  wrap[] = { 65534, 65535, 0, 1 };
    static const uint16_t  apart[] = { 100, 200, 201, 5, 5 };

    len = wr_rtcp_build_pli(buf, sizeof(buf), 0x1234, 0x5678);
    WR_EQ_INT(len, 12, "PLI is 12 bytes");
    WR_OK(read_fb(buf, len, &fb) == 0 && fb.pt == WR_RTCP_PSFB
          && fb.fmt == WR_RTCP_PLI && fb.sender_ssrc == 0x1234
          && fb.media_ssrc == 0x5678, "PLI reads back");
    WR_EQ_INT(wr_rtcp_build_pli(buf, 11, 1, 2), 0, "PLI into 11 bytes");

    len = wr_rtcp_build_fir(buf, sizeof(buf), 0x1234, 0xabcdef01, 261);
    WR_EQ_INT(len, 20, "FIR is 20 bytes");
    rc = read_fb(buf, len, &fb);
    WR_OK(rc == 0 && fb.media_ssrc == 0 && wr_rtcp_fir_count(&fb) == 1,
          "FIR: header media SSRC 0, one entry");
    wr_rtcp_fir_entry(&fb, 0, &ssrc, &seq);
    WR_OK(ssrc == 0xabcdef01 && seq == 5, "FIR target and seq (mod 256)");
    WR_EQ_INT(wr_rtcp_build_fir(buf, 19, 1, 2, 3), 0, "FIR into 19 bytes");

    len = wr_rtcp_build_remb(buf, sizeof(buf), 0x1234, 2500000, ssrcs, 3);
    WR_EQ_INT(len, 32, "REMB with 3 SSRCs is 32 bytes");
    rc = read_fb(buf, len, &fb);
    WR_OK(rc == 0 && wr_rtcp_remb(&fb, &remb) == 0 && remb.n_ssrcs == 3
          && wr_rtcp_remb_ssrc(&remb, 2) == 9, "REMB reads back");
    WR_OK(remb.bitrate <= 2500000 && remb.bitrate > 2500000 - 16,
          "2.5 Mbit/s within the mantissa's precision (%llu)",
          (unsigned long long) remb.bitrate);

    len = wr_rtcp_build_remb(buf, sizeof(buf), 1, 0x3ffff, NULL, 0);
    rc = read_fb(buf, len, &fb);
    WR_OK(rc == 0 && wr_rtcp_remb(&fb, &remb) == 0
          && remb.bitrate == 0x3ffff && buf[17] == 0x03,
          "0x3ffff exactly: exponent 0");

    len = wr_rtcp_build_remb(buf, sizeof(buf), 1, UINT64_MAX, NULL, 0);
    rc = read_fb(buf, len, &fb);
    WR_OK(rc == 0 && wr_rtcp_remb(&fb, &remb) == 0
          && remb.bitrate == 0x3ffffULL << 46, "UINT64_MAX: exponent 46");
    WR_EQ_INT(wr_rtcp_build_remb(buf, 31, 1, 1, ssrcs, 3), 0,
              "REMB into too little room");

    /* NACK packing */
    len = wr_rtcp_build_nack(buf, sizeof(buf), 1, 2, run, 17);
    WR_EQ_INT(len, 16, "17 in a row: one entry");
    WR_OK(buf[12] == 0 && buf[13] == 100 && buf[14] == 0xff
          && buf[15] == 0xff, "pid 100, blp 0xffff");
    read_fb(buf, len, &fb);
    rc = wr_rtcp_nack(&fb, seqs, 64, &n);
    WR_OK(rc == 0 && n == 17 && memcmp(seqs, run, sizeof(run)) == 0,
          "expands back to the same run");

    len = wr_rtcp_build_nack(buf, sizeof(buf), 1, 2, wrap, 4);
    read_fb(buf, len, &fb);
    rc = wr_rtcp_nack(&fb, seqs, 64, &n);
    WR_OK(len == 16 && rc == 0 && n == 4 && seqs[0] == 65534
          && seqs[3] == 1, "across the wrap: one entry");

    len = wr_rtcp_build_nack(buf, sizeof(buf), 1, 2, apart, 5);
    WR_EQ_INT(len, 24, "100, 200-201, 5 (twice): three entries");
    read_fb(buf, len, &fb);
    rc = wr_rtcp_nack(&fb, seqs, 64, &n);
    WR_OK(rc == 0 && n == 4 && seqs[0] == 100 && seqs[1] == 200
          && seqs[2] == 201 && seqs[3] == 5, "and expands back");

    WR_EQ_INT(wr_rtcp_build_nack(buf, 23, 1, 2, apart, 5), 0,
              "NACK one byte short");
    WR_EQ_INT(wr_rtcp_build_nack(buf, sizeof(buf), 1, 2, apart, 0), 0,
              "NACK of nothing");

    /* RR and SR */
    memset(blocks, 0, sizeof(blocks));
    blocks[0].ssrc = 0xa;
    blocks[0].fraction_lost = 300;
    blocks[0].cumulative_lost = 100000000;
    blocks[0].highest_seq = 0x1ffff;
    blocks[0].jitter = 9;
    blocks[0].lsr = 10;
    blocks[0].dlsr = 11;
    blocks[1].ssrc = 0xb;
    blocks[1].cumulative_lost = -100000000;

    len = wr_rtcp_build_rr(buf, sizeof(buf), 0x77, blocks, 2);
    WR_EQ_INT(len, 56, "RR with two blocks");
    wr_rtcp_iter_init(&it, buf, len);
    rc = wr_rtcp_next(&it, &pkt);
    WR_OK(rc == 1 && wr_rtcp_rr(&pkt, &got) == 0 && got.ssrc == 0x77
          && got.n_blocks == 2, "RR reads back");
    wr_rtcp_block(&got, 0, &b);
    WR_OK(b.ssrc == 0xa && b.fraction_lost == 255
          && b.cumulative_lost == 0x7fffff && b.highest_seq == 0x1ffff
          && b.jitter == 9 && b.lsr == 10 && b.dlsr == 11,
          "block clamped to 255 and 0x7fffff");
    wr_rtcp_block(&got, 1, &b);
    WR_EQ_INT(b.cumulative_lost, -0x800000, "negative loss clamped");

    WR_EQ_INT(wr_rtcp_build_rr(buf, sizeof(buf), 1, blocks, 32), 0,
              "32 blocks do not fit RC");
    WR_EQ_INT(wr_rtcp_build_rr(buf, 55, 1, blocks, 2), 0, "RR one short");
    WR_EQ_INT(wr_rtcp_build_rr(buf, 8, 1, NULL, 0), 8, "empty RR");

    memset(&sr, 0, sizeof(sr));
    sr.ssrc = 0x99;
    sr.ntp = 0x0102030405060708ULL;
    sr.rtp_ts = 90000;
    sr.packet_count = 3;
    sr.octet_count = 3600;

    len = wr_rtcp_build_sr(buf, sizeof(buf), &sr, blocks, 1);
    WR_EQ_INT(len, 52, "SR with one block");
    n = wr_rtcp_build_pli(buf + len, sizeof(buf) - len, 0x99, 0xa);
    WR_EQ_INT(wr_rtcp_validate(buf, len + n), 2, "SR + PLI compound");

    wr_rtcp_iter_init(&it, buf, len + n);
    rc = wr_rtcp_next(&it, &pkt);
    WR_OK(rc == 1 && wr_rtcp_sr(&pkt, &got) == 0 && got.ssrc == 0x99
          && got.ntp == sr.ntp && got.rtp_ts == 90000
          && got.packet_count == 3 && got.octet_count == 3600
          && got.n_blocks == 1, "SR reads back");
    wr_rtcp_block(&got, 0, &b);
    WR_OK(b.ssrc == 0xa, "its block");
    WR_EQ_INT(wr_rtcp_build_sr(buf, 51, &sr, blocks, 1), 0, "SR one short");

    /* nothing written past what a builder returns */
    memset(buf, 0xa5, sizeof(buf));
    len = wr_rtcp_build_nack(buf, sizeof(buf), 1, 2, apart, 5);

    for (i = len; i < sizeof(buf) && buf[i] == 0xa5; i++) {
        /* void */
    }

    WR_EQ_INT(i, sizeof(buf), "NACK builder stays within its length");
}


static void
test_strerror(void)
{
    WR_EQ_STR(wr_rtcp_strerror(WR_RTCP_TOO_SHORT), "too_short",
              "too_short");
    WR_EQ_STR(wr_rtcp_strerror(WR_RTCP_BAD_VERSION), "bad_version",
              "bad_version");
    WR_EQ_STR(wr_rtcp_strerror(WR_RTCP_BAD_LENGTH), "bad_length",
              "bad_length");
    WR_EQ_STR(wr_rtcp_strerror(WR_RTCP_BAD_PACKET), "bad_packet",
              "bad_packet");
    WR_EQ_STR(wr_rtcp_strerror(WR_RTCP_BAD_PADDING), "bad_padding",
              "bad_padding");
    WR_EQ_STR(wr_rtcp_strerror(WR_RTCP_WRONG_TYPE), "wrong_type",
              "wrong_type");
    WR_EQ_STR(wr_rtcp_strerror(3), "ok", "a count is ok");
    WR_EQ_STR(wr_rtcp_strerror(-50), "unknown", "unknown");
}


int
main(void)
{
    test_demux();
    test_walk();
    test_reports();
    test_feedback();
    test_refusals();
    test_builders();
    test_strerror();

    return wr_test_done();
}
