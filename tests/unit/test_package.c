/* test_package.c -- what HLS and DASH packaging is made of: RFC 6381 codecs
 * strings read from encoders' headers (include/vtp_codecstr.h), CMAF
 * tracks cut into an initialization segment and media segments
 * (include/vtp_cmaf.h), read back by libavformat frame-exact, and the
 * playlists that list them (include/vtp_playlist.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    snprintf(path, sizeof(path), "%s/.seg-00002.m4s.tmp", dir);
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
                       .frame_rate = {25, 1}, .time_base = {1, 25}, .shift = 2,
                       .segs = VIDEO_SEGS, .nsegs = 3};
}

static vtp_track audio_track(void)
{
    return (vtp_track){.dir = "audio", .codecs = "mp4a.40.2", .sample_rate = 48000,
                       .channels = 2, .time_base = {1, 48000}, .segs = AUDIO_SEGS, .nsegs = 3};
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
    ck_assert_ptr_nonnull(strstr(text, "<S t=\"0\" d=\"96000\" r=\"1\"/>"));
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
    suite_add_tcase(s, tc);
    return s;
}
