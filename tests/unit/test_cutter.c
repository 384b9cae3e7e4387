/* test_cutter.c -- where to cut, packet by packet (include/vtp_cutter.h). */
#include <stdint.h>

#include "suites.h"
#include "vtp_cutter.h"

#define NO_TS INT64_MIN

/* Feeds one packet; returns the place and stores the events. */
static int feed(vtp_cutter *c, int64_t ts, int key, int *ev)
{
    int e = -1;
    int place = vtp_cutter_feed(c, ts, key, &e);
    ck_assert_int_ne(e, -1);
    *ev = e;
    return place;
}

static void expect(vtp_cutter *c, int64_t ts, int key, int place, int events)
{
    int ev;
    int got = feed(c, ts, key, &ev);
    ck_assert_msg(got == place && ev == events,
                  "packet ts %lld key %d: place %d events %d, expected place %d events %d",
                  (long long)ts, key, got, ev, place, events);
}

START_TEST(test_cutter_first_packet_opens)
{
    vtp_cutter c;
    vtp_cutter_init(&c, 10, 0);
    expect(&c, 0, 1, VTP_CUT_OPEN, 0);
    /* A second keyframe at the same time never cuts. */
    expect(&c, 0, 1, VTP_CUT_OPEN, 0);
}
END_TEST

START_TEST(test_cutter_closed_gop_cuts_at_first_keyframe_after_target)
{
    vtp_cutter c;
    vtp_cutter_init(&c, 10, 0);
    /* Keyframes every 4, no reordering: the first keyframe >= 0 + 10 is 12. */
    for (int64_t ts = 0; ts < 12; ts++)
        expect(&c, ts, ts % 4 == 0, VTP_CUT_OPEN, 0);
    expect(&c, 12, 1, VTP_CUT_NEW, 0);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 12);
    /* The first packet after the cut completes the closing segment. */
    expect(&c, 13, 0, VTP_CUT_OPEN, VTP_CUT_EV_CLOSED);
    for (int64_t ts = 14; ts < 24; ts++)
        expect(&c, ts, ts % 4 == 0, VTP_CUT_OPEN, 0);
    /* The next segment is measured from the cut: 24 >= 12 + 10. */
    expect(&c, 24, 1, VTP_CUT_NEW, 0);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 24);
    expect(&c, 25, 0, VTP_CUT_OPEN, VTP_CUT_EV_CLOSED);
}
END_TEST

START_TEST(test_cutter_cut_at_exactly_target)
{
    vtp_cutter c;
    vtp_cutter_init(&c, 10, 0);
    expect(&c, 100, 1, VTP_CUT_OPEN, 0);
    expect(&c, 109, 1, VTP_CUT_OPEN, 0);
    expect(&c, 110, 1, VTP_CUT_NEW, 0);   /* "at least target after" */
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 110);
}
END_TEST

START_TEST(test_cutter_keyframes_closer_than_target_dont_cut)
{
    vtp_cutter c;
    vtp_cutter_init(&c, 1000, 0);
    for (int64_t ts = 0; ts < 1000; ts += 10)
        expect(&c, ts, 1, VTP_CUT_OPEN, 0);   /* every packet a keyframe */
    /* Non-keyframes never cut, however far. */
    for (int64_t ts = 1000; ts < 5000; ts += 10)
        expect(&c, ts, 0, VTP_CUT_OPEN, 0);
    expect(&c, 5000, 1, VTP_CUT_NEW, 0);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 5000);
}
END_TEST

START_TEST(test_cutter_open_gop_leading_pictures_go_to_closing)
{
    vtp_cutter c;
    vtp_cutter_init(&c, 10, 0);
    /* Decode order of an open-GOP stream with two B-frames:
     * I0 P3 B1 B2 P6 B4 B5 P9 B7 B8 | I12 B10 B11 P15 B13 B14 ... */
    static const int64_t gop1[] = {0, 3, 1, 2, 6, 4, 5, 9, 7, 8};
    for (int i = 0; i < 10; i++)
        expect(&c, gop1[i], i == 0, VTP_CUT_OPEN, 0);
    expect(&c, 12, 1, VTP_CUT_NEW, 0);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 12);
    expect(&c, 10, 0, VTP_CUT_CLOSING, 0);
    expect(&c, 11, 0, VTP_CUT_CLOSING, 0);
    expect(&c, 15, 0, VTP_CUT_OPEN, VTP_CUT_EV_CLOSED);
    /* Once closed, packets before the cut are no longer leading pictures
     * of anything: the closing segment is gone. */
    expect(&c, 13, 0, VTP_CUT_OPEN, 0);
    expect(&c, 14, 0, VTP_CUT_OPEN, 0);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 12);
}
END_TEST

