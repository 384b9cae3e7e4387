/* test_splitter.c -- reading the input once and cutting it into segments
 * (include/vtp_splitter.h).
 *
 * Each test writes a small Matroska file with libavformat (mpeg4 or
 * libx264 video, 64x48 at 25 fps, optionally 8 kHz PCM audio) into a
 * temporary directory, runs the splitter over it, and checks the segments
 * against a plain read and decode of the same file: cuts chain up, every
 * packet is used, and decoding each segment the way a worker does (frame
 * segments: after the trip over the wire) yields every frame exactly once,
 * bit for bit. VTP_UNIT_VERBOSE=1 prints each segment's packets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "suites.h"
#include "unit_media.h"
#include "vtp_error.h"
#include "vtp_proto.h"
#include "vtp_splitter.h"

#define W 64
#define H 48
#define FPS 25
#define AUDIO_RATE 8000
#define AUDIO_CHUNK 320             /* samples per packet: 40 ms */

typedef struct file_spec {
    int frames;
    int gop;                        /* encoder keyframe interval */
    int bframes;
    int audio;                      /* add a PCM stream */
    const int *force_keys;          /* frame numbers forced to I */
    int nforce;
    const char *x264;               /* libx264 with these x264-params
                                       instead of mpeg4 */
} file_spec;

/* ---- making the input ---- */

static int write_file(const char *path, const file_spec *fs, int *audio_packets)
{
    AVFormatContext *oc = NULL;
    AVCodecParameters *vpar = avcodec_parameters_alloc();
    AVPacket **vp = NULL;
    AVDictionary *o = NULL;
    um_frames src = {0};
    char val[32];
    int nv, ret;

    *audio_packets = 0;
    for (int i = 0; i < fs->frames; i++) {
        AVFrame *f = um_make_frame(AV_PIX_FMT_YUV420P, W, H, i);
        for (int k = 0; k < fs->nforce; k++)
            if (fs->force_keys[k] == i)
                f->pict_type = AV_PICTURE_TYPE_I;
        um_frames_push(&src, f);
    }
    if (fs->x264) {
        av_dict_set(&o, "preset", "fast", 0);
        av_dict_set(&o, "x264-params", fs->x264, 0);
    } else {
        snprintf(val, sizeof(val), "%d", fs->gop);
        av_dict_set(&o, "g", val, 0);
        snprintf(val, sizeof(val), "%d", fs->bframes);
        av_dict_set(&o, "bf", val, 0);
        av_dict_set(&o, "qscale", "4", 0);
    }
    nv = um_encode(fs->x264 ? "libx264" : "mpeg4", src.v, src.n, (AVRational){1, FPS}, o,
                   AV_CODEC_FLAG_GLOBAL_HEADER, &vp, vpar);
    av_dict_free(&o);
    um_frames_clear(&src);
    if (nv < 0) {
        avcodec_parameters_free(&vpar);
        return nv;
    }

    if ((ret = avformat_alloc_output_context2(&oc, NULL, "matroska", path)) < 0)
        goto end;
    AVStream *vs = avformat_new_stream(oc, NULL);
    avcodec_parameters_copy(vs->codecpar, vpar);
    vs->time_base = (AVRational){1, FPS};
    vs->avg_frame_rate = (AVRational){FPS, 1};
    AVStream *as = NULL;
    if (fs->audio) {
        as = avformat_new_stream(oc, NULL);
        as->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
        as->codecpar->codec_id = AV_CODEC_ID_PCM_S16LE;
        as->codecpar->sample_rate = AUDIO_RATE;
        as->codecpar->format = AV_SAMPLE_FMT_S16;
        av_channel_layout_default(&as->codecpar->ch_layout, 1);
        as->codecpar->bits_per_coded_sample = 16;
        as->codecpar->block_align = 2;
        as->time_base = (AVRational){1, AUDIO_RATE};
    }
    if ((ret = avio_open(&oc->pb, path, AVIO_FLAG_WRITE)) < 0 ||
        (ret = avformat_write_header(oc, NULL)) < 0)
        goto end;

    int nchunks = fs->audio ? fs->frames * AUDIO_RATE / FPS / AUDIO_CHUNK : 0;
    int vi = 0, ai = 0;
    while (vi < nv || ai < nchunks) {
        /* Whichever stream is behind (by dts for video) goes next. */
        int64_t vt = vi < nv ? av_rescale_q(vp[vi]->dts, (AVRational){1, FPS}, AV_TIME_BASE_Q)
                             : INT64_MAX;
        int64_t at = ai < nchunks ? av_rescale_q((int64_t)ai * AUDIO_CHUNK,
                                                 (AVRational){1, AUDIO_RATE}, AV_TIME_BASE_Q)
                                  : INT64_MAX;
        AVPacket *p = av_packet_alloc();
        if (vt <= at) {
            av_packet_ref(p, vp[vi++]);
            p->stream_index = vs->index;
            av_packet_rescale_ts(p, (AVRational){1, FPS}, vs->time_base);
        } else {
            av_new_packet(p, AUDIO_CHUNK * 2);
            for (int k = 0; k < AUDIO_CHUNK * 2; k++)
                p->data[k] = (uint8_t)(k * 3 + ai);
            p->pts = p->dts = (int64_t)ai * AUDIO_CHUNK;
            p->duration = AUDIO_CHUNK;
            p->flags = AV_PKT_FLAG_KEY;
            p->stream_index = as->index;
            av_packet_rescale_ts(p, (AVRational){1, AUDIO_RATE}, as->time_base);
            ai++;
        }
        ret = av_interleaved_write_frame(oc, p);
        av_packet_free(&p);
        if (ret < 0)
            goto end;
    }
    *audio_packets = nchunks;
    ret = av_write_trailer(oc);
end:
    if (oc) {
        avio_closep(&oc->pb);
        avformat_free_context(oc);
    }
    um_packets_free(vp, nv);
    avcodec_parameters_free(&vpar);
    return ret;
}

