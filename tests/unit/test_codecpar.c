/* test_codecpar.c -- codec parameters and raw frames on the wire
 * (include/vtp_codecpar.h). */
#include <stdlib.h>
#include <string.h>

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "suites.h"
#include "unit_media.h"
#include "vtp_codecpar.h"
#include "vtp_compat.h"
#include "vtp_error.h"

/* Offsets inside a frame record: i32 w, h, format, i64 pts, duration,
 * 9 x i32 (sar, interlace, colour), u8 planes, then per plane u32 stride,
 * u32 lines, u8 pad, pad bytes and stride x lines bytes. */
#define FRAME_OFF_WIDTH 0
#define FRAME_OFF_HEIGHT 4
#define FRAME_OFF_FORMAT 8
#define FRAME_OFF_PLANES (3 * 4 + 2 * 8 + 9 * 4)
#define FRAME_OFF_STRIDE0 (FRAME_OFF_PLANES + 1)
#define FRAME_OFF_LINES0 (FRAME_OFF_STRIDE0 + 4)
#define FRAME_OFF_PAD0 (FRAME_OFF_LINES0 + 4)

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

START_TEST(test_codecpar_roundtrip)
{
    AVCodecParameters *a = avcodec_parameters_alloc(), *b = avcodec_parameters_alloc();
    vtp_wbuf w;
    vtp_rbuf r;

    a->codec_type = AVMEDIA_TYPE_VIDEO;
    a->codec_id = AV_CODEC_ID_HEVC;
    a->codec_tag = 0x31637668;
    a->format = AV_PIX_FMT_YUV422P10LE;
    a->bit_rate = 5000000;
    a->bits_per_coded_sample = 20;
    a->bits_per_raw_sample = 10;
    a->profile = 4;
    a->level = 153;
    a->width = 3840;
    a->height = 2160;
    a->sample_aspect_ratio = (AVRational){64, 45};
    a->field_order = AV_FIELD_BB;
    a->color_range = AVCOL_RANGE_JPEG;
    a->color_primaries = AVCOL_PRI_SMPTE432;
    a->color_trc = AVCOL_TRC_ARIB_STD_B67;
    a->color_space = AVCOL_SPC_ICTCP;
    a->chroma_location = AVCHROMA_LOC_BOTTOM;
    a->video_delay = 1024;
    a->extradata = av_mallocz(100 + AV_INPUT_BUFFER_PADDING_SIZE);
    a->extradata_size = 100;
    for (int i = 0; i < 100; i++)
        a->extradata[i] = (uint8_t)(255 - i);
    /* b has extradata already: it is replaced, not leaked. */
    b->extradata = av_mallocz(8 + AV_INPUT_BUFFER_PADDING_SIZE);
    b->extradata_size = 8;

    vtp_wbuf_init(&w);
    vtp_codecpar_write(&w, a);
    vtp_wbuf_u8(&w, 0x77);
    vtp_rbuf_init(&r, w.data, w.len);
    ck_assert_int_eq(vtp_codecpar_read(&r, b), 0);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0x77);
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);

    ck_assert_int_eq(b->codec_type, a->codec_type);
    ck_assert_int_eq(b->codec_id, a->codec_id);
    ck_assert_uint_eq(b->codec_tag, a->codec_tag);
    ck_assert_int_eq(b->format, a->format);
    ck_assert_int_eq(b->bit_rate, a->bit_rate);
    ck_assert_int_eq(b->bits_per_coded_sample, a->bits_per_coded_sample);
    ck_assert_int_eq(b->bits_per_raw_sample, a->bits_per_raw_sample);
    ck_assert_int_eq(b->profile, a->profile);
    ck_assert_int_eq(b->level, a->level);
    ck_assert_int_eq(b->width, a->width);
    ck_assert_int_eq(b->height, a->height);
    ck_assert_int_eq(b->sample_aspect_ratio.num, 64);
    ck_assert_int_eq(b->sample_aspect_ratio.den, 45);
    ck_assert_int_eq(b->field_order, a->field_order);
    ck_assert_int_eq(b->color_range, a->color_range);
    ck_assert_int_eq(b->color_primaries, a->color_primaries);
    ck_assert_int_eq(b->color_trc, a->color_trc);
    ck_assert_int_eq(b->color_space, a->color_space);
    ck_assert_int_eq(b->chroma_location, a->chroma_location);
    ck_assert_int_eq(b->video_delay, a->video_delay);
    ck_assert_int_eq(b->extradata_size, 100);
    ck_assert_mem_eq(b->extradata, a->extradata, 100);
    /* Padding follows the extradata, as libav requires. */
    for (int i = 0; i < AV_INPUT_BUFFER_PADDING_SIZE; i++)
        ck_assert_uint_eq(b->extradata[100 + i], 0);

    vtp_wbuf_free(&w);
    avcodec_parameters_free(&a);
    avcodec_parameters_free(&b);
}
END_TEST

