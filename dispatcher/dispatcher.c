/* dispatcher.c -- peers, leases and jobs (see vtp_dispatcher.h). */
#include "vtp_dispatcher.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "vtp_clock.h"
#include "vtp_error.h"
#include "vtp_log.h"
#include "vtp_proto.h"
#include "vtp_security.h"
#include "vtp_zsock.h"

#define VTP_MAX_IDENTITY 255                    /* bytes, ZeroMQ's limit */
#define VTP_MAX_WORKER_MESSAGE (1LL << 31)      /* bytes accepted from a network peer */
#define VTP_ACK_BYTES (1 << 20)                 /* a segment this large goes to a heartbeat
                                                   peer only once its last one arrived */
#define VTP_LEASE_SLACK 8                       /* a lease ends at this many times the time
                                                   its size and its worker's speed predict */
#define VTP_PACE_WEIGHT 0.25                    /* of each new measure in the running ones */

/* A segment a peer holds, and the slots it takes there. */
typedef struct lease {
    int64_t job;
    uint32_t index;
    int threads;
    int64_t frames;             /* it is to give; -1 unknown */
    int64_t sent;               /* ms */
    int64_t deadline;           /* ms: heard of by then, or sent elsewhere */
    int64_t limit;              /* ms: done by then, however much is heard
                                   (0: nothing measured yet to predict it) */
    int expired;                /* sent elsewhere; the slot stays taken till
                                   the peer answers for it */
} lease;

typedef struct peer {
    uint8_t id[VTP_MAX_IDENTITY];
    size_t idlen;
    uint64_t tag;               /* unique for the dispatcher's life: the lease tag */
    int slots;
    int used;                   /* slots taken by leases */
    int alone;                  /* holds a suspect segment: nothing else until it answers */
    int gone;                   /* a send to it failed: buried after hand_out */
    int unacked;                /* a large segment is on its way to it: */
    int64_t unacked_job;        /* no other until it says it has it */
    uint32_t unacked_index;
    lease *leases;              /* held until their result comes, even when the
                                   job has gone: the worker is busy till then */
    int nleases, leases_cap;
    int heartbeat;              /* subject to liveness */
    char *encoders;             /* comma-separated, or NULL for any */
    int64_t last_seen;          /* ms */
    int64_t next_beat;          /* ms */
    double pace;                /* its times over what its jobs' costs predict
                                   (running mean; 0 until measured) */
    char address[VTP_PEER_ADDRESS];   /* where it connected from, or "" */
    int64_t joined;             /* ms */
    int64_t segments;           /* good results taken from it */
} peer;

typedef struct entry {
    vtp_job *job;
    int priority;
    uint64_t order;
    double cost;                /* thread-milliseconds a frame, from sending a
                                   segment to its result (running mean; 0 until
                                   the first result) */
} entry;

struct vtp_dispatcher {
    vtp_dispatcher_cfg cfg;
    void *sock;
    peer *peers;
    int npeers, peers_cap;
    entry *jobs;
    int njobs, jobs_cap;
    uint64_t next_tag;
    uint64_t next_order;
    int rotate;                 /* first peer to serve next round */
    int backlog;                /* jobs wait outside (the service's queue) */
    int wake_fd;                /* eventfd: a job's media thread has news */
    vtp_dispatcher_stats stats;
};

static int64_t real_clock_ms(void *opaque)
{
    (void)opaque;
    return vtp_clock_ms();
}

/* Now, by the clock heartbeats, liveness and leases are kept by. */
static int64_t now_ms(const vtp_dispatcher *d)
{
    return d->cfg.clock_ms(d->cfg.clock_opaque);
}

