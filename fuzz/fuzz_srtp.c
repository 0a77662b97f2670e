/*
 * libFuzzer harness for SRTP and SRTCP (wr_srtp), both directions, with
 * libsrtp as the oracle; see fuzz/README.md.
 *
 * Input: byte 0 bit 0 picks the profile (0: AEAD_AES_128_GCM, 1:
 * AES128_CM_SHA1_80); the rest is a list of operations, an opcode byte
 * and its arguments (a short input reads as zeros).  Each input gets
 * fresh sessions, all keyed with the same fixed client key (the server
 * key differs, so a role mix-up shows):
 *   ours_out, lib_out  wr_srtp and libsrtp, outbound (window 1024);
 *   ours_in, lib_in    inbound: every delivered packet goes to both;
 *   ours_chk, lib_chk  inbound, check each SRTCP packet when it is made.
 * Operations (opcode % 13):
 *   0  build an RTP packet (SSRC; sequence number: next, a step forward
 *      or back from the last one, absolute, near the wrap, or 1024 or
 *      2^15 from the highest; CC, X and extension length, P, payload
 *      length, or cut inside its header) and protect it with both
 *      outbound sessions (with a flag: with no room first, or for an
 *      SSRC not added);
 *   1  deliver a packet made before (RTP or SRTCP) to both inbound
 *      sessions: as it is, with a flipped bit, truncated, lengthened, or
 *      as the other kind;
 *   2  build an RTCP packet and protect it with ours_out;
 *   3  the same with lib_out;
 *   4  unprotect arbitrary bytes as SRTP and SRTCP on ours_in, and call
 *      each session in the wrong direction;
 *   5  restart (add again) or remove an outbound SSRC, in both;
 *   6  resume an outbound SSRC of ours from the index stored the way
 *      wr_srtp.h says (libsrtp goes on as it was);
 *   7  resume an inbound SSRC of ours from the stored index, or from a
 *      snapshot less than 2^15 behind it (a lagging store);
 *   8  snapshot the stored inbound index of an SSRC;
 *   9  remove an inbound SSRC from both;
 *  10  move ours_out's SRTCP index forward, near 2^31, or try back;
 *  11  send and deliver a packet from each of up to 127 SSRCs (RTP, or
 *      SRTCP from ours or libsrtp);
 *  12  deliver the last n packets made, oldest first.
 *
 * The harness keeps, per SSRC, its own RFC 3711 index estimate (written
 * out again here) to know each packet's index.  Besides the sanitizers'
 * own checks, it aborts when:
 *   - protecting gives another result class or other bytes than libsrtp,
 *     or a wrong length; protect succeeds without room or for an SSRC
 *     not added;
 *   - an SRTCP packet of ours does not carry E and the next index, or
 *     libsrtp does not accept it with the same plaintext; a libsrtp one
 *     lacks E or is not accepted by ours;
 *   - an unprotect succeeds for bytes the harness did not protect with
 *     the key (a mutated packet, arbitrary bytes, the other kind), or
 *     gives another plaintext than the one protected;
 *   - ours and libsrtp disagree on the verdict (OK, replay, auth, bad
 *     packet) of a delivered packet, outside the intended differences:
 *       - ours keeps 64 SSRCs per session (NO_STREAM after);
 *       - libsrtp's SRTCP window is 128, ours 1024;
 *       - a resumed SSRC of ours starts a fresh window: packets up to
 *         the index at the resume may be taken (or protected) again;
 *         and a lagging store may miss a packet libsrtp takes, when the
 *         packet is 2^15 or more past the stored index and any packet
 *         taken after it;
 *   - a failed unprotect changes the length, a result is not defined,
 *     the stored index (wr_srtp_index_update) is not the harness's
 *     highest index, the SRTCP index or stream counts go wrong, or
 *     OpenSSL's error queue is not empty.
 *
 * Build with -DWR_FUZZ_ALLOW_RESUME_BACK to go on past the known finding
 * of fuzz/README.md: a resumed inbound SSRC that takes a packet from far
 * below the stored index estimates later ones from there.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <srtp2/srtp.h>

#include "wr_srtp.h"


#define NIDS        72            /* SSRC ids: more than 64 */
#define HIST        32            /* packets kept for delivery */
#define BUF_WORDS   400           /* 1600 bytes, 4-byte aligned */
#define BUF_LEN     (4 * BUF_WORDS)
#define PLAIN_MAX   1400
#define MAX_OPS     400
#define MADE_MAX    4096          /* packets made per input, at most */
#define STREAMS     64            /* wr_srtp's SSRCs per session */
#define SRTCP_MAX   0x7fffffffu

#define KIND_RTP    0
#define KIND_RTCP   1

/* verdicts, of both libraries */
#define V_OK        0
#define V_REPLAY    1             /* seen */
#define V_OLD       2             /* libsrtp: below its window */
#define V_AUTH      3
#define V_CANT      4             /* libsrtp: SRTCP E flag not as set up */
#define V_BAD       5
#define V_NOSTREAM  6
#define V_ROOM      7
#define V_ERROR     8


typedef struct {
    const uint8_t    *p;
    size_t            n;
} input_t;


