/* vtp_cutter.h -- where to cut the video stream, decided packet by packet.
 *
 * The cutter sees the video packets in decode order, one at a time, and
 * says where each belongs. It holds no packets itself (the splitter does),
 * so it can be tested with nothing but numbers.
 *
 * Rules:
 *  - A new segment starts at a keyframe whose pts is at least the segment's
 *    target after the open segment's start, or at the first keyframe once
 *    the open segment is `full` (of bytes); that pts is the cut.
 *  - After a cut, packets with pts before the cut (leading pictures of an
 *    open GOP, which reference both GOPs) still belong to the segment that
 *    ends at the cut: it stays open as the "closing" segment until the first
 *    packet at or after the cut arrives, and the new segment never sees them.
 *  - When `long_gop` passes without any keyframe (and the open segment is at
 *    least that long), the cutter says so once: keyframes are too rare to
 *    cut at, and the splitter switches to cutting decoded frames.
 *
 * The plan. With the stream's end and the number of workers known, each
 * segment takes 1/workers of what remains (guided self-scheduling; with
 * `spread` 2, as for a length the user chose, half that), between
 * `min_len` and `target`: as few cuts as keep every worker busy, long
 * segments first and shorter ones towards the end, so that the workers
 * finish together. Every cut costs a keyframe, except where the encoder
 * would put one anyway: with `grid` (the encoder's keyframe interval) set,
 * a segment at least that long is a whole number of intervals, so that
 * inside it the encoder's own keyframes fall where one encoder of the
 * whole input would put them; and once less than an interval for each
 * worker remains, the rest is one last round of `workers` equal segments.
 * Keyframes of the input rarely fall where the
 * plan's segments should end, so below `target` the cutter also cuts
 * between keyframes:
 *  - at a packet that is not a keyframe but shows after every packet before
 *    it (a P-frame, not a B-frame), with known pts and dts, at most
 *    `long_gop` after the last keyframe;
 *  - the new segment starts with the open segment's packets from its last
 *    keyframe on, for reference (the splitter copies them; the worker drops
 *    their frames, which lie before the cut);
 *  - the segment ending at the cut takes the packet at the cut and every
 *    later one whose dts is before the cut (any frame shown before the cut
 *    is decoded before it): those go to both segments.
 */
#ifndef VTP_CUTTER_H
#define VTP_CUTTER_H

#include <stdint.h>

#define VTP_CUT_NO_TS INT64_MIN

enum vtp_cut_place {
    VTP_CUT_OPEN = 1,       /* append to the open segment */
    VTP_CUT_CLOSING,        /* append to the closing segment (a leading picture) */
    VTP_CUT_NEW,            /* the open segment becomes the closing one (cut at
                               this keyframe's pts); this packet opens a new one */
    VTP_CUT_SPLIT,          /* the same between keyframes: the new segment starts
                               with the open one's packets from its last keyframe,
                               and this packet goes to both */
    VTP_CUT_BOTH,           /* append to the closing segment and the open one */
};

/* Bits of vtp_cutter_feed()'s *events. */
enum {
    VTP_CUT_EV_CLOSED = 1,  /* before placing this packet: the closing segment is complete */
    VTP_CUT_EV_LONG_GOP = 2,/* the open segment is longer than long_gop without a keyframe */
};

typedef struct vtp_cutter {
    /* Public: set by vtp_cutter_init(), then may be changed between packets. */
    int64_t target;         /* segment length, in stream time base units */
    int64_t long_gop;       /* see above; <= 0 disables */
    int64_t end;            /* where the stream ends, or VTP_CUT_NO_TS if unknown */
    int workers;            /* sharing the segments; <= 1: no plan, target only */
    int spread;             /* each segment takes 1/(workers x spread) of what
                               remains; 0 or 1: 1/workers */
    int64_t min_len;        /* the shortest planned segment */
    int64_t grid;           /* the encoder's keyframe interval; 0: unknown */
    int prefer_keys;        /* in the tail, take a keyframe of the input from
                               half the planned length on (not three
                               quarters) over a cut between keyframes, whose
                               segment decodes from the keyframe before it */
    int full;               /* the open segment holds all the bytes a segment
                               may (the splitter says): cut at the next
                               keyframe, whatever the length */
    /* Private. */
    int started;
    int64_t open_start;     /* pts of the open segment's start */
    int64_t open_target;    /* its length */
    int64_t max_ts;         /* the latest pts it has shown */
    int64_t last_key;       /* pts of the last keyframe seen */
    int closing;            /* a closing segment exists */
    int closing_split;      /* ... ended between keyframes */
    int64_t closing_cut;    /* its end */
    int long_gop_told;
    int64_t round_len;      /* the last round's segment length, once in it */
} vtp_cutter;

void vtp_cutter_init(vtp_cutter *c, int64_t target, int64_t long_gop);

/* Places one packet. ts is its pts (or dts when it has none; VTP_CUT_NO_TS
 * when it has neither), dts its dts (VTP_CUT_NO_TS if none), key whether it
 * is a keyframe. Returns a vtp_cut_place and sets *events. */
int vtp_cutter_feed(vtp_cutter *c, int64_t ts, int64_t dts, int key, int *events);

/* The cut of the last VTP_CUT_NEW or VTP_CUT_SPLIT (the closing segment's end). */
int64_t vtp_cutter_last_cut(const vtp_cutter *c);

/* The length of a segment starting at start: target, or less as planned.
 * Called once for each segment, in order (the last round is remembered). */
int64_t vtp_cutter_target_at(vtp_cutter *c, int64_t start);

#endif
