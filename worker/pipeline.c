/* pipeline.c -- decode, filter and encode one segment (see vtp_pipeline.h).
 *
 * DESIGN
 * The decoder sees every packet of the segment, in decode order; the range
 * check happens on decoded frames, by presentation time, so B-frames,
 * open-GOP leading pictures and pre-roll need no special case here: the
 * dispatcher sends what is needed to decode the range, and exactly the
 * range is encoded. The first frame encoded is forced to be a keyframe and
 * every other frame's picture type is cleared (decoders set it from the
 * input; some encoders would obey it).
 *
 * The filter graph and the encoder are created on the first frame inside the
 * range, when its size and pixel format are known. Encoder time base is the
 * input stream's, so timestamps pass through untouched.
 *
 * A ladder's segment is decoded once: every decoded frame goes by reference
 * to each rendition's own graph (its scale, then the pixel format its
 * encoder takes) and encoder. One graph per rendition rather than one
 * graph with a split: each negotiates the format of its own encoder, and a
 * rendition is exactly a plain segment's path.
 */
#include "vtp_pipeline.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/avstring.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "vtp_codecpar.h"
#include "vtp_compat.h"
#include "vtp_clock.h"
#include "vtp_error.h"
#include "vtp_log.h"
#include "vtp_pool.h"
#include "vtp_twopass.h"

/* One rendition of the segment: its filters and its encoder, and where in
 * the result its stream goes. A plain segment has one; a ladder's has one
 * per rendition, all fed the same decoded frames. */
typedef struct seg_out {
    const vtp_enc_opts *opts;
    AVFilterGraph *graph;
    AVFilterContext *src;
    AVFilterContext *sink;
    AVCodecContext *enc;
    const AVCodec *codec;
    AVDictionary *codec_opts;   /* its options, and for a pass its files */
    AVCodecParameters *par;     /* the result's, for this stream */
    AVRational *time_base;      /* ... */
    vtp_pktlist *pkts;          /* ... */
    int64_t frames_in;          /* frames handed to the encoder */
} seg_out;

typedef struct seg_run {
    const vtp_segment *seg;
    vtp_result *res;
    AVCodecContext *dec;
    seg_out out[VTP_MAX_OUTPUTS];
    int nout;
    int graph_w, graph_h, graph_fmt;    /* the frames the graphs take */
    AVFrame *frame;             /* decoded */
    AVFrame *filtered;
    AVPacket *pkt;
    const atomic_int *cancel;
    vtp_progress_fn progress;   /* may be NULL */
    void *opaque;
    int64_t reported_ms;        /* when progress was last reported */
    int64_t frames_counted;     /* decoded in [count_start, cut_end) */
    int64_t last_ts;            /* of the last frame in range, or AV_NOPTS_VALUE */
} seg_run;

