/*
 * DTLS-SRTP (RFC 5764) for the media half, without nginx: OpenSSL 3 over
 * memory BIOs, always in the server role, one certificate for every
 * association.  The caller moves datagrams and runs one timer.
 *
 *     ctx = wr_dtls_ctx_create(&conf);          once: DER certificate, key
 *     d = wr_dtls_create(ctx, fingerprint);     per PeerConnection, with the
 *                                               SHA-256 a=fingerprint of the
 *                                               peer's SDP (32 bytes)
 *
 *     for each datagram whose first byte is 20..63 (RFC 7983):
 *         rc = wr_dtls_handle(d, data, len);
 *         while ((n = wr_dtls_output(d, out, sizeof(out))) > 0) {
 *             send n bytes of out to the peer;
 *         }
 *         WR_DTLS_CONNECTED: wr_dtls_keys(d, &keys), store them, start SRTP;
 *         WR_DTLS_CLOSED:    the peer sent close_notify (Janus: hangup,
 *                            reason "DTLS alert");
 *         WR_DTLS_FAILED:    wr_dtls_error(d) says why (hangup "DTLS error"
 *                            or, for WR_DTLS_E_TIMEOUT, "DTLS timeout").
 *
 *         ms = wr_dtls_timeout(d);  (re)arm a timer for ms, none if -1;
 *         when it fires: rc = wr_dtls_timer(d), send the output, re-arm.
 *
 * The output must be sent after every call that can make some, also
 * one that returns WR_DTLS_FAILED (it may hold the alert telling the peer
 * why).  Each wr_dtls_output() gives one datagram of whole records, at
 * most the configured MTU (WR_DTLS_MTU by default); out must hold that
 * much.  Retransmission follows RFC 6347 (first after retransmit_ms,
 * doubling to 60 s); the handshake fails with WR_DTLS_E_TIMEOUT when it
 * has not completed handshake_timeout_ms after wr_dtls_create().
 *
 * The peer must present a certificate whose SHA-256 digest is the given
 * fingerprint; nothing else about it is checked (WebRTC certificates are
 * self-signed).  use_srtp picks AEAD_AES_128_GCM when the peer offers it,
 * else AES_CM_128_HMAC_SHA1_80; a peer that offers neither fails with
 * WR_DTLS_E_NO_SRTP.  When the handshake completes, the keying material
 * ("EXTRACTOR-dtls_srtp") is split into the client and server master keys
 * and salts of that profile: a plain wr_srtp_keys_t (see wr_srtp.h).
 *
 * CONNECTED, CLOSED and FAILED are each returned once, by the call in
 * which they happen; wr_dtls_state() tells the state at any time.  After
 * CLOSED or FAILED, input is ignored.  Application data (data channels)
 * is not used and is dropped.  wr_dtls_close() queues our close_notify.
 *
 * Nothing is logged: on failure, wr_dtls_reason() gives OpenSSL's packed
 * error code (for ERR_error_string_n()) and the thread's OpenSSL error
 * queue is left empty.  wr_dtls_ctx_create() returns NULL with the reason
 * left in that queue.  The context may be freed before its connections.
 * Time is CLOCK_MONOTONIC (ours) and OpenSSL's own clock (retransmission).
 */

#ifndef WR_DTLS_H
#define WR_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include "wr_srtp.h"


#define WR_DTLS_MTU                 1200
#define WR_DTLS_FINGERPRINT_LEN     32      /* SHA-256 */

#define WR_DTLS_RETRANSMIT_MS       1000    /* RFC 6347 4.2.4.1 */
#define WR_DTLS_HANDSHAKE_MS        30000

/* a DTLS record by RFC 7983's demultiplexing rule, at least a header */
#define wr_dtls_is_record(p, len)                                             \
    ((len) >= 13 && (p)[0] >= 20 && (p)[0] <= 63)

/* wr_dtls_handle(), wr_dtls_timer() */
#define WR_DTLS_AGAIN               0       /* nothing new */
#define WR_DTLS_CONNECTED           1       /* handshake completed now */
#define WR_DTLS_CLOSED              2       /* close_notify received now */
#define WR_DTLS_FAILED             -1       /* failed now */

/* wr_dtls_state() */
#define WR_DTLS_S_HANDSHAKE         0
#define WR_DTLS_S_CONNECTED         1
#define WR_DTLS_S_CLOSED            2
#define WR_DTLS_S_FAILED            3

/* wr_dtls_error() */
#define WR_DTLS_E_NONE              0
#define WR_DTLS_E_FINGERPRINT       1       /* certificate does not match */
#define WR_DTLS_E_NO_SRTP           2       /* no common SRTP profile */
#define WR_DTLS_E_TIMEOUT           3       /* handshake took too long */
#define WR_DTLS_E_ALERT             4       /* the peer sent a fatal alert */
#define WR_DTLS_E_PROTOCOL          5       /* any other DTLS error */
#define WR_DTLS_E_INTERNAL          6       /* no memory, key export failed */


typedef struct {
    const uint8_t  *cert;                   /* DER */
    size_t          cert_len;
    const uint8_t  *key;                    /* DER, as i2d_PrivateKey() */
    size_t          key_len;
    unsigned        mtu;                    /* 0: WR_DTLS_MTU */
    unsigned        retransmit_ms;          /* 0: WR_DTLS_RETRANSMIT_MS */
    unsigned        handshake_ms;           /* 0: WR_DTLS_HANDSHAKE_MS */
} wr_dtls_conf_t;


typedef struct wr_dtls_ctx_s  wr_dtls_ctx_t;
typedef struct wr_dtls_s      wr_dtls_t;


wr_dtls_ctx_t *wr_dtls_ctx_create(const wr_dtls_conf_t *conf);
void wr_dtls_ctx_free(wr_dtls_ctx_t *ctx);

wr_dtls_t *wr_dtls_create(wr_dtls_ctx_t *ctx, const uint8_t *fingerprint);
void wr_dtls_free(wr_dtls_t *d);

int wr_dtls_handle(wr_dtls_t *d, const uint8_t *data, size_t len);
size_t wr_dtls_output(wr_dtls_t *d, uint8_t *out, size_t size);
int wr_dtls_timeout(wr_dtls_t *d);
int wr_dtls_timer(wr_dtls_t *d);
int wr_dtls_close(wr_dtls_t *d);

int wr_dtls_state(const wr_dtls_t *d);
int wr_dtls_error(const wr_dtls_t *d);
unsigned long wr_dtls_reason(const wr_dtls_t *d);

/* 0 and the keys once connected, -1 before */
int wr_dtls_keys(const wr_dtls_t *d, wr_srtp_keys_t *keys);


#endif /* WR_DTLS_H */
