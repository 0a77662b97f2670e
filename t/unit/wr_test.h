/*
 * A tiny TAP producer for the C unit tests of the nginx-free protocol code.
 * Each test binary prints TAP, so `prove` runs them beside the *.t files.
 */

#ifndef WR_TEST_H
#define WR_TEST_H

#include <stdio.h>
#include <string.h>
#include <stdlib.h>


static int  wr_test_n;
static int  wr_test_failed;


#define WR_OK(cond, ...)                                                      \
    wr_test_ok((cond) ? 1 : 0, __FILE__, __LINE__, #cond, __VA_ARGS__)

#define WR_EQ_INT(got, want, name)                                            \
    do {                                                                      \
        long long  g_ = (long long) (got), w_ = (long long) (want);          \
        if (!wr_test_ok(g_ == w_, __FILE__, __LINE__, #got " == " #want,      \
                        "%s", name))                                          \
        {                                                                     \
            printf("#   got: %lld\n#   expected: %lld\n", g_, w_);           \
        }                                                                     \
    } while (0)

#define WR_EQ_MEM(got, want, len, name)                                       \
    WR_OK(memcmp((got), (want), (len)) == 0, "%s", name)

#define WR_EQ_STR(got, want, name)                                            \
    do {                                                                      \
        const char  *g_ = (got), *w_ = (want);                                \
        if (!wr_test_ok(g_ != NULL && strcmp(g_, w_) == 0, __FILE__,          \
                        __LINE__, #got " eq " #want, "%s", name))             \
        {                                                                     \
            printf("#   got: '%s'\n#   expected: '%s'\n",                     \
                   g_ ? g_ : "(null)", w_);                                   \
        }                                                                     \
    } while (0)


static int
wr_test_ok(int pass, const char *file, int line, const char *expr,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#include <stdarg.h>

static int
wr_test_ok(int pass, const char *file, int line, const char *expr,
    const char *fmt, ...)
{
    va_list  ap;

    wr_test_n++;

    printf("%s %d - ", pass ? "ok" : "not ok", wr_test_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");

    if (!pass) {
        wr_test_failed++;
        printf("#   failed at %s:%d: %s\n", file, line, expr);
    }

    return pass;
}


static int
wr_test_done(void)
{
    printf("1..%d\n", wr_test_n);
    return wr_test_failed ? 1 : 0;
}


#endif /* WR_TEST_H */
