/*
 * The peer's own small SDP reader and writer: just the lines a bundled,
 * rtcp-muxed WebRTC offer or answer needs. It shares no code with the
 * server's SDP module on purpose, so the two check each other.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wr_peer.h"


#define WP_MID_URI    "urn:ietf:params:rtp-hdrext:sdes:mid"
#define WP_LEVEL_URI  "urn:ietf:params:rtp-hdrext:ssrc-audio-level"


static int wp_sdp_attr_line(wp_sdp_t *s, wp_sdp_m_t *m, const char *a,
    char *err, size_t errlen);
static wp_sdp_pt_t *wp_sdp_find_pt(wp_sdp_m_t *m, int pt);


static void
wp_copy(char *dst, size_t size, const char *src)
{
    g_strlcpy(dst, src, size);
}


int
wp_sdp_parse(wp_sdp_t *s, const char *text, char *err, size_t errlen)
{
    int          rc, n;
    char       **lines, *l, *tok, *save;
    size_t       len, i;
    wp_sdp_m_t  *m;

    memset(s, 0, sizeof(*s));
    m = NULL;
    rc = -1;

    if (strncmp(text, "v=0", 3) != 0) {
        snprintf(err, errlen, "SDP does not start with v=0");
        return -1;
    }

    lines = g_strsplit(text, "\n", -1);

    for (i = 0; lines[i]; i++) {
        l = lines[i];
        len = strlen(l);
        if (len > 0 && l[len - 1] == '\r') {
            l[--len] = '\0';
        }

        if (len < 2 || l[1] != '=') {
            continue;
        }

        if (l[0] == 'm') {
            if (s->nm == WP_SDP_MAX_M) {
                snprintf(err, errlen, "too many m-lines");
                goto done;
            }

            m = &s->m[s->nm++];
            wp_copy(m->dir, sizeof(m->dir), "sendrecv");

            tok = strtok_r(l + 2, " ", &save);
            wp_copy(m->kind, sizeof(m->kind), tok ? tok : "");
            tok = strtok_r(NULL, " ", &save);
            m->port = tok ? atoi(tok) : 0;
            tok = strtok_r(NULL, " ", &save);
            wp_copy(m->proto, sizeof(m->proto), tok ? tok : "");

            while ((tok = strtok_r(NULL, " ", &save)) != NULL
                   && m->npt < WP_SDP_MAX_PT)
            {
                n = atoi(tok);
                if (n >= 0 && n < 128) {
                    m->pt[m->npt++].pt = n;
                }
            }

            continue;
        }

        if (l[0] == 'a' && wp_sdp_attr_line(s, m, l + 2, err, errlen) != 0) {
            goto done;
        }
    }

    if (s->nm == 0) {
        snprintf(err, errlen, "SDP has no m-lines");
        goto done;
    }

    rc = 0;

done:

    g_strfreev(lines);
    return rc;
}


static int
wp_sdp_attr_line(wp_sdp_t *s, wp_sdp_m_t *m, const char *a, char *err,
    size_t errlen)
{
    int           pt, id, k;
    char          name[64], uri[128], codec[32], fp[200];
    const char   *v, *colon, *sp;
    uint32_t      ssrc, rtx;
    wp_sdp_pt_t  *p;

    colon = strchr(a, ':');
    v = colon ? colon + 1 : "";
    snprintf(name, sizeof(name), "%.*s",
             (int) (colon ? (size_t) (colon - a) : strlen(a)), a);

    /* session level: only what ICE and DTLS need */
    if (strcmp(name, "ice-ufrag") == 0) {
        wp_copy(m ? m->ufrag : s->ufrag, sizeof(s->ufrag), v);

    } else if (strcmp(name, "ice-pwd") == 0) {
        wp_copy(m ? m->pwd : s->pwd, sizeof(s->pwd), v);

    } else if (strcmp(name, "fingerprint") == 0) {
        if (sscanf(v, "%15s %199s", name, fp) != 2) {
            snprintf(err, errlen, "bad a=fingerprint");
            return -1;
        }

        wp_copy(m ? m->fp_alg : s->fp_alg, sizeof(s->fp_alg), name);
        wp_copy(m ? m->fp : s->fp, sizeof(s->fp), fp);

    } else if (strcmp(name, "setup") == 0) {
        wp_copy(m ? m->setup : s->setup, sizeof(s->setup), v);

    } else if (strcmp(name, "ice-lite") == 0) {
        s->ice_lite = 1;

    } else if (m == NULL) {
        return 0;

    } else if (strcmp(name, "mid") == 0) {
        wp_copy(m->mid, sizeof(m->mid), v);

    } else if (strcmp(name, "sendrecv") == 0 || strcmp(name, "sendonly") == 0
               || strcmp(name, "recvonly") == 0
               || strcmp(name, "inactive") == 0)
    {
        wp_copy(m->dir, sizeof(m->dir), name);

    } else if (strcmp(name, "rtcp-mux") == 0) {
        m->rtcp_mux = 1;

    } else if (strcmp(name, "rtpmap") == 0) {
        if (sscanf(v, "%d %31[^/]/", &pt, codec) != 2) {
            snprintf(err, errlen, "bad a=rtpmap:%s", v);
            return -1;
        }

        p = wp_sdp_find_pt(m, pt);
        if (p) {
            wp_copy(p->codec, sizeof(p->codec), codec);
            sp = strchr(v, '/');
            p->rate = atoi(sp + 1);
            sp = strchr(sp + 1, '/');
            p->channels = sp ? atoi(sp + 1) : 0;
        }

    } else if (strcmp(name, "fmtp") == 0) {
        p = wp_sdp_find_pt(m, atoi(v));
        sp = strchr(v, ' ');
        if (p && sp) {
            wp_copy(p->fmtp, sizeof(p->fmtp), sp + 1);
        }

    } else if (strcmp(name, "rtcp-fb") == 0) {
        p = wp_sdp_find_pt(m, atoi(v));
        sp = strchr(v, ' ');
        if (p && sp) {
            sp++;
            if (strcmp(sp, "nack") == 0) {
                p->nack = 1;

            } else if (strcmp(sp, "nack pli") == 0) {
                p->pli = 1;

            } else if (strcmp(sp, "ccm fir") == 0) {
                p->fir = 1;
            }
        }

    } else if (strcmp(name, "extmap") == 0) {
        if (sscanf(v, "%d%*[^ ] %127s", &id, uri) == 2
            || sscanf(v, "%d %127s", &id, uri) == 2)
        {
            if (strcmp(uri, WP_MID_URI) == 0) {
                m->mid_ext = id;

            } else if (strcmp(uri, WP_LEVEL_URI) == 0) {
                m->level_ext = id;
            }
        }

    } else if (strcmp(name, "ssrc-group") == 0) {
        /* RFC 4588: the first SSRC's retransmissions on the second */
        if (sscanf(v, "FID %u %u", &ssrc, &rtx) == 2 && m->nssrc == 0) {
            m->ssrc[0] = ssrc;
            m->ssrc[1] = rtx;
            m->nssrc = 2;
            m->fid = 1;
        }

    } else if (strcmp(name, "ssrc") == 0) {
        ssrc = strtoul(v, NULL, 10);
        for (k = 0; k < m->nssrc && m->ssrc[k] != ssrc; k++) {
            /* void */
        }

        if (k == m->nssrc && m->nssrc < 4) {
            m->ssrc[m->nssrc++] = ssrc;
        }

        sp = strstr(v, " cname:");
        if (sp && m->cname[0] == '\0') {
            wp_copy(m->cname, sizeof(m->cname), sp + 7);
        }

    } else if (strcmp(name, "candidate") == 0) {
        if (m->ncand < WP_SDP_MAX_CAND) {
            snprintf(m->cand[m->ncand++], sizeof(m->cand[0]), "%s", a);
        }
    }

    return 0;
}


