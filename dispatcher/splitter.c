/* splitter.c -- demux once, cut the video into segments (see vtp_splitter.h).
 *
 * DESIGN
 * Three places hold video while it is being cut: the open segment (packets
 * since the last cut), the closing segment (ended by a cut, waiting for the
 * leading pictures that follow the cut in decode order) and a short FIFO of
 * complete segments. A cut between keyframes (the finer tail, see
 * vtp_cutter.h) shares packets: the new segment starts with references to
 * the open one's packets from its last keyframe on, and the packets after
 * the cut that both need go to both. Each call reads until the FIFO has
 * one, so the input is read only as fast as segments are asked for: that is
 * the dispatcher's backpressure, and why memory does not grow with the
 * input's length.
 *
 * In decode mode (see the header) the open segment holds decoded frames
 * instead; frames leave the decoder in presentation order, so cuts there
 * are exact and need no closing segment.
 */
#include "vtp_splitter.h"

#include <stdlib.h>
#include <string.h>

#include "vtp_codecpar.h"
#include "vtp_cutter.h"
#include "vtp_error.h"
#include "vtp_log.h"
#include "vtp_scene.h"
#include "vtp_timeline.h"
#include "vtp_tsjoin.h"

#define READY_MAX 16                         /* complete segments held */
#define VTP_WORKERS_PER_DECODER 4            /* encoders one decoder thread feeds */
#define VTP_DECODER_THREADS_MAX 16
#define VTP_SEGMENT_MAX_BYTES (512LL << 20)  /* packets or frames: well below a
                                                message's 2 GiB (VTPOOL_SEGMENT_MAX_BYTES
                                                sets another, for tests) */

/* Why a cut fell where it did (counted, and said with -v). */
enum { CUT_KEYFRAME, CUT_SCENE, CUT_BALANCE, CUT_SIZE, CUT_REASONS };

struct vtp_splitter {
    int64_t max_bytes;          /* of one segment's packets or frames */
    AVFormatContext *in;        /* not owned */
    int vidx;
    AVStream *st;
    vtp_tsjoin *tsjoin;         /* demuxer -> tsjoin -> (video) timeline -> cutter */
    vtp_timeline *timeline;
    const AVCodecParameters *vpar;  /* the video's, as its packets need them */
    AVPacket *vpkt;             /* a video packet out of the timeline */
    vtp_pktlist held;           /* video from a packet flagged corrupt on,
                                   waiting: see take_video() */
    int64_t held_joins;         /* joins when the first came */
    vtp_split_cfg cfg;
    vtp_cutter cutter;
    AVPacket *pkt;
    uint32_t next_index;
    vtp_segment *open;
    vtp_segment *closing;
    AVPacket *cut_key;          /* the keyframe at the cut, until the closing
                                   segment's first leading picture needs it */
    int open_key;               /* index of the open segment's last keyframe */
    vtp_segment *ready[READY_MAX];
    int nready;
    int eof;
    int64_t end_us;             /* furthest packet end seen, AV_TIME_BASE units */
    int64_t last_dts, last_gap; /* of video packets, for those of unknown length */
    int64_t skipped;            /* damage dropped (--on-error skip) */
    int64_t cuts[CUT_REASONS];  /* where the cuts fell, by reason */
    uint8_t *enc_sei;           /* x264's version SEI, for segments after the first */
    size_t enc_sei_len;
    int sei_looked;             /* video packets looked at for it */

    /* Decode mode. */
    AVCodecContext *dec;
    vtp_scene scene;
    AVFrame *frame;
    int64_t drop_before;        /* frames before this pts belong to packet segments */
    int64_t first_cut;          /* cut_start of the first frame segment */
    int first_cut_pending;
    vtp_segment *backlog;       /* packets read before the switch, to decode */
    int backlog_next;           /* the next of them */
    int64_t frame_seg_start;    /* pts of the open frame segment's first frame */
    int64_t frame_seg_len;      /* and its length (shorter in the tail) */
    int64_t target;             /* segment length in stream time base */
    int64_t dec_expected;       /* pictures sent to the decoder at or after drop_before */
    int64_t dec_got;            /* frames it gave there */
    int64_t dec_failed;         /* of those pictures, dropped as damaged (skip) */
};

