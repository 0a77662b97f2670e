
/*
 * ngx_webrtc_module: the core part.  It reads the "webrtc {}" block,
 * owns the one shared zone that the HTTP and stream halves both use, and
 * holds the DTLS certificate that every worker shares.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"


#define NGX_WEBRTC_CONF       0x57525443    /* "WRTC": inside webrtc {} */

#define NGX_WEBRTC_MIN_ZONE   (256 * 1024)


static void *ngx_webrtc_create_conf(ngx_cycle_t *cycle);
static char *ngx_webrtc_init_conf(ngx_cycle_t *cycle, void *conf);
static char *ngx_webrtc_block(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_webrtc_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_webrtc_announce(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_webrtc_certificate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_webrtc_init_zone(ngx_shm_zone_t *shm_zone, void *data);
static ngx_int_t ngx_webrtc_zone_certificate(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_shm_t *sh, ngx_log_t *log);
static ngx_int_t ngx_webrtc_check_users(ngx_cycle_t *cycle,
    ngx_webrtc_conf_t *wcf);


static ngx_conf_num_bounds_t  ngx_webrtc_positive = {
    ngx_conf_check_num_bounds, 1, 100000000
};


static ngx_command_t  ngx_webrtc_commands[] = {

    { ngx_string("webrtc"),
      NGX_MAIN_CONF|NGX_DIRECT_CONF|NGX_CONF_BLOCK|NGX_CONF_NOARGS,
      ngx_webrtc_block,
      0,
      0,
      NULL },

    { ngx_string("zone"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_TAKE2,
      ngx_webrtc_zone,
      0,
      0,
      NULL },

    { ngx_string("room"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_BLOCK|NGX_CONF_TAKE1,
      ngx_webrtc_room_block,
      0,
      0,
      NULL },

    { ngx_string("announce"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_1MORE,
      ngx_webrtc_announce,
      0,
      0,
      NULL },

    { ngx_string("certificate"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_TAKE1,
      ngx_webrtc_certificate,
      0,
      offsetof(ngx_webrtc_conf_t, certificate),
      NULL },

    { ngx_string("certificate_key"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_TAKE1,
      ngx_webrtc_certificate,
      0,
      offsetof(ngx_webrtc_conf_t, certificate_key),
      NULL },

    { ngx_string("session_timeout"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      0,
      offsetof(ngx_webrtc_conf_t, session_timeout),
      NULL },

    { ngx_string("reclaim_session_timeout"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      0,
      offsetof(ngx_webrtc_conf_t, reclaim_session_timeout),
      NULL },

    { ngx_string("max_sessions"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      0,
      offsetof(ngx_webrtc_conf_t, max_sessions),
      &ngx_webrtc_positive },

    { ngx_string("max_handles"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      0,
      offsetof(ngx_webrtc_conf_t, max_handles),
      &ngx_webrtc_positive },

    { ngx_string("max_participants"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      0,
      offsetof(ngx_webrtc_conf_t, max_participants),
      &ngx_webrtc_positive },

    { ngx_string("max_message_size"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      0,
      offsetof(ngx_webrtc_conf_t, max_message_size),
      NULL },

    { ngx_string("room_create"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      0,
      offsetof(ngx_webrtc_conf_t, room_create),
      NULL },

    { ngx_string("slowlink_threshold"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      0,
      offsetof(ngx_webrtc_conf_t, slowlink_threshold),
      NULL },

    { ngx_string("admin_key"),
      NGX_WEBRTC_CONF|NGX_DIRECT_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      0,
      offsetof(ngx_webrtc_conf_t, admin_key),
      NULL },

      ngx_null_command
};


static ngx_core_module_t  ngx_webrtc_module_ctx = {
    ngx_string("webrtc"),
    ngx_webrtc_create_conf,
    ngx_webrtc_init_conf
};


ngx_module_t  ngx_webrtc_module = {
    NGX_MODULE_V1,
    &ngx_webrtc_module_ctx,                /* module context */
    ngx_webrtc_commands,                   /* module directives */
    NGX_CORE_MODULE,                       /* module type */
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
ngx_webrtc_create_conf(ngx_cycle_t *cycle)
{
    ngx_webrtc_conf_t  *wcf;

    wcf = ngx_pcalloc(cycle->pool, sizeof(ngx_webrtc_conf_t));
    if (wcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     wcf->shm_zone = NULL;
     *     wcf->certificate = { 0, NULL };
     *     wcf->admin_key = { 0, NULL };
     *     wcf->*_pos = { { 0, NULL }, 0 };
     */

    if (ngx_array_init(&wcf->rooms, cycle->pool, 4,
                       sizeof(ngx_webrtc_room_opts_t))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&wcf->announce, cycle->pool, 2,
                       sizeof(ngx_webrtc_announce_t))
        != NGX_OK)
    {
        return NULL;
    }

    wcf->session_timeout = NGX_CONF_UNSET_MSEC;
    wcf->reclaim_session_timeout = NGX_CONF_UNSET_MSEC;
    wcf->max_sessions = NGX_CONF_UNSET_UINT;
    wcf->max_handles = NGX_CONF_UNSET_UINT;
    wcf->max_participants = NGX_CONF_UNSET_UINT;
    wcf->max_message_size = NGX_CONF_UNSET_SIZE;
    wcf->room_create = NGX_CONF_UNSET;
    wcf->slowlink_threshold = NGX_CONF_UNSET_UINT;

    return wcf;
}


static char *
ngx_webrtc_init_conf(ngx_cycle_t *cycle, void *conf)
{
    ngx_webrtc_conf_t  *wcf = conf;

    ngx_conf_init_msec_value(wcf->session_timeout, 60000);
    ngx_conf_init_msec_value(wcf->reclaim_session_timeout, 0);
    ngx_conf_init_uint_value(wcf->max_sessions, 10000);
    ngx_conf_init_uint_value(wcf->max_handles, 64);
    ngx_conf_init_uint_value(wcf->max_participants, 100);
    ngx_conf_init_size_value(wcf->max_message_size, 256 * 1024);
    ngx_conf_init_value(wcf->room_create, 0);
    ngx_conf_init_uint_value(wcf->slowlink_threshold, 0);

    if (ngx_webrtc_check_users(cycle, wcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The HTTP and stream directives may come before or after the "webrtc"
 * block, so whether they have a zone is known only here, once the whole
 * configuration has been read.
 */

static ngx_int_t
ngx_webrtc_check_users(ngx_cycle_t *cycle, ngx_webrtc_conf_t *wcf)
{
    ngx_uint_t              i;
    ngx_core_conf_t        *ccf;
    ngx_webrtc_conf_pos_t  *users[3];
    static const char      *names[3] = {
        "webrtc_signaling", "webrtc_status", "webrtc_media"
    };

    users[0] = &wcf->signaling_pos;
    users[1] = &wcf->status_pos;
    users[2] = &wcf->media_pos;

    for (i = 0; i < 3; i++) {
        if (users[i]->line == 0 || wcf->shm_zone != NULL) {
            continue;
        }

        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "\"%s\" needs a shared zone: add \"zone <name> <size>;\""
                      " to a \"webrtc\" block in %V:%ui",
                      names[i], &users[i]->file, users[i]->line);
        return NGX_ERROR;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (wcf->media_bad_listen && ccf->worker_processes > 1) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "\"webrtc_media\" needs \"listen ... udp reuseport\" "
                      "when worker_processes is more than 1, "
                      "so that each client stays on one worker, in %V:%ui",
                      &wcf->media_bad_pos.file, wcf->media_bad_pos.line);
        return NGX_ERROR;
    }

    if (wcf->shm_zone == NULL) {
        return NGX_OK;
    }

    if (wcf->media_pos.line && wcf->media_addr.len == 0
        && wcf->announce.nelts == 0)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "\"webrtc_media\" listens on a wildcard address: "
                      "add \"announce <address>;\" to the \"webrtc\" block "
                      "so that clients know where to send media, in %V:%ui",
                      &wcf->media_pos.file, wcf->media_pos.line);
        return NGX_ERROR;
    }

    if ((wcf->certificate.len == 0) != (wcf->certificate_key.len == 0)) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "\"certificate\" and \"certificate_key\" must be set "
                      "together in the \"webrtc\" block");
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_webrtc_conf_pos_set(ngx_conf_t *cf, ngx_webrtc_conf_pos_t *pos)
{
    pos->file = cf->conf_file->file.name;
    pos->line = cf->conf_file->line;
}


static char *
ngx_webrtc_block(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_webrtc_conf_t  *wcf = conf;

    char        *rv;
    ngx_conf_t   save;

    if (wcf->block_seen) {
        return "is duplicate";
    }

    wcf->block_seen = 1;

    save = *cf;
    cf->cmd_type = NGX_WEBRTC_CONF;

    rv = ngx_conf_parse(cf, NULL);

    *cf = save;

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* cf->args now holds the block's last directive: name the block */

    if (wcf->shm_zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the \"webrtc\" block needs "
                           "\"zone <name> <size>;\"");
        return NGX_CONF_ERROR;
    }

    if (wcf->certificate.len) {
        if (wcf->certificate_key.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "the \"webrtc\" block has \"certificate\" "
                               "without \"certificate_key\"");
            return NGX_CONF_ERROR;
        }

        if (ngx_webrtc_cert_load(cf, wcf) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_webrtc_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_webrtc_conf_t  *wcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (wcf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone name \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    size = ngx_parse_size(&value[2]);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    if (size < NGX_WEBRTC_MIN_ZONE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small, it needs at least %uzk",
                           &value[1], (size_t) NGX_WEBRTC_MIN_ZONE / 1024);
        return NGX_CONF_ERROR;
    }

    wcf->shm_zone = ngx_shared_memory_add(cf, &value[1], size,
                                          &ngx_webrtc_module);
    if (wcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (wcf->shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is already used", &value[1]);
        return NGX_CONF_ERROR;
    }

    wcf->shm_zone->init = ngx_webrtc_init_zone;
    wcf->shm_zone->data = wcf;

    return NGX_CONF_OK;
}


static char *
ngx_webrtc_announce(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_webrtc_conf_t  *wcf = conf;

    u_char                 *p, *last;
    ngx_int_t               port;
    ngx_str_t              *value, host;
    ngx_uint_t              i;
    ngx_webrtc_announce_t  *an;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (wcf->announce.nelts == NGX_WEBRTC_MAX_ANNOUNCE) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "too many announced addresses, at most %d",
                               NGX_WEBRTC_MAX_ANNOUNCE);
            return NGX_CONF_ERROR;
        }

        an = ngx_array_push(&wcf->announce);
        if (an == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(an, sizeof(ngx_webrtc_announce_t));

        /* "1.2.3.4", "1.2.3.4:20000", "::1", "[::1]:20000" */

        host = value[i];
        port = 0;
        last = value[i].data + value[i].len;

        if (host.len && host.data[0] == '[') {
            p = ngx_strlchr(host.data, last, ']');
            if (p == NULL) {
                goto invalid;
            }

            host.data++;
            host.len = p - host.data;

            if (p + 1 < last) {
                if (p[1] != ':') {
                    goto invalid;
                }

                port = ngx_atoi(p + 2, last - p - 2);
                if (port < 1 || port > 65535) {
                    goto invalid;
                }
            }

        } else {
            p = ngx_strlchr(host.data, last, ':');

            if (p && ngx_strlchr(p + 1, last, ':') == NULL) {
                /* one colon: IPv4 with a port */
                host.len = p - host.data;

                port = ngx_atoi(p + 1, last - p - 1);
                if (port < 1 || port > 65535) {
                    goto invalid;
                }
            }
        }

        if (ngx_parse_addr(cf->pool, &an->addr, host.data, host.len)
            != NGX_OK)
        {
            goto invalid;
        }

        an->text = host;
        an->port = (in_port_t) port;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid address \"%V\": an IPv4 or IPv6 address, "
                       "optionally with a port", &value[i]);
    return NGX_CONF_ERROR;
}


static char *
ngx_webrtc_certificate(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t  *field, *value;

    field = (ngx_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *field = value[1];

    if (ngx_conf_full_name(cf->cycle, field, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * Runs in the master for each configuration cycle.  A zone of the same
 * name and size survives "nginx -s reload": data is then the previous
 * cycle's conf, and the rooms of the new configuration are applied to
 * the state that running calls still use.
 */

static ngx_int_t
ngx_webrtc_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_webrtc_conf_t  *owcf = data;

    ngx_int_t           rc;
    ngx_slab_pool_t    *shpool;
    ngx_webrtc_shm_t   *sh;
    ngx_webrtc_conf_t  *wcf;

    wcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    wcf->shpool = shpool;

    if (owcf) {
        wcf->sh = owcf->sh;
        sh = wcf->sh;

    } else {
        sh = ngx_slab_alloc(shpool, sizeof(ngx_webrtc_shm_t));
        if (sh == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(sh, sizeof(ngx_webrtc_shm_t));

        ngx_rbtree_init(&sh->rooms_tree, &sh->rooms_sentinel,
                        ngx_rbtree_insert_value);
        ngx_queue_init(&sh->rooms);

        ngx_rbtree_init(&sh->sessions_tree, &sh->sessions_sentinel,
                        ngx_rbtree_insert_value);
        ngx_queue_init(&sh->sessions);
        ngx_rbtree_init(&sh->handles_tree, &sh->handles_sentinel,
                        ngx_rbtree_insert_value);
        ngx_rbtree_init(&sh->pc_tree, &sh->pc_sentinel,
                        ngx_webrtc_pc_insert_value);
        ngx_rbtree_init(&sh->addr_tree, &sh->addr_sentinel,
                        ngx_webrtc_pc_addr_insert_value);

        sh->created = ngx_time();

        shpool->data = sh;
        wcf->sh = sh;

        shpool->log_ctx = ngx_slab_alloc(shpool,
                                         sizeof(" in webrtc zone \"\"")
                                         + shm_zone->shm.name.len);
        if (shpool->log_ctx == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(shpool->log_ctx, " in webrtc zone \"%V\"%Z",
                    &shm_zone->shm.name);

        shpool->log_nomem = 0;
    }

    ngx_shmtx_lock(&shpool->mutex);

    sh->generation++;

    rc = ngx_webrtc_zone_certificate(wcf, sh, shm_zone->shm.log);

    if (rc == NGX_OK) {
        rc = ngx_webrtc_rooms_apply(wcf, shm_zone->shm.log);
    }

    ngx_shmtx_unlock(&shpool->mutex);

    /* rooms that ended told their participants: wake their workers */
    ngx_webrtc_wake_flush();

    return rc;
}


/*
 * A configured certificate always wins; a generated one is kept for the
 * life of the zone, so reloads do not change the fingerprint that
 * clients have already seen.
 */

static ngx_int_t
ngx_webrtc_zone_certificate(ngx_webrtc_conf_t *wcf, ngx_webrtc_shm_t *sh,
    ngx_log_t *log)
{
    if (wcf->file_cert) {
        ngx_memcpy(sh->cert_der, wcf->file_cert, wcf->file_cert_len);
        ngx_memcpy(sh->key_der, wcf->file_key, wcf->file_key_len);
        sh->cert_len = wcf->file_cert_len;
        sh->key_len = wcf->file_key_len;
        sh->cert_from_file = 1;

    } else if (sh->cert_len == 0 || sh->cert_from_file) {

        if (ngx_webrtc_cert_generate(log, sh->cert_der, &sh->cert_len,
                                     sh->key_der, &sh->key_len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        sh->cert_from_file = 0;
    }

    return ngx_webrtc_cert_fingerprint(log, sh->cert_der, sh->cert_len,
                                       sh->fingerprint);
}
