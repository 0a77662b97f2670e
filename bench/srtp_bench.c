/*
 * Cost of SRTP per packet, per profile: ns per protect and per unprotect
 * of 1200-byte RTP packets (12-byte header), and of a 100-byte RTCP
 * packet, through wr_srtp (this project's SRTP on OpenSSL) and, for
 * comparison, through the system's libsrtp2 with the same packets.  Not
 * a test: it prints numbers.
 *
 *     cc -O2 -Isrc/proto -o build/srtp_bench bench/srtp_bench.c \
 *         src/proto/wr_srtp.c -lsrtp2 -lcrypto
 *     build/srtp_bench [packets]          (default 1000000)
 *
 * Packets are protected in batches of 8192 with increasing sequence
 * numbers, then unprotected by a receiving session, as a browser would.
 * Debian's libsrtp2 is built on NSS: expect its AES-CM to cost several
 * times GCM.
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "wr_srtp.h"


#define BATCH     8192
#define RTP_LEN   1200
#define RTCP_LEN  100
#define SLOT      1280              /* packet + trailer, 4-byte aligned */
#define SSRC      0x0badcafeu


typedef struct {
    const char  *name;
    uint16_t     profile;
    size_t       salt_len;
} profile_t;


static uint8_t  slots[BATCH][SLOT] __attribute__((aligned(16)));
static size_t   lens[BATCH];


static uint64_t
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


static void
make_rtp(uint8_t *p, uint16_t seq)
{
    uint32_t  ts;

    ts = (uint32_t) seq * 3000;

    memset(p + 12, (uint8_t) seq, RTP_LEN - 12);

    p[0] = 0x80;
    p[1] = 96;
    p[2] = seq >> 8;
    p[3] = seq;
    p[4] = ts >> 24;
    p[5] = ts >> 16;
    p[6] = ts >> 8;
    p[7] = ts;
    p[8] = (uint8_t) (SSRC >> 24);
    p[9] = (uint8_t) (SSRC >> 16);
    p[10] = (uint8_t) (SSRC >> 8);
    p[11] = (uint8_t) SSRC;
}


static void
make_rtcp(uint8_t *p)
{
    memset(p, 0x42, RTCP_LEN);

    p[0] = 0x80;
    p[1] = 204;                     /* APP: any body will do */
    p[2] = 0;
    p[3] = RTCP_LEN / 4 - 1;
    p[4] = (uint8_t) (SSRC >> 24);
    p[5] = (uint8_t) (SSRC >> 16);
    p[6] = (uint8_t) (SSRC >> 8);
    p[7] = (uint8_t) SSRC;
}


static int
bench(const profile_t *pr, long packets)
{
    int             rc;
    long            done, i, n;
    uint16_t        seq;
    uint64_t        t, t_protect, t_unprotect, t_rtcp_p, t_rtcp_u;
    wr_srtp_t      *out, *in;
    wr_srtp_keys_t  keys;

    memset(&keys, 0, sizeof(keys));
    keys.profile = pr->profile;
    keys.key_len = WR_SRTP_KEY_LEN;
    keys.salt_len = (uint8_t) pr->salt_len;

    if (RAND_bytes((uint8_t *) &keys.client_key,
                   sizeof(keys) - offsetof(wr_srtp_keys_t, client_key))
        != 1)
    {
        return -1;
    }

    /* the server sends, a client receives */
    out = wr_srtp_create(&keys, WR_SRTP_OUTBOUND, WR_SRTP_SERVER);
    in = wr_srtp_create(&keys, WR_SRTP_INBOUND, WR_SRTP_CLIENT);

    if (out == NULL || in == NULL
        || wr_srtp_add_stream(out, SSRC, NULL) != WR_SRTP_OK)
    {
        return -1;
    }

    t_protect = 0;
    t_unprotect = 0;
    seq = 0;
    rc = WR_SRTP_OK;

    for (done = 0; done < packets; done += n) {
        n = packets - done < BATCH ? packets - done : BATCH;

        for (i = 0; i < n; i++) {
            make_rtp(slots[i], seq++);
            lens[i] = RTP_LEN;
        }

        t = now_ns();

        for (i = 0; i < n; i++) {
            rc |= wr_srtp_protect_rtp(out, slots[i], &lens[i], SLOT);
        }

        t_protect += now_ns() - t;
        t = now_ns();

        for (i = 0; i < n; i++) {
            rc |= wr_srtp_unprotect_rtp(in, slots[i], &lens[i]);
        }

        t_unprotect += now_ns() - t;
    }

    if (rc != WR_SRTP_OK) {
        fprintf(stderr, "%s: RTP failed\n", pr->name);
        return -1;
    }

    t_rtcp_p = 0;
    t_rtcp_u = 0;

    for (done = 0; done < packets / 10; done += n) {
        n = packets / 10 - done < BATCH ? packets / 10 - done : BATCH;

        for (i = 0; i < n; i++) {
            make_rtcp(slots[i]);
            lens[i] = RTCP_LEN;
        }

        t = now_ns();

        for (i = 0; i < n; i++) {
            rc |= wr_srtp_protect_rtcp(out, slots[i], &lens[i], SLOT);
        }

        t_rtcp_p += now_ns() - t;
        t = now_ns();

        for (i = 0; i < n; i++) {
            rc |= wr_srtp_unprotect_rtcp(in, slots[i], &lens[i]);
        }

        t_rtcp_u += now_ns() - t;
    }

    if (rc != WR_SRTP_OK) {
        fprintf(stderr, "%s: RTCP failed\n", pr->name);
        return -1;
    }

    printf("%-24s %8.0f %10.0f %14.0f %16.0f\n", pr->name,
           (double) t_protect / packets, (double) t_unprotect / packets,
           (double) t_rtcp_p / (packets / 10),
           (double) t_rtcp_u / (packets / 10));

    wr_srtp_free(out);
    wr_srtp_free(in);

    return 0;
}


