/* test_dispatcher.c -- peers that come and go, as the dispatcher sees them.
 *
 * The peers here are DEALER sockets of the test itself on an inproc
 * endpoint of the dispatcher's context, speaking the protocol by hand.
 *
 * The dispatcher keeps time by a fake clock that only the test moves, so
 * every deadline is checked at its exact millisecond, whatever the
 * machine's speed: a step at a given time does all that is due then
 * (messages sent over inproc are there to take at once). Real time is
 * only waited on for the job's media thread to read its input.
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

#define EPOCH_MS 1000000     /* where the fake clock starts: anywhere will do */

/* A dispatcher on ENDPOINT, on a fake clock, with one job: 20 frames at
 * 10 fps of w x h, coded with `encoder`, cut every `segment` seconds, to
 * ffv1. */
typedef struct rig {
    char *dir;
    void *zctx;
    ended e;
    vtp_dispatcher *d;
    vtp_enc_opts opts;
    int64_t now;                /* ms: the dispatcher's clock, moved by the test only */
} rig;

/* What a rig is given beyond its input; 0 takes the default. */
typedef struct rig_cfg {
    int lease_ms;
    int heartbeat_ms;
    int liveness;               /* 0: peers are never found silent (only a failed
                                   send buries one) */
    int window;                 /* 0: 4 segments */
    int lazy;                   /* the job is made by vtp_job_new, and its media
                                   thread opens it */
} rig_cfg;

static int64_t rig_clock(void *opaque)
{
    return ((rig *)opaque)->now;
}

static void rig_open_with(rig *r, const char *encoder, int w, int h, double segment,
                          const rig_cfg *c)
{
    char in[4096], out[4096], why[1024] = "";
    int err = 0;

    memset(r, 0, sizeof(*r));
    r->now = EPOCH_MS;
    r->dir = um_mkdtemp();
    snprintf(in, sizeof(in), "%s/in.mkv", r->dir);
    snprintf(out, sizeof(out), "%s/out.mkv", r->dir);
    ck_assert_int_eq(um_write_video(in, encoder, w, h, 20, 10), 0);
    r->zctx = zmq_ctx_new();
    const char *eps[] = {ENDPOINT};
    r->d = vtp_dispatcher_new(&(vtp_dispatcher_cfg){
        .zctx = r->zctx, .endpoints = eps, .nendpoints = 1, .heartbeat_ms = c->heartbeat_ms,
        .liveness = c->liveness ? c->liveness : 1000000, .lease_ms = c->lease_ms,
        .on_end = on_end, .opaque = &r->e, .clock_ms = rig_clock, .clock_opaque = r});
    ck_assert_ptr_nonnull(r->d);
    vtp_enc_opts_init(&r->opts);
    r->opts.encoder = strdup("ffv1");
    vtp_job_cfg jc = {.id = 1, .input = in, .output = out, .opts = &r->opts,
                      .encoders = vtp_worker_encoders(), .audio = "none",
                      .segment_seconds = segment, .window = c->window ? c->window : 4};
    vtp_job *job = c->lazy ? vtp_job_new(&jc) : vtp_job_open(&jc, &err, why, sizeof(why));
    ck_assert_msg(job != NULL, "%s", why);
    ck_assert_int_eq(vtp_dispatcher_add(r->d, job, 0), 0);
}

static void rig_open(rig *r, const char *encoder, int w, int h, double segment)
{
    rig_open_with(r, encoder, w, h, segment, &(rig_cfg){0});
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

/* Sets the fake clock to t and does all that is due then, without waiting. */
static void step_at(rig *r, int64_t t)
{
    r->now = t;
    ck_assert_int_eq(vtp_dispatcher_step(r->d), 0);
}

/* Steps the dispatcher (at the same fake time) until the job has ended. */
static void run_to_end(rig *r)
{
    while (r->e.n == 0) {
        ck_assert_int_eq(vtp_dispatcher_poll(r->d, NULL, 0, 10) >= 0, 1);
        ck_assert_int_eq(vtp_dispatcher_step(r->d), 0);
    }
}

/* Answers every HEARTBEAT that has come to peer with one, as a node does;
 * nothing else may have come (it holds all it can). */
static void beat_back(void *peer)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, peer, ZMQ_DONTWAIT) >= 0) {
        int type = 0;
        ck_assert_int_eq(vtp_proto_type(zmq_msg_data(&m), zmq_msg_size(&m), &type), 0);
        ck_assert_int_eq(type, VTP_MSG_HEARTBEAT);
        vtp_wbuf b;
        vtp_wbuf_init(&b);
        vtp_proto_header(&b, VTP_MSG_HEARTBEAT);
        ck_assert_int_eq(zmq_send(peer, b.data, b.len, 0), (int)b.len);
        vtp_wbuf_free(&b);
    }
    zmq_msg_close(&m);
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
        char id[24];
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

