/* test_accounting.c -- frames counted end to end: the dispatcher's count
 * of a segment's frames (vtp_segment_count_frames) and its check of what a
 * worker gave back (vtp_account_check). Each test breaks one link. */
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "vtp_accounting.h"
#include "vtp_error.h"

#define TB ((AVRational){1, 25})

static void add_packet(vtp_segment *s, int64_t pts, int size, int key)
{
    AVPacket *p = av_packet_alloc();
    ck_assert_ptr_nonnull(p);
    if (size > 0)
        ck_assert_int_eq(av_new_packet(p, size), 0);
    p->pts = pts;
    p->dts = pts;
    p->flags = key ? AV_PKT_FLAG_KEY : 0;
    ck_assert_int_eq(vtp_pktlist_move(&s->pkts, p), 0);
    av_packet_free(&p);
}

/* A result of n encoded packets with the given presentation times. */
static void make_result(vtp_result *r, const int64_t *pts, int n, int64_t counted)
{
    ck_assert_int_eq(vtp_result_init(r), 0);
    r->time_base = TB;
    for (int i = 0; i < n; i++) {
        AVPacket *p = av_packet_alloc();
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(av_new_packet(p, 8), 0);
        p->pts = pts[i];
        p->dts = i;
        ck_assert_int_eq(vtp_pktlist_move(&r->pkts, p), 0);
        av_packet_free(&p);
    }
    r->frames = n;
    r->frames_counted = counted;
}

static vtp_seg_account account(int64_t start, int64_t end, int64_t expected, int skip)
{
    return (vtp_seg_account){.index = 3, .cut_start = start, .cut_end = end,
                             .frames_expected = expected, .time_base = TB, .skip_errors = skip};
}

START_TEST(test_accounting_counts_packets_in_range)
{
    /* Decode order I P B B, then the leading pictures of the next cut (pts
     * 8, after it) and a zero-size packet (a dropped frame keeps its gap
     * but gives no picture). */
    vtp_segment s;
    ck_assert_int_eq(vtp_segment_init(&s), 0);
    s.cut_start = 4;
    s.cut_end = 8;
    add_packet(&s, 4, 100, 1);
    add_packet(&s, 7, 50, 0);
    add_packet(&s, 5, 20, 0);
    add_packet(&s, 6, 0, 0);
    add_packet(&s, 8, 30, 0);
    vtp_segment_count_frames(&s, 0);
    ck_assert_int_eq(s.count_start, 4);
    ck_assert_int_eq(s.frames_expected, 3);
    vtp_segment_clear(&s);
}
END_TEST

START_TEST(test_accounting_first_segment_counts_from_its_keyframe)
{
    /* A capture that starts mid-GOP: what comes before the first keyframe,
     * and its leading pictures, may not decode (ffmpeg drops them too). */
    vtp_segment s;
    ck_assert_int_eq(vtp_segment_init(&s), 0);
    add_packet(&s, 1, 40, 0);
    add_packet(&s, 4, 100, 1);
    add_packet(&s, 2, 20, 0);
    add_packet(&s, 3, 20, 0);
    add_packet(&s, 5, 40, 0);
    vtp_segment_count_frames(&s, 1);
    ck_assert_int_eq(s.count_start, 4);
    ck_assert_int_eq(s.frames_expected, 2);
    vtp_segment_clear(&s);
}
END_TEST

START_TEST(test_accounting_skips_packets_without_a_picture)
{
    /* An edit list's dropped packet (AV_PKT_FLAG_DISCARD), and H.264 access
     * units with no coded slice (a delimiter and SEI only, length-prefixed
     * as in MP4, and the same in Annex B) give no frame. */
    static const uint8_t avcc[] = {1, 0x64, 0, 0x1f, 0xff, 0xe0, 0};
    static const uint8_t aud_sei[] = {0, 0, 0, 2, 0x09, 0xf0, 0, 0, 0, 3, 0x06, 0x05, 0x00};
    static const uint8_t idr[] = {0, 0, 0, 3, 0x65, 0x88, 0x80};
    static const uint8_t annexb_aud[] = {0, 0, 0, 1, 0x09, 0xf0};
    vtp_segment s;
    ck_assert_int_eq(vtp_segment_init(&s), 0);
    s.par->codec_id = AV_CODEC_ID_H264;
    s.par->extradata = av_mallocz(sizeof(avcc) + AV_INPUT_BUFFER_PADDING_SIZE);
    memcpy(s.par->extradata, avcc, sizeof(avcc));
    s.par->extradata_size = sizeof(avcc);
    add_packet(&s, 0, sizeof(idr), 1);
    memcpy(s.pkts.v[0]->data, idr, sizeof(idr));
    add_packet(&s, 1, sizeof(aud_sei), 0);
    memcpy(s.pkts.v[1]->data, aud_sei, sizeof(aud_sei));
    add_packet(&s, 2, sizeof(idr), 0);
    memcpy(s.pkts.v[2]->data, idr, sizeof(idr));
    s.pkts.v[2]->flags |= AV_PKT_FLAG_DISCARD;
    vtp_segment_count_frames(&s, 0);
    ck_assert_int_eq(s.frames_expected, 1);

    /* Annex B (no avcC): the same. */
    av_freep(&s.par->extradata);
    s.par->extradata_size = 0;
    add_packet(&s, 3, sizeof(annexb_aud), 0);
    memcpy(s.pkts.v[3]->data, annexb_aud, sizeof(annexb_aud));
    vtp_segment_count_frames(&s, 0);
    /* Without avcC the length-prefixed packets are read as Annex B: no
     * start code in them, so they count as pictures (never too few). */
    ck_assert_int_eq(s.frames_expected, 2);
    vtp_segment_clear(&s);
}
END_TEST

