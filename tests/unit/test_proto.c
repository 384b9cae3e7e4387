/* test_proto.c -- dispatcher/worker messages (include/vtp_proto.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/pixfmt.h>

#include "suites.h"
#include "unit_media.h"
#include "vtp_codecpar.h"
#include "vtp_compat.h"
#include "vtp_error.h"
#include "vtp_proto.h"

/* Offset of the codec parameters in a SEGMENT message: header, u64 job,
 * u32 index, u8 kind, 2 x i64 cuts, 4 x i32 rationals, u32 threads,
 * u32 flags. */
#define SEG_PAR_OFFSET (VTP_PROTO_HEADER_SIZE + 8 + 4 + 1 + 8 + 8 + 16 + 4 + 4 + 8 + 8)

/* ---- fixtures ---- */

static void fill_par(AVCodecParameters *par, int extradata_size)
{
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = AV_CODEC_ID_H264;
    par->codec_tag = 0x31637661;
    par->format = AV_PIX_FMT_YUV420P10LE;
    par->bit_rate = 1234567890123LL;
    par->bits_per_coded_sample = 24;
    par->bits_per_raw_sample = 10;
    par->profile = 110;
    par->level = 41;
    par->width = 1920;
    par->height = 1080;
    par->sample_aspect_ratio = (AVRational){4, 3};
    par->field_order = AV_FIELD_TB;
    par->color_range = AVCOL_RANGE_MPEG;
    par->color_primaries = AVCOL_PRI_BT2020;
    par->color_trc = AVCOL_TRC_SMPTE2084;
    par->color_space = AVCOL_SPC_BT2020_NCL;
    par->chroma_location = AVCHROMA_LOC_TOPLEFT;
    par->video_delay = 2;
    av_freep(&par->extradata);
    par->extradata_size = 0;
    if (extradata_size > 0) {
        par->extradata = av_mallocz((size_t)extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
        ck_assert_ptr_nonnull(par->extradata);
        for (int i = 0; i < extradata_size; i++)
            par->extradata[i] = (uint8_t)(i * 31 + 7);
        par->extradata_size = extradata_size;
    }
}

static void assert_par_eq(const AVCodecParameters *a, const AVCodecParameters *b)
{
    ck_assert_int_eq(a->codec_type, b->codec_type);
    ck_assert_int_eq(a->codec_id, b->codec_id);
    ck_assert_uint_eq(a->codec_tag, b->codec_tag);
    ck_assert_int_eq(a->format, b->format);
    ck_assert_int_eq(a->bit_rate, b->bit_rate);
    ck_assert_int_eq(a->bits_per_coded_sample, b->bits_per_coded_sample);
    ck_assert_int_eq(a->bits_per_raw_sample, b->bits_per_raw_sample);
    ck_assert_int_eq(a->profile, b->profile);
    ck_assert_int_eq(a->level, b->level);
    ck_assert_int_eq(a->width, b->width);
    ck_assert_int_eq(a->height, b->height);
    ck_assert_int_eq(a->sample_aspect_ratio.num, b->sample_aspect_ratio.num);
    ck_assert_int_eq(a->sample_aspect_ratio.den, b->sample_aspect_ratio.den);
    ck_assert_int_eq(a->field_order, b->field_order);
    ck_assert_int_eq(a->color_range, b->color_range);
    ck_assert_int_eq(a->color_primaries, b->color_primaries);
    ck_assert_int_eq(a->color_trc, b->color_trc);
    ck_assert_int_eq(a->color_space, b->color_space);
    ck_assert_int_eq(a->chroma_location, b->chroma_location);
    ck_assert_int_eq(a->video_delay, b->video_delay);
    ck_assert_int_eq(a->extradata_size, b->extradata_size);
    if (a->extradata_size)
        ck_assert_mem_eq(a->extradata, b->extradata, (size_t)a->extradata_size);
}

static void add_packet(vtp_pktlist *l, int64_t pts, int64_t dts, int64_t dur, int flags, int size,
                       int seed)
{
    AVPacket *p = av_packet_alloc();
    ck_assert_ptr_nonnull(p);
    if (size > 0) {
        ck_assert_int_eq(av_new_packet(p, size), 0);
        for (int i = 0; i < size; i++)
            p->data[i] = (uint8_t)(i * 13 + seed);
    }
    p->pts = pts;
    p->dts = dts;
    p->duration = dur;
    p->flags = flags;
    ck_assert_int_eq(vtp_pktlist_move(l, p), 0);
    av_packet_free(&p);
}

static void assert_pkts_eq(const vtp_pktlist *a, const vtp_pktlist *b)
{
    ck_assert_int_eq(a->n, b->n);
    ck_assert_int_eq(a->bytes, b->bytes);
    for (int i = 0; i < a->n; i++) {
        const AVPacket *x = a->v[i], *y = b->v[i];
        ck_assert_int_eq(x->pts, y->pts);
        ck_assert_int_eq(x->dts, y->dts);
        ck_assert_int_eq(x->duration, y->duration);
        ck_assert_int_eq(x->flags, y->flags);
        ck_assert_int_eq(x->size, y->size);
        if (x->size)
            ck_assert_mem_eq(x->data, y->data, (size_t)x->size);
    }
}

/* A packet segment with every field set to something unusual. */
static void make_packet_segment(vtp_segment *s)
{
    ck_assert_int_eq(vtp_segment_init(s), 0);
    s->job_id = 0x1122334455667788ull;
    s->index = 42;
    s->kind = VTP_SEG_PACKETS;
    s->cut_start = -1000;
    s->cut_end = 900000;
    s->time_base = (AVRational){1, 90000};
    s->frame_rate = (AVRational){30000, 1001};
    s->threads = 3;
    fill_par(s->par, 37);
    s->opts.encoder = strdup("libx264");
    s->opts.vf = strdup("scale=640:-2,hqdn3d");
    av_dict_set(&s->opts.codec_opts, "crf", "23", 0);
    av_dict_set(&s->opts.codec_opts, "preset", "fast", 0);
    av_dict_set(&s->opts.codec_opts, "x264-params", "keyint=50:bframes=3", 0);
    add_packet(&s->pkts, 0, -3003, 3003, AV_PKT_FLAG_KEY, 1500, 1);
    add_packet(&s->pkts, 9009, 0, 3003, 0, 1, 2);
    add_packet(&s->pkts, 3003, 3003, 0, AV_PKT_FLAG_DISCARD | AV_PKT_FLAG_DISPOSABLE, 300, 3);
    add_packet(&s->pkts, AV_NOPTS_VALUE, AV_NOPTS_VALUE, 1, AV_PKT_FLAG_CORRUPT, 0, 4);
    add_packet(&s->pkts, INT64_MAX, INT64_MIN, INT64_MAX, AV_PKT_FLAG_KEY, 2, 5);
}

/* A frame segment with two small yuv420p frames. */
static void make_frame_segment(vtp_segment *s)
{
    ck_assert_int_eq(vtp_segment_init(s), 0);
    s->job_id = 7;
    s->index = 3;
    s->kind = VTP_SEG_FRAMES;
    s->cut_start = 5;
    s->cut_end = VTP_PTS_MAX;
    s->time_base = (AVRational){1, 25};
    s->frame_rate = (AVRational){25, 1};
    s->threads = 1;
    s->par->codec_type = AVMEDIA_TYPE_VIDEO;
    s->par->codec_id = AV_CODEC_ID_NONE;
    s->par->format = AV_PIX_FMT_YUV420P;
    s->par->width = 33;
    s->par->height = 17;
    s->opts.encoder = strdup("ffv1");
    for (int i = 0; i < 2; i++) {
        AVFrame *f = um_make_frame(AV_PIX_FMT_YUV420P, 33, 17, 5 + i);
        ck_assert_ptr_nonnull(f);
        vtp_frame_set_duration(f, 1);
        f->color_range = AVCOL_RANGE_JPEG;
        f->colorspace = AVCOL_SPC_BT470BG;
        ck_assert_int_eq(vtp_framelist_move(&s->frames, f), 0);
        av_frame_free(&f);
    }
}

static void make_result(vtp_result *r)
{
    ck_assert_int_eq(vtp_result_init(r), 0);
    r->job_id = 99;
    r->index = 12;
    r->status = 0;
    r->frames = 250;
    r->cpu_seconds = 1.5;
    r->time_base = (AVRational){1, 1000};
    fill_par(r->par, 12);
    r->par->codec_id = AV_CODEC_ID_FFV1;
    add_packet(&r->pkts, 40, 0, 40, AV_PKT_FLAG_KEY, 700, 9);
    add_packet(&r->pkts, 0, 40, 40, 0, 20, 10);
    add_packet(&r->pkts, 80, 80, 40, 0, 1, 11);
}

static uint8_t *write_segment(const vtp_segment *s, size_t *len)
{
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_proto_write_segment(&b, s);
    ck_assert_int_eq(b.failed, 0);
    return vtp_wbuf_release(&b, len);
}

static uint8_t *write_result(const vtp_result *r, size_t *len)
{
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_proto_write_result(&b, r);
    ck_assert_int_eq(b.failed, 0);
    return vtp_wbuf_release(&b, len);
}

static void assert_segment_eq(const vtp_segment *a, const vtp_segment *b)
{
    ck_assert_uint_eq(a->job_id, b->job_id);
    ck_assert_uint_eq(a->index, b->index);
    ck_assert_int_eq(a->kind, b->kind);
    ck_assert_int_eq(a->cut_start, b->cut_start);
    ck_assert_int_eq(a->cut_end, b->cut_end);
    ck_assert_int_eq(a->time_base.num, b->time_base.num);
    ck_assert_int_eq(a->time_base.den, b->time_base.den);
    ck_assert_int_eq(a->frame_rate.num, b->frame_rate.num);
    ck_assert_int_eq(a->frame_rate.den, b->frame_rate.den);
    ck_assert_int_eq(a->threads, b->threads);
    assert_par_eq(a->par, b->par);
    ck_assert_str_eq(a->opts.encoder, b->opts.encoder);
    if (a->opts.vf)
        ck_assert_str_eq(a->opts.vf, b->opts.vf);
    else
        ck_assert_ptr_null(b->opts.vf);
    ck_assert_int_eq(av_dict_count(a->opts.codec_opts), av_dict_count(b->opts.codec_opts));
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(a->opts.codec_opts, "", e, AV_DICT_IGNORE_SUFFIX))) {
        const AVDictionaryEntry *f = av_dict_get(b->opts.codec_opts, e->key, NULL, 0);
        ck_assert_ptr_nonnull(f);
        ck_assert_str_eq(e->value, f->value);
    }
    assert_pkts_eq(&a->pkts, &b->pkts);
    ck_assert_int_eq(a->frames.n, b->frames.n);
    for (int i = 0; i < a->frames.n; i++) {
        char why[128];
        const AVFrame *x = a->frames.v[i], *y = b->frames.v[i];
        ck_assert_msg(um_frames_equal(x, y, why, sizeof(why)), "frame %d: %s", i, why);
        ck_assert_int_eq(x->pts, y->pts);
        ck_assert_int_eq(vtp_frame_duration(x), vtp_frame_duration(y));
        ck_assert_int_eq(x->color_range, y->color_range);
        ck_assert_int_eq(x->colorspace, y->colorspace);
    }
}