static AVFormatContext *open_input(const char *path, int *vidx)
{
    AVFormatContext *in = NULL;
    ck_assert_int_eq(avformat_open_input(&in, path, NULL, NULL), 0);
    ck_assert_int_ge(avformat_find_stream_info(in, NULL), 0);
    *vidx = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    ck_assert_int_ge(*vidx, 0);
    return in;
}

/* ---- the reference: a plain read and decode ---- */

typedef struct reference {
    AVPacket **pkts;                /* every video packet, in file order */
    int npkts, cap;
    int audio;                      /* packets of other streams */
    um_frames frames;               /* every decoded video frame */
} reference;

static void read_reference(const char *path, reference *ref)
{
    int vidx;
    AVFormatContext *in = open_input(path, &vidx);
    AVPacket *p = av_packet_alloc();
    memset(ref, 0, sizeof(*ref));
    while (av_read_frame(in, p) >= 0) {
        if (p->stream_index != vidx) {
            ref->audio++;
            av_packet_unref(p);
            continue;
        }
        if (ref->npkts == ref->cap) {
            ref->cap = ref->cap ? ref->cap * 2 : 64;
            ref->pkts = realloc(ref->pkts, (size_t)ref->cap * sizeof(*ref->pkts));
        }
        ref->pkts[ref->npkts++] = av_packet_clone(p);
        av_packet_unref(p);
    }
    av_packet_free(&p);
    AVStream *st = in->streams[vidx];
    ck_assert_int_eq(um_decode(st->codecpar, st->time_base, ref->pkts, ref->npkts, &ref->frames),
                     0);
    avformat_close_input(&in);
}

static void free_reference(reference *ref)
{
    um_packets_free(ref->pkts, ref->npkts);
    um_frames_clear(&ref->frames);
}

/* ---- running the splitter ---- */

typedef struct side_count {
    int packets;
    int stream;                     /* the stream they came from, or -1 */
    int mixed;                      /* came from more than one stream */
    int64_t last_dts;
    int out_of_order;
} side_count;

