/* vtp_accounting.h -- the dispatcher's check of each segment's result: no
 * frame lost, none repeated, every time in the segment's range.
 *
 * A worker's result is accepted only when
 *  - it decoded as many frames from the segment's count_start on as the
 *    dispatcher found packets for (frames_counted == frames_expected, where
 *    that is known);
 *  - the encoder gave one packet for each frame it was handed;
 *  - the encoded frames' presentation times lie in [cut_start, cut_end) and
 *    are all different, so that across segments, whose ranges follow each
 *    other, the output's times strictly rise;
 *  - for a ladder, every rendition has exactly the first's frames.
 * With --on-error skip a missing frame is dropped and counted instead; the
 * other two are never the input's fault and always fail.
 */
#ifndef VTP_ACCOUNTING_H
#define VTP_ACCOUNTING_H

#include <stddef.h>
#include <stdint.h>

#include "vtp_segment.h"

typedef struct vtp_seg_account {
    uint32_t index;
    int64_t cut_start, cut_end; /* VTP_PTS_MIN / VTP_PTS_MAX when open */
    int64_t frames_expected;    /* -1: unknown */
    AVRational time_base;       /* of the cuts */
    int skip_errors;            /* --on-error skip */
    int renditions;             /* a ladder's: the result must carry as many
                                   streams, each with the first's frames at
                                   the first's times; 0: any */
} vtp_seg_account;

/* Checks res against what segment a said it must give. On success 0, and
 * *dropped is the number of missing frames to report as skipped (only with
 * skip_errors). On failure VTP_ERR_TRUNCATED (frames missing or repeated:
 * damaged input) or VTP_ERR_MISMATCH (the encoder lost frames or moved
 * them), with the reason in why, naming the segment and the times. */
int vtp_account_check(const vtp_seg_account *a, const vtp_result *res, int64_t *dropped,
                      char *why, size_t why_size);

/* Gives every encoded packet of an accepted result a duration where the
 * encoder left none: the gap to the next frame, the last frame's up to
 * cut_end (where the next segment's first frame is), or for the end of the
 * input the gap before it. A container that keeps sample durations (MP4)
 * would otherwise end the track at the last frame's start and lose it. */
void vtp_account_fill_durations(const vtp_seg_account *a, vtp_result *res);

#endif
