/* zsock.c -- ZeroMQ send helpers (see vtp_zsock.h). */
#include "vtp_zsock.h"

#include <stdint.h>
#include <stdlib.h>

#include <zmq.h>

#include "vtp_error.h"

static void free_bytes(void *data, void *hint)
{
    VTP_TSAN_ACQUIRE(data);
    vtp_wbuf_recycle(data, (size_t)(uintptr_t)hint);
}

int vtp_zsock_recv(zmq_msg_t *msg, void *sock, int flags)
{
    int rc = zmq_msg_recv(msg, sock, flags);
    if (rc >= 0)
        VTP_TSAN_ACQUIRE(zmq_msg_data(msg));
    return rc;
}

int vtp_zsock_send_buf(void *sock, vtp_wbuf *b, int flags)
{
    zmq_msg_t msg;
    size_t len;

    if (b->failed) {
        vtp_wbuf_free(b);
        return VTP_ERR_NOMEM;
    }
    size_t cap = b->cap;
    uint8_t *data = vtp_wbuf_release(b, &len);
    VTP_TSAN_RELEASE(data);
    if (zmq_msg_init_data(&msg, data, len, free_bytes, (void *)(uintptr_t)cap) != 0) {
        vtp_wbuf_recycle(data, cap);
        return VTP_ERR_NOMEM;
    }
    if (zmq_msg_send(&msg, sock, flags) < 0) {
        zmq_msg_close(&msg);    /* frees data */
        return VTP_ERR_ZMQ;
    }
    return 0;
}

int vtp_zsock_send(void *sock, const void *data, size_t len, int flags)
{
    return zmq_send(sock, data, len, flags) < 0 ? VTP_ERR_ZMQ : 0;
}
