/* vtp_dispatcher.h -- hands segments of many jobs to many workers.
 *
 * The dispatcher owns one ROUTER socket (bound to one or more endpoints)
 * and a table of peers. A peer is whatever said READY: a worker thread of
 * this process (one slot, no heartbeat) or a worker node on any machine (N
 * slots, heartbeats). Each slot holds at most one segment, so credits are
 * slots: nothing is sent that a worker cannot start at once, and reading
 * ahead is bounded by the jobs' windows, not by socket buffers.
 *
 * Liveness (Paranoid Pirate): to every heartbeat peer the dispatcher sends a
 * HEARTBEAT each interval; a peer silent for `liveness` intervals is dead,
 * and its segments go back to their jobs to be sent again. A late result
 * from a dead peer is dropped by the job (its lease is gone).
 *
 * Leases have deadlines: a heartbeat peer that is alive but says nothing
 * about a segment it holds for `lease_ms` (workers send PROGRESS every
 * 250 ms while they decode and encode) has lost it somewhere (a full
 * queue, a failed send, a hung encoder): the segment goes back to its job
 * as one failed attempt, to be sent again, and the job fails at the retry
 * limit. A lease also has a limit however much its worker says: once a
 * job's first result has come, each lease ends at VTP_LEASE_SLACK (8)
 * times what its frames should take at the job's measured cost per frame
 * and the peer's measured pace against it (never sooner than lease_ms),
 * so a worker that reports but never finishes cannot hold a job either.
 * No failure leaves a segment leased forever.
 *
 * Messages to a peer arrive in order and whole, so a heartbeat sent after
 * large segments waits for them: a heartbeat peer gets its next segment of
 * 1 MiB or more only once it has said (PROGRESS) that the last one arrived.
 *
 * The dispatcher's thread only moves messages and keeps the books: every
 * job reads, decodes, checks, stores and joins on its own media thread
 * (vtp_job.h), which wakes the dispatcher's poll when it has news. So
 * heartbeats and lease checks never wait on media or disk.
 *
 * Jobs are served in priority order, then in the order they were added;
 * segments of several jobs share the workers, so no slot idles while any
 * job has work. A job that finishes or fails is reported through the end
 * callback and destroyed.
 */
#ifndef VTP_DISPATCHER_H
#define VTP_DISPATCHER_H

#include <zmq.h>

#include "vtp_job.h"

#define VTP_LEASE_MS 300000     /* a heartbeat peer silent this long about a segment
                                   it holds (no PROGRESS, no RESULT) has lost it */

typedef struct vtp_dispatcher vtp_dispatcher;

/* Called once per job when it ends: status 0 (its output is in place) or
 * negative with a one-line reason. The job is destroyed right after. */
typedef void (*vtp_job_end_fn)(void *opaque, vtp_job *job, int status, const char *why);

/* A segment's good result came back from the worker its lease went to
 * (for measurements: bench replays these times). */
typedef struct vtp_lease_report {
    int64_t job;
    uint32_t index;
    int threads;                        /* codec threads the lease had */
    int64_t frames;                     /* encoded */
    double sent, done;                  /* seconds of the dispatcher's clock (vtp_clock_ms()
                                           unless cfg.clock_ms): handed out, result taken */
    double cpu;                         /* the worker thread's CPU seconds on it */
} vtp_lease_report;

typedef void (*vtp_lease_fn)(void *opaque, const vtp_lease_report *r);

typedef struct vtp_dispatcher_cfg {
    void *zctx;
    const char *const *endpoints;       /* to bind */
    int nendpoints;
    int heartbeat_ms;                   /* 0 = VTP_HEARTBEAT_MS */
    int liveness;                       /* 0 = VTP_LIVENESS */
    int lease_ms;                       /* 0 = VTP_LEASE_MS */
    int network;                        /* endpoints face a network: cap message sizes */
    const struct vtp_keypair *curve;    /* CURVE server keys, or NULL */
    vtp_job_end_fn on_end;
    vtp_lease_fn on_lease;              /* may be NULL */
    void *opaque;                       /* of both */
    /* The time heartbeats, liveness and leases are kept by, in ms: NULL is
     * vtp_clock_ms(); tests pass a fake one and move it themselves. Polls
     * still wait in real time. Called on the dispatcher's thread only. */
    int64_t (*clock_ms)(void *clock_opaque);
    void *clock_opaque;
} vtp_dispatcher_cfg;

