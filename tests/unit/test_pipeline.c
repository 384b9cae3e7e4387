/* test_pipeline.c -- one segment through decoder, filters and encoder
 * (include/vtp_pipeline.h). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/pixdesc.h>

#include "suites.h"
#include "unit_media.h"
#include "vtp_accounting.h"
#include "vtp_compat.h"
#include "vtp_error.h"
#include "vtp_pipeline.h"
#include "vtp_proto.h"

#define W 64
#define H 48
#define NFRAMES 30
#define TB ((AVRational){1, 25})

/* ---- fixtures ---- */

static void seg_common(vtp_segment *s, int kind, const char *encoder, int64_t start, int64_t end)
{
    ck_assert_int_eq(vtp_segment_init(s), 0);
    s->job_id = 77;
    s->index = 4;
    s->kind = kind;
    s->cut_start = start;
    s->cut_end = end;
    s->time_base = TB;
    s->frame_rate = (AVRational){25, 1};
    s->threads = 1;
    s->opts.encoder = encoder ? strdup(encoder) : NULL;
}

/* A frame segment of NFRAMES distinct frames of the given format and
 * size, pts 0..29. */
static void make_frames_segment_of(vtp_segment *s, const char *encoder, int64_t start,
                                   int64_t end, enum AVPixelFormat fmt, int w, int h)
{
    seg_common(s, VTP_SEG_FRAMES, encoder, start, end);
    s->par->codec_type = AVMEDIA_TYPE_VIDEO;
    s->par->codec_id = AV_CODEC_ID_NONE;
    s->par->format = fmt;
    s->par->width = w;
    s->par->height = h;
    s->par->sample_aspect_ratio = (AVRational){1, 1};
    for (int i = 0; i < NFRAMES; i++) {
        AVFrame *f = um_make_frame(fmt, w, h, i);
        ck_assert_ptr_nonnull(f);
        vtp_frame_set_duration(f, 1);
        ck_assert_int_eq(vtp_framelist_move(&s->frames, f), 0);
        av_frame_free(&f);
    }
}

/* The same with W x H yuv420p frames. */
static void make_frames_segment(vtp_segment *s, const char *encoder, int64_t start, int64_t end)
{
    make_frames_segment_of(s, encoder, start, end, AV_PIX_FMT_YUV420P, W, H);
}

/* The source frames, for comparisons. */
static void source_frames(um_frames *out)
{
    for (int i = 0; i < NFRAMES; i++)
        um_frames_push(out, um_make_frame(AV_PIX_FMT_YUV420P, W, H, i));
}

/* Encodes the source frames into pkts: variant 0 is mpeg4 with two
 * B-frames and a GOP of 10 (open GOPs: B-frames after each I-frame that
 * precede it), variant 1 libx264 with B-frames and open GOPs. */
static int encode_source(int variant, AVPacket ***pkts, AVCodecParameters *par)
{
    um_frames src = {0};
    AVDictionary *o = NULL;
    source_frames(&src);
    const char *encoder = variant == 0 ? "mpeg4" : "libx264";
    if (variant == 0) {
        av_dict_set(&o, "bf", "2", 0);
        av_dict_set(&o, "g", "10", 0);
        av_dict_set(&o, "qscale", "3", 0);
    } else {
        av_dict_set(&o, "preset", "fast", 0);
        av_dict_set(&o, "x264-params", "keyint=10:min-keyint=10:scenecut=0:open-gop=1:bframes=3",
                    0);
    }
    int n = um_encode(encoder, src.v, src.n, TB, o, 0, pkts, par);
    av_dict_free(&o);
    um_frames_clear(&src);
    ck_assert_int_ge(n, NFRAMES);
    return n;
}

/* Checks that res holds exactly the frames [start, end) of ref, encoded
 * losslessly: keyframe first, one packet per frame, pixels equal. */
static void check_lossless(const vtp_result *res, const um_frames *ref, int64_t start, int64_t end,
                           int w, int h)
{
    um_frames out = {0};
    int n = (int)(end - start);

    ck_assert_int_eq(res->status, 0);
    ck_assert_ptr_null(res->error);
    ck_assert_int_eq(res->frames, n);
    ck_assert_int_eq(res->pkts.n, n);
    ck_assert_int_eq(res->par->codec_type, AVMEDIA_TYPE_VIDEO);
    ck_assert_int_eq(res->par->width, w);
    ck_assert_int_eq(res->par->height, h);
    ck_assert(res->pkts.v[0]->flags & AV_PKT_FLAG_KEY);

    /* pts in the stream time base: exactly the range, each once. */
    int seen[64] = {0};
    for (int i = 0; i < res->pkts.n; i++) {
        int64_t pts = av_rescale_q(res->pkts.v[i]->pts, res->time_base, TB);
        ck_assert_msg(pts >= start && pts < end, "packet %d pts %lld", i, (long long)pts);
        ck_assert_int_eq(seen[pts - start]++, 0);
        if (i > 0)
            ck_assert_int_gt(res->pkts.v[i]->dts, res->pkts.v[i - 1]->dts);
    }

    ck_assert_int_eq(um_decode(res->par, res->time_base, res->pkts.v, res->pkts.n, &out), 0);
    ck_assert_int_eq(out.n, n);
    for (int i = 0; i < out.n; i++) {
        char why[128];
        int64_t pts = av_rescale_q(out.v[i]->pts, res->time_base, TB);
        ck_assert_int_eq(pts, start + i);   /* in presentation order */
        const AVFrame *want = um_frames_find(ref, pts);
        ck_assert_ptr_nonnull(want);
        ck_assert_int_eq(out.v[i]->width, w);
        ck_assert_int_eq(out.v[i]->height, h);
        if (w == want->width && h == want->height)
            ck_assert_msg(um_frames_equal(out.v[i], want, why, sizeof(why)), "pts %lld: %s",
                          (long long)pts, why);
    }
    um_frames_clear(&out);
}