/* Records the failure in the result; returns err. */
static int fail(seg_run *p, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(seg_run *p, int err, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    if (p->res->error)      /* the first failure is the cause */
        return err;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    const char *detail = vtp_log_last_av_error();
    size_t len = strlen(what) + strlen(detail) + 64;
    p->res->error = malloc(len);
    if (p->res->error)
        snprintf(p->res->error, len, "%s: %s%s%s", what, vtp_strerror(err), *detail ? ": " : "",
                 detail);
    p->res->status = err;
    return err;
}

/* The graph: [scale to the input's picture,][user filters,]format=<what
 * the encoder takes>. pin (may be NULL) is the input's picture as the
 * stream starts: frames of another size or pixel format (the input changes
 * them midway, as concatenated recordings do) are converted back to it, so
 * that every segment encodes the same picture, as ffmpeg keeps its
 * encoder's first size and format. */
static int build_graph(AVFilterGraph **graph_p, AVFilterContext **src_p, AVFilterContext **sink_p,
                       const vtp_enc_opts *opts, const AVCodec *codec, int width, int height,
                       int format, AVRational sar, AVRational tb, AVRational rate,
                       const AVCodecParameters *pin)
{
    char args[512], desc[8192];
    AVFilterInOut *in = NULL, *out = NULL;
    AVFilterGraph *graph = avfilter_graph_alloc();
    int ret = VTP_ERR_NOMEM;

    *graph_p = NULL;
    if (!graph)
        return ret;
    graph->nb_threads = 1;
    snprintf(args, sizeof(args),
             "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d", width, height,
             format, tb.num, tb.den, sar.num, sar.den > 0 ? sar.den : 1);
    if (rate.num > 0 && rate.den > 0)
        av_strlcatf(args, sizeof(args), ":frame_rate=%d/%d", rate.num, rate.den);
    if ((ret = avfilter_graph_create_filter(src_p, avfilter_get_by_name("buffer"), "in", args,
                                            NULL, graph)) < 0 ||
        (ret = avfilter_graph_create_filter(sink_p, avfilter_get_by_name("buffersink"), "out",
                                            NULL, NULL, graph)) < 0)
        goto end;

    desc[0] = 0;
    if (pin && pin->width > 0 && pin->height > 0 && pin->format >= 0 &&
        (pin->width != width || pin->height != height || pin->format != format))
        av_strlcatf(desc, sizeof(desc), "scale=%d:%d,format=%s,", pin->width, pin->height,
                    av_get_pix_fmt_name(pin->format));
    if (opts->vf && *opts->vf)
        av_strlcatf(desc, sizeof(desc), "%s,", opts->vf);
    const enum AVPixelFormat *fmts = codec ? vtp_codec_pix_fmts(codec) : NULL;
    if (fmts) {
        av_strlcat(desc, "format=pix_fmts=", sizeof(desc));
        for (const enum AVPixelFormat *f = fmts; *f != AV_PIX_FMT_NONE; f++)
            av_strlcatf(desc, sizeof(desc), "%s%s", f == fmts ? "" : "|",
                        av_get_pix_fmt_name(*f));
    } else {
        av_strlcat(desc, "null", sizeof(desc));
    }

    out = avfilter_inout_alloc();
    in = avfilter_inout_alloc();
    ret = VTP_ERR_NOMEM;
    if (!out || !in)
        goto end;
    out->name = av_strdup("in");
    out->filter_ctx = *src_p;
    in->name = av_strdup("out");
    in->filter_ctx = *sink_p;
    if ((ret = avfilter_graph_parse_ptr(graph, desc, &in, &out, NULL)) < 0 ||
        (ret = avfilter_graph_config(graph, NULL)) < 0)
        goto end;
    *graph_p = graph;
    graph = NULL;
end:
    avfilter_inout_free(&in);
    avfilter_inout_free(&out);
    avfilter_graph_free(&graph);
    return ret;
}

static int open_codec(AVCodecContext **enc_p, const AVCodec *codec, AVFilterContext *sink,
                      const AVFrame *f, AVRational rate, const AVDictionary *codec_opts,
                      int threads, char *unknown, size_t unknown_size);

/* Quiets the process's stderr while an encoder opens: some (libx264) print
 * their own complaints there, which vtpool folds into its one line. */
static int quiet_stderr(void)
{
    if (vtp_log_level() >= VTP_LOG_DEBUG)
        return -1;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved >= 0 && null >= 0)
        dup2(null, STDERR_FILENO);
    if (null >= 0)
        close(null);
    return saved;
}

static void restore_stderr(int saved)
{
    if (saved < 0)
        return;
    dup2(saved, STDERR_FILENO);
    close(saved);
}

/* x264 and x265 take their presets by these names or by their
 * number, and say nothing useful when given another ("Error setting
 * preset/tune ultrafastest/(null)"): the name is checked here instead. */
static int check_preset(const AVCodec *codec, const AVDictionary *codec_opts, char *why,
                        size_t why_size)
{
    static const char *const names[] = {"ultrafast", "superfast", "veryfast", "faster", "fast",
                                        "medium",    "slow",      "slower",   "veryslow",
                                        "placebo"};
    const AVDictionaryEntry *e = av_dict_get(codec_opts, "preset", NULL, 0);
    if (!e || (strcmp(codec->name, "libx264") != 0 && strcmp(codec->name, "libx265") != 0))
        return 0;
    if (e->value[0] >= '0' && e->value[0] <= '9' && e->value[1] == 0)
        return 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(e->value, names[i]) == 0)
            return 0;
    snprintf(why, why_size, "encoder '%s' has no preset '%s' (one of: ultrafast, superfast, "
             "veryfast, faster, fast, medium, slow, slower, veryslow, placebo)", codec->name,
             e->value);
    return VTP_ERR_ENCODER;
}

