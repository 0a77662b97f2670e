/*
 * Tests for the RTP header unit (wr_rtp): fixed header, CSRCs, padding,
 * one-byte and two-byte header extensions and their typed getters, the
 * in-place rewrites, and packets whose lengths lie.  Packets are written
 * out byte by byte here, not built with the unit itself.
 */

#include <stdint.h>

#include "wr_test.h"
#include "wr_rtp.h"


static void
test_fixed(void)
{
    int       rc;
    wr_rtp_t  r;
    uint8_t   p[64];

    static const uint8_t  min[] = {
        0x80, 0x60, 0x12, 0x34, 0x00, 0x00, 0x10, 0x00,
        0xde, 0xad, 0xbe, 0xef
    };

    static const uint8_t  marked[] = {
        0x80, 0xef, 0xff, 0xff, 0x87, 0x65, 0x43, 0x21,
        0x00, 0x00, 0x00, 0x01, 'h', 'e', 'l', 'l', 'o'
    };

    static const uint8_t  csrc[] = {
        0x82, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11,
        0x22, 0x22, 0x22, 0x22, 0xaa
    };

    rc = wr_rtp_parse(&r, min, sizeof(min));
    WR_EQ_INT(rc, WR_RTP_OK, "12-byte packet parses");
    WR_OK(r.padding == 0 && r.extension == 0 && r.csrc_count == 0
          && r.marker == 0, "no P, X, CC, M");
    WR_EQ_INT(r.pt, 96, "payload type");
    WR_EQ_INT(r.seq, 0x1234, "sequence number");
    WR_EQ_INT(r.ts, 0x1000, "timestamp");
    WR_OK(r.ssrc == 0xdeadbeef, "SSRC");
    WR_EQ_INT(r.header_len, 12, "payload at 12");
    WR_EQ_INT(r.payload_len, 0, "empty payload");
    WR_EQ_INT(r.ext_form, WR_RTP_EXT_NONE, "no extension");

    rc = wr_rtp_parse(&r, marked, sizeof(marked));
    WR_EQ_INT(rc, WR_RTP_OK, "marked packet parses");
    WR_OK(r.marker == 1 && r.pt == 111, "marker and PT 111");
    WR_OK(r.seq == 0xffff && r.ts == 0x87654321, "seq and ts");
    WR_OK(r.payload_len == 5 && memcmp(marked + r.header_len, "hello", 5) == 0,
          "payload offset and length");

    rc = wr_rtp_parse(&r, csrc, sizeof(csrc));
    WR_EQ_INT(rc, WR_RTP_OK, "two CSRCs");
    WR_EQ_INT(r.csrc_count, 2, "CC 2");
    WR_OK(r.csrc == csrc + 12 && r.csrc[4] == 0x22, "CSRC list in place");
    WR_EQ_INT(r.header_len, 20, "payload after the CSRCs");
    WR_EQ_INT(r.payload_len, 1, "one payload byte");

    WR_EQ_INT(wr_rtp_parse(&r, csrc, 19), WR_RTP_TOO_SHORT,
              "CSRC list cut short");
    WR_EQ_INT(wr_rtp_parse(&r, min, 11), WR_RTP_TOO_SHORT, "11 bytes");
    WR_EQ_INT(wr_rtp_parse(&r, min, 0), WR_RTP_TOO_SHORT, "0 bytes");

    memcpy(p, min, 12);
    p[0] = 0x8f;
    WR_EQ_INT(wr_rtp_parse(&r, p, 12), WR_RTP_TOO_SHORT,
              "CC 15 in a 12-byte packet");

    p[0] = 0x40;
    WR_EQ_INT(wr_rtp_parse(&r, p, 12), WR_RTP_BAD_VERSION, "version 1");
    p[0] = 0xc0;
    WR_EQ_INT(wr_rtp_parse(&r, p, 12), WR_RTP_BAD_VERSION, "version 3");
    p[0] = 0x00;
    WR_EQ_INT(wr_rtp_parse(&r, p, 12), WR_RTP_BAD_VERSION, "version 0");
}


