/* vtp_encode.h -- one input to one output on a pool of worker threads.
 *
 * vtp_encode_run() is `vtpool encode` without the command line: it opens
 * the input, checks every setting before any work starts, starts -j worker
 * threads behind an inproc ROUTER, and runs the dispatcher loop (read a
 * segment, hand it to an idle worker, write results in order) until the
 * output is complete or something fails.
 */
#ifndef VTP_ENCODE_H
#define VTP_ENCODE_H

#include <stdatomic.h>
#include <stdint.h>

#include "vtp_options.h"

typedef struct vtp_progress {
    int64_t frames;             /* video frames written */
    double media_seconds;       /* of video written */
    double total_seconds;       /* input duration, 0 if unknown */
    double elapsed;             /* wall seconds since start */
    int workers;
    int busy;                   /* workers encoding now */
    int segments_done;
    int pass, passes;           /* this pass of how many (1 of 1 normally) */
    int done;                   /* the last call */
} vtp_progress;

typedef void (*vtp_progress_fn)(void *opaque, const vtp_progress *p);

/* One segment of the output, as the dispatcher measured it (for bench). */
typedef struct vtp_segment_time {
    uint32_t index;             /* in presentation order, from 0 */
    int64_t frames;             /* encoded */
    int threads;                /* codec threads it had */
    double sent, done;          /* seconds since the encode started: handed to a
                                   worker, its result taken */
    double cpu;                 /* the worker thread's CPU seconds on it */
} vtp_segment_time;

typedef void (*vtp_segment_fn)(void *opaque, const vtp_segment_time *t);

typedef struct vtp_encode_cfg {
    const char *input;
    const char *output;
    vtp_enc_opts opts;          /* encoder, its options and --vf */
    const char *audio;          /* "auto" (default), "copy", "none" or an encoder */
    int jobs;                   /* worker threads; 0 = online CPUs */
    double segment_seconds;     /* target segment length; 0 = automatic */
    int fixed_segments;         /* no finer tail, one codec thread a segment
                                   (see vtp_job_cfg) */
    int overwrite;
    int skip_errors;            /* --on-error skip */
    int passes;                 /* 2: two-pass encoding (vtp_passrec.h); else one */
    char *const *renditions;    /* a ladder (vtp_job_cfg); NULL: one file */
    int nrenditions;
    int live_playlist;
    vtp_progress_fn progress;   /* may be NULL */
    void *progress_opaque;
    vtp_segment_fn on_segment;  /* may be NULL: each segment of the pass that
                                   writes the output, as its result comes */
    void *segment_opaque;
    const atomic_int *stop;     /* the signal that asks to stop, set by a signal
                                   handler (any thread may run it); may be NULL */
} vtp_encode_cfg;

/* What a finished encode measured (for bench). */
typedef struct vtp_encode_stats {
    int64_t frames;             /* video frames written */
    double media_seconds;
    double dispatcher_cpu;      /* CPU seconds of the dispatcher: its thread and
                                   the jobs' media threads */
    double first_segment;       /* wall seconds from start to the first segment sent */
    int64_t skipped;            /* damaged frames and packets dropped */
} vtp_encode_stats;

/* Runs the encode. 0 on success; a negative code with a one-line reason in
 * why otherwise (nothing is left at the output path then). */
int vtp_encode_run(const vtp_encode_cfg *cfg, char *why, size_t why_size);
/* The same, filling stats (may be NULL) on success. */
int vtp_encode_run_stats(const vtp_encode_cfg *cfg, vtp_encode_stats *stats, char *why,
                         size_t why_size);

#endif
