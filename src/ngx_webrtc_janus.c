
/*
 * The Janus API requests, whatever transport brought them: validation
 * with Janus's error codes, sessions and handles, and the hand-off of
 * "message" requests to plugins.  Transports call
 * ngx_webrtc_janus_handle() and send back the reply it returns.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/opensslv.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"


extern ngx_webrtc_plugin_t  ngx_webrtc_echotest_plugin;
#if (NGX_WEBRTC_VIDEOROOM)
extern ngx_webrtc_plugin_t  ngx_webrtc_videoroom_plugin;
#endif

ngx_webrtc_plugin_t  *ngx_webrtc_plugins[] = {
    &ngx_webrtc_echotest_plugin,
#if (NGX_WEBRTC_VIDEOROOM)
    &ngx_webrtc_videoroom_plugin,
#endif
    NULL
};


typedef struct {
    ngx_webrtc_janus_req_t       *req;
    json_t                       *root;
    json_t                       *transaction;
    const char                   *janus;
    uint64_t                      session_id;
    uint64_t                      handle_id;
    ngx_webrtc_session_t         *session;
    ngx_webrtc_handle_t          *handle;
} ngx_webrtc_janus_ctx_t;


static json_t *ngx_webrtc_janus_root(ngx_webrtc_janus_ctx_t *ctx);
static json_t *ngx_webrtc_janus_session(ngx_webrtc_janus_ctx_t *ctx);
static json_t *ngx_webrtc_janus_handle_req(ngx_webrtc_janus_ctx_t *ctx);
static json_t *ngx_webrtc_janus_create(ngx_webrtc_janus_ctx_t *ctx);
static json_t *ngx_webrtc_janus_attach(ngx_webrtc_janus_ctx_t *ctx);
static json_t *ngx_webrtc_janus_claim(ngx_webrtc_janus_ctx_t *ctx);
static json_t *ngx_webrtc_janus_message(ngx_webrtc_janus_ctx_t *ctx);
static json_t *ngx_webrtc_janus_trickle(ngx_webrtc_janus_ctx_t *ctx);
static json_t *ngx_webrtc_janus_hangup(ngx_webrtc_janus_ctx_t *ctx);
static json_t *ngx_webrtc_janus_info(ngx_webrtc_janus_ctx_t *ctx);
static json_t *ngx_webrtc_janus_ok(ngx_webrtc_janus_ctx_t *ctx,
    const char *janus);
static ngx_int_t ngx_webrtc_janus_id(json_t *root, const char *key,
    uint64_t path, uint64_t *id);
static json_t *ngx_webrtc_janus_plugin_info(ngx_webrtc_plugin_t *p);


json_t *
ngx_webrtc_janus_error(json_t *transaction, uint64_t session,
    ngx_uint_t code, const char *fmt, ...)
{
    va_list  args;
    json_t  *err;
    u_char   reason[512], *p;

    va_start(args, fmt);
    p = ngx_vslprintf(reason, reason + sizeof(reason) - 1, fmt, args);
    va_end(args);
    *p = '\0';

    err = json_pack("{s:s}", "janus", "error");
    if (err == NULL) {
        return NULL;
    }

    if (session) {
        json_object_set_new(err, "session_id",
                            json_integer((json_int_t) session));
    }

    if (transaction) {
        json_object_set(err, "transaction", transaction);
    }

    json_object_set_new(err, "error",
                        json_pack("{s:i, s:s}", "code", (int) code,
                                  "reason", (char *) reason));

    return err;
}


json_t *
ngx_webrtc_json_get(json_t *obj, const char *key, int type)
{
    json_t  *v;

    if (obj == NULL || !json_is_object(obj)) {
        return NULL;
    }

    v = json_object_get(obj, key);

    if (v == NULL || (type >= 0 && json_typeof(v) != (json_type) type)) {
        return NULL;
    }

    return v;
}


json_t *
ngx_webrtc_janus_handle(ngx_webrtc_janus_req_t *req, u_char *data,
    size_t len)
{
    json_t                  *janus, *reply;
    json_error_t             error;
    ngx_webrtc_janus_ctx_t   ctx;

    ngx_memzero(&ctx, sizeof(ngx_webrtc_janus_ctx_t));
    ctx.req = req;

    ctx.root = json_loadb((char *) data, len, JSON_REJECT_DUPLICATES, &error);

    if (ctx.root == NULL) {
        return ngx_webrtc_janus_error(NULL, 0,
                                      NGX_WEBRTC_JANUS_ERROR_INVALID_JSON,
                                      "JSON error: on line %d: %s",
                                      error.line, error.text);
    }

    if (!json_is_object(ctx.root)) {
        reply = ngx_webrtc_janus_error(NULL, 0,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_JSON_OBJECT,
                                  "JSON error: not an object");
        goto done;
    }

    ctx.transaction = json_object_get(ctx.root, "transaction");

    if (ctx.transaction == NULL) {
        reply = ngx_webrtc_janus_error(NULL, 0,
                                  NGX_WEBRTC_JANUS_ERROR_MISSING_MANDATORY,
                                  "Missing mandatory element (transaction)");
        goto done;
    }

    if (!json_is_string(ctx.transaction)) {
        ctx.transaction = NULL;
        reply = ngx_webrtc_janus_error(NULL, 0,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_ELEMENT_TYPE,
                                  "Invalid element type (transaction should "
                                  "be a string)");
        goto done;
    }

    janus = json_object_get(ctx.root, "janus");

    if (janus == NULL) {
        reply = ngx_webrtc_janus_error(ctx.transaction, 0,
                                  NGX_WEBRTC_JANUS_ERROR_MISSING_MANDATORY,
                                  "Missing mandatory element (janus)");
        goto done;
    }

    if (!json_is_string(janus)) {
        reply = ngx_webrtc_janus_error(ctx.transaction, 0,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_ELEMENT_TYPE,
                                  "Invalid element type (janus should be a "
                                  "string)");
        goto done;
    }

    ctx.janus = json_string_value(janus);

    if (ngx_webrtc_janus_id(ctx.root, "session_id", req->path_session,
                            &ctx.session_id)
        != NGX_OK)
    {
        reply = ngx_webrtc_janus_error(ctx.transaction, 0,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_REQUEST_PATH,
                                  "Conflicting or invalid session ID "
                                  "(payload and path)");
        goto done;
    }

    if (ngx_webrtc_janus_id(ctx.root, "handle_id", req->path_handle,
                            &ctx.handle_id)
        != NGX_OK)
    {
        reply = ngx_webrtc_janus_error(ctx.transaction, ctx.session_id,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_REQUEST_PATH,
                                  "Conflicting or invalid handle ID "
                                  "(payload and path)");
        goto done;
    }

    if (ctx.session_id == 0) {
        if (ctx.handle_id) {
            reply = ngx_webrtc_janus_error(ctx.transaction, 0,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_REQUEST_PATH,
                                  "Unhandled request '%s' at this path",
                                  ctx.janus);
            goto done;
        }

        reply = ngx_webrtc_janus_root(&ctx);
        goto done;
    }

    ngx_shmtx_lock(&req->wcf->shpool->mutex);

    ctx.session = ngx_webrtc_session_lookup_locked(req->wcf, ctx.session_id);

    if (ctx.session == NULL) {
        reply = ngx_webrtc_janus_error(ctx.transaction, ctx.session_id,
                                  NGX_WEBRTC_JANUS_ERROR_SESSION_NOT_FOUND,
                                  "No such session %uL", ctx.session_id);

    } else {
        ctx.session->last_activity = ngx_current_msec;

        if (ctx.handle_id == 0) {
            reply = ngx_webrtc_janus_session(&ctx);

        } else {
            reply = ngx_webrtc_janus_handle_req(&ctx);
        }
    }

    ngx_shmtx_unlock(&req->wcf->shpool->mutex);

    ngx_webrtc_wake_flush();

done:

    json_decref(ctx.root);

    return reply;
}


/* an id in the body must agree with the one in the path */

