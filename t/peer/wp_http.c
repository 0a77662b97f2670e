/*
 * A minimal HTTP/1.1 client for the Janus REST API: one TCP connection per
 * request ("Connection: close"), bodies by Content-Length, chunked, or until
 * the server closes.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wr_peer.h"


struct wp_http_req_s {
    wp_tcp_t        *tcp;
    wp_http_done_pt  done;
    void            *data;
    int              status;
    size_t           head;         /* header length, 0 until complete */
    long             clen;         /* -1 unknown */
    int              chunked;
};


static int wp_http_on_tcp(wp_tcp_t *c, void *data);
static int wp_http_dechunk(const uint8_t *p, size_t n, GByteArray *out);


wp_http_req_t *
wp_http_request(const wp_url_t *u, const char *method, const char *path,
    const char *body, wp_http_done_pt done, void *data)
{
    char           err[256];
    GString       *s;
    wp_http_req_t *r;

    r = g_new0(wp_http_req_t, 1);
    r->done = done;
    r->data = data;
    r->clen = -1;

    r->tcp = wp_tcp_connect(u, wp_http_on_tcp, r, err, sizeof(err));
    if (r->tcp == NULL) {
        g_free(r);
        return NULL;
    }

    s = g_string_new(NULL);
    g_string_append_printf(s, "%s %s HTTP/1.1\r\n"
                              "Host: %s:%d\r\n"
                              "Connection: close\r\n"
                              "Accept: application/json\r\n",
                           method, path, u->host, u->port);
    if (body) {
        g_string_append_printf(s, "Content-Type: application/json\r\n"
                                  "Content-Length: %zu\r\n",
                               strlen(body));
    }

    g_string_append(s, "\r\n");
    if (body) {
        g_string_append(s, body);
    }

    wp_tcp_send(r->tcp, s->str, s->len);
    g_string_free(s, TRUE);

    return r;
}


void
wp_http_cancel(wp_http_req_t *r)
{
    wp_tcp_free(r->tcp);
    g_free(r);
}


static void
wp_http_parse_head(wp_http_req_t *r, const char *head)
{
    const char  *p;

    r->status = 0;
    if (strncmp(head, "HTTP/1.", 7) == 0 && strlen(head) > 12) {
        r->status = atoi(head + 9);
    }

    for (p = strstr(head, "\r\n"); p; p = strstr(p, "\r\n")) {
        p += 2;

        if (strncasecmp(p, "Content-Length:", 15) == 0) {
            r->clen = strtol(p + 15, NULL, 10);

        } else if (strncasecmp(p, "Transfer-Encoding:", 18) == 0) {
            r->chunked = (strstr(p, "chunked") != NULL
                          && strstr(p, "chunked") < strstr(p, "\r\n"));
        }
    }
}


static int
wp_http_on_tcp(wp_tcp_t *c, void *data)
{
    int            rc, complete;
    char          *end, *head;
    size_t         blen;
    GByteArray    *in, *body;
    wp_http_req_t *r = data;

    in = c->in;

    if (r->head == 0) {
        /* an empty GByteArray may have no data pointer at all */
        end = in->len ? g_strstr_len((char *) in->data, in->len, "\r\n\r\n")
                      : NULL;
        if (end == NULL) {
            if (c->eof || c->error) {
                goto failed;
            }

            return 0;
        }

        r->head = end + 4 - (char *) in->data;
        head = g_strndup((char *) in->data, r->head);
        wp_http_parse_head(r, head);
        g_free(head);
    }

    blen = in->len - r->head;
    body = g_byte_array_new();
    complete = 0;

    if (r->chunked) {
        rc = wp_http_dechunk(in->data + r->head, blen, body);
        if (rc < 0) {
            g_byte_array_free(body, TRUE);
            goto failed;
        }

        complete = rc;

    } else if (r->clen >= 0) {
        if (blen >= (size_t) r->clen) {
            g_byte_array_append(body, in->data + r->head, r->clen);
            complete = 1;
        }

    } else if (c->eof) {
        g_byte_array_append(body, in->data + r->head, blen);
        complete = 1;
    }

    if (!complete) {
        g_byte_array_free(body, TRUE);

        if (c->eof || c->error) {
            goto failed;
        }

        return 0;
    }

    g_byte_array_append(body, (uint8_t *) "", 1);
    r->done(r->status, (char *) body->data, body->len - 1, r->data);
    g_byte_array_free(body, TRUE);
    g_free(r);
    return 1;

failed:

    r->done(-1, "", 0, r->data);
    g_free(r);
    return 1;
}


/* 1 when the terminating chunk was seen, 0 when more is needed, -1 bad */
static int
wp_http_dechunk(const uint8_t *p, size_t n, GByteArray *out)
{
    char          *end;
    size_t         off, line;
    unsigned long  size;

    off = 0;

    for ( ;; ) {
        if (off >= n) {
            return 0;
        }

        end = g_strstr_len((const char *) p + off, n - off, "\r\n");
        if (end == NULL) {
            return 0;
        }

        line = end - (const char *) p;
        size = strtoul((const char *) p + off, NULL, 16);
        off = line + 2;

        if (size == 0) {
            return 1;
        }

        if (n - off < size + 2) {
            return 0;
        }

        if (p[off + size] != '\r' || p[off + size + 1] != '\n') {
            return -1;
        }

        g_byte_array_append(out, p + off, size);
        off += size + 2;
    }
}
