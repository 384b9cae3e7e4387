/* job.c -- one transcode in progress (see vtp_job.h).
 *
 * DESIGN
 * The window is a ring of slots indexed by segment index modulo its size;
 * next_write <= index < next_read are the live ones.
 *
 * Two threads share a job. The dispatcher's (the scheduler) only leases
 * slots and takes results: it never waits on media or disk. The job's own
 * media thread does everything else: it opens the input and the output
 * (for a job made by vtp_job_new; vtp_job_open does it on the caller's
 * thread, so that its errors come first), reads and cuts the input (decoding
 * it, for long-GOP inputs) into new PENDING slots, checks each RECEIVED
 * result (every frame, in its range), stores it (spill file and queue
 * record) and joins the results in order into the output. It reads ahead
 * only while the window has room and fewer segments wait than the
 * scheduler could send (vtp_job_want), which bounds memory by the window
 * whatever the input's length.
 *
 * One mutex guards the slots, the window's ends and the flags; the media
 * thread holds it only to look and to publish, never while it reads,
 * decodes, writes or syncs. A slot at next_read is the media thread's alone
 * until it advances next_read; a RECEIVED slot is too, until it is DONE.
 * The splitter, the joiner and the pass record are the media thread's only:
 * what the scheduler shows of them is the snapshot in `progress`.
 */
#include "vtp_job.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/display.h>

#include "vtp_accounting.h"
#include "vtp_clock.h"
#include "vtp_compat.h"
#include "vtp_error.h"
#include "vtp_hdr.h"
#include "vtp_joiner.h"
#include "vtp_log.h"
#include "vtp_package.h"
#include "vtp_passrec.h"
#include "vtp_proto.h"
#include "vtp_queue.h"
#include "vtp_rendition.h"
#include "vtp_spill.h"
#include "vtp_splitter.h"
#include "vtp_timeline.h"
#include "vtp_zsock.h"

#define VTP_PROGRESS_EVERY_MS 1000      /* a job's progress goes to its queue this often */

/* FREE -> PENDING (media) -> SENT (scheduler) -> RECEIVED (scheduler) ->
 * DONE (media: checked and stored) -> FREE (media: written). A SENT slot
 * whose worker failed goes back to PENDING. */
enum { SLOT_FREE, SLOT_PENDING, SLOT_SENT, SLOT_RECEIVED, SLOT_DONE };

typedef struct slot {
    int state;
    uint32_t index;
    int64_t cut_start, cut_end;
    int64_t frames_expected;    /* -1: unknown */
    AVBufferRef *head;          /* the SEGMENT message, until done */
    AVBufferRef *frames;        /* its frames part, or NULL */
    uint64_t lease;
    int threads;                /* codec threads of the current lease */
    int attempts;               /* failed or lost leases */
    int lost;                   /* of which lost with their worker */
    int64_t encoded;            /* frames: SENT, so far (PROGRESS); DONE, all */
    vtp_result *res;            /* RECEIVED, or DONE in memory */
} slot;

struct vtp_job {
    vtp_job_cfg cfg;            /* strings below are owned copies */
    char *input, *output, *audio, *spill_dir;
    vtp_enc_opts opts;          /* what workers get */
    AVFormatContext *in;
    int vidx;
    vtp_splitter *splitter;
    vtp_joiner *joiner;
    vtp_package *package;       /* a ladder's output, instead of the joiner */
    char **rend_spec;           /* a ladder's rungs, as given */
    vtp_rendition *rend;        /* ... parsed */
    vtp_enc_opts *rung;         /* ... each one's options, its scale in its vf */
    int *rung_w, *rung_h;       /* ... and size */
    int nrung;                  /* 0: not a ladder */
    slot *slots;
    int window;
    uint32_t next_read, next_write;
    int eof;
    int finished;
    int64_t skipped;            /* damage dropped by workers (--on-error skip) */
    vtp_hdr hdr;                /* HDR10 metadata of the input */
    int64_t passed_frames;      /* first pass: frames through it */
    char level[16];             /* second pass: the encoder level of every segment */
    double passed_seconds;
    const AVOutputFormat *ofmt; /* the output's muxer */

    /* Shared by the scheduler and the media thread (see DESIGN). */
    pthread_mutex_t mu;
    pthread_cond_t wake;        /* the media thread's: something to do */
    pthread_t media;
    int media_started;
    int stop;                   /* the job is being destroyed */
    atomic_int halt;            /* ... read by libavformat's interrupt callback */
    int want;                   /* segments the scheduler could send now */
    int workers_changed;        /* cfg.parallelism is new to the splitter */
    atomic_int opened;          /* open_job() passed: the fields it sets are set */
    int checked;                /* the encoder's trial passed (check_encoder) */
    int err;                    /* the media thread failed, saying why */
    char err_why[1024];
    vtp_job_progress progress;  /* the media thread's side, as of its last step */
    vtp_job_notify_fn notify;
    void *notify_opaque;
};

static int fail(char *why, size_t size, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *why, size_t size, int err, const char *fmt, ...)
{
    if (!why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
    }
    return err;
}

static slot *slot_of(const vtp_job *j, uint32_t index)
{
    return &j->slots[index % (uint32_t)j->window];
}

static void lock(vtp_job *j)
{
    pthread_mutex_lock(&j->mu);
}

static void unlock(vtp_job *j)
{
    pthread_mutex_unlock(&j->mu);
}

static void clear_slot(slot *s)
{
    av_buffer_unref(&s->head);
    av_buffer_unref(&s->frames);
    if (s->res) {
        vtp_result_clear(s->res);
        free(s->res);
        s->res = NULL;
    }
    memset(s, 0, sizeof(*s));
}

/* ---- opening ---- */

/* libavformat's interrupt callback: a job being destroyed stops reading. */
static int halted(void *opaque)
{
    vtp_job *j = opaque;
    return atomic_load(&j->halt);
}

