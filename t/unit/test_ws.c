/*
 * Tests for the WebSocket protocol code: handshake helpers, the frame
 * parser (every rule that closes the connection, fragmentation, control
 * frames between fragments, size limit, UTF-8, any feeding pattern) and
 * the frame builders, with the example frames of RFC 6455 section 5.7.
 */

#include <stdint.h>

#include "wr_test.h"
#include "wr_ws.h"


#define MAX_MSGS   64
#define RANDOM     ((size_t) -1)


static const uint8_t  rfc_mask[4] = { 0x37, 0xfa, 0x21, 0x3d };


/* a byte stream of frames, built by the client builder */

typedef struct {
    uint8_t  *data;
    size_t    len;
    size_t    size;
} stream_t;


/* what a parser made of a stream */

typedef struct {
    int       n;
    unsigned  opcode[MAX_MSGS];
    size_t    len[MAX_MSGS];
    uint32_t  hash[MAX_MSGS];
    unsigned  code[MAX_MSGS];
    int       rc;               /* WR_WS_AGAIN when all was read, or ERROR */
    unsigned  error;
    size_t    used;             /* bytes consumed in total */
    int       bad_again;        /* AGAIN that left bytes unread */
    int       bad_data;         /* data message not in the caller's buffer */
} run_t;


static void
stream_init(stream_t *s, size_t size)
{
    s->data = calloc(1, size);
    s->len = 0;
    s->size = size;

    if (s->data == NULL) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
}


static void
put(stream_t *s, unsigned opcode, int fin, const void *payload, size_t len)
{
    size_t  n;

    n = wr_ws_client_frame(s->data + s->len, s->size - s->len, opcode, fin,
                           rfc_mask, payload, len);
    if (n == 0) {
        printf("Bail out! test stream too small\n");
        exit(1);
    }

    s->len += n;
}


static void
put_raw(stream_t *s, const void *bytes, size_t len)
{
    if (len > s->size - s->len) {
        printf("Bail out! test stream too small\n");
        exit(1);
    }

    memcpy(s->data + s->len, bytes, len);
    s->len += len;
}


static uint32_t
fnv(const uint8_t *p, size_t n)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261u;

    for (i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }

    return h;
}


static uint32_t
fnv_str(const char *s)
{
    return fnv((const uint8_t *) s, strlen(s));
}


/*
 * Feeds a stream to a fresh parser with a message buffer of `size` bytes:
 * all at once (chunk 0), in pieces of `chunk` bytes, or in random pieces
 * of 1..16 bytes (chunk RANDOM, from seed).
 */

static void
run(const uint8_t *s, size_t len, size_t chunk, uint32_t seed, size_t size,
    unsigned role, run_t *r)
{
    int              rc;
    size_t           off, piece, n;
    uint8_t         *buf;
    wr_ws_parser_t   p;
    wr_ws_message_t  m;

    memset(r, 0, sizeof(run_t));
    r->rc = WR_WS_AGAIN;

    buf = size ? malloc(size) : NULL;
    wr_ws_parser_init(&p, buf, size, role);

    off = 0;

    while (off < len) {
        if (chunk == 0) {
            piece = len - off;

        } else if (chunk == RANDOM) {
            seed = seed * 1103515245u + 12345u;
            piece = 1 + (seed >> 16) % 16;

        } else {
            piece = chunk;
        }

        if (piece > len - off) {
            piece = len - off;
        }

        while (piece) {
            rc = wr_ws_parse(&p, s + off, piece, &n, &m);

            if (n > piece) {
                r->bad_again = 1;
                goto done;
            }

            off += n;
            piece -= n;
            r->used += n;

            if (rc == WR_WS_ERROR) {
                r->rc = rc;
                r->error = p.error;
                goto done;
            }

            if (rc == WR_WS_AGAIN) {
                if (piece) {
                    r->bad_again = 1;
                    goto done;
                }

                break;
            }

            if (r->n == MAX_MSGS) {
                printf("Bail out! too many messages\n");
                exit(1);
            }

            if ((m.opcode == WR_WS_TEXT || m.opcode == WR_WS_BINARY)
                && m.len && m.data != buf)
            {
                r->bad_data = 1;
            }

            r->opcode[r->n] = m.opcode;
            r->len[r->n] = m.len;
            r->hash[r->n] = fnv(m.data, m.len);
            r->code[r->n] = m.close_code;
            r->n++;
        }
    }

done:

    free(buf);
}


static int
same_run(const run_t *a, const run_t *b)
{
    return a->n == b->n
           && memcmp(a->opcode, b->opcode, sizeof(a->opcode)) == 0
           && memcmp(a->len, b->len, sizeof(a->len)) == 0
           && memcmp(a->hash, b->hash, sizeof(a->hash)) == 0
           && memcmp(a->code, b->code, sizeof(a->code)) == 0
           && a->rc == b->rc && a->error == b->error && a->used == b->used
           && !a->bad_again && !b->bad_again
           && !a->bad_data && !b->bad_data;
}


/* The verdict on a stream of client frames, fed at once to a server. */

static void
expect_error(stream_t *s, size_t size, unsigned code, const char *name)
{
    run_t  r;

    run(s->data, s->len, 0, 0, size, WR_WS_SERVER, &r);

    if (!WR_OK(r.rc == WR_WS_ERROR && r.error == code, "%s: close %u",
               name, code))
    {
        printf("#   rc %d, error %u, %d messages\n", r.rc, r.error, r.n);
    }
}


/* handshake */

