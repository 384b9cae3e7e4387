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
#include "vtp_node.h"
#include "vtp_pool.h"

#define VTP_POLL_MS 100                 /* progress refresh while waiting */

typedef struct outcome {
    int ended;
    int status;
    char *why;
    size_t why_size;
    vtp_job_progress final;     /* the job's figures as it ended */
} outcome;

static void on_end(void *opaque, vtp_job *job, int status, const char *why)
{
    outcome *o = opaque;
    vtp_job_progress_get(job, &o->final);
    o->ended = 1;
    o->status = status;
    if (status < 0)
        snprintf(o->why, o->why_size, "%s", why);
}

static void report(const vtp_encode_cfg *cfg, vtp_dispatcher *d, vtp_job *job, double t0,
                   int workers, vtp_job_progress *last, int done)
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
        .done = done,
    };
    cfg->progress(cfg->progress_opaque, &p);
}

int vtp_encode_run(const vtp_encode_cfg *cfg, char *why, size_t why_size)
{
    return vtp_encode_run_stats(cfg, NULL, why, why_size);
}

int vtp_encode_run_stats(const vtp_encode_cfg *cfg, vtp_encode_stats *stats, char *why,
                         size_t why_size)
{
    double cpu0 = vtp_clock_thread_cpu();
    double first_sent = 0;
    double t0 = vtp_clock_now();
    int workers = cfg->jobs > 0 ? cfg->jobs : vtp_cpu_count();
    outcome out = {.why = why, .why_size = why_size};
    char endpoint[64];
    void *zctx = NULL;
    vtp_dispatcher *d = NULL;
    vtp_node_thread *node = NULL;
    vtp_job_progress last = {0};
    int err = 0, ret;

    why[0] = 0;
    vtp_job_cfg jc = {
        .id = 1,
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
    };
    vtp_job *job = vtp_job_open(&jc, &err, why, why_size);
    if (!job)
        return err;

    snprintf(endpoint, sizeof(endpoint), "inproc://vtpool-encode-%p", (void *)&out);
    const char *eps[] = {endpoint};
    vtp_dispatcher_cfg dc = {.endpoints = eps, .nendpoints = 1, .on_end = on_end, .opaque = &out};
    if (!(zctx = zmq_ctx_new()) || !(dc.zctx = zctx, d = vtp_dispatcher_new(&dc)) ||
        !(node = vtp_node_start(zctx, endpoint, workers))) {
        vtp_job_destroy(&job);
        ret = VTP_ERR_ZMQ;
        snprintf(why, why_size, "cannot start %d worker threads", workers);
        goto end;
    }
    if ((ret = vtp_dispatcher_add(d, job, 0)) < 0) {
        vtp_job_destroy(&job);
        goto end;
    }

    while (!out.ended) {
        if (cfg->stop && *cfg->stop) {
            ret = VTP_ERR_INTERRUPTED;
            snprintf(why, why_size, "interrupted");
            goto end;
        }
        zmq_pollitem_t item = {vtp_dispatcher_socket(d), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, VTP_POLL_MS) < 0 && zmq_errno() != EINTR) {
            ret = VTP_ERR_ZMQ;
            goto end;
        }
        if ((ret = vtp_dispatcher_step(d)) < 0)
            goto end;
        if (!first_sent && vtp_dispatcher_busy(d) > 0)
            first_sent = vtp_clock_now() - t0;
        if (!out.ended)
            report(cfg, d, vtp_dispatcher_job(d, 1), t0, workers, &last, 0);
        else if (out.status == 0)
            report(cfg, d, NULL, t0, workers, &out.final, 1);
    }
    ret = out.status;
    if (ret == 0 && stats) {
        stats->frames = out.final.frames;
        stats->media_seconds = out.final.media_seconds;
        stats->dispatcher_cpu = vtp_clock_thread_cpu() - cpu0;
        stats->first_segment = first_sent;
        stats->skipped = out.final.skipped;
    }
end:
    if (ret < 0 && !why[0])
        snprintf(why, why_size, "%s", vtp_strerror(ret));
    vtp_node_stop(&node);
    vtp_dispatcher_destroy(&d);
    if (zctx)
        zmq_ctx_term(zctx);
    return ret;
}
