/* unit_peer.h -- a worker, as the tests play it, on a dispatcher's socket:
 * it says READY, takes SEGMENT messages and answers them with RESULTs it
 * encodes itself. Failures are check assertions. */
#ifndef VTP_UNIT_PEER_H
#define VTP_UNIT_PEER_H

#include <stdint.h>

#include "vtp_segment.h"

/* A DEALER named id, connected to endpoint, that has said READY for
 * `threads` segments with heartbeats (as a worker node does). */
void *up_ready_peer(void *zctx, const char *endpoint, const char *id, int threads);

/* The index of the first SEGMENT peer has received, or -1 if none has come
 * (other messages before it, heartbeats, are read and dropped). The
 * segment goes to *keep when it is not NULL (initialised here; the caller
 * clears it). */
int64_t up_took_segment(void *peer, vtp_segment *keep);

/* Encodes seg (and clears it) as a worker does, and sends the RESULT. */
void up_answer(void *peer, vtp_segment *seg);

#endif
