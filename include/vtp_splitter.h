/* vtp_splitter.h -- reads the input once and cuts its video into segments.
 *
 * The splitter owns the reading position of the input: each call of
 * vtp_splitter_next() reads packets (front to back, never seeking) until one
 * segment is complete, and hands every packet of the other streams to the
 * side callback as it goes, so audio and subtitles are never cut. Every
 * packet's times are first put on one rising timeline (vtp_tsjoin): the
 * times the rest of vtpool sees.
 *
 * Video is cut at keyframes (vtp_cutter). When keyframes are too far apart
 * to keep the workers busy (a long-GOP or single-keyframe input), the
 * splitter switches, for the rest of the input, to decoding the video itself
 * and cutting the decoded frames every `segment_seconds`; decoding is much
 * cheaper than encoding, and every worker stays busy.
 */
#ifndef VTP_SPLITTER_H
#define VTP_SPLITTER_H

#include <libavformat/avformat.h>

#include "vtp_segment.h"

/* Receives a packet of a stream other than the video being encoded; takes
 * over pkt's reference. 0 or a negative code (which stops the splitter). */
typedef int (*vtp_side_fn)(void *opaque, AVPacket *pkt);

typedef struct vtp_split_cfg {
    double segment_seconds;     /* target segment length */
    double long_gop_seconds;    /* longer without a keyframe: decode here */
    int workers;                /* sharing the segments: the last stretch is
                                   cut finer for them (see vtp_cutter.h); <= 1: not */
    double tail_min_seconds;    /* the shortest segment of that stretch */
    double grid_seconds;        /* the encoder's keyframe interval (vtp_cutter.h) */
    int spread;                 /* see vtp_cutter.h */
    int prefer_keys;            /* ... */
    uint64_t job_id;
    const vtp_enc_opts *opts;   /* copied into every segment */
    int skip_errors;            /* --on-error skip: drop damage, count it */
    vtp_side_fn side;
    void *opaque;
} vtp_split_cfg;

typedef struct vtp_splitter vtp_splitter;

/* in stays owned by the caller and must outlive the splitter. NULL on
 * failure. */
vtp_splitter *vtp_splitter_new(AVFormatContext *in, int video_index, const vtp_split_cfg *cfg);
void vtp_splitter_destroy(vtp_splitter **self_p);

/* The next segment in presentation order (caller owns it; free with
 * vtp_segment_clear() and free()). Returns 1 with *seg set, 0 when the input
 * is exhausted, or a negative code: VTP_ERR_TRUNCATED for a read error or an
 * input that ends before its stated duration. */
int vtp_splitter_next(vtp_splitter *s, vtp_segment **seg);

/* The number of workers changed (see vtp_split_cfg.workers). */
void vtp_splitter_set_workers(vtp_splitter *s, int workers);

/* Whether the splitter has switched to decoding (for progress and bench). */
int vtp_splitter_decoding(const vtp_splitter *s);

/* Damaged packets or frames dropped so far (--on-error skip). */
int64_t vtp_splitter_skipped(const vtp_splitter *s);

/* Where the input starts on that timeline, AV_TIME_BASE units. */
int64_t vtp_splitter_start(const vtp_splitter *s);

/* How far the input has been read, in seconds of media (for progress). */
double vtp_splitter_position(const vtp_splitter *s);

#endif
