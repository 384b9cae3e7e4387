/* vtp_options.h -- the encode settings that travel with every segment.
 *
 * Everything a user can say about the encoder is one AVOption of it:
 * --crf N is "crf", -b RATE is "b", --preset NAME is "preset" and -x K=V is
 * K. Keeping them as one dictionary means one validation path (the one the
 * dispatcher runs before any work starts) and one wire format.
 */
#ifndef VTP_OPTIONS_H
#define VTP_OPTIONS_H

#include <stdint.h>

#include <libavutil/dict.h>

#include "vtp_buf.h"

typedef struct vtp_enc_opts {
    char *encoder;              /* libavcodec encoder name; owned */
    AVDictionary *codec_opts;   /* AVOptions for the encoder; owned */
    char *vf;                   /* libavfilter graph or NULL; owned */
} vtp_enc_opts;

void vtp_enc_opts_init(vtp_enc_opts *o);
void vtp_enc_opts_clear(vtp_enc_opts *o);
/* Deep copy; on error dst is left cleared and a negative code returned. */
int vtp_enc_opts_copy(vtp_enc_opts *dst, const vtp_enc_opts *src);

/* The encoder's keyframe interval in frames, as the cuts are planned with
 * it: -g or the encoder's own keyint as the user set them, else x264's and
 * x265's default of 250; 0 when unknown. */
long vtp_enc_opts_keyint(const vtp_enc_opts *o);

/* Checks that the encoder exists, is a video encoder, and that every option
 * names an AVOption of it (or of AVCodecContext) with a value it accepts.
 * On failure returns VTP_ERR_ENCODER or VTP_ERR_USAGE and writes a one-line
 * reason into why. */
int vtp_enc_opts_validate(const vtp_enc_opts *o, char *why, size_t why_size);

/* The bitrate -b asks for, in bit/s, read as libavcodec reads "b" ("4M",
 * "2500k"); 0 when none is set or it does not parse. */
int64_t vtp_enc_opts_bitrate(const vtp_enc_opts *o);

void vtp_enc_opts_write(vtp_wbuf *b, const vtp_enc_opts *o);
/* Reads what vtp_enc_opts_write() wrote into a cleared o; 0 or VTP_ERR_PROTO. */
int vtp_enc_opts_read(vtp_rbuf *r, vtp_enc_opts *o);

#endif
