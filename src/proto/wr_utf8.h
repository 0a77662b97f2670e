/*
 * Incremental UTF-8 validator (RFC 3629).
 *
 * A tiny state machine that can be fed a text in arbitrary pieces, so a
 * WebSocket text message split across frames (or across reads) is checked
 * as it arrives and rejected at the first bad byte.  It rejects overlong
 * forms, UTF-16 surrogates (U+D800..U+DFFF), code points above U+10FFFF and
 * stray or missing continuation bytes.  Byte sequences are classified by
 * their lead byte and the allowed range of the first continuation byte, so
 * no code point is ever assembled.
 *
 *     wr_utf8_t  u;
 *
 *     wr_utf8_init(&u);
 *     if (wr_utf8_feed(&u, p1, n1) != WR_UTF8_OK) -> invalid
 *     if (wr_utf8_feed(&u, p2, n2) != WR_UTF8_OK) -> invalid
 *     if (!wr_utf8_complete(&u))                  -> text ends mid-character
 */

#ifndef WR_UTF8_H
#define WR_UTF8_H

#include <stddef.h>
#include <stdint.h>


#define WR_UTF8_OK        0
#define WR_UTF8_INVALID  -1


typedef struct {
    uint8_t  need;      /* continuation bytes still expected; 0xff: failed */
    uint8_t  lo;        /* allowed range of the next continuation byte */
    uint8_t  hi;
} wr_utf8_t;


void wr_utf8_init(wr_utf8_t *u);

/*
 * Checks the next piece.  Once a piece fails, the state stays failed and
 * every later call fails too.
 */
int wr_utf8_feed(wr_utf8_t *u, const uint8_t *p, size_t len);

/* True if everything fed so far is valid and ends on a character boundary. */
int wr_utf8_complete(const wr_utf8_t *u);

/* One-shot check of a whole buffer: 1 if valid UTF-8, else 0. */
int wr_utf8_valid(const uint8_t *p, size_t len);


#endif /* WR_UTF8_H */
