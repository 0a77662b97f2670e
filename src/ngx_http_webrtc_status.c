
/*
 * The status location: rooms, participants, PeerConnections and counters
 * per worker and in total, as JSON, or in the Prometheus text format
 * with "?format=prometheus" (or when a Prometheus scraper asks for it).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_webrtc.h"
#include "ngx_http_webrtc.h"


static json_t *ngx_http_webrtc_status_json(ngx_webrtc_shm_t *sh,
    ngx_slab_pool_t *shpool);
static ngx_int_t ngx_http_webrtc_status_prometheus(ngx_http_request_t *r,
    ngx_webrtc_shm_t *sh, ngx_slab_pool_t *shpool, ngx_str_t *out);
static ngx_uint_t ngx_http_webrtc_status_wants_prometheus(
    ngx_http_request_t *r);
static json_t *ngx_http_webrtc_codecs_json(u_char *codecs);
static json_t *ngx_http_webrtc_counters_json(uint64_t *stat);
static ngx_uint_t ngx_http_webrtc_zone_pages(ngx_slab_pool_t *shpool);
static size_t ngx_http_webrtc_zone_used(ngx_slab_pool_t *shpool);


ngx_int_t
ngx_http_webrtc_status_handler(ngx_http_request_t *r)
{
    char               *text;
    json_t             *root;
    ngx_int_t           rc;
    ngx_buf_t          *b;
    ngx_str_t           out;
    ngx_uint_t          prometheus;
    ngx_chain_t         cl;
    ngx_webrtc_conf_t  *wcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    wcf = ngx_webrtc_get_conf(ngx_cycle);

    ngx_webrtc_stat_inc(NGX_WEBRTC_STAT_STATUS_REQUESTS, 1);

    prometheus = ngx_http_webrtc_status_wants_prometheus(r);

    if (prometheus) {
        ngx_shmtx_lock(&wcf->shpool->mutex);
        rc = ngx_http_webrtc_status_prometheus(r, wcf->sh, wcf->shpool,
                                               &out);
        ngx_shmtx_unlock(&wcf->shpool->mutex);

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4; charset=utf-8");

    } else {
        ngx_shmtx_lock(&wcf->shpool->mutex);
        root = ngx_http_webrtc_status_json(wcf->sh, wcf->shpool);
        ngx_shmtx_unlock(&wcf->shpool->mutex);

        if (root == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(root);

        if (text == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        out.len = ngx_strlen(text) + 1;
        out.data = ngx_pnalloc(r->pool, out.len);

        if (out.data == NULL) {
            free(text);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(out.data, text, out.len - 1);
        out.data[out.len - 1] = '\n';
        free(text);

        ngx_str_set(&r->headers_out.content_type, "application/json");
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = out.len;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = out.data;
    b->last = out.data + out.len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    cl.buf = b;
    cl.next = NULL;

    return ngx_http_output_filter(r, &cl);
}


static ngx_uint_t
ngx_http_webrtc_status_wants_prometheus(ngx_http_request_t *r)
{
    ngx_str_t         value;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;
    ngx_uint_t        i;

    if (ngx_http_arg(r, (u_char *) "format", 6, &value) == NGX_OK) {
        return value.len == 10
               && ngx_strncmp(value.data, "prometheus", 10) == 0;
    }

    /* a scraper asks for the text exposition format by its version */

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == 6
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Accept", 6) == 0
            && (ngx_strlcasestrn(h[i].value.data,
                                 h[i].value.data + h[i].value.len,
                                 (u_char *) "version=0.0.4", 13 - 1)
                != NULL
                || ngx_strlcasestrn(h[i].value.data,
                                    h[i].value.data + h[i].value.len,
                                    (u_char *) "openmetrics", 11 - 1)
                   != NULL))
        {
            return 1;
        }
    }

    return 0;
}


