/* node.c -- a worker process's connection to the dispatcher (see vtp_node.h).
 *
 * DESIGN
 * One thread, two sockets: `up` (DEALER to the dispatcher) and `local`
 * (ROUTER the pool's threads connect to). Messages pass through unchanged
 * and without copies: a SEGMENT goes to the thread that has waited longest,
 * a RESULT or a PROGRESS goes up. Segments that arrive while every thread is busy (after
 * a reconnect, the threads may still be finishing work the dispatcher has
 * already given to others) wait in a small queue. The loop is one
 * vtp_node_step after another, and every deadline is read off cfg.clock_ms,
 * so that tests can step a node on a fake clock.
 *
 * GUARANTEES
 *  - The dispatcher hears from a live node at least every heartbeat_ms.
 *  - A node that loses the dispatcher for liveness intervals reconnects
 *    with backoff (1 s doubling to 32 s) and announces itself again; it
 *    keeps running through any number of dispatcher restarts.
 */
#include "vtp_node.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <zmq.h>

#include "vtp_clock.h"
#include "vtp_error.h"
#include "vtp_log.h"
#include "vtp_pool.h"
#include "vtp_proto.h"
#include "vtp_security.h"
#include "vtp_zsock.h"

#define VTP_MAX_LOCAL 1024
#define VTP_LOCAL_POLL_MS 50            /* in-process node: how often it checks for a stop */
#define VTP_STOP_CHECK_MS 50            /* ... and a node waiting to reconnect */
#define VTP_ENCODERS_MAX 8192           /* bytes of the encoder list */
#define VTP_MAX_NODE_MESSAGE (1LL << 31)  /* bytes accepted from the network */

typedef struct local_peer {
    uint8_t id[256];
    size_t idlen;
    int busy;
} local_peer;

typedef struct pending {                /* a segment waiting for a thread */
    zmq_msg_t parts[2];
    int nparts;
} pending;

/* The thread wrapper of an in-process node. */
struct vtp_node_thread {
    pthread_t thread;
    void *zctx;
    char *endpoint;
    int threads;
    atomic_int halt;
    pthread_mutex_t lock;       /* guards started, result */
    pthread_cond_t cond;
    int started;
    int result;
};

struct vtp_node {
    vtp_node_cfg cfg;           /* a copy (what it points to outlives the node) */
    vtp_node_thread *local_run; /* in-process: no heartbeats; NULL otherwise */
    void *zctx;
    void *up;
    void *local;
    vtp_pool *pool;             /* NULL when a test plays the threads */
    local_peer *peers;
    int npeers;
    pending *queue;
    int nqueue;
    int threads;
    int heartbeat_ms;
    int liveness;
    int64_t next_beat;          /* ms: the next HEARTBEAT up is due */
    int64_t heard;              /* ms: the dispatcher's last word */
    int backoff;                /* ms to wait before the next reconnect */
    int reconnecting;           /* the dispatcher was given up: */
    int64_t reconnect_at;       /* ms: connect again then */
};

static pthread_once_t encoders_once = PTHREAD_ONCE_INIT;
static char encoders[VTP_ENCODERS_MAX];    /* written once, under encoders_once */

static void list_encoders(void)
{
    const AVCodec *c;
    void *it = NULL;
    size_t len = 0;
    while ((c = av_codec_iterate(&it))) {
        if (!av_codec_is_encoder(c) || c->type != AVMEDIA_TYPE_VIDEO)
            continue;
        size_t n = strlen(c->name);
        if (len + n + 2 >= sizeof(encoders))
            break;
        if (len)
            encoders[len++] = ',';
        memcpy(encoders + len, c->name, n);
        len += n;
        encoders[len] = 0;
    }
}

const char *vtp_node_encoders(void)
{
    pthread_once(&encoders_once, list_encoders);
    return encoders;
}

static int send_up(vtp_node *n, int type)
{
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    if (type == VTP_MSG_READY)
        vtp_proto_write_ready(&b, &(vtp_ready){.threads = (uint32_t)n->threads,
                                                .heartbeat = !n->local_run,
                                                .encoders = (char *)vtp_node_encoders()});
    else
        vtp_proto_header(&b, type);
    return vtp_zsock_send_buf(n->up, &b, ZMQ_DONTWAIT);
}