static int on_side(void *opaque, AVPacket *pkt)
{
    side_count *c = opaque;
    if (c->stream >= 0 && c->stream != pkt->stream_index)
        c->mixed = 1;
    c->stream = pkt->stream_index;
    if (c->packets && pkt->dts < c->last_dts)
        c->out_of_order = 1;
    c->last_dts = pkt->dts;
    c->packets++;
    av_packet_unref(pkt);   /* ours now */
    return 0;
}

typedef struct split_run {
    vtp_segment **segs;
    int n;
    int decoding;
    int final_ret;
    side_count side;
    AVRational tb;
} split_run;

/* Splits path; with workers > 0 its last stretch is cut finer for them. */
static void run_splitter_for(const char *path, double seg_s, double long_gop_s, int workers,
                             split_run *out)
{
    int vidx;
    AVFormatContext *in = open_input(path, &vidx);
    vtp_enc_opts opts;
    vtp_enc_opts_init(&opts);
    opts.encoder = strdup("ffv1");
    av_dict_set(&opts.codec_opts, "level", "3", 0);

    memset(out, 0, sizeof(*out));
    out->side.stream = -1;
    out->tb = in->streams[vidx]->time_base;
    vtp_split_cfg cfg = {.segment_seconds = seg_s,
                         .long_gop_seconds = long_gop_s,
                         .workers = workers,
                         .tail_min_seconds = 0.5,
                         .spread = 2,   /* as for --segment: a quarter of what remains */
                         .job_id = 0xABCDEF,
                         .opts = &opts,
                         .side = on_side,
                         .opaque = &out->side};
    vtp_splitter *sp = vtp_splitter_new(in, vidx, &cfg);
    ck_assert_ptr_nonnull(sp);
    ck_assert_int_eq(vtp_splitter_decoding(sp), 0);

    for (;;) {
        vtp_segment *seg = NULL;
        int ret = vtp_splitter_next(sp, &seg);
        if (ret <= 0) {
            out->final_ret = ret;
            ck_assert_ptr_null(seg);
            break;
        }
        ck_assert_int_eq(ret, 1);
        ck_assert_ptr_nonnull(seg);
        out->segs = realloc(out->segs, (size_t)(out->n + 1) * sizeof(*out->segs));
        out->segs[out->n++] = seg;
        ck_assert_int_lt(out->n, 1000);
    }
    if (out->final_ret == 0) {
        /* Exhausted stays exhausted. */
        vtp_segment *seg = (vtp_segment *)1;
        ck_assert_int_eq(vtp_splitter_next(sp, &seg), 0);
        ck_assert_ptr_null(seg);
        ck_assert_double_gt(vtp_splitter_position(sp), 0);
    }
    out->decoding = vtp_splitter_decoding(sp);
    vtp_splitter_destroy(&sp);
    ck_assert_ptr_null(sp);
    vtp_enc_opts_clear(&opts);   /* cfg.opts is copied into each segment */
    avformat_close_input(&in);
}

static void run_splitter(const char *path, double seg_s, double long_gop_s, split_run *out)
{
    run_splitter_for(path, seg_s, long_gop_s, 0, out);
}

static void free_run(split_run *r)
{
    for (int i = 0; i < r->n; i++) {
        vtp_segment_clear(r->segs[i]);
        free(r->segs[i]);
    }
    free(r->segs);
}

static int same_packet(const AVPacket *a, const AVPacket *b)
{
    return a->pts == b->pts && a->size == b->size && (a->flags & AV_PKT_FLAG_KEY) ==
           (b->flags & AV_PKT_FLAG_KEY) && memcmp(a->data, b->data, (size_t)a->size) == 0;
}

/* The first packet of a later segment of x264's H.264: the input's packet
 * b, with x264's version SEI (NAL type 6, 4-byte length prefix) before it. */
