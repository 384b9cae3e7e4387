/* encode.c -- `vtpool encode`: one job on this machine's cores
 * (see vtp_encode.h).
 *
 * The same dispatcher and job code as `vtpool serve`, with one job, no
 * queue, results kept in memory, and a worker node in this process
 * connected over inproc (messages pass by reference, never copied).
 */
#include "vtp_encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "vtp_dispatcher.h"
#include "vtp_clock.h"
#include "vtp_error.h"
#include "vtp_job.h"
#include "vtp_log.h"
#include "vtp_node.h"
#include "vtp_passrec.h"
#include "vtp_pool.h"

#define VTP_POLL_MS 100                 /* progress refresh while waiting */

typedef struct outcome {
    int ended;
    int status;
    char *why;
    size_t why_size;
    vtp_job_progress final;     /* the job's figures as it ended */
    double media_cpu;           /* of the media threads of the jobs that ended */
    const vtp_encode_cfg *cfg;
    int64_t timed_job;          /* the job whose segments go to cfg->on_segment */
    double t0;                  /* when the encode started */
} outcome;

static void on_end(void *opaque, vtp_job *job, int status, const char *why)
{
    outcome *o = opaque;
    vtp_job_progress_get(job, &o->final);
    o->media_cpu += o->final.media_cpu;
    o->ended = 1;
    o->status = status;
    if (status < 0)
        snprintf(o->why, o->why_size, "%s", why);
}

static void on_lease(void *opaque, const vtp_lease_report *r)
{
    outcome *o = opaque;
    if (r->job != o->timed_job)
        return;     /* a first pass's */
    vtp_segment_time t = {.index = r->index, .frames = r->frames, .threads = r->threads,
                          .sent = r->sent - o->t0, .done = r->done - o->t0, .cpu = r->cpu};
    o->cfg->on_segment(o->cfg->segment_opaque, &t);
}

static void report(const vtp_encode_cfg *cfg, vtp_dispatcher *d, vtp_job *job, double t0,
                   int workers, int pass, vtp_job_progress *last, int done)
{
    if (!cfg->progress)
        return;
    if (job)
        vtp_job_progress_get(job, last);
    vtp_progress p = {
        .frames = last->frames,
        .media_seconds = last->media_seconds,
        .total_seconds = last->total_seconds,
        .elapsed = vtp_clock_now() - t0,
        .workers = workers,
        .busy = d ? vtp_dispatcher_busy(d) : 0,
        .segments_done = (int)last->segments_written,
        .pass = pass,
        .passes = cfg->passes == 2 ? 2 : 1,
        .done = done,
    };
    cfg->progress(cfg->progress_opaque, &p);
}

int vtp_encode_run(const vtp_encode_cfg *cfg, char *why, size_t why_size)
{
    return vtp_encode_run_stats(cfg, NULL, why, why_size);
}

/* Runs job (added to d, which destroys it) to its end: 0 with its last
 * figures in out->final, or negative with why set. */
static int run_job(const vtp_encode_cfg *cfg, vtp_dispatcher *d, vtp_job *job, outcome *out,
                   double t0, int workers, int pass, double *first_sent, char *why,
                   size_t why_size)
{
    vtp_job_progress last = {0};
    int64_t id = vtp_job_id(job);
    int ret;

    out->ended = 0;
    if ((ret = vtp_dispatcher_add(d, job, 0)) < 0) {
        vtp_job_destroy(&job);
        return ret;
    }
    while (!out->ended) {
        if (cfg->stop && atomic_load(cfg->stop)) {
            snprintf(why, why_size, "interrupted");
            return VTP_ERR_INTERRUPTED;
        }
        if ((ret = vtp_dispatcher_poll(d, NULL, 0, VTP_POLL_MS)) < 0 ||
            (ret = vtp_dispatcher_step(d)) < 0)
            return ret;
        if (!*first_sent && vtp_dispatcher_busy(d) > 0)
            *first_sent = vtp_clock_now() - t0;
        if (!out->ended)
            report(cfg, d, vtp_dispatcher_job(d, id), t0, workers, pass, &last, 0);
        else if (out->status == 0)
            report(cfg, d, NULL, t0, workers, pass, &out->final,
                   pass == (cfg->passes == 2 ? 2 : 1));
    }
    return out->status;
}

/* Two-pass encoding: after the first pass, each segment's share of -b. */
static int plan_second_pass(const vtp_encode_cfg *cfg, vtp_passrec *rec, char *why,
                            size_t why_size)
{
    int64_t rate = vtp_enc_opts_bitrate(&cfg->opts);
    double min, max;
    int ret = vtp_passrec_plan(rec, (double)rate, why, why_size);
    if (ret < 0)
        return ret;
    vtp_passrec_rates(rec, &min, &max);
    vtp_log(VTP_LOG_INFO, "second pass: %u segments, %.0f to %.0f kbit/s for %.0f kbit/s overall",
            vtp_passrec_segments(rec), min / 1000, max / 1000, (double)rate / 1000);
    return 0;
}

