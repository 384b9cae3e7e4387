/* test_package.c -- what HLS and DASH packaging is made of: RFC 6381 codecs
 * strings read from encoders' headers (include/vtp_codecstr.h), CMAF
 * tracks cut into an initialization segment and media segments
 * (include/vtp_cmaf.h), read back by libavformat frame-exact, and the
 * playlists that list them (include/vtp_playlist.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>

#include "suites.h"
#include "unit_media.h"
#include "vtp_cmaf.h"
#include "vtp_codecstr.h"
#include "vtp_fileio.h"
#include "vtp_playlist.h"

#define W 160
#define H 120
#define FPS 25

static AVCodecParameters *par_with(enum AVCodecID id, const uint8_t *extra, int size)
{
    AVCodecParameters *par = avcodec_parameters_alloc();
    ck_assert_ptr_nonnull(par);
    par->codec_type = id == AV_CODEC_ID_AAC ? AVMEDIA_TYPE_AUDIO : AVMEDIA_TYPE_VIDEO;
    par->codec_id = id;
    if (size) {
        par->extradata = av_mallocz((size_t)size + AV_INPUT_BUFFER_PADDING_SIZE);
        ck_assert_ptr_nonnull(par->extradata);
        memcpy(par->extradata, extra, (size_t)size);
        par->extradata_size = size;
    }
    return par;
}

static void assert_codec_string(enum AVCodecID id, const uint8_t *extra, int size,
                                const char *want)
{
    AVCodecParameters *par = par_with(id, extra, size);
    char s[VTP_CODECSTR_MAX];
    ck_assert_int_eq(vtp_codec_string(par, s, sizeof(s)), 0);
    ck_assert_str_eq(s, want);
    avcodec_parameters_free(&par);
}

/* n yuv420p frames, pts 0..n-1 in 1/FPS. */
static AVFrame **make_frames(int n)
{
    AVFrame **f = calloc((size_t)n, sizeof(*f));
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < n; i++)
        ck_assert_ptr_nonnull(f[i] = um_make_frame(AV_PIX_FMT_YUV420P, W, H, i));
    return f;
}

static void free_frames(AVFrame **f, int n)
{
    for (int i = 0; i < n; i++)
        av_frame_free(&f[i]);
    free(f);
}

/* Encodes n frames with encoder and the x264-style options opts
 * ("key=value:..."), with global headers; par receives the parameters. */
static int encode(const char *encoder, const char *opts, AVFrame **frames, int n,
                  AVPacket ***pkts, AVCodecParameters *par)
{
    AVDictionary *o = NULL;
    if (opts)
        ck_assert_int_ge(av_dict_parse_string(&o, opts, "=", ":", 0), 0);
    int np = um_encode(encoder, frames, n, (AVRational){1, FPS}, o, AV_CODEC_FLAG_GLOBAL_HEADER,
                       pkts, par);
    av_dict_free(&o);
    return np;
}

/* ---- codecs strings ---- */

START_TEST(test_codecstr_h264_from_avcc_and_annexb)
{
    /* avcC: version 1, High profile (100), no constraint flags, level 3.1. */
    static const uint8_t avcc[] = {1, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0, 0};
    assert_codec_string(AV_CODEC_ID_H264, avcc, sizeof(avcc), "avc1.64001f");
    /* The parameter sets with start codes: an AUD, then an SPS of Main
     * (77), constraint_set1 (0x40), level 4.0; a 4-byte start code first. */
    static const uint8_t annexb[] = {0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 0x4d, 0x40, 0x28,
                                     0xac, 0, 0, 1, 0x68, 0xee, 0x3c, 0x80};
    assert_codec_string(AV_CODEC_ID_H264, annexb, sizeof(annexb), "avc1.4d4028");
}
END_TEST

START_TEST(test_codecstr_h264_from_x264)
{
    /* What x264 itself writes: Main profile sets constraint_set1 (Main
     * conformance); the level is the one asked for. */
    AVFrame **frames = make_frames(3);
    AVCodecParameters *par = avcodec_parameters_alloc();
    AVPacket **pkts = NULL;
    int np = encode("libx264", "profile=main:level=3.1:preset=medium", frames, 3, &pkts, par);
    ck_assert_int_gt(np, 0);
    char s[VTP_CODECSTR_MAX];
    ck_assert_int_eq(vtp_codec_string(par, s, sizeof(s)), 0);
    ck_assert_str_eq(s, "avc1.4d401f");
    um_packets_free(pkts, np);
    avcodec_parameters_free(&par);
    free_frames(frames, 3);
}
END_TEST