static void
test_handshake(void)
{
    char  out[WR_WS_ACCEPT_LEN + 1];

#define S(s)  s, sizeof(s) - 1

    /* RFC 6455 section 1.3 */
    memset(out, 'x', sizeof(out));
    WR_EQ_INT(wr_ws_accept(S("dGhlIHNhbXBsZSBub25jZQ=="), out), 0,
              "accept of the RFC sample key");
    WR_EQ_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC sample accept value");

    WR_EQ_INT(wr_ws_accept(S("x3JJHMbDL1EzLkh9GBhXDw=="), out), 0,
              "accept of another key");
    WR_EQ_STR(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=", "its accept value");

    WR_EQ_INT(wr_ws_accept(S(" \twDqumtseNBJdhkihL6PW7w== "), out), 0,
              "accept of a key with whitespace around it");
    WR_EQ_STR(out, "0FFP+2nmNIf/h+4BP36k9uzrYGk=", "whitespace is not hashed");

    WR_EQ_INT(wr_ws_accept(S("dGhlIHNhbXBsZSBub25jZQ="), out), -1,
              "no accept for a bad key");

    WR_OK(wr_ws_key_ok(S("dGhlIHNhbXBsZSBub25jZQ==")), "key of 16 bytes");
    WR_OK(wr_ws_key_ok(S("AAAAAAAAAAAAAAAAAAAAAA==")), "key of zero bytes");
    WR_OK(wr_ws_key_ok(S("+/+/+/+/+/+/+/+/+/+/+w==")), "key with + and /");
    WR_OK(!wr_ws_key_ok(S("dGhlIHNhbXBsZSBub25jZQ=")), "23 characters");
    WR_OK(!wr_ws_key_ok(S("dGhlIHNhbXBsZSBub25jZQ===")), "25 characters");
    WR_OK(!wr_ws_key_ok(S("dGhlIHNhbXBsZSBub25jZQAA")), "no padding");
    WR_OK(!wr_ws_key_ok(S("dGhlIHNhbXBsZSBub25jZ===")), "16 bytes minus 1");
    WR_OK(!wr_ws_key_ok(S("AAAAAAAAAAAAAAAAAAAAAAA=")), "17 bytes");
    WR_OK(!wr_ws_key_ok(S("AAAAAAAAAAAAAAAAAAAA")), "15 bytes");
    WR_OK(!wr_ws_key_ok(S("-_-_-_-_-_-_-_-_-_-_-w==")), "base64url alphabet");
    WR_OK(!wr_ws_key_ok(S("dGhlIHNhbX BsZSBub25jZQ==")), "space inside");
    WR_OK(!wr_ws_key_ok(S("")), "empty key");
    WR_OK(!wr_ws_key_ok(NULL, 0), "no key");

    WR_OK(wr_ws_version_ok(S("13")), "version 13");
    WR_OK(wr_ws_version_ok(S(" 13\t")), "version 13 with whitespace");
    WR_OK(!wr_ws_version_ok(S("8")), "version 8");
    WR_OK(!wr_ws_version_ok(S("12")), "version 12");
    WR_OK(!wr_ws_version_ok(S("130")), "version 130");
    WR_OK(!wr_ws_version_ok(S("013")), "version 013");
    WR_OK(!wr_ws_version_ok(S("1 3")), "version 1 3");
    WR_OK(!wr_ws_version_ok(S("13, 8")), "a version list");
    WR_OK(!wr_ws_version_ok(S("")), "empty version");

#define P(list)  wr_ws_protocol_offered(S(list), S("janus-protocol"))

    WR_OK(P("janus-protocol"), "protocol alone");
    WR_OK(P("foo,janus-protocol"), "protocol second");
    WR_OK(P("foo, janus-protocol, bar"), "protocol in the middle");
    WR_OK(P(" \tjanus-protocol\t "), "protocol with whitespace");
    WR_OK(P(",,janus-protocol,"), "empty list elements are skipped");
    WR_OK(!P("Janus-Protocol"), "protocol names are case-sensitive");
    WR_OK(!P("janus-protocolx"), "longer name");
    WR_OK(!P("xjanus-protocol"), "name with a prefix");
    WR_OK(!P("janus"), "shorter name");
    WR_OK(!P("janus-admin-protocol"), "the admin protocol");
    WR_OK(!P("janus protocol"), "name with a space");
    WR_OK(!P(""), "empty list");
    WR_OK(!P(", ,"), "list of empty elements");
    WR_OK(!wr_ws_protocol_offered(S("a,,b"), S("")), "empty name never");

#undef P
#define T(list, tok)  wr_ws_header_has_token(S(list), S(tok))

    WR_OK(T("Upgrade", "upgrade"), "Connection: Upgrade");
    WR_OK(T("keep-alive, Upgrade", "upgrade"), "Connection: keep-alive, ...");
    WR_OK(!T("keep-alive", "upgrade"), "Connection: keep-alive");
    WR_OK(!T("upgrade-insecure", "upgrade"), "token with a suffix");
    WR_OK(T("WebSocket", "websocket"), "Upgrade: WebSocket");
    WR_OK(T("h2c, websocket", "websocket"), "Upgrade list");
    WR_OK(!T("h2c", "websocket"), "Upgrade: h2c");

#undef T
#undef S
}


/* RFC 6455 section 5.7 */

static void
test_rfc_examples(void)
{
    run_t     r;
    size_t    i;
    uint8_t  *big;

    static const uint8_t  text[] = {
        0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
    static const uint8_t  masked_text[] = {
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    static const uint8_t  fragmented[] = {
        0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f };
    static const uint8_t  ping[] = {
        0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
    static const uint8_t  masked_pong[] = {
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };

    run(masked_text, sizeof(masked_text), 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.rc == WR_WS_AGAIN && r.n == 1 && r.opcode[0] == WR_WS_TEXT
          && r.hash[0] == fnv_str("Hello") && r.used == sizeof(masked_text),
          "5.7 masked text: server reads Hello");

    run(text, sizeof(text), 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.rc == WR_WS_ERROR && r.error == 1002 && r.n == 0,
          "5.7 unmasked text: server closes with 1002");

    run(text, sizeof(text), 0, 0, 64, WR_WS_CLIENT, &r);
    WR_OK(r.n == 1 && r.opcode[0] == WR_WS_TEXT
          && r.hash[0] == fnv_str("Hello"),
          "5.7 unmasked text: client reads Hello");

    run(masked_text, sizeof(masked_text), 0, 0, 64, WR_WS_CLIENT, &r);
    WR_OK(r.rc == WR_WS_ERROR && r.error == 1002,
          "5.7 masked text: client closes with 1002");

    run(fragmented, sizeof(fragmented), 0, 0, 64, WR_WS_CLIENT, &r);
    WR_OK(r.n == 1 && r.opcode[0] == WR_WS_TEXT && r.len[0] == 5
          && r.hash[0] == fnv_str("Hello") && r.rc == WR_WS_AGAIN,
          "5.7 fragmented text: one message Hello");

    run(ping, sizeof(ping), 0, 0, 64, WR_WS_CLIENT, &r);
    WR_OK(r.n == 1 && r.opcode[0] == WR_WS_PING
          && r.hash[0] == fnv_str("Hello"), "5.7 ping with Hello");

    run(masked_pong, sizeof(masked_pong), 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.opcode[0] == WR_WS_PONG
          && r.hash[0] == fnv_str("Hello"), "5.7 masked pong with Hello");

    /* 256 bytes and 64 KiB of binary data, in one unmasked frame each */
    big = malloc(10 + 65536);

    big[0] = 0x82;
    big[1] = 0x7e;
    big[2] = 0x01;
    big[3] = 0x00;

    for (i = 0; i < 256; i++) {
        big[4 + i] = (uint8_t) (i * 7);
    }

    run(big, 4 + 256, 0, 0, 256, WR_WS_CLIENT, &r);
    WR_OK(r.n == 1 && r.opcode[0] == WR_WS_BINARY && r.len[0] == 256
          && r.hash[0] == fnv(big + 4, 256) && r.used == 260,
          "5.7 256 bytes binary with a 16-bit length");

    memcpy(big, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);

    for (i = 0; i < 65536; i++) {
        big[10 + i] = (uint8_t) (i * 13 + (i >> 8));
    }

    run(big, 10 + 65536, 0, 0, 65536, WR_WS_CLIENT, &r);
    WR_OK(r.n == 1 && r.opcode[0] == WR_WS_BINARY && r.len[0] == 65536
          && r.hash[0] == fnv(big + 10, 65536) && r.used == 10 + 65536,
          "5.7 64 KiB binary with a 64-bit length");

    free(big);
}


/* builders, byte for byte */

static void
test_builders(void)
{
    size_t   n;
    uint8_t  out[256], reason[130], a[10], b[10];

    n = wr_ws_header(out, WR_WS_TEXT, 1, 5);
    WR_OK(n == 2 && memcmp(out, "\x81\x05", 2) == 0, "text header of 5");

    n = wr_ws_header(out, WR_WS_TEXT, 0, 3);
    WR_OK(n == 2 && memcmp(out, "\x01\x03", 2) == 0, "first fragment");

    n = wr_ws_header(out, WR_WS_CONT, 1, 2);
    WR_OK(n == 2 && memcmp(out, "\x80\x02", 2) == 0, "last fragment");

    n = wr_ws_header(out, WR_WS_BINARY, 1, 125);
    WR_OK(n == 2 && memcmp(out, "\x82\x7d", 2) == 0, "125: 7-bit length");

    n = wr_ws_header(out, WR_WS_BINARY, 1, 126);
    WR_OK(n == 4 && memcmp(out, "\x82\x7e\x00\x7e", 4) == 0,
          "126: 16-bit length");

    n = wr_ws_header(out, WR_WS_BINARY, 1, 256);
    WR_OK(n == 4 && memcmp(out, "\x82\x7e\x01\x00", 4) == 0,
          "256: 16-bit length (RFC 5.7)");

    n = wr_ws_header(out, WR_WS_BINARY, 1, 65535);
    WR_OK(n == 4 && memcmp(out, "\x82\x7e\xff\xff", 4) == 0,
          "65535: 16-bit length");

    n = wr_ws_header(out, WR_WS_BINARY, 1, 65536);
    WR_OK(n == 10
          && memcmp(out, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10) == 0,
          "65536: 64-bit length (RFC 5.7)");

    n = wr_ws_header(out, WR_WS_TEXT, 1, 0x0102030405060708ULL);
    WR_OK(n == 10
          && memcmp(out, "\x81\x7f\x01\x02\x03\x04\x05\x06\x07\x08", 10) == 0,
          "64-bit length byte order");

    WR_EQ_INT(wr_ws_header(out, WR_WS_TEXT, 1, 1ULL << 63), 0,
              "no length with the top bit");
    WR_EQ_INT(wr_ws_header(out, WR_WS_PING, 1, 126), 0, "no ping of 126");
    WR_EQ_INT(wr_ws_header(out, WR_WS_PING, 0, 1), 0, "no fragmented ping");
    WR_EQ_INT(wr_ws_header(out, 3, 1, 1), 0, "no unknown opcode");
    WR_EQ_INT(wr_ws_header(out, WR_WS_CLOSE, 1, 125), 2, "close of 125");

    n = wr_ws_control_frame(out, sizeof(out), WR_WS_PING,
                            (const uint8_t *) "Hello", 5);
    WR_OK(n == 7 && memcmp(out, "\x89\x05Hello", 7) == 0,
          "ping frame (RFC 5.7)");

    n = wr_ws_control_frame(out, sizeof(out), WR_WS_PONG, NULL, 0);
    WR_OK(n == 2 && memcmp(out, "\x8a\x00", 2) == 0, "empty pong");

    WR_EQ_INT(wr_ws_control_frame(out, 6, WR_WS_PING,
                                  (const uint8_t *) "Hello", 5), 0,
              "ping that does not fit");
    WR_EQ_INT(wr_ws_control_frame(out, sizeof(out), WR_WS_PING, reason, 126),
              0, "ping payload of 126");
    WR_EQ_INT(wr_ws_control_frame(out, sizeof(out), WR_WS_TEXT, reason, 1),
              0, "text is not a control frame");

    n = wr_ws_close_frame(out, sizeof(out), 1000, (const uint8_t *) "bye", 3);
    WR_OK(n == 7 && memcmp(out, "\x88\x05\x03\xe8" "bye", 7) == 0,
          "close 1000 bye");

    n = wr_ws_close_frame(out, sizeof(out), 0, NULL, 0);
    WR_OK(n == 2 && memcmp(out, "\x88\x00", 2) == 0, "close without code");

    n = wr_ws_close_frame(out, sizeof(out), 4999, NULL, 0);
    WR_OK(n == 4 && memcmp(out, "\x88\x02\x13\x87", 4) == 0, "close 4999");

    memset(reason, 'r', sizeof(reason));
    n = wr_ws_close_frame(out, sizeof(out), 1001, reason, 123);
    WR_OK(n == 127 && out[1] == 125 && out[2] == 0x03 && out[3] == 0xe9,
          "close with the longest reason");

    WR_EQ_INT(wr_ws_close_frame(out, sizeof(out), 1001, reason, 124), 0,
              "close reason of 124");
    WR_EQ_INT(wr_ws_close_frame(out, sizeof(out), 0, reason, 1), 0,
              "reason without a code");
    WR_EQ_INT(wr_ws_close_frame(out, sizeof(out), 1005, NULL, 0), 0,
              "1005 is never sent");
    WR_EQ_INT(wr_ws_close_frame(out, sizeof(out), 1006, NULL, 0), 0,
              "1006 is never sent");
    WR_EQ_INT(wr_ws_close_frame(out, sizeof(out), 999, NULL, 0), 0,
              "999 is no close code");
    WR_EQ_INT(wr_ws_close_frame(out, sizeof(out), 1000,
                                (const uint8_t *) "\xff", 1), 0,
              "reason must be UTF-8");
    WR_EQ_INT(wr_ws_close_frame(out, 6, 1000, (const uint8_t *) "bye", 3), 0,
              "close that does not fit");

    /* client side: the masked examples of RFC 5.7 */
    n = wr_ws_client_frame(out, sizeof(out), WR_WS_TEXT, 1, rfc_mask,
                           (const uint8_t *) "Hello", 5);
    WR_OK(n == 11 && memcmp(out, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
                            11) == 0, "masked text frame (RFC 5.7)");

    n = wr_ws_client_frame(out, sizeof(out), WR_WS_PONG, 1, rfc_mask,
                           (const uint8_t *) "Hello", 5);
    WR_OK(n == 11 && memcmp(out, "\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
                            11) == 0, "masked pong frame (RFC 5.7)");

    n = wr_ws_client_header(out, WR_WS_BINARY, 1, 65536, rfc_mask);
    WR_OK(n == 14 && memcmp(out, "\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00"
                                 "\x37\xfa\x21\x3d", 14) == 0,
          "masked 64-bit header");

    WR_EQ_INT(wr_ws_client_frame(out, 10, WR_WS_TEXT, 1, rfc_mask,
                                 (const uint8_t *) "Hello", 5), 0,
              "client frame that does not fit");

    /* masking in pieces gives the same bytes as masking at once */
    memcpy(a, "0123456789", 10);
    memcpy(b, "0123456789", 10);
    wr_ws_mask(a, 10, rfc_mask, 0);
    wr_ws_mask(b, 3, rfc_mask, 0);
    wr_ws_mask(b + 3, 7, rfc_mask, 3);
    WR_EQ_MEM(a, b, 10, "masking piece by piece");
    WR_OK(memcmp(a, "0123456789", 10) != 0, "masking changes the bytes");
    wr_ws_mask(a, 10, rfc_mask, 0);
    WR_EQ_MEM(a, "0123456789", 10, "masking twice restores the bytes");
}


/* frames of every length class, through the builders and back */

static void
test_round_trip(void)
{
    size_t    i, k, n, hl;
    run_t     r;
    uint8_t  *frame, *payload;

    static const size_t  lens[] = { 0, 1, 125, 126, 127, 65535, 65536,
                                    70000 };

    payload = malloc(70000);
    frame = malloc(70000 + WR_WS_CLIENT_HEADER_MAX);

    for (i = 0; i < 70000; i++) {
        payload[i] = (uint8_t) ((i * 2654435761u) >> 13);
    }

    for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        hl = wr_ws_header(frame, WR_WS_BINARY, 1, lens[k]);
        memcpy(frame + hl, payload, lens[k]);

        WR_EQ_INT(hl, lens[k] < 126 ? 2 : (lens[k] < 65536 ? 4 : 10),
                  "server header size");

        run(frame, hl + lens[k], 0, 0, 70000, WR_WS_CLIENT, &r);
        WR_OK(r.n == 1 && r.len[0] == lens[k]
              && r.hash[0] == fnv(payload, lens[k]) && r.rc == WR_WS_AGAIN,
              "server frame of %zu bytes read by a client", lens[k]);

        n = wr_ws_client_frame(frame, 70000 + WR_WS_CLIENT_HEADER_MAX,
                               WR_WS_BINARY, 1, rfc_mask, payload, lens[k]);
        WR_EQ_INT(n, hl + 4 + lens[k], "client frame size");

        run(frame, n, 0, 0, 70000, WR_WS_SERVER, &r);
        WR_OK(r.n == 1 && r.len[0] == lens[k]
              && r.hash[0] == fnv(payload, lens[k]) && r.rc == WR_WS_AGAIN,
              "client frame of %zu bytes read by a server", lens[k]);
    }

    free(payload);
    free(frame);
}


/* fragmentation and control frames between fragments */

static void
test_fragmentation(void)
{
    run_t     r, w;
    size_t    split;
    int       all;
    stream_t  s;

    stream_init(&s, 1024);

    put(&s, WR_WS_TEXT, 0, "Hel", 3);
    put(&s, WR_WS_PING, 1, "p1", 2);
    put(&s, WR_WS_CONT, 0, "lo, ", 4);
    put(&s, WR_WS_PONG, 1, "", 0);
    put(&s, WR_WS_CONT, 0, "", 0);
    put(&s, WR_WS_CONT, 1, "world", 5);
    put(&s, WR_WS_BINARY, 0, "\x00\xff", 2);
    put(&s, WR_WS_CLOSE, 1, "\x03\xe8" "bye", 5);
    put(&s, WR_WS_CONT, 1, "\x01", 1);

    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &w);

    WR_EQ_INT(w.n, 5, "five messages");
    WR_OK(w.opcode[0] == WR_WS_PING && w.hash[0] == fnv_str("p1"),
          "ping between the first fragments");
    WR_OK(w.opcode[1] == WR_WS_PONG && w.len[1] == 0,
          "empty pong between fragments");
    WR_OK(w.opcode[2] == WR_WS_TEXT && w.len[2] == 12
          && w.hash[2] == fnv_str("Hello, world"),
          "text reassembled from four fragments, one empty");
    WR_OK(w.opcode[3] == WR_WS_CLOSE && w.code[3] == 1000
          && w.len[3] == 5, "close between binary fragments");
    WR_OK(w.opcode[4] == WR_WS_BINARY && w.len[4] == 3
          && w.hash[4] == fnv((const uint8_t *) "\x00\xff\x01", 3),
          "binary reassembled across a close frame");
    WR_OK(w.rc == WR_WS_AGAIN && w.used == s.len && !w.bad_again
          && !w.bad_data, "all consumed, data in the caller's buffer");

    /* the same outcome for every way of cutting the stream */
    run(s.data, s.len, 1, 0, 64, WR_WS_SERVER, &r);
    WR_OK(same_run(&r, &w), "byte by byte");

    all = 1;

    for (split = 1; split < 40; split++) {
        run(s.data, s.len, split, 0, 64, WR_WS_SERVER, &r);
        all &= same_run(&r, &w);
    }

    WR_OK(all, "fixed pieces of 1..39 bytes");

    all = 1;

    for (split = 0; split < 200; split++) {
        run(s.data, s.len, RANDOM, (uint32_t) split, 64, WR_WS_SERVER, &r);
        all &= same_run(&r, &w);
    }

    WR_OK(all, "200 random cuttings");

    /* empty messages */
    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "", 0);
    put(&s, WR_WS_BINARY, 0, "", 0);
    put(&s, WR_WS_CONT, 1, "", 0);
    put(&s, WR_WS_PING, 1, "", 0);
    put(&s, WR_WS_CLOSE, 1, "", 0);

    run(s.data, s.len, 0, 0, 0, WR_WS_SERVER, &r);
    WR_OK(r.n == 4 && r.opcode[0] == WR_WS_TEXT && r.len[0] == 0
          && r.opcode[1] == WR_WS_BINARY && r.len[1] == 0
          && r.opcode[2] == WR_WS_PING && r.opcode[3] == WR_WS_CLOSE
          && r.code[3] == WR_WS_CLOSE_NO_STATUS && r.rc == WR_WS_AGAIN,
          "empty messages, even without a buffer; empty close is 1005");

    free(s.data);
}


/* every rule that ends in 1002 */

static void
test_protocol_errors(void)
{
    unsigned  op;
    stream_t  s;
    run_t     r;

    stream_init(&s, 1024);

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "ok", 2);
    put(&s, WR_WS_TEXT, 1, "x", 1);
    s.data[s.len - 7 + 0] |= 0x40;
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.rc == WR_WS_ERROR && r.error == 1002
          && r.used == 8 + 2, "RSV1: message before delivered, then 1002 "
          "after the bad frame's first two bytes");

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "x", 1);
    s.data[0] |= 0x20;
    expect_error(&s, 64, 1002, "RSV2");

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "x", 1);
    s.data[0] |= 0x10;
    expect_error(&s, 64, 1002, "RSV3");

    s.len = 0;
    put(&s, WR_WS_PING, 1, "x", 1);
    s.data[0] |= 0x40;
    expect_error(&s, 64, 1002, "RSV1 on a ping");

    for (op = 3; op < 16; op++) {
        if (op >= WR_WS_CLOSE && op <= WR_WS_PONG) {
            continue;
        }

        s.len = 0;
        put(&s, op, 1, "x", 1);
        run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
        WR_OK(r.rc == WR_WS_ERROR && r.error == 1002, "opcode %u: 1002", op);
    }

    s.len = wr_ws_header(s.data, WR_WS_TEXT, 1, 2);
    put_raw(&s, "hi", 2);
    expect_error(&s, 64, 1002, "unmasked client frame");

    s.len = 0;
    put(&s, WR_WS_PING, 0, "x", 1);
    expect_error(&s, 64, 1002, "fragmented ping");

    s.len = 0;
    put(&s, WR_WS_CLOSE, 0, "", 0);
    expect_error(&s, 64, 1002, "fragmented close");

    s.len = 0;
    put(&s, WR_WS_TEXT, 0, "a", 1);
    put(&s, WR_WS_PONG, 0, "", 0);
    expect_error(&s, 64, 1002, "fragmented pong inside a message");

    /* control frames of 125 bytes pass, 126 do not */
    s.len = 0;
    put(&s, WR_WS_PING, 1, s.data + 512, 125);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.len[0] == 125 && r.rc == WR_WS_AGAIN, "ping of 125");

    s.len = 0;
    put(&s, WR_WS_PING, 1, s.data + 512, 126);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.rc == WR_WS_ERROR && r.error == 1002 && r.used == 2,
          "ping of 126: 1002 before the length is read");

    s.len = 0;
    put(&s, WR_WS_PONG, 1, s.data + 512, 300);
    expect_error(&s, 64, 1002, "pong of 300");

    s.len = 0;
    put(&s, WR_WS_CLOSE, 1, s.data + 512, 126);
    expect_error(&s, 64, 1002, "close of 126");

    s.len = 0;
    put(&s, WR_WS_CONT, 1, "x", 1);
    expect_error(&s, 64, 1002, "continuation outside a message");

    s.len = 0;
    put(&s, WR_WS_CONT, 0, "x", 1);
    expect_error(&s, 64, 1002, "unfinished continuation outside a message");

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "a", 1);
    put(&s, WR_WS_CONT, 1, "b", 1);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.rc == WR_WS_ERROR && r.error == 1002,
          "continuation after a finished message");

    s.len = 0;
    put(&s, WR_WS_TEXT, 0, "a", 1);
    put(&s, WR_WS_TEXT, 1, "b", 1);
    expect_error(&s, 64, 1002, "text inside a fragmented text");

    s.len = 0;
    put(&s, WR_WS_TEXT, 0, "a", 1);
    put(&s, WR_WS_BINARY, 1, "b", 1);
    expect_error(&s, 64, 1002, "binary inside a fragmented text");

    s.len = 0;
    put(&s, WR_WS_BINARY, 0, "a", 1);
    put(&s, WR_WS_PING, 1, "", 0);
    put(&s, WR_WS_TEXT, 0, "b", 1);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.opcode[0] == WR_WS_PING && r.rc == WR_WS_ERROR
          && r.error == 1002, "text inside a fragmented binary, after a ping");

    /* 64-bit lengths: the top bit is reserved */
    s.len = 0;
    put_raw(&s, "\x82\xff\x80\x00\x00\x00\x00\x00\x00\x01", 10);
    put_raw(&s, rfc_mask, 4);
    expect_error(&s, 64, 1002, "64-bit length with the top bit");

    s.len = 0;
    put_raw(&s, "\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff", 10);
    put_raw(&s, rfc_mask, 4);
    expect_error(&s, 64, 1009, "largest 64-bit length is merely too big");

    /* the client role wants unmasked frames */
    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "x", 1);
    run(s.data, s.len, 0, 0, 64, WR_WS_CLIENT, &r);
    WR_OK(r.rc == WR_WS_ERROR && r.error == 1002,
          "client role: masked server frame");

    free(s.data);
}


