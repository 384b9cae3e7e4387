/* spill.c -- a job's stored results (see vtp_spill.h). */
#include "vtp_spill.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "vtp_error.h"
#include "vtp_fileio.h"
#include "vtp_proto.h"

#define SUFFIX ".vtpr"

void vtp_spill_path(const char *dir, uint32_t index, char *buf, size_t size)
{
    snprintf(buf, size, "%s/seg-%08u" SUFFIX, dir, index);
}

int vtp_spill_store(const char *dir, const vtp_result *res, char *why, size_t ws)
{
    char path[4200];
    vtp_wbuf b;
    size_t len;

    vtp_spill_path(dir, res->index, path, sizeof(path));
    vtp_wbuf_init(&b);
    vtp_proto_write_result(&b, res);
    if (b.failed) {
        vtp_wbuf_free(&b);
        snprintf(why, ws, "out of memory");
        return VTP_ERR_NOMEM;
    }
    size_t cap = b.cap;
    uint8_t *data = vtp_wbuf_release(&b, &len);
    int ret = vtp_file_write(path, data, len, 0644, 1);
    vtp_wbuf_recycle(data, cap);
    if (ret < 0) {
        snprintf(why, ws, "storing segment %u in '%s': %s", res->index, path, av_err2str(ret));
        return ret == AVERROR(ENOSPC) ? ret : VTP_ERR_OUTPUT;
    }
    return 0;
}

int vtp_spill_exists(const char *dir, uint32_t index)
{
    char path[4200];
    uint8_t head[VTP_PROTO_HEADER_SIZE];
    int type;
    vtp_spill_path(dir, index, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, head, sizeof(head));
    close(fd);
    /* A result stored by another version of the protocol (before an
     * upgrade) cannot be read back: its segment is encoded again. */
    return n == (ssize_t)sizeof(head) && vtp_proto_type(head, sizeof(head), &type) == 0 &&
           type == VTP_MSG_RESULT;
}

int vtp_spill_load(const char *dir, uint32_t index, vtp_result **out, char *why, size_t ws)
{
    char path[4200];
    uint8_t *data = NULL;
    size_t size = 0;

    vtp_spill_path(dir, index, path, sizeof(path));
    int ret = vtp_file_read(path, SIZE_MAX, &data, &size);
    if (ret < 0 || !size) {
        snprintf(why, ws, "reading stored segment '%s': %s", path,
                 ret < 0 ? av_err2str(ret) : "empty");
        return ret == AVERROR(ENOMEM) ? VTP_ERR_NOMEM : VTP_ERR_OUTPUT;
    }
    vtp_result *res = malloc(sizeof(*res));
    if (!res || vtp_result_init(res) < 0) {
        free(res);
        free(data);
        snprintf(why, ws, "out of memory");
        return VTP_ERR_NOMEM;
    }
    ret = vtp_proto_read_result(data, size, res);
    free(data);
    if (ret < 0 || res->index != index) {
        vtp_result_clear(res);
        free(res);
        snprintf(why, ws, "stored segment '%s' is damaged", path);
        return VTP_ERR_OUTPUT;
    }
    *out = res;
    return 0;
}

void vtp_spill_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char path[4400];
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        const char *s = strstr(e->d_name, SUFFIX);
        /* seg-NNNNNNNN.vtpr, and the .vtpr.tmp a crash left */
        if (strncmp(e->d_name, "seg-", 4) != 0 || !s ||
            (strcmp(s, SUFFIX) != 0 && strcmp(s, SUFFIX ".tmp") != 0) || n > 255)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}
