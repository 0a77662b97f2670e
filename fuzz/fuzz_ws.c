/*
 * libFuzzer harness for the WebSocket parser (wr_ws) and the UTF-8
 * validator (wr_utf8); see fuzz/README.md.
 *
 * Input: byte 0 picks the role and the message buffer size, byte 1 seeds
 * how the stream is cut into pieces, the rest is the stream.  Besides the
 * sanitizers' own checks, it aborts when:
 *   - a call consumes more than it was given, or says AGAIN with bytes left;
 *   - a delivered message breaks a rule the parser is meant to enforce;
 *   - cutting the stream differently changes any message or the verdict;
 *   - a data message, built again with the builders, does not parse back;
 *   - the UTF-8 validator disagrees with a plain decoder, or with itself
 *     when fed in two pieces;
 *   - a close or ping frame built from the input is refused or accepted
 *     wrongly, or does not parse back;
 *   - the handshake helpers accept a key they cannot answer.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wr_ws.h"
#include "wr_utf8.h"


typedef struct {
    unsigned  opcode;
    size_t    len;
    uint32_t  hash;
    unsigned  code;
} rec_t;


typedef struct {
    rec_t    *recs;
    size_t    n;
    size_t    max;
    int       rc;
    unsigned  error;
    size_t    used;
} result_t;


static const uint8_t  mask_key[4] = { 0xa5, 0x01, 0x7e, 0xc3 };
static const size_t   sizes[8] = { 0, 1, 16, 125, 126, 200, 1024, 65536 };


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


/* a decoder written differently from the state machine */

