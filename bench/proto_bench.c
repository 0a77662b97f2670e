/*
 * Micro-benchmark of the per-packet protocol units: nanoseconds per STUN
 * connectivity check answered, per RTP header parse + rewrite, per RTCP
 * compound walk.  Not a test: it only prints timings.
 *
 *     mkdir -p build/bench
 *     cc -O2 -Isrc/proto bench/proto_bench.c src/proto/wr_stun.c \
 *         src/proto/wr_rtp.c src/proto/wr_rtcp.c -lnice \
 *         -o build/bench/proto_bench
 *     build/bench/proto_bench [iterations]
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stun/usages/ice.h>

#include "wr_stun.h"
#include "wr_rtp.h"
#include "wr_rtcp.h"


#define PWD  "server-password-0123456789"


static volatile uint64_t  sink;


static const uint16_t  client_known[] = {
    STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
    STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, STUN_ATTRIBUTE_FINGERPRINT, 0
};


static double
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


static int
lookup(void *ctx, const uint8_t *ufrag, size_t ufrag_len,
    const uint8_t *remote, size_t remote_len, const uint8_t **pwd,
    size_t *pwd_len, void **peer)
{
    if (ufrag_len != 4 || memcmp(ufrag, "srvU", 4) != 0) {
        return 0;
    }

    *pwd = (const uint8_t *) PWD;
    *pwd_len = sizeof(PWD) - 1;
    *peer = ctx;

    return 1;
}


static void
bench_stun(long iters)
{
    long                 i, ok;
    size_t               n;
    double               t0, t1;
    uint8_t              req[256], out[WR_STUN_REPLY_MAX];
    wr_stun_t            st;
    StunAgent            cli;
    StunMessage          msg;
    wr_stun_result_t     res;
    struct sockaddr_in   sin;

    wr_stun_init(&st, NULL);
    stun_agent_init(&cli, client_known, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS
                    | STUN_AGENT_USAGE_USE_FINGERPRINT);

    n = stun_usage_ice_conncheck_create(&cli, &msg, req, sizeof(req),
                                        (const uint8_t *) "srvU:cliU", 9,
                                        (const uint8_t *) PWD,
                                        sizeof(PWD) - 1, 1, 1, 0x6e7f1eff,
                                        42, NULL,
                                        STUN_USAGE_ICE_COMPATIBILITY_RFC5245);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(40000);
    sin.sin_addr.s_addr = htonl(0x7f000001);

    ok = 0;
    t0 = now_ns();

    for (i = 0; i < iters; i++) {
        ok += wr_stun_handle(&st, req, n, (struct sockaddr *) &sin,
                             sizeof(sin), lookup, NULL, out, sizeof(out),
                             &res) == WR_STUN_OK;
    }

    t1 = now_ns();

    if (ok != iters) {
        fprintf(stderr, "STUN: %ld of %ld checks answered\n", ok, iters);
        exit(1);
    }

    printf("stun check (validate + answer): %8.1f ns\n", (t1 - t0) / iters);
}


static void
bench_rtp(long iters)
{
    long       i;
    size_t     len;
    double     t0, t1;
    uint8_t    pkt[1200];
    uint16_t   seq;
    unsigned   level, voice;
    wr_rtp_t   rtp;

    /* a video packet as browsers send it: mid, abs-send-time, twcc */
    static const uint8_t  head[] = {
        0x90, 0x60, 0x00, 0x10, 0x00, 0x00, 0x30, 0x00,
        0x01, 0x02, 0x03, 0x04,
        0xbe, 0xde, 0x00, 0x03,
        0x10, '0', 0x22, 0x12, 0x34, 0x56, 0x31, 0xab, 0xcd, 0x40, 0x55,
        0x00
    };

    memset(pkt, 0x77, sizeof(pkt));
    memcpy(pkt, head, sizeof(head));
    len = sizeof(pkt);

    t0 = now_ns();

    for (i = 0; i < iters; i++) {
        if (wr_rtp_parse(&rtp, pkt, len) != WR_RTP_OK) {
            fprintf(stderr, "RTP: parse failed\n");
            exit(1);
        }

        wr_rtp_ext_twcc(&rtp, 3, &seq);
        wr_rtp_ext_audio_level(&rtp, 4, &level, &voice);
        wr_rtp_rewrite(pkt, rtp.ssrc + 1, (uint16_t) (rtp.seq + 1),
                       rtp.ts + 3000);
        sink += seq + level + rtp.payload_len;
    }

    t1 = now_ns();

    printf("rtp parse + 2 extensions + rewrite: %8.1f ns\n",
           (t1 - t0) / iters);
}


static void
bench_rtcp(long iters)
{
    int               rc;
    long              i;
    size_t            len, n;
    double            t0, t1;
    uint8_t           buf[512];
    uint16_t          lost[64];
    uint32_t          ssrcs[1] = { 0x1234 };
    wr_rtcp_fb_t      fb;
    wr_rtcp_pkt_t     pkt;
    wr_rtcp_iter_t    it;
    wr_rtcp_remb_t    remb;
    wr_rtcp_block_t   blocks[2], b;
    wr_rtcp_report_t  r;

    static const uint16_t  seqs[] = { 100, 101, 105, 140 };

    /* what a receiving browser sends: RR, REMB, NACK, PLI */
    memset(blocks, 0, sizeof(blocks));
    blocks[0].ssrc = 0x1234;
    blocks[1].ssrc = 0x5678;

    len = wr_rtcp_build_rr(buf, sizeof(buf), 1, blocks, 2);
    len += wr_rtcp_build_remb(buf + len, sizeof(buf) - len, 1, 1500000,
                              ssrcs, 1);
    len += wr_rtcp_build_nack(buf + len, sizeof(buf) - len, 1, 0x1234, seqs,
                              4);
    len += wr_rtcp_build_pli(buf + len, sizeof(buf) - len, 1, 0x1234);

    if (wr_rtcp_validate(buf, len) != 4) {
        fprintf(stderr, "RTCP: bad compound\n");
        exit(1);
    }

    t0 = now_ns();

    for (i = 0; i < iters; i++) {
        wr_rtcp_iter_init(&it, buf, len);

        while ((rc = wr_rtcp_next(&it, &pkt)) == 1) {
            if (pkt.pt == WR_RTCP_RR && wr_rtcp_rr(&pkt, &r) == 0) {
                wr_rtcp_block(&r, 0, &b);
                sink += b.highest_seq;

            } else if (wr_rtcp_fb(&pkt, &fb) == 0) {
                if (wr_rtcp_nack(&fb, lost, 64, &n) == 0) {
                    sink += n;

                } else if (wr_rtcp_remb(&fb, &remb) == 0) {
                    sink += remb.bitrate;

                } else {
                    sink += fb.media_ssrc;
                }
            }
        }

        sink += (uint64_t) rc;
    }

    t1 = now_ns();

    printf("rtcp walk of RR+REMB+NACK+PLI (%zu B): %8.1f ns\n", len,
           (t1 - t0) / iters);
}


int
main(int argc, char **argv)
{
    long  iters;

    iters = argc > 1 ? atol(argv[1]) : 1000000;

    if (iters <= 0) {
        fprintf(stderr, "usage: proto_bench [iterations]\n");
        return 2;
    }

    bench_stun(iters / 20 > 0 ? iters / 20 : 1);
    bench_rtp(iters);
    bench_rtcp(iters);

    return 0;
}