static ngx_int_t
ngx_webrtc_janus_id(json_t *root, const char *key, uint64_t path,
    uint64_t *id)
{
    json_t      *v;
    json_int_t   n;

    *id = path;

    v = json_object_get(root, key);

    if (v == NULL || json_is_null(v)) {
        return NGX_OK;
    }

    if (!json_is_integer(v)) {
        return NGX_ERROR;
    }

    n = json_integer_value(v);

    if (n <= 0 || (path && (uint64_t) n != path)) {
        return NGX_ERROR;
    }

    *id = (uint64_t) n;

    return NGX_OK;
}


static json_t *
ngx_webrtc_janus_ok(ngx_webrtc_janus_ctx_t *ctx, const char *janus)
{
    json_t  *r;

    r = json_pack("{s:s}", "janus", janus);
    if (r == NULL) {
        return NULL;
    }

    if (ctx->session_id) {
        json_object_set_new(r, "session_id",
                            json_integer((json_int_t) ctx->session_id));
    }

    if (ctx->handle) {
        json_object_set_new(r, "sender",
                       json_integer((json_int_t) ngx_webrtc_handle_id(ctx->handle)));
    }

    json_object_set(r, "transaction", ctx->transaction);

    return r;
}


static json_t *
ngx_webrtc_janus_root(ngx_webrtc_janus_ctx_t *ctx)
{
    json_t  *r;

    if (ngx_strcasecmp((u_char *) ctx->janus, (u_char *) "create") == 0) {
        ngx_shmtx_lock(&ctx->req->wcf->shpool->mutex);
        r = ngx_webrtc_janus_create(ctx);
        ngx_shmtx_unlock(&ctx->req->wcf->shpool->mutex);
        return r;
    }

    if (ngx_strcasecmp((u_char *) ctx->janus, (u_char *) "info") == 0) {
        return ngx_webrtc_janus_info(ctx);
    }

    if (ngx_strcasecmp((u_char *) ctx->janus, (u_char *) "ping") == 0) {
        return ngx_webrtc_janus_ok(ctx, "pong");
    }

    return ngx_webrtc_janus_error(ctx->transaction, 0,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_REQUEST_PATH,
                                  "Unhandled request '%s' at this path",
                                  ctx->janus);
}