static void
test_padding(void)
{
    wr_rtp_t  r;
    uint8_t   p[32];

    static const uint8_t  padded[] = {
        0xa0, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x07, 'a', 'b', 'c', 'd',
        0x00, 0x00, 0x00, 0x04
    };

    WR_EQ_INT(wr_rtp_parse(&r, padded, sizeof(padded)), WR_RTP_OK,
              "padded packet parses");
    WR_OK(r.padding == 1 && r.pad_len == 4 && r.payload_len == 4,
          "4 bytes of payload, 4 of padding");

    WR_EQ_INT(wr_rtp_parse_header(&r, padded, sizeof(padded)), WR_RTP_OK,
              "header-only parse");
    WR_OK(r.pad_len == 0 && r.payload_len == 8,
          "header-only parse leaves padding alone (SRTP)");

    memcpy(p, padded, sizeof(padded));
    p[19] = 8;
    WR_EQ_INT(wr_rtp_parse(&r, p, sizeof(padded)), WR_RTP_OK,
              "padding as long as the whole payload");
    WR_EQ_INT(r.payload_len, 0, "then the payload is empty");

    p[19] = 9;
    WR_EQ_INT(wr_rtp_parse(&r, p, sizeof(padded)), WR_RTP_BAD_PADDING,
              "padding larger than the payload");
    p[19] = 255;
    WR_EQ_INT(wr_rtp_parse(&r, p, sizeof(padded)), WR_RTP_BAD_PADDING,
              "padding count 255 in a 20-byte packet");
    p[19] = 0;
    WR_EQ_INT(wr_rtp_parse(&r, p, sizeof(padded)), WR_RTP_BAD_PADDING,
              "padding count 0");
    WR_EQ_INT(wr_rtp_parse(&r, padded, 12), WR_RTP_BAD_PADDING,
              "P bit without a payload byte for the count");
    WR_EQ_INT(wr_rtp_parse_header(&r, padded, 12), WR_RTP_OK,
              "... which a header-only parse accepts");
}


