/* log.c -- vtpool's diagnostics and the libav log hook (see vtp_log.h). */
#include "vtp_log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>

static int log_level = VTP_LOG_ERROR;   /* written once, before threads start */
static int log_fd = STDERR_FILENO;      /* ... and this (vtp_log_init) */
static _Thread_local char last_av_error[512];

/* libav's own messages are codec detail (decoder concealment notes and the
 * like): shown only at vtpool's debug level. */
static int to_av_level(int level)
{
    return level >= VTP_LOG_DEBUG ? AV_LOG_WARNING : AV_LOG_QUIET;
}

/* Remembers the last error-level line of this thread, then prints the
 * message if the user asked for libav's own output. */
static void av_callback(void *avcl, int level, const char *fmt, va_list vl)
{
    if (level <= AV_LOG_ERROR) {
        va_list copy;
        va_copy(copy, vl);
        vsnprintf(last_av_error, sizeof(last_av_error), fmt, copy);
        va_end(copy);
        size_t n = strlen(last_av_error);
        while (n && (last_av_error[n - 1] == '\n' || last_av_error[n - 1] == ' '))
            last_av_error[--n] = 0;
    }
    if (level <= av_log_get_level())
        av_log_default_callback(avcl, level, fmt, vl);
}

/* SVT-AV1 logs by itself, not through libav, and prints its banner and
 * warnings for every encoder it opens: one set per segment. Its level
 * follows vtpool's (errors by default, warnings with -v, everything at
 * debug), unless the user set SVT_LOG. Set here, before any thread. */
static void follow_svt(int level)
{
    static int ours;
    if (getenv("SVT_LOG") && !ours)
        return;
    static const char *const svt[] = {"0", "1", "2", "3", "4"};
    setenv("SVT_LOG", svt[level < 0 ? 0 : level > VTP_LOG_DEBUG ? VTP_LOG_DEBUG : level], 1);
    ours = 1;
}

void vtp_log_init(int level)
{
    /* vtpool's lines go to a descriptor of their own for stderr's file:
     * while an encoder opens with fd 2 pointed at /dev/null (its own
     * chatter, vtp_pipeline_check), other threads' lines still get out. */
    if (log_fd == STDERR_FILENO) {
        int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        if (fd >= 0)
            log_fd = fd;
    }
    log_level = level;
    follow_svt(level);
    av_log_set_level(to_av_level(level));
    av_log_set_callback(av_callback);
}

int vtp_log_level(void)
{
    return log_level;
}

const char *vtp_log_last_av_error(void)
{
    return last_av_error;
}

void vtp_log_clear_av_error(void)
{
    last_av_error[0] = 0;
}

static void write_line(const char *fmt, va_list ap)
{
    char line[1024];
    int n = snprintf(line, sizeof(line), "vtpool: ");
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    size_t len = strlen(line);
    /* One line, whatever the message held. */
    for (size_t i = 0; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[len++] = '\n';
    ssize_t w = write(log_fd, line, len);
    (void)w;
}

void vtp_log(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    write_line(fmt, ap);
    va_end(ap);
}

void vtp_log_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    write_line(fmt, ap);
    va_end(ap);
}