static int open_input(vtp_job *j, char *why, size_t ws)
{
    const char *path = j->input;
    struct stat st;
    int ret;

    if (stat(path, &st) != 0)
        return fail(why, ws, VTP_ERR_INPUT, "cannot open '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return fail(why, ws, VTP_ERR_INPUT, "cannot open '%s': it is a directory", path);
    if (access(path, R_OK) != 0)
        return fail(why, ws, VTP_ERR_INPUT, "cannot open '%s': %s", path, strerror(errno));

    /* A job cancelled or stopped while its input opens (a slow network
     * file system) stops waiting. */
    if (!(j->in = avformat_alloc_context()))
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    j->in->interrupt_callback = (AVIOInterruptCB){halted, j};
    vtp_log_clear_av_error();
    if ((ret = avformat_open_input(&j->in, path, NULL, NULL)) < 0) {
        const char *d = vtp_log_last_av_error();
        return fail(why, ws, VTP_ERR_INPUT, "'%s' is not a media file vtpool can read (%s%s%s)",
                    path, av_err2str(ret), *d ? ": " : "", d);
    }
    if ((ret = avformat_find_stream_info(j->in, NULL)) < 0)
        return fail(why, ws, VTP_ERR_INPUT, "cannot read stream information of '%s': %s", path,
                    av_err2str(ret));

    j->vidx = -1;
    int best = av_find_best_stream(j->in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (best >= 0 && !(j->in->streams[best]->disposition & AV_DISPOSITION_ATTACHED_PIC))
        j->vidx = best;
    for (unsigned i = 0; j->vidx < 0 && i < j->in->nb_streams; i++) {
        const AVStream *s = j->in->streams[i];
        if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(s->disposition & AV_DISPOSITION_ATTACHED_PIC))
            j->vidx = (int)i;
    }
    if (j->vidx < 0)
        return fail(why, ws, VTP_ERR_NO_VIDEO, "'%s' has no video stream", path);
    AVCodecParameters *par = j->in->streams[j->vidx]->codecpar;
    if (!avcodec_find_decoder(par->codec_id))
        return fail(why, ws, VTP_ERR_INPUT, "'%s': no decoder for video codec %s", path,
                    avcodec_get_name(par->codec_id));
    if (par->width <= 0 || par->height <= 0 || par->format < 0)
        return fail(why, ws, VTP_ERR_INPUT, "'%s': cannot tell the video's size or pixel format",
                    path);
    /* Containers that store decode times only (AVI): the splitter's
     * timeline gives frames their presentation times (vtp_timeline.h), and
     * libavformat guesses them only for reordered codecs it does not time
     * (its guess would move the first frame onto the second's time when a
     * dropped frame leaves a gap after it). */
    if (vtp_timeline_wants_genpts(par, vtp_timeline_dts_only(j->in->iformat)))
        j->in->flags |= AVFMT_FLAG_GENPTS;
    return 0;
}

/* The container's usual video encoder, for when none is named. */
static const char *default_encoder(const char *output)
{
    if (vtp_package_is_ladder(output))
        return "libx264";
    const AVOutputFormat *fmt = av_guess_format(NULL, output, NULL);
    const AVCodec *c = fmt ? avcodec_find_encoder(fmt->video_codec) : NULL;
    return c ? c->name : "libx264";
}

/* The filters that turn frames stored rotated (a display matrix, as phones
 * write) upright, as ffmpeg's autorotation does; NULL when none is needed.
 * Angles are counterclockwise, as av_display_rotation_get() gives them. */
static const char *upright_filter(const int32_t *m, char *buf, size_t size)
{
    double theta = -av_display_rotation_get(m);     /* clockwise */
    theta -= 360 * floor(theta / 360 + 0.9 / 360);  /* [0, 360) */
    if (fabs(theta - 90) < 1)
        return m[3] > 0 ? "transpose=cclock_flip" : "transpose=clock";
    if (fabs(theta - 180) < 1) {
        snprintf(buf, size, "%s%s%s", m[0] < 0 ? "hflip" : "", m[0] < 0 && m[4] < 0 ? "," : "",
                 m[4] < 0 ? "vflip" : "");
        return buf[0] ? buf : NULL;
    }
    if (fabs(theta - 270) < 1)
        return m[3] < 0 ? "transpose=clock_flip" : "transpose=cclock";
    if (fabs(theta) > 1) {
        snprintf(buf, size, "rotate=%f", theta * M_PI / 180);
        return buf;
    }
    return m[4] < 0 ? "vflip" : NULL;
}

/* A rotated input: the matrix is kept where the container holds one, the
 * frames are turned upright everywhere else (before the user's --vf). */
static int apply_rotation(vtp_job *j, char *why, size_t ws)
{
    const int32_t *m = vtp_stream_display_matrix(j->in->streams[j->vidx]);
    char buf[64];
    const char *turn;
    if (!m || (vtp_joiner_format_keeps_rotation(j->ofmt) && !j->nrung) ||
        !(turn = upright_filter(m, buf, sizeof(buf))))
        return 0;
    char *vf = j->opts.vf ? av_asprintf("%s,%s", turn, j->opts.vf) : av_strdup(turn);
    if (!vf)
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    free(j->opts.vf);
    j->opts.vf = strdup(vf);
    av_free(vf);
    if (!j->opts.vf)
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    vtp_log(VTP_LOG_WARNING, "the input's display matrix rotates it by %.0f degrees: its frames "
            "are turned upright (%s), as %s", av_display_rotation_get(m), turn,
            j->nrung ? "players of a ladder's tracks may ignore a rotation"
                     : "this container keeps no rotation");
    return 0;
}

/* HDR10 metadata goes to the encoder, in its own words, and to the
 * container; an encoder that cannot take it is said once. */
static int apply_hdr(vtp_job *j, char *why, size_t ws)
{
    vtp_hdr_probe(j->in, j->vidx, j->input, &j->hdr);
    vtp_hdr_warn_dropped(&j->hdr, j->opts.encoder);
    if (!j->hdr.has_mastering && !j->hdr.has_light)
        return 0;
    int ret = vtp_hdr_encoder_opts(&j->hdr, j->opts.encoder, &j->opts.codec_opts);
    if (ret < 0)
        return fail(why, ws, ret, "out of memory");
    vtp_log(VTP_LOG_WARNING, ret ? "HDR10 metadata (mastering display, content light) goes to %s "
                                   "and the container"
                                 : "%s takes no HDR10 metadata: it is written to the container only",
            j->opts.encoder);
    return 0;
}

/* Interlaced input is encoded interlaced by the encoders that can (x264
 * and MPEG-2 code field pairs: interlaced DCT, and MPEG-2 also interlaced
 * motion estimation), unless the user chose; the others code the woven
 * frames, and every output is marked with the input's field order. A
 * ladder's frames are scaled, which fields do not survive, and played by
 * browsers, which show progressive video only: they are deinterlaced
 * first (yadif, one frame for each, the frames flagged interlaced only). */
static int apply_interlace(vtp_job *j, char *why, size_t ws)
{
    enum AVFieldOrder order = j->in->streams[j->vidx]->codecpar->field_order;
    const char *enc = j->opts.encoder;
    const char *flags = !strcmp(enc, "libx264") ? "+ildct"
                        : !strcmp(enc, "mpeg2video") ? "+ildct+ilme" : NULL;
    if (order == AV_FIELD_UNKNOWN || order == AV_FIELD_PROGRESSIVE)
        return 0;
    if (j->nrung) {
        /* yadif counts in half the time base (for its field rate mode):
         * settb gives the frames back their own times. */
        AVRational tb = j->in->streams[j->vidx]->time_base;
        char *vf = av_asprintf("yadif=deint=interlaced,settb=%d/%d%s%s", tb.num, tb.den,
                               j->opts.vf ? "," : "", j->opts.vf ? j->opts.vf : "");
        free(j->opts.vf);
        j->opts.vf = vf ? strdup(vf) : NULL;
        av_free(vf);
        if (!j->opts.vf)
            return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
        vtp_log(VTP_LOG_WARNING, "the input is interlaced: a ladder's renditions are "
                "deinterlaced (yadif)");
        return 0;
    }
    if (!flags) {
        /* x265 codes fields only as separate pictures of half height, which
         * FFmpeg's wrapper does not give it; the others have no field tools. */
        vtp_log(VTP_LOG_WARNING, "the input is interlaced: %s codes the woven frames as "
                "progressive pictures, marked with the field order", enc);
        return 0;
    }
    const AVDictionaryEntry *e = av_dict_get(j->opts.codec_opts, "flags", NULL, 0);
    const AVDictionaryEntry *p = av_dict_get(j->opts.codec_opts, "x264-params", NULL, 0);
    if ((e && strstr(e->value, "ildct")) || (p && strstr(p->value, "interlace")))
        return 0;
    if (av_dict_set(&j->opts.codec_opts, "flags", flags, AV_DICT_APPEND) < 0)
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    vtp_log(VTP_LOG_WARNING, "the input is interlaced (%s field first): %s encodes it interlaced",
            order == AV_FIELD_TT || order == AV_FIELD_TB ? "top" : "bottom", enc);
    return 0;
}

/* --audio names auto, copy, none or an audio encoder, whether or not the
 * input has audio. */
static int check_audio(const vtp_job *j, char *why, size_t ws)
{
    const char *a = j->audio;
    if (!strcmp(a, "auto") || !strcmp(a, "copy") || !strcmp(a, "none"))
        return 0;
    const AVCodec *c = avcodec_find_encoder_by_name(a);
    if (!c || c->type != AVMEDIA_TYPE_AUDIO)
        return fail(why, ws, VTP_ERR_USAGE,
                    "unknown audio encoder '%s' (auto, copy, none, or see 'ffmpeg -encoders')", a);
    return 0;
}

/* Two-pass encoding: the second pass meets -b (each segment its share,
 * set as it goes out); the first measures each segment at one constant
 * quality instead, the user's --crf or the encoder's default, with no rate
 * or buffer limit to bend it. */
static int apply_pass(vtp_job *j, char *why, size_t ws)
{
    if (!j->cfg.pass)
        return 0;
    if (!j->cfg.passrec || (j->cfg.pass != 1 && j->cfg.pass != 2))
        return fail(why, ws, AVERROR_BUG, "two-pass job without its record");
    if (!j->cfg.encoders->twopass(j->opts.encoder))
        return fail(why, ws, VTP_ERR_USAGE, "two-pass encoding needs libx264 or libx265, not %s",
                    j->opts.encoder);
    if (!av_dict_get(j->opts.codec_opts, "b", NULL, 0))
        return fail(why, ws, VTP_ERR_USAGE, "two-pass encoding needs a bitrate (-b)");
    if (j->cfg.pass == 2)
        return av_dict_set(&j->opts.codec_opts, "crf", NULL, 0) < 0 ? VTP_ERR_NOMEM : 0;
    static const char *const rate_only[] = {"b", "maxrate", "bufsize", "minrate"};
    for (size_t i = 0; i < sizeof(rate_only) / sizeof(*rate_only); i++)
        av_dict_set(&j->opts.codec_opts, rate_only[i], NULL, 0);
    if (!av_dict_get(j->opts.codec_opts, "crf", NULL, 0) &&
        av_dict_set(&j->opts.codec_opts, "crf", !strcmp(j->opts.encoder, "libx265") ? "28" : "23",
                    0) < 0)
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    return 0;
}

/* Whether the input is shown turned a quarter (its sides swap). */
static int shown_quarter(const vtp_job *j)
{
    const int32_t *m = vtp_stream_display_matrix(j->in->streams[j->vidx]);
    double theta = m ? fabs(fmod(av_display_rotation_get(m), 180)) : 0;
    return fabs(theta - 90) < 1;
}

/* The input's picture as shown. */
static void shown_size(const vtp_job *j, int *w, int *h)
{
    const AVCodecParameters *par = j->in->streams[j->vidx]->codecpar;
    int quarter = shown_quarter(j);
    *w = quarter ? par->height : par->width;
    *h = quarter ? par->width : par->height;
}

/* A ladder's rungs: each one's options (the job's, its own over them, its
 * scale after the job's filters), checked as the job's are. */
static int check_ladder(vtp_job *j, char *why, size_t ws)
{
    const AVStream *st = j->in->streams[j->vidx];
    int in_w, in_h, ret;
    if (j->cfg.pass)
        return fail(why, ws, VTP_ERR_USAGE, "two-pass encoding of a ladder is not supported "
                    "(each rendition takes -b, --crf and its own options instead)");
    shown_size(j, &in_w, &in_h);
    /* The container's aspect ratio, else the codec's (MPEG-2 keeps it in
     * its sequence header), as ffmpeg guesses it. */
    AVRational sar = av_guess_sample_aspect_ratio(j->in, (AVStream *)st, NULL);
    if (!st->codecpar->sample_aspect_ratio.num && !st->sample_aspect_ratio.num)
        sar = (AVRational){0, 1};
    if (shown_quarter(j))
        sar = av_inv_q(sar.num ? sar : (AVRational){1, 1});
    if (!(j->rung = calloc((size_t)j->nrung, sizeof(*j->rung))) ||
        !(j->rung_w = calloc((size_t)j->nrung, sizeof(int))) ||
        !(j->rung_h = calloc((size_t)j->nrung, sizeof(int))))
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    for (int k = 0; k < j->nrung; k++) {
        vtp_enc_opts *o = &j->rung[k];
        char bad[256];
        if (vtp_rendition_parse(j->rend_spec[k], &j->rend[k], bad, sizeof(bad)) < 0)
            return fail(why, ws, VTP_ERR_USAGE, "%s", bad);
        if ((ret = vtp_rendition_size(&j->rend[k], in_w, in_h, sar, &j->rung_w[k],
                                      &j->rung_h[k])) < 0)
            return fail(why, ws, ret, "rendition %d: %dx%d of a %dx%d input is out of range",
                        k + 1, j->rend[k].width, j->rend[k].height, in_w, in_h);
        if (vtp_rendition_opts(&j->opts, &j->rend[k], o) < 0)
            return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
        char *vf = av_asprintf("%s%sscale=%d:%d,setsar=1", o->vf ? o->vf : "", o->vf ? "," : "",
                               j->rung_w[k], j->rung_h[k]);
        free(o->vf);
        o->vf = vf ? strdup(vf) : NULL;
        av_free(vf);
        if (!o->vf || av_dict_set(&o->codec_opts, "flags", "+global_header", AV_DICT_APPEND) < 0)
            return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
        if ((ret = vtp_enc_opts_validate(o, why, ws)) < 0)
            return ret;
        const AVCodec *c = avcodec_find_encoder_by_name(o->encoder);
        if (!c || (c->id != AV_CODEC_ID_H264 && c->id != AV_CODEC_ID_HEVC &&
                   c->id != AV_CODEC_ID_AV1))
            return fail(why, ws, VTP_ERR_USAGE, "rendition %d: %s is not an H.264, HEVC or AV1 "
                        "encoder, which HLS and DASH players take", k + 1, o->encoder);
        if (strcmp(o->encoder, j->rung[0].encoder) != 0)
            return fail(why, ws, VTP_ERR_USAGE, "rendition %d uses %s, rendition 1 %s: the "
                        "renditions of a ladder share one encoder", k + 1, o->encoder,
                        j->rung[0].encoder);
    }
    vtp_package_cfg pc = {.output = j->output, .audio = j->audio, .live = j->cfg.live_playlist,
                          .nvideo = j->nrung, .width = j->rung_w, .height = j->rung_h};
    return vtp_package_check(&pc, j->in, why, ws);
}

/* Everything the user said is checked here, before any work and before the
 * output is looked at, but for the encoder's trial (check_encoder). */
static int check_settings(vtp_job *j, char *why, size_t ws)
{
    int ret;

    if (!j->opts.encoder && !(j->opts.encoder = strdup(default_encoder(j->output))))
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    if ((ret = apply_rotation(j, why, ws)) < 0 || (ret = apply_hdr(j, why, ws)) < 0 ||
        (ret = apply_interlace(j, why, ws)) < 0)
        return ret;
    if (vtp_joiner_format_global_header(j->ofmt) &&
        av_dict_set(&j->opts.codec_opts, "flags", "+global_header", AV_DICT_APPEND) < 0)
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    if ((ret = vtp_enc_opts_validate(&j->opts, why, ws)) < 0 ||
        (ret = vtp_joiner_format_can_hold(j->ofmt, j->opts.encoder, why, ws)) < 0 ||
        (ret = check_audio(j, why, ws)) < 0 || (ret = apply_pass(j, why, ws)) < 0)
        return ret;
    return j->nrung ? check_ladder(j, why, ws) : 0;
}

/* The encoder opened with the settings, at the picture's size, and given
 * a frame, as every segment will: what only the encoder can tell (its
 * options' values, sizes and levels it refuses). Once per job; it takes
 * from milliseconds to seconds (x265, SVT-AV1 at 4K). */
static int check_encoder(vtp_job *j, char *why, size_t ws)
{
    if (j->checked)
        return 0;
    const AVStream *st = j->in->streams[j->vidx];
    AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    int ret = 0;
    if (!j->nrung)
        ret = j->cfg.encoders->check(&j->opts, st->codecpar, st->time_base, rate, why, ws);
    for (int k = 0; k < j->nrung && ret == 0; k++)
        ret = j->cfg.encoders->check(&j->rung[k], st->codecpar, st->time_base, rate, why, ws);
    j->checked = ret == 0;
    return ret;
}

int vtp_job_check(vtp_job *j, char *why, size_t ws)
{
    why[0] = 0;
    return check_encoder(j, why, ws);
}

/* The encoder's keyframe interval in seconds, 0 when unknown. */
static double keyint_seconds(const vtp_job *j)
{
    const AVStream *st = j->in->streams[j->vidx];
    AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    long frames = vtp_enc_opts_keyint(&j->opts);
    if (frames <= 0 || rate.num <= 0 || rate.den <= 0)
        return 0;
    return (double)frames / av_q2d(rate);
}

static int side_packet(void *opaque, AVPacket *pkt)
{
    vtp_job *j = opaque;
    if (j->package)
        return vtp_package_side_packet(j->package, pkt);
    if (j->joiner)
        return vtp_joiner_side_packet(j->joiner, pkt);
    av_packet_unref(pkt);       /* a first pass: only the video counts */
    return 0;
}

/* A ladder's rungs, as given: parsed when the job opens. */
static int copy_renditions(vtp_job *j, const vtp_job_cfg *cfg)
{
    j->cfg.renditions = NULL;   /* the caller's: j->rend_spec */
    if (cfg->nrenditions <= 0)
        return 0;
    if (!(j->rend_spec = calloc((size_t)cfg->nrenditions, sizeof(*j->rend_spec))) ||
        !(j->rend = calloc((size_t)cfg->nrenditions, sizeof(*j->rend))))
        return VTP_ERR_NOMEM;
    for (; j->nrung < cfg->nrenditions; j->nrung++)
        if (!(j->rend_spec[j->nrung] = strdup(cfg->renditions[j->nrung])))
            return VTP_ERR_NOMEM;
    return 0;
}

vtp_job *vtp_job_new(const vtp_job_cfg *cfg)
{
    vtp_job *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->wake, NULL);
    atomic_init(&j->halt, 0);
    atomic_init(&j->opened, 0);
    j->cfg = *cfg;
    j->cfg.opts = NULL;         /* the caller's, maybe gone once it returns: j->opts */
    j->window = cfg->window > 0 ? cfg->window : 4;
    vtp_enc_opts_init(&j->opts);
    if (vtp_enc_opts_copy(&j->opts, cfg->opts) < 0 ||
        !(j->input = strdup(cfg->input)) || !(j->output = strdup(cfg->output)) ||
        !(j->audio = strdup(cfg->audio ? cfg->audio : "auto")) ||
        (cfg->spill_dir && !(j->spill_dir = strdup(cfg->spill_dir))) ||
        !(j->slots = calloc((size_t)j->window, sizeof(*j->slots))) ||
        copy_renditions(j, cfg) < 0)
        vtp_job_destroy(&j);
    return j;
}