START_TEST(test_cutter_packet_at_cut_closes)
{
    vtp_cutter c;
    vtp_cutter_init(&c, 10, 0);
    expect(&c, 0, 1, VTP_CUT_OPEN, 0);
    expect(&c, 10, 1, VTP_CUT_NEW, 0);
    expect(&c, 9, 0, VTP_CUT_CLOSING, 0);
    /* "at or after the cut": a packet exactly at the cut closes it. */
    expect(&c, 10, 0, VTP_CUT_OPEN, VTP_CUT_EV_CLOSED);
}
END_TEST

START_TEST(test_cutter_keyframe_right_after_cut)
{
    vtp_cutter c;
    vtp_cutter_init(&c, 10, 0);
    expect(&c, 0, 1, VTP_CUT_OPEN, 0);
    expect(&c, 10, 1, VTP_CUT_NEW, 0);
    /* The next packet is itself a keyframe far enough on: the closing
     * segment completes and a second cut happens at once. */
    expect(&c, 20, 1, VTP_CUT_NEW, VTP_CUT_EV_CLOSED);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 20);
    expect(&c, 30, 1, VTP_CUT_NEW, VTP_CUT_EV_CLOSED);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 30);
    /* Closer than target: closes, does not cut. */
    expect(&c, 31, 1, VTP_CUT_OPEN, VTP_CUT_EV_CLOSED);
    expect(&c, 40, 1, VTP_CUT_NEW, 0);

    /* With leading pictures between the two cuts. */
    vtp_cutter_init(&c, 10, 0);
    expect(&c, 0, 1, VTP_CUT_OPEN, 0);
    expect(&c, 10, 1, VTP_CUT_NEW, 0);
    expect(&c, 8, 0, VTP_CUT_CLOSING, 0);
    expect(&c, 9, 0, VTP_CUT_CLOSING, 0);
    expect(&c, 20, 1, VTP_CUT_NEW, VTP_CUT_EV_CLOSED);
    expect(&c, 19, 0, VTP_CUT_CLOSING, 0);
    expect(&c, 21, 0, VTP_CUT_OPEN, VTP_CUT_EV_CLOSED);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 20);
}
END_TEST

START_TEST(test_cutter_long_gop_fires_once)
{
    vtp_cutter c;
    int fired = 0;
    int64_t fired_at = -1;
    vtp_cutter_init(&c, 10, 30);
    expect(&c, 0, 1, VTP_CUT_OPEN, 0);
    for (int64_t ts = 1; ts <= 200; ts++) {
        int ev;
        ck_assert_int_eq(feed(&c, ts, 0, &ev), VTP_CUT_OPEN);
        ck_assert_int_eq(ev & ~VTP_CUT_EV_LONG_GOP, 0);
        if (ev & VTP_CUT_EV_LONG_GOP) {
            fired++;
            if (fired_at < 0)
                fired_at = ts;
        }
    }
    ck_assert_int_eq(fired, 1);
    /* It fires when the open segment passes 30 without a keyframe. */
    ck_assert_int_ge(fired_at, 30);
    ck_assert_int_le(fired_at, 31);
}
END_TEST

START_TEST(test_cutter_long_gop_measured_from_segment_start)
{
    vtp_cutter c;
    int64_t fired_at = -1;
    vtp_cutter_init(&c, 10, 30);
    expect(&c, 0, 1, VTP_CUT_OPEN, 0);
    for (int64_t ts = 1; ts < 20; ts++)
        expect(&c, ts, 0, VTP_CUT_OPEN, 0);
    expect(&c, 20, 1, VTP_CUT_NEW, 0);   /* the open segment starts at 20 */
    for (int64_t ts = 21; ts <= 100; ts++) {
        int ev;
        ck_assert_int_eq(feed(&c, ts, 0, &ev), VTP_CUT_OPEN);
        if ((ev & VTP_CUT_EV_LONG_GOP) && fired_at < 0)
            fired_at = ts;
    }
    ck_assert_int_ge(fired_at, 50);
    ck_assert_int_le(fired_at, 51);
}
END_TEST

