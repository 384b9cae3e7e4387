/* test_queue.c -- the durable job queue (include/vtp_queue.h).
 *
 * Every test works in its own mkdtemp() folder. The durability tests fork
 * processes that open their own connections: one is killed with SIGKILL
 * right after submitting, ten submit at the same time.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "suites.h"
#include "vtp_error.h"
#include "vtp_queue.h"

#include "suites.h"

typedef struct tmpdir {
    char dir[64];
    char db[128];
} tmpdir;

static void tmpdir_make(tmpdir *t)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/vtp-queue-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(t->dir));
    snprintf(t->db, sizeof(t->db), "%s/queue.db", t->dir);
}

/* Removes the folder and the files in it (no subfolders are made). */
static void tmpdir_remove(tmpdir *t)
{
    DIR *d = opendir(t->dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof(path), "%s/%s", t->dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(t->dir);
}

static vtp_queue *open_ok(const char *path)
{
    char why[512] = "";
    vtp_queue *q = vtp_queue_open(path, why, sizeof(why));
    ck_assert_msg(q != NULL, "open %s: %s", path, why);
    return q;
}

static int64_t submit_ok(vtp_queue *q, const char *spec, int priority)
{
    int64_t id = -1;
    ck_assert_int_eq(vtp_queue_submit(q, spec, priority, &id), 0);
    ck_assert_int_gt(id, 0);
    return id;
}

static vtp_job_info get_ok(vtp_queue *q, int64_t id)
{
    vtp_job_info info;
    ck_assert_int_eq(vtp_queue_get(q, id, &info), 1);
    ck_assert_int_eq(info.id, id);
    return info;
}

/* Collects ids (and states) from the callbacks. */
typedef struct collect {
    int64_t ids[2048];
    int priorities[2048];
    int n;
    int stop_after;         /* return -42 after this many (0: never) */
    vtp_queue *q;           /* if set, each job is marked done from inside the callback */
} collect;

static int collect_cb(void *opaque, const vtp_job_info *info)
{
    collect *c = opaque;
    ck_assert_int_lt(c->n, 2048);
    ck_assert_ptr_nonnull(info->spec);
    c->priorities[c->n] = info->priority;
    c->ids[c->n++] = info->id;
    if (c->q)
        ck_assert_int_eq(vtp_queue_set_state(c->q, info->id, "done", NULL), 0);
    return c->stop_after && c->n >= c->stop_after ? -42 : 0;
}

static int count_jobs(vtp_queue *q, const char *state)
{
    collect *c = calloc(1, sizeof(*c));
    ck_assert_int_eq(vtp_queue_list(q, state, 0, collect_cb, c), 0);
    int n = c->n;
    free(c);
    return n;
}

START_TEST(test_queue_submit_increasing_ids)
{
    tmpdir t;
    tmpdir_make(&t);
    vtp_queue *q = open_ok(t.db);
    int64_t last = 0;
    for (int i = 0; i < 5; i++) {
        char spec[64];
        snprintf(spec, sizeof(spec), "{\"input\":\"in%d\",\"output\":\"out%d\"}", i, i);
        int64_t id = submit_ok(q, spec, i - 2);
        ck_assert_int_gt(id, last);
        last = id;
        vtp_job_info info = get_ok(q, id);
        ck_assert_str_eq(info.state, "queued");
        ck_assert_str_eq(info.spec, spec);
        ck_assert_int_eq(info.priority, i - 2);
        ck_assert_ptr_null(info.error);
        ck_assert(info.submitted > 1e9);
        ck_assert(info.started == 0 && info.finished == 0);
        ck_assert_int_eq(info.frames, 0);
        ck_assert_int_eq(info.segments_done, 0);
        vtp_job_info_clear(&info);
        vtp_job_info_clear(&info);
    }
    vtp_job_info info;
    ck_assert_int_eq(vtp_queue_get(q, last + 1, &info), 0);
    ck_assert_int_eq(vtp_queue_submit(q, NULL, 0, NULL), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_queue_submit(q, "", 0, NULL), VTP_ERR_USAGE);
    vtp_queue_close(&q);
    ck_assert_ptr_null(q);
    vtp_queue_close(&q);
    vtp_queue_close(NULL);
    tmpdir_remove(&t);
}
END_TEST

START_TEST(test_queue_next_order_and_skip)
{
    tmpdir t;
    tmpdir_make(&t);
    vtp_queue *q = open_ok(t.db);
    vtp_job_info info;

    ck_assert_int_eq(vtp_queue_next(q, NULL, 0, &info), 0);
    int64_t a = submit_ok(q, "{\"j\":\"a\"}", 0);
    int64_t b = submit_ok(q, "{\"j\":\"b\"}", 5);
    int64_t c = submit_ok(q, "{\"j\":\"c\"}", 5);
    int64_t d = submit_ok(q, "{\"j\":\"d\"}", -3);
    int64_t e = submit_ok(q, "{\"j\":\"e\"}", 10);

    int64_t expect[] = {e, b, c, a, d};
    int64_t skip[5];
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(vtp_queue_next(q, skip, i, &info), 1);
        ck_assert_int_eq(info.id, expect[i]);
        ck_assert_str_eq(info.state, "queued");
        vtp_job_info_clear(&info);
        skip[i] = expect[i];
    }
    ck_assert_int_eq(vtp_queue_next(q, skip, 5, &info), 0);

    /* Skip only some, in any order. */
    int64_t some[] = {b, e};
    ck_assert_int_eq(vtp_queue_next(q, some, 2, &info), 1);
    ck_assert_int_eq(info.id, c);
    vtp_job_info_clear(&info);

    /* Jobs that are not queued are not offered. */
    ck_assert_int_eq(vtp_queue_set_state(q, e, "running", NULL), 0);
    ck_assert_int_eq(vtp_queue_cancel(q, b), 1);
    ck_assert_int_eq(vtp_queue_next(q, NULL, 0, &info), 1);
    ck_assert_int_eq(info.id, c);
    vtp_job_info_clear(&info);
    /* Back in the queue: offered again. */
    ck_assert_int_eq(vtp_queue_set_state(q, e, "queued", NULL), 0);
    ck_assert_int_eq(vtp_queue_next(q, NULL, 0, &info), 1);
    ck_assert_int_eq(info.id, e);
    vtp_job_info_clear(&info);
    ck_assert_int_eq(vtp_queue_next(q, NULL, 1, &info), VTP_ERR_USAGE);

    vtp_queue_close(&q);
    tmpdir_remove(&t);
}
END_TEST

