/* passrec.c -- two-pass encoding: the first pass's record of a job
 * (see vtp_passrec.h). */
#include "vtp_passrec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>

#include "vtp_error.h"
#include "vtp_fileio.h"
#include "vtp_joiner.h"
#include "vtp_proto.h"

typedef struct entry {
    int64_t cut_start, cut_end;
    int64_t frames;
    vtp_pass_cost cost;
    int has_tree;
    double bits;                /* planned for the second pass */
} entry;

struct vtp_passrec {
    char *dir;
    entry *v;
    uint32_t n, cap;
    int planned;
    double rate;
    AVCodecParameters *par;     /* the first pass's pictures */
    AVRational time_base, frame_rate;
};

static void file_path(const vtp_passrec *r, uint32_t index, const char *part, char *buf,
                      size_t size)
{
    snprintf(buf, size, "%s/seg-%08u.%s", r->dir, index, part);
}

vtp_passrec *vtp_passrec_new(const char *output, int *err, char *why, size_t ws)
{
    vtp_passrec *r = calloc(1, sizeof(*r));
    if (!r || !(r->dir = vtp_joiner_temp_path(output, "pass-XXXXXX"))) {
        free(r);
        *err = VTP_ERR_NOMEM;
        snprintf(why, ws, "out of memory");
        return NULL;
    }
    if (!mkdtemp(r->dir)) {
        *err = VTP_ERR_OUTPUT;
        snprintf(why, ws, "cannot create '%s' for the first pass: %s", r->dir, strerror(errno));
        free(r->dir);
        free(r);
        return NULL;
    }
    return r;
}

void vtp_passrec_destroy(vtp_passrec **self_p)
{
    vtp_passrec *r = *self_p;
    if (!r)
        return;
    char path[4200];
    for (uint32_t i = 0; i < r->n; i++) {
        file_path(r, i, "log", path, sizeof(path));
        unlink(path);
        file_path(r, i, "tree", path, sizeof(path));
        unlink(path);
    }
    rmdir(r->dir);
    avcodec_parameters_free(&r->par);
    free(r->dir);
    free(r->v);
    free(r);
    *self_p = NULL;
}

int vtp_passrec_add(vtp_passrec *r, uint32_t index, int64_t cut_start, int64_t cut_end,
                    int64_t frames, double seconds, vtp_passlog *log, char *why, size_t ws)
{
    char path[4200];
    int ret;

    if (index != r->n || r->planned) {
        snprintf(why, ws, "first pass: segment %u out of order", index);
        return AVERROR_BUG;
    }
    if (r->n == r->cap) {
        uint32_t cap = r->cap ? 2 * r->cap : 64;
        entry *v = realloc(r->v, cap * sizeof(*v));
        if (!v)
            return snprintf(why, ws, "out of memory"), VTP_ERR_NOMEM;
        r->v = v;
        r->cap = cap;
    }
    entry *e = &r->v[r->n];
    memset(e, 0, sizeof(*e));
    e->cut_start = cut_start;
    e->cut_end = cut_end;
    e->frames = frames;
    e->cost.seconds = seconds;
    if (frames > 0 && vtp_pass_cost_parse(log->log, log->log_len, &e->cost) < 0) {
        snprintf(why, ws, "segment %u: the encoder's first-pass record has no frame sizes", index);
        return VTP_ERR_ENCODER;
    }
    file_path(r, index, "log", path, sizeof(path));
    if ((ret = vtp_file_write(path, log->log, log->log_len, 0600, 0)) == 0 && log->tree_len) {
        file_path(r, index, "tree", path, sizeof(path));
        ret = vtp_file_write(path, log->tree, log->tree_len, 0600, 0);
        e->has_tree = 1;
    }
    r->n++;     /* so that destroy removes what was written */
    if (ret < 0) {
        snprintf(why, ws, "storing the first pass of segment %u in '%s': %s", index, path,
                 av_err2str(ret));
        return ret == AVERROR(ENOSPC) ? ret : VTP_ERR_OUTPUT;
    }
    vtp_passlog_clear(log);
    return 0;
}

