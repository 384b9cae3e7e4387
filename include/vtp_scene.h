/* vtp_scene.h -- a cheap test for a scene change between two frames.
 *
 * Where the dispatcher decodes (long-GOP input), it cuts at a scene change
 * when one comes near the planned end of a segment: the encoder would put a
 * keyframe there anyway, so the cut costs nothing. The test compares the
 * mean luma of a 16x9 grid of cells (every fourth pixel of every fourth
 * row) with the previous frame's: a sudden large change, not steady motion.
 */
#ifndef VTP_SCENE_H
#define VTP_SCENE_H

#include <libavutil/frame.h>

#define VTP_SCENE_COLS 16
#define VTP_SCENE_ROWS 9

typedef struct vtp_scene {
    int have;                               /* cells holds the last frame's */
    double cells[VTP_SCENE_COLS * VTP_SCENE_ROWS];
    double last;                            /* the last score */
} vtp_scene;

/* The change from the previous frame given, in percent of the luma range
 * (the mean over cells of the difference of their means); -1 for the first
 * frame or one that is not planar YUV or grey. */
double vtp_scene_score(vtp_scene *sc, const AVFrame *f);

/* Whether f starts a new scene: a score of at least 10%, and at least three
 * times the frame before's (so that steady fast motion does not count). */
int vtp_scene_cut(vtp_scene *sc, const AVFrame *f);

#endif