static vtp_segment *new_segment(vtp_splitter *s, int kind, int64_t cut_start)
{
    vtp_segment *seg = malloc(sizeof(*seg));
    if (!seg || vtp_segment_init(seg) < 0 || vtp_enc_opts_copy(&seg->opts, s->cfg.opts) < 0) {
        if (seg)
            vtp_segment_clear(seg);
        free(seg);
        return NULL;
    }
    seg->job_id = s->cfg.job_id;
    seg->index = s->next_index++;
    seg->kind = kind;
    seg->flags = s->cfg.skip_errors ? VTP_SEG_SKIP_ERRORS : 0;
    seg->cut_start = cut_start;
    seg->time_base = s->st->time_base;
    seg->frame_rate = s->st->avg_frame_rate.num > 0 ? s->st->avg_frame_rate : s->st->r_frame_rate;
    if (seg->frame_rate.num <= 0 || seg->frame_rate.den <= 0)
        seg->frame_rate = (AVRational){0, 1};
    if (kind == VTP_SEG_PACKETS) {
        if (avcodec_parameters_copy(seg->par, s->vpar) < 0)
            goto fail;
    } else {
        seg->par->codec_type = AVMEDIA_TYPE_VIDEO;
        seg->par->codec_id = AV_CODEC_ID_NONE;
        seg->par->width = s->dec->width;
        seg->par->height = s->dec->height;
        seg->par->format = s->dec->pix_fmt;
        seg->par->sample_aspect_ratio = s->dec->sample_aspect_ratio;
    }
    return seg;
fail:
    vtp_segment_clear(seg);
    free(seg);
    return NULL;
}

static void free_segment(vtp_segment **seg)
{
    if (*seg) {
        vtp_segment_clear(*seg);
        free(*seg);
        *seg = NULL;
    }
}

static int push_ready(vtp_splitter *s, vtp_segment **seg, int64_t cut_end)
{
    if (!*seg)
        return 0;
    if (s->nready == READY_MAX)
        return VTP_ERR_NOMEM;   /* cannot happen: next() drains after each packet */
    (*seg)->cut_end = cut_end;
    if ((*seg)->kind == VTP_SEG_PACKETS) {
        vtp_segment_count_frames(*seg, (*seg)->index == 0);
        /* The decoder of a later segment learns x264's version too. */
        if (s->enc_sei && (*seg)->index > 0 && (*seg)->pkts.n > 0) {
            AVPacket *first = av_packet_alloc();
            if (!first || vtp_packet_with_nal(s->vpar, (*seg)->pkts.v[0], s->enc_sei,
                                              s->enc_sei_len, first) < 0) {
                av_packet_free(&first);
                return VTP_ERR_NOMEM;
            }
            (*seg)->pkts.bytes += first->size - (*seg)->pkts.v[0]->size;
            av_packet_free(&(*seg)->pkts.v[0]);
            (*seg)->pkts.v[0] = first;
        }
    } else {
        (*seg)->count_start = (*seg)->cut_start;
        (*seg)->frames_expected = (int64_t)(*seg)->frame_count + (*seg)->frames.n;
    }
    s->ready[s->nready++] = *seg;
    *seg = NULL;
    return 0;
}

