/* make_seeds.c -- writes the seed corpus of the fuzz targets.
 *
 *   make_seeds CORPUS_DIR     (CORPUS_DIR/proto and CORPUS_DIR/jobspec must exist)
 *
 * The proto seeds are real messages made by the library's own writers:
 * READY, STOP, HEARTBEAT, PROGRESS, SEGMENT of packets (with extradata and options),
 * SEGMENT of frames inline and with the frames as a second part (joined by
 * the marker fuzz_proto.c splits at), RESULT ok and failed, and the two
 * passes' records. The job spec
 * seeds are JSON: minimal, full, with options, the canonical form, and a few
 * that are refused. Built and run once; scripts/fuzz.sh runs it again only
 * when a corpus directory is empty:
 *
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude tests/fuzz/make_seeds.c common/buf.c \
 *      common/proto.c common/codecpar.c common/segment.c common/options.c \
 *      common/jobspec.c common/error.c common/compat.c \
 *      $(pkg-config --cflags --libs libavformat libavcodec libavutil jansson) -lm \
 *      -o build-fuzz/make_seeds && build-fuzz/make_seeds tests/fuzz/corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "vtp_codecpar.h"
#include "vtp_compat.h"
#include "vtp_jobspec.h"
#include "vtp_proto.h"

#define FUZZ_FRAMES_MARKER "#VTP-FRAMES#"

static const char *dir;

static void die(const char *what)
{
    fprintf(stderr, "make_seeds: %s\n", what);
    exit(1);
}

static void save(const char *sub, const char *name, const void *a, size_t alen, const void *b,
                 size_t blen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        die(path);
    if ((alen && fwrite(a, 1, alen, f) != alen) ||
        (b && (fwrite(FUZZ_FRAMES_MARKER, 1, strlen(FUZZ_FRAMES_MARKER), f) !=
                   strlen(FUZZ_FRAMES_MARKER) ||
               (blen && fwrite(b, 1, blen, f) != blen))) ||
        fclose(f) != 0)
        die(path);
}

static void save_wbuf(const char *name, vtp_wbuf *b)
{
    if (b->failed)
        die("out of memory");
    save("proto", name, b->data, b->len, NULL, 0);
    vtp_wbuf_free(b);
}

static void fill_par(AVCodecParameters *par, enum AVCodecID id, int extradata_size)
{
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = id;
    par->format = AV_PIX_FMT_YUV420P;
    par->bit_rate = 2500000;
    par->profile = 100;
    par->level = 31;
    par->width = 640;
    par->height = 360;
    par->sample_aspect_ratio = (AVRational){1, 1};
    par->field_order = AV_FIELD_PROGRESSIVE;
    par->color_range = AVCOL_RANGE_MPEG;
    par->color_primaries = AVCOL_PRI_BT709;
    par->color_trc = AVCOL_TRC_BT709;
    par->color_space = AVCOL_SPC_BT709;
    par->chroma_location = AVCHROMA_LOC_LEFT;
    par->video_delay = 2;
    if (extradata_size) {
        par->extradata = av_mallocz((size_t)extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!par->extradata)
            die("out of memory");
        for (int i = 0; i < extradata_size; i++)
            par->extradata[i] = (uint8_t)(i * 7 + 1);
        par->extradata_size = extradata_size;
    }
}

static void add_packet(vtp_pktlist *l, int64_t pts, int64_t dts, int64_t dur, int flags,
                       int size)
{
    AVPacket *p = av_packet_alloc();
    if (!p || av_new_packet(p, size) < 0)
        die("out of memory");
    for (int i = 0; i < size; i++)
        p->data[i] = (uint8_t)(i * 13 + pts);
    p->pts = pts;
    p->dts = dts;
    p->duration = dur;
    p->flags = flags;
    if (vtp_pktlist_move(l, p) < 0)
        die("out of memory");
    av_packet_free(&p);
}

/* A small frame with a pattern in every plane. */
static AVFrame *make_frame(enum AVPixelFormat fmt, int w, int h, int64_t pts)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        die("out of memory");
    f->format = fmt;
    f->width = w;
    f->height = h;
    if (av_frame_get_buffer(f, 0) < 0)
        die("av_frame_get_buffer");
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    for (int i = 0; i < av_pix_fmt_count_planes(fmt); i++) {
        int bytes = av_image_get_linesize(fmt, w, i);
        int lines = i == 0 || i == 3 ? h : AV_CEIL_RSHIFT(h, d->log2_chroma_h);
        for (int y = 0; y < lines; y++)
            for (int x = 0; x < bytes; x++)
                f->data[i][y * f->linesize[i] + x] = (uint8_t)(x + 3 * y + 50 * i + pts);
    }
    f->pts = pts;
    vtp_frame_set_duration(f, 1);
    f->sample_aspect_ratio = (AVRational){1, 1};
    f->color_range = AVCOL_RANGE_JPEG;
    f->colorspace = AVCOL_SPC_BT470BG;
    return f;
}

