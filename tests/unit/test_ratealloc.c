/* test_ratealloc.c -- two-pass encoding: reading first-pass records and
 * sharing a bitrate among segments (include/vtp_ratealloc.h). */
#include <math.h>
#include <string.h>

#include "suites.h"
#include "vtp_error.h"
#include "vtp_ratealloc.h"

START_TEST(test_cost_parse)
{
    /* x264's and x265's records: option lines, then one line a frame. */
    static const char x264[] =
        "#options: 320x240 fps=25/1 rc=crf mbtree=1 crf=23.0\n"
        "in:0 out:0 type:I dur:2 cpbdur:2 q:28.40 aq:14.70 tex:30291 mv:3026 misc:5843 imb:300 "
        "pmb:0 smb:0 d:- ref:;\n"
        "in:4 out:1 type:P dur:2 cpbdur:2 q:28.40 aq:19.05 tex:18972 mv:972 misc:232 imb:38 "
        "pmb:82 smb:180 d:- ref:0 ;\n";
    static const char x265[] =
        "#options: ...\n"
        "in:0 out:0 type:I q:33.40 q-aq:28.64 q-noVbv:33.40 q-Rceq:1.00 tex:26407 mv:3691 "
        "misc:367 icu:300.00 pcu:0.00 scu:0.00 sc:0 ;\n";
    vtp_pass_cost c = {.seconds = 7};
    ck_assert_int_eq(vtp_pass_cost_parse((const uint8_t *)x264, strlen(x264), &c), 0);
    ck_assert_double_eq(c.tex, 30291 + 18972);
    ck_assert_double_eq(c.mv, 3026 + 972);
    ck_assert_double_eq(c.misc, 5843 + 232);
    ck_assert_double_eq(c.seconds, 7);
    ck_assert_int_eq(vtp_pass_cost_parse((const uint8_t *)x265, strlen(x265), &c), 0);
    ck_assert_double_eq(c.tex, 26407);
    /* "mv" is not the end of "q-noVbv", nor "misc" anything else. */
    ck_assert_double_eq(c.mv, 3691);
    ck_assert_double_eq(c.misc, 367);
    /* No frame lines, or lines without the counts: nothing to go on. */
    static const char none[] = "#options: x\nin:0 out:0 type:I q:20 ;\n";
    ck_assert_int_eq(vtp_pass_cost_parse((const uint8_t *)none, strlen(none), &c), VTP_ERR_PROTO);
    ck_assert_int_eq(vtp_pass_cost_parse(NULL, 0, &c), VTP_ERR_PROTO);
    /* A record cut off before a frame's counts leaves that frame out. */
    const char *cut = strstr(x264, "tex:18972");
    ck_assert_int_eq(vtp_pass_cost_parse((const uint8_t *)x264, (size_t)(cut - x264) + 7, &c), 0);
    ck_assert_double_eq(c.tex, 30291);
}
END_TEST

START_TEST(test_ratealloc_shares)
{
    /* A static stretch and a busy one, 10 s each, first pass 0.1 and 4
     * Mbit in all, and 5 s more of the busy one. */
    vtp_pass_cost c[3] = {
        {.tex = 60e3, .mv = 20e3, .misc = 20e3, .seconds = 10},
        {.tex = 3000e3, .mv = 800e3, .misc = 200e3, .seconds = 10},
        {.tex = 1500e3, .mv = 400e3, .misc = 100e3, .seconds = 5},
    };
    double bits[3];
    ck_assert_int_eq(vtp_ratealloc(c, 3, 400e3, bits), 0);
    /* The budget exactly: 400 kbit/s over 25 s. */
    ck_assert_double_eq_tol(bits[0] + bits[1] + bits[2], 400e3 * 25, 1e-3);
    /* Busy segments get many times the static one's bits; equal content
     * gets equal bits per second. */
    ck_assert(bits[1] > 20 * bits[0]);
    ck_assert_double_eq_tol(bits[1], 2 * bits[2], 1e-6 * bits[1]);
    /* The prediction holds at the factor found: the static segment's bits
     * follow the same quantizer change as the busy one's. */
    double r = 0, lo = 0, hi = 100;
    for (int i = 0; i < 200; i++) {
        r = (lo + hi) / 2;
        double b = 3000e3 * pow(r, 1.1) + 800e3 * pow(r, 0.5) + 200e3;
        (b < bits[1] ? (lo = r) : (hi = r));
    }
    ck_assert_double_eq_tol(bits[0], 60e3 * pow(r, 1.1) + 20e3 * pow(r, 0.5) + 20e3,
                            1e-6 * bits[0]);

    /* Exactly what the first pass spent: every segment as it was. */
    double first = 0;
    for (int i = 0; i < 3; i++)
        first += c[i].tex + c[i].mv + c[i].misc;
    ck_assert_int_eq(vtp_ratealloc(c, 3, first / 25, bits), 0);
    ck_assert_double_eq_tol(bits[0], 100e3, 1);
    ck_assert_double_eq_tol(bits[1], 4000e3, 1);
    ck_assert_double_eq_tol(bits[2], 2000e3, 1);

    /* Far more than any quantizer can spend still sums to the budget. */
    ck_assert_int_eq(vtp_ratealloc(c, 3, 1e15, bits), 0);
    ck_assert_double_eq_tol((bits[0] + bits[1] + bits[2]) / (1e15 * 25), 1, 1e-9);

    /* Nothing to share. */
    ck_assert_int_eq(vtp_ratealloc(c, 0, 400e3, bits), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_ratealloc(c, 3, 0, bits), VTP_ERR_USAGE);
    vtp_pass_cost empty = {.seconds = 1};
    ck_assert_int_eq(vtp_ratealloc(&empty, 1, 400e3, bits), VTP_ERR_USAGE);
}
END_TEST

Suite *ratealloc_suite(void)
{
    Suite *s = suite_create("ratealloc");
    TCase *tc = tcase_create("ratealloc");
    tcase_add_test(tc, test_cost_parse);
    tcase_add_test(tc, test_ratealloc_shares);
    suite_add_tcase(s, tc);
    return s;
}
