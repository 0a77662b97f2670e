/*
 * libFuzzer harness for the RTCP unit (wr_rtcp) and the RTP header unit
 * (wr_rtp), which share it because both read the same kind of datagram;
 * see fuzz/README.md.
 *
 * Every input is walked as an RTCP compound and parsed as an RTP packet.
 * Besides the sanitizers' own checks, it aborts when:
 *   - the walk and wr_rtcp_validate() disagree, a packet lies outside the
 *     datagram or the packets do not add up to it, or padding shows up
 *     before the last packet;
 *   - SR and RR packets with nothing extra are not rebuilt byte for byte
 *     by the builders from what the readers read;
 *   - a NACK's expansion has the wrong count, or does not give the same
 *     set of sequence numbers after being built again and expanded;
 *   - FIR entries or a REMB do not read back the same after building;
 *   - an RTP packet's header, payload and padding do not add up to it, an
 *     extension element lies outside its block, the header-only parse
 *     disagrees, or a rewrite changes more than SSRC, seq, ts and PT;
 *   - wr_demux() disagrees with RFC 7983's ranges written out again, or
 *     with what parsed.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wr_rtcp.h"
#include "wr_rtp.h"


#define MAX_IN    4096
#define MAX_SEQS  (MAX_IN / 4 * WR_RTCP_NACK_MAX_SEQS)


static uint16_t  seqs[MAX_SEQS], seqs2[MAX_SEQS];
static uint8_t   set1[8192], set2[8192];
static uint8_t   buf[12 + 4 * MAX_SEQS];
static wr_rtp_t  scratch;


static unsigned
popcount16(unsigned v)
{
    unsigned  n;

    for (n = 0; v; v &= v - 1) {
        n++;
    }

    return n;
}


static void
to_set(const uint16_t *s, size_t n, uint8_t *set)
{
    size_t  i;

    memset(set, 0, 8192);

    for (i = 0; i < n; i++) {
        set[s[i] >> 3] |= (uint8_t) (1 << (s[i] & 7));
    }
}


static void
check_report(const wr_rtcp_pkt_t *pkt)
{
    int               rc;
    size_t            need, n;
    unsigned          i;
    uint8_t           out[8 + 20 + 31 * WR_RTCP_BLOCK_LEN];
    wr_rtcp_block_t   blocks[32];
    wr_rtcp_report_t  r;

    if (pkt->pt == WR_RTCP_SR) {
        rc = wr_rtcp_sr(pkt, &r);
        need = 24;

    } else {
        rc = wr_rtcp_rr(pkt, &r);
        need = 4;
    }

    if (rc != 0) {
        if (rc != WR_RTCP_BAD_PACKET) {
            abort();
        }
        return;
    }

    need += (size_t) r.n_blocks * WR_RTCP_BLOCK_LEN;

    if (need > pkt->body_len || r.n_blocks > 31) {
        abort();
    }

    for (i = 0; i < r.n_blocks; i++) {
        wr_rtcp_block(&r, i, &blocks[i]);
    }

    if (pkt->padding || pkt->len != need + 4) {
        return;
    }

    if (pkt->pt == WR_RTCP_SR) {
        n = wr_rtcp_build_sr(out, sizeof(out), &r, blocks, r.n_blocks);

    } else {
        n = wr_rtcp_build_rr(out, sizeof(out), r.ssrc, blocks, r.n_blocks);
    }

    if (n != pkt->len || memcmp(out, pkt->data, n) != 0) {
        abort();
    }
}


static void
check_nack(const wr_rtcp_fb_t *fb)
{
    int             rc;
    size_t          n, n2, i, expect, len;
    wr_rtcp_fb_t    fb2;
    wr_rtcp_pkt_t   pkt;
    wr_rtcp_iter_t  it;

    rc = wr_rtcp_nack(fb, seqs, MAX_SEQS, &n);

    if (rc != 0) {
        if (rc != WR_RTCP_BAD_PACKET || fb->fci_len >= 4) {
            abort();
        }
        return;
    }

    expect = 0;

    for (i = 0; i < fb->fci_len / 4; i++) {
        expect += 1 + popcount16(((unsigned) fb->fci[4 * i + 2] << 8)
                                 | fb->fci[4 * i + 3]);
    }

    if (n != expect) {
        abort();
    }

    /* a short array gets a prefix */
    if (n > 1) {
        rc = wr_rtcp_nack(fb, seqs2, n - 1, &n2);

        if (rc != 1 || n2 != n - 1
            || memcmp(seqs, seqs2, n2 * sizeof(uint16_t)) != 0)
        {
            abort();
        }
    }

    len = wr_rtcp_build_nack(buf, sizeof(buf), fb->sender_ssrc,
                             fb->media_ssrc, seqs, n);

    wr_rtcp_iter_init(&it, buf, len);

    if (len == 0 || wr_rtcp_next(&it, &pkt) != 1
        || wr_rtcp_fb(&pkt, &fb2) != 0
        || fb2.sender_ssrc != fb->sender_ssrc
        || fb2.media_ssrc != fb->media_ssrc
        || fb2.fci_len > fb->fci_len
        || wr_rtcp_nack(&fb2, seqs2, MAX_SEQS, &n2) != 0)
    {
        abort();
    }

    to_set(seqs, n, set1);
    to_set(seqs2, n2, set2);

    if (memcmp(set1, set2, sizeof(set1)) != 0) {
        abort();
    }
}