START_TEST(test_codecpar_blank_record_accepted)
{
    AVCodecParameters *a = avcodec_parameters_alloc(), *b = avcodec_parameters_alloc();
    vtp_wbuf w;
    vtp_rbuf r;
    vtp_wbuf_init(&w);
    vtp_codecpar_write(&w, a);   /* as allocated: unknown type, no codec */
    vtp_rbuf_init(&r, w.data, w.len);
    ck_assert_int_eq(vtp_codecpar_read(&r, b), 0);
    ck_assert_int_eq(b->codec_type, AVMEDIA_TYPE_UNKNOWN);
    ck_assert_int_eq(b->codec_id, AV_CODEC_ID_NONE);
    ck_assert_int_eq(b->format, -1);
    ck_assert_ptr_null(b->extradata);
    ck_assert_uint_eq(vtp_rbuf_left(&r), 0);
    vtp_wbuf_free(&w);
    avcodec_parameters_free(&a);
    avcodec_parameters_free(&b);
}
END_TEST

START_TEST(test_codecpar_out_of_range_rejected)
{
    AVCodecParameters *a = avcodec_parameters_alloc(), *b = avcodec_parameters_alloc();
    vtp_wbuf w;
    vtp_rbuf r;

    a->codec_type = AVMEDIA_TYPE_VIDEO;
    a->codec_id = AV_CODEC_ID_MPEG2VIDEO;
    a->format = AV_PIX_FMT_YUV420P;
    a->width = 720;
    a->height = 576;
    switch (_i) {
    case 0: a->format = AV_PIX_FMT_NB; break;
    case 1: a->format = -2; break;
    case 2: a->color_range = AVCOL_RANGE_NB; break;
    case 3: a->color_primaries = AVCOL_PRI_NB; break;
    case 4: a->color_primaries = -1; break;
    case 5: a->color_trc = AVCOL_TRC_NB; break;
    case 6: a->color_space = AVCOL_SPC_NB; break;
    case 7: a->chroma_location = AVCHROMA_LOC_NB; break;
    case 8: a->field_order = -1; break;
    case 9: a->width = VTP_MAX_DIMENSION + 1; break;
    case 10: a->height = -5; break;
    case 11: a->sample_aspect_ratio = (AVRational){1, -1}; break;
    case 12: a->video_delay = -1; break;
    case 13: a->codec_type = AVMEDIA_TYPE_AUDIO; break;
    case 14: a->codec_type = AVMEDIA_TYPE_UNKNOWN; break;   /* with a codec: not blank */
    case 15: a->codec_id = -1; break;
    }
    vtp_wbuf_init(&w);
    vtp_codecpar_write(&w, a);
    vtp_rbuf_init(&r, w.data, w.len);
    ck_assert_int_eq(vtp_codecpar_read(&r, b), VTP_ERR_PROTO);
    vtp_wbuf_free(&w);
    avcodec_parameters_free(&a);
    avcodec_parameters_free(&b);
}
END_TEST

START_TEST(test_codecpar_truncated_rejected)
{
    AVCodecParameters *a = avcodec_parameters_alloc(), *b = avcodec_parameters_alloc();
    vtp_wbuf w;
    vtp_rbuf r;
    a->codec_type = AVMEDIA_TYPE_VIDEO;
    a->codec_id = AV_CODEC_ID_FFV1;
    a->extradata = av_mallocz(10 + AV_INPUT_BUFFER_PADDING_SIZE);
    a->extradata_size = 10;
    vtp_wbuf_init(&w);
    vtp_codecpar_write(&w, a);
    for (size_t n = 0; n < w.len; n++) {
        vtp_rbuf_init(&r, w.data, n);
        ck_assert_int_eq(vtp_codecpar_read(&r, b), VTP_ERR_PROTO);
    }
    vtp_wbuf_free(&w);
    avcodec_parameters_free(&a);
    avcodec_parameters_free(&b);
}
END_TEST

