/*
 * URLs, non-blocking TCP connections on the GLib loop, and the loop pump the
 * mode scripts use to wait for things.
 */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <glib-unix.h>

#include "wr_peer.h"


static gboolean wp_tcp_readable(gint fd, GIOCondition cond, gpointer data);
static gboolean wp_tcp_writable(gint fd, GIOCondition cond, gpointer data);
static void wp_tcp_flush(wp_tcp_t *c);
static gboolean wp_wait_timeout(gpointer data);


int64_t
wp_now(void)
{
    return g_get_monotonic_time();
}


/* ws://host[:port][/path] or http://host[:port][/path, default /janus] */
int
wp_url_parse(wp_url_t *u, const char *url)
{
    const char  *p, *host, *end, *colon;
    size_t       len;

    memset(u, 0, sizeof(*u));

    if (strncmp(url, "ws://", 5) == 0) {
        u->ws = 1;
        u->port = 80;
        host = url + 5;

    } else if (strncmp(url, "http://", 7) == 0) {
        u->port = 80;
        host = url + 7;

    } else {
        return -1;
    }

    end = strchr(host, '/');
    if (end == NULL) {
        end = host + strlen(host);
    }

    colon = memchr(host, ':', end - host);
    len = (colon ? colon : end) - host;

    if (len == 0 || len >= sizeof(u->host)) {
        return -1;
    }

    memcpy(u->host, host, len);

    if (colon) {
        u->port = atoi(colon + 1);
        if (u->port <= 0 || u->port > 65535) {
            return -1;
        }
    }

    p = end;
    len = strlen(p);
    while (len > 0 && p[len - 1] == '/') {
        len--;
    }

    if (len >= sizeof(u->path)) {
        return -1;
    }

    memcpy(u->path, p, len);

    if (!u->ws && len == 0) {
        /* Janus's default REST base path */
        strcpy(u->path, "/janus");
    }

    return 0;
}


/*
 * The connect itself blocks: the servers are local and a blocking connect
 * keeps the state machine small. Everything after it is non-blocking.
 */
wp_tcp_t *
wp_tcp_connect(const wp_url_t *u, wp_tcp_handler_pt h, void *data,
    char *err, size_t errlen)
{
    int               fd, rc, one;
    char              port[16];
    wp_tcp_t         *c;
    struct addrinfo   hints, *res, *ai;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", u->port);

    rc = getaddrinfo(u->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", u->host, gai_strerror(rc));
        return NULL;
    }

    fd = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd == -1) {
            continue;
        }

        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }

        snprintf(err, errlen, "connect %s:%d: %s", u->host, u->port,
                 strerror(errno));
        close(fd);
        fd = -1;
    }

    freeaddrinfo(res);

    if (fd == -1) {
        return NULL;
    }

    one = 1;
    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    c = g_new0(wp_tcp_t, 1);
    c->fd = fd;
    c->in = g_byte_array_new();
    c->out = g_byte_array_new();
    c->handler = h;
    c->data = data;
    c->in_watch = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                wp_tcp_readable, c);
    return c;
}


static gboolean
wp_tcp_readable(gint fd, GIOCondition cond, gpointer data)
{
    wp_tcp_t  *c = data;
    ssize_t    n;
    uint8_t    buf[16384];

    for ( ;; ) {
        n = recv(fd, buf, sizeof(buf), 0);

        if (n > 0) {
            g_byte_array_append(c->in, buf, n);
            continue;
        }

        if (n == 0) {
            c->eof = 1;

        } else if (errno == EINTR) {
            continue;

        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            c->error = errno;
        }

        break;
    }

    if (c->handler(c, c->data) || c->eof || c->error) {
        c->in_watch = 0;
        wp_tcp_free(c);
        return G_SOURCE_REMOVE;
    }

    return G_SOURCE_CONTINUE;
}


void
wp_tcp_send(wp_tcp_t *c, const void *p, size_t n)
{
    g_byte_array_append(c->out, p, n);
    wp_tcp_flush(c);
}


static void
wp_tcp_flush(wp_tcp_t *c)
{
    ssize_t  n;

    while (c->out->len > 0) {
        n = send(c->fd, c->out->data, c->out->len, MSG_NOSIGNAL);

        if (n > 0) {
            g_byte_array_remove_range(c->out, 0, n);
            continue;
        }

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            /* the read side sees the failure and reports it */
            c->error = errno;
            g_byte_array_set_size(c->out, 0);
        }

        break;
    }

    if (c->out->len > 0 && c->out_watch == 0) {
        c->out_watch = g_unix_fd_add(c->fd, G_IO_OUT, wp_tcp_writable, c);
    }
}


static gboolean
wp_tcp_writable(gint fd, GIOCondition cond, gpointer data)
{
    wp_tcp_t  *c = data;

    wp_tcp_flush(c);

    if (c->out->len == 0) {
        c->out_watch = 0;
        return G_SOURCE_REMOVE;
    }

    return G_SOURCE_CONTINUE;
}


void
wp_tcp_free(wp_tcp_t *c)
{
    if (c->in_watch) {
        g_source_remove(c->in_watch);
    }

    if (c->out_watch) {
        g_source_remove(c->out_watch);
    }

    close(c->fd);
    g_byte_array_free(c->in, TRUE);
    g_byte_array_free(c->out, TRUE);
    g_free(c);
}


/* ---- the pump ------------------------------------------------------------ */

static gboolean
wp_wait_timeout(gpointer data)
{
    *(int *) data = 1;
    return G_SOURCE_REMOVE;
}


/*
 * Runs the loop until done(arg) is true (returns 1) or the time is up
 * (returns 0). done == NULL just runs the loop for timeout_s.
 */
int
wp_wait(int (*done)(void *arg), void *arg, double timeout_s)
{
    int    expired;
    guint  timer;

    expired = 0;
    timer = g_timeout_add((guint) (timeout_s * 1000), wp_wait_timeout,
                          &expired);

    while (!(done && done(arg)) && !expired) {
        g_main_context_iteration(NULL, TRUE);
    }

    if (!expired) {
        g_source_remove(timer);
    }

    return done ? done(arg) : 1;
}
