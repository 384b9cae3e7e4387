/* test_hdr.c -- HDR metadata found in the input (include/vtp_hdr.h).
 *
 * A small FFV1 file in Matroska, 10-bit PQ with mastering display and
 * content light level as stream side data, is written with libavformat;
 * vtp_hdr_probe() must find both, and a Dolby Vision configuration given to
 * the stream as it is read (no FFmpeg muxer here writes one for FFV1) must
 * be seen too, so that it can be said not to be carried.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/dovi_meta.h>

#include "suites.h"
#include "unit_media.h"
#include "vtp_compat.h"
#include "vtp_hdr.h"

#define W 64
#define H 48

static void write_pq_file(const char *path)
{
    AVFormatContext *oc = NULL;
    AVCodecParameters *par = avcodec_parameters_alloc();
    AVPacket **pkts = NULL;
    um_frames src = {0};
    for (int i = 0; i < 3; i++)
        um_frames_push(&src, um_make_frame(AV_PIX_FMT_YUV420P10LE, W, H, i));
    int n = um_encode("ffv1", src.v, src.n, (AVRational){1, 25}, NULL, 0, &pkts, par);
    um_frames_clear(&src);
    ck_assert_int_gt(n, 0);
    par->color_trc = AVCOL_TRC_SMPTE2084;
    par->color_primaries = AVCOL_PRI_BT2020;
    par->color_space = AVCOL_SPC_BT2020_NCL;

    ck_assert_int_ge(avformat_alloc_output_context2(&oc, NULL, "matroska", path), 0);
    AVStream *st = avformat_new_stream(oc, NULL);
    avcodec_parameters_copy(st->codecpar, par);
    st->time_base = (AVRational){1, 25};
    AVMasteringDisplayMetadata md = {
        .display_primaries = {{{34000, 50000}, {16000, 50000}},
                              {{13250, 50000}, {34500, 50000}},
                              {{7500, 50000}, {3000, 50000}}},
        .white_point = {{15635, 50000}, {16450, 50000}},
        .min_luminance = {1, 10000},
        .max_luminance = {1000, 1},
        .has_primaries = 1,
        .has_luminance = 1,
    };
    AVContentLightMetadata cl = {.MaxCLL = 1000, .MaxFALL = 400};
    ck_assert_int_eq(vtp_stream_add_side_data(st, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, &md,
                                              sizeof(md)), 0);
    ck_assert_int_eq(vtp_stream_add_side_data(st, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, &cl,
                                              sizeof(cl)), 0);
    ck_assert_int_ge(avio_open(&oc->pb, path, AVIO_FLAG_WRITE), 0);
    ck_assert_int_ge(avformat_write_header(oc, NULL), 0);
    for (int i = 0; i < n; i++) {
        pkts[i]->stream_index = 0;
        av_packet_rescale_ts(pkts[i], (AVRational){1, 25}, st->time_base);
        ck_assert_int_ge(av_write_frame(oc, pkts[i]), 0);
    }
    ck_assert_int_ge(av_write_trailer(oc), 0);
    avio_closep(&oc->pb);
    avformat_free_context(oc);
    um_packets_free(pkts, n);
    avcodec_parameters_free(&par);
}

START_TEST(finds_hdr10_and_dolby_vision)
{
    char *dir = um_mkdtemp();
    char path[4096];
    snprintf(path, sizeof(path), "%s/pq.mkv", dir);
    write_pq_file(path);

    AVFormatContext *in = NULL;
    ck_assert_int_ge(avformat_open_input(&in, path, NULL, NULL), 0);
    ck_assert_int_ge(avformat_find_stream_info(in, NULL), 0);
    vtp_hdr h;
    vtp_hdr_probe(in, 0, path, &h);
    ck_assert(h.has_mastering && h.has_light);
    ck_assert_uint_eq(h.light.MaxCLL, 1000);
    ck_assert_int_eq(h.mastering.max_luminance.num / h.mastering.max_luminance.den, 1000);
    ck_assert(!h.dovi && !h.dynamic);

    AVDOVIDecoderConfigurationRecord dv = {.dv_version_major = 1, .dv_profile = 8,
                                           .dv_level = 4, .rpu_present_flag = 1,
                                           .bl_present_flag = 1,
                                           .dv_bl_signal_compatibility_id = 1};
    ck_assert_int_eq(vtp_stream_add_side_data(in->streams[0], AV_PKT_DATA_DOVI_CONF, &dv,
                                              sizeof(dv)), 0);
    vtp_hdr_probe(in, 0, path, &h);
    ck_assert(h.dovi);
    ck_assert(h.has_mastering && h.has_light);

    avformat_close_input(&in);
    um_rmdir(dir);
}
END_TEST

Suite *hdr_suite(void)
{
    Suite *s = suite_create("hdr");
    TCase *tc = tcase_create("probe");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, finds_hdr10_and_dolby_vision);
    suite_add_tcase(s, tc);
    return s;
}
