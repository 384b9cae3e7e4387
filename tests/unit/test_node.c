/* test_node.c -- a worker node, against a dispatcher the test plays.
 *
 * The node is stepped on the test's thread (vtp_node_step) and keeps time
 * by a fake clock only the test moves, so heartbeats and liveness are
 * checked at their exact millisecond, whatever the machine's speed. Its
 * dispatcher is a ROUTER of the test; its threads are DEALERs of the test
 * on the node's threads endpoint (it starts none), so that a segment stays
 * with a thread exactly as long as the test wants. Messages sent over
 * inproc are there to take at once; real time is waited on only for
 * something that must come (a new connection's first message).
 */
#include <string.h>

#include <zmq.h>

#include "suites.h"
#include "vtp_buf.h"
#include "vtp_node.h"
#include "vtp_proto.h"

#define UP "inproc://test-node-up"
#define THREADS "inproc://test-node-threads"
#define EPOCH_MS 1000000        /* where the fake clock starts: anywhere will do */
#define HEARTBEAT_MS 1000
#define LIVENESS 3
#define SILENCE_MS (LIVENESS * HEARTBEAT_MS)
#define COME_MS 5000            /* real time something that must come may take */

typedef struct rig {
    void *zctx;
    void *dispatcher;           /* ROUTER */
    vtp_node *node;
    int64_t now;                /* ms: the node's clock, moved by the test only */
} rig;

/* A ZeroMQ identity: the node's on the dispatcher's socket. */
typedef struct ident {
    uint8_t id[256];
    size_t len;
} ident;

static int64_t rig_clock(void *opaque)
{
    return ((rig *)opaque)->now;
}

/* A node of `threads` slots connected to the test's dispatcher. */
static void rig_open(rig *r, int threads)
{
    int linger = 0;
    memset(r, 0, sizeof(*r));
    r->now = EPOCH_MS;
    r->zctx = zmq_ctx_new();
    r->dispatcher = zmq_socket(r->zctx, ZMQ_ROUTER);
    ck_assert_ptr_nonnull(r->dispatcher);
    ck_assert_int_eq(zmq_setsockopt(r->dispatcher, ZMQ_LINGER, &linger, sizeof(linger)), 0);
    ck_assert_int_eq(zmq_bind(r->dispatcher, UP), 0);
    vtp_node_cfg cfg = {.connect = UP, .threads = threads, .heartbeat_ms = HEARTBEAT_MS,
                        .liveness = LIVENESS, .clock_ms = rig_clock, .clock_opaque = r,
                        .threads_endpoint = THREADS};
    ck_assert_int_eq(vtp_node_new(r->zctx, &cfg, &r->node), 0);
}

static void rig_close(rig *r)
{
    vtp_node_destroy(&r->node);
    zmq_close(r->dispatcher);
    zmq_ctx_term(r->zctx);
}

/* Sets the fake clock to t and steps the node once, without waiting. */
static void step_at(rig *r, int64_t t)
{
    r->now = t;
    ck_assert_int_eq(vtp_node_step(r->node, 0), 0);
}

/* The type of the next message the node has sent up, with its sender in
 * *from and the segment it is about in *index (RESULT, PROGRESS) where
 * not NULL; -1 if none has come in wait_ms of real time. */
static int from_node(rig *r, long wait_ms, ident *from, uint32_t *index)
{
    zmq_pollitem_t item = {r->dispatcher, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, wait_ms) <= 0)
        return -1;
    zmq_msg_t id, body;
    int type;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    ck_assert_int_ge(zmq_msg_recv(&id, r->dispatcher, 0), 0);
    ck_assert_int_ge(zmq_msg_recv(&body, r->dispatcher, 0), 0);
    ck_assert_int_eq(vtp_proto_type(zmq_msg_data(&body), zmq_msg_size(&body), &type), 0);
    if (from) {
        from->len = zmq_msg_size(&id);
        memcpy(from->id, zmq_msg_data(&id), from->len);
    }
    if (index && type == VTP_MSG_RESULT) {
        vtp_result res;
        ck_assert_int_eq(vtp_result_init(&res), 0);
        ck_assert_int_eq(vtp_proto_read_result(zmq_msg_data(&body), zmq_msg_size(&body), &res), 0);
        *index = res.index;
        vtp_result_clear(&res);
    } else if (index && type == VTP_MSG_PROGRESS) {
        vtp_progress_msg m;
        ck_assert_int_eq(vtp_proto_read_progress(zmq_msg_data(&body), zmq_msg_size(&body), &m), 0);
        *index = m.index;
    }
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    return type;
}

static int same(const ident *a, const ident *b)
{
    return a->len == b->len && memcmp(a->id, b->id, a->len) == 0;
}

