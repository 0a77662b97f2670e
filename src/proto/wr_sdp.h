/*
 * SDP for the signaling half, without nginx: a parser for browser offers
 * and answers, the answer the server gives to an offer (ICE-lite, DTLS
 * passive, one codec per m-line) and the server's own offer to a
 * subscriber.
 *
 * Parsing:
 *
 *     static wr_sdp_t  sdp;      (about 270 KB: not for a small stack)
 *
 *     if (wr_sdp_parse(&sdp, text, len) != WR_SDP_OK) {
 *         Janus 465 "Invalid SDP" with sdp.error (a NUL-terminated text);
 *     }
 *
 * The result points into the input (every wr_sdp_str_t is a slice of
 * text, except the names given to static audio payload types listed
 * without a=rtpmap, such as "PCMU", which are constants): keep the text
 * alive and unchanged while the wr_sdp_t is used.
 * Nothing is allocated.  Lines end with "\r\n" or "\n".  Limits are the
 * WR_SDP_MAX_* sizes below; an SDP that exceeds one is refused with
 * WR_SDP_ELIMIT, except for candidates, which are only counted beyond
 * WR_SDP_MAX_CANDIDATES (an ICE-lite server does not need them, and a
 * host with many interfaces must not fail a call), and rtcp-fb lines
 * beyond WR_SDP_MAX_FB, which still set fb_flags.  Attributes the
 * server does not use are skipped.  Transport attributes given at
 * session level (ice-ufrag, ice-pwd, ice-options, fingerprint, setup,
 * direction) are copied into every m-line that lacks them, and so are
 * the tagged m-line's into bundled m-lines without their own (RFC 8843
 * lets bundle-only ones omit them), so callers read them per m-line.  Every m-line that is in use (port not 0,
 * or bundle-only) must end up with ice-ufrag, ice-pwd, a fingerprint and
 * a mid, and mids must be unique: an SDP without them is refused, as
 * neither ICE nor DTLS nor BUNDLE could work.
 *
 * Answering:
 *
 *     wr_sdp_negotiate(&offer, &conf, &answer);    what to accept
 *     n = wr_sdp_write_answer(&offer, &conf, &answer, buf, size);
 *
 * wr_sdp_negotiate() decides per m-line (codec, RTX, header extensions,
 * RTCP feedback, direction, simulcast) and gives the media half what it
 * needs; wr_sdp_write_answer() writes exactly that:
 *
 *   - audio/video m-lines with UDP/TLS/RTP/SAVP(F), rtcp-mux and a mid in
 *     the BUNDLE group are candidates (no BUNDLE group: the first one
 *     only); the rest, data channels included, get port 0 and their mid;
 *   - one codec: the first of the server's list that is offered (as
 *     Janus does), or with offer_order the first offered that is in the
 *     list; its payload type, fmtp and RTX as offered;
 *   - rtcp-fb nack, nack pli, ccm fir, goog-remb as offered for it, and
 *     transport-cc only with the transport-wide-cc extension;
 *   - the ext_mask extensions the offer has, with its ids, plus
 *     rtp-stream-id and repaired-rtp-stream-id when simulcast (a=rid send
 *     + a=simulcast send + the rid extension) is accepted;
 *   - direction: what conf->dir allows of the mirror of the offer's.
 *
 * The answer carries a=ice-lite, BUNDLE of the accepted mids, the
 * server's ice-ufrag/ice-pwd, sha-256 fingerprint, a=setup:passive, one
 * host candidate per address on the media port, a=end-of-candidates.
 *
 * Subscriber offers: wr_sdp_write_offer(), with a=setup:actpass and the
 * same transport lines; inactive m-lines (removed streams) keep their
 * port and codec and stay in BUNDLE, without a=msid or a=ssrc.
 *
 * Writers NUL-terminate and return the length without the NUL, or
 * -WR_SDP_ENOSPACE when buf is too small (size must exceed the length),
 * or -WR_SDP_EINVAL for a configuration that would make bad SDP.
 */

#ifndef WR_SDP_H
#define WR_SDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


