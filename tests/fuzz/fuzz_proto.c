/* fuzz_proto.c -- libFuzzer target for every decoder of network messages.
 *
 * An input is one message, or a message and a second "frames" part joined
 * by FUZZ_FRAMES_MARKER (a SEGMENT whose frames travel as the second part,
 * see vtp_proto_write_segment_head()). Each part is copied into a buffer of
 * its exact size, so that a read past a part's end is a sanitizer report.
 *
 * For every input:
 *  - vtp_proto_type(); a message it refuses must be refused by every reader;
 *  - vtp_proto_read_ready(), vtp_proto_read_result() and the SEGMENT reader
 *    both copying (owner NULL) and zero-copy (owner given; our own
 *    references are dropped at once, so the frames must hold theirs): both
 *    must agree, a reader must refuse any other type, and on failure the
 *    struct must be left cleared;
 *  - what parses is checked against the documented ranges, written back
 *    (SEGMENT: inline, and FRAMES also as head + second part; the copy and
 *    the zero-copy form; vtp_proto_set_segment_threads() on the original)
 *    and parsed again, which must succeed with the same fields.
 * Any broken expectation is abort(), i.e. a finding.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem */
#endif

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "vtp_codecpar.h"
#include "vtp_compat.h"
#include "vtp_error.h"
#include "vtp_proto.h"

#define FUZZ_FRAMES_MARKER "#VTP-FRAMES#"
#define FUZZ_FRAMES_MARKER_LEN (sizeof(FUZZ_FRAMES_MARKER) - 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_failed(const char *what, int line) __attribute__((noreturn));
static void check_failed(const char *what, int line)
{
    fprintf(stderr, "fuzz_proto.c:%d: check failed: %s\n", line, what);
    abort();
}

#define CHECK(cond)                               \
    do {                                          \
        if (!(cond))                              \
            check_failed(#cond, __LINE__);        \
    } while (0)

/* ---- buffers ---- */

/* A reference to a fresh copy of n bytes (exact size), or abort. */
static AVBufferRef *copy_ref(const void *p, size_t n)
{
    AVBufferRef *ref = av_buffer_alloc(n);
    CHECK(ref != NULL);
    if (n)
        memcpy(ref->data, p, n);
    return ref;
}

static uint8_t *take_wbuf(vtp_wbuf *b, size_t *len)
{
    CHECK(!b->failed);
    return vtp_wbuf_release(b, len);
}

/* ---- equality and invariants ---- */

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static int padding_is_zero(const uint8_t *p)
{
    for (int i = 0; i < AV_INPUT_BUFFER_PADDING_SIZE; i++)
        if (p[i])
            return 0;
    return 1;
}

static void check_par(const AVCodecParameters *p)
{
    int blank = p->codec_type == AVMEDIA_TYPE_UNKNOWN && p->codec_id == AV_CODEC_ID_NONE;
    CHECK(p->codec_type == AVMEDIA_TYPE_VIDEO || blank);
    CHECK(p->codec_id == AV_CODEC_ID_NONE || avcodec_descriptor_get(p->codec_id));
    CHECK(p->format == -1 || av_pix_fmt_desc_get(p->format));
    CHECK(p->width >= 0 && p->width <= VTP_MAX_DIMENSION);
    CHECK(p->height >= 0 && p->height <= VTP_MAX_DIMENSION);
    CHECK(p->extradata_size >= 0 && p->extradata_size <= VTP_MAX_EXTRADATA);
    CHECK(!p->extradata_size == !p->extradata);
    if (p->extradata)   /* libav reads the padding: it must be there, zeroed */
        CHECK(padding_is_zero(p->extradata + p->extradata_size));
}

static int same_par(const AVCodecParameters *a, const AVCodecParameters *b)
{
    return a->codec_type == b->codec_type && a->codec_id == b->codec_id &&
           a->codec_tag == b->codec_tag && a->format == b->format &&
           a->bit_rate == b->bit_rate && a->bits_per_coded_sample == b->bits_per_coded_sample &&
           a->bits_per_raw_sample == b->bits_per_raw_sample && a->profile == b->profile &&
           a->level == b->level && a->width == b->width && a->height == b->height &&
           a->sample_aspect_ratio.num == b->sample_aspect_ratio.num &&
           a->sample_aspect_ratio.den == b->sample_aspect_ratio.den &&
           a->field_order == b->field_order && a->color_range == b->color_range &&
           a->color_primaries == b->color_primaries && a->color_trc == b->color_trc &&
           a->color_space == b->color_space && a->chroma_location == b->chroma_location &&
           a->video_delay == b->video_delay && a->extradata_size == b->extradata_size &&
           (!a->extradata_size || !memcmp(a->extradata, b->extradata, (size_t)a->extradata_size));
}

static int same_opts(const vtp_enc_opts *a, const vtp_enc_opts *b)
{
    const AVDictionaryEntry *x = NULL, *y = NULL;
    if (!same_str(a->encoder, b->encoder) || !same_str(a->vf, b->vf) ||
        av_dict_count(a->codec_opts) != av_dict_count(b->codec_opts))
        return 0;
    /* Written and read in order, so the order must survive too. */
    while ((x = av_dict_get(a->codec_opts, "", x, AV_DICT_IGNORE_SUFFIX))) {
        y = av_dict_get(b->codec_opts, "", y, AV_DICT_IGNORE_SUFFIX);
        if (!y || strcmp(x->key, y->key) || strcmp(x->value, y->value))
            return 0;
    }
    return 1;
}

#define PKT_FLAGS (AV_PKT_FLAG_KEY | AV_PKT_FLAG_CORRUPT | AV_PKT_FLAG_DISCARD | \
                   AV_PKT_FLAG_DISPOSABLE)

