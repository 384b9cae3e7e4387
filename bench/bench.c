/* bench.c -- `vtpool bench`: the sweep, its trials and its reports
 * (see vtp_bench.h). */
#include "vtp_bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "vtp_encode.h"
#include "vtp_clock.h"
#include "vtp_cutter.h"
#include "vtp_error.h"
#include "vtp_job.h"
#include "vtp_pool.h"
#include "vtp_segment.h"

/* What a child reports back through its pipe; with --simulate, its
 * nsegments segment times follow. */
typedef struct trial_report {
    int status;
    int64_t frames;
    double media_seconds;
    double dispatcher_cpu;
    double first_segment;
    int nsegments;
    char why[512];
} trial_report;

typedef struct trial {
    double wall, cpu, peak_mb;
    trial_report r;
    vtp_segment_time *segments;     /* r.nsegments, in the order their results came */
} trial;

/* The segment times a child collects (vtp_segment_fn). */
typedef struct recording {
    vtp_segment_time *v;
    int n, cap;
    int failed;
} recording;

static void record_segment(void *opaque, const vtp_segment_time *t)
{
    recording *rec = opaque;
    if (rec->n == rec->cap) {
        int cap = rec->cap ? rec->cap * 2 : 64;
        vtp_segment_time *v = realloc(rec->v, (size_t)cap * sizeof(*v));
        if (!v) {
            rec->failed = 1;
            return;
        }
        rec->v = v;
        rec->cap = cap;
    }
    rec->v[rec->n++] = *t;
}

/* A read or write on a pipe may move less than asked: these loop until all
 * of it moved. */