START_TEST(test_queue_states_and_times)
{
    tmpdir t;
    tmpdir_make(&t);
    vtp_queue *q = open_ok(t.db);
    int64_t id = submit_ok(q, "{}", 0);
    vtp_job_info info;

    ck_assert_int_eq(vtp_queue_set_state(q, id, "running", NULL), 0);
    info = get_ok(q, id);
    ck_assert_str_eq(info.state, "running");
    double started = info.started;
    ck_assert(started >= info.submitted && started > 0);
    ck_assert(info.finished == 0);
    vtp_job_info_clear(&info);

    /* Running again (a resumed job) keeps its start time. */
    usleep(20000);
    ck_assert_int_eq(vtp_queue_set_state(q, id, "running", NULL), 0);
    info = get_ok(q, id);
    ck_assert(info.started == started);
    vtp_job_info_clear(&info);

    ck_assert_int_eq(vtp_queue_set_progress(q, id, 1234, 41.5, 120.25), 0);
    info = get_ok(q, id);
    ck_assert_int_eq(info.frames, 1234);
    ck_assert(info.media_seconds == 41.5);
    ck_assert(info.total_seconds == 120.25);
    vtp_job_info_clear(&info);

    ck_assert_int_eq(vtp_queue_set_state(q, id, "failed", "segment 3: encoder failed"), 0);
    info = get_ok(q, id);
    ck_assert_str_eq(info.state, "failed");
    ck_assert_str_eq(info.error, "segment 3: encoder failed");
    ck_assert(info.started == started);
    ck_assert(info.finished >= started);
    vtp_job_info_clear(&info);

    /* Re-queued: times and error cleared, progress kept. */
    ck_assert_int_eq(vtp_queue_set_state(q, id, "queued", NULL), 0);
    info = get_ok(q, id);
    ck_assert_str_eq(info.state, "queued");
    ck_assert(info.started == 0 && info.finished == 0);
    ck_assert_ptr_null(info.error);
    ck_assert_int_eq(info.frames, 1234);
    vtp_job_info_clear(&info);

    ck_assert_int_eq(vtp_queue_set_state(q, id, "running", NULL), 0);
    ck_assert_int_eq(vtp_queue_set_state(q, id, "done", NULL), 0);
    info = get_ok(q, id);
    ck_assert_str_eq(info.state, "done");
    ck_assert(info.started > started);
    ck_assert(info.finished >= info.started);
    vtp_job_info_clear(&info);

    ck_assert_int_eq(vtp_queue_set_state(q, id, "paused", NULL), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_queue_set_state(q, id, NULL, NULL), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_queue_set_state(q, id + 100, "done", NULL), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_queue_set_progress(q, id + 100, 1, 1, 1), VTP_ERR_USAGE);
    info = get_ok(q, id);
    ck_assert_str_eq(info.state, "done");
    vtp_job_info_clear(&info);

    vtp_queue_close(&q);
    tmpdir_remove(&t);
}
END_TEST

