/* encode.c -- the dispatcher loop of `vtpool encode` (see vtp_encode.h).
 *
 * DESIGN
 * One thread runs the dispatcher: it owns the input, the splitter, the
 * ROUTER and the joiner. Worker threads own nothing but their codecs.
 * Memory is bounded by a window: at most `window` segments are between the
 * splitter and the joiner (sent, encoding, or finished and waiting for an
 * earlier one), whatever the input's length.
 */
#include "vtp_encode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <zmq.h>

#include "vtp_error.h"
#include "vtp_joiner.h"
#include "vtp_log.h"
#include "vtp_pipeline.h"
#include "vtp_pool.h"
#include "vtp_sched.h"
#include "vtp_splitter.h"

#define VTP_POLL_MS 100                 /* progress refresh while waiting */
#define VTP_LONG_GOP_FACTOR 1.5         /* x segment length without keyframe */

typedef struct run {
    const vtp_encode_cfg *cfg;
    char *why;
    size_t why_size;
    AVFormatContext *in;
    int vidx;
    void *zctx;
    vtp_sched *sched;
    vtp_pool *pool;
    vtp_splitter *splitter;
    vtp_joiner *joiner;
    vtp_enc_opts opts;          /* cfg->opts plus what the container needs */
    int workers;
    int window;
    vtp_result **done;          /* [window]: finished, waiting to be written */
    int64_t *ends;              /* [window]: cut_end of each outstanding index */
    double t0;
} run;