/* Opens the input and the output and checks the settings (vtp_job_open):
 * on the caller's thread, or first thing on the media thread. */
static int open_job(vtp_job *j, char *why, size_t ws)
{
    const vtp_job_cfg *cfg = &j->cfg;
    int ret;

    if ((ret = open_input(j, why, ws)) < 0)
        return ret;
    if (vtp_package_is_ladder(j->output) != (j->nrung > 0))
        return fail(why, ws, VTP_ERR_USAGE, j->nrung ? "'%s': a ladder (--rendition) is written "
                    "as an HLS master playlist (.m3u8) or a DASH MPD (.mpd)"
                    : "'%s': a playlist output needs the renditions of its ladder "
                    "(--rendition WxH[,KEY=VALUE]...)", j->output);
    /* A ladder's tracks are MP4 (CMAF). */
    if (!(j->ofmt = j->nrung ? av_guess_format("mp4", NULL, NULL)
                             : vtp_joiner_format(j->output, why, ws)))
        return VTP_ERR_USAGE;
    if ((ret = check_settings(j, why, ws)) < 0)
        return ret;
    char tag[32];
    snprintf(tag, sizeof(tag), "job%lld", (long long)cfg->id);
    vtp_join_cfg jc = {.output = j->output, .overwrite = cfg->overwrite, .audio = j->audio,
                       .temp_tag = cfg->spill_dir ? tag : NULL, .skip_errors = cfg->skip_errors};
    vtp_package_cfg pc = {.output = j->output, .overwrite = cfg->overwrite, .audio = j->audio,
                          .live = cfg->live_playlist, .skip_errors = cfg->skip_errors,
                          .nvideo = j->nrung, .width = j->rung_w, .height = j->rung_h};
    if (j->nrung && !(j->package = vtp_package_new(j->in, j->vidx, &pc, &ret, why, ws)))
        return ret;
    /* A first pass writes nothing but its record. */
    if (!j->nrung && cfg->pass != 1 &&
        !(j->joiner = vtp_joiner_new(j->in, j->vidx, &jc, &ret, why, ws)))
        return ret;
    if (j->joiner && (j->hdr.has_mastering || j->hdr.has_light))
        vtp_joiner_set_hdr(j->joiner, &j->hdr);
    /* The scheduler may change the workers meanwhile (read_next passes a
     * change on to the splitter). */
    lock(j);
    int workers = cfg->fixed_segments ? 0 : cfg->parallelism;
    unlock(j);
    /* By default the cuts are planned (vtp_cutter.h); --segment S sets the
     * length, cut finer at the end. */
    int planned = cfg->segment_seconds <= 0 && !j->nrung;
    double seg = planned               ? VTP_SEGMENT_DEFAULT_S
                 : cfg->segment_seconds > 0 ? cfg->segment_seconds
                                           : VTP_LADDER_SEGMENT_S;
    /* With no duration to plan from, a middle length keeps the cores busy. */
    if (planned && (j->in->duration <= 0 ||
                    j->in->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE))
        seg = VTP_SEGMENT_UNPLANNED_S;
    double grid = planned ? keyint_seconds(j) : 0;
    /* A second pass meets each segment's share the less closely the shorter
     * it is (x264 within 1-2% from 4 s on, 10% under at 2 s): no shorter
     * tail than that in two passes, unless every segment is. */
    double tail_min = planned ? VTP_PLAN_MIN_S : VTP_TAIL_MIN_S;
    if (cfg->pass)
        tail_min = FFMIN(FFMAX(tail_min, VTP_PASS_MIN_S), seg);
    /* A ladder's segments are what players fetch: none very short. */
    if (j->nrung)
        tail_min = FFMIN(VTP_LADDER_TAIL_MIN_S, seg);
    if (planned)
        vtp_log(VTP_LOG_INFO, "segments planned for %d workers, %.0f to %.0f s%s", workers,
                VTP_PLAN_MIN_S, seg, grid > 0 ? ", whole keyframe intervals" : "");
    else
        vtp_log(VTP_LOG_INFO, "segments of %.2f s", seg);
    vtp_split_cfg sc = {
        .segment_seconds = seg,
        .long_gop_seconds = planned ? VTP_LONG_GOP_S : seg * VTP_LONG_GOP_FACTOR,
        .workers = workers,
        .tail_min_seconds = tail_min,
        .grid_seconds = grid,
        .spread = planned ? 1 : 2,
        /* In a ladder's tail a keyframe of the input is taken early rather
         * than a cut between keyframes, which makes the next segment decode
         * from the keyframe before it: measured on a ladder only
         * (BENCHMARKS.md, "Ladders"), where it saved 6% of the CPU. */
        .prefer_keys = j->nrung > 0,
        .job_id = (uint64_t)cfg->id,
        .opts = j->nrung ? &j->rung[0] : &j->opts,
        .skip_errors = cfg->skip_errors,
        .side = side_packet,
        .opaque = j,
    };
    if (!(j->splitter = vtp_splitter_new(j->in, j->vidx, &sc)))
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    if (j->spill_dir && mkdir(j->spill_dir, 0755) != 0 && errno != EEXIST)
        return fail(why, ws, VTP_ERR_OUTPUT, "cannot create '%s': %s", j->spill_dir,
                    strerror(errno));
    atomic_store_explicit(&j->opened, 1, memory_order_release);
    return 0;
}

