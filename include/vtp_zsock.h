/* vtp_zsock.h -- small ZeroMQ helpers shared by dispatcher and workers. */
#ifndef VTP_ZSOCK_H
#define VTP_ZSOCK_H

#include <stddef.h>

#include "vtp_buf.h"

/* Sends b's bytes as one message without copying them (ZeroMQ frees them
 * when sent); b is left empty either way. flags as for zmq_msg_send.
 * 0 or VTP_ERR_NOMEM / VTP_ERR_ZMQ. */
int vtp_zsock_send_buf(void *sock, vtp_wbuf *b, int flags);

/* Sends len bytes, copied. 0 or VTP_ERR_ZMQ. */
int vtp_zsock_send(void *sock, const void *data, size_t len, int flags);

#endif
