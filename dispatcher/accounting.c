/* accounting.c -- frames counted end to end (see vtp_accounting.h). */
#include "vtp_accounting.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtp_error.h"

/* A cut in seconds, for messages. */
static void at(char *buf, size_t size, int64_t ts, AVRational tb)
{
    if (ts == VTP_PTS_MIN || ts == VTP_PTS_MAX)
        snprintf(buf, size, "%s", ts == VTP_PTS_MIN ? "the start" : "the end");
    else
        snprintf(buf, size, "%.3f s", (double)ts * av_q2d(tb));
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* The sorted presentation times of pkts in *out (malloc'd), checked: every
 * packet has one, all lie in a's range, none repeats. */
static int sorted_times(const vtp_seg_account *a, const vtp_pktlist *pkts, int64_t **out,
                        char *why, size_t why_size)
{
    char from[32], to[32], t[32];
    at(from, sizeof(from), a->cut_start, a->time_base);
    at(to, sizeof(to), a->cut_end, a->time_base);
    int64_t *pts = malloc(sizeof(*pts) * (size_t)(pkts->n > 0 ? pkts->n : 1));
    *out = pts;
    if (!pts)
        return vtp_why(why, why_size, VTP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < pkts->n; i++) {
        pts[i] = pkts->v[i]->pts;
        if (pts[i] == AV_NOPTS_VALUE)
            return vtp_why(why, why_size, VTP_ERR_MISMATCH,
                           "segment %u (%s to %s): an encoded frame has no time", a->index, from,
                           to);
    }
    if (pkts->n == 0)
        return 0;
    qsort(pts, (size_t)pkts->n, sizeof(*pts), cmp_i64);
    int64_t first = pts[0], last = pts[pkts->n - 1];
    if (first < a->cut_start || last >= a->cut_end) {
        at(t, sizeof(t), first < a->cut_start ? first : last, a->time_base);
        return vtp_why(why, why_size, VTP_ERR_MISMATCH,
                       "segment %u (%s to %s) has an encoded frame at %s, outside its range "
                       "(a filter that changes frame times?)", a->index, from, to, t);
    }
    for (int i = 1; i < pkts->n; i++) {
        if (pts[i] == pts[i - 1]) {
            at(t, sizeof(t), pts[i], a->time_base);
            return vtp_why(why, why_size, VTP_ERR_MISMATCH,
                           "segment %u (%s to %s) has two encoded frames at %s", a->index, from,
                           to, t);
        }
    }
    return 0;
}

/* A ladder's further rendition k: the same frames as the first, at the
 * same times (first: the first's sorted times). */
static int check_more(const vtp_seg_account *a, const vtp_result *res, int k,
                      const int64_t *first, char *why, size_t why_size)
{
    const vtp_result_stream *m = &res->more[k];
    if (m->pkts.n != res->pkts.n)
        return vtp_why(why, why_size, VTP_ERR_MISMATCH,
                       "segment %u: rendition %d has %d frames, the first %d", a->index, k + 2,
                       m->pkts.n, res->pkts.n);
    if (m->pkts.n == 0)
        return 0;
    if (av_cmp_q(m->time_base, a->time_base) != 0)
        return vtp_why(why, why_size, VTP_ERR_MISMATCH,
                       "segment %u: rendition %d has another time base", a->index, k + 2);
    int64_t *pts = NULL;
    int ret = sorted_times(a, &m->pkts, &pts, why, why_size);
    if (ret == 0 && memcmp(pts, first, sizeof(*pts) * (size_t)m->pkts.n) != 0)
        ret = vtp_why(why, why_size, VTP_ERR_MISMATCH,
                      "segment %u: rendition %d's frames are not at the first one's times",
                      a->index, k + 2);
    free(pts);
    return ret;
}

int vtp_account_check(const vtp_seg_account *a, const vtp_result *res, int64_t *dropped,
                      char *why, size_t why_size)
{
    char from[32], to[32];
    at(from, sizeof(from), a->cut_start, a->time_base);
    at(to, sizeof(to), a->cut_end, a->time_base);
    *dropped = 0;

    if (a->frames_expected >= 0 && res->frames_counted != a->frames_expected) {
        int64_t missing = a->frames_expected - res->frames_counted;
        if (!a->skip_errors || missing < 0)
            return vtp_why(why, why_size, VTP_ERR_TRUNCATED,
                           "segment %u (%s to %s) decoded to %lld frames, but its packets "
                           "hold %lld", a->index, from, to, (long long)res->frames_counted,
                           (long long)a->frames_expected);
        /* What the worker already counted as skipped is not dropped twice. */
        *dropped = missing > res->skipped ? missing - res->skipped : 0;
    }
    if (res->pkts.n != res->frames)
        return vtp_why(why, why_size, VTP_ERR_MISMATCH,
                       "segment %u (%s to %s): the encoder gave %d packets for %lld frames",
                       a->index, from, to, res->pkts.n, (long long)res->frames);
    if (a->renditions > 0 && res->nmore != a->renditions - 1)
        return vtp_why(why, why_size, VTP_ERR_MISMATCH,
                       "segment %u has %d renditions, not %d", a->index, res->nmore + 1,
                       a->renditions);
    if (res->pkts.n == 0 && res->nmore == 0)
        return 0;
    if (res->pkts.n > 0 && av_cmp_q(res->time_base, a->time_base) != 0)
        return vtp_why(why, why_size, VTP_ERR_MISMATCH, "segment %u has another time base",
                       a->index);

    int64_t *pts = NULL;
    int ret = sorted_times(a, &res->pkts, &pts, why, why_size);
    for (int k = 0; k < res->nmore && !ret; k++)
        ret = check_more(a, res, k, pts, why, why_size);
    free(pts);
    return ret;
}

static int cmp_pkt_pts(const void *x, const void *y)
{
    const AVPacket *a = *(AVPacket *const *)x, *b = *(AVPacket *const *)y;
    return (a->pts > b->pts) - (a->pts < b->pts);
}

static void fill_durations(const vtp_seg_account *a, vtp_pktlist *pkts)
{
    int n = pkts->n;
    AVPacket **by_pts = n > 0 ? malloc(sizeof(*by_pts) * (size_t)n) : NULL;
    if (!by_pts)
        return;     /* durations are a courtesy to the muxer */
    memcpy(by_pts, pkts->v, sizeof(*by_pts) * (size_t)n);
    qsort(by_pts, (size_t)n, sizeof(*by_pts), cmp_pkt_pts);
    int64_t gap = 0;
    for (int i = 0; i < n; i++) {
        AVPacket *p = by_pts[i];
        int64_t next = i + 1 < n ? by_pts[i + 1]->pts : a->cut_end;
        if (next != VTP_PTS_MAX)
            gap = next - p->pts;
        if (p->duration <= 0 && gap > 0)
            p->duration = gap;
    }
    free(by_pts);
}

void vtp_account_fill_durations(const vtp_seg_account *a, vtp_result *res)
{
    fill_durations(a, &res->pkts);
    for (int k = 0; k < res->nmore; k++)
        fill_durations(a, &res->more[k].pkts);
}
