/* cutter.c -- segment boundaries from packet timestamps (see vtp_cutter.h). */
#include "vtp_cutter.h"

#include <string.h>

#include <libavutil/common.h>

#define NO_TS VTP_CUT_NO_TS

void vtp_cutter_init(vtp_cutter *c, int64_t target, int64_t long_gop)
{
    memset(c, 0, sizeof(*c));
    c->target = target > 0 ? target : 1;
    c->long_gop = long_gop;
    c->end = NO_TS;
    c->open_start = NO_TS;
    c->max_ts = NO_TS;
    c->last_key = NO_TS;
}

int64_t vtp_cutter_last_cut(const vtp_cutter *c)
{
    return c->closing_cut;
}

int64_t vtp_cutter_target_at(vtp_cutter *c, int64_t start)
{
    int64_t t = c->target;
    if (c->workers > 1 && c->end != NO_TS && start != NO_TS && c->min_len > 0 &&
        c->min_len < c->target && c->end > start) {
        int64_t left = c->end - start;
        int64_t share = (int64_t)c->workers * (c->spread > 1 ? c->spread : 1);
        if (c->grid > 0 && left < c->workers * c->grid) {
            /* Less than an interval for each worker remains: one last round,
             * an equal part for each, rather than ever shorter segments
             * that each cost a keyframe the encoder would not have put. */
            if (!c->round_len)
                c->round_len = FFMAX(left / c->workers, c->min_len);
            t = c->round_len;
        } else {
            t = left / share;
            if (t > c->target)
                t = c->target;
            if (c->grid > 0 && t >= c->grid)
                t -= t % c->grid;
        }
        if (t < c->min_len)
            t = c->min_len;
        /* No crumb of a segment at the very end. */
        if (left - t < c->min_len / 2)
            t = left;
    }
    return t;
}

/* Whether the open segment's length keeps the encoder's keyframes where
 * one encoder of the whole input would put them. */
static int on_grid(const vtp_cutter *c)
{
    return c->grid > 0 && c->open_target >= c->grid && c->open_target % c->grid == 0;
}

/* Whether the open segment lies in the tail (shorter than the target). */
static int in_tail(const vtp_cutter *c)
{
    return c->open_target < c->target;
}

/* Whether a tail cut at ts would leave a crumb of a segment after it. */
static int crumb_after(const vtp_cutter *c, int64_t ts)
{
    return c->end != NO_TS && c->end - ts < c->min_len / 2;
}

static void open_at(vtp_cutter *c, int64_t ts)
{
    c->open_start = ts;
    c->open_target = vtp_cutter_target_at(c, ts);
    c->max_ts = ts;
    c->long_gop_told = 0;
}

static void cut_at(vtp_cutter *c, int64_t ts, int split)
{
    c->closing = 1;
    c->closing_split = split;
    c->closing_cut = ts;
    if (!split)
        c->last_key = ts;
    open_at(c, ts);
}

/* Whether a packet after a cut still belongs to the closing segment. */
static int before_cut(const vtp_cutter *c, int64_t ts, int64_t dts, int key)
{
    if (c->closing_split && dts != NO_TS)
        return dts < c->closing_cut;
    return !key && ts != NO_TS && ts < c->closing_cut;
}

int vtp_cutter_feed(vtp_cutter *c, int64_t ts, int64_t dts, int key, int *events)
{
    *events = 0;

    if (!c->started) {
        c->started = 1;
        open_at(c, ts);
        c->last_key = ts;
        return VTP_CUT_OPEN;
    }

    if (c->closing) {
        if (before_cut(c, ts, dts, key)) {
            if (!c->closing_split)
                return VTP_CUT_CLOSING;
            if (ts != NO_TS && ts > c->max_ts)
                c->max_ts = ts;
            return VTP_CUT_BOTH;
        }
        c->closing = 0;
        *events |= VTP_CUT_EV_CLOSED;
    }

    if (c->open_start == NO_TS && key)
        open_at(c, ts);

    if (key && ts != NO_TS && c->open_start != NO_TS) {
        /* In the tail a keyframe a little early (a quarter; with
         * prefer_keys, half) beats decoding up to a cut between keyframes;
         * not where the cut keeps the encoder's rhythm. */
        int64_t early = c->open_target / (c->prefer_keys ? 2 : 4);
        int64_t need = in_tail(c) && !on_grid(c) ? c->open_target - early : c->open_target;
        int64_t elapsed = ts - c->open_start;
        if (elapsed > 0 && ((elapsed >= need && !(in_tail(c) && crumb_after(c, ts))) || c->full)) {
            cut_at(c, ts, 0);
            return VTP_CUT_NEW;
        }
    }

    if (key && ts != NO_TS)
        c->last_key = ts;

    if (!key && in_tail(c) && ts != NO_TS && dts != NO_TS && c->open_start != NO_TS &&
        c->max_ts != NO_TS && ts > c->max_ts && ts - c->open_start >= c->open_target &&
        !crumb_after(c, ts) &&
        c->last_key != NO_TS && ts - c->last_key <= (c->long_gop > 0 ? c->long_gop : c->target)) {
        cut_at(c, ts, 1);
        return VTP_CUT_SPLIT;
    }
    if (ts != NO_TS && (c->max_ts == NO_TS || ts > c->max_ts))
        c->max_ts = ts;

    /* Keyframes are too rare when none came for long_gop, not merely when
     * the open segment is long (keyframes need not fall on the target). */
    if (c->long_gop > 0 && !c->long_gop_told && ts != NO_TS && c->open_start != NO_TS &&
        ts - c->open_start >= c->long_gop && c->last_key != NO_TS &&
        ts - c->last_key >= c->long_gop) {
        c->long_gop_told = 1;
        *events |= VTP_CUT_EV_LONG_GOP;
    }
    return VTP_CUT_OPEN;
}