vtp_job *vtp_job_open(const vtp_job_cfg *cfg, int *err, char *why, size_t ws)
{
    vtp_job *j = vtp_job_new(cfg);
    int ret = VTP_ERR_NOMEM;

    why[0] = 0;
    if (!j || (ret = open_job(j, why, ws)) < 0) {
        fail(why, ws, ret, "%s", vtp_strerror(ret));
        *err = ret;
        vtp_job_destroy(&j);
        return NULL;
    }
    return j;
}

void vtp_job_destroy(vtp_job **self_p)
{
    vtp_job *j = *self_p;
    if (!j)
        return;
    if (j->media_started) {
        atomic_store(&j->halt, 1);
        pthread_mutex_lock(&j->mu);
        j->stop = 1;
        pthread_cond_signal(&j->wake);
        pthread_mutex_unlock(&j->mu);
        pthread_join(j->media, NULL);
    }
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->wake);
    for (int i = 0; j->slots && i < j->window; i++)
        clear_slot(&j->slots[i]);
    vtp_splitter_destroy(&j->splitter);
    vtp_joiner_destroy(&j->joiner);
    vtp_package_destroy(&j->package);
    avformat_close_input(&j->in);
    vtp_enc_opts_clear(&j->opts);
    for (int k = 0; k < j->nrung; k++) {
        free(j->rend_spec[k]);
        if (j->rend)
            vtp_rendition_clear(&j->rend[k]);
        if (j->rung)
            vtp_enc_opts_clear(&j->rung[k]);
    }
    free(j->rend_spec);
    free(j->rend);
    free(j->rung);
    free(j->rung_w);
    free(j->rung_h);
    free(j->slots);
    free(j->input);
    free(j->output);
    free(j->audio);
    free(j->spill_dir);
    free(j);
    *self_p = NULL;
}

