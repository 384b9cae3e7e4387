/* vtp_job.h -- one transcode in progress, as the dispatcher sees it.
 *
 * A job owns its input (and the splitter reading it), its output (the
 * joiner) and a window of segments between the two. Each segment in the
 * window is PENDING (ready to send, perhaps again), SENT (leased to a
 * worker), DONE (its result is held or stored, waiting for its turn) or
 * written. The serialized form of a segment is kept until its result
 * arrives, so a segment whose worker died can be sent again without
 * reading the input twice.
 *
 * With a spill directory, every result is stored there as a file before it
 * counts as done (and recorded in the queue, when one is given); a job
 * reopened after a crash reads its input again but sends only the segments
 * without a stored result. Without one (vtpool encode), results stay in
 * memory until written.
 *
 * Threads: once started (vtp_job_start), a job has its own media thread,
 * which reads the input ahead into the window, checks, stores and joins
 * the results; it tells the dispatcher through the notify callback when
 * there is something to look at. Every other function is the dispatcher's
 * (one thread) and returns without waiting on media or disk.
 */
#ifndef VTP_JOB_H
#define VTP_JOB_H

#include <stdint.h>

#include <libavutil/buffer.h>

#include "vtp_encoders.h"
#include "vtp_options.h"
#include "vtp_segment.h"

struct vtp_queue;
struct vtp_passrec;

#define VTP_SEGMENT_ATTEMPTS 3          /* workers a segment may fail on */
#define VTP_SEGMENT_DEFAULT_S 120.0     /* the plan's longest segment (vtp_cutter.h) */
#define VTP_PLAN_MIN_S 2.0              /* ... and its shortest */
#define VTP_SEGMENT_UNPLANNED_S 10.0    /* default length when the duration is unknown */
#define VTP_LONG_GOP_S 15.0             /* planned: no keyframe for this long: decode */
#define VTP_LONG_GOP_FACTOR 1.5         /* --segment S: no keyframe for 1.5 S: decode */
#define VTP_TAIL_MIN_S 0.5              /* --segment S: the shortest segment of the tail */
#define VTP_PASS_MIN_S 4.0              /* ... in two-pass encoding */
#define VTP_LADDER_SEGMENT_S 6.0        /* a ladder's media segments, by default (as
                                           Apple's HLS authoring guide asks) */
#define VTP_LADDER_TAIL_MIN_S 1.0       /* ... and the shortest of its tail: a ladder's
                                           segment is several encodes, and the last
                                           one alone leaves cores idle the longer
                                           (BENCHMARKS.md, "Ladders") */
#define VTP_WINDOW_MAX_BYTES (2LL << 30)  /* a job's window holds no more (4 segments
                                             at their byte limit), however many it may */

typedef struct vtp_job_cfg {
    int64_t id;                         /* job id (1 for vtpool encode) */
    const char *input;
    const char *output;
    const vtp_enc_opts *opts;           /* encoder NULL: the container's usual one */
    const vtp_encoders *encoders;       /* what the workers' encoders take */
    const char *audio;                  /* "auto", "copy", "none" or an encoder */
    double segment_seconds;             /* 0: the default, shortened for short
                                           inputs so `parallelism` workers all
                                           get two segments */
    int parallelism;                    /* workers expected; 0 if unknown */
    int fixed_segments;                 /* every segment as long as the target and
                                           encoded with one codec thread: no finer
                                           tail, no idle cores lent at the end (so
                                           bench --quality sees cutting alone) */
    int overwrite;
    int skip_errors;                    /* --on-error skip */
    int window;                         /* segments between splitter and joiner */
    const char *spill_dir;              /* NULL: results in memory */
    struct vtp_queue *queue;            /* NULL, or where stored segments are recorded */
    int pass;                           /* two-pass encoding (vtp_passrec.h): 1, the
                                           first (nothing is written but the record;
                                           the segments' quality is constant: CRF),
                                           or 2, the second (each segment gets its
                                           share of -b); 0: one pass. The plan is
                                           for `parallelism` workers, whoever comes */
    struct vtp_passrec *passrec;        /* pass 1 fills it, pass 2 reads it */
    char *const *renditions;            /* an adaptive-bitrate ladder, one
                                           "WxH[,KEY=VALUE]..." a rung
                                           (vtp_rendition.h): output is an HLS
                                           (.m3u8) or DASH (.mpd) playlist and every
                                           segment is encoded once per rung
                                           (vtp_package.h); copied */
    int nrenditions;                    /* 0: one output file */
    int live_playlist;                  /* HLS playlists that grow as segments finish */
} vtp_job_cfg;

/* A segment ready to go out: its serialized message (and the frames part,
 * or NULL), referenced by the job until the segment is done. */
typedef struct vtp_job_send {
    uint32_t index;
    int threads;                        /* slots it takes: its codec threads */
    int alone;                          /* the receiver must get nothing else
                                           until it answers (a suspect) */
    const char *encoder;                /* what the worker must have */
    int64_t frames_expected;            /* it is to give; -1 unknown */
    AVBufferRef *head;
    AVBufferRef *frames;
} vtp_job_send;

