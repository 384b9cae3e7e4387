/* vtp_segment.h -- a segment of video and what comes back for it.
 *
 * A segment is defined by presentation time: it holds the frames whose pts
 * lies in [cut_start, cut_end) of the input video stream's time base. It
 * travels in one of two forms:
 *
 *  - VTP_SEG_PACKETS: the compressed packets from a keyframe on, in decode
 *    order, plus any packets after the next cut that the frames before it
 *    need (leading pictures of an open GOP). The worker decodes all of them
 *    and keeps only the frames inside the range.
 *  - VTP_SEG_FRAMES: decoded frames, for inputs whose keyframes are too far
 *    apart to cut at (the dispatcher decodes those itself).
 *
 * A vtp_result carries the encoded packets of one segment, in decode order,
 * with the encoder's parameters, so the joiner can check that all segments
 * of one output agree.
 *
 * A segment of an adaptive-bitrate ladder has several outputs: its opts is
 * the first rendition's and `more` holds the others', each with the scale
 * of its size at the end of its vf. The worker decodes the segment once
 * and gives every decoded frame to each rendition's filters and encoder;
 * the result carries the first rendition as usual and the others in its
 * own `more`, in the same order.
 *
 * Frames are counted end to end, so that a finished job cannot hide a lost
 * frame: the dispatcher says how many frames a segment must give from
 * count_start on (frames_expected, from the packets it sends), the worker
 * says how many it decoded there (frames_counted) and how many it handed to
 * the encoder (frames), and the dispatcher checks both counts and that the
 * encoded frames' times lie in the range and strictly rise
 * (vtp_accounting.h).
 */
#ifndef VTP_SEGMENT_H
#define VTP_SEGMENT_H

#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

#include "vtp_options.h"

#define VTP_PTS_MIN INT64_MIN   /* open start: the first segment */
#define VTP_PTS_MAX INT64_MAX   /* open end: the last segment */

enum vtp_seg_kind { VTP_SEG_PACKETS = 1, VTP_SEG_FRAMES = 2 };

/* Segment flags. */
#define VTP_SEG_SKIP_ERRORS 1u  /* drop undecodable frames (--on-error skip)
                                   instead of failing the segment */
#define VTP_SEG_PASS1 2u        /* two-pass encoding: the first pass (the
                                   result carries the encoder's record) */
#define VTP_SEG_PASS2 4u        /* ... the second, from the first's record */
#define VTP_SEG_FLAGS 7u        /* all of them */

/* An encoder's first-pass record of one segment: its statistics file and
 * the file x264 and x265 write beside it (the macroblock tree, ".mbtree"
 * or ".cutree"). Either part may be empty. */
typedef struct vtp_passlog {
    uint8_t *log;               /* malloc'd */
    size_t log_len;
    uint8_t *tree;              /* malloc'd */
    size_t tree_len;
} vtp_passlog;

void vtp_passlog_clear(vtp_passlog *p);   /* frees both parts; NULL-safe */

/* A growable array of owned packets. */
typedef struct vtp_pktlist {
    AVPacket **v;
    int n, cap;
    int64_t bytes;      /* sum of packet sizes */
} vtp_pktlist;

/* Appends a new reference to pkt (the caller keeps its own). */
int vtp_pktlist_add(vtp_pktlist *l, const AVPacket *pkt);
/* Moves pkt's reference into the list (pkt is left blank). */
int vtp_pktlist_move(vtp_pktlist *l, AVPacket *pkt);
void vtp_pktlist_clear(vtp_pktlist *l);

/* A growable array of owned frames. */
typedef struct vtp_framelist {
    AVFrame **v;
    int n, cap;
    int64_t bytes;
} vtp_framelist;

int vtp_framelist_move(vtp_framelist *l, AVFrame *frame);
void vtp_framelist_clear(vtp_framelist *l);

typedef struct vtp_segment {
    uint64_t job_id;
    uint32_t index;             /* 0, 1, 2, ... in presentation order */
    int kind;                   /* enum vtp_seg_kind */
    int64_t cut_start;          /* first pts inside, or VTP_PTS_MIN */
    int64_t cut_end;            /* first pts after, or VTP_PTS_MAX */
    AVRational time_base;       /* of all timestamps here */
    AVRational frame_rate;      /* a hint for the encoder; 0/1 if unknown */
    int threads;                /* codec threads the worker may use */
    uint32_t flags;             /* VTP_SEG_* below */
    AVCodecParameters *par;     /* PACKETS: the decoder's; FRAMES: the frames' */
    vtp_enc_opts opts;
    vtp_pktlist pkts;           /* PACKETS */
    vtp_framelist frames;       /* FRAMES, as received; or to send (tests) */
    vtp_wbuf frame_wire;        /* FRAMES to send, already in wire form:
                                   the dispatcher keeps no decoded frame */
    uint32_t frame_count;       /* frames in frame_wire */
    int64_t count_start;        /* frames from this pts on are counted: cut_start,
                                   or in the first segment the first keyframe's
                                   pts (leading pictures before it may not
                                   decode, as in ffmpeg) */
    int64_t frames_expected;    /* frames in [count_start, cut_end); -1 unknown */
    vtp_passlog pass;           /* VTP_SEG_PASS2: the first pass's record */
    vtp_enc_opts *more;         /* a ladder's other renditions; owned */
    int nmore;
} vtp_segment;

