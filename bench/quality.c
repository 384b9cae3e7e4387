/* quality.c -- the price of cutting: `vtpool bench --quality`.
 *
 * Encodes the input once as a single segment and once per segment length,
 * at the same settings (one codec thread per segment, since x264's frame
 * threads cost a little quality of their own; no finer tail), and compares each output with the input: video
 * bitrate (from the packets), and PSNR and SSIM averaged over all frames
 * (libavfilter's psnr and ssim filters, reading both files with `movie`).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>


#include "vtp_bench.h"
#include "vtp_encode.h"
#include "vtp_error.h"

/* Video bitrate of a file, from its packet sizes and time span. */
static int video_bitrate(const char *path, double *kbps)
{
    AVFormatContext *in = NULL;
    AVPacket *pkt = av_packet_alloc();
    int64_t bytes = 0, first = AV_NOPTS_VALUE, last = AV_NOPTS_VALUE;
    int ret = VTP_ERR_NOMEM, vidx;

    if (!pkt || (ret = avformat_open_input(&in, path, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(in, NULL)) < 0 ||
        (ret = vidx = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0)) < 0)
        goto end;
    while (av_read_frame(in, pkt) >= 0) {
        if (pkt->stream_index == vidx) {
            bytes += pkt->size;
            int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            if (ts != AV_NOPTS_VALUE) {
                int64_t end = ts + (pkt->duration > 0 ? pkt->duration : 0);
                first = first == AV_NOPTS_VALUE || ts < first ? ts : first;
                last = last == AV_NOPTS_VALUE || end > last ? end : last;
            }
        }
        av_packet_unref(pkt);
    }
    double secs = first != AV_NOPTS_VALUE ? (double)(last - first) *
                                                av_q2d(in->streams[vidx]->time_base) : 0;
    *kbps = secs > 0 ? (double)bytes * 8 / secs / 1000 : 0;
    ret = 0;
end:
    avformat_close_input(&in);
    av_packet_free(&pkt);
    return ret;
}

/* Average PSNR (dB) and SSIM of dist against ref over all frames. */
static int compare(const char *dist, const char *ref, double *psnr, double *ssim, char *why,
                   size_t ws)
{
    char desc[9000];
    AVFilterGraph *graph = avfilter_graph_alloc();
    AVFilterContext *sink = NULL;
    AVFilterInOut *out = avfilter_inout_alloc();
    AVFrame *f = av_frame_alloc();
    double sum_p = 0, sum_s = 0;
    int n = 0, ret = VTP_ERR_NOMEM;

    if (!graph || !out || !f)
        goto end;
    graph->nb_threads = 1;
    /* Both decoded to the same format, compared frame by frame in order. */
    snprintf(desc, sizeof(desc),
             "movie=filename=%s,format=yuv420p,setpts=PTS-STARTPTS[d];"
             "movie=filename=%s,format=yuv420p,setpts=PTS-STARTPTS,split[r1][r2];"
             "[d][r1]psnr[p];[p][r2]ssim",
             dist, ref);
    if ((ret = avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out",
                                            NULL, NULL, graph)) < 0)
        goto end;
    out->name = av_strdup("out");
    out->filter_ctx = sink;
    AVFilterInOut *in = NULL;
    if ((ret = avfilter_graph_parse_ptr(graph, desc, &out, &in, NULL)) < 0 ||
        (ret = avfilter_graph_config(graph, NULL)) < 0) {
        avfilter_inout_free(&in);
        snprintf(why, ws, "quality: cannot compare '%s' with '%s': %s", dist, ref,
                 av_err2str(ret));
        goto end;
    }
    avfilter_inout_free(&in);
    while ((ret = av_buffersink_get_frame(sink, f)) >= 0) {
        AVDictionaryEntry *p = av_dict_get(f->metadata, "lavfi.psnr.psnr_avg", NULL, 0);
        AVDictionaryEntry *s = av_dict_get(f->metadata, "lavfi.ssim.All", NULL, 0);
        if (p && s) {
            double pv = strtod(p->value, NULL);
            sum_p += pv > 100 ? 100 : pv;   /* identical frames give inf */
            sum_s += strtod(s->value, NULL);
            n++;
        }
        av_frame_unref(f);
    }
    ret = n > 0 ? 0 : VTP_ERR_SEGMENT;
    *psnr = n ? sum_p / n : 0;
    *ssim = n ? sum_s / n : 0;
    if (ret < 0)
        snprintf(why, ws, "quality: no frame of '%s' could be compared", dist);
end:
    avfilter_inout_free(&out);
    avfilter_graph_free(&graph);
    av_frame_free(&f);
    return ret;
}

/* Makes the temporary directory dir (a mkdtemp template) and ref in it, a
 * link to input: the movie filter reads a path inside a filter graph, so
 * it gets one without characters that graph syntax would need escaped. */
