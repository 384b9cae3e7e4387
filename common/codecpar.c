/* codecpar.c -- codec parameters and raw frames on the wire. */
#include "vtp_codecpar.h"

#include <string.h>

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "vtp_compat.h"
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

/* Lines of plane i of a frame (0 for a plane the format does not have). */
static int plane_lines(const AVPixFmtDescriptor *d, int plane, int height)
{
    if (plane == 0 || plane == 3)
        return height;
    return AV_CEIL_RSHIFT(height, d->log2_chroma_h);
}

/* Frames travel plane by plane, each plane's lines padded to a multiple of
 * VTP_FRAME_ALIGN bytes and starting at such an offset of the message, so a
 * receiver can use the planes where they lie instead of copying them. */
void vtp_frame_write(vtp_wbuf *b, const AVFrame *f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    int nplanes = d ? av_pix_fmt_count_planes(f->format) : 0;

    vtp_wbuf_i32(b, f->width);
    vtp_wbuf_i32(b, f->height);
    vtp_wbuf_i32(b, f->format);
    vtp_wbuf_i64(b, f->pts);
    vtp_wbuf_i64(b, vtp_frame_duration(f));
    vtp_wbuf_i32(b, f->sample_aspect_ratio.num);
    vtp_wbuf_i32(b, f->sample_aspect_ratio.den);
    vtp_wbuf_i32(b, vtp_frame_interlaced(f));
    vtp_wbuf_i32(b, vtp_frame_top_field_first(f));
    vtp_wbuf_i32(b, f->color_range);
    vtp_wbuf_i32(b, f->color_primaries);
    vtp_wbuf_i32(b, f->color_trc);
    vtp_wbuf_i32(b, f->colorspace);
    vtp_wbuf_i32(b, f->chroma_location);
    vtp_wbuf_u8(b, (uint8_t)(nplanes > 0 ? nplanes : 0));
    for (int i = 0; i < nplanes; i++) {
        int bytes = av_image_get_linesize(f->format, f->width, i);
        int lines = plane_lines(d, i, f->height);
        int stride = FFALIGN(bytes, VTP_FRAME_ALIGN);
        vtp_wbuf_u32(b, (uint32_t)stride);
        vtp_wbuf_u32(b, (uint32_t)lines);
        size_t pad = (VTP_FRAME_ALIGN - (b->len + 1) % VTP_FRAME_ALIGN) % VTP_FRAME_ALIGN;
        vtp_wbuf_u8(b, (uint8_t)pad);
        uint8_t *dst = vtp_wbuf_reserve(b, pad + (size_t)stride * (size_t)lines);
        if (!dst)
            return;
        memset(dst, 0, pad);
        dst += pad;
        for (int y = 0; y < lines; y++) {
            memcpy(dst, f->data[i] + (ptrdiff_t)y * f->linesize[i], (size_t)bytes);
            memset(dst + bytes, 0, (size_t)(stride - bytes));
            dst += stride;
        }
    }
}

size_t vtp_frame_wire_size(const AVFrame *f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    size_t n = 128;
    for (int i = 0; d && i < av_pix_fmt_count_planes(f->format); i++)
        n += 16 + VTP_FRAME_ALIGN + (size_t)FFALIGN(av_image_get_linesize(f->format, f->width, i),
                                                    VTP_FRAME_ALIGN) *
                                        (size_t)plane_lines(d, i, f->height);
    return n;
}

int vtp_frame_read_ref(vtp_rbuf *r, AVFrame *f, AVBufferRef *owner)
{
    f->width = vtp_rbuf_i32(r);
    f->height = vtp_rbuf_i32(r);
    f->format = vtp_rbuf_i32(r);
    f->pts = vtp_rbuf_i64(r);
    vtp_frame_set_duration(f, vtp_rbuf_i64(r));
    f->sample_aspect_ratio.num = vtp_rbuf_i32(r);
    f->sample_aspect_ratio.den = vtp_rbuf_i32(r);
    int interlaced = vtp_rbuf_i32(r) != 0;
    int top_field_first = vtp_rbuf_i32(r) != 0;
    vtp_frame_set_fields(f, interlaced, top_field_first);
    f->color_range = vtp_rbuf_i32(r);
    f->color_primaries = vtp_rbuf_i32(r);
    f->color_trc = vtp_rbuf_i32(r);
    f->colorspace = vtp_rbuf_i32(r);
    f->chroma_location = vtp_rbuf_i32(r);
    int nplanes = vtp_rbuf_u8(r);
    if (!vtp_rbuf_ok(r) ||
        !in_range(f->width, 1, VTP_MAX_DIMENSION) || !in_range(f->height, 1, VTP_MAX_DIMENSION) ||
        !in_range(f->format, 0, AV_PIX_FMT_NB - 1) || !av_pix_fmt_desc_get(f->format) ||
        !in_range(f->color_range, 0, AVCOL_RANGE_NB - 1) ||
        !in_range(f->color_primaries, 0, AVCOL_PRI_NB - 1) ||
        !in_range(f->color_trc, 0, AVCOL_TRC_NB - 1) ||
        !in_range(f->colorspace, 0, AVCOL_SPC_NB - 1) ||
        !in_range(f->chroma_location, 0, AVCHROMA_LOC_NB - 1))
        return VTP_ERR_PROTO;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    if ((d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM)) ||
        nplanes != av_pix_fmt_count_planes(f->format) || nplanes > 4)
        return VTP_ERR_PROTO;

    const uint8_t *planes[4] = {0};
    int strides[4] = {0};
    for (int i = 0; i < nplanes; i++) {
        int bytes = av_image_get_linesize(f->format, f->width, i);
        uint32_t stride = vtp_rbuf_u32(r);
        uint32_t lines = vtp_rbuf_u32(r);
        uint8_t pad = vtp_rbuf_u8(r);
        if (!vtp_rbuf_ok(r) || bytes <= 0 || stride < (uint32_t)bytes || stride > (1u << 20) ||
            lines != (uint32_t)plane_lines(d, i, f->height) || pad >= VTP_FRAME_ALIGN)
            return VTP_ERR_PROTO;
        vtp_rbuf_bytes(r, pad);
        planes[i] = vtp_rbuf_bytes(r, (size_t)stride * lines);
        strides[i] = (int)stride;
        if (!planes[i])
            return VTP_ERR_PROTO;
    }

    if (owner) {
        /* Zero copy: the frame's planes stay where they are, in the
         * message, which lives as long as the frame references it. */
        if (!(f->buf[0] = av_buffer_ref(owner)))
            return VTP_ERR_NOMEM;
        for (int i = 0; i < nplanes; i++) {
            f->data[i] = (uint8_t *)planes[i];
            f->linesize[i] = strides[i];
        }
        return 0;
    }
    if (av_frame_get_buffer(f, 0) < 0)
        return VTP_ERR_NOMEM;
    av_image_copy(f->data, f->linesize, planes, strides, f->format, f->width, f->height);
    return 0;
}

int vtp_frame_read(vtp_rbuf *r, AVFrame *f)
{
    return vtp_frame_read_ref(r, f, NULL);
}
