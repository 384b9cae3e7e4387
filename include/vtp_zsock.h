/* vtp_zsock.h -- small ZeroMQ helpers shared by dispatcher and workers. */
#ifndef VTP_ZSOCK_H
#define VTP_ZSOCK_H

#include <stddef.h>

#include <zmq.h>

#include "vtp_buf.h"

/* ZeroMQ hands messages between threads through lock-free queues that
 * ThreadSanitizer cannot see (libzmq is not instrumented), and vtpool sends
 * its buffers without copying them. In a ThreadSanitizer build these
 * annotations tell it what ZeroMQ guarantees: everything a thread wrote to a
 * buffer before sending it happens before what the receiver does with it.
 * Elsewhere they compile to nothing. */
#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define VTP_TSAN_RELEASE(p) __tsan_release((void *)(p))
#define VTP_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#else
#define VTP_TSAN_RELEASE(p) ((void)(p))
#define VTP_TSAN_ACQUIRE(p) ((void)(p))
#endif

/* zmq_msg_recv() plus the annotation above. */
int vtp_zsock_recv(zmq_msg_t *msg, void *sock, int flags);

/* Sends b's bytes as one message without copying them (ZeroMQ frees them
 * when sent); b is left empty either way. flags as for zmq_msg_send.
 * 0 or VTP_ERR_NOMEM / VTP_ERR_ZMQ. */
int vtp_zsock_send_buf(void *sock, vtp_wbuf *b, int flags);

/* Sends len bytes, copied. 0 or VTP_ERR_ZMQ. */
int vtp_zsock_send(void *sock, const void *data, size_t len, int flags);

#endif
