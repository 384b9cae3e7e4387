/* cmd_bench.c -- `vtpool bench`: the command line of vtp_bench_run(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtp_bench.h"
#include "vtp_cli.h"
#include "vtp_error.h"
#include "vtp_log.h"
#include "vtp_pool.h"

static const char usage[] =
    "usage: vtpool bench INPUT [--cores 1,2,4,...] [encode options] [--baseline]\n"
    "                    [--repeat N] [--json FILE] [--csv FILE] [-o NAME.EXT]\n"
    "       vtpool bench INPUT --quality LENGTHS [encode options]\n"
    "       vtpool bench INPUT --quality plan [--cores 2,16] [--pass 2 -b RATE] [encode options]\n"
    "       vtpool bench INPUT --simulate 16,32,64 [--cores 1,2,...] [encode options]\n"
    "                    [--repeat N] [--json FILE] [--csv FILE] [-o NAME.EXT]\n"
    "\n"
    "Runs the same encode with each worker count and prints, per count: frames per\n"
    "second, speedup over one worker, efficiency (fps at N / (N x fps at 1)), CPU\n"
    "utilisation over the whole job, the dispatcher's share of the CPU, peak memory\n"
    "and how soon the first segment was encoding. --baseline also runs, alternating\n"
    "with vtpool, one libavcodec encoder with N threads on the same input and\n"
    "settings (what 'ffmpeg -threads N' does) and prints the ratio.\n"
    "\n"
    "  --cores LIST           worker counts, comma-separated (default 1, 2, 4, ... up\n"
    "                         to all cores); none may exceed this machine's cores\n"
    "  --baseline             also measure the single multi-threaded encoder\n"
    "  --repeat N             trials per point, the fastest kept (default 1)\n"
    "  --json FILE, --csv FILE  also write the figures there\n"
    "  -o NAME.EXT            the container the trials write (default mkv)\n"
    "  --quality LENGTHS      instead: the price of cutting. Encodes once as a single\n"
    "                         segment and once per segment length (e.g. 2,10,60),\n"
    "                         every segment with one codec thread and none cut finer,\n"
    "                         and prints bitrate, PSNR and SSIM against the input\n"
    "  --quality plan         instead: the price of the default plan at equal quality.\n"
    "                         Encodes at crf 19, 23, 27, 31 once whole (one encoder,\n"
    "                         one thread) and as 'vtpool encode' does with each count\n"
    "                         of --cores (default 2,16; more than this machine has is\n"
    "                         allowed: it changes time, not bits); prints each point\n"
    "                         and the BD-rate against the whole encode; with --pass 2\n"
    "                         -b RATE, two-pass encodes at 1.5, 1, 0.75 and 0.5 x RATE\n"
    "  --simulate LIST        instead: predicts the encode at these core counts (any,\n"
    "                         e.g. 16,32,64). Runs it at each count of --cores, timing\n"
    "                         every segment (thread-seconds from being handed to a\n"
    "                         worker to its result), plans the cuts again for each\n"
    "                         count over the frames of the run at the largest one,\n"
    "                         each frame costing what it cost there, and hands them\n"
    "                         to that many single-threaded slots in order. Prints wall\n"
    "                         time, efficiency (segment time / (cores x wall)), the\n"
    "                         tail (first idle slot to the end) and speedup at every\n"
    "                         count, and the prediction against each count that ran\n"
    "  encode options         -c, --crf, -b, --preset, -x, --vf, --audio, --segment as\n"
    "                         for 'vtpool encode' (see 'vtpool encode --help')\n";

/* Fills lengths from "2,10,60". Their count, or -1 after printing why. */
static int parse_lengths(const char *list, double *lengths, int max)
{
    char *copy = strdup(list), *save = NULL;
    int n = 0;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == max || vtp_cli_number(tok, 0.04, 86400, &lengths[n]) < 0) {
            free(copy);
            vtp_cli_usage_error("bench", "--quality takes segment lengths like 2,10,60, not '%s'",
                                list);
            return -1;
        }
        n++;
    }
    free(copy);
    return n;
}

/* Worker counts for --quality plan and --simulate (opt): any positive
 * number, this machine's cores or not. Their count, or -1 after printing
 * why. */
static int parse_workers(const char *opt, const char *list, int *workers)
{
    char fmt[96];
    snprintf(fmt, sizeof(fmt), "%s takes whole numbers like 2,16, not '%%s'", opt);
    char *copy = strdup(list), *save = NULL;
    int n = 0;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
         tok = strtok_r(NULL, ",", &save)) {
        double v;
        if (n == VTP_BENCH_MAX_COUNTS || vtp_cli_number(tok, 1, 4096, &v) < 0 || v != (int)v) {
            free(copy);
            vtp_cli_usage_error("bench", fmt, list);
            return -1;
        }
        workers[n++] = (int)v;
    }
    free(copy);
    return n;
}

