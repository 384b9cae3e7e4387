/* scene.c -- a cheap test for a scene change (see vtp_scene.h). */
#include "vtp_scene.h"

#include <math.h>
#include <string.h>

#include <libavutil/pixdesc.h>

#define STEP 4                              /* sample every STEP pixels and rows */
#define CUT_SCORE 10.0
#define CUT_RATIO 3.0

static int planar_luma(const AVPixFmtDescriptor *d)
{
    return d && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM |
                              AV_PIX_FMT_FLAG_HWACCEL)) &&
           (d->flags & AV_PIX_FMT_FLAG_PLANAR || d->nb_components == 1) &&
           d->comp[0].plane == 0 && d->comp[0].step <= 2;
}

double vtp_scene_score(vtp_scene *sc, const AVFrame *f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    if (!planar_luma(d) || f->width < VTP_SCENE_COLS || f->height < VTP_SCENE_ROWS) {
        sc->have = 0;
        return -1;
    }
    int depth = d->comp[0].depth, wide = depth > 8;
    double full = (double)((1 << depth) - 1);
    double cells[VTP_SCENE_COLS * VTP_SCENE_ROWS];
    for (int r = 0; r < VTP_SCENE_ROWS; r++) {
        int y0 = f->height * r / VTP_SCENE_ROWS, y1 = f->height * (r + 1) / VTP_SCENE_ROWS;
        for (int c = 0; c < VTP_SCENE_COLS; c++) {
            int x0 = f->width * c / VTP_SCENE_COLS, x1 = f->width * (c + 1) / VTP_SCENE_COLS;
            uint64_t sum = 0, n = 0;
            for (int y = y0; y < y1; y += STEP) {
                const uint8_t *row = f->data[0] + (ptrdiff_t)y * f->linesize[0];
                for (int x = x0; x < x1; x += STEP, n++)
                    sum += wide ? ((const uint16_t *)row)[x] : row[x];
            }
            cells[r * VTP_SCENE_COLS + c] = n ? (double)sum / (double)n / full : 0;
        }
    }
    double score = -1;
    if (sc->have) {
        double diff = 0;
        for (int i = 0; i < VTP_SCENE_COLS * VTP_SCENE_ROWS; i++)
            diff += fabs(cells[i] - sc->cells[i]);
        score = 100 * diff / (VTP_SCENE_COLS * VTP_SCENE_ROWS);
    }
    memcpy(sc->cells, cells, sizeof(cells));
    sc->have = 1;
    return score;
}

int vtp_scene_cut(vtp_scene *sc, const AVFrame *f)
{
    double before = sc->last;
    double score = vtp_scene_score(sc, f);
    sc->last = score;
    return score >= CUT_SCORE && score >= CUT_RATIO * (before > 0 ? before : 0);
}
