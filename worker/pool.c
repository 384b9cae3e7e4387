/* pool.c -- per-core worker threads fed through ZeroMQ (see vtp_pool.h).
 *
 * DESIGN
 * One thread per core, each a load-balancing worker from the ZeroMQ guide:
 * a DEALER that says READY and then answers every SEGMENT with a RESULT.
 * A second socket per thread, an inproc PAIR, is its control pipe: the pool
 * sends STOP there and the thread leaves its loop. A segment being encoded
 * when the stop comes is cancelled through an atomic flag the pipeline
 * checks between frames, so destroy never waits for a whole segment.
 */
#include "vtp_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "vtp_error.h"
#include "vtp_log.h"
#include "vtp_pipeline.h"
#include "vtp_proto.h"
#include "vtp_zsock.h"

typedef struct worker {
    struct vtp_pool *pool;
    int id;
    pthread_t thread;
    int started;
    void *pipe;                 /* pool's end of the control pipe */
    char pipe_ep[64];
} worker;

struct vtp_pool {
    void *zctx;
    char *endpoint;
    int n;
    worker *workers;
    atomic_int cancel;          /* set by destroy: abandon the current segment */
    pthread_mutex_t lock;       /* guards ready, failed */
    pthread_cond_t cond;
    int ready;
    int failed;
};

int vtp_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void report_start(vtp_pool *pool, int ok)
{
    pthread_mutex_lock(&pool->lock);
    pool->ready++;
    if (!ok)
        pool->failed++;
    pthread_cond_broadcast(&pool->cond);
    pthread_mutex_unlock(&pool->lock);
}

static void free_msg(void *opaque, uint8_t *data)
{
    VTP_TSAN_RELEASE(data);     /* for whoever frees the bytes after us */
    zmq_msg_close(opaque);
    free(opaque);
}

/* Moves msg into a reference-counted buffer, so decoded frames can point
 * into it. NULL on failure (msg untouched). */
static AVBufferRef *msg_buffer(zmq_msg_t *msg)
{
    zmq_msg_t *held = malloc(sizeof(*held));
    if (!held)
        return NULL;
    zmq_msg_init(held);
    zmq_msg_move(held, msg);
    AVBufferRef *buf = av_buffer_create(zmq_msg_data(held), zmq_msg_size(held), free_msg, held,
                                        AV_BUFFER_FLAG_READONLY);
    if (!buf) {
        zmq_msg_move(msg, held);
        free(held);
    }
    return buf;
}

typedef struct progress_ctx {
    void *sock;
    uint64_t job_id;
    uint32_t index;
} progress_ctx;

/* Tells the dispatcher how far the segment is; dropped when the socket
 * cannot take it at once (progress is a hint, never worth waiting for). */
static void send_progress(void *opaque, int64_t frames)
{
    progress_ctx *c = opaque;
    vtp_progress_msg m = {c->job_id, c->index, frames};
    vtp_wbuf out;
    vtp_wbuf_init(&out);
    vtp_proto_write_progress(&out, &m);
    vtp_zsock_send_buf(c->sock, &out, ZMQ_DONTWAIT);
}

/* Encodes the segment in msg (and part, its frames, when not NULL) and
 * sends the result. */
static int serve_segment(vtp_pool *pool, void *sock, zmq_msg_t *msg, zmq_msg_t *part)
{
    vtp_segment seg;
    vtp_result res;
    vtp_wbuf out;
    int ret;

    if (vtp_segment_init(&seg) < 0 || vtp_result_init(&res) < 0) {
        vtp_segment_clear(&seg);
        return VTP_ERR_NOMEM;
    }
    AVBufferRef *owner = msg_buffer(msg);
    AVBufferRef *frames = part ? msg_buffer(part) : NULL;
    if (!owner || (part && !frames))
        ret = VTP_ERR_NOMEM;
    else
        ret = vtp_proto_read_segment_ref(owner->data, (size_t)owner->size, owner,
                                         frames ? frames->data : NULL,
                                         frames ? (size_t)frames->size : 0, frames, &seg);
    av_buffer_unref(&owner);
    av_buffer_unref(&frames);
    if (ret < 0) {
        vtp_log(VTP_LOG_WARNING, "worker: dropped a malformed segment message");
        res.status = ret;
        res.error = strdup("malformed segment message");
    } else {
        /* The two lines bracket the time this worker holds the segment:
         * the second is written before the result leaves. */
        vtp_log(VTP_LOG_DEBUG, "worker: job %lld segment %u: encoding", (long long)seg.job_id,
                seg.index);
        progress_ctx pc = {sock, seg.job_id, seg.index};
        vtp_pipeline_run_progress(&seg, &res, &pool->cancel, send_progress, &pc);
        vtp_log(VTP_LOG_DEBUG, "worker: job %lld segment %u: sending the result",
                (long long)seg.job_id, seg.index);
    }
    vtp_segment_clear(&seg);

    vtp_wbuf_init(&out);
    vtp_proto_write_result(&out, &res);
    vtp_result_clear(&res);
    return vtp_zsock_send_buf(sock, &out, 0);
}