static json_t *
ngx_webrtc_janus_create(ngx_webrtc_janus_ctx_t *ctx)
{
    json_t                *v, *r;
    uint64_t               id;
    ngx_webrtc_conf_t     *wcf;
    ngx_webrtc_session_t  *s;

    wcf = ctx->req->wcf;
    id = 0;

    v = json_object_get(ctx->root, "id");

    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0
            || (uint64_t) json_integer_value(v) > NGX_WEBRTC_ID_MASK)
        {
            return ngx_webrtc_janus_error(ctx->transaction, 0,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_ELEMENT_TYPE,
                                  "Invalid element type (id should be a "
                                  "positive integer)");
        }

        id = (uint64_t) json_integer_value(v);

        if (ngx_webrtc_session_lookup_locked(wcf, id)) {
            return ngx_webrtc_janus_error(ctx->transaction, 0,
                                  NGX_WEBRTC_JANUS_ERROR_SESSION_CONFLICT,
                                  "Session ID already in use");
        }
    }

    if (wcf->sh->nsessions >= wcf->max_sessions) {
        return ngx_webrtc_janus_error(ctx->transaction, 0,
                              NGX_WEBRTC_JANUS_ERROR_NOT_ACCEPTING_SESSIONS,
                              "Too many sessions (max_sessions %ui)",
                              wcf->max_sessions);
    }

    s = ngx_webrtc_session_create_locked(wcf, id);
    if (s == NULL) {
        return ngx_webrtc_janus_error(ctx->transaction, 0,
                                      NGX_WEBRTC_JANUS_ERROR_UNKNOWN,
                                      "Memory error");
    }

    if (ctx->req->ws) {
        s->owner = NGX_WEBRTC_OWNER_WS;
        s->owner_pid = ngx_pid;
        s->owner_conn = ctx->req->conn;
    }

    ctx->req->created = ngx_webrtc_session_id(s);

    r = json_pack("{s:s, s:O, s:{s:I}}",
                  "janus", "success",
                  "transaction", ctx->transaction,
                  "data", "id", (json_int_t) ngx_webrtc_session_id(s));

    return r;
}