START_TEST(test_queue_running_jobs)
{
    tmpdir t;
    tmpdir_make(&t);
    vtp_queue *q = open_ok(t.db);
    collect *c = calloc(1, sizeof(*c));

    ck_assert_int_eq(vtp_queue_running(q, collect_cb, c), 0);
    ck_assert_int_eq(c->n, 0);

    /* 70 running jobs (more than one batch), priorities 0..6, plus jobs in
     * other states. */
    for (int i = 0; i < 70; i++) {
        int64_t id = submit_ok(q, "{}", i % 7);
        ck_assert_int_eq(vtp_queue_set_state(q, id, "running", NULL), 0);
        int64_t other = submit_ok(q, "{}", 3);
        if (i % 2)
            ck_assert_int_eq(vtp_queue_set_state(q, other, "done", NULL), 0);
    }
    ck_assert_int_eq(vtp_queue_running(q, collect_cb, c), 0);
    ck_assert_int_eq(c->n, 70);
    for (int i = 1; i < c->n; i++) {
        ck_assert_int_ge(c->priorities[i - 1], c->priorities[i]);
        if (c->priorities[i - 1] == c->priorities[i])
            ck_assert_int_lt(c->ids[i - 1], c->ids[i]);
    }
    for (int i = 0; i < c->n; i++) {
        vtp_job_info info = get_ok(q, c->ids[i]);
        ck_assert_str_eq(info.state, "running");
        vtp_job_info_clear(&info);
    }

    /* A negative return stops the walk and is returned. */
    memset(c, 0, sizeof(*c));
    c->stop_after = 40;
    ck_assert_int_eq(vtp_queue_running(q, collect_cb, c), -42);
    ck_assert_int_eq(c->n, 40);

    /* The callback may change the queue: each job is marked done inside. */
    memset(c, 0, sizeof(*c));
    c->q = q;
    ck_assert_int_eq(vtp_queue_running(q, collect_cb, c), 0);
    ck_assert_int_eq(c->n, 70);
    memset(c, 0, sizeof(*c));
    ck_assert_int_eq(vtp_queue_running(q, collect_cb, c), 0);
    ck_assert_int_eq(c->n, 0);
    ck_assert_int_eq(vtp_queue_running(q, NULL, NULL), VTP_ERR_USAGE);

    free(c);
    vtp_queue_close(&q);
    tmpdir_remove(&t);
}
END_TEST