START_TEST(test_accounting_unknown_without_times)
{
    vtp_segment s;
    ck_assert_int_eq(vtp_segment_init(&s), 0);
    add_packet(&s, 0, 100, 1);
    add_packet(&s, AV_NOPTS_VALUE, 40, 0);
    vtp_segment_count_frames(&s, 0);
    ck_assert_int_eq(s.frames_expected, -1);
    vtp_segment_clear(&s);

    /* A first segment with no keyframe at all. */
    ck_assert_int_eq(vtp_segment_init(&s), 0);
    add_packet(&s, 0, 100, 0);
    vtp_segment_count_frames(&s, 1);
    ck_assert_int_eq(s.frames_expected, -1);
    vtp_segment_clear(&s);
}
END_TEST

START_TEST(test_accounting_accepts_a_whole_segment)
{
    static const int64_t pts[] = {10, 13, 11, 12};
    vtp_result r;
    char why[256] = "";
    int64_t dropped = -1;
    make_result(&r, pts, 4, 4);
    vtp_seg_account a = account(10, 14, 4, 0);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), 0);
    ck_assert_int_eq(dropped, 0);
    /* Open ends and an unknown count. */
    a = account(VTP_PTS_MIN, VTP_PTS_MAX, -1, 0);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), 0);
    vtp_result_clear(&r);
}
END_TEST

START_TEST(test_accounting_missing_frame_is_damage)
{
    /* The worker decoded 3 frames where the packets hold 4: the job fails
     * and says which segment, where, and how many. */
    static const int64_t pts[] = {10, 12, 11};
    vtp_result r;
    char why[256] = "";
    int64_t dropped = 0;
    make_result(&r, pts, 3, 3);
    vtp_seg_account a = account(10, 14, 4, 0);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_TRUNCATED);
    ck_assert_msg(strstr(why, "segment 3 (0.400 s to 0.560 s) decoded to 3 frames, but its "
                              "packets hold 4"), "%s", why);

    /* --on-error skip: dropped and counted, once (the worker's own count of
     * what it skipped is not dropped again). */
    a.skip_errors = 1;
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), 0);
    ck_assert_int_eq(dropped, 1);
    r.skipped = 1;
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), 0);
    ck_assert_int_eq(dropped, 0);
    vtp_result_clear(&r);
}
END_TEST

START_TEST(test_accounting_extra_frame_fails_even_when_skipping)
{
    static const int64_t pts[] = {10, 11, 12, 13, 13};
    vtp_result r;
    char why[256] = "";
    int64_t dropped = 0;
    make_result(&r, pts, 5, 5);
    vtp_seg_account a = account(10, 14, 4, 1);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_TRUNCATED);
    vtp_result_clear(&r);
}
END_TEST

START_TEST(test_accounting_encoder_losing_a_frame_fails)
{
    /* Four frames went in, three packets came out. */
    static const int64_t pts[] = {10, 11, 12};
    vtp_result r;
    char why[256] = "";
    int64_t dropped = 0;
    make_result(&r, pts, 3, 4);
    r.frames = 4;
    vtp_seg_account a = account(10, 14, 4, 1);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "the encoder gave 3 packets for 4 frames"), "%s", why);
    vtp_result_clear(&r);
}
END_TEST