static int
ref_utf8(const uint8_t *s, size_t n)
{
    size_t    i, j, k;
    uint32_t  cp, min;

    for (i = 0; i < n; i += k + 1) {
        if (s[i] < 0x80) {
            k = 0;
            continue;
        }

        if ((s[i] & 0xe0) == 0xc0) {
            k = 1; cp = s[i] & 0x1f; min = 0x80;

        } else if ((s[i] & 0xf0) == 0xe0) {
            k = 2; cp = s[i] & 0x0f; min = 0x800;

        } else if ((s[i] & 0xf8) == 0xf0) {
            k = 3; cp = s[i] & 0x07; min = 0x10000;

        } else {
            return 0;
        }

        if (n - i - 1 < k) {
            return 0;
        }

        for (j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) {
                return 0;
            }

            cp = (cp << 6) | (s[i + j] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
    }

    return 1;
}


static void
check_message(const wr_ws_message_t *m, const uint8_t *buf, size_t size)
{
    switch (m->opcode) {

    case WR_WS_TEXT:
        if (!wr_utf8_valid(m->data, m->len) || !ref_utf8(m->data, m->len)) {
            abort();
        }

        /* fall through */

    case WR_WS_BINARY:
        if (m->len > size || (m->len && m->data != buf)) {
            abort();
        }
        break;

    case WR_WS_CLOSE:
        if (m->len == 0) {
            if (m->close_code != WR_WS_CLOSE_NO_STATUS) {
                abort();
            }
            break;
        }

        if (m->len < 2 || m->len > WR_WS_CONTROL_MAX
            || !wr_ws_close_code_valid(m->close_code)
            || m->close_code != (((unsigned) m->data[0] << 8) | m->data[1])
            || m->reason != m->data + 2 || m->reason_len != m->len - 2
            || !ref_utf8(m->reason, m->reason_len))
        {
            abort();
        }
        break;

    case WR_WS_PING:
    case WR_WS_PONG:
        if (m->len > WR_WS_CONTROL_MAX) {
            abort();
        }
        break;

    default:
        abort();
    }
}


/*
 * Feeds the stream in pieces: chunk 0 all at once, otherwise pieces of
 * 1..chunk bytes chosen by seed.  Records what comes out.
 */

static void
feed(const uint8_t *s, size_t len, unsigned role, size_t size, size_t chunk,
    uint32_t seed, result_t *res)
{
    int              rc;
    size_t           off, piece, n;
    uint8_t         *buf;
    wr_ws_parser_t   p;
    wr_ws_message_t  m;

    buf = malloc(size ? size : 1);
    wr_ws_parser_init(&p, buf, size, role);

    res->n = 0;
    res->rc = WR_WS_AGAIN;
    res->error = 0;
    res->used = 0;

    off = 0;

    while (off < len) {
        seed = seed * 1103515245u + 12345u;
        piece = chunk ? 1 + (seed >> 16) % chunk : len - off;

        if (piece > len - off) {
            piece = len - off;
        }

        while (piece) {
            rc = wr_ws_parse(&p, s + off, piece, &n, &m);

            if (n > piece) {
                abort();
            }

            off += n;
            piece -= n;

            if (rc == WR_WS_ERROR) {
                if (p.error != WR_WS_CLOSE_PROTOCOL
                    && p.error != WR_WS_CLOSE_INVALID
                    && p.error != WR_WS_CLOSE_TOO_BIG)
                {
                    abort();
                }

                /* and it stays failed */
                if (wr_ws_parse(&p, s, len, &n, &m) != WR_WS_ERROR || n) {
                    abort();
                }

                res->rc = rc;
                res->error = p.error;
                goto done;
            }

            if (rc == WR_WS_AGAIN) {
                if (piece) {
                    abort();
                }
                break;
            }

            if (rc != WR_WS_MESSAGE || res->n == res->max) {
                abort();
            }

            check_message(&m, buf, size);

            res->recs[res->n].opcode = m.opcode;
            res->recs[res->n].len = m.len;
            res->recs[res->n].hash = fnv(m.data, m.len);
            res->recs[res->n].code = m.close_code;
            res->n++;
        }
    }

done:

    res->used = off;
    free(buf);
}


static void
same(const result_t *a, const result_t *b)
{
    /* after an error, how far the parser read depends on the cutting */
    if (a->n != b->n || a->rc != b->rc || a->error != b->error
        || (a->rc != WR_WS_ERROR && a->used != b->used)
        || (a->n && memcmp(a->recs, b->recs, a->n * sizeof(rec_t)) != 0))
    {
        abort();
    }
}


/* Build a message again, as a client and as a server would, and parse it. */

static void
round_trip(unsigned opcode, const uint8_t *data, size_t len)
{
    int              rc;
    size_t           n, used;
    uint8_t         *frame, buf[1];
    uint8_t         *mbuf;
    wr_ws_parser_t   p;
    wr_ws_message_t  m;

    frame = malloc(len + WR_WS_CLIENT_HEADER_MAX);
    mbuf = malloc(len ? len : 1);

    n = wr_ws_client_frame(frame, len + WR_WS_CLIENT_HEADER_MAX, opcode, 1,
                           mask_key, data, len);
    wr_ws_parser_init(&p, len ? mbuf : buf, len, WR_WS_SERVER);
    rc = wr_ws_parse(&p, frame, n, &used, &m);

    if (n == 0 || rc != WR_WS_MESSAGE || used != n || m.opcode != opcode
        || m.len != len || (len && memcmp(m.data, data, len) != 0))
    {
        abort();
    }

    n = wr_ws_header(frame, opcode, 1, len);
    memcpy(frame + n, data, len);
    wr_ws_parser_init(&p, len ? mbuf : buf, len, WR_WS_CLIENT);
    rc = wr_ws_parse(&p, frame, n + len, &used, &m);

    if (n == 0 || rc != WR_WS_MESSAGE || used != n + len
        || m.opcode != opcode || m.len != len
        || (len && memcmp(m.data, data, len) != 0))
    {
        abort();
    }

    free(frame);
    free(mbuf);
}


/* Every data message in the stream survives being built again. */

static void
rebuild_all(const uint8_t *s, size_t len, unsigned role, size_t bufsize)
{
    size_t           off, n, i;
    uint8_t         *buf;
    wr_ws_parser_t   p;
    wr_ws_message_t  m;

    buf = malloc(bufsize ? bufsize : 1);
    wr_ws_parser_init(&p, buf, bufsize, role);

    for (off = 0, i = 0; off < len && i < 64; i++) {
        if (wr_ws_parse(&p, s + off, len - off, &n, &m) != WR_WS_MESSAGE) {
            break;
        }

        off += n;

        if (m.opcode == WR_WS_TEXT || m.opcode == WR_WS_BINARY) {
            round_trip(m.opcode, m.data, m.len);
        }
    }

    free(buf);
}


static void
fuzz_utf8(const uint8_t *s, size_t len, size_t split)
{
    int        v, two;
    wr_utf8_t  u;

    v = wr_utf8_valid(s, len);

    if (v != ref_utf8(s, len)) {
        abort();
    }

    wr_utf8_init(&u);
    two = wr_utf8_feed(&u, s, split) == WR_UTF8_OK
          && wr_utf8_feed(&u, s + split, len - split) == WR_UTF8_OK
          && wr_utf8_complete(&u);

    if (two != v) {
        abort();
    }
}


/* Close and ping frames built from the input parse back to the same. */

static void
fuzz_builders(const uint8_t *s, size_t len)
{
    int              want;
    size_t           n, used, rlen;
    unsigned         code;
    uint8_t          out[WR_WS_CONTROL_MAX + 2];
    wr_ws_parser_t   p;
    wr_ws_message_t  m;

    if (len < 2) {
        return;
    }

    code = ((unsigned) s[0] << 8) | s[1];
    rlen = len - 2 < 130 ? len - 2 : 130;

    n = wr_ws_close_frame(out, sizeof(out), code, s + 2, rlen);

    want = code == 0 ? rlen == 0
                     : wr_ws_close_code_valid(code) && rlen <= 123
                       && ref_utf8(s + 2, rlen);

    if ((n != 0) != want) {
        abort();
    }

    if (n) {
        wr_ws_parser_init(&p, NULL, 0, WR_WS_CLIENT);

        if (wr_ws_parse(&p, out, n, &used, &m) != WR_WS_MESSAGE || used != n
            || m.opcode != WR_WS_CLOSE
            || m.close_code != (code ? code : WR_WS_CLOSE_NO_STATUS)
            || m.reason_len != (code ? rlen : 0)
            || (rlen && memcmp(m.reason, s + 2, rlen) != 0))
        {
            abort();
        }
    }

    rlen = len < 130 ? len : 130;
    n = wr_ws_control_frame(out, sizeof(out), WR_WS_PING, s, rlen);

    if ((n != 0) != (rlen <= WR_WS_CONTROL_MAX)) {
        abort();
    }

    if (n) {
        wr_ws_parser_init(&p, NULL, 0, WR_WS_CLIENT);

        if (wr_ws_parse(&p, out, n, &used, &m) != WR_WS_MESSAGE || used != n
            || m.opcode != WR_WS_PING || m.len != rlen
            || (rlen && memcmp(m.data, s, rlen) != 0))
        {
            abort();
        }
    }
}


static void
fuzz_handshake(const uint8_t *s, size_t len)
{
    char         out[WR_WS_ACCEPT_LEN + 1];
    size_t       i;
    const char  *c;

    c = (const char *) s;

    (void) wr_ws_version_ok(c, len);
    (void) wr_ws_protocol_offered(c, len, "janus-protocol", 14);
    (void) wr_ws_header_has_token(c, len, "upgrade", 7);

    if (wr_ws_key_ok(c, len) != (wr_ws_accept(c, len, out) == 0)) {
        abort();
    }

    if (wr_ws_key_ok(c, len)) {
        if (strlen(out) != WR_WS_ACCEPT_LEN || out[27] != '=') {
            abort();
        }

        for (i = 0; i < WR_WS_ACCEPT_LEN - 1; i++) {
            if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789+/", out[i]))
            {
                abort();
            }
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          len, bufsize;
    unsigned        role;
    uint32_t        seed;
    result_t        whole, cut;
    const uint8_t  *s;

    if (size < 2) {
        return 0;
    }

    role = data[0] & 1;
    bufsize = sizes[(data[0] >> 1) & 7];
    seed = data[1];
    s = data + 2;
    len = size - 2;

    fuzz_utf8(s, len, len ? seed % (len + 1) : 0);
    fuzz_handshake(s, len);
    fuzz_builders(s, len);

    /* at most one message per two bytes of stream */
    whole.max = len / 2 + 1;
    cut.max = whole.max;
    whole.recs = malloc(whole.max * sizeof(rec_t));
    cut.recs = malloc(cut.max * sizeof(rec_t));

    /* padding bytes of rec_t must compare equal */
    memset(whole.recs, 0, whole.max * sizeof(rec_t));
    memset(cut.recs, 0, cut.max * sizeof(rec_t));

    feed(s, len, role, bufsize, 0, 0, &whole);

    feed(s, len, role, bufsize, 1, seed, &cut);
    same(&whole, &cut);

    feed(s, len, role, bufsize, 7, seed, &cut);
    same(&whole, &cut);

    feed(s, len, role, bufsize, 64, seed, &cut);
    same(&whole, &cut);

    free(whole.recs);
    free(cut.recs);

    rebuild_all(s, len, role, bufsize);

    return 0;
}
