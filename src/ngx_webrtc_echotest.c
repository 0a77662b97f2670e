
/*
 * janus.plugin.echotest: media comes back to the PeerConnection that
 * sent it.  With jsep.e2ee the frames go back still encrypted, so the
 * browser's own receive transform must hold the same key.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"


#define NGX_WEBRTC_ECHOTEST_ERROR_NO_MESSAGE       411
#define NGX_WEBRTC_ECHOTEST_ERROR_INVALID_JSON     412
#define NGX_WEBRTC_ECHOTEST_ERROR_INVALID_ELEMENT  413
#define NGX_WEBRTC_ECHOTEST_ERROR_INVALID_SDP      414


/* the handle's echo settings, read by the media half per packet batch */
typedef struct {
    unsigned                      audio:1;
    unsigned                      video:1;
    ngx_uint_t                    bitrate;
} ngx_webrtc_echotest_t;


static ngx_int_t ngx_webrtc_echotest_attach(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h);
static ngx_int_t ngx_webrtc_echotest_message(ngx_webrtc_plugin_msg_t *m);
static void ngx_webrtc_echotest_hangup(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h);
static void ngx_webrtc_echotest_detach(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_handle_t *h);
static json_t *ngx_webrtc_echotest_error(ngx_uint_t code, const char *text);


ngx_webrtc_plugin_t  ngx_webrtc_echotest_plugin = {
    "janus.plugin.echotest",
    "echotest",
    "The EchoTest plugin: media comes back to its sender",
    NGX_WEBRTC_VERSION,
    NGX_WEBRTC_VERSION_NUM,
    ngx_webrtc_echotest_attach,
    ngx_webrtc_echotest_message,
    ngx_webrtc_echotest_hangup,
    ngx_webrtc_echotest_detach,
    NULL
};


static ngx_int_t
ngx_webrtc_echotest_attach(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h)
{
    ngx_webrtc_echotest_t  *et;

    et = ngx_slab_calloc_locked(wcf->shpool, sizeof(ngx_webrtc_echotest_t));
    if (et == NULL) {
        return NGX_ERROR;
    }

    et->audio = 1;
    et->video = 1;

    h->plugin_data = et;

    return NGX_OK;
}


static json_t *
ngx_webrtc_echotest_error(ngx_uint_t code, const char *text)
{
    return json_pack("{s:s, s:i, s:s}", "echotest", "event",
                     "error_code", (int) code, "error", text);
}


/*
 * Every request is answered asynchronously, as Janus's EchoTest does:
 * "ack" now, then an event with the same transaction.
 */

static ngx_int_t
ngx_webrtc_echotest_message(ngx_webrtc_plugin_msg_t *m)
{
    json_t                 *audio, *video, *bitrate, *data, *answer;
    ngx_webrtc_echotest_t  *et;
    ngx_webrtc_jsep_err_t   err;

    et = m->handle->plugin_data;
    m->async = 1;

    audio = json_object_get(m->body, "audio");
    video = json_object_get(m->body, "video");
    bitrate = json_object_get(m->body, "bitrate");

    if ((audio && !json_is_boolean(audio))
        || (video && !json_is_boolean(video))
        || (bitrate && (!json_is_integer(bitrate)
                        || json_integer_value(bitrate) < 0)))
    {
        data = ngx_webrtc_echotest_error(
                   NGX_WEBRTC_ECHOTEST_ERROR_INVALID_ELEMENT,
                   "Invalid element (audio and video should be booleans, "
                   "bitrate a positive integer)");

        return ngx_webrtc_plugin_event_locked(m->wcf, m->handle,
                                              m->transaction, data, NULL);
    }

    if (audio) {
        et->audio = json_is_true(audio);
    }

    if (video) {
        et->video = json_is_true(video);
    }

    if (bitrate) {
        et->bitrate = (ngx_uint_t) json_integer_value(bitrate);
    }

    answer = NULL;

    if (m->jsep) {
        if (ngx_strcasecmp((u_char *) json_string_value(
                               json_object_get(m->jsep, "type")),
                           (u_char *) "offer")
            != 0)
        {
            data = ngx_webrtc_echotest_error(
                       NGX_WEBRTC_ECHOTEST_ERROR_INVALID_SDP,
                       "The EchoTest only answers offers");

            return ngx_webrtc_plugin_event_locked(m->wcf, m->handle,
                                                  m->transaction, data, NULL);
        }

        answer = ngx_webrtc_jsep_answer_locked(m->wcf, m->handle, m->jsep,
                                               NULL, NULL,
                                               WR_SDP_DIR_SENDRECV, NULL, 0,
                                               NULL, &err);
        if (answer == NULL) {
            data = ngx_webrtc_echotest_error(
                       NGX_WEBRTC_ECHOTEST_ERROR_INVALID_SDP, err.text);

            return ngx_webrtc_plugin_event_locked(m->wcf, m->handle,
                                                  m->transaction, data, NULL);
        }
    }

    data = json_pack("{s:s, s:s}", "echotest", "event", "result", "ok");

    return ngx_webrtc_plugin_event_locked(m->wcf, m->handle, m->transaction,
                                          data, answer);
}


static void
ngx_webrtc_echotest_hangup(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h)
{
    json_t  *data;

    data = json_pack("{s:s, s:s}", "echotest", "event", "result", "done");

    (void) ngx_webrtc_plugin_event_locked(wcf, h, NULL, data, NULL);
}


static void
ngx_webrtc_echotest_detach(ngx_webrtc_conf_t *wcf, ngx_webrtc_handle_t *h)
{
    if (h->plugin_data) {
        ngx_slab_free_locked(wcf->shpool, h->plugin_data);
        h->plugin_data = NULL;
    }
}
