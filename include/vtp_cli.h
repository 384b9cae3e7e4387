/* vtp_cli.h -- the subcommands of the vtpool executable.
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and
 * returns the process exit status (see README.md, "Exit codes").
 */
#ifndef VTP_CLI_H
#define VTP_CLI_H

#include "vtp_encode.h"
#include "vtp_jobspec.h"

int vtp_cmd_encode(int argc, char **argv);
int vtp_cmd_serve(int argc, char **argv);
int vtp_cmd_worker(int argc, char **argv);
int vtp_cmd_submit(int argc, char **argv);
int vtp_cmd_status(int argc, char **argv);
int vtp_cmd_list(int argc, char **argv);
int vtp_cmd_wait(int argc, char **argv);
int vtp_cmd_cancel(int argc, char **argv);
int vtp_cmd_bench(int argc, char **argv);
int vtp_cmd_keygen(int argc, char **argv);

enum vtp_cli_mode { VTP_CLI_ENCODE, VTP_CLI_SUBMIT, VTP_CLI_BENCH };

/* Words that only some commands take. */
typedef struct vtp_cli_extra {
    int jobs;                   /* encode: -j */
    int progress;               /* encode: --progress (enum vtp_progress_mode) */
    int passes;                 /* encode: --pass (0 when not given) */
    int verbose;                /* -v count */
    const char *server;         /* submit: --server */
    const char *file;           /* submit: --file JOBS.jsonl */
    const char *cores;          /* bench: --cores LIST */
    int baseline;               /* bench: --baseline */
    const char *json;           /* bench: --json FILE */
    const char *csv;            /* bench: --csv FILE */
    int repeat;                 /* bench: --repeat N */
    const char *quality;        /* bench: --quality LENGTHS */
    const char *simulate;       /* bench: --simulate CORES */
    const char *key;            /* submit: --key FILE */
    const char *server_key;     /* submit: --server-key FILE */
} vtp_cli_extra;

/* Parses the encode options of `vtpool encode`, `submit` or `bench` (mode,
 * enum vtp_cli_mode) into spec (initialised here; the caller clears it)
 * and extra. Returns -1 to go on, or the exit status to end with (0 after
 * --help, 2 after a usage error, which it printed). segment_seconds is 0
 * unless --segment was given. */
int vtp_cli_parse_job(int argc, char **argv, const char *cmd, int mode, const char *usage,
                      vtp_jobspec *spec, vtp_cli_extra *extra);

/* Parses a number in [lo, hi]; 0 or -1. */
int vtp_cli_number(const char *s, double lo, double hi, double *out);
/* Prints "CMD: message (see 'vtpool CMD --help')"; returns VTP_EXIT_USAGE. */
int vtp_cli_usage_error(const char *cmd, const char *fmt, const char *arg);

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
