/*
 * Tests for the incremental UTF-8 validator: hand-written cases in the
 * spirit of Markus Kuhn's stress test, every split of them, and exhaustive
 * comparisons against a plain decoder written differently.
 */

#include <stdint.h>

#include "wr_test.h"
#include "wr_utf8.h"


typedef struct {
    const char  *name;
    const char  *bytes;
    size_t       len;
    int          valid;
} utf8_case_t;


/* sizeof, not strlen, so a case may hold a NUL */
#define C(name, bytes, valid)  { name, bytes, sizeof(bytes) - 1, valid }


static const utf8_case_t  cases[] = {

    /* 1: correct text */
    C("empty", "", 1),
    C("ASCII", "Hello, world", 1),
    C("Greek kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 1),
    C("CJK", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 1),
    C("emoji", "\xf0\x9f\x98\x80", 1),
    C("NUL is a character", "a\0b", 1),

    /* 2.1: first code point of each length */
    C("U+0080", "\xc2\x80", 1),
    C("U+0800", "\xe0\xa0\x80", 1),
    C("U+10000", "\xf0\x90\x80\x80", 1),

    /* 2.2: last code point of each length */
    C("U+007F", "\x7f", 1),
    C("U+07FF", "\xdf\xbf", 1),
    C("U+FFFF", "\xef\xbf\xbf", 1),
    C("U+10FFFF", "\xf4\x8f\xbf\xbf", 1),

    /* 2.3: other boundaries */
    C("U+D7FF", "\xed\x9f\xbf", 1),
    C("U+E000", "\xee\x80\x80", 1),
    C("U+FFFD", "\xef\xbf\xbd", 1),
    C("U+FFFE (noncharacter, still UTF-8)", "\xef\xbf\xbe", 1),
    C("U+1FFFF", "\xf0\x9f\xbf\xbf", 1),
    C("U+100000", "\xf4\x80\x80\x80", 1),

    /* beyond Unicode */
    C("U+110000", "\xf4\x90\x80\x80", 0),
    C("U+13FFFF", "\xf4\xbf\xbf\xbf", 0),
    C("F5 lead", "\xf5\x80\x80\x80", 0),
    C("F7 lead (U+1FFFFF)", "\xf7\xbf\xbf\xbf", 0),
    C("old 5-byte form", "\xf8\x88\x80\x80\x80", 0),
    C("old 6-byte form", "\xfc\x84\x80\x80\x80\x80", 0),
    C("old 6-byte U+7FFFFFFF", "\xfd\xbf\xbf\xbf\xbf\xbf", 0),

    /* 3.1: unexpected continuation bytes */
    C("first continuation 80", "\x80", 0),
    C("last continuation BF", "\xbf", 0),
    C("two continuations", "\x80\xbf", 0),
    C("three continuations", "\x80\xbf\x80", 0),
    C("continuation after ASCII", "a\x80", 0),
    C("continuation after complete 2-byte", "\xc2\x80\x80", 0),
    C("continuation after complete 4-byte", "\xf0\x90\x80\x80\x80", 0),

    /* 3.2: lead bytes followed by a space */
    C("2-byte lead then space", "\xc2 ", 0),
    C("3-byte lead then space", "\xe1 ", 0),
    C("4-byte lead then space", "\xf1 ", 0),
    C("3-byte lead, one continuation, space", "\xe1\x80 ", 0),

    /* 3.3: sequences with the last byte missing */
    C("2-byte missing last", "\xc2", 0),
    C("3-byte missing last", "\xe1\x80", 0),
    C("4-byte missing last", "\xf1\x80\x80", 0),
    C("U+07FF missing last", "\xdf", 0),
    C("U+FFFF missing last", "\xef\xbf", 0),
    C("U+10FFFF missing last", "\xf4\x8f\xbf", 0),

    /* 3.4: the above concatenated */
    C("truncated sequences in a row", "\xc2\xe1\x80\xf1\x80\x80", 0),

    /* 3.5: impossible bytes */
    C("FE", "\xfe", 0),
    C("FF", "\xff", 0),
    C("FE FE FF FF", "\xfe\xfe\xff\xff", 0),

    /* 4.1: overlong ASCII '/' */
    C("overlong / 2 bytes", "\xc0\xaf", 0),
    C("overlong / 3 bytes", "\xe0\x80\xaf", 0),
    C("overlong / 4 bytes", "\xf0\x80\x80\xaf", 0),

    /* 4.2: largest overlong of each length */
    C("overlong U+007F", "\xc1\xbf", 0),
    C("overlong U+07FF", "\xe0\x9f\xbf", 0),
    C("overlong U+FFFF", "\xf0\x8f\xbf\xbf", 0),

    /* 4.3: overlong NUL */
    C("overlong NUL 2 bytes", "\xc0\x80", 0),
    C("overlong NUL 3 bytes", "\xe0\x80\x80", 0),
    C("overlong NUL 4 bytes", "\xf0\x80\x80\x80", 0),

    /* 5.1: single surrogates */
    C("U+D800", "\xed\xa0\x80", 0),
    C("U+DB7F", "\xed\xad\xbf", 0),
    C("U+DB80", "\xed\xae\x80", 0),
    C("U+DBFF", "\xed\xaf\xbf", 0),
    C("U+DC00", "\xed\xb0\x80", 0),
    C("U+DF80", "\xed\xbe\x80", 0),
    C("U+DFFF", "\xed\xbf\xbf", 0),

    /* 5.2: paired surrogates (CESU-8) */
    C("U+D800 U+DC00", "\xed\xa0\x80\xed\xb0\x80", 0),
    C("U+DBFF U+DFFF", "\xed\xaf\xbf\xed\xbf\xbf", 0),

    /* valid text, then a surrogate in the middle */
    C("kosme then bad", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
                        "\xed\xa0\x80" "edited", 0),
    C("lead byte then lead byte", "\xc2\xc2\x80", 0),
};


/*
 * Reference: decode each code point and check its range and its shortest
 * form.  Slow and obvious, unlike the state machine under test.
 */

static int
ref_valid(const uint8_t *s, size_t n)
{
    size_t    i, j, k;
    uint32_t  cp, min;

    i = 0;

    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }

        if ((s[i] & 0xe0) == 0xc0) {
            k = 1; cp = s[i] & 0x1f; min = 0x80;

        } else if ((s[i] & 0xf0) == 0xe0) {
            k = 2; cp = s[i] & 0x0f; min = 0x800;

        } else if ((s[i] & 0xf8) == 0xf0) {
            k = 3; cp = s[i] & 0x07; min = 0x10000;

        } else {
            return 0;
        }

        if (n - i - 1 < k) {
            return 0;
        }

        for (j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) {
                return 0;
            }

            cp = (cp << 6) | (s[i + j] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }

        i += k + 1;
    }

    return 1;
}


