/* codecstr.c -- RFC 6381 codecs strings from an encoder's headers (see
 * vtp_codecstr.h).
 *
 * The fields come from the bitstream's own headers, where ISO/IEC 14496-15
 * (H.264, HEVC), the AV1 ISOBMFF binding and ISO/IEC 14496-3 (AAC) put them:
 *
 *   avc1.PPCCLL            profile_idc, the constraint flags byte,
 *                          level_idc of the SPS, in hex
 *   hvc1.[ABC]P.F.TL.C...  profile space and idc, the 32 compatibility flags
 *                          in reversed bit order, tier (L or H) and level,
 *                          then the six constraint bytes, trailing zero
 *                          bytes left out
 *   av01.P.LLT.DD          profile, level index, tier (M or H), bit depth
 *   mp4a.40.AOT            the audio object type
 */
#include "vtp_codecstr.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>

#define H264_NAL_SPS 7
#define HEVC_NAL_SPS 33
#define HEVC_PTL_BYTES 12       /* general profile, tier and level: space,
                                   tier and idc (1), compatibility flags (4),
                                   constraint flags (6), level (1) */

static int put(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < size)
        return 0;
    if (size)
        out[0] = '\0';
    return n < 0 ? AVERROR(EINVAL) : AVERROR(ENOSPC);
}

/* The offset of the next start code (00 00 01) in d from i on, or n. */
static size_t next_start_code(const uint8_t *d, size_t n, size_t i)
{
    for (; i + 3 <= n; i++)
        if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1)
            return i;
    return n;
}

/* The first NAL unit of type want in Annex B data (start codes), with its
 * header: *nal and *len; 0 or AVERROR_INVALIDDATA. hevc: the type is in
 * bits 1..6 of the first header byte, else in bits 0..4. */
static int find_nal(const uint8_t *d, size_t n, int hevc, int want, const uint8_t **nal,
                    size_t *len)
{
    for (size_t i = next_start_code(d, n, 0); i < n;) {
        size_t start = i + 3, next = next_start_code(d, n, start), end = next;
        while (end > start && d[end - 1] == 0)     /* a 4-byte start code's first zero */
            end--;
        if (start < end && (hevc ? (d[start] >> 1) & 0x3f : d[start] & 0x1f) == want) {
            *nal = d + start;
            *len = end - start;
            return 0;
        }
        i = next;
    }
    return AVERROR_INVALIDDATA;
}

/* Copies up to max bytes of a NAL unit's payload, from offset skip of it,
 * without its emulation prevention bytes (00 00 03). The count copied. */
static size_t unescape(const uint8_t *nal, size_t len, size_t skip, uint8_t *out, size_t max)
{
    size_t n = 0;
    int zeros = 0;
    for (size_t i = skip; i < len && n < max; i++) {
        if (zeros >= 2 && nal[i] == 3) {
            zeros = 0;
            continue;
        }
        zeros = nal[i] == 0 ? zeros + 1 : 0;
        out[n++] = nal[i];
    }
    return n;
}

static int h264_string(const AVCodecParameters *par, char *out, size_t size)
{
    const uint8_t *d = par->extradata, *sps;
    size_t n = par->extradata_size, len;
    uint8_t b[3];
    if (n >= 4 && d[0] == 1) {          /* avcC: version, profile, flags, level */
        memcpy(b, d + 1, 3);
    } else {
        if (find_nal(d, n, 0, H264_NAL_SPS, &sps, &len) < 0 || unescape(sps, len, 1, b, 3) < 3)
            return AVERROR_INVALIDDATA;
    }
    return put(out, size, "avc1.%02x%02x%02x", b[0], b[1], b[2]);
}

static uint32_t reverse_bits(uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++, v >>= 1)
        r = (r << 1) | (v & 1);
    return r;
}

static int hevc_string(const AVCodecParameters *par, char *out, size_t size)
{
    const uint8_t *d = par->extradata, *sps;
    size_t n = par->extradata_size, len;
    uint8_t p[HEVC_PTL_BYTES];
    if (n >= 1 + HEVC_PTL_BYTES && d[0] == 1) {     /* hvcC: version, then the PTL */
        memcpy(p, d + 1, HEVC_PTL_BYTES);
    } else {
        /* The SPS: a 2-byte header, then a byte of ids and sub-layer
         * counts, then the general profile_tier_level. */
        if (find_nal(d, n, 1, HEVC_NAL_SPS, &sps, &len) < 0)
            return AVERROR_INVALIDDATA;
        uint8_t rbsp[1 + HEVC_PTL_BYTES];
        if (unescape(sps, len, 2, rbsp, sizeof(rbsp)) < sizeof(rbsp))
            return AVERROR_INVALIDDATA;
        memcpy(p, rbsp + 1, HEVC_PTL_BYTES);
    }
    static const char *const space[4] = {"", "A", "B", "C"};
    uint32_t compat = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    char constraints[6 * 3 + 1] = "";
    int last = 5;
    while (last >= 0 && p[5 + last] == 0)
        last--;
    for (int i = 0; i <= last || i == 0; i++)      /* at least one byte */
        snprintf(constraints + strlen(constraints), sizeof(constraints) - strlen(constraints),
                 ".%X", p[5 + i]);
    return put(out, size, "hvc1.%s%d.%X.%c%d%s", space[p[0] >> 6], p[0] & 0x1f,
               reverse_bits(compat), p[0] & 0x20 ? 'H' : 'L', p[11], constraints);
}

static int av1_string(const AVCodecParameters *par, char *out, size_t size)
{
    const uint8_t *d = par->extradata;
    if (par->extradata_size < 4 || d[0] != 0x81)    /* av1C: marker 1, version 1 */
        return AVERROR_INVALIDDATA;
    int profile = d[1] >> 5, level = d[1] & 0x1f, tier = d[2] >> 7;
    int depth = d[2] & 0x40 ? (profile == 2 && (d[2] & 0x20) ? 12 : 10) : 8;
    return put(out, size, "av01.%d.%02d%c.%02d", profile, level, tier ? 'H' : 'M', depth);
}

static int aac_string(const AVCodecParameters *par, char *out, size_t size)
{
    const uint8_t *d = par->extradata;
    int aot;
    if (par->extradata_size >= 2) {
        aot = d[0] >> 3;
        if (aot == 31)                  /* escape: 32 + the next 6 bits */
            aot = 32 + (((d[0] & 7) << 3) | (d[1] >> 5));
    } else if (par->profile >= 0) {
        aot = par->profile + 1;         /* libavcodec's AAC profiles are AOT - 1 */
    } else {
        return AVERROR_INVALIDDATA;
    }
    if (aot == 0)
        return AVERROR_INVALIDDATA;
    return put(out, size, "mp4a.40.%d", aot);
}

int vtp_codec_string(const AVCodecParameters *par, char *out, size_t size)
{
    if (size)
        out[0] = '\0';
    switch (par->codec_id) {
    case AV_CODEC_ID_H264: return h264_string(par, out, size);
    case AV_CODEC_ID_HEVC: return hevc_string(par, out, size);
    case AV_CODEC_ID_AV1: return av1_string(par, out, size);
    case AV_CODEC_ID_AAC: return aac_string(par, out, size);
    default: return AVERROR(ENOSYS);
    }
}
