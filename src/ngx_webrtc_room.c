
/*
 * Rooms declared in nginx.conf ("room <id> { ... }" in the webrtc block),
 * with the options of Janus's VideoRoom, and their application to the
 * shared zone at start and on every reload.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_webrtc.h"
#include "ngx_webrtc_janus.h"


/* a room while its block is read: ngx_conf_*_slot friendly types */
typedef struct {
    ngx_webrtc_room_opts_t       *opts;

    ngx_str_t                     description;
    ngx_str_t                     pin;
    ngx_str_t                     secret;
    ngx_str_t                     rec_dir;
    ngx_uint_t                    publishers;
    ngx_uint_t                    bitrate;
    ngx_uint_t                    fir_freq;
    ngx_uint_t                    audio_active_packets;
    ngx_uint_t                    audio_level_average;
    ngx_uint_t                    max_participants;
    ngx_flag_t                    require_e2ee;
    ngx_flag_t                    is_private;
    ngx_flag_t                    audiolevel_event;
    ngx_flag_t                    notify_joining;
    ngx_flag_t                    record;
    ngx_array_t                  *audiocodec;     /* ngx_str_t */
    ngx_array_t                  *videocodec;     /* ngx_str_t */
} ngx_webrtc_room_conf_t;


typedef struct {
    ngx_str_t                     name;
    ngx_uint_t                    codec;
    ngx_uint_t                    video;
} ngx_webrtc_codec_t;


static char *ngx_webrtc_room_handler(ngx_conf_t *cf, ngx_command_t *dummy,
    void *conf);
static char *ngx_webrtc_room_set_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_webrtc_room_finish(ngx_conf_t *cf,
    ngx_webrtc_room_conf_t *rcf);
static char *ngx_webrtc_room_str(ngx_conf_t *cf, ngx_str_t *src,
    const char *name, u_char *dst, size_t *len, size_t max);
static char *ngx_webrtc_room_codecs(ngx_conf_t *cf, ngx_array_t *names,
    ngx_uint_t video, u_char *dst);


static ngx_conf_num_bounds_t  ngx_webrtc_room_publishers_bounds = {
    ngx_conf_check_num_bounds, 1, 1000
};

static ngx_conf_num_bounds_t  ngx_webrtc_room_level_bounds = {
    ngx_conf_check_num_bounds, 1, 127
};


static ngx_command_t  ngx_webrtc_room_commands[] = {

    { ngx_string("description"), NGX_CONF_TAKE1, ngx_conf_set_str_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, description), NULL },

    { ngx_string("pin"), NGX_CONF_TAKE1, ngx_conf_set_str_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, pin), NULL },

    { ngx_string("secret"), NGX_CONF_TAKE1, ngx_conf_set_str_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, secret), NULL },

    { ngx_string("rec_dir"), NGX_CONF_TAKE1, ngx_conf_set_str_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, rec_dir), NULL },

    { ngx_string("publishers"), NGX_CONF_TAKE1, ngx_conf_set_num_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, publishers),
      &ngx_webrtc_room_publishers_bounds },

    { ngx_string("bitrate"), NGX_CONF_TAKE1, ngx_conf_set_num_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, bitrate), NULL },

    { ngx_string("fir_freq"), NGX_CONF_TAKE1, ngx_conf_set_num_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, fir_freq), NULL },

    { ngx_string("audio_active_packets"), NGX_CONF_TAKE1,
      ngx_conf_set_num_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, audio_active_packets), NULL },

    { ngx_string("audio_level_average"), NGX_CONF_TAKE1,
      ngx_conf_set_num_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, audio_level_average),
      &ngx_webrtc_room_level_bounds },

    { ngx_string("max_participants"), NGX_CONF_TAKE1, ngx_conf_set_num_slot,
      0, offsetof(ngx_webrtc_room_conf_t, max_participants), NULL },

    { ngx_string("require_e2ee"), NGX_CONF_FLAG, ngx_conf_set_flag_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, require_e2ee), NULL },

    { ngx_string("is_private"), NGX_CONF_FLAG, ngx_conf_set_flag_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, is_private), NULL },

    { ngx_string("audiolevel_event"), NGX_CONF_FLAG, ngx_conf_set_flag_slot,
      0, offsetof(ngx_webrtc_room_conf_t, audiolevel_event), NULL },

    { ngx_string("notify_joining"), NGX_CONF_FLAG, ngx_conf_set_flag_slot,
      0, offsetof(ngx_webrtc_room_conf_t, notify_joining), NULL },

    { ngx_string("record"), NGX_CONF_FLAG, ngx_conf_set_flag_slot, 0,
      offsetof(ngx_webrtc_room_conf_t, record), NULL },

    { ngx_string("audiocodec"), NGX_CONF_1MORE, ngx_webrtc_room_set_list,
      0, offsetof(ngx_webrtc_room_conf_t, audiocodec), NULL },

    { ngx_string("videocodec"), NGX_CONF_1MORE, ngx_webrtc_room_set_list,
      0, offsetof(ngx_webrtc_room_conf_t, videocodec), NULL },

      ngx_null_command
};


