/* queue.c -- the durable job queue (see vtp_queue.h).
 *
 * One SQLite database, schema version 1 (PRAGMA user_version), marked as
 * vtpool's by PRAGMA application_id:
 *
 *   jobs(id INTEGER PRIMARY KEY AUTOINCREMENT, state, priority, spec, error,
 *        submitted, started, finished, segments_done, frames,
 *        media_seconds, total_seconds)
 *   segments(job -> jobs.id, idx, path, cut_start, cut_end; key (job, idx))
 *
 * GUARANTEES
 *  - Every write is one transaction, committed before the call returns,
 *    with the WAL journal synced at each commit (synchronous=FULL), so a
 *    returned id means a stored job, whatever happens to the process next.
 *  - vtp_queue_submit_many() and vtp_queue_segment_done() are atomic: a
 *    failure rolls back all of the call's changes.
 *  - Ids only grow (AUTOINCREMENT): a job id is never handed out twice,
 *    even by several processes sharing the file.
 *  - Schema creation happens under a write lock, so processes opening a new
 *    file at the same moment create it once.
 *  - Every statement is prepared once in vtp_queue_open() and has been
 *    reset (no read transaction left open, no bindings kept) whenever a
 *    function returns or calls a callback.
 */
#include "vtp_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/error.h>
#include <sqlite3.h>

#include "vtp_error.h"
#include "vtp_log.h"

#define APPLICATION_ID 0x56545051   /* 'VTPQ' */
#define BUSY_TIMEOUT_MS 5000
#define BATCH 32                    /* rows read before running callbacks */

#define JOB_COLUMNS \
    "id, state, priority, spec, error, submitted, started, finished, segments_done, frames, " \
    "media_seconds, total_seconds"

static const char schema_sql[] =
    "CREATE TABLE jobs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),"
    " priority INTEGER NOT NULL,"
    " spec TEXT NOT NULL,"
    " error TEXT,"
    " submitted REAL NOT NULL,"
    " started REAL NOT NULL DEFAULT 0,"
    " finished REAL NOT NULL DEFAULT 0,"
    " segments_done INTEGER NOT NULL DEFAULT 0,"
    " frames INTEGER NOT NULL DEFAULT 0,"
    " media_seconds REAL NOT NULL DEFAULT 0,"
    " total_seconds REAL NOT NULL DEFAULT 0);"
    "CREATE INDEX jobs_order ON jobs (state, priority DESC, id);"
    "CREATE TABLE segments ("
    " job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
    " idx INTEGER NOT NULL,"
    " path TEXT NOT NULL,"
    " cut_start INTEGER NOT NULL,"
    " cut_end INTEGER NOT NULL,"
    " PRIMARY KEY (job, idx)) WITHOUT ROWID;";

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_INSERT,
    ST_NEXT,
    ST_RUNNING,
    ST_SET_STATE,
    ST_PROGRESS,
    ST_EXISTS,
    ST_SEG_INSERT,
    ST_SEG_COUNT,
    ST_SEG_HAS,
    ST_SEG_PATH,
    ST_SEG_FORGET,
    ST_GET,
    ST_LIST,
    ST_CANCEL,
    ST_STATES,
    ST_IN_STATE,
    ST_COUNT
};