static void check_pkts(const vtp_pktlist *l)
{
    int64_t bytes = 0;
    CHECK(l->n >= 0 && l->n <= VTP_MAX_PACKETS && l->n <= l->cap);
    for (int i = 0; i < l->n; i++) {
        const AVPacket *p = l->v[i];
        CHECK(p != NULL);
        CHECK(p->size >= 0);
        CHECK(p->duration >= 0);
        CHECK((p->flags & ~PKT_FLAGS) == 0);
        CHECK(p->buf != NULL && p->data != NULL);  /* refcounted, as libav wants */
        CHECK(padding_is_zero(p->data + p->size));
        bytes += p->size;
    }
    CHECK(bytes == l->bytes);
}

static int same_pkts(const vtp_pktlist *a, const vtp_pktlist *b)
{
    if (a->n != b->n || a->bytes != b->bytes)
        return 0;
    for (int i = 0; i < a->n; i++) {
        const AVPacket *x = a->v[i], *y = b->v[i];
        if (x->pts != y->pts || x->dts != y->dts || x->duration != y->duration ||
            x->flags != y->flags || x->size != y->size ||
            (x->size && memcmp(x->data, y->data, (size_t)x->size)))
            return 0;
    }
    return 1;
}

/* Lines of plane i (as codecpar.c counts them). */
static int plane_lines(const AVPixFmtDescriptor *d, int plane, int height)
{
    return plane == 0 || plane == 3 ? height : AV_CEIL_RSHIFT(height, d->log2_chroma_h);
}

/* A decoded frame must be one libav can use: a known software format, sane
 * sizes, and every plane inside one of the buffers the frame references. */
static void check_frame(const AVFrame *f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    CHECK(d != NULL);
    CHECK(!(d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL |
                        AV_PIX_FMT_FLAG_BITSTREAM)));
    CHECK(f->width >= 1 && f->width <= VTP_MAX_DIMENSION);
    CHECK(f->height >= 1 && f->height <= VTP_MAX_DIMENSION);
    CHECK(f->buf[0] != NULL);
    CHECK(f->extended_data == f->data);
    int nplanes = av_pix_fmt_count_planes(f->format);
    CHECK(nplanes >= 1 && nplanes <= 4);
    for (int i = 0; i < nplanes; i++) {
        int bytes = av_image_get_linesize(f->format, f->width, i);
        int lines = plane_lines(d, i, f->height);
        CHECK(bytes > 0 && lines > 0);
        CHECK(f->data[i] != NULL && f->linesize[i] >= bytes);
        const uint8_t *lo = f->data[i];
        const uint8_t *hi = lo + (size_t)(lines - 1) * (size_t)f->linesize[i] + (size_t)bytes;
        int inside = 0;
        for (int k = 0; k < AV_NUM_DATA_POINTERS && f->buf[k]; k++)
            if (lo >= f->buf[k]->data && hi <= f->buf[k]->data + f->buf[k]->size)
                inside = 1;
        CHECK(inside);
    }
}