static void
test_one_byte(void)
{
    int             rc;
    size_t          n;
    uint8_t         level_voice;
    uint16_t        seq;
    uint32_t        t;
    unsigned        level, voice;
    wr_rtp_t        r;
    const uint8_t  *v;
    uint8_t         p[128];

    static const uint8_t  pkt[] = {
        0x90, 0x6f, 0x00, 0x10, 0x00, 0x00, 0x30, 0x00,
        0x01, 0x02, 0x03, 0x04,
        0xbe, 0xde, 0x00, 0x03,
        0x10, '0',                    /* id 1, mid "0" */
        0x00,                         /* padding */
        0x20, 0x9e,                   /* id 2, audio level: voice, 30 */
        0x32, 0x12, 0x34, 0x56,       /* id 3, abs-send-time */
        0x41, 0xab, 0xcd,             /* id 4, transport-wide seq */
        'P', 'A', 'Y'
    };

    rc = wr_rtp_parse(&r, pkt, sizeof(pkt));
    WR_EQ_INT(rc, WR_RTP_OK, "one-byte extensions parse");
    WR_EQ_INT(r.ext_form, WR_RTP_EXT_ONE_BYTE, "one-byte form");
    WR_EQ_INT(r.ext_profile, 0xbede, "profile 0xBEDE");
    WR_OK(r.ext_off == 16 && r.ext_len == 12, "block after its header");
    WR_EQ_INT(r.header_len, 28, "payload after the block");
    WR_OK(r.payload_len == 3 && memcmp(pkt + 28, "PAY", 3) == 0, "payload");
    WR_EQ_INT(r.n_elems, 4, "four elements, padding skipped");

    rc = wr_rtp_ext_mid(&r, 1, &v, &n);
    WR_OK(rc == 1 && n == 1 && v[0] == '0', "mid \"0\"");

    rc = wr_rtp_ext_audio_level(&r, 2, &level, &voice);
    WR_OK(rc == 1 && level == 30 && voice == 1, "audio level 30, voice");

    rc = wr_rtp_ext_abs_send_time(&r, 3, &t);
    WR_OK(rc == 1 && t == 0x123456, "abs-send-time");

    rc = wr_rtp_ext_twcc(&r, 4, &seq);
    WR_OK(rc == 1 && seq == 0xabcd, "transport-wide sequence number");

    WR_EQ_INT(wr_rtp_ext_twcc(&r, 5, &seq), 0, "id 5 absent");
    WR_OK(wr_rtp_ext_mid(&r, 5, &v, &n) == 0
          && wr_rtp_ext_audio_level(&r, 5, &level, &voice) == 0
          && wr_rtp_ext_abs_send_time(&r, 5, &t) == 0
          && wr_rtp_ext_dd(&r, 5, &v, &n) == 0,
          "every getter says absent for id 5");
    WR_OK(wr_rtp_ext_find(&r, 14, &n) == NULL, "id 14 not found");

    /* getters refuse the wrong lengths */
    WR_EQ_INT(wr_rtp_ext_abs_send_time(&r, 4, &t), -1,
              "2 bytes are not an abs-send-time");
    WR_EQ_INT(wr_rtp_ext_twcc(&r, 3, &seq), -1,
              "3 bytes are not a transport-wide seq");
    WR_EQ_INT(wr_rtp_ext_dd(&r, 1, &v, &n), -1,
              "1 byte is not a dependency descriptor");

    /* a silent, quiet level */
    memcpy(p, pkt, sizeof(pkt));
    level_voice = 0x7f;
    p[20] = level_voice;
    wr_rtp_parse(&r, p, sizeof(pkt));
    rc = wr_rtp_ext_audio_level(&r, 2, &level, &voice);
    WR_OK(rc == 1 && level == 127 && voice == 0, "level 127, no voice");

    /* id 15 stops the walk, whatever follows */
    memcpy(p, pkt, sizeof(pkt));
    p[19] = 0xff;
    rc = wr_rtp_parse(&r, p, sizeof(pkt));
    WR_EQ_INT(rc, WR_RTP_OK, "id 15 ends the elements");
    WR_EQ_INT(r.n_elems, 1, "only mid before it");

    /* an element running past the block */
    memcpy(p, pkt, sizeof(pkt));
    p[25] = 0x4f;                     /* id 4 claims 16 bytes */
    WR_EQ_INT(wr_rtp_parse(&r, p, sizeof(pkt)), WR_RTP_BAD_EXTENSION,
              "element longer than its block");

    memcpy(p, pkt, sizeof(pkt));
    p[25] = 0x40;                     /* id 4 now holds 1 byte ... */
    p[27] = 0x30;                     /* ... and the last starts another */
    WR_EQ_INT(wr_rtp_parse(&r, p, sizeof(pkt)), WR_RTP_BAD_EXTENSION,
              "element header on the last byte of the block");

    /* a block longer than the packet */
    memcpy(p, pkt, sizeof(pkt));
    p[15] = 0x05;
    WR_EQ_INT(wr_rtp_parse(&r, p, sizeof(pkt)), WR_RTP_TOO_SHORT,
              "extension length past the packet");
    p[14] = 0xff;
    p[15] = 0xff;
    WR_EQ_INT(wr_rtp_parse(&r, p, sizeof(pkt)), WR_RTP_TOO_SHORT,
              "extension length 0xffff");
    WR_EQ_INT(wr_rtp_parse(&r, pkt, 14), WR_RTP_TOO_SHORT,
              "X bit, extension header cut");
    WR_EQ_INT(wr_rtp_parse(&r, pkt, 27), WR_RTP_TOO_SHORT,
              "extension block cut");

    /* an empty block */
    memcpy(p, pkt, 16);
    p[15] = 0;
    rc = wr_rtp_parse(&r, p, 16);
    WR_OK(rc == WR_RTP_OK && r.n_elems == 0 && r.header_len == 16,
          "empty one-byte block");
}