static int fail(run *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(run *r, int err, const char *fmt, ...)
{
    if (!r->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->why, r->why_size, fmt, ap);
        va_end(ap);
    }
    return err;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_input(run *r)
{
    const char *path = r->cfg->input;
    struct stat st;
    int ret;

    if (stat(path, &st) != 0)
        return fail(r, VTP_ERR_INPUT, "cannot open '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return fail(r, VTP_ERR_INPUT, "cannot open '%s': it is a directory", path);
    if (access(path, R_OK) != 0)
        return fail(r, VTP_ERR_INPUT, "cannot open '%s': %s", path, strerror(errno));

    vtp_log_clear_av_error();
    if ((ret = avformat_open_input(&r->in, path, NULL, NULL)) < 0) {
        const char *d = vtp_log_last_av_error();
        return fail(r, VTP_ERR_INPUT, "'%s' is not a media file vtpool can read (%s%s%s)", path,
                    av_err2str(ret), *d ? ": " : "", d);
    }
    r->in->flags |= AVFMT_FLAG_GENPTS;
    if ((ret = avformat_find_stream_info(r->in, NULL)) < 0)
        return fail(r, VTP_ERR_INPUT, "cannot read stream information of '%s': %s", path,
                    av_err2str(ret));

    r->vidx = -1;
    for (unsigned i = 0; i < r->in->nb_streams; i++) {
        const AVStream *s = r->in->streams[i];
        if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            int best = av_find_best_stream(r->in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
            r->vidx = best >= 0 && !(r->in->streams[best]->disposition & AV_DISPOSITION_ATTACHED_PIC)
                          ? best : (int)i;
            break;
        }
    }
    if (r->vidx < 0)
        return fail(r, VTP_ERR_NO_VIDEO, "'%s' has no video stream", path);
    AVCodecParameters *par = r->in->streams[r->vidx]->codecpar;
    if (!avcodec_find_decoder(par->codec_id))
        return fail(r, VTP_ERR_INPUT, "'%s': no decoder for video codec %s", path,
                    avcodec_get_name(par->codec_id));
    if (par->width <= 0 || par->height <= 0 || par->format < 0)
        return fail(r, VTP_ERR_INPUT, "'%s': cannot tell the video's size or pixel format", path);
    return 0;
}

/* Everything the user said is checked here, before any work. */
static int check_settings(run *r)
{
    const AVStream *st = r->in->streams[r->vidx];
    int ret;

    if ((ret = vtp_enc_opts_copy(&r->opts, &r->cfg->opts)) < 0)
        return fail(r, ret, "out of memory");
    if (vtp_joiner_wants_global_header(r->joiner) &&
        av_dict_set(&r->opts.codec_opts, "flags", "+global_header", AV_DICT_APPEND) < 0)
        return fail(r, VTP_ERR_NOMEM, "out of memory");
    if ((ret = vtp_enc_opts_validate(&r->opts, r->why, r->why_size)) < 0)
        return ret;
    AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    return vtp_pipeline_check_filters(&r->opts, st->codecpar, st->time_base, rate, r->why,
                                      r->why_size);
}

static int side_packet(void *opaque, AVPacket *pkt)
{
    return vtp_joiner_side_packet(opaque, pkt);
}

static int start_workers(run *r)
{
    char endpoint[64];

    r->workers = r->cfg->jobs > 0 ? r->cfg->jobs : vtp_cpu_count();
    r->window = 2 * r->workers + 2;
    r->done = calloc((size_t)r->window, sizeof(*r->done));
    r->ends = calloc((size_t)r->window, sizeof(*r->ends));
    if (!r->done || !r->ends)
        return fail(r, VTP_ERR_NOMEM, "out of memory");
    snprintf(endpoint, sizeof(endpoint), "inproc://vtpool-dispatcher-%p", (void *)r);
    if (!(r->zctx = zmq_ctx_new()) || !(r->sched = vtp_sched_new(r->zctx, endpoint)) ||
        !(r->pool = vtp_pool_new(r->zctx, endpoint, r->workers)))
        return fail(r, VTP_ERR_ZMQ, "cannot start %d worker threads", r->workers);

    vtp_split_cfg sc = {
        .segment_seconds = r->cfg->segment_seconds,
        .long_gop_seconds = r->cfg->segment_seconds * VTP_LONG_GOP_FACTOR,
        .job_id = 1,
        .opts = &r->opts,
        .side = side_packet,
        .opaque = r->joiner,
    };
    if (!(r->splitter = vtp_splitter_new(r->in, r->vidx, &sc)))
        return fail(r, VTP_ERR_NOMEM, "out of memory");
    return 0;
}

static void report(run *r, uint32_t written, int done)
{
    if (!r->cfg->progress)
        return;
    vtp_progress p = {
        .frames = vtp_joiner_frames(r->joiner),
        .media_seconds = vtp_joiner_video_seconds(r->joiner),
        .total_seconds = r->in->duration > 0 ? (double)r->in->duration / AV_TIME_BASE : 0,
        .elapsed = now() - r->t0,
        .workers = r->workers,
        .busy = vtp_sched_busy(r->sched),
        .segments_done = (int)written,
        .done = done,
    };
    r->cfg->progress(r->cfg->progress_opaque, &p);
}

static void free_result(vtp_result **res)
{
    if (*res) {
        vtp_result_clear(*res);
        free(*res);
        *res = NULL;
    }
}

static void free_segment(vtp_segment **seg)
{
    if (*seg) {
        vtp_segment_clear(*seg);
        free(*seg);
        *seg = NULL;
    }
}

static const char *input_error(int ret)
{
    return ret == VTP_ERR_TRUNCATED ? "is truncated or corrupt" : "cannot be read";
}

/* The dispatcher loop proper. */
static int dispatch(run *r)
{
    uint32_t next_send = 0, next_write = 0, total = UINT32_MAX;
    vtp_segment *ahead = NULL;      /* read, not yet sent */
    int ret = 0;

    while (next_write != total) {
        if (r->cfg->stop && *r->cfg->stop) {
            ret = fail(r, VTP_ERR_INTERRUPTED, "interrupted");
            break;
        }
        /* Keep every idle worker busy, and one segment read ahead. */
        while (total == UINT32_MAX && next_send - next_write < (uint32_t)r->window) {
            if (!ahead) {
                int got = vtp_splitter_next(r->splitter, &ahead);
                if (got < 0) {
                    ret = fail(r, got, "'%s' %s: %s", r->cfg->input, input_error(got),
                               vtp_strerror(got));
                    goto end;
                }
                if (got == 0) {
                    total = next_send;
                    break;
                }
            }
            if (!vtp_sched_idle(r->sched))
                break;
            vtp_log(VTP_LOG_DEBUG, "segment %u: %s [%lld, %lld) %d packets %d frames", ahead->index,
                    ahead->kind == VTP_SEG_FRAMES ? "frames" : "packets",
                    (long long)ahead->cut_start, (long long)ahead->cut_end, ahead->pkts.n,
                    ahead->frame_count);
            r->ends[ahead->index % (uint32_t)r->window] = ahead->cut_end;
            if ((ret = vtp_sched_send(r->sched, ahead)) < 0) {
                fail(r, ret, "sending segment %u: %s", ahead->index, vtp_strerror(ret));
                goto end;
            }
            free_segment(&ahead);
            next_send++;
        }
        if (next_write == total)
            break;

        vtp_result *res = NULL;
        if ((ret = vtp_sched_recv(r->sched, VTP_POLL_MS, &res)) < 0) {
            fail(r, ret, "receiving results: %s", vtp_strerror(ret));
            goto end;
        }
        if (res) {
            if (res->status < 0) {
                ret = fail(r, VTP_ERR_SEGMENT, "segment %u failed: %s", res->index,
                           res->error ? res->error : vtp_strerror(res->status));
                free_result(&res);
                goto end;
            }
            if (res->index < next_write || res->index >= next_send) {
                free_result(&res);      /* not outstanding: a stray */
            } else {
                free_result(&r->done[res->index % (uint32_t)r->window]);
                r->done[res->index % (uint32_t)r->window] = res;
            }
        }
        /* Write every segment that is next in order. */
        for (vtp_result **slot; *(slot = &r->done[next_write % (uint32_t)r->window]);) {
            ret = vtp_joiner_write(r->joiner, *slot, r->ends[next_write % (uint32_t)r->window],
                                   r->why, r->why_size);
            free_result(slot);
            if (ret < 0)
                goto end;
            next_write++;
        }
        report(r, next_write, 0);
    }
    ret = vtp_joiner_finish(r->joiner, r->why, r->why_size);
    if (ret == VTP_ERR_TRUNCATED)
        fail(r, ret, "'%s': no video frame could be decoded", r->cfg->input);
    if (ret == 0)
        report(r, next_write, 1);
end:
    free_segment(&ahead);
    return ret;
}

int vtp_encode_run(const vtp_encode_cfg *cfg, char *why, size_t why_size)
{
    run r = {.cfg = cfg, .why = why, .why_size = why_size, .t0 = now()};
    int err = 0;
    int ret;

    why[0] = 0;
    vtp_enc_opts_init(&r.opts);
    if ((ret = open_input(&r)) < 0)
        goto end;
    vtp_join_cfg jc = {.output = cfg->output, .overwrite = cfg->overwrite,
                       .audio = cfg->audio ? cfg->audio : "copy"};
    if (!(r.joiner = vtp_joiner_new(r.in, r.vidx, &jc, &err, why, why_size))) {
        ret = err;
        goto end;
    }
    if ((ret = check_settings(&r)) < 0 || (ret = start_workers(&r)) < 0)
        goto end;
    ret = dispatch(&r);
end:
    if (ret < 0 && !why[0])
        snprintf(why, why_size, "%s", vtp_strerror(ret));
    vtp_pool_destroy(&r.pool);
    vtp_sched_destroy(&r.sched);
    if (r.zctx)
        zmq_ctx_term(r.zctx);
    vtp_splitter_destroy(&r.splitter);
    vtp_joiner_destroy(&r.joiner);
    for (int i = 0; r.done && i < r.window; i++)
        free_result(&r.done[i]);
    free(r.done);
    free(r.ends);
    vtp_enc_opts_clear(&r.opts);
    avformat_close_input(&r.in);
    return ret;
}
