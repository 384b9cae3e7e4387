/* vtp_cli.h -- the subcommands of the vtpool executable.
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and
 * returns the process exit status (see README.md, "Exit codes").
 */
#ifndef VTP_CLI_H
#define VTP_CLI_H

#include "vtp_encode.h"

int vtp_cmd_encode(int argc, char **argv);

/* Progress display: --progress auto|bar|json|none. */
enum vtp_progress_mode { VTP_PROGRESS_AUTO, VTP_PROGRESS_BAR, VTP_PROGRESS_JSON, VTP_PROGRESS_NONE };

typedef struct vtp_progress_view {
    int mode;                   /* resolved: BAR, JSON or NONE */
    double last_print;          /* elapsed seconds at the last line */
    int printed;                /* a bar is on screen */
} vtp_progress_view;

/* Resolves AUTO (a bar when stderr is a terminal, else nothing). */
void vtp_progress_view_init(vtp_progress_view *v, int mode);
/* A vtp_progress_fn: opaque is the view. */
void vtp_progress_view_update(void *opaque, const vtp_progress *p);
/* Clears the bar line (before an error message). */
void vtp_progress_view_end(vtp_progress_view *v);

#endif
