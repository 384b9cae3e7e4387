/* test_faults.c -- durability under failure: a full disk (ENOSPC on
 * write), a full queue database (SQLITE_FULL) and a failed fsync() each end
 * cleanly. An error comes back; nothing is at a final path that is not
 * whole; no temporary file stays; the job stays in the queue, not done,
 * with what it stored kept and recorded, so that it resumes.
 *
 * The faults are real where they can be: ENOSPC comes from /dev/full (the
 * file about to be written is a symbolic link to it), SQLITE_FULL from
 * SQLite itself, with the queue's database capped at its size
 * (vtp_queue_max_pages). fsync() fails through vtp_file_set_fsync().
 *
 * The job tests run the real sequence of a service's job: results stored
 * (vtp_spill.h) and recorded (vtp_queue.h), joined, the output synced,
 * renamed, its directory synced, and only then the results removed. The
 * worker is the test itself, answering on an inproc socket.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <sqlite3.h>
#include <zmq.h>

#include "suites.h"
#include "unit_media.h"
#include "unit_peer.h"
#include "vtp_buf.h"
#include "vtp_dispatcher.h"
#include "vtp_error.h"
#include "vtp_fileio.h"
#include "vtp_joiner.h"
#include "vtp_pipeline.h"
#include "vtp_pool.h"
#include "vtp_proto.h"
#include "vtp_queue.h"
#include "vtp_spill.h"

#define ENDPOINT "inproc://test-faults"
#define SEGMENTS 4              /* 2 s of input cut every 0.5 s */
#define NO_SPACE "No space left on device"

/* ---- fsync() that fails ---- */

static int fsync_calls;         /* counted by flaky_fsync */
static int fsync_fail_at;       /* this call fails (from 1); 0: none */
static char fsync_fail_dir[PATH_MAX];       /* fsync() of this directory fails */
static char fsync_fail_files_in[PATH_MAX];  /* ... of any file directly in this one
                                               (not its subdirectories) */

/* vtp_file_set_fsync()'s stand-in: fails with EIO, as a disk that lost the
 * write does, on call number fsync_fail_at and on what the paths above
 * name (by the name the file has when it is synced, whichever it is). */