START_TEST(test_queue_segments)
{
    tmpdir t;
    tmpdir_make(&t);
    vtp_queue *q = open_ok(t.db);
    int64_t id = submit_ok(q, "{}", 0);
    int64_t other = submit_ok(q, "{}", 0);
    char *path = (char *)"x";

    ck_assert_int_eq(vtp_queue_segment_path(q, id, 0, &path, NULL, NULL), 0);
    ck_assert_ptr_null(path);
    ck_assert_int_eq(vtp_queue_segment_done(q, id, 0, "job1/seg0.mkv", 0, 90000), 0);
    ck_assert_int_eq(vtp_queue_segment_done(q, id, 1, "job1/seg1.mkv", 90000, 180000), 0);
    ck_assert_int_eq(vtp_queue_segment_done(q, other, 0, "job2/seg0.mkv", 0, 1), 0);

    int64_t cut_start = 0, cut_end = 0;
    ck_assert_int_eq(vtp_queue_segment_path(q, id, 1, &path, &cut_start, &cut_end), 1);
    ck_assert_str_eq(path, "job1/seg1.mkv");
    ck_assert_int_eq(cut_start, 90000);
    ck_assert_int_eq(cut_end, 180000);
    free(path);
    /* The open ends of the first and last segments survive. */
    ck_assert_int_eq(vtp_queue_segment_done(q, other, 1, "job2/seg1.mkv", INT64_MIN, INT64_MAX), 0);
    ck_assert_int_eq(vtp_queue_segment_path(q, other, 1, &path, &cut_start, &cut_end), 1);
    ck_assert(cut_start == INT64_MIN && cut_end == INT64_MAX);
    free(path);
    ck_assert_int_eq(vtp_queue_segment_path(q, id, 2, &path, NULL, NULL), 0);
    ck_assert_ptr_null(path);

    /* Recording an index again replaces it. */
    ck_assert_int_eq(vtp_queue_segment_done(q, id, 0, "job1/seg0-retry.mkv", 0, 90000), 0);
    ck_assert_int_eq(vtp_queue_segment_path(q, id, 0, &path, NULL, NULL), 1);
    ck_assert_str_eq(path, "job1/seg0-retry.mkv");
    free(path);
    vtp_job_info info = get_ok(q, id);
    ck_assert_int_eq(info.segments_done, 2);
    vtp_job_info_clear(&info);

    /* Bad arguments and unknown jobs change nothing. */
    ck_assert_int_eq(vtp_queue_segment_done(q, id + 100, 0, "x.mkv", 0, 1), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_queue_segment_done(q, id, -1, "x.mkv", 0, 1), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_queue_segment_done(q, id, 5, "", 0, 1), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_queue_segment_done(q, id, 5, NULL, 0, 1), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_queue_segment_path(q, id + 100, 0, &path, NULL, NULL), 0);

    /* Forgetting one job's segments leaves the other's. */
    ck_assert_int_eq(vtp_queue_forget_segments(q, id), 0);
    ck_assert_int_eq(vtp_queue_segment_path(q, id, 0, &path, NULL, NULL), 0);
    ck_assert_int_eq(vtp_queue_segment_path(q, id, 1, &path, NULL, NULL), 0);
    ck_assert_int_eq(vtp_queue_segment_path(q, other, 0, &path, NULL, NULL), 1);
    ck_assert_str_eq(path, "job2/seg0.mkv");
    free(path);
    ck_assert_int_eq(vtp_queue_forget_segments(q, id), 0);
    info = get_ok(q, id);
    ck_assert_int_eq(info.segments_done, 2);    /* the count stays */
    vtp_job_info_clear(&info);

    /* Segments survive a reopen. */
    vtp_queue_close(&q);
    q = open_ok(t.db);
    ck_assert_int_eq(vtp_queue_segment_path(q, other, 0, &path, NULL, NULL), 1);
    ck_assert_str_eq(path, "job2/seg0.mkv");
    free(path);

    vtp_queue_close(&q);
    tmpdir_remove(&t);
}
END_TEST

