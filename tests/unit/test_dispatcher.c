/* test_dispatcher.c -- peers that come and go, as the dispatcher sees them.
 *
 * The peers here are DEALER sockets of the test itself on an inproc
 * endpoint of the dispatcher's context, speaking the protocol by hand.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "suites.h"
#include "unit_media.h"
#include "vtp_buf.h"
#include "vtp_dispatcher.h"
#include "vtp_pool.h"
#include "vtp_proto.h"

#define ENDPOINT "inproc://test-dispatcher"

typedef struct ended {
    int n;
    int status;
    char why[1024];
} ended;

static void on_end(void *opaque, vtp_job *job, int status, const char *why)
{
    ended *e = opaque;
    (void)job;
    e->n++;
    e->status = status;
    snprintf(e->why, sizeof(e->why), "%s", why);
}

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* A peer named id says READY for one segment (with heartbeats, as a
 * worker node does) and returns its socket. */
static void *ready_peer(void *zctx, const char *id)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id)), 0);
    ck_assert_int_eq(zmq_connect(s, ENDPOINT), 0);
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_proto_write_ready(&b, &(vtp_ready){.threads = 1, .heartbeat = 1});
    ck_assert_int_eq(zmq_send(s, b.data, b.len, 0), (int)b.len);
    vtp_wbuf_free(&b);
    return s;
}

/* Whether the dispatcher's socket can send to id (a probe goes out: an
 * empty message, which the test's peers never read). The socket takes in
 * a peer's connection, and its close, on its own when next used; probing
 * until each has happened makes the order of events certain. */
static int reachable(void *router, const char *id)
{
    if (zmq_send(router, id, strlen(id), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        ck_assert_int_eq(zmq_errno(), EHOSTUNREACH);
        return 0;
    }
    ck_assert_int_eq(zmq_send(router, "", 0, ZMQ_DONTWAIT), 0);
    return 1;
}

static void wait_reachable(void *router, const char *id, int want)
{
    while (reachable(router, id) != want)
        nap_ms(1);
}

/* Workers that announce themselves and vanish before their first segment
 * reaches them never had it: however many there are, the segment is not
 * charged an attempt (the job would fail at VTP_SEGMENT_ATTEMPTS), and
 * the next worker that is there gets it. */
START_TEST(test_dispatcher_unreachable_peer_costs_no_attempt)
{
    char *dir = um_mkdtemp();
    char in[4096], out[4096];
    snprintf(in, sizeof(in), "%s/in.mkv", dir);
    snprintf(out, sizeof(out), "%s/out.mkv", dir);
    ck_assert_int_eq(um_write_video(in, 32, 24, 20, 10), 0);

    void *zctx = zmq_ctx_new();
    ended e = {0};
    const char *eps[] = {ENDPOINT};
    vtp_dispatcher *d = vtp_dispatcher_new(&(vtp_dispatcher_cfg){
        .zctx = zctx, .endpoints = eps, .nendpoints = 1, .on_end = on_end, .opaque = &e});
    ck_assert_ptr_nonnull(d);

    vtp_enc_opts opts;
    vtp_enc_opts_init(&opts);
    opts.encoder = strdup("ffv1");
    char why[1024] = "";
    int err = 0;
    vtp_job *job = vtp_job_open(&(vtp_job_cfg){.id = 1, .input = in, .output = out,
                                               .opts = &opts, .encoders = vtp_worker_encoders(),
                                               .audio = "none", .segment_seconds = 0.5,
                                               .window = 4},
                                &err, why, sizeof(why));
    ck_assert_msg(job != NULL, "%s", why);
    ck_assert_int_eq(vtp_dispatcher_add(d, job, 0), 0);
    void *router = vtp_dispatcher_socket(d);

    for (int k = 0; k < VTP_SEGMENT_ATTEMPTS + 1; k++) {
        char id[16];
        snprintf(id, sizeof(id), "ghost-%d", k);
        void *ghost = ready_peer(zctx, id);
        wait_reachable(router, id, 1);
        zmq_close(ghost);
        wait_reachable(router, id, 0);
        ck_assert_int_eq(vtp_dispatcher_step(d), 0);
        ck_assert_int_eq(vtp_dispatcher_slots(d), 0);     /* buried, holding nothing */
        ck_assert_msg(e.n == 0, "the job ended: %s", e.why);
        ck_assert_int_eq(vtp_dispatcher_jobs(d), 1);
    }

    /* A worker that stays gets the first segment. */
    void *live = ready_peer(zctx, "live");
    int got = 0;
    while (!got) {
        ck_assert_int_eq(vtp_dispatcher_step(d), 0);
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, live, ZMQ_DONTWAIT) >= 0) {
            int type = 0;
            ck_assert_int_eq(vtp_proto_type(zmq_msg_data(&m), zmq_msg_size(&m), &type), 0);
            if (type == VTP_MSG_SEGMENT) {
                zmq_msg_t frames;       /* a FRAMES segment's second part */
                zmq_msg_init(&frames);
                if (zmq_msg_more(&m))
                    ck_assert_int_ge(zmq_msg_recv(&frames, live, 0), 0);
                vtp_segment seg;
                ck_assert_int_eq(vtp_segment_init(&seg), 0);
                ck_assert_int_eq(vtp_proto_read_segment_ref(
                                     zmq_msg_data(&m), zmq_msg_size(&m), NULL,
                                     zmq_msg_data(&frames), zmq_msg_size(&frames), NULL, &seg),
                                 0);
                ck_assert_uint_eq(seg.index, 0);
                vtp_segment_clear(&seg);
                zmq_msg_close(&frames);
                got = 1;
            }
        } else {
            nap_ms(1);
        }
        zmq_msg_close(&m);
    }
    ck_assert_int_eq(vtp_dispatcher_busy(d), 1);
    ck_assert_int_eq(e.n, 0);

    zmq_close(live);
    vtp_dispatcher_destroy(&d);
    zmq_ctx_term(zctx);
    vtp_enc_opts_clear(&opts);
    um_rmdir(dir);
}
END_TEST

Suite *dispatcher_suite(void)
{
    Suite *s = suite_create("dispatcher");
    TCase *tc = tcase_create("peers");
    tcase_add_test(tc, test_dispatcher_unreachable_peer_costs_no_attempt);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}
