/* vtp_hdr.h -- HDR10 static metadata: found once per input, given to the
 * encoder and to the output container.
 *
 * Mastering display colour volume and content light level come either from
 * the container (stream side data) or from the video bitstream (SEI
 * messages, seen as side data of decoded frames). vtp_hdr_probe() looks at
 * the container first, and for PQ or HLG video without it (or deep video
 * whose transfer the container does not state) decodes the first frame from
 * a second, private opening of the input: the workers and the
 * joiner then all get the same values, whichever segment they encode.
 */
#ifndef VTP_HDR_H
#define VTP_HDR_H

#include <libavformat/avformat.h>
#include <libavutil/mastering_display_metadata.h>

typedef struct vtp_hdr {
    int has_mastering, has_light;
    AVMasteringDisplayMetadata mastering;
    AVContentLightMetadata light;
} vtp_hdr;

/* Fills h (zeroed when the input has none) for video stream vidx of in,
 * opened from path. Never fails: metadata it cannot read is left out. */
void vtp_hdr_probe(const AVFormatContext *in, int vidx, const char *path, vtp_hdr *h);

/* Adds h to the encoder's options in the encoder's own words (x265-params
 * master-display and max-cll, svtav1-params mastering-display and
 * content-light), unless the user gave them. 1 if the encoder took them,
 * 0 if it has no way to, VTP_ERR_NOMEM. */
int vtp_hdr_encoder_opts(const vtp_hdr *h, const char *encoder, AVDictionary **codec_opts);

/* Gives an output stream h as its side data. 0 or VTP_ERR_NOMEM. */
int vtp_hdr_add_to_stream(const vtp_hdr *h, AVStream *st);

#endif
