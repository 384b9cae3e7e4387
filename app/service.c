/* service.c -- `vtpool serve` (see vtp_service.h).
 *
 * DESIGN
 * One thread runs everything that touches the queue, the dispatcher and
 * the control socket, so none of them needs a lock: a zmq_poll over the
 * dispatcher's socket and the control socket, then the dispatcher's step,
 * then as many new jobs as idle workers can use.
 *
 * GUARANTEES
 *  - A submit is answered only after the jobs are committed to the queue.
 *  - A job's state changes in the queue when it starts, ends or is
 *    cancelled; a crash leaves it "running", and the next start resumes it
 *    with the segments already stored.
 *
 * With --http, the web server (vtp_http.h) runs on threads of its own and
 * puts its requests to this thread through a second request socket
 * (inproc, no CURVE), answered by the same code as the control socket's.
 * This thread tells it what changes through a PUB socket: each job's
 * state as it changes and, once a second, running jobs' progress, the
 * workers when they change, and the totals (only while some client
 * listens).
 */
#include "vtp_service.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "vtp_dispatcher.h"
#include "vtp_clock.h"
#include "vtp_error.h"
#include "vtp_http.h"
#include "vtp_joiner.h"
#include "vtp_jobspec.h"
#include "vtp_log.h"
#include "vtp_metrics.h"
#include "vtp_node.h"
#include "vtp_pool.h"
#include "vtp_queue.h"
#include "vtp_security.h"
#include "vtp_spill.h"
#include "vtp_zsock.h"

#define VTP_SERVICE_POLL_MS 100
#define VTP_MAX_SUBMIT 100000           /* jobs in one request */
#define VTP_QUEUE_RETRY_MS 5000         /* after the queue could not record a start */
#define VTP_TICK_MS 1000                /* progress and totals to web clients */
#define VTP_FPS_WINDOW 5                /* seconds the shown frame rate is taken over */
#define VTP_MAX_PEERS_SHOWN 4096
#define VTP_EVENT_JOBS 100              /* a larger submit announces its last ones */
#define VTP_ENDED_KEPT 64
#define VTP_ENDED_REPEAT_MS 5000        /* a job's end is told again this long */

typedef struct service {
    const vtp_service_cfg *cfg;
    vtp_queue *q;
    vtp_dispatcher *d;
    void *control;
    void *web_requests;         /* inproc ROUTER: the HTTP server's requests */
    void *events;               /* inproc PUB: what changes, for the HTTP server */
    vtp_http *http;
    int recount;                /* the queue may have changed: count what waits */
    int64_t fill_after;         /* no job starts before then (ms) */
    vtp_metrics m;
    int64_t next_tick;          /* ms */
    int64_t ended_frames;       /* frames of the jobs that have ended */
    int64_t frames_ago[VTP_FPS_WINDOW + 1];     /* frames_now() at the last ticks */
    int ticks;
    double fps;                 /* over the last ticks */
    int stats_due;              /* a job changed state: the totals, at the pass's end */
    char *workers_shown;        /* the last "workers" event, less its times */
    struct {
        int64_t id, until;      /* ms */
    } ended[VTP_ENDED_KEPT];    /* jobs that ended lately: told again each tick */
    int nended;
} service;

static void publish_job(service *s, int64_t id);

static void spill_dir(const service *s, int64_t id, char *buf, size_t size)
{
    snprintf(buf, size, "%s/job-%lld", s->cfg->workdir, (long long)id);
}

static void remove_spill(const service *s, int64_t id)
{
    char dir[4096];
    spill_dir(s, id, dir, sizeof(dir));
    vtp_spill_remove(dir);      /* results come out of order: gaps are no end */
    vtp_queue_forget_segments(s->q, id);
}

/* What a crashed run of job id may have left next to its output. */
static void remove_temp_output(const char *output, int64_t id)
{
    char tag[32];
    snprintf(tag, sizeof(tag), "job%lld", (long long)id);
    char *tmp = vtp_joiner_temp_path(output, tag);
    if (tmp)
        unlink(tmp);
    free(tmp);
}

static void on_end(void *opaque, vtp_job *job, int status, const char *why)
{
    service *s = opaque;
    s->recount = 1;
    int64_t id = vtp_job_id(job);
    vtp_job_progress p;
    vtp_job_progress_get(job, &p);
    s->ended_frames += p.frames;
    vtp_queue_set_progress(s->q, id, p.frames, p.media_seconds, p.total_seconds);
    if (vtp_queue_set_state(s->q, id, status == 0 ? "done" : "failed", status == 0 ? NULL : why) < 0)
        vtp_log(VTP_LOG_ERROR, "job %lld ended (%s) but the queue cannot record it; it will run "
                "again after a restart", (long long)id, status == 0 ? "done" : why);
    if (status < 0) {
        remove_spill(s, id);
        remove_temp_output(vtp_job_output(job), id);   /* one an earlier run left, too */
        vtp_log(VTP_LOG_WARNING, "job %lld failed: %s", (long long)id, why);
    } else {
        vtp_log(VTP_LOG_INFO, "job %lld done", (long long)id);
    }
    publish_job(s, id);
}

/* A segment's good result: counted for the metrics, by its job's encoder. */
static void on_lease(void *opaque, const vtp_lease_report *r)
{
    service *s = opaque;
    vtp_job *job = vtp_dispatcher_job(s->d, r->job);
    vtp_metrics_segment(&s->m, job ? vtp_job_encoder(job) : NULL, r->frames, r->cpu);
}