/* ---- frame segments ---- */

START_TEST(test_pipeline_frames_ffv1_lossless_range)
{
    vtp_segment seg;
    vtp_result res;
    um_frames ref = {0};

    make_frames_segment(&seg, "ffv1", 10, 20);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_msg(ret == 0, "ret %d: %s", ret, res.error ? res.error : "");
    ck_assert_uint_eq(res.job_id, 77);
    ck_assert_uint_eq(res.index, 4);
    ck_assert_int_eq(res.par->codec_id, AV_CODEC_ID_FFV1);
    ck_assert_int_eq(res.time_base.num, 1);
    ck_assert_int_eq(res.time_base.den, 25);
    for (int i = 0; i < res.pkts.n; i++)
        ck_assert_int_eq(res.pkts.v[i]->pts, 10 + i);
    source_frames(&ref);
    check_lossless(&res, &ref, 10, 20, W, H);
    ck_assert(res.cpu_seconds >= 0);
    um_frames_clear(&ref);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_counts_frames_from_count_start)
{
    /* The worker's link of the frame count: frames decoded in
     * [count_start, cut_end), and frames handed to the encoder. */
    vtp_segment seg;
    vtp_result res;
    make_frames_segment(&seg, "ffv1", 10, 20);
    seg.count_start = 13;
    ck_assert_int_eq(vtp_result_init(&res), 0);
    ck_assert_int_eq(vtp_pipeline_run(&seg, &res, NULL), 0);
    ck_assert_int_eq(res.frames, 10);
    ck_assert_int_eq(res.frames_counted, 7);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_repeated_frame_time_is_damage)
{
    /* A decoded frame whose time repeats an earlier one's (packed B-frames
     * not unpacked, damaged timestamps) fails the segment as damaged input,
     * naming both times; with --on-error skip it is dropped and counted. */
    for (int skip = 0; skip <= 1; skip++) {
        vtp_segment seg;
        vtp_result res;
        make_frames_segment(&seg, "ffv1", 0, 30);
        seg.frames.v[6]->pts = 5;
        seg.flags = skip ? VTP_SEG_SKIP_ERRORS : 0;
        ck_assert_int_eq(vtp_result_init(&res), 0);
        int ret = vtp_pipeline_run(&seg, &res, NULL);
        if (!skip) {
            ck_assert_int_eq(ret, VTP_ERR_TRUNCATED);
            ck_assert_ptr_nonnull(res.error);
            ck_assert_msg(strstr(res.error, "0.200 s follows one at 0.200 s"), "%s", res.error);
            ck_assert_int_eq(res.pkts.n, 0);
        } else {
            ck_assert_int_eq(ret, 0);
            ck_assert_int_eq(res.skipped, 1);
            ck_assert_int_eq(res.frames, NFRAMES - 1);
            ck_assert_int_eq(res.frames_counted, NFRAMES - 1);
            ck_assert_int_eq(res.pkts.n, NFRAMES - 1);
        }
        vtp_result_clear(&res);
        vtp_segment_clear(&seg);
    }
}
END_TEST

START_TEST(test_pipeline_frames_open_range)
{
    /* The first and last segments have open ends. */
    vtp_segment seg;
    vtp_result res;
    um_frames ref = {0};
    source_frames(&ref);

    make_frames_segment(&seg, "ffv1", VTP_PTS_MIN, 7);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    ck_assert_int_eq(vtp_pipeline_run(&seg, &res, NULL), 0);
    check_lossless(&res, &ref, 0, 7, W, H);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);

    make_frames_segment(&seg, "ffv1", 25, VTP_PTS_MAX);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    ck_assert_int_eq(vtp_pipeline_run(&seg, &res, NULL), 0);
    check_lossless(&res, &ref, 25, NFRAMES, W, H);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
    um_frames_clear(&ref);
}
END_TEST

START_TEST(test_pipeline_frames_result_survives_the_wire)
{
    vtp_segment seg, seg2;
    vtp_result res, res2;
    vtp_wbuf b;
    um_frames ref = {0};

    /* The segment goes over the wire too, as in the pool. */
    make_frames_segment(&seg, "ffv1", 3, 9);
    vtp_wbuf_init(&b);
    vtp_proto_write_segment(&b, &seg);
    ck_assert_int_eq(vtp_segment_init(&seg2), 0);
    ck_assert_int_eq(vtp_proto_read_segment(b.data, b.len, &seg2), 0);
    vtp_wbuf_free(&b);

    ck_assert_int_eq(vtp_result_init(&res), 0);
    ck_assert_int_eq(vtp_pipeline_run(&seg2, &res, NULL), 0);
    vtp_proto_write_result(&b, &res);
    ck_assert_int_eq(vtp_result_init(&res2), 0);
    ck_assert_int_eq(vtp_proto_read_result(b.data, b.len, &res2), 0);
    vtp_wbuf_free(&b);
    source_frames(&ref);
    check_lossless(&res2, &ref, 3, 9, W, H);
    um_frames_clear(&ref);
    vtp_result_clear(&res);
    vtp_result_clear(&res2);
    vtp_segment_clear(&seg);
    vtp_segment_clear(&seg2);
}
END_TEST

