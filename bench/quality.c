/* quality.c -- the price of cutting: `vtpool bench --quality`.
 *
 * Encodes the input once as a single segment and once per segment length,
 * at the same settings (one codec thread per segment, since x264's frame
 * threads cost a little quality of their own; no finer tail), and compares each output with the input: video
 * bitrate (from the packets), and PSNR and SSIM averaged over all frames
 * (libavfilter's psnr and ssim filters, reading both files with `movie`).
 */
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

int vtp_bench_quality(const vtp_bench_cfg *cfg, const double *lengths, int nlengths, char *why,
                      size_t ws)
{
    char dir[] = "/tmp/vtpool-quality-XXXXXX", out[128];
    double ref_kbps = 0, ref_psnr = 0, ref_ssim = 0;
    int ret = 0;

    if (!mkdtemp(dir)) {
        snprintf(why, ws, "cannot make a temporary directory");
        return VTP_ERR_OUTPUT;
    }
    /* The movie filter reads a path inside a filter graph: give it one
     * without characters that graph syntax would need escaped. */
    char ref[160];
    char *abs_in = realpath(cfg->input, NULL);
    snprintf(ref, sizeof(ref), "%s/ref", dir);
    if (!abs_in || symlink(abs_in, ref) != 0) {
        free(abs_in);
        rmdir(dir);
        snprintf(why, ws, "cannot read '%s'", cfg->input);
        return VTP_ERR_INPUT;
    }
    free(abs_in);
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