int vtp_pipeline_check(const vtp_enc_opts *opts, const AVCodecParameters *par,
                       AVRational time_base, AVRational frame_rate, char *why, size_t why_size)
{
    AVFilterGraph *graph = NULL;
    AVFilterContext *src, *sink;
    AVCodecContext *enc = NULL;
    const AVCodec *codec = avcodec_find_encoder_by_name(opts->encoder);
    char unknown[256] = "";

    if (codec && check_preset(codec, opts->codec_opts, why, why_size) < 0)
        return VTP_ERR_ENCODER;
    vtp_log_clear_av_error();
    int ret = build_graph(&graph, &src, &sink, opts, codec, par->width, par->height, par->format,
                          par->sample_aspect_ratio, time_base, frame_rate, NULL);
    if (ret < 0) {
        const char *detail = vtp_log_last_av_error();
        snprintf(why, why_size, "invalid filter graph '%s': %s%s%s", opts->vf ? opts->vf : "",
                 vtp_strerror(ret), *detail ? ": " : "", detail);
        return VTP_ERR_USAGE;
    }
    /* The encoder, opened once as every segment will open it. */
    AVFrame *f = av_frame_alloc();
    if (!f) {
        avfilter_graph_free(&graph);
        return VTP_ERR_NOMEM;
    }
    f->width = av_buffersink_get_w(sink);
    f->height = av_buffersink_get_h(sink);
    f->format = av_buffersink_get_format(sink);
    f->sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(sink);
    f->color_range = par->color_range;
    f->color_primaries = par->color_primaries;
    f->color_trc = par->color_trc;
    f->colorspace = par->color_space;
    f->chroma_location = par->chroma_location;
    int saved = quiet_stderr();
    ret = open_codec(&enc, codec, sink, f, frame_rate, opts->codec_opts, 1, unknown,
                     sizeof(unknown));
    if (ret == 0) {
        /* Closed as a used one is, after one frame and the end of stream:
         * some encoders (SVT-AV1) hang when closed or flushed unused. */
        AVPacket *pkt = av_packet_alloc();
        AVFrame *one = av_frame_alloc();
        if (pkt && one) {
            one->width = f->width;
            one->height = f->height;
            one->format = f->format;
            one->pts = 0;
            if (av_frame_get_buffer(one, 0) >= 0) {
                for (int i = 0; i < AV_NUM_DATA_POINTERS && one->buf[i]; i++)
                    memset(one->buf[i]->data, 0, one->buf[i]->size);
                avcodec_send_frame(enc, one);
            }
            if (avcodec_send_frame(enc, NULL) >= 0)
                while (avcodec_receive_packet(enc, pkt) >= 0)
                    av_packet_unref(pkt);
        }
        av_frame_free(&one);
        av_packet_free(&pkt);
    }
    restore_stderr(saved);
    if (ret == VTP_ERR_ENCODER && unknown[0]) {
        snprintf(why, why_size, "encoder '%s' has no option '%s' (see 'ffmpeg -h encoder=%s')",
                 codec->name, unknown, codec->name);
    } else if (ret < 0) {
        const char *detail = vtp_log_last_av_error();
        snprintf(why, why_size, "encoder '%s' cannot encode this input with these settings "
                 "(%dx%d %s): %s%s%s", codec->name, f->width, f->height,
                 av_get_pix_fmt_name(f->format), av_err2str(ret), *detail ? ": " : "", detail);
        ret = VTP_ERR_ENCODER;
    }
    avcodec_free_context(&enc);
    av_frame_free(&f);
    avfilter_graph_free(&graph);
    return ret < 0 ? ret : 0;
}

/* x265's own log level for vtpool's: it logs by itself, some 25 lines for
 * every encoder it opens (one per segment), so by default only its errors. */
static const char *x265_log_level(void)
{
    switch (vtp_log_level()) {
    case VTP_LOG_QUIET: return "none";
    case VTP_LOG_ERROR: return "error";
    case VTP_LOG_WARNING: return "warning";
    case VTP_LOG_INFO: return "info";
    default: return "full";
    }
}