START_TEST(test_pipeline_frames_odd_size_formats_lossless)
{
    /* Odd sizes and deeper formats the encoder takes as they are. */
    static const enum AVPixelFormat fmts[] = {AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV420P10LE,
                                              AV_PIX_FMT_GRAY8, AV_PIX_FMT_YUV444P};
    enum AVPixelFormat fmt = fmts[_i];
    vtp_segment seg;
    vtp_result res;
    um_frames ref = {0};
    make_frames_segment_of(&seg, "ffv1", 4, 9, fmt, 33, 17);
    seg.time_base = (AVRational){1, 90000};   /* MPEG-TS style */
    seg.frame_rate = (AVRational){0, 1};      /* unknown */
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_msg(ret == 0, "ret %d: %s", ret, res.error ? res.error : "");
    ck_assert_int_eq(res.par->format, fmt);
    ck_assert_int_eq(res.time_base.num, 1);
    ck_assert_int_eq(res.time_base.den, 90000);
    ck_assert_int_eq(res.pkts.n, 5);
    for (int i = 0; i < NFRAMES; i++)
        um_frames_push(&ref, um_make_frame(fmt, 33, 17, i));
    um_frames out = {0};
    ck_assert_int_eq(um_decode(res.par, res.time_base, res.pkts.v, res.pkts.n, &out), 0);
    ck_assert_int_eq(out.n, 5);
    for (int i = 0; i < out.n; i++) {
        char why[128];
        ck_assert_int_eq(out.v[i]->pts, 4 + i);
        ck_assert_msg(um_frames_equal(out.v[i], ref.v[4 + i], why, sizeof(why)), "%s pts %d: %s",
                      av_get_pix_fmt_name(fmt), 4 + i, why);
    }
    um_frames_clear(&out);
    um_frames_clear(&ref);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_frames_x264_lossless)
{
    /* An encoder with B-frames and delay: timestamps still pass through. */
    vtp_segment seg;
    vtp_result res;
    um_frames ref = {0};
    make_frames_segment(&seg, "libx264", 10, 20);
    av_dict_set(&seg.opts.codec_opts, "qp", "0", 0);
    av_dict_set(&seg.opts.codec_opts, "preset", "fast", 0);
    av_dict_set(&seg.opts.codec_opts, "bf", "3", 0);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_msg(ret == 0, "ret %d: %s", ret, res.error ? res.error : "");
    ck_assert_int_eq(res.par->codec_id, AV_CODEC_ID_H264);
    source_frames(&ref);
    check_lossless(&res, &ref, 10, 20, W, H);
    um_frames_clear(&ref);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_vf_scale_changes_size)
{
    vtp_segment seg;
    vtp_result res;
    um_frames out = {0};

    make_frames_segment(&seg, "ffv1", 10, 20);
    seg.opts.vf = strdup("scale=32:24");
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_msg(ret == 0, "ret %d: %s", ret, res.error ? res.error : "");
    ck_assert_int_eq(res.par->width, 32);
    ck_assert_int_eq(res.par->height, 24);
    ck_assert_int_eq(res.pkts.n, 10);
    ck_assert_int_eq(um_decode(res.par, res.time_base, res.pkts.v, res.pkts.n, &out), 0);
    ck_assert_int_eq(out.n, 10);
    for (int i = 0; i < out.n; i++) {
        ck_assert_int_eq(out.v[i]->width, 32);
        ck_assert_int_eq(out.v[i]->height, 24);
        ck_assert_int_eq(av_rescale_q(out.v[i]->pts, res.time_base, TB), 10 + i);
    }
    um_frames_clear(&out);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_empty_range_gives_no_packets)
{
    vtp_segment seg;
    vtp_result res;
    make_frames_segment(&seg, "ffv1", 100, 200);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    ck_assert_int_eq(vtp_pipeline_run(&seg, &res, NULL), 0);
    ck_assert_int_eq(res.status, 0);
    ck_assert_int_eq(res.pkts.n, 0);
    ck_assert_int_eq(res.frames, 0);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

static void free_block(void *opaque, uint8_t *data)
{
    (void)opaque;
    free(data);
}

/* The segment as a worker gets it from the pool: the frames sent as a
 * second message part and read in place, pointing into that part (an
 * exact-size block, so reading past a plane shows under valgrind). */
static void receive_in_place(const vtp_segment *src, vtp_segment *dst)
{
    vtp_segment wire;
    vtp_wbuf head;

    /* The splitter's form: frames already in wire form. */
    ck_assert_int_eq(vtp_segment_init(&wire), 0);
    wire.job_id = src->job_id;
    wire.index = src->index;
    wire.kind = VTP_SEG_FRAMES;
    wire.cut_start = src->cut_start;
    wire.cut_end = src->cut_end;
    wire.time_base = src->time_base;
    wire.frame_rate = src->frame_rate;
    wire.threads = src->threads;
    ck_assert_int_ge(avcodec_parameters_copy(wire.par, src->par), 0);
    ck_assert_int_eq(vtp_enc_opts_copy(&wire.opts, &src->opts), 0);
    for (int i = 0; i < src->frames.n; i++)
        ck_assert_int_eq(vtp_segment_add_frame(&wire, src->frames.v[i]), 0);

    vtp_wbuf_init(&head);
    vtp_proto_write_segment_head(&head, &wire);
    uint8_t *part = malloc(wire.frame_wire.len);
    memcpy(part, wire.frame_wire.data, wire.frame_wire.len);
    AVBufferRef *owner = av_buffer_create(part, wire.frame_wire.len, free_block, NULL,
                                          AV_BUFFER_FLAG_READONLY);
    ck_assert_int_eq(vtp_segment_init(dst), 0);
    ck_assert_int_eq(vtp_proto_read_segment_ref(head.data, head.len, NULL, owner->data,
                                                (size_t)owner->size, owner, dst),
                     0);
    av_buffer_unref(&owner);
    ck_assert_int_eq(dst->frames.n, src->frames.n);
    vtp_wbuf_free(&head);
    vtp_segment_clear(&wire);
}

START_TEST(test_pipeline_frames_read_in_place)
{
    static const char *const encoders[] = {"ffv1", "libx264", "ffv1"};
    vtp_segment seg, rx;
    vtp_result res;
    um_frames ref = {0};

    make_frames_segment(&seg, encoders[_i], 10, 20);
    if (_i == 1)
        av_dict_set(&seg.opts.codec_opts, "qp", "0", 0);
    if (_i == 2)
        seg.opts.vf = strdup("hflip,vflip,hflip,vflip");   /* filters that read every pixel */
    receive_in_place(&seg, &rx);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&rx, &res, NULL);
    ck_assert_msg(ret == 0, "ret %d: %s", ret, res.error ? res.error : "");
    source_frames(&ref);
    check_lossless(&res, &ref, 10, 20, W, H);
    um_frames_clear(&ref);
    vtp_result_clear(&res);
    vtp_segment_clear(&rx);
    vtp_segment_clear(&seg);
}
END_TEST