/* The dispatcher sends the node a message of type t (a SEGMENT of job 1,
 * index `index`, when t is VTP_MSG_SEGMENT). */
static void to_node(rig *r, const ident *to, int t, uint32_t index)
{
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    if (t == VTP_MSG_SEGMENT) {
        vtp_segment seg;
        ck_assert_int_eq(vtp_segment_init(&seg), 0);
        seg.job_id = 1;
        seg.index = index;
        vtp_proto_write_segment(&b, &seg);
        vtp_segment_clear(&seg);
    } else {
        vtp_proto_header(&b, t);
    }
    ck_assert_int_eq(zmq_send(r->dispatcher, to->id, to->len, ZMQ_SNDMORE), (int)to->len);
    ck_assert_int_eq(zmq_send(r->dispatcher, b.data, b.len, 0), (int)b.len);
    vtp_wbuf_free(&b);
}

/* Reads what the node has sent up: nothing but heartbeats, from `from`.
 * Returns how many. */
static int heartbeats_from(rig *r, const ident *from)
{
    int n = 0, type;
    ident sender;
    while ((type = from_node(r, 0, &sender, NULL)) >= 0) {
        ck_assert_int_eq(type, VTP_MSG_HEARTBEAT);
        ck_assert(same(&sender, from));
        n++;
    }
    return n;
}

/* The type of the next message but heartbeats the node has sent up, as
 * from_node() without waiting. */
static int word_from(rig *r, ident *from, uint32_t *index)
{
    int type;
    while ((type = from_node(r, 0, from, index)) == VTP_MSG_HEARTBEAT)
        ;
    return type;
}

/* The node's first word, READY, from a connection the dispatcher has not
 * seen before (not `old`, when not NULL); its identity in *id. */
static void ready_from_new(rig *r, const ident *old, ident *id)
{
    ck_assert_int_eq(from_node(r, COME_MS, id, NULL), VTP_MSG_READY);
    if (old)
        ck_assert(!same(id, old));
}

/* The node sends a HEARTBEAT every heartbeat_ms of its clock, exactly: none
 * 1 ms before it is due, one when it is. While the dispatcher speaks, the
 * node stays on the same connection. */
START_TEST(test_node_heartbeats)
{
    rig r;
    rig_open(&r, 1);
    ident up, from;
    ready_from_new(&r, NULL, &up);
    for (int k = 1; k <= 20; k++) {
        int64_t due = EPOCH_MS + (int64_t)k * HEARTBEAT_MS;
        to_node(&r, &up, VTP_MSG_HEARTBEAT, 0);
        step_at(&r, due - 1);
        ck_assert_int_eq(from_node(&r, 0, NULL, NULL), -1);
        step_at(&r, due);
        ck_assert_int_eq(from_node(&r, 0, &from, NULL), VTP_MSG_HEARTBEAT);
        ck_assert(same(&from, &up));
        ck_assert_int_eq(from_node(&r, 0, NULL, NULL), -1);
    }
    rig_close(&r);
}
END_TEST

/* The node has last heard the dispatcher at `heard`, on connection *up,
 * and waits `backoff` ms to reconnect: at exactly liveness x heartbeat ms
 * of silence it is still there; 1 ms later it gives the dispatcher up,
 * says nothing for the backoff, and then says READY on a new connection
 * (its identity in *up). Returns when that was. */
static int64_t silence(rig *r, int64_t heard, int backoff, ident *up)
{
    ident old = *up;
    step_at(r, heard + SILENCE_MS);
    heartbeats_from(r, &old);
    step_at(r, heard + SILENCE_MS + 1);
    ck_assert_int_eq(from_node(r, 0, NULL, NULL), -1);
    step_at(r, heard + SILENCE_MS + 1 + backoff - 1);
    ck_assert_int_eq(from_node(r, 0, NULL, NULL), -1);
    step_at(r, heard + SILENCE_MS + 1 + backoff);
    ready_from_new(r, &old, up);
    ck_assert_int_eq(from_node(r, 0, NULL, NULL), -1);
    return r->now;
}

/* A node that hears nothing from the dispatcher for more than liveness
 * intervals reconnects after a backoff that doubles each time (1 s, 2 s,
 * 4 s), and goes back to the shortest once the dispatcher speaks. */
START_TEST(test_node_reconnects_when_silent)
{
    rig r;
    rig_open(&r, 1);
    ident up;
    ready_from_new(&r, NULL, &up);
    int64_t heard = EPOCH_MS;           /* it starts as if it had heard */
    for (int backoff = VTP_RECONNECT_MIN_MS; backoff <= 4 * VTP_RECONNECT_MIN_MS; backoff *= 2)
        heard = silence(&r, heard, backoff, &up);
    to_node(&r, &up, VTP_MSG_HEARTBEAT, 0);
    step_at(&r, heard + HEARTBEAT_MS);
    silence(&r, heard + HEARTBEAT_MS, VTP_RECONNECT_MIN_MS, &up);
    rig_close(&r);
}
END_TEST