static int same_frame(const AVFrame *a, const AVFrame *b)
{
    if (a->width != b->width || a->height != b->height || a->format != b->format ||
        a->pts != b->pts || vtp_frame_duration(a) != vtp_frame_duration(b) ||
        a->sample_aspect_ratio.num != b->sample_aspect_ratio.num ||
        a->sample_aspect_ratio.den != b->sample_aspect_ratio.den ||
        vtp_frame_interlaced(a) != vtp_frame_interlaced(b) ||
        vtp_frame_top_field_first(a) != vtp_frame_top_field_first(b) ||
        a->color_range != b->color_range || a->color_primaries != b->color_primaries ||
        a->color_trc != b->color_trc || a->colorspace != b->colorspace ||
        a->chroma_location != b->chroma_location)
        return 0;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(a->format);
    for (int i = 0; i < av_pix_fmt_count_planes(a->format); i++) {
        size_t bytes = (size_t)av_image_get_linesize(a->format, a->width, i);
        for (int y = 0; y < plane_lines(d, i, a->height); y++)
            if (memcmp(a->data[i] + (ptrdiff_t)y * a->linesize[i],
                       b->data[i] + (ptrdiff_t)y * b->linesize[i], bytes))
                return 0;
    }
    return 1;
}

static void check_passlog(const vtp_passlog *p)
{
    CHECK(p->log_len <= VTP_MAX_PASSLOG && (p->log_len == 0) == (p->log == NULL));
    CHECK(p->tree_len <= VTP_MAX_PASSLOG && (p->tree_len == 0) == (p->tree == NULL));
}

static int same_passlog(const vtp_passlog *a, const vtp_passlog *b)
{
    return a->log_len == b->log_len && a->tree_len == b->tree_len &&
           (!a->log_len || !memcmp(a->log, b->log, a->log_len)) &&
           (!a->tree_len || !memcmp(a->tree, b->tree, a->tree_len));
}

static void check_segment(const vtp_segment *s)
{
    CHECK(s->kind == VTP_SEG_PACKETS || s->kind == VTP_SEG_FRAMES);
    CHECK(s->cut_start < s->cut_end);
    CHECK(s->time_base.num > 0 && s->time_base.den > 0);
    CHECK(s->frame_rate.num >= 0 && s->frame_rate.den > 0);
    CHECK(s->threads >= 1 && s->threads <= 1024);
    CHECK((s->flags & ~VTP_SEG_FLAGS) == 0);
    CHECK(!(s->flags & VTP_SEG_PASS1) || !(s->flags & VTP_SEG_PASS2));
    check_passlog(&s->pass);
    CHECK(s->par != NULL);
    check_par(s->par);
    CHECK(s->opts.encoder != NULL);
    CHECK(av_dict_count(s->opts.codec_opts) <= 256);
    check_pkts(&s->pkts);
    CHECK(s->frames.n >= 0 && s->frames.n <= VTP_MAX_PACKETS);
    CHECK(s->kind == VTP_SEG_FRAMES || s->frames.n == 0);
    CHECK(s->kind == VTP_SEG_PACKETS || s->pkts.n == 0);
    for (int i = 0; i < s->frames.n; i++)
        check_frame(s->frames.v[i]);
    CHECK(s->frame_wire.len == 0 && s->frame_count == 0);
}

/* After a failed read the segment is as vtp_segment_init() leaves it. */
static void check_segment_blank(const vtp_segment *s)
{
    CHECK(s->pkts.n == 0 && s->frames.n == 0 && s->pkts.v == NULL && s->frames.v == NULL);
    CHECK(s->opts.encoder == NULL && s->opts.vf == NULL && s->opts.codec_opts == NULL);
    CHECK(s->par == NULL || s->par->extradata == NULL);
    CHECK(s->job_id == 0 && s->index == 0 && s->kind == 0);
    CHECK(s->pass.log == NULL && s->pass.tree == NULL);
}

static int same_segment(const vtp_segment *a, const vtp_segment *b)
{
    if (a->job_id != b->job_id || a->index != b->index || a->kind != b->kind ||
        a->cut_start != b->cut_start || a->cut_end != b->cut_end ||
        a->time_base.num != b->time_base.num || a->time_base.den != b->time_base.den ||
        a->frame_rate.num != b->frame_rate.num || a->frame_rate.den != b->frame_rate.den ||
        a->flags != b->flags || !same_par(a->par, b->par) || !same_opts(&a->opts, &b->opts) ||
        !same_pkts(&a->pkts, &b->pkts) || a->frames.n != b->frames.n ||
        !same_passlog(&a->pass, &b->pass))
        return 0;
    for (int i = 0; i < a->frames.n; i++)
        if (!same_frame(a->frames.v[i], b->frames.v[i]))
            return 0;
    return 1;
}

