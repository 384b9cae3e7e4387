/* progress.c -- the live progress line and JSON progress events.
 *
 * The bar is one line on stderr, redrawn in place about four times a
 * second: percent, frames, frames per second, speed relative to real time,
 * time left and how many workers are busy. JSON mode prints one object per
 * line on stdout, once a second and at the end, for scripts.
 */
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "vtp_cli.h"

#define VTP_BAR_INTERVAL_S 0.25
#define VTP_JSON_INTERVAL_S 1.0
#define VTP_BAR_WIDTH 24            /* characters */

void vtp_progress_view_init(vtp_progress_view *v, int mode)
{
    v->mode = mode;
    if (mode == VTP_PROGRESS_AUTO)
        v->mode = isatty(STDERR_FILENO) ? VTP_PROGRESS_BAR : VTP_PROGRESS_NONE;
    v->last_print = -1e9;
    v->printed = 0;
}

static void format_eta(char *buf, size_t size, double seconds)
{
    if (seconds < 0 || seconds > 360000) {
        snprintf(buf, size, "--:--");
        return;
    }
    int s = (int)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, size, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%02d:%02d", s / 60, s % 60);
}

static void draw_bar(vtp_progress_view *v, const vtp_progress *p, double frac, double fps,
                     double speed, double eta)
{
    char bar[VTP_BAR_WIDTH + 1], left[32];
    int filled = frac >= 0 ? (int)(frac * VTP_BAR_WIDTH + 0.5) : 0;
    for (int i = 0; i < VTP_BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[VTP_BAR_WIDTH] = 0;
    format_eta(left, sizeof(left), p->done ? 0 : eta);
    char pass[32] = "";
    if (p->passes > 1)
        snprintf(pass, sizeof(pass), "pass %d/%d  ", p->pass, p->passes);
    fprintf(stderr, "\r[%s] %3.0f%%  %s%lld frames  %.1f fps  %.2fx  ETA %s  workers %d/%d \033[K",
            bar, frac >= 0 ? frac * 100 : 0.0, pass, (long long)p->frames, fps, speed, left,
            p->busy, p->workers);
    if (p->done)
        fputc('\n', stderr);
    fflush(stderr);
    v->printed = !p->done;
}

void vtp_progress_view_update(void *opaque, const vtp_progress *p)
{
    vtp_progress_view *v = opaque;
    double interval = v->mode == VTP_PROGRESS_JSON ? VTP_JSON_INTERVAL_S : VTP_BAR_INTERVAL_S;

    if (v->mode == VTP_PROGRESS_NONE || (!p->done && p->elapsed - v->last_print < interval))
        return;
    v->last_print = p->elapsed;

    /* Two passes: the earlier ones count as done, the bar spans them all. */
    int passes = p->passes > 1 ? p->passes : 1, before = p->pass > 1 ? p->pass - 1 : 0;
    double media = fmin(p->media_seconds, p->total_seconds > 0 ? p->total_seconds : INFINITY);
    double done = before * p->total_seconds + media, total = passes * p->total_seconds;
    double frac = total > 0 ? done / total : -1;
    if (frac > 1)
        frac = 1;
    if (p->done)
        frac = 1;
    double fps = p->elapsed > 0 ? (double)p->frames / p->elapsed : 0;
    double speed = p->elapsed > 0 ? done / p->elapsed : 0;
    double eta = frac > 0 && speed > 0 ? (total - done) / speed : -1;

    if (v->mode == VTP_PROGRESS_BAR) {
        draw_bar(v, p, frac, fps, speed, eta);
        return;
    }
    printf("{\"frames\":%lld,\"seconds\":%.3f,\"total_seconds\":%.3f,\"percent\":%.1f,"
           "\"fps\":%.2f,\"speed\":%.3f,\"eta\":%.1f,\"elapsed\":%.3f,\"workers\":%d,"
           "\"busy\":%d,\"segments\":%d,\"pass\":%d,\"passes\":%d,\"done\":%s}\n",
           (long long)p->frames, p->media_seconds, p->total_seconds, frac >= 0 ? frac * 100 : -1.0,
           fps, speed, eta, p->elapsed, p->workers, p->busy, p->segments_done,
           p->pass > 0 ? p->pass : 1, p->passes > 0 ? p->passes : 1, p->done ? "true" : "false");
    fflush(stdout);
}

void vtp_progress_view_end(vtp_progress_view *v)
{
    if (v->mode == VTP_PROGRESS_BAR && v->printed) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        v->printed = 0;
    }
}