typedef struct {
    /* outbound */
    unsigned          out_added;      /* ours_out has the SSRC */
    unsigned          out_valid;
    uint64_t          out_top;        /* highest index protected */
    uint16_t          out_seq;        /* last sequence number asked for */
    wr_srtp_index_t   out_stored;     /* kept as wr_srtp.h tells callers */
    unsigned          out_resumed;
    uint64_t          out_r;          /* highest index at the resume */
    unsigned          out_forward;    /* next packet: after the stored */

    /* inbound */
    unsigned          in_known;       /* ours_in has the SSRC */
    wr_srtp_index_t   in_stored;
    wr_srtp_index_t   in_snap;
    wr_srtp_index_t   in_from;        /* what the last resume was given */
    unsigned          in_resumed;
    uint64_t          in_r;           /* highest index taken, at resume */
    uint64_t          in_base;        /* the stored index, or the highest
                                         taken since the resume if above */
    unsigned          in_back;        /* ... one below in_r */
    unsigned          lib_valid;
    uint64_t          lib_top;        /* highest index lib_in took */
    uint32_t          rtcp_top;       /* highest SRTCP index ours took */
    uint32_t          rtcp_r;         /* ... at the resume */
    unsigned          chk_known;      /* ours_chk has the SSRC */
} ssrc_t;


typedef struct {
    unsigned          kind;
    unsigned          id;
    uint64_t          index;
    size_t            len;
    size_t            plain_len;
    uint32_t          pkt[BUF_WORDS];
    uint32_t          plain[BUF_WORDS];
} entry_t;


typedef struct {
    int               gcm;
    uint16_t          profile;
    size_t            tag;            /* RTP tag; SRTCP adds 4 */
    wr_srtp_t        *ours_in, *ours_out, *ours_chk;
    srtp_t            lib_in, lib_out, lib_chk;
    uint32_t          rtcp_next;      /* ours_out's next SRTCP index */
    unsigned          in_count, out_count, chk_count;
    unsigned          nhist, head;
    unsigned          nmade;
    uint64_t          made[MADE_MAX]; /* digests of all packets made */
    uint32_t          rng;
    ssrc_t            ssrc[NIDS];
    entry_t           hist[HIST];
} state_t;


static state_t         st;
static wr_srtp_keys_t  keys;
static uint32_t        b1[BUF_WORDS + 8], b2[BUF_WORDS + 8];
static uint32_t        plain[BUF_WORDS + 8];


static unsigned
get8(input_t *in)
{
    if (in->n == 0) {
        return 0;
    }

    in->n--;

    return *in->p++;
}


static unsigned
get16(input_t *in)
{
    unsigned  v;

    v = get8(in) << 8;

    return v | get8(in);
}


static uint32_t
id_ssrc(unsigned id)
{
    return 0x5eed0000u | (id * 0x0101u);
}


static uint16_t
rd16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}


static uint32_t
rd32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static void
wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;
}


/* bytes nobody needs to choose: from a seed, so inputs stay short */

static void
fill(uint8_t *p, size_t n, unsigned seed)
{
    size_t  i;

    st.rng ^= seed * 0x9e3779b9u;

    for (i = 0; i < n; i++) {
        st.rng ^= st.rng << 13;
        st.rng ^= st.rng >> 17;
        st.rng ^= st.rng << 5;
        p[i] = (uint8_t) st.rng;
    }
}


/*
 * RFC 3711 3.3.1 as libsrtp reads it, written out again: ROC 0 while the
 * highest index is at most 2^15, else the index nearest the highest; at
 * a distance of exactly 2^15 forward when the highest sequence number is
 * below 2^15, else back.
 */

static uint64_t
guess(int valid, uint64_t top, uint16_t seq)
{
    int64_t  d;

    if (!valid || top <= 0x8000) {
        return seq;
    }

    d = (uint16_t) (seq - (uint16_t) top);

    if (d > 0x8000 || (d == 0x8000 && (top & 0xffff) >= 0x8000)) {
        d -= 0x10000;
    }

    return (uint64_t) ((int64_t) top + d);
}


static uint64_t
ix_value(const wr_srtp_index_t *ix)
{
    return (uint64_t) ix->roc << 16 | ix->seq;
}


static int
ours_verdict(int rc)
{
    switch (rc) {
    case WR_SRTP_OK:         return V_OK;
    case WR_SRTP_REPLAY:     return V_REPLAY;
    case WR_SRTP_AUTH:       return V_AUTH;
    case WR_SRTP_BAD_PACKET: return V_BAD;
    case WR_SRTP_NO_STREAM:  return V_NOSTREAM;
    case WR_SRTP_NO_ROOM:    return V_ROOM;
    case WR_SRTP_ERROR:      return V_ERROR;
    default:                 abort();
    }
}


static int
lib_verdict(srtp_err_status_t rc)
{
    switch (rc) {
    case srtp_err_status_ok:          return V_OK;
    case srtp_err_status_replay_fail: return V_REPLAY;
    case srtp_err_status_replay_old:  return V_OLD;
    case srtp_err_status_auth_fail:
    case srtp_err_status_cipher_fail: return V_AUTH;
    case srtp_err_status_cant_check:  return V_CANT;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:   return V_BAD;
    default:                          abort();
    }
}


static srtp_t
lib_session(srtp_ssrc_type_t type, uint32_t ssrc)
{
    srtp_t         s;
    uint8_t        master[30];
    srtp_policy_t  p;

    memset(&p, 0, sizeof(p));

    if (st.gcm) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);

    } else {
        srtp_crypto_policy_set_rtp_default(&p.rtp);
        srtp_crypto_policy_set_rtcp_default(&p.rtcp);
    }

    memcpy(master, keys.client_key, 16);
    memcpy(master + 16, keys.client_salt, keys.salt_len);

    p.key = master;
    p.ssrc.type = type;
    p.ssrc.value = ssrc;
    p.window_size = 1024;

    if (srtp_create(&s, &p) != srtp_err_status_ok) {
        abort();
    }

    return s;
}


