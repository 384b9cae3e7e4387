/* segment.c -- lifecycles of segments, results and their packet lists. */
#include "vtp_segment.h"

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

/* Whether an H.264 or HEVC packet holds a picture: an access unit of only
 * delimiters, parameter sets or SEI gives no frame (the decoder says
 * "missing picture in access unit"), which ffmpeg drops too. NAL units are
 * length-prefixed (avcC/hvcC extradata says how long the prefix is) or
 * Annex B. Anything unreadable counts as a picture. */
static int has_picture(const AVCodecParameters *par, const AVPacket *pkt)
{
    if (par->codec_id != AV_CODEC_ID_H264 && par->codec_id != AV_CODEC_ID_HEVC)
        return 1;
    const uint8_t *d = pkt->data, *end = pkt->data + pkt->size;
    const uint8_t *x = par->extradata;
    int n = 0;

    if (par->codec_id == AV_CODEC_ID_H264 && par->extradata_size >= 7 && x[0] == 1)
        n = (x[4] & 3) + 1;
    else if (par->codec_id == AV_CODEC_ID_HEVC && par->extradata_size >= 23 && x[0] == 1)
        n = (x[21] & 3) + 1;
    if (n) {
        while (end - d > n) {
            uint32_t len = nal_length(d, n);
            d += n;
            if (len == 0 || len > (uint32_t)(end - d))
                return 1;
            if (vcl_nal(par->codec_id, d[0]))
                return 1;
            d += len;
        }
        return d != end;
    }
    int seen = 0;
    for (; end - d > 3; d++) {
        if (d[0] == 0 && d[1] == 0 && d[2] == 1) {
            seen = 1;
            if (vcl_nal(par->codec_id, d[3]))
                return 1;
            d += 2;
        }
    }
    return !seen;
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

void vtp_segment_clear(vtp_segment *s)
{
    if (!s)
        return;
    vtp_wbuf_free(&s->frame_wire);
    avcodec_parameters_free(&s->par);
    vtp_enc_opts_clear(&s->opts);
    vtp_pktlist_clear(&s->pkts);
    vtp_framelist_clear(&s->frames);
    memset(s, 0, sizeof(*s));
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
    avcodec_parameters_free(&r->par);
    vtp_pktlist_clear(&r->pkts);
    memset(r, 0, sizeof(*r));
}
