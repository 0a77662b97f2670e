/*
 * SRTP and SRTCP for the media half, without nginx: sessions built from a
 * plain struct of key bytes, packets protected and unprotected in place.
 *
 * Keys: wr_dtls gives a wr_srtp_keys_t when a handshake completes.  It is
 * plain bytes with no pointers, so the caller copies it into the shared
 * zone as is, and any process can build sessions from that copy later.
 * One PeerConnection has two sessions: inbound (unprotect what the peer
 * sends) and outbound (protect what the server sends).  The DTLS server
 * decrypts with the client's key and encrypts with its own; role says
 * which side this process plays (test peers are WR_SRTP_CLIENT).
 *
 *     wr_srtp_init();                           once per process
 *     in = wr_srtp_create(&keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);
 *     out = wr_srtp_create(&keys, WR_SRTP_OUTBOUND, WR_SRTP_SERVER);
 *     wr_srtp_add_stream(out, ssrc, NULL);      each SSRC the server sends
 *
 *     rc = wr_srtp_unprotect_rtp(in, buf, &len);
 *     rc = wr_srtp_protect_rtp(out, buf, &len, size);
 *
 * Packets are changed in place.  Protecting appends the trailer, so the
 * buffer's size must leave WR_SRTP_RTP_TRAILER_MAX (RTCP:
 * WR_SRTP_RTCP_TRAILER_MAX) bytes after the packet.  Results are
 * WR_SRTP_OK or one of the negative codes below, so that the caller can
 * count replays and authentication failures apart.  Nothing is logged.
 * An inbound session accepts any SSRC (up to 64; the first packet of a
 * new SSRC is taken only if it is authentic); an outbound one protects
 * RTP only for SSRCs added with wr_srtp_add_stream(), and RTCP from any
 * SSRC.  Sessions are not thread-safe; a worker owns the sessions it
 * uses.
 *
 * Allocation: this code allocates only in create, in add_stream and on
 * the first packet of a ninth SSRC of a session, and in free; per
 * packet it neither allocates, locks nor logs.
 *
 * Rebuilding a session in another process (reload, crashed worker).
 * SRTP encrypts packet i of an SSRC with a keystream that depends on the
 * 48-bit index i = ROC * 65536 + seq; the rollover counter (ROC) is not in
 * the packet, each side keeps it.  A new session starts every SSRC at
 * ROC 0, so after a rebuild:
 *   - inbound: a stream that had wrapped its sequence number would fail
 *     authentication for good;
 *   - outbound: the receiver would reject the packets, and reusing an
 *     index with the same key reuses keystream (for GCM: the nonce),
 *     which must never happen.
 * SRTCP carries its index in each packet, but an outbound session would
 * restart it at 1: the receiver drops those as replays, and the keystream
 * repeats.  So the caller keeps, next to the keys in the zone:
 *
 *   1. per SSRC, both directions, a wr_srtp_index_t, advanced with
 *      wr_srtp_index_update(): outbound before protecting each packet (a
 *      crash between protect and store must not leave the stored index
 *      behind a packet already sent), inbound after each packet that
 *      unprotects with WR_SRTP_OK (forgeries must not move it).  Plain
 *      arithmetic on 8 bytes, no lookup.  The stored index may lag the
 *      truth, but the lag plus the gap to the first packet after the
 *      rebuild must stay below 32768, so per packet is the simple rule;
 *   2. per outbound session, an SRTCP index reserved ahead: whenever
 *      wr_srtp_rtcp_index() reaches the stored value, store it plus, say,
 *      1000 before protecting.  Receivers accept the forward jump.
 *
 * and the new process, after wr_srtp_create(), calls
 *   wr_srtp_add_stream(s, ssrc, &stored_index)  for each stored SSRC, in
 *                                                either direction;
 *   wr_srtp_set_rtcp_index(out, stored_rtcp)     for the outbound session.
 * The first packet of a resumed SSRC gets the ROC that RFC 3711's index
 * estimate gives from the stored index, so a rebuilt context continues a
 * stream across a sequence number wrap too.  An outbound stream must then
 * continue with sequence numbers after the stored one (the SFU rewrites
 * them anyway; a forward gap of less than 32768 is fine).  Two processes
 * must never protect with the same keys and SSRC at the same time.  A
 * resumed inbound stream starts a fresh replay window: a packet sent
 * before the rebuild and replayed after it, ahead of the first new one,
 * can be accepted once.
 *
 * Why this is not libsrtp.  Debian's libsrtp2 is built on NSS, which
 * allocates and takes a lock inside every protect and unprotect (about
 * 5 allocations per GCM packet, 14 per AES-CM packet), and took 1.1 us
 * per 1200-byte GCM packet and 5 us per AES-CM packet, where OpenSSL
 * with the keys derived once and contexts kept takes 0.5 and 1.0 us
 * (bench/srtp_bench.c); the fan-out protects once per subscriber.  And
 * libsrtp 2.5 has no way to set an outbound SRTCP index.  So this is RFC
 * 3711 (AES-CM, HMAC-SHA1-80) and RFC 7714 (AEAD-AES-128-GCM) on
 * OpenSSL: per SSRC the index as libsrtp estimates it, and a window of
 * the 1024 indexes below the highest, in which each index is taken once
 * (inbound: replays refused; outbound: no index protected twice); older
 * is refused.  SRTCP carries its index: outbound one counter per
 * session, so (SSRC, index) pairs never repeat and receivers accept the
 * gaps; inbound a window per SSRC.  The unit tests check the bytes both
 * ways against libsrtp itself, and the test peer speaks libsrtp.
 */