static int confined(const service *s, const vtp_jobspec *spec, char *why, size_t ws);

static int window_for(const service *s)
{
    int slots = vtp_dispatcher_slots(s->d);
    int w = 2 * slots + 2;
    return w < 4 ? 4 : w > 64 ? 64 : w;
}

/* Hands a queued or resumed job to the dispatcher, and marks it running.
 * Its media thread opens it (input, output, settings): no file or media
 * work here, where heartbeats and requests are answered; a job that cannot
 * open ends "failed" through on_end. 0, or negative when the queue could
 * not record what happened (a full disk): then nothing was started, and
 * the job is still queued. */
static int start_job(service *s, const vtp_job_info *info)
{
    vtp_jobspec spec;
    char why[1024] = "", dir[4096];
    int err = 0, ret = 0;

    if (vtp_jobspec_parse(info->spec, strlen(info->spec), &spec, why, sizeof(why)) < 0) {
        ret = vtp_queue_set_state(s->q, info->id, "failed", why);
        publish_job(s, info->id);
        return ret;
    }
    if (confined(s, &spec, why, sizeof(why)) < 0) {   /* links may have changed since */
        ret = vtp_queue_set_state(s->q, info->id, "failed", why);
        remove_temp_output(spec.output, info->id);
        vtp_jobspec_clear(&spec);
        publish_job(s, info->id);
        return ret;
    }
    spill_dir(s, info->id, dir, sizeof(dir));
    vtp_job_cfg jc = {
        .encoders = vtp_worker_encoders(),
        .id = info->id,
        .input = spec.input,
        .output = spec.output,
        .opts = &spec.opts,
        .audio = spec.audio,
        .segment_seconds = spec.segment_seconds,
        .overwrite = spec.overwrite || strcmp(info->state, "running") == 0,
        .skip_errors = spec.skip_errors,
        .window = window_for(s),
        .spill_dir = dir,
        .queue = s->q,
        .renditions = spec.renditions,
        .nrenditions = spec.nrenditions,
        .live_playlist = spec.live_playlist,
    };
    vtp_job *job = vtp_job_new(&jc);
    err = job ? vtp_dispatcher_add(s->d, job, info->priority) : VTP_ERR_NOMEM;
    if (err < 0) {
        vtp_job_destroy(&job);
        ret = vtp_queue_set_state(s->q, info->id, "failed", vtp_strerror(err));
        remove_spill(s, info->id);
        remove_temp_output(spec.output, info->id);
    } else if (strcmp(info->state, "running") != 0 &&
               (ret = vtp_queue_set_state(s->q, info->id, "running", NULL)) < 0) {
        /* Still "queued": running it now would start it twice. */
        vtp_dispatcher_remove(s->d, info->id);
        remove_temp_output(spec.output, info->id);
    }
    publish_job(s, info->id);
    vtp_jobspec_clear(&spec);
    return ret;
}

static int resume_one(void *opaque, const vtp_job_info *info)
{
    vtp_log(VTP_LOG_INFO, "resuming job %lld", (long long)info->id);
    if (start_job(opaque, info) < 0)
        vtp_log(VTP_LOG_ERROR, "job %lld could not resume, and the queue cannot record it",
                (long long)info->id);
    return 0;
}

/* Starts queued jobs while workers would otherwise idle. Active jobs are
 * "running" in the queue, so the next "queued" one is always a new one. */
static void fill(service *s)
{
    /* The queue could not record a start (a full disk): try again later,
     * answering requests meanwhile, instead of taking the same job forever. */
    if (vtp_clock_ms() < s->fill_after)
        return;
    while (vtp_dispatcher_jobs(s->d) < VTP_MAX_ACTIVE_JOBS && vtp_dispatcher_hungry(s->d)) {
        vtp_job_info info;
        memset(&info, 0, sizeof(info));
        if (vtp_queue_next(s->q, NULL, 0, &info) != 1)
            break;
        int ret = start_job(s, &info);
        if (ret < 0)
            vtp_log(VTP_LOG_ERROR, "job %lld: the queue cannot record its start (%s); "
                    "trying again in %d s", (long long)info.id, vtp_strerror(ret),
                    VTP_QUEUE_RETRY_MS / 1000);
        vtp_job_info_clear(&info);
        s->recount = 1;
        if (ret < 0) {
            s->fill_after = vtp_clock_ms() + VTP_QUEUE_RETRY_MS;
            break;
        }
    }
    /* Whether jobs wait behind the active ones: then idle workers always
     * have something to take, and no tail needs cutting finer. */
    if (s->recount) {
        vtp_job_info info;
        memset(&info, 0, sizeof(info));
        s->recount = 0;
        vtp_dispatcher_set_backlog(s->d, vtp_queue_next(s->q, NULL, 0, &info) == 1);
        vtp_job_info_clear(&info);
    }
}

/* ---- control requests ---- */

/* Makes s valid UTF-8 in place, as a JSON string must be: each byte that
 * does not belong to a whole, well-formed sequence (a message cut in the
 * middle of a character, a file name in another encoding) becomes '?'. */