static int make_workdir(const char *input, char *dir, char *ref, size_t ref_size, char *why,
                        size_t ws)
{
    if (!mkdtemp(dir)) {
        snprintf(why, ws, "cannot make a temporary directory");
        return VTP_ERR_OUTPUT;
    }
    char *abs_in = realpath(input, NULL);
    snprintf(ref, ref_size, "%s/ref", dir);
    if (!abs_in || symlink(abs_in, ref) != 0) {
        free(abs_in);
        rmdir(dir);
        snprintf(why, ws, "cannot read '%s'", input);
        return VTP_ERR_INPUT;
    }
    free(abs_in);
    return 0;
}

int vtp_bench_quality(const vtp_bench_cfg *cfg, const double *lengths, int nlengths, char *why,
                      size_t ws)
{
    char dir[] = "/tmp/vtpool-quality-XXXXXX", out[128], ref[160];
    double ref_kbps = 0, ref_psnr = 0, ref_ssim = 0;
    int ret;

    if ((ret = make_workdir(cfg->input, dir, ref, sizeof(ref), why, ws)) < 0)
        return ret;
    printf("%10s %10s %8s %8s %9s %9s %9s\n", "segment s", "kbps", "PSNR dB", "SSIM",
           "bitrate", "dPSNR", "dSSIM");
    for (int i = -1; i < nlengths && ret == 0; i++) {
        /* i = -1: the whole input as one segment, the reference. */
        snprintf(out, sizeof(out), "%s/q%d.mkv", dir, i + 1);
        vtp_encode_cfg ec = {
            .input = cfg->input,
            .output = out,
            .opts = cfg->opts,
            .audio = "none",
            .jobs = 0,
            .segment_seconds = i < 0 ? 86400 : lengths[i],
            .fixed_segments = 1,    /* the price of the length alone */
            .overwrite = 1,
        };
        double kbps = 0, psnr = 0, ssim = 0;
        if ((ret = vtp_encode_run(&ec, why, ws)) < 0 ||
            (ret = video_bitrate(out, &kbps)) < 0 ||
            (ret = compare(out, ref, &psnr, &ssim, why, ws)) < 0)
            break;
        if (i < 0) {
            ref_kbps = kbps, ref_psnr = psnr, ref_ssim = ssim;
            printf("%10s %10.1f %8.3f %8.5f %9s %9s %9s\n", "whole", kbps, psnr, ssim, "-", "-",
                   "-");
        } else {
            printf("%10g %10.1f %8.3f %8.5f %+8.2f%% %+9.3f %+9.5f\n", lengths[i], kbps, psnr,
                   ssim, ref_kbps > 0 ? 100 * (kbps / ref_kbps - 1) : 0, psnr - ref_psnr,
                   ssim - ref_ssim);
        }
        fflush(stdout);
        unlink(out);
    }
    unlink(out);
    unlink(ref);
    rmdir(dir);
    return ret;
}

/* ---- the default plan at equal quality: BD-rate ---- */

/* c[0..3] of the cubic through the 4 points (x[i], y[i]), in powers of
 * (x - x0). 0, or -1 when two x are equal. */
static int cubic_through(const double *x, const double *y, double x0, double c[4])
{
    double m[4][5];
    for (int i = 0; i < 4; i++) {
        double p = 1, d = x[i] - x0;
        for (int k = 0; k < 4; k++, p *= d)
            m[i][k] = p;
        m[i][4] = y[i];
    }
    for (int col = 0; col < 4; col++) {
        int best = col;
        for (int r = col + 1; r < 4; r++)
            if (fabs(m[r][col]) > fabs(m[best][col]))
                best = r;
        if (fabs(m[best][col]) < 1e-12)
            return -1;
        for (int k = 0; k < 5; k++) {
            double t = m[col][k];
            m[col][k] = m[best][k];
            m[best][k] = t;
        }
        for (int r = 0; r < 4; r++) {
            if (r == col)
                continue;
            double f = m[r][col] / m[col][col];
            for (int k = col; k < 5; k++)
                m[r][k] -= f * m[col][k];
        }
    }
    for (int k = 0; k < 4; k++)
        c[k] = m[k][4] / m[k][k];
    return 0;
}

/* The integral of the cubic c (around x0) from a to b. */
static double cubic_integral(const double c[4], double x0, double a, double b)
{
    double s = 0;
    for (int k = 0; k < 4; k++)
        s += c[k] * (pow(b - x0, k + 1) - pow(a - x0, k + 1)) / (k + 1);
    return s;
}

double vtp_bd_rate(const double *rate_a, const double *q_a, const double *rate_b,
                   const double *q_b)
{
    double la[4], lb[4], ca[4], cb[4];
    double lo_a = q_a[0], hi_a = q_a[0], lo_b = q_b[0], hi_b = q_b[0], x0 = 0;
    for (int i = 0; i < 4; i++) {
        if (!(rate_a[i] > 0) || !(rate_b[i] > 0))
            return NAN;
        la[i] = log10(rate_a[i]);
        lb[i] = log10(rate_b[i]);
        lo_a = fmin(lo_a, q_a[i]), hi_a = fmax(hi_a, q_a[i]);
        lo_b = fmin(lo_b, q_b[i]), hi_b = fmax(hi_b, q_b[i]);
        x0 += (q_a[i] + q_b[i]) / 8;
    }
    double lo = fmax(lo_a, lo_b), hi = fmin(hi_a, hi_b);
    if (!(hi > lo) || cubic_through(q_a, la, x0, ca) < 0 || cubic_through(q_b, lb, x0, cb) < 0)
        return NAN;
    double diff = (cubic_integral(cb, x0, lo, hi) - cubic_integral(ca, x0, lo, hi)) / (hi - lo);
    return (pow(10, diff) - 1) * 100;
}

