/* vtp_hdr.h -- HDR10 static metadata: found once per input, given to the
 * encoder and to the output container. HDR10+ and Dolby Vision metadata
 * are found too, to say that they are not carried.
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
    int dynamic;                /* HDR10+ (SMPTE 2094-40) on the first frame */
    int dovi;                   /* Dolby Vision: configuration or RPUs */
} vtp_hdr;

/* Fills h (zeroed when the input has none) for video stream vidx of in,
 * opened from path. Never fails: metadata it cannot read is left out. */
void vtp_hdr_probe(const AVFormatContext *in, int vidx, const char *path, vtp_hdr *h);

/* Warns, once, about what of h the output will not carry: HDR10+ dynamic
 * metadata and Dolby Vision RPUs change every frame or scene, and no
 * encoder vtpool drives takes them from decoded frames in every FFmpeg it
 * builds with, so the output keeps the static HDR10 layer only. */
void vtp_hdr_warn_dropped(const vtp_hdr *h, const char *encoder);

/* Adds h to the encoder's options in the encoder's own words (x265-params
 * master-display and max-cll, svtav1-params mastering-display and
 * content-light), unless the user gave them. 1 if the encoder took them,
 * 0 if it has no way to, VTP_ERR_NOMEM. */
int vtp_hdr_encoder_opts(const vtp_hdr *h, const char *encoder, AVDictionary **codec_opts);

/* Gives an output stream h as its side data. 0 or VTP_ERR_NOMEM. */
int vtp_hdr_add_to_stream(const vtp_hdr *h, AVStream *st);

#endif
