/* test_bench.c -- the Bjontegaard delta rate of `vtpool bench --quality
 * plan` (include/vtp_bench.h), on curves whose answer is known. */
#include <math.h>

#include "suites.h"
#include "vtp_bench.h"

START_TEST(test_bd_rate)
{
    const double rate[4] = {1000, 2000, 4000, 8000};
    const double psnr[4] = {32, 35, 38, 41};
    double more[4], shifted[4];
    for (int i = 0; i < 4; i++)
        more[i] = rate[i] * 1.1;
    /* The same curve: 0. */
    ck_assert_double_eq_tol(vtp_bd_rate(rate, psnr, rate, psnr), 0, 1e-9);
    /* 10% more bits for the same quality everywhere: +10%. */
    ck_assert_double_eq_tol(vtp_bd_rate(rate, psnr, more, psnr), 10, 1e-9);
    ck_assert_double_eq_tol(vtp_bd_rate(more, psnr, rate, psnr), 100 / 1.1 - 100, 1e-9);
    /* The same bits for 3 dB more (one step of the doubling): on this
     * straight line, half the rate. */
    for (int i = 0; i < 4; i++)
        shifted[i] = psnr[i] + 3;
    ck_assert_double_eq_tol(vtp_bd_rate(rate, psnr, rate, shifted), -50, 1e-6);
    /* No overlap, or a bad rate: no answer. */
    for (int i = 0; i < 4; i++)
        shifted[i] = psnr[i] + 20;
    ck_assert(isnan(vtp_bd_rate(rate, psnr, rate, shifted)));
    more[2] = 0;
    ck_assert(isnan(vtp_bd_rate(rate, psnr, more, psnr)));
}
END_TEST

Suite *bench_suite(void)
{
    Suite *s = suite_create("bench");
    TCase *tc = tcase_create("bd_rate");
    tcase_add_test(tc, test_bd_rate);
    suite_add_tcase(s, tc);
    return s;
}