vtp_splitter *vtp_splitter_new(AVFormatContext *in, int video_index, const vtp_split_cfg *cfg)
{
    vtp_splitter *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->in = in;
    s->vidx = video_index;
    s->st = in->streams[video_index];
    s->cfg = *cfg;
    s->end_us = AV_NOPTS_VALUE;
    s->last_dts = AV_NOPTS_VALUE;
    AVRational tb = s->st->time_base;
    s->target = av_rescale_q((int64_t)(cfg->segment_seconds * 1e6), AV_TIME_BASE_Q, tb);
    int64_t long_gop = av_rescale_q((int64_t)(cfg->long_gop_seconds * 1e6), AV_TIME_BASE_Q, tb);
    vtp_cutter_init(&s->cutter, s->target, long_gop);
    const char *max = getenv("VTPOOL_SEGMENT_MAX_BYTES");
    s->max_bytes = max && strtoll(max, NULL, 10) > 0 ? strtoll(max, NULL, 10) : VTP_SEGMENT_MAX_BYTES;
    s->cutter.min_len = av_rescale_q((int64_t)(cfg->tail_min_seconds * 1e6), AV_TIME_BASE_Q, tb);
    s->cutter.spread = cfg->spread;
    s->cutter.prefer_keys = cfg->prefer_keys;
    s->cutter.grid = av_rescale_q((int64_t)(cfg->grid_seconds * 1e6), AV_TIME_BASE_Q, tb);
    s->cutter.workers = cfg->workers;
    if (!(s->tsjoin = vtp_tsjoin_new(in)) ||
        !(s->pkt = av_packet_alloc()) || !(s->cut_key = av_packet_alloc()) ||
        !(s->vpkt = av_packet_alloc()) || !(s->frame = av_frame_alloc()) ||
        !(s->timeline = vtp_timeline_new(s->st, vtp_timeline_dts_only(in->iformat)))) {
        vtp_splitter_destroy(&s);
        return NULL;
    }
    s->vpar = vtp_timeline_par(s->timeline);
    /* Only a duration the container states gives a tail to cut finer: one
     * guessed from the bitrate may be far off. */
    if (in->duration > 0 && in->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE)
        s->cutter.end = av_rescale_q(vtp_splitter_start(s) + in->duration, AV_TIME_BASE_Q, tb);
    return s;
}

void vtp_splitter_destroy(vtp_splitter **self_p)
{
    vtp_splitter *s = *self_p;
    if (!s)
        return;
    free_segment(&s->open);
    free_segment(&s->closing);
    free_segment(&s->backlog);
    for (int i = 0; i < s->nready; i++)
        free_segment(&s->ready[i]);
    avcodec_free_context(&s->dec);
    av_frame_free(&s->frame);
    vtp_timeline_destroy(&s->timeline);
    vtp_tsjoin_destroy(&s->tsjoin);
    av_packet_free(&s->vpkt);
    vtp_pktlist_clear(&s->held);
    free(s->enc_sei);
    av_packet_free(&s->pkt);
    av_packet_free(&s->cut_key);
    free(s);
    *self_p = NULL;
}

void vtp_splitter_set_workers(vtp_splitter *s, int workers)
{
    s->cutter.workers = workers;
}

int64_t vtp_splitter_skipped(const vtp_splitter *s)
{
    return s->skipped;
}

int vtp_splitter_decoding(const vtp_splitter *s)
{
    return s->dec != NULL;
}

int64_t vtp_splitter_start(const vtp_splitter *s)
{
    return vtp_tsjoin_start(s->tsjoin, s->in);
}

double vtp_splitter_position(const vtp_splitter *s)
{
    if (s->end_us == AV_NOPTS_VALUE)
        return 0;
    return (double)(s->end_us - vtp_splitter_start(s)) / AV_TIME_BASE;
}

/* ---- decode mode ---- */

/* Files one decoded frame into the open frame segment, cutting when it is
 * long (or large) enough. */
static int take_frame(vtp_splitter *s, AVFrame *f)
{
    int64_t ts = f->pts != AV_NOPTS_VALUE ? f->pts : f->best_effort_timestamp;
    int ret;

    if (ts == AV_NOPTS_VALUE || (s->drop_before != AV_NOPTS_VALUE && ts < s->drop_before)) {
        av_frame_unref(f);
        return 0;
    }
    f->pts = ts;
    s->dec_got++;
    /* The planned length, or a scene change in its last third (where the
     * encoder would put a keyframe anyway), or the size limit. */
    int scene = vtp_scene_cut(&s->scene, f);
    if (s->open) {
        int64_t len = ts - s->frame_seg_start;
        int why = len >= s->frame_seg_len ? CUT_BALANCE
                  : scene && len >= s->frame_seg_len - s->frame_seg_len / 3 &&
                          len >= s->cutter.min_len ? CUT_SCENE
                  : (int64_t)s->open->frame_wire.len >= s->max_bytes ? CUT_SIZE : -1;
        if (why >= 0) {
            s->cuts[why]++;
            if ((ret = push_ready(s, &s->open, ts)) < 0)
                return ret;
        }
    }
    if (!s->open) {
        int64_t cut = ts;
        if (s->first_cut_pending) {
            cut = s->first_cut;     /* continues where packet segments ended */
            s->first_cut_pending = 0;
        }
        if (!(s->open = new_segment(s, VTP_SEG_FRAMES, cut)))
            return VTP_ERR_NOMEM;
        s->frame_seg_start = ts;
        s->frame_seg_len = vtp_cutter_target_at(&s->cutter, ts);
        /* One allocation for the whole segment: regrowing hundreds of MB
         * costs more than the copy into it. */
        double rate = av_q2d(s->open->frame_rate);
        double seconds = (double)s->frame_seg_len * av_q2d(s->st->time_base);
        double frames = (rate > 0 ? rate : 30) * seconds * 1.05 + 2;
        size_t est = (size_t)frames * vtp_frame_wire_size(f);
        vtp_wbuf_grow(&s->open->frame_wire, FFMIN(est, (size_t)s->max_bytes));
    }
    ret = vtp_segment_add_frame(s->open, f);
    av_frame_unref(f);
    return ret;
}

