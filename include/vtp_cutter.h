/* vtp_cutter.h -- where to cut the video stream, decided packet by packet.
 *
 * The cutter sees the video packets in decode order, one at a time, and
 * says where each belongs. It holds no packets itself (the splitter does),
 * so it can be tested with nothing but numbers.
 *
 * Rules:
 *  - A new segment starts at a keyframe whose pts is at least `target`
 *    after the open segment's start; that pts is the cut.
 *  - After a cut, packets with pts before the cut (leading pictures of an
 *    open GOP, which reference both GOPs) still belong to the segment that
 *    ends at the cut: it stays open as the "closing" segment until the first
 *    packet at or after the cut arrives, and the new segment never sees them.
 *  - When `long_gop` passes without any keyframe (and the open segment is at
 *    least that long), the cutter says so once: keyframes are too rare to
 *    cut at, and the splitter switches to cutting decoded frames.
 */
#ifndef VTP_CUTTER_H
#define VTP_CUTTER_H

#include <stdint.h>

enum vtp_cut_place {
    VTP_CUT_OPEN = 1,       /* append to the open segment */
    VTP_CUT_CLOSING,        /* append to the closing segment (a leading picture) */
    VTP_CUT_NEW,            /* the open segment becomes the closing one (cut at
                               this packet's pts); this packet opens a new one */
};

/* Bits of vtp_cutter_feed()'s *events. */
enum {
    VTP_CUT_EV_CLOSED = 1,  /* before placing this packet: the closing segment is complete */
    VTP_CUT_EV_LONG_GOP = 2,/* the open segment is longer than long_gop without a keyframe */
};

typedef struct vtp_cutter {
    int64_t target;         /* segment length, in stream time base units; public */
    int64_t long_gop;       /* see above; public; <= 0 disables */
    int started;            /* private from here on */
    int64_t open_start;     /* pts of the open segment's first keyframe */
    int64_t last_key;       /* pts of the last keyframe seen */
    int closing;            /* a closing segment exists */
    int64_t closing_cut;    /* its end */
    int long_gop_told;
} vtp_cutter;

void vtp_cutter_init(vtp_cutter *c, int64_t target, int64_t long_gop);

/* Places one packet. ts is its pts (or dts when it has none; INT64_MIN when
 * it has neither), key whether it is a keyframe. Returns a vtp_cut_place and
 * sets *events. */
int vtp_cutter_feed(vtp_cutter *c, int64_t ts, int key, int *events);

/* The cut of the last VTP_CUT_NEW (the closing segment's end). */
int64_t vtp_cutter_last_cut(const vtp_cutter *c);

#endif
