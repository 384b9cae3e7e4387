/* vtp_twopass.h -- an encoder's two-pass files for one segment, on a worker.
 *
 * x264 and x265 keep their first-pass record in a file named by an option
 * (libx264's "stats", "stats" in libx265's x265-params) and write a second
 * one beside it (".mbtree", ".cutree"). A worker gives each two-pass
 * segment a private temporary directory: a first pass writes its record
 * there and the record travels back in the result (vtp_passlog); a second
 * pass has the record the segment carries written there before its
 * encoder opens. The dispatcher decides the rate control of each pass
 * (vtp_ratealloc.h); this only wires the files.
 */
#ifndef VTP_TWOPASS_H
#define VTP_TWOPASS_H

#include <limits.h>

#include <libavcodec/codec_par.h>
#include <libavutil/dict.h>

#include "vtp_segment.h"

typedef struct vtp_twopass {
    int pass;                   /* 0: none, 1 or 2 */
    char dir[PATH_MAX];         /* "" until made */
    char log[PATH_MAX + 16];
    char tree[PATH_MAX + 32];
} vtp_twopass;

/* Whether vtpool runs two passes with this encoder (libx264, libx265). */
int vtp_twopass_supported(const char *encoder);

/* Prepares seg's pass (nothing when it has neither VTP_SEG_PASS flag):
 * makes the directory, writes a second pass's record there, and adds to
 * opts what tells the encoder. 0, or a negative error with a reason in why
 * (everything made is removed). */
int vtp_twopass_begin(vtp_twopass *tp, const vtp_segment *seg, const char *encoder,
                      AVDictionary **opts, char *why, size_t why_size);

/* After the encoder is closed (it writes its files then): a first pass's
 * record, moved into out. 0 (nothing to take for a second pass) or a
 * negative error with why. */
int vtp_twopass_take(vtp_twopass *tp, vtp_passlog *out, char *why, size_t why_size);

/* The level one encoder of the whole input would signal at bitrate: x264
 * picks its level from the bitrate, so each segment of a second pass, at
 * its own share, would name another. Opens the encoder with opts for
 * pictures like par (time_base, rate) and reads the level from its
 * headers, as an option value for that encoder ("4.1") in buf. 1 when
 * found, 0 when the user chose one or it cannot be told (the encoder
 * decides), negative on failure. */
int vtp_twopass_level(const char *encoder, const AVDictionary *opts,
                      const AVCodecParameters *par, AVRational time_base, AVRational rate,
                      int64_t bitrate, char *buf, size_t size);

/* Removes the files and the directory; safe to call more than once. */
void vtp_twopass_end(vtp_twopass *tp);

#endif