/* ---- READY ---- */

static void fuzz_ready(const uint8_t *msg, size_t len, int type)
{
    vtp_ready m;
    memset(&m, 0x5a, sizeof(m));    /* read_ready() must not depend on it */
    int ret = vtp_proto_read_ready(msg, len, &m);
    if (ret < 0) {
        CHECK(ret == VTP_ERR_PROTO || ret == VTP_ERR_NOMEM);
        CHECK(m.encoders == NULL);
        return;
    }
    CHECK(type == VTP_MSG_READY);
    CHECK(m.threads >= 1 && m.threads <= 4096);
    CHECK(m.heartbeat == 0 || m.heartbeat == 1);
    CHECK(!m.encoders || (m.encoders[0] && strlen(m.encoders) <= VTP_MAX_ENCODERS));

    vtp_wbuf b;
    size_t wlen;
    vtp_wbuf_init(&b);
    vtp_proto_write_ready(&b, &m);
    uint8_t *w = take_wbuf(&b, &wlen);
    /* The layout has one spelling: the bytes must come back as they were. */
    CHECK(wlen == len && !memcmp(w, msg, len));
    vtp_ready back;
    CHECK(vtp_proto_read_ready(w, wlen, &back) == 0);
    CHECK(back.threads == m.threads && back.heartbeat == m.heartbeat &&
          same_str(back.encoders, m.encoders));
    vtp_ready_clear(&back);
    vtp_ready_clear(&m);
    free(w);
}

/* ---- SEGMENT ---- */

static void segment_init(vtp_segment *s)
{
    CHECK(vtp_segment_init(s) == 0);
}

/* Writes s and parses it back with and without an owner: both must equal s. */
static void segment_roundtrip(const vtp_segment *s)
{
    vtp_wbuf b;
    size_t len;
    vtp_segment back;

    /* Inline. */
    vtp_wbuf_init(&b);
    vtp_proto_write_segment(&b, s);
    uint8_t *msg = take_wbuf(&b, &len);
    int type;
    CHECK(vtp_proto_type(msg, len, &type) == 0 && type == VTP_MSG_SEGMENT);
    segment_init(&back);
    CHECK(vtp_proto_read_segment(msg, len, &back) == 0);
    check_segment(&back);
    CHECK(same_segment(s, &back));
    vtp_segment_clear(&back);

    AVBufferRef *owner = copy_ref(msg, len);
    segment_init(&back);
    CHECK(vtp_proto_read_segment_ref(owner->data, len, owner, NULL, 0, NULL, &back) == 0);
    av_buffer_unref(&owner);
    check_segment(&back);
    CHECK(same_segment(s, &back));
    vtp_segment_clear(&back);
    free(msg);

    if (s->kind != VTP_SEG_FRAMES)
        return;

    /* Head + frames as a second part, as the dispatcher sends them. */
    static const uint8_t empty_part[1];
    vtp_segment head = *s;      /* shallow: only read by the writer */
    vtp_wbuf_init(&head.frame_wire);
    for (int i = 0; i < s->frames.n; i++)
        vtp_frame_write(&head.frame_wire, s->frames.v[i]);
    CHECK(!head.frame_wire.failed);
    head.frame_count = (uint32_t)s->frames.n;
    head.frames.n = 0;
    vtp_wbuf_init(&b);
    vtp_proto_write_segment_head(&b, &head);
    msg = take_wbuf(&b, &len);
    const uint8_t *part = head.frame_wire.data ? head.frame_wire.data : empty_part;
    size_t part_len = head.frame_wire.len;

    segment_init(&back);
    CHECK(vtp_proto_read_segment_ref(msg, len, NULL, part, part_len, NULL, &back) == 0);
    check_segment(&back);
    CHECK(same_segment(s, &back));
    vtp_segment_clear(&back);

    owner = copy_ref(msg, len);
    AVBufferRef *frames_owner = copy_ref(part, part_len);
    segment_init(&back);
    CHECK(vtp_proto_read_segment_ref(owner->data, len, owner, frames_owner->data, part_len,
                                     frames_owner, &back) == 0);
    av_buffer_unref(&owner);
    av_buffer_unref(&frames_owner);
    check_segment(&back);
    CHECK(same_segment(s, &back));
    vtp_segment_clear(&back);

    /* Without its second part the head must be refused. */
    segment_init(&back);
    CHECK(vtp_proto_read_segment(msg, len, &back) == VTP_ERR_PROTO);
    check_segment_blank(&back);
    vtp_segment_clear(&back);

    vtp_wbuf_free(&head.frame_wire);
    free(msg);
}