/* ---- failures ---- */

START_TEST(test_pipeline_unknown_encoder_fails)
{
    vtp_segment seg;
    vtp_result res;
    make_frames_segment(&seg, "nosuchencoder", 10, 20);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_int_lt(ret, 0);
    ck_assert_int_eq(ret, VTP_ERR_ENCODER);
    ck_assert_int_eq(res.status, ret);
    ck_assert_ptr_nonnull(res.error);
    ck_assert_msg(strstr(res.error, "nosuchencoder") != NULL, "error: %s", res.error);
    ck_assert_int_eq(res.pkts.n, 0);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_unknown_encoder_option_fails)
{
    vtp_segment seg;
    vtp_result res;
    make_frames_segment(&seg, "ffv1", 10, 20);
    av_dict_set(&seg.opts.codec_opts, "nosuchoption", "1", 0);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_int_eq(ret, VTP_ERR_ENCODER);
    ck_assert_int_eq(res.status, ret);
    ck_assert_ptr_nonnull(res.error);
    ck_assert_msg(strstr(res.error, "nosuchoption") != NULL, "error: %s", res.error);
    ck_assert_int_eq(res.pkts.n, 0);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_bad_filter_fails)
{
    vtp_segment seg;
    vtp_result res;
    make_frames_segment(&seg, "ffv1", 10, 20);
    seg.opts.vf = strdup("nosuchfilter=3");
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_int_lt(ret, 0);
    ck_assert_int_eq(res.status, ret);
    ck_assert_ptr_nonnull(res.error);
    ck_assert_int_eq(res.pkts.n, 0);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_cancel_before_run_interrupts)
{
    vtp_segment seg;
    vtp_result res;
    atomic_int cancel;
    atomic_init(&cancel, 1);
    make_frames_segment(&seg, "ffv1", 10, 20);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, &cancel);
    ck_assert_int_eq(ret, VTP_ERR_INTERRUPTED);
    ck_assert_int_eq(res.status, VTP_ERR_INTERRUPTED);
    ck_assert_ptr_nonnull(res.error);
    ck_assert_int_eq(res.pkts.n, 0);
    vtp_result_clear(&res);

    /* A flag that stays 0 changes nothing. */
    atomic_store(&cancel, 0);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    ck_assert_int_eq(vtp_pipeline_run(&seg, &res, &cancel), 0);
    ck_assert_int_eq(res.pkts.n, 10);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_packets_without_decoder_fail)
{
    vtp_segment seg;
    vtp_result res;
    seg_common(&seg, VTP_SEG_PACKETS, "ffv1", 0, 10);
    seg.par->codec_type = AVMEDIA_TYPE_VIDEO;
    seg.par->codec_id = AV_CODEC_ID_NONE;
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_int_lt(ret, 0);
    ck_assert_int_eq(res.status, ret);
    ck_assert_ptr_nonnull(res.error);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

/* ---- packet segments ---- */

START_TEST(test_pipeline_packets_bframes_to_ffv1)
{
    AVPacket **pkts;
    AVCodecParameters *par = avcodec_parameters_alloc();
    um_frames ref = {0};
    vtp_segment seg;
    vtp_result res;

    int n = encode_source(_i, &pkts, par);
    /* The reference: a plain decoder over all packets. */
    ck_assert_int_eq(um_decode(par, TB, pkts, n, &ref), 0);
    ck_assert_int_eq(ref.n, NFRAMES);

    seg_common(&seg, VTP_SEG_PACKETS, "ffv1", 10, 20);
    ck_assert_int_ge(avcodec_parameters_copy(seg.par, par), 0);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(vtp_pktlist_add(&seg.pkts, pkts[i]), 0);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_msg(ret == 0, "ret %d: %s", ret, res.error ? res.error : "");
    check_lossless(&res, &ref, 10, 20, W, H);

    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
    um_frames_clear(&ref);
    um_packets_free(pkts, n);
    avcodec_parameters_free(&par);
}
END_TEST

START_TEST(test_pipeline_packets_from_midstream_keyframe)
{
    /* What the splitter sends for a later segment: packets from a keyframe
     * on, in decode order, including any leading pictures after it. */
    AVPacket **pkts;
    AVCodecParameters *par = avcodec_parameters_alloc();
    um_frames ref = {0};
    vtp_segment seg;
    vtp_result res;

    int n = encode_source(_i, &pkts, par);
    ck_assert_int_eq(um_decode(par, TB, pkts, n, &ref), 0);
    if (getenv("VTP_UNIT_VERBOSE")) {
        for (int i = 0; i < n; i++)
            fprintf(stderr, " %lld%s", (long long)pkts[i]->pts,
                    pkts[i]->flags & AV_PKT_FLAG_KEY ? "K" : "");
        fprintf(stderr, "\n");
    }
    int first = -1;
    for (int i = 1; i < n && first < 0; i++)
        if ((pkts[i]->flags & AV_PKT_FLAG_KEY) && pkts[i]->pts >= 5)
            first = i;
    ck_assert_int_ge(first, 0);
    int64_t start = pkts[first]->pts, end = start + 8;
    ck_assert_int_le(end, NFRAMES);

    seg_common(&seg, VTP_SEG_PACKETS, "ffv1", start, end);
    ck_assert_int_ge(avcodec_parameters_copy(seg.par, par), 0);
    for (int i = first; i < n; i++)
        ck_assert_int_eq(vtp_pktlist_add(&seg.pkts, pkts[i]), 0);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_msg(ret == 0, "ret %d: %s", ret, res.error ? res.error : "");
    check_lossless(&res, &ref, start, end, W, H);

    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
    um_frames_clear(&ref);
    um_packets_free(pkts, n);
    avcodec_parameters_free(&par);
}
END_TEST

/* ---- ladders: one decode, several renditions ---- */

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* The presentation times of pkts, in TB, sorted, in out (n of them). */
static void sorted_pts(const vtp_pktlist *pkts, AVRational tb, int64_t *out, int n)
{
    ck_assert_int_eq(pkts->n, n);
    for (int i = 0; i < n; i++) {
        ck_assert_int_ne(pkts->v[i]->pts, AV_NOPTS_VALUE);
        out[i] = av_rescale_q(pkts->v[i]->pts, tb, TB);
    }
    qsort(out, (size_t)n, sizeof(*out), cmp_i64);
}

/* A view of further stream k of res as a result of its own. */
static vtp_result stream_view(const vtp_result *res, int k)
{
    vtp_result v = *res;
    v.par = res->more[k].par;
    v.time_base = res->more[k].time_base;
    v.pkts = res->more[k].pkts;
    v.more = NULL;
    v.nmore = 0;
    return v;
}

/* Decodes one stream and checks its frames: n of them, all w x h, at the
 * times [start, start + n). */
static void check_decoded(const AVCodecParameters *par, AVRational tb, const vtp_pktlist *pkts,
                          int64_t start, int n, int w, int h)
{
    um_frames out = {0};
    ck_assert_int_eq(um_decode(par, tb, pkts->v, pkts->n, &out), 0);
    ck_assert_int_eq(out.n, n);
    for (int i = 0; i < out.n; i++) {
        ck_assert_int_eq(out.v[i]->width, w);
        ck_assert_int_eq(out.v[i]->height, h);
        ck_assert_int_eq(av_rescale_q(out.v[i]->pts, tb, TB), start + i);
    }
    um_frames_clear(&out);
}

#define LADDER_W1 48
#define LADDER_H1 32
#define LADDER_W2 32
#define LADDER_H2 24

/* A two-rendition ladder, both libx264 with B-frames: the segment's own
 * options scale to LADDER_W1 x LADDER_H1, its one further rendition to
 * LADDER_W2 x LADDER_H2. */
static void set_ladder(vtp_segment *seg)
{
    free(seg->opts.encoder);
    seg->opts.encoder = strdup("libx264");
    seg->opts.vf = strdup("scale=48:32");
    av_dict_set(&seg->opts.codec_opts, "preset", "ultrafast", 0);
    av_dict_set(&seg->opts.codec_opts, "bf", "2", 0);
    av_dict_set(&seg->opts.codec_opts, "crf", "30", 0);
    vtp_enc_opts more;
    vtp_enc_opts_init(&more);
    more.encoder = strdup("libx264");
    more.vf = strdup("scale=32:24");
    av_dict_set(&more.codec_opts, "preset", "ultrafast", 0);
    av_dict_set(&more.codec_opts, "bf", "3", 0);
    av_dict_set(&more.codec_opts, "crf", "40", 0);
    ck_assert_int_eq(vtp_segment_set_more(seg, &more, 1), 0);
    vtp_enc_opts_clear(&more);
}

START_TEST(test_pipeline_ladder_two_renditions)
{
    /* 0: a FRAMES segment; 1, 2: a PACKETS segment of mpeg4 with B-frames
     * or libx264 with open GOPs, decoded once for both renditions. */
    vtp_segment seg;
    vtp_result res;
    AVPacket **pkts = NULL;
    int npkts = 0;
    AVCodecParameters *par = avcodec_parameters_alloc();
    const int64_t start = 10, end = 20;
    const int n = (int)(end - start);

    if (_i == 0) {
        make_frames_segment(&seg, "libx264", start, end);
    } else {
        npkts = encode_source(_i - 1, &pkts, par);
        seg_common(&seg, VTP_SEG_PACKETS, "libx264", start, end);
        ck_assert_int_ge(avcodec_parameters_copy(seg.par, par), 0);
        for (int i = 0; i < npkts; i++)
            ck_assert_int_eq(vtp_pktlist_add(&seg.pkts, pkts[i]), 0);
    }
    set_ladder(&seg);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_msg(ret == 0, "ret %d: %s", ret, res.error ? res.error : "");
    ck_assert_int_eq(res.status, 0);
    ck_assert_ptr_null(res.error);
    ck_assert_int_eq(res.nmore, 1);
    ck_assert_ptr_nonnull(res.more);
    ck_assert_int_eq(res.frames, n);
    ck_assert_int_eq(res.frames_counted, n);

    /* Every frame in both streams, one packet each, at the same times. */
    ck_assert_int_eq(res.pkts.n, res.frames);
    ck_assert_int_eq(res.more[0].pkts.n, res.frames);
    int64_t a[NFRAMES], b[NFRAMES];
    sorted_pts(&res.pkts, res.time_base, a, n);
    sorted_pts(&res.more[0].pkts, res.more[0].time_base, b, n);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(a[i], start + i);
        ck_assert_int_eq(b[i], a[i]);
    }
    /* Timestamps pass through: both in the input's time base. */
    ck_assert_int_eq(av_cmp_q(res.time_base, TB), 0);
    ck_assert_int_eq(av_cmp_q(res.more[0].time_base, TB), 0);

    /* Each stream has its own encoder's parameters, at its own size, and
     * starts with a keyframe. */
    ck_assert_int_eq(res.par->codec_type, AVMEDIA_TYPE_VIDEO);
    ck_assert_int_eq(res.par->codec_id, AV_CODEC_ID_H264);
    ck_assert_int_eq(res.par->width, LADDER_W1);
    ck_assert_int_eq(res.par->height, LADDER_H1);
    ck_assert_int_eq(res.more[0].par->codec_type, AVMEDIA_TYPE_VIDEO);
    ck_assert_int_eq(res.more[0].par->codec_id, AV_CODEC_ID_H264);
    ck_assert_int_eq(res.more[0].par->width, LADDER_W2);
    ck_assert_int_eq(res.more[0].par->height, LADDER_H2);
    ck_assert(res.pkts.v[0]->flags & AV_PKT_FLAG_KEY);
    ck_assert(res.more[0].pkts.v[0]->flags & AV_PKT_FLAG_KEY);

    /* Both decode to the whole range at their sizes. */
    check_decoded(res.par, res.time_base, &res.pkts, start, n, LADDER_W1, LADDER_H1);
    check_decoded(res.more[0].par, res.more[0].time_base, &res.more[0].pkts, start, n,
                  LADDER_W2, LADDER_H2);

    /* And the dispatcher's check takes it as a two-rendition result. */
    char why[256] = "";
    int64_t dropped = -1;
    vtp_seg_account acc = {.index = seg.index, .cut_start = start, .cut_end = end,
                           .frames_expected = n, .time_base = TB, .renditions = 2};
    ck_assert_msg(vtp_account_check(&acc, &res, &dropped, why, sizeof(why)) == 0, "%s", why);
    ck_assert_int_eq(dropped, 0);

    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
    if (pkts)
        um_packets_free(pkts, npkts);
    avcodec_parameters_free(&par);
}
END_TEST