static int write_all(int fd, const void *buf, size_t size)
{
    for (const char *p = buf; size > 0;) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t size)
{
    for (char *p = buf; size > 0;) {
        ssize_t n = read(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static void child(const vtp_bench_cfg *cfg, int workers, int baseline, const char *out, int fd)
{
    trial_report r;
    recording rec = {0};
    memset(&r, 0, sizeof(r));
    if (baseline) {
        r.status = vtp_baseline_run(cfg->input, &cfg->opts, workers, &r.frames, r.why,
                                    sizeof(r.why));
    } else {
        vtp_encode_cfg ec = {
            .input = cfg->input,
            .output = out,
            .opts = cfg->opts,
            .audio = cfg->audio,
            .jobs = workers,
            .segment_seconds = cfg->segment_seconds,
            .overwrite = 1,
            .on_segment = cfg->nsimulate ? record_segment : NULL,
            .segment_opaque = &rec,
        };
        vtp_encode_stats st = {0};
        r.status = vtp_encode_run_stats(&ec, &st, r.why, sizeof(r.why));
        if (r.status == 0 && rec.failed) {
            r.status = VTP_ERR_NOMEM;
            snprintf(r.why, sizeof(r.why), "out of memory recording segment times");
        }
        r.frames = st.frames;
        r.media_seconds = st.media_seconds;
        r.dispatcher_cpu = st.dispatcher_cpu;
        r.first_segment = st.first_segment;
        r.nsegments = rec.n;
    }
    int ok = write_all(fd, &r, sizeof(r)) == 0 &&
             write_all(fd, rec.v, (size_t)rec.n * sizeof(*rec.v)) == 0;
    _exit(ok && r.status == 0 ? 0 : 1);
}

/* Runs one trial in a child process. */
static int run_trial(const vtp_bench_cfg *cfg, int workers, int baseline, const char *out,
                     trial *t, char *why, size_t ws)
{
    int fds[2];
    if (pipe(fds) != 0)
        return snprintf(why, ws, "pipe: %s", strerror(errno)), VTP_ERR_NOMEM;
    double t0 = vtp_clock_now();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        snprintf(why, ws, "fork: %s", strerror(errno));
        return VTP_ERR_NOMEM;
    }
    if (pid == 0) {
        close(fds[0]);
        child(cfg, workers, baseline, out, fds[1]);
    }
    close(fds[1]);
    memset(t, 0, sizeof(*t));
    /* Read before waiting: a child with many segment times blocks on the
     * pipe until they are taken. */
    int got = read_all(fds[0], &t->r, sizeof(t->r)) == 0;
    if (got && t->r.nsegments > 0) {
        t->segments = malloc((size_t)t->r.nsegments * sizeof(*t->segments));
        got = t->segments &&
              read_all(fds[0], t->segments, (size_t)t->r.nsegments * sizeof(*t->segments)) == 0;
    }
    close(fds[0]);
    struct rusage ru;
    int wstatus;
    while (wait4(pid, &wstatus, 0, &ru) < 0 && errno == EINTR)
        ;
    t->wall = vtp_clock_now() - t0;
    t->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    t->peak_mb = (double)ru.ru_maxrss / 1024.0;
    if (!got || t->r.status < 0) {
        snprintf(why, ws, "%s with %d %s: %s", baseline ? "baseline" : "vtpool", workers,
                 baseline ? "threads" : "workers",
                 got ? t->r.why : "the trial crashed");
        free(t->segments);
        t->segments = NULL;
        return t->r.status < 0 ? t->r.status : VTP_ERR_SEGMENT;
    }
    return 0;
}

/* The best (fastest) of cfg->repeat trials; the caller frees
 * best->segments (nothing is left to free on failure). */
static int best_trial(const vtp_bench_cfg *cfg, int workers, int baseline, const char *out,
                      trial *best, char *why, size_t ws)
{
    for (int i = 0; i < (cfg->repeat > 0 ? cfg->repeat : 1); i++) {
        trial t;
        int ret = run_trial(cfg, workers, baseline, out, &t, why, ws);
        if (ret < 0) {
            if (i > 0)
                free(best->segments);
            return ret;
        }
        if (i == 0 || t.wall < best->wall) {
            if (i > 0)
                free(best->segments);
            *best = t;
        } else {
            free(t.segments);
        }
    }
    return 0;
}

static void print_table(const vtp_bench_cfg *cfg, const vtp_bench_point *p, int n)
{
    printf("%7s %9s %8s %8s %6s %6s %8s %8s %8s", "workers", "fps", "speedup", "effic.", "cpu%",
           "disp%", "peak MB", "1st seg", "wall s");
    if (cfg->baseline)
        printf(" %9s %6s %8s %7s", "base fps", "base%", "base MB", "ratio");
    putchar('\n');
    for (int i = 0; i < n; i++) {
        printf("%7d %9.2f %8.2f %8.3f %6.1f %6.2f %8.0f %8.2f %8.2f", p[i].workers, p[i].fps,
               p[i].speedup, p[i].efficiency, 100 * p[i].utilisation, 100 * p[i].dispatcher_share,
               p[i].peak_mb, p[i].first_segment, p[i].wall);
        if (cfg->baseline)
            printf(" %9.2f %6.1f %8.0f %6.2fx", p[i].base_fps, 100 * p[i].base_utilisation,
                   p[i].base_peak_mb, p[i].base_fps > 0 ? p[i].fps / p[i].base_fps : 0);
        putchar('\n');
    }
    fflush(stdout);
}

static int write_csv(const char *path, const vtp_bench_point *p, int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "workers,fps,speedup,efficiency,utilisation,dispatcher_share,peak_mb,"
               "first_segment_s,wall_s,frames,baseline_fps,baseline_utilisation,"
               "baseline_peak_mb,ratio\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "%d,%.3f,%.4f,%.4f,%.4f,%.5f,%.1f,%.3f,%.3f,%lld,%.3f,%.4f,%.1f,%.4f\n",
                p[i].workers, p[i].fps, p[i].speedup, p[i].efficiency, p[i].utilisation,
                p[i].dispatcher_share, p[i].peak_mb, p[i].first_segment, p[i].wall,
                (long long)p[i].frames, p[i].base_fps, p[i].base_utilisation, p[i].base_peak_mb,
                p[i].base_fps > 0 ? p[i].fps / p[i].base_fps : 0);
    return fclose(f);
}

/* {"input":"...","encoder":"...","cpus":N, of both JSON reports. */
static void json_head(FILE *f, const vtp_bench_cfg *cfg)
{
    fprintf(f, "{\"input\":\"");
    for (const char *c = cfg->input; *c; c++)
        fprintf(f, *c == '"' || *c == '\\' ? "\\%c" : (unsigned char)*c < 32 ? "?" : "%c", *c);
    fprintf(f, "\",\"encoder\":\"%s\",\"cpus\":%d", cfg->opts.encoder, vtp_cpu_count());
}

static int write_json(const char *path, const vtp_bench_cfg *cfg, const vtp_bench_point *p,
                      int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    json_head(f, cfg);
    fprintf(f, ",\"points\":[");
    for (int i = 0; i < n; i++)
        fprintf(f,
                "%s{\"workers\":%d,\"fps\":%.3f,\"speedup\":%.4f,\"efficiency\":%.4f,"
                "\"utilisation\":%.4f,\"dispatcher_share\":%.5f,\"peak_mb\":%.1f,"
                "\"first_segment_s\":%.3f,\"wall_s\":%.3f,\"frames\":%lld,\"baseline_fps\":%.3f,"
                "\"baseline_utilisation\":%.4f,\"baseline_peak_mb\":%.1f}",
                i ? "," : "", p[i].workers, p[i].fps, p[i].speedup, p[i].efficiency,
                p[i].utilisation, p[i].dispatcher_share, p[i].peak_mb, p[i].first_segment,
                p[i].wall, (long long)p[i].frames, p[i].base_fps, p[i].base_utilisation,
                p[i].base_peak_mb);
    fprintf(f, "]}\n");
    return fclose(f);
}

/* Makes dir (a mkdtemp template) and names out, the trials' output, in it. */
static int trial_dir(const vtp_bench_cfg *cfg, char *dir, char *out, size_t out_size, char *why,
                     size_t ws)
{
    if (!mkdtemp(dir)) {
        snprintf(why, ws, "cannot make a temporary directory: %s", strerror(errno));
        return VTP_ERR_OUTPUT;
    }
    snprintf(out, out_size, "%s/out.%s", dir, cfg->container ? cfg->container : "mkv");
    return 0;
}

int vtp_bench_run(const vtp_bench_cfg *cfg, char *why, size_t ws)
{
    char dir[] = "/tmp/vtpool-bench-XXXXXX", out[64];
    vtp_bench_point points[VTP_BENCH_MAX_COUNTS];
    double fps1 = 0;
    int ret = trial_dir(cfg, dir, out, sizeof(out), why, ws);

    if (ret < 0)
        return ret;
    memset(points, 0, sizeof(points));
    for (int i = 0; i < cfg->ncounts; i++) {
        vtp_bench_point *p = &points[i];
        trial t = {0}, b = {0};
        p->workers = cfg->counts[i];
        if ((ret = best_trial(cfg, p->workers, 0, out, &t, why, ws)) < 0)
            break;
        p->wall = t.wall;
        p->cpu = t.cpu;
        p->frames = t.r.frames;
        p->fps = t.wall > 0 ? (double)t.r.frames / t.wall : 0;
        /* One worker's rate: measured when the sweep starts at 1 (the
         * default), else estimated from the first point. */
        if (i == 0)
            fps1 = p->fps / p->workers;
        p->speedup = fps1 > 0 ? p->fps / fps1 : 0;
        p->efficiency = p->speedup / p->workers;
        p->utilisation = t.wall > 0 ? t.cpu / (t.wall * p->workers) : 0;
        p->peak_mb = t.peak_mb;
        p->dispatcher_share = t.cpu > 0 ? t.r.dispatcher_cpu / t.cpu : 0;
        p->first_segment = t.r.first_segment;
        if (cfg->baseline) {
            if ((ret = best_trial(cfg, p->workers, 1, out, &b, why, ws)) < 0)
                break;
            p->base_wall = b.wall;
            p->base_fps = b.wall > 0 ? (double)b.r.frames / b.wall : 0;
            p->base_utilisation = b.wall > 0 ? b.cpu / (b.wall * p->workers) : 0;
            p->base_peak_mb = b.peak_mb;
        }
    }
    unlink(out);
    rmdir(dir);
    if (ret < 0)
        return ret;
    print_table(cfg, points, cfg->ncounts);
    if (cfg->csv_path && write_csv(cfg->csv_path, points, cfg->ncounts) != 0) {
        snprintf(why, ws, "cannot write '%s': %s", cfg->csv_path, strerror(errno));
        return VTP_ERR_OUTPUT;
    }
    if (cfg->json_path && write_json(cfg->json_path, cfg, points, cfg->ncounts) != 0) {
        snprintf(why, ws, "cannot write '%s': %s", cfg->json_path, strerror(errno));
        return VTP_ERR_OUTPUT;
    }
    return 0;
}

/* ---- --simulate: the measured segments replayed at N virtual cores ---- */

/* The record a run leaves, ready to replay. */
typedef struct sim_record {
    const trial *run;               /* its segments sorted by index */
    int workers;
    vtp_sim_segment *segs;
    vtp_sim_packet *pkts;           /* the input's video packets */
    int64_t npkts, nkeys;
    double fps;
    double outside;                 /* the run's wall time before its first segment
                                       went out and after its last result */
    double cost, cpu;               /* thread-seconds, and the workers' CPU seconds */
    vtp_sim_plan plan;
} sim_record;

/* One row of the table. */
typedef struct sim_point {
    int cores;
    vtp_sim_result r;               /* of the segments alone */
    double wall;                    /* predicted: theirs and the record's outside part */
    double efficiency;              /* busy / (cores x wall) */
    double speedup;                 /* over the prediction at one core */
    double measured;                /* the wall time of the run at this count, or 0 */
} sim_point;

/* The job's plan (vtp_job_open) in frames at fps: planned from the
 * duration by default, or --segment S with its finer tail. */
static void plan_of(const vtp_bench_cfg *cfg, double fps, vtp_sim_plan *plan)
{
    int planned = cfg->segment_seconds <= 0;
    double target = planned ? VTP_SEGMENT_DEFAULT_S : cfg->segment_seconds;
    double min = planned ? VTP_PLAN_MIN_S : VTP_TAIL_MIN_S;
    plan->target = llround(target * fps) > 0 ? llround(target * fps) : 1;
    plan->min_len = llround(min * fps);
    plan->grid = planned ? vtp_enc_opts_keyint(&cfg->opts) : 0;
    plan->long_gop = llround((planned ? VTP_LONG_GOP_S : VTP_LONG_GOP_FACTOR * target) * fps);
    plan->spread = planned ? 1 : 2;
}

/* A packet's time in frames from start, or VTP_CUT_NO_TS. */
static int64_t in_frames(int64_t ts, int64_t start, AVRational tb, double fps)
{
    return ts == AV_NOPTS_VALUE ? VTP_CUT_NO_TS : llround((double)(ts - start) * av_q2d(tb) * fps);
}

/* The input's video packets, in decode order, as the cutter sees them
 * (*pkts malloc'd, *npkts of them, *nkeys keyframes), times in frames at
 * fps from the first. */
static int input_packets(const char *input, double fps, vtp_sim_packet **pkts, int64_t *npkts,
                         int64_t *nkeys, char *why, size_t ws)
{
    AVFormatContext *in = NULL;
    AVPacket *pkt = av_packet_alloc();
    vtp_sim_packet *v = NULL;
    int64_t n = 0, cap = 0, start = AV_NOPTS_VALUE;
    int ret = VTP_ERR_NOMEM, vidx;

    *nkeys = 0;
    if (!pkt)
        goto end;
    if ((ret = avformat_open_input(&in, input, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(in, NULL)) < 0 ||
        (ret = vidx = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0)) < 0) {
        snprintf(why, ws, "simulate: cannot read '%s': %s", input, av_err2str(ret));
        ret = VTP_ERR_INPUT;
        goto end;
    }
    const AVStream *st = in->streams[vidx];
    /* Raw times first: the first frame's is known only at the end. */
    while ((ret = av_read_frame(in, pkt)) >= 0) {
        if (pkt->stream_index == vidx) {
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                vtp_sim_packet *grown = realloc(v, (size_t)cap * sizeof(*v));
                if (!grown) {
                    av_packet_unref(pkt);
                    ret = VTP_ERR_NOMEM;
                    goto end;
                }
                v = grown;
            }
            int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            v[n++] = (vtp_sim_packet){ts, pkt->dts, vtp_packet_clean_start(st->codecpar, pkt)};
            *nkeys += v[n - 1].key;
            if (ts != AV_NOPTS_VALUE && (start == AV_NOPTS_VALUE || ts < start))
                start = ts;
        }
        av_packet_unref(pkt);
    }
    for (int64_t i = 0; i < n; i++) {
        v[i].ts = in_frames(v[i].ts, start, st->time_base, fps);
        v[i].dts = in_frames(v[i].dts, start, st->time_base, fps);
    }
    ret = 0;
end:
    if (ret < 0) {
        free(v);
        v = NULL;
        n = 0;
    }
    *pkts = v;
    *npkts = n;
    avformat_close_input(&in);
    av_packet_free(&pkt);
    return ret;
}