static int decode(vtp_splitter *s, const AVPacket *pkt)
{
    if (pkt && pkt->pts != AV_NOPTS_VALUE && vtp_packet_has_picture(s->vpar, pkt) &&
        (s->drop_before == AV_NOPTS_VALUE || pkt->pts >= s->drop_before))
        s->dec_expected++;
    int ret = avcodec_send_packet(s->dec, pkt);
    if (ret < 0 && ret != AVERROR_EOF) {
        if (!s->cfg.skip_errors)
            return VTP_ERR_TRUNCATED;
        s->skipped++;
        s->dec_failed++;
    }
    for (;;) {
        ret = avcodec_receive_frame(s->dec, s->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0) {
            if (!s->cfg.skip_errors)
                return VTP_ERR_TRUNCATED;
            s->skipped++;
            s->dec_failed++;
            continue;
        }
        if (s->frame->decode_error_flags || (s->frame->flags & AV_FRAME_FLAG_CORRUPT)) {
            av_frame_unref(s->frame);
            if (!s->cfg.skip_errors)
                return VTP_ERR_TRUNCATED;
            s->skipped++;
            s->dec_failed++;
            continue;
        }
        if ((ret = take_frame(s, s->frame)) < 0)
            return ret;
    }
}

/* Threads for decoding in the dispatcher: one decoder thread keeps about
 * VTP_WORKERS_PER_DECODER single-threaded encoders busy on cheap presets,
 * so the decoder grows with the pool (frame threads: each decodes a whole
 * picture, so a long-GOP H.264 input feeds 16+ workers). They add their
 * count in frames of delay; a valid stream decodes to the same pictures.
 * A damaged one is found damaged as with one thread, but which frames
 * --on-error skip drops can vary from run to run (as with ffmpeg's own
 * threads): the count said is always the count dropped. The thread count
 * is set when decoding starts, for the workers known then. */
static int decoder_threads(int workers)
{
    int n = (workers + VTP_WORKERS_PER_DECODER - 1) / VTP_WORKERS_PER_DECODER;
    return n < 1 ? 1 : n > VTP_DECODER_THREADS_MAX ? VTP_DECODER_THREADS_MAX : n;
}

/* Leaves packet mode: the open packet segment's packets are decoded here
 * and everything from its cut on becomes frame segments. */
static int start_decoding(vtp_splitter *s)
{
    const AVCodec *dc = avcodec_find_decoder(s->vpar->codec_id);
    int ret;

    if (!dc || !(s->dec = avcodec_alloc_context3(dc)))
        return VTP_ERR_INPUT;
    if ((ret = avcodec_parameters_to_context(s->dec, s->vpar)) < 0)
        return ret;
    s->dec->pkt_timebase = s->st->time_base;
    s->dec->thread_count = decoder_threads(s->cutter.workers);
    s->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    s->dec->max_pixels = VTP_MAX_DECODE_PIXELS;
    if ((ret = avcodec_open2(s->dec, dc, NULL)) < 0)
        return ret;
    if ((ret = push_ready(s, &s->closing, s->closing ? s->closing->cut_end : 0)) < 0)
        return ret;

    vtp_segment *open = s->open;
    s->open = NULL;
    s->frame_seg_start = AV_NOPTS_VALUE;
    s->drop_before = AV_NOPTS_VALUE;
    s->first_cut = s->next_index == 0 ? VTP_PTS_MIN : vtp_cutter_last_cut(&s->cutter);
    s->first_cut_pending = 1;
    if (open) {
        /* Reuse its index and cut: nothing of it has left the splitter. */
        s->next_index = open->index;
        s->first_cut = open->cut_start;
        if (open->cut_start != VTP_PTS_MIN)
            s->drop_before = open->cut_start;
        /* Decoded a packet at a time by next(), so the first segment
         * leaves as soon as it is complete. */
        s->backlog = open;
        s->backlog_next = 0;
    }
    vtp_log(VTP_LOG_INFO, "keyframes are far apart: decoding in the dispatcher");
    return 0;
}