static const char *const statement_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_INSERT] = "INSERT INTO jobs (state, priority, spec, submitted) VALUES ('queued', ?1, ?2, ?3)",
    [ST_NEXT] = "SELECT " JOB_COLUMNS " FROM jobs WHERE state = 'queued'"
                " ORDER BY priority DESC, id",
    [ST_RUNNING] = "SELECT " JOB_COLUMNS " FROM jobs WHERE state = 'running'"
                   " AND (priority < ?1 OR (priority = ?1 AND id > ?2))"
                   " ORDER BY priority DESC, id LIMIT ?3",
    [ST_SET_STATE] = "UPDATE jobs SET state = ?1, error = ?2,"
                     " started = CASE WHEN ?1 = 'queued' THEN 0"
                     "  WHEN ?1 = 'running' AND NOT (state = 'running' AND started > 0) THEN ?3"
                     "  ELSE started END,"
                     " finished = CASE WHEN ?1 IN ('queued', 'running') THEN 0 ELSE ?3 END"
                     " WHERE id = ?4",
    [ST_PROGRESS] = "UPDATE jobs SET frames = ?2, media_seconds = ?3, total_seconds = ?4"
                    " WHERE id = ?1",
    [ST_EXISTS] = "SELECT 1 FROM jobs WHERE id = ?1",
    [ST_SEG_INSERT] = "INSERT OR REPLACE INTO segments (job, idx, path, cut_start, cut_end)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_SEG_COUNT] = "UPDATE jobs SET segments_done = segments_done + 1 WHERE id = ?1",
    [ST_SEG_HAS] = "SELECT 1 FROM segments WHERE job = ?1 AND idx = ?2",
    [ST_SEG_PATH] = "SELECT path, cut_start, cut_end FROM segments WHERE job = ?1 AND idx = ?2",
    [ST_SEG_FORGET] = "DELETE FROM segments WHERE job = ?1",
    [ST_GET] = "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1",
    [ST_LIST] = "SELECT " JOB_COLUMNS " FROM jobs WHERE id < ?1 AND (?2 IS NULL OR state = ?2)"
                " ORDER BY id DESC LIMIT ?3",
    [ST_CANCEL] = "UPDATE jobs SET state = 'cancelled', finished = ?2"
                  " WHERE id = ?1 AND state IN ('queued', 'running')",
    [ST_STATES] = "SELECT state, count(*) FROM jobs GROUP BY state",
    [ST_IN_STATE] = "SELECT count(*) FROM jobs WHERE state = ?1",
};

static const char *const states[] = {"queued", "running", "done", "failed", "cancelled"};

struct vtp_queue {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *st[ST_COUNT];
    pthread_mutex_t mu;     /* one call at a time: the dispatcher's thread
                               and the jobs' media threads share the queue */
};

void vtp_job_info_clear(vtp_job_info *i)
{
    free(i->spec);
    free(i->error);
    memset(i, 0, sizeof(*i));
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int known_state(const char *s)
{
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        if (!strcmp(s, states[i]))
            return 1;
    return 0;
}

/* Logs SQLite's message for a failed rc and returns vtpool's code for it. */
static int db_error(const vtp_queue *q, int rc, const char *what)
{
    vtp_log(VTP_LOG_ERROR, "job queue '%s': %s: %s", q->path, what, sqlite3_errmsg(q->db));
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return VTP_ERR_NOMEM;
    case SQLITE_FULL:
        return AVERROR(ENOSPC);
    default:
        return VTP_ERR_OUTPUT;
    }
}

/* Makes st reusable: resets it and drops its bindings. */
static void finish(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows. */
static int exec_st(vtp_queue *q, int which, const char *what)
{
    sqlite3_stmt *st = q->st[which];
    int rc = sqlite3_step(st);
    finish(st);
    return rc == SQLITE_DONE ? 0 : db_error(q, rc, what);
}

static int begin(vtp_queue *q, const char *what)
{
    return exec_st(q, ST_BEGIN, what);
}

static int commit(vtp_queue *q, const char *what)
{
    return exec_st(q, ST_COMMIT, what);
}

/* Ends a failed transaction (if one is open) and returns err. */
static int rollback(vtp_queue *q, int err)
{
    if (!sqlite3_get_autocommit(q->db)) {
        int rc = sqlite3_step(q->st[ST_ROLLBACK]);
        finish(q->st[ST_ROLLBACK]);
        if (rc != SQLITE_DONE)
            db_error(q, rc, "cannot roll back");
    }
    return err;
}

/* Fills info from the current row of a JOB_COLUMNS query. */
static int read_info(sqlite3_stmt *st, vtp_job_info *info)
{
    const char *state = (const char *)sqlite3_column_text(st, 1);
    const char *spec = (const char *)sqlite3_column_text(st, 3);
    const char *error = (const char *)sqlite3_column_text(st, 4);

    memset(info, 0, sizeof(*info));
    info->id = sqlite3_column_int64(st, 0);
    snprintf(info->state, sizeof(info->state), "%s", state ? state : "");
    info->priority = sqlite3_column_int(st, 2);
    info->submitted = sqlite3_column_double(st, 5);
    info->started = sqlite3_column_double(st, 6);
    info->finished = sqlite3_column_double(st, 7);
    info->segments_done = sqlite3_column_int64(st, 8);
    info->frames = sqlite3_column_int64(st, 9);
    info->media_seconds = sqlite3_column_double(st, 10);
    info->total_seconds = sqlite3_column_double(st, 11);
    if (!(info->spec = strdup(spec ? spec : "")) || (error && !(info->error = strdup(error)))) {
        vtp_job_info_clear(info);
        return VTP_ERR_NOMEM;
    }
    return 0;
}

/* Steps st (already bound) for up to max rows into infos; *n receives the
 * count. The statement is reset in all cases. */
static int fetch_batch(vtp_queue *q, sqlite3_stmt *st, vtp_job_info *infos, int max, int *n,
                       const char *what)
{
    int ret = 0, rc = SQLITE_DONE;
    *n = 0;
    while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((ret = read_info(st, &infos[*n])) < 0)
            break;
        (*n)++;
    }
    if (!ret && *n < max && rc != SQLITE_DONE)
        ret = db_error(q, rc, what);
    finish(st);
    if (ret < 0) {
        for (int i = 0; i < *n; i++)
            vtp_job_info_clear(&infos[i]);
        *n = 0;
    }
    return ret;
}