START_TEST(test_accounting_times_outside_or_repeated_fail)
{
    vtp_result r;
    char why[256] = "";
    int64_t dropped = 0;
    vtp_seg_account a = account(10, 14, -1, 0);

    static const int64_t late[] = {10, 11, 12, 14};
    make_result(&r, late, 4, 4);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "encoded frame at 0.560 s, outside its range"), "%s", why);
    vtp_result_clear(&r);

    static const int64_t early[] = {9, 10, 11, 12};
    make_result(&r, early, 4, 4);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    vtp_result_clear(&r);

    static const int64_t twice[] = {10, 12, 11, 12};
    make_result(&r, twice, 4, 4);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "two encoded frames at 0.480 s"), "%s", why);
    vtp_result_clear(&r);
}
END_TEST

/* ---- ladders: every rendition has the first's frames ---- */

/* Gives r one further stream per pts list (n packets each), time base TB. */
static void add_stream(vtp_result *r, int k, const int64_t *pts, int n)
{
    vtp_result_stream *m = &r->more[k];
    m->time_base = TB;
    for (int i = 0; i < n; i++) {
        AVPacket *p = av_packet_alloc();
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(av_new_packet(p, 4), 0);
        p->pts = pts[i];
        p->dts = i;
        ck_assert_int_eq(vtp_pktlist_move(&m->pkts, p), 0);
        av_packet_free(&p);
    }
}

/* A good two-rendition result of frames 10..13: the second stream in
 * another decode order (its own encoder's B-frames), the same times. */
static void make_ladder_result(vtp_result *r)
{
    static const int64_t first[] = {10, 13, 11, 12};
    static const int64_t second[] = {10, 12, 11, 13};
    make_result(r, first, 4, 4);
    ck_assert_int_eq(vtp_result_set_more(r, 1), 0);
    add_stream(r, 0, second, 4);
}

static vtp_seg_account ladder_account(int renditions)
{
    vtp_seg_account a = account(10, 14, 4, 0);
    a.renditions = renditions;
    return a;
}

START_TEST(test_accounting_ladder_accepts_same_frames)
{
    vtp_result r;
    char why[256] = "";
    int64_t dropped = -1;
    make_ladder_result(&r);
    vtp_seg_account a = ladder_account(2);
    ck_assert_msg(vtp_account_check(&a, &r, &dropped, why, sizeof(why)) == 0, "%s", why);
    ck_assert_int_eq(dropped, 0);
    /* 0: any number of renditions. */
    a.renditions = 0;
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), 0);
    vtp_result_clear(&r);

    /* Three renditions, as many streams. */
    static const int64_t first[] = {10, 11, 12, 13};
    static const int64_t second[] = {11, 10, 13, 12};
    static const int64_t third[] = {13, 12, 11, 10};
    make_result(&r, first, 4, 4);
    ck_assert_int_eq(vtp_result_set_more(&r, 2), 0);
    add_stream(&r, 0, second, 4);
    add_stream(&r, 1, third, 4);
    a.renditions = 3;
    ck_assert_msg(vtp_account_check(&a, &r, &dropped, why, sizeof(why)) == 0, "%s", why);
    /* ... where the third, not the second, has lost a frame. */
    vtp_pktlist_clear(&r.more[1].pkts);
    add_stream(&r, 1, third, 3);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "rendition 3 has 3 frames, the first 4"), "%s", why);
    vtp_result_clear(&r);

    /* A ladder segment with nothing in range: empty streams all round. */
    make_result(&r, NULL, 0, 0);
    ck_assert_int_eq(vtp_result_set_more(&r, 1), 0);
    a = ladder_account(2);
    a.frames_expected = 0;
    ck_assert_msg(vtp_account_check(&a, &r, &dropped, why, sizeof(why)) == 0, "%s", why);
    vtp_result_clear(&r);
}
END_TEST

START_TEST(test_accounting_ladder_wrong_rendition_count_fails)
{
    vtp_result r;
    char why[256] = "";
    int64_t dropped = 0;
    make_ladder_result(&r);
    vtp_seg_account a = ladder_account(3);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "segment 3 has 2 renditions, not 3"), "%s", why);
    a.renditions = 1;
    why[0] = 0;
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "segment 3 has 2 renditions, not 1"), "%s", why);
    /* A plain result where a ladder's was due. */
    ck_assert_int_eq(vtp_result_set_more(&r, 0), 0);
    a.renditions = 2;
    why[0] = 0;
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "segment 3 has 1 renditions, not 2"), "%s", why);
    /* Even with --on-error skip. */
    a.skip_errors = 1;
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    vtp_result_clear(&r);
}
END_TEST

