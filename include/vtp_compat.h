/* vtp_compat.h -- the one place where FFmpeg versions differ.
 *
 * vtpool builds on libavcodec 59.37 (FFmpeg 5.1, Debian 12) and later: 61.x
 * (7.1, Debian 13) and 62-63 (8.x-9.x, Debian unstable). Each version has
 * its own current API for a few frame and codec fields, and the older fields
 * are deprecated (a build error here: -Werror=deprecated-declarations) or
 * gone. The rest of the code calls these helpers and never tests a version
 * itself; a helper uses the newest API the headers offer.
 */
#ifndef VTP_COMPAT_H
#define VTP_COMPAT_H

#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
#include <libavutil/version.h>

/* The oldest libraries vtpool is built and tested against (FFmpeg 5.1);
 * CMakeLists.txt refuses anything older with the same numbers. */
#if LIBAVCODEC_VERSION_INT < AV_VERSION_INT(59, 37, 100)
#error "vtpool needs libavcodec 59.37.100 (FFmpeg 5.1) or newer"
#endif

/* AVFrame.duration replaced pkt_duration in libavutil 57.30.100. */
#define VTP_HAVE_FRAME_DURATION (LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100))
/* Codec parameters carry side data (AVStream.side_data deprecated) since
 * libavcodec 60.30.100 / libavformat 60.15.100 (FFmpeg 6.1). */
#define VTP_HAVE_CODED_SIDE_DATA (LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 30, 100))
/* avcodec_get_supported_config() replaced AVCodec's lists in 61.13.100. */
#define VTP_HAVE_SUPPORTED_CONFIG (LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(61, 13, 100))

/* A frame's duration, in its time base; 0 when unknown. */
static inline int64_t vtp_frame_duration(const AVFrame *f)
{
#if VTP_HAVE_FRAME_DURATION
    return f->duration;
#else
    return f->pkt_duration;
#endif
}

static inline void vtp_frame_set_duration(AVFrame *f, int64_t duration)
{
#if VTP_HAVE_FRAME_DURATION
    f->duration = duration;
#else
    f->pkt_duration = duration;
#endif
}

/* Whether the frame is a keyframe, interlaced, top field first: flags in
 * AVFrame.flags since libavutil 58.7, separate int fields before. */
static inline int vtp_frame_is_key(const AVFrame *f)
{
#ifdef AV_FRAME_FLAG_KEY
    return (f->flags & AV_FRAME_FLAG_KEY) != 0;
#else
    return f->key_frame != 0;
#endif
}

static inline void vtp_frame_set_key(AVFrame *f, int key)
{
#ifdef AV_FRAME_FLAG_KEY
    f->flags = key ? f->flags | AV_FRAME_FLAG_KEY : f->flags & ~AV_FRAME_FLAG_KEY;
#else
    f->key_frame = key != 0;
#endif
}

static inline int vtp_frame_interlaced(const AVFrame *f)
{
#ifdef AV_FRAME_FLAG_INTERLACED
    return (f->flags & AV_FRAME_FLAG_INTERLACED) != 0;
#else
    return f->interlaced_frame != 0;
#endif
}

static inline int vtp_frame_top_field_first(const AVFrame *f)
{
#ifdef AV_FRAME_FLAG_TOP_FIELD_FIRST
    return (f->flags & AV_FRAME_FLAG_TOP_FIELD_FIRST) != 0;
#else
    return f->top_field_first != 0;
#endif
}

static inline void vtp_frame_set_fields(AVFrame *f, int interlaced, int top_field_first)
{
#ifdef AV_FRAME_FLAG_INTERLACED
    f->flags &= ~(AV_FRAME_FLAG_INTERLACED | AV_FRAME_FLAG_TOP_FIELD_FIRST);
    if (interlaced)
        f->flags |= AV_FRAME_FLAG_INTERLACED;
    if (top_field_first)
        f->flags |= AV_FRAME_FLAG_TOP_FIELD_FIRST;
#else
    f->interlaced_frame = interlaced != 0;
    f->top_field_first = top_field_first != 0;
#endif
}

/* A stream's side data of one type (at least min_size bytes), or NULL:
 * stream side data before libavformat 60.15, the codec parameters' coded
 * side data since. */
const uint8_t *vtp_stream_side_data(const AVStream *st, enum AVPacketSideDataType type,
                                    size_t min_size);
/* Gives st a copy of size bytes of data as side data of that type. 0 or
 * VTP_ERR_NOMEM. */
int vtp_stream_add_side_data(AVStream *st, enum AVPacketSideDataType type, const void *data,
                             size_t size);

/* A stream's display matrix (9 int32, see libavutil/display.h), or NULL. */
const int32_t *vtp_stream_display_matrix(const AVStream *st);

/* What an encoder accepts, each list ended as FFmpeg ends it (AV_PIX_FMT_NONE,
 * AV_SAMPLE_FMT_NONE, 0, a zeroed layout); NULL means anything. */
const enum AVPixelFormat *vtp_codec_pix_fmts(const AVCodec *codec);
const enum AVSampleFormat *vtp_codec_sample_fmts(const AVCodec *codec);
const int *vtp_codec_sample_rates(const AVCodec *codec);
const AVChannelLayout *vtp_codec_ch_layouts(const AVCodec *codec);

#endif