START_TEST(test_queue_cancel)
{
    tmpdir t;
    tmpdir_make(&t);
    vtp_queue *q = open_ok(t.db);
    int64_t queued = submit_ok(q, "{}", 0);
    int64_t running = submit_ok(q, "{}", 0);
    int64_t done = submit_ok(q, "{}", 0);
    int64_t failed = submit_ok(q, "{}", 0);
    vtp_job_info info;

    ck_assert_int_eq(vtp_queue_set_state(q, running, "running", NULL), 0);
    ck_assert_int_eq(vtp_queue_set_state(q, done, "done", NULL), 0);
    ck_assert_int_eq(vtp_queue_set_state(q, failed, "failed", "bad"), 0);

    ck_assert_int_eq(vtp_queue_cancel(q, queued), 1);
    info = get_ok(q, queued);
    ck_assert_str_eq(info.state, "cancelled");
    ck_assert(info.finished > 0 && info.started == 0);
    vtp_job_info_clear(&info);

    ck_assert_int_eq(vtp_queue_cancel(q, running), 1);
    info = get_ok(q, running);
    ck_assert_str_eq(info.state, "cancelled");
    ck_assert(info.finished >= info.started && info.started > 0);
    vtp_job_info_clear(&info);

    ck_assert_int_eq(vtp_queue_cancel(q, queued), 0);
    ck_assert_int_eq(vtp_queue_cancel(q, done), 0);
    ck_assert_int_eq(vtp_queue_cancel(q, failed), 0);
    info = get_ok(q, done);
    ck_assert_str_eq(info.state, "done");
    vtp_job_info_clear(&info);
    info = get_ok(q, failed);
    ck_assert_str_eq(info.state, "failed");
    ck_assert_str_eq(info.error, "bad");
    vtp_job_info_clear(&info);

    ck_assert_int_eq(vtp_queue_cancel(q, failed + 1), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_queue_cancel(q, 0), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_queue_cancel(q, -5), VTP_ERR_USAGE);

    vtp_queue_close(&q);
    tmpdir_remove(&t);
}
END_TEST

/* The count by state (the service's metrics): every state, in the order
 * vtp_queue_state_name() names them, zero where no job is. */
START_TEST(test_queue_count_by_state)
{
    tmpdir t;
    tmpdir_make(&t);
    vtp_queue *q = open_ok(t.db);
    int64_t counts[VTP_QUEUE_STATES];
    static const char *const names[] = {"queued", "running", "done", "failed", "cancelled"};

    ck_assert_int_eq(vtp_queue_count(q, counts), 0);
    for (int k = 0; k < VTP_QUEUE_STATES; k++) {
        ck_assert_int_eq(counts[k], 0);
        ck_assert_str_eq(vtp_queue_state_name(k), names[k]);
    }
    ck_assert_ptr_null(vtp_queue_state_name(-1));
    ck_assert_ptr_null(vtp_queue_state_name(VTP_QUEUE_STATES));
    int64_t id[6];
    for (int k = 0; k < 6; k++)
        id[k] = submit_ok(q, "{}", 0);
    ck_assert_int_eq(vtp_queue_set_state(q, id[0], "running", NULL), 0);
    ck_assert_int_eq(vtp_queue_set_state(q, id[1], "done", NULL), 0);
    ck_assert_int_eq(vtp_queue_set_state(q, id[2], "done", NULL), 0);
    ck_assert_int_eq(vtp_queue_set_state(q, id[3], "failed", "bad"), 0);
    ck_assert_int_eq(vtp_queue_cancel(q, id[4]), 1);
    ck_assert_int_eq(vtp_queue_count(q, counts), 0);
    const int64_t want[VTP_QUEUE_STATES] = {1, 1, 2, 1, 1};
    for (int k = 0; k < VTP_QUEUE_STATES; k++) {
        ck_assert_msg(counts[k] == want[k], "%s: %lld jobs, expected %lld", names[k],
                      (long long)counts[k], (long long)want[k]);
        ck_assert_int_eq(vtp_queue_count_in(q, names[k]), want[k]);
    }
    ck_assert_int_eq(vtp_queue_count_in(q, "paused"), VTP_ERR_USAGE);
    vtp_queue_close(&q);
    tmpdir_remove(&t);
}
END_TEST

