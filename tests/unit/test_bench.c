/* test_bench.c -- the Bjontegaard delta rate of `vtpool bench --quality
 * plan` and the replay of `vtpool bench --simulate` (include/vtp_bench.h),
 * on cases whose answer is known. */
#include <math.h>
#include <stdlib.h>

#include "suites.h"
#include "vtp_bench.h"
#include "vtp_error.h"

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

START_TEST(test_sim_schedule)
{
    vtp_sim_result r;
    /* 4 equal segments on 2 slots: two rounds, no slot idle. */
    const double equal[4] = {1, 1, 1, 1};
    ck_assert_int_eq(vtp_sim_schedule(equal, 4, 2, &r), 0);
    ck_assert_int_eq(r.segments, 4);
    ck_assert_double_eq_tol(r.wall, 2, 1e-12);
    ck_assert_double_eq_tol(r.busy, 4, 1e-12);
    ck_assert_double_eq_tol(r.efficiency, 1, 1e-12);
    ck_assert_double_eq_tol(r.tail, 0, 1e-12);
    /* A long segment last: its slot runs 1 + 3 while the other idles
     * from 2 on. */
    const double long_last[4] = {1, 1, 1, 3};
    ck_assert_int_eq(vtp_sim_schedule(long_last, 4, 2, &r), 0);
    ck_assert_double_eq_tol(r.wall, 4, 1e-12);
    ck_assert_double_eq_tol(r.efficiency, 6.0 / 8, 1e-12);
    ck_assert_double_eq_tol(r.tail, 2, 1e-12);
    /* The same segments, the long one first: they finish together. */
    const double long_first[4] = {3, 1, 1, 1};
    ck_assert_int_eq(vtp_sim_schedule(long_first, 4, 2, &r), 0);
    ck_assert_double_eq_tol(r.wall, 3, 1e-12);
    ck_assert_double_eq_tol(r.tail, 0, 1e-12);
    /* More slots than segments: the rest idle from the start. */
    const double three[3] = {2, 2, 2};
    ck_assert_int_eq(vtp_sim_schedule(three, 3, 8, &r), 0);
    ck_assert_double_eq_tol(r.wall, 2, 1e-12);
    ck_assert_double_eq_tol(r.efficiency, 6.0 / 16, 1e-12);
    ck_assert_double_eq_tol(r.tail, 2, 1e-12);
    ck_assert_int_eq(vtp_sim_schedule(three, 3, 0, &r), VTP_ERR_USAGE);
}
END_TEST

/* 30 s at 25 fps, x264's 250-frame keyframes, as the plan cuts it for 2
 * workers (README, "The plan"): at 10, 20 and 25 s. */
static const vtp_sim_segment readme[4] = {{250, 10}, {250, 20}, {125, 5}, {125, 5}};
static const vtp_sim_plan planned = {.target = 120 * 25, .min_len = 2 * 25, .grid = 250,
                                     .long_gop = 15 * 25, .spread = 1};

/* One packet a frame of `count`, in order, a keyframe every `every`. */
static vtp_sim_packet *packets_every(int every, int count)
{
    vtp_sim_packet *p = calloc((size_t)count, sizeof(*p));
    for (int f = 0; p && f < count; f++)
        p[f] = (vtp_sim_packet){f, f, f % every == 0};
    return p;
}