static int by_index(const void *a, const void *b)
{
    const vtp_segment_time *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The record of run t (its segment times are sorted here). */
static int make_record(const vtp_bench_cfg *cfg, trial *t, int workers, sim_record *rec,
                       char *why, size_t ws)
{
    int n = t->r.nsegments;
    double first = 0, last = 0;
    memset(rec, 0, sizeof(*rec));
    if (n <= 0 || t->r.media_seconds <= 0) {
        snprintf(why, ws, "simulate: the run at %d workers timed no segment", workers);
        return VTP_ERR_SEGMENT;
    }
    qsort(t->segments, (size_t)n, sizeof(*t->segments), by_index);
    for (int i = 0; i < n; i++) {
        if (t->segments[i].index != (uint32_t)i) {
            snprintf(why, ws, "simulate: the run at %d workers reported no time for segment %d",
                     workers, i);
            return VTP_ERR_SEGMENT;
        }
    }
    if (!(rec->segs = malloc((size_t)n * sizeof(*rec->segs))))
        return VTP_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        const vtp_segment_time *s = &t->segments[i];
        rec->segs[i] = (vtp_sim_segment){s->frames, (s->done - s->sent) * s->threads};
        rec->cost += rec->segs[i].cost;
        rec->cpu += s->cpu;
        first = i == 0 || s->sent < first ? s->sent : first;
        last = s->done > last ? s->done : last;
    }
    rec->run = t;
    rec->workers = workers;
    rec->fps = (double)t->r.frames / t->r.media_seconds;
    rec->outside = t->wall - (last - first);
    plan_of(cfg, rec->fps, &rec->plan);
    return input_packets(cfg->input, rec->fps, &rec->pkts, &rec->npkts, &rec->nkeys, why, ws);
}