typedef struct vtp_job_progress {
    int64_t frames;
    double media_seconds;
    double total_seconds;
    uint32_t segments_written;
    int decoding;                       /* the dispatcher decodes this input */
    int64_t skipped;                    /* damaged frames and packets dropped */
    double media_cpu;                   /* CPU seconds of the job's media thread */
} vtp_job_progress;

typedef struct vtp_job vtp_job;

/* Opens the input and the output, checks every setting but for the
 * encoder's trial (vtp_job_check). NULL on failure with *err set and a
 * one-line reason in why. */
vtp_job *vtp_job_open(const vtp_job_cfg *cfg, int *err, char *why, size_t why_size);

/* A job whose media thread opens it (the same checks as vtp_job_open) once
 * started: the caller does no file or media work, and a job that cannot
 * open fails as any job does (vtp_job_failed). NULL when out of memory. */
vtp_job *vtp_job_new(const vtp_job_cfg *cfg);

/* Whether the job is open: until then it has no encoder and no segment. */
int vtp_job_opened(const vtp_job *j);

/* The encoder's trial: it is opened with the job's settings at the input's
 * size and given a frame (milliseconds to seconds). 0, or negative with a
 * one-line reason. The media thread runs it first unless it has passed;
 * a caller that wants every error before any work calls it after open. */
int vtp_job_check(vtp_job *j, char *why, size_t why_size);
/* Frees everything (stopping the media thread: a read in progress is
 * interrupted); the temporary output is removed unless finished. */
void vtp_job_destroy(vtp_job **self_p);

/* Called from the media thread when the dispatcher has something new to
 * look at (a segment to send, a finished or failed job, progress). It
 * must not block and must not call back into the job. */
typedef void (*vtp_job_notify_fn)(void *opaque);

/* Starts the media thread, which reads one segment ahead at once.
 * 0 or VTP_ERR_NOMEM. */
int vtp_job_start(vtp_job *j, vtp_job_notify_fn notify, void *opaque);

/* The dispatcher could send n segments of this job now beyond those
 * waiting: the media thread reads that many ahead (one more than n are
 * kept waiting), as far as the window allows. Returns how many the window
 * can still take (0 once the input is all read). */
int vtp_job_want(vtp_job *j, int n);

/* The workers now sharing the job's segments (how finely its tail is cut). */
void vtp_job_set_parallelism(vtp_job *j, int workers);

int64_t vtp_job_id(const vtp_job *j);
/* The output's path, as given. */
const char *vtp_job_output(const vtp_job *j);
/* The encoder its segments need; NULL until the job is open. */
const char *vtp_job_encoder(const vtp_job *j);

/* The next segment to send: one to send again first, else the next one
 * read. 1 with *out filled, 0 when none is waiting. lease_tag identifies
 * who gets it, so that a late result from someone else can be told apart.
 * free_slots is how many slots the receiver has free: at the end of the
 * input, when fewer segments are left than that, each gets several codec
 * threads instead of leaving cores idle (out->threads). idle says the
 * receiver holds no other segment: a segment that was lost with its worker
 * twice goes only to such a one, alone (out->alone), so that a segment
 * that crashes workers is told from its neighbours. */
int vtp_job_next(vtp_job *j, uint64_t lease_tag, int free_slots, int idle, vtp_job_send *out);

/* Whether vtp_job_next() might give something, now or once read. */
int vtp_job_can_send(vtp_job *j);

/* A result from the worker holding lease_tag; the job takes res. Results
 * of segments not leased to that tag are dropped (returns 0). Failed
 * results count as an attempt. Good ones go to the media thread, which
 * checks every frame is there (vtp_accounting.h), stores and joins them.
 * 0, or negative if the job has failed. */
int vtp_job_result(vtp_job *j, uint64_t lease_tag, vtp_result *res, char *why, size_t why_size);

/* A PROGRESS from the worker holding lease_tag: segment idx has frames
 * encoded so far (for the progress shown; other leases' are ignored). */
void vtp_job_progress_note(vtp_job *j, uint64_t lease_tag, uint32_t idx, int64_t frames);

/* The lease of segment idx by lease_tag ran out (its worker said nothing
 * about it in time): it is to be sent again, one attempt counted, cause
 * saying why. 0, or negative if the job has failed. */
int vtp_job_lease_expired(vtp_job *j, uint64_t lease_tag, uint32_t idx, const char *cause,
                          char *why, size_t why_size);

/* Segment idx, just leased to lease_tag, never reached it (the send failed:
 * the receiver is gone): it is to be sent again, no attempt counted, since
 * no worker has tried it. */
void vtp_job_unsend(vtp_job *j, uint64_t lease_tag, uint32_t idx);

/* The worker holding lease_tag is gone: its segments are to be sent again
 * (each loss counts as an attempt). 0, or negative if the job has failed. */
int vtp_job_lost(vtp_job *j, uint64_t lease_tag, char *why, size_t why_size);

/* 1 once the output is complete and in place. */
int vtp_job_finished(vtp_job *j);

/* Negative once the media thread has failed (reading, checking, storing,
 * joining), with the reason in why; the job does nothing more. 0 if not. */
int vtp_job_failed(vtp_job *j, char *why, size_t why_size);

void vtp_job_progress_get(vtp_job *j, vtp_job_progress *p);

#endif
