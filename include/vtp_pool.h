/* vtp_pool.h -- a pool of per-core worker threads.
 *
 * Each thread owns a DEALER socket connected to the dispatcher's ROUTER at
 * `endpoint` and runs the load-balancing worker loop: READY, then for each
 * SEGMENT one vtp_pipeline_run() and a RESULT. Threads share nothing; each
 * libav context lives and dies inside one thread.
 *
 * Lifecycle (as a CZMQ actor): vtp_pool_new() returns once every thread has
 * connected; vtp_pool_destroy() tells each thread to stop (a message on its
 * private pipe), cancels the segment it may be encoding, and joins it.
 */
#ifndef VTP_POOL_H
#define VTP_POOL_H

#include "vtp_encoders.h"

typedef struct vtp_pool vtp_pool;

/* Starts n threads in ZeroMQ context zctx. NULL on failure (nothing left
 * running). */
vtp_pool *vtp_pool_new(void *zctx, const char *endpoint, int n);

/* Stops and joins every thread; NULL-safe; clears *self_p. */
void vtp_pool_destroy(vtp_pool **self_p);

/* The encoders these threads run, as jobs ask of them (vtp_encoders.h):
 * vtp_pipeline_check(), and two passes (vtp_twopass.h). */
const vtp_encoders *vtp_worker_encoders(void);

/* Online CPUs of this machine (at least 1). */
int vtp_cpu_count(void);

#endif