/* what libsrtp makes of a plaintext at a given index: a fresh stream */

static void
lib_protect_at(const uint8_t *p, size_t len, uint32_t ssrc, uint64_t index,
    uint8_t *out, size_t *out_len)
{
    int     n;
    srtp_t  s;

    s = lib_session(ssrc_specific, ssrc);

    if (srtp_set_stream_roc(s, ssrc, (uint32_t) (index >> 16))
        != srtp_err_status_ok)
    {
        abort();
    }

    memcpy(out, p, len);
    n = (int) len;

    if (srtp_protect(s, out, &n) != srtp_err_status_ok) {
        abort();
    }

    *out_len = (size_t) n;
    srtp_dealloc(s);
}


/* FNV-1a: a digest, not a comparison the fuzzer could learn bytes from */

static uint64_t
digest(const uint8_t *p, size_t len)
{
    size_t    i;
    uint64_t  h;

    h = 0xcbf29ce484222325ULL ^ len;

    for (i = 0; i < len; i++) {
        h = (h ^ p[i]) * 0x100000001b3ULL;
    }

    return h;
}


static entry_t *
hist_add(unsigned kind, unsigned id, uint64_t index, const uint8_t *pkt,
    size_t len, const uint8_t *p, size_t plain_len)
{
    entry_t  *e;

    st.made[st.nmade++] = digest(pkt, len);

    e = &st.hist[st.head];
    st.head = (st.head + 1) % HIST;

    if (st.nhist < HIST) {
        st.nhist++;
    }

    e->kind = kind;
    e->id = id;
    e->index = index;
    e->len = len;
    e->plain_len = plain_len;
    memcpy(e->pkt, pkt, len);
    memcpy(e->plain, p, plain_len);

    return e;
}


static unsigned
get_id(input_t *in)
{
    unsigned  b;

    /* mostly four SSRCs; sometimes many, to reach the 64 limit */

    b = get8(in);

    return (b & 0x80) ? (b & 0x7f) % NIDS : b & 3;
}


/* both sessions forget an inbound SSRC */

static void
in_forget(unsigned id)
{
    ssrc_t  *s;

    s = &st.ssrc[id];

    if (wr_srtp_remove_stream(st.ours_in, id_ssrc(id))
        != (s->in_known ? WR_SRTP_OK : WR_SRTP_NO_STREAM))
    {
        abort();
    }

    (void) srtp_remove_stream(st.lib_in, htonl(id_ssrc(id)));

    if (s->in_known) {
        st.in_count--;
    }

    s->in_known = 0;
    memset(&s->in_stored, 0, sizeof(wr_srtp_index_t));
    memset(&s->in_snap, 0, sizeof(wr_srtp_index_t));
    s->in_resumed = 0;
    s->in_back = 0;
    s->lib_valid = 0;
    s->lib_top = 0;
    s->rtcp_top = 0;
}


static void
in_taken(unsigned id)
{
    if (!st.ssrc[id].in_known) {
        st.ssrc[id].in_known = 1;

        if (++st.in_count > STREAMS) {
            abort();
        }
    }
}


/* 0: build and protect an RTP packet */

