/*
 * Incremental UTF-8 validator; see wr_utf8.h.
 */

#include "wr_utf8.h"


#define WR_UTF8_FAILED  0xff


void
wr_utf8_init(wr_utf8_t *u)
{
    u->need = 0;
    u->lo = 0x80;
    u->hi = 0xbf;
}


int
wr_utf8_feed(wr_utf8_t *u, const uint8_t *p, size_t len)
{
    uint8_t        c, need, lo, hi;
    const uint8_t  *end;

    need = u->need;
    lo = u->lo;
    hi = u->hi;

    if (need == WR_UTF8_FAILED) {
        return WR_UTF8_INVALID;
    }

    if (len == 0) {
        return WR_UTF8_OK;      /* p may be NULL: no arithmetic on it */
    }

    for (end = p + len; p < end; p++) {
        c = *p;

        if (need) {
            if (c < lo || c > hi) {
                goto failed;
            }

            /* only the first continuation byte has a narrowed range */
            need--;
            lo = 0x80;
            hi = 0xbf;
            continue;
        }

        if (c < 0x80) {
            continue;
        }

        /*
         * C0 and C1 could only start overlong 2-byte forms; F5..FF would
         * start code points above U+10FFFF; 80..BF are stray continuations.
         */

        if (c < 0xc2) {
            goto failed;
        }

        if (c < 0xe0) {
            need = 1;
            continue;
        }

        if (c < 0xf0) {
            need = 2;

            if (c == 0xe0) {
                lo = 0xa0;          /* below: overlong 3-byte forms */

            } else if (c == 0xed) {
                hi = 0x9f;          /* above: surrogates U+D800..U+DFFF */
            }

            continue;
        }

        if (c < 0xf5) {
            need = 3;

            if (c == 0xf0) {
                lo = 0x90;          /* below: overlong 4-byte forms */

            } else if (c == 0xf4) {
                hi = 0x8f;          /* above: beyond U+10FFFF */
            }

            continue;
        }

        goto failed;
    }

    u->need = need;
    u->lo = lo;
    u->hi = hi;

    return WR_UTF8_OK;

failed:

    u->need = WR_UTF8_FAILED;

    return WR_UTF8_INVALID;
}


int
wr_utf8_complete(const wr_utf8_t *u)
{
    return u->need == 0;
}


int
wr_utf8_valid(const uint8_t *p, size_t len)
{
    wr_utf8_t  u;

    wr_utf8_init(&u);

    return wr_utf8_feed(&u, p, len) == WR_UTF8_OK && wr_utf8_complete(&u);
}