START_TEST(test_codecstr_hevc_fields)
{
    /* hvcC: Main profile (1), compatibility flags 1 and 2 (0x60000000,
     * reversed 0x6), Main tier, progressive and frame-only constraints
     * (0xb0, the rest zero and left out), level 3.1 (93). */
    static const uint8_t hvcc[] = {1, 0x01, 0x60, 0, 0, 0, 0xb0, 0, 0, 0, 0, 0, 93, 0xf0, 0, 0xfc,
                                   0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0};
    assert_codec_string(AV_CODEC_ID_HEVC, hvcc, sizeof(hvcc), "hvc1.1.6.L93.B0");
    /* High tier, profile space 1 (A), Main 10 (2, compatible with 2:
     * 0x20000000, reversed 0x4), two constraint bytes, level 5.1 (153). */
    static const uint8_t high[] = {1, 0x62, 0x20, 0, 0, 0, 0x90, 0x01, 0, 0, 0, 0, 153, 0xf0, 0,
                                   0xfc, 0xfd, 0xfa, 0xfa, 0, 0, 0x0f, 0};
    assert_codec_string(AV_CODEC_ID_HEVC, high, sizeof(high), "hvc1.A2.4.H153.90.1");
    /* The same first fields from an SPS with start codes, with an
     * emulation prevention byte (00 00 03) in the constraint flags. */
    static const uint8_t annexb[] = {0, 0, 0, 1, 0x42, 0x01, 0x01, 0x01, 0x60, 0, 0, 0, 0xb0,
                                     0, 0, 3, 0, 0, 0, 93, 0xa0};
    assert_codec_string(AV_CODEC_ID_HEVC, annexb, sizeof(annexb), "hvc1.1.6.L93.B0");
}
END_TEST

START_TEST(test_codecstr_av1_and_aac)
{
    /* av1C: Main profile, level index 8 (4.0), Main tier, 10-bit. */
    static const uint8_t av1c[] = {0x81, 0x08, 0x4c, 0x00};
    assert_codec_string(AV_CODEC_ID_AV1, av1c, sizeof(av1c), "av01.0.08M.10");
    /* AudioSpecificConfig: AAC LC (2), 48 kHz, stereo. */
    static const uint8_t lc[] = {0x11, 0x90};
    assert_codec_string(AV_CODEC_ID_AAC, lc, sizeof(lc), "mp4a.40.2");
    /* The escape (31): 32 + 10 = 42, USAC. */
    static const uint8_t usac[] = {0xf9, 0x40};
    assert_codec_string(AV_CODEC_ID_AAC, usac, sizeof(usac), "mp4a.40.42");
    /* No config: the profile (HE-AAC, 4, is object type 5). */
    AVCodecParameters *par = par_with(AV_CODEC_ID_AAC, NULL, 0);
    par->profile = 4;
    char s[VTP_CODECSTR_MAX];
    ck_assert_int_eq(vtp_codec_string(par, s, sizeof(s)), 0);
    ck_assert_str_eq(s, "mp4a.40.5");
    avcodec_parameters_free(&par);
}
END_TEST

START_TEST(test_codecstr_errors_told)
{
    char s[VTP_CODECSTR_MAX];
    AVCodecParameters *par = par_with(AV_CODEC_ID_FFV1, NULL, 0);
    ck_assert_int_eq(vtp_codec_string(par, s, sizeof(s)), AVERROR(ENOSYS));
    avcodec_parameters_free(&par);
    par = par_with(AV_CODEC_ID_H264, NULL, 0);             /* no headers */
    ck_assert_int_eq(vtp_codec_string(par, s, sizeof(s)), AVERROR_INVALIDDATA);
    avcodec_parameters_free(&par);
    static const uint8_t pps_only[] = {0, 0, 1, 0x68, 0xee, 0x3c, 0x80};
    par = par_with(AV_CODEC_ID_H264, pps_only, sizeof(pps_only));
    ck_assert_int_eq(vtp_codec_string(par, s, sizeof(s)), AVERROR_INVALIDDATA);
    avcodec_parameters_free(&par);
    static const uint8_t avcc[] = {1, 0x64, 0x00, 0x1f};
    par = par_with(AV_CODEC_ID_H264, avcc, sizeof(avcc));
    ck_assert_int_eq(vtp_codec_string(par, s, 8), AVERROR(ENOSPC));
    ck_assert_str_eq(s, "");
    avcodec_parameters_free(&par);
}
END_TEST

/* ---- CMAF tracks ---- */

/* The four-character type of the top-level box at offset off of data. */
static void box_type(const uint8_t *data, size_t len, size_t off, char type[5])
{
    ck_assert_uint_ge(len, off + 8);
    memcpy(type, data + off + 4, 4);
    type[4] = '\0';
}

static uint8_t *read_all(const char *path, size_t *len)
{
    uint8_t *data = NULL;
    ck_assert_int_eq(vtp_file_read(path, 1 << 26, &data, len), 0);
    return data;
}

/* Appends path's bytes to out. */
static void append_file(FILE *out, const char *path)
{
    size_t len;
    uint8_t *data = read_all(path, &len);
    ck_assert_uint_eq(fwrite(data, 1, len, out), len);
    free(data);
}