/* The prediction at `cores`, the speed-up over wall1 (one core's). */
static int predict(const sim_record *rec, int cores, double wall1, sim_point *p)
{
    memset(p, 0, sizeof(*p));
    p->cores = cores;
    int ret = vtp_simulate(rec->segs, rec->run->r.nsegments, rec->pkts, rec->npkts, &rec->plan,
                           cores, &p->r);
    p->wall = rec->outside + p->r.wall;
    p->efficiency = p->wall > 0 ? p->r.busy / (cores * p->wall) : 0;
    p->speedup = p->wall > 0 ? wall1 / p->wall : 0;
    return ret;
}

static void print_simulation(const sim_record *rec, const sim_point *p, int n)
{
    const trial *t = rec->run;
    printf("record: the run at %d workers, %d segments, %lld frames at %.2f fps: %.2f "
           "thread-s (worker CPU %.1f%% of it); %.2f s outside the segments\n",
           rec->workers, t->r.nsegments, (long long)t->r.frames, rec->fps, rec->cost,
           rec->cost > 0 ? 100 * rec->cpu / rec->cost : 0, rec->outside);
    printf("plan: segments of %lld to %lld frames", (long long)rec->plan.min_len,
           (long long)rec->plan.target);
    if (rec->plan.grid)
        printf(", whole keyframe intervals of %lld frames", (long long)rec->plan.grid);
    printf("%s, cut at the input's %lld keyframes or between them\n\n",
           rec->plan.spread > 1 ? ", the tail cut finer" : "", (long long)rec->nkeys);
    printf("%6s %8s %9s %8s %8s %7s %8s\n", "cores", "segments", "wall s", "effic.", "tail s",
           "tail %", "speedup");
    for (int i = 0; i < n; i++)
        printf("%6d %8d %9.2f %8.3f %8.2f %7.1f %8.2f\n", p[i].cores, p[i].r.segments,
               p[i].wall, p[i].efficiency, p[i].r.tail,
               p[i].wall > 0 ? 100 * p[i].r.tail / p[i].wall : 0, p[i].speedup);
    putchar('\n');
    for (int i = 0; i < n; i++)
        if (p[i].measured > 0)
            printf("%d core%s: predicted %.2f s, measured %.2f s, error %+.1f%%%s\n",
                   p[i].cores, p[i].cores == 1 ? "" : "s", p[i].wall, p[i].measured,
                   100 * (p[i].wall / p[i].measured - 1),
                   p[i].cores == rec->workers ? " (the recorded run: the replay alone)" : "");
    /* The replay gives the dispatcher's and media thread's work no time:
     * where it is much of the wall, they may not keep the slots fed. */
    for (int i = 0; i < n; i++) {
        if (t->r.dispatcher_cpu > p[i].wall / 2) {
            printf("note: from %d cores on, the dispatcher and media threads' %.2f s of CPU "
                   "(as measured) is over half the predicted wall: they may not keep up\n",
                   p[i].cores, t->r.dispatcher_cpu);
            break;
        }
    }
    fflush(stdout);
}