/* What the decoders promise on failure: the struct is as after init. */
static void assert_segment_cleared(const vtp_segment *s)
{
    ck_assert_ptr_nonnull(s->par);
    ck_assert_int_eq(s->par->codec_type, AVMEDIA_TYPE_UNKNOWN);
    ck_assert_int_eq(s->par->codec_id, AV_CODEC_ID_NONE);
    ck_assert_ptr_null(s->par->extradata);
    ck_assert_uint_eq(s->job_id, 0);
    ck_assert_int_eq(s->kind, 0);
    ck_assert_int_eq(s->cut_start, VTP_PTS_MIN);
    ck_assert_int_eq(s->cut_end, VTP_PTS_MAX);
    ck_assert_int_eq(s->pkts.n, 0);
    ck_assert_ptr_null(s->pkts.v);
    ck_assert_int_eq(s->frames.n, 0);
    ck_assert_ptr_null(s->frames.v);
    ck_assert_ptr_null(s->opts.encoder);
    ck_assert_ptr_null(s->opts.vf);
    ck_assert_ptr_null(s->opts.codec_opts);
}

static void assert_result_cleared(const vtp_result *r)
{
    ck_assert_ptr_nonnull(r->par);
    ck_assert_int_eq(r->par->codec_type, AVMEDIA_TYPE_UNKNOWN);
    ck_assert_ptr_null(r->par->extradata);
    ck_assert_uint_eq(r->job_id, 0);
    ck_assert_int_eq(r->status, 0);
    ck_assert_ptr_null(r->error);
    ck_assert_int_eq(r->pkts.n, 0);
    ck_assert_ptr_null(r->pkts.v);
}

/* Writes s and expects the reader to refuse it. */
static void expect_segment_rejected(const vtp_segment *bad)
{
    size_t len;
    uint8_t *data = write_segment(bad, &len);
    vtp_segment s;
    ck_assert_int_eq(vtp_segment_init(&s), 0);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), VTP_ERR_PROTO);
    assert_segment_cleared(&s);
    vtp_segment_clear(&s);
    free(data);
}

static void expect_result_rejected(const vtp_result *bad)
{
    size_t len;
    uint8_t *data = write_result(bad, &len);
    vtp_result r;
    ck_assert_int_eq(vtp_result_init(&r), 0);
    ck_assert_int_eq(vtp_proto_read_result(data, len, &r), VTP_ERR_PROTO);
    assert_result_cleared(&r);
    vtp_result_clear(&r);
    free(data);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- header, READY, STOP ---- */

START_TEST(test_proto_ready_roundtrip)
{
    vtp_wbuf b;
    vtp_ready m = {.threads = 16}, got = {0};
    int type = 0;

    vtp_wbuf_init(&b);
    vtp_proto_write_ready(&b, &m);
    ck_assert_uint_gt(b.len, VTP_PROTO_HEADER_SIZE);
    ck_assert_int_eq(vtp_proto_type(b.data, b.len, &type), 0);
    ck_assert_int_eq(type, VTP_MSG_READY);
    ck_assert_int_eq(vtp_proto_read_ready(b.data, b.len, &got), 0);
    ck_assert_uint_eq(got.threads, 16);
    /* Truncated and with a trailing byte. */
    for (size_t n = 0; n < b.len; n++)
        ck_assert_int_eq(vtp_proto_read_ready(b.data, n, &got), VTP_ERR_PROTO);
    vtp_wbuf_u8(&b, 0);
    ck_assert_int_eq(vtp_proto_read_ready(b.data, b.len, &got), VTP_ERR_PROTO);
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_proto_ready_thread_count_checked)
{
    vtp_wbuf b;
    vtp_ready got;
    static const uint32_t bad[] = {0, 4097, UINT32_MAX};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vtp_ready m = {.threads = bad[i]};
        vtp_wbuf_init(&b);
        vtp_proto_write_ready(&b, &m);
        ck_assert_int_eq(vtp_proto_read_ready(b.data, b.len, &got), VTP_ERR_PROTO);
        vtp_wbuf_free(&b);
    }
    vtp_ready ok = {.threads = 4096};
    vtp_wbuf_init(&b);
    vtp_proto_write_ready(&b, &ok);
    ck_assert_int_eq(vtp_proto_read_ready(b.data, b.len, &got), 0);
    ck_assert_uint_eq(got.threads, 4096);
    vtp_wbuf_free(&b);
}
END_TEST

#ifdef VTP_MAX_ENCODERS
/* READY with the fields of networked workers (heartbeat, encoder list). */
START_TEST(test_proto_ready_encoders_roundtrip)
{
    vtp_wbuf b;
    vtp_ready got;
    char names[] = "libx264,ffv1,mpeg4";
    vtp_ready m = {.threads = 3, .heartbeat = 1, .encoders = names};

    vtp_wbuf_init(&b);
    vtp_proto_write_ready(&b, &m);
    ck_assert_int_eq(vtp_proto_read_ready(b.data, b.len, &got), 0);
    ck_assert_uint_eq(got.threads, 3);
    ck_assert_int_eq(got.heartbeat, 1);
    ck_assert_str_eq(got.encoders, names);
    ck_assert_ptr_ne(got.encoders, names);
    vtp_ready_clear(&got);
    ck_assert_ptr_null(got.encoders);

    /* Every truncation fails and leaves nothing allocated. */
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, b.data, n);
        ck_assert_int_eq(vtp_proto_read_ready(cut, n, &got), VTP_ERR_PROTO);
        free(cut);
        ck_assert_ptr_null(got.encoders);
    }
    /* The heartbeat flag is 0 or 1. */
    b.data[VTP_PROTO_HEADER_SIZE + 4] = 2;
    ck_assert_int_eq(vtp_proto_read_ready(b.data, b.len, &got), VTP_ERR_PROTO);
    ck_assert_ptr_null(got.encoders);
    vtp_wbuf_free(&b);

    /* No list: any encoder. */
    vtp_ready any = {.threads = 1};
    vtp_proto_write_ready(&b, &any);
    ck_assert_int_eq(vtp_proto_read_ready(b.data, b.len, &got), 0);
    ck_assert_ptr_null(got.encoders);
    ck_assert_int_eq(got.heartbeat, 0);
    vtp_ready_clear(&got);
    vtp_wbuf_free(&b);

    /* A list longer than the limit is refused. */
    char *huge = malloc(VTP_MAX_ENCODERS + 2);
    memset(huge, 'x', VTP_MAX_ENCODERS + 1);
    huge[VTP_MAX_ENCODERS + 1] = 0;
    vtp_ready big = {.threads = 1, .encoders = huge};
    vtp_proto_write_ready(&b, &big);
    ck_assert_int_eq(vtp_proto_read_ready(b.data, b.len, &got), VTP_ERR_PROTO);
    ck_assert_ptr_null(got.encoders);
    free(huge);
    vtp_wbuf_free(&b);
}
END_TEST
#endif

START_TEST(test_proto_stop_roundtrip)
{
    vtp_wbuf b;
    int type = 0;
    vtp_wbuf_init(&b);
    vtp_proto_write_stop(&b);
    ck_assert_uint_eq(b.len, VTP_PROTO_HEADER_SIZE);
    ck_assert_mem_eq(b.data, "VTP1", 4);
    ck_assert_int_eq(vtp_proto_type(b.data, b.len, &type), 0);
    ck_assert_int_eq(type, VTP_MSG_STOP);
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_proto_header_checked)
{
    vtp_wbuf b;
    int type = -1;

    vtp_wbuf_init(&b);
    vtp_proto_write_stop(&b);
    uint8_t msg[VTP_PROTO_HEADER_SIZE];
    memcpy(msg, b.data, sizeof(msg));
    vtp_wbuf_free(&b);

    for (size_t n = 0; n < sizeof(msg); n++)
        ck_assert_int_eq(vtp_proto_type(msg, n, &type), VTP_ERR_PROTO);
    ck_assert_int_eq(vtp_proto_type(NULL, 8, &type), VTP_ERR_PROTO);

    uint8_t bad[VTP_PROTO_HEADER_SIZE];
    memcpy(bad, msg, sizeof(bad));
    bad[0] ^= 0x20;                                 /* magic "vTP1" */
    ck_assert_int_eq(vtp_proto_type(bad, sizeof(bad), &type), VTP_ERR_PROTO);
    memcpy(bad, msg, sizeof(bad));
    bad[4] = VTP_PROTO_VERSION + 1;                 /* version */
    ck_assert_int_eq(vtp_proto_type(bad, sizeof(bad), &type), VTP_ERR_PROTO);
    memcpy(bad, msg, sizeof(bad));
    bad[4] = 0;
    ck_assert_int_eq(vtp_proto_type(bad, sizeof(bad), &type), VTP_ERR_PROTO);
    memcpy(bad, msg, sizeof(bad));
    bad[5] = 1;                                     /* version 0x101 */
    ck_assert_int_eq(vtp_proto_type(bad, sizeof(bad), &type), VTP_ERR_PROTO);
    /* Types no version of the protocol uses. */
    static const uint16_t types[] = {0, 0x100 + VTP_MSG_READY, 0x100 + VTP_MSG_SEGMENT, 0x7fff,
                                     0xffff};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        memcpy(bad, msg, sizeof(bad));
        bad[6] = (uint8_t)types[i];
        bad[7] = (uint8_t)(types[i] >> 8);
        ck_assert_int_eq(vtp_proto_type(bad, sizeof(bad), &type), VTP_ERR_PROTO);
    }
    ck_assert_int_eq(type, -1);   /* never set on failure */
}
END_TEST

