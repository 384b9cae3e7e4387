/* vtp_error.h -- one table of error codes for all of vtpool.
 *
 * Functions return 0 on success and a negative code on failure. Codes from
 * libav (AVERROR(...)) pass through unchanged; vtpool's own codes live in a
 * range libav does not use. vtp_strerror() prints both kinds.
 *
 * Every error also belongs to a class that decides the process exit status,
 * so that scripts can tell "your input is bad" from "the disk is full"
 * (see README.md, "Exit codes"). */
#ifndef VTP_ERROR_H
#define VTP_ERROR_H

#include <stddef.h>

enum {
    VTP_ERR_BASE = -0x5654500,   /* 'VTP' */
    VTP_ERR_USAGE,               /* bad command line, option or value */
    VTP_ERR_INPUT,               /* input missing, unreadable or not media */
    VTP_ERR_NO_VIDEO,            /* input has no video stream */
    VTP_ERR_TRUNCATED,           /* input ends early or is corrupt */
    VTP_ERR_OUTPUT,              /* output cannot be written */
    VTP_ERR_EXISTS,              /* output exists and -y was not given */
    VTP_ERR_ENCODER,             /* unknown encoder or encoder option */
    VTP_ERR_PROTO,               /* malformed or unexpected message */
    VTP_ERR_SEGMENT,             /* a worker failed to encode a segment */
    VTP_ERR_MISMATCH,            /* segments disagree (extradata, format) */
    VTP_ERR_NOMEM,               /* out of memory */
    VTP_ERR_ZMQ,                 /* ZeroMQ failure */
    VTP_ERR_INTERRUPTED,         /* stopped by a signal */
    VTP_ERR_END
};

/* Process exit statuses, one per error class. */
enum {
    VTP_EXIT_OK = 0,
    VTP_EXIT_INTERNAL = 1,
    VTP_EXIT_USAGE = 2,
    VTP_EXIT_INPUT = 3,
    VTP_EXIT_OUTPUT = 4,
    VTP_EXIT_ENCODE = 5,        /* also: `vtpool wait` on a failed job */
    VTP_EXIT_CANCELLED = 6,     /* `vtpool wait` on a cancelled job */
    VTP_EXIT_UNREACHABLE = 7,   /* no answer from the service */
};

/* A static, human-readable description of err (vtpool or libav code). */
const char *vtp_strerror(int err);

/* The exit status for err (0 for err >= 0). */
int vtp_exit_status(int err);

/* Writes a one-line reason into why (size bytes) and returns err: for
 * "return vtp_why(why, size, VTP_ERR_..., "...", ...);". */
int vtp_why(char *why, size_t size, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
