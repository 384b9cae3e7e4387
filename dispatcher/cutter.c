/* cutter.c -- segment boundaries from packet timestamps (see vtp_cutter.h). */
#include "vtp_cutter.h"

#include <string.h>

#define NO_TS INT64_MIN

void vtp_cutter_init(vtp_cutter *c, int64_t target, int64_t long_gop)
{
    memset(c, 0, sizeof(*c));
    c->target = target > 0 ? target : 1;
    c->long_gop = long_gop;
}

int64_t vtp_cutter_last_cut(const vtp_cutter *c)
{
    return c->closing_cut;
}

int vtp_cutter_feed(vtp_cutter *c, int64_t ts, int key, int *events)
{
    *events = 0;

    if (!c->started) {
        c->started = 1;
        c->open_start = ts;
        c->last_key = ts;
        return VTP_CUT_OPEN;
    }

    if (c->closing) {
        if (!key && ts != NO_TS && ts < c->closing_cut)
            return VTP_CUT_CLOSING;
        c->closing = 0;
        *events |= VTP_CUT_EV_CLOSED;
    }

    if (c->open_start == NO_TS && key)
        c->open_start = ts;

    if (key && ts != NO_TS && c->open_start != NO_TS && ts - c->open_start >= c->target) {
        c->closing = 1;
        c->closing_cut = ts;
        c->open_start = ts;
        c->last_key = ts;
        c->long_gop_told = 0;
        return VTP_CUT_NEW;
    }

    if (key && ts != NO_TS)
        c->last_key = ts;
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