/* Writes frames 0..n-1, encoded with opts, as a CMAF track cut at every
 * keyframe, reads init.mp4 + the segments back as one file and checks that
 * every frame is there, at its time (plus the shift), with its pixels. */
static void roundtrip(const char *opts, int n, int want_segments, int want_shift)
{
    AVFrame **frames = make_frames(n);
    AVCodecParameters *par = avcodec_parameters_alloc();
    AVPacket **pkts = NULL;
    int np = encode("libx264", opts, frames, n, &pkts, par);
    ck_assert_int_eq(np, n);
    /* With B-frames the encoder's decode times start before 0: the shift
     * moves them to 0, and every frame with them. */
    int64_t shift = pkts[0]->dts < 0 ? -pkts[0]->dts : 0;
    ck_assert_int_eq(shift > 0, want_shift);
    char *dir = um_mkdtemp();
    char why[256] = "";
    vtp_cmaf *c = vtp_cmaf_new(dir, par, (AVRational){1, FPS}, shift, why, sizeof(why));
    ck_assert_msg(c != NULL, "%s", why);

    /* Segments from each keyframe (decode order) to the next. */
    int nseg = 0;
    int64_t covered = 0;
    for (int i = 0; i < np;) {
        int j = i + 1;
        while (j < np && !(pkts[j]->flags & AV_PKT_FLAG_KEY))
            j++;
        int64_t end = j < np ? pkts[j]->pts : n;
        vtp_cmaf_info info;
        ck_assert_msg(vtp_cmaf_write(c, (uint32_t)nseg + 1, pkts + i, j - i, end, &info, why,
                                     sizeof(why)) == 0, "%s", why);
        ck_assert_int_eq(info.number, nseg + 1);
        ck_assert_int_eq(info.start, covered);
        ck_assert_int_eq(info.duration, end - covered);
        ck_assert_int_gt(info.bytes, 0);
        covered = end;
        nseg++;
        i = j;
    }
    ck_assert_int_eq(nseg, want_segments);
    vtp_cmaf_destroy(&c);
    ck_assert_ptr_null(c);

    /* The init segment: ftyp first, then the moov; no sample data. */
    char path[4096], type[5];
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", dir, VTP_CMAF_INIT);
    uint8_t *init = read_all(path, &len);
    box_type(init, len, 0, type);
    ck_assert_str_eq(type, "ftyp");
    ck_assert_ptr_nonnull(memmem(init, len, "moov", 4));
    ck_assert_ptr_null(memmem(init, len, "mdat", 4));
    free(init);

    /* Each media segment: a moof (after an optional styp or sidx) and its
     * mdat, and nothing of the others. */
    char whole[4096];
    snprintf(whole, sizeof(whole), "%s/whole.mp4", dir);
    FILE *out = fopen(whole, "wb");
    ck_assert_ptr_nonnull(out);
    append_file(out, path);
    for (int k = 1; k <= nseg; k++) {
        char name[32];
        snprintf(name, sizeof(name), VTP_CMAF_SEGMENT, (unsigned)k);
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        uint8_t *seg = read_all(path, &len);
        ck_assert_ptr_nonnull(memmem(seg, len, "moof", 4));
        ck_assert_ptr_nonnull(memmem(seg, len, "mdat", 4));
        ck_assert_ptr_null(memmem(seg, len, "moov", 4));
        free(seg);
        append_file(out, path);
    }
    fclose(out);

    /* Read back: every frame, at its time, with its pixels. */
    AVFormatContext *in = NULL;
    ck_assert_int_eq(avformat_open_input(&in, whole, NULL, NULL), 0);
    ck_assert_int_ge(avformat_find_stream_info(in, NULL), 0);
    AVPacket **back = calloc((size_t)n * 2, sizeof(*back));
    int nb = 0;
    AVPacket *p = av_packet_alloc();
    while (av_read_frame(in, p) >= 0) {
        ck_assert_int_lt(nb, n * 2);
        back[nb++] = av_packet_clone(p);
        av_packet_unref(p);
    }
    av_packet_free(&p);
    ck_assert_int_eq(nb, n);
    um_frames got = {0};
    AVStream *st = in->streams[0];
    ck_assert_int_eq(um_decode(st->codecpar, st->time_base, back, nb, &got), 0);
    ck_assert_int_eq(got.n, n);
    for (int i = 0; i < n; i++) {
        int64_t t = av_rescale_q(got.v[i]->pts, st->time_base, (AVRational){1, FPS});
        ck_assert_int_eq(t, i + shift);
    }
    /* Pixels: the decoded frames equal a decode of the packets as encoded. */
    um_frames ref = {0};
    ck_assert_int_eq(um_decode(par, (AVRational){1, FPS}, pkts, np, &ref), 0);
    ck_assert_int_eq(ref.n, n);
    for (int i = 0; i < n; i++) {
        char diff[128] = "";
        ck_assert_msg(um_frames_equal(ref.v[i], got.v[i], diff, sizeof(diff)), "frame %d: %s",
                      i, diff);
    }
    um_frames_clear(&ref);
    um_frames_clear(&got);
    for (int i = 0; i < nb; i++)
        av_packet_free(&back[i]);
    free(back);
    avformat_close_input(&in);
    unlink(whole);
    um_rmdir(dir);
    um_packets_free(pkts, np);
    avcodec_parameters_free(&par);
    free_frames(frames, n);
}