static int same_packet_with_sei(const AVPacket *a, const AVPacket *b)
{
    if (a->pts != b->pts || a->size <= b->size + 5 || !(a->flags & AV_PKT_FLAG_KEY) !=
        !(b->flags & AV_PKT_FLAG_KEY))
        return 0;
    size_t head = (size_t)(a->size - b->size);
    uint32_t len = (uint32_t)a->data[0] << 24 | (uint32_t)a->data[1] << 16 |
                   (uint32_t)a->data[2] << 8 | a->data[3];
    return len + 4 == head && (a->data[4] & 0x1f) == 6 &&
           memmem(a->data, head, "x264 - core ", 12) != NULL &&
           memcmp(a->data + head, b->data, (size_t)b->size) == 0;
}

/* A FRAMES segment as a worker receives it: sent the way the scheduler
 * sends it (head, then the frames as a second part, straight from
 * frame_wire), and also inline as one message; both must agree. */
static vtp_segment *receive_frames(const vtp_segment *s)
{
    vtp_wbuf head, whole;
    vtp_segment *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));

    vtp_wbuf_init(&head);
    vtp_wbuf_init(&whole);
    vtp_proto_write_segment_head(&head, s);
    vtp_proto_write_segment(&whole, s);
    ck_assert_int_eq(vtp_segment_init(a), 0);
    ck_assert_int_eq(vtp_segment_init(b), 0);
    ck_assert_int_eq(vtp_proto_read_segment_ref(head.data, head.len, NULL, s->frame_wire.data,
                                                s->frame_wire.len, NULL, a),
                     0);
    ck_assert_int_eq(vtp_proto_read_segment(whole.data, whole.len, b), 0);
    ck_assert_int_eq(a->frames.n, (int)s->frame_count + s->frames.n);
    ck_assert_int_eq(b->frames.n, a->frames.n);
    for (int k = 0; k < a->frames.n; k++) {
        ck_assert_int_eq(a->frames.v[k]->pts, b->frames.v[k]->pts);
        ck_assert(um_frames_equal(a->frames.v[k], b->frames.v[k], NULL, 0));
    }
    ck_assert_int_eq(a->cut_start, s->cut_start);
    ck_assert_int_eq(a->cut_end, s->cut_end);
    ck_assert_int_eq(a->kind, VTP_SEG_FRAMES);
    vtp_wbuf_free(&head);
    vtp_wbuf_free(&whole);
    vtp_segment_clear(b);
    free(b);
    return a;
}

