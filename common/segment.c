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
        if (pkt->size == 0)
            continue;           /* a dropped frame: its gap, no picture */
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
