/* codecpar.c -- codec parameters and raw frames on the wire. */
#include "vtp_codecpar.h"

#include <string.h>

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "vtp_error.h"

static int in_range(int64_t v, int64_t lo, int64_t hi)
{
    return v >= lo && v <= hi;
}

void vtp_codecpar_write(vtp_wbuf *b, const AVCodecParameters *par)
{
    vtp_wbuf_i32(b, par->codec_type);
    vtp_wbuf_i32(b, par->codec_id);
    vtp_wbuf_u32(b, par->codec_tag);
    vtp_wbuf_i32(b, par->format);
    vtp_wbuf_i64(b, par->bit_rate);
    vtp_wbuf_i32(b, par->bits_per_coded_sample);
    vtp_wbuf_i32(b, par->bits_per_raw_sample);
    vtp_wbuf_i32(b, par->profile);
    vtp_wbuf_i32(b, par->level);
    vtp_wbuf_i32(b, par->width);
    vtp_wbuf_i32(b, par->height);
    vtp_wbuf_i32(b, par->sample_aspect_ratio.num);
    vtp_wbuf_i32(b, par->sample_aspect_ratio.den);
    vtp_wbuf_i32(b, par->field_order);
    vtp_wbuf_i32(b, par->color_range);
    vtp_wbuf_i32(b, par->color_primaries);
    vtp_wbuf_i32(b, par->color_trc);
    vtp_wbuf_i32(b, par->color_space);
    vtp_wbuf_i32(b, par->chroma_location);
    vtp_wbuf_i32(b, par->video_delay);
    vtp_wbuf_blob(b, par->extradata, par->extradata ? (size_t)par->extradata_size : 0);
}

int vtp_codecpar_read(vtp_rbuf *r, AVCodecParameters *par)
{
    size_t n;

    par->codec_type = vtp_rbuf_i32(r);
    par->codec_id = vtp_rbuf_i32(r);
    par->codec_tag = vtp_rbuf_u32(r);
    par->format = vtp_rbuf_i32(r);
    par->bit_rate = vtp_rbuf_i64(r);
    par->bits_per_coded_sample = vtp_rbuf_i32(r);
    par->bits_per_raw_sample = vtp_rbuf_i32(r);
    par->profile = vtp_rbuf_i32(r);
    par->level = vtp_rbuf_i32(r);
    par->width = vtp_rbuf_i32(r);
    par->height = vtp_rbuf_i32(r);
    par->sample_aspect_ratio.num = vtp_rbuf_i32(r);
    par->sample_aspect_ratio.den = vtp_rbuf_i32(r);
    par->field_order = vtp_rbuf_i32(r);
    par->color_range = vtp_rbuf_i32(r);
    par->color_primaries = vtp_rbuf_i32(r);
    par->color_trc = vtp_rbuf_i32(r);
    par->color_space = vtp_rbuf_i32(r);
    par->chroma_location = vtp_rbuf_i32(r);
    par->video_delay = vtp_rbuf_i32(r);
    const uint8_t *extra = vtp_rbuf_blob(r, VTP_MAX_EXTRADATA, &n);
    if (!vtp_rbuf_ok(r))
        return VTP_ERR_PROTO;

    /* A blank record (no codec at all) is allowed: results of failed segments. */
    int blank = par->codec_type == AVMEDIA_TYPE_UNKNOWN && par->codec_id == AV_CODEC_ID_NONE;
    if ((par->codec_type != AVMEDIA_TYPE_VIDEO && !blank) ||
        (par->codec_id != AV_CODEC_ID_NONE && !avcodec_descriptor_get(par->codec_id)) ||
        !in_range(par->format, -1, AV_PIX_FMT_NB - 1) ||
        (par->format >= 0 && !av_pix_fmt_desc_get(par->format)) ||
        !in_range(par->width, 0, VTP_MAX_DIMENSION) ||
        !in_range(par->height, 0, VTP_MAX_DIMENSION) ||
        par->sample_aspect_ratio.num < 0 || par->sample_aspect_ratio.den < 0 ||
        !in_range(par->field_order, 0, AV_FIELD_BT) ||
        !in_range(par->color_range, 0, AVCOL_RANGE_NB - 1) ||
        !in_range(par->color_primaries, 0, AVCOL_PRI_NB - 1) ||
        !in_range(par->color_trc, 0, AVCOL_TRC_NB - 1) ||
        !in_range(par->color_space, 0, AVCOL_SPC_NB - 1) ||
        !in_range(par->chroma_location, 0, AVCHROMA_LOC_NB - 1) ||
        !in_range(par->video_delay, 0, 1024))
        return VTP_ERR_PROTO;

    av_freep(&par->extradata);
    par->extradata_size = 0;
    if (extra) {
        par->extradata = av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!par->extradata)
            return VTP_ERR_NOMEM;
        memcpy(par->extradata, extra, n);
        par->extradata_size = (int)n;
    }
    return 0;
}