static void
test_two_byte(void)
{
    int             rc;
    size_t          n;
    uint16_t        seq;
    uint32_t        t;
    unsigned        level, voice;
    wr_rtp_t        r;
    const uint8_t  *v;
    uint8_t         p[128];

    static const uint8_t  pkt[] = {
        0x90, 0x60, 0x00, 0x10, 0x00, 0x00, 0x30, 0x00,
        0x01, 0x02, 0x03, 0x04,
        0x10, 0x01, 0x00, 0x05,       /* two-byte, appbits 1, 5 words */
        0x01, 0x00,                   /* id 1, empty */
        0x0c, 0x05, 0x80, 0x01, 0x02, 0x03, 0x04,   /* id 12, DD */
        0x00,                         /* padding */
        0x03, 0x05, 'v', 'i', 'd', 'e', 'o',        /* id 3, mid */
        0x02, 0x00,                   /* id 2, empty audio level */
        0x00,
        0xee
    };

    rc = wr_rtp_parse(&r, pkt, sizeof(pkt));
    WR_EQ_INT(rc, WR_RTP_OK, "two-byte extensions parse");
    WR_EQ_INT(r.ext_form, WR_RTP_EXT_TWO_BYTE, "two-byte form");
    WR_EQ_INT(r.ext_profile, 0x1001, "profile with appbits");
    WR_EQ_INT(r.n_elems, 4, "four elements");
    WR_EQ_INT(r.header_len, 36, "payload after the block");

    v = wr_rtp_ext_find(&r, 1, &n);
    WR_OK(v != NULL && n == 0, "empty element found, length 0");
    WR_EQ_INT(wr_rtp_ext_mid(&r, 1, &v, &n), -1, "an empty mid is wrong");

    rc = wr_rtp_ext_dd(&r, 12, &v, &n);
    WR_OK(rc == 1 && n == 5 && v == pkt + 20 && v[0] == 0x80,
          "dependency descriptor kept opaque, in place");

    rc = wr_rtp_ext_mid(&r, 3, &v, &n);
    WR_OK(rc == 1 && n == 5 && memcmp(v, "video", 5) == 0, "mid \"video\"");

    WR_EQ_INT(wr_rtp_ext_audio_level(&r, 2, &level, &voice), -1,
              "empty audio level is wrong");
    WR_EQ_INT(wr_rtp_ext_abs_send_time(&r, 12, &t), -1,
              "5 bytes are not an abs-send-time");
    WR_EQ_INT(wr_rtp_ext_twcc(&r, 3, &seq), -1,
              "5 bytes are not a transport-wide seq");

    /* lengths that lie */
    memcpy(p, pkt, sizeof(pkt));
    p[19] = 0x20;
    WR_EQ_INT(wr_rtp_parse(&r, p, sizeof(pkt)), WR_RTP_BAD_EXTENSION,
              "two-byte element longer than its block");

    memcpy(p, pkt, sizeof(pkt));
    p[35] = 0x07;                     /* a nonzero id on the last byte */
    WR_EQ_INT(wr_rtp_parse(&r, p, sizeof(pkt)), WR_RTP_BAD_EXTENSION,
              "element id without room for its length");

    /* another profile: kept, not read */
    memcpy(p, pkt, sizeof(pkt));
    p[12] = 0xab;
    p[13] = 0xac;
    rc = wr_rtp_parse(&r, p, sizeof(pkt));
    WR_OK(rc == WR_RTP_OK && r.ext_form == WR_RTP_EXT_OTHER
          && r.n_elems == 0 && r.header_len == 36,
          "unknown profile: skipped whole");
    WR_OK(wr_rtp_ext_find(&r, 3, &n) == NULL, "and nothing is found in it");
}


static void
test_many_elements(void)
{
    int       i;
    size_t    len, n;
    wr_rtp_t  r;
    uint8_t   p[128];

    static const uint8_t  head[] = {
        0x90, 0x60, 0x00, 0x10, 0x00, 0x00, 0x30, 0x00,
        0x01, 0x02, 0x03, 0x04, 0xbe, 0xde, 0x00, 0x0a
    };

    memcpy(p, head, sizeof(head));
    len = sizeof(head);

    /* 20 elements of 1 byte, then padding to 40 bytes */
    for (i = 0; i < 20; i++) {
        p[len++] = (uint8_t) ((1 + i % 14) << 4);
        p[len++] = (uint8_t) i;
    }

    WR_EQ_INT(wr_rtp_parse(&r, p, len), WR_RTP_OK, "20 elements parse");
    WR_EQ_INT(r.n_elems, WR_RTP_EXT_MAX, "the first 16 are indexed");
    WR_EQ_INT(r.elems_dropped, 4, "4 counted as dropped");
    WR_OK(wr_rtp_ext_find(&r, 1, &n)[0] == 0, "a duplicate id: first wins");
}


