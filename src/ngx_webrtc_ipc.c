
/*
 * Wake-ups between worker processes.  Each worker binds an abstract
 * AF_UNIX datagram socket named after its pid, so any process of this
 * nginx, of any configuration generation (old workers during a reload, a
 * worker respawned after a crash), can wake any other by pid alone.
 * The state itself is in the shared zone; a message only says "look".
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <sys/un.h>

#include "ngx_webrtc.h"


#define NGX_WEBRTC_IPC_PREFIX  "ngx_webrtc_ipc."


static void ngx_webrtc_ipc_read_handler(ngx_event_t *rev);
static socklen_t ngx_webrtc_ipc_addr(struct sockaddr_un *sun, ngx_pid_t pid);


static ngx_connection_t        *ngx_webrtc_ipc_conn;
static ngx_socket_t             ngx_webrtc_ipc_send_fd = (ngx_socket_t) -1;
static ngx_webrtc_ipc_handler_pt
    ngx_webrtc_ipc_handlers[NGX_WEBRTC_IPC_LAST];


ngx_int_t
ngx_webrtc_ipc_init_process(ngx_cycle_t *cycle)
{
    int                  fd;
    socklen_t            len;
    ngx_connection_t    *c;
    struct sockaddr_un   sun;

    if (ngx_webrtc_ipc_conn) {
        return NGX_OK;
    }

    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_socket_errno,
                      "webrtc: socket(AF_UNIX) failed");
        return NGX_ERROR;
    }

    if (ngx_nonblocking(fd) == -1 || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_socket_errno,
                      "webrtc: ipc socket setup failed");
        close(fd);
        return NGX_ERROR;
    }

    len = ngx_webrtc_ipc_addr(&sun, ngx_pid);

    if (bind(fd, (struct sockaddr *) &sun, len) == -1) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_socket_errno,
                      "webrtc: bind() of the ipc socket failed");
        close(fd);
        return NGX_ERROR;
    }

    c = ngx_get_connection(fd, cycle->log);
    if (c == NULL) {
        close(fd);
        return NGX_ERROR;
    }

    c->read->handler = ngx_webrtc_ipc_read_handler;
    c->read->log = cycle->log;
    c->write->log = cycle->log;
    c->log = cycle->log;
    c->data = NULL;

    if (ngx_add_event(c->read, NGX_READ_EVENT, 0) != NGX_OK) {
        ngx_free_connection(c);
        close(fd);
        return NGX_ERROR;
    }

    ngx_webrtc_ipc_conn = c;

    return NGX_OK;
}


void
ngx_webrtc_ipc_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_webrtc_ipc_conn) {
        ngx_close_connection(ngx_webrtc_ipc_conn);
        ngx_webrtc_ipc_conn = NULL;
    }
}


void
ngx_webrtc_ipc_set_handler(ngx_uint_t type, ngx_webrtc_ipc_handler_pt h)
{
    ngx_webrtc_ipc_handlers[type] = h;
}


/*
 * A full socket buffer means the receiver has wake-ups it has not read
 * yet; it rescans its state on each, so dropping this one loses nothing.
 */

ngx_int_t
ngx_webrtc_ipc_send(ngx_pid_t pid, ngx_uint_t type, uint64_t arg)
{
    return ngx_webrtc_ipc_send2(pid, type, arg, 0);
}


ngx_int_t
ngx_webrtc_ipc_send2(ngx_pid_t pid, ngx_uint_t type, uint64_t arg,
    uint64_t arg2)
{
    ssize_t              n;
    socklen_t            len;
    ngx_err_t            err;
    ngx_socket_t         fd;
    struct sockaddr_un   sun;
    ngx_webrtc_ipc_msg_t msg;

    if (ngx_webrtc_ipc_conn) {
        fd = ngx_webrtc_ipc_conn->fd;

    } else {
        /*
         * The master applies a reload's rooms and may queue events for
         * workers; it sends from an unbound socket of its own.
         */

        if (ngx_webrtc_ipc_send_fd == (ngx_socket_t) -1) {
            ngx_webrtc_ipc_send_fd = socket(AF_UNIX, SOCK_DGRAM, 0);

            if (ngx_webrtc_ipc_send_fd == (ngx_socket_t) -1) {
                return NGX_DECLINED;
            }

            if (ngx_nonblocking(ngx_webrtc_ipc_send_fd) == -1
                || fcntl(ngx_webrtc_ipc_send_fd, F_SETFD, FD_CLOEXEC) == -1)
            {
                close(ngx_webrtc_ipc_send_fd);
                ngx_webrtc_ipc_send_fd = (ngx_socket_t) -1;
                return NGX_DECLINED;
            }
        }

        fd = ngx_webrtc_ipc_send_fd;
    }

    msg.type = (uint32_t) type;
    msg.from = (uint32_t) ngx_pid;
    msg.arg = arg;
    msg.arg2 = arg2;

    len = ngx_webrtc_ipc_addr(&sun, pid);

    n = sendto(fd, &msg, sizeof(msg), 0,
               (struct sockaddr *) &sun, len);

    if (n == (ssize_t) sizeof(msg)) {
        return NGX_OK;
    }

    err = ngx_socket_errno;

    if (err == NGX_EAGAIN) {
        return NGX_AGAIN;
    }

    /* the process is gone: its state is swept by whoever finds it */

    ngx_log_debug2(NGX_LOG_DEBUG_CORE, ngx_cycle->log, err,
                   "webrtc ipc to %P failed (type %ui)", pid, type);

    return NGX_DECLINED;
}


static void
ngx_webrtc_ipc_read_handler(ngx_event_t *rev)
{
    ssize_t                n;
    ngx_connection_t      *c;
    ngx_webrtc_ipc_msg_t   msg;

    c = rev->data;

    for ( ;; ) {
        n = recv(c->fd, &msg, sizeof(msg), 0);

        if (n == -1) {
            if (ngx_socket_errno != NGX_EAGAIN) {
                ngx_log_error(NGX_LOG_ALERT, c->log, ngx_socket_errno,
                              "webrtc: recv() on the ipc socket failed");
            }

            break;
        }

        if (n != (ssize_t) sizeof(msg) || msg.type >= NGX_WEBRTC_IPC_LAST) {
            continue;
        }

        if (ngx_webrtc_ipc_handlers[msg.type]) {
            ngx_webrtc_ipc_handlers[msg.type](&msg);
        }
    }
}


/* the abstract namespace: no file to create, nothing left after a crash */

static socklen_t
ngx_webrtc_ipc_addr(struct sockaddr_un *sun, ngx_pid_t pid)
{
    u_char  *p;

    ngx_memzero(sun, sizeof(struct sockaddr_un));
    sun->sun_family = AF_UNIX;

    p = (u_char *) sun->sun_path + 1;
    p = ngx_sprintf(p, NGX_WEBRTC_IPC_PREFIX "%P", pid);

    return offsetof(struct sockaddr_un, sun_path)
           + (p - (u_char *) sun->sun_path);
}