/* Receives one message of one or two parts into parts (*nparts set).
 * A message of more parts is drained and dropped (*nparts = 0).
 * 0, or VTP_ERR_ZMQ on a socket error (nothing left open). */
static int recv_message(void *sock, zmq_msg_t parts[2], int *nparts)
{
    int n = 0, more = 1;

    while (more && n < 2) {
        zmq_msg_init(&parts[n]);
        if (vtp_zsock_recv(&parts[n], sock, 0) < 0) {
            for (int i = 0; i <= n; i++)
                zmq_msg_close(&parts[i]);
            return VTP_ERR_ZMQ;
        }
        more = zmq_msg_more(&parts[n++]);
    }
    *nparts = n;
    if (!more)
        return 0;
    while (more) {          /* too many parts: not ours */
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        int rc = vtp_zsock_recv(&extra, sock, 0);
        more = rc >= 0 && zmq_msg_more(&extra);
        zmq_msg_close(&extra);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
    *nparts = 0;
    return 0;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    vtp_pool *pool = w->pool;
    char name[16];                      /* what top -H shows: 15 characters */
    snprintf(name, sizeof(name), "vtp-enc-%d", w->id);
    pthread_setname_np(pthread_self(), name);
    void *sock = zmq_socket(pool->zctx, ZMQ_DEALER);
    void *pipe = zmq_socket(pool->zctx, ZMQ_PAIR);
    int linger = 0;
    int ok = sock && pipe && zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) == 0 &&
             zmq_connect(pipe, w->pipe_ep) == 0 && zmq_connect(sock, pool->endpoint) == 0;

    report_start(pool, ok);
    if (!ok)
        goto end;

    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_proto_write_ready(&b, &(vtp_ready){.threads = 1});
    if (vtp_zsock_send_buf(sock, &b, 0) < 0)
        goto end;

    for (;;) {
        zmq_pollitem_t items[] = {{pipe, 0, ZMQ_POLLIN, 0}, {sock, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, -1) < 0)
            break;
        if (items[0].revents & ZMQ_POLLIN)
            break;              /* any word on the pipe means stop */
        zmq_msg_t parts[2];
        int nparts, type = 0;
        if (recv_message(sock, parts, &nparts) < 0)
            break;
        if (nparts == 0)
            continue;   /* malformed, dropped */
        int ret = vtp_proto_type(zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]), &type);
        if (ret == 0 && type == VTP_MSG_SEGMENT)
            ret = serve_segment(pool, sock, &parts[0], nparts == 2 ? &parts[1] : NULL);
        else if (ret == 0 && type == VTP_MSG_STOP)
            ret = 1;
        else
            vtp_log(VTP_LOG_WARNING, "worker: dropped an unexpected message");
        for (int i = 0; i < nparts; i++)
            zmq_msg_close(&parts[i]);
        if (ret == 1 || ret == VTP_ERR_ZMQ)
            break;
    }
end:
    if (sock)
        zmq_close(sock);
    if (pipe)
        zmq_close(pipe);
    return NULL;
}

vtp_pool *vtp_pool_new(void *zctx, const char *endpoint, int n)
{
    vtp_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->zctx = zctx;
    pool->n = n;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->cond, NULL);
    pool->endpoint = strdup(endpoint);
    pool->workers = calloc((size_t)n, sizeof(*pool->workers));
    if (!pool->endpoint || !pool->workers)
        goto fail;

    int started = 0;
    for (int i = 0; i < n; i++) {
        worker *w = &pool->workers[i];
        w->pool = pool;
        w->id = i;
        snprintf(w->pipe_ep, sizeof(w->pipe_ep), "inproc://vtp-pool-%p-%d", (void *)pool, i);
        w->pipe = zmq_socket(zctx, ZMQ_PAIR);
        if (!w->pipe || zmq_bind(w->pipe, w->pipe_ep) != 0)
            break;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            break;
        w->started = 1;
        started++;
    }
    pthread_mutex_lock(&pool->lock);
    while (pool->ready < started)
        pthread_cond_wait(&pool->cond, &pool->lock);
    int failed = pool->failed;
    pthread_mutex_unlock(&pool->lock);
    if (started == n && failed == 0)
        return pool;
fail:
    vtp_pool_destroy(&pool);
    return NULL;
}

void vtp_pool_destroy(vtp_pool **self_p)
{
    vtp_pool *pool = *self_p;
    if (!pool)
        return;
    atomic_store(&pool->cancel, 1);
    for (int i = 0; pool->workers && i < pool->n; i++) {
        worker *w = &pool->workers[i];
        if (w->started) {
            zmq_send(w->pipe, "STOP", 4, ZMQ_DONTWAIT);
            pthread_join(w->thread, NULL);
        }
        if (w->pipe)
            zmq_close(w->pipe);
    }
    free(pool->workers);
    free(pool->endpoint);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->cond);
    free(pool);
    *self_p = NULL;
}
