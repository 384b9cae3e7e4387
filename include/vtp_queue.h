/* vtp_queue.h -- the durable job queue of `vtpool serve`, in one SQLite file.
 *
 * Each job is a row: its spec (canonical JSON, see vtp_jobspec.h), priority,
 * state, times, progress and error. Finished segments of a running job are
 * recorded too, so that a restarted server resumes a job where it stopped
 * instead of encoding it again from the start.
 *
 * States: "queued" -> "running" -> "done" | "failed", and "queued" or
 * "running" -> "cancelled" (vtp_queue_cancel). vtp_queue_set_state() does
 * not police transitions: the dispatcher owns them.
 *
 * Durability: once vtp_queue_submit() (or any other call that writes) has
 * returned, what it wrote survives a crash or kill of the process, and a
 * power failure too (WAL journal, synchronous=FULL: every commit is synced).
 * Several processes may use one file at once (`vtpool submit` next to the
 * server); a writer waits up to 5 s for another's transaction to end.
 *
 * Threads may share a vtp_queue: its calls take their turn (the service's
 * thread and the jobs' media threads use one). The callbacks of
 * vtp_queue_running() and vtp_queue_list() run outside that turn and may
 * call any function of the same queue (rows are read in batches before
 * callbacks run).
 *
 * Errors: SQLite failures are logged (vtp_log, error level) with SQLite's
 * message and return VTP_ERR_OUTPUT, AVERROR(ENOSPC) when the disk is full,
 * or VTP_ERR_NOMEM; unknown job ids and bad arguments return VTP_ERR_USAGE.
 */
#ifndef VTP_QUEUE_H
#define VTP_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#define VTP_QUEUE_SCHEMA_VERSION 1

typedef struct vtp_queue vtp_queue;

typedef struct vtp_job_info {
    int64_t id;
    char state[16];         /* "queued", "running", "done", "failed" or "cancelled" */
    int priority;
    char *spec;             /* JSON; owned */
    char *error;            /* owned; NULL if none */
    double submitted, started, finished;    /* unix seconds; 0 if not yet */
    int64_t segments_done;  /* segments recorded by vtp_queue_segment_done() (kept
                               after vtp_queue_forget_segments()) */
    int64_t frames;         /* frames written so far or in total */
    double media_seconds;   /* progress: seconds of video done */
    double total_seconds;   /* input duration; 0 if unknown */
} vtp_job_info;

/* Frees what i owns and zeroes it (so it can be cleared twice). */
void vtp_job_info_clear(vtp_job_info *i);

/* Opens (creating if needed) the queue at path. Returns NULL with a
 * one-line reason in why when the file cannot be opened or created, is not
 * a vtpool queue, or has a newer schema than this build knows. */
vtp_queue *vtp_queue_open(const char *path, char *why, size_t why_size);
/* Closes the queue and sets *q to NULL; NULL-safe. */
void vtp_queue_close(vtp_queue **q);

/* Adds a queued job; *id receives its id (ids only grow, never reused).
 * VTP_ERR_USAGE if spec_json is NULL or empty. */
int vtp_queue_submit(vtp_queue *q, const char *spec_json, int priority, int64_t *id);
/* Adds n jobs in one transaction, all or none (a NULL or empty spec fails
 * the lot with VTP_ERR_USAGE); ids[0..n) receive their ids (in order). */
int vtp_queue_submit_many(vtp_queue *q, const char *const *specs, const int *priorities, int n,
                          int64_t *ids);

/* The next job to run: highest priority, then lowest id, among queued jobs
 * whose id is not in skip[0..nskip). Returns 1 and fills info (overwritten,
 * not freed: clear it after use), 0 if there is none, or an error. The job
 * stays queued. */
int vtp_queue_next(vtp_queue *q, const int64_t *skip, int nskip, vtp_job_info *info);

/* Calls cb for each running job (to resume them after a restart), in
 * priority/id order; info is valid during the call only. Stops at the first
 * negative return of cb and returns it; 0 when all were seen. */
int vtp_queue_running(vtp_queue *q, int (*cb)(void *opaque, const vtp_job_info *info), void *opaque);

/* Sets the state (one of the five) and error (NULL for none) of job id.
 * "queued" zeroes started and finished; "running" sets started to now
 * (unless the job was already running) and zeroes finished; the other
 * three set finished to now. VTP_ERR_USAGE for an unknown id or state. */
int vtp_queue_set_state(vtp_queue *q, int64_t id, const char *state, const char *error);
/* Records progress of job id; VTP_ERR_USAGE if unknown. */
int vtp_queue_set_progress(vtp_queue *q, int64_t id, int64_t frames, double media_seconds,
                           double total_seconds);

/* Records that segment idx (>= 0) of job id is finished and stored at path
 * (relative to the work dir), with its cut range; recording an index again
 * replaces it. VTP_ERR_USAGE for an unknown job, a negative idx or an empty
 * path. */
int vtp_queue_segment_done(vtp_queue *q, int64_t id, int64_t idx, const char *path,
                           int64_t cut_start, int64_t cut_end);
/* The stored path of a finished segment and its cut range: 1 and *path
 * (malloc'd, caller frees) if recorded, 0 (and *path NULL) if not. cut_start
 * and cut_end may be NULL. */
int vtp_queue_segment_path(vtp_queue *q, int64_t id, int64_t idx, char **path,
                           int64_t *cut_start, int64_t *cut_end);
/* Forgets a job's segments (after its output is complete); 0 also when
 * there were none. */
int vtp_queue_forget_segments(vtp_queue *q, int64_t id);

#define VTP_QUEUE_STATES 5

/* The name of state k (0 queued, 1 running, 2 done, 3 failed, 4
 * cancelled), or NULL outside 0..4. */
const char *vtp_queue_state_name(int k);
/* How many jobs are in each state, by vtp_queue_state_name() order. It
 * reads every job (about 85 ms a million): for the few that wait or run,
 * vtp_queue_count_in() reads only those. */
int vtp_queue_count(vtp_queue *q, int64_t counts[VTP_QUEUE_STATES]);
/* How many jobs are in one state (reading only those), or an error:
 * VTP_ERR_USAGE for an unknown state. */
int64_t vtp_queue_count_in(vtp_queue *q, const char *state);

/* Job id: 1 and info filled (overwritten, not freed), 0 if there is none. */
int vtp_queue_get(vtp_queue *q, int64_t id, vtp_job_info *info);

/* Calls cb for all jobs (or those in one state if state != NULL), newest
 * first, at most limit of them (<= 0: all); info is valid during the call
 * only. Stops at the first negative return of cb and returns it.
 * VTP_ERR_USAGE for an unknown state. */
int vtp_queue_list(vtp_queue *q, const char *state, int limit,
                   int (*cb)(void *opaque, const vtp_job_info *info), void *opaque);

/* Queued or running -> cancelled (finished set to now). Returns 1 if the
 * state changed, 0 if the job had already finished (done, failed or
 * cancelled), VTP_ERR_USAGE if there is no such job. */
int vtp_queue_cancel(vtp_queue *q, int64_t id);

/* Tests only: caps this connection's database at `pages` pages (SQLite
 * never sets it below the pages the file has), so that the next write
 * needing a page more fails as on a full disk, with AVERROR(ENOSPC).
 * Returns the cap it had, which given back lifts the cap again (pages <= 0
 * changes nothing), or an error. */
int64_t vtp_queue_max_pages(vtp_queue *q, int64_t pages);

#endif