static void
op_send_rtp(input_t *in)
{
    int         vo, vl, lrc, n, rc, off;
    size_t      hlen, len, plen, olen, size, xlen, alen, cut;
    uint8_t    *p, *o, *l;
    uint16_t    seq, top;
    uint32_t    roc;
    unsigned    id, mode, k, h, ext, seed;
    ssrc_t     *s;
    uint64_t    index;
    uint32_t    at[BUF_WORDS + 8];      /* libsrtp wants 4-byte alignment */

    id = get_id(in);
    mode = get8(in);
    k = get16(in);
    h = get8(in);
    ext = (h & 0x10) ? get8(in) % 33 : 0;
    plen = get16(in) % (PLAIN_MAX - 12 - 60 - 4 - 4 * 32 + 1);
    seed = get8(in);
    cut = (h & 0x40) ? get8(in) : 0;

    s = &st.ssrc[id];
    p = (uint8_t *) plain;
    o = (uint8_t *) b1;
    l = (uint8_t *) b2;

    if (!s->out_added) {
        if (mode & 0x80) {
            /* not added: ours refuses, whatever the packet */
            memset(p, 0, 12);
            p[0] = 0x80;
            wr32(p + 8, id_ssrc(id));
            len = 12;

            if (wr_srtp_protect_rtp(st.ours_out, p, &len, BUF_LEN)
                != WR_SRTP_NO_STREAM || len != 12)
            {
                abort();
            }
            return;
        }

        rc = wr_srtp_add_stream(st.ours_out, id_ssrc(id), NULL);

        if (rc != WR_SRTP_OK) {
            if (rc != WR_SRTP_ERROR || st.out_count != STREAMS) {
                abort();
            }
            return;
        }

        if (++st.out_count > STREAMS) {
            abort();
        }

        s->out_added = 1;
    }

    /* the sequence number: from the last one, the highest, or absolute */

    top = (uint16_t) s->out_top;
    off = (int8_t) (k & 0xff);

    switch (mode & 0x0f) {
    case 0:  seq = (uint16_t) (s->out_seq + 1); break;
    case 1:  seq = (uint16_t) (s->out_seq + 1 + (k & 0xff)); break;
    case 2:  seq = (uint16_t) (s->out_seq - 1 - (k & 0xff)); break;
    case 3:  seq = (uint16_t) k; break;
    case 4:  seq = (uint16_t) (s->out_seq + 0x8000 + off); break;
    case 5:  seq = s->out_seq; break;
    case 6:  seq = (uint16_t) (s->out_seq + k); break;
    case 7:  seq = (uint16_t) (s->out_seq - k); break;
    case 8:  seq = (uint16_t) (top + 1024 + off); break;
    case 9:  seq = (uint16_t) (top - 1024 + off); break;
    case 10: seq = (uint16_t) (top + 0x8000 + off); break;
    case 11: seq = (uint16_t) (top + 0x7fff + off); break;
    case 12: seq = (uint16_t) (top + off); break;
    case 13: seq = (uint16_t) (top + (k & 0x7fff)); break;
    case 14: seq = (uint16_t) (0xffff - (k & 0xff)); break;
    default: seq = (uint16_t) (k & 0xff); break;
    }

    if (s->out_forward) {
        /* the contract after a resume: go on after the stored index */
        seq = (uint16_t) (s->out_stored.seq + 1 + (k & 0x3fff));
    }

    s->out_seq = seq;

    /* the header: V=2, P, X, CC, M, PT from the input */

    p[0] = (uint8_t) (0x80 | (h & 0x20) | (h & 0x10) | (h & 0x0f));
    p[1] = (uint8_t) ((h & 0x80) | (seed & 0x7f));
    p[2] = (uint8_t) (seq >> 8);
    p[3] = (uint8_t) seq;
    fill(p + 4, 4, seed);
    wr32(p + 8, id_ssrc(id));
    hlen = 12 + 4 * (size_t) (h & 0x0f);
    fill(p + 12, hlen - 12, seed);

    if (h & 0x10) {
        p[hlen] = 0xbe;
        p[hlen + 1] = 0xde;
        p[hlen + 2] = 0;
        p[hlen + 3] = (uint8_t) ext;
        xlen = 4 + 4 * (size_t) ext;
        fill(p + hlen + 4, xlen - 4, seed);
        hlen += xlen;
    }

    fill(p + hlen, plen, seed);
    len = hlen + plen;

    if ((h & 0x20) && plen) {
        p[len - 1] = (uint8_t) (1 + seed % plen);
    }

    if (h & 0x40) {
        /* cut inside the header (or keep it whole): both refuse it */
        len = cut % (hlen + 1);
    }

    memcpy(o, p, len);
    memcpy(l, p, len);

    /* no room for the tag: refused, nothing changed */

    if (mode & 0x40) {
        olen = len;
        if (wr_srtp_protect_rtp(st.ours_out, o, &olen, len + st.tag - 1)
            != ((h & 0x40) && len < hlen ? WR_SRTP_BAD_PACKET
                                         : WR_SRTP_NO_ROOM)
            || olen != len || memcmp(o, p, len) != 0)
        {
            abort();
        }
    }

    /* as wr_srtp.h says: the stored index moves before protecting */
    if (len >= hlen) {
        wr_srtp_index_update(&s->out_stored, seq);
    }

    olen = len;
    size = (mode & 0x20) ? BUF_LEN : len + st.tag;
    vo = ours_verdict(wr_srtp_protect_rtp(st.ours_out, o, &olen, size));

    n = (int) len;
    lrc = srtp_protect(st.lib_out, l, &n);
    vl = lib_verdict(lrc);

    index = guess(s->out_valid, s->out_top, seq);

    if (vo == V_OK && vl == V_OK) {
        if (olen != len + st.tag || (size_t) n != olen
            || memcmp(o, l, olen) != 0)
        {
            abort();
        }

    } else if (vo == V_OK && (vl == V_REPLAY || vl == V_OLD)
               && s->out_resumed && index <= s->out_r)
    {
        /* taken again after a resume: check the bytes at that index */
        lib_protect_at(p, len, id_ssrc(id), index, (uint8_t *) at, &alen);

        if (olen != alen || memcmp(o, at, alen) != 0) {
            abort();
        }

    } else if (vo != (vl == V_OLD ? V_REPLAY : vl)) {
        abort();

    } else if (olen != len || memcmp(o, p, len) != 0) {
        /* refused: nothing changed */
        abort();
    }

    if (vo != V_OK) {
        return;
    }

    s->out_forward = 0;

    if (!s->out_valid || index > s->out_top) {
        s->out_top = index;
        s->out_valid = 1;
    }

    if (ix_value(&s->out_stored) != s->out_top) {
        abort();
    }

    if (vl == V_OK) {
        /* libsrtp's highest index has our ROC */
        if (srtp_get_stream_roc(st.lib_out, id_ssrc(id), &roc)
            != srtp_err_status_ok || roc != (uint32_t) (s->out_top >> 16))
        {
            abort();
        }
    }

    hist_add(KIND_RTP, id, index, o, olen, p, len);
}


/* 2 and 3: build an RTCP packet, protect it with ours or libsrtp */