static void
check_psfb(const wr_rtcp_fb_t *fb)
{
    int             rc;
    size_t          n;
    unsigned        i, seq, seq2, k;
    uint8_t         out[20 + 4 * 255];
    uint32_t        ssrc, ssrc2, list[255];
    wr_rtcp_fb_t    fb2;
    wr_rtcp_pkt_t   pkt;
    wr_rtcp_iter_t  it;
    wr_rtcp_remb_t  remb, remb2;

    if (fb->fmt == WR_RTCP_PLI) {
        n = wr_rtcp_build_pli(out, sizeof(out), fb->sender_ssrc,
                              fb->media_ssrc);
        wr_rtcp_iter_init(&it, out, n);

        if (n != 12 || wr_rtcp_next(&it, &pkt) != 1
            || wr_rtcp_fb(&pkt, &fb2) != 0 || fb2.fmt != WR_RTCP_PLI
            || fb2.sender_ssrc != fb->sender_ssrc
            || fb2.media_ssrc != fb->media_ssrc || fb2.fci_len != 0)
        {
            abort();
        }
    }

    k = wr_rtcp_fir_count(fb);

    if (k != (fb->fmt == WR_RTCP_FIR ? fb->fci_len / 8 : 0)) {
        abort();
    }

    for (i = 0; i < k; i++) {
        wr_rtcp_fir_entry(fb, i, &ssrc, &seq);
        n = wr_rtcp_build_fir(out, sizeof(out), fb->sender_ssrc, ssrc, seq);
        wr_rtcp_iter_init(&it, out, n);

        if (n != 20 || wr_rtcp_next(&it, &pkt) != 1
            || wr_rtcp_fb(&pkt, &fb2) != 0 || wr_rtcp_fir_count(&fb2) != 1)
        {
            abort();
        }

        wr_rtcp_fir_entry(&fb2, 0, &ssrc2, &seq2);

        if (ssrc2 != ssrc || seq2 != seq) {
            abort();
        }
    }

    rc = wr_rtcp_remb(fb, &remb);
    if (rc != 0) {
        return;
    }

    if (8 + (size_t) remb.n_ssrcs * 4 > fb->fci_len) {
        abort();
    }

    for (i = 0; i < remb.n_ssrcs; i++) {
        list[i] = wr_rtcp_remb_ssrc(&remb, i);
    }

    n = wr_rtcp_build_remb(out, sizeof(out), fb->sender_ssrc, remb.bitrate,
                           list, remb.n_ssrcs);
    wr_rtcp_iter_init(&it, out, n);

    if (n != 20 + 4 * (size_t) remb.n_ssrcs || wr_rtcp_next(&it, &pkt) != 1
        || wr_rtcp_fb(&pkt, &fb2) != 0 || wr_rtcp_remb(&fb2, &remb2) != 0
        || remb2.n_ssrcs != remb.n_ssrcs
        || memcmp(remb2.ssrcs, remb.ssrcs, 4 * (size_t) remb.n_ssrcs) != 0)
    {
        abort();
    }

    /* exact, unless the value was too large for 64 bits */
    if (remb.bitrate != UINT64_MAX && remb2.bitrate != remb.bitrate) {
        abort();
    }
}


