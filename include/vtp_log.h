/* vtp_log.h -- diagnostics.
 *
 * vtpool prints one clear line per failure. libav's own messages are kept
 * quiet by default (they are often several lines of codec detail), but the
 * last error-level message of each thread is remembered so that the line
 * vtpool prints can carry its substance.
 */
#ifndef VTP_LOG_H
#define VTP_LOG_H

#include <stdarg.h>

enum { VTP_LOG_QUIET, VTP_LOG_ERROR, VTP_LOG_WARNING, VTP_LOG_INFO, VTP_LOG_DEBUG };

/* Installs the libav log callback; level is one of VTP_LOG_*. */
void vtp_log_init(int level);
int vtp_log_level(void);

void vtp_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The calling thread's last libav error message ("" if none) and a reset. */
const char *vtp_log_last_av_error(void);
void vtp_log_clear_av_error(void);

/* Writes "vtpool: " + message + "\n" to stderr as a single write, so lines
 * from several threads never interleave. */
void vtp_log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