static void
op_send_rtcp(input_t *in, int lib)
{
    int          n, rc;
    size_t       len, words, olen, size;
    uint8_t     *p, *o, *c, *word;
    uint32_t     w, index;
    unsigned     id, h, seed;
    ssrc_t      *s;

    id = get_id(in);
    h = get8(in);
    words = get8(in) % 64;
    seed = get8(in);

    s = &st.ssrc[id];
    p = (uint8_t *) plain;
    o = (uint8_t *) b1;
    c = (uint8_t *) b2;

    /* V=2 (or not, bit 7: ours refuses), count, PT 200-207, length */

    p[0] = (uint8_t) (((h & 0x80) && !lib ? 0x40 : 0x80) | (h & 0x3f));
    p[1] = (uint8_t) (200 + (seed & 7));
    p[2] = (uint8_t) (words >> 8);
    p[3] = (uint8_t) (words + 1);
    wr32(p + 4, id_ssrc(id));
    fill(p + 8, 4 * words, seed);
    len = 8 + 4 * words;

    if (h & 0x40) {
        /* any length, even below the header */
        len = (len + (seed >> 3)) % (len + 1);
    }

    memcpy(o, p, len);
    olen = len;

    if (lib) {
        if (len < 8) {
            /* not RTCP: libsrtp is not asked */
            return;
        }

        n = (int) len;
        rc = srtp_protect_rtcp(st.lib_out, o, &n);

        if (rc != srtp_err_status_ok || (size_t) n != len + st.tag + 4) {
            abort();
        }

        olen = (size_t) n;
        word = o + len + (st.gcm ? st.tag : 0);
        w = rd32(word);
        index = w & SRTCP_MAX;

        if (!(w & 0x80000000u) || index == 0) {
            abort();
        }

        /* ours takes it, the same */

        memcpy(c, o, olen);
        len = olen;
        rc = wr_srtp_unprotect_rtcp(st.ours_chk, c, &len);

        if (rc == WR_SRTP_NO_STREAM && !s->chk_known
            && st.chk_count == STREAMS)
        {
            return;
        }

        if (rc != WR_SRTP_OK || len != olen - st.tag - 4
            || memcmp(c, p, len) != 0)
        {
            abort();
        }

        if (!s->chk_known) {
            s->chk_known = 1;
            st.chk_count++;
        }

        hist_add(KIND_RTCP, id, index, o, olen, p, len);
        return;
    }

    if (h & 0x20) {
        /* no room for the trailer: refused, the index stays */
        rc = wr_srtp_protect_rtcp(st.ours_out, o, &olen,
                                  len + st.tag + 4 - 1);

        if (rc != (len < 8 || (p[0] >> 6) != 2 ? WR_SRTP_BAD_PACKET
                                              : WR_SRTP_NO_ROOM)
            || olen != len || memcmp(o, p, len) != 0
            || wr_srtp_rtcp_index(st.ours_out) != st.rtcp_next)
        {
            abort();
        }
    }

    size = (seed & 1) ? BUF_LEN : len + st.tag + 4;
    rc = wr_srtp_protect_rtcp(st.ours_out, o, &olen, size);

    if (len < 8 || (p[0] >> 6) != 2) {
        if (rc != WR_SRTP_BAD_PACKET || olen != len) {
            abort();
        }
        return;
    }

    if (st.rtcp_next > SRTCP_MAX) {
        /* used up */
        if (rc != WR_SRTP_ERROR || olen != len
            || wr_srtp_rtcp_index(st.ours_out) != st.rtcp_next)
        {
            abort();
        }
        return;
    }

    if (rc != WR_SRTP_OK || olen != len + st.tag + 4
        || memcmp(o, p, 8) != 0)
    {
        abort();
    }

    word = o + len + (st.gcm ? st.tag : 0);
    index = st.rtcp_next++;

    if (rd32(word) != (0x80000000u | index)
        || wr_srtp_rtcp_index(st.ours_out) != st.rtcp_next)
    {
        abort();
    }

    /* libsrtp takes it, the same: its index only ever grows per SSRC */

    memcpy(c, o, olen);
    n = (int) olen;

    if (srtp_unprotect_rtcp(st.lib_chk, c, &n) != srtp_err_status_ok
        || (size_t) n != len || memcmp(c, p, len) != 0)
    {
        abort();
    }

    hist_add(KIND_RTCP, id, index, o, olen, p, len);
}


/* the verdicts on one delivered packet, for the rules in the header */

static void
judge_rtp(const entry_t *e, int mutated, const uint8_t *pkt, size_t len,
    int vo, size_t olen, int vl, size_t llen)
{
    unsigned  id;
    ssrc_t   *s;
    uint16_t  seq;

    id = e->id;
    s = &st.ssrc[id];
    seq = rd16(pkt + 2);

    if (vo == V_OK) {
        if (mutated || olen != e->plain_len
            || memcmp(b1, e->plain, olen) != 0)
        {
            abort();
        }

        if (vl == V_OK) {
            if (llen != olen || memcmp(b2, b1, olen) != 0) {
                abort();
            }

        } else if (!((vl == V_REPLAY || vl == V_OLD || vl == V_AUTH)
                     && s->in_resumed && e->index <= s->in_r))
        {
            /*
             * Taken again after a resume is allowed; libsrtp may also
             * see AUTH there, estimating from far above it.
             */
            abort();
        }

        in_taken(id);
        wr_srtp_index_update(&s->in_stored, seq);

        if (s->in_resumed) {
            s->in_back |= (e->index < s->in_r);

            if (e->index > s->in_base) {
                s->in_base = e->index;
            }
        }

        if (vl == V_OK && (!s->lib_valid || e->index > s->lib_top)) {
            s->lib_top = e->index;
            s->lib_valid = 1;
        }

        return;
    }

    if (vl == V_OK) {
        if (mutated) {
            abort();
        }

        if (vo == V_NOSTREAM && !s->in_known && st.in_count == STREAMS) {
            /* ours is full: libsrtp forgets it too */
            in_forget(id);
            return;
        }

        if ((vo == V_AUTH || vo == V_REPLAY) && s->in_resumed
            && guess(1, s->in_base, seq) != e->index)
        {
            /*
             * Out of reach of the stored index and what came after it:
             * the store lags, and the lag plus the packet's gap is 2^15
             * or more.  A wrong index is refused as forged or as old.
             * Start again.
             */
            in_forget(id);
            return;
        }

#ifdef WR_FUZZ_ALLOW_RESUME_BACK
        if (s->in_resumed && s->in_back) {
            in_forget(id);
            return;
        }
#endif

        abort();
    }

    /*
     * Neither took it: the same reason, unless ours found no header or
     * its window restarted.  NO_STREAM comes only after authentication.
     */

    if (vo == V_NOSTREAM) {
        abort();
    }

    if (vo == V_BAD || s->in_resumed) {
        return;
    }

    if (vl == V_BAD || (vo == V_REPLAY) != (vl == V_REPLAY || vl == V_OLD)) {
        abort();
    }
}


