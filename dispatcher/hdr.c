/* hdr.c -- HDR10 static metadata from input to encoder and container (see
 * vtp_hdr.h). */
#include "vtp_hdr.h"

#include <stdio.h>
#include <string.h>

#include <libavutil/avstring.h>
#include <libavutil/pixdesc.h>

#include "vtp_codecpar.h"
#include "vtp_compat.h"
#include "vtp_error.h"
#include "vtp_log.h"

#define PROBE_MAX_PACKETS 256   /* read before giving up on the first frame */

static void take_mastering(vtp_hdr *h, const AVMasteringDisplayMetadata *m)
{
    if (!h->has_mastering && m && (m->has_primaries || m->has_luminance)) {
        h->mastering = *m;
        h->has_mastering = 1;
    }
}

static void take_light(vtp_hdr *h, const AVContentLightMetadata *l)
{
    if (!h->has_light && l && (l->MaxCLL || l->MaxFALL)) {
        h->light = *l;
        h->has_light = 1;
    }
}

/* Decodes the first frame of the video stream and takes its side data. */
static void probe_first_frame(int vidx, const char *path, vtp_hdr *h)
{
    AVFormatContext *in = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    const AVCodec *dc;

    if (!pkt || !f || avformat_open_input(&in, path, NULL, NULL) < 0 ||
        (unsigned)vidx >= in->nb_streams ||
        !(dc = avcodec_find_decoder(in->streams[vidx]->codecpar->codec_id)) ||
        !(dec = avcodec_alloc_context3(dc)) ||
        avcodec_parameters_to_context(dec, in->streams[vidx]->codecpar) < 0)
        goto end;
    dec->thread_count = 1;
    dec->max_pixels = VTP_MAX_DECODE_PIXELS;
    if (avcodec_open2(dec, dc, NULL) < 0)
        goto end;
    for (int n = 0; n < PROBE_MAX_PACKETS && av_read_frame(in, pkt) >= 0; av_packet_unref(pkt)) {
        if (pkt->stream_index != vidx)
            continue;
        n++;
        if (avcodec_send_packet(dec, pkt) < 0)
            continue;
        if (avcodec_receive_frame(dec, f) >= 0) {
            const AVFrameSideData *sd;
            if ((sd = av_frame_get_side_data(f, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA)))
                take_mastering(h, (const AVMasteringDisplayMetadata *)sd->data);
            if ((sd = av_frame_get_side_data(f, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL)))
                take_light(h, (const AVContentLightMetadata *)sd->data);
            h->dynamic |= av_frame_get_side_data(f, AV_FRAME_DATA_DYNAMIC_HDR_PLUS) != NULL;
            h->dovi |= av_frame_get_side_data(f, AV_FRAME_DATA_DOVI_RPU_BUFFER) != NULL ||
                       av_frame_get_side_data(f, AV_FRAME_DATA_DOVI_METADATA) != NULL;
            break;
        }
    }
end:
    av_packet_free(&pkt);
    av_frame_free(&f);
    avcodec_free_context(&dec);
    avformat_close_input(&in);
}

void vtp_hdr_probe(const AVFormatContext *in, int vidx, const char *path, vtp_hdr *h)
{
    const AVStream *st = in->streams[vidx];
    memset(h, 0, sizeof(*h));
    take_mastering(h, (const AVMasteringDisplayMetadata *)vtp_stream_side_data(
                          st, AV_PKT_DATA_MASTERING_DISPLAY_METADATA,
                          sizeof(AVMasteringDisplayMetadata)));
    take_light(h, (const AVContentLightMetadata *)vtp_stream_side_data(
                      st, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, sizeof(AVContentLightMetadata)));
    h->dovi = vtp_stream_side_data(st, AV_PKT_DATA_DOVI_CONF, 1) != NULL;
    /* HDR video is PQ or HLG, at 10 bits or more; a container may not say
     * the transfer (FFmpeg 7 leaves it to the bitstream), so any deep video
     * without a stated SDR transfer is looked at too. */
    enum AVColorTransferCharacteristic trc = st->codecpar->color_trc;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(st->codecpar->format);
    int hdr_trc = trc == AVCOL_TRC_SMPTE2084 || trc == AVCOL_TRC_ARIB_STD_B67;
    int deep = d && d->comp[0].depth >= 10 && trc == AVCOL_TRC_UNSPECIFIED;
    if (hdr_trc || deep)
        probe_first_frame(vidx, path, h);
}