/* The checks every split must pass. */
static void check_split(const split_run *r, const reference *ref)
{
    int *covered = calloc((size_t)ref->frames.n, sizeof(int));
    int *used = calloc((size_t)ref->npkts, sizeof(int));

    ck_assert_int_eq(r->final_ret, 0);
    ck_assert_int_ge(r->n, 1);
    ck_assert_int_eq(r->segs[0]->cut_start, VTP_PTS_MIN);
    ck_assert_int_eq(r->segs[r->n - 1]->cut_end, VTP_PTS_MAX);

    if (getenv("VTP_UNIT_VERBOSE")) {
        for (int i = 0; i < r->n; i++) {
            const vtp_segment *s = r->segs[i];
            fprintf(stderr, "segment %d %s [%lld, %lld) %d packets %u frames:", i,
                    s->kind == VTP_SEG_FRAMES ? "frames" : "packets", (long long)s->cut_start,
                    (long long)s->cut_end, s->pkts.n, s->frame_count);
            for (int k = 0; k < s->pkts.n; k++)
                fprintf(stderr, " %lld%s", (long long)s->pkts.v[k]->pts,
                        s->pkts.v[k]->flags & AV_PKT_FLAG_KEY ? "K" : "");
            fprintf(stderr, "\n");
        }
    }
    for (int i = 0; i < r->n; i++) {
        const vtp_segment *s = r->segs[i];
        ck_assert_uint_eq(s->index, (uint32_t)i);
        ck_assert_uint_eq(s->job_id, 0xABCDEF);
        ck_assert_str_eq(s->opts.encoder, "ffv1");
        ck_assert_str_eq(av_dict_get(s->opts.codec_opts, "level", NULL, 0)->value, "3");
        ck_assert_int_eq(s->time_base.num, r->tb.num);
        ck_assert_int_eq(s->time_base.den, r->tb.den);
        ck_assert_msg(s->cut_start < s->cut_end, "segment %d: [%lld, %lld)", i,
                      (long long)s->cut_start, (long long)s->cut_end);
        if (i + 1 < r->n)
            ck_assert_msg(s->cut_end == r->segs[i + 1]->cut_start,
                          "segment %d ends at %lld, segment %d starts at %lld", i,
                          (long long)s->cut_end, i + 1, (long long)r->segs[i + 1]->cut_start);

        um_frames got = {0};
        if (s->kind == VTP_SEG_PACKETS) {
            ck_assert_int_gt(s->pkts.n, 0);
            ck_assert_int_eq(s->frames.n, 0);
            ck_assert_msg(s->pkts.v[0]->flags & AV_PKT_FLAG_KEY,
                          "segment %d starts with a non-key packet (pts %lld)", i,
                          (long long)s->pkts.v[0]->pts);
            ck_assert(s->par->codec_id == AV_CODEC_ID_MPEG4 || s->par->codec_id == AV_CODEC_ID_H264);
            ck_assert_int_gt(s->par->extradata_size, 0);
            for (int k = 0; k < s->pkts.n; k++) {
                int found = 0;
                for (int j = 0; j < ref->npkts && !found; j++)
                    if (same_packet(s->pkts.v[k], ref->pkts[j]) ||
                        (i > 0 && k == 0 && s->par->codec_id == AV_CODEC_ID_H264 &&
                         same_packet_with_sei(s->pkts.v[k], ref->pkts[j]))) {
                        used[j]++;
                        found = 1;
                    }
                ck_assert_msg(found, "segment %d packet %d (pts %lld) is not an input packet", i,
                              k, (long long)s->pkts.v[k]->pts);
            }
            /* Decode it as a worker does, keep the range. */
            um_frames all = {0};
            ck_assert_int_eq(um_decode(s->par, s->time_base, s->pkts.v, s->pkts.n, &all), 0);
            for (int k = 0; k < all.n; k++) {
                if (all.v[k]->pts >= s->cut_start && all.v[k]->pts < s->cut_end) {
                    um_frames_push(&got, all.v[k]);
                    all.v[k] = NULL;
                }
            }
            um_frames_clear(&all);
        } else {
            ck_assert_int_eq(s->kind, VTP_SEG_FRAMES);
            ck_assert_int_eq(s->pkts.n, 0);
            ck_assert_int_eq(s->par->codec_type, AVMEDIA_TYPE_VIDEO);
            ck_assert_int_eq(s->par->width, W);
            ck_assert_int_eq(s->par->height, H);
            ck_assert_int_eq(s->par->format, AV_PIX_FMT_YUV420P);
            vtp_segment *rx = receive_frames(s);
            ck_assert_int_gt(rx->frames.n, 0);
            for (int k = 0; k < rx->frames.n; k++) {
                const AVFrame *f = rx->frames.v[k];
                ck_assert_msg(f->pts >= s->cut_start && f->pts < s->cut_end,
                              "segment %d frame %d pts %lld outside [%lld, %lld)", i, k,
                              (long long)f->pts, (long long)s->cut_start, (long long)s->cut_end);
                if (k > 0)
                    ck_assert_int_gt(f->pts, rx->frames.v[k - 1]->pts);
                um_frames_push(&got, av_frame_clone(f));
            }
            vtp_segment_clear(rx);
            free(rx);
        }
        for (int k = 0; k < got.n; k++) {
            char why[128];
            int j;
            for (j = 0; j < ref->frames.n; j++)
                if (ref->frames.v[j]->pts == got.v[k]->pts)
                    break;
            ck_assert_msg(j < ref->frames.n, "segment %d: frame pts %lld not in the input", i,
                          (long long)got.v[k]->pts);
            covered[j]++;
            ck_assert_msg(um_frames_equal(got.v[k], ref->frames.v[j], why, sizeof(why)),
                          "segment %d (%s) frame pts %lld differs from the input: %s", i,
                          s->kind == VTP_SEG_FRAMES ? "frames" : "packets",
                          (long long)got.v[k]->pts, why);
        }
        um_frames_clear(&got);
    }

    for (int j = 0; j < ref->frames.n; j++)
        ck_assert_msg(covered[j] == 1, "input frame pts %lld is in %d segments",
                      (long long)ref->frames.v[j]->pts, covered[j]);
    /* Every input packet before the switch to decoding went somewhere. */
    int first_frames = r->n;
    for (int i = 0; i < r->n; i++)
        if (r->segs[i]->kind == VTP_SEG_FRAMES) {
            first_frames = i;
            break;
        }
    if (first_frames == r->n)
        for (int j = 0; j < ref->npkts; j++)
            ck_assert_msg(used[j] >= 1, "input packet %d (pts %lld) is in no segment", j,
                          (long long)ref->pkts[j]->pts);
    free(covered);
    free(used);
}

