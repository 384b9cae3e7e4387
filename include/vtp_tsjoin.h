/* vtp_tsjoin.h -- one rising timeline for inputs whose timestamps restart.
 *
 * MPEG-TS and MPEG-PS (formats flagged AVFMT_TS_DISCONT) may restart their
 * clocks: two recordings written back to back (`cat a.ts b.ts`), a
 * broadcast capture across a splice. Every packet of every stream passes
 * through here as the demuxer gives it, and the whole input is moved by one
 * offset that changes at each discontinuity, as ffmpeg does by default:
 *  - a stream whose decode time jumps more than 10 s from where its last
 *    packet ended, or goes back more than 0.1 s, starts a new piece; the
 *    offset moves so that the new piece starts where the longest stream of
 *    the last one ended (as ffmpeg's concat demuxer joins files), and a
 *    stream whose first packet of the piece would still overlap its own
 *    end starts at that end (streams of a piece do not start together:
 *    audio priming, B-frame delay); every stream keeps its sync;
 *  - an input that starts below zero (a 33-bit wrap that libavformat
 *    unwrapped into negative times before it) is moved to start at zero.
 * Other inputs keep their times unchanged.
 */
#ifndef VTP_TSJOIN_H
#define VTP_TSJOIN_H

#include <stdint.h>

#include <libavformat/avformat.h>

typedef struct vtp_tsjoin vtp_tsjoin;

/* NULL when out of memory. */
vtp_tsjoin *vtp_tsjoin_new(const AVFormatContext *in);
void vtp_tsjoin_destroy(vtp_tsjoin **self_p);

/* Moves pkt (of in) onto the joined timeline. */
int vtp_tsjoin_apply(vtp_tsjoin *j, const AVFormatContext *in, AVPacket *pkt);

/* The input's start on the joined timeline, AV_TIME_BASE units. */
int64_t vtp_tsjoin_start(const vtp_tsjoin *j, const AVFormatContext *in);

/* How many discontinuities were joined so far. */
int64_t vtp_tsjoin_joins(const vtp_tsjoin *j);

#endif