START_TEST(test_cmaf_segments_read_back_frame_exact)
{
    roundtrip("preset=ultrafast:g=10:bf=0:sc_threshold=0", 30, 3, 0);
}
END_TEST

START_TEST(test_cmaf_segments_with_bframes_read_back_frame_exact)
{
    roundtrip("preset=fast:g=12:bf=3:sc_threshold=0", 36, 3, 1);
}
END_TEST

START_TEST(test_cmaf_refuses_what_would_break_the_track)
{
    AVFrame **frames = make_frames(10);
    AVCodecParameters *par = avcodec_parameters_alloc();
    AVPacket **pkts = NULL;
    int np = encode("libx264", "preset=ultrafast:g=5:bf=0:sc_threshold=0", frames, 10, &pkts, par);
    ck_assert_int_eq(np, 10);
    char *dir = um_mkdtemp();
    char why[256] = "";
    vtp_cmaf *c = vtp_cmaf_new(dir, par, (AVRational){1, FPS}, 0, why, sizeof(why));
    ck_assert_msg(c != NULL, "%s", why);
    /* Not from a keyframe. */
    ck_assert_int_eq(vtp_cmaf_write(c, 1, pkts + 1, 4, 5, NULL, why, sizeof(why)), AVERROR(EINVAL));
    ck_assert_ptr_nonnull(strstr(why, "keyframe"));
    /* Ending before its frames do. */
    ck_assert_int_eq(vtp_cmaf_write(c, 1, pkts, 5, 4, NULL, why, sizeof(why)), AVERROR(EINVAL));
    ck_assert_int_eq(vtp_cmaf_write(c, 2, pkts, 5, 5, NULL, why, sizeof(why)), 0);
    /* Decoding before 0 after the shift. */
    AVPacket *early = av_packet_clone(pkts[5]);
    early->dts = -1;
    ck_assert_int_eq(vtp_cmaf_write(c, 3, &early, 1, 6, NULL, why, sizeof(why)), AVERROR(EINVAL));
    ck_assert_ptr_nonnull(strstr(why, "before 0"));
    av_packet_free(&early);
    /* Numbers rise. */
    ck_assert_int_eq(vtp_cmaf_write(c, 2, pkts + 5, 5, 10, NULL, why, sizeof(why)), AVERROR(EINVAL));
    ck_assert_ptr_nonnull(strstr(why, "after segment 2"));
    vtp_cmaf_destroy(&c);
    /* The refused segments left no file, temporary or not. */
    char path[4096];
    snprintf(path, sizeof(path), "%s/seg-00001.m4s", dir);
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/seg-00002.m4s.tmp", dir);
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/seg-00002.m4s", dir);
    ck_assert_int_eq(access(path, F_OK), 0);
    um_rmdir(dir);

    /* A directory that is not there: no track, and why. */
    c = vtp_cmaf_new("/nowhere/at/all", par, (AVRational){1, FPS}, 0, why, sizeof(why));
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(why, "/nowhere/at/all"));
    um_packets_free(pkts, np);
    avcodec_parameters_free(&par);
    free_frames(frames, 10);
}
END_TEST

/* ---- playlists ---- */

/* A video track of three segments: 2 s, 2 s and 1 s at 1/25, 100, 150 and
 * 20 kB, shifted by 2 (B-frames); an audio track cut at the same times. */
static const vtp_cmaf_info VIDEO_SEGS[] = {
    {1, 0, 50, 100000}, {2, 50, 50, 150000}, {3, 100, 25, 20000}};
static const vtp_cmaf_info AUDIO_SEGS[] = {
    {1, 0, 96000, 32000}, {2, 96000, 96000, 32000}, {3, 192000, 48000, 16000}};

static vtp_track video_track(const char *dir, int w, int h)
{
    return (vtp_track){.dir = dir, .codecs = "avc1.64001f", .width = w, .height = h,
                       .frame_rate = {25, 1}, .time_base = {1, 25}, .shift = 2, .origin = 0,
                       .segs = VIDEO_SEGS, .nsegs = 3};
}

static vtp_track audio_track(void)
{
    return (vtp_track){.dir = "audio", .codecs = "mp4a.40.2", .sample_rate = 48000,
                       .channels = 2, .time_base = {1, 48000}, .shift = 3840, .origin = 0,
                       .segs = AUDIO_SEGS, .nsegs = 3};
}