static void
fuzz_rtcp(const uint8_t *p, size_t len)
{
    int             rc, count;
    size_t          off;
    wr_rtcp_fb_t    fb;
    wr_rtcp_pkt_t   pkt, first;
    wr_rtcp_iter_t  it;

    wr_rtcp_iter_init(&it, p, len);
    memset(&first, 0, sizeof(first));
    count = 0;
    off = 0;

    while ((rc = wr_rtcp_next(&it, &pkt)) == 1) {
        if (pkt.data != p + off || pkt.len < 4 || (pkt.len & 3)
            || pkt.len > len - off || pkt.body != pkt.data + 4
            || pkt.body_len > pkt.len - 4
            || (pkt.padding && off + pkt.len != len))
        {
            abort();
        }

        if (count == 0) {
            first = pkt;
        }

        off += pkt.len;
        count++;

        switch (pkt.pt) {

        case WR_RTCP_SR:
        case WR_RTCP_RR:
            check_report(&pkt);
            break;

        case WR_RTCP_RTPFB:
        case WR_RTCP_PSFB:
            rc = wr_rtcp_fb(&pkt, &fb);

            if (rc != 0) {
                if (rc != WR_RTCP_BAD_PACKET || pkt.body_len >= 8) {
                    abort();
                }
                break;
            }

            if (fb.fci != pkt.body + 8 || fb.fci_len + 8 != pkt.body_len) {
                abort();
            }

            if (pkt.pt == WR_RTCP_RTPFB && pkt.count == WR_RTCP_NACK) {
                check_nack(&fb);

            } else if (pkt.pt == WR_RTCP_PSFB) {
                check_psfb(&fb);
            }
            break;

        default:
            break;
        }
    }

    if (rc == 0 && off != len) {
        abort();
    }

    if (wr_rtcp_validate(p, len) != (rc < 0 ? rc : (len ? count
                                                       : WR_RTCP_TOO_SHORT)))
    {
        abort();
    }

    if (count && len >= 8 && first.pt >= 192 && first.pt <= 223
        && wr_demux(p, len) != WR_DEMUX_RTCP)
    {
        abort();
    }
}


