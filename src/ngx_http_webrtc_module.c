
/*
 * The HTTP half: the Janus API location ("webrtc_signaling") and the
 * status location ("webrtc_status").
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_webrtc.h"
#include "ngx_http_webrtc.h"


static char *ngx_http_webrtc_signaling(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webrtc_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_webrtc_init_process(ngx_cycle_t *cycle);
static void ngx_http_webrtc_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_webrtc_commands[] = {

    { ngx_string("webrtc_signaling"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_webrtc_signaling,
      0,
      0,
      NULL },

    { ngx_string("webrtc_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_webrtc_status,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_webrtc_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_webrtc_module = {
    NGX_MODULE_V1,
    &ngx_http_webrtc_module_ctx,           /* module context */
    ngx_http_webrtc_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_webrtc_init_process,          /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_webrtc_exit_process,          /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static char *
ngx_http_webrtc_signaling(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_webrtc_conf_t         *wcf;
    ngx_http_core_loc_conf_t  *clcf;

    wcf = ngx_webrtc_get_conf(cf->cycle);

    if (wcf->signaling_pos.line == 0) {
        ngx_webrtc_conf_pos_set(cf, &wcf->signaling_pos);
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_webrtc_signaling_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_webrtc_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_webrtc_conf_t         *wcf;
    ngx_http_core_loc_conf_t  *clcf;

    wcf = ngx_webrtc_get_conf(cf->cycle);

    if (wcf->status_pos.line == 0) {
        ngx_webrtc_conf_pos_set(cf, &wcf->status_pos);
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_webrtc_status_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_webrtc_init_process(ngx_cycle_t *cycle)
{
    if (ngx_webrtc_stats_init_process(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_webrtc_signaling_init_process(cycle);
}


static void
ngx_http_webrtc_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_webrtc_signaling_exit_process(cycle);
    ngx_webrtc_stats_exit_process(cycle);
}