START_TEST(test_pipeline_ladder_further_rendition_lossless)
{
    /* A further rendition gets the decoded frames themselves, untouched by
     * the first's filters: without a vf, ffv1 gives back the source. */
    vtp_segment seg;
    vtp_result res;
    um_frames ref = {0};
    make_frames_segment(&seg, "ffv1", 10, 20);
    seg.opts.vf = strdup("scale=32:24,hflip");
    vtp_enc_opts more[2];
    vtp_enc_opts_init(&more[0]);
    vtp_enc_opts_init(&more[1]);
    more[0].encoder = strdup("ffv1");
    more[1].encoder = strdup("libx264");
    av_dict_set(&more[1].codec_opts, "qp", "0", 0);
    av_dict_set(&more[1].codec_opts, "preset", "fast", 0);
    ck_assert_int_eq(vtp_segment_set_more(&seg, more, 2), 0);
    vtp_enc_opts_clear(&more[0]);
    vtp_enc_opts_clear(&more[1]);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_msg(ret == 0, "ret %d: %s", ret, res.error ? res.error : "");
    ck_assert_int_eq(res.nmore, 2);
    ck_assert_int_eq(res.par->width, 32);
    ck_assert_int_eq(res.par->height, 24);
    check_decoded(res.par, res.time_base, &res.pkts, 10, 10, 32, 24);
    source_frames(&ref);
    vtp_result v = stream_view(&res, 0);
    ck_assert_int_eq(v.par->codec_id, AV_CODEC_ID_FFV1);
    check_lossless(&v, &ref, 10, 20, W, H);
    v = stream_view(&res, 1);
    ck_assert_int_eq(v.par->codec_id, AV_CODEC_ID_H264);
    check_lossless(&v, &ref, 10, 20, W, H);
    um_frames_clear(&ref);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_ladder_empty_range)
{
    /* Nothing in range: every rendition's stream is there, empty. */
    vtp_segment seg;
    vtp_result res;
    make_frames_segment(&seg, "ffv1", 100, 200);
    vtp_enc_opts more;
    vtp_enc_opts_init(&more);
    more.encoder = strdup("ffv1");
    more.vf = strdup("scale=32:24");
    ck_assert_int_eq(vtp_segment_set_more(&seg, &more, 1), 0);
    vtp_enc_opts_clear(&more);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    ck_assert_int_eq(vtp_pipeline_run(&seg, &res, NULL), 0);
    ck_assert_int_eq(res.frames, 0);
    ck_assert_int_eq(res.pkts.n, 0);
    ck_assert_int_eq(res.nmore, 1);
    ck_assert_int_eq(res.more[0].pkts.n, 0);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_ladder_picture_change)
{
    /* The pictures change size halfway through the range: every
     * rendition's graph is rebuilt, and each stream keeps its own size and
     * all the frames. */
    vtp_segment seg;
    vtp_result res;
    make_frames_segment(&seg, "ffv1", 10, 20);
    for (int i = 15; i < NFRAMES; i++) {
        av_frame_free(&seg.frames.v[i]);
        seg.frames.v[i] = um_make_frame(AV_PIX_FMT_YUV420P, 80, 60, i);
        ck_assert_ptr_nonnull(seg.frames.v[i]);
        vtp_frame_set_duration(seg.frames.v[i], 1);
    }
    seg.opts.vf = strdup("scale=48:32");
    vtp_enc_opts more;
    vtp_enc_opts_init(&more);
    more.encoder = strdup("libx264");
    more.vf = strdup("scale=32:24");
    av_dict_set(&more.codec_opts, "preset", "ultrafast", 0);
    av_dict_set(&more.codec_opts, "bf", "2", 0);
    ck_assert_int_eq(vtp_segment_set_more(&seg, &more, 1), 0);
    vtp_enc_opts_clear(&more);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_msg(ret == 0, "ret %d: %s", ret, res.error ? res.error : "");
    ck_assert_int_eq(res.frames, 10);
    ck_assert_int_eq(res.nmore, 1);
    int64_t a[NFRAMES], b[NFRAMES];
    sorted_pts(&res.pkts, res.time_base, a, 10);
    sorted_pts(&res.more[0].pkts, res.more[0].time_base, b, 10);
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(a[i], 10 + i);
        ck_assert_int_eq(b[i], 10 + i);
    }
    ck_assert(res.more[0].pkts.v[0]->flags & AV_PKT_FLAG_KEY);
    check_decoded(res.par, res.time_base, &res.pkts, 10, 10, 48, 32);
    check_decoded(res.more[0].par, res.more[0].time_base, &res.more[0].pkts, 10, 10, 32, 24);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_pipeline_ladder_two_pass_refused)
{
    /* Two-pass ladders are refused before any work: either pass. */
    static const uint32_t flags[] = {VTP_SEG_PASS1, VTP_SEG_PASS2};
    for (int f = 0; f < 2; f++) {
        vtp_segment seg;
        vtp_result res;
        make_frames_segment(&seg, "libx264", 10, 20);
        set_ladder(&seg);
        seg.flags = flags[f];
        ck_assert_int_eq(vtp_result_init(&res), 0);
        int ret = vtp_pipeline_run(&seg, &res, NULL);
        ck_assert_msg(ret < 0, "flags %u: ret %d", flags[f], ret);
        ck_assert_int_eq(res.status, ret);
        ck_assert_ptr_nonnull(res.error);
        ck_assert_int_eq(res.pkts.n, 0);
        ck_assert_int_eq(res.nmore, 0);
        ck_assert_ptr_null(res.pass.log);
        vtp_result_clear(&res);
        vtp_segment_clear(&seg);
    }
}
END_TEST