START_TEST(test_playlist_bandwidths)
{
    vtp_track v = video_track("720p", 1280, 720);
    /* Peak: 150 kB in 2 s; average: 270 kB in 5 s. */
    ck_assert_int_eq(vtp_track_peak_bps(&v), 600000);
    ck_assert_int_eq(vtp_track_average_bps(&v), 432000);
    vtp_track a = audio_track();
    ck_assert_int_eq(vtp_track_peak_bps(&a), 128000);
    ck_assert_int_eq(vtp_track_average_bps(&a), 128000);
}
END_TEST

START_TEST(test_playlist_hls_media_vod_and_event)
{
    vtp_track v = video_track("720p", 1280, 720);
    char *text = NULL;
    ck_assert_int_eq(vtp_hls_media(&v, 1, &text), 0);
    ck_assert_str_eq(text, "#EXTM3U\n"
                           "#EXT-X-VERSION:7\n"
                           "#EXT-X-TARGETDURATION:2\n"
                           "#EXT-X-MEDIA-SEQUENCE:1\n"
                           "#EXT-X-PLAYLIST-TYPE:VOD\n"
                           "#EXT-X-INDEPENDENT-SEGMENTS\n"
                           "#EXT-X-MAP:URI=\"init.mp4\"\n"
                           "#EXTINF:2.000000,\nseg-00001.m4s\n"
                           "#EXTINF:2.000000,\nseg-00002.m4s\n"
                           "#EXTINF:1.000000,\nseg-00003.m4s\n"
                           "#EXT-X-ENDLIST\n");
    av_free(text);
    /* Still growing: an EVENT playlist of what is done, with no end. */
    v.nsegs = 1;
    ck_assert_int_eq(vtp_hls_media(&v, 0, &text), 0);
    ck_assert_ptr_nonnull(strstr(text, "#EXT-X-PLAYLIST-TYPE:EVENT\n"));
    ck_assert_ptr_nonnull(strstr(text, "seg-00001.m4s\n"));
    ck_assert_ptr_null(strstr(text, "seg-00002"));
    ck_assert_ptr_null(strstr(text, "ENDLIST"));
    av_free(text);
    /* A segment of 2.6 s: the target duration is its ceiling. */
    vtp_cmaf_info odd[] = {{1, 0, 65, 1000}};
    v.segs = odd;
    ck_assert_int_eq(vtp_hls_media(&v, 1, &text), 0);
    ck_assert_ptr_nonnull(strstr(text, "#EXT-X-TARGETDURATION:3\n"));
    ck_assert_ptr_nonnull(strstr(text, "#EXTINF:2.600000,\n"));
    av_free(text);
}
END_TEST

START_TEST(test_playlist_hls_master)
{
    vtp_track v[2] = {video_track("720p", 1280, 720), video_track("360p", 640, 360)};
    v[1].codecs = "avc1.4d401e";
    vtp_track a = audio_track();
    char *text = NULL;
    ck_assert_int_eq(vtp_hls_master(v, 2, &a, &text), 0);
    ck_assert_str_eq(text,
        "#EXTM3U\n"
        "#EXT-X-VERSION:7\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,"
        "CHANNELS=\"2\",URI=\"audio/index.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=728000,AVERAGE-BANDWIDTH=560000,"
        "CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,FRAME-RATE=25.000,AUDIO=\"audio\"\n"
        "720p/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=728000,AVERAGE-BANDWIDTH=560000,"
        "CODECS=\"avc1.4d401e,mp4a.40.2\",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO=\"audio\"\n"
        "360p/index.m3u8\n");
    av_free(text);
    /* Without audio: video codecs only, no group. */
    ck_assert_int_eq(vtp_hls_master(v, 1, NULL, &text), 0);
    ck_assert_ptr_nonnull(strstr(text, "BANDWIDTH=600000,AVERAGE-BANDWIDTH=432000,"
                                       "CODECS=\"avc1.64001f\",RESOLUTION=1280x720"));
    ck_assert_ptr_null(strstr(text, "AUDIO"));
    av_free(text);
    /* A track with no segment has no bandwidth to state. */
    v[1].nsegs = 0;
    ck_assert_int_eq(vtp_hls_master(v, 2, &a, &text), AVERROR(EINVAL));
    ck_assert_ptr_null(text);
}
END_TEST