static char *make_input(const file_spec *fs, int *audio_packets)
{
    char *dir = um_mkdtemp();
    ck_assert_ptr_nonnull(dir);
    char *path = malloc(strlen(dir) + 16);
    sprintf(path, "%s/in.mkv", dir);
    free(dir);
    int ret = write_file(path, fs, audio_packets);
    ck_assert_msg(ret >= 0, "writing %s: %s", path, av_err2str(ret));
    return path;
}

static void remove_input(char *path)
{
    unlink(path);
    char *slash = strrchr(path, '/');
    *slash = 0;
    um_rmdir(strdup(path));
    free(path);
}

/* ---- tests ---- */

START_TEST(test_splitter_closed_gop_segments)
{
    file_spec fs = {.frames = 100, .gop = 10, .bframes = 0, .audio = 1};
    int audio;
    char *path = make_input(&fs, &audio);
    reference ref;
    split_run r;

    read_reference(path, &ref);
    ck_assert_int_eq(ref.frames.n, 100);
    ck_assert_int_eq(ref.audio, audio);
    run_splitter(path, 1.0, 1.5, &r);
    ck_assert_int_ge(r.n, 3);
    ck_assert_int_eq(r.decoding, 0);
    for (int i = 0; i < r.n; i++)
        ck_assert_int_eq(r.segs[i]->kind, VTP_SEG_PACKETS);
    check_split(&r, &ref);
    /* Cuts are keyframes at least a second apart. */
    for (int i = 1; i < r.n; i++) {
        int64_t len = r.segs[i]->cut_start - (i > 1 ? r.segs[i - 1]->cut_start : 0);
        ck_assert_int_ge(av_rescale_q(len, r.tb, AV_TIME_BASE_Q), 1000000);
        ck_assert_int_eq(r.segs[i]->pkts.v[0]->pts, r.segs[i]->cut_start);
    }
    /* The side callback saw every audio packet, in order. */
    ck_assert_int_eq(r.side.packets, audio);
    ck_assert_int_eq(r.side.mixed, 0);
    ck_assert_int_eq(r.side.out_of_order, 0);
    free_run(&r);
    free_reference(&ref);
    remove_input(path);
}
END_TEST

START_TEST(test_splitter_open_gop_bframes_segments)
{
    /* B-frames across GOP boundaries: leading pictures after each cut. */
    file_spec fs = {.frames = 100, .gop = 10, .bframes = 2, .audio = 1};
    int audio;
    char *path = make_input(&fs, &audio);
    reference ref;
    split_run r;

    read_reference(path, &ref);
    ck_assert_int_eq(ref.frames.n, 100);
    run_splitter(path, 1.0, 1.5, &r);
    ck_assert_int_ge(r.n, 3);
    ck_assert_int_eq(r.decoding, 0);
    check_split(&r, &ref);
    ck_assert_int_eq(r.side.packets, audio);
    free_run(&r);
    free_reference(&ref);
    remove_input(path);
}
END_TEST

