/*
 * WebSocket protocol (RFC 6455) without nginx: handshake helpers, an
 * incremental frame parser and frame builders.
 *
 * Handshake: the HTTP glue finds the header values and asks
 *   wr_ws_version_ok()       Sec-WebSocket-Version is 13;
 *   wr_ws_key_ok()           Sec-WebSocket-Key is base64 of 16 bytes;
 *   wr_ws_accept()           the Sec-WebSocket-Accept value for a key;
 *   wr_ws_protocol_offered() a Sec-WebSocket-Protocol list offers a name
 *                            (call it once per header line);
 *   wr_ws_header_has_token() Connection has "upgrade", Upgrade has
 *                            "websocket" (case-insensitive tokens).
 *
 * Parser: the caller owns a wr_ws_parser_t and a message buffer; the
 * buffer's size is the largest data message accepted (summed over its
 * fragments).  Feed bytes in any pieces:
 *
 *     wr_ws_parser_init(&p, buf, sizeof(buf), WR_WS_SERVER);
 *
 *     while (len) {
 *         rc = wr_ws_parse(&p, data, len, &n, &msg);
 *         data += n;
 *         len -= n;
 *
 *         if (rc == WR_WS_MESSAGE) {
 *             handle msg (valid until the next wr_ws_parse() call);
 *             continue;
 *         }
 *
 *         if (rc == WR_WS_ERROR) {
 *             send a close frame with p.error, then close;
 *         }
 *
 *         break;  (WR_WS_AGAIN: all bytes consumed, read more)
 *     }
 *
 * One call yields at most one message, and reports in *consumed how far it
 * read, so bytes after that message stay with the caller.  Ping, pong and
 * close frames are delivered as they come, also between the fragments of a
 * data message; their payload lives inside the parser (at most 125 bytes),
 * so they never disturb a partly received data message.  Text is checked
 * for UTF-8 as it arrives.  After WR_WS_ERROR the parser stays failed
 * (and *consumed only roughly says how far it read); p.error holds the
 * close code to send (1002, 1007 or 1009) and p.error_text a static
 * description for the log.  The parser does not allocate, and does not
 * stop by itself after a close frame: the caller ignores what follows.
 *
 * Builders: server frames are unmasked, so only the header is built and the
 * payload can be sent from where it already is.  Client frames must be
 * masked; the client builders exist for test peers and test suites and do
 * not police the rules, so tests can build bad frames on purpose.
 */

#ifndef WR_WS_H
#define WR_WS_H

#include <stddef.h>
#include <stdint.h>

#include "wr_utf8.h"


/* opcodes */
#define WR_WS_CONT               0x0
#define WR_WS_TEXT               0x1
#define WR_WS_BINARY             0x2
#define WR_WS_CLOSE              0x8
#define WR_WS_PING               0x9
#define WR_WS_PONG               0xa

/* close codes (RFC 6455 7.4.1) */
#define WR_WS_CLOSE_NORMAL       1000
#define WR_WS_CLOSE_GOING_AWAY   1001
#define WR_WS_CLOSE_PROTOCOL     1002
#define WR_WS_CLOSE_UNSUPPORTED  1003
#define WR_WS_CLOSE_NO_STATUS    1005   /* received close had no code */
#define WR_WS_CLOSE_INVALID      1007   /* bad UTF-8 in text */
#define WR_WS_CLOSE_POLICY       1008
#define WR_WS_CLOSE_TOO_BIG      1009
#define WR_WS_CLOSE_INTERNAL     1011

#define WR_WS_CONTROL_MAX        125    /* payload of ping, pong, close */
#define WR_WS_REASON_MAX         123    /* close reason after the code */
#define WR_WS_SERVER_HEADER_MAX  10     /* 2 + 8-byte length */
#define WR_WS_CLIENT_HEADER_MAX  14     /* 2 + 8-byte length + mask */
#define WR_WS_ACCEPT_LEN         28     /* base64 of a SHA-1 digest */

/* wr_ws_parser_init() roles */
#define WR_WS_SERVER             0      /* reads client frames: masked */
#define WR_WS_CLIENT             1      /* reads server frames: unmasked */

/* wr_ws_parse() results */
#define WR_WS_AGAIN              0
#define WR_WS_MESSAGE            1
#define WR_WS_ERROR             -1


