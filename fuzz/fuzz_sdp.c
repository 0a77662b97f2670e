/*
 * libFuzzer harness for the SDP parser and the answer writer.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/proto \
 *       fuzz/fuzz_sdp.c src/proto/wr_sdp_parse.c src/proto/wr_sdp_write.c \
 *       -o build/fuzz_sdp
 *   mkdir -p build/fuzz_sdp_corpus
 *   ./build/fuzz_sdp -max_len=65536 build/fuzz_sdp_corpus t/unit/sdp
 *
 * Replaying files without libFuzzer (any compiler):
 *   cc -DWR_FUZZ_STANDALONE -Isrc/proto fuzz/fuzz_sdp.c \
 *       src/proto/wr_sdp_parse.c src/proto/wr_sdp_write.c
 *   ./a.out t/unit/sdp/chrome156-av-offer.sdp ...
 *
 * Besides crashes and sanitizer reports it checks that every parsed slice
 * lies inside the input, and that whenever an offer is accepted, the
 * answer written for it parses back with the same m-lines and codecs.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wr_sdp.h"


#define WR_FUZZ_OUT  (1 << 20)


static wr_sdp_t               offer;
static wr_sdp_t               back;
static wr_sdp_answer_t        answer;
static char                   out[WR_FUZZ_OUT];

static const uint8_t          fp[WR_SDP_SHA256_LEN] = { 0xab };
static const char            *addrs[] = { "192.0.2.1", "2001:db8::1" };
static const wr_sdp_codec_pref_t  audio[] = {
    { "opus", NULL }, { "pcmu", NULL }, { "g722", NULL }
};
static const wr_sdp_codec_pref_t  video[] = {
    { "vp8", NULL }, { "vp9", "profile-id=0" }, { "h264", NULL },
    { "av1", NULL }
};


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const char  *in_start;
static const char  *in_end;


static void
inside(wr_sdp_str_t s)
{
    if (s.data == NULL) {
        if (s.len) {
            abort();
        }
        return;
    }

    if (s.data < in_start || s.data + s.len > in_end) {
        abort();
    }
}


/* static audio payload types listed without rtpmap get constant names */
static int
static_name(const wr_sdp_media_t *m, const wr_sdp_codec_t *c)
{
    if (c->name.data >= in_start && c->name.data < in_end) {
        return 0;
    }

    return m->kind == WR_SDP_KIND_AUDIO && c->clock == 8000
           && ((c->pt == 0 && wr_sdp_str_eq(c->name, "PCMU"))
               || (c->pt == 8 && wr_sdp_str_eq(c->name, "PCMA"))
               || (c->pt == 9 && wr_sdp_str_eq(c->name, "G722"))
               || (c->pt == 13 && wr_sdp_str_eq(c->name, "CN")));
}


static void
check_slices(const wr_sdp_t *sdp)
{
    unsigned               i, k, f;
    const wr_sdp_media_t  *m;

    if (sdp->nmedia > WR_SDP_MAX_MEDIA || sdp->nbundle > WR_SDP_MAX_MEDIA) {
        abort();
    }

    inside(sdp->name);
    inside(sdp->ice_ufrag);
    inside(sdp->ice_pwd);
    inside(sdp->msid_semantic);

    for (i = 0; i < sdp->nbundle; i++) {
        inside(sdp->bundle[i]);
    }

    for (i = 0; i < sdp->nmedia; i++) {
        m = &sdp->media[i];

        inside(m->media);
        inside(m->proto);
        inside(m->fmts);
        inside(m->mid);
        inside(m->ice_ufrag);
        inside(m->ice_pwd);
        inside(m->ice_options);
        inside(m->msid_stream);
        inside(m->msid_track);
        inside(m->simulcast_send);
        inside(m->simulcast_recv);

        if (m->ncodecs > WR_SDP_MAX_CODECS || m->nextmaps > WR_SDP_MAX_EXTMAPS
            || m->nssrcs > WR_SDP_MAX_SSRCS || m->nrids > WR_SDP_MAX_RIDS
            || m->ncandidates > WR_SDP_MAX_CANDIDATES
            || m->nssrc_groups > WR_SDP_MAX_SSRC_GROUPS
            || m->fingerprint.len > WR_SDP_MAX_FINGERPRINT)
        {
            abort();
        }

        for (k = 0; k < m->ncodecs; k++) {
            if (!static_name(m, &m->codecs[k])) {
                inside(m->codecs[k].name);
            }

            inside(m->codecs[k].fmtp);

            if (m->codecs[k].nfb > WR_SDP_MAX_FB) {
                abort();
            }

            for (f = 0; f < m->codecs[k].nfb; f++) {
                inside(m->codecs[k].fb[f]);
            }
        }

        for (k = 0; k < m->nextmaps; k++) {
            inside(m->extmaps[k].uri);
        }

        for (k = 0; k < m->nssrcs; k++) {
            inside(m->ssrcs[k].cname);
            inside(m->ssrcs[k].msid_stream);
            inside(m->ssrcs[k].msid_track);
        }

        for (k = 0; k < m->nrids; k++) {
            inside(m->rids[k].id);
            inside(m->rids[k].params);
        }

        for (k = 0; k < m->ncandidates; k++) {
            inside(m->candidates[k]);
        }
    }
}