static json_t *
ngx_http_webrtc_status_json(ngx_webrtc_shm_t *sh, ngx_slab_pool_t *shpool)
{
    json_t                    *root, *server, *cert, *rooms, *room, *totals;
    json_t                    *workers, *worker, *zone;
    uint64_t                   total[NGX_WEBRTC_STAT_N];
    ngx_uint_t                 i;
    ngx_queue_t               *q;
    ngx_webrtc_room_t         *rm;
    ngx_webrtc_worker_slot_t  *slot;

    totals = NULL;
    workers = NULL;
    zone = NULL;

    root = json_object();
    if (root == NULL) {
        return NULL;
    }

    server = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}",
                       "name", "ngx_webrtc_module",
                       "version", NGX_WEBRTC_VERSION,
                       "nginx", NGINX_VERSION,
                       "generation", (json_int_t) sh->generation,
                       "zone_created", (json_int_t) sh->created,
                       "uptime", (json_int_t) (ngx_time() - sh->created));

    cert = json_pack("{s:s, s:s}",
                     "fingerprint", (char *) sh->fingerprint,
                     "source", sh->cert_from_file ? "file" : "generated");

    rooms = json_array();

    for (q = ngx_queue_head(&sh->rooms);
         q != ngx_queue_sentinel(&sh->rooms);
         q = ngx_queue_next(q))
    {
        rm = ngx_queue_data(q, ngx_webrtc_room_t, queue);

        room = json_pack("{s:I, s:s#, s:b, s:b, s:b, s:I, s:I, s:I, s:I,"
                         " s:I, s:o, s:o, s:b, s:b, s:b, s:b}",
                         "room", (json_int_t) rm->opts.id,
                         "description", rm->opts.description,
                         (int) rm->opts.description_len,
                         "is_private", (int) rm->opts.is_private,
                         "require_e2ee", (int) rm->opts.require_e2ee,
                         "pin_required", rm->opts.pin_len != 0,
                         "max_publishers", (json_int_t) rm->opts.publishers,
                         "publishers", (json_int_t) rm->active_publishers,
                         "participants", (json_int_t) rm->participants,
                         "bitrate", (json_int_t) rm->opts.bitrate,
                         "fir_freq", (json_int_t) rm->opts.fir_freq,
                         "audiocodec",
                         ngx_http_webrtc_codecs_json(rm->opts.audiocodec),
                         "videocodec",
                         ngx_http_webrtc_codecs_json(rm->opts.videocodec),
                         "record", (int) rm->opts.record,
                         "notify_joining", (int) rm->opts.notify_joining,
                         "audiolevel_event", (int) rm->opts.audiolevel_event,
                         "from_config", (int) rm->from_config);

        if (room == NULL || json_array_append_new(rooms, room) != 0) {
            goto failed;
        }
    }

    ngx_webrtc_stats_sum(sh, total);

    totals = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}",
                       "rooms", (json_int_t) sh->nrooms,
                       "sessions", (json_int_t) sh->nsessions,
                       "handles", (json_int_t) sh->nhandles,
                       "participants", (json_int_t) sh->nparticipants,
                       "peerconnections", (json_int_t) sh->npeerconnections,
                       "counters", ngx_http_webrtc_counters_json(total));

    /* pages in use, whole or in part: what sessions and rooms take */

    zone = json_pack("{s:I, s:I, s:I, s:I}",
                     "size", (json_int_t) (shpool->end - (u_char *) shpool),
                     "pages", (json_int_t) ngx_http_webrtc_zone_pages(shpool),
                     "free_pages", (json_int_t) shpool->pfree,
                     "used_bytes",
                     (json_int_t) ngx_http_webrtc_zone_used(shpool));

    workers = json_array();

    for (i = 0; i < NGX_WEBRTC_MAX_WORKER_SLOTS; i++) {
        slot = &sh->workers[i];

        if (slot->pid == 0) {
            continue;
        }

        worker = json_pack("{s:I, s:I, s:I, s:I, s:o}",
                           "worker", (json_int_t) slot->worker,
                           "pid", (json_int_t) slot->pid,
                           "generation", (json_int_t) slot->generation,
                           "started", (json_int_t) slot->started,
                           "counters",
                           ngx_http_webrtc_counters_json(slot->stat));

        if (worker == NULL || json_array_append_new(workers, worker) != 0) {
            goto failed;
        }
    }

    if (server == NULL || cert == NULL || rooms == NULL || totals == NULL
        || zone == NULL || workers == NULL)
    {
        goto failed;
    }

    json_object_set_new(root, "server", server);
    json_object_set_new(root, "certificate", cert);
    json_object_set_new(root, "rooms", rooms);
    json_object_set_new(root, "totals", totals);
    json_object_set_new(root, "zone", zone);
    json_object_set_new(root, "workers", workers);

    return root;

failed:

    json_decref(server);
    json_decref(cert);
    json_decref(rooms);
    json_decref(totals);
    json_decref(zone);
    json_decref(workers);
    json_decref(root);

    return NULL;
}


static json_t *
ngx_http_webrtc_codecs_json(u_char *codecs)
{
    json_t      *a;
    ngx_uint_t   i;

    a = json_array();
    if (a == NULL) {
        return NULL;
    }

    for (i = 0; i < NGX_WEBRTC_MAX_CODECS && codecs[i]; i++) {
        json_array_append_new(a, json_string(ngx_webrtc_codec_name(codecs[i])));
    }

    return a;
}


static json_t *
ngx_http_webrtc_counters_json(uint64_t *stat)
{
    json_t      *o;
    ngx_uint_t   i;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    for (i = 0; i < NGX_WEBRTC_STAT_N; i++) {
        json_object_set_new(o, ngx_webrtc_stat_names[i],
                            json_integer((json_int_t) stat[i]));
    }

    return o;
}