START_TEST(test_splitter_open_gop_x264_segments)
{
    /* H.264 open GOPs: keyframes are recovery points with leading
     * B-frames that reference the previous GOP. */
    file_spec fs = {.frames = 100, .audio = 1,
                    .x264 = "keyint=10:min-keyint=10:scenecut=0:open-gop=1:bframes=3"};
    int audio;
    char *path = make_input(&fs, &audio);
    reference ref;
    split_run r;

    read_reference(path, &ref);
    ck_assert_int_eq(ref.frames.n, 100);
    run_splitter(path, 1.0, 1.5, &r);
    ck_assert_int_ge(r.n, 3);
    ck_assert_int_eq(r.decoding, 0);
    check_split(&r, &ref);
    ck_assert_int_eq(r.side.packets, audio);
    free_run(&r);
    free_reference(&ref);
    remove_input(path);
}
END_TEST

/* Segments of the finer tail that start between keyframes. */
static int splits(const split_run *r)
{
    int n = 0;
    for (int i = 1; i < r->n; i++)
        n += r->segs[i]->kind == VTP_SEG_PACKETS && r->segs[i]->pkts.v[0]->pts < r->segs[i]->cut_start;
    return n;
}

START_TEST(test_splitter_tail_cut_between_keyframes)
{
    /* 4 s with a keyframe every second and B-frames, 1 s segments for 2
     * workers: the last 3 s are cut finer, mostly between keyframes. */
    file_spec fs = {.frames = 100, .gop = 25, .bframes = 2, .audio = 1};
    int audio;
    char *path = make_input(&fs, &audio);
    reference ref;
    split_run r;

    read_reference(path, &ref);
    run_splitter_for(path, 1.0, 1.5, 2, &r);
    ck_assert_int_ge(r.n, 6);
    ck_assert_int_ge(splits(&r), 2);
    ck_assert_int_eq(r.decoding, 0);
    check_split(&r, &ref);
    ck_assert_int_eq(r.side.packets, audio);
    free_run(&r);
    free_reference(&ref);
    remove_input(path);
}
END_TEST

START_TEST(test_splitter_tail_cut_open_gop_pyramid)
{
    /* H.264 open GOPs with a B-pyramid: cuts between keyframes next to
     * leading pictures and reference B-frames. */
    file_spec fs = {.frames = 100, .audio = 1,
                    .x264 = "keyint=20:min-keyint=20:scenecut=0:open-gop=1:bframes=3:"
                            "b-pyramid=normal:b-adapt=0"};
    int audio;
    char *path = make_input(&fs, &audio);
    reference ref;
    split_run r;

    read_reference(path, &ref);
    run_splitter_for(path, 1.0, 1.5, 2, &r);
    ck_assert_int_ge(splits(&r), 2);
    check_split(&r, &ref);
    free_run(&r);
    free_reference(&ref);
    remove_input(path);
}
END_TEST

START_TEST(test_splitter_short_segments)
{
    /* A cut at every keyframe (segment shorter than a GOP). */
    file_spec fs = {.frames = 60, .gop = 5, .bframes = 2, .audio = 0};
    int audio;
    char *path = make_input(&fs, &audio);
    reference ref;
    split_run r;

    read_reference(path, &ref);
    run_splitter(path, 0.04, 10.0, &r);
    ck_assert_int_ge(r.n, 10);
    check_split(&r, &ref);
    ck_assert_int_eq(r.side.packets, 0);
    free_run(&r);
    free_reference(&ref);
    remove_input(path);
}
END_TEST

