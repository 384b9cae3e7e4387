/* simulate.c -- `vtpool bench --simulate`: measured segment times replayed
 * at N virtual cores (see vtp_bench.h). Nothing here reads a clock or a
 * file: segments in, figures out. */
#include "vtp_bench.h"

#include <stdlib.h>

#include "vtp_cutter.h"
#include "vtp_error.h"

int vtp_sim_schedule(const double *costs, int n, int slots, vtp_sim_result *out)
{
    if (slots < 1)
        return VTP_ERR_USAGE;
    /* Every slot's last finish; slots that never get a segment stay at 0. */
    double *free_at = calloc((size_t)slots, sizeof(*free_at));
    if (!free_at)
        return VTP_ERR_NOMEM;
    *out = (vtp_sim_result){.segments = n};
    for (int i = 0; i < n; i++) {
        int first = 0;
        for (int k = 1; k < slots; k++)
            if (free_at[k] < free_at[first])
                first = k;
        free_at[first] += costs[i];
        out->busy += costs[i];
    }
    double idle_from = free_at[0];
    for (int k = 0; k < slots; k++) {
        out->wall = free_at[k] > out->wall ? free_at[k] : out->wall;
        idle_from = free_at[k] < idle_from ? free_at[k] : idle_from;
    }
    out->efficiency = out->wall > 0 ? out->busy / (slots * out->wall) : 0;
    out->tail = out->wall - idle_from;
    free(free_at);
    return 0;
}

/* The measured segments as a cost per frame along the input, read front to
 * back: `at` is the frame where segment k starts. */
typedef struct profile {
    const vtp_sim_segment *seg;
    int n, k;
    int64_t at;
} profile;

/* The cost of frames [from, to), from >= every earlier call's from. */
static double profile_cost(profile *p, int64_t from, int64_t to)
{
    double cost = 0;
    while (p->k < p->n && p->at + p->seg[p->k].frames <= from)
        p->at += p->seg[p->k++].frames;
    int64_t at = p->at;
    for (int k = p->k; k < p->n && at < to; at += p->seg[k++].frames) {
        const vtp_sim_segment *s = &p->seg[k];
        int64_t lo = from > at ? from : at, hi = to < at + s->frames ? to : at + s->frames;
        if (hi > lo)
            cost += s->cost * (double)(hi - lo) / (double)s->frames;
    }
    return cost;
}

/* The new segments' costs, as they are cut. */
typedef struct cuts {
    profile cost;
    double *v;
    int n, cap;
} cuts;

static int add_segment(cuts *c, int64_t from, int64_t to)
{
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 64;
        double *v = realloc(c->v, (size_t)cap * sizeof(*v));
        if (!v)
            return VTP_ERR_NOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = profile_cost(&c->cost, from, to);
    return 0;
}

int vtp_sim_replan(const vtp_sim_segment *measured, int n, const vtp_sim_packet *pkts,
                   int64_t npkts, const vtp_sim_plan *plan, int workers, double **costs)
{
    int64_t total = 0, from = 0;
    for (int i = 0; i < n; i++)
        total += measured[i].frames;
    vtp_cutter c;
    vtp_cutter_init(&c, plan->target, plan->long_gop);
    c.end = total;
    c.workers = workers;
    c.spread = plan->spread;
    c.min_len = plan->min_len;
    c.grid = plan->grid;
    cuts out = {.cost = {.seg = measured, .n = n}};
    int decoding = 0, ret = 0;
    for (int64_t i = 0; i < npkts && !decoding && ret == 0; i++) {
        int events, place = vtp_cutter_feed(&c, pkts[i].ts, pkts[i].dts, pkts[i].key, &events);
        int64_t cut = vtp_cutter_last_cut(&c);
        if ((place == VTP_CUT_NEW || place == VTP_CUT_SPLIT) && cut > from && cut < total) {
            ret = add_segment(&out, from, cut);
            from = cut;
        }
        decoding = events & VTP_CUT_EV_LONG_GOP;
    }
    /* Keyframes too far apart: the splitter decodes from the open segment's
     * start on and cuts the frames at the planned lengths. */
    while (decoding && ret == 0 && from < total) {
        int64_t len = vtp_cutter_target_at(&c, from);
        int64_t to = len < total - from ? from + len : total;
        ret = add_segment(&out, from, to);
        from = to;
    }
    if (ret == 0 && from < total)
        ret = add_segment(&out, from, total);
    if (ret < 0) {
        free(out.v);
        return ret;
    }
    *costs = out.v;
    return out.n;
}

int vtp_simulate(const vtp_sim_segment *measured, int n, const vtp_sim_packet *pkts,
                 int64_t npkts, const vtp_sim_plan *plan, int workers, vtp_sim_result *out)
{
    double *costs = NULL;
    int count = vtp_sim_replan(measured, n, pkts, npkts, plan, workers, &costs);
    if (count < 0)
        return count;
    int ret = vtp_sim_schedule(costs, count, workers, out);
    free(costs);
    return ret;
}
