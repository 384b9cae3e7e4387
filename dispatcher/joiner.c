/* joiner.c -- the output file (see vtp_joiner.h).
 *
 * GUARANTEES
 *  - Video packets are written in segment order, with decode timestamps
 *    strictly increasing across every join (each segment's encoder starts
 *    its own B-frame delay; a join whose dts would not increase is moved
 *    up by one tick, which never passes the packet's pts for any real time
 *    base because a segment's first pts is at least one frame after the
 *    previous segment's last dts).
 *  - Every segment's encoder parameters (size, format, extradata) must equal
 *    the first one's: a container has one codec configuration per stream.
 *  - Nothing exists at the output path until vtp_joiner_finish() renames the
 *    complete file there.
 */
#include "vtp_joiner.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vtp_audio.h"
#include "vtp_compat.h"
#include "vtp_error.h"
#include "vtp_fileio.h"
#include "vtp_log.h"

/* A stream copied as it is. */
typedef struct side_copy {
    int64_t dts;                /* the last written, output time base */
    int played;                 /* a packet not marked discard came */
    AVPacket *preroll;          /* the last packet marked discard before it */
} side_copy;

struct vtp_joiner {
    AVFormatContext *in;        /* not owned */
    AVFormatContext *out;
    int vidx;                   /* input video stream */
    int *map;                   /* input stream -> output stream, or -1 */
    vtp_audio **audio;          /* per input stream: encoder, or NULL to copy */
    char *tmp_path;
    char *final_path;
    int global_header;
    int header_written;
    int finished;
    AVCodecParameters *first;   /* the first segment's encoder parameters */
    AVRational video_tb;        /* of the results' packets */
    int64_t last_dts;           /* output video stream time base */
    int64_t frames;
    int64_t video_end;          /* furthest video pts + duration, video_tb */
    side_copy *copies;          /* per input stream (copied streams) */
    int skip_errors;            /* --on-error skip: drop what the muxer cannot take */
    int64_t skipped;
    const vtp_hdr *hdr;         /* not owned */
    vtp_pktlist side;           /* waiting packets of other streams */
    int side_head;              /* first unwritten entry of side */
};

/* "DIR/.NAME.vtpool-tmp-TAG": next to the output (same filesystem, so the
 * final rename is atomic), hidden, and named by the job when it has a tag,
 * so a restarted job writes over what a crashed run left. */
char *vtp_joiner_temp_path(const char *output, const char *tag)
{
    char *a = strdup(output), *b = strdup(output), *path = NULL;
    char pid[32];
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    if (a && b) {
        size_t n = strlen(output) + (tag ? strlen(tag) : 0) + 64;
        if ((path = malloc(n)))
            snprintf(path, n, "%s/.%s.vtpool-tmp-%s", dirname(a), basename(b), tag ? tag : pid);
    }
    free(a);
    free(b);
    return path;
}

/* Whether the container can hold this codec (unknown counts as yes). */
static int can_hold(const AVOutputFormat *fmt, enum AVCodecID id)
{
    return avformat_query_codec(fmt, id, FF_COMPLIANCE_NORMAL) != 0;
}

/* Whether the muxer takes a copy of a stream with these parameters: asked
 * of the muxer itself, by writing a header with that stream alone into
 * memory (avformat_query_codec() knows only the codecs of a muxer's tag
 * table: Matroska holds AMR through its generic audio tag, which the table
 * leaves out). */
static int muxer_takes(const AVOutputFormat *fmt, const AVCodecParameters *par, AVRational tb)
{
    if (avformat_query_codec(fmt, par->codec_id, FF_COMPLIANCE_NORMAL) == 1)
        return 1;
    AVFormatContext *oc = NULL;
    int ok = 0;
    if (avformat_alloc_output_context2(&oc, fmt, NULL, NULL) < 0)
        return 0;
    AVStream *st = avformat_new_stream(oc, NULL);
    if (st && avcodec_parameters_copy(st->codecpar, par) >= 0 &&
        !(fmt->flags & AVFMT_NOFILE) && avio_open_dyn_buf(&oc->pb) >= 0) {
        st->codecpar->codec_tag = 0;
        st->time_base = tb;
        ok = avformat_write_header(oc, NULL) >= 0;
        uint8_t *buf = NULL;
        avio_close_dyn_buf(oc->pb, &buf);
        av_free(buf);
        oc->pb = NULL;
    }
    avformat_free_context(oc);
    return ok;
}