/* ---- SEGMENT ---- */

START_TEST(test_proto_segment_packets_roundtrip)
{
    vtp_segment src, got;
    size_t len;
    int type;

    make_packet_segment(&src);
    uint8_t *data = write_segment(&src, &len);
    ck_assert_int_eq(vtp_proto_type(data, len, &type), 0);
    ck_assert_int_eq(type, VTP_MSG_SEGMENT);
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &got), 0);
    assert_segment_eq(&src, &got);
    /* The copies are independent of the message buffer. */
    memset(data, 0, len);
    ck_assert_uint_eq(got.pkts.v[0]->data[1], (uint8_t)(13 + 1));
    ck_assert_uint_eq(got.par->extradata[1], (uint8_t)(31 + 7));
    free(data);
    vtp_segment_clear(&got);
    vtp_segment_clear(&src);
}
END_TEST

START_TEST(test_proto_segment_minimal_roundtrip)
{
    /* No packets, no vf, no options, no extradata, open cuts. */
    vtp_segment src, got;
    size_t len;
    ck_assert_int_eq(vtp_segment_init(&src), 0);
    src.kind = VTP_SEG_PACKETS;
    src.par->codec_type = AVMEDIA_TYPE_VIDEO;
    src.par->codec_id = AV_CODEC_ID_MPEG4;
    src.opts.encoder = strdup("ffv1");
    uint8_t *data = write_segment(&src, &len);
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &got), 0);
    assert_segment_eq(&src, &got);
    ck_assert_ptr_null(got.opts.vf);
    ck_assert_ptr_null(got.opts.codec_opts);
    ck_assert_ptr_null(got.par->extradata);
    free(data);
    vtp_segment_clear(&got);
    vtp_segment_clear(&src);
}
END_TEST

START_TEST(test_proto_segment_frames_roundtrip)
{
    vtp_segment src, got;
    size_t len;

    make_frame_segment(&src);
    uint8_t *data = write_segment(&src, &len);
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &got), 0);
    ck_assert_int_eq(got.kind, VTP_SEG_FRAMES);
    ck_assert_int_eq(got.frames.n, 2);
    ck_assert_int_eq(got.pkts.n, 0);
    assert_segment_eq(&src, &got);
    ck_assert_int_eq(got.frames.v[0]->pts, 5);
    ck_assert_int_eq(got.frames.v[1]->pts, 6);
    /* Pixels are owned by the frames, not borrowed from the message. */
    AVFrame *ref = um_make_frame(AV_PIX_FMT_YUV420P, 33, 17, 6);
    memset(data, 0xEE, len);
    ck_assert(um_frames_equal(got.frames.v[1], ref, NULL, 0));
    av_frame_free(&ref);
    free(data);
    vtp_segment_clear(&got);
    vtp_segment_clear(&src);
}
END_TEST

static void check_every_truncation_of_segment(vtp_segment *src)
{
    size_t len;
    uint8_t *data = write_segment(src, &len);
    vtp_segment s;

    ck_assert_int_eq(vtp_segment_init(&s), 0);
    for (size_t n = 0; n < len; n++) {
        /* A copy of exactly n bytes, so that reading past it is an error
         * valgrind or ASan would see. */
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, data, n);
        int ret = vtp_proto_read_segment(cut, n, &s);
        free(cut);
        ck_assert_msg(ret == VTP_ERR_PROTO, "length %zu of %zu: got %d", n, len, ret);
        assert_segment_cleared(&s);
    }
    /* The same struct still reads a whole message. */
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), 0);
    assert_segment_eq(src, &s);
    vtp_segment_clear(&s);
    free(data);
}

START_TEST(test_proto_segment_every_truncation_rejected)
{
    vtp_segment src;
    make_packet_segment(&src);
    check_every_truncation_of_segment(&src);
    vtp_segment_clear(&src);
}
END_TEST

START_TEST(test_proto_segment_frames_every_truncation_rejected)
{
    vtp_segment src;
    make_frame_segment(&src);
    check_every_truncation_of_segment(&src);
    vtp_segment_clear(&src);
}
END_TEST

START_TEST(test_proto_segment_trailing_bytes_rejected)
{
    vtp_segment src, s;
    vtp_wbuf b;
    make_packet_segment(&src);
    vtp_wbuf_init(&b);
    vtp_proto_write_segment(&b, &src);
    vtp_wbuf_u8(&b, 0);
    ck_assert_int_eq(vtp_segment_init(&s), 0);
    ck_assert_int_eq(vtp_proto_read_segment(b.data, b.len, &s), VTP_ERR_PROTO);
    assert_segment_cleared(&s);
    vtp_segment_clear(&s);
    vtp_wbuf_free(&b);
    vtp_segment_clear(&src);
}
END_TEST

START_TEST(test_proto_segment_bad_header_rejected)
{
    vtp_segment src, s;
    size_t len;
    make_packet_segment(&src);
    uint8_t *data = write_segment(&src, &len);
    ck_assert_int_eq(vtp_segment_init(&s), 0);

    data[1] ^= 0xff;                                /* magic */
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), VTP_ERR_PROTO);
    assert_segment_cleared(&s);
    data[1] ^= 0xff;
    data[4] = VTP_PROTO_VERSION + 1;                /* version */
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), VTP_ERR_PROTO);
    assert_segment_cleared(&s);
    data[4] = VTP_PROTO_VERSION;
    data[6] = 0xEE;                                 /* unknown type */
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), VTP_ERR_PROTO);
    assert_segment_cleared(&s);
    data[6] = VTP_MSG_RESULT;                       /* another message's type */
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), VTP_ERR_PROTO);
    assert_segment_cleared(&s);
    data[6] = VTP_MSG_SEGMENT;
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), 0);

    free(data);
    vtp_segment_clear(&s);
    vtp_segment_clear(&src);
}
END_TEST

/* Each case breaks one field of a valid packet segment. */
enum {
    BAD_CUTS_EQUAL,
    BAD_CUTS_REVERSED,
    BAD_TB_DEN_ZERO,
    BAD_TB_NUM_ZERO,
    BAD_TB_NEGATIVE,
    BAD_RATE_NEGATIVE,
    BAD_RATE_DEN_ZERO,
    BAD_KIND_0,
    BAD_KIND_7,
    BAD_THREADS_0,
    BAD_THREADS_HUGE,
    BAD_PKT_DURATION,
    BAD_NO_ENCODER,
    BAD_PIX_FMT_NB,
    BAD_PIX_FMT_NEG,
    BAD_PIX_FMT_HUGE,
    BAD_COLOR_RANGE,
    BAD_COLOR_PRIMARIES,
    BAD_COLOR_TRC,
    BAD_COLOR_SPACE,
    BAD_COLOR_NEG,
    BAD_CHROMA_LOC,
    BAD_FIELD_ORDER,
    BAD_WIDTH_NEG,
    BAD_WIDTH_HUGE,
    BAD_HEIGHT_HUGE,
    BAD_SAR_NEG,
    BAD_VIDEO_DELAY,
    BAD_CODEC_TYPE_AUDIO,
    BAD_CODEC_ID,
    BAD_COUNT
};

START_TEST(test_proto_segment_invalid_field_rejected)
{
    vtp_segment s;
    make_packet_segment(&s);
    switch (_i) {
    case BAD_CUTS_EQUAL: s.cut_start = s.cut_end = 100; break;
    case BAD_CUTS_REVERSED: s.cut_start = 101; s.cut_end = 100; break;
    case BAD_TB_DEN_ZERO: s.time_base = (AVRational){1, 0}; break;
    case BAD_TB_NUM_ZERO: s.time_base = (AVRational){0, 25}; break;
    case BAD_TB_NEGATIVE: s.time_base = (AVRational){-1, 25}; break;
    case BAD_RATE_NEGATIVE: s.frame_rate = (AVRational){-25, 1}; break;
    case BAD_RATE_DEN_ZERO: s.frame_rate = (AVRational){25, 0}; break;
    case BAD_KIND_0: s.kind = 0; break;
    case BAD_KIND_7: s.kind = 7; break;
    case BAD_THREADS_0: s.threads = 0; break;
    case BAD_THREADS_HUGE: s.threads = 1025; break;
    case BAD_PKT_DURATION: s.pkts.v[2]->duration = -1; break;
    case BAD_NO_ENCODER: free(s.opts.encoder); s.opts.encoder = NULL; break;
    case BAD_PIX_FMT_NB: s.par->format = AV_PIX_FMT_NB; break;
    case BAD_PIX_FMT_NEG: s.par->format = -2; break;
    case BAD_PIX_FMT_HUGE: s.par->format = 0x7fffffff; break;
    case BAD_COLOR_RANGE: s.par->color_range = AVCOL_RANGE_NB; break;
    case BAD_COLOR_PRIMARIES: s.par->color_primaries = AVCOL_PRI_NB; break;
    case BAD_COLOR_TRC: s.par->color_trc = AVCOL_TRC_NB; break;
    case BAD_COLOR_SPACE: s.par->color_space = AVCOL_SPC_NB; break;
    case BAD_COLOR_NEG: s.par->color_space = -1; break;
    case BAD_CHROMA_LOC: s.par->chroma_location = AVCHROMA_LOC_NB; break;
    case BAD_FIELD_ORDER: s.par->field_order = AV_FIELD_BT + 1; break;
    case BAD_WIDTH_NEG: s.par->width = -1; break;
    case BAD_WIDTH_HUGE: s.par->width = VTP_MAX_DIMENSION + 1; break;
    case BAD_HEIGHT_HUGE: s.par->height = 0x40000000; break;
    case BAD_SAR_NEG: s.par->sample_aspect_ratio = (AVRational){-1, 1}; break;
    case BAD_VIDEO_DELAY: s.par->video_delay = 100000; break;
    case BAD_CODEC_TYPE_AUDIO: s.par->codec_type = AVMEDIA_TYPE_AUDIO; break;
    case BAD_CODEC_ID: s.par->codec_id = 0x7ffffff0; break;
    }
    expect_segment_rejected(&s);
    vtp_segment_clear(&s);
}
END_TEST

