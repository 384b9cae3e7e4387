/* vtp_sched.h -- hands segments to idle workers and takes their results.
 *
 * The dispatcher's side of the load-balancing pattern: one ROUTER socket;
 * each worker (DEALER) is known by its identity from its first READY on,
 * is either idle or busy with one segment, and becomes idle again when its
 * RESULT arrives. A segment is only ever sent to an idle worker, so a
 * worker holds at most one segment and no queue builds up anywhere but in
 * the dispatcher, which decides how far to read ahead.
 */
#ifndef VTP_SCHED_H
#define VTP_SCHED_H

#include "vtp_segment.h"

typedef struct vtp_sched vtp_sched;

/* Binds a ROUTER at endpoint in context zctx. NULL on failure. */
vtp_sched *vtp_sched_new(void *zctx, const char *endpoint);
void vtp_sched_destroy(vtp_sched **self_p);

int vtp_sched_idle(const vtp_sched *s);     /* workers waiting for work */
int vtp_sched_busy(const vtp_sched *s);     /* workers with a segment */

/* Sends seg to the worker that has waited longest. Needs an idle worker.
 * Decoded frames are moved out of seg (sent without a copy).
 * 0 or VTP_ERR_NOMEM / VTP_ERR_ZMQ. */
int vtp_sched_send(vtp_sched *s, vtp_segment *seg);

/* Waits up to timeout_ms for one message. A READY is absorbed (returns 0);
 * a RESULT is returned in *res (caller owns it: vtp_result_clear + free)
 * with 1; a malformed message is dropped (0). Negative on a socket error. */
int vtp_sched_recv(vtp_sched *s, int timeout_ms, vtp_result **res);

#endif