static int copy_chapters(AVFormatContext *out, const AVFormatContext *in)
{
    if (!in->nb_chapters)
        return 0;
    out->chapters = av_calloc(in->nb_chapters, sizeof(*out->chapters));
    if (!out->chapters)
        return VTP_ERR_NOMEM;
    for (unsigned i = 0; i < in->nb_chapters; i++) {
        const AVChapter *c = in->chapters[i];
        AVChapter *d = av_mallocz(sizeof(*d));
        if (!d)
            return VTP_ERR_NOMEM;
        out->chapters[out->nb_chapters++] = d;
        d->id = c->id;
        d->time_base = c->time_base;
        d->start = c->start;
        d->end = c->end;
        if (av_dict_copy(&d->metadata, c->metadata, 0) < 0)
            return VTP_ERR_NOMEM;
    }
    return 0;
}

/* Creates the output stream for input stream i, or leaves map[i] at -1. */
static int add_stream(vtp_joiner *j, int i, const vtp_join_cfg *cfg, char *why, size_t why_size)
{
    const AVStream *ist = j->in->streams[i];
    const AVCodecParameters *ipar = ist->codecpar;
    const AVOutputFormat *fmt = j->out->oformat;
    const char *encoder = NULL;
    enum AVMediaType type = ipar->codec_type;

    if (i != j->vidx) {
        if (type == AVMEDIA_TYPE_AUDIO && strcmp(cfg->audio, "none") == 0)
            return 0;
        if (type == AVMEDIA_TYPE_AUDIO &&
            (ipar->sample_rate <= 0 || ipar->ch_layout.nb_channels <= 0)) {
            if (!cfg->skip_errors)
                return vtp_why(why, why_size, VTP_ERR_TRUNCATED,
                               "audio stream #%d of the input is damaged (no sample rate or "
                               "channels); --on-error skip leaves it out", i);
            vtp_log(VTP_LOG_WARNING, "damaged audio stream #%d left out", i);
            return 0;
        }
        if (type == AVMEDIA_TYPE_VIDEO && !(ist->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            vtp_log(VTP_LOG_WARNING, "extra video stream #%d skipped", i);
            return 0;
        }
        int copy = !strcmp(cfg->audio, "copy"), any = !strcmp(cfg->audio, "auto");
        if (type == AVMEDIA_TYPE_AUDIO && !copy && !any) {
            encoder = cfg->audio;
        } else if (type == AVMEDIA_TYPE_AUDIO && !muxer_takes(fmt, ipar, ist->time_base)) {
            /* --audio copy is a promise: refused before any work. The
             * default (auto) encodes, and says so. */
            if (copy)
                return vtp_why(why, why_size, VTP_ERR_USAGE,
                               "--audio copy: %s files cannot hold the input's %s audio "
                               "(stream #%d); use --audio auto or name an audio encoder",
                               fmt->name, avcodec_get_name(ipar->codec_id), i);
            const AVCodec *c = avcodec_find_encoder(fmt->audio_codec);
            if (!c || fmt->audio_codec == AV_CODEC_ID_NONE)
                return vtp_why(why, why_size, VTP_ERR_USAGE,
                               "%s files cannot hold %s audio and have no usual audio codec "
                               "(--audio none leaves it out)", fmt->name,
                               avcodec_get_name(ipar->codec_id));
            encoder = c->name;
            vtp_log(VTP_LOG_WARNING, "audio stream #%d: %s files cannot hold %s; encoded with %s",
                    i, fmt->name, avcodec_get_name(ipar->codec_id), encoder);
        } else if (type != AVMEDIA_TYPE_AUDIO && !muxer_takes(fmt, ipar, ist->time_base)) {
            vtp_log(VTP_LOG_WARNING, "stream #%d (%s) skipped: %s cannot hold it", i,
                    avcodec_get_name(ipar->codec_id), fmt->name);
            return 0;
        }
    }

    AVStream *ost = avformat_new_stream(j->out, NULL);
    if (!ost)
        return VTP_ERR_NOMEM;
    j->map[i] = ost->index;
    ost->disposition = ist->disposition;
    ost->time_base = ist->time_base;
    if (av_dict_copy(&ost->metadata, ist->metadata, 0) < 0)
        return VTP_ERR_NOMEM;
    if (i == j->vidx) {
        ost->avg_frame_rate = ist->avg_frame_rate;
        ost->r_frame_rate = ist->r_frame_rate;
        ost->sample_aspect_ratio = ist->sample_aspect_ratio;
        return 0;   /* parameters come with the first segment */
    }
    if (encoder) {
        j->audio[i] = vtp_audio_new(ipar, ist->time_base, encoder, j->global_header,
                                    ost->codecpar, &ost->time_base, why, why_size);
        if (!j->audio[i])
            return VTP_ERR_USAGE;
        vtp_audio_set_skip(j->audio[i], cfg->skip_errors);
        vtp_log(VTP_LOG_INFO, "audio stream #%d encoded with %s", i, encoder);
        return 0;
    }
    if (avcodec_parameters_copy(ost->codecpar, ipar) < 0)
        return VTP_ERR_NOMEM;
    ost->codecpar->codec_tag = 0;
    return 0;
}

vtp_joiner *vtp_joiner_new(AVFormatContext *in, int video_index, const vtp_join_cfg *cfg,
                           int *err, char *why, size_t why_size)
{
    vtp_joiner *j = calloc(1, sizeof(*j));
    const AVOutputFormat *fmt = av_guess_format(NULL, cfg->output, NULL);
    int ret = VTP_ERR_NOMEM;

    if (!j)
        goto fail;
    j->in = in;
    j->vidx = video_index;
    j->last_dts = AV_NOPTS_VALUE;
    j->video_end = AV_NOPTS_VALUE;
    if (!fmt) {
        ret = vtp_why(why, why_size, VTP_ERR_USAGE,
                      "cannot tell the output format from '%s' (use .mkv, .mp4, .mov, .webm or .ts)",
                      cfg->output);
        goto fail;
    }
    /* The same file under another name too (a link, ./a.mp4): compared by
     * device and inode, as ffmpeg does, even with -y. */
    struct stat in_st, out_st;
    if (in->url && stat(in->url, &in_st) == 0 && stat(cfg->output, &out_st) == 0 &&
        in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino) {
        ret = vtp_why(why, why_size, VTP_ERR_USAGE,
                      "'%s' is the input: vtpool will not write over what it reads", cfg->output);
        goto fail;
    }
    if (!cfg->overwrite && access(cfg->output, F_OK) == 0) {
        ret = vtp_why(why, why_size, VTP_ERR_EXISTS, "'%s' exists (use -y to overwrite)",
                      cfg->output);
        goto fail;
    }
    if (!(j->final_path = strdup(cfg->output)) || !(j->tmp_path = vtp_joiner_temp_path(cfg->output, cfg->temp_tag)) ||
        !(j->map = malloc(in->nb_streams * sizeof(*j->map))) ||
        !(j->audio = calloc(in->nb_streams, sizeof(*j->audio))))
        goto fail;
    if ((ret = avformat_alloc_output_context2(&j->out, fmt, NULL, cfg->output)) < 0)
        goto fail;
    j->skip_errors = cfg->skip_errors;
    if (!(j->copies = calloc(in->nb_streams, sizeof(*j->copies)))) {
        ret = VTP_ERR_NOMEM;
        goto fail;
    }
    for (unsigned i = 0; i < in->nb_streams; i++)
        j->copies[i].dts = AV_NOPTS_VALUE;
    j->global_header = !!(fmt->flags & AVFMT_GLOBALHEADER);

    for (unsigned i = 0; i < in->nb_streams; i++)
        j->map[i] = -1;
    for (unsigned i = 0; i < in->nb_streams; i++)
        if ((ret = add_stream(j, (int)i, cfg, why, why_size)) < 0)
            goto fail_quiet;
    if (av_dict_copy(&j->out->metadata, in->metadata, 0) < 0 ||
        copy_chapters(j->out, in) < 0) {
        ret = VTP_ERR_NOMEM;
        goto fail;
    }

    if (!(fmt->flags & AVFMT_NOFILE)) {
        ret = avio_open(&j->out->pb, j->tmp_path, AVIO_FLAG_WRITE);
        if (ret < 0) {
            ret = vtp_why(why, why_size, VTP_ERR_OUTPUT, "cannot write '%s': %s", cfg->output,
                          av_err2str(ret));
            goto fail_quiet;
        }
    }
    return j;

fail:
    if (!why[0])
        vtp_why(why, why_size, ret, "preparing output '%s': %s", cfg->output, vtp_strerror(ret));
fail_quiet:
    *err = ret < 0 ? ret : VTP_ERR_OUTPUT;
    vtp_joiner_destroy(&j);
    return NULL;
}

const AVOutputFormat *vtp_joiner_format(const char *output, char *why, size_t why_size)
{
    const AVOutputFormat *fmt = av_guess_format(NULL, output, NULL);
    if (!fmt)
        vtp_why(why, why_size, VTP_ERR_USAGE,
                "cannot tell the output format from '%s' (use .mkv, .mp4, .mov, .webm or .ts)",
                output);
    return fmt;
}

int vtp_joiner_format_global_header(const AVOutputFormat *fmt)
{
    return !!(fmt->flags & AVFMT_GLOBALHEADER);
}

void vtp_joiner_set_hdr(vtp_joiner *j, const vtp_hdr *hdr)
{
    j->hdr = hdr;
}

int vtp_joiner_format_keeps_rotation(const AVOutputFormat *fmt)
{
    /* The ISO family writes it in the track header, on every FFmpeg;
     * Matroska only on some versions, so not relied on. */
    return strstr(fmt->name, "mov") || strstr(fmt->name, "mp4") || strcmp(fmt->name, "3gp") == 0 ||
           strcmp(fmt->name, "ipod") == 0;
}

int vtp_joiner_side_packet(vtp_joiner *j, AVPacket *pkt)
{
    if (pkt->stream_index < 0 || (unsigned)pkt->stream_index >= j->in->nb_streams ||
        j->map[pkt->stream_index] < 0) {
        av_packet_unref(pkt);
        return 0;
    }
    /* Drop written entries once they are half the queue: amortised O(1),
     * and the queue never holds more than twice what is waiting. */
    if (j->side_head > 0 && j->side_head >= j->side.n / 2) {
        memmove(j->side.v, j->side.v + j->side_head,
                (size_t)(j->side.n - j->side_head) * sizeof(*j->side.v));
        j->side.n -= j->side_head;
        j->side_head = 0;
    }
    return vtp_pktlist_move(&j->side, pkt);
}

/* The code for a failed write of the output: a full disk keeps its own,
 * whichever write meets it (the muxer may hold data until the trailer). */
static int output_error(int ret)
{
    return ret == AVERROR(ENOSPC) ? ret : VTP_ERR_OUTPUT;
}

static int write_out(vtp_joiner *j, AVPacket *pkt, char *why, size_t why_size)
{
    int ret = av_interleaved_write_frame(j->out, pkt);
    if (ret < 0)
        return vtp_why(why, why_size, output_error(ret), "writing '%s': %s", j->final_path,
                       av_err2str(ret));
    return 0;
}

typedef struct emit_ctx {
    vtp_joiner *j;
    int ost;
    AVRational tb;
    char *why;
    size_t why_size;
} emit_ctx;

static int emit_audio(void *opaque, AVPacket *pkt)
{
    emit_ctx *e = opaque;
    pkt->stream_index = e->ost;
    av_packet_rescale_ts(pkt, e->tb, e->j->out->streams[e->ost]->time_base);
    return write_out(e->j, pkt, e->why, e->why_size);
}

static int copy_side(vtp_joiner *j, side_copy *c, int o, AVRational itb, AVPacket *pkt,
                     char *why, size_t why_size);

static int write_side(vtp_joiner *j, AVPacket *pkt, char *why, size_t why_size)
{
    int i = pkt->stream_index;
    int o = j->map[i];
    AVRational itb = j->in->streams[i]->time_base;

    if (j->audio[i]) {
        emit_ctx e = {j, o, j->out->streams[o]->time_base, why, why_size};
        /* vtp_audio's packets are in the encoder's time base, which
         * add_stream() stored as the stream's; the muxer may change the
         * stream's after the header, so remember the encoder's. */
        e.tb = (AVRational){1, j->out->streams[o]->codecpar->sample_rate};
        int ret = vtp_audio_send(j->audio[i], pkt, emit_audio, &e);
        if (ret == VTP_ERR_TRUNCATED && !why[0])
            ret = vtp_why(why, why_size, ret,
                          "audio stream #%d is damaged near %.3f s (--on-error skip drops what "
                          "does not decode)", i,
                          pkt->pts != AV_NOPTS_VALUE ? (double)pkt->pts * av_q2d(itb) : 0.0);
        else if (ret < 0 && !why[0])
            ret = vtp_why(why, why_size, VTP_ERR_INPUT, "audio stream #%d: %s", i,
                          av_err2str(ret));
        return ret < 0 ? ret : 0;
    }
    /* Packets the demuxer marks to be discarded (an MP4 cut without
     * re-encoding: before its edit list's start, or after its end) are
     * decoded but never played, and a copy has no decoder to drop them:
     * they are not copied, except the last before the first played one,
     * which a decoder needs to start (AAC priming, MP3's bit reservoir),
     * as the input had it. */
    side_copy *c = &j->copies[i];
    if (pkt->flags & AV_PKT_FLAG_DISCARD) {
        if (!c->played) {
            if (!c->preroll && !(c->preroll = av_packet_alloc()))
                return VTP_ERR_NOMEM;
            av_packet_unref(c->preroll);
            av_packet_move_ref(c->preroll, pkt);
        }
        return 0;
    }
    if (!c->played) {
        c->played = 1;
        if (c->preroll && (c->preroll->data || c->preroll->side_data_elems)) {
            int ret = copy_side(j, c, o, itb, c->preroll, why, why_size);
            av_packet_free(&c->preroll);
            if (ret < 0)
                return ret;
        }
    }
    return copy_side(j, c, o, itb, pkt, why, why_size);
}

/* Writes a packet of a copied stream. */
static int copy_side(vtp_joiner *j, side_copy *c, int o, AVRational itb, AVPacket *pkt,
                     char *why, size_t why_size)
{
    int i = pkt->stream_index;
    pkt->stream_index = o;
    pkt->pos = -1;
    av_packet_rescale_ts(pkt, itb, j->out->streams[o]->time_base);
    /* Copied packets keep their timestamps: a stream whose decode times go
     * backwards is damaged input, which no container takes. */
    int strict = !(j->out->oformat->flags & AVFMT_TS_NONSTRICT);
    if (pkt->dts != AV_NOPTS_VALUE && c->dts != AV_NOPTS_VALUE &&
        (pkt->dts < c->dts || (strict && pkt->dts == c->dts))) {
        if (j->skip_errors) {
            j->skipped++;
            return 0;
        }
        return vtp_why(why, why_size, VTP_ERR_TRUNCATED,
                       "stream #%d of the input is damaged: its timestamps go backwards near %.3f s",
                       i, (double)pkt->dts * av_q2d(j->out->streams[o]->time_base));
    }
    if (pkt->dts != AV_NOPTS_VALUE)
        c->dts = pkt->dts;
    return write_out(j, pkt, why, why_size);
}

/* Writes the queued packets of other streams that start before `end` (in
 * the video time base; VTP_PTS_MAX for all). Needs the header written. */
static int flush_side(vtp_joiner *j, int64_t end, char *why, size_t why_size)
{
    while (j->side_head < j->side.n) {
        AVPacket *pkt = j->side.v[j->side_head];
        int64_t ts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
        if (end != VTP_PTS_MAX && ts != AV_NOPTS_VALUE &&
            av_compare_ts(ts, j->in->streams[pkt->stream_index]->time_base, end, j->video_tb) >= 0)
            break;
        j->side_head++;
        int ret = write_side(j, pkt, why, why_size);
        av_packet_free(&j->side.v[j->side_head - 1]);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int write_header(vtp_joiner *j, const vtp_result *res, char *why, size_t why_size)
{
    AVStream *ost = j->out->streams[j->map[j->vidx]];
    int ret;

    if (!(j->first = avcodec_parameters_alloc()) ||
        avcodec_parameters_copy(j->first, res->par) < 0 ||
        avcodec_parameters_copy(ost->codecpar, res->par) < 0)
        return VTP_ERR_NOMEM;
    ost->codecpar->codec_tag = 0;
    const int32_t *matrix = vtp_stream_display_matrix(j->in->streams[j->vidx]);
    if (matrix && vtp_joiner_format_keeps_rotation(j->out->oformat) &&
        vtp_stream_add_side_data(ost, AV_PKT_DATA_DISPLAYMATRIX, matrix, 9 * sizeof(*matrix)) < 0)
        return VTP_ERR_NOMEM;
    if (j->hdr && vtp_hdr_add_to_stream(j->hdr, ost) < 0)
        return VTP_ERR_NOMEM;
    vtp_log(VTP_LOG_DEBUG, "video: %s, extradata %d bytes", avcodec_get_name(res->par->codec_id),
            res->par->extradata_size);
    ost->time_base = res->time_base;
    j->video_tb = res->time_base;
    if (ost->codecpar->sample_aspect_ratio.num)
        ost->sample_aspect_ratio = ost->codecpar->sample_aspect_ratio;
    /* Timestamps pass through untouched: no shifting to make them positive. */
    j->out->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
    ret = avformat_write_header(j->out, NULL);
    /* The video is ours, the other streams' parameters are the input's: a
     * muxer that finds them invalid (FFmpeg 8 checks more of them) reports
     * a damaged input, not an output that cannot be written. */
    if (ret == AVERROR_INVALIDDATA)
        return vtp_why(why, why_size, VTP_ERR_TRUNCATED,
                       "the input's streams are damaged: the %s muxer refuses them: %s",
                       j->out->oformat->name, av_err2str(ret));
    if (ret < 0)
        return vtp_why(why, why_size, output_error(ret), "writing the %s header of '%s': %s",
                       j->out->oformat->name, j->final_path, av_err2str(ret));
    j->header_written = 1;
    return 0;
}

/* A container has one codec configuration per stream: every segment's
 * encoder must have produced the same one. */
static int same_config(const AVCodecParameters *a, const AVCodecParameters *b)
{
    return a->codec_id == b->codec_id && a->width == b->width && a->height == b->height &&
           a->format == b->format && a->extradata_size == b->extradata_size &&
           (a->extradata_size == 0 || memcmp(a->extradata, b->extradata, (size_t)a->extradata_size) == 0);
}

int vtp_joiner_write(vtp_joiner *j, vtp_result *res, int64_t end, char *why, size_t why_size)
{
    int ret;

    if (res->pkts.n == 0)
        return j->header_written ? flush_side(j, end, why, why_size) : 0;
    if (!j->header_written) {
        if ((ret = write_header(j, res, why, why_size)) < 0)
            return ret;
    } else if (!same_config(j->first, res->par)) {
        return vtp_why(why, why_size, VTP_ERR_MISMATCH,
                       "segment %u's encoder configuration differs from the first segment's "
                       "(size, pixel format or extradata)", res->index);
    }
    if (av_cmp_q(res->time_base, j->video_tb) != 0)
        return vtp_why(why, why_size, VTP_ERR_MISMATCH, "segment %u has another time base",
                       res->index);

    int o = j->map[j->vidx];
    AVRational otb = j->out->streams[o]->time_base;
    for (int i = 0; i < res->pkts.n; i++) {
        AVPacket *pkt = res->pkts.v[i];
        if (pkt->pts != AV_NOPTS_VALUE) {
            int64_t e = pkt->pts + (pkt->duration > 0 ? pkt->duration : 0);
            if (j->video_end == AV_NOPTS_VALUE || e > j->video_end)
                j->video_end = e;
        }
        vtp_log(VTP_LOG_DEBUG, "segment %u packet pts %lld dts %lld size %d", res->index,
                (long long)pkt->pts, (long long)pkt->dts, pkt->size);
        pkt->stream_index = o;
        av_packet_rescale_ts(pkt, j->video_tb, otb);
        if (pkt->dts != AV_NOPTS_VALUE && j->last_dts != AV_NOPTS_VALUE && pkt->dts <= j->last_dts)
            pkt->dts = j->last_dts + 1;
        if (pkt->dts != AV_NOPTS_VALUE && pkt->pts != AV_NOPTS_VALUE && pkt->dts > pkt->pts)
            return vtp_why(why, why_size, VTP_ERR_INPUT,
                           "the input's timestamps repeat or go backwards near %.3f s; vtpool "
                           "keeps timestamps as they are and cannot write these",
                           (double)pkt->pts * av_q2d(otb));
        if (pkt->dts != AV_NOPTS_VALUE)
            j->last_dts = pkt->dts;
        j->frames++;
        if ((ret = write_out(j, pkt, why, why_size)) < 0)
            return ret;
    }
    return flush_side(j, end, why, why_size);
}

int vtp_joiner_finish(vtp_joiner *j, char *why, size_t why_size)
{
    int ret;

    if (!j->header_written)
        return vtp_why(why, why_size, VTP_ERR_TRUNCATED, "no video frame could be decoded");
    if ((ret = flush_side(j, VTP_PTS_MAX, why, why_size)) < 0)
        return ret;
    for (unsigned i = 0; i < j->in->nb_streams; i++) {
        if (!j->audio[i])
            continue;
        int o = j->map[i];
        emit_ctx e = {j, o, {1, j->out->streams[o]->codecpar->sample_rate}, why, why_size};
        if ((ret = vtp_audio_send(j->audio[i], NULL, emit_audio, &e)) < 0)
            return why[0] ? ret : vtp_why(why, why_size, ret, "audio: %s", av_err2str(ret));
    }
    if ((ret = av_write_trailer(j->out)) < 0)
        return vtp_why(why, why_size, output_error(ret), "finishing '%s': %s", j->final_path,
                       av_err2str(ret));
    if (j->out->pb && ((ret = avio_closep(&j->out->pb)) < 0))
        return vtp_why(why, why_size, output_error(ret), "writing '%s': %s", j->final_path,
                       av_err2str(ret));
    /* On disk before it is in place, and in place before the job counts as
     * done (and a service deletes what it was made from). */
    if ((ret = vtp_file_sync(j->tmp_path)) < 0)
        return vtp_why(why, why_size, output_error(ret), "writing '%s': %s", j->final_path,
                       av_err2str(ret));
    if (rename(j->tmp_path, j->final_path) != 0)
        return vtp_why(why, why_size, VTP_ERR_OUTPUT, "renaming into '%s': %s", j->final_path,
                       strerror(errno));
    if ((ret = vtp_file_sync_dir(j->final_path)) < 0) {
        unlink(j->final_path);      /* not known to last: not done */
        return vtp_why(why, why_size, VTP_ERR_OUTPUT, "writing the directory of '%s': %s",
                       j->final_path, av_err2str(ret));
    }
    j->finished = 1;
    return 0;
}

void vtp_joiner_destroy(vtp_joiner **self_p)
{
    vtp_joiner *j = *self_p;
    if (!j)
        return;
    if (j->out && j->out->pb && !(j->out->oformat->flags & AVFMT_NOFILE))
        avio_closep(&j->out->pb);
    if (!j->finished && j->tmp_path)
        unlink(j->tmp_path);
    for (unsigned i = 0; j->audio && i < j->in->nb_streams; i++)
        vtp_audio_destroy(&j->audio[i]);
    avformat_free_context(j->out);
    avcodec_parameters_free(&j->first);
    vtp_pktlist_clear(&j->side);
    free(j->audio);
    free(j->map);
    for (unsigned i = 0; j->copies && i < j->in->nb_streams; i++)
        av_packet_free(&j->copies[i].preroll);
    free(j->copies);
    free(j->tmp_path);
    free(j->final_path);
    free(j);
    *self_p = NULL;
}

int vtp_joiner_format_can_hold(const AVOutputFormat *fmt, const char *encoder, char *why,
                               size_t why_size)
{
    const AVCodec *c = avcodec_find_encoder_by_name(encoder);
    if (c && !can_hold(fmt, c->id))
        return vtp_why(why, why_size, VTP_ERR_USAGE, "%s files cannot hold %s video (from %s)",
                       fmt->name, avcodec_get_name(c->id), encoder);
    return 0;
}

int64_t vtp_joiner_skipped(const vtp_joiner *j)
{
    int64_t n = j->skipped;
    for (unsigned i = 0; j->audio && i < j->in->nb_streams; i++)
        if (j->audio[i])
            n += vtp_audio_skipped(j->audio[i]);
    return n;
}

int64_t vtp_joiner_frames(const vtp_joiner *j)
{
    return j->frames;
}

double vtp_joiner_video_seconds(const vtp_joiner *j)
{
    if (j->video_end == AV_NOPTS_VALUE)
        return 0;
    return av_q2d(j->video_tb) * (double)j->video_end;
}