static int write_sim_csv(const char *path, const sim_point *p, int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "cores,segments,wall_s,busy_s,efficiency,tail_s,speedup,measured_wall_s,error\n");
    for (int i = 0; i < n; i++) {
        fprintf(f, "%d,%d,%.3f,%.3f,%.4f,%.3f,%.4f,", p[i].cores, p[i].r.segments, p[i].wall,
                p[i].r.busy, p[i].efficiency, p[i].r.tail, p[i].speedup);
        if (p[i].measured > 0)
            fprintf(f, "%.3f,%.4f\n", p[i].measured, p[i].wall / p[i].measured - 1);
        else
            fprintf(f, ",\n");
    }
    return fclose(f);
}

static int write_sim_json(const char *path, const vtp_bench_cfg *cfg, const sim_record *rec,
                          const sim_point *p, int n)
{
    const trial *t = rec->run;
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    json_head(f, cfg);
    fprintf(f,
            ",\"recorded_workers\":%d,\"frames\":%lld,\"fps\":%.3f,\"outside_s\":%.3f,"
            "\"dispatcher_cpu_s\":%.3f,\"keyframes\":%lld,\"plan\":{\"target_frames\":%lld,"
            "\"min_frames\":%lld,\"grid_frames\":%lld,\"long_gop_frames\":%lld,\"spread\":%d},"
            "\"segments\":[",
            rec->workers, (long long)t->r.frames, rec->fps, rec->outside, t->r.dispatcher_cpu,
            (long long)rec->nkeys, (long long)rec->plan.target, (long long)rec->plan.min_len,
            (long long)rec->plan.grid, (long long)rec->plan.long_gop, rec->plan.spread);
    for (int i = 0; i < t->r.nsegments; i++) {
        const vtp_segment_time *s = &t->segments[i];
        fprintf(f,
                "%s{\"index\":%u,\"frames\":%lld,\"threads\":%d,\"sent_s\":%.3f,\"done_s\":%.3f,"
                "\"thread_s\":%.3f,\"cpu_s\":%.3f}",
                i ? "," : "", s->index, (long long)s->frames, s->threads, s->sent, s->done,
                rec->segs[i].cost, s->cpu);
    }
    fprintf(f, "],\"points\":[");
    for (int i = 0; i < n; i++) {
        fprintf(f,
                "%s{\"cores\":%d,\"segments\":%d,\"wall_s\":%.3f,\"busy_s\":%.3f,"
                "\"efficiency\":%.4f,\"tail_s\":%.3f,\"speedup\":%.4f,\"measured_wall_s\":",
                i ? "," : "", p[i].cores, p[i].r.segments, p[i].wall, p[i].r.busy,
                p[i].efficiency, p[i].r.tail, p[i].speedup);
        if (p[i].measured > 0)
            fprintf(f, "%.3f}", p[i].measured);
        else
            fprintf(f, "null}");
    }
    fprintf(f, "]}\n");
    return fclose(f);
}

