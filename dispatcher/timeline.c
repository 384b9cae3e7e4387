/* timeline.c -- presentation times as the decoder will show the frames
 * (see vtp_timeline.h).
 *
 * DESIGN
 * Packets wait in a FIFO in decode order until their presentation time is
 * known; only dts-only MPEG-1/2/4 needs waiting, and for one reference
 * frame at most. These codecs have no B-pyramids: a decoder shows a
 * B-frame as soon as it is decoded and holds each reference frame until
 * the next one arrives. Frame k in display order takes the k-th smallest decode time of
 * the frames so far, which is always the oldest time not yet given out.
 */
#include "vtp_timeline.h"

#include <stdlib.h>
#include <string.h>

#include <libavcodec/bsf.h>

#include "vtp_error.h"
#include "vtp_segment.h"

#define TIMES_MAX 64                    /* decode times waiting for a frame */

struct vtp_timeline {
    AVBSFContext *unpack;               /* MPEG-4 Part 2 only */
    const AVCodecParameters *par;       /* the demuxer's, or the filter's output */
    int dts_only;                       /* the container's times are decode times */
    int eof;
    vtp_pktlist queue;                  /* decode order; waiting from `head` */
    int head;
    int held;                           /* queue index of the held reference, -1 */
    int64_t times[TIMES_MAX];           /* decode times not yet given to a frame */
    int ntimes;
    int64_t last_dts;                   /* the container's, of the last packet */
    int64_t frame_dur;                  /* at the frame rate, stream time base; 0: unknown */
    int64_t synth_dts;                  /* the decode time a packet with none gets */
    AVPacket *tmp;
};

int vtp_timeline_dts_only(const AVInputFormat *fmt)
{
    /* Raw MPEG-1/2 and MPEG-4 Part 2 elementary streams have no times at
     * all: libavformat counts decode times from the frame rate (and gives
     * some of them as presentation times, wrongly where B-frames follow). */
    static const char *const names[] = {"avi", "mpegvideo", "m4v"};
    for (size_t i = 0; fmt && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(fmt->name, names[i]) == 0)
            return 1;
    return 0;
}

/* Codecs whose reordering this module knows: no B-pyramids, and the
 * picture type in the bitstream. */
static int times_reorder(enum AVCodecID id)
{
    return id == AV_CODEC_ID_MPEG4 || id == AV_CODEC_ID_MPEG1VIDEO || id == AV_CODEC_ID_MPEG2VIDEO;
}

int vtp_timeline_wants_genpts(const AVCodecParameters *par, int dts_only)
{
    return par->video_delay > 0 && !(dts_only && times_reorder(par->codec_id));
}

vtp_timeline *vtp_timeline_new(const AVStream *st, int dts_only)
{
    vtp_timeline *t = calloc(1, sizeof(*t));
    if (!t || !(t->tmp = av_packet_alloc()))
        goto fail;
    t->par = st->codecpar;
    t->dts_only = dts_only;
    t->last_dts = AV_NOPTS_VALUE;
    t->held = -1;
    AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (rate.num > 0 && rate.den > 0)
        t->frame_dur = FFMAX(av_rescale_q(1, av_inv_q(rate), st->time_base), 1);
    if (st->codecpar->codec_id == AV_CODEC_ID_MPEG4) {
        const AVBitStreamFilter *f = av_bsf_get_by_name("mpeg4_unpack_bframes");
        if (!f || av_bsf_alloc(f, &t->unpack) < 0 ||
            avcodec_parameters_copy(t->unpack->par_in, st->codecpar) < 0)
            goto fail;
        t->unpack->time_base_in = st->time_base;
        if (av_bsf_init(t->unpack) < 0)
            goto fail;
        t->par = t->unpack->par_out;
    }
    return t;
fail:
    vtp_timeline_destroy(&t);
    return NULL;
}

void vtp_timeline_destroy(vtp_timeline **self_p)
{
    vtp_timeline *t = *self_p;
    if (!t)
        return;
    av_bsf_free(&t->unpack);
    vtp_pktlist_clear(&t->queue);
    av_packet_free(&t->tmp);
    free(t);
    *self_p = NULL;
}

const AVCodecParameters *vtp_timeline_par(const vtp_timeline *t)
{
    return t->par;
}

/* The picture type of a packet: 'B', 'R' (a reference: I, P, S, D) or 0
 * when it holds no picture. MPEG-4 Part 2: a VOP start code, then two
 * bits of coding type (2: B). MPEG-1/2: a picture start code, ten bits of
 * temporal reference, three of coding type (3: B). */
static int picture_type(enum AVCodecID id, const AVPacket *pkt)
{
    const uint8_t *d = pkt->data;
    for (int i = 0; i + 5 < pkt->size; i++) {
        if (d[i] != 0 || d[i + 1] != 0 || d[i + 2] != 1)
            continue;
        if (id == AV_CODEC_ID_MPEG4 && d[i + 3] == 0xB6)
            return (d[i + 4] >> 6) == 2 ? 'B' : 'R';
        if (id != AV_CODEC_ID_MPEG4 && d[i + 3] == 0x00)
            return ((d[i + 5] >> 3) & 7) == 3 ? 'B' : 'R';
    }
    return 0;
}