/* the same through libsrtp2, keyed alike */

static int
bench_libsrtp(const profile_t *pr, long packets)
{
    int                 n;
    long            done, i, k;
    uint8_t         master[30];
    uint16_t        seq;
    uint64_t        t, t_p, t_u, t_rp, t_ru;
    srtp_t          out, in;
    srtp_policy_t   policy;
    srtp_err_status_t   rc;

    memset(&policy, 0, sizeof(policy));

    if (pr->profile == WR_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);

    } else {
        srtp_crypto_policy_set_rtp_default(&policy.rtp);
        srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
    }

    if (RAND_bytes(master, sizeof(master)) != 1) {
        return -1;
    }

    policy.key = master;
    policy.window_size = 1024;
    policy.ssrc.type = ssrc_any_outbound;

    if (srtp_create(&out, &policy) != srtp_err_status_ok) {
        return -1;
    }

    policy.ssrc.type = ssrc_any_inbound;

    if (srtp_create(&in, &policy) != srtp_err_status_ok) {
        return -1;
    }

    t_p = t_u = t_rp = t_ru = 0;
    seq = 0;
    rc = srtp_err_status_ok;

    for (k = 0; k < 2; k++) {
        for (done = 0; done < (k ? packets / 10 : packets); done += BATCH) {
            for (i = 0; i < BATCH; i++) {
                if (k) {
                    make_rtcp(slots[i]);
                    lens[i] = RTCP_LEN;

                } else {
                    make_rtp(slots[i], seq++);
                    lens[i] = RTP_LEN;
                }
            }

            t = now_ns();

            for (i = 0; i < BATCH; i++) {
                n = (int) lens[i];
                rc |= k ? srtp_protect_rtcp(out, slots[i], &n)
                        : srtp_protect(out, slots[i], &n);
                lens[i] = (size_t) n;
            }

            *(k ? &t_rp : &t_p) += now_ns() - t;
            t = now_ns();

            for (i = 0; i < BATCH; i++) {
                n = (int) lens[i];
                rc |= k ? srtp_unprotect_rtcp(in, slots[i], &n)
                        : srtp_unprotect(in, slots[i], &n);
            }

            *(k ? &t_ru : &t_u) += now_ns() - t;
        }
    }

    if (rc != srtp_err_status_ok) {
        fprintf(stderr, "%s: libsrtp failed\n", pr->name);
        return -1;
    }

    /* whole batches: the counts are rounded up to them */

    printf("%-24s %8.0f %10.0f %14.0f %16.0f\n", pr->name,
           (double) t_p / ((packets + BATCH - 1) / BATCH * BATCH),
           (double) t_u / ((packets + BATCH - 1) / BATCH * BATCH),
           (double) t_rp / ((packets / 10 + BATCH - 1) / BATCH * BATCH),
           (double) t_ru / ((packets / 10 + BATCH - 1) / BATCH * BATCH));

    srtp_dealloc(out);
    srtp_dealloc(in);

    return 0;
}


int
main(int argc, char **argv)
{
    long     packets;
    size_t   i;

    static const profile_t  profiles[] = {
        { "AEAD_AES_128_GCM", WR_SRTP_AEAD_AES_128_GCM, 12 },
        { "AES_CM_128_HMAC_SHA1_80", WR_SRTP_AES128_CM_SHA1_80, 14 },
    };

    packets = argc > 1 ? atol(argv[1]) : 1000000;

    if (packets < 10 || wr_srtp_init() != WR_SRTP_OK
        || srtp_init() != srtp_err_status_ok)
    {
        fprintf(stderr, "usage: srtp_bench [packets >= 10]\n");
        return 1;
    }

    printf("wr_srtp (OpenSSL), %ld packets of %d bytes, ns per packet\n",
           packets, RTP_LEN);
    printf("%-24s %8s %10s %14s %16s\n", "profile", "protect", "unprotect",
           "rtcp protect", "rtcp unprotect");

    for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        if (bench(&profiles[i], packets) != 0) {
            return 1;
        }
    }

    printf("\n%s, the same packets\n", srtp_get_version_string());

    for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        if (bench_libsrtp(&profiles[i], packets) != 0) {
            return 1;
        }
    }

    return 0;
}
