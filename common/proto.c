/* proto.c -- writing and validating dispatcher/worker messages.
 *
 * Layouts (after the 8-byte header):
 *   READY   u32 threads, u8 heartbeat, str encoders
 *   HEARTBEAT (empty)
 *   STOP    (empty)
 *   SEGMENT u64 job, u32 index, u8 kind, i64 cut_start, i64 cut_end,
 *           i32 tb.num, i32 tb.den, i32 rate.num, i32 rate.den, u32 threads,
 *           u32 flags, i64 count_start, i64 frames_expected, codecpar,
 *           enc_opts, passlog, u8 nmore, nmore x enc_opts (a ladder's
 *           other renditions), then
 *             PACKETS: u32 count, count x packet
 *             FRAMES:  u32 count, u8 external, and when external is 0:
 *                      u8 pad, pad zero bytes, count x frame (in place);
 *                      when 1, the frames are the message's second part
 *   RESULT  u64 job, u32 index, i32 status, str error, i64 frames,
 *           i64 frames_counted, i64 skipped, u64 cpu_us, i32 tb.num,
 *           i32 tb.den, codecpar, u32 count, count x packet, passlog,
 *           u8 nmore, nmore x (i32 tb.num, i32 tb.den, codecpar, u32 count,
 *           count x packet)
 *   packet  i64 pts, i64 dts, i64 duration, u32 flags, blob data
 *   passlog blob log, blob tree (empty but for two-pass encoding)
 */
#include "vtp_proto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vtp_codecpar.h"
#include "vtp_error.h"

static void write_passlog(vtp_wbuf *b, const vtp_passlog *p)
{
    vtp_wbuf_blob(b, p->log, p->log_len);
    vtp_wbuf_blob(b, p->tree, p->tree_len);
}

/* A copy of one blob of at most VTP_MAX_PASSLOG bytes; 0 or an error. */
static int read_part(vtp_rbuf *r, uint8_t **out, size_t *len)
{
    size_t n = 0;
    const uint8_t *p = vtp_rbuf_blob(r, VTP_MAX_PASSLOG, &n);
    if (!vtp_rbuf_ok(r))
        return VTP_ERR_PROTO;
    if (!p || !n)
        return 0;
    if (!(*out = malloc(n)))
        return VTP_ERR_NOMEM;
    memcpy(*out, p, n);
    *len = n;
    return 0;
}

static int read_passlog(vtp_rbuf *r, vtp_passlog *p)
{
    int ret;
    if ((ret = read_part(r, &p->log, &p->log_len)) < 0 ||
        (ret = read_part(r, &p->tree, &p->tree_len)) < 0)
        return ret;
    return 0;
}

void vtp_proto_header(vtp_wbuf *b, int type)
{
    vtp_wbuf_u32(b, VTP_PROTO_MAGIC);
    vtp_wbuf_u16(b, VTP_PROTO_VERSION);
    vtp_wbuf_u16(b, (uint16_t)type);
}

int vtp_proto_type(const void *data, size_t len, int *type)
{
    vtp_rbuf r;

    vtp_rbuf_init(&r, data, len);
    uint32_t magic = vtp_rbuf_u32(&r);
    uint16_t version = vtp_rbuf_u16(&r);
    uint16_t t = vtp_rbuf_u16(&r);
    if (!vtp_rbuf_ok(&r) || magic != VTP_PROTO_MAGIC || version != VTP_PROTO_VERSION ||
        t < VTP_MSG_READY || t > VTP_MSG_PROGRESS)
        return VTP_ERR_PROTO;
    *type = t;
    return 0;
}

/* Positions r after a header of the expected type. */
static int open_body(vtp_rbuf *r, const void *data, size_t len, int expect)
{
    int type;
    if (vtp_proto_type(data, len, &type) < 0 || type != expect)
        return VTP_ERR_PROTO;
    vtp_rbuf_init(r, data, len);
    vtp_rbuf_bytes(r, VTP_PROTO_HEADER_SIZE);
    return 0;
}

static int valid_rational(AVRational q, int allow_zero)
{
    return q.den > 0 && (q.num > 0 || (allow_zero && q.num == 0));
}

static void write_packet(vtp_wbuf *b, const AVPacket *p)
{
    vtp_wbuf_i64(b, p->pts);
    vtp_wbuf_i64(b, p->dts);
    vtp_wbuf_i64(b, p->duration);
    vtp_wbuf_u32(b, (uint32_t)p->flags);
    vtp_wbuf_blob(b, p->data, (size_t)p->size);
}

