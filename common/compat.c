/* compat.c -- what an encoder accepts, asked the way each FFmpeg version
 * wants it asked (see vtp_compat.h). */
#include "vtp_compat.h"

#include <string.h>

#include "vtp_error.h"

const uint8_t *vtp_stream_side_data(const AVStream *st, enum AVPacketSideDataType type,
                                    size_t min_size)
{
#if VTP_HAVE_CODED_SIDE_DATA
    const AVPacketSideData *sd = av_packet_side_data_get(st->codecpar->coded_side_data,
                                                         st->codecpar->nb_coded_side_data, type);
    return sd && sd->size >= min_size ? sd->data : NULL;
#else
    size_t size = 0;
    const uint8_t *data = av_stream_get_side_data(st, type, &size);
    return data && size >= min_size ? data : NULL;
#endif
}

const int32_t *vtp_stream_display_matrix(const AVStream *st)
{
    return (const int32_t *)vtp_stream_side_data(st, AV_PKT_DATA_DISPLAYMATRIX,
                                                 9 * sizeof(int32_t));
}

int vtp_stream_add_side_data(AVStream *st, enum AVPacketSideDataType type, const void *data,
                             size_t size)
{
#if VTP_HAVE_CODED_SIDE_DATA
    AVPacketSideData *sd = av_packet_side_data_new(&st->codecpar->coded_side_data,
                                                   &st->codecpar->nb_coded_side_data, type,
                                                   size, 0);
    uint8_t *dst = sd ? sd->data : NULL;
#else
    uint8_t *dst = av_stream_new_side_data(st, type, size);
#endif
    if (!dst)
        return VTP_ERR_NOMEM;
    memcpy(dst, data, size);
    return 0;
}

#if VTP_HAVE_SUPPORTED_CONFIG
static const void *supported(const AVCodec *codec, enum AVCodecConfig config)
{
    const void *list = NULL;
    if (avcodec_get_supported_config(NULL, codec, config, 0, &list, NULL) < 0)
        return NULL;
    return list;
}
#endif

const enum AVPixelFormat *vtp_codec_pix_fmts(const AVCodec *codec)
{
#if VTP_HAVE_SUPPORTED_CONFIG
    return supported(codec, AV_CODEC_CONFIG_PIX_FORMAT);
#else
    return codec->pix_fmts;
#endif
}

const enum AVSampleFormat *vtp_codec_sample_fmts(const AVCodec *codec)
{
#if VTP_HAVE_SUPPORTED_CONFIG
    return supported(codec, AV_CODEC_CONFIG_SAMPLE_FORMAT);
#else
    return codec->sample_fmts;
#endif
}

const int *vtp_codec_sample_rates(const AVCodec *codec)
{
#if VTP_HAVE_SUPPORTED_CONFIG
    return supported(codec, AV_CODEC_CONFIG_SAMPLE_RATE);
#else
    return codec->supported_samplerates;
#endif
}

const AVChannelLayout *vtp_codec_ch_layouts(const AVCodec *codec)
{
#if VTP_HAVE_SUPPORTED_CONFIG
    return supported(codec, AV_CODEC_CONFIG_CHANNEL_LAYOUT);
#else
    return codec->ch_layouts;
#endif
}