/* close frames: payload length, codes and reason */

static void
test_close_rules(void)
{
    size_t    i;
    uint8_t   pl[128];
    stream_t  s;
    run_t     r;

    static const unsigned  good[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009,
                                      1010, 1011, 1012, 1013, 1014, 3000,
                                      3999, 4000, 4999 };
    static const unsigned  bad[] = { 0, 1, 999, 1004, 1005, 1006, 1015, 1016,
                                     1100, 2000, 2999, 5000, 65535 };

    stream_init(&s, 1024);

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        pl[0] = (uint8_t) (good[i] >> 8);
        pl[1] = (uint8_t) good[i];
        s.len = 0;
        put(&s, WR_WS_CLOSE, 1, pl, 2);
        run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
        WR_OK(r.n == 1 && r.opcode[0] == WR_WS_CLOSE && r.code[0] == good[i]
              && r.rc == WR_WS_AGAIN, "close code %u accepted", good[i]);
        WR_OK(wr_ws_close_code_valid(good[i]), "%u is valid", good[i]);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pl[0] = (uint8_t) (bad[i] >> 8);
        pl[1] = (uint8_t) bad[i];
        s.len = 0;
        put(&s, WR_WS_CLOSE, 1, pl, 2);
        run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
        WR_OK(r.n == 0 && r.rc == WR_WS_ERROR && r.error == 1002,
              "close code %u: 1002", bad[i]);
        WR_OK(!wr_ws_close_code_valid(bad[i]), "%u is not valid", bad[i]);
    }

    s.len = 0;
    put(&s, WR_WS_CLOSE, 1, "\x03", 1);
    expect_error(&s, 64, 1002, "close payload of one byte");

    /* the missing byte must not be taken from an earlier control frame */
    s.len = 0;
    put(&s, WR_WS_PING, 1, "\x03\xe8", 2);
    put(&s, WR_WS_CLOSE, 1, "\x03", 1);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.rc == WR_WS_ERROR && r.error == 1002,
          "one-byte close after a ping holding a valid code");

    /* the reason: UTF-8, up to 123 bytes, handed over */
    s.len = 0;
    put(&s, WR_WS_CLOSE, 1, "\x03\xe9" "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc"
        "\xce\xb5", 13);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.code[0] == 1001 && r.len[0] == 13,
          "close 1001 with a Greek reason");

    memset(pl, 'z', sizeof(pl));
    pl[0] = 0x0f;
    pl[1] = 0xa0;
    s.len = 0;
    put(&s, WR_WS_CLOSE, 1, pl, 125);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.code[0] == 4000 && r.len[0] == 125,
          "close 4000 with the longest reason");

    s.len = 0;
    put(&s, WR_WS_CLOSE, 1, "\x03\xe8" "ok\xed\xa0\x80", 7);
    expect_error(&s, 64, 1007, "close reason with a surrogate");

    s.len = 0;
    put(&s, WR_WS_CLOSE, 1, "\x03\xe8" "ok\xce", 5);
    expect_error(&s, 64, 1007, "close reason cut inside a character");

    /* the reason is checked, the code decides first */
    s.len = 0;
    put(&s, WR_WS_CLOSE, 1, "\x03\xed" "\xff", 3);
    expect_error(&s, 64, 1002, "bad code and bad reason: 1002");

    free(s.data);
}