static wp_sdp_pt_t *
wp_sdp_find_pt(wp_sdp_m_t *m, int pt)
{
    int  i;

    for (i = 0; i < m->npt; i++) {
        if (m->pt[i].pt == pt) {
            return &m->pt[i];
        }
    }

    return NULL;
}


/* an ICE or DTLS attribute of m, falling back to the session level */
const char *
wp_sdp_attr(const wp_sdp_t *s, const wp_sdp_m_t *m, const char *which)
{
    const char  *mv, *sv;

    if (strcmp(which, "ufrag") == 0) {
        mv = m->ufrag;
        sv = s->ufrag;

    } else if (strcmp(which, "pwd") == 0) {
        mv = m->pwd;
        sv = s->pwd;

    } else if (strcmp(which, "fp_alg") == 0) {
        mv = m->fp_alg;
        sv = s->fp_alg;

    } else if (strcmp(which, "fp") == 0) {
        mv = m->fp;
        sv = s->fp;

    } else {
        mv = m->setup;
        sv = s->setup;
    }

    return mv[0] ? mv : sv;
}


char *
wp_sdp_write(const wp_sdp_t *s)
{
    int                i, k, level;
    GString           *o;
    const wp_sdp_m_t  *m;
    const wp_sdp_pt_t *p;

    o = g_string_new(NULL);
    g_string_append_printf(o, "v=0\r\n"
                              "o=- %u 2 IN IP4 127.0.0.1\r\n"
                              "s=-\r\n"
                              "t=0 0\r\n",
                           g_random_int() >> 1);

    g_string_append(o, "a=group:BUNDLE");
    for (i = 0; i < s->nm; i++) {
        if (s->m[i].port != 0) {
            g_string_append_printf(o, " %s", s->m[i].mid);
        }
    }

    g_string_append(o, "\r\na=msid-semantic: WMS wr-peer\r\n");

    for (i = 0; i < s->nm; i++) {
        m = &s->m[i];

        g_string_append_printf(o, "m=%s %d %s", m->kind, m->port, m->proto);
        for (k = 0; k < m->npt; k++) {
            g_string_append_printf(o, " %d", m->pt[k].pt);
        }

        g_string_append(o, "\r\nc=IN IP4 0.0.0.0\r\n");

        if (m->port == 0) {
            /* rejected: keeps its place and mid, nothing else */
            g_string_append_printf(o, "a=mid:%s\r\na=inactive\r\n", m->mid);
            continue;
        }

        g_string_append_printf(o, "a=ice-ufrag:%s\r\n"
                                  "a=ice-pwd:%s\r\n"
                                  "a=fingerprint:%s %s\r\n"
                                  "a=setup:%s\r\n"
                                  "a=mid:%s\r\n",
                               m->ufrag, m->pwd, m->fp_alg, m->fp, m->setup,
                               m->mid);

        if (m->mid_ext) {
            g_string_append_printf(o, "a=extmap:%d " WP_MID_URI "\r\n",
                                   m->mid_ext);
        }

        /* like a browser, audio we send offers its level (RFC 6464);
         * our answers only receive, and accept no extension not offered */
        level = m->level_ext;
        if (level == 0 && m->mid_ext && strcmp(m->kind, "audio") == 0
            && (strcmp(m->dir, "sendrecv") == 0
                || strcmp(m->dir, "sendonly") == 0))
        {
            level = WP_LEVEL_EXT;
        }

        if (level) {
            g_string_append_printf(o, "a=extmap:%d " WP_LEVEL_URI "\r\n",
                                   level);
        }

        g_string_append_printf(o, "a=%s\r\na=rtcp-mux\r\n", m->dir);

        for (k = 0; k < m->npt; k++) {
            p = &m->pt[k];
            g_string_append_printf(o, "a=rtpmap:%d %s/%d", p->pt, p->codec,
                                   p->rate);
            if (p->channels) {
                g_string_append_printf(o, "/%d", p->channels);
            }

            g_string_append(o, "\r\n");

            if (p->nack) {
                g_string_append_printf(o, "a=rtcp-fb:%d nack\r\n", p->pt);
            }

            if (p->pli) {
                g_string_append_printf(o, "a=rtcp-fb:%d nack pli\r\n", p->pt);
            }

            if (p->fir) {
                g_string_append_printf(o, "a=rtcp-fb:%d ccm fir\r\n", p->pt);
            }

            if (p->fmtp[0]) {
                g_string_append_printf(o, "a=fmtp:%d %s\r\n", p->pt, p->fmtp);
            }
        }

        if (m->fid && m->nssrc >= 2) {
            /* RFC 4588: the retransmission SSRC of the first */
            g_string_append_printf(o, "a=ssrc-group:FID %u %u\r\n",
                                   m->ssrc[0], m->ssrc[1]);
        }

        for (k = 0; k < m->nssrc; k++) {
            g_string_append_printf(o, "a=ssrc:%u cname:%s\r\n"
                                      "a=ssrc:%u msid:wr-peer %s\r\n",
                                   m->ssrc[k], m->cname, m->ssrc[k],
                                   m->kind);
        }

        for (k = 0; k < m->ncand; k++) {
            g_string_append_printf(o, "a=%s\r\n", m->cand[k]);
        }

        g_string_append(o, "a=end-of-candidates\r\n");
    }

    return g_string_free(o, FALSE);
}
