/* vtp_codecpar.h -- AVCodecParameters and AVFrame on the wire.
 *
 * Only the fields a video decoder, encoder or muxer needs travel; every one
 * is range-checked when read, so a hostile message cannot hand libav an
 * impossible size or an unknown enum value.
 */
#ifndef VTP_CODECPAR_H
#define VTP_CODECPAR_H

#include <libavcodec/avcodec.h>

#include "vtp_buf.h"

#define VTP_MAX_EXTRADATA (16 << 20)    /* bytes */
#define VTP_MAX_DIMENSION 32768         /* pixels per side */
#define VTP_MAX_DECODE_PIXELS (16384LL * 16384)  /* decoders refuse larger frames,
                                                    as OSS-Fuzz limits them */

void vtp_codecpar_write(vtp_wbuf *b, const AVCodecParameters *par);
/* Fills par (allocated by the caller); 0 or VTP_ERR_PROTO. */
int vtp_codecpar_read(vtp_rbuf *r, AVCodecParameters *par);

#define VTP_FRAME_ALIGN 64             /* bytes: plane offsets and strides */

void vtp_frame_write(vtp_wbuf *b, const AVFrame *frame);
/* An upper bound of what vtp_frame_write() adds for frame, in bytes. */
size_t vtp_frame_wire_size(const AVFrame *frame);
/* Reads a frame into a blank AVFrame, allocating its buffers;
 * 0, VTP_ERR_PROTO or VTP_ERR_NOMEM. Paletted and hardware formats are
 * refused. */
int vtp_frame_read(vtp_rbuf *r, AVFrame *frame);
/* The same, but when owner (a reference to the buffer r reads) is given the
 * frame's planes point into that buffer, which the frame then references:
 * no copy. */
int vtp_frame_read_ref(vtp_rbuf *r, AVFrame *frame, AVBufferRef *owner);

#endif
