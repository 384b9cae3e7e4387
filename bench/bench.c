/* bench.c -- `vtpool bench`: the sweep, its trials and its reports
 * (see vtp_bench.h). */
#include "vtp_bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vtp_encode.h"
#include "vtp_clock.h"
#include "vtp_error.h"
#include "vtp_pool.h"

/* What a child reports back through its pipe. */
typedef struct trial_report {
    int status;
    int64_t frames;
    double dispatcher_cpu;
    double first_segment;
    char why[512];
} trial_report;

typedef struct trial {
    double wall, cpu, peak_mb;
    trial_report r;
} trial;

static void child(const vtp_bench_cfg *cfg, int workers, int baseline, const char *out, int fd)
{
    trial_report r;
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
        };
        vtp_encode_stats st = {0};
        r.status = vtp_encode_run_stats(&ec, &st, r.why, sizeof(r.why));
        r.frames = st.frames;
        r.dispatcher_cpu = st.dispatcher_cpu;
        r.first_segment = st.first_segment;
    }
    ssize_t w = write(fd, &r, sizeof(r));
    _exit(w == (ssize_t)sizeof(r) && r.status == 0 ? 0 : 1);
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
    ssize_t got = read(fds[0], &t->r, sizeof(t->r));
    close(fds[0]);
    struct rusage ru;
    int wstatus;
    while (wait4(pid, &wstatus, 0, &ru) < 0 && errno == EINTR)
        ;
    t->wall = vtp_clock_now() - t0;
    t->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    t->peak_mb = (double)ru.ru_maxrss / 1024.0;
    if (got != (ssize_t)sizeof(t->r) || t->r.status < 0) {
        snprintf(why, ws, "%s with %d %s: %s", baseline ? "baseline" : "vtpool", workers,
                 baseline ? "threads" : "workers",
                 got == (ssize_t)sizeof(t->r) ? t->r.why : "the trial crashed");
        return t->r.status < 0 ? t->r.status : VTP_ERR_SEGMENT;
    }
    return 0;
}

/* The best (fastest) of cfg->repeat trials. */
static int best_trial(const vtp_bench_cfg *cfg, int workers, int baseline, const char *out,
                      trial *best, char *why, size_t ws)
{
    for (int i = 0; i < (cfg->repeat > 0 ? cfg->repeat : 1); i++) {
        trial t;
        int ret = run_trial(cfg, workers, baseline, out, &t, why, ws);
        if (ret < 0)
            return ret;
        if (i == 0 || t.wall < best->wall)
            *best = t;
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

static int write_json(const char *path, const vtp_bench_cfg *cfg, const vtp_bench_point *p,
                      int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"input\":\"");
    for (const char *c = cfg->input; *c; c++)
        fprintf(f, *c == '"' || *c == '\\' ? "\\%c" : (unsigned char)*c < 32 ? "?" : "%c", *c);
    fprintf(f, "\",\"encoder\":\"%s\",\"cpus\":%d,\"points\":[", cfg->opts.encoder,
            vtp_cpu_count());
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

int vtp_bench_run(const vtp_bench_cfg *cfg, char *why, size_t ws)
{
    char dir[] = "/tmp/vtpool-bench-XXXXXX", out[64];
    vtp_bench_point points[VTP_BENCH_MAX_COUNTS];
    double fps1 = 0;
    int ret = 0;

    if (!mkdtemp(dir)) {
        snprintf(why, ws, "cannot make a temporary directory: %s", strerror(errno));
        return VTP_ERR_OUTPUT;
    }
    snprintf(out, sizeof(out), "%s/out.%s", dir, cfg->container ? cfg->container : "mkv");
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