START_TEST(test_accounting_ladder_rendition_missing_frame_fails)
{
    static const int64_t three[] = {10, 12, 11};
    vtp_result r;
    char why[256] = "";
    int64_t dropped = 0;
    make_ladder_result(&r);
    vtp_pktlist_clear(&r.more[0].pkts);
    add_stream(&r, 0, three, 3);
    vtp_seg_account a = ladder_account(2);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "rendition 2 has 3 frames, the first 4"), "%s", why);
    a.skip_errors = 1;
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);

    /* One too many, too; and an empty second stream for a full first. */
    static const int64_t five[] = {10, 12, 11, 13, 14};
    vtp_pktlist_clear(&r.more[0].pkts);
    add_stream(&r, 0, five, 5);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    vtp_pktlist_clear(&r.more[0].pkts);
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "rendition 2 has 0 frames, the first 4"), "%s", why);
    vtp_result_clear(&r);
}
END_TEST

START_TEST(test_accounting_ladder_rendition_moved_frame_fails)
{
    vtp_result r;
    char why[256] = "";
    int64_t dropped = 0;
    vtp_seg_account a = ladder_account(2);

    /* One time differs (inside the range, not repeated). */
    make_ladder_result(&r);
    vtp_seg_account wide = a;
    wide.cut_end = 20;
    r.more[0].pkts.v[3]->pts = 15;
    ck_assert_int_eq(vtp_account_check(&wide, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "rendition 2's frames are not at the first one's times"), "%s",
                  why);
    /* ... outside the range. */
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "outside its range"), "%s", why);
    /* ... repeated. */
    r.more[0].pkts.v[3]->pts = 11;
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    /* ... missing. */
    r.more[0].pkts.v[3]->pts = AV_NOPTS_VALUE;
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    /* Put back, it passes again. */
    r.more[0].pkts.v[3]->pts = 13;
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), 0);
    vtp_result_clear(&r);
}
END_TEST

START_TEST(test_accounting_ladder_rendition_time_base_fails)
{
    vtp_result r;
    char why[256] = "";
    int64_t dropped = 0;
    vtp_seg_account a = ladder_account(2);
    make_ladder_result(&r);
    r.more[0].time_base = (AVRational){1, 50};
    ck_assert_int_eq(vtp_account_check(&a, &r, &dropped, why, sizeof(why)), VTP_ERR_MISMATCH);
    ck_assert_msg(strstr(why, "rendition 2 has another time base"), "%s", why);
    /* An equal rational written differently is the same time base. */
    r.more[0].time_base = (AVRational){2, 50};
    ck_assert_msg(vtp_account_check(&a, &r, &dropped, why, sizeof(why)) == 0, "%s", why);
    vtp_result_clear(&r);
}
END_TEST

START_TEST(test_accounting_ladder_fills_every_stream)
{
    /* Durations go on every rendition's packets, each from its own times. */
    vtp_result r;
    make_ladder_result(&r);
    vtp_seg_account a = ladder_account(2);
    vtp_account_fill_durations(&a, &r);
    for (int i = 0; i < r.pkts.n; i++)
        ck_assert_int_eq(r.pkts.v[i]->duration, 1);
    for (int i = 0; i < r.more[0].pkts.n; i++)
        ck_assert_msg(r.more[0].pkts.v[i]->duration == 1, "packet %d pts %lld duration %lld", i,
                      (long long)r.more[0].pkts.v[i]->pts,
                      (long long)r.more[0].pkts.v[i]->duration);
    vtp_result_clear(&r);
}
END_TEST

Suite *accounting_suite(void)
{
    Suite *s = suite_create("accounting");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_accounting_counts_packets_in_range);
    tcase_add_test(tc, test_accounting_first_segment_counts_from_its_keyframe);
    tcase_add_test(tc, test_accounting_skips_packets_without_a_picture);
    tcase_add_test(tc, test_accounting_unknown_without_times);
    tcase_add_test(tc, test_accounting_accepts_a_whole_segment);
    tcase_add_test(tc, test_accounting_missing_frame_is_damage);
    tcase_add_test(tc, test_accounting_extra_frame_fails_even_when_skipping);
    tcase_add_test(tc, test_accounting_encoder_losing_a_frame_fails);
    tcase_add_test(tc, test_accounting_times_outside_or_repeated_fail);
    tcase_add_test(tc, test_accounting_ladder_accepts_same_frames);
    tcase_add_test(tc, test_accounting_ladder_wrong_rendition_count_fails);
    tcase_add_test(tc, test_accounting_ladder_rendition_missing_frame_fails);
    tcase_add_test(tc, test_accounting_ladder_rendition_moved_frame_fails);
    tcase_add_test(tc, test_accounting_ladder_rendition_time_base_fails);
    tcase_add_test(tc, test_accounting_ladder_fills_every_stream);
    suite_add_tcase(s, tc);
    return s;
}
