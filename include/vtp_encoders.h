/* vtp_encoders.h -- what a job asks of the encoders its workers run.
 *
 * A job checks every setting before any work starts (a trial of the filter
 * graph and the encoder) and, in two passes, which encoders can and at what
 * level. That knowledge lives with the workers (worker/); the dispatcher
 * does not reach into them for it. The application that composes the two
 * (`encode`, `serve`, `bench`) hands each job this table, filled by the
 * worker side (vtp_worker_encoders() in vtp_pipeline.h).
 */
#ifndef VTP_ENCODERS_H
#define VTP_ENCODERS_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/codec_par.h>
#include <libavutil/dict.h>
#include <libavutil/rational.h>

#include "vtp_options.h"

typedef struct vtp_encoders {
    /* Whether frames like par at time_base and rate go through --vf and the
     * encoder with these options: 0, or VTP_ERR_USAGE / VTP_ERR_ENCODER
     * with a reason in why. */
    int (*check)(const vtp_enc_opts *opts, const AVCodecParameters *par, AVRational time_base,
                 AVRational frame_rate, char *why, size_t why_size);
    /* Whether two-pass encoding works with this encoder. */
    int (*twopass)(const char *encoder);
    /* The level one encoder of the whole input would name at bitrate, as a
     * value of that encoder's level option in buf: 1, 0 when it is the
     * user's or cannot be told, negative on failure. */
    int (*level)(const char *encoder, const AVDictionary *opts, const AVCodecParameters *par,
                 AVRational time_base, AVRational frame_rate, int64_t bitrate, char *buf,
                 size_t size);
} vtp_encoders;

#endif
