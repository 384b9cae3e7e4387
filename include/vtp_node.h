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

#include <signal.h>

#include "vtp_proto.h"

#define VTP_RECONNECT_MIN_MS 1000
#define VTP_RECONNECT_MAX_MS 32000

typedef struct vtp_node_cfg {
    const char *connect;                /* the dispatcher's worker endpoint */
    int threads;                        /* worker threads; 0 = online CPUs */
    int heartbeat_ms;                   /* 0 = VTP_HEARTBEAT_MS */
    int liveness;                       /* 0 = VTP_LIVENESS */
    const struct vtp_client_keys *keys; /* CURVE, or NULL */
    volatile sig_atomic_t *stop;        /* set by a signal handler; may be NULL */
} vtp_node_cfg;

/* Runs the node until *stop is set or the dispatcher sends STOP. Returns
 * 0, or a negative code when it cannot start (bad endpoint, no threads). */
int vtp_node_run(void *zctx, const vtp_node_cfg *cfg);

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