#ifndef WR_SRTP_H
#define WR_SRTP_H

#include <stddef.h>
#include <stdint.h>


/* profiles: the IANA DTLS-SRTP protection profile numbers (RFC 5764) */
#define WR_SRTP_AES128_CM_SHA1_80    0x0001
#define WR_SRTP_AEAD_AES_128_GCM     0x0007

#define WR_SRTP_KEY_LEN              16     /* both profiles */
#define WR_SRTP_SALT_MAX             14     /* AES-CM: 14, GCM: 12 */

/* room protect needs after the packet */
#define WR_SRTP_RTP_TRAILER_MAX      16     /* GCM tag; AES-CM: 10 */
#define WR_SRTP_RTCP_TRAILER_MAX     20     /* tag + SRTCP index */

/* wr_srtp_create() */
#define WR_SRTP_INBOUND              0
#define WR_SRTP_OUTBOUND             1

#define WR_SRTP_SERVER               0      /* our DTLS role */
#define WR_SRTP_CLIENT               1

/* results */
#define WR_SRTP_OK                   0
#define WR_SRTP_ERROR               -1      /* bad call, library failure */
#define WR_SRTP_REPLAY              -2      /* seen before, or too old */
#define WR_SRTP_AUTH                -3      /* authentication failed */
#define WR_SRTP_BAD_PACKET          -4      /* not RTP/RTCP, or truncated */
#define WR_SRTP_NO_STREAM           -5      /* outbound SSRC not added */
#define WR_SRTP_NO_ROOM             -6      /* no room for the trailer */


/* The keying material of one DTLS association (RFC 5764 4.2). */

typedef struct {
    uint16_t        profile;                 /* WR_SRTP_AES128_CM_... */
    uint8_t         key_len;                 /* WR_SRTP_KEY_LEN */
    uint8_t         salt_len;
    uint8_t         client_key[WR_SRTP_KEY_LEN];
    uint8_t         client_salt[WR_SRTP_SALT_MAX];
    uint8_t         server_key[WR_SRTP_KEY_LEN];
    uint8_t         server_salt[WR_SRTP_SALT_MAX];
} wr_srtp_keys_t;


/* The highest SRTP index seen on one SSRC; all zero: nothing seen. */

typedef struct {
    uint32_t        roc;
    uint16_t        seq;
    uint16_t        valid;
} wr_srtp_index_t;


typedef struct wr_srtp_s  wr_srtp_t;


int wr_srtp_init(void);

/* NULL on bad keys or no memory */
wr_srtp_t *wr_srtp_create(const wr_srtp_keys_t *keys, int direction,
    int role);
void wr_srtp_free(wr_srtp_t *s);

/*
 * Outbound: an SSRC must be added before its RTP is protected.  Inbound:
 * only SSRCs being resumed are added.  resume is NULL for a new stream.
 * Adding an SSRC that exists restarts it.
 */
int wr_srtp_add_stream(wr_srtp_t *s, uint32_t ssrc,
    const wr_srtp_index_t *resume);
int wr_srtp_remove_stream(wr_srtp_t *s, uint32_t ssrc);

int wr_srtp_protect_rtp(wr_srtp_t *s, uint8_t *buf, size_t *len,
    size_t size);
int wr_srtp_unprotect_rtp(wr_srtp_t *s, uint8_t *buf, size_t *len);
int wr_srtp_protect_rtcp(wr_srtp_t *s, uint8_t *buf, size_t *len,
    size_t size);
int wr_srtp_unprotect_rtcp(wr_srtp_t *s, uint8_t *buf, size_t *len);

/* outbound: the SRTCP index the next protected RTCP packet will carry */
uint32_t wr_srtp_rtcp_index(const wr_srtp_t *s);
int wr_srtp_set_rtcp_index(wr_srtp_t *s, uint32_t next);

/* RFC 3711 3.3.1 index estimate, the same one libsrtp makes */
void wr_srtp_index_update(wr_srtp_index_t *ix, uint16_t seq);
uint64_t wr_srtp_index_guess(const wr_srtp_index_t *ix, uint16_t seq);

/* tag length of a profile's RTP packets, 0 for an unknown profile */
size_t wr_srtp_rtp_trailer(uint16_t profile);


#endif /* WR_SRTP_H */