static json_t *
ngx_webrtc_janus_session(ngx_webrtc_janus_ctx_t *ctx)
{
    const char            *j;
    ngx_webrtc_janus_req_t *req;

    j = ctx->janus;
    req = ctx->req;

    if (ngx_strcasecmp((u_char *) j, (u_char *) "keepalive") == 0) {
        return ngx_webrtc_janus_ok(ctx, "ack");
    }

    if (ngx_strcasecmp((u_char *) j, (u_char *) "attach") == 0) {
        return ngx_webrtc_janus_attach(ctx);
    }

    if (ngx_strcasecmp((u_char *) j, (u_char *) "destroy") == 0) {
        ngx_webrtc_session_destroy_locked(req->wcf, ctx->session);
        ctx->session = NULL;
        req->destroyed = ctx->session_id;
        return ngx_webrtc_janus_ok(ctx, "success");
    }

    if (ngx_strcasecmp((u_char *) j, (u_char *) "claim") == 0) {
        return ngx_webrtc_janus_claim(ctx);
    }

    if (ngx_strcasecmp((u_char *) j, (u_char *) "create") == 0
        || ngx_strcasecmp((u_char *) j, (u_char *) "info") == 0)
    {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                      NGX_WEBRTC_JANUS_ERROR_UNKNOWN_REQUEST,
                                      "Unknown request '%s'", j);
    }

    return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_REQUEST_PATH,
                                  "Unhandled request '%s' at this path", j);
}


static json_t *
ngx_webrtc_janus_attach(ngx_webrtc_janus_ctx_t *ctx)
{
    json_t               *plugin, *opaque;
    size_t                len;
    ngx_uint_t            i;
    const char           *name;
    ngx_webrtc_conf_t    *wcf;
    ngx_webrtc_handle_t  *h;

    wcf = ctx->req->wcf;

    plugin = json_object_get(ctx->root, "plugin");

    if (plugin == NULL) {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_MISSING_MANDATORY,
                                  "Missing mandatory element (plugin)");
    }

    if (!json_is_string(plugin)) {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_ELEMENT_TYPE,
                                  "Invalid element type (plugin should be a "
                                  "string)");
    }

    opaque = json_object_get(ctx->root, "opaque_id");

    if (opaque && !json_is_string(opaque) && !json_is_null(opaque)) {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_ELEMENT_TYPE,
                                  "Invalid element type (opaque_id should be "
                                  "a string)");
    }

    name = json_string_value(plugin);

    for (i = 0; ngx_webrtc_plugins[i]; i++) {
        if (ngx_strcmp(ngx_webrtc_plugins[i]->package, name) == 0) {
            break;
        }
    }

    if (ngx_webrtc_plugins[i] == NULL) {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                      NGX_WEBRTC_JANUS_ERROR_PLUGIN_NOT_FOUND,
                                      "No such plugin '%s'", name);
    }

    if (ctx->session->nhandles >= wcf->max_handles) {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                      NGX_WEBRTC_JANUS_ERROR_PLUGIN_ATTACH,
                                      "Too many handles in this session "
                                      "(max_handles %ui)", wcf->max_handles);
    }

    h = ngx_webrtc_handle_create_locked(wcf, ctx->session, i);
    if (h == NULL) {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                      NGX_WEBRTC_JANUS_ERROR_UNKNOWN,
                                      "Memory error");
    }

    if (opaque && json_is_string(opaque)) {
        len = ngx_min(json_string_length(opaque), NGX_WEBRTC_OPAQUE_ID_LEN);
        ngx_memcpy(h->opaque_id, json_string_value(opaque), len);
        h->opaque_id_len = len;
    }

    if (ngx_webrtc_plugins[i]->attach
        && ngx_webrtc_plugins[i]->attach(wcf, h) != NGX_OK)
    {
        ngx_webrtc_handle_destroy_locked(wcf, h, 0);
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                      NGX_WEBRTC_JANUS_ERROR_PLUGIN_ATTACH,
                                      "Couldn't attach to plugin");
    }

    return json_pack("{s:s, s:I, s:O, s:{s:I}}",
                     "janus", "success",
                     "session_id", (json_int_t) ctx->session_id,
                     "transaction", ctx->transaction,
                     "data", "id", (json_int_t) ngx_webrtc_handle_id(h));
}