static vtp_segment *segment(int kind)
{
    static vtp_segment s;
    if (vtp_segment_init(&s) < 0)
        die("out of memory");
    s.job_id = 17;
    s.index = 3;
    s.kind = kind;
    s.cut_start = 90000;
    s.cut_end = 180000;
    s.time_base = (AVRational){1, 90000};
    s.frame_rate = (AVRational){30000, 1001};
    s.threads = 2;
    return &s;
}

static void proto_seeds(void)
{
    vtp_wbuf b;

    vtp_wbuf_init(&b);
    vtp_proto_write_ready(&b, &(vtp_ready){.threads = 4, .heartbeat = 0, .encoders = NULL});
    save_wbuf("ready_any.bin", &b);
    vtp_wbuf_init(&b);
    vtp_proto_write_ready(&b, &(vtp_ready){.threads = 16, .heartbeat = 1,
                                            .encoders = "libx264,libx265,ffv1,mpeg4"});
    save_wbuf("ready_encoders.bin", &b);
    vtp_wbuf_init(&b);
    vtp_proto_write_stop(&b);
    save_wbuf("stop.bin", &b);
    vtp_wbuf_init(&b);
    vtp_proto_header(&b, VTP_MSG_HEARTBEAT);
    save_wbuf("heartbeat.bin", &b);
    vtp_wbuf_init(&b);
    vtp_proto_write_progress(&b, &(vtp_progress_msg){.job_id = 7, .index = 2, .frames = 25});
    save_wbuf("progress.bin", &b);

    /* Packets, with extradata, options and a filter graph. */
    vtp_segment *s = segment(VTP_SEG_PACKETS);
    fill_par(s->par, AV_CODEC_ID_H264, 40);
    s->opts.encoder = strdup("libx264");
    s->opts.vf = strdup("scale=320:-2,hqdn3d");
    av_dict_set(&s->opts.codec_opts, "crf", "23", 0);
    av_dict_set(&s->opts.codec_opts, "preset", "fast", 0);
    av_dict_set(&s->opts.codec_opts, "x264-params", "keyint=50:bframes=3", 0);
    add_packet(&s->pkts, 90000, 87000, 3003, AV_PKT_FLAG_KEY, 120);
    add_packet(&s->pkts, 99009, 90003, 3003, 0, 30);
    add_packet(&s->pkts, 93006, 93006, 3003, AV_PKT_FLAG_DISPOSABLE, 9);
    add_packet(&s->pkts, AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0, AV_PKT_FLAG_DISCARD, 0);
    vtp_wbuf_init(&b);
    vtp_proto_write_segment(&b, s);
    save_wbuf("segment_packets.bin", &b);
    vtp_segment_clear(s);

    /* The first segment of a job: open cuts, no options, one packet. */
    s = segment(VTP_SEG_PACKETS);
    fill_par(s->par, AV_CODEC_ID_MPEG4, 0);
    s->cut_start = VTP_PTS_MIN;
    s->cut_end = VTP_PTS_MAX;
    s->frame_rate = (AVRational){0, 1};
    s->threads = 1;
    s->flags = VTP_SEG_SKIP_ERRORS;
    s->opts.encoder = strdup("mpeg4");
    add_packet(&s->pkts, 0, 0, 1, AV_PKT_FLAG_KEY, 16);
    vtp_wbuf_init(&b);
    vtp_proto_write_segment(&b, s);
    save_wbuf("segment_packets_open.bin", &b);
    vtp_segment_clear(s);

    /* Frames inline, in several layouts (planar, semi-planar, packed,
     * alpha, deep, odd sizes). */
    static const struct { enum AVPixelFormat fmt; int w, h, n; const char *name; } layouts[] = {
        {AV_PIX_FMT_YUV420P, 33, 17, 2, "segment_frames_yuv420p.bin"},
        {AV_PIX_FMT_NV12, 16, 9, 1, "segment_frames_nv12.bin"},
        {AV_PIX_FMT_YUV444P10LE, 8, 8, 1, "segment_frames_yuv444p10.bin"},
        {AV_PIX_FMT_GBRAP, 7, 5, 1, "segment_frames_gbrap.bin"},
        {AV_PIX_FMT_RGB24, 5, 3, 2, "segment_frames_rgb24.bin"},
        {AV_PIX_FMT_YUVA420P, 9, 7, 1, "segment_frames_yuva420p.bin"},
        {AV_PIX_FMT_GRAY16LE, 4, 4, 1, "segment_frames_gray16.bin"},
    };
    for (size_t k = 0; k < sizeof(layouts) / sizeof(layouts[0]); k++) {
        s = segment(VTP_SEG_FRAMES);
        s->par->codec_type = AVMEDIA_TYPE_VIDEO;
        s->par->format = layouts[k].fmt;
        s->par->width = layouts[k].w;
        s->par->height = layouts[k].h;
        s->opts.encoder = strdup("ffv1");
        for (int i = 0; i < layouts[k].n; i++) {
            AVFrame *f = make_frame(layouts[k].fmt, layouts[k].w, layouts[k].h, 5 + i);
            if (vtp_framelist_move(&s->frames, f) < 0)
                die("out of memory");
            av_frame_free(&f);
        }
        vtp_wbuf_init(&b);
        vtp_proto_write_segment(&b, s);
        save_wbuf(layouts[k].name, &b);
        vtp_segment_clear(s);
    }

    /* Frames as a second part: head, marker, frames. */
    s = segment(VTP_SEG_FRAMES);
    s->par->codec_type = AVMEDIA_TYPE_VIDEO;
    s->par->format = AV_PIX_FMT_YUV420P;
    s->par->width = 20;
    s->par->height = 10;
    s->opts.encoder = strdup("libx265");
    av_dict_set(&s->opts.codec_opts, "crf", "28", 0);
    for (int i = 0; i < 2; i++) {
        AVFrame *f = make_frame(AV_PIX_FMT_YUV420P, 20, 10, 9 + i);
        if (vtp_segment_add_frame(s, f) < 0)
            die("out of memory");
        av_frame_free(&f);
    }
    vtp_wbuf_init(&b);
    vtp_proto_write_segment_head(&b, s);
    if (b.failed)
        die("out of memory");
    save("proto", "segment_frames_external.bin", b.data, b.len, s->frame_wire.data,
         s->frame_wire.len);
    vtp_wbuf_free(&b);
    vtp_segment_clear(s);

    /* Results: encoded packets; and a failure. */
    vtp_result r;
    if (vtp_result_init(&r) < 0)
        die("out of memory");
    r.job_id = 17;
    r.index = 3;
    r.frames = 3;
    r.skipped = 1;
    r.cpu_seconds = 0.25;
    r.time_base = (AVRational){1, 1000};
    fill_par(r.par, AV_CODEC_ID_HEVC, 24);
    add_packet(&r.pkts, 0, -33, 33, AV_PKT_FLAG_KEY, 200);
    add_packet(&r.pkts, 67, 0, 33, 0, 40);
    add_packet(&r.pkts, 33, 33, 33, AV_PKT_FLAG_DISPOSABLE, 12);
    vtp_wbuf_init(&b);
    vtp_proto_write_result(&b, &r);
    save_wbuf("result_ok.bin", &b);

    /* Two-pass encoding: a first pass's result with the encoder's record,
     * and the second pass's segment carrying it back. */
    static const char passlog[] = "#options: 320x240 rc=crf\n"
                                  "in:0 out:0 type:I dur:2 q:28.40 tex:30291 mv:3026 misc:5843 ;\n";
    static const uint8_t tree[] = {0, 0, 0, 4, 1, 2, 3, 4};
    r.pass.log = (uint8_t *)strdup(passlog);
    r.pass.log_len = sizeof(passlog) - 1;
    r.pass.tree = malloc(sizeof(tree));
    if (!r.pass.log || !r.pass.tree)
        die("out of memory");
    memcpy(r.pass.tree, tree, sizeof(tree));
    r.pass.tree_len = sizeof(tree);
    vtp_wbuf_init(&b);
    vtp_proto_write_result(&b, &r);
    save_wbuf("result_first_pass.bin", &b);
    s = segment(VTP_SEG_PACKETS);
    fill_par(s->par, AV_CODEC_ID_H264, 0);
    s->flags = VTP_SEG_PASS2;
    s->opts.encoder = strdup("libx264");
    av_dict_set(&s->opts.codec_opts, "b", "412000", 0);
    s->pass = r.pass;
    memset(&r.pass, 0, sizeof(r.pass));
    add_packet(&s->pkts, 0, 0, 1, AV_PKT_FLAG_KEY, 16);
    vtp_wbuf_init(&b);
    vtp_proto_write_segment(&b, s);
    save_wbuf("segment_second_pass.bin", &b);
    vtp_segment_clear(s);
    vtp_result_clear(&r);

    if (vtp_result_init(&r) < 0)
        die("out of memory");
    r.job_id = 17;
    r.index = 4;
    r.status = -1094995529;     /* AVERROR_INVALIDDATA */
    r.error = strdup("encoder 'libx264' has no option 'crff'");
    r.cpu_seconds = 0.001;
    vtp_wbuf_init(&b);
    vtp_proto_write_result(&b, &r);
    save_wbuf("result_error.bin", &b);

    /* CPU times that once did not survive a read and a write: 249 us came
     * back as 248; cpu_us 0xFFFFFFFFFFFFF401 overflowed the conversion
     * (patched in: the writer clamps it now, readers refuse it). */
    r.cpu_seconds = 249 / 1e6;
    vtp_wbuf_init(&b);
    vtp_proto_write_result(&b, &r);
    save_wbuf("result_cpu_us_249.bin", &b);
    vtp_wbuf_init(&b);
    vtp_proto_write_result(&b, &r);
    if (b.failed || b.len < 52)
        die("result layout");
    for (int i = 0; i < 8; i++)     /* u64 cpu_us follows 44 bytes */
        b.data[44 + i] = (uint8_t)(0xFFFFFFFFFFFFF401ull >> (8 * i));
    save_wbuf("result_cpu_us_overflow.bin", &b);
    vtp_result_clear(&r);
}