static int connect_up(vtp_node *n)
{
    int linger = 0;
    int64_t maxmsg = VTP_MAX_NODE_MESSAGE;
    if (n->up)
        zmq_close(n->up);
    n->up = zmq_socket(n->zctx, ZMQ_DEALER);
    if (!n->up || zmq_setsockopt(n->up, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_setsockopt(n->up, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) != 0 ||
        (n->cfg.keys && n->cfg.keys->enabled &&
         vtp_curve_client(n->up, &n->cfg.keys->kp, n->cfg.keys->server_public) < 0) ||
        zmq_connect(n->up, n->cfg.connect) != 0) {
        vtp_log_line("worker: cannot connect to %s: %s", n->cfg.connect,
                     zmq_strerror(zmq_errno()));
        return VTP_ERR_USAGE;
    }
    return send_up(n, VTP_MSG_READY);
}

static local_peer *idle_peer(vtp_node *n)
{
    for (int i = 0; i < n->npeers; i++)
        if (!n->peers[i].busy)
            return &n->peers[i];
    return NULL;
}

static local_peer *find_peer(vtp_node *n, const void *id, size_t len)
{
    for (int i = 0; i < n->npeers; i++)
        if (n->peers[i].idlen == len && memcmp(n->peers[i].id, id, len) == 0)
            return &n->peers[i];
    return NULL;
}

/* Sends the parts to a local thread (taking them). */
static int dispatch_local(vtp_node *n, local_peer *p, zmq_msg_t *parts, int nparts)
{
    if (zmq_send(n->local, p->id, p->idlen, ZMQ_SNDMORE) < 0)
        return VTP_ERR_ZMQ;
    for (int i = 0; i < nparts; i++) {
        VTP_TSAN_RELEASE(zmq_msg_data(&parts[i]));
        if (zmq_msg_send(&parts[i], n->local, i + 1 < nparts ? ZMQ_SNDMORE : 0) < 0)
            return VTP_ERR_ZMQ;
    }
    p->busy = 1;
    return 0;
}

/* Receives one whole multipart message; parts beyond max are dropped. */
static int recv_parts(void *sock, zmq_msg_t *parts, int max, int *nparts)
{
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (vtp_zsock_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            for (int i = 0; i < n && i < max; i++)
                zmq_msg_close(&parts[i]);
            return VTP_ERR_ZMQ;
        }
        more = zmq_msg_more(&m);
        if (n < max) {
            zmq_msg_init(&parts[n]);
            zmq_msg_move(&parts[n], &m);
        }
        zmq_msg_close(&m);
        n++;
    }
    *nparts = n > max ? -1 : n;
    if (n > max)
        for (int i = 0; i < max; i++)
            zmq_msg_close(&parts[i]);
    return 0;
}

/* A PROGRESS of no frames for a SEGMENT that has just arrived: the
 * dispatcher sends the next large one only then (vtp_proto.h). */
static void acknowledge(vtp_node *n, const zmq_msg_t *head)
{
    vtp_progress_msg m = {0};
    if (vtp_proto_segment_id(zmq_msg_data((zmq_msg_t *)head), zmq_msg_size((zmq_msg_t *)head),
                             &m.job_id, &m.index) < 0)
        return;
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_proto_write_progress(&b, &m);
    vtp_zsock_send_buf(n->up, &b, ZMQ_DONTWAIT);
}

/* A message from the dispatcher. Returns 1 on STOP. */
static int from_up(vtp_node *n)
{
    zmq_msg_t parts[2];
    int nparts, type;

    if (recv_parts(n->up, parts, 2, &nparts) < 0 || nparts < 1)
        return 0;
    if (vtp_proto_type(zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]), &type) < 0)
        type = 0;
    int ret = 0;
    if (type == VTP_MSG_SEGMENT) {
        acknowledge(n, &parts[0]);
        local_peer *p = idle_peer(n);
        if (p) {
            dispatch_local(n, p, parts, nparts);
        } else if (n->nqueue < n->threads) {
            pending *q = &n->queue[n->nqueue++];
            q->nparts = nparts;
            for (int i = 0; i < nparts; i++) {
                zmq_msg_init(&q->parts[i]);
                zmq_msg_move(&q->parts[i], &parts[i]);
            }
        } else {
            vtp_log(VTP_LOG_WARNING, "worker: more segments than threads; one dropped");
        }
    } else if (type == VTP_MSG_STOP) {
        ret = 1;
    } else if (type != VTP_MSG_HEARTBEAT) {
        vtp_log(VTP_LOG_WARNING, "worker: dropped an unexpected message");
    }
    for (int i = 0; i < nparts; i++)
        zmq_msg_close(&parts[i]);
    return ret;
}