/* another connection takes the session over (janus.js reconnect) */

static json_t *
ngx_webrtc_janus_claim(ngx_webrtc_janus_ctx_t *ctx)
{
    ngx_webrtc_session_t  *s;

    s = ctx->session;

    if (ctx->req->ws) {
        s->owner = NGX_WEBRTC_OWNER_WS;
        s->owner_pid = ngx_pid;
        s->owner_conn = ctx->req->conn;

    } else {
        s->owner = NGX_WEBRTC_OWNER_NONE;
        s->owner_pid = 0;
        s->owner_conn = 0;
    }

    s->orphaned = 0;
    ctx->req->created = ctx->session_id;

    return ngx_webrtc_janus_ok(ctx, "success");
}


static json_t *
ngx_webrtc_janus_handle_req(ngx_webrtc_janus_ctx_t *ctx)
{
    const char  *j;

    j = ctx->janus;

    ctx->handle = ngx_webrtc_handle_lookup_locked(ctx->req->wcf,
                                                  ctx->handle_id);

    if (ctx->handle == NULL || ctx->handle->session != ctx->session) {
        ctx->handle = NULL;
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                      NGX_WEBRTC_JANUS_ERROR_HANDLE_NOT_FOUND,
                                      "No such handle %uL in session %uL",
                                      ctx->handle_id, ctx->session_id);
    }

    if (ngx_strcasecmp((u_char *) j, (u_char *) "message") == 0) {
        return ngx_webrtc_janus_message(ctx);
    }

    if (ngx_strcasecmp((u_char *) j, (u_char *) "trickle") == 0) {
        return ngx_webrtc_janus_trickle(ctx);
    }

    if (ngx_strcasecmp((u_char *) j, (u_char *) "hangup") == 0) {
        return ngx_webrtc_janus_hangup(ctx);
    }

    if (ngx_strcasecmp((u_char *) j, (u_char *) "detach") == 0) {
        ngx_webrtc_handle_destroy_locked(ctx->req->wcf, ctx->handle, 1);
        ctx->handle = NULL;
        return ngx_webrtc_janus_ok(ctx, "success");
    }

    if (ngx_strcasecmp((u_char *) j, (u_char *) "keepalive") == 0) {
        ctx->handle = NULL;
        return ngx_webrtc_janus_ok(ctx, "ack");
    }

    ctx->handle = NULL;

    return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_REQUEST_PATH,
                                  "Unhandled request '%s' at this path", j);
}