static void utf8_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3
              : (*p & 0xf8) == 0xf0 ? 4 : 0;
        int k = 1;
        while (n > 1 && k < n && (p[k] & 0xc0) == 0x80)
            k++;
        int overlong = (n == 2 && *p < 0xc2) || (n == 3 && *p == 0xe0 && p[1] < 0xa0) ||
                       (n == 4 && *p == 0xf0 && p[1] < 0x90);
        int beyond = (n == 3 && *p == 0xed && p[1] >= 0xa0) || (n == 4 && *p > 0xf4) ||
                     (n == 4 && *p == 0xf4 && p[1] >= 0x90);
        if (n == 0 || k < n || overlong || beyond) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

/* A job as clients see it: the queue's row, with its frame rate so far
 * and, while it runs, the seconds it should still take at that pace. */
static json_t *job_json(const vtp_job_info *i)
{
    json_t *spec = json_loads(i->spec ? i->spec : "{}", 0, NULL);
    char *error = i->error ? strdup(i->error) : NULL;
    if (error)
        utf8_clean(error);
    double pct = i->total_seconds > 0 ? 100.0 * i->media_seconds / i->total_seconds : 0;
    int running = strcmp(i->state, "running") == 0;
    if (strcmp(i->state, "done") == 0)
        pct = 100;
    double end = i->finished > 0 ? i->finished : vtp_clock_unix();
    double took = i->started > 0 ? end - i->started : 0;
    double fps = took > 0 ? (double)i->frames / took : 0;
    json_t *eta = json_null();
    if (running && took > 0.5 && i->media_seconds > 0 && i->total_seconds > i->media_seconds)
        eta = json_real(took * (i->total_seconds - i->media_seconds) / i->media_seconds);
    json_t *job = json_pack(
        "{s:I, s:s, s:i, s:o, s:s*, s:f, s:f, s:f, s:I, s:I, s:f, s:f, s:f, s:f, s:o}", "id",
        (json_int_t)i->id, "state", i->state, "priority", i->priority, "spec",
        spec ? spec : json_object(), "error", error, "submitted", i->submitted, "started",
        i->started, "finished", i->finished, "segments", (json_int_t)i->segments_done, "frames",
        (json_int_t)i->frames, "seconds", i->media_seconds, "total_seconds", i->total_seconds,
        "percent", pct > 100 ? 100.0 : pct, "fps", fps, "eta", eta);
    free(error);
    return job;
}

/* ---- events for the web (vtp_http.h) ---- */

static int listened(const service *s)
{
    return vtp_http_listeners(s->http) > 0;
}

/* Sends [type, obj] to the event stream (and drops obj). A client that
 * does not keep up loses events (PUB drops at its high-water mark); the
 * next change of the same thing tells it the whole state again. */