/* the limit on a message's size, summed over its fragments */

static void
test_size_limit(void)
{
    stream_t  s;
    run_t     r;
    uint8_t   hdr[WR_WS_CLIENT_HEADER_MAX];
    size_t    n;

    stream_init(&s, 4096);
    memset(s.data + 2048, 'a', 1024);

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, s.data + 2048, 100);
    run(s.data, s.len, 0, 0, 100, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.len[0] == 100 && r.rc == WR_WS_AGAIN,
          "message of exactly the limit");

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, s.data + 2048, 101);
    run(s.data, s.len, 0, 0, 100, WR_WS_SERVER, &r);
    WR_OK(r.rc == WR_WS_ERROR && r.error == 1009 && r.used == 6,
          "one byte over the limit: 1009 right after the header");

    s.len = 0;
    put(&s, WR_WS_BINARY, 0, s.data + 2048, 60);
    put(&s, WR_WS_CONT, 1, s.data + 2048, 40);
    run(s.data, s.len, 0, 0, 100, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.len[0] == 100, "fragments summing to the limit");

    s.len = 0;
    put(&s, WR_WS_BINARY, 0, s.data + 2048, 60);
    put(&s, WR_WS_CONT, 0, s.data + 2048, 40);
    put(&s, WR_WS_CONT, 1, s.data + 2048, 1);
    expect_error(&s, 100, 1009, "fragments one byte over the limit");

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, s.data + 2048, 100);
    put(&s, WR_WS_TEXT, 1, s.data + 2048, 100);
    put(&s, WR_WS_BINARY, 1, s.data + 2048, 100);
    run(s.data, s.len, 0, 0, 100, WR_WS_SERVER, &r);
    WR_OK(r.n == 3 && r.rc == WR_WS_AGAIN,
          "the limit is per message, not per connection");

    /* control frames do not count and do not use the buffer */
    s.len = 0;
    put(&s, WR_WS_TEXT, 0, "ab", 2);
    put(&s, WR_WS_PING, 1, s.data + 2048, 125);
    put(&s, WR_WS_CONT, 1, "cd", 2);
    run(s.data, s.len, 0, 0, 4, WR_WS_SERVER, &r);
    WR_OK(r.n == 2 && r.opcode[0] == WR_WS_PING && r.len[0] == 125
          && r.opcode[1] == WR_WS_TEXT && r.hash[1] == fnv_str("abcd"),
          "a 125-byte ping inside a message with a 4-byte buffer");

    s.len = 0;
    put(&s, WR_WS_BINARY, 1, "x", 1);
    run(s.data, s.len, 0, 0, 0, WR_WS_SERVER, &r);
    WR_OK(r.rc == WR_WS_ERROR && r.error == 1009, "no buffer: 1 byte is 1009");

    /* a huge announced length fails at once, without its payload */
    n = wr_ws_client_header(hdr, WR_WS_BINARY, 1, 1ULL << 40, rfc_mask);
    run(hdr, n, 0, 0, 65536, WR_WS_SERVER, &r);
    WR_OK(r.rc == WR_WS_ERROR && r.error == 1009 && r.used == n,
          "1 TiB announced: 1009 from the header alone");

    n = wr_ws_client_header(hdr, WR_WS_BINARY, 1, 65537, rfc_mask);
    run(hdr, n, 1, 0, 65536, WR_WS_SERVER, &r);
    WR_OK(r.rc == WR_WS_ERROR && r.error == 1009 && r.used == 14,
          "65537 bytes against a 64 KiB limit, header fed byte by byte");

    free(s.data);
}


