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
#include "unit_peer.h"
#include "vtp_buf.h"
#include "vtp_dispatcher.h"
#include "vtp_clock.h"
#include "vtp_pipeline.h"
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

/* A dispatcher on ENDPOINT with one job: 20 frames at 10 fps of w x h,
 * coded with `encoder`, cut every `segment` seconds, to ffv1. */
typedef struct rig {
    char *dir;
    void *zctx;
    ended e;
    vtp_dispatcher *d;
    vtp_enc_opts opts;
} rig;

/* lazy: the job is made by vtp_job_new, and its media thread opens it. */
static void rig_open_with(rig *r, const char *encoder, int w, int h, double segment,
                          int lease_ms, int lazy)
{
    char in[4096], out[4096], why[1024] = "";
    int err = 0;

    memset(r, 0, sizeof(*r));
    r->dir = um_mkdtemp();
    snprintf(in, sizeof(in), "%s/in.mkv", r->dir);
    snprintf(out, sizeof(out), "%s/out.mkv", r->dir);
    ck_assert_int_eq(um_write_video(in, encoder, w, h, 20, 10), 0);
    r->zctx = zmq_ctx_new();
    const char *eps[] = {ENDPOINT};
    /* Peers are never found silent here: only a failed send buries one. */
    r->d = vtp_dispatcher_new(&(vtp_dispatcher_cfg){.zctx = r->zctx, .endpoints = eps,
                                                   .nendpoints = 1, .liveness = 1000000,
                                                   .lease_ms = lease_ms,
                                                   .on_end = on_end, .opaque = &r->e});
    ck_assert_ptr_nonnull(r->d);
    vtp_enc_opts_init(&r->opts);
    r->opts.encoder = strdup("ffv1");
    vtp_job_cfg jc = {.id = 1, .input = in, .output = out, .opts = &r->opts,
                      .encoders = vtp_worker_encoders(), .audio = "none",
                      .segment_seconds = segment, .window = 4};
    vtp_job *job = lazy ? vtp_job_new(&jc) : vtp_job_open(&jc, &err, why, sizeof(why));
    ck_assert_msg(job != NULL, "%s", why);
    ck_assert_int_eq(vtp_dispatcher_add(r->d, job, 0), 0);
}

static void rig_open_lease(rig *r, const char *encoder, int w, int h, double segment,
                           int lease_ms)
{
    rig_open_with(r, encoder, w, h, segment, lease_ms, 0);
}

static void rig_open(rig *r, const char *encoder, int w, int h, double segment)
{
    rig_open_lease(r, encoder, w, h, segment, 0);
}

static void rig_close(rig *r)
{
    vtp_dispatcher_destroy(&r->d);
    zmq_ctx_term(r->zctx);
    vtp_enc_opts_clear(&r->opts);
    um_rmdir(r->dir);
}

static int64_t took_segment(void *peer)
{
    return up_took_segment(peer, NULL);
}

/* Steps the dispatcher until peer receives a SEGMENT, kept in *seg. */
static void next_segment_keep(rig *r, void *peer, vtp_segment *seg)
{
    for (;;) {
        ck_assert_int_eq(vtp_dispatcher_poll(r->d, NULL, 0, 10) >= 0, 1);
        ck_assert_int_eq(vtp_dispatcher_step(r->d), 0);
        ck_assert_msg(r->e.n == 0, "the job ended: %s", r->e.why);
        if (up_took_segment(peer, seg) >= 0)
            return;
    }
}


/* Steps the dispatcher until peer receives a SEGMENT; its index. */
static uint32_t next_segment(rig *r, void *peer)
{
    vtp_segment seg;
    next_segment_keep(r, peer, &seg);
    uint32_t index = seg.index;
    vtp_segment_clear(&seg);
    return index;
}

static void say_progress(void *peer, uint32_t index)
{
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_proto_write_progress(&b, &(vtp_progress_msg){.job_id = 1, .index = index});
    ck_assert_int_eq(zmq_send(peer, b.data, b.len, 0), (int)b.len);
    vtp_wbuf_free(&b);
}


/* Workers that announce themselves and vanish before their first segment
 * reaches them never had it: however many there are, the segment is not
 * charged an attempt (the job would fail at VTP_SEGMENT_ATTEMPTS), and
 * the next worker that is there gets it. */
