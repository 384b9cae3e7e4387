/* compat.c -- what an encoder accepts, asked the way each FFmpeg version
 * wants it asked (see vtp_compat.h). */
#include "vtp_compat.h"

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