void vtp_job_set_parallelism(vtp_job *j, int workers)
{
    /* The two passes must cut alike: their plan stays the one they began
     * with, however many workers said READY so far. The media thread tells
     * the splitter before it reads on. */
    lock(j);
    if (!j->cfg.fixed_segments && !j->cfg.pass && workers != j->cfg.parallelism) {
        j->cfg.parallelism = workers;
        j->workers_changed = 1;
    }
    unlock(j);
}

int64_t vtp_job_id(const vtp_job *j)
{
    return j->cfg.id;
}

const char *vtp_job_output(const vtp_job *j)
{
    return j->output;
}

const char *vtp_job_encoder(const vtp_job *j)
{
    if (!vtp_job_opened(j))
        return NULL;
    return j->nrung ? j->rung[0].encoder : j->opts.encoder;  /* a ladder's rungs share one */
}

int vtp_job_opened(const vtp_job *j)
{
    return atomic_load_explicit(&j->opened, memory_order_acquire);
}

int vtp_job_finished(vtp_job *j)
{
    lock(j);
    int finished = j->finished;
    unlock(j);
    return finished;
}

int vtp_job_failed(vtp_job *j, char *why, size_t ws)
{
    lock(j);
    int err = j->err;
    if (err < 0)
        snprintf(why, ws, "%s", j->err_why);
    unlock(j);
    return err;
}

/* ---- stored results (vtp_spill.h) ---- */

/* Stores a result and records it with its range in the queue. */
static int store(vtp_job *j, const slot *s, vtp_result *res, char *why, size_t ws)
{
    char path[4200];
    int ret;
    if ((ret = vtp_spill_store(j->spill_dir, res, why, ws)) < 0)
        return ret;
    vtp_spill_path(j->spill_dir, res->index, path, sizeof(path));
    if (j->cfg.queue && (ret = vtp_queue_segment_done(j->cfg.queue, j->cfg.id, res->index,
                                                      strrchr(path, '/') + 1, s->cut_start,
                                                      s->cut_end)) < 0)
        return fail(why, ws, ret, "recording segment %u: %s", res->index, vtp_strerror(ret));
    return 0;
}

/* Whether this segment of the job was stored before (a resumed job). The
 * range must match too: the tail is cut for the workers there are, which
 * may differ after a restart. */
static int stored_before(vtp_job *j, const vtp_segment *seg)
{
    char *name = NULL;
    int64_t cut_start, cut_end;
    if (!j->spill_dir || !j->cfg.queue ||
        vtp_queue_segment_path(j->cfg.queue, j->cfg.id, seg->index, &name, &cut_start,
                               &cut_end) != 1)
        return 0;
    free(name);
    if (cut_start != seg->cut_start || cut_end != seg->cut_end)
        return 0;
    return vtp_spill_exists(j->spill_dir, seg->index);
}

/* ---- the window ---- */

/* A first pass's result, next in order: its record is kept for the
 * second pass, its packets only counted. */
static int keep_pass(vtp_job *j, const slot *s, vtp_result *res, char *why, size_t ws)
{
    double seconds = 0;
    for (int i = 0; i < res->pkts.n; i++)
        seconds += (double)res->pkts.v[i]->duration * av_q2d(res->time_base);
    j->passed_frames += res->frames;
    j->passed_seconds += seconds;
    const AVStream *st = j->in->streams[j->vidx];
    if (s->index == 0 && vtp_passrec_set_picture(j->cfg.passrec, res->par, res->time_base,
                                                 st->avg_frame_rate.num > 0 ? st->avg_frame_rate
                                                                           : st->r_frame_rate) < 0)
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    return vtp_passrec_add(j->cfg.passrec, s->index, s->cut_start, s->cut_end, res->frames,
                           seconds, &res->pass, why, ws);
}

/* Media thread: writes the segment at next_write, which is DONE. */
static int write_next(vtp_job *j, char *why, size_t ws)
{
    lock(j);
    slot *s = slot_of(j, j->next_write);
    vtp_result *res = s->res;
    s->res = NULL;
    unlock(j);
    int ret;
    if (!res && (ret = vtp_spill_load(j->spill_dir, s->index, &res, why, ws)) < 0)
        return ret;
    ret = j->package  ? vtp_package_write(j->package, res, s->cut_end, why, ws)
          : j->joiner ? vtp_joiner_write(j->joiner, res, s->cut_end, why, ws)
                      : keep_pass(j, s, res, why, ws);
    vtp_result_clear(res);
    free(res);
    if (ret < 0)
        return ret;
    lock(j);
    clear_slot(s);
    j->next_write++;
    unlock(j);
    return 0;
}