static void
answer_and_reparse(unsigned variant)
{
    ssize_t                       n, small;
    unsigned                      i;
    wr_sdp_rc_t                   rc;
    wr_sdp_answer_conf_t          conf;
    const wr_sdp_codec_t         *c;
    const wr_sdp_answer_media_t  *am;

    memset(&conf, 0, sizeof(conf));

    conf.local.ice_ufrag = "fuzz";
    conf.local.ice_pwd = "0123456789abcdefghijkl";
    conf.local.fingerprint = fp;
    conf.local.addrs = addrs;
    conf.local.naddrs = 2;
    conf.local.port = 3478;
    conf.audio_codecs = audio;
    conf.naudio_codecs = 3;
    conf.video_codecs = video;
    conf.nvideo_codecs = 4;
    conf.dir = (variant & 1) ? WR_SDP_DIR_RECVONLY : WR_SDP_DIR_SENDRECV;
    conf.simulcast = (variant & 2) ? 1 : 0;
    conf.offer_order = (variant & 4) ? 1 : 0;
    conf.ext_mask = WR_SDP_EXT_DEFAULT;

    rc = wr_sdp_negotiate(&offer, &conf, &answer);
    if (rc != WR_SDP_OK) {
        if (rc != WR_SDP_ENOMEDIA || answer.naccepted != 0) {
            abort();
        }
        return;
    }

    n = wr_sdp_write_answer(&offer, &conf, &answer, out, sizeof(out));
    if (n <= 0 || (size_t) n != strlen(out)) {
        abort();
    }

    /* a buffer one byte short must fail cleanly */
    small = wr_sdp_write_answer(&offer, &conf, &answer, out, n);
    if (small != -WR_SDP_ENOSPACE) {
        abort();
    }

    n = wr_sdp_write_answer(&offer, &conf, &answer, out, sizeof(out));

    rc = wr_sdp_parse(&back, out, n);
    if (rc != WR_SDP_OK) {
        fprintf(stderr, "answer does not parse: %s\n%s", back.error, out);
        abort();
    }

    if (back.nmedia != offer.nmedia || !back.ice_lite
        || back.nbundle != answer.naccepted)
    {
        abort();
    }

    for (i = 0; i < offer.nmedia; i++) {
        am = &answer.media[i];

        if (!am->accepted) {
            if (back.media[i].port != 0) {
                abort();
            }
            continue;
        }

        c = &offer.media[i].codecs[am->codec];

        if (back.media[i].port != 3478
            || back.media[i].setup != WR_SDP_SETUP_PASSIVE
            || back.media[i].codecs[0].pt != c->pt
            || back.media[i].ncodecs != (am->rtx >= 0 ? 2u : 1u)
            || back.media[i].mid.len != offer.media[i].mid.len
            || memcmp(back.media[i].mid.data, offer.media[i].mid.data,
                      offer.media[i].mid.len) != 0
            || back.media[i].dir != am->dir
            || (!am->simulcast && back.media[i].nrids != 0))
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned  variant;

    in_start = (const char *) data;
    in_end = in_start + size;

    if (wr_sdp_parse(&offer, (const char *) data, size) != WR_SDP_OK) {
        if (offer.error[0] == '\0') {
            abort();
        }
        return 0;
    }

    check_slices(&offer);

    /* the configuration varies with the input, so all paths get fuzzed */
    variant = size ? data[size - 1] : 0;
    answer_and_reparse(variant);

    return 0;
}


#ifdef WR_FUZZ_STANDALONE

int
main(int argc, char **argv)
{
    int      i;
    long     n;
    FILE    *f;
    uint8_t *buf;

    for (i = 1; i < argc; i++) {
        f = fopen(argv[i], "rb");
        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }

        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);

        buf = malloc(n ? n : 1);
        if (fread(buf, 1, n, f) != (size_t) n) {
            return 1;
        }

        fclose(f);

        LLVMFuzzerTestOneInput(buf, n);
        free(buf);
        printf("%s: ok\n", argv[i]);
    }

    return 0;
}

#endif