START_TEST(test_proto_segment_huge_extradata_length_rejected)
{
    vtp_segment src, s;
    size_t len;
    make_packet_segment(&src);
    uint8_t *data = write_segment(&src, &len);
    /* The extradata length is the codecpar record's last field but one. */
    vtp_wbuf cp;
    vtp_wbuf_init(&cp);
    vtp_codecpar_write(&cp, src.par);
    size_t at = SEG_PAR_OFFSET + cp.len - (size_t)src.par->extradata_size - 4;
    vtp_wbuf_free(&cp);
    ck_assert_uint_eq(data[at], 37);   /* found it */

    ck_assert_int_eq(vtp_segment_init(&s), 0);
    static const uint32_t lens[] = {VTP_MAX_EXTRADATA + 1, UINT32_MAX, 0x80000000u, 100000};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        put_u32(data + at, lens[i]);
        ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), VTP_ERR_PROTO);
        assert_segment_cleared(&s);
    }
    put_u32(data + at, 37);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), 0);
    free(data);
    vtp_segment_clear(&s);
    vtp_segment_clear(&src);
}
END_TEST

START_TEST(test_proto_segment_huge_packet_count_rejected)
{
    vtp_segment src, s;
    size_t len;
    ck_assert_int_eq(vtp_segment_init(&src), 0);
    src.kind = VTP_SEG_PACKETS;
    src.opts.encoder = strdup("ffv1");
    uint8_t *data = write_segment(&src, &len);
    /* The count is the last field of a segment without packets. */
    ck_assert_int_eq(vtp_segment_init(&s), 0);
    put_u32(data + len - 4, VTP_MAX_PACKETS + 1);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), VTP_ERR_PROTO);
    put_u32(data + len - 4, 1000);   /* more than there are */
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), VTP_ERR_PROTO);
    assert_segment_cleared(&s);
    free(data);
    vtp_segment_clear(&s);
    vtp_segment_clear(&src);
}
END_TEST

START_TEST(test_proto_segment_bad_frame_rejected)
{
    vtp_segment s;
    make_frame_segment(&s);
    switch (_i) {
    case 0: s.frames.v[1]->color_primaries = AVCOL_PRI_NB; break;
    case 1: s.frames.v[1]->color_trc = -3; break;
    case 2: s.frames.v[0]->chroma_location = AVCHROMA_LOC_NB; break;
    case 3: s.frames.v[0]->colorspace = AVCOL_SPC_NB; break;
    case 4: s.frames.v[0]->color_range = 77; break;
    }
    expect_segment_rejected(&s);
    vtp_segment_clear(&s);
}
END_TEST

/* ---- FRAMES segments in wire form (frame_wire) ---- */

/* A frame segment whose frames were added with vtp_segment_add_frame(),
 * as the splitter makes them: nframes frames of w x h, pts first... */
static void make_wire_segment(vtp_segment *s, enum AVPixelFormat fmt, int w, int h, int first,
                              int nframes)
{
    ck_assert_int_eq(vtp_segment_init(s), 0);
    s->job_id = 11;
    s->index = 2;
    s->kind = VTP_SEG_FRAMES;
    s->cut_start = first;
    s->cut_end = first + nframes;
    s->time_base = (AVRational){1, 25};
    s->frame_rate = (AVRational){25, 1};
    s->par->codec_type = AVMEDIA_TYPE_VIDEO;
    s->par->format = fmt;
    s->par->width = w;
    s->par->height = h;
    s->opts.encoder = strdup("ffv1");
    for (int i = 0; i < nframes; i++) {
        AVFrame *f = um_make_frame(fmt, w, h, first + i);
        ck_assert_int_eq(vtp_segment_add_frame(s, f), 0);
        /* The segment holds a copy: the caller's frame can go. */
        memset(f->data[0], 0, (size_t)f->linesize[0]);
        av_frame_free(&f);
    }
    ck_assert_uint_eq(s->frame_count, (uint32_t)nframes);
    ck_assert_int_eq(s->frames.n, 0);
}

static void assert_wire_frames(const vtp_segment *got, enum AVPixelFormat fmt, int w, int h,
                               int first, int nframes)
{
    char why[128];
    ck_assert_int_eq(got->kind, VTP_SEG_FRAMES);
    ck_assert_int_eq(got->frames.n, nframes);
    for (int i = 0; i < nframes; i++) {
        AVFrame *want = um_make_frame(fmt, w, h, first + i);
        ck_assert_int_eq(got->frames.v[i]->pts, first + i);
        ck_assert_msg(um_frames_equal(got->frames.v[i], want, why, sizeof(why)), "frame %d: %s", i,
                      why);
        av_frame_free(&want);
    }
}

START_TEST(test_proto_segment_wire_frames_inline_roundtrip)
{
    vtp_segment src, got;
    size_t len;
    make_wire_segment(&src, AV_PIX_FMT_YUV420P, 33, 17, 40, 3);
    uint8_t *data = write_segment(&src, &len);
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &got), 0);
    assert_wire_frames(&got, AV_PIX_FMT_YUV420P, 33, 17, 40, 3);
    ck_assert_int_eq(got.cut_start, 40);
    ck_assert_int_eq(got.cut_end, 43);
    /* Every truncation is refused. */
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, data, n);
        ck_assert_int_eq(vtp_proto_read_segment(cut, n, &got), VTP_ERR_PROTO);
        free(cut);
        assert_segment_cleared(&got);
    }
    free(data);
    vtp_segment_clear(&got);
    vtp_segment_clear(&src);
}
END_TEST

START_TEST(test_proto_segment_wire_and_list_frames_together)
{
    /* frame_wire first, then the frames list: one count, in that order. */
    vtp_segment src, got;
    size_t len;
    make_wire_segment(&src, AV_PIX_FMT_YUV420P, 16, 8, 0, 2);
    AVFrame *f = um_make_frame(AV_PIX_FMT_YUV420P, 16, 8, 2);
    ck_assert_int_eq(vtp_framelist_move(&src.frames, f), 0);
    av_frame_free(&f);
    src.cut_end = 3;
    uint8_t *data = write_segment(&src, &len);
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &got), 0);
    assert_wire_frames(&got, AV_PIX_FMT_YUV420P, 16, 8, 0, 3);
    free(data);
    vtp_segment_clear(&got);
    vtp_segment_clear(&src);
}
END_TEST

START_TEST(test_proto_segment_external_frames_roundtrip)
{
    /* The scheduler's way: the head, then frame_wire as a second part. */
    vtp_segment src, got;
    vtp_wbuf head;
    make_wire_segment(&src, AV_PIX_FMT_NV12, 33, 17, 7, 4);
    vtp_wbuf_init(&head);
    vtp_proto_write_segment_head(&head, &src);
    ck_assert_uint_lt(head.len, src.frame_wire.len);   /* the frames are not in it */
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment_ref(head.data, head.len, NULL, src.frame_wire.data,
                                                src.frame_wire.len, NULL, &got),
                     0);
    assert_wire_frames(&got, AV_PIX_FMT_NV12, 33, 17, 7, 4);
    ck_assert_str_eq(got.opts.encoder, "ffv1");
    vtp_segment_clear(&got);

    /* A head without its frames, frames where none are announced, a part
     * with a byte too many or too few: all refused. */
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment(head.data, head.len, &got), VTP_ERR_PROTO);
    assert_segment_cleared(&got);
    vtp_wbuf whole;
    vtp_wbuf_init(&whole);
    vtp_proto_write_segment(&whole, &src);
    ck_assert_int_eq(vtp_proto_read_segment_ref(whole.data, whole.len, NULL, src.frame_wire.data,
                                                src.frame_wire.len, NULL, &got),
                     VTP_ERR_PROTO);
    assert_segment_cleared(&got);
    vtp_wbuf_free(&whole);
    size_t flen = src.frame_wire.len;
    uint8_t *part = malloc(flen + 1);
    memcpy(part, src.frame_wire.data, flen);
    part[flen] = 0;
    ck_assert_int_eq(vtp_proto_read_segment_ref(head.data, head.len, NULL, part, flen + 1, NULL,
                                                &got),
                     VTP_ERR_PROTO);
    assert_segment_cleared(&got);
    for (size_t n = 0; n < flen; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, part, n);
        int ret = vtp_proto_read_segment_ref(head.data, head.len, NULL, n ? cut : part, n, NULL,
                                             &got);
        free(cut);
        ck_assert_msg(ret == VTP_ERR_PROTO, "frames part cut to %zu of %zu: %d", n, flen, ret);
        assert_segment_cleared(&got);
    }
    free(part);
    vtp_segment_clear(&got);
    vtp_wbuf_free(&head);
    vtp_segment_clear(&src);
}
END_TEST

static void free_block(void *opaque, uint8_t *data)
{
    (void)opaque;
    free(data);
}

static AVBufferRef *owned_copy(const void *data, size_t len)
{
    uint8_t *p = malloc(len);
    memcpy(p, data, len);
    AVBufferRef *ref = av_buffer_create(p, len, free_block, NULL, AV_BUFFER_FLAG_READONLY);
    ck_assert_ptr_nonnull(ref);
    return ref;
}