static void publish(service *s, const char *type, json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (text && zmq_send(s->events, type, strlen(type), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        zmq_send(s->events, text, strlen(text), ZMQ_DONTWAIT);
    free(text);
}

static int ended_state(const char *state)
{
    return strcmp(state, "queued") != 0 && strcmp(state, "running") != 0;
}

/* The job's state as it is now. One that has ended is told again at each
 * tick for a few seconds: a client whose event was dropped (a PUB drops
 * what a slow reader has not taken) would otherwise show it running. */
static void publish_job(service *s, int64_t id)
{
    if (!s->events || !listened(s))
        return;
    vtp_job_info info;
    memset(&info, 0, sizeof(info));
    if (vtp_queue_get(s->q, id, &info) == 1) {
        publish(s, "job", job_json(&info));
        s->stats_due = 1;
        int k = 0;
        while (k < s->nended && s->ended[k].id != id)
            k++;
        if (ended_state(info.state) && k == s->nended && k < VTP_ENDED_KEPT) {
            s->ended[k].id = id;
            s->ended[k].until = vtp_clock_ms() + VTP_ENDED_REPEAT_MS;
            s->nended++;
        }
    }
    vtp_job_info_clear(&info);
}

/* Tells again the ends of the last seconds, and forgets older ones. */
static void publish_ended(service *s)
{
    int64_t now = vtp_clock_ms();
    for (int k = 0; k < s->nended;) {
        if (now >= s->ended[k].until) {
            s->ended[k] = s->ended[--s->nended];
            continue;
        }
        vtp_job_info info;
        memset(&info, 0, sizeof(info));
        if (vtp_queue_get(s->q, s->ended[k].id, &info) == 1)
            publish(s, "job", job_json(&info));
        vtp_job_info_clear(&info);
        k++;
    }
}

/* The workers, as GET /api/v1/workers gives them. */
static json_t *workers_json(service *s)
{
    int n = vtp_dispatcher_peers(s->d, NULL, 0);
    vtp_peer_info *peers = calloc(n > 0 ? (size_t)n : 1, sizeof(*peers));
    json_t *arr = json_array();
    if (!peers || !arr) {
        free(peers);
        json_decref(arr);
        return NULL;
    }
    n = vtp_dispatcher_peers(s->d, peers, n < VTP_MAX_PEERS_SHOWN ? n : VTP_MAX_PEERS_SHOWN);
    double now = vtp_clock_unix();
    for (int i = 0; i < n && i < VTP_MAX_PEERS_SHOWN; i++) {
        const vtp_peer_info *p = &peers[i];
        json_t *enc = json_null();
        if (p->encoders) {
            enc = json_array();
            char *copy = strdup(p->encoders), *save = NULL;
            char *t = copy ? strtok_r(copy, ",", &save) : NULL;
            for (; t; t = strtok_r(NULL, ",", &save))
                json_array_append_new(enc, json_string(t));
            free(copy);
        }
        json_array_append_new(
            arr, json_pack("{s:s, s:i, s:i, s:o, s:I, s:f, s:f}", "address",
                           p->address[0] ? p->address : p->heartbeat ? "local" : "in-process",
                           "slots", p->slots, "busy", p->busy, "encoders", enc, "segments",
                           (json_int_t)p->segments, "joined", now - p->joined_ago_ms / 1e3,
                           "last_heartbeat", now - p->seen_ago_ms / 1e3));
    }
    free(peers);
    return json_pack("{s:o, s:i, s:i}", "workers", arr, "slots", vtp_dispatcher_slots(s->d),
                     "busy", vtp_dispatcher_busy(s->d));
}

/* The workers' event when what is shown of them (not their times) has
 * changed since the last one. */
static void publish_workers(service *s)
{
    json_t *w = workers_json(s);
    json_t *shown = json_deep_copy(w);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(shown, "workers"), i, p) {
        json_object_del(p, "last_heartbeat");
        json_object_del(p, "joined");
        json_object_del(p, "segments");
    }
    char *key = shown ? json_dumps(shown, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(shown);
    if (key && (!s->workers_shown || strcmp(key, s->workers_shown) != 0)) {
        free(s->workers_shown);
        s->workers_shown = key;
        publish(s, "workers", w);
        return;
    }
    free(key);
    json_decref(w);
}

static int publish_running(void *opaque, const vtp_job_info *info)
{
    publish(opaque, "job", job_json(info));
    return 0;
}

/* Frames encoded so far, counting those of segments still at work (what
 * the workers said of them), so the rate shown moves with the work, not in
 * steps of a segment. A cancelled job's frames drop out. */
static int64_t frames_now(service *s)
{
    int64_t frames = s->ended_frames;
    vtp_job *job;
    for (int i = 0; (job = vtp_dispatcher_job_at(s->d, i)); i++) {
        vtp_job_progress p;
        vtp_job_progress_get(job, &p);
        frames += p.frames;
    }
    return frames;
}

/* The totals: frames, the frame rate, slots, jobs waiting and running. */
static void publish_stats(service *s)
{
    s->stats_due = 0;
    int64_t queued = vtp_queue_count_in(s->q, "queued");
    int64_t running = vtp_queue_count_in(s->q, "running");
    publish(s, "stats",
            json_pack("{s:f, s:I, s:f, s:i, s:i, s:I, s:I}", "time", vtp_clock_unix(), "frames",
                      (json_int_t)s->m.frames, "fps", s->fps, "slots",
                      vtp_dispatcher_slots(s->d),
                      "busy", vtp_dispatcher_busy(s->d), "queued",
                      (json_int_t)(queued > 0 ? queued : 0), "running",
                      (json_int_t)(running > 0 ? running : 0)));
}

/* Once a second: the frame rate over the last seconds; and for clients
 * listening, running jobs' progress, the workers and the totals. */
static void tick(service *s)
{
    int64_t now = vtp_clock_ms();
    if (now < s->next_tick)
        return;
    s->next_tick = now + VTP_TICK_MS;
    memmove(s->frames_ago + 1, s->frames_ago, VTP_FPS_WINDOW * sizeof(*s->frames_ago));
    s->frames_ago[0] = frames_now(s);
    s->ticks++;
    if (!listened(s)) {
        free(s->workers_shown);     /* a new client gets them anyway */
        s->workers_shown = NULL;
        s->nended = 0;
        return;
    }
    int span = s->ticks - 1 < VTP_FPS_WINDOW ? s->ticks - 1 : VTP_FPS_WINDOW;
    s->fps = span > 0 ? (double)(s->frames_ago[0] - s->frames_ago[span]) * 1000.0 /
                            (span * VTP_TICK_MS)
                      : 0;
    if (s->fps < 0)
        s->fps = 0;             /* a cancelled job's frames left the count */
    vtp_queue_list(s->q, "running", 0, publish_running, s);
    publish_ended(s);
    publish_workers(s);
    publish_stats(s);
}

static json_t *metrics_json(service *s)
{
    int64_t counts[VTP_QUEUE_STATES];
    if (vtp_queue_count(s->q, counts) < 0)
        return NULL;
    vtp_dispatcher_stats ds;
    vtp_dispatcher_get_stats(s->d, &ds);
    return vtp_metrics_json(&s->m, counts, vtp_dispatcher_peers(s->d, NULL, 0),
                            vtp_dispatcher_slots(s->d), vtp_dispatcher_busy(s->d), &ds);
}

/* A refusal: the reason, and the exit status a client should end with
 * (the same classes as `vtpool encode`: 2 usage, 3 input, 4 output). */
static json_t *refusal(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *refusal(int err, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    utf8_clean(msg);            /* a long path may have been cut inside a character */
    int status = vtp_exit_status(err);
    return json_pack("{s:b, s:s, s:i}", "ok", 0, "error", msg, "exit", status ? status : 2);
}

#define error_json(...) refusal(VTP_ERR_USAGE, __VA_ARGS__)

/* Marks a refusal with its kind, for clients that tell them apart (the
 * web API's status codes): "not_found" (no such job), "unavailable" (the
 * queue could not be written); others are the request's fault. */
static json_t *of_kind(json_t *refused, const char *kind)
{
    json_object_set_new(refused, "kind", json_string(kind));
    return refused;
}

/* Whether real (a resolved path) is root or below it. */
static int below(const char *real, const char *root)
{
    size_t n = strlen(root);
    if (n > 1 && root[n - 1] == '/')
        n--;
    return strncmp(real, root, n) == 0 && (real[n] == 0 || real[n] == '/' || n == 1);
}

/* With --root, input and output must resolve (symlinks followed) to
 * places below one of the roots. */
static int confined(const service *s, const vtp_jobspec *spec, char *why, size_t ws)
{
    if (s->cfg->nroots == 0)
        return 0;
    char *in = realpath(spec->input, NULL);
    char *copy = strdup(spec->output), *copy2 = strdup(spec->output);
    char *dir = copy ? realpath(dirname(copy), NULL) : NULL;
    const char *base = copy2 ? basename(copy2) : NULL;
    char *out_real = realpath(spec->output, NULL);   /* when it exists (a link, say) */
    char out[8192];
    int in_ok = 0, out_ok = 0;

    if (dir && base && strcmp(base, "..") != 0 && strcmp(base, ".") != 0)
        snprintf(out, sizeof(out), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, base);
    else
        out[0] = 0;
    for (int i = 0; i < s->cfg->nroots; i++) {
        char *root = realpath(s->cfg->roots[i], NULL);
        if (!root)
            continue;
        in_ok |= in && below(in, root);
        out_ok |= out[0] && below(out, root) && (!out_real || below(out_real, root));
        free(root);
    }
    free(in);
    free(copy);
    free(copy2);
    free(dir);
    free(out_real);
    if (in_ok && out_ok)
        return 0;
    snprintf(why, ws, "'%s' is outside the folders this service may use (--root)",
             in_ok ? spec->output : spec->input);
    return VTP_ERR_USAGE;
}

/* Checks what can be checked of a job before it is queued. */
static int check_spec(const service *s, vtp_jobspec *spec, char *why, size_t ws)
{
    struct stat st;
    int ret;

    if ((ret = vtp_jobspec_absolutize(spec)) < 0)
        return ret;
    if ((ret = confined(s, spec, why, ws)) < 0)
        return ret;
    if (stat(spec->input, &st) != 0 || !S_ISREG(st.st_mode) || access(spec->input, R_OK) != 0) {
        snprintf(why, ws, "cannot read input '%s'", spec->input);
        return VTP_ERR_INPUT;
    }
    char *copy = strdup(spec->output);
    if (!copy)
        return VTP_ERR_NOMEM;
    const char *dir = dirname(copy);
    int dir_ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(dir, W_OK) == 0;
    snprintf(why, ws, "cannot write into '%s'", dir);
    free(copy);
    if (!dir_ok)
        return VTP_ERR_OUTPUT;
    if (!spec->overwrite && access(spec->output, F_OK) == 0) {
        snprintf(why, ws, "'%s' exists (overwrite it with -y)", spec->output);
        return VTP_ERR_EXISTS;
    }
    why[0] = 0;
    if (spec->opts.encoder && (ret = vtp_enc_opts_validate(&spec->opts, why, ws)) < 0)
        return ret;
    /* What encode refuses before any work, submit refuses too: an output
     * name without a container, a video codec the container cannot hold
     * (libx264 into .webm), an audio encoder that does not exist. */
    const AVOutputFormat *fmt = vtp_joiner_format(spec->output, why, ws);
    if (!fmt)
        return VTP_ERR_USAGE;
    const AVCodec *dflt = avcodec_find_encoder(fmt->video_codec);
    const char *encoder = spec->opts.encoder ? spec->opts.encoder : dflt ? dflt->name : NULL;
    if (encoder && (ret = vtp_joiner_format_can_hold(fmt, encoder, why, ws)) < 0)
        return ret;
    const char *audio = spec->audio ? spec->audio : "auto";
    if (strcmp(audio, "auto") && strcmp(audio, "copy") && strcmp(audio, "none")) {
        const AVCodec *a = avcodec_find_encoder_by_name(audio);
        if (!a || a->type != AVMEDIA_TYPE_AUDIO) {
            snprintf(why, ws, "unknown audio encoder '%s' (auto, copy, none, or see "
                     "'ffmpeg -encoders')", audio);
            return VTP_ERR_USAGE;
        }
    }
    return 0;
}

static json_t *do_submit(service *s, json_t *req)
{
    json_t *jobs = json_object_get(req, "jobs");
    size_t n = json_array_size(jobs);
    if (!json_is_array(jobs) || n == 0 || n > VTP_MAX_SUBMIT)
        return error_json("submit needs \"jobs\": an array of 1 to %d job objects", VTP_MAX_SUBMIT);

    char **specs = calloc(n, sizeof(*specs));
    int *prios = calloc(n, sizeof(*prios));
    int64_t *ids = calloc(n, sizeof(*ids));
    json_t *answer = NULL;
    if (!specs || !prios || !ids) {
        answer = error_json("out of memory");
        goto end;
    }
    for (size_t i = 0; i < n; i++) {
        char why[1024] = "";
        vtp_jobspec spec;
        vtp_jobspec_init(&spec);
        json_t *job = json_array_get(jobs, i);
        char *text = json_is_object(job) ? json_dumps(job, JSON_COMPACT) : NULL;
        int ret;
        if (!json_is_object(job))
            ret = VTP_ERR_USAGE, snprintf(why, sizeof(why), "a job is a JSON object");
        else
            ret = text ? vtp_jobspec_parse(text, strlen(text), &spec, why, sizeof(why))
                       : VTP_ERR_NOMEM;
        free(text);
        if (ret == 0 && (ret = check_spec(s, &spec, why, sizeof(why))) == 0) {
            prios[i] = spec.priority;
            if (!(specs[i] = vtp_jobspec_to_json(&spec)))
                ret = VTP_ERR_NOMEM;
        }
        vtp_jobspec_clear(&spec);
        if (ret < 0) {
            answer = n > 1 ? refusal(ret, "job %zu: %s", i + 1, why[0] ? why : vtp_strerror(ret))
                           : refusal(ret, "%s", why[0] ? why : vtp_strerror(ret));
            goto end;
        }
    }
    int ret = vtp_queue_submit_many(s->q, (const char *const *)specs, prios, (int)n, ids);
    if (ret < 0) {
        answer = of_kind(refusal(VTP_ERR_OUTPUT, "cannot queue: %s", vtp_strerror(ret)),
                         "unavailable");
        goto end;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_integer(ids[i]));
    for (size_t i = n > VTP_EVENT_JOBS ? n - VTP_EVENT_JOBS : 0; i < n; i++)
        publish_job(s, ids[i]);
    answer = json_pack("{s:b, s:o}", "ok", 1, "ids", arr);
end:
    for (size_t i = 0; specs && i < n; i++)
        free(specs[i]);
    free(specs);
    free(prios);
    free(ids);
    return answer;
}

static int list_one(void *opaque, const vtp_job_info *info)
{
    json_array_append_new(opaque, job_json(info));
    return 0;
}

static json_t *do_request(service *s, json_t *req)
{
    const char *op = json_string_value(json_object_get(req, "op"));
    json_t *idv = json_object_get(req, "id");
    int64_t id = json_is_integer(idv) ? (int64_t)json_integer_value(idv) : -1;

    if (!op)
        return error_json("a request needs \"op\"");
    if (strcmp(op, "submit") == 0)
        return do_submit(s, req);
    if (strcmp(op, "list") == 0) {
        static const char *const states[] = {"queued", "running", "done", "failed", "cancelled"};
        json_t *st = json_object_get(req, "state"), *lim = json_object_get(req, "limit");
        const char *state = json_string_value(st);
        int known = 0;
        for (size_t k = 0; state && k < sizeof(states) / sizeof(*states); k++)
            known |= strcmp(state, states[k]) == 0;
        if ((st && !known) || (lim && (!json_is_integer(lim) || json_integer_value(lim) < 0)))
            return error_json("list takes \"state\": queued, running, done, failed or "
                              "cancelled, and \"limit\": a count");
        json_t *arr = json_array();
        vtp_queue_list(s->q, state, json_is_integer(lim) ? (int)json_integer_value(lim) : 0,
                       list_one, arr);
        return json_pack("{s:b, s:o}", "ok", 1, "jobs", arr);
    }
    if (strcmp(op, "workers") == 0) {
        json_t *w = workers_json(s);
        if (w)
            json_object_set_new(w, "ok", json_true());
        return w ? w : of_kind(error_json("out of memory"), "unavailable");
    }
    if (strcmp(op, "metrics") == 0) {
        json_t *m = metrics_json(s);
        return m ? m : of_kind(error_json("cannot read the queue"), "unavailable");
    }
    if (strcmp(op, "status") != 0 && strcmp(op, "cancel") != 0)
        return error_json("unknown op '%s'", op);
    if (id < 1)
        return error_json("%s needs \"id\": a job id", op);
    vtp_job_info info;
    memset(&info, 0, sizeof(info));
    if (vtp_queue_get(s->q, id, &info) != 1)
        return of_kind(error_json("no job %lld", (long long)id), "not_found");
    json_t *answer;
    if (strcmp(op, "status") == 0) {
        answer = json_pack("{s:b, s:o}", "ok", 1, "job", job_json(&info));
    } else {
        int changed = vtp_queue_cancel(s->q, id);
        if (changed == 1 && vtp_dispatcher_remove(s->d, id))
            remove_spill(s, id);
        if (changed == 1)
            publish_job(s, id);
        answer = changed < 0 ? of_kind(error_json("cannot cancel job %lld", (long long)id),
                                       "unavailable")
                             : json_pack("{s:b, s:b}", "ok", 1, "changed", changed == 1);
    }
    vtp_job_info_clear(&info);
    return answer;
}

/* Answers every request waiting on sock (the control socket, or the web
 * server's). */
static void serve_control(service *s, void *sock)
{
    s->recount = 1;     /* a submit or a cancel, most likely */
    for (;;) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        if (vtp_zsock_recv(&id, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            zmq_msg_close(&body);
            return;
        }
        int ok = zmq_msg_more(&id) && vtp_zsock_recv(&body, sock, 0) >= 0;
        int more = ok && zmq_msg_more(&body);
        while (more) {          /* a client speaks one part: drop the rest */
            zmq_msg_t extra;
            zmq_msg_init(&extra);
            more = vtp_zsock_recv(&extra, sock, 0) >= 0 && zmq_msg_more(&extra);
            zmq_msg_close(&extra);
            ok = 0;
        }
        json_t *answer;
        json_error_t jerr;
        json_t *req = ok ? json_loadb(zmq_msg_data(&body), zmq_msg_size(&body),
                                      JSON_REJECT_DUPLICATES, &jerr)
                         : NULL;
        if (!ok)
            answer = error_json("a request is one message part");
        else if (!json_is_object(req))
            answer = error_json("a request is a JSON object");
        else
            answer = do_request(s, req);
        json_decref(req);
        char *text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
        json_decref(answer);
        /* Every request gets an answer: a client must never wait for one
         * that could not be built (out of memory). */
        const char *sent = text ? text
                                : "{\"ok\":false,\"error\":\"the service could not build its "
                                  "answer\",\"exit\":1,\"kind\":\"unavailable\"}";
        if (vtp_zsock_send(sock, zmq_msg_data(&id), zmq_msg_size(&id),
                           ZMQ_SNDMORE | ZMQ_DONTWAIT) == 0)
            vtp_zsock_send(sock, sent, strlen(sent), ZMQ_DONTWAIT);
        free(text);
        zmq_msg_close(&id);
        zmq_msg_close(&body);
    }
}

static int stopped(const service *s)
{
    return s->cfg->stop && atomic_load(s->cfg->stop);
}

/* The local worker process (serve -j N): `vtpool worker` on a unix socket,
 * started again whenever it ends. */
typedef struct vtp_child {
    const char *endpoint;
    int threads;
    const vtp_service_cfg *cfg;
    pid_t pid;
    int64_t next_start;         /* ms: not before (backoff after a crash) */
    int64_t started;
} vtp_child;

static void keep_child(vtp_child *c)
{
    int status;
    if (c->pid > 0 && waitpid(c->pid, &status, WNOHANG) == c->pid) {
        if (WIFSIGNALED(status))
            vtp_log(VTP_LOG_WARNING, "the local worker process died of signal %d; starting "
                    "another", WTERMSIG(status));
        c->pid = 0;
        /* One that dies at once is started again after a pause, not in a loop. */
        c->next_start = vtp_clock_ms() + (vtp_clock_ms() - c->started < 2000 ? 1000 : 0);
    }
    if (c->pid > 0 || vtp_clock_ms() < c->next_start)
        return;
    char threads[16], hb[16], live[16];
    snprintf(threads, sizeof(threads), "%d", c->threads);
    snprintf(hb, sizeof(hb), "%d", c->cfg->heartbeat_ms > 0 ? c->cfg->heartbeat_ms : VTP_HEARTBEAT_MS);
    snprintf(live, sizeof(live), "%d", c->cfg->liveness > 0 ? c->cfg->liveness : VTP_LIVENESS);
    char *argv[16] = {"vtpool", "worker", "--connect", (char *)c->endpoint, "-j", threads,
                      "--heartbeat", hb, "--liveness", live};
    int n = 10;
    if (c->cfg->key) {
        /* The service's own key: the ZAP handler lets it in. */
        argv[n++] = "--key";
        argv[n++] = (char *)c->cfg->key;
        argv[n++] = "--server-key";
        argv[n++] = (char *)c->cfg->key;
    }
    argv[n] = NULL;
    /* fork then exec at once (only async-signal-safe calls between): the
     * child dies with the service, so a crashed service leaves no orphan. */
    pid_t parent = getpid();
    int rc = 0;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        int fd = open("/dev/null", O_RDONLY);
        if (fd >= 0)
            dup2(fd, STDIN_FILENO);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    if (pid < 0)
        rc = errno;
    c->pid = pid;
    c->started = vtp_clock_ms();
    if (rc != 0) {
        vtp_log(VTP_LOG_WARNING, "cannot start the local worker process: %s", strerror(rc));
        c->pid = 0;
        c->next_start = vtp_clock_ms() + 1000;
    }
}

static void stop_child(vtp_child *c)
{
    if (c->pid <= 0)
        return;
    kill(c->pid, SIGTERM);
    for (int i = 0; i < 50; i++) {     /* 5 s, then SIGKILL */
        if (waitpid(c->pid, NULL, WNOHANG) == c->pid) {
            c->pid = 0;
            return;
        }
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
    }
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
    c->pid = 0;
}

/* The web server, and the two inproc sockets it talks to this thread
 * through. 0, or VTP_ERR_USAGE with the reason printed. */
static int start_web(service *s, void *zctx)
{
    char requests[128], events[128], why[1024] = "";
    int linger = 0;
    snprintf(requests, sizeof(requests), "inproc://vtpool-web-requests-%p", (void *)s);
    snprintf(events, sizeof(events), "inproc://vtpool-web-events-%p", (void *)s);
    if (!(s->web_requests = zmq_socket(zctx, ZMQ_ROUTER)) ||
        zmq_setsockopt(s->web_requests, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_bind(s->web_requests, requests) != 0 || !(s->events = zmq_socket(zctx, ZMQ_PUB)) ||
        zmq_setsockopt(s->events, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_bind(s->events, events) != 0) {
        vtp_log_line("serve: cannot start the web server: %s", zmq_strerror(zmq_errno()));
        return VTP_ERR_USAGE;
    }
    const vtp_service_cfg *cfg = s->cfg;
    vtp_http_cfg hc = {.address = cfg->http, .token_file = cfg->http_token,
                       .cert_file = cfg->http_cert, .key_file = cfg->http_key, .zctx = zctx,
                       .requests = requests, .events = events};
    if (!(s->http = vtp_http_start(&hc, why, sizeof(why)))) {
        vtp_log_line("serve: %s", why);
        return VTP_ERR_USAGE;
    }
    /* Always said: with port 0 this is where it is. */
    const char *colon = strrchr(cfg->http, ':');
    vtp_log_line("serve: dashboard and API on %s://%.*s:%d/", cfg->http_cert ? "https" : "http",
                 (int)(colon - cfg->http), cfg->http, vtp_http_port(s->http));
    return 0;
}

int vtp_service_run(const vtp_service_cfg *cfg)
{
    service s = {.cfg = cfg};
    char why[1024] = "", local[4200];
    void *zctx = zmq_ctx_new();
    vtp_zap *zap = NULL;
    vtp_child child = {0};
    vtp_keypair kp;
    int ret = 0;

    if (cfg->key || cfg->authorized) {
        if (!cfg->key || !cfg->authorized) {
            vtp_log_line("serve: --key and --authorized go together");
            ret = VTP_ERR_USAGE;
            goto end;
        }
        if (vtp_keypair_load(cfg->key, &kp, why, sizeof(why)) < 0 ||
            !(zap = vtp_zap_start(zctx, cfg->authorized, kp.public_key, why, sizeof(why)))) {
            vtp_log_line("serve: %s", why);
            ret = VTP_ERR_USAGE;
            goto end;
        }
    } else if (!cfg->insecure &&
               (!vtp_endpoint_is_local(cfg->listen) || !vtp_endpoint_is_local(cfg->control))) {
        vtp_log_line("serve: refusing to listen on a network address without keys (give --key "
                     "and --authorized, or --insecure)");
        ret = VTP_ERR_USAGE;
        goto end;
    }

    if (mkdir(cfg->workdir, 0755) != 0 && errno != EEXIST) {
        vtp_log_line("serve: cannot create work directory '%s': %s", cfg->workdir,
                     strerror(errno));
        ret = VTP_ERR_OUTPUT;
        goto end;
    }
    if (!(s.q = vtp_queue_open(cfg->db, why, sizeof(why)))) {
        vtp_log_line("serve: %s", why);
        ret = VTP_ERR_OUTPUT;
        goto end;
    }
    /* Local workers run in a child process, so a codec that crashes takes
     * down that process, never the service; they talk over a unix socket in
     * the abstract namespace (no file, no length limit of paths). */
    snprintf(local, sizeof(local), "ipc://@vtpool-workers-%ld-%p", (long)getpid(), (void *)&s);
    int threads = cfg->threads < 0 ? vtp_cpu_count() : cfg->threads;
    const char *eps[] = {cfg->listen, local};
    vtp_dispatcher_cfg dc = {.zctx = zctx, .endpoints = eps, .nendpoints = threads > 0 ? 2 : 1,
                             .heartbeat_ms = cfg->heartbeat_ms, .liveness = cfg->liveness,
                             .lease_ms = cfg->lease_ms,
                             .network = 1, .curve = zap ? &kp : NULL,
                             .on_end = on_end, .on_lease = on_lease, .opaque = &s};
    int64_t maxmsg = VTP_MAX_CONTROL_MESSAGE;
    int linger = 0;
    if (!zctx || !(s.d = vtp_dispatcher_new(&dc)) ||
        !(s.control = zmq_socket(zctx, ZMQ_ROUTER)) ||
        zmq_setsockopt(s.control, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) != 0 ||
        zmq_setsockopt(s.control, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        (zap && vtp_curve_server(s.control, &kp) < 0) ||
        zmq_bind(s.control, cfg->control) != 0) {
        if (s.d)
            vtp_log_line("serve: cannot listen on %s: %s", cfg->control,
                         zmq_strerror(zmq_errno()));
        ret = VTP_ERR_USAGE;
        goto end;
    }
    vtp_metrics_init(&s.m);
    if (cfg->http && (ret = start_web(&s, zctx)) < 0)
        goto end;
    child.endpoint = local;
    child.threads = threads;
    child.cfg = cfg;
    vtp_queue_running(s.q, resume_one, &s);
    s.recount = 1;
    vtp_log(VTP_LOG_INFO, "serving: workers on %s, clients on %s", cfg->listen, cfg->control);

    while (!stopped(&s)) {
        zmq_pollitem_t items[2] = {{s.control, 0, ZMQ_POLLIN, 0},
                                   {s.web_requests, 0, ZMQ_POLLIN, 0}};
        if (vtp_dispatcher_poll(s.d, items, s.web_requests ? 2 : 1, VTP_SERVICE_POLL_MS) < 0)
            break;
        int64_t pass = vtp_clock_us();
        if (items[0].revents & ZMQ_POLLIN)
            serve_control(&s, s.control);
        if (s.web_requests && (items[1].revents & ZMQ_POLLIN))
            serve_control(&s, s.web_requests);
        if ((ret = vtp_dispatcher_step(s.d)) < 0)
            break;
        if (threads > 0)
            keep_child(&child);
        fill(&s);
        if (s.events)
            tick(&s);
        if (s.stats_due && listened(&s))
            publish_stats(&s);
        vtp_metrics_pass(&s.m, (double)(vtp_clock_us() - pass) / 1e6);
    }
end:
    vtp_http_stop(&s.http);         /* its threads use the sockets below */
    if (s.web_requests)
        zmq_close(s.web_requests);
    if (s.events)
        zmq_close(s.events);
    free(s.workers_shown);
    stop_child(&child);
    vtp_dispatcher_destroy(&s.d);   /* running jobs stay "running": resumed next time */
    if (s.control)
        zmq_close(s.control);
    vtp_zap_stop(&zap);
    if (zctx)
        zmq_ctx_term(zctx);
    vtp_queue_close(&s.q);
    memset(&kp, 0, sizeof(kp));
    return ret;
}