static void fuzz_segment(const uint8_t *msg, size_t len, const uint8_t *frames,
                         size_t frames_len, int type)
{
    vtp_segment a, z;

    /* Copying. */
    segment_init(&a);
    int ra = frames ? vtp_proto_read_segment_ref(msg, len, NULL, frames, frames_len, NULL, &a)
                    : vtp_proto_read_segment(msg, len, &a);

    /* Zero copy, from fresh buffers whose only lasting references are the
     * frames' own. */
    AVBufferRef *owner = copy_ref(msg, len);
    AVBufferRef *frames_owner = frames ? copy_ref(frames, frames_len) : NULL;
    segment_init(&z);
    int rz = vtp_proto_read_segment_ref(owner->data, len, owner,
                                        frames_owner ? frames_owner->data : NULL, frames_len,
                                        frames_owner, &z);
    av_buffer_unref(&owner);
    av_buffer_unref(&frames_owner);

    CHECK(ra == rz);
    if (ra < 0) {
        CHECK(ra == VTP_ERR_PROTO || ra == VTP_ERR_NOMEM);
        check_segment_blank(&a);
        check_segment_blank(&z);
        vtp_segment_clear(&a);
        vtp_segment_clear(&z);
        return;
    }
    CHECK(type == VTP_MSG_SEGMENT);
    check_segment(&a);
    check_segment(&z);
    CHECK(same_segment(&a, &z));
    segment_roundtrip(&z);      /* writes from the planes that stay in the message */

    /* The dispatcher sets threads in place: only that field may change. */
    uint8_t *copy = malloc(len);
    CHECK(copy != NULL);
    memcpy(copy, msg, len);
    int threads = 1 + (int)(len % 1024);
    CHECK(vtp_proto_set_segment_threads(copy, len, threads) == 0);
    vtp_segment t;
    segment_init(&t);
    CHECK((frames ? vtp_proto_read_segment_ref(copy, len, NULL, frames, frames_len, NULL, &t)
                  : vtp_proto_read_segment(copy, len, &t)) == 0);
    CHECK(t.threads == threads);
    CHECK(same_segment(&a, &t));
    vtp_segment_clear(&t);
    free(copy);

    vtp_segment_clear(&a);
    vtp_segment_clear(&z);
}

/* ---- RESULT ---- */

static void check_result(const vtp_result *r)
{
    CHECK(r->status <= 0);
    CHECK(r->frames >= 0);
    CHECK(r->skipped >= 0);
    CHECK(r->time_base.num > 0 && r->time_base.den > 0);
    CHECK(r->cpu_seconds >= 0 && r->cpu_seconds <= VTP_MAX_CPU_US / 1e6);
    CHECK(!r->error || (r->error[0] && strlen(r->error) <= VTP_MAX_STRING));
    CHECK(r->par != NULL);
    check_par(r->par);
    check_pkts(&r->pkts);
    check_passlog(&r->pass);
}

static void fuzz_result(const uint8_t *msg, size_t len, int type)
{
    vtp_result r;
    CHECK(vtp_result_init(&r) == 0);
    int ret = vtp_proto_read_result(msg, len, &r);
    if (ret < 0) {
        CHECK(ret == VTP_ERR_PROTO || ret == VTP_ERR_NOMEM);
        CHECK(r.error == NULL && r.pkts.n == 0 && r.pkts.v == NULL && r.job_id == 0);
        CHECK(r.pass.log == NULL && r.pass.tree == NULL);
        CHECK(r.par == NULL || r.par->extradata == NULL);
        vtp_result_clear(&r);
        return;
    }
    CHECK(type == VTP_MSG_RESULT);
    check_result(&r);

    vtp_wbuf b;
    size_t wlen;
    vtp_wbuf_init(&b);
    vtp_proto_write_result(&b, &r);
    uint8_t *w = take_wbuf(&b, &wlen);
    vtp_result back;
    CHECK(vtp_result_init(&back) == 0);
    CHECK(vtp_proto_read_result(w, wlen, &back) == 0);
    check_result(&back);
    CHECK(back.job_id == r.job_id && back.index == r.index && back.status == r.status);
    CHECK(same_str(back.error, r.error));
    CHECK(back.frames == r.frames && back.skipped == r.skipped);
    CHECK(back.cpu_seconds == r.cpu_seconds);
    CHECK(back.time_base.num == r.time_base.num && back.time_base.den == r.time_base.den);
    CHECK(same_par(back.par, r.par));
    CHECK(same_pkts(&back.pkts, &r.pkts));
    CHECK(same_passlog(&back.pass, &r.pass));
    vtp_result_clear(&back);
    free(w);

    /* Whatever CPU time a worker measured (the fuzzer picks it through the
     * bits of job_id: negative, NaN, huge), what is written is readable. */
    double cpu;
    memcpy(&cpu, &r.job_id, sizeof(cpu));
    r.cpu_seconds = cpu;
    vtp_wbuf_init(&b);
    vtp_proto_write_result(&b, &r);
    w = take_wbuf(&b, &wlen);
    CHECK(vtp_result_init(&back) == 0);
    CHECK(vtp_proto_read_result(w, wlen, &back) == 0);
    check_result(&back);
    if (cpu >= 0 && cpu <= VTP_MAX_CPU_US / 1e6)  /* to the nearest microsecond */
        CHECK(fabs(back.cpu_seconds - cpu) <= 0.5e-6 * (1 + 1e-9) + cpu * 1e-15);
    vtp_result_clear(&back);
    vtp_result_clear(&r);
    free(w);
}