static int64_t oldest_time(vtp_timeline *t)
{
    int64_t v = t->times[0];
    memmove(t->times, t->times + 1, (size_t)(--t->ntimes) * sizeof(*t->times));
    return v;
}

/* Gives a dts-only packet (the last in the queue) its time, and
 * the held reference frame its own when this one is a reference. The
 * container's times are display slots; a packet's decode time becomes the
 * slot before its own, so that no frame is decoded after it is shown (a
 * B-frame takes the slot before the reference decoded ahead of it). */
static int time_reordered(vtp_timeline *t)
{
    int i = t->queue.n - 1;
    AVPacket *p = t->queue.v[i];
    int type = p->size > 0 ? picture_type(t->par->codec_id, p) : 0;
    int64_t slot = p->dts;

    if (slot == AV_NOPTS_VALUE)
        return 0;
    p->dts = t->last_dts != AV_NOPTS_VALUE ? t->last_dts : slot - FFMAX(p->duration, 1);
    t->last_dts = slot;
    if (!type) {
        p->pts = slot;                  /* no picture: an empty slot */
        return 0;
    }
    if (t->ntimes == TIMES_MAX)
        return VTP_ERR_TRUNCATED;       /* no reference frame for 64 frames */
    t->times[t->ntimes++] = slot;
    if (type == 'B') {
        p->pts = oldest_time(t);
        return 0;
    }
    if (t->held >= 0)
        t->queue.v[t->held]->pts = oldest_time(t);
    t->held = i;
    return 0;
}

/* Drops the packets already given out from the front of the queue, so
 * that it holds only what waits (a few packets), however long the input. */
static void compact(vtp_timeline *t)
{
    vtp_pktlist *q = &t->queue;
    if (t->head < 32 && !(t->head > 0 && t->head == q->n))
        return;
    for (int i = 0; i < t->head; i++)
        av_packet_free(&q->v[i]);
    memmove(q->v, q->v + t->head, (size_t)(q->n - t->head) * sizeof(*q->v));
    q->n -= t->head;
    q->bytes = 0;
    for (int i = 0; i < q->n; i++)
        q->bytes += q->v[i]->size;
    t->held = t->held >= t->head ? t->held - t->head : -1;
    t->head = 0;
}

static int enqueue(vtp_timeline *t, AVPacket *pkt)
{
    compact(t);
    int ret = vtp_pktlist_move(&t->queue, pkt);
    if (ret < 0)
        return ret;
    AVPacket *p = t->queue.v[t->queue.n - 1];
    int dts_only = t->dts_only;
    if (p->pts == AV_NOPTS_VALUE && p->dts == AV_NOPTS_VALUE && t->frame_dur > 0) {
        /* No time at all (an MPEG program stream that carries none): one
         * frame after the last, at the stream's frame rate. */
        p->dts = t->synth_dts;
        dts_only = 1;
    }
    if (p->dts != AV_NOPTS_VALUE)
        t->synth_dts = p->dts + (p->duration > 0 ? p->duration : t->frame_dur);
    if (t->par->video_delay == 0 && (dts_only || p->pts == AV_NOPTS_VALUE)) {
        p->pts = p->dts;                /* no reordering: shown when decoded */
        return 0;
    }
    if (dts_only && times_reorder(t->par->codec_id)) {
        p->pts = AV_NOPTS_VALUE;
        return time_reordered(t);
    }
    return 0;
}

/* Runs a packet (NULL: the end) through the unpacking filter. */
static int unpack(vtp_timeline *t, AVPacket *pkt)
{
    int ret = av_bsf_send_packet(t->unpack, pkt);
    if (ret < 0)
        return ret == AVERROR_INVALIDDATA ? VTP_ERR_TRUNCATED : ret;
    while ((ret = av_bsf_receive_packet(t->unpack, t->tmp)) >= 0)
        if ((ret = enqueue(t, t->tmp)) < 0)
            return ret;
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

int vtp_timeline_push(vtp_timeline *t, AVPacket *pkt)
{
    if (pkt)
        return t->unpack ? unpack(t, pkt) : enqueue(t, pkt);
    t->eof = 1;
    int ret = t->unpack ? unpack(t, NULL) : 0;
    if (ret >= 0 && t->held >= 0 && t->queue.v[t->held]->pts == AV_NOPTS_VALUE && t->ntimes > 0)
        t->queue.v[t->held]->pts = oldest_time(t);  /* the last reference */
    return ret;
}

int vtp_timeline_pull(vtp_timeline *t, AVPacket *pkt)
{
    if (t->head == t->queue.n)
        return 0;
    AVPacket *p = t->queue.v[t->head];
    /* A packet waits for its time only while one can still come. */
    if (p->pts == AV_NOPTS_VALUE && t->held >= t->head && !t->eof)
        return 0;
    t->head++;
    av_packet_move_ref(pkt, p);
    return 1;
}

int vtp_timeline_drained(const vtp_timeline *t)
{
    return t->eof && t->head == t->queue.n;
}
