
/*
 * The stream half: "webrtc_media" on a "listen ... udp reuseport" server.
 * The kernel keeps each remote address on one worker, and that worker
 * does all the work for its packets.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_webrtc.h"


static char *ngx_stream_webrtc_media(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_stream_webrtc_postconfiguration(ngx_conf_t *cf);
static void ngx_stream_webrtc_handler(ngx_stream_session_t *s);


typedef struct {
    ngx_flag_t                    media;
    ngx_webrtc_conf_pos_t         pos;
} ngx_stream_webrtc_srv_conf_t;


static void *ngx_stream_webrtc_create_srv_conf(ngx_conf_t *cf);


static ngx_command_t  ngx_stream_webrtc_commands[] = {

    { ngx_string("webrtc_media"),
      NGX_STREAM_SRV_CONF|NGX_CONF_NOARGS,
      ngx_stream_webrtc_media,
      NGX_STREAM_SRV_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_stream_module_t  ngx_stream_webrtc_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_stream_webrtc_postconfiguration,   /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    ngx_stream_webrtc_create_srv_conf,     /* create server configuration */
    NULL                                   /* merge server configuration */
};


ngx_module_t  ngx_stream_webrtc_module = {
    NGX_MODULE_V1,
    &ngx_stream_webrtc_module_ctx,         /* module context */
    ngx_stream_webrtc_commands,            /* module directives */
    NGX_STREAM_MODULE,                     /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_stream_webrtc_create_srv_conf(ngx_conf_t *cf)
{
    ngx_stream_webrtc_srv_conf_t  *wscf;

    wscf = ngx_pcalloc(cf->pool, sizeof(ngx_stream_webrtc_srv_conf_t));
    if (wscf == NULL) {
        return NULL;
    }

    return wscf;
}


static char *
ngx_stream_webrtc_media(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_webrtc_srv_conf_t  *wscf = conf;

    ngx_webrtc_conf_t            *wcf;
    ngx_stream_core_srv_conf_t   *cscf;

    if (wscf->media) {
        return "is duplicate";
    }

    wscf->media = 1;
    ngx_webrtc_conf_pos_set(cf, &wscf->pos);

    wcf = ngx_webrtc_get_conf(cf->cycle);

    if (wcf->media_pos.line == 0) {
        wcf->media_pos = wscf->pos;
    }

    cscf = ngx_stream_conf_get_module_srv_conf(cf, ngx_stream_core_module);
    cscf->handler = ngx_stream_webrtc_handler;

    return NGX_CONF_OK;
}


/*
 * Listens are known only once the stream block is read.  Whether a
 * listener without "udp reuseport" is an error depends on
 * worker_processes, which the core module checks after the whole file.
 */

static ngx_int_t
ngx_stream_webrtc_postconfiguration(ngx_conf_t *cf)
{
    ngx_uint_t                     i;
    ngx_webrtc_conf_t             *wcf;
    ngx_stream_listen_t           *listen;
    ngx_stream_core_main_conf_t   *cmcf;
    ngx_stream_webrtc_srv_conf_t  *wscf;

    wcf = ngx_webrtc_get_conf(cf->cycle);
    cmcf = ngx_stream_conf_get_module_main_conf(cf, ngx_stream_core_module);

    listen = cmcf->listen.elts;

    for (i = 0; i < cmcf->listen.nelts; i++) {

        wscf = listen[i].ctx->srv_conf[ngx_stream_webrtc_module.ctx_index];

        if (!wscf->media) {
            continue;
        }

        if (listen[i].type != SOCK_DGRAM) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"webrtc_media\" needs a \"listen ... udp\" "
                               "socket, but %V is TCP, in %V:%ui",
                               &listen[i].addr_text, &wscf->pos.file,
                               wscf->pos.line);
            return NGX_ERROR;
        }

        if (wcf->media_port == 0) {
            wcf->media_port = ngx_inet_get_port(listen[i].sockaddr);

            if (!listen[i].wildcard) {
                wcf->media_addr.data = ngx_pnalloc(cf->pool,
                                                   NGX_SOCKADDR_STRLEN);
                if (wcf->media_addr.data == NULL) {
                    return NGX_ERROR;
                }

                wcf->media_addr.len = ngx_sock_ntop(listen[i].sockaddr,
                                                    listen[i].socklen,
                                                    wcf->media_addr.data,
                                                    NGX_SOCKADDR_STRLEN, 0);
            }
        }

#if (NGX_HAVE_REUSEPORT)
        if (listen[i].reuseport) {
            continue;
        }
#endif

        if (!wcf->media_bad_listen) {
            wcf->media_bad_listen = 1;
            wcf->media_bad_pos = wscf->pos;
        }
    }

    return NGX_OK;
}


/*
 * ICE, DTLS and SRTP land with the media work.  Until then datagrams are
 * counted and dropped, and the pseudo-session ends at once so that it
 * holds no connection slot.
 */

static void
ngx_stream_webrtc_handler(ngx_stream_session_t *s)
{
    ngx_connection_t  *c;

    c = s->connection;

    if (c->type != SOCK_DGRAM || c->buffer == NULL) {
        ngx_stream_finalize_session(s, NGX_STREAM_BAD_REQUEST);
        return;
    }

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_PACKETS_IN, 1);
    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_BYTES_IN,
                        c->buffer->last - c->buffer->pos);
    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_DROPPED, 1);

    ngx_stream_finalize_session(s, NGX_STREAM_OK);
}