/* The index of the SEGMENT a thread (the test's DEALER) has been handed,
 * or -1 if none has come. */
static int64_t thread_got(void *thread)
{
    zmq_msg_t m;
    uint64_t job;
    uint32_t index;
    int64_t got = -1;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, thread, ZMQ_DONTWAIT) >= 0) {
        ck_assert_int_eq(vtp_proto_segment_id(zmq_msg_data(&m), zmq_msg_size(&m), &job, &index), 0);
        ck_assert(!zmq_msg_more(&m));
        got = index;
    }
    zmq_msg_close(&m);
    return got;
}

/* The thread sends a message of type t (a good RESULT of job 1's segment
 * `index`, when t is VTP_MSG_RESULT). */
static void thread_says(void *thread, int t, uint32_t index)
{
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    if (t == VTP_MSG_READY) {
        vtp_proto_write_ready(&b, &(vtp_ready){.threads = 1});
    } else {
        vtp_result res;
        ck_assert_int_eq(vtp_result_init(&res), 0);
        res.job_id = 1;
        res.index = index;
        vtp_proto_write_result(&b, &res);
        vtp_result_clear(&res);
    }
    ck_assert_int_eq(zmq_send(thread, b.data, b.len, 0), (int)b.len);
    vtp_wbuf_free(&b);
}

/* A node that gives the dispatcher up drops the segments no thread has
 * started: the dispatcher has given them to others already. One thread,
 * busy with segment 0; segment 1 waits for it. After the reconnect, the
 * result of segment 0 goes up under the new identity (the dispatcher drops
 * it: that lease is gone), and the thread, free again, is never handed
 * segment 1: the next segment it gets is the next one sent. */
START_TEST(test_node_drops_waiting_segments_on_reconnect)
{
    rig r;
    rig_open(&r, 1);
    ident up, from;
    uint32_t index;
    ready_from_new(&r, NULL, &up);
    void *thread = zmq_socket(r.zctx, ZMQ_DEALER);
    ck_assert_ptr_nonnull(thread);
    ck_assert_int_eq(zmq_connect(thread, THREADS), 0);
    thread_says(thread, VTP_MSG_READY, 0);

    to_node(&r, &up, VTP_MSG_SEGMENT, 0);
    int64_t got;
    while ((got = thread_got(thread)) < 0)
        ck_assert_int_eq(vtp_node_step(r.node, 10), 0);     /* till the thread is known */
    ck_assert_int_eq(got, 0);
    ck_assert_int_eq(from_node(&r, 0, NULL, &index), VTP_MSG_PROGRESS);   /* arrived */
    ck_assert_uint_eq(index, 0);
    to_node(&r, &up, VTP_MSG_SEGMENT, 1);
    step_at(&r, r.now);
    ck_assert_int_eq(from_node(&r, 0, NULL, &index), VTP_MSG_PROGRESS);
    ck_assert_uint_eq(index, 1);
    ck_assert_int_eq(thread_got(thread), -1);               /* it waits */

    silence(&r, r.now, VTP_RECONNECT_MIN_MS, &up);
    thread_says(thread, VTP_MSG_RESULT, 0);
    step_at(&r, r.now);
    ck_assert_int_eq(word_from(&r, &from, &index), VTP_MSG_RESULT);
    ck_assert(same(&from, &up));
    ck_assert_uint_eq(index, 0);
    ck_assert_int_eq(thread_got(thread), -1);

    to_node(&r, &up, VTP_MSG_SEGMENT, 2);
    step_at(&r, r.now);
    ck_assert_int_eq(thread_got(thread), 2);
    thread_says(thread, VTP_MSG_RESULT, 2);
    step_at(&r, r.now);
    ck_assert_int_eq(word_from(&r, NULL, &index), VTP_MSG_PROGRESS);
    ck_assert_uint_eq(index, 2);
    ck_assert_int_eq(word_from(&r, NULL, &index), VTP_MSG_RESULT);
    ck_assert_uint_eq(index, 2);
    ck_assert_int_eq(word_from(&r, NULL, NULL), -1);
    zmq_close(thread);
    rig_close(&r);
}
END_TEST

Suite *node_suite(void)
{
    Suite *s = suite_create("node");
    TCase *tc = tcase_create("liveness");
    tcase_add_test(tc, test_node_heartbeats);
    tcase_add_test(tc, test_node_reconnects_when_silent);
    tcase_add_test(tc, test_node_drops_waiting_segments_on_reconnect);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}