/* Options vtpool adds to an encoder's own: its private thread pool gets the
 * same limit as libavcodec's, and its own logging follows vtpool's level.
 * What the user gave wins. */
static int add_private_opts(AVDictionary **opts, const char *codec_name, int threads)
{
    char val[1024];

    if (strcmp(codec_name, "libx265") == 0) {
        const AVDictionaryEntry *e = av_dict_get(*opts, "x265-params", NULL, 0);
        const char *user = e ? e->value : "";
        snprintf(val, sizeof(val), "%s", user);
        if (!strstr(user, "pools"))
            av_strlcatf(val, sizeof(val), "%spools=%d:frame-threads=%d", *val ? ":" : "",
                        threads, threads > 1 ? 0 : 1);
        if (!strstr(user, "log-level"))
            av_strlcatf(val, sizeof(val), "%slog-level=%s", *val ? ":" : "", x265_log_level());
        return av_dict_set(opts, "x265-params", val, 0);
    }
    return 0;
}

/* Creates and opens an encoder for frames like f coming out of sink, with
 * the segment's options and `threads` threads. On failure *enc is freed,
 * and an option the encoder did not take is named in unknown. */
static int open_codec(AVCodecContext **enc_p, const AVCodec *codec, AVFilterContext *sink,
                      const AVFrame *f, AVRational rate, const AVDictionary *codec_opts,
                      int threads, char *unknown, size_t unknown_size)
{
    AVDictionary *opts = NULL;
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    int ret;

    *enc_p = NULL;
    if (!enc)
        return VTP_ERR_NOMEM;
    enc->width = f->width;
    enc->height = f->height;
    enc->pix_fmt = f->format;
    enc->sample_aspect_ratio = f->sample_aspect_ratio;
    enc->time_base = av_buffersink_get_time_base(sink);
    enc->framerate = av_buffersink_get_frame_rate(sink);
    if (enc->framerate.num <= 0)
        enc->framerate = rate;
    enc->color_range = f->color_range;
    enc->color_primaries = f->color_primaries;
    enc->color_trc = f->color_trc;
    enc->colorspace = f->colorspace;
    enc->chroma_sample_location = f->chroma_location;
    if (vtp_frame_interlaced(f))
        enc->field_order = vtp_frame_top_field_first(f) ? AV_FIELD_TT : AV_FIELD_BB;
    enc->thread_count = threads;

    if ((ret = av_dict_copy(&opts, codec_opts, 0)) < 0 ||
        (ret = add_private_opts(&opts, codec->name, threads)) < 0) {
        ret = VTP_ERR_NOMEM;
    } else if ((ret = avcodec_open2(enc, codec, &opts)) >= 0) {
        const AVDictionaryEntry *left = av_dict_get(opts, "", NULL, AV_DICT_IGNORE_SUFFIX);
        if (left) {
            snprintf(unknown, unknown_size, "%s", left->key);
            ret = VTP_ERR_ENCODER;
        }
    }
    av_dict_free(&opts);
    if (ret < 0)
        avcodec_free_context(&enc);
    *enc_p = enc;
    return ret < 0 ? ret : 0;
}

static int open_encoder(seg_run *p, seg_out *o, const AVFrame *f)
{
    char unknown[256] = "";
    int ret = open_codec(&o->enc, o->codec, o->sink, f, p->seg->frame_rate, o->codec_opts,
                         p->seg->threads, unknown, sizeof(unknown));
    if (ret == VTP_ERR_ENCODER && unknown[0])
        return fail(p, ret, "encoder %s has no option '%s'", o->codec->name, unknown);
    if (ret < 0)
        return fail(p, ret, "opening encoder %s", o->codec->name);
    *o->time_base = o->enc->time_base;
    return 0;
}

/* Takes every packet the encoder has ready. */
static int drain_encoder(seg_run *p, seg_out *o)
{
    int ret;
    while ((ret = avcodec_receive_packet(o->enc, p->pkt)) >= 0) {
        if ((ret = vtp_pktlist_move(o->pkts, p->pkt)) < 0)
            return fail(p, ret, "storing packet");
    }
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
        return 0;
    return fail(p, ret, "encoding");
}