START_TEST(test_splitter_single_keyframe_switches_to_decoding)
{
    file_spec fs = {.frames = 100, .gop = 1000, .bframes = 2, .audio = 1};
    int audio;
    char *path = make_input(&fs, &audio);
    reference ref;
    split_run r;

    read_reference(path, &ref);
    int keys = 0;
    for (int j = 0; j < ref.npkts; j++)
        keys += !!(ref.pkts[j]->flags & AV_PKT_FLAG_KEY);
    ck_assert_int_eq(keys, 1);
    run_splitter(path, 1.0, 2.0, &r);
    ck_assert_int_eq(r.decoding, 1);
    ck_assert_int_ge(r.n, 3);
    /* Once frames, always frames; the last ones are frames. */
    int seen_frames = 0, nframes = 0;
    for (int i = 0; i < r.n; i++) {
        if (r.segs[i]->kind == VTP_SEG_FRAMES)
            seen_frames = 1, nframes++;
        else
            ck_assert_msg(!seen_frames, "segment %d is packets after frames", i);
    }
    ck_assert_int_ge(nframes, 3);
    check_split(&r, &ref);
    ck_assert_int_eq(r.side.packets, audio);
    free_run(&r);
    free_reference(&ref);
    remove_input(path);
}
END_TEST

START_TEST(test_splitter_keyframes_stop_midway)
{
    /* Keyframes at 0, 1 s and 2 s, then none for 4 s: packet segments
     * first, frame segments after the switch, with one seam. */
    static const int keys[] = {0, 25, 50};
    file_spec fs = {.frames = 150, .gop = 1000, .bframes = _i, .audio = 1,
                    .force_keys = keys, .nforce = 3};
    if (_i == 3)
        fs.x264 = "keyint=infinite:scenecut=0:open-gop=1:bframes=3";
    int audio;
    char *path = make_input(&fs, &audio);
    reference ref;
    split_run r;

    read_reference(path, &ref);
    ck_assert_int_eq(ref.frames.n, 150);
    run_splitter(path, 1.0, 2.0, &r);
    ck_assert_int_eq(r.decoding, 1);
    int npk = 0, nfr = 0;
    for (int i = 0; i < r.n; i++) {
        if (r.segs[i]->kind == VTP_SEG_PACKETS) {
            ck_assert_msg(nfr == 0, "segment %d is packets after frames", i);
            npk++;
        } else {
            nfr++;
        }
    }
    ck_assert_int_ge(npk, 2);
    ck_assert_int_ge(nfr, 2);
    check_split(&r, &ref);
    ck_assert_int_eq(r.side.packets, audio);
    free_run(&r);
    free_reference(&ref);
    remove_input(path);
}
END_TEST

START_TEST(test_splitter_truncated_input_fails)
{
    file_spec fs = {.frames = 100, .gop = 10, .bframes = 0, .audio = 1};
    int audio;
    char *path = make_input(&fs, &audio);
    struct stat st;
    split_run r;

    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(truncate(path, st.st_size / 2), 0);
    run_splitter(path, 1.0, 1.5, &r);
    ck_assert_msg(r.final_ret == VTP_ERR_TRUNCATED, "got %d (%s)", r.final_ret,
                  vtp_strerror(r.final_ret));
    free_run(&r);
    remove_input(path);
}
END_TEST

Suite *splitter_suite(void)
{
    Suite *s = suite_create("splitter");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_splitter_closed_gop_segments);
    tcase_add_test(tc, test_splitter_open_gop_bframes_segments);
    tcase_add_test(tc, test_splitter_open_gop_x264_segments);
    tcase_add_test(tc, test_splitter_short_segments);
    tcase_add_test(tc, test_splitter_tail_cut_between_keyframes);
    tcase_add_test(tc, test_splitter_tail_cut_open_gop_pyramid);
    tcase_add_test(tc, test_splitter_single_keyframe_switches_to_decoding);
    tcase_add_loop_test(tc, test_splitter_keyframes_stop_midway, 0, 4);
    tcase_add_test(tc, test_splitter_truncated_input_fails);
    suite_add_tcase(s, tc);
    return s;
}