START_TEST(test_playlist_dash_mpd)
{
    vtp_track v[2] = {video_track("720p", 1280, 720), video_track("360p", 640, 360)};
    vtp_track a = audio_track();
    char *text = NULL;
    ck_assert_int_eq(vtp_dash_mpd(v, 2, &a, &text), 0);
    /* The presentation: 5 s, static. */
    ck_assert_ptr_nonnull(strstr(text, "type=\"static\" mediaPresentationDuration=\"PT5.000S\""));
    /* A video set with both renditions, an audio set. */
    ck_assert_ptr_nonnull(strstr(text, "<AdaptationSet id=\"0\" contentType=\"video\""));
    ck_assert_ptr_nonnull(strstr(text, "<Representation id=\"v0\" bandwidth=\"600000\" "
                                       "codecs=\"avc1.64001f\" width=\"1280\" height=\"720\""));
    ck_assert_ptr_nonnull(strstr(text, "<Representation id=\"v1\""));
    ck_assert_ptr_nonnull(strstr(text, "<AdaptationSet id=\"1\" contentType=\"audio\""));
    ck_assert_ptr_nonnull(strstr(text, "audioSamplingRate=\"48000\""));
    /* Segment times in the track's time base, shifted as the media is,
     * and the presentation starting at the first frame. */
    ck_assert_ptr_nonnull(strstr(text, "<SegmentTemplate timescale=\"25\" "
                                       "presentationTimeOffset=\"2\" initialization=\"720p/init.mp4\" "
                                       "media=\"720p/seg-$Number%05d$.m4s\" startNumber=\"1\">"));
    ck_assert_ptr_nonnull(strstr(text, "<S t=\"2\" d=\"50\" r=\"1\"/>\n"
                                       "            <S t=\"102\" d=\"25\"/>"));
    /* Audio: its own time base, the same instant (0.08 s) as the start. */
    ck_assert_ptr_nonnull(strstr(text, "<SegmentTemplate timescale=\"48000\" "
                                       "presentationTimeOffset=\"3840\""));
    ck_assert_ptr_nonnull(strstr(text, "<S t=\"3840\" d=\"96000\" r=\"1\"/>"));
    ck_assert_ptr_nonnull(strstr(text, "</Period>\n</MPD>\n"));
    av_free(text);
}
END_TEST

START_TEST(test_playlist_written_whole)
{
    char *dir = um_mkdtemp();
    char path[4096];
    snprintf(path, sizeof(path), "%s/master.m3u8", dir);
    ck_assert_int_eq(vtp_playlist_write(path, "#EXTM3U\n"), 0);
    size_t len;
    uint8_t *data = read_all(path, &len);
    ck_assert_uint_eq(len, 8);
    ck_assert_int_eq(memcmp(data, "#EXTM3U\n", 8), 0);
    free(data);
    strcat(path, ".tmp");
    ck_assert_int_ne(access(path, F_OK), 0);
    um_rmdir(dir);
    ck_assert_int_lt(vtp_playlist_write("/nowhere/at/all/master.m3u8", "#EXTM3U\n"), 0);
}
END_TEST

/* ---- a whole ladder, read back by libavformat's HLS and DASH readers ---- */

#define AUDIO_RATE 48000

/* seconds of a 440 Hz tone in stereo, encoded with FFmpeg's AAC encoder. */
static int encode_aac(int secs, AVPacket ***out, AVCodecParameters *par)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    AVCodecContext *enc = codec ? avcodec_alloc_context3(codec) : NULL;
    ck_assert_ptr_nonnull(enc);
    enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    enc->sample_rate = AUDIO_RATE;
    av_channel_layout_default(&enc->ch_layout, 2);
    enc->time_base = (AVRational){1, AUDIO_RATE};
    enc->bit_rate = 128000;
    enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    ck_assert_int_eq(avcodec_open2(enc, codec, NULL), 0);
    AVPacket **v = calloc(1024, sizeof(*v));
    int n = 0;
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    for (int64_t t = 0; t < (int64_t)secs * AUDIO_RATE + enc->frame_size; t += enc->frame_size) {
        int last = t >= (int64_t)secs * AUDIO_RATE;
        if (!last) {
            f->nb_samples = enc->frame_size;
            f->format = enc->sample_fmt;
            f->sample_rate = AUDIO_RATE;
            ck_assert_int_eq(av_channel_layout_copy(&f->ch_layout, &enc->ch_layout), 0);
            ck_assert_int_eq(av_frame_get_buffer(f, 0), 0);
            for (int c = 0; c < 2; c++)
                for (int i = 0; i < f->nb_samples; i++)
                    ((float *)f->data[c])[i] = 0.3f * sinf(2 * 3.14159265f * 440 * (t + i) / AUDIO_RATE);
            f->pts = t;
        }
        ck_assert_int_eq(avcodec_send_frame(enc, last ? NULL : f), 0);
        av_frame_unref(f);
        while (avcodec_receive_packet(enc, pkt) == 0) {
            ck_assert_int_lt(n, 1024);
            v[n++] = av_packet_clone(pkt);
            av_packet_unref(pkt);
        }
    }
    ck_assert_int_eq(avcodec_parameters_from_context(par, enc), 0);
    av_packet_free(&pkt);
    av_frame_free(&f);
    avcodec_free_context(&enc);
    *out = v;
    return n;
}

/* Writes pkts (one track) cut at the times cuts[0..ncuts-1] (in tb; a
 * segment holds the packets whose pts is before the next cut) into dir,
 * shifted by shift; the segments' figures go to infos. The count. */