/* UTF-8 in text messages */

static void
test_text_utf8(void)
{
    stream_t  s;
    run_t     r;

    stream_init(&s, 1024);

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.len[0] == 11 && r.rc == WR_WS_AGAIN, "Greek text");

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "ab\xc0\xaf", 4);
    expect_error(&s, 64, 1007, "overlong in a text frame");

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "\xed\xa0\x80", 3);
    expect_error(&s, 64, 1007, "surrogate in a text frame");

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "\xf4\x90\x80\x80", 4);
    expect_error(&s, 64, 1007, "code point above U+10FFFF");

    /* fail fast: the frame is not complete, the error is already known */
    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "a\xff" "0123456789", 12);
    run(s.data, 6 + 2, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.rc == WR_WS_ERROR && r.error == 1007 && r.used == 8,
          "bad byte found before the rest of its frame arrives");

    s.len = 0;
    put(&s, WR_WS_TEXT, 0, "0123", 4);
    put(&s, WR_WS_CONT, 0, "\xed\xa0", 2);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.rc == WR_WS_ERROR && r.error == 1007,
          "surrogate found in an unfinished fragment");

    /* characters split between fragments are fine */
    s.len = 0;
    put(&s, WR_WS_TEXT, 0, "\xce", 1);
    put(&s, WR_WS_CONT, 1, "\xba", 1);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.hash[0] == fnv_str("\xce\xba"),
          "2-byte character split between fragments");

    s.len = 0;
    put(&s, WR_WS_TEXT, 0, "\xf0", 1);
    put(&s, WR_WS_PING, 1, "", 0);
    put(&s, WR_WS_CONT, 0, "\x9f\x98", 2);
    put(&s, WR_WS_CONT, 1, "\x80", 1);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 2 && r.opcode[1] == WR_WS_TEXT
          && r.hash[1] == fnv_str("\xf0\x9f\x98\x80"),
          "emoji split over three fragments with a ping between");

    s.len = 0;
    put(&s, WR_WS_TEXT, 0, "\xce", 1);
    put(&s, WR_WS_CONT, 1, "a", 1);
    expect_error(&s, 64, 1007, "character interrupted at a fragment");

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "ok\xce", 3);
    expect_error(&s, 64, 1007, "text ends inside a character");

    s.len = 0;
    put(&s, WR_WS_TEXT, 0, "ok\xe2\x82", 4);
    put(&s, WR_WS_CONT, 1, "", 0);
    expect_error(&s, 64, 1007, "empty last fragment leaves a character open");

    /* binary is not text, and its bytes do not leak into the next text */
    s.len = 0;
    put(&s, WR_WS_BINARY, 1, "\xff\xce", 2);
    put(&s, WR_WS_TEXT, 1, "ok", 2);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 2 && r.rc == WR_WS_AGAIN, "binary may hold any bytes");

    s.len = 0;
    put(&s, WR_WS_BINARY, 0, "\xce", 1);
    put(&s, WR_WS_CONT, 1, "", 0);
    put(&s, WR_WS_TEXT, 1, "\xba", 1);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.rc == WR_WS_ERROR && r.error == 1007,
          "each text message starts a fresh UTF-8 check");

    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "\xce\xba", 2);
    put(&s, WR_WS_TEXT, 1, "\xba", 1);
    run(s.data, s.len, 0, 0, 64, WR_WS_SERVER, &r);
    WR_OK(r.n == 1 && r.rc == WR_WS_ERROR && r.error == 1007,
          "a message cannot continue the previous one's character");

    free(s.data);
}


