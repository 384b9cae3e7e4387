/* unit_peer.c -- a worker, as the tests play it (see unit_peer.h). */
#include "unit_peer.h"

#include <check.h>
#include <string.h>
#include <zmq.h>

#include "vtp_buf.h"
#include "vtp_pipeline.h"
#include "vtp_proto.h"

void *up_ready_peer(void *zctx, const char *endpoint, const char *id, int threads)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id)), 0);
    ck_assert_int_eq(zmq_connect(s, endpoint), 0);
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_proto_write_ready(&b, &(vtp_ready){.threads = (uint32_t)threads, .heartbeat = 1});
    ck_assert_int_eq(zmq_send(s, b.data, b.len, 0), (int)b.len);
    vtp_wbuf_free(&b);
    return s;
}

int64_t up_took_segment(void *peer, vtp_segment *keep)
{
    zmq_msg_t m, frames;        /* a FRAMES segment has a second part */
    int64_t index = -1;
    int type = 0;
    zmq_msg_init(&m);
    zmq_msg_init(&frames);
    while (type != VTP_MSG_SEGMENT && zmq_msg_recv(&m, peer, ZMQ_DONTWAIT) >= 0) {
        ck_assert_int_eq(vtp_proto_type(zmq_msg_data(&m), zmq_msg_size(&m), &type), 0);
        if (zmq_msg_more(&m))
            ck_assert_int_ge(zmq_msg_recv(&frames, peer, 0), 0);
    }
    if (type == VTP_MSG_SEGMENT) {
        vtp_segment seg;
        ck_assert_int_eq(vtp_segment_init(&seg), 0);
        ck_assert_int_eq(vtp_proto_read_segment_ref(zmq_msg_data(&m), zmq_msg_size(&m), NULL,
                                                    zmq_msg_data(&frames), zmq_msg_size(&frames),
                                                    NULL, &seg),
                         0);
        index = seg.index;
        if (keep)
            *keep = seg;
        else
            vtp_segment_clear(&seg);
    }
    zmq_msg_close(&frames);
    zmq_msg_close(&m);
    return index;
}

void up_answer(void *peer, vtp_segment *seg)
{
    vtp_result res;
    ck_assert_int_eq(vtp_result_init(&res), 0);
    ck_assert_int_eq(vtp_pipeline_run(seg, &res, NULL), 0);
    vtp_segment_clear(seg);
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_proto_write_result(&b, &res);
    vtp_result_clear(&res);
    ck_assert_int_eq(zmq_send(peer, b.data, b.len, 0), (int)b.len);
    vtp_wbuf_free(&b);
}