static ngx_webrtc_codec_t  ngx_webrtc_codecs[] = {
    { ngx_string("opus"),    NGX_WEBRTC_CODEC_OPUS,   0 },
    { ngx_string("g722"),    NGX_WEBRTC_CODEC_G722,   0 },
    { ngx_string("pcmu"),    NGX_WEBRTC_CODEC_PCMU,   0 },
    { ngx_string("pcma"),    NGX_WEBRTC_CODEC_PCMA,   0 },
    { ngx_string("isac32"),  NGX_WEBRTC_CODEC_ISAC32, 0 },
    { ngx_string("isac16"),  NGX_WEBRTC_CODEC_ISAC16, 0 },
    { ngx_string("vp8"),     NGX_WEBRTC_CODEC_VP8,    1 },
    { ngx_string("vp9"),     NGX_WEBRTC_CODEC_VP9,    1 },
    { ngx_string("h264"),    NGX_WEBRTC_CODEC_H264,   1 },
    { ngx_string("av1"),     NGX_WEBRTC_CODEC_AV1,    1 },
    { ngx_string("h265"),    NGX_WEBRTC_CODEC_H265,   1 },
    { ngx_null_string, 0, 0 }
};


const char *
ngx_webrtc_codec_name(ngx_uint_t codec)
{
    ngx_webrtc_codec_t  *c;

    for (c = ngx_webrtc_codecs; c->name.len; c++) {
        if (c->codec == codec) {
            return (const char *) c->name.data;
        }
    }

    return "unknown";
}


char *
ngx_webrtc_room_block(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_webrtc_conf_t  *wcf = conf;

    char                    *rv;
    uint64_t                 id;
    ngx_str_t               *value;
    ngx_uint_t               i;
    ngx_conf_t               save;
    ngx_webrtc_room_opts_t  *opts;
    ngx_webrtc_room_conf_t   rcf;

    value = cf->args->elts;

    /* Janus room ids are positive 64-bit integers; keep them JS-safe */

    id = 0;

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] < '0' || value[1].data[i] > '9'
            || id > (0x1FFFFFFFFFFFFFULL - 9) / 10)
        {
            id = 0;
            break;
        }

        id = id * 10 + (value[1].data[i] - '0');
    }

    if (id == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid room id \"%V\": a positive integer "
                           "up to 2^53-1", &value[1]);
        return NGX_CONF_ERROR;
    }

    opts = wcf->rooms.elts;

    for (i = 0; i < wcf->rooms.nelts; i++) {
        if (opts[i].id == id) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate room id %uL", id);
            return NGX_CONF_ERROR;
        }
    }

    opts = ngx_array_push(&wcf->rooms);
    if (opts == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(opts, sizeof(ngx_webrtc_room_opts_t));
    opts->id = id;

    ngx_memzero(&rcf, sizeof(ngx_webrtc_room_conf_t));

    rcf.opts = opts;
    rcf.publishers = NGX_CONF_UNSET_UINT;
    rcf.bitrate = NGX_CONF_UNSET_UINT;
    rcf.fir_freq = NGX_CONF_UNSET_UINT;
    rcf.audio_active_packets = NGX_CONF_UNSET_UINT;
    rcf.audio_level_average = NGX_CONF_UNSET_UINT;
    rcf.max_participants = NGX_CONF_UNSET_UINT;
    rcf.require_e2ee = NGX_CONF_UNSET;
    rcf.is_private = NGX_CONF_UNSET;
    rcf.audiolevel_event = NGX_CONF_UNSET;
    rcf.notify_joining = NGX_CONF_UNSET;
    rcf.record = NGX_CONF_UNSET;
    rcf.audiocodec = NGX_CONF_UNSET_PTR;
    rcf.videocodec = NGX_CONF_UNSET_PTR;

    save = *cf;
    cf->handler = ngx_webrtc_room_handler;
    cf->handler_conf = (char *) &rcf;

    rv = ngx_conf_parse(cf, NULL);

    *cf = save;

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (rcf.max_participants == NGX_CONF_UNSET_UINT) {
        rcf.max_participants = wcf->max_participants;
    }

    return ngx_webrtc_room_finish(cf, &rcf);
}