static void
judge_rtcp(const entry_t *e, int mutated, size_t len, int vo, size_t olen,
    int vl, size_t llen)
{
    unsigned  id;
    ssrc_t   *s;

    id = e->id;
    s = &st.ssrc[id];

    if (vo == V_OK) {
        if (mutated || olen != e->plain_len
            || memcmp(b1, e->plain, olen) != 0)
        {
            abort();
        }

        if (vl == V_OK) {
            if (llen != olen || memcmp(b2, b1, olen) != 0) {
                abort();
            }

        } else if (vl != V_OLD
                   && !(vl == V_REPLAY && s->in_resumed
                        && e->index <= s->rtcp_r))
        {
            abort();
        }

        in_taken(id);

        if (e->index > s->rtcp_top) {
            s->rtcp_top = (uint32_t) e->index;
        }

        return;
    }

    if (vl == V_OK) {
        if (!mutated && vo == V_NOSTREAM && !s->in_known
            && st.in_count == STREAMS)
        {
            in_forget(id);
            return;
        }

        abort();
    }

    if (vo == V_BAD) {
        return;
    }

    if (vl == V_BAD || vo == V_NOSTREAM
        || (vo == V_REPLAY && vl != V_REPLAY && vl != V_OLD && vl != V_CANT)
        || (vo == V_AUTH && vl == V_REPLAY && !s->in_resumed))
    {
        abort();
    }
}


static entry_t *
hist_get(unsigned back)
{
    return &st.hist[(st.head + HIST - 1 - back % st.nhist) % HIST];
}


/* a packet made before to both inbound sessions, as it is or changed */

static void
deliver(const entry_t *e, unsigned m, input_t *in)
{
    int        vo, vl, n, mutated;
    size_t     len, olen, bit, k;
    uint8_t   *o, *l;
    unsigned   kind;
    uint8_t    pkt[BUF_LEN];

    memcpy(pkt, e->pkt, e->len);
    len = e->len;
    mutated = 1;

    switch (m & 3) {
    case 0:
        mutated = 0;
        break;

    case 1:
        bit = get16(in) % (len * 8);
        pkt[bit / 8] ^= (uint8_t) (1 << (bit % 8));
        break;

    case 2:
        len -= 1 + get8(in) % len;
        break;

    default:
        k = 1 + get8(in) % 4;
        fill(pkt + len, k, m);
        len += k;
        break;
    }

    kind = e->kind;

    if (m & 4) {
        /* the other kind: authentic bytes, the wrong keys */
        kind = !kind;
        mutated = 1;
    }

    o = (uint8_t *) b1;
    l = (uint8_t *) b2;
    memcpy(o, pkt, len);
    memcpy(l, pkt, len);
    olen = len;
    n = (int) len;

    if (kind == KIND_RTP) {
        vo = ours_verdict(wr_srtp_unprotect_rtp(st.ours_in, o, &olen));
        vl = lib_verdict(srtp_unprotect(st.lib_in, l, &n));

    } else {
        vo = ours_verdict(wr_srtp_unprotect_rtcp(st.ours_in, o, &olen));
        vl = lib_verdict(srtp_unprotect_rtcp(st.lib_in, l, &n));
    }

    if ((vo != V_OK && olen != len) || vo == V_ROOM || vo == V_ERROR) {
        abort();
    }

    if (mutated && kind != e->kind) {
        if (vo == V_OK || vl == V_OK) {
            abort();
        }
        return;
    }

    if (kind == KIND_RTP) {
        judge_rtp(e, mutated, pkt, len, vo, olen, vl, (size_t) n);

    } else {
        judge_rtcp(e, mutated, len, vo, olen, vl, (size_t) n);
    }
}


/* 1: deliver one packet made before */

static void
op_deliver(input_t *in)
{
    unsigned  i, m;

    i = get8(in);
    m = get8(in);

    if (st.nhist) {
        deliver(hist_get(i), m, in);
    }
}


/* 12: deliver the last packets made, oldest first, as they are */

static void
op_deliver_run(input_t *in)
{
    unsigned  n;

    n = get8(in);

    if (st.nhist == 0) {
        return;
    }

    for (n = n % st.nhist + 1; n > 0; n--) {
        deliver(hist_get(n - 1), 0, in);
    }
}