/* Media thread: every segment is written; the output is completed. */
static int finish(vtp_job *j, char *why, size_t ws)
{
    int ret;
    if (!j->joiner && !j->package) {
        if (!j->passed_frames)
            return fail(why, ws, VTP_ERR_TRUNCATED, "'%s': no video frame could be decoded",
                        j->input);
    } else {
        if ((ret = j->package ? vtp_package_finish(j->package, why, ws)
                              : vtp_joiner_finish(j->joiner, why, ws)) < 0)
            return ret == VTP_ERR_TRUNCATED
                       ? fail(why, ws, ret, "'%s': no video frame could be decoded", j->input)
                       : ret;
        if (j->spill_dir) {
            vtp_spill_remove(j->spill_dir);
            if (j->cfg.queue)
                vtp_queue_forget_segments(j->cfg.queue, j->cfg.id);
        }
    }
    lock(j);
    j->finished = 1;
    unlock(j);
    return 0;
}

static void release_wbuf(void *opaque, uint8_t *data)
{
    VTP_TSAN_ACQUIRE(data);     /* see free_ref() in dispatcher.c */
    vtp_wbuf_recycle(data, (size_t)(uintptr_t)opaque);
}

/* Wraps a wbuf's bytes in a reference-counted buffer (b is left empty). */
static AVBufferRef *wbuf_buffer(vtp_wbuf *b)
{
    size_t len, cap = b->cap;
    if (b->failed) {
        vtp_wbuf_free(b);
        return NULL;
    }
    uint8_t *data = vtp_wbuf_release(b, &len);
    AVBufferRef *ref = av_buffer_create(data, len, release_wbuf, (void *)(uintptr_t)cap,
                                        AV_BUFFER_FLAG_READONLY);
    if (!ref)
        vtp_wbuf_recycle(data, cap);
    return ref;
}

/* The level of the whole title, for every segment of a second pass. */
static int pass_level(const vtp_job *j, AVDictionary **opts)
{
    if (strcmp(j->opts.encoder, "libx265") != 0)
        return av_dict_set(opts, "level", j->level, 0);
    const AVDictionaryEntry *e = av_dict_get(*opts, "x265-params", NULL, 0);
    char *v = av_asprintf("%s%slevel-idc=%s", e ? e->value : "", e && *e->value ? ":" : "",
                          j->level);
    return v ? av_dict_set(opts, "x265-params", v, AV_DICT_DONT_STRDUP_VAL) : AVERROR(ENOMEM);
}

/* Two-pass encoding: which pass the segment is for and, in the second,
 * its share of the bits and the first pass's record of it. */
static int pass_settings(vtp_job *j, vtp_segment *seg, char *why, size_t ws)
{
    char rate[32];
    int64_t bitrate;
    int ret;

    seg->flags |= j->cfg.pass == 1 ? VTP_SEG_PASS1 : VTP_SEG_PASS2;
    if (j->cfg.pass == 1)
        return 0;
    if (seg->index == 0) {
        /* x264 names a level from the bitrate: the title's, not each share's. */
        AVRational tb, fr;
        const AVCodecParameters *par = vtp_passrec_picture(j->cfg.passrec, &tb, &fr);
        if (par && (ret = j->cfg.encoders->level(j->opts.encoder, j->opts.codec_opts, par, tb, fr,
                                            (int64_t)vtp_passrec_rate(j->cfg.passrec), j->level,
                                            sizeof(j->level))) < 0)
            return fail(why, ws, ret, "out of memory");
        if (j->level[0])
            vtp_log(VTP_LOG_INFO, "second pass: level %s for every segment", j->level);
    }
    if ((ret = vtp_passrec_get(j->cfg.passrec, seg->index, seg->cut_start, seg->cut_end,
                               seg->frames_expected, &bitrate, &seg->pass, why, ws)) < 0)
        return ret;
    snprintf(rate, sizeof(rate), "%lld", (long long)bitrate);
    if (av_dict_set(&seg->opts.codec_opts, "b", rate, 0) < 0 ||
        (j->level[0] && pass_level(j, &seg->opts.codec_opts) < 0))
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    vtp_log(VTP_LOG_DEBUG, "job %lld segment %u: second pass at %lld bit/s", (long long)j->cfg.id,
            seg->index, (long long)bitrate);
    return 0;
}

/* Serializes a new segment into its slot. */
static int fill_slot(vtp_job *j, vtp_segment *seg, char *why, size_t ws)
{
    slot *s = slot_of(j, seg->index);
    vtp_wbuf b;

    clear_slot(s);
    s->index = seg->index;
    s->cut_start = seg->cut_start;
    s->cut_end = seg->cut_end;
    s->frames_expected = seg->frames_expected;
    if (j->cfg.pass) {
        int ret = pass_settings(j, seg, why, ws);
        if (ret < 0)
            return ret;
    }
    if (j->nrung > 1 && vtp_segment_set_more(seg, j->rung + 1, j->nrung - 1) < 0)
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    vtp_wbuf_init(&b);
    if (seg->kind == VTP_SEG_FRAMES && seg->frame_wire.len) {
        vtp_proto_write_segment_head(&b, seg);
        if (!(s->frames = wbuf_buffer(&seg->frame_wire)))
            return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    } else {
        vtp_proto_write_segment(&b, seg);
    }
    if (!(s->head = wbuf_buffer(&b)))
        return fail(why, ws, VTP_ERR_NOMEM, "out of memory");
    s->state = SLOT_PENDING;
    s->threads = 1;
    return 0;
}

/* A segment lost with its worker more than once may be what kills workers:
 * it goes out alone, to an idle worker, so its next failure is its own. */
static int suspect(const slot *s)
{
    return s->lost >= VTP_SEGMENT_ATTEMPTS - 1;
}

/* Lock held: the segments waiting to be sent. */
static int waiting(const vtp_job *j)
{
    int n = 0;
    for (uint32_t i = j->next_write; i != j->next_read; i++)
        n += slot_of(j, i)->state == SLOT_PENDING;
    return n;
}

/* Codec threads for a segment leased to a receiver with free_slots free:
 * one, unless the input is all read and fewer segments wait than there are
 * free slots (the tail of a job), when the slots are shared out. */
static int tail_threads(vtp_job *j, int free_slots)
{
    if (!j->eof || free_slots <= 1 || j->cfg.fixed_segments)
        return 1;
    int n = waiting(j);
    return n > 0 && n < free_slots ? free_slots / n : 1;
}

static void lease(vtp_job *j, slot *s, uint64_t tag, int free_slots, vtp_job_send *out)
{
    int threads = tail_threads(j, free_slots);
    if (threads != s->threads) {
        if (av_buffer_make_writable(&s->head) < 0 ||
            vtp_proto_set_segment_threads(s->head->data, (size_t)s->head->size, threads) < 0)
            threads = s->threads;       /* keep what the message says */
    }
    s->threads = threads;
    s->state = SLOT_SENT;
    s->lease = tag;
    s->encoded = 0;
    out->index = s->index;
    out->threads = threads;
    out->alone = suspect(s);
    out->encoder = vtp_job_encoder(j);
    out->frames_expected = s->frames_expected;
    out->head = s->head;
    out->frames = s->frames;
}

/* Whether the window can take one more segment: fewer than `window`, and
 * fewer than VTP_WINDOW_MAX_BYTES held (messages waiting to go or to be
 * answered, results waiting their turn), unless nothing is held at all. */
static int room(const vtp_job *j)
{
    if (j->next_read - j->next_write >= (uint32_t)j->window)
        return 0;
    int64_t bytes = 0;
    for (uint32_t i = j->next_write; i != j->next_read; i++) {
        const slot *s = slot_of(j, i);
        bytes += (s->head ? s->head->size : 0) + (s->frames ? s->frames->size : 0) +
                 (s->res ? s->res->pkts.bytes : 0);
    }
    return bytes < VTP_WINDOW_MAX_BYTES || j->next_read == j->next_write;
}

