/*
 * WebSocket protocol (RFC 6455) without nginx; see wr_ws.h.
 */

#include <string.h>

#include <openssl/evp.h>

#include "wr_ws.h"


#define WR_WS_GUID      "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WR_WS_KEY_LEN   24          /* base64 of 16 bytes, with "==" */

#define WR_WS_FIN       0x80
#define WR_WS_RSV       0x70
#define WR_WS_MASKED    0x80

#define wr_ws_is_control(op)  ((op) & 0x8)

/* parser states */
#define WR_WS_S_HEAD     0          /* the first two header bytes */
#define WR_WS_S_EXT      1          /* extended length and mask key */
#define WR_WS_S_PAYLOAD  2

#define WR_WS_OK         0          /* internal: go on */


static void wr_ws_trim(const char **s, size_t *len);
static int wr_ws_list_has(const char *list, size_t len, const char *token,
    size_t token_len, int nocase);
static int wr_ws_head(wr_ws_parser_t *p);
static int wr_ws_ext(wr_ws_parser_t *p);
static int wr_ws_frame_done(wr_ws_parser_t *p, wr_ws_message_t *msg);
static int wr_ws_fail(wr_ws_parser_t *p, unsigned code, const char *text);
static size_t wr_ws_put_header(uint8_t *out, unsigned opcode, int fin,
    uint64_t len, unsigned mask_bit);


/* handshake */

int
wr_ws_version_ok(const char *value, size_t len)
{
    wr_ws_trim(&value, &len);

    return len == 2 && value[0] == '1' && value[1] == '3';
}


/*
 * The key is 16 random bytes in base64: 22 characters of the alphabet and
 * "==".  The 4 unused bits of the last character are not required to be
 * zero, as a lenient base64 decoder would still yield 16 bytes.
 */

int
wr_ws_key_ok(const char *key, size_t len)
{
    size_t  i;
    char    c;

    wr_ws_trim(&key, &len);

    if (len != WR_WS_KEY_LEN || key[22] != '=' || key[23] != '=') {
        return 0;
    }

    for (i = 0; i < 22; i++) {
        c = key[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '+' || c == '/'))
        {
            return 0;
        }
    }

    return 1;
}


int
wr_ws_accept(const char *key, size_t len, char out[WR_WS_ACCEPT_LEN + 1])
{
    uint8_t  buf[WR_WS_KEY_LEN + sizeof(WR_WS_GUID) - 1];
    uint8_t  md[EVP_MAX_MD_SIZE];

    if (!wr_ws_key_ok(key, len)) {
        return -1;
    }

    wr_ws_trim(&key, &len);

    memcpy(buf, key, WR_WS_KEY_LEN);
    memcpy(buf + WR_WS_KEY_LEN, WR_WS_GUID, sizeof(WR_WS_GUID) - 1);

    if (EVP_Digest(buf, sizeof(buf), md, NULL, EVP_sha1(), NULL) != 1) {
        return -1;
    }

    /* 20 bytes encode to 28 characters; EVP_EncodeBlock() adds the NUL */
    if (EVP_EncodeBlock((unsigned char *) out, md, 20) != WR_WS_ACCEPT_LEN) {
        return -1;
    }

    return 0;
}


/*
 * Subprotocol names are compared exactly: a browser fails the connection
 * unless the server echoes one of its strings byte for byte.
 */

int
wr_ws_protocol_offered(const char *list, size_t len, const char *want,
    size_t want_len)
{
    return wr_ws_list_has(list, len, want, want_len, 0);
}


int
wr_ws_header_has_token(const char *list, size_t len, const char *token,
    size_t token_len)
{
    return wr_ws_list_has(list, len, token, token_len, 1);
}


static void
wr_ws_trim(const char **s, size_t *len)
{
    const char  *p, *e;

    if (*len == 0) {
        return;
    }

    p = *s;
    e = p + *len;

    while (p < e && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }

    *s = p;
    *len = e - p;
}


/* An HTTP #list: elements separated by commas, with optional whitespace. */

static int
wr_ws_list_has(const char *list, size_t len, const char *token,
    size_t token_len, int nocase)
{
    char         a, b;
    size_t       i, n;
    const char  *p, *end, *s;

    if (token_len == 0 || len == 0) {
        return 0;
    }

    p = list;
    end = list + len;

    while (p < end) {
        s = p;

        while (p < end && *p != ',') {
            p++;
        }

        n = p - s;
        wr_ws_trim(&s, &n);

        if (n == token_len) {
            for (i = 0; i < n; i++) {
                a = s[i];
                b = token[i];

                if (nocase) {
                    a = (a >= 'A' && a <= 'Z') ? a + 32 : a;
                    b = (b >= 'A' && b <= 'Z') ? b + 32 : b;
                }

                if (a != b) {
                    break;
                }
            }

            if (i == n) {
                return 1;
            }
        }

        p++;
    }

    return 0;
}


