/* vtp_rendition.h -- one rung of an adaptive-bitrate ladder.
 *
 * `--rendition WxH[,KEY=VALUE]...` names a size and the encoder options of
 * that size: "1280x720,crf=23", "640x-2,b=800k,maxrate=900k,bufsize=1600k".
 * One side may be -2: it is worked out from the other and the input's
 * display aspect ratio, rounded to the nearest even number. The options are AVOptions of the encoder, as -x KEY=VALUE
 * gives them; they override the top-level -c, --crf, --preset and -x for
 * this rendition only.
 */
#ifndef VTP_RENDITION_H
#define VTP_RENDITION_H

#include <stddef.h>

#include <libavutil/dict.h>
#include <libavutil/rational.h>

#include "vtp_options.h"
#include "vtp_segment.h"

#define VTP_RENDITION_KEEP (-2)         /* a side worked out from the other */
#define VTP_MAX_RENDITIONS VTP_MAX_OUTPUTS    /* a ladder's rungs: one segment's outputs */

typedef struct vtp_rendition {
    int width, height;          /* pixels, or VTP_RENDITION_KEEP for one of them */
    AVDictionary *codec_opts;   /* this rendition's own options; owned */
} vtp_rendition;

/* Parses spec into a blank r. 0, or VTP_ERR_USAGE with a one-line reason
 * in why (r is left blank then). */
int vtp_rendition_parse(const char *spec, vtp_rendition *r, char *why, size_t ws);

void vtp_rendition_clear(vtp_rendition *r);

/* The size of r for an input of in_w x in_h pixels of aspect ratio sar
 * (0/1 or 0/0: square), in *w and *h. 0, or VTP_ERR_USAGE when a side
 * comes out under 2 pixels or over VTP_MAX_DIMENSION. */
int vtp_rendition_size(const vtp_rendition *r, int in_w, int in_h, AVRational sar, int *w,
                       int *h);

/* The encoder options of r: a deep copy of base with r's own options put
 * over it (their keys win; an encoder named with "c" replaces base's). 0
 * or VTP_ERR_NOMEM (out is left cleared). */
int vtp_rendition_opts(const vtp_enc_opts *base, const vtp_rendition *r, vtp_enc_opts *out);

#endif