START_TEST(test_pipeline_ladder_bad_rendition_fails)
{
    /* A further rendition that cannot be made fails the whole segment,
     * and nothing of any stream is left in the result. */
    vtp_segment seg;
    vtp_result res;
    make_frames_segment(&seg, "ffv1", 10, 20);
    vtp_enc_opts more[2];
    vtp_enc_opts_init(&more[0]);
    vtp_enc_opts_init(&more[1]);
    more[0].encoder = strdup("ffv1");
    more[0].vf = strdup("scale=32:24");
    switch (_i) {
    case 0: more[1].encoder = strdup("nosuchencoder"); break;
    case 1: more[1].encoder = strdup("ffv1");
            more[1].vf = strdup("nosuchfilter=3");
            break;
    case 2: more[1].encoder = strdup("ffv1");
            av_dict_set(&more[1].codec_opts, "nosuchoption", "1", 0);
            break;
    }
    ck_assert_int_eq(vtp_segment_set_more(&seg, more, 2), 0);
    vtp_enc_opts_clear(&more[0]);
    vtp_enc_opts_clear(&more[1]);
    ck_assert_int_eq(vtp_result_init(&res), 0);
    int ret = vtp_pipeline_run(&seg, &res, NULL);
    ck_assert_int_lt(ret, 0);
    ck_assert_int_eq(res.status, ret);
    ck_assert_ptr_nonnull(res.error);
    if (_i == 0) {
        ck_assert_int_eq(ret, VTP_ERR_ENCODER);
        ck_assert_msg(strstr(res.error, "nosuchencoder") != NULL, "error: %s", res.error);
    } else if (_i == 2) {
        ck_assert_int_eq(ret, VTP_ERR_ENCODER);
        ck_assert_msg(strstr(res.error, "nosuchoption") != NULL, "error: %s", res.error);
    }
    ck_assert_int_eq(res.pkts.n, 0);
    ck_assert_int_eq(res.nmore, 0);
    ck_assert_ptr_null(res.more);
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
}
END_TEST