int vtp_encode_run_stats(const vtp_encode_cfg *cfg, vtp_encode_stats *stats, char *why,
                         size_t why_size)
{
    double cpu0 = vtp_clock_thread_cpu();
    double first_sent = 0;
    double t0 = vtp_clock_now();
    int workers = cfg->jobs > 0 ? cfg->jobs : vtp_cpu_count();
    int two = cfg->passes == 2;
    outcome out = {.why = why, .why_size = why_size, .cfg = cfg, .t0 = t0};
    char endpoint[64];
    void *zctx = NULL;
    vtp_dispatcher *d = NULL;
    vtp_node_thread *node = NULL;
    vtp_passrec *rec = NULL;
    vtp_job *first = NULL, *job = NULL;
    int err = 0, ret;

    why[0] = 0;
    if (two && !(rec = vtp_passrec_new(cfg->output, &err, why, why_size)))
        return err;
    vtp_job_cfg jc = {
        .encoders = vtp_worker_encoders(),
        .id = two ? 2 : 1,
        .input = cfg->input,
        .output = cfg->output,
        .opts = &cfg->opts,
        .audio = cfg->audio,
        .segment_seconds = cfg->segment_seconds,
        .parallelism = workers,
        .fixed_segments = cfg->fixed_segments,
        .overwrite = cfg->overwrite,
        .skip_errors = cfg->skip_errors,
        .window = 2 * workers + 2,
        .pass = two ? 2 : 0,
        .passrec = rec,
        .renditions = cfg->renditions,
        .nrenditions = cfg->nrenditions,
        .live_playlist = cfg->live_playlist,
    };
    out.timed_job = jc.id;      /* the pass that writes the output */
    /* Both passes are opened, so every setting is checked, before any work. */
    if (!(job = vtp_job_open(&jc, &err, why, why_size)) ||
        (err = vtp_job_check(job, why, why_size)) < 0) {
        vtp_job_destroy(&job);
        vtp_passrec_destroy(&rec);
        return err;
    }
    if (two) {
        jc.id = 1;
        jc.pass = 1;
        if (!(first = vtp_job_open(&jc, &err, why, why_size)) ||
            (err = vtp_job_check(first, why, why_size)) < 0) {
            vtp_job_destroy(&first);
            vtp_job_destroy(&job);
            vtp_passrec_destroy(&rec);
            return err;
        }
    }

    snprintf(endpoint, sizeof(endpoint), "inproc://vtpool-encode-%p", (void *)&out);
    const char *eps[] = {endpoint};
    vtp_dispatcher_cfg dc = {.endpoints = eps, .nendpoints = 1, .on_end = on_end,
                             .on_lease = cfg->on_segment ? on_lease : NULL, .opaque = &out};
    if (!(zctx = zmq_ctx_new()) || !(dc.zctx = zctx, d = vtp_dispatcher_new(&dc)) ||
        !(node = vtp_node_start(zctx, endpoint, workers))) {
        ret = VTP_ERR_ZMQ;
        snprintf(why, why_size, "cannot start %d worker threads", workers);
        goto end;
    }
    if (first) {
        vtp_job *j1 = first;
        first = NULL;
        if ((ret = run_job(cfg, d, j1, &out, t0, workers, 1, &first_sent, why, why_size)) < 0 ||
            (ret = plan_second_pass(cfg, rec, why, why_size)) < 0)
            goto end;
    }
    vtp_job *j2 = job;
    job = NULL;
    if ((ret = run_job(cfg, d, j2, &out, t0, workers, two ? 2 : 1, &first_sent, why,
                       why_size)) < 0)
        goto end;
    if (stats) {
        stats->frames = out.final.frames;
        stats->media_seconds = out.final.media_seconds;
        stats->dispatcher_cpu = vtp_clock_thread_cpu() - cpu0 + out.media_cpu;
        stats->first_segment = first_sent;
        stats->skipped = out.final.skipped;
    }
end:
    if (ret < 0 && !why[0])
        snprintf(why, why_size, "%s", vtp_strerror(ret));
    vtp_job_destroy(&first);
    vtp_job_destroy(&job);
    vtp_node_stop(&node);
    vtp_dispatcher_destroy(&d);
    if (zctx)
        zmq_ctx_term(zctx);
    vtp_passrec_destroy(&rec);
    return ret;
}