/* Fills counts from "1,2,4" or the default sweep. 0 or an exit status. */
static int parse_cores(const char *list, vtp_bench_cfg *cfg)
{
    int cpus = vtp_cpu_count();
    if (!list) {
        for (int n = 1; n < cpus && cfg->ncounts < VTP_BENCH_MAX_COUNTS - 1; n *= 2)
            cfg->counts[cfg->ncounts++] = n;
        cfg->counts[cfg->ncounts++] = cpus;
        return 0;
    }
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return VTP_EXIT_INTERNAL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double v;
        if (vtp_cli_number(tok, 1, 4096, &v) < 0 || v != (int)v ||
            cfg->ncounts == VTP_BENCH_MAX_COUNTS) {
            free(copy);
            return vtp_cli_usage_error("bench", "--cores takes whole numbers like 1,2,4, not '%s'",
                                       list);
        }
        if ((int)v > cpus) {
            vtp_log_line("bench: --cores %d is more than this machine's %d cores", (int)v, cpus);
            free(copy);
            return VTP_EXIT_USAGE;
        }
        cfg->counts[cfg->ncounts++] = (int)v;
    }
    free(copy);
    return cfg->ncounts ? 0 : vtp_cli_usage_error("bench", "--cores is empty%s", "");
}

int vtp_cmd_bench(int argc, char **argv)
{
    vtp_jobspec spec;
    vtp_cli_extra extra;
    vtp_bench_cfg cfg;
    int status = vtp_cli_parse_job(argc, argv, "bench", VTP_CLI_BENCH, usage, &spec, &extra);

    memset(&cfg, 0, sizeof(cfg));
    if (status >= 0)
        goto end;
    vtp_log_init(extra.verbose ? VTP_LOG_WARNING : VTP_LOG_ERROR);
    int plan = extra.quality && !strcmp(extra.quality, "plan");
    if (!plan && (status = parse_cores(extra.cores, &cfg)) != 0)
        goto end;
    if (!spec.opts.encoder && !(spec.opts.encoder = strdup("libx264"))) {
        status = VTP_EXIT_INTERNAL;
        goto end;
    }
    char why[1024] = "";
    int ret = vtp_enc_opts_validate(&spec.opts, why, sizeof(why));
    if (ret < 0) {
        vtp_log_line("bench: %s", why);
        status = vtp_exit_status(ret);
        goto end;
    }
    cfg.input = spec.input;
    if (spec.output) {
        const char *dot = strrchr(spec.output, '.');
        cfg.container = dot && dot[1] ? dot + 1 : NULL;
    }
    cfg.opts = spec.opts;
    cfg.passes = extra.passes;
    if (cfg.passes == 2 && !plan) {
        status = vtp_cli_usage_error("bench", "%s", "--pass 2 goes with --quality plan");
        goto end;
    }
    if (extra.simulate && (extra.quality || extra.baseline)) {
        status = vtp_cli_usage_error("bench", "%s", "--simulate goes with neither --quality nor "
                                                    "--baseline");
        goto end;
    }
    if (extra.simulate &&
        (cfg.nsimulate = parse_workers("--simulate", extra.simulate, cfg.simulate)) <= 0) {
        status = VTP_EXIT_USAGE;
        goto end;
    }
    if (plan) {
        int workers[VTP_BENCH_MAX_COUNTS] = {2, 16}, n = 2;
        if (extra.cores && (n = parse_workers("--cores", extra.cores, workers)) <= 0) {
            status = VTP_EXIT_USAGE;
            goto end;
        }
        ret = vtp_bench_quality_plan(&cfg, workers, n, why, sizeof(why));
    } else if (extra.quality) {
        double lengths[VTP_BENCH_MAX_COUNTS];
        int n = parse_lengths(extra.quality, lengths, VTP_BENCH_MAX_COUNTS);
        if (n <= 0) {
            status = VTP_EXIT_USAGE;
            goto end;
        }
        ret = vtp_bench_quality(&cfg, lengths, n, why, sizeof(why));
    } else {
        cfg.audio = spec.audio;
        cfg.segment_seconds = spec.segment_seconds;
        cfg.baseline = extra.baseline;
        cfg.repeat = extra.repeat;
        cfg.json_path = extra.json;
        cfg.csv_path = extra.csv;
        ret = cfg.nsimulate ? vtp_bench_simulate(&cfg, why, sizeof(why))
                            : vtp_bench_run(&cfg, why, sizeof(why));
    }
    if (ret < 0)
        vtp_log_line("bench: %s", why);
    status = ret < 0 ? vtp_exit_status(ret) : VTP_EXIT_OK;
end:
    vtp_jobspec_clear(&spec);
    return status;
}