/* ---- the filter check ---- */

START_TEST(test_pipeline_check_filters)
{
    vtp_enc_opts o;
    AVCodecParameters *par = avcodec_parameters_alloc();
    char why[512];
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->format = AV_PIX_FMT_YUV420P;
    par->width = W;
    par->height = H;
    par->sample_aspect_ratio = (AVRational){1, 1};

    vtp_enc_opts_init(&o);
    o.encoder = strdup("ffv1");
    ck_assert_int_eq(vtp_pipeline_check(&o, par, TB, (AVRational){25, 1}, why, sizeof(why)),
                     0);
    o.vf = strdup("scale=32:24,hflip");
    ck_assert_int_eq(vtp_pipeline_check(&o, par, TB, (AVRational){25, 1}, why, sizeof(why)),
                     0);
    free(o.vf);
    o.vf = strdup("nosuchfilter");
    why[0] = 0;
    ck_assert_int_eq(vtp_pipeline_check(&o, par, TB, (AVRational){0, 1}, why, sizeof(why)),
                     VTP_ERR_USAGE);
    ck_assert_msg(strstr(why, "nosuchfilter") != NULL, "why: %s", why);
    vtp_enc_opts_clear(&o);
    avcodec_parameters_free(&par);
}
END_TEST

Suite *pipeline_suite(void)
{
    Suite *s = suite_create("pipeline");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_pipeline_frames_ffv1_lossless_range);
    tcase_add_test(tc, test_pipeline_frames_open_range);
    tcase_add_test(tc, test_pipeline_counts_frames_from_count_start);
    tcase_add_test(tc, test_pipeline_repeated_frame_time_is_damage);
    tcase_add_test(tc, test_pipeline_frames_result_survives_the_wire);
    tcase_add_loop_test(tc, test_pipeline_frames_odd_size_formats_lossless, 0, 4);
    tcase_add_test(tc, test_pipeline_frames_x264_lossless);
    tcase_add_loop_test(tc, test_pipeline_frames_read_in_place, 0, 3);
    tcase_add_test(tc, test_pipeline_vf_scale_changes_size);
    tcase_add_test(tc, test_pipeline_empty_range_gives_no_packets);
    tcase_add_test(tc, test_pipeline_unknown_encoder_fails);
    tcase_add_test(tc, test_pipeline_unknown_encoder_option_fails);
    tcase_add_test(tc, test_pipeline_bad_filter_fails);
    tcase_add_test(tc, test_pipeline_cancel_before_run_interrupts);
    tcase_add_test(tc, test_pipeline_packets_without_decoder_fail);
    tcase_add_loop_test(tc, test_pipeline_packets_bframes_to_ffv1, 0, 2);
    tcase_add_loop_test(tc, test_pipeline_packets_from_midstream_keyframe, 0, 2);
    tcase_add_test(tc, test_pipeline_check_filters);
    tcase_add_loop_test(tc, test_pipeline_ladder_two_renditions, 0, 3);
    tcase_add_test(tc, test_pipeline_ladder_further_rendition_lossless);
    tcase_add_test(tc, test_pipeline_ladder_empty_range);
    tcase_add_test(tc, test_pipeline_ladder_picture_change);
    tcase_add_test(tc, test_pipeline_ladder_two_pass_refused);
    tcase_add_loop_test(tc, test_pipeline_ladder_bad_rendition_fails, 0, 3);
    suite_add_tcase(s, tc);
    return s;
}