/* parser */

void
wr_ws_parser_init(wr_ws_parser_t *p, uint8_t *buf, size_t size,
    unsigned role)
{
    memset(p, 0, sizeof(wr_ws_parser_t));

    p->buf = buf;
    p->size = buf ? size : 0;
    p->role = role;
    p->state = WR_WS_S_HEAD;
    p->hdr_need = 2;
}


int
wr_ws_parse(wr_ws_parser_t *p, const uint8_t *in, size_t len,
    size_t *consumed, wr_ws_message_t *msg)
{
    int             rc;
    size_t          n, i;
    uint8_t        *dst;
    uint64_t        left;
    const uint8_t  *pos, *end;

    pos = in;
    end = len ? in + len : in;      /* in may be NULL when len is 0 */

    if (p->error) {
        *consumed = 0;
        return WR_WS_ERROR;
    }

    for ( ;; ) {

        if (p->state != WR_WS_S_PAYLOAD) {

            while (p->hdr_len < p->hdr_need && pos < end) {
                p->hdr[p->hdr_len++] = *pos++;
            }

            if (p->hdr_len < p->hdr_need) {
                rc = WR_WS_AGAIN;
                break;
            }

            rc = (p->state == WR_WS_S_HEAD) ? wr_ws_head(p) : wr_ws_ext(p);

            if (rc == WR_WS_ERROR) {
                break;
            }

            if (p->state != WR_WS_S_PAYLOAD) {
                continue;
            }
        }

        left = p->frame_len - p->frame_got;
        n = (uint64_t) (end - pos) < left ? (size_t) (end - pos)
                                          : (size_t) left;

        if (n) {
            dst = wr_ws_is_control(p->opcode) ? p->ctrl + p->frame_got
                                              : p->buf + p->msg_len;

            if (p->masked) {
                for (i = 0; i < n; i++) {
                    dst[i] = pos[i] ^ p->mask[(p->frame_got + i) & 3];
                }

            } else {
                memcpy(dst, pos, n);
            }

            pos += n;
            p->frame_got += n;

            if (!wr_ws_is_control(p->opcode)) {
                p->msg_len += n;

                /* checked as it arrives, so bad text fails fast */
                if (p->msg_opcode == WR_WS_TEXT
                    && wr_utf8_feed(&p->utf8, dst, n) != WR_UTF8_OK)
                {
                    rc = wr_ws_fail(p, WR_WS_CLOSE_INVALID,
                                    "text is not valid UTF-8");
                    break;
                }
            }
        }

        if (p->frame_got < p->frame_len) {
            rc = WR_WS_AGAIN;
            break;
        }

        rc = wr_ws_frame_done(p, msg);

        if (rc != WR_WS_OK) {
            break;
        }
    }

    *consumed = pos - in;

    return rc;
}


/* The first two bytes tell nearly everything a frame can do wrong. */

static int
wr_ws_head(wr_ws_parser_t *p)
{
    unsigned  b0, b1, len7;

    b0 = p->hdr[0];
    b1 = p->hdr[1];

    /* no extension is ever negotiated, so no reserved bit may be set */
    if (b0 & WR_WS_RSV) {
        return wr_ws_fail(p, WR_WS_CLOSE_PROTOCOL, "reserved bits set");
    }

    p->fin = (b0 & WR_WS_FIN) ? 1 : 0;
    p->opcode = b0 & 0x0f;
    p->masked = (b1 & WR_WS_MASKED) ? 1 : 0;
    len7 = b1 & 0x7f;

    switch (p->opcode) {

    case WR_WS_CONT:
        if (p->msg_opcode == 0) {
            return wr_ws_fail(p, WR_WS_CLOSE_PROTOCOL,
                              "continuation frame outside a message");
        }
        break;

    case WR_WS_TEXT:
    case WR_WS_BINARY:
        if (p->msg_opcode != 0) {
            return wr_ws_fail(p, WR_WS_CLOSE_PROTOCOL,
                              "new message inside a fragmented one");
        }
        break;

    case WR_WS_CLOSE:
    case WR_WS_PING:
    case WR_WS_PONG:
        if (!p->fin) {
            return wr_ws_fail(p, WR_WS_CLOSE_PROTOCOL,
                              "fragmented control frame");
        }

        if (len7 > WR_WS_CONTROL_MAX) {
            return wr_ws_fail(p, WR_WS_CLOSE_PROTOCOL,
                              "control frame longer than 125 bytes");
        }
        break;

    default:
        return wr_ws_fail(p, WR_WS_CLOSE_PROTOCOL, "unknown opcode");
    }

    if (p->role == WR_WS_SERVER && !p->masked) {
        return wr_ws_fail(p, WR_WS_CLOSE_PROTOCOL, "unmasked client frame");
    }

    if (p->role == WR_WS_CLIENT && p->masked) {
        return wr_ws_fail(p, WR_WS_CLOSE_PROTOCOL, "masked server frame");
    }

    p->hdr_need = 2 + (len7 == 126 ? 2 : (len7 == 127 ? 8 : 0))
                  + (p->masked ? 4 : 0);

    if (p->hdr_need > 2) {
        p->state = WR_WS_S_EXT;
        return WR_WS_OK;
    }

    return wr_ws_ext(p);
}