void vtp_frame_write(vtp_wbuf *b, const AVFrame *f)
{
    vtp_wbuf_i32(b, f->width);
    vtp_wbuf_i32(b, f->height);
    vtp_wbuf_i32(b, f->format);
    vtp_wbuf_i64(b, f->pts);
    vtp_wbuf_i64(b, f->pkt_duration);
    vtp_wbuf_i32(b, f->sample_aspect_ratio.num);
    vtp_wbuf_i32(b, f->sample_aspect_ratio.den);
    vtp_wbuf_i32(b, f->interlaced_frame);
    vtp_wbuf_i32(b, f->top_field_first);
    vtp_wbuf_i32(b, f->color_range);
    vtp_wbuf_i32(b, f->color_primaries);
    vtp_wbuf_i32(b, f->color_trc);
    vtp_wbuf_i32(b, f->colorspace);
    vtp_wbuf_i32(b, f->chroma_location);

    int size = av_image_get_buffer_size(f->format, f->width, f->height, 1);
    uint8_t *dst = size > 0 ? vtp_wbuf_reserve(b, (size_t)size + 4) : NULL;
    if (!dst) {
        vtp_wbuf_u32(b, 0);
        return;
    }
    for (int i = 0; i < 4; i++)
        dst[i] = (uint8_t)((uint32_t)size >> (8 * i));
    av_image_copy_to_buffer(dst + 4, size, (const uint8_t *const *)f->data, f->linesize,
                            f->format, f->width, f->height, 1);
}

int vtp_frame_read(vtp_rbuf *r, AVFrame *f)
{
    f->width = vtp_rbuf_i32(r);
    f->height = vtp_rbuf_i32(r);
    f->format = vtp_rbuf_i32(r);
    f->pts = vtp_rbuf_i64(r);
    f->pkt_duration = vtp_rbuf_i64(r);
    f->sample_aspect_ratio.num = vtp_rbuf_i32(r);
    f->sample_aspect_ratio.den = vtp_rbuf_i32(r);
    f->interlaced_frame = vtp_rbuf_i32(r) != 0;
    f->top_field_first = vtp_rbuf_i32(r) != 0;
    f->color_range = vtp_rbuf_i32(r);
    f->color_primaries = vtp_rbuf_i32(r);
    f->color_trc = vtp_rbuf_i32(r);
    f->colorspace = vtp_rbuf_i32(r);
    f->chroma_location = vtp_rbuf_i32(r);
    uint32_t size = vtp_rbuf_u32(r);
    if (!vtp_rbuf_ok(r) ||
        !in_range(f->width, 1, VTP_MAX_DIMENSION) || !in_range(f->height, 1, VTP_MAX_DIMENSION) ||
        !in_range(f->format, 0, AV_PIX_FMT_NB - 1) || !av_pix_fmt_desc_get(f->format) ||
        !in_range(f->color_range, 0, AVCOL_RANGE_NB - 1) ||
        !in_range(f->color_primaries, 0, AVCOL_PRI_NB - 1) ||
        !in_range(f->color_trc, 0, AVCOL_TRC_NB - 1) ||
        !in_range(f->colorspace, 0, AVCOL_SPC_NB - 1) ||
        !in_range(f->chroma_location, 0, AVCHROMA_LOC_NB - 1))
        return VTP_ERR_PROTO;
    int expect = av_image_get_buffer_size(f->format, f->width, f->height, 1);
    if (expect <= 0 || (uint32_t)expect != size)
        return VTP_ERR_PROTO;
    const uint8_t *src = vtp_rbuf_bytes(r, size);
    if (!src)
        return VTP_ERR_PROTO;
    if (av_frame_get_buffer(f, 0) < 0)
        return VTP_ERR_NOMEM;

    uint8_t *planes[4];
    int lines[4];
    if (av_image_fill_arrays(planes, lines, src, f->format, f->width, f->height, 1) < 0)
        return VTP_ERR_PROTO;
    av_image_copy(f->data, f->linesize, (const uint8_t **)planes, lines, f->format, f->width,
                  f->height);
    return 0;
}
