/* segment.c -- lifecycles of segments, results and their packet lists. */
#include "vtp_segment.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vtp_codecpar.h"
#include "vtp_error.h"

static int grow(void ***v, int *cap, int need)
{
    if (need <= *cap)
        return 0;
    int cap2 = *cap ? *cap * 2 : 64;
    while (cap2 < need)
        cap2 *= 2;
    void **p = realloc(*v, (size_t)cap2 * sizeof(*p));
    if (!p)
        return VTP_ERR_NOMEM;
    *v = p;
    *cap = cap2;
    return 0;
}

int vtp_pktlist_move(vtp_pktlist *l, AVPacket *pkt)
{
    AVPacket *p;
    if (grow((void ***)&l->v, &l->cap, l->n + 1) < 0 || !(p = av_packet_alloc()))
        return VTP_ERR_NOMEM;
    av_packet_move_ref(p, pkt);
    l->bytes += p->size;
    l->v[l->n++] = p;
    return 0;
}

int vtp_pktlist_add(vtp_pktlist *l, const AVPacket *pkt)
{
    AVPacket *p;
    if (grow((void ***)&l->v, &l->cap, l->n + 1) < 0 || !(p = av_packet_clone(pkt)))
        return VTP_ERR_NOMEM;
    l->bytes += p->size;
    l->v[l->n++] = p;
    return 0;
}

