/* vtp_package.h -- writes an adaptive-bitrate ladder: CMAF tracks and their
 * HLS or DASH playlists, in place of the joiner's single file.
 *
 * Each result of a ladder carries one stream per video rendition
 * (vtp_segment.h); segment k of the input becomes media segment k of every
 * rendition (vtp_cmaf.h), so that all of them start with a keyframe at the
 * same times, the cuts. The audio (one stream: AAC, copied when the input's
 * is AAC, otherwise encoded once) is cut at the same times into a track of
 * its own. Other streams are left out, with a warning.
 *
 * Layout, for OUTPUT = DIR/NAME.m3u8 (HLS) or DIR/NAME.mpd (DASH):
 *   DIR/NAME.m3u8 or .mpd       the master playlist or the MPD
 *   DIR/WxH/init.mp4            each rendition's track
 *   DIR/WxH/seg-NNNNN.m4s
 *   DIR/WxH/index.m3u8          (HLS) its media playlist
 *   DIR/audio/...               the audio track
 * Media segments are written as their results come, in order; playlists
 * whole (temporary name, flush, rename). A VOD playlist appears only once
 * every segment is in place. With `live` (HLS), EVENT playlists are
 * rewritten after every segment, so that a player can start while the rest
 * encodes, and become VOD playlists at the end. A ladder that does not
 * finish leaves nothing behind: destroying it removes every file it wrote.
 */
#ifndef VTP_PACKAGE_H
#define VTP_PACKAGE_H

#include <libavformat/avformat.h>

#include "vtp_segment.h"

typedef struct vtp_package_cfg {
    const char *output;         /* DIR/NAME.m3u8 or DIR/NAME.mpd */
    int overwrite;              /* -y */
    const char *audio;          /* "auto", "copy", "none" or an AAC encoder */
    int live;                   /* HLS: playlists that grow as segments finish */
    int skip_errors;            /* --on-error skip: drop audio that does not decode */
    int nvideo;                 /* renditions, each result's streams */
    const int *width, *height;  /* each rendition's size (names its directory) */
} vtp_package_cfg;

typedef struct vtp_package vtp_package;

/* Whether output names a ladder: a .m3u8 or .mpd file. */
int vtp_package_is_ladder(const char *output);

/* Checks what a ladder can be, before any work: the playlist type from
 * the name, --live-playlist only with HLS, the audio (AAC). 0, or
 * VTP_ERR_USAGE with a reason. */
int vtp_package_check(const vtp_package_cfg *cfg, const AVFormatContext *in, char *why,
                      size_t ws);

/* Prepares the ladder for input in (video stream vidx): the directories,
 * the audio. NULL with *err and a reason in why on failure (nothing is left
 * behind then). */
vtp_package *vtp_package_new(AVFormatContext *in, int vidx, const vtp_package_cfg *cfg,
                             int *err, char *why, size_t ws);

/* Takes a packet of a stream other than the video (reference moved). */
int vtp_package_side_packet(vtp_package *p, AVPacket *pkt);

/* Writes the next segment of every rendition (segments come in index
 * order; res's times may be changed). end is the segment's cut_end
 * (VTP_PTS_MAX for the last). */
int vtp_package_write(vtp_package *p, vtp_result *res, int64_t end, char *why, size_t ws);

/* Writes the rest of the audio and the final playlists. */
int vtp_package_finish(vtp_package *p, char *why, size_t ws);

/* Frees everything; unless finished, removes every file and directory it
 * made. NULL-safe. */
void vtp_package_destroy(vtp_package **p);

/* Video frames (of each rendition) written so far, and where they end, in
 * seconds of the input's timeline. */
int64_t vtp_package_frames(const vtp_package *p);
double vtp_package_video_seconds(const vtp_package *p);

#endif
