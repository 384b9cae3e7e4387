/* test_cutter.c -- where to cut, packet by packet (include/vtp_cutter.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "vtp_cutter.h"
#include "vtp_job.h"

#define NO_TS INT64_MIN

/* Feeds one packet; returns the place and stores the events. */
static int feed(vtp_cutter *c, int64_t ts, int key, int *ev)
{
    int e = -1;
    int place = vtp_cutter_feed(c, ts, VTP_CUT_NO_TS, key, &e);
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


/* Like expect(), with a dts. */
static void expect_d(vtp_cutter *c, int64_t ts, int64_t dts, int key, int place, int events)
{
    int ev = -1;
    int got = vtp_cutter_feed(c, ts, dts, key, &ev);
    ck_assert_msg(got == place && ev == events,
                  "packet pts %lld dts %lld key %d: place %d events %d, expected place %d "
                  "events %d",
                  (long long)ts, (long long)dts, key, got, ev, place, events);
}

/* A planned cutter: 4 workers (each segment a quarter of what remains),
 * segments of 100 down to 20. */
static void tail_cutter(vtp_cutter *c, int64_t end, int64_t long_gop)
{
    vtp_cutter_init(c, 100, long_gop);
    c->workers = 4;
    c->min_len = 20;
    c->end = end;
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

START_TEST(test_cutter_full_segment_cuts_at_next_keyframe)
{
    /* A segment full of bytes (raw video, intra-only codecs at high rates)
     * is cut at the next keyframe, long before its target; the next one is
     * measured from there as usual. */
    vtp_cutter c;
    vtp_cutter_init(&c, 100, 0);
    for (int64_t ts = 0; ts < 3; ts++)
        expect(&c, ts, 1, VTP_CUT_OPEN, 0);
    c.full = 1;
    expect(&c, 3, 1, VTP_CUT_NEW, 0);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 3);
    c.full = 0;
    expect(&c, 4, 1, VTP_CUT_OPEN, VTP_CUT_EV_CLOSED);
    /* Full but no keyframe: nothing to cut at. */
    c.full = 1;
    expect(&c, 5, 0, VTP_CUT_OPEN, 0);
    expect(&c, 6, 1, VTP_CUT_NEW, 0);
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


START_TEST(test_cutter_tail_targets)
{
    vtp_cutter c;
    vtp_cutter_init(&c, 100, 0);
    ck_assert_int_eq(vtp_cutter_target_at(&c, 0), 100);    /* no workers: no tail */
    tail_cutter(&c, 1000, 0);
    c.workers = 1;
    ck_assert_int_eq(vtp_cutter_target_at(&c, 900), 100);  /* one worker: nothing to even out */
    tail_cutter(&c, VTP_CUT_NO_TS, 0);
    ck_assert_int_eq(vtp_cutter_target_at(&c, 0), 100);    /* end unknown */
    tail_cutter(&c, 1000, 2);
    c.workers = 2;
    ck_assert_int_eq(vtp_cutter_target_at(&c, 0), 100);    /* 1000 / 2 = 500, at most 100 */
    ck_assert_int_eq(vtp_cutter_target_at(&c, 800), 100);
    ck_assert_int_eq(vtp_cutter_target_at(&c, 850), 75);   /* a half of what remains */
    ck_assert_int_eq(vtp_cutter_target_at(&c, 900), 50);
    ck_assert_int_eq(vtp_cutter_target_at(&c, 970), 20);   /* at least min_len */
    ck_assert_int_eq(vtp_cutter_target_at(&c, 975), 25);   /* no crumb of 5 at the end */
    /* Whole keyframe intervals of 40 where a segment is at least one. */
    c.grid = 40;
    ck_assert_int_eq(vtp_cutter_target_at(&c, 0), 80);
    ck_assert_int_eq(vtp_cutter_target_at(&c, 850), 40);
    ck_assert_int_eq(vtp_cutter_target_at(&c, 940), 30);
    c.grid = 0;
    ck_assert_int_eq(vtp_cutter_target_at(&c, 1000), 100); /* past the end: as if unknown */
    ck_assert_int_eq(vtp_cutter_target_at(&c, 2000), 100);
    c.min_len = 100;                                       /* nothing shorter allowed */
    ck_assert_int_eq(vtp_cutter_target_at(&c, 900), 100);
}
END_TEST

/* Frames every 10, an anchor (I or P) every third frame and two B-frames
 * between, sent in decode order with dts one frame behind; keyframes at 0
 * and 120. The stream ends at 205, so with 2 workers every segment is in
 * the tail. */
START_TEST(test_cutter_tail_cuts_between_keyframes)
{
    vtp_cutter c;
    tail_cutter(&c, 205, 0);
    expect_d(&c, 0, -10, 1, VTP_CUT_OPEN, 0);      /* target 205 / 4 = 51 */
    expect_d(&c, 30, 0, 0, VTP_CUT_OPEN, 0);
    expect_d(&c, 10, 10, 0, VTP_CUT_OPEN, 0);
    expect_d(&c, 20, 20, 0, VTP_CUT_OPEN, 0);
    /* The first P-frame at least 51 in: a cut without a keyframe. */
    expect_d(&c, 60, 30, 0, VTP_CUT_SPLIT, 0);
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 60);
    /* The B-frames after it are shown before it (dts < 60): both segments
     * decode them, the first for its frames, the second for reference. */
    expect_d(&c, 40, 40, 0, VTP_CUT_BOTH, 0);
    expect_d(&c, 50, 50, 0, VTP_CUT_BOTH, 0);
    /* dts 60: nothing shown before 60 can follow. */
    expect_d(&c, 90, 60, 0, VTP_CUT_OPEN, VTP_CUT_EV_CLOSED);   /* target 145 / 4 = 36 */
    expect_d(&c, 70, 70, 0, VTP_CUT_OPEN, 0);
    expect_d(&c, 80, 80, 0, VTP_CUT_OPEN, 0);
    /* A keyframe still cuts as before (60 >= 36). */
    expect_d(&c, 120, 90, 1, VTP_CUT_NEW, 0);                   /* target 85 / 4 = 21 */
    expect_d(&c, 100, 100, 0, VTP_CUT_CLOSING, 0);
    expect_d(&c, 110, 110, 0, VTP_CUT_CLOSING, 0);
    expect_d(&c, 150, 120, 0, VTP_CUT_SPLIT, VTP_CUT_EV_CLOSED);  /* 30 >= 21 */
    ck_assert_int_eq(vtp_cutter_last_cut(&c), 150);
    expect_d(&c, 130, 130, 0, VTP_CUT_BOTH, 0);
    expect_d(&c, 140, 140, 0, VTP_CUT_BOTH, 0);
    /* 55 remain: target 20, the minimum. */
    expect_d(&c, 180, 150, 0, VTP_CUT_SPLIT, VTP_CUT_EV_CLOSED);
    expect_d(&c, 160, 160, 0, VTP_CUT_BOTH, 0);
    expect_d(&c, 170, 170, 0, VTP_CUT_BOTH, 0);
    /* 25 remain: 20 would leave 5, under half the minimum, so the rest is
     * one segment. */
    expect_d(&c, 190, 180, 0, VTP_CUT_OPEN, VTP_CUT_EV_CLOSED);
    expect_d(&c, 200, 190, 0, VTP_CUT_OPEN, 0);
}
END_TEST

START_TEST(test_cutter_no_split_outside_the_tail)
{
    vtp_cutter c;
    tail_cutter(&c, 100000, 0);
    expect_d(&c, 0, 0, 1, VTP_CUT_OPEN, 0);
    /* Far from the end: P-frames never cut, only a keyframe. */
    for (int64_t ts = 10; ts < 300; ts += 10)
        expect_d(&c, ts, ts, 0, VTP_CUT_OPEN, 0);
    expect_d(&c, 300, 300, 1, VTP_CUT_NEW, 0);
}
END_TEST

START_TEST(test_cutter_split_needs_a_clean_point)
{
    vtp_cutter c;
    tail_cutter(&c, 210, 0);                   /* target 52 */
    expect_d(&c, 0, -10, 1, VTP_CUT_OPEN, 0);
    /* No dts: where the frames shown before it end is unknown. */
    expect_d(&c, 90, VTP_CUT_NO_TS, 0, VTP_CUT_OPEN, 0);
    /* Shown before a packet already seen (B-frames): frames after the cut
     * would be in the segment before it. */
    expect_d(&c, 60, 10, 0, VTP_CUT_OPEN, 0);
    expect_d(&c, 70, 20, 0, VTP_CUT_OPEN, 0);
    expect_d(&c, 100, 30, 0, VTP_CUT_SPLIT, 0);
}
END_TEST

START_TEST(test_cutter_split_bounded_by_last_keyframe)
{
    vtp_cutter c;
    /* A keyframe only at 0, long_gop 50: cutting at 60 would make the next
     * segment decode 60 of packets it drops. */
    vtp_cutter_init(&c, 100, 50);
    c.workers = 4;
    c.min_len = 20;
    c.end = 240;                               /* target 60 at 0 */
    expect_d(&c, 0, 0, 1, VTP_CUT_OPEN, 0);
    for (int64_t ts = 10; ts < 50; ts += 10)
        expect_d(&c, ts, ts, 0, VTP_CUT_OPEN, 0);
    /* 50 in, long_gop without a keyframe: too rare to cut at. */
    expect_d(&c, 50, 50, 0, VTP_CUT_OPEN, VTP_CUT_EV_LONG_GOP);
    expect_d(&c, 60, 60, 0, VTP_CUT_OPEN, 0);
}
END_TEST

START_TEST(test_cutter_tail_takes_an_early_keyframe)
{
    vtp_cutter c;
    tail_cutter(&c, 300, 0);                   /* target 300 / 4 = 75 */
    expect_d(&c, 0, 0, 1, VTP_CUT_OPEN, 0);
    expect_d(&c, 50, 50, 1, VTP_CUT_OPEN, 0);  /* 50 < 75 - 75 / 4 */
    /* 60 is a keyframe at most a quarter early: better than decoding from
     * it up to a cut between keyframes at 75. */
    expect_d(&c, 60, 60, 1, VTP_CUT_NEW, 0);
    /* But not one that leaves a crumb: 296 is under half the minimum
     * before the end. */
    tail_cutter(&c, 300, 0);
    expect_d(&c, 250, 250, 1, VTP_CUT_OPEN, 0);   /* target 20 */
    expect_d(&c, 296, 296, 1, VTP_CUT_OPEN, 0);
}
END_TEST

/* A ladder's cutter (prefer_keys) takes a keyframe of the input from half
 * the planned length on; the default waits for three quarters, then cuts
 * between keyframes. */
START_TEST(test_cutter_prefer_keys_takes_a_keyframe_from_half)
{
    vtp_cutter c;
    tail_cutter(&c, 300, 0);                   /* target 75 */
    expect_d(&c, 0, 0, 1, VTP_CUT_OPEN, 0);
    expect_d(&c, 40, 40, 1, VTP_CUT_OPEN, 0);  /* 40 < 75 - 75 / 4 */
    expect_d(&c, 75, 75, 0, VTP_CUT_SPLIT, 0); /* between keyframes, from 40 */

    tail_cutter(&c, 300, 0);
    c.prefer_keys = 1;
    expect_d(&c, 0, 0, 1, VTP_CUT_OPEN, 0);
    expect_d(&c, 30, 30, 1, VTP_CUT_OPEN, 0);  /* 30 < 75 - 75 / 2 */
    expect_d(&c, 40, 40, 1, VTP_CUT_NEW, 0);   /* 40 >= 38 */
    /* Outside the tail nothing changes: the target, at a keyframe. */
    vtp_cutter_init(&c, 100, 0);
    c.prefer_keys = 1;
    expect(&c, 0, 1, VTP_CUT_OPEN, 0);
    expect(&c, 60, 1, VTP_CUT_OPEN, 0);
    expect(&c, 100, 1, VTP_CUT_NEW, 0);
}
END_TEST

/* The plan as vtpool encode makes it by default (milliseconds here):
 * segments of 2 to 120 s, x264's 250 frames at 25 fps as the keyframe
 * interval; lengths from the start of the input to its end. */
static int plan(int64_t end, int workers, int64_t grid, int64_t *len, int max)
{
    vtp_cutter c;
    vtp_cutter_init(&c, (int64_t)(VTP_SEGMENT_DEFAULT_S * 1000), 15000);
    c.workers = workers;
    c.min_len = 2000;
    c.grid = grid;
    c.end = end;
    int n = 0;
    for (int64_t at = 0; at < end && n < max; at += len[n++])
        len[n] = vtp_cutter_target_at(&c, at);
    return n;
}

static void expect_plan(int64_t end, int workers, int64_t grid, const int64_t *want, int nwant)
{
    int64_t got[512];
    int n = plan(end, workers, grid, got, 512);
    char g[4096] = "";
    for (int i = 0; i < n; i++)
        snprintf(g + strlen(g), sizeof(g) - strlen(g), " %lld", (long long)got[i]);
    ck_assert_msg(n == nwant, "%lld ms, %d workers: %d segments:%s", (long long)end, workers, n,
                  g);
    for (int i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "%lld ms, %d workers: segment %d is %lld:%s",
                      (long long)end, workers, i, (long long)got[i], g);
}

START_TEST(test_cutter_plan)
{
    /* 30 s on 2 workers: two whole keyframe intervals, then a last round
     * of two halves; 3 cuts, 2 of them where x264 puts a keyframe anyway. */
    expect_plan(30000, 2, 10000, (int64_t[]){10000, 10000, 5000, 5000}, 4);
    /* Without a known interval: halves. */
    expect_plan(30000, 2, 0, (int64_t[]){15000, 7500, 3750, 2000, 1750}, 5);
    /* 80 s, 2 workers: 3 of 4 cuts on the interval grid. */
    expect_plan(80000, 2, 10000, (int64_t[]){40000, 20000, 10000, 5000, 5000}, 5);
    /* 10 minutes, 2 workers: 2-minute segments (5 of the 120 s x264 grid
     * is 12 intervals), 9 cuts. */
    expect_plan(600000, 2, 10000,
                (int64_t[]){120000, 120000, 120000, 120000, 60000, 30000, 10000, 10000, 5000,
                            5000}, 10);
    /* 8 s, 2 workers: one cut. */
    expect_plan(8000, 2, 10000, (int64_t[]){4000, 4000}, 2);
    /* 80 s at 10 fps (x264's 250 frames: 25 s), 2 workers. */
    expect_plan(80000, 2, 25000, (int64_t[]){25000, 25000, 15000, 15000}, 4);
    /* 14 s, 16 workers: as short as allowed, 7 segments for 16 cores (the
     * idle ones become codec threads). */
    expect_plan(14000, 16, 10000, (int64_t[]){2000, 2000, 2000, 2000, 2000, 2000, 2000}, 7);
    /* An hour on 16 workers: 2-minute segments for the first half hour,
     * then ever shorter ones in whole intervals, and a last round of 16
     * equal ones (150 s): 77 cuts. */
    static const struct { int count; int64_t len; } runs[] = {
        {15, 120000}, {1, 110000}, {1, 100000}, {2, 90000}, {2, 80000}, {2, 70000},
        {3, 60000}, {3, 50000}, {4, 40000}, {5, 30000}, {8, 20000}, {16, 10000}, {16, 9375},
    };
    int64_t len[512];
    int n = plan(3600000, 16, 10000, len, 512), at = 0;
    for (size_t r = 0; r < sizeof(runs) / sizeof(*runs); r++)
        for (int k = 0; k < runs[r].count; k++, at++)
            ck_assert_msg(at < n && len[at] == runs[r].len, "an hour, 16 workers: segment %d", at);
    ck_assert_int_eq(n, at);
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
    tcase_add_test(tc, test_cutter_tail_targets);
    tcase_add_test(tc, test_cutter_tail_cuts_between_keyframes);
    tcase_add_test(tc, test_cutter_prefer_keys_takes_a_keyframe_from_half);
    tcase_add_test(tc, test_cutter_no_split_outside_the_tail);
    tcase_add_test(tc, test_cutter_split_needs_a_clean_point);
    tcase_add_test(tc, test_cutter_split_bounded_by_last_keyframe);
    tcase_add_test(tc, test_cutter_tail_takes_an_early_keyframe);
    tcase_add_test(tc, test_cutter_plan);
    tcase_add_test(tc, test_cutter_full_segment_cuts_at_next_keyframe);
    suite_add_tcase(s, tc);
    return s;
}