/* every directive inside "room {}" comes here */

static char *
ngx_webrtc_room_handler(ngx_conf_t *cf, ngx_command_t *dummy, void *conf)
{
    char           *rv;
    ngx_str_t      *name;
    ngx_uint_t      argc;
    ngx_command_t  *cmd;

    name = cf->args->elts;
    argc = cf->args->nelts - 1;

    for (cmd = ngx_webrtc_room_commands; cmd->name.len; cmd++) {

        if (cmd->name.len != name->len
            || ngx_strncmp(cmd->name.data, name->data, name->len) != 0)
        {
            continue;
        }

        if (((cmd->type & NGX_CONF_TAKE1) && argc != 1)
            || ((cmd->type & NGX_CONF_FLAG) && argc != 1)
            || ((cmd->type & NGX_CONF_1MORE) && argc < 1))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid number of arguments in \"%V\" "
                               "directive of a room", name);
            return NGX_CONF_ERROR;
        }

        rv = cmd->set(cf, cmd, conf);

        if (rv == NGX_CONF_OK) {
            return NGX_CONF_OK;
        }

        if (rv != NGX_CONF_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" directive %s", name, rv);
        }

        return NGX_CONF_ERROR;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "unknown room option \"%V\"", name);

    return NGX_CONF_ERROR;
}


/* every argument, unlike ngx_conf_set_str_array_slot() */

static char *
ngx_webrtc_room_set_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *s;
    ngx_uint_t     i;
    ngx_array_t  **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *a = ngx_array_create(cf->pool, cf->args->nelts, sizeof(ngx_str_t));
    if (*a == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        s = ngx_array_push(*a);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_webrtc_room_finish(ngx_conf_t *cf, ngx_webrtc_room_conf_t *rcf)
{
    char                    *rv;
    ngx_webrtc_room_opts_t  *opts;

    opts = rcf->opts;

    /* defaults are Janus's VideoRoom defaults */

    ngx_conf_init_uint_value(rcf->publishers, 3);
    ngx_conf_init_uint_value(rcf->bitrate, 0);
    ngx_conf_init_uint_value(rcf->fir_freq, 0);
    ngx_conf_init_uint_value(rcf->audio_active_packets, 100);
    ngx_conf_init_uint_value(rcf->audio_level_average, 25);
    ngx_conf_init_value(rcf->require_e2ee, 0);
    ngx_conf_init_value(rcf->is_private, 0);
    ngx_conf_init_value(rcf->audiolevel_event, 0);
    ngx_conf_init_value(rcf->notify_joining, 0);
    ngx_conf_init_value(rcf->record, 0);

    opts->publishers = rcf->publishers;
    opts->bitrate = rcf->bitrate;
    opts->fir_freq = rcf->fir_freq;
    opts->audio_active_packets = rcf->audio_active_packets;
    opts->audio_level_average = rcf->audio_level_average;
    opts->max_participants = rcf->max_participants;
    opts->require_e2ee = rcf->require_e2ee;
    opts->is_private = rcf->is_private;
    opts->audiolevel_event = rcf->audiolevel_event;
    opts->notify_joining = rcf->notify_joining;
    opts->record = rcf->record;

    if (opts->max_participants < opts->publishers) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "room %uL: \"max_participants\" %ui is less than "
                           "\"publishers\" %ui", opts->id,
                           opts->max_participants, opts->publishers);
        return NGX_CONF_ERROR;
    }

    rv = ngx_webrtc_room_str(cf, &rcf->description, "description",
                             opts->description, &opts->description_len,
                             NGX_WEBRTC_DESCRIPTION_LEN);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    rv = ngx_webrtc_room_str(cf, &rcf->pin, "pin", opts->pin,
                             &opts->pin_len, NGX_WEBRTC_SECRET_LEN);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    rv = ngx_webrtc_room_str(cf, &rcf->secret, "secret", opts->secret,
                             &opts->secret_len, NGX_WEBRTC_SECRET_LEN);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    rv = ngx_webrtc_room_str(cf, &rcf->rec_dir, "rec_dir", opts->rec_dir,
                             &opts->rec_dir_len, NGX_WEBRTC_PATH_LEN);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (opts->record && opts->rec_dir_len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "room %uL: \"record on\" needs \"rec_dir\"",
                           opts->id);
        return NGX_CONF_ERROR;
    }

    if (opts->description_len == 0) {
        opts->description_len = ngx_sprintf(opts->description, "Room %uL",
                                            opts->id)
                                - opts->description;
    }

    rv = ngx_webrtc_room_codecs(cf, rcf->audiocodec, 0, opts->audiocodec);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    return ngx_webrtc_room_codecs(cf, rcf->videocodec, 1, opts->videocodec);
}