typedef struct {
    unsigned        opcode;       /* TEXT, BINARY, CLOSE, PING or PONG */
    const uint8_t  *data;         /* whole payload, unmasked */
    size_t          len;

    /* WR_WS_CLOSE only */
    unsigned        close_code;   /* WR_WS_CLOSE_NO_STATUS if none sent */
    const uint8_t  *reason;       /* UTF-8, not NUL-terminated */
    size_t          reason_len;
} wr_ws_message_t;


typedef struct {
    uint8_t        *buf;
    size_t          size;
    unsigned        role;

    /* the frame being read */
    unsigned        state;
    uint8_t         hdr[WR_WS_CLIENT_HEADER_MAX];
    unsigned        hdr_len;
    unsigned        hdr_need;
    unsigned        opcode;
    unsigned        fin;
    unsigned        masked;
    uint8_t         mask[4];
    uint64_t        frame_len;
    uint64_t        frame_got;

    /* the data message being assembled; msg_opcode 0: none */
    unsigned        msg_opcode;
    size_t          msg_len;
    wr_utf8_t       utf8;

    uint8_t         ctrl[WR_WS_CONTROL_MAX];

    unsigned        error;        /* close code to send, 0 while fine */
    const char     *error_text;
} wr_ws_parser_t;


/*
 * Handshake.  Values may carry the spaces and tabs HTTP allows around
 * them.  The *_ok and *_offered functions return 1 or 0.  wr_ws_accept()
 * writes the NUL-terminated Sec-WebSocket-Accept value and returns 0, or
 * -1 if the key is not valid (or libcrypto fails).
 */
int wr_ws_version_ok(const char *value, size_t len);
int wr_ws_key_ok(const char *key, size_t len);
int wr_ws_accept(const char *key, size_t len,
    char out[WR_WS_ACCEPT_LEN + 1]);
int wr_ws_protocol_offered(const char *list, size_t len, const char *want,
    size_t want_len);
int wr_ws_header_has_token(const char *list, size_t len, const char *token,
    size_t token_len);

/*
 * Parser.  Only p->error and p->error_text are for the caller to read;
 * buf may be NULL with size 0, which admits only empty data messages.
 */
void wr_ws_parser_init(wr_ws_parser_t *p, uint8_t *buf, size_t size,
    unsigned role);
int wr_ws_parse(wr_ws_parser_t *p, const uint8_t *in, size_t len,
    size_t *consumed, wr_ws_message_t *msg);

/* codes a peer may put into a close frame (not 1005, 1006, 1015, ...) */
int wr_ws_close_code_valid(unsigned code);

/*
 * Server builders.  wr_ws_header() writes up to WR_WS_SERVER_HEADER_MAX
 * bytes and returns their count, or 0 for a frame that breaks the rules
 * (unknown opcode, control frame fragmented or longer than 125 bytes).
 * The frame builders write a whole control frame (at most 127 bytes) and
 * return its length, or 0 if it does not fit or breaks the rules; a close
 * with code 0 has an empty payload, and its reason must be UTF-8.
 */
size_t wr_ws_header(uint8_t *out, unsigned opcode, int fin, uint64_t len);
size_t wr_ws_control_frame(uint8_t *out, size_t size, unsigned opcode,
    const uint8_t *payload, size_t len);
size_t wr_ws_close_frame(uint8_t *out, size_t size, unsigned code,
    const uint8_t *reason, size_t len);

/*
 * Client builders.  wr_ws_client_header() writes up to
 * WR_WS_CLIENT_HEADER_MAX bytes; the payload that follows must be masked
 * with wr_ws_mask(), where offset is the payload position of p[0] (so a
 * payload can be masked piece by piece).  wr_ws_client_frame() builds a
 * whole masked frame, returning 0 if it does not fit.
 */
size_t wr_ws_client_header(uint8_t *out, unsigned opcode, int fin,
    uint64_t len, const uint8_t mask[4]);
void wr_ws_mask(uint8_t *p, size_t len, const uint8_t mask[4],
    uint64_t offset);
size_t wr_ws_client_frame(uint8_t *out, size_t size, unsigned opcode,
    int fin, const uint8_t mask[4], const uint8_t *payload, size_t len);


#endif /* WR_WS_H */
