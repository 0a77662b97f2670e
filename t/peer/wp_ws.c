/*
 * A tiny WebSocket client (RFC 6455) for the Janus API: one text message per
 * JSON object, subprotocol janus-protocol. Answers pings, reassembles
 * fragmented messages, masks what it sends as clients must.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "wr_peer.h"


#define WP_WS_GUID  "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


struct wp_ws_s {
    wp_tcp_t     *tcp;
    int           state;           /* 0 handshake, 1 open, -1 closed */
    char          accept[64];      /* expected Sec-WebSocket-Accept */
    GByteArray   *msg;             /* fragments of the current message */
    int           msg_text;
    wp_text_pt    on_text;
    void         *data;
    char          err[256];
};


static int wp_ws_on_tcp(wp_tcp_t *c, void *data);
static int wp_ws_handshake(wp_ws_t *ws);
static int wp_ws_frames(wp_ws_t *ws);
static void wp_ws_frame(wp_ws_t *ws, int opcode, const uint8_t *p, size_t n);
static const char *wp_ws_header(const char *head, const char *name,
    size_t *len);


wp_ws_t *
wp_ws_open(const wp_url_t *u, wp_text_pt on_text, void *data, char *err,
    size_t errlen)
{
    char           key[32], *req;
    uint8_t        nonce[16], digest[SHA_DIGEST_LENGTH];
    wp_ws_t       *ws;
    GString       *s;

    ws = g_new0(wp_ws_t, 1);
    ws->on_text = on_text;
    ws->data = data;
    ws->msg = g_byte_array_new();

    if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
        snprintf(err, errlen, "RAND_bytes failed");
        goto failed;
    }

    EVP_EncodeBlock((uint8_t *) key, nonce, sizeof(nonce));

    s = g_string_new(key);
    g_string_append(s, WP_WS_GUID);
    SHA1((uint8_t *) s->str, s->len, digest);
    g_string_free(s, TRUE);
    EVP_EncodeBlock((uint8_t *) ws->accept, digest, sizeof(digest));

    ws->tcp = wp_tcp_connect(u, wp_ws_on_tcp, ws, err, errlen);
    if (ws->tcp == NULL) {
        goto failed;
    }

    req = g_strdup_printf("GET %s HTTP/1.1\r\n"
                          "Host: %s:%d\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Key: %s\r\n"
                          "Sec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Protocol: janus-protocol\r\n"
                          "\r\n",
                          u->path[0] ? u->path : "/", u->host, u->port, key);
    wp_tcp_send(ws->tcp, req, strlen(req));
    g_free(req);

    return ws;

failed:

    g_byte_array_free(ws->msg, TRUE);
    g_free(ws);
    return NULL;
}


int
wp_ws_state(wp_ws_t *ws)
{
    return ws->state;
}


const char *
wp_ws_error(wp_ws_t *ws)
{
    return ws->err[0] ? ws->err : "connection closed";
}


static int
wp_ws_on_tcp(wp_tcp_t *c, void *data)
{
    wp_ws_t  *ws = data;

    if (ws->state == 0 && wp_ws_handshake(ws) != 0) {
        goto closed;
    }

    if (ws->state == 1 && wp_ws_frames(ws) != 0) {
        goto closed;
    }

    if (c->eof || c->error) {
        if (ws->err[0] == '\0') {
            snprintf(ws->err, sizeof(ws->err), "websocket: %s",
                     c->error ? g_strerror(c->error) : "connection closed");
        }

        goto closed;
    }

    return 0;

closed:

    /* the tcp layer frees the connection after we return */
    ws->state = -1;
    ws->tcp = NULL;
    return 1;
}


static int
wp_ws_handshake(wp_ws_t *ws)
{
    char         *head, *end;
    const char   *v;
    size_t        len, hlen;
    GByteArray   *in;

    in = ws->tcp->in;
    end = in->len ? g_strstr_len((char *) in->data, in->len, "\r\n\r\n")
                  : NULL;
    if (end == NULL) {
        return 0;
    }

    hlen = end + 4 - (char *) in->data;
    head = g_strndup((char *) in->data, hlen);
    g_byte_array_remove_range(in, 0, hlen);

    if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
        snprintf(ws->err, sizeof(ws->err), "websocket handshake: %.*s",
                 (int) strcspn(head, "\r\n"), head);
        goto failed;
    }

    v = wp_ws_header(head, "Sec-WebSocket-Accept", &len);
    if (v == NULL || len != strlen(ws->accept)
        || memcmp(v, ws->accept, len) != 0)
    {
        snprintf(ws->err, sizeof(ws->err), "websocket: bad accept key");
        goto failed;
    }

    v = wp_ws_header(head, "Sec-WebSocket-Protocol", &len);
    if (v == NULL || len != 14 || strncmp(v, "janus-protocol", 14) != 0) {
        snprintf(ws->err, sizeof(ws->err),
                 "websocket: subprotocol janus-protocol not accepted");
        goto failed;
    }

    g_free(head);
    ws->state = 1;
    return 0;