/* 11: a packet from each of many SSRCs, delivered: the 64 limit */

static void
op_many(input_t *in)
{
    unsigned  n, j, base, rtcp, lib, made;
    uint8_t   b[8];
    input_t   sub;

    n = get8(in);
    base = get8(in);
    rtcp = n & 0x80;
    lib = base & 0x80;
    n &= 0x7f;

    for (j = 0; j < n; j++) {
        memset(b, 0, sizeof(b));
        b[0] = (uint8_t) (0x80 | ((base + j) % NIDS));

        if (rtcp) {
            b[2] = 1;                   /* a one-word body */

        } else {
            b[6] = 16;                  /* next seq, 16-byte payload */
        }

        b[7] = (uint8_t) j;
        sub.p = b;
        sub.n = sizeof(b);
        made = st.nmade;

        if (rtcp) {
            op_send_rtcp(&sub, lib != 0);

        } else {
            op_send_rtp(&sub);
        }

        if (st.nmade != made) {
            deliver(hist_get(0), 0, &sub);
        }
    }
}


/* 4: arbitrary bytes, in an exact-size copy so reads past it show */

static void
op_raw(input_t *in)
{
    int       rc;
    size_t    len, n, i;
    uint8_t  *p, *q;
    uint64_t  h;

    len = get16(in) % 1600;
    if (len > in->n) {
        len = in->n;
    }

    /* bytes that are a packet the harness made are not arbitrary */

    h = digest(in->p, len);

    for (i = 0; i < st.nmade; i++) {
        if (st.made[i] == h) {
            in->p += len;
            in->n -= len;
            return;
        }
    }

    p = malloc(len ? len : 1);
    q = malloc(len ? len : 1);
    if (p == NULL || q == NULL) {
        abort();
    }

    memcpy(q, in->p, len);
    in->p += len;
    in->n -= len;

    memcpy(p, q, len);
    n = len;
    rc = wr_srtp_unprotect_rtp(st.ours_in, p, &n);
    if (rc == WR_SRTP_OK || n != len || ours_verdict(rc) >= V_ROOM) {
        abort();
    }

    memcpy(p, q, len);
    n = len;
    rc = wr_srtp_unprotect_rtcp(st.ours_in, p, &n);
    if (rc == WR_SRTP_OK || n != len || ours_verdict(rc) >= V_ROOM) {
        abort();
    }

    /* the wrong direction */

    memcpy(p, q, len);
    n = len;
    if (wr_srtp_unprotect_rtp(st.ours_out, p, &n) != WR_SRTP_ERROR
        || wr_srtp_unprotect_rtcp(st.ours_out, p, &n) != WR_SRTP_ERROR
        || wr_srtp_protect_rtp(st.ours_in, p, &n, len) != WR_SRTP_ERROR
        || wr_srtp_protect_rtcp(st.ours_in, p, &n, len) != WR_SRTP_ERROR
        || n != len || memcmp(p, q, len) != 0)
    {
        abort();
    }

    free(p);
    free(q);
}


/* 5: restart or remove an outbound SSRC, in both */

static void
op_restart_out(input_t *in)
{
    int       rc;
    unsigned  id, how;
    ssrc_t   *s;

    id = get_id(in);
    how = get8(in);
    s = &st.ssrc[id];

    if (how & 1) {
        rc = wr_srtp_remove_stream(st.ours_out, id_ssrc(id));

        if (rc != (s->out_added ? WR_SRTP_OK : WR_SRTP_NO_STREAM)) {
            abort();
        }

        if (s->out_added) {
            st.out_count--;
        }

        s->out_added = 0;

    } else {
        rc = wr_srtp_add_stream(st.ours_out, id_ssrc(id), NULL);

        if (rc != WR_SRTP_OK) {
            if (rc != WR_SRTP_ERROR || s->out_added
                || st.out_count != STREAMS)
            {
                abort();
            }
            return;
        }

        if (!s->out_added) {
            s->out_added = 1;
            st.out_count++;
        }
    }

    /* libsrtp starts the SSRC afresh, SRTCP index included */

    (void) srtp_remove_stream(st.lib_out, htonl(id_ssrc(id)));

    if (s->chk_known) {
        if (wr_srtp_remove_stream(st.ours_chk, id_ssrc(id)) != WR_SRTP_OK) {
            abort();
        }

        s->chk_known = 0;
        st.chk_count--;
    }

    s->out_valid = 0;
    s->out_top = 0;
    s->out_resumed = 0;
    s->out_forward = 0;
    memset(&s->out_stored, 0, sizeof(wr_srtp_index_t));
}


/* 6: resume an outbound SSRC of ours from the stored index */

static void
op_resume_out(input_t *in)
{
    unsigned  id;
    ssrc_t   *s;

    id = get_id(in);
    s = &st.ssrc[id];

    if (!s->out_added || !s->out_stored.valid) {
        return;
    }

    if (wr_srtp_add_stream(st.ours_out, id_ssrc(id), &s->out_stored)
        != WR_SRTP_OK)
    {
        abort();
    }

    s->out_resumed = 1;
    s->out_r = s->out_top;
    s->out_forward = 1;
}


/* 7: resume an inbound SSRC of ours from the stored index or a snapshot */