#define VTP_MAX_OUTPUTS 16      /* renditions of one segment, the first included */

/* Gives s copies of the n options in more (a ladder's renditions after the
 * first). 0 or VTP_ERR_NOMEM (s then has none). */
int vtp_segment_set_more(vtp_segment *s, const vtp_enc_opts *more, int n);

int vtp_segment_init(vtp_segment *s);     /* 0 or VTP_ERR_NOMEM */
/* Appends a copy of frame to a FRAMES segment in wire form (the caller
 * keeps frame). 0 or VTP_ERR_NOMEM. */
int vtp_segment_add_frame(vtp_segment *s, const AVFrame *frame);
void vtp_segment_clear(vtp_segment *s);   /* frees everything; NULL-safe */

/* Sets count_start and frames_expected of a PACKETS segment from its
 * packets: those with a picture (data, not marked discard by an edit list,
 * for H.264 and HEVC a coded slice) and a pts in the range, from the first
 * keyframe on when first is set. frames_expected is -1 when a packet there has no
 * pts, or the first segment no keyframe. */
void vtp_segment_count_frames(vtp_segment *s, int first);

/* Whether a packet of a stream with these parameters gives a frame: it has
 * data, no edit list discards it, and for H.264 and HEVC it holds a coded
 * slice. */
int vtp_packet_has_picture(const AVCodecParameters *par, const AVPacket *pkt);

/* Whether decoding can start cleanly at a packet the container marks as a
 * keyframe: for H.264 only an IDR picture (files mark plain I-frames as
 * sync samples too, and pictures after one may still reference pictures
 * before it), for HEVC an IRAP picture; for other codecs the mark. */
int vtp_packet_clean_start(const AVCodecParameters *par, const AVPacket *pkt);

/* The SEI NAL unit in which x264 writes its version, when pkt (H.264) has
 * one: 1 with a copy in *nal (malloc'd, *len bytes), 0, or VTP_ERR_NOMEM.
 * FFmpeg's decoder reads the version to undo bugs of old x264 builds (4:4:4
 * with 8x8 transforms before core 151): a segment decoded from a later
 * keyframe than the first needs it too. */
int vtp_h264_encoder_sei(const AVCodecParameters *par, const AVPacket *pkt, uint8_t **nal,
                         size_t *len);

/* dst (blank) becomes src with the NAL unit nal put first, in the stream's
 * framing (length prefix or start code). 0 or VTP_ERR_NOMEM. */
int vtp_packet_with_nal(const AVCodecParameters *par, const AVPacket *src, const uint8_t *nal,
                        size_t len, AVPacket *dst);

/* One rendition's encoded stream, beyond a result's first. */
typedef struct vtp_result_stream {
    AVCodecParameters *par;     /* the encoder's output parameters; owned */
    AVRational time_base;       /* of the packets */
    vtp_pktlist pkts;           /* encoded, in decode order */
} vtp_result_stream;

typedef struct vtp_result {
    uint64_t job_id;
    uint32_t index;
    int status;                 /* 0 or a negative error code */
    char *error;                /* why, when status < 0; owned */
    AVCodecParameters *par;     /* the encoder's output parameters */
    AVRational time_base;       /* of the packets */
    vtp_pktlist pkts;           /* encoded, in decode order */
    int64_t frames;             /* frames handed to the encoder */
    int64_t frames_counted;     /* frames decoded in [count_start, cut_end) */
    int64_t skipped;            /* undecodable frames dropped (--on-error skip) */
    double cpu_seconds;         /* the worker thread's CPU time on it */
    vtp_passlog pass;           /* VTP_SEG_PASS1: the encoder's record */
    vtp_result_stream *more;    /* the segment's other renditions, in its order */
    int nmore;
} vtp_result;

int vtp_result_init(vtp_result *r);
/* Gives r n blank further streams (replacing any). 0 or VTP_ERR_NOMEM. */
int vtp_result_set_more(vtp_result *r, int n);
void vtp_result_clear(vtp_result *r);

#endif