static char *
ngx_webrtc_room_str(ngx_conf_t *cf, ngx_str_t *src, const char *name,
    u_char *dst, size_t *len, size_t max)
{
    if (src->len >= max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "room \"%s\" is too long, at most %uz bytes",
                           name, max - 1);
        return NGX_CONF_ERROR;
    }

    if (src->len) {
        ngx_memcpy(dst, src->data, src->len);
    }

    *len = src->len;

    return NGX_CONF_OK;
}


/* "audiocodec opus g722;" or Janus's "audiocodec opus,g722;" */

static char *
ngx_webrtc_room_codecs(ngx_conf_t *cf, ngx_array_t *names, ngx_uint_t video,
    u_char *dst)
{
    u_char              *p, *last, *start;
    ngx_str_t           *value, name;
    ngx_uint_t           i, n, k;
    ngx_webrtc_codec_t  *c;

    if (names == NGX_CONF_UNSET_PTR) {
        dst[0] = video ? NGX_WEBRTC_CODEC_VP8 : NGX_WEBRTC_CODEC_OPUS;
        return NGX_CONF_OK;
    }

    value = names->elts;
    n = 0;

    for (i = 0; i < names->nelts; i++) {

        p = value[i].data;
        last = p + value[i].len;

        while (p < last) {
            start = p;

            while (p < last && *p != ',') {
                p++;
            }

            name.data = start;
            name.len = p - start;
            p++;

            if (name.len == 0) {
                continue;
            }

            for (c = ngx_webrtc_codecs; c->name.len; c++) {
                if (c->name.len == name.len
                    && ngx_strncasecmp(c->name.data, name.data, name.len) == 0)
                {
                    break;
                }
            }

            if (c->name.len == 0 || c->video != video) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "unknown %s codec \"%V\", expected one of %s",
                                   video ? "video" : "audio", &name,
                                   video ? "vp8 vp9 h264 av1 h265"
                                         : "opus g722 pcmu pcma isac32 isac16");
                return NGX_CONF_ERROR;
            }

            for (k = 0; k < n; k++) {
                if (dst[k] == c->codec) {
                    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                       "codec \"%V\" is listed twice", &name);
                    return NGX_CONF_ERROR;
                }
            }

            if (n == NGX_WEBRTC_MAX_CODECS) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "too many codecs, at most %d",
                                   NGX_WEBRTC_MAX_CODECS);
                return NGX_CONF_ERROR;
            }

            dst[n++] = (u_char) c->codec;
        }
    }

    if (n == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "no codec given");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_webrtc_room_t *
