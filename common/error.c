/* error.c -- vtpool's error table (see vtp_error.h). */
#include "vtp_error.h"

#include <stdarg.h>
#include <stdio.h>

#include <libavutil/error.h>

static const char *const messages[] = {
    [VTP_ERR_USAGE - VTP_ERR_BASE] = "invalid usage",
    [VTP_ERR_INPUT - VTP_ERR_BASE] = "cannot read input",
    [VTP_ERR_NO_VIDEO - VTP_ERR_BASE] = "input has no video stream",
    [VTP_ERR_TRUNCATED - VTP_ERR_BASE] = "input is truncated or corrupt",
    [VTP_ERR_OUTPUT - VTP_ERR_BASE] = "cannot write output",
    [VTP_ERR_EXISTS - VTP_ERR_BASE] = "output exists (use -y to overwrite)",
    [VTP_ERR_ENCODER - VTP_ERR_BASE] = "unknown encoder or encoder option",
    [VTP_ERR_PROTO - VTP_ERR_BASE] = "malformed message",
    [VTP_ERR_SEGMENT - VTP_ERR_BASE] = "segment failed to encode",
    [VTP_ERR_MISMATCH - VTP_ERR_BASE] = "segments disagree",
    [VTP_ERR_NOMEM - VTP_ERR_BASE] = "out of memory",
    [VTP_ERR_ZMQ - VTP_ERR_BASE] = "messaging failure",
    [VTP_ERR_INTERRUPTED - VTP_ERR_BASE] = "interrupted",
};

const char *vtp_strerror(int err)
{
    static _Thread_local char buf[AV_ERROR_MAX_STRING_SIZE];

    if (err >= 0)
        return "success";
    if (err > VTP_ERR_BASE && err < VTP_ERR_END)
        return messages[err - VTP_ERR_BASE];
    av_strerror(err, buf, sizeof(buf));
    return buf;
}

int vtp_exit_status(int err)
{
    switch (err) {
    case 0:
        return VTP_EXIT_OK;
    case VTP_ERR_USAGE:
    case VTP_ERR_ENCODER:
        return VTP_EXIT_USAGE;
    case VTP_ERR_INPUT:
    case VTP_ERR_NO_VIDEO:
    case VTP_ERR_TRUNCATED:
    case AVERROR_INVALIDDATA:
    case AVERROR(ENOENT):
        return VTP_EXIT_INPUT;
    case VTP_ERR_OUTPUT:
    case VTP_ERR_EXISTS:
    case AVERROR(ENOSPC):
        return VTP_EXIT_OUTPUT;
    case VTP_ERR_SEGMENT:
    case VTP_ERR_MISMATCH:
        return VTP_EXIT_ENCODE;
    case VTP_ERR_INTERRUPTED:
        return 130;
    default:
        return err > 0 ? VTP_EXIT_OK : VTP_EXIT_INTERNAL;
    }
}

int vtp_why(char *why, size_t size, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return err;
}