/* consumed bytes, leftovers, and a failed parser staying failed */

static void
test_consumed(void)
{
    int              rc;
    size_t           n, f1, f2;
    uint8_t          buf[64];
    stream_t         s;
    wr_ws_parser_t   p;
    wr_ws_message_t  m;

    stream_init(&s, 1024);

    put(&s, WR_WS_TEXT, 1, "one", 3);
    f1 = s.len;
    put(&s, WR_WS_PING, 1, "two", 3);
    f2 = s.len;
    put(&s, WR_WS_BINARY, 1, "three", 5);

    wr_ws_parser_init(&p, buf, sizeof(buf), WR_WS_SERVER);

    rc = wr_ws_parse(&p, s.data, s.len - 2, &n, &m);
    WR_OK(rc == WR_WS_MESSAGE && n == f1 && m.opcode == WR_WS_TEXT
          && m.len == 3 && memcmp(m.data, "one", 3) == 0
          && m.data == buf, "first message, consumed up to its end");

    rc = wr_ws_parse(&p, s.data + f1, s.len - 2 - f1, &n, &m);
    WR_OK(rc == WR_WS_MESSAGE && n == f2 - f1 && m.opcode == WR_WS_PING
          && m.len == 3 && memcmp(m.data, "two", 3) == 0,
          "second message, consumed up to its end");

    rc = wr_ws_parse(&p, s.data + f2, s.len - 2 - f2, &n, &m);
    WR_OK(rc == WR_WS_AGAIN && n == s.len - 2 - f2,
          "partial third frame consumed whole");

    rc = wr_ws_parse(&p, s.data + s.len - 2, 2, &n, &m);
    WR_OK(rc == WR_WS_MESSAGE && n == 2 && m.opcode == WR_WS_BINARY
          && m.len == 5 && memcmp(m.data, "three", 5) == 0,
          "its last two bytes complete it");

    rc = wr_ws_parse(&p, NULL, 0, &n, &m);
    WR_OK(rc == WR_WS_AGAIN && n == 0, "no bytes, nothing to do");

    /* errors are sticky */
    s.len = 0;
    put(&s, WR_WS_TEXT, 1, "x", 1);
    s.data[0] |= 0x40;
    put(&s, WR_WS_TEXT, 1, "fine", 4);

    wr_ws_parser_init(&p, buf, sizeof(buf), WR_WS_SERVER);

    rc = wr_ws_parse(&p, s.data, s.len, &n, &m);
    WR_OK(rc == WR_WS_ERROR && n == 2 && p.error == 1002
          && p.error_text != NULL, "error with a close code and a text");

    rc = wr_ws_parse(&p, s.data + 7, s.len - 7, &n, &m);
    WR_OK(rc == WR_WS_ERROR && n == 0 && p.error == 1002,
          "a failed parser stays failed and reads nothing");

    free(s.data);
}


