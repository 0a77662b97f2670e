/*
 * RTP headers (RFC 3550) and header extensions (RFC 8285) without nginx.
 *
 * The server forwards payloads it must not read (they may be end-to-end
 * encrypted), so this unit reads and rewrites headers only:
 *
 *     if (wr_rtp_parse(&rtp, pkt, len) != WR_RTP_OK) {
 *         drop, count the reason;
 *     }
 *
 *     wr_rtp_ext_audio_level(&rtp, audio_level_id, &level, &voice);
 *     ...
 *     wr_rtp_rewrite(copy, ssrc, seq, ts);   (a copy for one subscriber)
 *
 * wr_rtp_parse() is for a packet after SRTP unprotect: it checks padding.
 * wr_rtp_parse_header() reads the same header from a packet still
 * protected (SRTP leaves the header and its extensions in the clear, but
 * the padding count sits in the encrypted part, before the tag).
 *
 * Extensions: one-byte (profile 0xBEDE) and two-byte (0x100X) blocks are
 * walked once at parse time; each element is checked to lie inside the
 * block, and the first WR_RTP_EXT_MAX are indexed for the lookups.  Ids
 * come from the session's extmap lines.  Padding bytes are skipped; in the
 * one-byte form id 15 ends the walk.  Blocks with another profile are kept
 * as they are and not indexed.
 *
 * Nothing allocates; the result points into the packet.
 */

#ifndef WR_RTP_H
#define WR_RTP_H

#include <stddef.h>
#include <stdint.h>


#define WR_RTP_HEADER_LEN      12
#define WR_RTP_EXT_MAX         16

/* wr_rtp_parse() results */
#define WR_RTP_OK              0
#define WR_RTP_TOO_SHORT      -1     /* shorter than its header says */
#define WR_RTP_BAD_VERSION    -2
#define WR_RTP_BAD_PADDING    -3     /* count 0, or more than the payload */
#define WR_RTP_BAD_EXTENSION  -4     /* an element runs past its block */

/* wr_rtp_t.ext_form */
#define WR_RTP_EXT_NONE        0
#define WR_RTP_EXT_ONE_BYTE    1     /* profile 0xBEDE */
#define WR_RTP_EXT_TWO_BYTE    2     /* profile 0x1000-0x100F */
#define WR_RTP_EXT_OTHER       3


typedef struct {
    uint8_t         id;
    uint8_t         len;             /* 1-16 one-byte, 0-255 two-byte */
    uint32_t        off;             /* of the value, from packet start */
} wr_rtp_elem_t;


typedef struct {
    const uint8_t  *data;            /* the packet */
    size_t          len;

    unsigned        padding;         /* P bit */
    unsigned        extension;       /* X bit */
    unsigned        csrc_count;
    unsigned        marker;
    unsigned        pt;
    uint16_t        seq;
    uint32_t        ts;
    uint32_t        ssrc;
    const uint8_t  *csrc;            /* csrc_count words, network order */

    size_t          header_len;      /* the payload starts here */
    size_t          payload_len;     /* without padding */
    size_t          pad_len;         /* 0 from wr_rtp_parse_header() */

    unsigned        ext_form;        /* WR_RTP_EXT_* */
    uint16_t        ext_profile;
    size_t          ext_off;         /* block body, after its 4 bytes */
    size_t          ext_len;

    unsigned        n_elems;         /* indexed, at most WR_RTP_EXT_MAX */
    unsigned        elems_dropped;   /* more elements than the index */
    wr_rtp_elem_t   elems[WR_RTP_EXT_MAX];
} wr_rtp_t;


int wr_rtp_parse(wr_rtp_t *rtp, const uint8_t *p, size_t len);
int wr_rtp_parse_header(wr_rtp_t *rtp, const uint8_t *p, size_t len);

/* a short name for a result code, for counters */
const char *wr_rtp_strerror(int rc);

/*
 * Extension elements by id.  wr_rtp_ext_find() returns the value and its
 * length, or NULL if absent (a zero-length value is not NULL).  The typed
 * getters return 1 found, 0 absent, -1 present with an impossible length:
 *   mid             RFC 8843: 1+ bytes of text, not NUL-terminated;
 *   audio level     RFC 6464: level 0-127 (-dBov), voice activity 0/1;
 *   abs-send-time   24 bits, 6.18 fixed-point seconds;
 *   transport-wide sequence number (transport-cc), 16 bits;
 *   dependency descriptor (AV1 RTP spec), kept opaque: 3+ bytes.
 */
const uint8_t *wr_rtp_ext_find(const wr_rtp_t *rtp, unsigned id,
    size_t *len);
int wr_rtp_ext_mid(const wr_rtp_t *rtp, unsigned id, const uint8_t **mid,
    size_t *len);
int wr_rtp_ext_audio_level(const wr_rtp_t *rtp, unsigned id,
    unsigned *level, unsigned *voice);
int wr_rtp_ext_abs_send_time(const wr_rtp_t *rtp, unsigned id,
    uint32_t *t);
int wr_rtp_ext_twcc(const wr_rtp_t *rtp, unsigned id, uint16_t *seq);
int wr_rtp_ext_dd(const wr_rtp_t *rtp, unsigned id, const uint8_t **dd,
    size_t *len);

/*
 * In-place rewrites of a packet that parsed (at least 12 bytes); pkt may
 * be a copy of the parsed one, laid out the same.
 */
void wr_rtp_set_ssrc(uint8_t *pkt, uint32_t ssrc);
void wr_rtp_set_seq(uint8_t *pkt, uint16_t seq);
void wr_rtp_set_ts(uint8_t *pkt, uint32_t ts);
void wr_rtp_set_pt(uint8_t *pkt, unsigned pt);        /* keeps the marker */
void wr_rtp_rewrite(uint8_t *pkt, uint32_t ssrc, uint16_t seq, uint32_t ts);

/* writes a transport-wide sequence number; 0, or -1 if absent or short */
int wr_rtp_ext_set_twcc(uint8_t *pkt, const wr_rtp_t *rtp, unsigned id,
    uint16_t seq);


#endif /* WR_RTP_H */