static int write_track(const char *dir, const AVCodecParameters *par, AVRational tb,
                       int64_t shift, AVPacket **pkts, int np, const int64_t *cuts, int ncuts,
                       int64_t end, vtp_cmaf_info *infos)
{
    char why[256] = "";
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    vtp_cmaf *c = vtp_cmaf_new(dir, par, tb, shift, why, sizeof(why));
    ck_assert_msg(c != NULL, "%s", why);
    int nseg = 0;
    for (int i = 0; i < np;) {
        int j = i;
        int64_t next = nseg + 1 < ncuts ? cuts[nseg + 1] : INT64_MAX;
        while (j < np && pkts[j]->pts < next)
            j++;
        /* The next segment's first packet, or the end. */
        int64_t seg_end = j < np ? pkts[j]->pts : end;
        ck_assert_msg(vtp_cmaf_write(c, (uint32_t)nseg + 1, pkts + i, j - i, seg_end,
                                     &infos[nseg], why, sizeof(why)) == 0, "%s", why);
        nseg++;
        i = j;
    }
    vtp_cmaf_destroy(&c);
    return nseg;
}

/* Opens url with libavformat and reads stream `only` alone (the others
 * discarded: FFmpeg 5.1's and 7.1's DASH reader stops every stream at the
 * first one's end when they are read together); its packet count goes to
 * *count and its first pts, in seconds, to *first. The number of streams. */
static int read_back(const char *url, int only, int *count, double *first)
{
    AVFormatContext *in = NULL;
    ck_assert_msg(avformat_open_input(&in, url, NULL, NULL) == 0, "cannot open %s", url);
    ck_assert_int_ge(avformat_find_stream_info(in, NULL), 0);
    int ns = (int)in->nb_streams;
    ck_assert_int_lt(only, ns);
    for (int i = 0; i < ns; i++)
        in->streams[i]->discard = i == only ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    *count = 0;
    *first = -1;
    AVPacket *p = av_packet_alloc();
    while (av_read_frame(in, p) >= 0) {
        if (p->stream_index == only && (*count)++ == 0)
            *first = p->pts * av_q2d(in->streams[only]->time_base);
        av_packet_unref(p);
    }
    av_packet_free(&p);
    avformat_close_input(&in);
    return ns;
}