START_TEST(test_proto_segment_frames_read_in_place)
{
    /* With an owner the frames point into the message and keep it alive. */
    vtp_segment src, got;
    vtp_wbuf head, whole;
    make_wire_segment(&src, AV_PIX_FMT_YUV420P10LE, 33, 17, 0, 3);
    vtp_wbuf_init(&head);
    vtp_wbuf_init(&whole);
    vtp_proto_write_segment_head(&head, &src);
    vtp_proto_write_segment(&whole, &src);

    /* Inline: the frames live in the message itself. */
    AVBufferRef *msg = owned_copy(whole.data, whole.len);
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment_ref(msg->data, (size_t)msg->size, msg, NULL, 0, NULL,
                                                &got),
                     0);
    for (int i = 0; i < got.frames.n; i++) {
        const AVFrame *f = got.frames.v[i];
        ck_assert_ptr_eq(f->buf[0]->buffer, msg->buffer);
        for (int p = 0; p < 3; p++) {
            ck_assert(f->data[p] >= msg->data && f->data[p] < msg->data + msg->size);
            ck_assert_uint_eq((size_t)(f->data[p] - msg->data) % VTP_FRAME_ALIGN, 0);
        }
    }
    av_buffer_unref(&msg);
    assert_wire_frames(&got, AV_PIX_FMT_YUV420P10LE, 33, 17, 0, 3);
    vtp_segment_clear(&got);

    /* External: the frames live in the second part. */
    AVBufferRef *hd = owned_copy(head.data, head.len);
    AVBufferRef *fr = owned_copy(src.frame_wire.data, src.frame_wire.len);
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment_ref(hd->data, (size_t)hd->size, hd, fr->data,
                                                (size_t)fr->size, fr, &got),
                     0);
    for (int i = 0; i < got.frames.n; i++) {
        const AVFrame *f = got.frames.v[i];
        ck_assert_ptr_eq(f->buf[0]->buffer, fr->buffer);
        for (int p = 0; p < 3; p++)
            ck_assert_uint_eq((size_t)(f->data[p] - fr->data) % VTP_FRAME_ALIGN, 0);
    }
    av_buffer_unref(&hd);
    av_buffer_unref(&fr);
    assert_wire_frames(&got, AV_PIX_FMT_YUV420P10LE, 33, 17, 0, 3);
    vtp_segment_clear(&got);

    /* A failed read drops its references: nothing leaks (valgrind). */
    fr = owned_copy(src.frame_wire.data, src.frame_wire.len - 1);
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment_ref(head.data, head.len, NULL, fr->data,
                                                (size_t)fr->size, fr, &got),
                     VTP_ERR_PROTO);
    assert_segment_cleared(&got);
    av_buffer_unref(&fr);
    vtp_segment_clear(&got);

    vtp_wbuf_free(&head);
    vtp_wbuf_free(&whole);
    vtp_segment_clear(&src);
}
END_TEST

/* ---- RESULT ---- */

static void assert_result_eq(const vtp_result *a, const vtp_result *b)
{
    ck_assert_uint_eq(a->job_id, b->job_id);
    ck_assert_uint_eq(a->index, b->index);
    ck_assert_int_eq(a->status, b->status);
    if (a->error)
        ck_assert_str_eq(a->error, b->error);
    else
        ck_assert_ptr_null(b->error);
    ck_assert_int_eq(a->frames, b->frames);
    ck_assert_double_eq_tol(a->cpu_seconds, b->cpu_seconds, 1e-6);
    ck_assert_int_eq(a->time_base.num, b->time_base.num);
    ck_assert_int_eq(a->time_base.den, b->time_base.den);
    assert_par_eq(a->par, b->par);
    assert_pkts_eq(&a->pkts, &b->pkts);
}

START_TEST(test_proto_result_roundtrip)
{
    vtp_result src, got;
    size_t len;
    int type;
    make_result(&src);
    uint8_t *data = write_result(&src, &len);
    ck_assert_int_eq(vtp_proto_type(data, len, &type), 0);
    ck_assert_int_eq(type, VTP_MSG_RESULT);
    ck_assert_int_eq(vtp_result_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_result(data, len, &got), 0);
    assert_result_eq(&src, &got);
    free(data);
    vtp_result_clear(&got);
    vtp_result_clear(&src);
}
END_TEST

START_TEST(test_proto_flags_and_skipped_roundtrip)
{
    /* --on-error skip travels with the segment; the dropped count comes back. */
    vtp_segment seg, sgot;
    vtp_result res, rgot;
    size_t len;
    make_packet_segment(&seg);
    seg.flags = VTP_SEG_SKIP_ERRORS;
    uint8_t *data = write_segment(&seg, &len);
    ck_assert_int_eq(vtp_segment_init(&sgot), 0);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &sgot), 0);
    ck_assert_uint_eq(sgot.flags, VTP_SEG_SKIP_ERRORS);
    free(data);
    /* An unknown flag is refused. */
    seg.flags = 0x80;
    data = write_segment(&seg, &len);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &sgot), VTP_ERR_PROTO);
    free(data);

    make_result(&res);
    res.skipped = 7;
    data = write_result(&res, &len);
    ck_assert_int_eq(vtp_result_init(&rgot), 0);
    ck_assert_int_eq(vtp_proto_read_result(data, len, &rgot), 0);
    ck_assert_int_eq(rgot.skipped, 7);
    free(data);
    vtp_result_clear(&rgot);
    vtp_result_clear(&res);
    vtp_segment_clear(&sgot);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_proto_passlog_roundtrip)
{
    /* Two-pass encoding: the first pass's record comes back in the result
     * and goes out again with the second pass's segment, both parts. */
    static const char log[] = "#options: x\nin:0 out:0 type:I tex:100 mv:10 misc:5 ;\n";
    static const uint8_t tree[] = {0, 1, 2, 0, 0, 3, 255};
    vtp_segment seg, sgot;
    vtp_result res, rgot;
    size_t len;

    make_result(&res);
    ck_assert_ptr_nonnull(res.pass.log = malloc(sizeof(log) - 1));
    memcpy(res.pass.log, log, sizeof(log) - 1);
    res.pass.log_len = sizeof(log) - 1;
    ck_assert_ptr_nonnull(res.pass.tree = malloc(sizeof(tree)));
    memcpy(res.pass.tree, tree, sizeof(tree));
    res.pass.tree_len = sizeof(tree);
    uint8_t *data = write_result(&res, &len);
    ck_assert_int_eq(vtp_result_init(&rgot), 0);
    ck_assert_int_eq(vtp_proto_read_result(data, len, &rgot), 0);
    ck_assert_uint_eq(rgot.pass.log_len, sizeof(log) - 1);
    ck_assert_mem_eq(rgot.pass.log, log, sizeof(log) - 1);
    ck_assert_uint_eq(rgot.pass.tree_len, sizeof(tree));
    ck_assert_mem_eq(rgot.pass.tree, tree, sizeof(tree));
    free(data);

    make_packet_segment(&seg);
    seg.flags = VTP_SEG_PASS2;
    seg.pass = rgot.pass;               /* moved */
    memset(&rgot.pass, 0, sizeof(rgot.pass));
    data = write_segment(&seg, &len);
    ck_assert_int_eq(vtp_segment_init(&sgot), 0);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &sgot), 0);
    ck_assert_uint_eq(sgot.flags, VTP_SEG_PASS2);
    ck_assert_mem_eq(sgot.pass.log, log, sizeof(log) - 1);
    ck_assert_mem_eq(sgot.pass.tree, tree, sizeof(tree));
    free(data);
    vtp_segment_clear(&sgot);

    /* Both passes at once is no segment a dispatcher sends. */
    seg.flags = VTP_SEG_PASS1 | VTP_SEG_PASS2;
    data = write_segment(&seg, &len);
    ck_assert_int_eq(vtp_segment_init(&sgot), 0);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &sgot), VTP_ERR_PROTO);
    free(data);
    vtp_segment_clear(&sgot);
    vtp_segment_clear(&seg);
    vtp_result_clear(&rgot);
    vtp_result_clear(&res);
}
END_TEST

START_TEST(test_proto_segment_threads_patched_in_place)
{
    vtp_segment seg, got;
    size_t len;
    make_packet_segment(&seg);
    uint8_t *data = write_segment(&seg, &len);
    ck_assert_int_eq(vtp_proto_set_segment_threads(data, len, 6), 0);
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &got), 0);
    ck_assert_int_eq(got.threads, 6);
    ck_assert_int_eq(vtp_proto_set_segment_threads(data, len, 0), VTP_ERR_PROTO);
    ck_assert_int_eq(vtp_proto_set_segment_threads(data, 20, 2), VTP_ERR_PROTO);
    free(data);
    vtp_segment_clear(&got);
    vtp_segment_clear(&seg);
}
END_TEST

START_TEST(test_proto_result_failure_roundtrip)
{
    /* A failed segment: negative status, a reason, blank parameters. */
    vtp_result src, got;
    size_t len;
    ck_assert_int_eq(vtp_result_init(&src), 0);
    src.job_id = 5;
    src.index = 1;
    src.status = VTP_ERR_SEGMENT;
    src.error = strdup("opening encoder x: invalid argument");
    uint8_t *data = write_result(&src, &len);
    ck_assert_int_eq(vtp_result_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_result(data, len, &got), 0);
    assert_result_eq(&src, &got);
    ck_assert_int_eq(got.pkts.n, 0);
    free(data);
    vtp_result_clear(&got);
    vtp_result_clear(&src);
}
END_TEST

START_TEST(test_proto_result_every_truncation_rejected)
{
    vtp_result src, r;
    size_t len;
    make_result(&src);
    src.error = strdup("partial");
    uint8_t *data = write_result(&src, &len);
    ck_assert_int_eq(vtp_result_init(&r), 0);
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, data, n);
        int ret = vtp_proto_read_result(cut, n, &r);
        free(cut);
        ck_assert_msg(ret == VTP_ERR_PROTO, "length %zu of %zu: got %d", n, len, ret);
        assert_result_cleared(&r);
    }
    ck_assert_int_eq(vtp_proto_read_result(data, len, &r), 0);
    assert_result_eq(&src, &r);
    free(data);
    vtp_result_clear(&r);
    vtp_result_clear(&src);
}
END_TEST

START_TEST(test_proto_result_trailing_bytes_rejected)
{
    vtp_result src, r;
    vtp_wbuf b;
    make_result(&src);
    vtp_wbuf_init(&b);
    vtp_proto_write_result(&b, &src);
    vtp_wbuf_u32(&b, 0);
    ck_assert_int_eq(vtp_result_init(&r), 0);
    ck_assert_int_eq(vtp_proto_read_result(b.data, b.len, &r), VTP_ERR_PROTO);
    assert_result_cleared(&r);
    /* A SEGMENT is not a RESULT. */
    vtp_segment seg;
    size_t len;
    make_packet_segment(&seg);
    uint8_t *data = write_segment(&seg, &len);
    ck_assert_int_eq(vtp_proto_read_result(data, len, &r), VTP_ERR_PROTO);
    assert_result_cleared(&r);
    free(data);
    vtp_segment_clear(&seg);
    vtp_result_clear(&r);
    vtp_wbuf_free(&b);
    vtp_result_clear(&src);
}
END_TEST

