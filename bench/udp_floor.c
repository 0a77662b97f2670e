/*
 * The floor for one forwarded packet on this machine: what the SFU's
 * fan-out cannot avoid, measured the way bench.pl measures the SFU.  One
 * thread plays the worker: for each "incoming" packet it makes one copy
 * per destination, GCM-protects it with wr_srtp (optional; a session per
 * destination, as each subscriber has its own keys) and sends the copies
 * with sendmmsg() in batches of 64, as the module does; its CPU
 * time per packet (including the loopback receive path the kernel runs
 * in the sender's context) is the floor.  Another thread drains N
 * receiving sockets with recvmmsg() and counts.  Not a test: it prints
 * numbers.
 *
 *     cc -O2 -pthread -Isrc/proto -o build/udp_floor bench/udp_floor.c \
 *         src/proto/wr_srtp.c -lcrypto
 *     unshare -n sh -c 'ip link set lo up; build/udp_floor [N] [packets]'
 *
 * N destinations (default 200), packets sent in all (default 2000000).
 */

#define _GNU_SOURCE

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "wr_srtp.h"


#define BATCH     64
#define PAYLOAD   1200
#define PKT_MAX   2048


typedef struct {
    int            *fds;
    unsigned        n;
    volatile int    stop;
    uint64_t        received;
} rx_t;


static double
thread_seconds(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void *
rx_loop(void *arg)
{
    int                  ep, i, k, n, r;
    rx_t                *rx;
    char                 buf[BATCH][PKT_MAX];
    struct iovec         iov[BATCH];
    struct mmsghdr       msgs[BATCH];
    struct epoll_event   ev, evs[64];

    rx = arg;
    ep = epoll_create1(0);

    for (i = 0; i < (int) rx->n; i++) {
        ev.events = EPOLLIN;
        ev.data.fd = rx->fds[i];
        epoll_ctl(ep, EPOLL_CTL_ADD, rx->fds[i], &ev);
    }

    for (i = 0; i < BATCH; i++) {
        iov[i].iov_base = buf[i];
        iov[i].iov_len = PKT_MAX;
        memset(&msgs[i], 0, sizeof(struct mmsghdr));
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }

    while (!rx->stop) {
        n = epoll_wait(ep, evs, 64, 100);

        for (k = 0; k < n; k++) {
            do {
                r = recvmmsg(evs[k].data.fd, msgs, BATCH, MSG_DONTWAIT,
                             NULL);
                if (r > 0) {
                    rx->received += r;
                }
            } while (r == BATCH);
        }
    }

    close(ep);

    return NULL;
}


int
main(int argc, char **argv)
{
    int                  tx, one;
    size_t               len;
    unsigned             i, n, b, k, protect;
    uint64_t             total, sent, seq;
    double               t0, t1;
    rx_t                 rx;
    pthread_t            thread;
    socklen_t            slen;
    wr_srtp_t          **srtp;
    wr_srtp_keys_t       keys;
    struct sockaddr_in  *dst;
    static uint8_t       copies[BATCH][PKT_MAX];
    struct iovec         iov[BATCH];
    struct mmsghdr       msgs[BATCH];

    n = argc > 1 ? (unsigned) atoi(argv[1]) : 200;
    total = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000000;

    if (n == 0 || n > 10000 || wr_srtp_init() != WR_SRTP_OK) {
        fprintf(stderr, "usage: udp_floor [N] [packets]\n");
        return 1;
    }

    memset(&keys, 0x5a, sizeof(keys));
    keys.profile = WR_SRTP_AEAD_AES_128_GCM;
    keys.key_len = WR_SRTP_KEY_LEN;
    keys.salt_len = 12;

    rx.fds = calloc(n, sizeof(int));
    dst = calloc(n, sizeof(struct sockaddr_in));
    rx.n = n;
    rx.stop = 0;
    rx.received = 0;

    srtp = calloc(n, sizeof(wr_srtp_t *));

    if (rx.fds == NULL || dst == NULL || srtp == NULL) {
        return 1;
    }

    for (i = 0; i < n; i++) {
        rx.fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
        dst[i].sin_family = AF_INET;
        dst[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        slen = sizeof(struct sockaddr_in);

        if (rx.fds[i] == -1
            || bind(rx.fds[i], (struct sockaddr *) &dst[i], slen) == -1
            || getsockname(rx.fds[i], (struct sockaddr *) &dst[i], &slen)
               == -1)
        {
            perror("receiver socket");
            return 1;
        }

        keys.server_key[0] = (uint8_t) i;
        srtp[i] = wr_srtp_create(&keys, WR_SRTP_OUTBOUND, WR_SRTP_SERVER);

        if (srtp[i] == NULL
            || wr_srtp_add_stream(srtp[i], 0x1000 + i, NULL) != WR_SRTP_OK)
        {
            fprintf(stderr, "SRTP session\n");
            return 1;
        }
    }

    tx = socket(AF_INET, SOCK_DGRAM, 0);
    one = 4 * 1024 * 1024;
    (void) setsockopt(tx, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));

    pthread_create(&thread, NULL, rx_loop, &rx);

    printf("destinations %u, %u-byte payload, sendmmsg batches of %d\n",
           n, PAYLOAD, BATCH);
    printf("%-28s %10s %10s\n", "what", "us/packet", "received");

    for (protect = 0; protect < 2; protect++) {
        sent = 0;
        seq = 0;
        rx.received = 0;
        t0 = thread_seconds();

        while (sent < total) {
            /* one incoming packet: a copy to every destination */

            seq++;

            for (i = 0; i < n; i += BATCH) {
                b = (n - i < BATCH) ? n - i : BATCH;

                for (k = 0; k < b; k++) {
                    memset(copies[k], 0, 12);
                    copies[k][0] = 0x80;
                    copies[k][1] = 96;
                    copies[k][2] = (uint8_t) (seq >> 8);
                    copies[k][3] = (uint8_t) seq;
                    copies[k][8] = (uint8_t) ((0x1000 + i + k) >> 24);
                    copies[k][9] = (uint8_t) ((0x1000 + i + k) >> 16);
                    copies[k][10] = (uint8_t) ((0x1000 + i + k) >> 8);
                    copies[k][11] = (uint8_t) (0x1000 + i + k);
                    len = 12 + PAYLOAD;

                    if (protect
                        && wr_srtp_protect_rtp(srtp[i + k], copies[k], &len,
                                               PKT_MAX)
                           != WR_SRTP_OK)
                    {
                        fprintf(stderr, "protect failed\n");
                        return 1;
                    }

                    iov[k].iov_base = copies[k];
                    iov[k].iov_len = len;
                    memset(&msgs[k], 0, sizeof(struct mmsghdr));
                    msgs[k].msg_hdr.msg_name = &dst[i + k];
                    msgs[k].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
                    msgs[k].msg_hdr.msg_iov = &iov[k];
                    msgs[k].msg_hdr.msg_iovlen = 1;
                }

                if (sendmmsg(tx, msgs, b, 0) != (int) b && errno != EAGAIN) {
                    perror("sendmmsg");
                    return 1;
                }

                sent += b;
            }
        }

        t1 = thread_seconds();

        /* let the receiver drain what is queued */
        usleep(200000);

        printf("%-28s %10.2f %9.1f%%\n",
               protect ? "copy + GCM protect + send" : "copy + send",
               (t1 - t0) * 1e6 / sent, 100.0 * rx.received / sent);
    }

    rx.stop = 1;
    pthread_join(thread, NULL);

    for (i = 0; i < n; i++) {
        wr_srtp_free(srtp[i]);
    }

    return 0;
}
