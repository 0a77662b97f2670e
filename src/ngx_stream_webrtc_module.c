
/*
 * The stream half: "webrtc_media" on a "listen ... udp reuseport" server.
 * The kernel keeps each remote address on one worker, and that worker
 * does all the work for its packets.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_stream_webrtc.h"
#include "wr_rtcp.h"


static char *ngx_stream_webrtc_media(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_stream_webrtc_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_stream_webrtc_init_process(ngx_cycle_t *cycle);
static void ngx_stream_webrtc_handler(ngx_stream_session_t *s);
static void ngx_stream_webrtc_read_handler(ngx_event_t *rev);
static void ngx_stream_webrtc_packet(ngx_stream_webrtc_flow_t *flow,
    u_char *pkt, size_t len);
static void ngx_stream_webrtc_close(ngx_stream_webrtc_flow_t *flow);
static void ngx_stream_webrtc_cleanup(void *data);


ngx_stream_webrtc_worker_t  *ngx_stream_webrtc_worker;


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
    ngx_stream_webrtc_init_process,        /* init process */
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


static ngx_int_t
ngx_stream_webrtc_init_process(ngx_cycle_t *cycle)
{
    ngx_webrtc_conf_t  *wcf;
    wr_dtls_conf_t      dconf;

    wcf = ngx_webrtc_get_conf(cycle);

    if (wcf == NULL || wcf->media_pos.line == 0 || wcf->shm_zone == NULL) {
        return NGX_OK;
    }

    ngx_stream_webrtc_worker = ngx_pcalloc(cycle->pool,
                                       sizeof(ngx_stream_webrtc_worker_t));
    if (ngx_stream_webrtc_worker == NULL) {
        return NGX_ERROR;
    }

    ngx_stream_webrtc_worker->wcf = wcf;

    if (wr_stun_init(&ngx_stream_webrtc_worker->stun, NULL) != 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "webrtc: STUN agent setup failed");
        return NGX_ERROR;
    }

    /* every worker uses the zone's certificate: one fingerprint for all */

    ngx_memzero(&dconf, sizeof(wr_dtls_conf_t));
    dconf.cert = wcf->sh->cert_der;
    dconf.cert_len = wcf->sh->cert_len;
    dconf.key = wcf->sh->key_der;
    dconf.key_len = wcf->sh->key_len;

    ngx_stream_webrtc_worker->dtls = wr_dtls_ctx_create(&dconf);

    if (ngx_stream_webrtc_worker->dtls == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "webrtc: DTLS context setup failed");
        return NGX_ERROR;
    }

    if (wr_srtp_init() != WR_SRTP_OK) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "webrtc: SRTP setup failed");
        return NGX_ERROR;
    }

#if (NGX_WEBRTC_VIDEOROOM)
    ngx_stream_webrtc_rtcp_init_process(cycle);
#endif

    return NGX_OK;
}


/* the first datagram from a remote address */

static void
ngx_stream_webrtc_handler(ngx_stream_session_t *s)
{
    size_t                     n;
    ngx_connection_t          *c;
    ngx_pool_cleanup_t        *cln;
    ngx_stream_webrtc_flow_t  *flow;
    uint32_t                   buf[NGX_STREAM_WEBRTC_PKT_MAX / 4];

    c = s->connection;

    if (c->type != SOCK_DGRAM || c->buffer == NULL
        || ngx_stream_webrtc_worker == NULL)
    {
        ngx_stream_finalize_session(s, NGX_STREAM_BAD_REQUEST);
        return;
    }

    flow = ngx_pcalloc(c->pool, sizeof(ngx_stream_webrtc_flow_t));
    cln = ngx_pool_cleanup_add(c->pool, 0);

    if (flow == NULL || cln == NULL) {
        ngx_stream_finalize_session(s, NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    cln->handler = ngx_stream_webrtc_cleanup;
    cln->data = flow;

    flow->session = s;
    ngx_stream_set_ctx(s, flow, ngx_stream_webrtc_module);

    c->read->handler = ngx_stream_webrtc_read_handler;

    /* a reload or shutdown closes flows at once, not after consent */
    c->idle = 1;

    /* aligned, and with room for an SRTP trailer when it goes back out */

    n = c->buffer->last - c->buffer->pos;

    if (n > NGX_STREAM_WEBRTC_PKT_MAX - WR_SRTP_RTCP_TRAILER_MAX) {
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_DROPPED, 1);
        ngx_stream_webrtc_close(flow);
        return;
    }

    ngx_memcpy(buf, c->buffer->pos, n);

    ngx_stream_webrtc_packet(flow, (u_char *) buf, n);

    if (flow->handle == 0) {
        /* nothing of ours: hold no connection slot for it */
        ngx_stream_webrtc_close(flow);
    }
}


static void
ngx_stream_webrtc_read_handler(ngx_event_t *rev)
{
    ssize_t                    n;
    ngx_connection_t          *c;
    ngx_stream_session_t      *s;
    ngx_stream_webrtc_flow_t  *flow;
    uint32_t                   buf[NGX_STREAM_WEBRTC_PKT_MAX / 4];

    c = rev->data;
    s = c->data;
    flow = ngx_stream_get_module_ctx(s, ngx_stream_webrtc_module);

    if (c->close) {
        ngx_stream_webrtc_close(flow);
        return;
    }

    if (rev->timedout) {
        rev->timedout = 0;
        ngx_stream_webrtc_consent_expired(flow);
        ngx_stream_webrtc_close(flow);
        return;
    }

    for ( ;; ) {
        n = c->recv(c, (u_char *) buf,
                    sizeof(buf) - WR_SRTP_RTCP_TRAILER_MAX);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == NGX_ERROR) {
            ngx_stream_webrtc_close(flow);
            return;
        }

        ngx_stream_webrtc_packet(flow, (u_char *) buf, n);
    }
}


/* RFC 7983: the first byte tells STUN, DTLS and SRTP apart */

static void
ngx_stream_webrtc_packet(ngx_stream_webrtc_flow_t *flow, u_char *pkt,
    size_t len)
{
    int  kind;

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_PACKETS_IN, 1);
    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_BYTES_IN, len);

    kind = wr_demux(pkt, len);

    switch (kind) {

    case WR_DEMUX_STUN:
        (void) ngx_stream_webrtc_stun(flow, pkt, len);
        return;

    case WR_DEMUX_DTLS:
        ngx_stream_webrtc_dtls(flow, pkt, len);
        return;

    case WR_DEMUX_RTP:
    case WR_DEMUX_RTCP:
        if ((flow->handle == 0 || flow->srtp_in == NULL)
            && flow->dtls == NULL
            && ngx_stream_webrtc_adopt(flow) != NGX_OK)
        {
            ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_DROPPED, 1);
            return;
        }

        ngx_stream_webrtc_srtp(flow, pkt, len, NGX_STREAM_WEBRTC_PKT_MAX,
                               kind == WR_DEMUX_RTCP);
        return;

    default:
        ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_UDP_DROPPED, 1);
        return;
    }
}


static void
ngx_stream_webrtc_cleanup(void *data)
{
    ngx_stream_webrtc_flow_t *flow = data;

    ngx_stream_webrtc_dtls_free(flow);
}


static void
ngx_stream_webrtc_close(ngx_stream_webrtc_flow_t *flow)
{
    ngx_stream_finalize_session(flow->session, NGX_STREAM_OK);
}