void vtp_pktlist_clear(vtp_pktlist *l)
{
    for (int i = 0; i < l->n; i++)
        av_packet_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

int vtp_framelist_move(vtp_framelist *l, AVFrame *frame)
{
    AVFrame *f;
    if (grow((void ***)&l->v, &l->cap, l->n + 1) < 0 || !(f = av_frame_alloc()))
        return VTP_ERR_NOMEM;
    av_frame_move_ref(f, frame);
    for (int i = 0; i < AV_NUM_DATA_POINTERS && f->buf[i]; i++)
        l->bytes += (int64_t)f->buf[i]->size;
    l->v[l->n++] = f;
    return 0;
}

void vtp_framelist_clear(vtp_framelist *l)
{
    for (int i = 0; i < l->n; i++)
        av_frame_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

int vtp_segment_init(vtp_segment *s)
{
    memset(s, 0, sizeof(*s));
    s->cut_start = VTP_PTS_MIN;
    s->cut_end = VTP_PTS_MAX;
    s->time_base = (AVRational){1, 1};
    s->frame_rate = (AVRational){0, 1};
    s->threads = 1;
    s->count_start = VTP_PTS_MIN;
    s->frames_expected = -1;
    s->par = avcodec_parameters_alloc();
    return s->par ? 0 : VTP_ERR_NOMEM;
}

/* Reads a big-endian NAL length of n bytes. */
static uint32_t nal_length(const uint8_t *p, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Whether a NAL unit header starts a coded picture (a VCL NAL unit). */
static int vcl_nal(enum AVCodecID id, uint8_t header)
{
    if (id == AV_CODEC_ID_H264) {
        int type = header & 0x1f;
        return type >= 1 && type <= 5;
    }
    return ((header >> 1) & 0x3f) < 32;     /* HEVC */
}

/* Whether an H.264 SEI NAL unit (header byte included) holds a recovery
 * point message: an I-frame with one is where an open GOP starts (x264's
 * open-gop), as clean as an IDR once its leading pictures, which belong to
 * the segment before, are left out. Payloads are skipped by their stated
 * size, so that a message after another is found too. */
static int has_recovery_point(const uint8_t *d, size_t len)
{
    size_t i = 1;
    while (i < len && d[i] != 0x80) {       /* 0x80: the trailing bits */
        unsigned type = 0, size = 0;
        while (i < len && d[i] == 0xFF)
            type += d[i++];
        if (i >= len)
            return 0;
        type += d[i++];
        while (i < len && d[i] == 0xFF)
            size += d[i++];
        if (i >= len)
            return 0;
        size += d[i++];
        if (type == 6)
            return 1;
        i += size;
    }
    return 0;
}

/* Whether a NAL unit starts a clean random access point: an H.264 IDR
 * picture or recovery point, or an HEVC IRAP picture (IDR, CRA, BLA; the
 * RASL pictures after a CRA lie before it and are the segment before's). */
static int irap_nal(enum AVCodecID id, const uint8_t *d, size_t len, void *opaque)
{
    (void)opaque;
    if (id == AV_CODEC_ID_H264)
        return (d[0] & 0x1f) == 5 || ((d[0] & 0x1f) == 6 && has_recovery_point(d, len));
    int type = (d[0] >> 1) & 0x3f;
    return type >= 16 && type <= 23;
}

/* Whether a NAL unit starts a coded picture (a VCL NAL unit). */
static int vcl_nal_unit(enum AVCodecID id, const uint8_t *d, size_t len, void *opaque)
{
    (void)len;
    (void)opaque;
    return vcl_nal(id, d[0]);
}

/* Whether any NAL unit of an H.264 or HEVC packet matches: 1, 0, or -1
 * when the packet cannot be read as NAL units. NAL units are length-
 * prefixed (avcC/hvcC extradata says how long the prefix is) or Annex B. */
/* The length of the prefix before each NAL unit: from avcC/hvcC
 * extradata, or 0 for Annex B start codes. */
static int nal_prefix(const AVCodecParameters *par)
{
    const uint8_t *x = par->extradata;
    if (par->codec_id == AV_CODEC_ID_H264 && par->extradata_size >= 7 && x[0] == 1)
        return (x[4] & 3) + 1;
    if (par->codec_id == AV_CODEC_ID_HEVC && par->extradata_size >= 23 && x[0] == 1)
        return (x[21] & 3) + 1;
    return 0;
}

static int any_nal(const AVCodecParameters *par, const AVPacket *pkt,
                   int (*match)(enum AVCodecID, const uint8_t *, size_t, void *), void *opaque)
{
    const uint8_t *d = pkt->data, *end = pkt->data + pkt->size;
    int n = nal_prefix(par);

    if (n) {
        while (end - d > n) {
            uint32_t len = nal_length(d, n);
            d += n;
            if (len == 0 || len > (uint32_t)(end - d))
                return -1;
            if (match(par->codec_id, d, len, opaque))
                return 1;
            d += len;
        }
        return d != end ? -1 : 0;
    }
    const uint8_t *nal = NULL;
    for (; end - d > 3; d++) {
        if (d[0] == 0 && d[1] == 0 && d[2] == 1) {
            if (nal && match(par->codec_id, nal, (size_t)(d - nal), opaque))
                return 1;
            nal = d + 3;
            d += 2;
        }
    }
    if (nal && end > nal && match(par->codec_id, nal, (size_t)(end - nal), opaque))
        return 1;
    return nal ? 0 : -1;
}

/* Whether an H.264 or HEVC packet holds a picture: an access unit of only
 * delimiters, parameter sets or SEI gives no frame (the decoder says
 * "missing picture in access unit"), which ffmpeg drops too. Anything
 * unreadable counts as a picture. */
static int has_picture(const AVCodecParameters *par, const AVPacket *pkt)
{
    if (par->codec_id != AV_CODEC_ID_H264 && par->codec_id != AV_CODEC_ID_HEVC)
        return 1;
    return any_nal(par, pkt, vcl_nal_unit, NULL) != 0;
}

int vtp_packet_clean_start(const AVCodecParameters *par, const AVPacket *pkt)
{
    if (!(pkt->flags & AV_PKT_FLAG_KEY))
        return 0;
    if (par->codec_id != AV_CODEC_ID_H264 && par->codec_id != AV_CODEC_ID_HEVC)
        return 1;
    return any_nal(par, pkt, irap_nal, NULL) != 0;
}

typedef struct found_nal {
    const uint8_t *d;
    size_t len;
} found_nal;

/* An SEI NAL unit with x264's version string (user data unregistered). */
static int x264_sei(enum AVCodecID id, const uint8_t *d, size_t len, void *opaque)
{
    static const char tag[] = "x264 - core ";
    if (id != AV_CODEC_ID_H264 || (d[0] & 0x1f) != 6 || !memmem(d, len, tag, sizeof(tag) - 1))
        return 0;
    found_nal *f = opaque;
    f->d = d;
    f->len = len;
    return 1;
}

int vtp_h264_encoder_sei(const AVCodecParameters *par, const AVPacket *pkt, uint8_t **nal,
                         size_t *len)
{
    found_nal f = {0};
    if (par->codec_id != AV_CODEC_ID_H264 || any_nal(par, pkt, x264_sei, &f) != 1)
        return 0;
    if (!(*nal = malloc(f.len)))
        return VTP_ERR_NOMEM;
    memcpy(*nal, f.d, f.len);
    *len = f.len;
    return 1;
}

int vtp_packet_with_nal(const AVCodecParameters *par, const AVPacket *src, const uint8_t *nal,
                        size_t len, AVPacket *dst)
{
    int n = nal_prefix(par);
    size_t head = (n ? (size_t)n : 4) + len;
    if (len > UINT32_MAX / 2 || (size_t)src->size > INT_MAX - head ||
        av_new_packet(dst, (int)(head + (size_t)src->size)) < 0)
        return VTP_ERR_NOMEM;
    if (av_packet_copy_props(dst, src) < 0) {
        av_packet_unref(dst);
        return VTP_ERR_NOMEM;
    }
    uint8_t *w = dst->data;
    if (n) {
        for (int i = n - 1; i >= 0; i--)
            *w++ = (uint8_t)(len >> (8 * i));
    } else {
        static const uint8_t start[4] = {0, 0, 0, 1};
        memcpy(w, start, 4);
        w += 4;
    }
    memcpy(w, nal, len);
    memcpy(w + len, src->data, (size_t)src->size);
    return 0;
}

int vtp_packet_has_picture(const AVCodecParameters *par, const AVPacket *pkt)
{
    /* An empty packet is a dropped frame's gap; an edit list discards some. */
    return pkt->size > 0 && !(pkt->flags & AV_PKT_FLAG_DISCARD) && has_picture(par, pkt);
}

void vtp_segment_count_frames(vtp_segment *s, int first)
{
    int i0 = 0;
    s->count_start = s->cut_start;
    s->frames_expected = -1;
    if (first) {
        while (i0 < s->pkts.n && !(s->pkts.v[i0]->flags & AV_PKT_FLAG_KEY))
            i0++;
        if (i0 == s->pkts.n || s->pkts.v[i0]->pts == AV_NOPTS_VALUE)
            return;
        s->count_start = FFMAX(s->cut_start, s->pkts.v[i0]->pts);
    }
    int64_t n = 0;
    for (int i = i0; i < s->pkts.n; i++) {
        const AVPacket *pkt = s->pkts.v[i];
        if (!vtp_packet_has_picture(s->par, pkt))
            continue;
        if (pkt->pts == AV_NOPTS_VALUE)
            return;
        n += pkt->pts >= s->count_start && pkt->pts < s->cut_end;
    }
    s->frames_expected = n;
}

int vtp_segment_add_frame(vtp_segment *s, const AVFrame *frame)
{
    vtp_frame_write(&s->frame_wire, frame);
    if (s->frame_wire.failed)
        return VTP_ERR_NOMEM;
    s->frame_count++;
    return 0;
}

void vtp_passlog_clear(vtp_passlog *p)
{
    if (!p)
        return;
    free(p->log);
    free(p->tree);
    memset(p, 0, sizeof(*p));
}

void vtp_segment_clear(vtp_segment *s)
{
    if (!s)
        return;
    vtp_passlog_clear(&s->pass);
    vtp_wbuf_free(&s->frame_wire);
    avcodec_parameters_free(&s->par);
    vtp_enc_opts_clear(&s->opts);
    for (int i = 0; i < s->nmore; i++)
        vtp_enc_opts_clear(&s->more[i]);
    free(s->more);
    vtp_pktlist_clear(&s->pkts);
    vtp_framelist_clear(&s->frames);
    memset(s, 0, sizeof(*s));
}

int vtp_segment_set_more(vtp_segment *s, const vtp_enc_opts *more, int n)
{
    for (int i = 0; i < s->nmore; i++)
        vtp_enc_opts_clear(&s->more[i]);
    free(s->more);
    s->more = NULL;
    s->nmore = 0;
    if (n <= 0)
        return 0;
    if (!(s->more = calloc((size_t)n, sizeof(*s->more))))
        return VTP_ERR_NOMEM;
    for (; s->nmore < n; s->nmore++) {
        if (vtp_enc_opts_copy(&s->more[s->nmore], &more[s->nmore]) < 0) {
            vtp_segment_set_more(s, NULL, 0);
            return VTP_ERR_NOMEM;
        }
    }
    return 0;
}

static void clear_more(vtp_result *r)
{
    for (int i = 0; i < r->nmore; i++) {
        avcodec_parameters_free(&r->more[i].par);
        vtp_pktlist_clear(&r->more[i].pkts);
    }
    free(r->more);
    r->more = NULL;
    r->nmore = 0;
}

int vtp_result_set_more(vtp_result *r, int n)
{
    clear_more(r);
    if (n <= 0)
        return 0;
    if (!(r->more = calloc((size_t)n, sizeof(*r->more))))
        return VTP_ERR_NOMEM;
    r->nmore = n;
    for (int i = 0; i < n; i++) {
        r->more[i].time_base = (AVRational){1, 1};
        if (!(r->more[i].par = avcodec_parameters_alloc())) {
            clear_more(r);
            return VTP_ERR_NOMEM;
        }
    }
    return 0;
}

int vtp_result_init(vtp_result *r)
{
    memset(r, 0, sizeof(*r));
    r->time_base = (AVRational){1, 1};
    r->par = avcodec_parameters_alloc();
    return r->par ? 0 : VTP_ERR_NOMEM;
}

void vtp_result_clear(vtp_result *r)
{
    if (!r)
        return;
    free(r->error);
    vtp_passlog_clear(&r->pass);
    avcodec_parameters_free(&r->par);
    vtp_pktlist_clear(&r->pkts);
    clear_more(r);
    memset(r, 0, sizeof(*r));
}