/* limits of the parsed form; an SDP beyond them is refused */
#define WR_SDP_MAX_MEDIA          32    /* m-lines */
#define WR_SDP_MAX_CODECS         32    /* payload types per m-line */
#define WR_SDP_MAX_FB             8     /* a=rtcp-fb kept per codec */
#define WR_SDP_MAX_EXTMAPS        24    /* a=extmap per m-line */
#define WR_SDP_MAX_SSRCS          16    /* a=ssrc per m-line */
#define WR_SDP_MAX_SSRC_GROUPS    8     /* a=ssrc-group per m-line */
#define WR_SDP_MAX_GROUP_SSRCS    8     /* SSRCs in one a=ssrc-group */
#define WR_SDP_MAX_RIDS           8     /* a=rid per m-line */
#define WR_SDP_MAX_CANDIDATES     16    /* a=candidate kept per m-line */
#define WR_SDP_MAX_LINE           4096  /* bytes in one line */
#define WR_SDP_MAX_MID            32    /* bytes in a mid */
#define WR_SDP_MAX_FINGERPRINT    64    /* SHA-512 */
#define WR_SDP_ERROR_LEN          128

#define WR_SDP_SHA256_LEN         32


typedef enum {
    WR_SDP_OK = 0,
    WR_SDP_ESYNTAX,          /* a malformed line or value */
    WR_SDP_EVERSION,         /* does not start with v=0 */
    WR_SDP_ELINE,            /* a line longer than WR_SDP_MAX_LINE */
    WR_SDP_ELIMIT,           /* more of something than WR_SDP_MAX_* */
    WR_SDP_EMISSING,         /* a required attribute is missing */
    WR_SDP_EFINGERPRINT,     /* a fingerprint that is not hex of its hash */
    WR_SDP_ENOMEDIA,         /* negotiate: no m-line could be accepted */
    WR_SDP_EINVAL,           /* writers: the local configuration is bad */
    WR_SDP_ENOSPACE          /* writers: the output buffer is too small */
} wr_sdp_rc_t;


typedef enum {
    WR_SDP_KIND_OTHER = 0,
    WR_SDP_KIND_AUDIO,
    WR_SDP_KIND_VIDEO,
    WR_SDP_KIND_APPLICATION
} wr_sdp_kind_t;


typedef enum {
    WR_SDP_DIR_NONE = 0,      /* not given */
    WR_SDP_DIR_SENDRECV,
    WR_SDP_DIR_SENDONLY,
    WR_SDP_DIR_RECVONLY,
    WR_SDP_DIR_INACTIVE
} wr_sdp_dir_t;


typedef enum {
    WR_SDP_SETUP_NONE = 0,
    WR_SDP_SETUP_ACTPASS,
    WR_SDP_SETUP_ACTIVE,
    WR_SDP_SETUP_PASSIVE,
    WR_SDP_SETUP_HOLDCONN
} wr_sdp_setup_t;


typedef enum {
    WR_SDP_HASH_NONE = 0,
    WR_SDP_HASH_SHA1,
    WR_SDP_HASH_SHA224,
    WR_SDP_HASH_SHA256,
    WR_SDP_HASH_SHA384,
    WR_SDP_HASH_SHA512
} wr_sdp_hash_t;


/* the header extensions the server knows by URI (wr_sdp_ext_uri()) */
typedef enum {
    WR_SDP_EXT_UNKNOWN = 0,
    WR_SDP_EXT_MID,            /* urn:ietf:params:rtp-hdrext:sdes:mid */
    WR_SDP_EXT_AUDIO_LEVEL,
    WR_SDP_EXT_ABS_SEND_TIME,
    WR_SDP_EXT_TWCC,           /* transport-wide-cc-extensions-01 */
    WR_SDP_EXT_DD,             /* AV1 dependency descriptor */
    WR_SDP_EXT_RID,            /* sdes:rtp-stream-id */
    WR_SDP_EXT_RRID,           /* sdes:repaired-rtp-stream-id */
    WR_SDP_EXT_VIDEO_ORIENTATION,
    WR_SDP_EXT_PLAYOUT_DELAY,
    WR_SDP_EXT_VLA,            /* video-layers-allocation00 */
    WR_SDP_EXT_COUNT
} wr_sdp_ext_t;

