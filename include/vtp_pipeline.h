/* vtp_pipeline.h -- one segment through decoder, filter graph and encoder.
 *
 * The pipeline is what a worker thread runs for each segment it is handed:
 * a decoder (for packet segments), an optional libavfilter graph that ends
 * in the pixel formats the encoder takes, and the encoder, all created for
 * the segment and freed after it, all owned by the calling thread. Frames
 * whose pts lies outside the segment's [cut_start, cut_end) are decoded (the
 * frames after them need them) but never encoded.
 *
 * Codecs run with seg->threads threads (1 normally: the pool gives each core
 * its own encoder, which scales better than one encoder's thread pool).
 */
#ifndef VTP_PIPELINE_H
#define VTP_PIPELINE_H

#include <stdatomic.h>

#include "vtp_segment.h"

/* Encodes seg into res (initialised by the caller). Returns 0, or a negative
 * code with res->status set to it and res->error saying what failed. When
 * *cancel becomes non-zero (another thread may set it) the run stops at the
 * next frame with VTP_ERR_INTERRUPTED. cancel may be NULL. */
int vtp_pipeline_run(const vtp_segment *seg, vtp_result *res, const atomic_int *cancel);

/* How often a run reports its progress, at most. */
#define VTP_PROGRESS_MS 250

/* Called from the encoding thread with the frames encoded so far (packets
 * out of the encoder, which lag the frames put in by its lookahead). */
typedef void (*vtp_progress_fn)(void *opaque, int64_t frames);

/* As vtp_pipeline_run(), reporting progress to progress(opaque, frames) at
 * most every VTP_PROGRESS_MS while it encodes. */
int vtp_pipeline_run_progress(const vtp_segment *seg, vtp_result *res, const atomic_int *cancel,
                              vtp_progress_fn progress, void *opaque);

/* Builds the filter graph the pipeline would use for frames of the given
 * properties and opens the encoder behind it once, then frees both: a
 * check, run before any work, that --vf parses and links and that the
 * encoder takes these frames with these options. 0 or a negative code
 * (VTP_ERR_USAGE, VTP_ERR_ENCODER) with a reason in why. */
int vtp_pipeline_check(const vtp_enc_opts *opts, const AVCodecParameters *par,
                       AVRational time_base, AVRational frame_rate, char *why, size_t why_size);

#endif
