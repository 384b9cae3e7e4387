/* unit_media.h -- synthetic pictures, decoding and temp dirs for the tests.
 *
 * Everything is made in memory (or in a temporary directory) with libav
 * itself: no sample files, no ffmpeg program.
 */
#ifndef VTP_UNIT_MEDIA_H
#define VTP_UNIT_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

/* A frame of the given format and size whose every plane holds a pattern
 * that depends on idx (so frames of different idx differ), pts = idx.
 * Samples of formats deeper than 8 bits stay within their depth. */
AVFrame *um_make_frame(enum AVPixelFormat fmt, int w, int h, int idx);

/* Whether a and b have the same format, size and visible samples. When
 * they differ, a short description is written to why (may be NULL). */
int um_frames_equal(const AVFrame *a, const AVFrame *b, char *why, size_t why_size);

/* A growable list of frames. */
typedef struct um_frames {
    AVFrame **v;
    int n, cap;
} um_frames;

void um_frames_push(um_frames *l, AVFrame *f);       /* takes f */
void um_frames_clear(um_frames *l);
/* The frame with pts ts, or NULL. */
AVFrame *um_frames_find(const um_frames *l, int64_t ts);

/* Decodes n packets (decode order) with the decoder for par, flushes, and
 * appends the frames (pts = best effort timestamp) to out. 0 or a libav
 * error. */
int um_decode(const AVCodecParameters *par, AVRational tb, AVPacket *const *pkts, int n,
              um_frames *out);

/* Encodes frames (in presentation order, each with its pts) with the named
 * encoder; out_pkts receives the packets (decode order), par the encoder's
 * parameters. opts may be NULL. Returns the number of packets or < 0. */
int um_encode(const char *encoder, AVFrame *const *frames, int n, AVRational tb,
              AVDictionary *opts, int flags, AVPacket ***out_pkts, AVCodecParameters *par);
void um_packets_free(AVPacket **v, int n);

/* Writes n frames of um_make_frame() pictures (yuv420p, w x h) at fps,
 * coded with an intra-only encoder (ffv1, rawvideo), to a Matroska file.
 * 0 or a libav error. */
int um_write_video(const char *path, const char *encoder, int w, int h, int n, int fps);

/* A fresh directory under $TMPDIR (or /tmp); um_rmdir removes it and
 * everything directly in it. */
char *um_mkdtemp(void);
void um_rmdir(char *dir);

/* Deterministic PRNG (xorshift64*). */
uint64_t um_rand(uint64_t *state);

#endif