int vtp_job_can_send(vtp_job *j)
{
    lock(j);
    int can = !j->finished && !j->err && (waiting(j) > 0 || (!j->eof && room(j)));
    unlock(j);
    return can;
}

int vtp_job_want(vtp_job *j, int n)
{
    lock(j);
    int take = 0;
    if (!j->eof && !j->finished)
        take = FFMAX(FFMIN(n, j->window - (int)(j->next_read - j->next_write)), 0);
    if (n > j->want)
        pthread_cond_signal(&j->wake);
    j->want = n;
    unlock(j);
    return take;
}

/* A cut in seconds for the log ("start" and "end" for the open ones). */
static void seg_time(char *buf, size_t size, int64_t ts, AVRational tb)
{
    if (ts == VTP_PTS_MIN || ts == VTP_PTS_MAX)
        snprintf(buf, size, "%s", ts == VTP_PTS_MIN ? "start" : "end");
    else
        snprintf(buf, size, "%.6f", (double)ts * av_q2d(tb));
}

/* Media thread: reads the next segment into the slot at next_read and
 * publishes it (PENDING; DONE when stored before a restart), or sets eof. */
static int read_next(vtp_job *j, char *why, size_t ws)
{
    lock(j);
    int workers = j->workers_changed ? j->cfg.parallelism : -1;
    j->workers_changed = 0;
    unlock(j);
    if (workers >= 0)
        vtp_splitter_set_workers(j->splitter, workers);

    vtp_segment *seg = NULL;
    int got = vtp_splitter_next(j->splitter, &seg);
    if (got < 0)
        return fail(why, ws, got, "'%s' %s: %s", j->input,
                    got == VTP_ERR_TRUNCATED ? "is truncated or corrupt" : "cannot be read",
                    vtp_strerror(got));
    if (got == 0) {
        lock(j);
        j->eof = 1;
        unlock(j);
        return 0;
    }
    if (vtp_log_level() >= VTP_LOG_DEBUG) {
        char from[32], to[32];
        seg_time(from, sizeof(from), seg->cut_start, seg->time_base);
        seg_time(to, sizeof(to), seg->cut_end, seg->time_base);
        vtp_log(VTP_LOG_DEBUG, "job %lld segment %u: %s [%s, %s) %d packets %u frames",
                (long long)j->cfg.id, seg->index,
                seg->kind == VTP_SEG_FRAMES ? "frames" : "packets", from, to, seg->pkts.n,
                seg->frame_count);
    }
    int ret = 0;
    if (stored_before(j, seg)) {
        /* Resumed: encoded before the restart. */
        slot *s = slot_of(j, seg->index);
        clear_slot(s);
        s->index = seg->index;
        s->cut_start = seg->cut_start;
        s->cut_end = seg->cut_end;
        s->state = SLOT_DONE;
    } else {
        ret = fill_slot(j, seg, why, ws);
    }
    uint32_t next = seg->index + 1;
    vtp_segment_clear(seg);
    free(seg);
    if (ret < 0)
        return ret;
    lock(j);
    j->next_read = next;
    unlock(j);
    return 0;
}

/* The first segment waiting to be sent that a receiver may take (idle: it
 * holds nothing else); NULL if none. */
static slot *first_pending(vtp_job *j, int idle)
{
    for (uint32_t i = j->next_write; i != j->next_read; i++) {
        slot *s = slot_of(j, i);
        if (s->state == SLOT_PENDING && (idle || !suspect(s)))
            return s;
    }
    return NULL;
}

int vtp_job_next(vtp_job *j, uint64_t tag, int free_slots, int idle, vtp_job_send *out)
{
    lock(j);
    slot *s = j->err ? NULL : first_pending(j, idle);
    if (s) {
        lease(j, s, tag, free_slots, out);
        pthread_cond_signal(&j->wake);      /* one fewer waiting: read on */
    }
    unlock(j);
    return s != NULL;
}

/* One more failed attempt at s; the job fails at the limit. */
static int attempt_failed(vtp_job *j, slot *s, int lost, const char *cause, char *why, size_t ws)
{
    s->lost += lost;
    if (++s->attempts >= VTP_SEGMENT_ATTEMPTS)
        return fail(why, ws, VTP_ERR_SEGMENT, "segment %u of '%s' failed %d times: %s",
                    s->index, j->input, s->attempts, cause);
    vtp_log(VTP_LOG_WARNING, "job %lld segment %u: %s; sending it again%s",
            (long long)j->cfg.id, s->index, cause, suspect(s) ? ", alone" : "");
    s->state = SLOT_PENDING;
    s->lease = 0;
    return 0;
}

/* Lock held: the live slot of segment idx if lease_tag holds it, else NULL. */
static slot *leased(const vtp_job *j, uint64_t tag, uint32_t idx)
{
    if (idx - j->next_write >= j->next_read - j->next_write)
        return NULL;
    slot *s = slot_of(j, idx);
    return s->state == SLOT_SENT && s->lease == tag && s->index == idx ? s : NULL;
}

static void drop_result(vtp_result *res)
{
    vtp_result_clear(res);
    free(res);
}

int vtp_job_result(vtp_job *j, uint64_t tag, vtp_result *res, char *why, size_t ws)
{
    uint32_t idx = res->index;
    int ret = 0;

    lock(j);
    slot *s = (uint64_t)res->job_id == (uint64_t)j->cfg.id ? leased(j, tag, idx) : NULL;
    if (!s) {
        drop_result(res);       /* late: the segment went to someone else */
    } else if (res->status == VTP_ERR_TRUNCATED) {
        /* Damaged input fails the same way on any worker: no retry. */
        ret = fail(why, ws, VTP_ERR_TRUNCATED, "'%s' is corrupt: segment %u: %s", j->input, idx,
                   res->error ? res->error : vtp_strerror(res->status));
        drop_result(res);
    } else if (res->status < 0) {
        char cause[1024];
        snprintf(cause, sizeof(cause), "%s", res->error ? res->error : vtp_strerror(res->status));
        drop_result(res);
        ret = attempt_failed(j, s, 0, cause, why, ws);
    } else {
        /* Checked, stored and written by the media thread. */
        s->state = SLOT_RECEIVED;
        s->res = res;
        s->encoded = res->frames;
        pthread_cond_signal(&j->wake);
    }
    unlock(j);
    return ret;
}

/* Media thread: a RECEIVED result has every frame, each once, in its
 * range (or the job fails, naming the segment, instead of finishing with
 * frames lost); it is stored, when the job spills, and DONE. */
static int check_result(vtp_job *j, slot *s, char *why, size_t ws)
{
    vtp_result *res = s->res;
    vtp_seg_account acct = {.index = s->index, .cut_start = s->cut_start, .cut_end = s->cut_end,
                            .frames_expected = s->frames_expected,
                            .time_base = j->in->streams[j->vidx]->time_base,
                            .skip_errors = j->cfg.skip_errors, .renditions = j->nrung};
    int64_t dropped = 0;
    char bad[512];
    int ret = vtp_account_check(&acct, res, &dropped, bad, sizeof(bad));
    if (ret < 0)
        return ret == VTP_ERR_TRUNCATED ? fail(why, ws, ret, "'%s' is corrupt: %s", j->input, bad)
                                        : fail(why, ws, ret, "%s", bad);
    vtp_account_fill_durations(&acct, res);
    if (dropped > 0)
        vtp_log(VTP_LOG_WARNING, "segment %u: %lld frames could not be decoded; dropped",
                s->index, (long long)dropped);
    if (j->spill_dir && (ret = store(j, s, res, why, ws)) < 0)
        return ret;
    lock(j);
    j->skipped += res->skipped + dropped;
    av_buffer_unref(&s->head);
    av_buffer_unref(&s->frames);
    if (j->spill_dir) {
        drop_result(res);
        s->res = NULL;
    }
    s->state = SLOT_DONE;
    unlock(j);
    return 0;
}
void vtp_job_progress_note(vtp_job *j, uint64_t tag, uint32_t idx, int64_t frames)
{
    lock(j);
    slot *s = leased(j, tag, idx);
    if (s && (s->frames_expected < 0 || frames <= s->frames_expected))
        s->encoded = frames;
    unlock(j);
}