START_TEST(test_dispatcher_unreachable_peer_costs_no_attempt)
{
    rig r;
    rig_open(&r, "ffv1", 32, 24, 0.5);
    void *router = vtp_dispatcher_socket(r.d);

    for (int k = 0; k < VTP_SEGMENT_ATTEMPTS + 1; k++) {
        char id[16];
        snprintf(id, sizeof(id), "ghost-%d", k);
        void *ghost = up_ready_peer(r.zctx, ENDPOINT, id, 1);
        wait_reachable(router, id, 1);
        zmq_close(ghost);
        wait_reachable(router, id, 0);
        /* Buried, holding nothing, once a segment is there to send to it
         * (the job reads on its own thread). */
        do {
            ck_assert_int_eq(vtp_dispatcher_poll(r.d, NULL, 0, 10) >= 0, 1);
            ck_assert_int_eq(vtp_dispatcher_step(r.d), 0);
            ck_assert_msg(r.e.n == 0, "the job ended: %s", r.e.why);
        } while (vtp_dispatcher_slots(r.d) > 0);
        ck_assert_int_eq(vtp_dispatcher_jobs(r.d), 1);
    }

    /* A worker that stays gets the first segment. */
    void *live = up_ready_peer(r.zctx, ENDPOINT, "live", 1);
    ck_assert_uint_eq(next_segment(&r, live), 0);
    ck_assert_int_eq(vtp_dispatcher_busy(r.d), 1);
    ck_assert_int_eq(r.e.n, 0);
    zmq_close(live);
    rig_close(&r);
}
END_TEST

/* A heartbeat peer gets its next large segment only once it says it has
 * the last one (a PROGRESS for it): heartbeats queue behind no more than
 * one segment of raw pictures. Here a peer with two slots, segments of
 * 2.3 MB (rawvideo 640x480, 5 frames). */
START_TEST(test_dispatcher_large_segments_wait_for_arrival)
{
    rig r;
    rig_open(&r, "rawvideo", 640, 480, 0.5);
    void *peer = up_ready_peer(r.zctx, ENDPOINT, "worker", 2);

    uint32_t first = next_segment(&r, peer);
    ck_assert_uint_eq(first, 0);
    /* However long it waits, the second slot gets nothing yet. */
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(vtp_dispatcher_poll(r.d, NULL, 0, 10) >= 0, 1);
        ck_assert_int_eq(vtp_dispatcher_step(r.d), 0);
        ck_assert_int_eq(took_segment(peer), -1);
    }
    ck_assert_int_eq(vtp_dispatcher_busy(r.d), 1);

    say_progress(peer, first);
    ck_assert_uint_eq(next_segment(&r, peer), 1);
    ck_assert_int_eq(vtp_dispatcher_busy(r.d), 2);
    zmq_close(peer);
    rig_close(&r);
}
END_TEST

/* A worker that keeps saying it is at work on a segment but never
 * finishes holds it only till its limit: VTP_LEASE_SLACK times what the
 * segment's frames take at the job's measured cost (here about 20 ms a
 * frame: the first segment's result came 100 ms after it was sent), and
 * never sooner than the lease time. Then the segment goes to another
 * worker, and the job goes on. Without a limit it would wait forever:
 * every PROGRESS renews the lease. */
START_TEST(test_dispatcher_lease_ends_at_its_measured_limit)
{
    enum { LEASE_MS = 400 };
    rig r;
    rig_open_lease(&r, "ffv1", 32, 24, 0.5, LEASE_MS);      /* 4 segments of 5 frames */
    void *slow = up_ready_peer(r.zctx, ENDPOINT, "slow", 1);
    vtp_segment seg;

    next_segment_keep(&r, slow, &seg);
    ck_assert_uint_eq(seg.index, 0);
    int64_t t0 = vtp_clock_ms();
    while (vtp_clock_ms() - t0 < 100)
        nap_ms(5);
    up_answer(slow, &seg);
    next_segment_keep(&r, slow, &seg);
    uint32_t held = seg.index;
    vtp_segment_clear(&seg);
    int64_t leased = vtp_clock_ms();

    /* Another worker answers whatever it gets at once, until it gets the
     * segment the first holds. */
    void *quick = up_ready_peer(r.zctx, ENDPOINT, "quick", 1);
    int64_t last_word = 0;
    for (;;) {
        ck_assert_msg(vtp_clock_ms() - leased < 20000,
                      "segment %u stayed with a worker that never finished it", held);
        if (vtp_clock_ms() - last_word >= 100) {
            say_progress(slow, held);
            last_word = vtp_clock_ms();
        }
        ck_assert_int_eq(vtp_dispatcher_poll(r.d, NULL, 0, 10) >= 0, 1);
        ck_assert_int_eq(vtp_dispatcher_step(r.d), 0);
        ck_assert_msg(r.e.n == 0, "the job ended: %s", r.e.why);
        if (up_took_segment(quick, &seg) < 0)
            continue;
        if (seg.index == held)
            break;
        up_answer(quick, &seg);
    }
    ck_assert_int_ge(vtp_clock_ms() - leased, LEASE_MS);
    up_answer(quick, &seg);
    /* The job ends well: every segment is in. */
    while (r.e.n == 0) {
        ck_assert_int_eq(vtp_dispatcher_poll(r.d, NULL, 0, 10) >= 0, 1);
        ck_assert_int_eq(vtp_dispatcher_step(r.d), 0);
        if (up_took_segment(quick, &seg) >= 0)
            up_answer(quick, &seg);
        if (vtp_clock_ms() - last_word >= 100) {
            say_progress(slow, held);
            last_word = vtp_clock_ms();
        }
    }
    ck_assert_msg(r.e.status == 0, "the job failed: %s", r.e.why);
    zmq_close(quick);
    zmq_close(slow);
    rig_close(&r);
}
END_TEST

