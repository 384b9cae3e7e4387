/* vtp_passrec.h -- two-pass encoding: what the first pass of a job learns
 * and the second uses.
 *
 * For each segment the first pass keeps its range and frame count (the
 * second pass must cut the input the same way: it checks), its cost
 * (vtp_ratealloc.h) and the encoder's record. Records are as large as the
 * encoder makes them (x264's macroblock tree: two bytes a macroblock a
 * frame), so they wait in files in a hidden directory next to the output,
 * not in memory; only the per-segment figures are held.
 */
#ifndef VTP_PASSREC_H
#define VTP_PASSREC_H

#include <stdint.h>

#include <libavcodec/codec_par.h>

#include "vtp_ratealloc.h"
#include "vtp_segment.h"

typedef struct vtp_passrec vtp_passrec;

/* A record for a job writing output (its directory holds the files). NULL
 * on failure with *err set and a reason in why. */
vtp_passrec *vtp_passrec_new(const char *output, int *err, char *why, size_t why_size);
/* Removes the files and frees everything; NULL-safe. */
void vtp_passrec_destroy(vtp_passrec **self_p);

/* The first pass of segment index (they come in order, from 0): its range,
 * frames, duration and the encoder's record (taken: log is left empty). 0,
 * or a negative error with why. */
int vtp_passrec_add(vtp_passrec *r, uint32_t index, int64_t cut_start, int64_t cut_end,
                    int64_t frames, double seconds, vtp_passlog *log, char *why,
                    size_t why_size);

/* Shares rate (bits per second) among the segments recorded. 0, or a
 * negative error with why. */
int vtp_passrec_plan(vtp_passrec *r, double rate, char *why, size_t why_size);

/* For the second pass of segment index: checks that it has the range and
 * frames the first pass had, and gives its bitrate and the encoder's
 * record (read back into log). 0, or a negative error with why. */
int vtp_passrec_get(const vtp_passrec *r, uint32_t index, int64_t cut_start, int64_t cut_end,
                    int64_t frames, int64_t *bitrate, vtp_passlog *log, char *why,
                    size_t why_size);

/* The pictures the first pass encoded (from its first segment), to tell
 * the level of the whole (vtp_twopass_level()). */
int vtp_passrec_set_picture(vtp_passrec *r, const AVCodecParameters *par, AVRational time_base,
                            AVRational rate);
const AVCodecParameters *vtp_passrec_picture(const vtp_passrec *r, AVRational *time_base,
                                             AVRational *rate);
/* The rate vtp_passrec_plan() shared. */
double vtp_passrec_rate(const vtp_passrec *r);

/* Segments recorded, and the shortest and longest second-pass rates planned. */
uint32_t vtp_passrec_segments(const vtp_passrec *r);
void vtp_passrec_rates(const vtp_passrec *r, double *min, double *max);

#endif