#define NFORMATS 7
#define NSIZES 4
static const enum AVPixelFormat frame_formats[NFORMATS] = {
    AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV420P10LE, AV_PIX_FMT_NV12, AV_PIX_FMT_GRAY8,
    AV_PIX_FMT_YUV444P, AV_PIX_FMT_RGB24, AV_PIX_FMT_YUVA420P,
};
static const int frame_sizes[NSIZES][2] = {{33, 17}, {1, 1}, {64, 48}, {17, 33}};

static AVFrame *decorated_frame(enum AVPixelFormat fmt, int w, int h)
{
    AVFrame *f = um_make_frame(fmt, w, h, 3);
    ck_assert_ptr_nonnull(f);
    f->pts = 123456789012LL;
    vtp_frame_set_duration(f, 1001);
    f->sample_aspect_ratio = (AVRational){10, 11};
    vtp_frame_set_fields(f, 1, 1);
    f->color_range = AVCOL_RANGE_MPEG;
    f->color_primaries = AVCOL_PRI_BT709;
    f->color_trc = AVCOL_TRC_BT709;
    f->colorspace = AVCOL_SPC_BT709;
    f->chroma_location = AVCHROMA_LOC_CENTER;
    return f;
}

static void assert_props(const AVFrame *dst, const AVFrame *src)
{
    ck_assert_int_eq(dst->pts, src->pts);
    ck_assert_int_eq(vtp_frame_duration(dst), vtp_frame_duration(src));
    ck_assert_int_eq(dst->sample_aspect_ratio.num, src->sample_aspect_ratio.num);
    ck_assert_int_eq(dst->sample_aspect_ratio.den, src->sample_aspect_ratio.den);
    ck_assert_int_eq(vtp_frame_interlaced(dst), 1);
    ck_assert_int_eq(vtp_frame_top_field_first(dst), 1);
    ck_assert_int_eq(dst->color_range, src->color_range);
    ck_assert_int_eq(dst->color_primaries, src->color_primaries);
    ck_assert_int_eq(dst->color_trc, src->color_trc);
    ck_assert_int_eq(dst->colorspace, src->colorspace);
    ck_assert_int_eq(dst->chroma_location, src->chroma_location);
}

START_TEST(test_codecpar_frame_roundtrip)
{
    enum AVPixelFormat fmt = frame_formats[_i % NFORMATS];
    int w = frame_sizes[_i / NFORMATS][0], h = frame_sizes[_i / NFORMATS][1];
    AVFrame *src = decorated_frame(fmt, w, h);
    AVFrame *dst = av_frame_alloc();
    vtp_wbuf b;
    vtp_rbuf r;
    char why[128];

    vtp_wbuf_init(&b);
    vtp_wbuf_u8(&b, 0x42);   /* not at offset 0: alignment is the writer's job */
    vtp_frame_write(&b, src);
    ck_assert_int_eq(b.failed, 0);
    ck_assert_uint_le(b.len - 1, vtp_frame_wire_size(src));
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0x42);
    ck_assert_int_eq(vtp_frame_read(&r, dst), 0);
    ck_assert_uint_eq(vtp_rbuf_left(&r), 0);
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);
    ck_assert_msg(um_frames_equal(src, dst, why, sizeof(why)), "%s %dx%d: %s",
                  av_get_pix_fmt_name(fmt), w, h, why);
    ck_assert_ptr_nonnull(dst->buf[0]);   /* owns its pixels */
    assert_props(dst, src);
    /* The copy does not depend on the message. */
    memset(b.data, 0xA5, b.len);
    ck_assert(um_frames_equal(src, dst, NULL, 0));

    vtp_wbuf_free(&b);
    av_frame_free(&src);
    av_frame_free(&dst);
}
END_TEST

static void free_block(void *opaque, uint8_t *data)
{
    (void)opaque;
    free(data);
}

/* A reference-counted copy of b's bytes, exactly as long as they are. */
static AVBufferRef *owned_copy(const vtp_wbuf *b)
{
    uint8_t *p = malloc(b->len);
    memcpy(p, b->data, b->len);
    AVBufferRef *ref = av_buffer_create(p, b->len, free_block, NULL, AV_BUFFER_FLAG_READONLY);
    ck_assert_ptr_nonnull(ref);
    return ref;
}

