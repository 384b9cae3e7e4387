/* vtp_bench.h -- throughput across worker counts, against one encoder.
 *
 * Each trial runs in a child process, so its peak memory and CPU time are
 * its own (wait4's rusage): `vtpool encode` with N workers, and, with the
 * baseline, one libavcodec encoder with thread_count = N on the same input
 * and settings (what `ffmpeg -threads N` does). Trials alternate, ours then
 * the baseline at each N, so both see the same machine conditions.
 */
#ifndef VTP_BENCH_H
#define VTP_BENCH_H

#include "vtp_options.h"

#define VTP_BENCH_MAX_COUNTS 64

typedef struct vtp_bench_cfg {
    const char *input;
    const char *container;          /* extension of the trials' output: "mkv" */
    vtp_enc_opts opts;              /* borrowed */
    const char *audio;
    double segment_seconds;         /* 0: automatic */
    int counts[VTP_BENCH_MAX_COUNTS];
    int ncounts;
    int baseline;
    int repeat;                     /* trials per point; the best is kept */
    const char *json_path;          /* or NULL */
    const char *csv_path;           /* or NULL */
    int passes;                     /* --quality plan: 2 compares two-pass encodes */
    int simulate[VTP_BENCH_MAX_COUNTS];  /* --simulate: virtual core counts */
    int nsimulate;
} vtp_bench_cfg;

/* One measured point. */
typedef struct vtp_bench_point {
    int workers;
    double wall, cpu;               /* seconds */
    double fps;
    double speedup;                 /* over one worker */
    double efficiency;              /* fps / (workers x fps at one worker) */
    double utilisation;             /* cpu / (wall x workers) */
    double peak_mb;
    double dispatcher_share;        /* dispatcher thread CPU / all CPU */
    double first_segment;           /* seconds until the first segment left */
    double base_wall, base_fps;     /* the baseline's, or 0 */
    double base_utilisation, base_peak_mb;
    int64_t frames;
} vtp_bench_point;

/* Runs the sweep and prints the table. 0, or a negative code with a
 * reason in why. */
int vtp_bench_run(const vtp_bench_cfg *cfg, char *why, size_t why_size);

/* The price of cutting: encodes the input as one segment and then with
 * each of the segment lengths, at cfg's settings, and prints bitrate, PSNR
 * and SSIM of each and their difference from the single segment. */
int vtp_bench_quality(const vtp_bench_cfg *cfg, const double *lengths, int nlengths, char *why,
                      size_t why_size);

/* The price of the default plan at equal quality: encodes the input at
 * crf 19, 23, 27 and 31 once as one segment with one encoder thread (one
 * single-threaded encode of the whole input), then as `vtpool encode` does
 * by default with each number of workers (planned cuts, the end cut finer,
 * idle cores as codec threads); prints bitrate, PSNR and SSIM of each, and
 * each count's BD-rate against the single encode, by PSNR and by SSIM.
 * With cfg->passes 2, every encode is two-pass instead, at 0.5, 0.75, 1
 * and 1.5 times the -b in cfg->opts. */
int vtp_bench_quality_plan(const vtp_bench_cfg *cfg, const int *workers, int nworkers, char *why,
                           size_t why_size);

/* Measured segment times replayed at N virtual cores: runs the encode at
 * each of cfg->counts (best of cfg->repeat), recording every segment's
 * frames and thread-seconds (from being handed to a worker to its result,
 * times its codec threads); for each count of cfg->counts and
 * cfg->simulate, plans the cuts again from the input's video packets as
 * the splitter would, each new segment costing what its frames cost in the
 * run at the largest count, and hands them out on single-threaded slots as
 * the dispatcher does (vtp_simulate). Prints the predicted wall time,
 * efficiency, tail and speed-up at each count, and for the counts that
 * ran, the prediction against the measured wall time. */
int vtp_bench_simulate(const vtp_bench_cfg *cfg, char *why, size_t why_size);

/* A measured segment, in presentation order. */
typedef struct vtp_sim_segment {
    int64_t frames;
    double cost;                    /* thread-seconds */
} vtp_sim_segment;

/* A video packet of the input, in decode order, its times in frames from
 * the first (VTP_CUT_NO_TS when it has none). */
typedef struct vtp_sim_packet {
    int64_t ts, dts;                /* pts (or dts without one), dts */
    int key;                        /* decoding can start cleanly here */
} vtp_sim_packet;

/* How a job plans its cuts (vtp_cutter.h), in frames. */
typedef struct vtp_sim_plan {
    int64_t target;                 /* the longest segment */
    int64_t min_len;                /* the shortest planned one */
    int64_t grid;                   /* the encoder's keyframe interval; 0: none */
    int64_t long_gop;               /* no keyframe for this long: the splitter decodes */
    int spread;                     /* 2 for a length the user chose, else 1 */
} vtp_sim_plan;

/* What the slots did with the segments. */
typedef struct vtp_sim_result {
    int segments;
    double wall;                    /* from the first segment handed out to the last done */
    double busy;                    /* the segments' times, summed */
    double efficiency;              /* busy / (slots x wall) */
    double tail;                    /* from the first slot left with nothing to do
                                       (0 where one never gets a segment) to the end */
} vtp_sim_result;

/* Hands costs[0..n) out in order, each to the slot free first (of those
 * free together, the first), on `slots` slots of one thread each, every
 * segment ready from the start. 0, or VTP_ERR_NOMEM (or VTP_ERR_USAGE
 * without a slot). */
int vtp_sim_schedule(const double *costs, int n, int slots, vtp_sim_result *out);

/* The plan's cuts for `workers` workers over the measured segments'
 * frames, as the splitter makes them: the cutter (vtp_cutter.h) fed the
 * input's video packets, and past a long GOP the planned lengths exactly,
 * as the splitter cuts the frames it decodes then. Each new segment costs
 * its share of the measured segments it covers (each one's cost spread
 * evenly over its frames). Returns the count, with *costs (malloc'd)
 * their thread-seconds, or VTP_ERR_NOMEM. */
int vtp_sim_replan(const vtp_sim_segment *measured, int n, const vtp_sim_packet *pkts,
                   int64_t npkts, const vtp_sim_plan *plan, int workers, double **costs);

/* Both: the plan for `workers` over the measured segments, on `workers`
 * slots. 0 or negative (as vtp_sim_schedule). */
int vtp_simulate(const vtp_sim_segment *measured, int n, const vtp_sim_packet *pkts,
                 int64_t npkts, const vtp_sim_plan *plan, int workers, vtp_sim_result *out);

/* Bjontegaard delta rate, in percent: the average bitrate difference of
 * curve b against curve a over the quality range both cover (log-rate as a
 * cubic of quality through 4 points each). NAN when they do not overlap. */
double vtp_bd_rate(const double *rate_a, const double *quality_a, const double *rate_b,
                   const double *quality_b);

/* One libavcodec encoder with `threads` threads over the whole video of
 * input (decoder threads likewise); *frames receives the frames encoded. */
int vtp_baseline_run(const char *input, const vtp_enc_opts *opts, int threads, int64_t *frames,
                     char *why, size_t why_size);

#endif