/* Feeds a stream in two pieces, cut at `split`; returns the message count. */

static int
two_pieces(const uint8_t *data, size_t split, size_t len)
{
    int              rc, count;
    size_t           off, n, end;
    uint8_t          buf[512];
    wr_ws_parser_t   p;
    wr_ws_message_t  m;

    wr_ws_parser_init(&p, buf, sizeof(buf), WR_WS_SERVER);
    count = 0;
    off = 0;

    for (end = split; ; end = len) {
        do {
            rc = wr_ws_parse(&p, data + off, end - off, &n, &m);
            off += n;
            count += rc == WR_WS_MESSAGE;
        } while (rc == WR_WS_MESSAGE && off < end);

        if (rc == WR_WS_ERROR || off != end) {
            return -1;
        }

        if (end == len) {
            return count;
        }
    }
}


/* a long mixed stream: the same messages whatever the cutting */

static void
test_any_cutting(void)
{
    int       all;
    size_t    i, split;
    run_t     w, r, a, b;
    stream_t  s;
    uint8_t   pl[300];

    stream_init(&s, 4096);

    for (i = 0; i < sizeof(pl); i++) {
        pl[i] = (uint8_t) ('a' + i % 26);
    }

    put(&s, WR_WS_TEXT, 1, "{\"janus\":\"keepalive\"}", 21);
    put(&s, WR_WS_PING, 1, "", 0);
    put(&s, WR_WS_BINARY, 1, pl, 300);
    put(&s, WR_WS_TEXT, 0, pl, 126);
    put(&s, WR_WS_PONG, 1, pl, 125);
    put(&s, WR_WS_CONT, 0, pl, 1);
    put(&s, WR_WS_PING, 1, "x", 1);
    put(&s, WR_WS_CONT, 1, "\xe2\x82\xac", 3);
    put(&s, WR_WS_TEXT, 1, "", 0);
    put(&s, WR_WS_CLOSE, 1, "\x03\xe8", 2);

    run(s.data, s.len, 0, 0, 512, WR_WS_SERVER, &w);
    WR_OK(w.n == 8 && w.rc == WR_WS_AGAIN && w.used == s.len,
          "mixed stream at once: eight messages");
    WR_OK(w.opcode[5] == WR_WS_TEXT && w.len[5] == 130, "text of 130 bytes");
    WR_OK(w.opcode[7] == WR_WS_CLOSE && w.code[7] == 1000, "closing 1000");

    run(s.data, s.len, 1, 0, 512, WR_WS_SERVER, &r);
    WR_OK(same_run(&r, &w), "byte by byte");

    all = 1;

    for (split = 1; split < s.len; split++) {
        run(s.data, split, 0, 0, 512, WR_WS_SERVER, &a);

        all &= two_pieces(s.data, split, s.len) == w.n;
        all &= a.n <= w.n && a.rc == WR_WS_AGAIN && a.used == split;
    }

    WR_OK(all, "every split point into two pieces");

    all = 1;

    for (i = 0; i < 300; i++) {
        run(s.data, s.len, RANDOM, (uint32_t) i * 7919, 512, WR_WS_SERVER, &r);
        all &= same_run(&r, &w);
    }

    WR_OK(all, "300 random cuttings");

    /* a stream ending in an error fails the same way at every cutting */
    put(&s, WR_WS_TEXT, 1, "late", 4);
    s.data[s.len - 10] |= 0x20;

    run(s.data, s.len, 0, 0, 512, WR_WS_SERVER, &a);
    run(s.data, s.len, 1, 0, 512, WR_WS_SERVER, &b);
    WR_OK(a.rc == WR_WS_ERROR && a.error == 1002 && same_run(&a, &b),
          "error after the close frame, byte by byte too");

    free(s.data);
}