static int read_packets(vtp_rbuf *r, vtp_pktlist *l)
{
    uint32_t n = vtp_rbuf_u32(r);
    AVPacket *p = NULL;
    int ret = VTP_ERR_PROTO;

    if (!vtp_rbuf_ok(r) || n > VTP_MAX_PACKETS)
        return VTP_ERR_PROTO;
    if (!(p = av_packet_alloc()))
        return VTP_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        size_t size;
        int64_t pts = vtp_rbuf_i64(r);
        int64_t dts = vtp_rbuf_i64(r);
        int64_t duration = vtp_rbuf_i64(r);
        int flags = (int)(vtp_rbuf_u32(r) & (AV_PKT_FLAG_KEY | AV_PKT_FLAG_CORRUPT |
                                             AV_PKT_FLAG_DISCARD | AV_PKT_FLAG_DISPOSABLE));
        const uint8_t *data = vtp_rbuf_blob(r, VTP_MAX_PACKET_SIZE, &size);
        if (!vtp_rbuf_ok(r) || duration < 0)
            goto end;
        if (av_new_packet(p, (int)size) < 0) {
            ret = VTP_ERR_NOMEM;
            goto end;
        }
        p->pts = pts;
        p->dts = dts;
        p->duration = duration;
        p->flags = flags;
        if (size)
            memcpy(p->data, data, size);
        if ((ret = vtp_pktlist_move(l, p)) < 0)
            goto end;
        ret = VTP_ERR_PROTO;
    }
    ret = 0;
end:
    av_packet_free(&p);
    return ret;
}

void vtp_proto_write_ready(vtp_wbuf *b, const vtp_ready *m)
{
    vtp_proto_header(b, VTP_MSG_READY);
    vtp_wbuf_u32(b, m->threads);
    vtp_wbuf_u8(b, m->heartbeat ? 1 : 0);
    vtp_wbuf_str(b, m->encoders);
}

void vtp_ready_clear(vtp_ready *m)
{
    free(m->encoders);
    memset(m, 0, sizeof(*m));
}

void vtp_proto_write_stop(vtp_wbuf *b)
{
    vtp_proto_header(b, VTP_MSG_STOP);
}

int vtp_proto_read_ready(const void *data, size_t len, vtp_ready *m)
{
    vtp_rbuf r;
    memset(m, 0, sizeof(*m));
    if (open_body(&r, data, len, VTP_MSG_READY) < 0)
        return VTP_ERR_PROTO;
    m->threads = vtp_rbuf_u32(&r);
    uint8_t heartbeat = vtp_rbuf_u8(&r);
    m->encoders = vtp_rbuf_str(&r, VTP_MAX_ENCODERS);
    m->heartbeat = heartbeat;
    if (!vtp_rbuf_ok(&r) || vtp_rbuf_left(&r) != 0 || m->threads < 1 || m->threads > 4096 ||
        heartbeat > 1) {
        vtp_ready_clear(m);
        return VTP_ERR_PROTO;
    }
    return 0;
}

/* Frames go as one block that starts VTP_FRAME_ALIGN-aligned, so the plane
 * alignment vtp_frame_write() gave them holds in the message. */
static void write_frames_inline(vtp_wbuf *b, const vtp_segment *s)
{
    size_t pad = (VTP_FRAME_ALIGN - (b->len + 1) % VTP_FRAME_ALIGN) % VTP_FRAME_ALIGN;
    vtp_wbuf_u8(b, (uint8_t)pad);
    uint8_t *z = vtp_wbuf_reserve(b, pad);
    if (z)
        memset(z, 0, pad);
    vtp_wbuf_bytes(b, s->frame_wire.data, s->frame_wire.len);
    for (int i = 0; i < s->frames.n; i++)
        vtp_frame_write(b, s->frames.v[i]);
}