START_TEST(test_codecpar_frame_read_in_place)
{
    enum AVPixelFormat fmt = frame_formats[_i % NFORMATS];
    int w = frame_sizes[_i / NFORMATS][0], h = frame_sizes[_i / NFORMATS][1];
    AVFrame *src = decorated_frame(fmt, w, h);
    AVFrame *dst = av_frame_alloc();
    vtp_wbuf b;
    vtp_rbuf r;
    char why[128];

    vtp_wbuf_init(&b);
    vtp_wbuf_bytes(&b, "abc", 3);
    vtp_frame_write(&b, src);
    AVBufferRef *owner = owned_copy(&b);
    vtp_wbuf_free(&b);

    vtp_rbuf_init(&r, owner->data, (size_t)owner->size);
    ck_assert_ptr_nonnull(vtp_rbuf_bytes(&r, 3));
    ck_assert_int_eq(vtp_frame_read_ref(&r, dst, owner), 0);
    ck_assert_uint_eq(vtp_rbuf_left(&r), 0);
    /* The planes lie in the message, aligned, and the frame holds it. */
    ck_assert_ptr_nonnull(dst->buf[0]);
    ck_assert_ptr_eq(dst->buf[0]->buffer, owner->buffer);
    for (int p = 0; p < av_pix_fmt_count_planes(fmt); p++) {
        ck_assert(dst->data[p] >= owner->data && dst->data[p] < owner->data + owner->size);
        ck_assert_uint_eq((size_t)(dst->data[p] - owner->data) % VTP_FRAME_ALIGN, 0);
        ck_assert_int_eq(dst->linesize[p] % VTP_FRAME_ALIGN, 0);
    }
    av_buffer_unref(&owner);   /* the frame keeps the bytes alive */
    ck_assert_msg(um_frames_equal(src, dst, why, sizeof(why)), "%s %dx%d: %s",
                  av_get_pix_fmt_name(fmt), w, h, why);
    assert_props(dst, src);

    /* A copy of the frame (as a filter graph takes it) is a full frame. */
    AVFrame *clone = av_frame_clone(dst);
    av_frame_free(&dst);
    ck_assert(um_frames_equal(src, clone, NULL, 0));
    av_frame_free(&clone);
    av_frame_free(&src);
}
END_TEST

START_TEST(test_codecpar_frame_size_mismatch_rejected)
{
    AVFrame *src = um_make_frame(AV_PIX_FMT_YUV420P, 33, 17, 1);
    vtp_wbuf b;
    vtp_rbuf r;

    vtp_wbuf_init(&b);
    vtp_frame_write(&b, src);
    ck_assert_uint_eq(b.data[FRAME_OFF_PLANES], 3);
    ck_assert_uint_eq(b.data[FRAME_OFF_STRIDE0], VTP_FRAME_ALIGN);   /* 33 -> 64 */
    ck_assert_uint_eq(b.data[FRAME_OFF_LINES0], 17);
    uint8_t *copy = malloc(b.len);

    /* Each case changes one field so that the geometry no longer agrees. */
    struct { size_t at; int width; uint32_t value; } cases[] = {
        {FRAME_OFF_HEIGHT, 4, 18},              /* lines no longer match */
        {FRAME_OFF_HEIGHT, 4, 16},
        {FRAME_OFF_WIDTH, 4, 65},               /* rows longer than the stride */
        {FRAME_OFF_WIDTH, 4, 0},
        {FRAME_OFF_WIDTH, 4, (uint32_t)-33},
        {FRAME_OFF_WIDTH, 4, VTP_MAX_DIMENSION + 1},
        {FRAME_OFF_HEIGHT, 4, 0},
        {FRAME_OFF_FORMAT, 4, AV_PIX_FMT_GRAY8},  /* one plane, not three */
        {FRAME_OFF_FORMAT, 4, AV_PIX_FMT_NV12},   /* two planes */
        {FRAME_OFF_PLANES, 1, 2},
        {FRAME_OFF_PLANES, 1, 4},
        {FRAME_OFF_PLANES, 1, 0},
        {FRAME_OFF_STRIDE0, 4, 32},             /* shorter than a row */
        {FRAME_OFF_STRIDE0, 4, 0},
        {FRAME_OFF_STRIDE0, 4, (1u << 20) + 64},
        {FRAME_OFF_STRIDE0, 4, 1u << 31},
        {FRAME_OFF_LINES0, 4, 16},
        {FRAME_OFF_LINES0, 4, 18},
        {FRAME_OFF_LINES0, 4, UINT32_MAX},
        {FRAME_OFF_PAD0, 1, VTP_FRAME_ALIGN},
        {FRAME_OFF_PAD0, 1, 255},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        AVFrame *dst = av_frame_alloc();
        memcpy(copy, b.data, b.len);
        if (cases[i].width == 4)
            put_u32(copy + cases[i].at, cases[i].value);
        else
            copy[cases[i].at] = (uint8_t)cases[i].value;
        vtp_rbuf_init(&r, copy, b.len);
        int ret = vtp_frame_read(&r, dst);
        ck_assert_msg(ret == VTP_ERR_PROTO, "case %zu (offset %zu = %u): got %d", i, cases[i].at,
                      cases[i].value, ret);
        av_frame_free(&dst);
    }

    /* Every truncation fails; the whole record still reads. */
    for (size_t n = 0; n < b.len; n++) {
        AVFrame *dst = av_frame_alloc();
        memcpy(copy, b.data, n);
        vtp_rbuf_init(&r, copy, n);
        ck_assert_int_eq(vtp_frame_read(&r, dst), VTP_ERR_PROTO);
        av_frame_free(&dst);
    }
    AVFrame *dst = av_frame_alloc();
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_int_eq(vtp_frame_read(&r, dst), 0);
    ck_assert(um_frames_equal(src, dst, NULL, 0));
    av_frame_free(&dst);
    free(copy);
    vtp_wbuf_free(&b);
    av_frame_free(&src);
}
END_TEST