/* A message from a local thread. */
static void from_local(vtp_node *n)
{
    zmq_msg_t parts[2];
    int nparts, type;

    if (recv_parts(n->local, parts, 2, &nparts) < 0 || nparts != 2)
        return;
    const void *id = zmq_msg_data(&parts[0]);
    size_t idlen = zmq_msg_size(&parts[0]);
    local_peer *p = find_peer(n, id, idlen);
    if (vtp_proto_type(zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), &type) == 0) {
        if (type == VTP_MSG_READY && !p && n->npeers < VTP_MAX_LOCAL && idlen <= sizeof(p->id)) {
            p = &n->peers[n->npeers++];
            memcpy(p->id, id, idlen);
            p->idlen = idlen;
            p->busy = 0;
        } else if (type == VTP_MSG_RESULT && p) {
            p->busy = 0;
            VTP_TSAN_RELEASE(zmq_msg_data(&parts[1]));
            zmq_msg_send(&parts[1], n->up, ZMQ_DONTWAIT);
        } else if (type == VTP_MSG_PROGRESS && p && p->busy) {
            VTP_TSAN_RELEASE(zmq_msg_data(&parts[1]));
            zmq_msg_send(&parts[1], n->up, ZMQ_DONTWAIT);
        }
    }
    for (int i = 0; i < 2; i++)
        zmq_msg_close(&parts[i]);
    /* A thread is free: give it a waiting segment. */
    if (n->nqueue && (p = idle_peer(n))) {
        dispatch_local(n, p, n->queue[0].parts, n->queue[0].nparts);
        for (int i = 0; i < n->queue[0].nparts; i++)
            zmq_msg_close(&n->queue[0].parts[i]);
        memmove(n->queue, n->queue + 1, (size_t)(--n->nqueue) * sizeof(*n->queue));
    }
}

static int stopped(const vtp_node *n)
{
    if (n->local_run)
        return atomic_load(&n->local_run->halt);
    return n->cfg.stop && atomic_load(n->cfg.stop);
}

static void report_started(vtp_node_thread *t, int result)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->started = 1;
    t->result = result;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
}

static int64_t real_clock_ms(void *opaque)
{
    (void)opaque;
    return vtp_clock_ms();
}

/* Now, by the clock heartbeats and liveness are kept by. */
static int64_t now_ms(const vtp_node *n)
{
    return n->cfg.clock_ms(n->cfg.clock_opaque);
}

static void nap_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void drop_queue(vtp_node *n)
{
    for (int i = 0; i < n->nqueue; i++)
        for (int k = 0; k < n->queue[i].nparts; k++)
            zmq_msg_close(&n->queue[i].parts[k]);
    n->nqueue = 0;
}

void vtp_node_destroy(vtp_node **self_p)
{
    vtp_node *n = *self_p;
    if (!n)
        return;
    vtp_pool_destroy(&n->pool);
    drop_queue(n);
    if (n->up)
        zmq_close(n->up);
    if (n->local)
        zmq_close(n->local);
    free(n->peers);
    free(n->queue);
    free(n);
    *self_p = NULL;
}

