/* audio.c -- one audio stream, decoded and encoded once (see vtp_audio.h). */
#include "vtp_audio.h"

#include <stdio.h>
#include <stdlib.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>

#include "vtp_compat.h"
#include "vtp_error.h"

struct vtp_audio {
    AVCodecContext *dec;
    AVCodecContext *enc;
    AVFilterGraph *graph;
    AVFilterContext *src;
    AVFilterContext *sink;
    AVFrame *frame;
    AVPacket *pkt;
    AVRational in_tb;           /* of the packets and decoded frames */
    AVRational graph_tb;        /* of the filters: one sample, so that the
                                   encoder's frames, cut from the decoder's,
                                   keep exact times (a time base of one MP3
                                   frame, as AVI has, would repeat them) */
    int skip;                   /* --on-error skip */
    int64_t skipped;            /* packets that did not decode, dropped */
};

void vtp_audio_set_skip(vtp_audio *a, int skip)
{
    a->skip = skip;
}

int64_t vtp_audio_skipped(const vtp_audio *a)
{
    return a->skipped;
}

/* A decoding error: damage, dropped and counted when skipping. */
static int damaged(vtp_audio *a)
{
    if (!a->skip)
        return VTP_ERR_TRUNCATED;
    a->skipped++;
    return 0;
}

static int pick_rate(const AVCodec *c, int want)
{
    const int *rates = vtp_codec_sample_rates(c);
    if (!rates)
        return want;
    int best = rates[0];
    for (const int *r = rates; *r; r++) {
        if (*r == want)
            return want;
        if (abs(*r - want) < abs(best - want))
            best = *r;
    }
    return best;
}

static int pick_layout(const AVCodec *c, const AVChannelLayout *in, AVChannelLayout *out)
{
    /* A layout that only counts channels (AVI's PCM, say) is taken for the
     * usual one of that count, as ffmpeg guesses it. */
    AVChannelLayout guessed = {0};
    const AVChannelLayout *want = in;
    if (in->order == AV_CHANNEL_ORDER_UNSPEC) {
        av_channel_layout_default(&guessed, in->nb_channels);
        want = &guessed;
    }
    const AVChannelLayout *layouts = vtp_codec_ch_layouts(c);
    if (!layouts)
        return av_channel_layout_copy(out, want);
    for (const AVChannelLayout *l = layouts; l->nb_channels; l++)
        if (!av_channel_layout_compare(l, want))
            return av_channel_layout_copy(out, want);
    for (const AVChannelLayout *l = layouts; l->nb_channels; l++)
        if (l->nb_channels == want->nb_channels)
            return av_channel_layout_copy(out, l);
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    return av_channel_layout_copy(out, &stereo);
}