START_TEST(test_proto_result_invalid_field_rejected)
{
    vtp_result r;
    make_result(&r);
    switch (_i) {
    case 0: r.status = 1; break;
    case 1: r.frames = -1; break;
    case 2: r.time_base = (AVRational){1, 0}; break;
    case 3: r.time_base = (AVRational){0, 1}; break;
    case 4: r.pkts.v[1]->duration = -40; break;
    case 5: r.par->format = AV_PIX_FMT_NB + 10; break;
    case 6: r.par->color_primaries = 1000; break;
    case 7: r.par->codec_type = AVMEDIA_TYPE_SUBTITLE; break;
    case 8: r.error = malloc(VTP_MAX_STRING + 2);
            memset(r.error, 'e', VTP_MAX_STRING + 1);
            r.error[VTP_MAX_STRING + 1] = 0;
            break;
    }
    expect_result_rejected(&r);
    vtp_result_clear(&r);
}
END_TEST

/* ---- ladders: further renditions ---- */

/* Two further renditions, each with its own encoder, options and vf. */
static void add_two_renditions(vtp_segment *s)
{
    vtp_enc_opts more[2];
    vtp_enc_opts_init(&more[0]);
    vtp_enc_opts_init(&more[1]);
    more[0].encoder = strdup("libx265");
    more[0].vf = strdup("scale=1280:720");
    av_dict_set(&more[0].codec_opts, "crf", "28", 0);
    av_dict_set(&more[0].codec_opts, "preset", "medium", 0);
    more[1].encoder = strdup("libvpx-vp9");
    more[1].vf = strdup("hqdn3d,scale=640:-2");
    av_dict_set(&more[1].codec_opts, "b", "800k", 0);
    av_dict_set(&more[1].codec_opts, "deadline", "good", 0);
    av_dict_set(&more[1].codec_opts, "row-mt", "1", 0);
    ck_assert_int_eq(vtp_segment_set_more(s, more, 2), 0);
    vtp_enc_opts_clear(&more[0]);
    vtp_enc_opts_clear(&more[1]);
}

static void assert_opts_eq(const vtp_enc_opts *a, const vtp_enc_opts *b)
{
    ck_assert(!a->encoder == !b->encoder);
    if (a->encoder)
        ck_assert_str_eq(a->encoder, b->encoder);
    if (a->vf)
        ck_assert_str_eq(a->vf, b->vf);
    else
        ck_assert_ptr_null(b->vf);
    ck_assert_int_eq(av_dict_count(a->codec_opts), av_dict_count(b->codec_opts));
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(a->codec_opts, "", e, AV_DICT_IGNORE_SUFFIX))) {
        const AVDictionaryEntry *f = av_dict_get(b->codec_opts, e->key, NULL, AV_DICT_MATCH_CASE);
        ck_assert_msg(f != NULL, "option %s lost", e->key);
        ck_assert_str_eq(e->value, f->value);
    }
}

static void assert_more_opts_eq(const vtp_segment *a, const vtp_segment *b)
{
    ck_assert_int_eq(a->nmore, b->nmore);
    for (int i = 0; i < a->nmore; i++)
        assert_opts_eq(&a->more[i], &b->more[i]);
}

START_TEST(test_proto_segment_ladder_roundtrip)
{
    /* Both forms of segment carry their further renditions exactly. */
    for (int kind = 0; kind < 2; kind++) {
        vtp_segment src, got;
        size_t len;
        if (kind == 0)
            make_packet_segment(&src);
        else
            make_frame_segment(&src);
        add_two_renditions(&src);
        uint8_t *data = write_segment(&src, &len);
        ck_assert_int_eq(vtp_segment_init(&got), 0);
        ck_assert_int_eq(vtp_proto_read_segment(data, len, &got), 0);
        assert_segment_eq(&src, &got);
        ck_assert_int_eq(got.nmore, 2);
        ck_assert_ptr_nonnull(got.more);
        ck_assert_str_eq(got.more[0].encoder, "libx265");
        ck_assert_str_eq(got.more[0].vf, "scale=1280:720");
        ck_assert_int_eq(av_dict_count(got.more[0].codec_opts), 2);
        ck_assert_str_eq(av_dict_get(got.more[0].codec_opts, "crf", NULL, 0)->value, "28");
        ck_assert_str_eq(av_dict_get(got.more[0].codec_opts, "preset", NULL, 0)->value,
                         "medium");
        ck_assert_str_eq(got.more[1].encoder, "libvpx-vp9");
        ck_assert_str_eq(got.more[1].vf, "hqdn3d,scale=640:-2");
        ck_assert_int_eq(av_dict_count(got.more[1].codec_opts), 3);
        ck_assert_str_eq(av_dict_get(got.more[1].codec_opts, "b", NULL, 0)->value, "800k");
        ck_assert_str_eq(av_dict_get(got.more[1].codec_opts, "deadline", NULL, 0)->value,
                         "good");
        ck_assert_str_eq(av_dict_get(got.more[1].codec_opts, "row-mt", NULL, 0)->value, "1");
        assert_more_opts_eq(&src, &got);
        /* The first rendition's options are not mixed with the others'. */
        ck_assert_str_eq(got.opts.encoder, src.opts.encoder);
        ck_assert_int_eq(av_dict_count(got.opts.codec_opts), av_dict_count(src.opts.codec_opts));
        /* The copies are independent of the message buffer. */
        memset(data, 0, len);
        ck_assert_str_eq(got.more[1].vf, "hqdn3d,scale=640:-2");
        free(data);

        /* A rendition without vf or options travels as such. */
        vtp_enc_opts bare;
        vtp_enc_opts_init(&bare);
        bare.encoder = strdup("ffv1");
        ck_assert_int_eq(vtp_segment_set_more(&src, &bare, 1), 0);
        vtp_enc_opts_clear(&bare);
        data = write_segment(&src, &len);
        vtp_segment_clear(&got);
        ck_assert_int_eq(vtp_segment_init(&got), 0);
        ck_assert_int_eq(vtp_proto_read_segment(data, len, &got), 0);
        ck_assert_int_eq(got.nmore, 1);
        ck_assert_str_eq(got.more[0].encoder, "ffv1");
        ck_assert_ptr_null(got.more[0].vf);
        ck_assert_ptr_null(got.more[0].codec_opts);
        free(data);

        /* And a plain segment has none. */
        ck_assert_int_eq(vtp_segment_set_more(&src, NULL, 0), 0);
        data = write_segment(&src, &len);
        vtp_segment_clear(&got);
        ck_assert_int_eq(vtp_segment_init(&got), 0);
        ck_assert_int_eq(vtp_proto_read_segment(data, len, &got), 0);
        ck_assert_int_eq(got.nmore, 0);
        ck_assert_ptr_null(got.more);
        free(data);
        vtp_segment_clear(&got);
        vtp_segment_clear(&src);
    }
}
END_TEST

START_TEST(test_proto_segment_ladder_every_truncation_rejected)
{
    for (int kind = 0; kind < 2; kind++) {
        vtp_segment src, s;
        size_t len;
        if (kind == 0)
            make_packet_segment(&src);
        else
            make_frame_segment(&src);
        add_two_renditions(&src);
        uint8_t *data = write_segment(&src, &len);
        ck_assert_int_eq(vtp_segment_init(&s), 0);
        for (size_t n = 0; n < len; n++) {
            uint8_t *cut = malloc(n ? n : 1);
            memcpy(cut, data, n);
            int ret = vtp_proto_read_segment(cut, n, &s);
            free(cut);
            ck_assert_msg(ret == VTP_ERR_PROTO, "kind %d, length %zu of %zu: got %d", kind, n,
                          len, ret);
            assert_segment_cleared(&s);
            ck_assert_int_eq(s.nmore, 0);
            ck_assert_ptr_null(s.more);
        }
        ck_assert_int_eq(vtp_proto_read_segment(data, len, &s), 0);
        assert_segment_eq(&src, &s);
        assert_more_opts_eq(&src, &s);
        vtp_segment_clear(&s);
        free(data);
        vtp_segment_clear(&src);
    }
}
END_TEST

/* A minimal PACKETS segment without packets: its message ends with u8
 * nmore, the further renditions, u32 count (0). */
static void make_bare_segment(vtp_segment *s)
{
    ck_assert_int_eq(vtp_segment_init(s), 0);
    s->kind = VTP_SEG_PACKETS;
    s->par->codec_type = AVMEDIA_TYPE_VIDEO;
    s->par->codec_id = AV_CODEC_ID_MPEG4;
    s->opts.encoder = strdup("ffv1");
}