START_TEST(test_cutter_long_gop_disabled)
{
    static const int64_t off[] = {0, -1, INT64_MIN};
    for (int k = 0; k < 3; k++) {
        vtp_cutter c;
        vtp_cutter_init(&c, 10, off[k]);
        expect(&c, 0, 1, VTP_CUT_OPEN, 0);
        for (int64_t ts = 1; ts < 100000; ts += 7)
            expect(&c, ts, 0, VTP_CUT_OPEN, 0);
    }
}
END_TEST

START_TEST(test_cutter_no_timestamps_never_cut)
{
    vtp_cutter c;
    vtp_cutter_init(&c, 10, 20);
    expect(&c, 0, 1, VTP_CUT_OPEN, 0);
    expect(&c, 5, 0, VTP_CUT_OPEN, 0);
    for (int i = 0; i < 100; i++) {
        expect(&c, NO_TS, 1, VTP_CUT_OPEN, 0);
        expect(&c, NO_TS, 0, VTP_CUT_OPEN, 0);
    }
    /* Timestamps resume: the segment still starts at 0. */
    expect(&c, 9, 1, VTP_CUT_OPEN, 0);
    expect(&c, 10, 1, VTP_CUT_NEW, 0);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 10);
}
END_TEST

START_TEST(test_cutter_stream_without_timestamps_at_start)
{
    vtp_cutter c;
    vtp_cutter_init(&c, 10, 20);
    /* The first packets have no timestamp at all. */
    expect(&c, NO_TS, 1, VTP_CUT_OPEN, 0);
    expect(&c, NO_TS, 0, VTP_CUT_OPEN, 0);
    expect(&c, NO_TS, 1, VTP_CUT_OPEN, 0);
    /* The first keyframe with a timestamp starts the measure. */
    expect(&c, 100, 1, VTP_CUT_OPEN, 0);
    expect(&c, 105, 0, VTP_CUT_OPEN, 0);
    expect(&c, 109, 1, VTP_CUT_OPEN, 0);
    expect(&c, 110, 1, VTP_CUT_NEW, 0);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 110);
}
END_TEST

START_TEST(test_cutter_long_gop_then_cut_resets)
{
    /* Once told, the event is not repeated for the same segment; a later
     * cut starts a new segment. */
    vtp_cutter c;
    int n = 0;
    vtp_cutter_init(&c, 10, 15);
    expect(&c, 0, 1, VTP_CUT_OPEN, 0);
    for (int64_t ts = 1; ts < 40; ts++) {
        int ev;
        feed(&c, ts, 0, &ev);
        n += !!(ev & VTP_CUT_EV_LONG_GOP);
    }
    ck_assert_int_eq(n, 1);
    expect(&c, 40, 1, VTP_CUT_NEW, 0);
    expect(&c, 41, 0, VTP_CUT_OPEN, VTP_CUT_EV_CLOSED);
}
END_TEST

Suite *cutter_suite(void)
{
    Suite *s = suite_create("cutter");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_cutter_first_packet_opens);
    tcase_add_test(tc, test_cutter_closed_gop_cuts_at_first_keyframe_after_target);
    tcase_add_test(tc, test_cutter_cut_at_exactly_target);
    tcase_add_test(tc, test_cutter_keyframes_closer_than_target_dont_cut);
    tcase_add_test(tc, test_cutter_open_gop_leading_pictures_go_to_closing);
    tcase_add_test(tc, test_cutter_packet_at_cut_closes);
    tcase_add_test(tc, test_cutter_keyframe_right_after_cut);
    tcase_add_test(tc, test_cutter_long_gop_fires_once);
    tcase_add_test(tc, test_cutter_long_gop_measured_from_segment_start);
    tcase_add_test(tc, test_cutter_long_gop_disabled);
    tcase_add_test(tc, test_cutter_no_timestamps_never_cut);
    tcase_add_test(tc, test_cutter_stream_without_timestamps_at_start);
    tcase_add_test(tc, test_cutter_long_gop_then_cut_resets);
    suite_add_tcase(s, tc);
    return s;
}