static void jobspec_seeds(void)
{
    static const struct { const char *name, *json; } specs[] = {
        {"minimal.json", "{\"input\": \"in.mp4\", \"output\": \"out.mkv\"}"},
        {"full.json",
         "{\"input\": \"in/t\\u00e4lk.mkv\", \"output\": \"/out/talk.mp4\", \"encoder\": \"libx264\","
         " \"crf\": 23.5, \"bitrate\": \"2M\", \"preset\": \"slow\","
         " \"options\": {\"x264-params\": \"keyint=240\", \"g\": 250, \"qcomp\": 0.1},"
         " \"vf\": \"scale=1280:-2\", \"audio\": \"aac\", \"segment\": 2.5, \"priority\": -7,"
         " \"overwrite\": true}"},
        {"options.json",
         "{\"input\": \"a.mov\", \"output\": \"b.mp4\", \"crf\": \"18\", \"bitrate\": 4000000,"
         " \"options\": {\"tune\": \"film\", \"bf\": 3, \"aq-strength\": 0.8, \"x\": \"\"}}"},
        {"nulls.json",
         "{\"input\": \"../a b/./c.ts\", \"output\": \"//x//y/../z.mkv\", \"encoder\": null,"
         " \"vf\": null, \"audio\": \"none\", \"segment\": 86400, \"priority\": 1000,"
         " \"overwrite\": false, \"on_error\": \"skip\"}"},
        {"small_segment.json",
         "{\"input\":\"/in.mkv\",\"output\":\"/out.mkv\",\"segment\":0.04,\"priority\":-1000}"},
        {"bad_duplicate_option.json",
         "{\"input\": \"a\", \"output\": \"b\", \"crf\": 20, \"options\": {\"CRF\": 21}}"},
        {"bad_unknown_key.json", "{\"input\": \"a\", \"output\": \"b\", \"speed\": 2}"},
        {"bad_nesting.json", "{\"input\": [[[[[[[[[1]]]]]]]]]}"},
        {"bad_type.json", "[\"input\", \"output\"]"},
    };
    char why[256];
    vtp_jobspec j;

    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        save("jobspec", specs[i].name, specs[i].json, strlen(specs[i].json), NULL, 0);
    /* At and past the limits: 256 and 257 options, a value of 4097 bytes,
     * a 255-byte preset, a relative path that absolutize() makes too long. */
    size_t cap = 64 * 1024, n;
    char *big = malloc(cap);
    if (!big)
        die("out of memory");
    for (int count = 256; count <= 257; count++) {
        n = (size_t)snprintf(big, cap, "{\"input\": \"a\", \"output\": \"b\", \"options\": {");
        for (int k = 0; k < count; k++)
            n += (size_t)snprintf(big + n, cap - n, "%s\"o%d\": %d", k ? ", " : "", k, k);
        n += (size_t)snprintf(big + n, cap - n, "}}");
        save("jobspec", count == 256 ? "options_256.json" : "bad_options_257.json", big, n,
             NULL, 0);
    }
    n = (size_t)snprintf(big, cap, "{\"input\": \"a\", \"output\": \"b\", \"options\": {\"v\": \"");
    memset(big + n, 'v', 4097);
    n += 4097;
    n += (size_t)snprintf(big + n, cap - n, "\"}}");
    save("jobspec", "bad_option_value_4097.json", big, n, NULL, 0);
    n = (size_t)snprintf(big, cap, "{\"input\": \"a\", \"output\": \"b\", \"preset\": \"");
    memset(big + n, 'p', 255);
    n += 255;
    n += (size_t)snprintf(big + n, cap - n, "\"}");
    save("jobspec", "preset_255.json", big, n, NULL, 0);
    n = (size_t)snprintf(big, cap, "{\"input\": \"");
    for (int k = 0; k < 1023; k++)
        n += (size_t)snprintf(big + n, cap - n, "dir/");
    n += (size_t)snprintf(big + n, cap - n, "in\", \"output\": \"/out.mkv\"}");
    save("jobspec", "long_relative_input.json", big, n, NULL, 0);
    free(big);

    /* The canonical form of the full spec. */
    if (vtp_jobspec_parse(specs[1].json, strlen(specs[1].json), &j, why, sizeof(why)) < 0)
        die(why);
    char *text = vtp_jobspec_to_json(&j);
    if (!text)
        die("vtp_jobspec_to_json");
    save("jobspec", "canonical.json", text, strlen(text), NULL, 0);
    free(text);
    vtp_jobspec_clear(&j);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    proto_seeds();
    jobspec_seeds();
    return 0;
}
