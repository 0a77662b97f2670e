
/*
 * Per-worker counters in the shared zone.  A worker process claims one
 * slot at start and is its only writer: increments on the packet path
 * are plain stores to memory that no other process writes.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_webrtc.h"


const char  *ngx_webrtc_stat_names[NGX_WEBRTC_STAT_N] = {
    "udp_packets_in",
    "udp_bytes_in",
    "udp_packets_dropped",
    "udp_packets_out",
    "udp_bytes_out",
    "signaling_requests",
    "signaling_errors",
    "status_requests",
    "stun_answered",
    "stun_dropped",
    "ice_connected",
    "consent_expired",
    "dtls_connected",
    "dtls_failed",
    "srtp_in",
    "srtp_dropped",
    "srtp_out",
    "flows_adopted",
    "rtcp_in",
    "rtcp_out",
    "keyframe_requests",
    "retransmits"
};


/* until a slot is claimed (or with no zone), counts go nowhere visible */
uint64_t   ngx_webrtc_stat_dummy[NGX_WEBRTC_STAT_N];
uint64_t  *ngx_webrtc_stat = ngx_webrtc_stat_dummy;

static ngx_webrtc_worker_slot_t  *ngx_webrtc_slot;


static void
ngx_webrtc_stats_retire_locked(ngx_webrtc_shm_t *sh,
    ngx_webrtc_worker_slot_t *slot)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_WEBRTC_STAT_N; i++) {
        sh->retired[i] += slot->stat[i];
        slot->stat[i] = 0;
    }

    slot->pid = 0;
}


ngx_int_t
ngx_webrtc_stats_init_process(ngx_cycle_t *cycle)
{
    ngx_pid_t                  pid;
    ngx_uint_t                 i;
    ngx_slab_pool_t           *shpool;
    ngx_webrtc_shm_t          *sh;
    ngx_webrtc_conf_t         *wcf;
    ngx_webrtc_worker_slot_t  *slot, *free;

    if (ngx_webrtc_slot) {
        return NGX_OK;
    }

    wcf = ngx_webrtc_get_conf(cycle);

    if (wcf == NULL || wcf->shm_zone == NULL || wcf->sh == NULL) {
        return NGX_OK;
    }

    sh = wcf->sh;
    shpool = wcf->shpool;
    free = NULL;

    ngx_shmtx_lock(&shpool->mutex);

    for (i = 0; i < NGX_WEBRTC_MAX_WORKER_SLOTS; i++) {
        slot = &sh->workers[i];
        pid = (ngx_pid_t) slot->pid;

        if (pid != 0 && pid != ngx_pid && kill(pid, 0) == -1
            && ngx_errno == NGX_ESRCH)
        {
            /* a worker that crashed or was killed: keep what it counted */
            ngx_webrtc_stats_retire_locked(sh, slot);
            pid = 0;
        }

        if (pid == 0 && free == NULL) {
            free = slot;
        }
    }

    if (free) {
        ngx_memzero(free, sizeof(ngx_webrtc_worker_slot_t));
        free->pid = ngx_pid;
        free->worker = ngx_worker;
        free->generation = sh->generation;
        free->started = ngx_time();
        ngx_webrtc_slot = free;
        ngx_webrtc_stat = free->stat;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    if (free == NULL) {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "webrtc: no free counter slot, this worker's "
                      "counters will not be shown");
    }

    return NGX_OK;
}


void
ngx_webrtc_stats_exit_process(ngx_cycle_t *cycle)
{
    ngx_webrtc_conf_t  *wcf;

    if (ngx_webrtc_slot == NULL) {
        return;
    }

    wcf = ngx_webrtc_get_conf(cycle);

    ngx_shmtx_lock(&wcf->shpool->mutex);
    ngx_webrtc_stats_retire_locked(wcf->sh, ngx_webrtc_slot);
    ngx_shmtx_unlock(&wcf->shpool->mutex);

    ngx_webrtc_slot = NULL;
    ngx_webrtc_stat = ngx_webrtc_stat_dummy;
}


/* call with the zone locked */

void
ngx_webrtc_stats_sum(ngx_webrtc_shm_t *sh, uint64_t *total)
{
    ngx_uint_t  i, k;

    for (k = 0; k < NGX_WEBRTC_STAT_N; k++) {
        total[k] = sh->retired[k];
    }

    for (i = 0; i < NGX_WEBRTC_MAX_WORKER_SLOTS; i++) {
        if (sh->workers[i].pid == 0) {
            continue;
        }

        for (k = 0; k < NGX_WEBRTC_STAT_N; k++) {
            total[k] += sh->workers[i].stat[k];
        }
    }
}
