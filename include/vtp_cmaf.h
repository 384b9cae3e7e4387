/* vtp_cmaf.h -- one rendition's track as CMAF: an initialization segment
 * and fragmented MP4 media segments, each in a file of its own.
 *
 * A track is written into a directory of its own. init.mp4 (ftyp and a
 * moov without samples: the codec's configuration) is written when the
 * track is opened; then each segment vtpool cut becomes one
 * seg-NNNNN.m4s (a moof and its mdat), in order. Every media segment
 * starts with a keyframe and carries its own decode time (tfdt), so that a
 * player can start at any of them, and the segments of every rendition of
 * one input start at the same times: the cuts. Each file is written whole
 * under a temporary name, flushed to disk and then renamed
 * (vtp_file_write), so that a reader (a player following a live playlist)
 * never sees part of one, nor a crash a torn one.
 *
 * libavformat's MP4 muxer writes the boxes (one fragment per segment, ended
 * here); this module cuts its output into files and keeps the figures a
 * playlist needs.
 */
#ifndef VTP_CMAF_H
#define VTP_CMAF_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#define VTP_CMAF_INIT "init.mp4"
#define VTP_CMAF_SEGMENT "seg-%05u.m4s"     /* the segment's number */

typedef struct vtp_cmaf vtp_cmaf;       /* opaque */

/* What one media segment holds, for the playlists. */
typedef struct vtp_cmaf_info {
    uint32_t number;            /* as in its file name */
    int64_t start;              /* its first frame's pts, in the packets' time
                                   base, before the shift */
    int64_t duration;           /* to the next segment's start, same unit */
    int64_t bytes;              /* of its file */
} vtp_cmaf_info;

/* Opens a track of the stream par describes (an encoder's parameters, with
 * its extradata), whose packets have time_base tb, in the existing
 * directory dir, and writes dir/init.mp4. Every timestamp is written plus
 * shift (in tb): enough that no decode time is negative (an encoder with
 * B-frames starts its decode times before its first frame), and the same
 * for every track of one presentation, so that they stay in step. NULL on
 * failure, with why (ws bytes) saying what failed; nothing is left in dir
 * then. */
vtp_cmaf *vtp_cmaf_new(const char *dir, const AVCodecParameters *par, AVRational tb,
                       int64_t shift, char *why, size_t ws);

/* Writes the next media segment, dir/seg-NNNNN.m4s with NNNNN = number,
 * from its n packets (decode order; the first a keyframe; times in tb,
 * before the shift) whose frames end at end (the next segment's start, or
 * the end of the last frame). Numbers must rise. info (may be NULL)
 * receives what the segment holds. 0, or a negative error with why saying
 * what failed (AVERROR(EINVAL): the segment breaks a rule above). */
int vtp_cmaf_write(vtp_cmaf *c, uint32_t number, AVPacket *const *pkts, int n, int64_t end,
                   vtp_cmaf_info *info, char *why, size_t ws);

/* Closes the track (the files stay); NULL-safe, clears *c. */
void vtp_cmaf_destroy(vtp_cmaf **c);

#endif