/* Tells the progress callback the frames out of the encoder so far, at
 * most every VTP_PROGRESS_MS: also while only decoding (the frames before
 * the range), so that a worker's silence about its segment means trouble. */
static void report(seg_run *p)
{
    if (!p->progress)
        return;
    int64_t now = vtp_clock_ms();
    if (now - p->reported_ms >= VTP_PROGRESS_MS) {
        p->reported_ms = now;
        p->progress(p->opaque, p->res->pkts.n);     /* out of the (first) encoder */
    }
}

/* Encodes one filtered frame, or flushes the encoder when f is NULL. */
static int encode(seg_run *p, seg_out *o, AVFrame *f)
{
    int ret;

    if (f) {
        if (!o->enc && (ret = open_encoder(p, o, f)) < 0)
            return ret;
        f->pict_type = o->frames_in == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
        vtp_frame_set_key(f, o->frames_in == 0);
        o->frames_in++;
        report(p);
    } else if (!o->enc) {
        return 0;           /* nothing was in range */
    }
    if ((ret = avcodec_send_frame(o->enc, f)) < 0)
        return fail(p, ret, "encoding");
    return drain_encoder(p, o);
}

static int drain_filters(seg_run *p, seg_out *o)
{
    int ret;
    while ((ret = av_buffersink_get_frame(o->sink, p->filtered)) >= 0) {
        ret = encode(p, o, p->filtered);
        av_frame_unref(p->filtered);
        if (ret < 0)
            return ret;
    }
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
        return 0;
    return fail(p, ret, "filtering");
}

/* Ends every rendition's graph: what they hold goes to the encoders. */
static int flush_graphs(seg_run *p)
{
    int ret;
    for (int i = 0; i < p->nout; i++) {
        seg_out *o = &p->out[i];
        if (!o->graph)
            continue;
        if ((ret = av_buffersrc_add_frame(o->src, NULL)) < 0)
            return fail(p, ret, "filtering");
        if ((ret = drain_filters(p, o)) < 0)
            return ret;
    }
    return 0;
}

static void free_graphs(seg_run *p)
{
    for (int i = 0; i < p->nout; i++)
        avfilter_graph_free(&p->out[i].graph);
}

static int skipping(const seg_run *p);

/* Takes one decoded frame: outside the range it is dropped, inside it goes
 * through each rendition's filters to its encoder. NULL flushes everything. */
static int take_frame(seg_run *p, AVFrame *f)
{
    const vtp_segment *seg = p->seg;
    int ret;

    if (!f) {
        if ((ret = flush_graphs(p)) < 0)
            return ret;
        for (int i = 0; i < p->nout; i++)
            if ((ret = encode(p, &p->out[i], NULL)) < 0)
                return ret;
        return 0;
    }

    if (p->cancel && atomic_load(p->cancel))
        return fail(p, VTP_ERR_INTERRUPTED, "segment %u", seg->index);
    int64_t ts = f->pts != AV_NOPTS_VALUE ? f->pts : f->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE)
        return fail(p, VTP_ERR_TRUNCATED, "decoded frame has no timestamp");
    if (ts < seg->cut_start || ts >= seg->cut_end)
        return 0;
    /* Frames leave the decoder in presentation order: a time that repeats
     * or goes back is damage (or a bitstream the dispatcher did not
     * unpack), never something to encode. */
    if (p->last_ts != AV_NOPTS_VALUE && ts <= p->last_ts) {
        if (!skipping(p))
            return fail(p, VTP_ERR_TRUNCATED,
                        "the frame at %.3f s follows one at %.3f s: the input's frame times "
                        "repeat or go backwards", (double)ts * av_q2d(seg->time_base),
                        (double)p->last_ts * av_q2d(seg->time_base));
        p->res->skipped++;
        return 0;
    }
    p->last_ts = ts;
    p->frames_counted += ts >= seg->count_start;
    f->pts = ts;

    if (p->out[0].graph && (f->width != p->graph_w || f->height != p->graph_h ||
                            f->format != p->graph_fmt)) {
        /* The picture changed: what the old graphs hold is encoded, and new
         * ones convert from the new picture. */
        if ((ret = flush_graphs(p)) < 0)
            return ret;
        free_graphs(p);
    }
    if (!p->out[0].graph) {
        const AVCodecParameters *pin = seg->par;
        if (pin->width > 0 && (f->width != pin->width || f->height != pin->height ||
                               f->format != pin->format))
            vtp_log(VTP_LOG_INFO, "segment %u: pictures of %dx%d %s from %.3f s, converted to the "
                    "input's %dx%d %s", seg->index, f->width, f->height,
                    av_get_pix_fmt_name(f->format), (double)ts * av_q2d(seg->time_base),
                    pin->width, pin->height, av_get_pix_fmt_name(pin->format));
        for (int i = 0; i < p->nout; i++) {
            seg_out *o = &p->out[i];
            ret = build_graph(&o->graph, &o->src, &o->sink, o->opts, o->codec, f->width,
                              f->height, f->format, f->sample_aspect_ratio, seg->time_base,
                              seg->frame_rate, pin);
            if (ret < 0)
                return fail(p, ret, "building filter graph");
        }
        p->graph_w = f->width;
        p->graph_h = f->height;
        p->graph_fmt = f->format;
    }
    for (int i = 0; i < p->nout; i++) {
        seg_out *o = &p->out[i];
        if ((ret = av_buffersrc_add_frame_flags(o->src, f, AV_BUFFERSRC_FLAG_KEEP_REF)) < 0)
            return fail(p, ret, "filtering");
        if ((ret = drain_filters(p, o)) < 0)
            return ret;
    }
    return 0;
}

