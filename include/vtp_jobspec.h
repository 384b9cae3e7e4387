/* vtp_jobspec.h -- one encode job, as JSON.
 *
 * A job spec says everything `vtpool encode` would be told on its command
 * line: input, output, encoder settings, audio mode, segment length, plus
 * the queue's priority. Specs arrive as JSON objects (from `vtpool submit`,
 * one per line of a JSONL file) and are stored in the queue in the
 * canonical form vtp_jobspec_to_json() writes.
 *
 * Accepted keys (anything else is an error):
 *
 *   input, output   required, non-empty strings
 *   encoder         string, or null for the container's usual encoder
 *   crf             number or numeric string      -> codec option "crf"
 *   bitrate         string ("2M") or integer > 0  -> codec option "b"
 *   preset          string                        -> codec option "preset"
 *   options         object of string or number values -> codec options
 *   vf              string (a libavfilter graph), or null for none
 *   audio           "auto" (default: copy where the container holds it), "copy",
 *                   "none" or an audio encoder name
 *   segment         number of seconds, 0.04 to 86400 (default: planned)
 *   priority        integer, -1000 to 1000 (default 0); higher runs first
 *   overwrite       true or false (default false)
 *   on_error        "fail" (default) or "skip"
 *   renditions      array of 1 to 16 "WxH[,KEY=VALUE]..." strings, as
 *                   --rendition takes them: an adaptive-bitrate ladder
 *                   (output .m3u8 or .mpd); absent or empty: one file
 *   live_playlist   true or false (default false): HLS playlists that grow
 *                   as segments finish; only with renditions
 *
 * An option given twice (crf and options.crf, or two keys that differ only
 * in case, which libav treats as one) is an error. Whether the encoder and
 * its options exist is not checked here: vtp_enc_opts_validate() does that
 * where the job runs.
 *
 * Limits: a spec is at most 64 KiB of JSON, nested at most 8 deep; every
 * string is at most 4096 bytes (names of encoders and options 255); at most
 * 256 codec options.
 *
 * The canonical form folds crf, bitrate and preset into "options" (so one
 * option has one spelling), sorts the options by key, and always writes
 * every other key except a null encoder or vf, and renditions and
 * live_playlist for a job that is not a ladder. Parsing the canonical form
 * gives back the same spec.
 */
#ifndef VTP_JOBSPEC_H
#define VTP_JOBSPEC_H

#include <stddef.h>

#include "vtp_options.h"

#define VTP_JOBSPEC_MAX_JSON (64 * 1024)
#define VTP_JOBSPEC_MAX_STRING 4096
#define VTP_JOBSPEC_MAX_NAME 255
#define VTP_JOBSPEC_MAX_OPTIONS 256
#define VTP_JOBSPEC_MAX_DEPTH 8

typedef struct vtp_jobspec {
    char *input;            /* required, non-empty; owned */
    char *output;           /* required, non-empty; owned */
    vtp_enc_opts opts;      /* encoder (NULL: the container's usual one,
                               resolved elsewhere), codec_opts, vf; owned */
    char *audio;            /* "auto", "copy", "none" or an encoder name; owned.
                               NULL (only before parsing) means "auto" */
    double segment_seconds; /* 0: planned (default), else 0.04..86400 */
    int priority;           /* default 0, range -1000..1000; higher runs first */
    int overwrite;          /* default 0 */
    int skip_errors;        /* "on_error": "skip" (1) or "fail" (0, default) */
    char **renditions;      /* a ladder's rungs, as given; owned */
    int nrenditions;
    int live_playlist;
} vtp_jobspec;

/* Appends a rung to j's ladder, checked (vtp_rendition_parse). 0,
 * VTP_ERR_USAGE with a reason in why, or VTP_ERR_NOMEM. */
int vtp_jobspec_add_rendition(vtp_jobspec *j, const char *spec, char *why, size_t why_size);

/* Sets every field to its default (strings NULL); frees nothing. */
void vtp_jobspec_init(vtp_jobspec *j);
/* Frees what j owns and sets it back to the defaults. */
void vtp_jobspec_clear(vtp_jobspec *j);

/* Parses one JSON object of len bytes into j, which is initialised here
 * (anything it held before is not freed). On success every field is set
 * (audio to "auto" if not given). Bad JSON, unknown keys, wrong types and
 * out-of-range values give VTP_ERR_USAGE with a one-line reason naming the
 * key in why; running out of memory gives VTP_ERR_NOMEM. On failure j is
 * left as vtp_jobspec_init() makes it. */
int vtp_jobspec_parse(const char *json, size_t len, vtp_jobspec *j, char *why, size_t why_size);

/* The canonical JSON of j, one line, malloc'd (caller frees). NULL when
 * memory runs out, when input or output is NULL, or when a string is not
 * valid UTF-8 (JSON cannot carry it). */
char *vtp_jobspec_to_json(const vtp_jobspec *j);

/* Makes input and output absolute (relative to the current directory)
 * without requiring them to exist, and normalises "." and ".." components
 * and repeated slashes lexically (so "a/../b" is "b" even if a is a
 * symbolic link). Returns 0; VTP_ERR_NOMEM; VTP_ERR_USAGE if a path is NULL
 * or a result would be longer than VTP_JOBSPEC_MAX_STRING (it could not be
 * parsed back); or AVERROR(errno) if the current directory cannot be found
 * (it was removed). On failure j is unchanged. */
int vtp_jobspec_absolutize(vtp_jobspec *j);

#endif
