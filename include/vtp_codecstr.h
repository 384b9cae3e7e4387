/* vtp_codecstr.h -- the RFC 6381 "codecs" string of an encoded stream.
 *
 * HLS's CODECS attribute and DASH's @codecs name a stream's codec, profile
 * and level ("avc1.64001f", "hvc1.1.6.L93.B0", "mp4a.40.2") so that a
 * player can tell, before it downloads anything, whether it can play a
 * rendition. The string is read from the encoder's own headers (the H.264
 * and HEVC sequence parameter set, the AV1 configuration record, the AAC
 * AudioSpecificConfig), never guessed from the options it was given: x264
 * picks the level itself, and a wrong level makes a browser refuse a
 * rendition it could play, or take one it cannot.
 */
#ifndef VTP_CODECSTR_H
#define VTP_CODECSTR_H

#include <stddef.h>

#include <libavcodec/avcodec.h>

#define VTP_CODECSTR_MAX 64     /* bytes, with the terminating NUL */

/* Writes par's codecs string into out (size bytes). par's extradata holds
 * the headers: for H.264 and HEVC an avcC/hvcC record or the parameter sets
 * with start codes (what libx264 and libx265 give), for AV1 an av1C record,
 * for AAC the AudioSpecificConfig (without one, par->profile). HEVC is
 * named "hvc1" (parameter sets in the sample entry), as HLS requires.
 * 0; AVERROR(ENOSYS) for another codec; AVERROR_INVALIDDATA when the headers
 * are missing or too short; AVERROR(ENOSPC) when out is too small. */
int vtp_codec_string(const AVCodecParameters *par, char *out, size_t size);

#endif