static int skipping(const seg_run *p)
{
    return (p->seg->flags & VTP_SEG_SKIP_ERRORS) != 0;
}

/* A decoder error: the input is corrupt. With --on-error skip it costs the
 * frame and is counted; otherwise the segment fails. */
static int decode_error(seg_run *p, int err, int packet)
{
    if (skipping(p)) {
        p->res->skipped++;
        return 0;
    }
    if (packet >= 0)
        return fail(p, VTP_ERR_TRUNCATED, "decoding packet %d (%s)", packet, av_err2str(err));
    return fail(p, VTP_ERR_TRUNCATED, "decoding (%s)", av_err2str(err));
}

static int drain_decoder(seg_run *p)
{
    int ret;
    for (;;) {
        ret = avcodec_receive_frame(p->dec, p->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0) {
            if ((ret = decode_error(p, ret, -1)) < 0)
                return ret;
            continue;
        }
        if (p->frame->decode_error_flags || (p->frame->flags & AV_FRAME_FLAG_CORRUPT)) {
            /* Damage the decoder concealed. Only frames of this segment's
             * range count: the others are decoded just for reference. */
            int64_t ts = p->frame->pts != AV_NOPTS_VALUE ? p->frame->pts
                                                         : p->frame->best_effort_timestamp;
            int ours = ts >= p->seg->cut_start && ts < p->seg->cut_end;
            av_frame_unref(p->frame);
            if (ours && !skipping(p))
                return fail(p, VTP_ERR_TRUNCATED, "the frame at %.3f s is damaged",
                            (double)ts * av_q2d(p->seg->time_base));
            p->res->skipped += ours;
            continue;
        }
        ret = take_frame(p, p->frame);
        av_frame_unref(p->frame);
        if (ret < 0)
            return ret;
        report(p);
    }
}