static void
fuzz_rtp(const uint8_t *p, size_t len)
{
    int             rc, rc2, r;
    size_t          n, vlen;
    uint8_t         copy[MAX_IN];
    uint16_t        seq;
    uint32_t        t;
    unsigned        i, id, level, voice;
    wr_rtp_t        rtp, hdr, again;
    const uint8_t  *v, *w;

    rc = wr_rtp_parse(&rtp, p, len);
    rc2 = wr_rtp_parse_header(&hdr, p, len);

    /* padding is the only difference between the two */
    if ((rc2 != WR_RTP_OK && rc != rc2)
        || (rc2 == WR_RTP_OK && rc != WR_RTP_OK && rc != WR_RTP_BAD_PADDING))
    {
        abort();
    }

    if (rc != WR_RTP_OK) {
        return;
    }

    if (rtp.header_len + rtp.payload_len + rtp.pad_len != len
        || rtp.header_len < WR_RTP_HEADER_LEN + 4 * rtp.csrc_count
        || rtp.header_len != hdr.header_len
        || hdr.payload_len != len - hdr.header_len
        || rtp.n_elems > WR_RTP_EXT_MAX
        || (rtp.ext_form == WR_RTP_EXT_NONE) == rtp.extension)
    {
        abort();
    }

    for (i = 0; i < rtp.n_elems; i++) {
        if (rtp.elems[i].off < rtp.ext_off
            || rtp.elems[i].off + (size_t) rtp.elems[i].len
               > rtp.ext_off + rtp.ext_len
            || rtp.elems[i].id == 0
            || (rtp.ext_form == WR_RTP_EXT_ONE_BYTE
                && (rtp.elems[i].id == 15 || rtp.elems[i].len == 0)))
        {
            abort();
        }
    }

    /* the getters agree with the plain lookup */
    for (id = 0; id < 256; id++) {
        v = wr_rtp_ext_find(&rtp, id, &vlen);

        r = wr_rtp_ext_mid(&rtp, id, &w, &n);
        if (r != (v == NULL ? 0 : vlen ? 1 : -1) || (r == 1 && w != v)) {
            abort();
        }

        r = wr_rtp_ext_audio_level(&rtp, id, &level, &voice);
        if (r != (v == NULL ? 0 : vlen ? 1 : -1)
            || (r == 1 && (level > 127 || voice > 1)))
        {
            abort();
        }

        r = wr_rtp_ext_abs_send_time(&rtp, id, &t);
        if (r != (v == NULL ? 0 : vlen == 3 ? 1 : -1)
            || (r == 1 && t > 0xffffff))
        {
            abort();
        }

        r = wr_rtp_ext_twcc(&rtp, id, &seq);
        if (r != (v == NULL ? 0 : (vlen == 2 || vlen == 4) ? 1 : -1)) {
            abort();
        }

        r = wr_rtp_ext_dd(&rtp, id, &w, &n);
        if (r != (v == NULL ? 0 : vlen >= 3 ? 1 : -1)) {
            abort();
        }
    }

    /* a rewrite touches the four fields only */
    memcpy(copy, p, len);
    wr_rtp_rewrite(copy, ~rtp.ssrc, (uint16_t) (rtp.seq + 1), rtp.ts ^ 1);
    wr_rtp_set_pt(copy, rtp.pt ^ 0x55);

    if (rtp.n_elems) {
        wr_rtp_ext_set_twcc(copy, &rtp, rtp.elems[0].id, 0x1234);
    }

    if (wr_rtp_parse(&again, copy, len) != WR_RTP_OK
        || again.ssrc != ~rtp.ssrc || again.seq != (uint16_t) (rtp.seq + 1)
        || again.ts != (rtp.ts ^ 1) || again.pt != (rtp.pt ^ 0x55)
        || again.marker != rtp.marker || again.header_len != rtp.header_len
        || again.payload_len != rtp.payload_len
        || again.n_elems != rtp.n_elems
        || copy[0] != p[0]
        || memcmp(copy + rtp.header_len, p + rtp.header_len,
                  len - rtp.header_len) != 0)
    {
        abort();
    }

    if ((p[1] < 192 || p[1] > 223) && wr_demux(p, len) != WR_DEMUX_RTP) {
        abort();
    }
}


/* RFC 7983's ranges, written out again */

static void
fuzz_demux(const uint8_t *p, size_t len)
{
    int  want;

    want = WR_DEMUX_UNKNOWN;

    if (len >= 20 && p[0] <= 3) {
        want = WR_DEMUX_STUN;

    } else if (len >= 13 && p[0] >= 20 && p[0] <= 63) {
        want = WR_DEMUX_DTLS;

    } else if (len >= 8 && p[0] >= 128 && p[0] <= 191
               && p[1] >= 192 && p[1] <= 223)
    {
        want = WR_DEMUX_RTCP;

    } else if (len >= 12 && p[0] >= 128 && p[0] <= 191) {
        want = WR_DEMUX_RTP;
    }

    if (wr_demux(p, len) != want) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_IN) {
        return 0;
    }

    fuzz_demux(data, size);

    if (wr_rtcp_strerror(wr_rtcp_validate(data, size)) == NULL
        || wr_rtp_strerror(wr_rtp_parse_header(&scratch, data, size))
           == NULL)
    {
        abort();
    }

    fuzz_rtcp(data, size);
    fuzz_rtp(data, size);

    return 0;
}
