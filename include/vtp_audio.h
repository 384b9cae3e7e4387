/* vtp_audio.h -- encodes one audio stream, once, in the dispatcher.
 *
 * Used only when the output container cannot hold the input's audio codec
 * (or --audio names an encoder). A decoder, an abuffer -> aformat ->
 * abuffersink graph that converts the samples and cuts frames of the
 * encoder's frame size, and the encoder, all single-threaded.
 */
#ifndef VTP_AUDIO_H
#define VTP_AUDIO_H

#include <libavcodec/avcodec.h>

typedef struct vtp_audio vtp_audio;

/* Receives an encoded packet (reference moved). */
typedef int (*vtp_audio_emit_fn)(void *opaque, AVPacket *pkt);

/* Opens the pipeline; out_par receives the encoder's parameters and
 * *out_tb its time base. NULL on failure with a reason in why. */
vtp_audio *vtp_audio_new(const AVCodecParameters *in_par, AVRational in_tb, const char *encoder,
                         int global_header, AVCodecParameters *out_par, AVRational *out_tb,
                         char *why, size_t why_size);

/* With skip set (--on-error skip), a packet that does not decode is
 * dropped and counted instead of failing. */
void vtp_audio_set_skip(vtp_audio *a, int skip);
int64_t vtp_audio_skipped(const vtp_audio *a);

/* Feeds one input packet, or NULL to flush. A packet that does not decode
 * is VTP_ERR_TRUNCATED, unless skipping. */
int vtp_audio_send(vtp_audio *a, const AVPacket *pkt, vtp_audio_emit_fn emit, void *opaque);

void vtp_audio_destroy(vtp_audio **self_p);

#endif