static int run_packets(seg_run *p)
{
    const vtp_segment *seg = p->seg;
    const AVCodec *dc = avcodec_find_decoder(seg->par->codec_id);
    int ret;

    if (!dc)
        return fail(p, AVERROR_DECODER_NOT_FOUND, "no decoder for %s",
                    avcodec_get_name(seg->par->codec_id));
    if (!(p->dec = avcodec_alloc_context3(dc)))
        return fail(p, VTP_ERR_NOMEM, "decoder");
    if ((ret = avcodec_parameters_to_context(p->dec, seg->par)) < 0)
        return fail(p, ret, "decoder parameters");
    p->dec->pkt_timebase = seg->time_base;
    p->dec->thread_count = seg->threads;
    p->dec->max_pixels = VTP_MAX_DECODE_PIXELS;
    if ((ret = avcodec_open2(p->dec, dc, NULL)) < 0)
        return fail(p, ret, "opening decoder %s", dc->name);

    for (int i = 0; i < seg->pkts.n; i++) {
        /* A frame outside the range is decoded only for the frames that
         * reference it: if none can, it need not be decoded at all. */
        const AVPacket *pkt = seg->pkts.v[i];
        p->dec->skip_frame = pkt->pts != AV_NOPTS_VALUE &&
                                     (pkt->pts < seg->cut_start || pkt->pts >= seg->cut_end)
                                 ? AVDISCARD_NONREF
                                 : AVDISCARD_DEFAULT;
        while ((ret = avcodec_send_packet(p->dec, pkt)) == AVERROR(EAGAIN))
            if ((ret = drain_decoder(p)) < 0)
                return ret;
        if (ret < 0 && (ret = decode_error(p, ret, i)) < 0)
            return ret;
        if ((ret = drain_decoder(p)) < 0)
            return ret;
    }
    if ((ret = avcodec_send_packet(p->dec, NULL)) < 0 && (ret = decode_error(p, ret, -1)) < 0)
        return ret;
    if ((ret = drain_decoder(p)) < 0)
        return ret;
    return take_frame(p, NULL);
}

static int run_frames(seg_run *p)
{
    int ret;
    for (int i = 0; i < p->seg->frames.n; i++)
        if ((ret = take_frame(p, p->seg->frames.v[i])) < 0)
            return ret;
    return take_frame(p, NULL);
}

/* Fault injection, for tests only: with VTPOOL_FAULT_CRASH=JOB:SEGMENT in
 * the environment, a worker crashes (abort) when it starts that segment, as
 * a codec with a memory error would. */
static void injected_fault(const vtp_segment *seg)
{
    const char *spec = getenv("VTPOOL_FAULT_CRASH");
    unsigned long long job;
    unsigned index;
    if (spec && sscanf(spec, "%llu:%u", &job, &index) == 2 && job == seg->job_id &&
        index == seg->index)
        abort();
}

/* Some encoders (libaom in FFmpeg 5.1) give their global header as side
 * data of the first packet rather than as extradata; packets travel without
 * side data, so it moves into the parameters here. */
static int take_new_extradata(AVCodecParameters *par, const vtp_pktlist *pkts)
{
    if (par->extradata_size > 0)
        return 0;
    for (int i = 0; i < pkts->n; i++) {
        size_t size;
        const uint8_t *side = av_packet_get_side_data(pkts->v[i], AV_PKT_DATA_NEW_EXTRADATA,
                                                      &size);
        if (!side || size == 0 || size > INT_MAX - AV_INPUT_BUFFER_PADDING_SIZE)
            continue;
        uint8_t *extra = av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!extra)
            return VTP_ERR_NOMEM;
        memcpy(extra, side, size);
        av_freep(&par->extradata);
        par->extradata = extra;
        par->extradata_size = (int)size;
        return 0;
    }
    return 0;
}

int vtp_pipeline_run(const vtp_segment *seg, vtp_result *res, const atomic_int *cancel)
{
    return vtp_pipeline_run_progress(seg, res, cancel, NULL, NULL);
}

/* Sets up output i of the segment: options o, its stream in the result. */
static int add_output(seg_run *p, const vtp_enc_opts *o, AVCodecParameters *par,
                      AVRational *tb, vtp_pktlist *pkts)
{
    seg_out *out = &p->out[p->nout++];
    out->opts = o;
    out->par = par;
    out->time_base = tb;
    out->pkts = pkts;
    *tb = p->seg->time_base;
    if (!(out->codec = avcodec_find_encoder_by_name(o->encoder ? o->encoder : "")))
        return fail(p, VTP_ERR_ENCODER, "unknown encoder '%s'", o->encoder ? o->encoder : "");
    if (av_dict_copy(&out->codec_opts, o->codec_opts, 0) < 0)
        return fail(p, VTP_ERR_NOMEM, "segment %u", p->seg->index);
    return 0;
}