/* One encode of a quality point: the input at crf, or in two passes at
 * rate (bit/s) when cfg->passes is 2, as cfg says. */
static int quality_point(const vtp_bench_cfg *cfg, const char *out, const char *ref, int crf,
                         int64_t rate, int jobs, int whole, double *kbps, double *psnr,
                         double *ssim, char *why, size_t ws)
{
    vtp_enc_opts opts;
    char v[32];
    vtp_enc_opts_init(&opts);
    if (cfg->passes == 2)
        snprintf(v, sizeof(v), "%lld", (long long)rate);
    else
        snprintf(v, sizeof(v), "%d", crf);
    int ret = vtp_enc_opts_copy(&opts, &cfg->opts);
    if (ret >= 0 && av_dict_set(&opts.codec_opts, cfg->passes == 2 ? "b" : "crf", v, 0) < 0)
        ret = VTP_ERR_NOMEM;
    vtp_encode_cfg ec = {
        .input = cfg->input,
        .output = out,
        .opts = opts,
        .audio = "none",
        .jobs = jobs,
        .segment_seconds = whole ? 86400 : 0,
        .fixed_segments = whole,
        .overwrite = 1,
        .passes = cfg->passes,
    };
    if (ret >= 0 && (ret = vtp_encode_run(&ec, why, ws)) >= 0 &&
        (ret = video_bitrate(out, kbps)) >= 0)
        ret = compare(out, ref, psnr, ssim, why, ws);
    vtp_enc_opts_clear(&opts);
    unlink(out);
    return ret;
}

int vtp_bench_quality_plan(const vtp_bench_cfg *cfg, const int *workers, int nworkers, char *why,
                           size_t ws)
{
    static const int crfs[4] = {19, 23, 27, 31};
    static const double scale[4] = {1.5, 1, 0.75, 0.5};   /* of -b, two passes */
    int64_t rates[4] = {0};
    if (cfg->passes == 2) {
        int64_t base = vtp_enc_opts_bitrate(&cfg->opts);
        if (base <= 0)
            return snprintf(why, ws, "two-pass points need a bitrate (-b)"), VTP_ERR_USAGE;
        for (int k = 0; k < 4; k++)
            rates[k] = (int64_t)(base * scale[k]);
    }
    char dir[] = "/tmp/vtpool-quality-XXXXXX", out[128], ref[160];
    double kbps[VTP_BENCH_MAX_COUNTS + 1][4], psnr[VTP_BENCH_MAX_COUNTS + 1][4],
        ssim[VTP_BENCH_MAX_COUNTS + 1][4];
    int ret = 0;

    if ((ret = make_workdir(cfg->input, dir, ref, sizeof(ref), why, ws)) < 0)
        return ret;
    snprintf(out, sizeof(out), "%s/q.mkv", dir);
    printf("%10s %6s %10s %8s %8s\n", "workers", cfg->passes == 2 ? "-b k" : "crf", "kbps",
           "PSNR dB", "SSIM");
    /* Row 0: one encoder, one thread, the whole input; then each count
     * with the default plan. */
    for (int w = 0; w <= nworkers && ret >= 0; w++) {
        for (int k = 0; k < 4 && ret >= 0; k++) {
            ret = quality_point(cfg, out, ref, crfs[k], rates[k], w ? workers[w - 1] : 1, !w,
                                &kbps[w][k], &psnr[w][k], &ssim[w][k], why, ws);
            if (ret >= 0) {
                char label[16];
                snprintf(label, sizeof(label), "%d", w ? workers[w - 1] : 0);
                printf("%10s %6lld %10.1f %8.3f %8.5f\n", w ? label : "whole",
                       cfg->passes == 2 ? (long long)(rates[k] / 1000) : (long long)crfs[k],
                       kbps[w][k], psnr[w][k], ssim[w][k]);
                fflush(stdout);
            }
        }
    }
    if (ret >= 0) {
        printf("\n%10s %14s %14s\n", "workers", "BD-rate PSNR", "BD-rate SSIM");
        for (int w = 1; w <= nworkers; w++) {
            double ss0[4], ssw[4];
            for (int k = 0; k < 4; k++) {     /* SSIM in dB, as x264 reports it */
                ss0[k] = -10 * log10(fmax(1 - ssim[0][k], 1e-10));
                ssw[k] = -10 * log10(fmax(1 - ssim[w][k], 1e-10));
            }
            printf("%10d %+13.2f%% %+13.2f%%\n", workers[w - 1],
                   vtp_bd_rate(kbps[0], psnr[0], kbps[w], psnr[w]),
                   vtp_bd_rate(kbps[0], ss0, kbps[w], ssw));
        }
    }
    unlink(ref);
    rmdir(dir);
    return ret;
}