void vtp_hdr_warn_dropped(const vtp_hdr *h, const char *encoder)
{
    if (h->dovi)
        vtp_log(VTP_LOG_WARNING, "the input carries Dolby Vision metadata, which vtpool does not "
                "pass to %s: the output has the base layer%s only", encoder,
                h->has_mastering ? " and its HDR10 metadata" : "");
    if (h->dynamic)
        vtp_log(VTP_LOG_WARNING, "the input carries HDR10+ dynamic metadata, which vtpool does "
                "not pass to %s: the output has the static HDR10 metadata only", encoder);
}

/* Appends "key=value" to the ':'-separated list in option `name`, unless
 * the list already sets key. */
static int append_param(AVDictionary **opts, const char *name, const char *key, const char *value)
{
    const AVDictionaryEntry *e = av_dict_get(*opts, name, NULL, 0);
    char want[64];
    snprintf(want, sizeof(want), "%s=", key);
    if (e && strstr(e->value, want))
        return 0;
    char *v = av_asprintf("%s%s%s=%s", e ? e->value : "", e && *e->value ? ":" : "", key, value);
    if (!v)
        return VTP_ERR_NOMEM;
    int ret = av_dict_set(opts, name, v, AV_DICT_DONT_STRDUP_VAL);
    return ret < 0 ? VTP_ERR_NOMEM : 0;
}

/* x265 counts chromaticity in 1/50000 and luminance in 1/10000 cd/m2. */
static unsigned scaled(AVRational q, int unit)
{
    return q.den > 0 ? (unsigned)av_rescale(q.num, unit, q.den) : 0;
}

int vtp_hdr_encoder_opts(const vtp_hdr *h, const char *encoder, AVDictionary **opts)
{
    const AVMasteringDisplayMetadata *m = &h->mastering;
    char md[256] = "", cl[64] = "";
    int ret;

    if (!h->has_mastering && !h->has_light)
        return 1;
    if (!strcmp(encoder, "libx265")) {
        /* Primaries in G, B, R order; AVMasteringDisplayMetadata holds R, G, B. */
        if (h->has_mastering)
            snprintf(md, sizeof(md), "G(%u,%u)B(%u,%u)R(%u,%u)WP(%u,%u)L(%u,%u)",
                     scaled(m->display_primaries[1][0], 50000),
                     scaled(m->display_primaries[1][1], 50000),
                     scaled(m->display_primaries[2][0], 50000),
                     scaled(m->display_primaries[2][1], 50000),
                     scaled(m->display_primaries[0][0], 50000),
                     scaled(m->display_primaries[0][1], 50000), scaled(m->white_point[0], 50000),
                     scaled(m->white_point[1], 50000), scaled(m->max_luminance, 10000),
                     scaled(m->min_luminance, 10000));
        if (h->has_light)
            snprintf(cl, sizeof(cl), "%u,%u", h->light.MaxCLL, h->light.MaxFALL);
        if ((md[0] && (ret = append_param(opts, "x265-params", "master-display", md)) < 0) ||
            (cl[0] && (ret = append_param(opts, "x265-params", "max-cll", cl)) < 0))
            return ret;
        return 1;
    }
    if (!strcmp(encoder, "libsvtav1")) {
        if (h->has_mastering)
            snprintf(md, sizeof(md), "G(%.4f,%.4f)B(%.4f,%.4f)R(%.4f,%.4f)WP(%.4f,%.4f)L(%.4f,%.4f)",
                     av_q2d(m->display_primaries[1][0]), av_q2d(m->display_primaries[1][1]),
                     av_q2d(m->display_primaries[2][0]), av_q2d(m->display_primaries[2][1]),
                     av_q2d(m->display_primaries[0][0]), av_q2d(m->display_primaries[0][1]),
                     av_q2d(m->white_point[0]), av_q2d(m->white_point[1]),
                     av_q2d(m->max_luminance), av_q2d(m->min_luminance));
        if (h->has_light)
            snprintf(cl, sizeof(cl), "%u,%u", h->light.MaxCLL, h->light.MaxFALL);
        if ((md[0] && (ret = append_param(opts, "svtav1-params", "mastering-display", md)) < 0) ||
            (cl[0] && (ret = append_param(opts, "svtav1-params", "content-light", cl)) < 0))
            return ret;
        return 1;
    }
    return 0;
}

int vtp_hdr_add_to_stream(const vtp_hdr *h, AVStream *st)
{
    int ret;
    if (h->has_mastering &&
        !vtp_stream_side_data(st, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, 1) &&
        (ret = vtp_stream_add_side_data(st, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, &h->mastering,
                                        sizeof(h->mastering))) < 0)
        return ret;
    if (h->has_light && !vtp_stream_side_data(st, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, 1) &&
        (ret = vtp_stream_add_side_data(st, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, &h->light,
                                        sizeof(h->light))) < 0)
        return ret;
    return 0;
}