/* ---- PROGRESS ---- */

static void fuzz_progress(const uint8_t *msg, size_t len, int type)
{
    vtp_progress_msg m;
    int ret = vtp_proto_read_progress(msg, len, &m);
    if (ret < 0) {
        CHECK(ret == VTP_ERR_PROTO);
        return;
    }
    CHECK(type == VTP_MSG_PROGRESS);
    CHECK(m.frames >= 0);
    vtp_wbuf b;
    size_t wlen;
    vtp_wbuf_init(&b);
    vtp_proto_write_progress(&b, &m);
    uint8_t *w = take_wbuf(&b, &wlen);
    CHECK(wlen == len && !memcmp(w, msg, len));
    free(w);
}

/* ---- entry ---- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *mark = memmem(data, size, FUZZ_FRAMES_MARKER, FUZZ_FRAMES_MARKER_LEN);
    size_t len = mark ? (size_t)(mark - data) : size;
    size_t frames_len = mark ? size - len - FUZZ_FRAMES_MARKER_LEN : 0;

    /* Each part in a buffer of its own exact size. */
    uint8_t *msg = malloc(len ? len : 1);
    uint8_t *frames = mark ? malloc(frames_len ? frames_len : 1) : NULL;
    CHECK(msg != NULL && (!mark || frames != NULL));
    memcpy(msg, data, len);
    /* Seeds written by an older protocol are read as the current one, so
     * that the corpus keeps reaching the decoders of each message. */
    if (len >= VTP_PROTO_HEADER_SIZE && !memcmp(msg, "VTP1", 4) && msg[5] == 0 && msg[4] >= 1 &&
        msg[4] < VTP_PROTO_VERSION)
        msg[4] = VTP_PROTO_VERSION;
    if (frames_len)
        memcpy(frames, mark + FUZZ_FRAMES_MARKER_LEN, frames_len);

    int type = 0;
    if (vtp_proto_type(msg, len, &type) < 0) {
        CHECK(len < VTP_PROTO_HEADER_SIZE || type == 0);
        type = 0;
    } else {
        CHECK(len >= VTP_PROTO_HEADER_SIZE);
        CHECK(type >= VTP_MSG_READY && type <= VTP_MSG_PROGRESS);
    }
    /* Threads are set in place only in a SEGMENT long enough to hold them,
     * and only to 1..1024. */
    uint8_t *copy = malloc(len ? len : 1);
    CHECK(copy != NULL);
    memcpy(copy, msg, len);
    int threads = (int)(size % 1100);
    if (vtp_proto_set_segment_threads(copy, len, threads) == 0) {
        CHECK(type == VTP_MSG_SEGMENT && threads >= 1 && threads <= 1024);
        CHECK(len >= VTP_PROTO_HEADER_SIZE + 45 + 4);   /* threads end there */
    } else {
        CHECK(!memcmp(copy, msg, len));
    }
    free(copy);

    /* Every reader runs on every message: those of another type must say no. */
    fuzz_ready(msg, len, type);
    fuzz_segment(msg, len, frames, frames_len, type);
    fuzz_result(msg, len, type);
    fuzz_progress(msg, len, type);

    free(msg);
    free(frames);
    return 0;
}