static void
test_rewrite(void)
{
    int             rc;
    size_t          n;
    uint16_t        seq;
    wr_rtp_t        a, b;
    uint8_t         p[64];
    const uint8_t  *v;

    static const uint8_t  pkt[] = {
        0xb0, 0xe0, 0x00, 0x10, 0x00, 0x00, 0x30, 0x00,
        0x01, 0x02, 0x03, 0x04,
        0xbe, 0xde, 0x00, 0x02,
        0x41, 0x00, 0x07,             /* id 4, transport-wide seq 7 */
        0x50, 0x99,                   /* id 5, one byte */
        0x00, 0x00, 0x00,
        0x11, 0x22, 0x33, 0x00, 0x00, 0x03
    };

    memcpy(p, pkt, sizeof(pkt));
    WR_EQ_INT(wr_rtp_parse(&a, pkt, sizeof(pkt)), WR_RTP_OK, "original");

    wr_rtp_rewrite(p, 0xcafef00d, 0xfffe, 0x7fffffff);
    wr_rtp_set_pt(p, 100);

    rc = wr_rtp_parse(&b, p, sizeof(pkt));
    WR_EQ_INT(rc, WR_RTP_OK, "rewritten packet parses");
    WR_OK(b.ssrc == 0xcafef00d && b.seq == 0xfffe && b.ts == 0x7fffffff,
          "SSRC, seq, ts rewritten");
    WR_OK(b.pt == 100 && b.marker == 1, "PT changed, marker kept");
    WR_OK(b.padding == 1 && b.extension == 1 && b.csrc_count == 0,
          "first byte untouched");
    WR_OK(b.header_len == a.header_len && b.payload_len == 3
          && b.pad_len == 3, "same layout");
    WR_OK(memcmp(p + 12, pkt + 12, sizeof(pkt) - 12) == 0,
          "extensions, payload and padding untouched");

    WR_EQ_INT(wr_rtp_ext_set_twcc(p, &b, 4, 0xbeef), 0, "twcc rewritten");
    rc = wr_rtp_parse(&b, p, sizeof(pkt));
    WR_OK(rc == WR_RTP_OK && wr_rtp_ext_twcc(&b, 4, &seq) == 1
          && seq == 0xbeef, "new transport-wide seq reads back");
    v = wr_rtp_ext_find(&b, 5, &n);
    WR_OK(v && n == 1 && v[0] == 0x99, "neighbour element untouched");

    WR_EQ_INT(wr_rtp_ext_set_twcc(p, &b, 9, 1), -1, "absent id: -1");
    WR_EQ_INT(wr_rtp_ext_set_twcc(p, &b, 5, 1), -1, "1-byte element: -1");

    wr_rtp_set_ssrc(p, 1);
    wr_rtp_set_seq(p, 2);
    wr_rtp_set_ts(p, 3);
    wr_rtp_parse(&b, p, sizeof(pkt));
    WR_OK(b.ssrc == 1 && b.seq == 2 && b.ts == 3, "single setters");
}


static void
test_strerror(void)
{
    WR_EQ_STR(wr_rtp_strerror(WR_RTP_OK), "ok", "ok");
    WR_EQ_STR(wr_rtp_strerror(WR_RTP_TOO_SHORT), "too_short", "too_short");
    WR_EQ_STR(wr_rtp_strerror(WR_RTP_BAD_VERSION), "bad_version",
              "bad_version");
    WR_EQ_STR(wr_rtp_strerror(WR_RTP_BAD_PADDING), "bad_padding",
              "bad_padding");
    WR_EQ_STR(wr_rtp_strerror(WR_RTP_BAD_EXTENSION), "bad_extension",
              "bad_extension");
    WR_EQ_STR(wr_rtp_strerror(-99), "unknown", "unknown");
}


int
main(void)
{
    test_fixed();
    test_padding();
    test_one_byte();
    test_two_byte();
    test_many_elements();
    test_rewrite();
    test_strerror();

    return wr_test_done();
}