static void
test_cases(void)
{
    size_t          i, len, split, k;
    int             ok, all_splits, bytewise;
    wr_utf8_t       u;
    const uint8_t  *b;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b = (const uint8_t *) cases[i].bytes;
        len = cases[i].len;

        WR_EQ_INT(wr_utf8_valid(b, len), cases[i].valid, cases[i].name);
        WR_EQ_INT(ref_valid(b, len), cases[i].valid, "reference agrees");

        /* the same verdict for every split into two pieces */
        all_splits = 1;

        for (split = 0; split <= len; split++) {
            wr_utf8_init(&u);
            ok = wr_utf8_feed(&u, b, split) == WR_UTF8_OK
                 && wr_utf8_feed(&u, b + split, len - split) == WR_UTF8_OK
                 && wr_utf8_complete(&u);

            if (ok != cases[i].valid) {
                all_splits = 0;
            }
        }

        WR_OK(all_splits, "%s: same verdict at every split", cases[i].name);

        wr_utf8_init(&u);
        ok = 1;

        for (k = 0; k < len; k++) {
            if (wr_utf8_feed(&u, b + k, 1) != WR_UTF8_OK) {
                ok = 0;
            }
        }

        bytewise = ok && wr_utf8_complete(&u);

        WR_EQ_INT(bytewise, cases[i].valid, "byte by byte");
    }
}


static void
test_fail_fast(void)
{
    wr_utf8_t  u;

    /* the second byte already rules these out: no waiting for the third */
    wr_utf8_init(&u);
    WR_EQ_INT(wr_utf8_feed(&u, (const uint8_t *) "\xed\xa0", 2),
              WR_UTF8_INVALID, "surrogate rejected at its second byte");

    wr_utf8_init(&u);
    WR_EQ_INT(wr_utf8_feed(&u, (const uint8_t *) "\xf4\x90", 2),
              WR_UTF8_INVALID, "> U+10FFFF rejected at its second byte");

    wr_utf8_init(&u);
    WR_EQ_INT(wr_utf8_feed(&u, (const uint8_t *) "\xe0\x9f", 2),
              WR_UTF8_INVALID, "overlong rejected at its second byte");

    wr_utf8_init(&u);
    WR_EQ_INT(wr_utf8_feed(&u, (const uint8_t *) "\xc0", 1),
              WR_UTF8_INVALID, "C0 rejected at once");

    /* a valid prefix is fine, only incomplete */
    wr_utf8_init(&u);
    WR_EQ_INT(wr_utf8_feed(&u, (const uint8_t *) "\xf0\x9f\x98", 3),
              WR_UTF8_OK, "valid prefix of an emoji accepted");
    WR_EQ_INT(wr_utf8_complete(&u), 0, "but not complete");
    WR_EQ_INT(wr_utf8_feed(&u, (const uint8_t *) "\x80", 1), WR_UTF8_OK,
              "last byte accepted");
    WR_EQ_INT(wr_utf8_complete(&u), 1, "now complete");

    /* failure is sticky */
    wr_utf8_init(&u);
    WR_EQ_INT(wr_utf8_feed(&u, (const uint8_t *) "\xff", 1),
              WR_UTF8_INVALID, "FF rejected");
    WR_EQ_INT(wr_utf8_feed(&u, (const uint8_t *) "abc", 3),
              WR_UTF8_INVALID, "valid bytes after a failure still fail");
    WR_EQ_INT(wr_utf8_complete(&u), 0, "failed state is not complete");
    WR_EQ_INT(wr_utf8_feed(&u, NULL, 0), WR_UTF8_INVALID,
              "empty piece after a failure still fails");

    wr_utf8_init(&u);
    WR_EQ_INT(wr_utf8_feed(&u, NULL, 0), WR_UTF8_OK, "empty piece is fine");
    WR_EQ_INT(wr_utf8_valid(NULL, 0), 1, "empty text is valid");
}