static void write_segment(vtp_wbuf *b, const vtp_segment *s, int external)
{
    /* One allocation of the right size: segments of raw frames are large. */
    size_t size = 4096 + (size_t)s->pkts.bytes + (size_t)s->pkts.n * 32 +
                  (s->par ? (size_t)s->par->extradata_size : 0) +
                  (external ? 0 : s->frame_wire.len);
    for (int i = 0; i < s->frames.n; i++)
        size += vtp_frame_wire_size(s->frames.v[i]);
    vtp_wbuf_grow(b, size);

    vtp_proto_header(b, VTP_MSG_SEGMENT);
    vtp_wbuf_u64(b, s->job_id);
    vtp_wbuf_u32(b, s->index);
    vtp_wbuf_u8(b, (uint8_t)s->kind);
    vtp_wbuf_i64(b, s->cut_start);
    vtp_wbuf_i64(b, s->cut_end);
    vtp_wbuf_i32(b, s->time_base.num);
    vtp_wbuf_i32(b, s->time_base.den);
    vtp_wbuf_i32(b, s->frame_rate.num);
    vtp_wbuf_i32(b, s->frame_rate.den);
    vtp_wbuf_u32(b, (uint32_t)s->threads);
    vtp_wbuf_u32(b, s->flags);
    vtp_wbuf_i64(b, s->count_start);
    vtp_wbuf_i64(b, s->frames_expected);
    vtp_codecpar_write(b, s->par);
    vtp_enc_opts_write(b, &s->opts);
    write_passlog(b, &s->pass);
    vtp_wbuf_u8(b, (uint8_t)s->nmore);
    for (int i = 0; i < s->nmore; i++)
        vtp_enc_opts_write(b, &s->more[i]);
    if (s->kind == VTP_SEG_FRAMES) {
        vtp_wbuf_u32(b, s->frame_count + (uint32_t)s->frames.n);
        vtp_wbuf_u8(b, (uint8_t)external);
        if (!external)
            write_frames_inline(b, s);
    } else {
        vtp_wbuf_u32(b, (uint32_t)s->pkts.n);
        for (int i = 0; i < s->pkts.n; i++)
            write_packet(b, s->pkts.v[i]);
    }
}

void vtp_proto_write_segment(vtp_wbuf *b, const vtp_segment *s)
{
    write_segment(b, s, 0);
}

/* Where write_segment() puts `threads`: header, job, index, kind, two cuts,
 * time base and frame rate come first. */
#define SEGMENT_THREADS_OFFSET (VTP_PROTO_HEADER_SIZE + 8 + 4 + 1 + 8 + 8 + 8 + 8)

int vtp_proto_set_segment_threads(uint8_t *msg, size_t len, int threads)
{
    int type;
    if (vtp_proto_type(msg, len, &type) < 0 || type != VTP_MSG_SEGMENT ||
        len < SEGMENT_THREADS_OFFSET + 4 || threads < 1 || threads > 1024)
        return VTP_ERR_PROTO;
    for (int i = 0; i < 4; i++)
        msg[SEGMENT_THREADS_OFFSET + i] = (uint8_t)((uint32_t)threads >> (8 * i));
    return 0;
}

int vtp_proto_segment_id(const void *msg, size_t len, uint64_t *job_id, uint32_t *index)
{
    int type;
    if (vtp_proto_type(msg, len, &type) < 0 || type != VTP_MSG_SEGMENT ||
        len < VTP_PROTO_HEADER_SIZE + 8 + 4)
        return VTP_ERR_PROTO;
    vtp_rbuf r;
    vtp_rbuf_init(&r, (const uint8_t *)msg + VTP_PROTO_HEADER_SIZE, 8 + 4);
    *job_id = vtp_rbuf_u64(&r);
    *index = vtp_rbuf_u32(&r);
    return 0;
}

void vtp_proto_write_segment_head(vtp_wbuf *b, const vtp_segment *s)
{
    write_segment(b, s, 1);
}

/* count frames from r; planes point into owner's buffer when owner is set. */
static int read_frames(vtp_rbuf *r, uint32_t n, vtp_framelist *l, AVBufferRef *owner)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return VTP_ERR_NOMEM;
    int ret = 0;
    for (uint32_t i = 0; i < n && ret == 0; i++) {
        if ((ret = vtp_frame_read_ref(r, f, owner)) == 0)
            ret = vtp_framelist_move(l, f);
        av_frame_unref(f);
    }
    av_frame_free(&f);
    return ret;
}

