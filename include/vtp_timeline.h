/* vtp_timeline.h -- the video's timeline as ffmpeg's decoder sees it, made
 * between the demuxer and the cutter.
 *
 * Packets go in as the demuxer gives them and come out, in decode order,
 * with the presentation time each frame will be shown at:
 *  - MPEG-4 Part 2 with packed B-frames (DivX and XviD in AVI) is unpacked
 *    (mpeg4_unpack_bframes), so that every packet holds one picture;
 *  - a container that stores decode times only (AVI; raw elementary
 *    streams, whose decode times libavformat counts from the frame rate)
 *    gets presentation times: without reordering they are the decode
 *    times; with MPEG-1/2/4 B-frames, each frame takes the slot the decoder
 *    will show it in (B-frames at once, a reference frame when the next one
 *    arrives), so the first frame is shown at the first time, and the gap
 *    of a dropped (empty) frame stays a gap;
 *  - packets with no time at all (an MPEG program stream that carries
 *    none) are timed the same way, one frame apart at the stream's rate.
 * Packets of other containers pass through unchanged. (In AVI, libavformat
 * gives some packets a presentation time equal to their decode time, which
 * for a B-frame is one slot late: all are timed here instead.)
 */
#ifndef VTP_TIMELINE_H
#define VTP_TIMELINE_H

#include <libavformat/avformat.h>

typedef struct vtp_timeline vtp_timeline;

/* For the video stream st of a container that stores decode times only
 * (dts_only: AVI) or not. NULL when out of memory or the unpacking filter
 * cannot be set up. */
vtp_timeline *vtp_timeline_new(const AVStream *st, int dts_only);
void vtp_timeline_destroy(vtp_timeline **self_p);

/* The video's codec parameters as the packets that come out need them (the
 * unpacking filter's, which differ from the demuxer's). */
const AVCodecParameters *vtp_timeline_par(const vtp_timeline *t);

/* Whether the demuxer should make up presentation times itself (genpts):
 * only for reordered streams this module does not time. */
int vtp_timeline_wants_genpts(const AVCodecParameters *par, int dts_only);

/* Whether a demuxer stores decode times only (AVI, raw streams). */
int vtp_timeline_dts_only(const AVInputFormat *fmt);

/* Takes one packet (reference moved), or NULL at the end of the input. */
int vtp_timeline_push(vtp_timeline *t, AVPacket *pkt);
/* The next packet ready, in decode order: 1 with *pkt filled (a new
 * reference), 0 when none is ready yet. */
int vtp_timeline_pull(vtp_timeline *t, AVPacket *pkt);

/* Whether the end was pushed and every packet has come out: checked at the
 * end, so that no frame stays behind unnoticed. */
int vtp_timeline_drained(const vtp_timeline *t);

#endif
