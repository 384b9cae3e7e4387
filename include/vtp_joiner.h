/* vtp_joiner.h -- writes the output: encoded segments in order, plus
 * everything else the input carried.
 *
 * The joiner owns the output file. It is written under a temporary name in
 * the output's folder and renamed over the output only by
 * vtp_joiner_finish(); destroying an unfinished joiner removes the temporary
 * file, so a failed run leaves nothing at the output path.
 *
 * Streams: the encoded video takes the input video's place; audio is copied
 * (or encoded once, when the container cannot hold it or the user asked);
 * subtitles, data and attachments are copied when the container can hold
 * them and skipped with a warning otherwise. Global metadata, stream
 * metadata and dispositions, and chapters are kept.
 *
 * The muxer header needs the encoder's parameters, which only the first
 * segment's result brings; packets of other streams wait in a queue until
 * then, and afterwards until the video has reached their time, so the
 * output is interleaved as a single-process transcode would be.
 */
#ifndef VTP_JOINER_H
#define VTP_JOINER_H

#include <libavformat/avformat.h>

#include "vtp_hdr.h"
#include "vtp_segment.h"

typedef struct vtp_join_cfg {
    const char *output;         /* final path */
    int overwrite;              /* -y */
    const char *audio;          /* "auto", "copy", "none" or an encoder name */
    const char *temp_tag;       /* names the temporary file; NULL: the process id */
    int skip_errors;            /* --on-error skip: drop damaged copied packets */
} vtp_join_cfg;

typedef struct vtp_joiner vtp_joiner;

/* Prepares the output for input `in` (whose video stream video_index is the
 * one being encoded) and creates the temporary file. On failure returns
 * NULL with *err set and a one-line reason in why. */
vtp_joiner *vtp_joiner_new(AVFormatContext *in, int video_index, const vtp_join_cfg *cfg,
                           int *err, char *why, size_t why_size);

/* What an output container takes, asked before any joiner exists (so that
 * every setting is checked before the output is looked at):
 *  - the muxer for OUTPUT's name, or NULL with VTP_ERR_USAGE and a reason;
 *  - whether the encoder must put parameter sets in extradata;
 *  - whether it keeps a display matrix (MP4, MOV and their kin): the input's
 *    rotation is then written as it is, and the frames stay as they are
 *    stored; elsewhere the frames must be turned;
 *  - whether it takes the video of this encoder: 0, or VTP_ERR_USAGE. */
const AVOutputFormat *vtp_joiner_format(const char *output, char *why, size_t why_size);
int vtp_joiner_format_global_header(const AVOutputFormat *fmt);
int vtp_joiner_format_keeps_rotation(const AVOutputFormat *fmt);
int vtp_joiner_format_can_hold(const AVOutputFormat *fmt, const char *encoder, char *why,
                               size_t why_size);

/* HDR10 metadata for the video stream's side data (not owned; must outlive
 * the joiner). */
void vtp_joiner_set_hdr(vtp_joiner *j, const vtp_hdr *hdr);

/* Takes a packet of a non-video stream (reference moved). */
int vtp_joiner_side_packet(vtp_joiner *j, AVPacket *pkt);

/* Writes the next segment's packets (segments must come in index order).
 * end is the segment's cut_end (VTP_PTS_MAX for the last). On failure a
 * reason is in why. */
int vtp_joiner_write(vtp_joiner *j, vtp_result *res, int64_t end, char *why, size_t why_size);

/* Writes what is left, the trailer, and renames the file into place. */
int vtp_joiner_finish(vtp_joiner *j, char *why, size_t why_size);

/* Frees everything; removes the temporary file unless finished. */
void vtp_joiner_destroy(vtp_joiner **self_p);

/* The temporary name the joiner writes output under ("DIR/.NAME.vtpool-tmp-
 * TAG", TAG the process id when NULL); malloc'd, NULL when out of memory. */
char *vtp_joiner_temp_path(const char *output, const char *tag);


/* Copied packets dropped as damaged (--on-error skip). */
int64_t vtp_joiner_skipped(const vtp_joiner *j);

/* Video frames and bytes written so far. */
int64_t vtp_joiner_frames(const vtp_joiner *j);
/* Where the video written so far ends, in seconds of the input's timeline. */
double vtp_joiner_video_seconds(const vtp_joiner *j);

#endif