START_TEST(test_sim_replan)
{
    double *costs = NULL;
    vtp_sim_packet *pkts = packets_every(250, 750);
    ck_assert_ptr_nonnull(pkts);
    /* For the workers it was measured with, the plan cuts where it did:
     * at keyframes, then between them in the last round. */
    ck_assert_int_eq(vtp_sim_replan(readme, 4, pkts, 750, &planned, 2, &costs), 4);
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq_tol(costs[i], readme[i].cost, 1e-9);
    free(costs);
    /* One worker: one segment of it all. */
    ck_assert_int_eq(vtp_sim_replan(readme, 4, pkts, 750, &planned, 1, &costs), 1);
    ck_assert_double_eq_tol(costs[0], 40, 1e-9);
    free(costs);
    /* 16 workers: less than an interval each, so one round of equal
     * segments, none under 2 s: 15 of 50 frames, each costing its frames'
     * share of the segment measured there. */
    ck_assert_int_eq(vtp_sim_replan(readme, 4, pkts, 750, &planned, 16, &costs), 15);
    double sum = 0;
    for (int i = 0; i < 15; i++)
        sum += costs[i];
    ck_assert_double_eq_tol(costs[0], 10.0 * 50 / 250, 1e-9);
    ck_assert_double_eq_tol(costs[5], 20.0 * 50 / 250, 1e-9);
    ck_assert_double_eq_tol(costs[14], 5.0 * 50 / 125, 1e-9);
    ck_assert_double_eq_tol(sum, 40, 1e-9);
    free(costs);
    free(pkts);
    /* A keyframe every 50 frames: the last round takes one a little early
     * (at 100 frames for 125) rather than cut between keyframes. */
    pkts = packets_every(50, 750);
    ck_assert_int_eq(vtp_sim_replan(readme, 4, pkts, 750, &planned, 2, &costs), 5);
    ck_assert_double_eq_tol(costs[2], 5.0 * 100 / 125, 1e-9);
    ck_assert_double_eq_tol(costs[3], 5.0 * 25 / 125 + 5.0 * 75 / 125, 1e-9);
    ck_assert_double_eq_tol(costs[4], 5.0 * 50 / 125, 1e-9);
    free(costs);
    free(pkts);
    /* A new segment across a measured cut takes from both. */
    const vtp_sim_segment two[2] = {{100, 10}, {100, 30}};
    const vtp_sim_plan fixed = {.target = 150, .min_len = 10, .spread = 1};
    pkts = packets_every(1, 200);
    ck_assert_int_eq(vtp_sim_replan(two, 2, pkts, 200, &fixed, 1, &costs), 2);
    ck_assert_double_eq_tol(costs[0], 10 + 15, 1e-9);
    ck_assert_double_eq_tol(costs[1], 15, 1e-9);
    free(costs);
    free(pkts);
}
END_TEST

/* Only the first frame a keyframe, B-frames between P-frames (decode
 * order I0 P3 B1 B2 P6 B4 B5 ...): a cut between keyframes falls on the
 * first P-frame at the planned length (252 for 250), and once 15 s pass
 * without a keyframe the rest is decoded and cut at the planned lengths
 * from the open segment's start. */
START_TEST(test_sim_replan_reordered)
{
    const vtp_sim_segment whole = {750, 75};
    vtp_sim_packet pkts[750];
    int n = 0;
    pkts[n++] = (vtp_sim_packet){0, -2, 1};
    for (int p = 3; p < 750; p += 3) {
        pkts[n] = (vtp_sim_packet){p, n - 2, 0};
        n++;
        for (int b = p - 2; b < p; b++, n++)
            pkts[n] = (vtp_sim_packet){b, n - 2, 0};
    }
    for (int b = 748; b < 750; b++, n++)
        pkts[n] = (vtp_sim_packet){b, n - 2, 0};
    ck_assert_int_eq(n, 750);
    double *costs = NULL;
    ck_assert_int_eq(vtp_sim_replan(&whole, 1, pkts, n, &planned, 2, &costs), 3);
    ck_assert_double_eq_tol(costs[0], 25.2, 1e-9);
    ck_assert_double_eq_tol(costs[1], 24.9, 1e-9);
    ck_assert_double_eq_tol(costs[2], 24.9, 1e-9);
    free(costs);
}
END_TEST

START_TEST(test_simulate)
{
    vtp_sim_result r;
    vtp_sim_packet *pkts = packets_every(250, 750);
    ck_assert_ptr_nonnull(pkts);
    /* The README's plan on 2 slots: 10 then 5 and 5 against 20. */
    ck_assert_int_eq(vtp_simulate(readme, 4, pkts, 750, &planned, 2, &r), 0);
    ck_assert_int_eq(r.segments, 4);
    ck_assert_double_eq_tol(r.wall, 20, 1e-9);
    ck_assert_double_eq_tol(r.efficiency, 1, 1e-9);
    /* 64 slots for 15 segments: the slowest segment's time, most slots idle. */
    ck_assert_int_eq(vtp_simulate(readme, 4, pkts, 750, &planned, 64, &r), 0);
    ck_assert_int_eq(r.segments, 15);
    ck_assert_double_eq_tol(r.wall, 4, 1e-9);
    ck_assert_double_eq_tol(r.efficiency, 40.0 / (64 * 4), 1e-9);
    ck_assert_double_eq_tol(r.tail, 4, 1e-9);
    free(pkts);
}
END_TEST

Suite *bench_suite(void)
{
    Suite *s = suite_create("bench");
    TCase *tc = tcase_create("bd_rate");
    tcase_add_test(tc, test_bd_rate);
    suite_add_tcase(s, tc);
    tc = tcase_create("simulate");
    tcase_add_test(tc, test_sim_schedule);
    tcase_add_test(tc, test_sim_replan);
    tcase_add_test(tc, test_sim_replan_reordered);
    tcase_add_test(tc, test_simulate);
    suite_add_tcase(s, tc);
    return s;
}
