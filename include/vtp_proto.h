/* vtp_proto.h -- the messages between dispatcher and workers.
 *
 * Every message is one ZeroMQ frame: a fixed header (magic "VTP1", protocol
 * version, message type) and a body whose layout depends on the type, all
 * little-endian, written with vtp_wbuf and read with the bounds-checked
 * vtp_rbuf. Decoders validate every field before use and return
 * VTP_ERR_PROTO for anything malformed; they never trust a length.
 *
 * A SEGMENT of decoded frames may have a second part holding the frames, so
 * that the dispatcher can send the buffer it decoded into without a copy.
 *
 * The exchange is the load-balancing pattern of the ZeroMQ guide: a worker
 * (DEALER) says READY once, the dispatcher (ROUTER) sends it a SEGMENT, the
 * worker answers with a RESULT, which also means it is ready again. While
 * it encodes, it sends PROGRESS now and then (frames encoded so far). STOP
 * ends a worker.
 *
 * A worker node answers each SEGMENT as soon as it has it with a PROGRESS
 * of no frames. Messages to a peer arrive in order, whole: a HEARTBEAT
 * sent after a gigabyte of raw frames waits for all of it. So the
 * dispatcher sends a peer its next large segment only once the last one
 * has arrived, and no heartbeat waits behind more than one.
 */
#ifndef VTP_PROTO_H
#define VTP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "vtp_buf.h"
#include "vtp_segment.h"

#define VTP_PROTO_MAGIC 0x31505456u     /* "VTP1" */
#define VTP_PROTO_VERSION 5   /* 2: frames counted end to end; 3: PROGRESS;
                                 4: two-pass records; 5: ladders */
#define VTP_PROTO_HEADER_SIZE 8         /* bytes */
#define VTP_MAX_PACKETS 1000000         /* per message */
#define VTP_MAX_PACKET_SIZE (256 << 20) /* bytes */
#define VTP_MAX_STRING 65536            /* bytes */
#define VTP_MAX_PASSLOG (1u << 30)      /* bytes of each part of a first-pass record */
#define VTP_MAX_ENCODERS 65536          /* bytes of a READY's encoder list */
#define VTP_MAX_CPU_US 1000000000000000ULL /* a RESULT's CPU time: 31 years, in us */
#define VTP_HEARTBEAT_MS 1000           /* default heartbeat interval, both ways */
#define VTP_LIVENESS 3                  /* intervals of silence before giving up on a peer */

enum vtp_msg_type {
    VTP_MSG_READY = 1,      /* worker -> dispatcher */
    VTP_MSG_SEGMENT = 2,    /* dispatcher -> worker */
    VTP_MSG_RESULT = 3,     /* worker -> dispatcher */
    VTP_MSG_STOP = 4,       /* dispatcher -> worker */
    VTP_MSG_HEARTBEAT = 5,  /* both ways, between nodes and the dispatcher */
    VTP_MSG_PROGRESS = 6,   /* worker -> dispatcher, while encoding */
};

typedef struct vtp_progress_msg {
    uint64_t job_id;
    uint32_t index;         /* the segment */
    int64_t frames;         /* encoded so far */
} vtp_progress_msg;

typedef struct vtp_ready {
    uint32_t threads;       /* segments this peer can take at once */
    int heartbeat;          /* it sends heartbeats and expects them */
    char *encoders;         /* comma-separated names it has, or NULL for
                               any; owned (read: malloc'd; write: borrowed) */
} vtp_ready;

/* Frees what vtp_proto_read_ready() allocated. */
void vtp_ready_clear(vtp_ready *m);

/* Writes a header of type t. */
void vtp_proto_header(vtp_wbuf *b, int type);
/* Checks the header of a received message; sets *type.
 * Returns 0 or VTP_ERR_PROTO (bad magic, version, type or size). */
int vtp_proto_type(const void *data, size_t len, int *type);

void vtp_proto_write_ready(vtp_wbuf *b, const vtp_ready *m);
void vtp_proto_write_stop(vtp_wbuf *b);
void vtp_proto_write_segment(vtp_wbuf *b, const vtp_segment *s);
/* Changes the codec threads of a written SEGMENT message in place (the
 * dispatcher decides them when it hands the segment out). 0 or
 * VTP_ERR_PROTO. */
int vtp_proto_set_segment_threads(uint8_t *msg, size_t len, int threads);
/* The job and index of a SEGMENT message, read without decoding the rest.
 * 0 or VTP_ERR_PROTO. */
int vtp_proto_segment_id(const void *msg, size_t len, uint64_t *job_id, uint32_t *index);
/* For a FRAMES segment: everything but the frames, which are sent as a
 * second message part straight from s->frame_wire (no copy). */
void vtp_proto_write_segment_head(vtp_wbuf *b, const vtp_segment *s);
void vtp_proto_write_result(vtp_wbuf *b, const vtp_result *res);
void vtp_proto_write_progress(vtp_wbuf *b, const vtp_progress_msg *m);

/* Decode a whole message (header included) into an initialised struct.
 * 0, VTP_ERR_PROTO or VTP_ERR_NOMEM; on error the struct is cleared. */
int vtp_proto_read_ready(const void *data, size_t len, vtp_ready *m);
int vtp_proto_read_segment(const void *data, size_t len, vtp_segment *s);
/* As vtp_proto_read_segment(), but frames point into the message instead
 * of being copied: owner is a reference to the buffer holding data (or
 * NULL to copy). A FRAMES segment sent with vtp_proto_write_segment_head()
 * has its frames in a second part: frames/frames_len/frames_owner (NULL
 * when there is none). */
int vtp_proto_read_segment_ref(const void *data, size_t len, AVBufferRef *owner,
                               const void *frames, size_t frames_len, AVBufferRef *frames_owner,
                               vtp_segment *s);
int vtp_proto_read_result(const void *data, size_t len, vtp_result *res);
int vtp_proto_read_progress(const void *data, size_t len, vtp_progress_msg *m);

#endif