/* 64 KiB and larger frames, masked, read in many ways */

static void
test_large_frames(void)
{
    int       all;
    size_t    i, k, len;
    run_t     w, r;
    stream_t  s;
    uint8_t  *pl;

    static const size_t  lens[] = { 65535, 65536, 200000 };

    pl = malloc(200000);
    stream_init(&s, 200000 + 64);

    for (i = 0; i < 200000; i++) {
        pl[i] = (uint8_t) ((i * 2246822519u) >> 19);
    }

    for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        len = lens[k];
        s.len = 0;
        put(&s, WR_WS_BINARY, 1, pl, len);

        WR_EQ_INT(s.len, len + (len < 65536 ? 8 : 14), "frame size");

        run(s.data, s.len, 0, 0, 200000, WR_WS_SERVER, &w);
        WR_OK(w.n == 1 && w.len[0] == len && w.hash[0] == fnv(pl, len)
              && w.rc == WR_WS_AGAIN, "%zu bytes at once", len);

        run(s.data, s.len, 1, 0, 200000, WR_WS_SERVER, &r);
        WR_OK(same_run(&r, &w), "%zu bytes, byte by byte", len);

        run(s.data, s.len, 4093, 0, 200000, WR_WS_SERVER, &r);
        WR_OK(same_run(&r, &w), "%zu bytes in 4093-byte reads", len);

        run(s.data, s.len, 0, 0, len - 1, WR_WS_SERVER, &r);
        WR_OK(r.rc == WR_WS_ERROR && r.error == 1009,
              "%zu bytes against a limit one smaller", len);
    }

    /* a large text message in fragments of 64 KiB + 1 */
    for (i = 0; i < 200000; i++) {
        pl[i] = (uint8_t) ('A' + i % 50);
    }

    s.len = 0;
    put(&s, WR_WS_TEXT, 0, pl, 65537);
    put(&s, WR_WS_PING, 1, "mid", 3);
    put(&s, WR_WS_CONT, 0, pl + 65537, 65537);
    put(&s, WR_WS_CONT, 1, pl + 131074, 200000 - 131074);

    run(s.data, s.len, 0, 0, 200000, WR_WS_SERVER, &w);
    WR_OK(w.n == 2 && w.opcode[1] == WR_WS_TEXT && w.len[1] == 200000
          && w.hash[1] == fnv(pl, 200000), "200000-byte text in fragments");

    all = 1;

    for (i = 0; i < 20; i++) {
        run(s.data, s.len, RANDOM, (uint32_t) i, 200000, WR_WS_SERVER, &r);
        all &= same_run(&r, &w);
    }

    WR_OK(all, "the same in 20 random cuttings");

    free(pl);
    free(s.data);
}


int
main(void)
{
    test_handshake();
    test_rfc_examples();
    test_builders();
    test_round_trip();
    test_fragmentation();
    test_protocol_errors();
    test_close_rules();
    test_size_limit();
    test_text_utf8();
    test_consumed();
    test_any_cutting();
    test_large_frames();

    return wr_test_done();
}