START_TEST(test_ladder_read_back_through_hls_and_dash)
{
    /* Two renditions of 50 frames (2 s): 160x120 with B-frames, 80x60
     * without; keyframes at 0 and 1 s. Audio: 2 s of AAC. */
    enum { N = 50 };
    AVFrame **big = make_frames(N), **small = calloc(N, sizeof(*small));
    for (int i = 0; i < N; i++)
        small[i] = um_make_frame(AV_PIX_FMT_YUV420P, W / 2, H / 2, i);
    AVCodecParameters *pv[2] = {avcodec_parameters_alloc(), avcodec_parameters_alloc()};
    AVCodecParameters *pa = avcodec_parameters_alloc();
    AVPacket **v0, **v1, **a;
    int n0 = encode("libx264", "preset=fast:g=25:bf=2:sc_threshold=0", big, N, &v0, pv[0]);
    int n1 = encode("libx264", "preset=fast:g=25:bf=0:sc_threshold=0", small, N, &v1, pv[1]);
    int na = encode_aac(2, &a, pa);
    ck_assert_int_eq(n0, N);
    ck_assert_int_eq(n1, N);
    ck_assert_int_gt(na, 90);

    /* One shift for every track: the largest decode delay (the B-frames'),
     * which also covers the AAC encoder's priming. */
    int64_t shift_v = -v0[0]->dts;
    ck_assert_int_gt(shift_v, 0);
    int64_t shift_a = av_rescale_q(shift_v, (AVRational){1, FPS}, (AVRational){1, AUDIO_RATE});
    ck_assert_int_ge(shift_a, -a[0]->dts);

    char *dir = um_mkdtemp(), sub[3][512], path[2048];
    static const char *const names[3] = {"hi", "lo", "audio"};
    for (int k = 0; k < 3; k++)
        snprintf(sub[k], sizeof(sub[k]), "%s/%s", dir, names[k]);
    vtp_cmaf_info iv[2][4], ia[4];
    const int64_t vcuts[] = {0, 25}, acuts[] = {INT64_MIN, AUDIO_RATE};
    int s0 = write_track(sub[0], pv[0], (AVRational){1, FPS}, shift_v, v0, n0, vcuts, 2, N, iv[0]);
    int s1 = write_track(sub[1], pv[1], (AVRational){1, FPS}, shift_v, v1, n1, vcuts, 2, N, iv[1]);
    int sa = write_track(sub[2], pa, (AVRational){1, AUDIO_RATE}, shift_a, a, na, acuts, 2,
                         a[na - 1]->pts + a[na - 1]->duration, ia);
    ck_assert_int_eq(s0, 2);
    ck_assert_int_eq(s1, 2);
    ck_assert_int_eq(sa, 2);

    char codecs[3][VTP_CODECSTR_MAX];
    ck_assert_int_eq(vtp_codec_string(pv[0], codecs[0], sizeof(codecs[0])), 0);
    ck_assert_int_eq(vtp_codec_string(pv[1], codecs[1], sizeof(codecs[1])), 0);
    ck_assert_int_eq(vtp_codec_string(pa, codecs[2], sizeof(codecs[2])), 0);
    ck_assert_str_eq(codecs[2], "mp4a.40.2");
    vtp_track video[2], audio;
    for (int k = 0; k < 2; k++)
        video[k] = (vtp_track){.dir = names[k], .codecs = codecs[k], .width = W >> k,
                               .height = H >> k, .frame_rate = {FPS, 1},
                               .time_base = {1, FPS}, .shift = shift_v, .origin = 0,
                               .segs = iv[k], .nsegs = 2};
    audio = (vtp_track){.dir = "audio", .codecs = codecs[2], .sample_rate = AUDIO_RATE,
                        .channels = 2, .time_base = {1, AUDIO_RATE}, .shift = shift_a,
                        .origin = 0, .segs = ia, .nsegs = 2};
    char *text;
    const vtp_track *all[3] = {&video[0], &video[1], &audio};
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(vtp_hls_media(all[k], 1, &text), 0);
        snprintf(path, sizeof(path), "%s/%s", sub[k], VTP_HLS_MEDIA);
        ck_assert_int_eq(vtp_playlist_write(path, text), 0);
        av_free(text);
    }
    ck_assert_int_eq(vtp_hls_master(video, 2, &audio, &text), 0);
    snprintf(path, sizeof(path), "%s/master.m3u8", dir);
    ck_assert_int_eq(vtp_playlist_write(path, text), 0);
    av_free(text);
    ck_assert_int_eq(vtp_dash_mpd(video, 2, &audio, &text), 0);
    snprintf(path, sizeof(path), "%s/manifest.mpd", dir);
    ck_assert_int_eq(vtp_playlist_write(path, text), 0);
    av_free(text);

    /* libavformat reads each: every video frame of both renditions, every
     * audio packet, and the renditions' first frames at the same time. */
    static const char *const readers[2] = {"master.m3u8", "manifest.mpd"};
    for (int r = 0; r < 2; r++) {
        snprintf(path, sizeof(path), "%s/%s", dir, readers[r]);
        int count, nvideo = 0, naudio = 0;
        double first, video_start = -1;
        int ns = read_back(path, 0, &count, &first);
        ck_assert_msg(ns == 3, "%s: %d streams", readers[r], ns);
        for (int i = 0; i < ns; i++) {
            read_back(path, i, &count, &first);
            if (count == N) {
                nvideo++;
                if (video_start < 0)
                    video_start = first;
                ck_assert_msg(first == video_start, "%s: renditions start at %f and %f",
                              readers[r], video_start, first);
            } else if (count == na) {
                naudio++;
            } else {
                ck_abort_msg("%s: stream %d has %d packets", readers[r], i, count);
            }
        }
        ck_assert_msg(nvideo == 2 && naudio == 1, "%s: %d streams with every video frame, "
                      "%d with every audio packet", readers[r], nvideo, naudio);
        /* Shown from the shift on: 2 frames. */
        ck_assert_double_eq_tol(video_start, (double)shift_v / FPS, 1e-6);
    }

    for (int k = 0; k < 3; k++) {
        char cmd[2048];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sub[k]);
        ck_assert_int_eq(system(cmd), 0);
    }
    um_rmdir(dir);
    um_packets_free(v0, n0);
    um_packets_free(v1, n1);
    um_packets_free(a, na);
    for (int k = 0; k < 2; k++)
        avcodec_parameters_free(&pv[k]);
    avcodec_parameters_free(&pa);
    free_frames(big, N);
    free_frames(small, N);
}
END_TEST

Suite *package_suite(void)
{
    Suite *s = suite_create("package");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_codecstr_h264_from_avcc_and_annexb);
    tcase_add_test(tc, test_codecstr_h264_from_x264);
    tcase_add_test(tc, test_codecstr_hevc_fields);
    tcase_add_test(tc, test_codecstr_av1_and_aac);
    tcase_add_test(tc, test_codecstr_errors_told);
    tcase_add_test(tc, test_cmaf_segments_read_back_frame_exact);
    tcase_add_test(tc, test_cmaf_segments_with_bframes_read_back_frame_exact);
    tcase_add_test(tc, test_cmaf_refuses_what_would_break_the_track);
    tcase_add_test(tc, test_playlist_bandwidths);
    tcase_add_test(tc, test_playlist_hls_media_vod_and_event);
    tcase_add_test(tc, test_playlist_hls_master);
    tcase_add_test(tc, test_playlist_dash_mpd);
    tcase_add_test(tc, test_playlist_written_whole);
    tcase_add_test(tc, test_ladder_read_back_through_hls_and_dash);
    suite_add_tcase(s, tc);
    return s;
}
