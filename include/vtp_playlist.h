/* vtp_playlist.h -- the HLS and DASH playlists of a ladder of CMAF tracks.
 *
 * A ladder is a few video renditions of one input (the same frames at
 * other sizes and bitrates) and at most one audio rendition, each a CMAF
 * track in a directory of its own (vtp_cmaf.h), all cut at the same times.
 * This module writes what a player reads to choose among them:
 *
 *  - HLS (RFC 8216): a media playlist per track (version 7, the init
 *    segment in EXT-X-MAP, independent segments), and a master playlist
 *    with each video rendition's peak and average bandwidth, resolution,
 *    frame rate and RFC 6381 codecs, the audio in a group of its own;
 *  - DASH (ISO/IEC 23009-1, live profile): one MPD with an AdaptationSet
 *    for video and one for audio, each Representation a SegmentTemplate
 *    with a SegmentTimeline.
 *
 * The text is made in memory; vtp_playlist_write() puts a file in place
 * whole (temporary name, flush, rename), so that a player never reads part
 * of a playlist.
 */
#ifndef VTP_PLAYLIST_H
#define VTP_PLAYLIST_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/rational.h>

#include "vtp_cmaf.h"

/* One track, as the playlists see it. Every pointer is the caller's. */
typedef struct vtp_track {
    const char *dir;            /* relative to the playlists: "720p" */
    const char *codecs;         /* RFC 6381 (vtp_codec_string) */
    int width, height;          /* video; 0 for audio */
    AVRational frame_rate;      /* video; 0/1 if unknown */
    int sample_rate, channels;  /* audio */
    AVRational time_base;       /* of segs[].start and .duration */
    int64_t shift;              /* the tracks' shift (vtp_cmaf_new), in time_base */
    int64_t origin;             /* where the presentation starts, in time_base,
                                   before the shift: the same instant for every
                                   track (the first video frame's pts), so that
                                   they play in step */
    const vtp_cmaf_info *segs;  /* in order */
    int nsegs;
} vtp_track;

/* The track's peak bitrate (the largest of its segments' bytes over their
 * durations) and average bitrate (all bytes over all time), in bit/s. */
int64_t vtp_track_peak_bps(const vtp_track *t);
int64_t vtp_track_average_bps(const vtp_track *t);

/* HLS media playlist of t, in *text (av_malloc'd: av_free() it). ended: the track is
 * complete (VOD, EXT-X-ENDLIST); else it may still grow (EVENT). 0 or
 * AVERROR(ENOMEM). */
int vtp_hls_media(const vtp_track *t, int ended, char **text);

/* HLS master playlist of nv video tracks, highest first as given, and the
 * audio track (NULL for none), whose media playlists are DIR/index.m3u8.
 * 0, AVERROR(ENOMEM), or AVERROR(EINVAL) when a track has no segment. */
int vtp_hls_master(const vtp_track *video, int nv, const vtp_track *audio, char **text);

/* DASH MPD of the same (static, with every segment listed). 0,
 * AVERROR(ENOMEM) or AVERROR(EINVAL) (also when a time base is not 1/N:
 * the MPD's timescale). */
int vtp_dash_mpd(const vtp_track *video, int nv, const vtp_track *audio, char **text);

#define VTP_HLS_MEDIA "index.m3u8"      /* each track's, in its directory */

/* Puts text at path whole: written to a temporary name beside it, flushed
 * to disk and renamed over path. 0 or an AVERROR. */
int vtp_playlist_write(const char *path, const char *text);

#endif