/* The whole header is in: length, mask key, size limit. */

static int
wr_ws_ext(wr_ws_parser_t *p)
{
    unsigned   i, len7;
    uint64_t   len;

    len7 = p->hdr[1] & 0x7f;

    if (len7 == 126) {
        len = ((uint64_t) p->hdr[2] << 8) | p->hdr[3];

    } else if (len7 == 127) {
        len = 0;

        for (i = 0; i < 8; i++) {
            len = (len << 8) | p->hdr[2 + i];
        }

        if (len >> 63) {
            return wr_ws_fail(p, WR_WS_CLOSE_PROTOCOL,
                              "64-bit length with the top bit set");
        }

    } else {
        len = len7;
    }

    /* lengths in a longer form than needed are tolerated */

    if (p->masked) {
        memcpy(p->mask, p->hdr + p->hdr_need - 4, 4);
    }

    if (!wr_ws_is_control(p->opcode)) {

        /* p->msg_len is 0 for the first frame of a message */
        if (len > p->size - p->msg_len) {
            return wr_ws_fail(p, WR_WS_CLOSE_TOO_BIG, "message too big");
        }

        if (p->opcode != WR_WS_CONT) {
            p->msg_opcode = p->opcode;
            wr_utf8_init(&p->utf8);
        }
    }

    p->frame_len = len;
    p->frame_got = 0;
    p->state = WR_WS_S_PAYLOAD;

    return WR_WS_OK;
}


static int
wr_ws_frame_done(wr_ws_parser_t *p, wr_ws_message_t *msg)
{
    size_t  len;

    p->state = WR_WS_S_HEAD;
    p->hdr_len = 0;
    p->hdr_need = 2;

    memset(msg, 0, sizeof(wr_ws_message_t));

    if (wr_ws_is_control(p->opcode)) {
        len = (size_t) p->frame_len;

        msg->opcode = p->opcode;
        msg->data = p->ctrl;
        msg->len = len;

        if (p->opcode != WR_WS_CLOSE) {
            return WR_WS_MESSAGE;
        }

        if (len == 0) {
            msg->close_code = WR_WS_CLOSE_NO_STATUS;
            return WR_WS_MESSAGE;
        }

        if (len == 1) {
            return wr_ws_fail(p, WR_WS_CLOSE_PROTOCOL,
                              "close payload of one byte");
        }

        msg->close_code = ((unsigned) p->ctrl[0] << 8) | p->ctrl[1];

        if (!wr_ws_close_code_valid(msg->close_code)) {
            return wr_ws_fail(p, WR_WS_CLOSE_PROTOCOL, "invalid close code");
        }

        if (!wr_utf8_valid(p->ctrl + 2, len - 2)) {
            return wr_ws_fail(p, WR_WS_CLOSE_INVALID,
                              "close reason is not valid UTF-8");
        }

        msg->reason = p->ctrl + 2;
        msg->reason_len = len - 2;

        return WR_WS_MESSAGE;
    }

    if (!p->fin) {
        return WR_WS_OK;
    }

    if (p->msg_opcode == WR_WS_TEXT && !wr_utf8_complete(&p->utf8)) {
        return wr_ws_fail(p, WR_WS_CLOSE_INVALID,
                          "text ends inside a UTF-8 character");
    }

    msg->opcode = p->msg_opcode;
    msg->data = p->buf;
    msg->len = p->msg_len;

    /* the payload stays in p->buf until the next call writes over it */
    p->msg_opcode = 0;
    p->msg_len = 0;

    return WR_WS_MESSAGE;
}


