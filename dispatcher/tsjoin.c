/* tsjoin.c -- one rising timeline for inputs whose timestamps restart
 * (see vtp_tsjoin.h). */
#include "vtp_tsjoin.h"

#include <stdlib.h>

#include "vtp_error.h"
#include "vtp_log.h"

#define JUMP_MAX (10LL * AV_TIME_BASE)    /* ffmpeg's -dts_delta_threshold */
#define BACK_MAX (AV_TIME_BASE / 10)      /* a step back larger than this */

typedef struct stream_clock {
    int64_t dts;                /* of its last packet, joined, AV_TIME_BASE */
    int64_t next;               /* where that packet ended */
    int64_t gap;                /* the last step between its packets */
    int64_t extra;              /* its own offset since the last join */
    int64_t gen;                /* the join its last packet came after */
} stream_clock;

struct vtp_tsjoin {
    int discont;                /* the format may restart its clocks */
    int64_t offset;             /* AV_TIME_BASE units, added to every packet */
    int64_t initial;            /* the offset at the start */
    int64_t last;               /* joined dts of the last packet of any stream */
    int64_t joins;
    stream_clock *st;
    unsigned nst;
};

vtp_tsjoin *vtp_tsjoin_new(const AVFormatContext *in)
{
    vtp_tsjoin *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->discont = in->iformat && (in->iformat->flags & AVFMT_TS_DISCONT);
    j->last = AV_NOPTS_VALUE;
    if (j->discont && in->start_time != AV_NOPTS_VALUE && in->start_time < 0)
        j->offset = -in->start_time;
    j->initial = j->offset;
    return j;
}

void vtp_tsjoin_destroy(vtp_tsjoin **self_p)
{
    if (*self_p) {
        free((*self_p)->st);
        free(*self_p);
        *self_p = NULL;
    }
}

int64_t vtp_tsjoin_start(const vtp_tsjoin *j, const AVFormatContext *in)
{
    return (in->start_time != AV_NOPTS_VALUE ? in->start_time : 0) + j->initial;
}

int64_t vtp_tsjoin_joins(const vtp_tsjoin *j)
{
    return j->joins;
}

static void shift(AVPacket *pkt, int64_t us, AVRational tb)
{
    int64_t d = av_rescale_q(us, AV_TIME_BASE_Q, tb);
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts += d;
    if (pkt->pts != AV_NOPTS_VALUE)
        pkt->pts += d;
}

static stream_clock *clock_of(vtp_tsjoin *j, unsigned index)
{
    if (index >= j->nst) {
        /* MPEG-TS may add streams as they appear. */
        stream_clock *v = realloc(j->st, (index + 1) * sizeof(*v));
        if (!v)
            return NULL;
        for (unsigned i = j->nst; i <= index; i++)
            v[i] = (stream_clock){AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0, 0, j->joins};
        j->st = v;
        j->nst = index + 1;
    }
    return &j->st[index];
}

/* Where the piece before a discontinuity ended: its longest stream's end. */
static int64_t piece_end(const vtp_tsjoin *j)
{
    int64_t end = j->last;
    for (unsigned i = 0; i < j->nst; i++)
        if (j->st[i].next != AV_NOPTS_VALUE && j->st[i].next > end)
            end = j->st[i].next;
    return end;
}

static int is_jump(const vtp_tsjoin *j, const stream_clock *c, int64_t us)
{
    if (c->next == AV_NOPTS_VALUE)      /* a stream's first packet, far from the others */
        return j->last != AV_NOPTS_VALUE && llabs(us - j->last) > JUMP_MAX;
    return llabs(us - c->next) > JUMP_MAX || us + BACK_MAX < c->dts;
}

int vtp_tsjoin_apply(vtp_tsjoin *j, const AVFormatContext *in, AVPacket *pkt)
{
    if (!j->discont)
        return 0;
    AVRational tb = in->streams[pkt->stream_index]->time_base;
    stream_clock *c = clock_of(j, (unsigned)pkt->stream_index);
    if (!c)
        return VTP_ERR_NOMEM;
    /* Decode times only: presentation times step back at every B-frame. */
    if (pkt->dts == AV_NOPTS_VALUE) {
        shift(pkt, j->offset + c->extra, tb);
        return 0;
    }

    int64_t raw = av_rescale_q(pkt->dts, tb, AV_TIME_BASE_Q);
    int64_t us = raw + j->offset + c->extra;
    if (c->gen != j->joins && c->next != AV_NOPTS_VALUE && llabs(us - c->next) <= JUMP_MAX) {
        /* The first packet of this stream since the last join: the streams
         * of a piece do not start together (audio priming, B-frame delay),
         * and one that would overlap its own end starts there instead. */
        if (us < c->next) {
            c->extra += c->next - us;
            us = c->next;
        }
    } else if (is_jump(j, c, us)) {
        /* A new piece starts where the last one's longest stream ended, so
         * that no stream overlaps itself, and all keep their sync. */
        int64_t end = piece_end(j);
        int64_t delta = us - end;
        j->offset = end - raw;
        for (unsigned i = 0; i < j->nst; i++)
            j->st[i].extra = 0;
        j->joins++;
        us = end;
        vtp_log(VTP_LOG_INFO, "the input's timestamps jump by %.3f s at %.3f s (stream %d): joined",
                (double)delta / AV_TIME_BASE, (double)end / AV_TIME_BASE, pkt->stream_index);
    }
    c->gen = j->joins;
    shift(pkt, j->offset + c->extra, tb);

    if (c->dts != AV_NOPTS_VALUE && us > c->dts)
        c->gap = us - c->dts;
    int64_t dur = pkt->duration > 0 ? av_rescale_q(pkt->duration, tb, AV_TIME_BASE_Q) : c->gap;
    c->dts = us;
    c->next = us + dur;
    j->last = us;
    return 0;
}