/* NULL on failure (a reason was printed). */
vtp_dispatcher *vtp_dispatcher_new(const vtp_dispatcher_cfg *cfg);
/* Destroys the remaining jobs (without callbacks) and closes the socket. */
void vtp_dispatcher_destroy(vtp_dispatcher **self_p);

/* Waits up to timeout_ms for something for vtp_dispatcher_step() to do (a
 * message, news from a job's media thread) or on one of the nextra (at
 * most 6) other items, whose revents it sets. As zmq_poll(): the number
 * of items ready, 0 (also when interrupted by a signal), or negative. */
int vtp_dispatcher_poll(vtp_dispatcher *d, zmq_pollitem_t *extra, int nextra, long timeout_ms);

/* The dispatcher's socket (for tests that speak to it directly). */
void *vtp_dispatcher_socket(vtp_dispatcher *d);

/* Takes the job (it is destroyed by the dispatcher). 0 or VTP_ERR_NOMEM. */
int vtp_dispatcher_add(vtp_dispatcher *d, vtp_job *job, int priority);

/* Removes and destroys job id (no callback). 1 if it was there. */
int vtp_dispatcher_remove(vtp_dispatcher *d, int64_t id);

/* Does all that is due without blocking: takes every waiting message,
 * sends heartbeats, buries silent peers, hands out segments, reports jobs
 * that ended. 0, or negative on a socket failure. */
int vtp_dispatcher_step(vtp_dispatcher *d);

/* Whether jobs wait outside the dispatcher (the service's queue) to be
 * added when workers idle: while some do, no job's tail is cut finer. */
void vtp_dispatcher_set_backlog(vtp_dispatcher *d, int waiting);

/* What the dispatcher has moved since it started (metrics). */
typedef struct vtp_dispatcher_stats {
    int64_t resent;             /* leases taken back to be sent again (a dead
                                   worker's, an expired one) */
    int64_t bytes_sent;         /* segments to workers */
    int64_t bytes_received;     /* messages from workers */
} vtp_dispatcher_stats;

void vtp_dispatcher_get_stats(const vtp_dispatcher *d, vtp_dispatcher_stats *stats);

#define VTP_PEER_ADDRESS 64

/* One peer, as vtp_dispatcher_peers() describes it. */
typedef struct vtp_peer_info {
    char address[VTP_PEER_ADDRESS];     /* IP of a tcp peer; "" for inproc and ipc */
    int slots, busy;
    const char *encoders;       /* comma-separated, NULL for any; borrowed: valid
                                   until the next vtp_dispatcher_step() */
    int64_t segments;           /* good results taken from it */
    int heartbeat;              /* a worker node, not a thread of this process */
    int64_t joined_ago_ms, seen_ago_ms;
} vtp_peer_info;

/* Fills out[0..min(max, n)) with the live peers; returns n, their number. */
int vtp_dispatcher_peers(const vtp_dispatcher *d, vtp_peer_info *out, int max);

int vtp_dispatcher_slots(const vtp_dispatcher *d);  /* slots of live peers */
int vtp_dispatcher_busy(const vtp_dispatcher *d);   /* slots holding a segment */
int vtp_dispatcher_jobs(const vtp_dispatcher *d);   /* jobs not yet ended */
/* Whether a slot is free that no job can fill: time to add a job. */
int vtp_dispatcher_hungry(const vtp_dispatcher *d);
/* Job i of the vtp_dispatcher_jobs() not yet ended (0 first), or NULL. */
vtp_job *vtp_dispatcher_job_at(vtp_dispatcher *d, int i);
/* The job with this id, or NULL. */
vtp_job *vtp_dispatcher_job(vtp_dispatcher *d, int64_t id);

#endif