static int node_new(void *zctx, const vtp_node_cfg *cfg, vtp_node_thread *local_run,
                    vtp_node **out)
{
    vtp_node *n = calloc(1, sizeof(*n));
    *out = NULL;
    if (!n)
        return VTP_ERR_NOMEM;
    n->cfg = *cfg;
    if (!n->cfg.clock_ms)
        n->cfg.clock_ms = real_clock_ms;
    n->zctx = zctx;
    n->local_run = local_run;
    n->threads = cfg->threads > 0 ? cfg->threads : vtp_cpu_count();
    n->heartbeat_ms = cfg->heartbeat_ms > 0 ? cfg->heartbeat_ms : VTP_HEARTBEAT_MS;
    n->liveness = cfg->liveness > 0 ? cfg->liveness : VTP_LIVENESS;
    n->backoff = VTP_RECONNECT_MIN_MS;
    n->peers = calloc((size_t)n->threads, sizeof(*n->peers));
    n->queue = calloc((size_t)n->threads, sizeof(*n->queue));
    char own[64];
    snprintf(own, sizeof(own), "inproc://vtp-node-%p", (void *)n);
    const char *endpoint = cfg->threads_endpoint ? cfg->threads_endpoint : own;
    int linger = 0;
    if (!n->peers || !n->queue || !(n->local = zmq_socket(zctx, ZMQ_ROUTER)) ||
        zmq_setsockopt(n->local, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_bind(n->local, endpoint) != 0 ||
        (!cfg->threads_endpoint && !(n->pool = vtp_pool_new(zctx, endpoint, n->threads)))) {
        vtp_log_line("worker: cannot start %d threads", n->threads);
        vtp_node_destroy(&n);
        return VTP_ERR_NOMEM;
    }
    int ret = connect_up(n);
    if (ret < 0) {
        vtp_node_destroy(&n);
        return ret;
    }
    n->heard = now_ms(n);
    n->next_beat = n->heard + n->heartbeat_ms;
    *out = n;
    return 0;
}

int vtp_node_new(void *zctx, const vtp_node_cfg *cfg, vtp_node **out)
{
    return node_new(zctx, cfg, NULL, out);
}

/* Heartbeats up; a dispatcher silent for `liveness` intervals is given
 * up, to be connected to again after the backoff. */
static void keep_alive(vtp_node *n)
{
    int64_t now = now_ms(n);
    if (now >= n->next_beat) {
        send_up(n, VTP_MSG_HEARTBEAT);
        n->next_beat = now + n->heartbeat_ms;
    }
    if (now - n->heard > (int64_t)n->liveness * n->heartbeat_ms) {
        vtp_log(VTP_LOG_WARNING, "worker: dispatcher silent; reconnecting in %d ms", n->backoff);
        n->reconnecting = 1;
        n->reconnect_at = now + n->backoff;
        if (n->backoff < VTP_RECONNECT_MAX_MS)
            n->backoff *= 2;
    }
}

/* Waits out the backoff, up to timeout_ms at a time and touching no
 * socket, then connects again (a new socket: a new identity). */
static int reconnect(vtp_node *n, long timeout_ms)
{
    int64_t left = n->reconnect_at - now_ms(n);
    if (left > 0) {
        if (timeout_ms > 0)
            nap_ms(left < timeout_ms ? left : timeout_ms);
        return 0;
    }
    /* The dispatcher has given up on this identity and sent what it
     * held to others: segments still waiting here are stale. */
    drop_queue(n);
    n->reconnecting = 0;
    int ret = connect_up(n);
    n->heard = now_ms(n);
    return ret;
}

int vtp_node_step(vtp_node *n, long timeout_ms)
{
    if (n->reconnecting)
        return reconnect(n, timeout_ms);
    zmq_pollitem_t items[] = {{n->up, 0, ZMQ_POLLIN, 0}, {n->local, 0, ZMQ_POLLIN, 0}};
    if (zmq_poll(items, 2, timeout_ms) < 0 && zmq_errno() != EINTR)
        return 1;
    if (items[0].revents & ZMQ_POLLIN) {
        n->heard = now_ms(n);
        n->backoff = VTP_RECONNECT_MIN_MS;
        if (from_up(n) == 1)
            return 1;
    }
    if (items[1].revents & ZMQ_POLLIN)
        from_local(n);
    if (!n->local_run)      /* same process: the dispatcher cannot vanish */
        keep_alive(n);
    return 0;
}

/* How long the run loop's next step may wait: till the next heartbeat is
 * due (a signal interrupts the poll); a node waiting to reconnect looks
 * for a stop every VTP_STOP_CHECK_MS. */
static long wait_ms(const vtp_node *n)
{
    if (n->local_run)
        return VTP_LOCAL_POLL_MS;
    int64_t wait = n->reconnecting ? VTP_STOP_CHECK_MS : n->next_beat - now_ms(n);
    return wait > 0 ? (long)wait : 0;
}

static int node_run(void *zctx, const vtp_node_cfg *cfg, vtp_node_thread *local_run)
{
    vtp_node *n;
    int ret = node_new(zctx, cfg, local_run, &n);
    report_started(local_run, ret);
    while (ret == 0 && !stopped(n))
        ret = vtp_node_step(n, wait_ms(n));
    vtp_node_destroy(&n);
    return ret < 0 ? ret : 0;
}

int vtp_node_run(void *zctx, const vtp_node_cfg *cfg)
{
    return node_run(zctx, cfg, NULL);
}

static void *node_thread_main(void *arg)
{
    vtp_node_thread *t = arg;
    pthread_setname_np(pthread_self(), "vtp-node");
    vtp_node_cfg cfg = {.connect = t->endpoint, .threads = t->threads};
    node_run(t->zctx, &cfg, t);
    return NULL;
}

vtp_node_thread *vtp_node_start(void *zctx, const char *endpoint, int threads)
{
    vtp_node_thread *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->zctx = zctx;
    t->threads = threads;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    if (!(t->endpoint = strdup(endpoint)) ||
        pthread_create(&t->thread, NULL, node_thread_main, t) != 0) {
        free(t->endpoint);
        free(t);
        return NULL;
    }
    pthread_mutex_lock(&t->lock);
    while (!t->started)
        pthread_cond_wait(&t->cond, &t->lock);
    int result = t->result;
    pthread_mutex_unlock(&t->lock);
    if (result < 0)
        vtp_node_stop(&t);
    return t;
}

void vtp_node_stop(vtp_node_thread **self_p)
{
    vtp_node_thread *t = *self_p;
    if (!t)
        return;
    atomic_store(&t->halt, 1);
    pthread_join(t->thread, NULL);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t->endpoint);
    free(t);
    *self_p = NULL;
}