vtp_dispatcher *vtp_dispatcher_new(const vtp_dispatcher_cfg *cfg)
{
    vtp_dispatcher *d = calloc(1, sizeof(*d));
    int linger = 0, mandatory = 1;
    int64_t maxmsg = VTP_MAX_WORKER_MESSAGE;

    if (!d)
        return NULL;
    d->cfg = *cfg;
    if ((d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        free(d);
        return NULL;
    }
    if (d->cfg.heartbeat_ms <= 0)
        d->cfg.heartbeat_ms = VTP_HEARTBEAT_MS;
    if (d->cfg.liveness <= 0)
        d->cfg.liveness = VTP_LIVENESS;
    if (d->cfg.lease_ms <= 0)
        d->cfg.lease_ms = VTP_LEASE_MS;
    if (!d->cfg.clock_ms)
        d->cfg.clock_ms = real_clock_ms;
    d->next_tag = 1;
    if (!(d->sock = zmq_socket(cfg->zctx, ZMQ_ROUTER)) ||
        zmq_setsockopt(d->sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_setsockopt(d->sock, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory)) != 0 ||
        (cfg->network && zmq_setsockopt(d->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) != 0) ||
        (cfg->curve && vtp_curve_server(d->sock, cfg->curve) < 0)) {
        vtp_dispatcher_destroy(&d);
        return NULL;
    }
    for (int i = 0; i < cfg->nendpoints; i++) {
        if (zmq_bind(d->sock, cfg->endpoints[i]) != 0) {
            vtp_log_line("cannot listen on %s: %s", cfg->endpoints[i], zmq_strerror(zmq_errno()));
            vtp_dispatcher_destroy(&d);
            return NULL;
        }
    }
    return d;
}

void vtp_dispatcher_destroy(vtp_dispatcher **self_p)
{
    vtp_dispatcher *d = *self_p;
    if (!d)
        return;
    for (int i = 0; i < d->njobs; i++)
        vtp_job_destroy(&d->jobs[i].job);
    for (int i = 0; i < d->npeers; i++) {
        free(d->peers[i].encoders);
        free(d->peers[i].leases);
    }
    if (d->sock)
        zmq_close(d->sock);
    close(d->wake_fd);
    free(d->peers);
    free(d->jobs);
    free(d);
    *self_p = NULL;
}

void *vtp_dispatcher_socket(vtp_dispatcher *d)
{
    return d->sock;
}

int vtp_dispatcher_poll(vtp_dispatcher *d, zmq_pollitem_t *extra, int nextra, long timeout_ms)
{
    zmq_pollitem_t items[8] = {{d->sock, 0, ZMQ_POLLIN, 0}, {NULL, d->wake_fd, ZMQ_POLLIN, 0}};
    if (nextra < 0 || nextra > 6)
        return VTP_ERR_USAGE;
    if (nextra > 0)
        memcpy(items + 2, extra, (size_t)nextra * sizeof(*extra));
    int n = zmq_poll(items, 2 + nextra, timeout_ms);
    if (n < 0)
        return zmq_errno() == EINTR ? 0 : VTP_ERR_ZMQ;
    for (int i = 0; i < nextra; i++)
        extra[i].revents = items[2 + i].revents;
    return n;
}

/* A job's media thread has news (vtp_job_notify_fn): wakes the poll. */
static void wake(void *opaque)
{
    vtp_dispatcher *d = opaque;
    uint64_t one = 1;
    while (write(d->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;       /* EAGAIN: the counter is already far from 0, the poll wakes */
}

int vtp_dispatcher_add(vtp_dispatcher *d, vtp_job *job, int priority)
{
    if (d->njobs == d->jobs_cap) {
        int cap = d->jobs_cap ? d->jobs_cap * 2 : 8;
        entry *e = realloc(d->jobs, (size_t)cap * sizeof(*e));
        if (!e)
            return VTP_ERR_NOMEM;
        d->jobs = e;
        d->jobs_cap = cap;
    }
    if (vtp_job_start(job, wake, d) < 0)
        return VTP_ERR_NOMEM;
    /* Keep the list in serving order: priority, then arrival. */
    int at = d->njobs;
    while (at > 0 && d->jobs[at - 1].priority < priority)
        at--;
    memmove(d->jobs + at + 1, d->jobs + at, (size_t)(d->njobs - at) * sizeof(*d->jobs));
    d->jobs[at] = (entry){job, priority, d->next_order++, 0};
    d->njobs++;
    return 0;
}

static void drop_job(vtp_dispatcher *d, int i)
{
    vtp_job_destroy(&d->jobs[i].job);
    memmove(d->jobs + i, d->jobs + i + 1, (size_t)(d->njobs - i - 1) * sizeof(*d->jobs));
    d->njobs--;
}

int vtp_dispatcher_remove(vtp_dispatcher *d, int64_t id)
{
    for (int i = 0; i < d->njobs; i++) {
        if (vtp_job_id(d->jobs[i].job) == id) {
            drop_job(d, i);
            return 1;
        }
    }
    return 0;
}

vtp_job *vtp_dispatcher_job_at(vtp_dispatcher *d, int i)
{
    return i >= 0 && i < d->njobs ? d->jobs[i].job : NULL;
}

vtp_job *vtp_dispatcher_job(vtp_dispatcher *d, int64_t id)
{
    for (int i = 0; i < d->njobs; i++)
        if (vtp_job_id(d->jobs[i].job) == id)
            return d->jobs[i].job;
    return NULL;
}

/* Reports and removes job i. */
static void end_job(vtp_dispatcher *d, int i, int status, const char *why)
{
    if (d->cfg.on_end)
        d->cfg.on_end(d->cfg.opaque, d->jobs[i].job, status, why);
    drop_job(d, i);
}

static int find_job(vtp_dispatcher *d, int64_t id)
{
    for (int i = 0; i < d->njobs; i++)
        if (vtp_job_id(d->jobs[i].job) == id)
            return i;
    return -1;
}

/* ---- peers ---- */

static peer *find_peer(vtp_dispatcher *d, const void *id, size_t len)
{
    for (int i = 0; i < d->npeers; i++)
        if (d->peers[i].idlen == len && memcmp(d->peers[i].id, id, len) == 0)
            return &d->peers[i];
    return NULL;
}

/* Takes back every segment the peer held; jobs that fail end. */
static void bury_peer(vtp_dispatcher *d, peer *p)
{
    char why[1024];
    for (int k = 0; k < p->nleases; k++)
        d->stats.resent += !p->leases[k].expired;   /* expired ones were counted */
    for (int i = 0; i < d->njobs;) {
        why[0] = 0;
        int ret = vtp_job_lost(d->jobs[i].job, p->tag, why, sizeof(why));
        if (ret < 0)
            end_job(d, i, ret, why);
        else
            i++;
    }
    free(p->encoders);
    free(p->leases);
    *p = d->peers[--d->npeers];
}

/* How long a lease of `frames` frames on `threads` codec threads should
 * take at peer p, from what its job's results so far took: 0 while nothing
 * has been measured. */
static double predict_ms(const entry *e, const peer *p, int64_t frames, int threads)
{
    if (e->cost <= 0 || frames <= 0)
        return 0;
    return (double)frames * e->cost / threads * (p->pace > 0 ? p->pace : 1);
}

/* Measures the lease that just ended with a good result: the job's cost
 * per frame and the peer's pace against it. */
static void measure(entry *e, peer *p, const lease *l, int64_t now)
{
    if (l->frames <= 0)
        return;
    double cost = (double)(now - l->sent) * l->threads / (double)l->frames;
    if (cost <= 0)
        cost = 1e-3;
    if (e->cost > 0) {
        double pace = cost / e->cost;
        p->pace = p->pace > 0 ? p->pace + VTP_PACE_WEIGHT * (pace - p->pace) : pace;
        e->cost += VTP_PACE_WEIGHT * (cost - e->cost);
    } else {
        e->cost = cost;
    }
}

static int add_lease(vtp_dispatcher *d, peer *p, const entry *e, uint32_t index, int threads,
                     int64_t frames)
{
    if (p->nleases == p->leases_cap) {
        int cap = p->leases_cap ? p->leases_cap * 2 : 8;
        lease *l = realloc(p->leases, (size_t)cap * sizeof(*l));
        if (!l)
            return VTP_ERR_NOMEM;
        p->leases = l;
        p->leases_cap = cap;
    }
    int64_t now = now_ms(d);
    double expect = predict_ms(e, p, frames, threads);
    int64_t limit = 0;
    if (expect > 0)
        limit = now + (int64_t)(VTP_LEASE_SLACK * expect > d->cfg.lease_ms
                                    ? VTP_LEASE_SLACK * expect : d->cfg.lease_ms);
    p->leases[p->nleases++] = (lease){.job = vtp_job_id(e->job), .index = index,
                                      .threads = threads, .frames = frames, .sent = now,
                                      .deadline = now + d->cfg.lease_ms, .limit = limit};
    p->used += threads;
    return 0;
}

/* Ends the peer's lease on (job, index), freeing its slots, with a copy
 * in *ended when not NULL; 0 if it had none. */
static int end_lease(peer *p, int64_t job, uint32_t index, lease *ended)
{
    for (int i = 0; i < p->nleases; i++) {
        if (p->leases[i].job == job && p->leases[i].index == index) {
            if (ended)
                *ended = p->leases[i];
            p->used -= p->leases[i].threads;
            p->leases[i] = p->leases[--p->nleases];
            return 1;
        }
    }
    return 0;
}

static void on_ready(vtp_dispatcher *d, zmq_msg_t *id, zmq_msg_t *body)
{
    vtp_ready ready;
    size_t len = zmq_msg_size(id);

    memset(&ready, 0, sizeof(ready));
    if (len == 0 || len > VTP_MAX_IDENTITY ||
        vtp_proto_read_ready(zmq_msg_data(body), zmq_msg_size(body), &ready) < 0) {
        vtp_log(VTP_LOG_INFO, "dropped a malformed READY");
        return;
    }
    peer *p = find_peer(d, zmq_msg_data(id), len);
    if (p)
        bury_peer(d, p);        /* announced again: whatever it held is lost */
    if (d->npeers == d->peers_cap) {
        int cap = d->peers_cap ? d->peers_cap * 2 : 16;
        peer *np = realloc(d->peers, (size_t)cap * sizeof(*np));
        if (!np) {
            vtp_ready_clear(&ready);
            return;
        }
        d->peers = np;
        d->peers_cap = cap;
    }
    p = &d->peers[d->npeers++];
    memset(p, 0, sizeof(*p));
    memcpy(p->id, zmq_msg_data(id), len);
    p->idlen = len;
    p->tag = d->next_tag++;
    p->slots = (int)ready.threads;
    /* Only the dispatcher's own process may hold segments without
     * heartbeats; anything on a network endpoint is checked for liveness. */
    p->heartbeat = ready.heartbeat || d->cfg.network;
    p->encoders = ready.encoders;
    p->last_seen = now_ms(d);
    p->next_beat = p->last_seen;
    p->joined = p->last_seen;
    /* The IP address of a tcp peer; none for inproc and ipc ones (whose
     * "Peer-Address" is no address). */
    const char *from = zmq_msg_gets(body, "Peer-Address");
    unsigned char ip[sizeof(struct in6_addr)];
    if (from && (inet_pton(AF_INET, from, ip) == 1 || inet_pton(AF_INET6, from, ip) == 1))
        snprintf(p->address, sizeof(p->address), "%s", from);
    if (p->heartbeat)
        vtp_log(VTP_LOG_INFO, "worker joined with %d threads", p->slots);
}

/* The peer has segment (job, index): the next large one may follow. */
static void arrived(peer *p, int64_t job, uint32_t index)
{
    if (p->unacked && p->unacked_job == job && p->unacked_index == index)
        p->unacked = 0;
}

static void on_result(vtp_dispatcher *d, peer *p, zmq_msg_t *body)
{
    char why[1024] = "";
    vtp_result *res = malloc(sizeof(*res));

    if (!res || vtp_result_init(res) < 0) {
        free(res);
        return;
    }
    if (vtp_proto_read_result(zmq_msg_data(body), zmq_msg_size(body), res) < 0) {
        vtp_log(VTP_LOG_INFO, "dropped a malformed RESULT");
        vtp_result_clear(res);
        free(res);
        return;
    }
    arrived(p, (int64_t)res->job_id, res->index);
    lease l;
    int held = end_lease(p, (int64_t)res->job_id, res->index, &l);
    if (held)
        p->alone = 0;
    int i = find_job(d, (int64_t)res->job_id);
    if (i < 0 || !held) {       /* a cancelled job's, or not this peer's */
        vtp_result_clear(res);
        free(res);
        return;
    }
    if (res->status == 0 && !l.expired) {
        int64_t now = now_ms(d);
        measure(&d->jobs[i], p, &l, now);
        p->segments++;
        if (d->cfg.on_lease)
            d->cfg.on_lease(d->cfg.opaque,
                            &(vtp_lease_report){.job = l.job, .index = l.index,
                                                .threads = l.threads, .frames = res->frames,
                                                .sent = (double)l.sent / 1e3,
                                                .done = (double)now / 1e3,
                                                .cpu = res->cpu_seconds});
    }
    int ret = vtp_job_result(d->jobs[i].job, p->tag, res, why, sizeof(why));
    if (ret < 0)
        end_job(d, i, ret, why);
    else if (vtp_job_finished(d->jobs[i].job))
        end_job(d, i, 0, "");
}

static void on_progress(vtp_dispatcher *d, peer *p, zmq_msg_t *body)
{
    vtp_progress_msg m;
    if (vtp_proto_read_progress(zmq_msg_data(body), zmq_msg_size(body), &m) < 0)
        return;
    arrived(p, (int64_t)m.job_id, m.index);
    for (int k = 0; k < p->nleases; k++)
        if (p->leases[k].job == (int64_t)m.job_id && p->leases[k].index == m.index)
            p->leases[k].deadline = now_ms(d) + d->cfg.lease_ms;
    int i = find_job(d, (int64_t)m.job_id);
    if (i >= 0)
        vtp_job_progress_note(d->jobs[i].job, p->tag, m.index, m.frames);
}

/* Segments a live peer has said nothing about for lease_ms (lost in a
 * full queue, a failed send, a hung encoder), or has held past their
 * limit (VTP_LEASE_SLACK times what their size and its pace predict,
 * however much it says): each goes back to its job, as one failed
 * attempt, to be sent to whoever is free. The peer's slot stays taken
 * until it answers for that segment: what holds it may be stuck, and must
 * not be handed the next segment to lose. */
static void expire_leases(vtp_dispatcher *d, peer *p, int64_t now)
{
    for (int k = 0; k < p->nleases; k++) {
        lease *l = &p->leases[k];
        int late = l->limit > 0 && now >= l->limit;
        if (l->expired || (now < l->deadline && !late))
            continue;
        l->expired = 1;
        d->stats.resent++;
        arrived(p, l->job, l->index);       /* or lost: either way, no longer awaited */
        int i = find_job(d, l->job);
        if (i < 0)
            continue;
        char why[1024] = "", cause[160];
        if (now < l->deadline)
            snprintf(cause, sizeof(cause),
                     "its worker has held it for %.1f s, over %d times what its %lld frames should take",
                     (double)(now - l->sent) / 1000, VTP_LEASE_SLACK, (long long)l->frames);
        else
            snprintf(cause, sizeof(cause), "its worker said nothing about it for %d s",
                     d->cfg.lease_ms / 1000);
        int ret = vtp_job_lease_expired(d->jobs[i].job, p->tag, l->index, cause, why, sizeof(why));
        if (ret < 0)
            end_job(d, i, ret, why);
    }
}

/* Takes one message; 0 when none was waiting. */
static int take_message(vtp_dispatcher *d)
{
    zmq_msg_t id, body;
    int type, ret = 1;

    zmq_msg_init(&id);
    zmq_msg_init(&body);
    if (vtp_zsock_recv(&id, d->sock, ZMQ_DONTWAIT) < 0) {
        ret = zmq_errno() == EAGAIN || zmq_errno() == EINTR ? 0 : VTP_ERR_ZMQ;
        goto end;
    }
    if (!zmq_msg_more(&id) || vtp_zsock_recv(&body, d->sock, 0) < 0)
        goto end;
    if (zmq_msg_more(&body)) {          /* not ours: drain and drop */
        int more = 1;
        while (more) {
            zmq_msg_t extra;
            zmq_msg_init(&extra);
            more = vtp_zsock_recv(&extra, d->sock, 0) >= 0 && zmq_msg_more(&extra);
            zmq_msg_close(&extra);
        }
        goto end;
    }
    d->stats.bytes_received += (int64_t)(zmq_msg_size(&id) + zmq_msg_size(&body));
    if (vtp_proto_type(zmq_msg_data(&body), zmq_msg_size(&body), &type) < 0) {
        vtp_log(VTP_LOG_INFO, "dropped a malformed message");
        goto end;
    }
    if (type == VTP_MSG_READY) {
        on_ready(d, &id, &body);
        goto end;
    }
    peer *p = find_peer(d, zmq_msg_data(&id), zmq_msg_size(&id));
    if (!p)
        goto end;               /* a peer declared dead: it will announce itself again */
    p->last_seen = now_ms(d);
    if (type == VTP_MSG_RESULT)
        on_result(d, p, &body);
    else if (type == VTP_MSG_PROGRESS)
        on_progress(d, p, &body);
end:
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    return ret;
}

static void free_ref(void *data, void *hint)
{
    VTP_TSAN_ACQUIRE(data);
    VTP_TSAN_ACQUIRE(hint);
    /* Whoever drops the last reference frees the bytes: what this thread
     * did with them happens before that (libavutil's counter is atomic). */
    VTP_TSAN_RELEASE(data);
    AVBufferRef *ref = hint;
    av_buffer_unref(&ref);
}

/* Sends a referenced buffer as one part without copying it. */
static int send_ref(void *sock, AVBufferRef *buf, int flags)
{
    zmq_msg_t msg;
    AVBufferRef *ref = av_buffer_ref(buf);
    if (!ref)
        return VTP_ERR_NOMEM;
    VTP_TSAN_RELEASE(ref->data);
    VTP_TSAN_RELEASE(ref);
    if (zmq_msg_init_data(&msg, ref->data, (size_t)ref->size, free_ref, ref) != 0) {
        av_buffer_unref(&ref);
        return VTP_ERR_NOMEM;
    }
    if (zmq_msg_send(&msg, sock, flags) < 0) {
        zmq_msg_close(&msg);
        return VTP_ERR_ZMQ;
    }
    return 0;
}

static int send_segment(vtp_dispatcher *d, peer *p, const vtp_job_send *s)
{
    if (vtp_zsock_send(d->sock, p->id, p->idlen, ZMQ_SNDMORE) < 0)
        return VTP_ERR_ZMQ;
    int ret = send_ref(d->sock, s->head, s->frames ? ZMQ_SNDMORE : 0);
    if (ret == 0 && s->frames)
        ret = send_ref(d->sock, s->frames, 0);
    return ret;
}

static int has_encoder(const peer *p, const char *encoder)
{
    if (!p->encoders)
        return 1;
    size_t n = strlen(encoder);
    for (const char *at = p->encoders; (at = strstr(at, encoder)); at += n)
        if ((at == p->encoders || at[-1] == ',') && (at[n] == ',' || at[n] == 0))
            return 1;
    return 0;
}

static int job_encoder_ok(vtp_job *job, const peer *p);

/* Fills free slots; returns the number of segments sent. */
static int hand_out(vtp_dispatcher *d)
{
    int sent = 0;
    for (int k = 0; k < d->npeers; k++) {
        peer *p = &d->peers[(d->rotate + k) % d->npeers];
        while (p->used < p->slots && !p->alone && !p->gone && !p->unacked) {
            int gave = 0;
            for (int i = 0; i < d->njobs && !gave; i++) {
                vtp_job *job = d->jobs[i].job;
                vtp_job_send s;
                if (!job_encoder_ok(job, p) ||
                    !vtp_job_next(job, p->tag, p->slots - p->used, p->used == 0, &s))
                    continue;
                /* A segment that never reached a worker is no attempt at
                 * it: it waits for the next receiver. A peer that cannot
                 * be sent to is gone (ZMQ_ROUTER_MANDATORY): it is buried
                 * once the loop is over, and what it held is lost. */
                if (send_segment(d, p, &s) < 0) {
                    vtp_job_unsend(job, p->tag, s.index);
                    p->gone = 1;
                    break;
                }
                if (add_lease(d, p, &d->jobs[i], s.index, s.threads, s.frames_expected) < 0) {
                    vtp_job_unsend(job, p->tag, s.index);
                    break;
                }
                p->alone = s.alone;
                vtp_log(VTP_LOG_DEBUG, "job %lld segment %u: to a worker, %d codec threads%s",
                        (long long)vtp_job_id(job), s.index, s.threads, s.alone ? ", alone" : "");
                int64_t bytes = s.head->size + (s.frames ? s.frames->size : 0);
                d->stats.bytes_sent += bytes;
                if (p->heartbeat && bytes >= VTP_ACK_BYTES) {
                    p->unacked = 1;
                    p->unacked_job = vtp_job_id(job);
                    p->unacked_index = s.index;
                }
                gave = 1;
                sent++;
            }
            if (!gave)
                break;
        }
    }
    for (int k = 0; k < d->npeers;) {
        peer *p = &d->peers[k];
        if (!p->gone) {
            k++;
            continue;
        }
        vtp_log(VTP_LOG_WARNING, "a worker with %d threads could not be reached", p->slots);
        bury_peer(d, p);
    }
    if (d->npeers)
        d->rotate = (d->rotate + 1) % d->npeers;
    return sent;
}

static int job_encoder_ok(vtp_job *job, const peer *p)
{
    const char *encoder = vtp_job_encoder(job);    /* NULL: not open yet */
    return encoder && has_encoder(p, encoder);
}

static void keep_alive(vtp_dispatcher *d)
{
    int64_t now = now_ms(d);
    for (int i = 0; i < d->npeers;) {
        peer *p = &d->peers[i];
        if (!p->heartbeat) {
            i++;
            continue;
        }
        if (now - p->last_seen > (int64_t)d->cfg.liveness * d->cfg.heartbeat_ms) {
            vtp_log(VTP_LOG_WARNING, "a worker with %d threads stopped answering", p->slots);
            bury_peer(d, p);
            continue;
        }
        expire_leases(d, p, now);
        if (now >= p->next_beat) {
            vtp_wbuf b;
            vtp_wbuf_init(&b);
            vtp_proto_header(&b, VTP_MSG_HEARTBEAT);
            if (vtp_zsock_send(d->sock, p->id, p->idlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 0)
                vtp_zsock_send_buf(d->sock, &b, ZMQ_DONTWAIT);
            else
                vtp_wbuf_free(&b);
            p->next_beat = now + d->cfg.heartbeat_ms;
        }
        i++;
    }
}

/* Slots that could take a segment now and have none. */
static int free_slots(const vtp_dispatcher *d)
{
    int n = 0;
    for (int i = 0; i < d->npeers; i++)
        if (!d->peers[i].alone && !d->peers[i].gone)
            n += d->peers[i].slots - d->peers[i].used;
    return n;
}

int vtp_dispatcher_step(vtp_dispatcher *d)
{
    int ret;
    uint64_t news;
    if (read(d->wake_fd, &news, sizeof(news)) < 0 && errno != EAGAIN && errno != EINTR)
        return VTP_ERR_ZMQ;
    while ((ret = take_message(d)) > 0)
        ;
    if (ret < 0)
        return ret;
    keep_alive(d);
    /* A job's tail is cut finer for the workers there are now, but only
     * where they would idle otherwise: not while a later job, active or
     * waiting, can take them (one worker means no finer tail). */
    int slots = vtp_dispatcher_slots(d);
    for (int i = 0; slots > 0 && i < d->njobs; i++)
        vtp_job_set_parallelism(d->jobs[i].job, d->backlog || i < d->njobs - 1 ? 1 : slots);
    hand_out(d);
    /* Slots still free ask the jobs' media threads to read ahead, first
     * job first, as far as each job's window goes. */
    int wanted = free_slots(d);
    for (int i = 0; i < d->njobs; i++)
        wanted -= vtp_job_want(d->jobs[i].job, wanted);
    /* Jobs whose media thread finished or failed end. */
    for (int i = 0; i < d->njobs;) {
        char why[1024] = "";
        if ((ret = vtp_job_failed(d->jobs[i].job, why, sizeof(why))) < 0)
            end_job(d, i, ret, why);
        else if (vtp_job_finished(d->jobs[i].job))
            end_job(d, i, 0, "");
        else
            i++;
    }
    return 0;
}

void vtp_dispatcher_set_backlog(vtp_dispatcher *d, int waiting)
{
    d->backlog = waiting;
}

int vtp_dispatcher_slots(const vtp_dispatcher *d)
{
    int n = 0;
    for (int i = 0; i < d->npeers; i++)
        n += d->peers[i].slots;
    return n;
}

int vtp_dispatcher_busy(const vtp_dispatcher *d)
{
    int n = 0;
    for (int i = 0; i < d->npeers; i++)
        n += d->peers[i].used;
    return n;
}

int vtp_dispatcher_jobs(const vtp_dispatcher *d)
{
    return d->njobs;
}

int vtp_dispatcher_hungry(const vtp_dispatcher *d)
{
    if (vtp_dispatcher_busy(d) >= vtp_dispatcher_slots(d))
        return 0;
    for (int i = 0; i < d->njobs; i++)
        if (vtp_job_can_send(d->jobs[i].job))
            return 0;
    return 1;
}

void vtp_dispatcher_get_stats(const vtp_dispatcher *d, vtp_dispatcher_stats *stats)
{
    *stats = d->stats;
}

int vtp_dispatcher_peers(const vtp_dispatcher *d, vtp_peer_info *out, int max)
{
    int64_t now = now_ms(d);
    for (int i = 0; i < d->npeers && i < max; i++) {
        const peer *p = &d->peers[i];
        vtp_peer_info *o = &out[i];
        memset(o, 0, sizeof(*o));
        memcpy(o->address, p->address, sizeof(o->address));
        o->slots = p->slots;
        o->busy = p->used < p->slots ? p->used : p->slots;
        o->encoders = p->encoders;
        o->segments = p->segments;
        o->heartbeat = p->heartbeat;
        o->joined_ago_ms = now - p->joined;
        o->seen_ago_ms = now - p->last_seen;
    }
    return d->npeers;
}