/* Decodes one packet of the backlog; 1 if there was one. */
static int decode_backlog(vtp_splitter *s)
{
    if (!s->backlog)
        return 0;
    if (s->backlog_next == s->backlog->pkts.n) {
        free_segment(&s->backlog);
        return 0;
    }
    int ret = decode(s, s->backlog->pkts.v[s->backlog_next++]);
    return ret < 0 ? ret : 1;
}

/* ---- packet mode ---- */

static int place_video(vtp_splitter *s, AVPacket *pkt)
{
    int events, ret;
    int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;

    if (pkt->flags & AV_PKT_FLAG_CORRUPT) {
        if (!s->cfg.skip_errors)
            return VTP_ERR_TRUNCATED;
        s->skipped++;
        av_packet_unref(pkt);
        return 0;
    }
    if (s->dec) {
        /* Packets that come while the packets read before the switch are
         * still being decoded (the timeline gives several at once) queue
         * behind them: the decoder takes them in decode order. */
        if (s->backlog)
            return vtp_pktlist_move(&s->backlog->pkts, pkt);
        ret = decode(s, pkt);
        av_packet_unref(pkt);
        return ret;
    }

    if (s->sei_looked < 16 && !s->enc_sei) {
        s->sei_looked++;
        if ((ret = vtp_h264_encoder_sei(s->vpar, pkt, &s->enc_sei, &s->enc_sei_len)) < 0)
            return ret;
    }
    int key = vtp_packet_clean_start(s->vpar, pkt);
    s->cutter.full = s->open && s->open->pkts.bytes >= s->max_bytes;
    int place = vtp_cutter_feed(&s->cutter, ts == AV_NOPTS_VALUE ? VTP_CUT_NO_TS : ts,
                                pkt->dts == AV_NOPTS_VALUE ? VTP_CUT_NO_TS : pkt->dts, key,
                                &events);
    if ((events & VTP_CUT_EV_CLOSED) &&
        (ret = push_ready(s, &s->closing, s->closing ? s->closing->cut_end : 0)) < 0)
        return ret;

    if (events & VTP_CUT_EV_CLOSED)
        av_packet_unref(s->cut_key);

    switch (place) {
    case VTP_CUT_CLOSING:
        /* Leading pictures reference the keyframe at the cut: the closing
         * segment needs it, once, before them. */
        if (s->cut_key->data) {
            if ((ret = vtp_pktlist_move(&s->closing->pkts, s->cut_key)) < 0)
                return ret;
        }
        return vtp_pktlist_move(&s->closing->pkts, pkt);
    case VTP_CUT_NEW:
        s->cuts[s->cutter.full ? CUT_SIZE : CUT_KEYFRAME]++;
        s->open->cut_end = ts;
        s->closing = s->open;
        if (!(s->open = new_segment(s, VTP_SEG_PACKETS, ts)))
            return VTP_ERR_NOMEM;
        av_packet_unref(s->cut_key);
        if ((ret = av_packet_ref(s->cut_key, pkt)) < 0)
            return ret;
        break;
    case VTP_CUT_SPLIT:
        s->cuts[CUT_BALANCE]++;
        /* Between keyframes: the new segment decodes from the last keyframe
         * (sharing the packets), and the one ending here decodes this packet
         * too, for the frames after it in decode order but shown before it. */
        s->open->cut_end = ts;
        s->closing = s->open;
        if (!(s->open = new_segment(s, VTP_SEG_PACKETS, ts)))
            return VTP_ERR_NOMEM;
        for (int i = s->open_key; i < s->closing->pkts.n; i++)
            if ((ret = vtp_pktlist_add(&s->open->pkts, s->closing->pkts.v[i])) < 0)
                return ret;
        s->open_key = 0;
        /* fall through */
    case VTP_CUT_BOTH:
        if ((ret = vtp_pktlist_add(&s->closing->pkts, pkt)) < 0)
            return ret;
        break;
    default:
        if (!s->open && !(s->open = new_segment(s, VTP_SEG_PACKETS, VTP_PTS_MIN)))
            return VTP_ERR_NOMEM;
        break;
    }
    if ((ret = vtp_pktlist_move(&s->open->pkts, pkt)) < 0)
        return ret;
    if (place == VTP_CUT_NEW || key)
        s->open_key = s->open->pkts.n - 1;
    if (events & VTP_CUT_EV_LONG_GOP)
        return start_decoding(s);
    return 0;
}