int vtp_passrec_plan(vtp_passrec *r, double rate, char *why, size_t ws)
{
    vtp_pass_cost *c = malloc((r->n ? r->n : 1) * sizeof(*c));
    double *bits = malloc((r->n ? r->n : 1) * sizeof(*bits));
    int ret = VTP_ERR_NOMEM;
    if (c && bits) {
        for (uint32_t i = 0; i < r->n; i++)
            c[i] = r->v[i].cost;
        if ((ret = vtp_ratealloc(c, (int)r->n, rate, bits)) == 0) {
            for (uint32_t i = 0; i < r->n; i++)
                r->v[i].bits = bits[i];
            r->planned = 1;
            r->rate = rate;
        }
    }
    if (ret == VTP_ERR_NOMEM)
        snprintf(why, ws, "out of memory");
    else if (ret < 0)
        snprintf(why, ws, "the first pass gave nothing to share %.0f bit/s among", rate);
    free(c);
    free(bits);
    return ret;
}

int vtp_passrec_get(const vtp_passrec *r, uint32_t index, int64_t cut_start, int64_t cut_end,
                    int64_t frames, int64_t *bitrate, vtp_passlog *log, char *why, size_t ws)
{
    char path[4200];
    int ret;

    vtp_passlog_clear(log);
    const entry *e = index < r->n && r->planned ? &r->v[index] : NULL;
    if (!e || e->cut_start != cut_start || e->cut_end != cut_end ||
        (frames >= 0 && e->frames >= 0 && frames != e->frames)) {
        snprintf(why, ws, "the second pass cut segment %u otherwise than the first", index);
        return AVERROR_BUG;
    }
    double rate = e->cost.seconds > 0 ? e->bits / e->cost.seconds : 0;
    *bitrate = rate < 1000 ? 1000 : (int64_t)(rate + 0.5);
    file_path(r, index, "log", path, sizeof(path));
    if ((ret = vtp_file_read(path, VTP_MAX_PASSLOG, &log->log, &log->log_len)) == 0 &&
        e->has_tree) {
        file_path(r, index, "tree", path, sizeof(path));
        ret = vtp_file_read(path, VTP_MAX_PASSLOG, &log->tree, &log->tree_len);
    }
    if (ret < 0) {
        vtp_passlog_clear(log);
        snprintf(why, ws, "reading the first pass of segment %u from '%s': %s", index, path,
                 av_err2str(ret));
        return ret == AVERROR(ENOMEM) ? VTP_ERR_NOMEM : VTP_ERR_OUTPUT;
    }
    return 0;
}

uint32_t vtp_passrec_segments(const vtp_passrec *r)
{
    return r->n;
}

void vtp_passrec_rates(const vtp_passrec *r, double *min, double *max)
{
    *min = *max = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        double rate = r->v[i].cost.seconds > 0 ? r->v[i].bits / r->v[i].cost.seconds : 0;
        if (i == 0 || rate < *min)
            *min = rate;
        if (i == 0 || rate > *max)
            *max = rate;
    }
}

int vtp_passrec_set_picture(vtp_passrec *r, const AVCodecParameters *par, AVRational time_base,
                            AVRational rate)
{
    if (!r->par && !(r->par = avcodec_parameters_alloc()))
        return VTP_ERR_NOMEM;
    r->time_base = time_base;
    r->frame_rate = rate;
    return avcodec_parameters_copy(r->par, par) < 0 ? VTP_ERR_NOMEM : 0;
}

const AVCodecParameters *vtp_passrec_picture(const vtp_passrec *r, AVRational *time_base,
                                             AVRational *rate)
{
    *time_base = r->time_base;
    *rate = r->frame_rate;
    return r->par;
}

double vtp_passrec_rate(const vtp_passrec *r)
{
    return r->rate;
}
