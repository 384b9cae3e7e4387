/* baseline.c -- the single-encoder baseline of `vtpool bench`.
 *
 * The whole video stream as one segment through the same pipeline the
 * workers run, with the codecs' own threads set to N: the same decoder,
 * filters and encoder settings, so the only difference from vtpool is how
 * the cores are used.
 */
#include <stdio.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "vtp_bench.h"
#include "vtp_error.h"
#include "vtp_pipeline.h"

int vtp_baseline_run(const char *input, const vtp_enc_opts *opts, int threads, int64_t *frames,
                     char *why, size_t why_size)
{
    AVFormatContext *in = NULL;
    AVPacket *pkt = av_packet_alloc();
    vtp_segment seg;
    vtp_result res;
    int ret;

    memset(&seg, 0, sizeof(seg));
    memset(&res, 0, sizeof(res));
    if (!pkt || (ret = vtp_segment_init(&seg)) < 0 || (ret = vtp_result_init(&res)) < 0) {
        ret = VTP_ERR_NOMEM;
        goto end;
    }
    if ((ret = avformat_open_input(&in, input, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(in, NULL)) < 0 ||
        (ret = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0)) < 0) {
        snprintf(why, why_size, "baseline: cannot read '%s': %s", input, av_err2str(ret));
        goto end;
    }
    int vidx = ret;
    AVStream *st = in->streams[vidx];
    seg.kind = VTP_SEG_PACKETS;
    seg.time_base = st->time_base;
    seg.frame_rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    seg.threads = threads;
    if ((ret = avcodec_parameters_copy(seg.par, st->codecpar)) < 0 ||
        (ret = vtp_enc_opts_copy(&seg.opts, opts)) < 0)
        goto end;
    in->flags |= AVFMT_FLAG_GENPTS;
    while ((ret = av_read_frame(in, pkt)) >= 0) {
        if (pkt->stream_index == vidx && (ret = vtp_pktlist_move(&seg.pkts, pkt)) < 0)
            goto end;
        av_packet_unref(pkt);
    }
    if ((ret = vtp_pipeline_run(&seg, &res, NULL)) < 0) {
        snprintf(why, why_size, "baseline: %s", res.error ? res.error : vtp_strerror(ret));
        goto end;
    }
    *frames = res.frames;
    ret = 0;
end:
    if (ret < 0 && !why[0])
        snprintf(why, why_size, "baseline: %s", vtp_strerror(ret));
    vtp_result_clear(&res);
    vtp_segment_clear(&seg);
    avformat_close_input(&in);
    av_packet_free(&pkt);
    return ret;
}