START_TEST(test_queue_submit_many_atomic)
{
    tmpdir t;
    tmpdir_make(&t);
    vtp_queue *q = open_ok(t.db);
    int64_t first = submit_ok(q, "{\"first\":1}", 0);
    int64_t ids[4] = {0};

    const char *bad[] = {"{\"a\":1}", "{\"b\":1}", NULL, "{\"d\":1}"};
    int prios[] = {1, 2, 3, 4};
    ck_assert_int_eq(vtp_queue_submit_many(q, bad, prios, 4, ids), VTP_ERR_USAGE);
    ck_assert_int_eq(count_jobs(q, NULL), 1);
    vtp_job_info info;
    ck_assert_int_eq(vtp_queue_next(q, NULL, 0, &info), 1);
    ck_assert_int_eq(info.id, first);
    vtp_job_info_clear(&info);

    const char *empty_one[] = {"{\"a\":1}", ""};
    ck_assert_int_eq(vtp_queue_submit_many(q, empty_one, prios, 2, ids), VTP_ERR_USAGE);
    ck_assert_int_eq(count_jobs(q, NULL), 1);

    /* The queue is usable afterwards (no transaction left open). */
    const char *good[] = {"{\"a\":1}", "{\"b\":1}", "{\"c\":1}"};
    ck_assert_int_eq(vtp_queue_submit_many(q, good, prios, 3, ids), 0);
    ck_assert_int_gt(ids[0], first);
    ck_assert_int_gt(ids[1], ids[0]);
    ck_assert_int_gt(ids[2], ids[1]);
    for (int i = 0; i < 3; i++) {
        info = get_ok(q, ids[i]);
        ck_assert_str_eq(info.spec, good[i]);
        ck_assert_int_eq(info.priority, prios[i]);
        vtp_job_info_clear(&info);
    }
    ck_assert_int_eq(count_jobs(q, NULL), 4);
    ck_assert_int_eq(vtp_queue_submit_many(q, good, prios, 0, ids), 0);
    ck_assert_int_eq(vtp_queue_submit_many(q, good, prios, -1, ids), VTP_ERR_USAGE);
    int64_t after = submit_ok(q, "{}", 0);
    ck_assert_int_gt(after, ids[2]);

    vtp_queue_close(&q);
    q = open_ok(t.db);
    ck_assert_int_eq(count_jobs(q, NULL), 5);
    vtp_queue_close(&q);
    tmpdir_remove(&t);
}
END_TEST

START_TEST(test_queue_list)
{
    tmpdir t;
    tmpdir_make(&t);
    vtp_queue *q = open_ok(t.db);
    collect *c = calloc(1, sizeof(*c));
    int64_t ids[100];

    for (int i = 0; i < 100; i++) {
        ids[i] = submit_ok(q, "{}", i % 3);
        if (i % 4 == 0)
            ck_assert_int_eq(vtp_queue_set_state(q, ids[i], "failed", "x"), 0);
    }
    ck_assert_int_eq(vtp_queue_list(q, NULL, 0, collect_cb, c), 0);
    ck_assert_int_eq(c->n, 100);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(c->ids[i], ids[99 - i]);      /* newest first */

    memset(c, 0, sizeof(*c));
    ck_assert_int_eq(vtp_queue_list(q, NULL, 70, collect_cb, c), 0);
    ck_assert_int_eq(c->n, 70);
    ck_assert_int_eq(c->ids[69], ids[30]);

    memset(c, 0, sizeof(*c));
    ck_assert_int_eq(vtp_queue_list(q, "failed", 0, collect_cb, c), 0);
    ck_assert_int_eq(c->n, 25);
    ck_assert_int_eq(c->ids[0], ids[96]);
    ck_assert_int_eq(c->ids[24], ids[0]);
    memset(c, 0, sizeof(*c));
    ck_assert_int_eq(vtp_queue_list(q, "failed", 3, collect_cb, c), 0);
    ck_assert_int_eq(c->n, 3);
    ck_assert_int_eq(count_jobs(q, "queued"), 75);
    ck_assert_int_eq(count_jobs(q, "done"), 0);

    memset(c, 0, sizeof(*c));
    c->stop_after = 33;
    ck_assert_int_eq(vtp_queue_list(q, NULL, 0, collect_cb, c), -42);
    ck_assert_int_eq(c->n, 33);

    ck_assert_int_eq(vtp_queue_list(q, "finished", 0, collect_cb, c), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_queue_list(q, NULL, 0, NULL, NULL), VTP_ERR_USAGE);
    free(c);
    vtp_queue_close(&q);
    tmpdir_remove(&t);
}
END_TEST