/* Whether job id exists: 1, 0, or an error. */
static int job_exists(vtp_queue *q, int64_t id)
{
    sqlite3_stmt *st = q->st[ST_EXISTS];
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    finish(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : db_error(q, rc, "cannot look up a job");
}

/* ---- opening ---- */

static void open_why(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void open_why(char *why, size_t size, const char *fmt, ...)
{
    if (!why || !size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    for (char *p = why; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
}

/* The file's schema version, application id and number of schema objects,
 * read in one statement so that they come from one snapshot (another
 * process may be creating the schema at the same moment). */
static int read_header(sqlite3 *db, int64_t *version, int64_t *app, int64_t *objects)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT (SELECT user_version FROM pragma_user_version),"
                                " (SELECT application_id FROM pragma_application_id),"
                                " (SELECT count(*) FROM sqlite_master)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *version = sqlite3_column_int64(st, 0);
            *app = sqlite3_column_int64(st, 1);
            *objects = sqlite3_column_int64(st, 2);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Switches to the WAL journal; SQLITE_OK, SQLITE_MISUSE if SQLite kept
 * another mode (a file system without shared memory), or SQLite's error. */
static int set_wal(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        rc = mode && !strcmp(mode, "wal") ? SQLITE_OK : SQLITE_MISUSE;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Whether rc says another connection holds a lock (worth trying again). */
static int is_busy(int rc)
{
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* A reason for SQLite's failure rc while opening; ends a transaction left
 * open. Returns 1 if another connection was in the way, else -1. */
static int setup_failed(vtp_queue *q, int rc, char *why, size_t why_size)
{
    if ((rc & 0xff) == SQLITE_NOTADB)
        open_why(why, why_size, "'%s' is not a vtpool job queue (%s)", q->path,
                 sqlite3_errmsg(q->db));
    else
        open_why(why, why_size, "cannot open job queue '%s': %s", q->path, sqlite3_errmsg(q->db));
    if (!sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    return is_busy(rc) ? 1 : -1;
}

/* Reads the schema version into *version (0: a new, empty file) and checks
 * that the file is a queue this build knows, without writing to it.
 * Returns 0, 1 if another connection was in the way, or -1 (refused). */
static int identify(vtp_queue *q, int64_t *version, char *why, size_t why_size)
{
    int64_t app = 0, objects = 0;
    int rc;

    if ((rc = read_header(q->db, version, &app, &objects)) != SQLITE_OK)
        return setup_failed(q, rc, why, why_size);
    if (*version == 0 && app == 0 && objects == 0)
        return 0;
    if (app != APPLICATION_ID) {
        open_why(why, why_size, "'%s' is an SQLite database but not a vtpool job queue", q->path);
        return -1;
    }
    if (*version > VTP_QUEUE_SCHEMA_VERSION) {
        open_why(why, why_size,
                 "job queue '%s' has schema version %lld, newer than this vtpool knows (%d); "
                 "use a newer vtpool", q->path, (long long)*version, VTP_QUEUE_SCHEMA_VERSION);
        return -1;
    }
    if (*version != VTP_QUEUE_SCHEMA_VERSION) {
        open_why(why, why_size, "job queue '%s' has an unknown schema version %lld", q->path,
                 (long long)*version);
        return -1;
    }
    return 0;
}

/* Creates the schema in a new file, under the write lock (looking again
 * there: another process may have been first). Returns 0, 1 if another
 * connection was in the way, or -1. */
static int create_schema(vtp_queue *q, char *why, size_t why_size)
{
    int64_t version = 0;
    char sql[128];
    int rc, r;

    if ((rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
        return setup_failed(q, rc, why, why_size);
    if ((r = identify(q, &version, why, why_size)) != 0) {
        if (!sqlite3_get_autocommit(q->db))
            sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
    }
    if (version == 0) {
        snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d;",
                 APPLICATION_ID, VTP_QUEUE_SCHEMA_VERSION);
        if ((rc = sqlite3_exec(q->db, schema_sql, NULL, NULL, NULL)) != SQLITE_OK ||
            (rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
            return setup_failed(q, rc, why, why_size);
    }
    if ((rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
        return setup_failed(q, rc, why, why_size);
    return 0;
}

/* Sets up the connection: checks what the file is (before changing
 * anything in it), then WAL journal, synced commits, foreign keys, and the
 * schema if the file is new. Returns 0, 1 if another connection was in the
 * way (switching the journal mode, or a WAL recovery, can report "locked"
 * at once, without the busy timeout), or -1; with a reason in why. */
static int setup(vtp_queue *q, char *why, size_t why_size)
{
    int64_t version = 0;
    int r = identify(q, &version, why, why_size);
    if (r != 0)
        return r;
    int rc = set_wal(q->db);
    if (rc == SQLITE_MISUSE) {
        open_why(why, why_size, "job queue '%s': the file system does not support SQLite's "
                 "WAL journal", q->path);
        return -1;
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(q->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", NULL,
                          NULL, NULL);
    if (rc != SQLITE_OK)
        return setup_failed(q, rc, why, why_size);
    return version == 0 ? create_schema(q, why, why_size) : 0;
}

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

vtp_queue *vtp_queue_open(const char *path, char *why, size_t why_size)
{
    vtp_queue *q = calloc(1, sizeof(*q));
    int rc;

    if (why && why_size)
        why[0] = 0;
    if (!q || !path || !(q->path = strdup(path))) {
        open_why(why, why_size, "%s", path ? "out of memory" : "no queue path given");
        free(q);
        return NULL;
    }
    pthread_mutex_init(&q->mu, NULL);
    rc = sqlite3_open_v2(path, &q->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        open_why(why, why_size, "cannot open job queue '%s': %s", path,
                 q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
    /* Retried with growing pauses (1 to 50 ms) for as long as the busy
     * timeout, while other processes hold the locks setup needs. */
    double deadline = monotonic() + BUSY_TIMEOUT_MS / 1000.0;
    for (long pause_ms = 1;; pause_ms = pause_ms < 50 ? pause_ms * 2 : 50) {
        int r = setup(q, why, why_size);
        if (r == 0)
            break;
        if (r < 0 || monotonic() + pause_ms / 1000.0 > deadline)
            goto fail;
        struct timespec pause = {0, pause_ms * 1000000L};
        nanosleep(&pause, NULL);
    }
    for (int i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(q->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q->st[i],
                                NULL);
        if (rc != SQLITE_OK) {
            open_why(why, why_size, "job queue '%s' does not have the expected tables: %s", path,
                     sqlite3_errmsg(q->db));
            goto fail;
        }
    }
    return q;
fail:
    vtp_queue_close(&q);
    return NULL;
}

void vtp_queue_close(vtp_queue **q)
{
    if (!q || !*q)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize((*q)->st[i]);
    sqlite3_close_v2((*q)->db);
    pthread_mutex_destroy(&(*q)->mu);
    free((*q)->path);
    free(*q);
    *q = NULL;
}

/* ---- submitting ---- */

/* Inserts one job (inside or outside a transaction). */
static int insert_job(vtp_queue *q, const char *spec_json, int priority, int64_t *id)
{
    sqlite3_stmt *st = q->st[ST_INSERT];

    if (!spec_json || !*spec_json)
        return VTP_ERR_USAGE;
    int rc = sqlite3_bind_int(st, 1, priority);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 2, spec_json, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double(st, 3, now());
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    finish(st);
    if (rc != SQLITE_DONE)
        return db_error(q, rc, "cannot submit a job");
    if (id)
        *id = sqlite3_last_insert_rowid(q->db);
    return 0;
}

static int submit_many_locked(vtp_queue *q, const char *const *specs, const int *priorities,
                              int n, int64_t *ids)
{
    int ret;

    if (n < 0 || (n > 0 && (!specs || !priorities || !ids)))
        return VTP_ERR_USAGE;
    if (n == 0)
        return 0;
    if ((ret = begin(q, "cannot submit jobs")) < 0)
        return ret;
    for (int i = 0; i < n; i++) {
        if ((ret = insert_job(q, specs[i], priorities[i], &ids[i])) < 0)
            goto fail;
    }
    if ((ret = commit(q, "cannot submit jobs")) < 0)
        goto fail;
    return 0;
fail:
    memset(ids, 0, (size_t)n * sizeof(*ids));
    return rollback(q, ret);
}

/* ---- reading ---- */

static int next_locked(vtp_queue *q, const int64_t *skip, int nskip, vtp_job_info *info)
{
    sqlite3_stmt *st = q->st[ST_NEXT];
    int rc, ret = 0;

    if (nskip < 0 || (nskip > 0 && !skip))
        return VTP_ERR_USAGE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        int skipped = 0;
        for (int i = 0; i < nskip && !skipped; i++)
            skipped = skip[i] == id;
        if (skipped)
            continue;
        ret = read_info(st, info);
        finish(st);
        return ret < 0 ? ret : 1;
    }
    finish(st);
    return rc == SQLITE_DONE ? 0 : db_error(q, rc, "cannot read the queue");
}

static int count_locked(vtp_queue *q, int64_t counts[VTP_QUEUE_STATES])
{
    sqlite3_stmt *st = q->st[ST_STATES];
    int rc;

    memset(counts, 0, VTP_QUEUE_STATES * sizeof(*counts));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 0);
        for (int k = 0; state && k < VTP_QUEUE_STATES; k++)
            if (strcmp(state, states[k]) == 0)
                counts[k] = sqlite3_column_int64(st, 1);
    }
    finish(st);
    return rc == SQLITE_DONE ? 0 : db_error(q, rc, "cannot count the jobs");
}

static int64_t count_in_locked(vtp_queue *q, const char *state)
{
    sqlite3_stmt *st = q->st[ST_IN_STATE];
    sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    finish(st);
    return rc == SQLITE_ROW ? n : db_error(q, rc, "cannot count the jobs");
}

static int get_locked(vtp_queue *q, int64_t id, vtp_job_info *info)
{
    sqlite3_stmt *st = q->st[ST_GET];
    int ret;

    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        ret = read_info(st, info) < 0 ? VTP_ERR_NOMEM : 1;
    else
        ret = rc == SQLITE_DONE ? 0 : db_error(q, rc, "cannot read a job");
    finish(st);
    return ret;
}

/* Calls cb for each of infos[0..n) until one returns a negative value;
 * clears them all. Returns that value or 0. */
static int run_callbacks(vtp_job_info *infos, int n,
                         int (*cb)(void *opaque, const vtp_job_info *info), void *opaque)
{
    int ret = 0;
    for (int i = 0; i < n; i++) {
        if (ret >= 0) {
            int r = cb(opaque, &infos[i]);
            if (r < 0)
                ret = r;
        }
        vtp_job_info_clear(&infos[i]);
    }
    return ret;
}

int vtp_queue_running(vtp_queue *q, int (*cb)(void *opaque, const vtp_job_info *info), void *opaque)
{
    vtp_job_info infos[BATCH];
    sqlite3_stmt *st = q->st[ST_RUNNING];
    int64_t after_priority = INT64_MAX, after_id = 0;
    int n, ret;

    if (!cb)
        return VTP_ERR_USAGE;
    do {
        pthread_mutex_lock(&q->mu);
        sqlite3_bind_int64(st, 1, after_priority);
        sqlite3_bind_int64(st, 2, after_id);
        sqlite3_bind_int(st, 3, BATCH);
        ret = fetch_batch(q, st, infos, BATCH, &n, "cannot read running jobs");
        pthread_mutex_unlock(&q->mu);
        if (ret < 0)
            return ret;
        if (n > 0) {
            after_priority = infos[n - 1].priority;
            after_id = infos[n - 1].id;
        }
        if ((ret = run_callbacks(infos, n, cb, opaque)) < 0)
            return ret;
    } while (n == BATCH);
    return 0;
}

int vtp_queue_list(vtp_queue *q, const char *state, int limit,
                   int (*cb)(void *opaque, const vtp_job_info *info), void *opaque)
{
    vtp_job_info infos[BATCH];
    sqlite3_stmt *st = q->st[ST_LIST];
    int64_t before_id = INT64_MAX, left = limit > 0 ? limit : INT64_MAX;
    int n, ret;

    if (!cb || (state && !known_state(state)))
        return VTP_ERR_USAGE;
    do {
        int want = left < BATCH ? (int)left : BATCH;
        pthread_mutex_lock(&q->mu);
        sqlite3_bind_int64(st, 1, before_id);
        if (state)
            sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, want);
        ret = fetch_batch(q, st, infos, want, &n, "cannot list jobs");
        pthread_mutex_unlock(&q->mu);
        if (ret < 0)
            return ret;
        if (n > 0)
            before_id = infos[n - 1].id;
        left -= n;
        if ((ret = run_callbacks(infos, n, cb, opaque)) < 0)
            return ret;
        if (n < want)
            break;
    } while (left > 0);
    return 0;
}

/* ---- changing jobs ---- */

/* Runs an UPDATE already bound; 0, VTP_ERR_USAGE if it matched no row, or
 * an error. */
static int update_one(vtp_queue *q, int which, const char *what)
{
    int ret = exec_st(q, which, what);
    if (ret < 0)
        return ret;
    return sqlite3_changes(q->db) > 0 ? 0 : VTP_ERR_USAGE;
}

static int set_state_locked(vtp_queue *q, int64_t id, const char *state, const char *error)
{
    sqlite3_stmt *st = q->st[ST_SET_STATE];

    if (!state || !known_state(state))
        return VTP_ERR_USAGE;
    sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    if (error)
        sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, now());
    sqlite3_bind_int64(st, 4, id);
    return update_one(q, ST_SET_STATE, "cannot set a job's state");
}

static int set_progress_locked(vtp_queue *q, int64_t id, int64_t frames, double media_seconds,
                               double total_seconds)
{
    sqlite3_stmt *st = q->st[ST_PROGRESS];

    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, frames);
    sqlite3_bind_double(st, 3, media_seconds);
    sqlite3_bind_double(st, 4, total_seconds);
    return update_one(q, ST_PROGRESS, "cannot record progress");
}

static int cancel_locked(vtp_queue *q, int64_t id)
{
    sqlite3_stmt *st = q->st[ST_CANCEL];

    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_double(st, 2, now());
    int ret = update_one(q, ST_CANCEL, "cannot cancel a job");
    if (ret == 0)
        return 1;
    if (ret != VTP_ERR_USAGE)
        return ret;
    ret = job_exists(q, id);
    return ret < 0 ? ret : ret ? 0 : VTP_ERR_USAGE;
}

/* ---- segments ---- */

static int segment_done_locked(vtp_queue *q, int64_t id, int64_t idx, const char *path,
                               int64_t cut_start, int64_t cut_end)
{
    const char *what = "cannot record a finished segment";
    sqlite3_stmt *st = q->st[ST_SEG_INSERT];
    int ret;

    if (idx < 0 || !path || !*path)
        return VTP_ERR_USAGE;
    if ((ret = begin(q, what)) < 0)
        return ret;
    if ((ret = job_exists(q, id)) <= 0)
        return rollback(q, ret < 0 ? ret : VTP_ERR_USAGE);
    /* Counted as it comes (a segment stored again replaces its row and is
     * not counted twice), not by counting the job's rows on every insert,
     * which made a job of n segments cost n^2. */
    sqlite3_stmt *has = q->st[ST_SEG_HAS];
    sqlite3_bind_int64(has, 1, id);
    sqlite3_bind_int64(has, 2, idx);
    int rc = sqlite3_step(has);
    sqlite3_reset(has);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rollback(q, db_error(q, rc, what));
    int is_new = rc == SQLITE_DONE;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, idx);
    sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, cut_start);
    sqlite3_bind_int64(st, 5, cut_end);
    if ((ret = exec_st(q, ST_SEG_INSERT, what)) < 0)
        return rollback(q, ret);
    sqlite3_bind_int64(q->st[ST_SEG_COUNT], 1, id);
    if ((is_new && (ret = exec_st(q, ST_SEG_COUNT, what)) < 0) || (ret = commit(q, what)) < 0)
        return rollback(q, ret);
    return 0;
}

static int segment_path_locked(vtp_queue *q, int64_t id, int64_t idx, char **path,
                               int64_t *cut_start, int64_t *cut_end)
{
    sqlite3_stmt *st = q->st[ST_SEG_PATH];
    int ret = 0;

    *path = NULL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, idx);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 0);
        ret = (*path = strdup(p ? p : "")) ? 1 : VTP_ERR_NOMEM;
        if (cut_start)
            *cut_start = sqlite3_column_int64(st, 1);
        if (cut_end)
            *cut_end = sqlite3_column_int64(st, 2);
    } else if (rc != SQLITE_DONE) {
        ret = db_error(q, rc, "cannot read a segment");
    }
    finish(st);
    return ret;
}

static int forget_segments_locked(vtp_queue *q, int64_t id)
{
    sqlite3_bind_int64(q->st[ST_SEG_FORGET], 1, id);
    return exec_st(q, ST_SEG_FORGET, "cannot forget segments");
}

/* ---- one call at a time ---- */

#define LOCKED(call)                                                                              \
    do {                                                                                          \
        pthread_mutex_lock(&q->mu);                                                               \
        int ret_ = (call);                                                                        \
        pthread_mutex_unlock(&q->mu);                                                             \
        return ret_;                                                                              \
    } while (0)

int vtp_queue_submit(vtp_queue *q, const char *spec_json, int priority, int64_t *id)
{
    LOCKED(insert_job(q, spec_json, priority, id));
}

int vtp_queue_submit_many(vtp_queue *q, const char *const *specs, const int *priorities, int n,
                          int64_t *ids)
{
    LOCKED(submit_many_locked(q, specs, priorities, n, ids));
}

int vtp_queue_next(vtp_queue *q, const int64_t *skip, int nskip, vtp_job_info *info)
{
    LOCKED(next_locked(q, skip, nskip, info));
}

int vtp_queue_count(vtp_queue *q, int64_t counts[VTP_QUEUE_STATES])
{
    LOCKED(count_locked(q, counts));
}

int64_t vtp_queue_count_in(vtp_queue *q, const char *state)
{
    if (!known_state(state))
        return VTP_ERR_USAGE;
    pthread_mutex_lock(&q->mu);
    int64_t n = count_in_locked(q, state);     /* 64 bits: not LOCKED's int */
    pthread_mutex_unlock(&q->mu);
    return n;
}

const char *vtp_queue_state_name(int k)
{
    return k >= 0 && k < VTP_QUEUE_STATES ? states[k] : NULL;
}

int vtp_queue_get(vtp_queue *q, int64_t id, vtp_job_info *info)
{
    LOCKED(get_locked(q, id, info));
}

int vtp_queue_set_state(vtp_queue *q, int64_t id, const char *state, const char *error)
{
    LOCKED(set_state_locked(q, id, state, error));
}

int vtp_queue_set_progress(vtp_queue *q, int64_t id, int64_t frames, double media_seconds,
                           double total_seconds)
{
    LOCKED(set_progress_locked(q, id, frames, media_seconds, total_seconds));
}

int vtp_queue_cancel(vtp_queue *q, int64_t id)
{
    LOCKED(cancel_locked(q, id));
}

int vtp_queue_segment_done(vtp_queue *q, int64_t id, int64_t idx, const char *path,
                           int64_t cut_start, int64_t cut_end)
{
    LOCKED(segment_done_locked(q, id, idx, path, cut_start, cut_end));
}

int vtp_queue_segment_path(vtp_queue *q, int64_t id, int64_t idx, char **path,
                           int64_t *cut_start, int64_t *cut_end)
{
    LOCKED(segment_path_locked(q, id, idx, path, cut_start, cut_end));
}

int vtp_queue_forget_segments(vtp_queue *q, int64_t id)
{
    LOCKED(forget_segments_locked(q, id));
}

/* ---- tests only ---- */

/* PRAGMA max_page_count: sets the cap when pages > 0; the cap after. */
static int64_t page_cap(vtp_queue *q, int64_t pages)
{
    char sql[64];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)(pages > 0 ? pages : 0));
    int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
    int64_t cap = rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW
                      ? sqlite3_column_int64(st, 0)
                      : db_error(q, rc, "cannot cap the file");
    sqlite3_finalize(st);
    return cap;
}

int64_t vtp_queue_max_pages(vtp_queue *q, int64_t pages)
{
    pthread_mutex_lock(&q->mu);
    int64_t before = page_cap(q, 0);
    int64_t after = before > 0 && pages > 0 ? page_cap(q, pages) : 0;
    pthread_mutex_unlock(&q->mu);
    return after < 0 ? after : before;
}