static void
op_resume_in(input_t *in)
{
    int              rc;
    unsigned         id, lag;
    ssrc_t          *s;
    wr_srtp_index_t  from;

    id = get_id(in);
    lag = get8(in) & 1;
    s = &st.ssrc[id];

    if (!s->in_stored.valid) {
        return;
    }

    /* wr_srtp.h: the store may lag by less than 2^15 packets */

    from = s->in_stored;

    if (lag && s->in_snap.valid
        && ix_value(&s->in_stored) - ix_value(&s->in_snap) < 0x8000)
    {
        from = s->in_snap;
    }

    rc = wr_srtp_add_stream(st.ours_in, id_ssrc(id), &from);

    if (rc != WR_SRTP_OK) {
        if (rc != WR_SRTP_ERROR || s->in_known || st.in_count != STREAMS) {
            abort();
        }
        return;
    }

    in_taken(id);

    s->in_from = from;
    s->in_resumed = 1;
    s->in_r = ix_value(&s->in_stored);
    s->in_base = ix_value(&from);
    s->in_back = 0;

    if (s->lib_valid && s->lib_top > s->in_r) {
        s->in_r = s->lib_top;
    }

    s->rtcp_r = s->rtcp_top;
}


/* 10: move the SRTCP index of ours_out forward, or try to go back */

static void
op_rtcp_index(input_t *in)
{
    int       rc;
    uint32_t  next;
    unsigned  k;

    k = get16(in);

    if (k & 0x8000) {
        next = 0x7ffffff0u + (k & 0x1f);

    } else if (k & 0x4000) {
        next = st.rtcp_next - 1 - (k & 0xff);

    } else {
        next = st.rtcp_next + (k & 0x3fff);
    }

    rc = wr_srtp_set_rtcp_index(st.ours_out, next);

    if (next < st.rtcp_next || next > SRTCP_MAX + 1u) {
        if (rc != WR_SRTP_ERROR) {
            abort();
        }

    } else {
        if (rc != WR_SRTP_OK) {
            abort();
        }

        st.rtcp_next = next;
    }

    if (wr_srtp_rtcp_index(st.ours_out) != st.rtcp_next
        || wr_srtp_set_rtcp_index(st.ours_in, next) != WR_SRTP_ERROR)
    {
        abort();
    }
}


static void
setup(int gcm)
{
    memset(&st, 0, sizeof(st));

    st.gcm = gcm;
    st.profile = gcm ? WR_SRTP_AEAD_AES_128_GCM : WR_SRTP_AES128_CM_SHA1_80;
    st.tag = wr_srtp_rtp_trailer(st.profile);
    st.rtcp_next = 1;
    st.rng = 0x2545f491u;

    keys.profile = st.profile;
    keys.key_len = WR_SRTP_KEY_LEN;
    keys.salt_len = gcm ? 12 : 14;

    /* the client key writes: server inbound and client outbound use it */

    st.ours_in = wr_srtp_create(&keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);
    st.ours_chk = wr_srtp_create(&keys, WR_SRTP_INBOUND, WR_SRTP_SERVER);
    st.ours_out = wr_srtp_create(&keys, WR_SRTP_OUTBOUND, WR_SRTP_CLIENT);

    if (st.tag != (gcm ? 16 : 10) || st.ours_in == NULL
        || st.ours_chk == NULL || st.ours_out == NULL)
    {
        abort();
    }

    st.lib_in = lib_session(ssrc_any_inbound, 0);
    st.lib_chk = lib_session(ssrc_any_inbound, 0);
    st.lib_out = lib_session(ssrc_any_outbound, 0);
}


static void
teardown(void)
{
    wr_srtp_free(st.ours_in);
    wr_srtp_free(st.ours_chk);
    wr_srtp_free(st.ours_out);
    srtp_dealloc(st.lib_in);
    srtp_dealloc(st.lib_chk);
    srtp_dealloc(st.lib_out);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned        ops, id;
    input_t         in;
    static int      ready;

    if (!ready) {
        if (srtp_init() != srtp_err_status_ok
            || wr_srtp_init() != WR_SRTP_OK)
        {
            abort();
        }

        memset(keys.client_key, 0xc1, sizeof(keys.client_key));
        memset(keys.client_salt, 0x5a, sizeof(keys.client_salt));
        memset(keys.server_key, 0x3e, sizeof(keys.server_key));
        memset(keys.server_salt, 0xa5, sizeof(keys.server_salt));
        ready = 1;
    }

    if (size == 0) {
        return 0;
    }

    setup(data[0] & 1);

    in.p = data + 1;
    in.n = size - 1;

    /* op_many makes up to 127 packets, each op else at most one */

    for (ops = 0;
         in.n > 0 && ops < MAX_OPS && st.nmade < MADE_MAX - 128;
         ops++)
    {
        switch (get8(&in) % 13) {
        case 0:  op_send_rtp(&in); break;
        case 1:  op_deliver(&in); break;
        case 2:  op_send_rtcp(&in, 0); break;
        case 3:  op_send_rtcp(&in, 1); break;
        case 4:  op_raw(&in); break;
        case 5:  op_restart_out(&in); break;
        case 6:  op_resume_out(&in); break;
        case 7:  op_resume_in(&in); break;
        case 8:
            id = get_id(&in);
            st.ssrc[id].in_snap = st.ssrc[id].in_stored;
            break;
        case 9:  in_forget(get_id(&in)); break;
        case 10: op_rtcp_index(&in); break;
        case 11: op_many(&in); break;
        default: op_deliver_run(&in); break;
        }

        if (ERR_peek_error() != 0) {
            abort();
        }
    }

    teardown();

    return 0;
}