START_TEST(test_queue_survives_close)
{
    tmpdir t;
    tmpdir_make(&t);
    vtp_queue *q = open_ok(t.db);
    int64_t id = submit_ok(q, "{\"input\":\"keep.mkv\"}", 9);
    vtp_queue_close(&q);

    q = open_ok(t.db);
    vtp_job_info info = get_ok(q, id);
    ck_assert_str_eq(info.spec, "{\"input\":\"keep.mkv\"}");
    ck_assert_int_eq(info.priority, 9);
    ck_assert_str_eq(info.state, "queued");
    vtp_job_info_clear(&info);
    vtp_queue_close(&q);
    tmpdir_remove(&t);
}
END_TEST

/* Reads exactly n bytes (until EOF); returns how many were read. */
static size_t read_all(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static void write_all(int fd, const void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, (const char *)buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(3);
        done += (size_t)w;
    }
}

START_TEST(test_queue_survives_sigkill)
{
    tmpdir t;
    tmpdir_make(&t);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);

    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        vtp_queue *q = vtp_queue_open(t.db, NULL, 0);
        if (!q)
            _exit(2);
        for (int i = 0; i < 200; i++) {
            char spec[64];
            int64_t id;
            snprintf(spec, sizeof(spec), "{\"n\":%d}", i);
            if (vtp_queue_submit(q, spec, i % 5, &id) < 0)
                _exit(2);
            write_all(fds[1], &id, sizeof(id));
        }
        /* No close, no exit handlers: killed right after the last submit. */
        kill(getpid(), SIGKILL);
        _exit(4);
    }
    close(fds[1]);
    int64_t ids[200];
    size_t got = read_all(fds[0], ids, sizeof(ids));
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
    ck_assert_uint_eq(got, sizeof(ids));

    /* The child left its WAL behind unmerged; opening recovers it. */
    vtp_queue *q = open_ok(t.db);
    ck_assert_int_eq(count_jobs(q, NULL), 200);
    for (int i = 0; i < 200; i++) {
        char spec[64];
        snprintf(spec, sizeof(spec), "{\"n\":%d}", i);
        vtp_job_info info = get_ok(q, ids[i]);
        ck_assert_str_eq(info.spec, spec);
        ck_assert_int_eq(info.priority, i % 5);
        ck_assert_str_eq(info.state, "queued");
        vtp_job_info_clear(&info);
    }
    vtp_queue_close(&q);
    tmpdir_remove(&t);
}
END_TEST

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

START_TEST(test_queue_concurrent_processes)
{
    enum { PROCS = 10, EACH = 100 };
    tmpdir t;
    tmpdir_make(&t);
    int ids_pipe[2], go_pipe[2];
    pid_t pids[PROCS];
    ck_assert_int_eq(pipe(ids_pipe), 0);
    ck_assert_int_eq(pipe(go_pipe), 0);

    /* The file does not exist yet: the processes race to create it too. */
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        ck_assert_int_ge(pids[p], 0);
        if (pids[p] == 0) {
            char byte;
            close(ids_pipe[0]);
            close(go_pipe[1]);
            if (read(go_pipe[0], &byte, 1) != 0)    /* wait for the start (EOF) */
                _exit(5);
            char why[512] = "";
            vtp_queue *q = vtp_queue_open(t.db, why, sizeof(why));
            if (!q) {
                fprintf(stderr, "child %d: %s\n", p, why);
                _exit(2);
            }
            for (int i = 0; i < EACH; i++) {
                char spec[64];
                int64_t id;
                snprintf(spec, sizeof(spec), "{\"proc\":%d,\"n\":%d}", p, i);
                if (vtp_queue_submit(q, spec, 0, &id) < 0)
                    _exit(3);
                write_all(ids_pipe[1], &id, sizeof(id));    /* 8 bytes: atomic */
            }
            vtp_queue_close(&q);
            _exit(0);
        }
    }
    close(ids_pipe[1]);
    close(go_pipe[0]);
    close(go_pipe[1]);      /* go */

    int64_t *ids = calloc(PROCS * EACH + 1, sizeof(*ids));
    size_t got = read_all(ids_pipe[0], ids, (PROCS * EACH + 1) * sizeof(*ids));
    close(ids_pipe[0]);
    for (int p = 0; p < PROCS; p++) {
        int status;
        ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d status %d", p,
                      status);
    }
    ck_assert_uint_eq(got, PROCS * EACH * sizeof(*ids));
    qsort(ids, PROCS * EACH, sizeof(*ids), cmp_id);
    for (int i = 1; i < PROCS * EACH; i++)
        ck_assert_int_lt(ids[i - 1], ids[i]);

    vtp_queue *q = open_ok(t.db);
    collect *c = calloc(1, sizeof(*c));
    ck_assert_int_eq(vtp_queue_list(q, NULL, 0, collect_cb, c), 0);
    ck_assert_int_eq(c->n, PROCS * EACH);
    qsort(c->ids, (size_t)c->n, sizeof(c->ids[0]), cmp_id);
    for (int i = 0; i < PROCS * EACH; i++)
        ck_assert_int_eq(c->ids[i], ids[i]);
    free(c);
    free(ids);
    vtp_queue_close(&q);
    tmpdir_remove(&t);
}
END_TEST