/* A heartbeat peer is dead once silent for more than liveness intervals:
 * at exactly liveness x heartbeat ms after it was last heard it still
 * holds its segment, 1 ms later it is buried and the segment goes to the
 * next worker free. A peer that answers every heartbeat is never buried,
 * however much time passes. */
START_TEST(test_dispatcher_silent_peer_buried_after_liveness)
{
    enum { HEARTBEAT_MS = 1000, LIVENESS = 3, SILENCE_MS = LIVENESS * HEARTBEAT_MS };
    rig r;
    rig_open_with(&r, "ffv1", 32, 24, 0.5,
                  &(rig_cfg){.heartbeat_ms = HEARTBEAT_MS, .liveness = LIVENESS});
    void *silent = up_ready_peer(r.zctx, ENDPOINT, "silent", 1);
    ck_assert_uint_eq(next_segment(&r, silent), 0);
    int64_t heard = r.now;              /* its READY: the last word it says */
    void *keeper = up_ready_peer(r.zctx, ENDPOINT, "keeper", 1);
    ck_assert_uint_eq(next_segment(&r, keeper), 1);

    for (int64_t t = heard; t < heard + SILENCE_MS; t += HEARTBEAT_MS / 4) {
        step_at(&r, t);
        beat_back(keeper);
        step_at(&r, t);
    }
    step_at(&r, heard + SILENCE_MS);
    ck_assert_int_eq(vtp_dispatcher_slots(r.d), 2);
    step_at(&r, heard + SILENCE_MS + 1);
    ck_assert_int_eq(vtp_dispatcher_slots(r.d), 1);
    ck_assert_int_eq(vtp_dispatcher_busy(r.d), 1);
    /* What the service's metrics and workers list read: the silent one's
     * segment is counted as re-sent, and only the keeper is left, busy,
     * with no address (inproc). */
    vtp_dispatcher_stats stats;
    vtp_dispatcher_get_stats(r.d, &stats);
    ck_assert_int_eq(stats.resent, 1);
    ck_assert_int_gt(stats.bytes_sent, 0);
    ck_assert_int_gt(stats.bytes_received, 0);
    vtp_peer_info peers[4];
    ck_assert_int_eq(vtp_dispatcher_peers(r.d, peers, 4), 1);
    ck_assert_int_eq(peers[0].slots, 1);
    ck_assert_int_eq(peers[0].busy, 1);
    ck_assert_int_eq(peers[0].heartbeat, 1);
    ck_assert_str_eq(peers[0].address, "");
    ck_assert(peers[0].seen_ago_ms >= 0 && peers[0].seen_ago_ms < SILENCE_MS);
    ck_assert_int_eq(vtp_dispatcher_peers(r.d, NULL, 0), 1);

    void *heir = up_ready_peer(r.zctx, ENDPOINT, "heir", 1);
    ck_assert_uint_eq(next_segment(&r, heir), 0);
    for (int64_t t = r.now; t < heard + 100 * SILENCE_MS; t += HEARTBEAT_MS / 4) {
        step_at(&r, t);
        beat_back(keeper);
        beat_back(heir);
        step_at(&r, t);
        ck_assert_int_eq(vtp_dispatcher_slots(r.d), 2);
    }
    ck_assert_int_eq(r.e.n, 0);
    zmq_close(heir);
    zmq_close(keeper);
    zmq_close(silent);
    rig_close(&r);
}
END_TEST

/* A segment its worker says nothing about is sent again exactly when its
 * lease runs out, lease_ms after it was sent (not 1 ms before); a PROGRESS
 * renews the lease from then. A late result from the worker that lost it
 * is dropped, and frees its slot. (No result has come before the leases
 * here: once one has, a lease also has a measured limit, below.) */