static int flaky_fsync(int fd)
{
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    path[n > 0 ? n : 0] = 0;
    char *slash = strrchr(path, '/');
    size_t in = slash ? (size_t)(slash - path) : 0;
    struct stat st;
    int is_file = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    int dir_fails = fsync_fail_dir[0] && !strcmp(path, fsync_fail_dir);
    int file_fails = fsync_fail_files_in[0] && is_file && in == strlen(fsync_fail_files_in) &&
                     !strncmp(path, fsync_fail_files_in, in);
    if (++fsync_calls == fsync_fail_at || dir_fails || file_fails) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

static void faults_setup(void)
{
    fsync_calls = fsync_fail_at = 0;
    fsync_fail_dir[0] = fsync_fail_files_in[0] = 0;
    vtp_file_set_fsync(flaky_fsync);
}

static void faults_teardown(void)
{
    vtp_file_set_fsync(NULL);
}

/* ---- files ---- */

/* A fresh directory, by its real path (as /proc names open files). */
static char *make_dir(void)
{
    char *dir = um_mkdtemp(), real[PATH_MAX];
    ck_assert_ptr_nonnull(dir);
    ck_assert_ptr_nonnull(realpath(dir, real));
    free(dir);
    return strdup(real);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Whether path holds exactly text. */
static int holds(const char *path, const char *text)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int same = vtp_file_read(path, 1 << 20, &data, &len) == 0 && len == strlen(text) &&
               memcmp(data, text, len) == 0;
    free(data);
    return same;
}

/* The next write to path goes to /dev/full: a real ENOSPC. */
static void link_to_full_disk(const char *path)
{
    ck_assert_int_eq(symlink("/dev/full", path), 0);
}

/* /dev/full is still there (a failed write unlinks its file: the link,
 * never what it points to). */
static void assert_dev_full_kept(void)
{
    struct stat st;
    ck_assert_int_eq(stat("/dev/full", &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
}

/* A durable write whose fsync() of the file fails leaves what the path
 * held; one whose fsync() of the directory fails has the whole new file in
 * place (renamed after its own fsync) but says it may not last; one that
 * meets a full disk leaves what the path held. Never a temporary file. */
START_TEST(test_faults_file_write)
{
    char *dir = make_dir(), path[PATH_MAX], tmp[PATH_MAX + 8];
    const char *old = "what was there", *new = "all of the new contents";
    snprintf(path, sizeof(path), "%s/file", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    ck_assert_int_eq(vtp_file_write(path, (const uint8_t *)old, strlen(old), 0644, 1), 0);
    ck_assert_int_eq(fsync_calls, 2);      /* the file, then its directory */

    fsync_calls = 0;
    fsync_fail_at = 1;
    ck_assert_int_eq(vtp_file_write(path, (const uint8_t *)new, strlen(new), 0644, 1),
                     AVERROR(EIO));
    ck_assert(holds(path, old));
    ck_assert(!exists(tmp));

    fsync_calls = 0;
    fsync_fail_at = 2;
    ck_assert_int_eq(vtp_file_write(path, (const uint8_t *)new, strlen(new), 0644, 1),
                     AVERROR(EIO));
    ck_assert(holds(path, new));
    ck_assert(!exists(tmp));

    fsync_fail_at = 0;
    link_to_full_disk(tmp);
    ck_assert_int_eq(vtp_file_write(path, (const uint8_t *)old, strlen(old), 0644, 1),
                     AVERROR(ENOSPC));
    ck_assert(holds(path, new));
    ck_assert(!exists(tmp));
    assert_dev_full_kept();
    um_rmdir(dir);
}
END_TEST

static void result_for(vtp_result *r, uint32_t index)
{
    ck_assert_int_eq(vtp_result_init(r), 0);
    r->job_id = 1;
    r->index = index;
    r->frames = r->frames_counted = 1;
    r->time_base = (AVRational){1, 25};
    AVPacket *p = av_packet_alloc();
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(av_new_packet(p, 64), 0);
    memset(p->data, 7, (size_t)p->size);
    p->pts = p->dts = 0;
    p->duration = 1;
    p->flags = AV_PKT_FLAG_KEY;
    ck_assert_int_eq(vtp_pktlist_move(&r->pkts, p), 0);
    av_packet_free(&p);
}

/* A result that cannot be stored (full disk, failed fsync of the file) is
 * not there at all, and the error says which and why; once the fault is
 * gone, it stores. */
START_TEST(test_faults_spill_store)
{
    char *dir = make_dir(), path[4200], tmp[4208], why[512] = "";
    vtp_result r;
    result_for(&r, 0);
    vtp_spill_path(dir, 0, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);

    link_to_full_disk(tmp);
    ck_assert_int_eq(vtp_spill_store(dir, &r, why, sizeof(why)), AVERROR(ENOSPC));
    ck_assert_ptr_nonnull(strstr(why, "seg-00000000.vtpr"));
    ck_assert_ptr_nonnull(strstr(why, NO_SPACE));
    ck_assert(!vtp_spill_exists(dir, 0));
    ck_assert(!exists(tmp));
    assert_dev_full_kept();

    fsync_calls = 0;
    fsync_fail_at = 1;
    ck_assert_int_eq(vtp_spill_store(dir, &r, why, sizeof(why)), VTP_ERR_OUTPUT);
    ck_assert(!vtp_spill_exists(dir, 0));
    ck_assert(!exists(tmp));

    fsync_fail_at = 0;
    vtp_result *back = NULL;
    ck_assert_int_eq(vtp_spill_store(dir, &r, why, sizeof(why)), 0);
    ck_assert_int_eq(vtp_spill_load(dir, 0, &back, why, sizeof(why)), 0);
    ck_assert_int_eq(back->pkts.n, 1);
    vtp_result_clear(back);
    free(back);
    vtp_result_clear(&r);
    vtp_spill_remove(dir);
    um_rmdir(dir);
}
END_TEST

/* ---- the queue ---- */

static vtp_queue *open_queue(const char *path)
{
    char why[512] = "";
    vtp_queue *q = vtp_queue_open(path, why, sizeof(why));
    ck_assert_msg(q != NULL, "%s", why);
    return q;
}

static int count_one(void *opaque, const vtp_job_info *info)
{
    (void)info;
    ++*(int *)opaque;
    return 0;
}

static int count_jobs(vtp_queue *q)
{
    int n = 0;
    ck_assert_int_eq(vtp_queue_list(q, NULL, 0, count_one, &n), 0);
    return n;
}

static void assert_state(vtp_queue *q, int64_t id, const char *state, int64_t segments_done)
{
    vtp_job_info info;
    ck_assert_int_eq(vtp_queue_get(q, id, &info), 1);
    ck_assert_str_eq(info.state, state);
    ck_assert_int_eq(info.segments_done, segments_done);
    vtp_job_info_clear(&info);
}

/* Whether another connection (another process) can write: the queue left
 * no transaction open. */
static void assert_unlocked(const char *db)
{
    sqlite3 *c = NULL;
    ck_assert_int_eq(sqlite3_open(db, &c), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(c, "BEGIN IMMEDIATE; ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_close(c), SQLITE_OK);
}

static void assert_intact(const char *db)
{
    sqlite3 *c = NULL;
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_open(db, &c), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(c, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    ck_assert_int_eq(sqlite3_close(c), SQLITE_OK);
}

/* Fills what the queue's capped file has left with segments of job id
 * (from index `from`), as small as they come, until one does not fit.
 * The table is still the one page it started with, which the cap keeps
 * from splitting: any row more needs a page the file cannot have.
 * Returns how many fitted; never loops for ever. */
static int fill_segments(vtp_queue *q, int64_t id, int64_t from)
{
    int ret = 0, n = 0;
    while (n < 10000 && (ret = vtp_queue_segment_done(q, id, from + n, "x", 0, 0)) == 0)
        n++;
    ck_assert_int_eq(ret, AVERROR(ENOSPC));
    return n;
}

/* With the database full, every write that needs room fails with
 * AVERROR(ENOSPC) at once (no crash, no wait), changes nothing (a batch of
 * jobs or a segment with its count: all or none), and leaves the running
 * job as it was; with room again, the same calls work. */
START_TEST(test_faults_queue_full)
{
    char *dir = make_dir(), db[PATH_MAX + 16];
    char spec[1200], error[3000];
    snprintf(db, sizeof(db), "%s/queue.db", dir);
    memset(spec, 'j', sizeof(spec) - 1);
    spec[sizeof(spec) - 1] = 0;
    memset(error, 'e', sizeof(error) - 1);
    error[sizeof(error) - 1] = 0;
    vtp_queue *q = open_queue(db);
    int64_t id = 0, more = 0;
    ck_assert_int_eq(vtp_queue_submit(q, "{}", 0, &id), 0);
    ck_assert_int_eq(vtp_queue_set_state(q, id, "running", NULL), 0);
    ck_assert_int_eq(vtp_queue_segment_done(q, id, 0, "seg-00000000.vtpr", 0, 5), 0);

    int64_t cap = vtp_queue_max_pages(q, 1);        /* at the size it has */
    ck_assert_int_gt(cap, 1);

    /* Jobs come until one does not fit: an error at once. */
    int jobs = 1, ret = 0;
    while (jobs < 10000 && (ret = vtp_queue_submit(q, spec, 0, &more)) == 0)
        jobs++;
    ck_assert_int_eq(ret, AVERROR(ENOSPC));
    ck_assert_int_eq(count_jobs(q), jobs);

    /* A batch that does not fit: none of it stays. */
    const char *specs[] = {"{}", spec, spec};
    const int prios[] = {0, 0, 0};
    int64_t ids[] = {-1, -1, -1};
    ck_assert_int_eq(vtp_queue_submit_many(q, specs, prios, 3, ids), AVERROR(ENOSPC));
    ck_assert(ids[0] == 0 && ids[1] == 0 && ids[2] == 0);
    ck_assert_int_eq(count_jobs(q), jobs);
    assert_unlocked(db);

    /* A segment that does not fit is not recorded, nor counted; a failure
     * that cannot be recorded leaves the job running, as it was. */
    int fitted = fill_segments(q, id, 1);
    char *path = NULL;
    ck_assert_int_eq(vtp_queue_segment_path(q, id, 1 + fitted, &path, NULL, NULL), 0);
    assert_unlocked(db);
    ck_assert_int_eq(vtp_queue_set_state(q, id, "failed", error), AVERROR(ENOSPC));
    assert_state(q, id, "running", 1 + fitted);
    ck_assert_int_eq(vtp_queue_segment_path(q, id, 0, &path, NULL, NULL), 1);
    ck_assert_str_eq(path, "seg-00000000.vtpr");
    free(path);

    /* Room again: the same writes go through. */
    ck_assert_int_lt(vtp_queue_max_pages(q, cap), cap);
    ck_assert_int_eq(vtp_queue_submit(q, spec, 0, &more), 0);
    ck_assert_int_eq(vtp_queue_submit_many(q, specs, prios, 3, ids), 0);
    ck_assert_int_eq(count_jobs(q), jobs + 4);
    ck_assert_int_eq(vtp_queue_segment_done(q, id, 1 + fitted, "x", 0, 0), 0);
    ck_assert_int_eq(vtp_queue_set_state(q, id, "failed", error), 0);
    assert_state(q, id, "failed", 2 + fitted);
    vtp_queue_close(&q);
    assert_intact(db);
    um_rmdir(dir);
}
END_TEST

/* ---- a job to its end ---- */

typedef struct ended {
    int n;
    int status;
    int finished;           /* vtp_job_finished() when it ended */
    char why[1024];
} ended;

static void on_end(void *opaque, vtp_job *job, int status, const char *why)
{
    ended *e = opaque;
    e->n++;
    e->status = status;
    e->finished = vtp_job_finished(job);
    snprintf(e->why, sizeof(e->why), "%s", why ? why : "");
}

/* A job of the queue, as a service runs it: 2 s of ffv1 input, its
 * results stored in spill and recorded in q. */
typedef struct rig {
    char *dir;
    char in[PATH_MAX], out[PATH_MAX], tmp[PATH_MAX], spill[PATH_MAX], db[PATH_MAX];
    vtp_queue *q;
    int64_t id;
    vtp_enc_opts opts;
} rig;

static void rig_open(rig *r)
{
    memset(r, 0, sizeof(*r));
    r->dir = make_dir();
    snprintf(r->in, sizeof(r->in), "%s/in.mkv", r->dir);
    snprintf(r->out, sizeof(r->out), "%s/out.mkv", r->dir);
    snprintf(r->spill, sizeof(r->spill), "%s/job-1", r->dir);
    snprintf(r->db, sizeof(r->db), "%s/queue.db", r->dir);
    char *tmp = vtp_joiner_temp_path(r->out, "job1");
    ck_assert_ptr_nonnull(tmp);
    snprintf(r->tmp, sizeof(r->tmp), "%s", tmp);
    free(tmp);
    ck_assert_int_eq(um_write_video(r->in, "ffv1", 32, 24, 20, 10), 0);
    r->q = open_queue(r->db);
    ck_assert_int_eq(vtp_queue_submit(r->q, "{}", 0, &r->id), 0);
    ck_assert_int_eq(r->id, 1);
    ck_assert_int_eq(vtp_queue_set_state(r->q, r->id, "running", NULL), 0);
    vtp_enc_opts_init(&r->opts);
    r->opts.encoder = strdup("ffv1");
}

static void rig_close(rig *r)
{
    vtp_queue_close(&r->q);
    vtp_enc_opts_clear(&r->opts);
    vtp_spill_remove(r->spill);
    um_rmdir(r->dir);
}


/* Runs the job to its end (resumed: overwrite, as a service resumes a
 * running job) with the test as its one worker; returns how many segments
 * the worker was sent. */
static int run_job(rig *r, int resumed, ended *e)
{
    char why[1024] = "";
    int err = 0, sent = 0;
    void *zctx = zmq_ctx_new();
    const char *eps[] = {ENDPOINT};
    memset(e, 0, sizeof(*e));
    vtp_dispatcher *d = vtp_dispatcher_new(&(vtp_dispatcher_cfg){
        .zctx = zctx, .endpoints = eps, .nendpoints = 1, .liveness = 1000000,
        .on_end = on_end, .opaque = e});
    ck_assert_ptr_nonnull(d);
    vtp_job *job = vtp_job_open(&(vtp_job_cfg){.id = r->id, .input = r->in, .output = r->out,
                                               .opts = &r->opts,
                                               .encoders = vtp_worker_encoders(),
                                               .audio = "none", .segment_seconds = 0.5,
                                               .fixed_segments = 1, .overwrite = resumed,
                                               .window = 4, .spill_dir = r->spill,
                                               .queue = r->q},
                                &err, why, sizeof(why));
    ck_assert_msg(job != NULL, "%s", why);
    ck_assert_int_eq(vtp_dispatcher_add(d, job, 0), 0);
    void *peer = up_ready_peer(zctx, ENDPOINT, "worker", 1);
    while (e->n == 0) {
        vtp_segment seg;
        ck_assert_int_ge(vtp_dispatcher_poll(d, NULL, 0, 10), 0);
        ck_assert_int_eq(vtp_dispatcher_step(d), 0);
        if (up_took_segment(peer, &seg) >= 0) {
            up_answer(peer, &seg);
            sent++;
        }
    }
    zmq_close(peer);
    vtp_dispatcher_destroy(&d);
    zmq_ctx_term(zctx);
    return sent;
}

/* How many of the job's segments are stored and recorded (both, or the
 * job could not count on them). */
static int segments_kept(rig *r)
{
    int n = 0;
    for (uint32_t i = 0; i < SEGMENTS; i++) {
        char *path = NULL;
        int recorded = vtp_queue_segment_path(r->q, r->id, i, &path, NULL, NULL);
        ck_assert_int_ge(recorded, 0);
        free(path);
        n += recorded == 1 && vtp_spill_exists(r->spill, i);
    }
    return n;
}

/* The job failed cleanly: an error naming the cause, no output and no
 * temporary file, still running in the queue, not done. */
static void assert_failed_cleanly(rig *r, const ended *e, const char *cause)
{
    ck_assert_int_eq(e->n, 1);
    ck_assert_int_lt(e->status, 0);
    ck_assert_msg(strstr(e->why, cause), "'%s' does not say '%s'", e->why, cause);
    ck_assert(!e->finished);
    ck_assert(!exists(r->out));
    ck_assert(!exists(r->tmp));
    vtp_job_info info;
    ck_assert_int_eq(vtp_queue_get(r->q, r->id, &info), 1);
    ck_assert_str_eq(info.state, "running");
    vtp_job_info_clear(&info);
}

/* Resumed with the fault gone, the job sends only what was not kept,
 * finishes, and only then are its results gone; then, as a service does,
 * it is marked done. */
static void assert_resumes(rig *r, int kept)
{
    ended e;
    int sent = run_job(r, 1, &e);
    ck_assert_msg(e.status == 0, "the resumed job failed: %s", e.why);
    ck_assert(e.finished);
    ck_assert_int_eq(sent, SEGMENTS - kept);
    ck_assert(exists(r->out));
    ck_assert(!exists(r->tmp));
    ck_assert(!exists(r->spill));
    char *path = NULL;
    ck_assert_int_eq(vtp_queue_segment_path(r->q, r->id, 0, &path, NULL, NULL), 0);
    ck_assert_int_eq(vtp_queue_set_state(r->q, r->id, "done", NULL), 0);
}

/* The fsync() of the finished output fails: it is not renamed into place,
 * the job fails, and every result stays stored for the resumed job, which
 * then encodes nothing again. */
START_TEST(test_faults_job_output_fsync)
{
    rig r;
    ended e;
    rig_open(&r);
    snprintf(fsync_fail_files_in, sizeof(fsync_fail_files_in), "%s", r.dir);
    ck_assert_int_eq(run_job(&r, 0, &e), SEGMENTS);
    assert_failed_cleanly(&r, &e, "Input/output error");
    ck_assert_int_eq(segments_kept(&r), SEGMENTS);

    fsync_fail_dir[0] = fsync_fail_files_in[0] = 0;
    assert_resumes(&r, SEGMENTS);
    rig_close(&r);
}
END_TEST

/* The output is renamed into place but the fsync() of its directory
 * fails: the rename might not last, so the output is taken away again and
 * the job fails, its results kept. */
START_TEST(test_faults_job_directory_fsync)
{
    rig r;
    ended e;
    rig_open(&r);
    snprintf(fsync_fail_dir, sizeof(fsync_fail_dir), "%s", r.dir);
    ck_assert_int_eq(run_job(&r, 0, &e), SEGMENTS);
    assert_failed_cleanly(&r, &e, "writing the directory");
    ck_assert_int_eq(segments_kept(&r), SEGMENTS);

    fsync_fail_dir[0] = fsync_fail_files_in[0] = 0;
    assert_resumes(&r, SEGMENTS);
    rig_close(&r);
}
END_TEST

/* The disk is full when the output is written (the muxer may hold the
 * data until the trailer): the job fails with the full disk's code, the
 * results stored so far kept. */
START_TEST(test_faults_job_output_enospc)
{
    rig r;
    ended e;
    rig_open(&r);
    link_to_full_disk(r.tmp);
    run_job(&r, 0, &e);
    assert_failed_cleanly(&r, &e, NO_SPACE);
    ck_assert_int_eq(e.status, AVERROR(ENOSPC));
    assert_dev_full_kept();
    int kept = segments_kept(&r);
    ck_assert_int_ge(kept, 1);      /* the first was stored before it was written */

    assert_resumes(&r, kept);
    rig_close(&r);
}
END_TEST

/* The queue's database is full when a result is to be recorded: the job
 * fails, nothing of it recorded, and it runs again from the start once
 * there is room. */
START_TEST(test_faults_job_queue_full)
{
    rig r;
    ended e;
    rig_open(&r);
    /* Another job's segments take what the file has left. */
    int64_t other = 0;
    ck_assert_int_eq(vtp_queue_submit(r.q, "{}", 0, &other), 0);
    int64_t cap = vtp_queue_max_pages(r.q, 1);
    ck_assert_int_gt(cap, 1);
    fill_segments(r.q, other, 0);

    run_job(&r, 0, &e);
    assert_failed_cleanly(&r, &e, "recording segment");
    ck_assert_int_eq(e.status, AVERROR(ENOSPC));
    ck_assert_int_eq(segments_kept(&r), 0);

    ck_assert_int_lt(vtp_queue_max_pages(r.q, cap), cap);
    assert_resumes(&r, 0);
    rig_close(&r);
}
END_TEST

Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, faults_setup, faults_teardown);
    tcase_add_test(tc, test_faults_file_write);
    tcase_add_test(tc, test_faults_spill_store);
    tcase_add_test(tc, test_faults_queue_full);
    tcase_add_test(tc, test_faults_job_output_fsync);
    tcase_add_test(tc, test_faults_job_directory_fsync);
    tcase_add_test(tc, test_faults_job_output_enospc);
    tcase_add_test(tc, test_faults_job_queue_full);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