static int setup(seg_run *p, vtp_twopass *tp)
{
    const vtp_segment *seg = p->seg;
    vtp_result *res = p->res;
    char why[512];
    int ret;

    if (!p->frame || !p->filtered || !p->pkt)
        return fail(p, VTP_ERR_NOMEM, "segment %u", seg->index);
    if (seg->nmore >= VTP_MAX_OUTPUTS)
        return fail(p, VTP_ERR_USAGE, "segment %u has %d renditions, over %d", seg->index,
                    seg->nmore + 1, VTP_MAX_OUTPUTS);
    if (seg->nmore && (seg->flags & (VTP_SEG_PASS1 | VTP_SEG_PASS2)))
        return fail(p, VTP_ERR_USAGE, "segment %u: two-pass encoding of a ladder", seg->index);
    if ((ret = vtp_result_set_more(res, seg->nmore)) < 0)
        return fail(p, ret, "segment %u", seg->index);
    if ((ret = add_output(p, &seg->opts, res->par, &res->time_base, &res->pkts)) < 0)
        return ret;
    for (int i = 0; i < seg->nmore; i++)
        if ((ret = add_output(p, &seg->more[i], res->more[i].par, &res->more[i].time_base,
                              &res->more[i].pkts)) < 0)
            return ret;
    if ((ret = vtp_twopass_begin(tp, seg, p->out[0].codec->name, &p->out[0].codec_opts, why,
                                 sizeof(why))) < 0)
        return fail(p, ret, "%s", why);
    return 0;
}

int vtp_pipeline_run_progress(const vtp_segment *seg, vtp_result *res, const atomic_int *cancel,
                              vtp_progress_fn progress, void *opaque)
{
    seg_run p = {.seg = seg, .res = res, .cancel = cancel, .last_ts = AV_NOPTS_VALUE,
                 .progress = progress, .opaque = opaque, .reported_ms = vtp_clock_ms()};
    double cpu0 = vtp_clock_thread_cpu();
    int ret;

    res->job_id = seg->job_id;
    res->index = seg->index;
    res->time_base = seg->time_base;
    vtp_log_clear_av_error();
    injected_fault(seg);

    vtp_twopass tp = {0};
    char why[512];
    p.frame = av_frame_alloc();
    p.filtered = av_frame_alloc();
    p.pkt = av_packet_alloc();
    if ((ret = setup(&p, &tp)) >= 0)
        ret = seg->kind == VTP_SEG_FRAMES ? run_frames(&p) : run_packets(&p);

    for (int i = 0; i < p.nout; i++) {
        seg_out *o = &p.out[i];
        if (ret >= 0 && o->enc && (ret = avcodec_parameters_from_context(o->par, o->enc)) < 0)
            fail(&p, ret, "encoder parameters");
        if (ret >= 0 && o->enc && (ret = take_new_extradata(o->par, o->pkts)) < 0)
            fail(&p, ret, "encoder parameters");
    }
    /* The encoder completes its two-pass files as it closes (one that never
     * opened, with no frame in range, leaves no record). */
    int opened = p.nout > 0 && p.out[0].enc != NULL;
    for (int i = 0; i < p.nout; i++)
        avcodec_free_context(&p.out[i].enc);
    if (ret >= 0 && opened && (ret = vtp_twopass_take(&tp, &res->pass, why, sizeof(why))) < 0)
        fail(&p, ret, "%s", why);
    vtp_twopass_end(&tp);
    if (ret >= 0) {
        res->frames = p.nout > 0 ? p.out[0].frames_in : 0;
        res->frames_counted = p.frames_counted;
    } else {
        vtp_pktlist_clear(&res->pkts);
        vtp_result_set_more(res, 0);
        vtp_passlog_clear(&res->pass);
    }
    res->cpu_seconds = vtp_clock_thread_cpu() - cpu0;

    avcodec_free_context(&p.dec);
    for (int i = 0; i < p.nout; i++)
        av_dict_free(&p.out[i].codec_opts);
    free_graphs(&p);
    av_frame_free(&p.frame);
    av_frame_free(&p.filtered);
    av_packet_free(&p.pkt);
    return ret < 0 ? ret : 0;
}

const vtp_encoders *vtp_worker_encoders(void)
{
    static const vtp_encoders table = {
        .check = vtp_pipeline_check,
        .twopass = vtp_twopass_supported,
        .level = vtp_twopass_level,
    };
    return &table;
}