START_TEST(test_dispatcher_lease_deadline)
{
    enum { LEASE_MS = 5000, SAID_MS = 3000 };
    rig r;
    rig_open_with(&r, "ffv1", 32, 24, 0.5, &(rig_cfg){.lease_ms = LEASE_MS});   /* 4 segments */
    void *holder = up_ready_peer(r.zctx, ENDPOINT, "holder", 1);
    vtp_segment held, seg[4];
    next_segment_keep(&r, holder, &held);
    ck_assert_uint_eq(held.index, 0);
    int64_t sent = r.now;
    /* Another worker takes the rest, says it is at work on them, and has
     * a slot to spare. */
    void *other = up_ready_peer(r.zctx, ENDPOINT, "other", 4);
    for (int k = 1; k < 4; k++) {
        next_segment_keep(&r, other, &seg[k]);
        ck_assert_uint_eq(seg[k].index, k);
    }
    step_at(&r, sent + SAID_MS);
    for (int k = 1; k < 4; k++)
        say_progress(other, k);
    step_at(&r, sent + SAID_MS);

    step_at(&r, sent + LEASE_MS - 1);
    ck_assert_int_eq(took_segment(other), -1);
    step_at(&r, sent + LEASE_MS);
    ck_assert_int_eq(up_took_segment(other, &seg[0]), 0);
    int64_t resent = r.now;

    up_answer(holder, &held);
    for (int k = 1; k < 4; k++)
        up_answer(other, &seg[k]);
    step_at(&r, resent);
    ck_assert_int_eq(vtp_dispatcher_busy(r.d), 1);
    step_at(&r, resent + SAID_MS);
    say_progress(other, 0);
    step_at(&r, resent + SAID_MS);
    step_at(&r, resent + LEASE_MS);
    ck_assert_int_eq(took_segment(holder), -1);
    step_at(&r, resent + SAID_MS + LEASE_MS - 1);
    ck_assert_int_eq(took_segment(holder), -1);
    step_at(&r, resent + SAID_MS + LEASE_MS);
    ck_assert_int_eq(up_took_segment(holder, &held), 0);
    up_answer(holder, &held);
    run_to_end(&r);
    ck_assert_msg(r.e.status == 0, "the job failed: %s", r.e.why);
    vtp_segment_clear(&seg[0]);
    zmq_close(other);
    zmq_close(holder);
    rig_close(&r);
}
END_TEST

/* A segment whose leases keep running out is sent again until it has
 * failed VTP_SEGMENT_ATTEMPTS times, and then the job fails, saying so:
 * not one attempt more, not one less. */
START_TEST(test_dispatcher_retries_are_exact)
{
    enum { LEASE_MS = 5000 };
    rig r;
    rig_open_with(&r, "ffv1", 32, 24, 0.5, &(rig_cfg){.lease_ms = LEASE_MS});
    void *peers[VTP_SEGMENT_ATTEMPTS];
    for (int k = 0; k < VTP_SEGMENT_ATTEMPTS; k++) {
        char id[24];
        snprintf(id, sizeof(id), "worker-%d", k);
        peers[k] = up_ready_peer(r.zctx, ENDPOINT, id, 1);
        ck_assert_uint_eq(next_segment(&r, peers[k]), 0);
        int64_t sent = r.now;
        step_at(&r, sent + LEASE_MS - 1);
        ck_assert_int_eq(r.e.n, 0);
        step_at(&r, sent + LEASE_MS);
        ck_assert_int_eq(r.e.n, k == VTP_SEGMENT_ATTEMPTS - 1);
    }
    char want[1024];
    snprintf(want, sizeof(want),
             "segment 0 of '%s/in.mkv' failed %d times: its worker said nothing about it for %d s",
             r.dir, VTP_SEGMENT_ATTEMPTS, LEASE_MS / 1000);
    ck_assert_int_lt(r.e.status, 0);
    ck_assert_str_eq(r.e.why, want);
    ck_assert_int_eq(vtp_dispatcher_jobs(r.d), 0);
    for (int k = 0; k < VTP_SEGMENT_ATTEMPTS; k++)
        zmq_close(peers[k]);
    rig_close(&r);
}
END_TEST

/* A worker that keeps saying it is at work on a segment but never
 * finishes holds it only till its limit: VTP_LEASE_SLACK times what the
 * segment's frames take at the job's measured cost (the first segment's 5
 * frames came back `took` ms after they were sent), and never sooner than
 * the lease time. At that very millisecond the segment goes to another
 * worker, and the job goes on. Without a limit it would wait forever:
 * every PROGRESS renews the lease. */