static void note_end(vtp_splitter *s, const AVPacket *pkt)
{
    int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if (ts == AV_NOPTS_VALUE)
        return;
    const AVStream *st = s->in->streams[pkt->stream_index];
    int64_t duration = pkt->duration;
    /* A video packet of unknown duration (FLV, ASF) lasts as long as the
     * gap before it. */
    if (pkt->stream_index == s->vidx && pkt->dts != AV_NOPTS_VALUE) {
        if (s->last_dts != AV_NOPTS_VALUE && pkt->dts > s->last_dts)
            s->last_gap = pkt->dts - s->last_dts;
        s->last_dts = pkt->dts;
        if (duration <= 0)
            duration = s->last_gap;
    }
    int64_t end = av_rescale_q(ts + FFMAX(duration, 0), st->time_base, AV_TIME_BASE_Q);
    if (s->end_us == AV_NOPTS_VALUE || end > s->end_us)
        s->end_us = end;
}

/* An input shorter than its header promised was cut off. */
static int check_complete(vtp_splitter *s)
{
    int64_t dur = s->in->duration;
    int64_t start = vtp_splitter_start(s);
    /* A duration guessed from the bitrate (MPEG-TS, say) promises nothing. */
    if (dur <= 0 || s->end_us == AV_NOPTS_VALUE ||
        s->in->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE)
        return 0;
    int64_t missing = start + dur - s->end_us;
    int64_t allowed = FFMAX(AV_TIME_BASE / 4, dur / 100);
    if (missing <= allowed)
        return 0;
    if (!s->cfg.skip_errors)
        return VTP_ERR_TRUNCATED;
    vtp_log(VTP_LOG_WARNING, "the input ends %.1f s before its stated duration",
            (double)missing / AV_TIME_BASE);
    s->skipped++;
    return 0;
}