#define WR_SDP_EXT_BIT(e)         (1u << (e))

/* the answer keeps these by default; RID and RRID come with simulcast */
#define WR_SDP_EXT_DEFAULT                                                    \
    (WR_SDP_EXT_BIT(WR_SDP_EXT_MID) | WR_SDP_EXT_BIT(WR_SDP_EXT_AUDIO_LEVEL)  \
     | WR_SDP_EXT_BIT(WR_SDP_EXT_ABS_SEND_TIME)                              \
     | WR_SDP_EXT_BIT(WR_SDP_EXT_TWCC) | WR_SDP_EXT_BIT(WR_SDP_EXT_DD))


/* RTCP feedback the server understands (wr_sdp_codec_t.fb_flags) */
#define WR_SDP_FB_NACK            0x01u   /* nack */
#define WR_SDP_FB_PLI             0x02u   /* nack pli */
#define WR_SDP_FB_FIR             0x04u   /* ccm fir */
#define WR_SDP_FB_REMB            0x08u   /* goog-remb */
#define WR_SDP_FB_TWCC            0x10u   /* transport-cc */

#define WR_SDP_FB_VIDEO           (WR_SDP_FB_NACK | WR_SDP_FB_PLI             \
                                   | WR_SDP_FB_FIR | WR_SDP_FB_REMB          \
                                   | WR_SDP_FB_TWCC)


/* a slice of the parsed text, not NUL-terminated */
typedef struct {
    const char             *data;
    size_t                  len;
} wr_sdp_str_t;


typedef struct {
    wr_sdp_hash_t           hash;
    uint8_t                 len;
    uint8_t                 bytes[WR_SDP_MAX_FINGERPRINT];
} wr_sdp_fingerprint_t;


typedef struct {
    uint8_t                 pt;
    uint8_t                 channels;    /* 0: not given (means 1) */
    uint8_t                 nfb;
    uint8_t                 fb_flags;    /* WR_SDP_FB_*, also from "*" */
    uint32_t                clock;       /* 0: no rtpmap */
    int                     apt;         /* rtx: the pt it repairs, or -1 */
    int                     rtx;         /* the rtx pt repairing it, or -1 */
    wr_sdp_str_t            name;        /* "opus", "VP8", as written */
    wr_sdp_str_t            fmtp;
    wr_sdp_str_t            fb[WR_SDP_MAX_FB];   /* "nack pli", ... */
} wr_sdp_codec_t;


typedef struct {
    uint16_t                id;          /* 1..255 */
    wr_sdp_dir_t            dir;         /* DIR_NONE: not given */
    wr_sdp_ext_t            ext;
    wr_sdp_str_t            uri;
} wr_sdp_extmap_t;


typedef struct {
    uint32_t                ssrc;
    wr_sdp_str_t            cname;
    wr_sdp_str_t            msid_stream;
    wr_sdp_str_t            msid_track;
} wr_sdp_ssrc_t;


typedef struct {
    wr_sdp_str_t            semantics;   /* "FID", "SIM", "FEC-FR" */
    unsigned                nssrcs;
    uint32_t                ssrcs[WR_SDP_MAX_GROUP_SSRCS];
} wr_sdp_ssrc_group_t;


typedef struct {
    wr_sdp_str_t            id;
    wr_sdp_dir_t            dir;         /* SENDONLY ("send"), RECVONLY */
    wr_sdp_str_t            params;      /* "pt=96;max-width=640", or empty */
} wr_sdp_rid_t;


