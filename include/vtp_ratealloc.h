/* vtp_ratealloc.h -- two-pass encoding: each segment's share of the bits.
 *
 * The first pass encodes every segment at one constant quality (x264's or
 * x265's CRF). Its record says, frame by frame, how many bits went to
 * texture, to motion vectors and to the rest. One encoder's two-pass rate
 * control meets a size by scaling every frame's quantizer by the same
 * factor, and predicts a frame's bits at the new quantizer as x264 does:
 *
 *     tex * r^1.1 + mv * r^0.5 + misc,    r = old qscale / new qscale
 *
 * The factor that makes the predicted size of the whole input equal the
 * budget (rate x duration) also gives each segment's share, so the bits
 * fall where one two-pass encode of the whole input would put them: static
 * scenes get few, busy ones many, and the title averages the rate asked
 * for. Each segment's second pass then meets its own share, spread over
 * its frames by the encoder from the same record.
 */
#ifndef VTP_RATEALLOC_H
#define VTP_RATEALLOC_H

#include <stddef.h>
#include <stdint.h>

typedef struct vtp_pass_cost {
    double tex, mv, misc;       /* bits over the segment's frames, first pass */
    double seconds;             /* the segment's duration */
} vtp_pass_cost;

/* Adds up the frames of an x264 or x265 first-pass record into c (seconds
 * untouched). 0, or VTP_ERR_PROTO when no frame line has the three counts. */
int vtp_pass_cost_parse(const uint8_t *log, size_t len, vtp_pass_cost *c);

/* The second-pass size of each of n segments, in bits, so that together
 * they average rate (bits per second) over their seconds. 0, or
 * VTP_ERR_USAGE when there is nothing to share (no seconds, no bits). */
int vtp_ratealloc(const vtp_pass_cost *c, int n, double rate, double *bits);

#endif