static int build_graph(vtp_audio *a, AVRational in_tb)
{
    char args[512], layout[128], fmt[512];
    AVFilterInOut *in = avfilter_inout_alloc(), *out = avfilter_inout_alloc();
    int ret = VTP_ERR_NOMEM;

    if (!(a->graph = avfilter_graph_alloc()) || !in || !out)
        goto end;
    av_channel_layout_describe(&a->dec->ch_layout, layout, sizeof(layout));
    snprintf(args, sizeof(args), "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
             in_tb.num, in_tb.den, a->dec->sample_rate,
             av_get_sample_fmt_name(a->dec->sample_fmt), layout);
    if ((ret = avfilter_graph_create_filter(&a->src, avfilter_get_by_name("abuffer"), "in", args,
                                            NULL, a->graph)) < 0 ||
        (ret = avfilter_graph_create_filter(&a->sink, avfilter_get_by_name("abuffersink"), "out",
                                            NULL, NULL, a->graph)) < 0)
        goto end;
    av_channel_layout_describe(&a->enc->ch_layout, layout, sizeof(layout));
    snprintf(fmt, sizeof(fmt), "aformat=sample_fmts=%s:sample_rates=%d:channel_layouts=%s",
             av_get_sample_fmt_name(a->enc->sample_fmt), a->enc->sample_rate, layout);
    out->name = av_strdup("in");
    out->filter_ctx = a->src;
    in->name = av_strdup("out");
    in->filter_ctx = a->sink;
    if ((ret = avfilter_graph_parse_ptr(a->graph, fmt, &in, &out, NULL)) < 0 ||
        (ret = avfilter_graph_config(a->graph, NULL)) < 0)
        goto end;
    if (a->enc->frame_size > 0 && !(a->enc->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
        av_buffersink_set_frame_size(a->sink, (unsigned)a->enc->frame_size);
    ret = 0;
end:
    avfilter_inout_free(&in);
    avfilter_inout_free(&out);
    return ret;
}

vtp_audio *vtp_audio_new(const AVCodecParameters *in_par, AVRational in_tb, const char *encoder,
                         int global_header, AVCodecParameters *out_par, AVRational *out_tb,
                         char *why, size_t why_size)
{
    vtp_audio *a = calloc(1, sizeof(*a));
    const AVCodec *dc = avcodec_find_decoder(in_par->codec_id);
    const AVCodec *ec = avcodec_find_encoder_by_name(encoder);
    int ret = VTP_ERR_NOMEM;

    if (!a)
        goto fail;
    if (!dc) {
        snprintf(why, why_size, "no decoder for audio codec %s", avcodec_get_name(in_par->codec_id));
        goto fail;
    }
    if (!ec || ec->type != AVMEDIA_TYPE_AUDIO) {
        snprintf(why, why_size, "unknown audio encoder '%s'", encoder);
        goto fail;
    }
    if (!(a->dec = avcodec_alloc_context3(dc)) || !(a->enc = avcodec_alloc_context3(ec)) ||
        !(a->frame = av_frame_alloc()) || !(a->pkt = av_packet_alloc()))
        goto fail;
    if ((ret = avcodec_parameters_to_context(a->dec, in_par)) < 0)
        goto fail_av;
    a->dec->pkt_timebase = in_tb;
    if ((ret = avcodec_open2(a->dec, dc, NULL)) < 0)
        goto fail_av;

    const enum AVSampleFormat *sample_fmts = vtp_codec_sample_fmts(ec);
    a->enc->sample_fmt = sample_fmts ? sample_fmts[0] : a->dec->sample_fmt;
    a->enc->sample_rate = pick_rate(ec, a->dec->sample_rate);
    if ((ret = pick_layout(ec, &a->dec->ch_layout, &a->enc->ch_layout)) < 0)
        goto fail_av;
    a->enc->time_base = (AVRational){1, a->enc->sample_rate};
    if (global_header)
        a->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    a->in_tb = in_tb;
    a->graph_tb = (AVRational){1, a->dec->sample_rate > 0 ? a->dec->sample_rate : 48000};
    if ((ret = avcodec_open2(a->enc, ec, NULL)) < 0 || (ret = build_graph(a, a->graph_tb)) < 0 ||
        (ret = avcodec_parameters_from_context(out_par, a->enc)) < 0)
        goto fail_av;
    *out_tb = a->enc->time_base;
    return a;

fail_av:
    snprintf(why, why_size, "audio %s -> %s: %s", dc->name, encoder, av_err2str(ret));
fail:
    vtp_audio_destroy(&a);
    return NULL;
}

static int drain_encoder(vtp_audio *a, vtp_audio_emit_fn emit, void *opaque)
{
    int ret;
    while ((ret = avcodec_receive_packet(a->enc, a->pkt)) >= 0)
        if ((ret = emit(opaque, a->pkt)) < 0)
            return ret;
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

static int drain_filters(vtp_audio *a, vtp_audio_emit_fn emit, void *opaque)
{
    AVRational tb = av_buffersink_get_time_base(a->sink);
    int ret;
    while ((ret = av_buffersink_get_frame(a->sink, a->frame)) >= 0) {
        if (a->frame->pts != AV_NOPTS_VALUE)
            a->frame->pts = av_rescale_q(a->frame->pts, tb, a->enc->time_base);
        ret = avcodec_send_frame(a->enc, a->frame);
        av_frame_unref(a->frame);
        if (ret < 0 || (ret = drain_encoder(a, emit, opaque)) < 0)
            return ret;
    }
    if (ret == AVERROR_EOF) {
        if ((ret = avcodec_send_frame(a->enc, NULL)) < 0)
            return ret;
        return drain_encoder(a, emit, opaque);
    }
    return ret == AVERROR(EAGAIN) ? 0 : ret;
}

int vtp_audio_send(vtp_audio *a, const AVPacket *pkt, vtp_audio_emit_fn emit, void *opaque)
{
    int ret = avcodec_send_packet(a->dec, pkt);
    if (ret < 0 && ret != AVERROR_EOF && ret != AVERROR(EAGAIN))
        return damaged(a);
    for (;;) {
        ret = avcodec_receive_frame(a->dec, a->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            if ((ret = damaged(a)) < 0)
                return ret;
            continue;
        }
        if (a->frame->pts != AV_NOPTS_VALUE)
            a->frame->pts = av_rescale_q(a->frame->pts, a->in_tb, a->graph_tb);
        ret = av_buffersrc_add_frame(a->src, a->frame);
        av_frame_unref(a->frame);
        if (ret < 0 || (ret = drain_filters(a, emit, opaque)) < 0)
            return ret;
    }
    if (ret == AVERROR_EOF) {
        if ((ret = av_buffersrc_add_frame(a->src, NULL)) < 0)
            return ret;
        return drain_filters(a, emit, opaque);
    }
    return ret == AVERROR(EAGAIN) ? 0 : ret;
}

void vtp_audio_destroy(vtp_audio **self_p)
{
    vtp_audio *a = *self_p;
    if (!a)
        return;
    avcodec_free_context(&a->dec);
    avcodec_free_context(&a->enc);
    avfilter_graph_free(&a->graph);
    av_frame_free(&a->frame);
    av_packet_free(&a->pkt);
    free(a);
    *self_p = NULL;
}