typedef struct {
    wr_sdp_kind_t           kind;
    wr_sdp_str_t            media;       /* "audio", also unknown kinds */
    uint16_t                port;
    wr_sdp_str_t            proto;
    wr_sdp_str_t            fmts;        /* the format list as written */

    wr_sdp_str_t            mid;
    wr_sdp_dir_t            dir;
    wr_sdp_str_t            ice_ufrag;
    wr_sdp_str_t            ice_pwd;
    wr_sdp_str_t            ice_options;
    wr_sdp_fingerprint_t    fingerprint;
    wr_sdp_setup_t          setup;

    unsigned                rtcp_mux:1;
    unsigned                rtcp_rsize:1;
    unsigned                bundle_only:1;
    unsigned                extmap_allow_mixed:1;
    unsigned                end_of_candidates:1;

    wr_sdp_str_t            msid_stream; /* first a=msid */
    wr_sdp_str_t            msid_track;

    unsigned                ncodecs;     /* in the order of the m= line */
    wr_sdp_codec_t          codecs[WR_SDP_MAX_CODECS];

    unsigned                nextmaps;
    wr_sdp_extmap_t         extmaps[WR_SDP_MAX_EXTMAPS];
    uint16_t                ext_id[WR_SDP_EXT_COUNT];   /* 0: not offered */

    unsigned                nssrcs;
    wr_sdp_ssrc_t           ssrcs[WR_SDP_MAX_SSRCS];
    unsigned                nssrc_groups;
    wr_sdp_ssrc_group_t     ssrc_groups[WR_SDP_MAX_SSRC_GROUPS];

    unsigned                nrids;
    wr_sdp_rid_t            rids[WR_SDP_MAX_RIDS];
    wr_sdp_str_t            simulcast_send;   /* "h;m;l", without "rid=" */
    wr_sdp_str_t            simulcast_recv;

    unsigned                ncandidates; /* kept, "candidate:..." */
    unsigned                ncandidates_dropped;
    wr_sdp_str_t            candidates[WR_SDP_MAX_CANDIDATES];

    uint16_t                sctp_port;   /* a=sctp-port, 0: none */
    uint32_t                max_message_size;
} wr_sdp_media_t;


typedef struct {
    wr_sdp_str_t            origin_sess_id;
    wr_sdp_str_t            origin_sess_version;
    wr_sdp_str_t            name;                 /* s= */

    unsigned                nbundle;              /* first BUNDLE group */
    wr_sdp_str_t            bundle[WR_SDP_MAX_MEDIA];

    /* session-level values, also copied into the m-lines */
    wr_sdp_str_t            ice_ufrag;
    wr_sdp_str_t            ice_pwd;
    wr_sdp_str_t            ice_options;
    wr_sdp_fingerprint_t    fingerprint;
    wr_sdp_setup_t          setup;
    wr_sdp_dir_t            dir;
    wr_sdp_str_t            msid_semantic;

    unsigned                ice_lite:1;
    unsigned                extmap_allow_mixed:1;
    unsigned                end_of_candidates:1;

    unsigned                nmedia;
    wr_sdp_media_t          media[WR_SDP_MAX_MEDIA];

    /* why parsing failed: "line 12: ..." */
    unsigned                error_line;
    char                    error[WR_SDP_ERROR_LEN];
} wr_sdp_t;


/* the server's transport, common to answers and offers */
typedef struct {
    const char             *ice_ufrag;     /* 4..256 ice-chars */
    const char             *ice_pwd;       /* 22..256 ice-chars */
    const uint8_t          *fingerprint;   /* SHA-256 of the certificate */
    const char *const      *addrs;         /* "192.0.2.1", "2001:db8::1" */
    size_t                  naddrs;
    uint16_t                port;          /* the media UDP port */
    uint64_t                session_id;    /* o= */
    uint64_t                session_version;
    const char             *session_name;  /* s=, NULL: "-" */
    const char             *cname;         /* for a=ssrc, NULL: "wr" */
} wr_sdp_local_t;


typedef struct {
    const char             *name;    /* "opus", "vp9" (any case) */
    const char             *fmtp;    /* NULL or "", or a parameter the
                                        offered fmtp must contain:
                                        "profile-id=2" */
} wr_sdp_codec_pref_t;


/* what the server sends on an answered m-line (EchoTest), all optional */
typedef struct {
    uint32_t                ssrc;          /* 0: no a=ssrc lines */
    uint32_t                rtx_ssrc;      /* 0: no RTX SSRC */
    const char             *msid_stream;   /* NULL: no a=msid */
    const char             *msid_track;
} wr_sdp_send_t;