/* The counts of both lists, each once, in order. */
static int merge_counts(const vtp_bench_cfg *cfg, int *cores)
{
    int n = 0;
    for (int list = 0; list < 2; list++) {
        const int *c = list ? cfg->simulate : cfg->counts;
        for (int i = 0; i < (list ? cfg->nsimulate : cfg->ncounts); i++) {
            int at = 0;
            while (at < n && cores[at] < c[i])
                at++;
            if (at < n && cores[at] == c[i])
                continue;
            memmove(cores + at + 1, cores + at, (size_t)(n - at) * sizeof(*cores));
            cores[at] = c[i];
            n++;
        }
    }
    return n;
}

/* Replays the record of the run at the largest count at every count. */
static int replay(const vtp_bench_cfg *cfg, trial *runs, char *why, size_t ws)
{
    int cores[2 * VTP_BENCH_MAX_COUNTS], largest = 0;
    sim_point points[2 * VTP_BENCH_MAX_COUNTS], one;
    sim_record rec;

    for (int i = 1; i < cfg->ncounts; i++)
        if (cfg->counts[i] > cfg->counts[largest])
            largest = i;
    int ret = make_record(cfg, &runs[largest], cfg->counts[largest], &rec, why, ws);
    int n = merge_counts(cfg, cores);
    if (ret < 0 || (ret = predict(&rec, 1, 0, &one)) < 0)
        goto end;
    for (int i = 0; i < n && ret >= 0; i++) {
        ret = predict(&rec, cores[i], one.wall, &points[i]);
        for (int k = 0; k < cfg->ncounts; k++)
            if (cfg->counts[k] == cores[i])
                points[i].measured = runs[k].wall;
    }
    if (ret < 0)
        goto end;
    print_simulation(&rec, points, n);
    if (cfg->csv_path && write_sim_csv(cfg->csv_path, points, n) != 0) {
        snprintf(why, ws, "cannot write '%s': %s", cfg->csv_path, strerror(errno));
        ret = VTP_ERR_OUTPUT;
    } else if (cfg->json_path && write_sim_json(cfg->json_path, cfg, &rec, points, n) != 0) {
        snprintf(why, ws, "cannot write '%s': %s", cfg->json_path, strerror(errno));
        ret = VTP_ERR_OUTPUT;
    }
end:
    free(rec.segs);
    free(rec.pkts);
    return ret;
}

int vtp_bench_simulate(const vtp_bench_cfg *cfg, char *why, size_t ws)
{
    char dir[] = "/tmp/vtpool-bench-XXXXXX", out[64];
    trial runs[VTP_BENCH_MAX_COUNTS];
    int ran = 0, ret = trial_dir(cfg, dir, out, sizeof(out), why, ws);

    if (ret < 0)
        return ret;
    for (; ran < cfg->ncounts; ran++)
        if ((ret = best_trial(cfg, cfg->counts[ran], 0, out, &runs[ran], why, ws)) < 0)
            break;
    unlink(out);
    rmdir(dir);
    if (ret >= 0)
        ret = replay(cfg, runs, why, ws);
    for (int i = 0; i < ran; i++)
        free(runs[i].segments);
    return ret;
}
