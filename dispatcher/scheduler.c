/* scheduler.c -- the dispatcher's ROUTER and its worker table (see vtp_sched.h). */
#include "vtp_sched.h"

#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "vtp_error.h"
#include "vtp_log.h"
#include "vtp_proto.h"
#include "vtp_zsock.h"

#define VTP_MAX_IDENTITY 255   /* bytes, ZeroMQ's limit */

typedef struct peer {
    uint8_t id[VTP_MAX_IDENTITY];
    size_t idlen;
    int busy;
    uint64_t idle_since;        /* sequence number, for longest-idle first */
} peer;

struct vtp_sched {
    void *sock;
    peer *peers;
    int npeers, cap;
    uint64_t seq;
};

vtp_sched *vtp_sched_new(void *zctx, const char *endpoint)
{
    vtp_sched *s = calloc(1, sizeof(*s));
    int linger = 0;
    int mandatory = 1;

    if (!s)
        return NULL;
    if (!(s->sock = zmq_socket(zctx, ZMQ_ROUTER)) ||
        zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_setsockopt(s->sock, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory)) != 0 ||
        zmq_bind(s->sock, endpoint) != 0) {
        vtp_log_line("cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        vtp_sched_destroy(&s);
    }
    return s;
}

void vtp_sched_destroy(vtp_sched **self_p)
{
    vtp_sched *s = *self_p;
    if (!s)
        return;
    if (s->sock)
        zmq_close(s->sock);
    free(s->peers);
    free(s);
    *self_p = NULL;
}

int vtp_sched_idle(const vtp_sched *s)
{
    int n = 0;
    for (int i = 0; i < s->npeers; i++)
        n += !s->peers[i].busy;
    return n;
}

int vtp_sched_busy(const vtp_sched *s)
{
    return s->npeers - vtp_sched_idle(s);
}

static peer *find_peer(vtp_sched *s, const void *id, size_t len, int create)
{
    for (int i = 0; i < s->npeers; i++)
        if (s->peers[i].idlen == len && memcmp(s->peers[i].id, id, len) == 0)
            return &s->peers[i];
    if (!create || len == 0 || len > VTP_MAX_IDENTITY)
        return NULL;
    if (s->npeers == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        peer *p = realloc(s->peers, (size_t)cap * sizeof(*p));
        if (!p)
            return NULL;
        s->peers = p;
        s->cap = cap;
    }
    peer *p = &s->peers[s->npeers++];
    memset(p, 0, sizeof(*p));
    memcpy(p->id, id, len);
    p->idlen = len;
    return p;
}

int vtp_sched_send(vtp_sched *s, vtp_segment *seg)
{
    peer *best = NULL;
    vtp_wbuf b;
    int external = seg->kind == VTP_SEG_FRAMES && seg->frame_wire.len > 0;

    for (int i = 0; i < s->npeers; i++)
        if (!s->peers[i].busy && (!best || s->peers[i].idle_since < best->idle_since))
            best = &s->peers[i];
    if (!best)
        return VTP_ERR_ZMQ;
    vtp_wbuf_init(&b);
    if (external)
        vtp_proto_write_segment_head(&b, seg);
    else
        vtp_proto_write_segment(&b, seg);
    if (vtp_zsock_send(s->sock, best->id, best->idlen, ZMQ_SNDMORE) < 0) {
        vtp_wbuf_free(&b);
        return VTP_ERR_ZMQ;
    }
    int ret = vtp_zsock_send_buf(s->sock, &b, external ? ZMQ_SNDMORE : 0);
    if (ret == 0 && external)
        ret = vtp_zsock_send_buf(s->sock, &seg->frame_wire, 0);
    if (ret == 0)
        best->busy = 1;
    return ret;
}

int vtp_sched_recv(vtp_sched *s, int timeout_ms, vtp_result **res)
{
    zmq_pollitem_t item = {s->sock, 0, ZMQ_POLLIN, 0};
    zmq_msg_t id, body;
    int type, ret = 0;

    *res = NULL;
    if (zmq_poll(&item, 1, timeout_ms) < 0)
        return zmq_errno() == EINTR ? 0 : VTP_ERR_ZMQ;
    if (!(item.revents & ZMQ_POLLIN))
        return 0;

    zmq_msg_init(&id);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&id, s->sock, 0) < 0 || !zmq_msg_more(&id) ||
        zmq_msg_recv(&body, s->sock, 0) < 0) {
        ret = zmq_errno() == EINTR ? 0 : VTP_ERR_ZMQ;
        goto end;
    }
    while (zmq_msg_more(&body)) {       /* not ours: drain and drop */
        zmq_msg_close(&body);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&body, s->sock, 0) < 0)
            goto end;
        type = -1;
    }
    if (vtp_proto_type(zmq_msg_data(&body), zmq_msg_size(&body), &type) < 0) {
        vtp_log(VTP_LOG_WARNING, "dropped a malformed message");
        goto end;
    }

    peer *p = find_peer(s, zmq_msg_data(&id), zmq_msg_size(&id), type == VTP_MSG_READY);
    if (type == VTP_MSG_READY) {
        vtp_ready ready;
        if (!p || vtp_proto_read_ready(zmq_msg_data(&body), zmq_msg_size(&body), &ready) < 0)
            goto end;
        p->busy = 0;
        p->idle_since = s->seq++;
    } else if (type == VTP_MSG_RESULT && p && p->busy) {
        vtp_result *r = malloc(sizeof(*r));
        if (!r || vtp_result_init(r) < 0) {
            free(r);
            ret = VTP_ERR_NOMEM;
            goto end;
        }
        p->busy = 0;
        p->idle_since = s->seq++;
        if (vtp_proto_read_result(zmq_msg_data(&body), zmq_msg_size(&body), r) < 0) {
            r->status = VTP_ERR_PROTO;
            r->error = strdup("malformed result message");
        }
        *res = r;
        ret = 1;
    } else {
        vtp_log(VTP_LOG_WARNING, "dropped an unexpected message");
    }
end:
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    return ret;
}
