/*
 * --dump FILE (subscribe): every RTP packet received, after SRTP unprotect,
 * that is exactly what the server forwarded, written for a test to read
 * payloads that are not ours (a browser's: SFrame ciphertext or plain
 * codec data). One record per packet, integers big-endian:
 *
 *   u32 length of what follows (13 + payload) | u8 kind ('a' or 'v') |
 *   u8 payload type | u8 marker | u16 sequence | u32 timestamp |
 *   u32 SSRC | payload
 *
 * The synthetic payload check is off for such a run: loss, reordering and
 * duplicates are counted on the RTP sequence numbers of each SSRC instead;
 * latency is not measured (reported as 0). Packets of a payload type the
 * answer did not accept are recorded with kind '?' and counted in
 * "dumped_unknown_pt" rather than failing the run.
 */

#include <string.h>

#include "wr_peer.h"


#define WP_DUMP_HDR  17      /* bytes before the payload */


static void
wp_dump_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;
}


void
wp_dump_rtp(wp_pc_t *pc, const wp_rtp_t *r, char kind, const wp_src_t *src,
    wp_payload_t *pl, int64_t now)
{
    uint8_t     h[WP_DUMP_HDR];
    uint16_t    behind;
    wp_peer_t  *peer = pc->peer;

    /* the stream is the SSRC; the sequence extended past wraps (the
     * receive stats already moved max_seq to the newest), offset by one
     * cycle so a packet from before the first one stays positive */
    pl->origin = r->ssrc;
    pl->sent_us = now;
    pl->flags = 0;
    pl->seq = r->seq;

    if (src) {
        behind = (uint16_t) (src->max_seq - r->seq);
        pl->seq = 0x10000 + src->cycles + src->max_seq
                  - (behind < 0x8000 ? behind : 0);
    }

    if (peer->dump == NULL) {
        return;                  /* closed: teardown */
    }

    wp_dump_put32(h, (uint32_t) (WP_DUMP_HDR - 4 + r->len));
    h[4] = (uint8_t) kind;
    h[5] = (uint8_t) r->pt;
    h[6] = (uint8_t) (r->marker != 0);
    h[7] = (uint8_t) (r->seq >> 8);
    h[8] = (uint8_t) r->seq;
    wp_dump_put32(h + 9, r->ts);
    wp_dump_put32(h + 13, r->ssrc);

    if (fwrite(h, 1, WP_DUMP_HDR, peer->dump) != WP_DUMP_HDR
        || (r->len && fwrite(r->payload, 1, r->len, peer->dump) != r->len))
    {
        wp_fail(peer, "--dump: write failed");
        fclose(peer->dump);
        peer->dump = NULL;
        return;
    }

    peer->dumped++;
    peer->dumped_unknown_pt += (kind == '?');
}