/* A job made by vtp_job_new is opened by its own media thread: the
 * caller (the service's thread, which answers heartbeats and requests)
 * touches no file. Until then the job has no encoder, and one that cannot
 * open ends failed, saying why, as any failed job does; one that can is
 * encoded as if opened by vtp_job_open. */
START_TEST(test_dispatcher_job_opens_on_its_own_thread)
{
    char why[1024] = "";
    vtp_enc_opts opts;
    vtp_enc_opts_init(&opts);
    opts.encoder = strdup("ffv1");
    vtp_job *missing = vtp_job_new(&(vtp_job_cfg){.id = 7, .input = "/nowhere/in.mkv",
                                                  .output = "/nowhere/out.mkv", .opts = &opts,
                                                  .encoders = vtp_worker_encoders()});
    ck_assert_ptr_nonnull(missing);
    ck_assert_int_eq(vtp_job_opened(missing), 0);
    ck_assert_ptr_null(vtp_job_encoder(missing));
    vtp_job_destroy(&missing);      /* never started: nothing to stop */

    rig r;
    rig_open_with(&r, "ffv1", 32, 24, 0.5, 0, 1);
    void *peer = up_ready_peer(r.zctx, ENDPOINT, "w", 1);
    int segments = 0;
    while (r.e.n == 0) {
        ck_assert_int_eq(vtp_dispatcher_poll(r.d, NULL, 0, 10) >= 0, 1);
        ck_assert_int_eq(vtp_dispatcher_step(r.d), 0);
        vtp_segment seg;
        if (up_took_segment(peer, &seg) >= 0) {
            up_answer(peer, &seg);
            segments++;
        }
    }
    ck_assert_msg(r.e.status == 0, "the job failed: %s", r.e.why);
    ck_assert_int_eq(segments, 4);  /* 2 s in segments of 0.5 s */

    /* An input that is not there: the job fails from its media thread. */
    vtp_job *job = vtp_job_new(&(vtp_job_cfg){.id = 2, .input = "/nowhere/in.mkv",
                                              .output = "/nowhere/out.mkv", .opts = &opts,
                                              .encoders = vtp_worker_encoders()});
    ck_assert_ptr_nonnull(job);
    ck_assert_int_eq(vtp_dispatcher_add(r.d, job, 0), 0);
    while (r.e.n == 1) {
        ck_assert_int_eq(vtp_dispatcher_poll(r.d, NULL, 0, 10) >= 0, 1);
        ck_assert_int_eq(vtp_dispatcher_step(r.d), 0);
    }
    ck_assert_int_lt(r.e.status, 0);
    snprintf(why, sizeof(why), "%s", r.e.why);
    ck_assert_msg(strstr(why, "cannot open '/nowhere/in.mkv'"), "why: %s", why);
    ck_assert_int_eq(vtp_dispatcher_jobs(r.d), 0);
    zmq_close(peer);
    vtp_enc_opts_clear(&opts);
    rig_close(&r);
}
END_TEST

Suite *dispatcher_suite(void)
{
    Suite *s = suite_create("dispatcher");
    TCase *tc = tcase_create("peers");
    tcase_add_test(tc, test_dispatcher_unreachable_peer_costs_no_attempt);
    tcase_add_test(tc, test_dispatcher_large_segments_wait_for_arrival);
    tcase_add_test(tc, test_dispatcher_lease_ends_at_its_measured_limit);
    tcase_add_test(tc, test_dispatcher_job_opens_on_its_own_thread);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}