START_TEST(test_proto_segment_ladder_count_checked)
{
    /* At most VTP_MAX_OUTPUTS renditions in all: VTP_MAX_OUTPUTS - 1
     * further ones are read, VTP_MAX_OUTPUTS are refused. */
    vtp_enc_opts more[VTP_MAX_OUTPUTS];
    for (int i = 0; i < VTP_MAX_OUTPUTS; i++) {
        char vf[32];
        vtp_enc_opts_init(&more[i]);
        more[i].encoder = strdup("ffv1");
        snprintf(vf, sizeof(vf), "scale=%d:%d", 16 + 2 * i, 8 + 2 * i);
        more[i].vf = strdup(vf);
    }
    vtp_segment src, got;
    size_t len;
    make_bare_segment(&src);
    ck_assert_int_eq(vtp_segment_set_more(&src, more, VTP_MAX_OUTPUTS - 1), 0);
    uint8_t *data = write_segment(&src, &len);
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_segment(data, len, &got), 0);
    ck_assert_int_eq(got.nmore, VTP_MAX_OUTPUTS - 1);
    assert_more_opts_eq(&src, &got);
    free(data);
    vtp_segment_clear(&got);

    ck_assert_int_eq(vtp_segment_set_more(&src, more, VTP_MAX_OUTPUTS), 0);
    expect_segment_rejected(&src);

    /* The count byte itself: where a segment without renditions has it,
     * 5 bytes before its end. */
    ck_assert_int_eq(vtp_segment_set_more(&src, NULL, 0), 0);
    size_t plain_len;
    uint8_t *plain = write_segment(&src, &plain_len);
    size_t at = plain_len - 5;
    ck_assert_uint_eq(plain[at], 0);
    free(plain);
    ck_assert_int_eq(vtp_segment_set_more(&src, more, 2), 0);
    data = write_segment(&src, &len);
    ck_assert_uint_eq(data[at], 2);
    static const uint8_t claims[] = {1, 3, 4, VTP_MAX_OUTPUTS - 1, VTP_MAX_OUTPUTS, 200, 255};
    for (size_t c = 0; c < sizeof(claims); c++) {
        data[at] = claims[c];
        ck_assert_int_eq(vtp_segment_init(&got), 0);
        int ret = vtp_proto_read_segment(data, len, &got);
        ck_assert_msg(ret == VTP_ERR_PROTO, "nmore %u for 2: got %d", claims[c], ret);
        assert_segment_cleared(&got);
        ck_assert_int_eq(got.nmore, 0);
        ck_assert_ptr_null(got.more);
        vtp_segment_clear(&got);
    }
    free(data);
    vtp_segment_clear(&src);
    for (int i = 0; i < VTP_MAX_OUTPUTS; i++)
        vtp_enc_opts_clear(&more[i]);
}
END_TEST

/* Gives r two further streams, each with its own time base, parameters
 * and packets. */
static void add_two_streams(vtp_result *r)
{
    ck_assert_int_eq(vtp_result_set_more(r, 2), 0);
    vtp_result_stream *m = &r->more[0];
    m->time_base = (AVRational){1, 90000};
    fill_par(m->par, 5);
    m->par->codec_id = AV_CODEC_ID_HEVC;
    m->par->width = 1280;
    m->par->height = 720;
    add_packet(&m->pkts, 3600, 0, 3600, AV_PKT_FLAG_KEY, 900, 21);
    add_packet(&m->pkts, 0, 3600, 3600, 0, 33, 22);
    m = &r->more[1];
    m->time_base = (AVRational){1001, 30000};
    fill_par(m->par, 0);
    m->par->codec_id = AV_CODEC_ID_VP9;
    m->par->width = 640;
    m->par->height = 360;
    add_packet(&m->pkts, 7, 5, 1, AV_PKT_FLAG_KEY, 64, 31);
    add_packet(&m->pkts, 5, 6, 1, 0, 0, 32);
    add_packet(&m->pkts, 6, 7, 1, AV_PKT_FLAG_DISPOSABLE, 3, 33);
}

static void assert_more_streams_eq(const vtp_result *a, const vtp_result *b)
{
    ck_assert_int_eq(a->nmore, b->nmore);
    for (int k = 0; k < a->nmore; k++) {
        ck_assert_int_eq(a->more[k].time_base.num, b->more[k].time_base.num);
        ck_assert_int_eq(a->more[k].time_base.den, b->more[k].time_base.den);
        assert_par_eq(a->more[k].par, b->more[k].par);
        assert_pkts_eq(&a->more[k].pkts, &b->more[k].pkts);
    }
}

START_TEST(test_proto_result_ladder_roundtrip)
{
    vtp_result src, got;
    size_t len;
    make_result(&src);
    add_two_streams(&src);
    uint8_t *data = write_result(&src, &len);
    ck_assert_int_eq(vtp_result_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_result(data, len, &got), 0);
    assert_result_eq(&src, &got);
    ck_assert_int_eq(got.nmore, 2);
    ck_assert_int_eq(got.more[0].time_base.num, 1);
    ck_assert_int_eq(got.more[0].time_base.den, 90000);
    ck_assert_int_eq(got.more[0].par->codec_id, AV_CODEC_ID_HEVC);
    ck_assert_int_eq(got.more[0].par->width, 1280);
    ck_assert_int_eq(got.more[0].par->height, 720);
    ck_assert_int_eq(got.more[0].par->extradata_size, 5);
    ck_assert_uint_eq(got.more[0].par->extradata[4], (uint8_t)(4 * 31 + 7));
    ck_assert_int_eq(got.more[0].pkts.n, 2);
    ck_assert_int_eq(got.more[0].pkts.v[0]->pts, 3600);
    ck_assert_int_eq(got.more[0].pkts.v[0]->dts, 0);
    ck_assert_int_eq(got.more[0].pkts.v[0]->size, 900);
    ck_assert(got.more[0].pkts.v[0]->flags & AV_PKT_FLAG_KEY);
    ck_assert_int_eq(got.more[1].time_base.num, 1001);
    ck_assert_int_eq(got.more[1].time_base.den, 30000);
    ck_assert_int_eq(got.more[1].par->codec_id, AV_CODEC_ID_VP9);
    ck_assert_int_eq(got.more[1].par->width, 640);
    ck_assert_int_eq(got.more[1].par->height, 360);
    ck_assert_int_eq(got.more[1].par->extradata_size, 0);
    ck_assert_ptr_null(got.more[1].par->extradata);
    ck_assert_int_eq(got.more[1].pkts.n, 3);
    ck_assert_int_eq(got.more[1].pkts.v[1]->size, 0);
    ck_assert_int_eq(got.more[1].pkts.v[2]->pts, 6);
    ck_assert_int_eq(got.more[1].pkts.v[2]->dts, 7);
    assert_more_streams_eq(&src, &got);
    /* The first stream is its own. */
    ck_assert_int_eq(got.pkts.n, 3);
    ck_assert_int_eq(got.par->codec_id, AV_CODEC_ID_FFV1);
    /* Packets and extradata do not borrow from the message. */
    memset(data, 0, len);
    ck_assert_uint_eq(got.more[0].pkts.v[0]->data[1], (uint8_t)(13 + 21));
    ck_assert_uint_eq(got.more[0].par->extradata[1], (uint8_t)(31 + 7));
    free(data);

    /* A further stream with no packets (nothing in range) travels too. */
    vtp_result_clear(&got);
    vtp_pktlist_clear(&src.more[1].pkts);
    data = write_result(&src, &len);
    ck_assert_int_eq(vtp_result_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_result(data, len, &got), 0);
    assert_more_streams_eq(&src, &got);
    ck_assert_int_eq(got.more[1].pkts.n, 0);
    free(data);
    vtp_result_clear(&got);
    vtp_result_clear(&src);
}
END_TEST

START_TEST(test_proto_result_ladder_every_truncation_rejected)
{
    vtp_result src, r;
    size_t len;
    make_result(&src);
    add_two_streams(&src);
    uint8_t *data = write_result(&src, &len);
    ck_assert_int_eq(vtp_result_init(&r), 0);
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, data, n);
        int ret = vtp_proto_read_result(cut, n, &r);
        free(cut);
        ck_assert_msg(ret == VTP_ERR_PROTO, "length %zu of %zu: got %d", n, len, ret);
        assert_result_cleared(&r);
        ck_assert_int_eq(r.nmore, 0);
        ck_assert_ptr_null(r.more);
    }
    ck_assert_int_eq(vtp_proto_read_result(data, len, &r), 0);
    assert_result_eq(&src, &r);
    assert_more_streams_eq(&src, &r);
    free(data);
    vtp_result_clear(&r);
    vtp_result_clear(&src);
}
END_TEST

START_TEST(test_proto_result_ladder_count_checked)
{
    vtp_result src, got;
    size_t len;
    make_result(&src);

    /* VTP_MAX_OUTPUTS - 1 further streams are read, VTP_MAX_OUTPUTS not. */
    ck_assert_int_eq(vtp_result_set_more(&src, VTP_MAX_OUTPUTS - 1), 0);
    for (int k = 0; k < src.nmore; k++) {
        src.more[k].time_base = (AVRational){1, 1000};
        src.more[k].par->codec_type = AVMEDIA_TYPE_VIDEO;
        src.more[k].par->width = 16 * (k + 1);
        add_packet(&src.more[k].pkts, k, k, 1, AV_PKT_FLAG_KEY, 4, k);
    }
    uint8_t *data = write_result(&src, &len);
    ck_assert_int_eq(vtp_result_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_result(data, len, &got), 0);
    ck_assert_int_eq(got.nmore, VTP_MAX_OUTPUTS - 1);
    assert_more_streams_eq(&src, &got);
    free(data);
    vtp_result_clear(&got);
    ck_assert_int_eq(vtp_result_set_more(&src, VTP_MAX_OUTPUTS), 0);
    expect_result_rejected(&src);

    /* A further stream with a bad time base is refused. */
    ck_assert_int_eq(vtp_result_set_more(&src, 1), 0);
    src.more[0].time_base = (AVRational){1, 0};
    expect_result_rejected(&src);
    src.more[0].time_base = (AVRational){0, 1};
    expect_result_rejected(&src);

    /* The count byte is the last of a result without further streams;
     * claiming more than follow, or too many, is refused. */
    ck_assert_int_eq(vtp_result_set_more(&src, 0), 0);
    size_t plain_len;
    uint8_t *plain = write_result(&src, &plain_len);
    size_t at = plain_len - 1;
    ck_assert_uint_eq(plain[at], 0);
    free(plain);
    add_two_streams(&src);
    data = write_result(&src, &len);
    ck_assert_uint_eq(data[at], 2);
    static const uint8_t claims[] = {1, 3, 4, VTP_MAX_OUTPUTS - 1, VTP_MAX_OUTPUTS, 200, 255};
    for (size_t c = 0; c < sizeof(claims); c++) {
        data[at] = claims[c];
        ck_assert_int_eq(vtp_result_init(&got), 0);
        int ret = vtp_proto_read_result(data, len, &got);
        ck_assert_msg(ret == VTP_ERR_PROTO, "nmore %u for 2: got %d", claims[c], ret);
        assert_result_cleared(&got);
        ck_assert_int_eq(got.nmore, 0);
        ck_assert_ptr_null(got.more);
        vtp_result_clear(&got);
    }
    /* The same message, given only the streams it claims, reads (nmore 0
     * with nothing after it). */
    data[at] = 0;
    ck_assert_int_eq(vtp_result_init(&got), 0);
    ck_assert_int_eq(vtp_proto_read_result(data, at + 1, &got), 0);
    ck_assert_int_eq(got.nmore, 0);
    vtp_result_clear(&got);
    free(data);
    vtp_result_clear(&src);
}
END_TEST