static void write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

START_TEST(test_queue_refuses_other_files)
{
    tmpdir t;
    tmpdir_make(&t);
    char why[512], path[256];

    /* Plain text: refused and left as it was. */
    char text[4096];
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = "not a database\n"[i % 15];
    snprintf(path, sizeof(path), "%s/notes.txt", t.dir);
    write_file(path, text, sizeof(text));
    why[0] = 0;
    ck_assert_ptr_null(vtp_queue_open(path, why, sizeof(why)));
    ck_assert_msg(strstr(why, "not a vtpool job queue") && strstr(why, path), "why: %s", why);
    ck_assert_ptr_null(strchr(why, '\n'));
    char back[4096];
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fread(back, 1, sizeof(back), f), sizeof(back));
    fclose(f);
    ck_assert(memcmp(back, text, sizeof(text)) == 0);

    /* Another program's SQLite database. */
    snprintf(path, sizeof(path), "%s/other.db", t.dir);
    raw_exec(path, "CREATE TABLE notes (x TEXT)");
    why[0] = 0;
    ck_assert_ptr_null(vtp_queue_open(path, why, sizeof(why)));
    ck_assert_msg(strstr(why, "not a vtpool job queue") != NULL, "why: %s", why);
    /* ... and left as it was: still in its own journal mode. */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "delete");
    sqlite3_finalize(st);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);

    /* A queue from a newer vtpool. */
    vtp_queue *q = open_ok(t.db);
    vtp_queue_close(&q);
    raw_exec(t.db, "PRAGMA user_version = 2");
    why[0] = 0;
    ck_assert_ptr_null(vtp_queue_open(t.db, why, sizeof(why)));
    ck_assert_msg(strstr(why, "newer") && strstr(why, "version 2"), "why: %s", why);

    /* A folder, and a file in a folder that does not exist. */
    why[0] = 0;
    ck_assert_ptr_null(vtp_queue_open(t.dir, why, sizeof(why)));
    ck_assert_str_ne(why, "");
    snprintf(path, sizeof(path), "%s/missing/queue.db", t.dir);
    why[0] = 0;
    ck_assert_ptr_null(vtp_queue_open(path, why, sizeof(why)));
    ck_assert_msg(strstr(why, "cannot open") != NULL, "why: %s", why);
    ck_assert_ptr_null(vtp_queue_open(NULL, NULL, 0));

    tmpdir_remove(&t);
}
END_TEST

Suite *queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_queue_submit_increasing_ids);
    tcase_add_test(tc, test_queue_next_order_and_skip);
    tcase_add_test(tc, test_queue_states_and_times);
    tcase_add_test(tc, test_queue_running_jobs);
    tcase_add_test(tc, test_queue_segments);
    tcase_add_test(tc, test_queue_cancel);
    tcase_add_test(tc, test_queue_count_by_state);
    tcase_add_test(tc, test_queue_submit_many_atomic);
    tcase_add_test(tc, test_queue_list);
    tcase_add_test(tc, test_queue_survives_close);
    tcase_add_test(tc, test_queue_survives_sigkill);
    tcase_add_test(tc, test_queue_concurrent_processes);
    tcase_add_test(tc, test_queue_refuses_other_files);
    suite_add_tcase(s, tc);
    return s;
}