/* Moves the video packets the timeline has ready to the cutter. */
static int place_ready(vtp_splitter *s)
{
    int ret;
    while (vtp_timeline_pull(s->timeline, s->vpkt) > 0) {
        ret = place_video(s, s->vpkt);
        av_packet_unref(s->vpkt);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Takes a video packet into the timeline (NULL: the end of the input).
 *
 * MPEG-TS flags a packet corrupt when the continuity counter of its stream
 * jumps. Where two recordings were written back to back, every stream's
 * counter restarts with the second, and the flag lands on one of the last
 * whole packets of the first (the demuxer sees the jump only when the next
 * packet starts, and its parser gives frames one late); the timestamps
 * restart a packet or two later. So in such an input, a packet flagged
 * corrupt waits with the video after it: if a discontinuity is joined
 * (vtp_tsjoin) within HELD_MAX packets, the flag was the restart's and is
 * dropped; otherwise the packet is damaged, as flagged. */
#define HELD_MAX 3

static int release_held(vtp_splitter *s)
{
    int joined = vtp_tsjoin_joins(s->tsjoin) > s->held_joins, ret = 0;
    for (int i = 0; i < s->held.n && ret >= 0; i++) {
        if (joined)
            s->held.v[i]->flags &= ~AV_PKT_FLAG_CORRUPT;
        if ((ret = vtp_timeline_push(s->timeline, s->held.v[i])) >= 0)
            ret = place_ready(s);
    }
    vtp_pktlist_clear(&s->held);
    return ret;
}

/* NULL releases what waits (at the end of the input). */
static int take_video(vtp_splitter *s, AVPacket *pkt)
{
    int ret;
    if (!pkt)
        return release_held(s);
    int suspect = (pkt->flags & AV_PKT_FLAG_CORRUPT) && (s->in->iformat->flags & AVFMT_TS_DISCONT);
    if (!s->held.n && !suspect) {
        if ((ret = vtp_timeline_push(s->timeline, pkt)) < 0)
            return ret;
        return place_ready(s);
    }
    if (!s->held.n)
        s->held_joins = vtp_tsjoin_joins(s->tsjoin);
    if ((ret = vtp_pktlist_move(&s->held, pkt)) < 0)
        return ret;
    if (s->held.n <= HELD_MAX && vtp_tsjoin_joins(s->tsjoin) == s->held_joins)
        return 0;
    return release_held(s);
}

static int finish(vtp_splitter *s)
{
    int ret;
    s->eof = 1;
    if ((ret = take_video(s, NULL)) < 0 || (ret = vtp_timeline_push(s->timeline, NULL)) < 0 ||
        (ret = place_ready(s)) < 0)
        return ret;
    if (!vtp_timeline_drained(s->timeline))
        return AVERROR_BUG;
    while ((ret = decode_backlog(s)) > 0)
        ;
    if (ret < 0)
        return ret;
    if (s->dec) {
        if ((ret = decode(s, NULL)) < 0)
            return ret;
        /* Every picture decoded here came out as a frame, or the input is
         * damaged: frames are never lost quietly. */
        if (s->dec_got + s->dec_failed < s->dec_expected) {
            vtp_log(VTP_LOG_WARNING, "the input's decoder gave %lld frames for %lld pictures",
                    (long long)s->dec_got, (long long)s->dec_expected);
            if (!s->cfg.skip_errors)
                return VTP_ERR_TRUNCATED;
            /* Damage already counted as skipped is not counted twice. */
            s->skipped += s->dec_expected - s->dec_got - s->dec_failed;
        }
    }
    if ((ret = push_ready(s, &s->closing, s->closing ? s->closing->cut_end : 0)) < 0 ||
        (ret = push_ready(s, &s->open, VTP_PTS_MAX)) < 0)
        return ret;
    int64_t n = s->cuts[CUT_KEYFRAME] + s->cuts[CUT_SCENE] + s->cuts[CUT_BALANCE] + s->cuts[CUT_SIZE];
    vtp_log(VTP_LOG_WARNING, "%lld cuts: %lld at keyframes of the input, %lld at scene changes, "
            "%lld between keyframes for balance, %lld where a segment was full",
            (long long)n, (long long)s->cuts[CUT_KEYFRAME], (long long)s->cuts[CUT_SCENE],
            (long long)s->cuts[CUT_BALANCE], (long long)s->cuts[CUT_SIZE]);
    return check_complete(s);
}

int vtp_splitter_next(vtp_splitter *s, vtp_segment **seg)
{
    int ret;

    *seg = NULL;
    while (!s->nready && !s->eof) {
        if ((ret = decode_backlog(s)) < 0)
            return ret;
        if (ret > 0)
            continue;
        ret = av_read_frame(s->in, s->pkt);
        if (ret == AVERROR_EOF) {
            if ((ret = finish(s)) < 0)
                return ret;
            break;
        }
        if (ret < 0 && s->cfg.skip_errors) {
            /* A read error ends the input: what was read is encoded. */
            vtp_log(VTP_LOG_WARNING, "reading stopped early: %s", av_err2str(ret));
            s->skipped++;
            if ((ret = finish(s)) < 0)
                return ret;
            break;
        }
        if (ret < 0)
            return ret == AVERROR(EIO) || ret == AVERROR_INVALIDDATA ? VTP_ERR_TRUNCATED : ret;
        if ((ret = vtp_tsjoin_apply(s->tsjoin, s->in, s->pkt)) < 0) {
            av_packet_unref(s->pkt);
            return ret;
        }
        note_end(s, s->pkt);
        if (s->pkt->stream_index == s->vidx)
            ret = take_video(s, s->pkt);
        else
            ret = s->cfg.side(s->cfg.opaque, s->pkt);
        av_packet_unref(s->pkt);
        if (ret < 0)
            return ret;
    }
    if (!s->nready)
        return 0;
    *seg = s->ready[0];
    memmove(s->ready, s->ready + 1, (size_t)(--s->nready) * sizeof(*s->ready));
    return 1;
}