ngx_webrtc_room_lookup_locked(ngx_webrtc_shm_t *sh, uint64_t id)
{
    return (ngx_webrtc_room_t *) ngx_webrtc_rbtree_lookup(&sh->rooms_tree,
                                                          id);
}


/*
 * Called with the zone locked, in the master, for every configuration
 * cycle.  Rooms of the configuration are created or updated; rooms that
 * came from an older configuration and are gone from this one end.  Rooms
 * created through the API are left alone.
 */

ngx_int_t
ngx_webrtc_rooms_apply(ngx_webrtc_conf_t *wcf, ngx_log_t *log)
{
    ngx_uint_t               i, gen, changed;
    ngx_queue_t             *q, *next;
    ngx_webrtc_shm_t        *sh;
    ngx_webrtc_room_t       *room;
    ngx_webrtc_room_opts_t  *opts;

    sh = wcf->sh;
    gen = sh->generation;
    opts = wcf->rooms.elts;
    changed = 0;

    for (i = 0; i < wcf->rooms.nelts; i++) {

        room = ngx_webrtc_room_lookup_locked(sh, opts[i].id);

        if (room == NULL) {
            room = ngx_webrtc_room_create_locked(wcf, &opts[i], log);
            if (room == NULL) {
                return NGX_ERROR;
            }

            ngx_log_error(NGX_LOG_INFO, log, 0,
                          "webrtc room %uL created from configuration",
                          opts[i].id);
            changed = 1;

        } else if (ngx_memcmp(&room->opts, &opts[i],
                              sizeof(ngx_webrtc_room_opts_t))
                   != 0)
        {
            ngx_log_error(NGX_LOG_INFO, log, 0,
                          "webrtc room %uL updated from configuration",
                          opts[i].id);
            changed = 1;
        }

        room->opts = opts[i];
        room->from_config = 1;
        room->config_generation = gen;
    }

    for (q = ngx_queue_head(&sh->rooms);
         q != ngx_queue_sentinel(&sh->rooms);
         q = next)
    {
        next = ngx_queue_next(q);
        room = ngx_queue_data(q, ngx_webrtc_room_t, queue);

        if (room->from_config && room->config_generation != gen) {
            ngx_log_error(NGX_LOG_INFO, log, 0,
                          "webrtc room %uL removed from configuration, "
                          "destroyed", room->opts.id);
            ngx_webrtc_room_destroy_locked(wcf, room, log);
            changed = 1;
        }
    }

    if (changed) {
        sh->rooms_generation++;
    }

    return NGX_OK;
}


ngx_webrtc_room_t *
ngx_webrtc_room_create_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_room_opts_t *opts, ngx_log_t *log)
{
    ngx_webrtc_shm_t   *sh;
    ngx_webrtc_room_t  *room;

    sh = wcf->sh;

    room = ngx_slab_alloc_locked(wcf->shpool, sizeof(ngx_webrtc_room_t));
    if (room == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "webrtc zone is too small for room %uL", opts->id);
        return NULL;
    }

    ngx_memzero(room, sizeof(ngx_webrtc_room_t));

    room->opts = *opts;
    room->node.key = (ngx_rbtree_key_t) opts->id;
    ngx_rbtree_insert(&sh->rooms_tree, &room->node);
    ngx_queue_insert_tail(&sh->rooms, &room->queue);
    sh->nrooms++;
    sh->rooms_generation++;

    return room;
}


void
ngx_webrtc_room_destroy_locked(ngx_webrtc_conf_t *wcf,
    ngx_webrtc_room_t *room, ngx_log_t *log)
{
    ngx_uint_t         i;
    ngx_webrtc_shm_t  *sh;

    sh = wcf->sh;

    /* participants are told as Janus tells them, then its state goes */

    for (i = 0; ngx_webrtc_plugins[i]; i++) {
        if (ngx_webrtc_plugins[i]->room_gone) {
            ngx_webrtc_plugins[i]->room_gone(wcf, room);
        }
    }

    ngx_rbtree_delete(&sh->rooms_tree, &room->node);
    ngx_queue_remove(&room->queue);
    sh->nrooms--;

    ngx_slab_free_locked(wcf->shpool, room);

    sh->rooms_generation++;
}