failed:

    g_free(head);
    return -1;
}


static const char *
wp_ws_header(const char *head, const char *name, size_t *len)
{
    size_t       n;
    const char  *p, *v;

    n = strlen(name);

    for (p = strstr(head, "\r\n"); p; p = strstr(p, "\r\n")) {
        p += 2;

        if (strncasecmp(p, name, n) != 0 || p[n] != ':') {
            continue;
        }

        v = p + n + 1;
        while (*v == ' ' || *v == '\t') {
            v++;
        }

        *len = strcspn(v, "\r\n");
        while (*len > 0 && (v[*len - 1] == ' ' || v[*len - 1] == '\t')) {
            (*len)--;
        }

        return v;
    }

    return NULL;
}


/* returns -1 when the connection must close */
static int
wp_ws_frames(wp_ws_t *ws)
{
    int          fin, opcode, masked;
    size_t       hlen, i;
    uint8_t     *p, *mask;
    uint64_t     len;
    GByteArray  *in;

    in = ws->tcp->in;

    while (ws->state == 1 && in->len >= 2) {
        p = in->data;
        fin = p[0] & 0x80;
        opcode = p[0] & 0x0f;
        masked = p[1] & 0x80;
        len = p[1] & 0x7f;
        hlen = 2;

        if (len == 126) {
            if (in->len < 4) {
                return 0;
            }

            len = (p[2] << 8) | p[3];
            hlen = 4;

        } else if (len == 127) {
            if (in->len < 10) {
                return 0;
            }

            len = 0;
            for (i = 0; i < 8; i++) {
                len = (len << 8) | p[2 + i];
            }

            hlen = 10;
        }

        if (len > 16 * 1024 * 1024) {
            snprintf(ws->err, sizeof(ws->err), "websocket: frame too big");
            return -1;
        }

        mask = masked ? p + hlen : NULL;
        hlen += masked ? 4 : 0;

        if (in->len < hlen + len) {
            return 0;
        }

        if (mask) {
            /* servers must not mask, but unmasking costs nothing */
            for (i = 0; i < len; i++) {
                p[hlen + i] ^= mask[i & 3];
            }
        }

        if (opcode >= 8) {
            wp_ws_frame(ws, opcode, p + hlen, len);

        } else {
            if (opcode != 0) {
                g_byte_array_set_size(ws->msg, 0);
                ws->msg_text = (opcode == 1);
            }

            g_byte_array_append(ws->msg, p + hlen, len);

            if (fin) {
                if (ws->msg_text) {
                    ws->on_text((char *) ws->msg->data, ws->msg->len,
                                ws->data);
                }

                g_byte_array_set_size(ws->msg, 0);
            }
        }

        g_byte_array_remove_range(in, 0, hlen + len);
    }

    return ws->state == 1 ? 0 : -1;
}


static void
wp_ws_send_frame(wp_ws_t *ws, int opcode, const uint8_t *p, size_t n)
{
    size_t    i, h;
    uint8_t  *f, mask[4];

    f = g_malloc(n + 14);
    f[0] = 0x80 | opcode;
    h = 2;

    if (n < 126) {
        f[1] = 0x80 | n;

    } else if (n < 65536) {
        f[1] = 0x80 | 126;
        f[2] = n >> 8;
        f[3] = n & 0xff;
        h = 4;

    } else {
        f[1] = 0x80 | 127;
        for (i = 0; i < 8; i++) {
            f[2 + i] = ((uint64_t) n >> (56 - 8 * i)) & 0xff;
        }
        h = 10;
    }

    (void) RAND_bytes(mask, 4);
    memcpy(f + h, mask, 4);
    h += 4;

    for (i = 0; i < n; i++) {
        f[h + i] = p[i] ^ mask[i & 3];
    }

    wp_tcp_send(ws->tcp, f, h + n);
    g_free(f);
}


static void
wp_ws_frame(wp_ws_t *ws, int opcode, const uint8_t *p, size_t n)
{
    switch (opcode) {

    case 8:
        /* echo the close and stop */
        wp_ws_send_frame(ws, 8, p, n >= 2 ? 2 : 0);
        snprintf(ws->err, sizeof(ws->err), "websocket closed by server");
        ws->state = -1;
        break;

    case 9:
        wp_ws_send_frame(ws, 10, p, n);
        break;

    default:
        break;
    }
}


void
wp_ws_send(wp_ws_t *ws, const char *text, size_t len)
{
    if (ws->state == 1) {
        wp_ws_send_frame(ws, 1, (const uint8_t *) text, len);
    }
}


void
wp_ws_free(wp_ws_t *ws)
{
    static const uint8_t  normal[2] = { 0x03, 0xe8 };

    if (ws->tcp) {
        if (ws->state == 1) {
            wp_ws_send_frame(ws, 8, normal, 2);
        }

        wp_tcp_free(ws->tcp);
    }

    g_byte_array_free(ws->msg, TRUE);
    g_free(ws);
}