static json_t *
ngx_webrtc_janus_message(ngx_webrtc_janus_ctx_t *ctx)
{
    json_t                   *body, *jsep, *type, *sdp, *e2ee, *r;
    ngx_int_t                 rc;
    const char               *t;
    ngx_webrtc_plugin_t      *plugin;
    ngx_webrtc_plugin_msg_t   m;

    body = json_object_get(ctx->root, "body");

    if (body == NULL) {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_MISSING_MANDATORY,
                                  "Missing mandatory element (body)");
    }

    if (!json_is_object(body)) {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_ELEMENT_TYPE,
                                  "Invalid element type (body should be an "
                                  "object)");
    }

    jsep = json_object_get(ctx->root, "jsep");

    if (jsep && json_is_null(jsep)) {
        jsep = NULL;
    }

    if (jsep) {
        if (!json_is_object(jsep)) {
            return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_JSON_OBJECT,
                                  "Invalid jsep object");
        }

        type = json_object_get(jsep, "type");

        if (type == NULL || !json_is_string(type)) {
            return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_MISSING_MANDATORY,
                                  "JSEP error: missing mandatory element "
                                  "(type)");
        }

        t = json_string_value(type);

        if (ngx_strcasecmp((u_char *) t, (u_char *) "offer") != 0
            && ngx_strcasecmp((u_char *) t, (u_char *) "answer") != 0)
        {
            return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_JSEP_UNKNOWN_TYPE,
                                  "JSEP error: unknown message type '%s'", t);
        }

        sdp = json_object_get(jsep, "sdp");

        if (sdp == NULL || !json_is_string(sdp)) {
            return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_MISSING_MANDATORY,
                                  "JSEP error: missing mandatory element "
                                  "(sdp)");
        }

        if (json_string_length(sdp) < 2
            || ngx_strncmp(json_string_value(sdp), "v=", 2) != 0)
        {
            return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_JSEP_INVALID_SDP,
                                  "Invalid SDP (doesn't start with v=)");
        }

        if (ngx_strcasecmp((u_char *) t, (u_char *) "answer") == 0
            && !ctx->handle->pc.offered)
        {
            return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_UNEXPECTED_ANSWER,
                                  "Unexpected ANSWER (did we offer?)");
        }

        /* sticky, as in Janus: once a handle is E2EE it stays so */
        e2ee = json_object_get(jsep, "e2ee");

        if (e2ee && json_is_true(e2ee)) {
            ctx->handle->e2ee = 1;
        }
    }

    plugin = ngx_webrtc_plugins[ctx->handle->plugin];

    ngx_memzero(&m, sizeof(ngx_webrtc_plugin_msg_t));
    m.wcf = ctx->req->wcf;
    m.session = ctx->session;
    m.handle = ctx->handle;
    m.transaction = ctx->transaction;
    m.body = body;
    m.jsep = jsep;
    m.log = ctx->req->log;

    rc = plugin->message(&m);

    if (rc != NGX_OK) {
        json_decref(m.result);
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                      NGX_WEBRTC_JANUS_ERROR_PLUGIN_MESSAGE,
                                      "Error handling the message");
    }

    if (m.async) {
        json_decref(m.result);
        ctx->handle = NULL;
        return ngx_webrtc_janus_ok(ctx, "ack");
    }

    if (m.result == NULL) {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                      NGX_WEBRTC_JANUS_ERROR_PLUGIN_MESSAGE,
                                      "Plugin didn't give a result");
    }

    r = ngx_webrtc_janus_ok(ctx, "success");

    json_object_set_new(r, "plugindata",
                        json_pack("{s:s, s:o}", "plugin", plugin->package,
                                  "data", m.result));

    return r;
}


/*
 * An ICE-lite server needs none of the client's candidates: they are
 * checked for shape and acknowledged, as Janus does.
 */

static json_t *
ngx_webrtc_janus_trickle(ngx_webrtc_janus_ctx_t *ctx)
{
    json_t  *c, *cs;

    c = json_object_get(ctx->root, "candidate");
    cs = json_object_get(ctx->root, "candidates");

    if (c == NULL && cs == NULL) {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_MISSING_MANDATORY,
                                  "Missing mandatory element "
                                  "(candidate|candidates)");
    }

    if (c && cs) {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_JSON,
                                  "Can't have both candidate and candidates");
    }

    if ((c && !json_is_object(c) && !json_is_null(c))
        || (cs && !json_is_array(cs)))
    {
        return ngx_webrtc_janus_error(ctx->transaction, ctx->session_id,
                                  NGX_WEBRTC_JANUS_ERROR_INVALID_ELEMENT_TYPE,
                                  "Invalid element type (candidate should be "
                                  "an object, candidates an array)");
    }

    ctx->handle = NULL;

    return ngx_webrtc_janus_ok(ctx, "ack");
}