START_TEST(test_dispatcher_lease_ends_at_its_measured_limit)
{
    enum { LEASE_MS = 400, SAY_MS = 300 };
    static const struct {
        int took, limit;
    } cases[] = {{100, 8 * 100}, {10, LEASE_MS}};

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        rig r;
        rig_open_with(&r, "ffv1", 32, 24, 0.5, &(rig_cfg){.lease_ms = LEASE_MS});
        void *slow = up_ready_peer(r.zctx, ENDPOINT, "slow", 1);
        vtp_segment seg;
        next_segment_keep(&r, slow, &seg);
        ck_assert_uint_eq(seg.index, 0);
        r.now += cases[c].took;
        up_answer(slow, &seg);
        next_segment_keep(&r, slow, &seg);
        uint32_t held = seg.index;
        vtp_segment_clear(&seg);
        int64_t leased = r.now;
        /* Another worker answers the rest at once, and is free. */
        void *quick = up_ready_peer(r.zctx, ENDPOINT, "quick", 1);
        for (int k = 0; k < 2; k++) {
            next_segment_keep(&r, quick, &seg);
            up_answer(quick, &seg);
        }
        step_at(&r, leased);
        ck_assert_int_eq(vtp_dispatcher_busy(r.d), 1);

        for (int64_t t = leased; t < leased + cases[c].limit; t += 100) {
            step_at(&r, t);
            if ((t - leased) % SAY_MS == 0) {
                say_progress(slow, held);
                step_at(&r, t);
            }
            ck_assert_int_eq(took_segment(quick), -1);
        }
        step_at(&r, leased + cases[c].limit - 1);
        ck_assert_int_eq(took_segment(quick), -1);
        step_at(&r, leased + cases[c].limit);
        ck_assert_int_eq(up_took_segment(quick, &seg), held);
        up_answer(quick, &seg);
        run_to_end(&r);
        ck_assert_msg(r.e.status == 0, "the job failed: %s", r.e.why);
        zmq_close(quick);
        zmq_close(slow);
        rig_close(&r);
    }
}
END_TEST

/* Steps the dispatcher (at the same fake time) until no job can fill a
 * free slot; then it sends nothing more however often it is stepped. */
static void until_hungry(rig *r, void *peer)
{
    while (!vtp_dispatcher_hungry(r->d)) {
        ck_assert_int_eq(vtp_dispatcher_poll(r->d, NULL, 0, 10) >= 0, 1);
        ck_assert_int_eq(vtp_dispatcher_step(r->d), 0);
    }
    for (int i = 0; i < 3; i++)
        step_at(r, r->now);
    ck_assert_int_eq(took_segment(peer), -1);
}

/* A job reads no further ahead than its window: segments read and not yet
 * written. A worker with slots to spare that never answers gets `window`
 * segments and no more; a result frees a place only once it is written,
 * in order (a later one waits for the oldest), and then exactly one more
 * segment goes out. */
START_TEST(test_dispatcher_window_bounds_the_segments_out)
{
    for (int window = 1; window <= 3; window++) {
        rig r;
        rig_open_with(&r, "ffv1", 32, 24, 0.5, &(rig_cfg){.window = window});   /* 4 segments */
        void *greedy = up_ready_peer(r.zctx, ENDPOINT, "greedy", 8);
        vtp_segment held[4];
        for (int k = 0; k < window; k++) {
            next_segment_keep(&r, greedy, &held[k]);
            ck_assert_uint_eq(held[k].index, k);
        }
        until_hungry(&r, greedy);
        ck_assert_int_eq(vtp_dispatcher_busy(r.d), window);

        if (window > 2) {               /* a later result waits for the oldest */
            up_answer(greedy, &held[window - 1]);
            step_at(&r, r.now);
            ck_assert_int_eq(vtp_dispatcher_busy(r.d), window - 1);
            until_hungry(&r, greedy);
        }
        up_answer(greedy, &held[0]);
        ck_assert_uint_eq(next_segment(&r, greedy), window);
        until_hungry(&r, greedy);
        for (int k = 1; k < window; k++)
            vtp_segment_clear(&held[k]);    /* those never answered (a cleared one stays so) */
        zmq_close(greedy);
        rig_close(&r);
    }
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
    rig_open_with(&r, "ffv1", 32, 24, 0.5, &(rig_cfg){.lazy = 1});
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
    tcase_add_test(tc, test_dispatcher_job_opens_on_its_own_thread);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    /* On the fake clock, at the exact millisecond of each deadline. */
    TCase *time = tcase_create("time");
    tcase_add_test(time, test_dispatcher_silent_peer_buried_after_liveness);
    tcase_add_test(time, test_dispatcher_lease_deadline);
    tcase_add_test(time, test_dispatcher_retries_are_exact);
    tcase_add_test(time, test_dispatcher_lease_ends_at_its_measured_limit);
    tcase_add_test(time, test_dispatcher_window_bounds_the_segments_out);
    tcase_set_timeout(time, 30);
    suite_add_tcase(s, time);
    return s;
}