/* ---- random input ---- */

START_TEST(test_proto_random_bytes_never_crash)
{
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    vtp_segment seg, pseg, fseg;
    vtp_result res, pres;
    size_t seg_len, fseg_len, res_len;
    int accepted = 0, rejected = 0;

    make_packet_segment(&pseg);
    make_frame_segment(&fseg);
    make_result(&pres);
    uint8_t *seg_msg = write_segment(&pseg, &seg_len);
    uint8_t *fseg_msg = write_segment(&fseg, &fseg_len);
    uint8_t *res_msg = write_result(&pres, &res_len);
    ck_assert_int_eq(vtp_segment_init(&seg), 0);
    ck_assert_int_eq(vtp_result_init(&res), 0);

    for (int iter = 0; iter < 4000; iter++) {
        size_t len;
        uint8_t *buf;
        int mode = iter % 4;
        if (mode == 3) {
            /* A valid message with a few bytes changed and maybe cut. */
            int which = (int)(um_rand(&rng) % 3);
            const uint8_t *base = which == 0 ? seg_msg : which == 1 ? fseg_msg : res_msg;
            size_t blen = which == 0 ? seg_len : which == 1 ? fseg_len : res_len;
            len = blen;
            if (um_rand(&rng) % 4 == 0)
                len = (size_t)(um_rand(&rng) % (blen + 1));
            buf = malloc(len ? len : 1);
            memcpy(buf, base, len);
            int flips = 1 + (int)(um_rand(&rng) % 4);
            for (int k = 0; k < flips && len > VTP_PROTO_HEADER_SIZE; k++) {
                size_t at = VTP_PROTO_HEADER_SIZE +
                            (size_t)(um_rand(&rng) % (len - VTP_PROTO_HEADER_SIZE));
                buf[at] = (uint8_t)um_rand(&rng);
            }
        } else {
            len = (size_t)(um_rand(&rng) % 600);
            buf = malloc(len ? len : 1);
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)um_rand(&rng);
            if (mode >= 1 && len >= VTP_PROTO_HEADER_SIZE) {
                vtp_wbuf h;
                vtp_wbuf_init(&h);
                vtp_proto_header(&h, 1 + (int)(um_rand(&rng) % 4));
                memcpy(buf, h.data, VTP_PROTO_HEADER_SIZE);
                vtp_wbuf_free(&h);
            }
        }
        int type;
        vtp_ready ready;
        (void)vtp_proto_type(buf, len, &type);
        (void)vtp_proto_read_ready(buf, len, &ready);
        int r1;
        if (iter % 8 == 7) {
            /* In place: frames would point into the message. */
            AVBufferRef *owner = owned_copy(buf, len ? len : 1);
            r1 = vtp_proto_read_segment_ref(owner->data, len, owner, NULL, 0, NULL, &seg);
            av_buffer_unref(&owner);
        } else {
            r1 = vtp_proto_read_segment(buf, len, &seg);
        }
        int r2 = vtp_proto_read_result(buf, len, &res);
        ck_assert(r1 == 0 || r1 == VTP_ERR_PROTO || r1 == VTP_ERR_NOMEM);
        ck_assert(r2 == 0 || r2 == VTP_ERR_PROTO || r2 == VTP_ERR_NOMEM);
        if (r1 == 0) {
            /* Whatever was accepted is within the documented ranges. */
            ck_assert(seg.kind == VTP_SEG_PACKETS || seg.kind == VTP_SEG_FRAMES);
            ck_assert_int_lt(seg.cut_start, seg.cut_end);
            ck_assert_int_gt(seg.time_base.den, 0);
            ck_assert_ptr_nonnull(seg.opts.encoder);
            vtp_segment_clear(&seg);
            ck_assert_int_eq(vtp_segment_init(&seg), 0);
        } else {
            assert_segment_cleared(&seg);
        }
        if (r2 == 0) {
            ck_assert_int_le(res.status, 0);
            vtp_result_clear(&res);
            ck_assert_int_eq(vtp_result_init(&res), 0);
        } else {
            assert_result_cleared(&res);
        }
        accepted += (r1 == 0) + (r2 == 0);
        rejected += (r1 != 0) + (r2 != 0);
        free(buf);
    }
    ck_assert_int_gt(rejected, 0);
    vtp_segment_clear(&seg);
    vtp_result_clear(&res);
    free(seg_msg);
    free(fseg_msg);
    free(res_msg);
    vtp_segment_clear(&pseg);
    vtp_segment_clear(&fseg);
    vtp_result_clear(&pres);
    (void)accepted;
}
END_TEST

START_TEST(test_proto_random_frames_part_never_crashes)
{
    /* A valid head with a damaged second part. */
    uint64_t rng = 12345;
    vtp_segment src, got;
    vtp_wbuf head;
    make_wire_segment(&src, AV_PIX_FMT_YUV420P, 20, 10, 0, 3);
    vtp_wbuf_init(&head);
    vtp_proto_write_segment_head(&head, &src);
    ck_assert_int_eq(vtp_segment_init(&got), 0);
    size_t flen = src.frame_wire.len;
    for (int iter = 0; iter < 1500; iter++) {
        size_t len = um_rand(&rng) % 5 == 0 ? (size_t)(um_rand(&rng) % (flen + 64)) : flen;
        uint8_t *part = malloc(len ? len : 1);
        for (size_t k = 0; k < len; k++)
            part[k] = k < flen ? src.frame_wire.data[k] : (uint8_t)um_rand(&rng);
        int flips = 1 + (int)(um_rand(&rng) % 3);
        for (int k = 0; k < flips && len; k++) {
            /* Mostly the small fields, where damage matters. */
            size_t at = (size_t)(um_rand(&rng) % (um_rand(&rng) % 2 ? len : (len < 80 ? len : 80)));
            part[at] = (uint8_t)um_rand(&rng);
        }
        AVBufferRef *owner = iter % 2 ? owned_copy(part, len ? len : 1) : NULL;
        int ret = vtp_proto_read_segment_ref(head.data, head.len, NULL, owner ? owner->data : part,
                                             len, owner, &got);
        av_buffer_unref(&owner);
        free(part);
        ck_assert(ret == 0 || ret == VTP_ERR_PROTO || ret == VTP_ERR_NOMEM);
        if (ret == 0) {
            ck_assert_int_eq(got.frames.n, 3);
            for (int i = 0; i < got.frames.n; i++) {
                /* Touch every pixel an encoder would read. */
                AVFrame *c = av_frame_clone(got.frames.v[i]);
                ck_assert(um_frames_equal(c, got.frames.v[i], NULL, 0));
                av_frame_free(&c);
            }
            vtp_segment_clear(&got);
            ck_assert_int_eq(vtp_segment_init(&got), 0);
        } else {
            assert_segment_cleared(&got);
        }
    }
    vtp_segment_clear(&got);
    vtp_wbuf_free(&head);
    vtp_segment_clear(&src);
}
END_TEST

Suite *proto_suite(void)
{
    Suite *s = suite_create("proto");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_proto_ready_roundtrip);
    tcase_add_test(tc, test_proto_ready_thread_count_checked);
#ifdef VTP_MAX_ENCODERS
    tcase_add_test(tc, test_proto_ready_encoders_roundtrip);
#endif
    tcase_add_test(tc, test_proto_stop_roundtrip);
    tcase_add_test(tc, test_proto_header_checked);
    tcase_add_test(tc, test_proto_segment_packets_roundtrip);
    tcase_add_test(tc, test_proto_segment_minimal_roundtrip);
    tcase_add_test(tc, test_proto_segment_frames_roundtrip);
    tcase_add_test(tc, test_proto_segment_every_truncation_rejected);
    tcase_add_test(tc, test_proto_segment_frames_every_truncation_rejected);
    tcase_add_test(tc, test_proto_segment_trailing_bytes_rejected);
    tcase_add_test(tc, test_proto_segment_bad_header_rejected);
    tcase_add_loop_test(tc, test_proto_segment_invalid_field_rejected, 0, BAD_COUNT);
    tcase_add_test(tc, test_proto_segment_huge_extradata_length_rejected);
    tcase_add_test(tc, test_proto_segment_huge_packet_count_rejected);
    tcase_add_loop_test(tc, test_proto_segment_bad_frame_rejected, 0, 5);
    tcase_add_test(tc, test_proto_segment_wire_frames_inline_roundtrip);
    tcase_add_test(tc, test_proto_segment_wire_and_list_frames_together);
    tcase_add_test(tc, test_proto_segment_external_frames_roundtrip);
    tcase_add_test(tc, test_proto_segment_frames_read_in_place);
    tcase_add_test(tc, test_proto_result_roundtrip);
    tcase_add_test(tc, test_proto_flags_and_skipped_roundtrip);
    tcase_add_test(tc, test_proto_segment_threads_patched_in_place);
    tcase_add_test(tc, test_proto_passlog_roundtrip);
    tcase_add_test(tc, test_proto_result_failure_roundtrip);
    tcase_add_test(tc, test_proto_result_every_truncation_rejected);
    tcase_add_test(tc, test_proto_result_trailing_bytes_rejected);
    tcase_add_loop_test(tc, test_proto_result_invalid_field_rejected, 0, 9);
    tcase_add_test(tc, test_proto_segment_ladder_roundtrip);
    tcase_add_test(tc, test_proto_segment_ladder_every_truncation_rejected);
    tcase_add_test(tc, test_proto_segment_ladder_count_checked);
    tcase_add_test(tc, test_proto_result_ladder_roundtrip);
    tcase_add_test(tc, test_proto_result_ladder_every_truncation_rejected);
    tcase_add_test(tc, test_proto_result_ladder_count_checked);
    tcase_add_test(tc, test_proto_random_bytes_never_crash);
    tcase_add_test(tc, test_proto_random_frames_part_never_crashes);
    suite_add_tcase(s, tc);
    return s;
}