int vtp_job_lease_expired(vtp_job *j, uint64_t tag, uint32_t idx, const char *cause,
                          char *why, size_t ws)
{
    lock(j);
    slot *s = leased(j, tag, idx);
    int ret = s ? attempt_failed(j, s, 1, cause, why, ws) : 0;
    unlock(j);
    return ret;
}

void vtp_job_unsend(vtp_job *j, uint64_t tag, uint32_t idx)
{
    lock(j);
    slot *s = leased(j, tag, idx);
    if (s) {
        s->state = SLOT_PENDING;
        s->lease = 0;
    }
    unlock(j);
}

int vtp_job_lost(vtp_job *j, uint64_t tag, char *why, size_t ws)
{
    int ret = 0;
    lock(j);
    for (uint32_t i = j->next_write; i != j->next_read && ret == 0; i++) {
        slot *s = slot_of(j, i);
        if (s->state == SLOT_SENT && s->lease == tag)
            ret = attempt_failed(j, s, 1, "its worker died or stopped answering while encoding it",
                                 why, ws);
    }
    unlock(j);
    return ret;
}

/* ---- the media thread ---- */

enum { WORK_NONE, WORK_OPEN, WORK_TRIAL, WORK_CHECK, WORK_WRITE, WORK_FINISH, WORK_READ };

/* Lock held: the media thread's next task (and its slot): results first
 * (they free memory and the window), then reading. */
static int next_work(const vtp_job *j, slot **at)
{
    if (!atomic_load_explicit(&j->opened, memory_order_relaxed))
        return WORK_OPEN;
    if (!j->checked)
        return WORK_TRIAL;
    for (uint32_t i = j->next_write; i != j->next_read; i++) {
        if (slot_of(j, i)->state == SLOT_RECEIVED) {
            *at = slot_of(j, i);
            return WORK_CHECK;
        }
    }
    if (j->next_write != j->next_read && slot_of(j, j->next_write)->state == SLOT_DONE)
        return WORK_WRITE;
    if (j->eof && j->next_write == j->next_read)
        return WORK_FINISH;
    if (!j->eof && room(j) && waiting(j) <= j->want)
        return WORK_READ;
    return WORK_NONE;
}

/* Lock held: the media thread's side of the progress, for the scheduler. */
static void take_progress(vtp_job *j, double cpu0)
{
    vtp_job_progress *p = &j->progress;
    p->media_cpu = vtp_clock_thread_cpu() - cpu0;
    if (!vtp_job_opened(j))
        return;                 /* it failed to open: nothing else to tell */
    p->frames = j->package ? vtp_package_frames(j->package)
              : j->joiner  ? vtp_joiner_frames(j->joiner)
                           : j->passed_frames;
    p->media_seconds = j->package ? vtp_package_video_seconds(j->package)
                     : j->joiner  ? vtp_joiner_video_seconds(j->joiner)
                                  : j->passed_seconds;
    if ((j->joiner || j->package) && p->media_seconds > 0)
        p->media_seconds -= (double)vtp_splitter_start(j->splitter) / AV_TIME_BASE;
    p->segments_written = j->next_write;
    p->decoding = vtp_splitter_decoding(j->splitter);
    p->skipped = j->skipped + vtp_splitter_skipped(j->splitter) +
                 (j->joiner ? vtp_joiner_skipped(j->joiner) : 0);
}

/* Lock held: records the job's progress in its queue (vtpool status), once
 * a second; the lock is let go meanwhile. */
static void save_progress(vtp_job *j, int64_t *last)
{
    int64_t now = vtp_clock_ms();
    if (!j->cfg.queue || now - *last < VTP_PROGRESS_EVERY_MS)
        return;
    *last = now;
    unlock(j);
    vtp_job_progress p;
    vtp_job_progress_get(j, &p);
    vtp_queue_set_progress(j->cfg.queue, j->cfg.id, p.frames, p.media_seconds, p.total_seconds);
    lock(j);
}

/* Lock held: waits for something to do, or until the progress is due. */
static void wait_work(vtp_job *j)
{
    if (!j->cfg.queue) {
        pthread_cond_wait(&j->wake, &j->mu);
        return;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += VTP_PROGRESS_EVERY_MS / 1000;
    pthread_cond_timedwait(&j->wake, &j->mu, &until);
}

static void *media_main(void *opaque)
{
    vtp_job *j = opaque;
    double cpu0 = vtp_clock_thread_cpu();
    int64_t saved = vtp_clock_ms();
    char why[1024];

    pthread_setname_np(pthread_self(), "vtp-media");
    lock(j);
    while (!j->stop && !j->err && !j->finished) {
        save_progress(j, &saved);
        if (j->stop || j->err || j->finished)
            break;
        slot *s = NULL;
        int work = next_work(j, &s);
        if (work == WORK_NONE) {
            wait_work(j);
            continue;
        }
        unlock(j);
        why[0] = 0;
        int ret = work == WORK_OPEN    ? open_job(j, why, sizeof(why))
                  : work == WORK_TRIAL ? check_encoder(j, why, sizeof(why))
                  : work == WORK_CHECK ? check_result(j, s, why, sizeof(why))
                  : work == WORK_WRITE ? write_next(j, why, sizeof(why))
                  : work == WORK_READ  ? read_next(j, why, sizeof(why))
                                       : finish(j, why, sizeof(why));
        lock(j);
        if (ret < 0 && !j->stop) {
            j->err = ret;
            snprintf(j->err_why, sizeof(j->err_why), "%s", why[0] ? why : vtp_strerror(ret));
        }
        take_progress(j, cpu0);
        if (j->notify)
            j->notify(j->notify_opaque);
    }
    unlock(j);
    return NULL;
}

int vtp_job_start(vtp_job *j, vtp_job_notify_fn notify, void *opaque)
{
    if (j->media_started)
        return 0;
    j->notify = notify;
    j->notify_opaque = opaque;
    if (pthread_create(&j->media, NULL, media_main, j) != 0)
        return VTP_ERR_NOMEM;
    j->media_started = 1;
    return 0;
}

void vtp_job_progress_get(vtp_job *j, vtp_job_progress *p)
{
    /* What is written, and what workers have encoded beyond it: finished
     * segments waiting for an earlier one, and those still encoding
     * (PROGRESS), at the input's frame rate. */
    int64_t ahead = 0;
    lock(j);
    *p = j->progress;
    for (uint32_t i = j->next_write; i != j->next_read; i++) {
        const slot *s = slot_of(j, i);
        if (s->state == SLOT_SENT || s->state == SLOT_RECEIVED || s->state == SLOT_DONE)
            ahead += s->encoded;
    }
    unlock(j);
    if (!vtp_job_opened(j))
        return;                 /* nothing known yet but what was saved */
    const AVStream *st = j->in->streams[j->vidx];
    AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    p->frames += ahead;
    if (rate.num > 0 && rate.den > 0)
        p->media_seconds = FFMAX(p->media_seconds, 0) + (double)ahead / av_q2d(rate);
    p->total_seconds = j->in->duration > 0 ? (double)j->in->duration / AV_TIME_BASE : 0;
}
