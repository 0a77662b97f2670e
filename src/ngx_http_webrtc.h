
/*
 * Declarations shared by the files of the HTTP half.
 */

#ifndef _NGX_HTTP_WEBRTC_H_INCLUDED_
#define _NGX_HTTP_WEBRTC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


extern ngx_module_t  ngx_http_webrtc_module;


ngx_int_t ngx_http_webrtc_status_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_WEBRTC_H_INCLUDED_ */
