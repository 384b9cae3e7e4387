/* vtp_node.h -- a worker process: per-core threads behind one connection.
 *
 * `vtpool worker --connect ENDPOINT` runs a node: one DEALER connected to
 * the dispatcher, and a vtp_pool of threads behind an inproc ROUTER of its
 * own. To the dispatcher the node is one peer with N slots (its READY says
 * how many, and which encoders this machine has); the node hands each
 * segment to an idle thread and each result back.
 *
 * Liveness is the Paranoid Pirate pattern of the ZeroMQ guide: the node and
 * the dispatcher send each other a HEARTBEAT every heartbeat_ms; a node that
 * hears nothing for `liveness` intervals assumes the dispatcher is gone,
 * closes its socket and reconnects with exponential backoff, announcing
 * itself again. The node never opens a file: segments and results travel
 * in the messages, so it needs no shared filesystem.
 */
#ifndef VTP_NODE_H
#define VTP_NODE_H

#include <stdatomic.h>

#include "vtp_proto.h"

#define VTP_RECONNECT_MIN_MS 1000
#define VTP_RECONNECT_MAX_MS 32000

typedef struct vtp_node_cfg {
    const char *connect;                /* the dispatcher's worker endpoint */
    int threads;                        /* worker threads; 0 = online CPUs */
    int heartbeat_ms;                   /* 0 = VTP_HEARTBEAT_MS */
    int liveness;                       /* 0 = VTP_LIVENESS */
    const struct vtp_client_keys *keys; /* CURVE, or NULL */
    const atomic_int *stop;     /* the signal that asks to stop, set by a signal
                                   handler (any thread may run it); may be NULL */
    /* The time heartbeats and liveness are kept by, in ms: NULL is
     * vtp_clock_ms(); tests pass a fake one and step the node. */
    int64_t (*clock_ms)(void *clock_opaque);
    void *clock_opaque;
    const char *threads_endpoint;       /* tests: the threads' socket binds here and
                                           no thread starts (the test plays them) */
} vtp_node_cfg;

/* Runs the node until *stop is set or the dispatcher sends STOP. Returns
 * 0, or a negative code when it cannot start (bad endpoint, no threads). */
int vtp_node_run(void *zctx, const vtp_node_cfg *cfg);

/* The same node, step by step (vtp_node_run steps one until it stops;
 * tests step one on a fake clock). Starting connects and says READY: 0
 * with *out set, or a negative code as vtp_node_run's. The cfg is copied;
 * what it points to must outlive the node. */
typedef struct vtp_node vtp_node;
int vtp_node_new(void *zctx, const vtp_node_cfg *cfg, vtp_node **out);
/* Waits up to timeout_ms for a message and handles it, then does what is
 * due: a heartbeat, giving up on a silent dispatcher. While it is given
 * up, a step only waits out the backoff (up to timeout_ms) and then
 * connects again, dropping the segments no thread has started. 0 to go
 * on, 1 when the node is to end (STOP, or its sockets failed), or
 * negative when it cannot connect again. */
int vtp_node_step(vtp_node *n, long timeout_ms);
void vtp_node_destroy(vtp_node **self_p);

/* A node inside this process (vtpool encode, serve -j N), on a thread of its
 * own, connected over inproc: no heartbeats, no reconnects. Starting
 * returns once its threads are ready; NULL on failure. */
typedef struct vtp_node_thread vtp_node_thread;
vtp_node_thread *vtp_node_start(void *zctx, const char *endpoint, int threads);
/* Stops the node (cancelling segments in progress) and joins it; NULL-safe. */
void vtp_node_stop(vtp_node_thread **self_p);

/* The names of this machine's video encoders, comma-separated (static). */
const char *vtp_node_encoders(void);

#endif