START_TEST(test_codecpar_frame_bad_format_rejected)
{
    AVFrame *src = um_make_frame(AV_PIX_FMT_GRAY8, 8, 8, 1);
    vtp_wbuf b;
    vtp_rbuf r;
    static const int32_t formats[] = {-1, AV_PIX_FMT_NB, 0x7fffffff, AV_PIX_FMT_VAAPI,
                                      AV_PIX_FMT_PAL8, AV_PIX_FMT_MONOBLACK};
    vtp_wbuf_init(&b);
    vtp_frame_write(&b, src);
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        AVFrame *dst = av_frame_alloc();
        put_u32(b.data + FRAME_OFF_FORMAT, (uint32_t)formats[i]);
        vtp_rbuf_init(&r, b.data, b.len);
        ck_assert_msg(vtp_frame_read(&r, dst) == VTP_ERR_PROTO, "format %d accepted", formats[i]);
        av_frame_free(&dst);
    }
    vtp_wbuf_free(&b);
    av_frame_free(&src);
}
END_TEST

START_TEST(test_codecpar_paletted_frame_refused)
{
    /* A real paletted frame, written as is: the reader refuses it. */
    AVFrame *f = av_frame_alloc();
    AVFrame *dst = av_frame_alloc();
    vtp_wbuf b;
    vtp_rbuf r;
    f->format = AV_PIX_FMT_PAL8;
    f->width = 16;
    f->height = 8;
    ck_assert_int_eq(av_frame_get_buffer(f, 0), 0);
    memset(f->data[0], 1, (size_t)f->linesize[0] * 8);
    memset(f->data[1], 0, 1024);
    vtp_wbuf_init(&b);
    vtp_frame_write(&b, f);
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_int_eq(vtp_frame_read(&r, dst), VTP_ERR_PROTO);
    vtp_wbuf_free(&b);
    av_frame_free(&f);
    av_frame_free(&dst);
}
END_TEST

Suite *codecpar_suite(void)
{
    Suite *s = suite_create("codecpar");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_codecpar_roundtrip);
    tcase_add_test(tc, test_codecpar_blank_record_accepted);
    tcase_add_loop_test(tc, test_codecpar_out_of_range_rejected, 0, 16);
    tcase_add_test(tc, test_codecpar_truncated_rejected);
    tcase_add_loop_test(tc, test_codecpar_frame_roundtrip, 0, NFORMATS * NSIZES);
    tcase_add_loop_test(tc, test_codecpar_frame_read_in_place, 0, NFORMATS * NSIZES);
    tcase_add_test(tc, test_codecpar_frame_size_mismatch_rejected);
    tcase_add_test(tc, test_codecpar_frame_bad_format_rejected);
    tcase_add_test(tc, test_codecpar_paletted_frame_refused);
    suite_add_tcase(s, tc);
    return s;
}