/* Every sequence of up to 3 bytes, against the reference. */

static void
test_exhaustive_short(void)
{
    uint8_t   s[3];
    uint32_t  v, bad, count;

    bad = 0;
    count = 0;

    for (v = 0; v < 0x100; v++) {
        s[0] = (uint8_t) v;
        bad += wr_utf8_valid(s, 1) != ref_valid(s, 1);
        count += wr_utf8_valid(s, 1);
    }

    WR_EQ_INT(bad, 0, "all 1-byte sequences agree with the reference");
    WR_EQ_INT(count, 128, "exactly the 128 ASCII bytes are valid alone");

    bad = 0;
    count = 0;

    for (v = 0; v < 0x10000; v++) {
        s[0] = (uint8_t) (v >> 8);
        s[1] = (uint8_t) v;
        bad += wr_utf8_valid(s, 2) != ref_valid(s, 2);
        count += wr_utf8_valid(s, 2);
    }

    WR_EQ_INT(bad, 0, "all 2-byte sequences agree with the reference");

    /* ASCII pairs, plus U+0080..U+07FF */
    WR_EQ_INT(count, 128 * 128 + 0x780, "count of valid 2-byte sequences");

    bad = 0;

    for (v = 0; v < 0x1000000; v++) {
        s[0] = (uint8_t) (v >> 16);
        s[1] = (uint8_t) (v >> 8);
        s[2] = (uint8_t) v;
        bad += wr_utf8_valid(s, 3) != ref_valid(s, 3);
    }

    WR_EQ_INT(bad, 0, "all 3-byte sequences agree with the reference");
}


/* 4-byte sequences: every first and second byte, telling others after. */

static void
test_exhaustive_four(void)
{
    uint8_t         s[4];
    uint32_t        v, i, j, bad, count;
    static const uint8_t  tail[] = { 0x00, 0x7f, 0x80, 0x8f, 0x90, 0xbf, 0xc0,
                                     0xf4 };

    bad = 0;
    count = 0;

    for (v = 0; v < 0x10000; v++) {
        s[0] = (uint8_t) (v >> 8);
        s[1] = (uint8_t) v;

        for (i = 0; i < sizeof(tail); i++) {
            for (j = 0; j < sizeof(tail); j++) {
                s[2] = tail[i];
                s[3] = tail[j];
                bad += wr_utf8_valid(s, 4) != ref_valid(s, 4);
                count++;
            }
        }
    }

    WR_EQ_INT(bad, 0, "sampled 4-byte sequences agree with the reference");
    WR_EQ_INT(count, 0x10000 * 64, "all samples were tried");
}


/*
 * Fail fast: a piece is rejected exactly when no continuation could make
 * it valid.  Checked for every 1- and 2-byte prefix.
 */

static int
ref_extendable(const uint8_t *s, size_t n)
{
    uint8_t   t[6];
    uint32_t  b;

    memcpy(t, s, n);

    if (ref_valid(t, n)) {
        return 1;
    }

    for (b = 0x80; b <= 0xbf; b++) {
        t[n] = (uint8_t) b;
        t[n + 1] = 0x80;
        t[n + 2] = 0x80;

        if (ref_valid(t, n + 1) || ref_valid(t, n + 2)
            || ref_valid(t, n + 3))
        {
            return 1;
        }
    }

    return 0;
}


static void
test_fail_fast_exhaustive(void)
{
    uint8_t    s[2];
    uint32_t   v, bad;
    wr_utf8_t  u;

    bad = 0;

    for (v = 0; v < 0x10100; v++) {
        wr_utf8_init(&u);

        if (v < 0x100) {
            s[0] = (uint8_t) v;
            bad += (wr_utf8_feed(&u, s, 1) == WR_UTF8_OK)
                   != ref_extendable(s, 1);

        } else {
            s[0] = (uint8_t) ((v - 0x100) >> 8);
            s[1] = (uint8_t) (v - 0x100);
            bad += (wr_utf8_feed(&u, s, 2) == WR_UTF8_OK)
                   != ref_extendable(s, 2);
        }
    }

    WR_EQ_INT(bad, 0, "rejects a prefix exactly when nothing can fix it");
}


int
main(void)
{
    test_cases();
    test_fail_fast();
    test_exhaustive_short();
    test_exhaustive_four();
    test_fail_fast_exhaustive();

    return wr_test_done();
}