static json_t *
ngx_webrtc_janus_hangup(ngx_webrtc_janus_ctx_t *ctx)
{
    ngx_webrtc_pc_hangup_locked(ctx->req->wcf, ctx->handle, "Janus API", 1);

    ctx->handle = NULL;

    return ngx_webrtc_janus_ok(ctx, "success");
}


static json_t *
ngx_webrtc_janus_info(ngx_webrtc_janus_ctx_t *ctx)
{
    json_t                 *r, *plugins, *transports, *deps;
    ngx_uint_t              i, ipv6;
    ngx_webrtc_conf_t      *wcf;
    ngx_webrtc_announce_t  *an;

    wcf = ctx->req->wcf;

    ipv6 = 0;
    an = wcf->announce.elts;

    for (i = 0; i < wcf->announce.nelts; i++) {
        if (an[i].addr.sockaddr->sa_family == AF_INET6) {
            ipv6 = 1;
        }
    }

    plugins = json_object();

    for (i = 0; ngx_webrtc_plugins[i]; i++) {
        json_object_set_new(plugins, ngx_webrtc_plugins[i]->package,
                     ngx_webrtc_janus_plugin_info(ngx_webrtc_plugins[i]));
    }

    transports = json_pack("{s:{s:s, s:s, s:s, s:s, s:i},"
                           " s:{s:s, s:s, s:s, s:s, s:i}}",
                           "janus.transport.http",
                           "name", "JANUS REST (HTTP/HTTPS) transport plugin",
                           "author", "ngx_webrtc_module",
                           "description", "The Janus REST API and long-poll,"
                           " served by nginx",
                           "version_string", NGX_WEBRTC_VERSION,
                           "version", NGX_WEBRTC_VERSION_NUM,
                           "janus.transport.websockets",
                           "name", "JANUS WebSockets transport plugin",
                           "author", "ngx_webrtc_module",
                           "description", "The Janus API over WebSocket "
                           "(janus-protocol), served by nginx",
                           "version_string", NGX_WEBRTC_VERSION,
                           "version", NGX_WEBRTC_VERSION_NUM);

    /* SRTP is this module's own, on the crypto library */
    deps = json_pack("{s:s, s:s, s:s}",
                     "jansson", JANSSON_VERSION,
                     "crypto", OPENSSL_VERSION_TEXT,
                     "nginx", NGINX_VERSION);

    r = json_pack("{s:s, s:O, s:s, s:i, s:s, s:s, s:s, s:s, s:b, s:b, s:b,"
                  " s:b, s:b, s:I, s:I, s:i, s:s, s:b, s:b, s:b, s:b,"
                  " s:o, s:o, s:o, s:{}, s:{}}",
                  "janus", "server_info",
                  "transaction", ctx->transaction,
                  "name", "ngx_webrtc_module",
                  "version", NGX_WEBRTC_VERSION_NUM,
                  "version_string", NGX_WEBRTC_VERSION,
                  "author", "ngx_webrtc_module developers",
                  "commit-hash", "not available",
                  "compile-time", "not available",
                  "data_channels", 0,
                  "ipv6", (int) ipv6,
                  "ice-lite", 1,
                  "ice-tcp", 0,
                  "full-trickle", 0,
                  "session-timeout",
                  (json_int_t) (wcf->session_timeout / 1000),
                  "reclaim-session-timeout",
                  (json_int_t) (wcf->reclaim_session_timeout / 1000),
                  "candidates-timeout", 45,
                  "server-name", "nginx/" NGINX_VERSION,
                  "api_secret", 0,
                  "auth_token", 0,
                  "event_handlers", 0,
                  "opaqueid_in_api", 0,
                  "dependencies", deps,
                  "transports", transports,
                  "plugins", plugins,
                  "events",
                  "loggers");

    return r;
}


static json_t *
ngx_webrtc_janus_plugin_info(ngx_webrtc_plugin_t *p)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:i}",
                     "name", p->name,
                     "author", "ngx_webrtc_module",
                     "description", p->description,
                     "version_string", p->version_string,
                     "version", (int) p->version);
}
