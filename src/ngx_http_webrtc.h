
/*
 * Declarations shared by the files of the HTTP half.
 */

#ifndef _NGX_HTTP_WEBRTC_H_INCLUDED_
#define _NGX_HTTP_WEBRTC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"


typedef struct ngx_http_webrtc_link_s  ngx_http_webrtc_link_t;

/*
 * A session whose events this worker delivers: a WebSocket (one link per
 * session it owns) or a waiting long-poll.  Process memory, found by
 * session id when the session's events arrive.
 */
struct ngx_http_webrtc_link_s {
    ngx_rbtree_node_t             node;          /* key: session id */
    uint64_t                      conn;
    void                        (*deliver)(ngx_http_webrtc_link_t *link);
    void                         *data;
    ngx_http_webrtc_link_t       *next;          /* a WebSocket's links */
};


extern ngx_module_t  ngx_http_webrtc_module;


ngx_int_t ngx_http_webrtc_status_handler(ngx_http_request_t *r);

/* ngx_http_webrtc_signaling.c */
ngx_int_t ngx_http_webrtc_signaling_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_webrtc_signaling_init_process(ngx_cycle_t *cycle);
void ngx_http_webrtc_signaling_exit_process(ngx_cycle_t *cycle);
uint64_t ngx_http_webrtc_next_conn(void);
void ngx_http_webrtc_link_add(ngx_http_webrtc_link_t *link);
void ngx_http_webrtc_link_remove(ngx_http_webrtc_link_t *link);
ngx_http_webrtc_link_t *ngx_http_webrtc_link_find(uint64_t session);
ngx_table_elt_t *ngx_http_webrtc_header_in(ngx_http_request_t *r,
    const char *name, size_t len);

/* ngx_http_webrtc_ws.c */
ngx_int_t ngx_http_webrtc_ws_handler(ngx_http_request_t *r);
ngx_uint_t ngx_http_webrtc_ws_requested(ngx_http_request_t *r);


#endif /* _NGX_HTTP_WEBRTC_H_INCLUDED_ */