/* A segment's further renditions. */
static int read_more_opts(vtp_rbuf *r, vtp_segment *s)
{
    uint8_t n = vtp_rbuf_u8(r);
    if (!vtp_rbuf_ok(r) || n >= VTP_MAX_OUTPUTS)
        return VTP_ERR_PROTO;
    if (n == 0)
        return 0;
    if (!(s->more = calloc(n, sizeof(*s->more))))
        return VTP_ERR_NOMEM;
    for (; s->nmore < n; s->nmore++) {
        int ret = vtp_enc_opts_read(r, &s->more[s->nmore]);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int vtp_proto_read_segment(const void *data, size_t len, vtp_segment *s)
{
    return vtp_proto_read_segment_ref(data, len, NULL, NULL, 0, NULL, s);
}

int vtp_proto_read_segment_ref(const void *data, size_t len, AVBufferRef *owner,
                               const void *frames, size_t frames_len, AVBufferRef *frames_owner,
                               vtp_segment *s)
{
    vtp_rbuf r;
    int ret = VTP_ERR_PROTO;

    if (open_body(&r, data, len, VTP_MSG_SEGMENT) < 0)
        goto fail;
    s->job_id = vtp_rbuf_u64(&r);
    s->index = vtp_rbuf_u32(&r);
    s->kind = vtp_rbuf_u8(&r);
    s->cut_start = vtp_rbuf_i64(&r);
    s->cut_end = vtp_rbuf_i64(&r);
    s->time_base.num = vtp_rbuf_i32(&r);
    s->time_base.den = vtp_rbuf_i32(&r);
    s->frame_rate.num = vtp_rbuf_i32(&r);
    s->frame_rate.den = vtp_rbuf_i32(&r);
    s->threads = (int)vtp_rbuf_u32(&r);
    s->flags = vtp_rbuf_u32(&r);
    s->count_start = vtp_rbuf_i64(&r);
    s->frames_expected = vtp_rbuf_i64(&r);
    if (!vtp_rbuf_ok(&r) || (s->kind != VTP_SEG_PACKETS && s->kind != VTP_SEG_FRAMES) ||
        s->cut_start >= s->cut_end || !valid_rational(s->time_base, 0) ||
        s->frames_expected < -1 ||
        s->frames_expected > VTP_MAX_PACKETS ||
        !valid_rational(s->frame_rate, 1) || s->threads < 1 || s->threads > 1024 ||
        (s->flags & ~VTP_SEG_FLAGS) ||
        (s->flags & VTP_SEG_PASS1 && s->flags & VTP_SEG_PASS2))
        goto fail;
    if (s->count_start < s->cut_start)
        s->count_start = s->cut_start;
    if ((ret = vtp_codecpar_read(&r, s->par)) < 0 || (ret = vtp_enc_opts_read(&r, &s->opts)) < 0 ||
        (ret = read_passlog(&r, &s->pass)) < 0 || (ret = read_more_opts(&r, s)) < 0)
        goto fail;
    ret = VTP_ERR_PROTO;
    if (s->kind == VTP_SEG_FRAMES) {
        uint32_t n = vtp_rbuf_u32(&r);
        uint8_t external = vtp_rbuf_u8(&r);
        if (!vtp_rbuf_ok(&r) || n > VTP_MAX_PACKETS || external > 1 || external != !!frames)
            goto fail;
        if (external) {
            vtp_rbuf fr;
            vtp_rbuf_init(&fr, frames, frames_len);
            if ((ret = read_frames(&fr, n, &s->frames, frames_owner)) < 0)
                goto fail;
            ret = VTP_ERR_PROTO;
            if (vtp_rbuf_left(&fr) != 0)
                goto fail;
        } else {
            uint8_t pad = vtp_rbuf_u8(&r);
            vtp_rbuf_bytes(&r, pad);
            if (!vtp_rbuf_ok(&r) || pad >= VTP_FRAME_ALIGN)
                goto fail;
            if ((ret = read_frames(&r, n, &s->frames, owner)) < 0)
                goto fail;
        }
    } else if ((ret = read_packets(&r, &s->pkts)) < 0) {
        goto fail;
    }
    if (vtp_rbuf_left(&r) != 0) {
        ret = VTP_ERR_PROTO;
        goto fail;
    }
    return 0;
fail:
    vtp_segment_clear(s);
    vtp_segment_init(s);
    return ret;
}

void vtp_proto_write_result(vtp_wbuf *b, const vtp_result *res)
{
    vtp_proto_header(b, VTP_MSG_RESULT);
    vtp_wbuf_u64(b, res->job_id);
    vtp_wbuf_u32(b, res->index);
    vtp_wbuf_i32(b, res->status);
    vtp_wbuf_str(b, res->error);
    vtp_wbuf_i64(b, res->frames);
    vtp_wbuf_i64(b, res->frames_counted);
    vtp_wbuf_i64(b, res->skipped);
    /* Microseconds, rounded (so a read and a write give back the same) and
     * kept in the range readers accept. */
    double us = res->cpu_seconds * 1e6;
    vtp_wbuf_u64(b, !(us > 0) ? 0 : us >= VTP_MAX_CPU_US ? VTP_MAX_CPU_US : (uint64_t)llround(us));
    vtp_wbuf_i32(b, res->time_base.num);
    vtp_wbuf_i32(b, res->time_base.den);
    vtp_codecpar_write(b, res->par);
    vtp_wbuf_u32(b, (uint32_t)res->pkts.n);
    for (int i = 0; i < res->pkts.n; i++)
        write_packet(b, res->pkts.v[i]);
    write_passlog(b, &res->pass);
    vtp_wbuf_u8(b, (uint8_t)res->nmore);
    for (int k = 0; k < res->nmore; k++) {
        const vtp_result_stream *m = &res->more[k];
        vtp_wbuf_i32(b, m->time_base.num);
        vtp_wbuf_i32(b, m->time_base.den);
        vtp_codecpar_write(b, m->par);
        vtp_wbuf_u32(b, (uint32_t)m->pkts.n);
        for (int i = 0; i < m->pkts.n; i++)
            write_packet(b, m->pkts.v[i]);
    }
}

/* A result's further renditions. */
static int read_more_streams(vtp_rbuf *r, vtp_result *res)
{
    uint8_t n = vtp_rbuf_u8(r);
    if (!vtp_rbuf_ok(r) || n >= VTP_MAX_OUTPUTS)
        return VTP_ERR_PROTO;
    int ret = vtp_result_set_more(res, n);
    for (int k = 0; ret == 0 && k < n; k++) {
        vtp_result_stream *m = &res->more[k];
        m->time_base.num = vtp_rbuf_i32(r);
        m->time_base.den = vtp_rbuf_i32(r);
        if (!vtp_rbuf_ok(r) || !valid_rational(m->time_base, 0))
            return VTP_ERR_PROTO;
        if ((ret = vtp_codecpar_read(r, m->par)) == 0)
            ret = read_packets(r, &m->pkts);
    }
    return ret;
}

void vtp_proto_write_progress(vtp_wbuf *b, const vtp_progress_msg *m)
{
    vtp_proto_header(b, VTP_MSG_PROGRESS);
    vtp_wbuf_u64(b, m->job_id);
    vtp_wbuf_u32(b, m->index);
    vtp_wbuf_i64(b, m->frames);
}

int vtp_proto_read_progress(const void *data, size_t len, vtp_progress_msg *m)
{
    vtp_rbuf r;
    memset(m, 0, sizeof(*m));
    if (open_body(&r, data, len, VTP_MSG_PROGRESS) < 0)
        return VTP_ERR_PROTO;
    m->job_id = vtp_rbuf_u64(&r);
    m->index = vtp_rbuf_u32(&r);
    m->frames = vtp_rbuf_i64(&r);
    if (!vtp_rbuf_ok(&r) || vtp_rbuf_left(&r) != 0 || m->frames < 0) {
        memset(m, 0, sizeof(*m));
        return VTP_ERR_PROTO;
    }
    return 0;
}

int vtp_proto_read_result(const void *data, size_t len, vtp_result *res)
{
    vtp_rbuf r;
    int ret = VTP_ERR_PROTO;

    if (open_body(&r, data, len, VTP_MSG_RESULT) < 0)
        goto fail;
    res->job_id = vtp_rbuf_u64(&r);
    res->index = vtp_rbuf_u32(&r);
    res->status = vtp_rbuf_i32(&r);
    res->error = vtp_rbuf_str(&r, VTP_MAX_STRING);
    res->frames = vtp_rbuf_i64(&r);
    res->frames_counted = vtp_rbuf_i64(&r);
    res->skipped = vtp_rbuf_i64(&r);
    uint64_t cpu_us = vtp_rbuf_u64(&r);
    res->cpu_seconds = (double)cpu_us / 1e6;
    res->time_base.num = vtp_rbuf_i32(&r);
    res->time_base.den = vtp_rbuf_i32(&r);
    if (!vtp_rbuf_ok(&r) || res->status > 0 || res->frames < 0 || res->frames_counted < 0 ||
        res->skipped < 0 ||
        cpu_us > VTP_MAX_CPU_US ||
        !valid_rational(res->time_base, 0))
        goto fail;
    if ((ret = vtp_codecpar_read(&r, res->par)) < 0 || (ret = read_packets(&r, &res->pkts)) < 0 ||
        (ret = read_passlog(&r, &res->pass)) < 0 || (ret = read_more_streams(&r, res)) < 0)
        goto fail;
    if (vtp_rbuf_left(&r) != 0) {
        ret = VTP_ERR_PROTO;
        goto fail;
    }
    return 0;
fail:
    vtp_result_clear(res);
    vtp_result_init(res);
    return ret;
}