/*
 * Counters come per live worker and as "exited" for what workers that
 * are gone counted, so sums over the label stay monotonic.
 */

static ngx_int_t
ngx_http_webrtc_status_prometheus(ngx_http_request_t *r,
    ngx_webrtc_shm_t *sh, ngx_slab_pool_t *shpool, ngx_str_t *out)
{
    u_char             *p, *last;
    size_t              size;
    ngx_uint_t          i, k, nslots;
    ngx_queue_t        *q;
    ngx_webrtc_room_t  *rm;

    nslots = 0;

    for (i = 0; i < NGX_WEBRTC_MAX_WORKER_SLOTS; i++) {
        if (sh->workers[i].pid) {
            nslots++;
        }
    }

    size = 1024
           + NGX_WEBRTC_STAT_N * (160 + (nslots + 1) * 80)
           + sh->nrooms * 200;

    p = ngx_pnalloc(r->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;
    last = p + size;

    p = ngx_slprintf(p, last,
                     "# HELP webrtc_rooms Rooms in the shared zone.\n"
                     "# TYPE webrtc_rooms gauge\n"
                     "webrtc_rooms %ui\n"
                     "# HELP webrtc_sessions Janus API sessions.\n"
                     "# TYPE webrtc_sessions gauge\n"
                     "webrtc_sessions %ui\n"
                     "# HELP webrtc_handles Janus API handles.\n"
                     "# TYPE webrtc_handles gauge\n"
                     "webrtc_handles %ui\n"
                     "# HELP webrtc_participants Room participants.\n"
                     "# TYPE webrtc_participants gauge\n"
                     "webrtc_participants %ui\n"
                     "# HELP webrtc_peerconnections PeerConnections.\n"
                     "# TYPE webrtc_peerconnections gauge\n"
                     "webrtc_peerconnections %ui\n"
                     "# HELP webrtc_generation Configurations applied "
                     "to the zone.\n"
                     "# TYPE webrtc_generation gauge\n"
                     "webrtc_generation %uA\n"
                     "# HELP webrtc_zone_size_bytes The shared zone.\n"
                     "# TYPE webrtc_zone_size_bytes gauge\n"
                     "webrtc_zone_size_bytes %uz\n"
                     "# HELP webrtc_zone_used_bytes Pages of the zone in "
                     "use, whole or in part.\n"
                     "# TYPE webrtc_zone_used_bytes gauge\n"
                     "webrtc_zone_used_bytes %uz\n",
                     sh->nrooms, sh->nsessions, sh->nhandles,
                     sh->nparticipants, sh->npeerconnections,
                     sh->generation,
                     (size_t) (shpool->end - (u_char *) shpool),
                     ngx_http_webrtc_zone_used(shpool));

    p = ngx_slprintf(p, last,
                     "# HELP webrtc_room_participants Participants per "
                     "room.\n"
                     "# TYPE webrtc_room_participants gauge\n");

    for (q = ngx_queue_head(&sh->rooms);
         q != ngx_queue_sentinel(&sh->rooms);
         q = ngx_queue_next(q))
    {
        rm = ngx_queue_data(q, ngx_webrtc_room_t, queue);

        p = ngx_slprintf(p, last, "webrtc_room_participants{room=\"%uL\"} "
                         "%ui\n", rm->opts.id, rm->participants);
    }

    for (k = 0; k < NGX_WEBRTC_STAT_N; k++) {

        p = ngx_slprintf(p, last,
                         "# TYPE webrtc_%s_total counter\n"
                         "webrtc_%s_total{worker=\"exited\"} %uL\n",
                         ngx_webrtc_stat_names[k], ngx_webrtc_stat_names[k],
                         sh->retired[k]);

        for (i = 0; i < NGX_WEBRTC_MAX_WORKER_SLOTS; i++) {
            if (sh->workers[i].pid == 0) {
                continue;
            }

            p = ngx_slprintf(p, last,
                             "webrtc_%s_total{worker=\"%ui\",pid=\"%P\"} "
                             "%uL\n",
                             ngx_webrtc_stat_names[k],
                             sh->workers[i].worker,
                             (ngx_pid_t) sh->workers[i].pid,
                             sh->workers[i].stat[k]);
        }
    }

    out->len = p - out->data;

    return NGX_OK;
}


static ngx_uint_t
ngx_http_webrtc_zone_pages(ngx_slab_pool_t *shpool)
{
    return (ngx_uint_t) (shpool->end - shpool->start) / ngx_pagesize;
}


static size_t
ngx_http_webrtc_zone_used(ngx_slab_pool_t *shpool)
{
    return (ngx_http_webrtc_zone_pages(shpool) - shpool->pfree)
           * ngx_pagesize;
}