static int
wr_ws_fail(wr_ws_parser_t *p, unsigned code, const char *text)
{
    p->error = code;
    p->error_text = text;

    return WR_WS_ERROR;
}


/*
 * 1004, 1005, 1006 and 1015 are reserved or must never be sent; 1012-1014
 * were registered with IANA after RFC 6455; 1016-2999 are for future
 * protocol use; 3000-4999 belong to libraries and applications.
 */

int
wr_ws_close_code_valid(unsigned code)
{
    return (code >= 1000 && code <= 1003)
           || (code >= 1007 && code <= 1014)
           || (code >= 3000 && code <= 4999);
}


/* builders */

size_t
wr_ws_header(uint8_t *out, unsigned opcode, int fin, uint64_t len)
{
    switch (opcode) {

    case WR_WS_CONT:
    case WR_WS_TEXT:
    case WR_WS_BINARY:
        if (len >> 63) {
            return 0;
        }
        break;

    case WR_WS_CLOSE:
    case WR_WS_PING:
    case WR_WS_PONG:
        if (!fin || len > WR_WS_CONTROL_MAX) {
            return 0;
        }
        break;

    default:
        return 0;
    }

    return wr_ws_put_header(out, opcode, fin, len, 0);
}


size_t
wr_ws_control_frame(uint8_t *out, size_t size, unsigned opcode,
    const uint8_t *payload, size_t len)
{
    size_t  n;

    if (!wr_ws_is_control(opcode) || len > WR_WS_CONTROL_MAX
        || size < 2 + len)
    {
        return 0;
    }

    n = wr_ws_header(out, opcode, 1, len);

    if (n == 0) {
        return 0;
    }

    if (len) {
        memcpy(out + n, payload, len);
    }

    return n + len;
}


size_t
wr_ws_close_frame(uint8_t *out, size_t size, unsigned code,
    const uint8_t *reason, size_t len)
{
    uint8_t  payload[WR_WS_CONTROL_MAX];

    if (code == 0) {
        return len ? 0 : wr_ws_control_frame(out, size, WR_WS_CLOSE, NULL, 0);
    }

    if (!wr_ws_close_code_valid(code) || len > WR_WS_REASON_MAX
        || !wr_utf8_valid(reason, len))
    {
        return 0;
    }

    payload[0] = (uint8_t) (code >> 8);
    payload[1] = (uint8_t) code;

    if (len) {
        memcpy(payload + 2, reason, len);
    }

    return wr_ws_control_frame(out, size, WR_WS_CLOSE, payload, 2 + len);
}


size_t
wr_ws_client_header(uint8_t *out, unsigned opcode, int fin, uint64_t len,
    const uint8_t mask[4])
{
    size_t  n;

    n = wr_ws_put_header(out, opcode, fin, len, WR_WS_MASKED);
    memcpy(out + n, mask, 4);

    return n + 4;
}


void
wr_ws_mask(uint8_t *p, size_t len, const uint8_t mask[4], uint64_t offset)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        p[i] ^= mask[(offset + i) & 3];
    }
}


size_t
wr_ws_client_frame(uint8_t *out, size_t size, unsigned opcode, int fin,
    const uint8_t mask[4], const uint8_t *payload, size_t len)
{
    size_t   n;
    uint8_t  hdr[WR_WS_CLIENT_HEADER_MAX];

    n = wr_ws_client_header(hdr, opcode, fin, len, mask);

    if (size < n || len > size - n) {
        return 0;
    }

    memcpy(out, hdr, n);

    if (len) {
        memcpy(out + n, payload, len);
        wr_ws_mask(out + n, len, mask, 0);
    }

    return n + len;
}


static size_t
wr_ws_put_header(uint8_t *out, unsigned opcode, int fin, uint64_t len,
    unsigned mask_bit)
{
    unsigned  i;

    out[0] = (uint8_t) ((fin ? WR_WS_FIN : 0) | (opcode & 0x0f));

    if (len < 126) {
        out[1] = (uint8_t) (mask_bit | len);
        return 2;
    }

    if (len <= 0xffff) {
        out[1] = (uint8_t) (mask_bit | 126);
        out[2] = (uint8_t) (len >> 8);
        out[3] = (uint8_t) len;
        return 4;
    }

    out[1] = (uint8_t) (mask_bit | 127);

    for (i = 0; i < 8; i++) {
        out[2 + i] = (uint8_t) (len >> (56 - 8 * i));
    }

    return 10;
}