typedef struct {
    wr_sdp_local_t              local;

    const wr_sdp_codec_pref_t  *audio_codecs;   /* in preference order */
    size_t                      naudio_codecs;
    const wr_sdp_codec_pref_t  *video_codecs;
    size_t                      nvideo_codecs;

    /* what the server is willing to do: SENDRECV (EchoTest) or RECVONLY
     * (VideoRoom publisher); an m-line gets the overlap with the offer */
    wr_sdp_dir_t                dir;

    unsigned                    ext_mask;       /* WR_SDP_EXT_DEFAULT */
    unsigned                    simulcast:1;    /* accept a=simulcast */
    unsigned                    offer_order:1;  /* pick codecs in the
                                                   offerer's order */
    unsigned                    e2ee:1;         /* jsep.e2ee: no effect on
                                                   the SDP (yet) */

    const wr_sdp_send_t        *send;           /* per offer m-line index */
    size_t                      nsend;
} wr_sdp_answer_conf_t;


typedef struct {
    unsigned                accepted:1;
    unsigned                simulcast:1;   /* rids accepted */
    wr_sdp_dir_t            dir;           /* of the answer */
    int                     codec;         /* index in the offer's codecs */
    int                     rtx;           /* index of its RTX, or -1 */
    uint8_t                 fb_flags;      /* WR_SDP_FB_* answered */
    uint16_t                ext_id[WR_SDP_EXT_COUNT];   /* 0: not kept */
} wr_sdp_answer_media_t;


typedef struct {
    unsigned                nmedia;        /* = the offer's */
    unsigned                naccepted;
    unsigned                e2ee:1;
    wr_sdp_answer_media_t   media[WR_SDP_MAX_MEDIA];
} wr_sdp_answer_t;


/* one m-line of a subscriber offer */
typedef struct {
    wr_sdp_kind_t           kind;          /* AUDIO or VIDEO */
    const char             *mid;
    const char             *codec;         /* "opus", "VP8" */
    uint8_t                 pt;
    uint8_t                 channels;      /* 0: not written */
    uint32_t                clock;
    const char             *fmtp;          /* NULL: none */
    uint8_t                 rtx_pt;        /* 0: no RTX */
    uint8_t                 fb_flags;      /* WR_SDP_FB_*; TWCC needs the
                                              TWCC extension */
    uint16_t                ext_id[WR_SDP_EXT_COUNT];   /* 0: not offered */
    wr_sdp_dir_t            dir;           /* SENDONLY, or INACTIVE for a
                                              removed stream */
    const char             *msid_stream;   /* NULL: no a=msid */
    const char             *msid_track;
    uint32_t                ssrc;          /* 0: no a=ssrc */
    uint32_t                rtx_ssrc;
} wr_sdp_offer_media_t;


typedef struct {
    wr_sdp_local_t              local;
    const wr_sdp_offer_media_t *media;
    size_t                      nmedia;
} wr_sdp_offer_conf_t;


wr_sdp_rc_t wr_sdp_parse(wr_sdp_t *sdp, const char *text, size_t len);

wr_sdp_rc_t wr_sdp_negotiate(const wr_sdp_t *offer,
    const wr_sdp_answer_conf_t *conf, wr_sdp_answer_t *answer);
ssize_t wr_sdp_write_answer(const wr_sdp_t *offer,
    const wr_sdp_answer_conf_t *conf, const wr_sdp_answer_t *answer,
    char *buf, size_t size);

ssize_t wr_sdp_write_offer(const wr_sdp_offer_conf_t *conf, char *buf,
    size_t size);

const char *wr_sdp_strerror(wr_sdp_rc_t rc);
const char *wr_sdp_ext_uri(wr_sdp_ext_t ext);

/* helpers for callers */
int wr_sdp_str_eq(wr_sdp_str_t s, const char *cstr);      /* exact */
int wr_sdp_str_caseeq(wr_sdp_str_t s, const char *cstr);  /* ASCII case */
const wr_sdp_media_t *wr_sdp_find_mid(const wr_sdp_t *sdp, const char *mid);
const wr_sdp_codec_t *wr_sdp_find_codec(const wr_sdp_media_t *m,
    const char *name);
const wr_sdp_ssrc_t *wr_sdp_find_ssrc(const wr_sdp_media_t *m,
    uint32_t ssrc);


#endif /* WR_SDP_H */
