/* spill.c -- a job's stored results (see vtp_spill.h). */
#include "vtp_spill.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "vtp_error.h"
#include "vtp_proto.h"

#define SUFFIX ".vtpr"

void vtp_spill_path(const char *dir, uint32_t index, char *buf, size_t size)
{
    snprintf(buf, size, "%s/seg-%08u" SUFFIX, dir, index);
}

/* Flushes the directory holding path, so that a rename in it lasts. */
static int sync_dir_of(const char *path)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = 0;
    else if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof(dir), ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return AVERROR(errno);
    int ret = fsync(fd) == 0 ? 0 : AVERROR(errno);
    close(fd);
    return ret;
}

/* path gets data whole or not at all: a temporary file, flushed, renamed,
 * and the directory flushed. */
static int write_durably(const char *path, const uint8_t *data, size_t len)
{
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return AVERROR(errno);
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            close(fd);
            unlink(tmp);
            return AVERROR(e);
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return AVERROR(e);
    }
    return sync_dir_of(path);
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
    int ret = write_durably(path, data, len);
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
    vtp_spill_path(dir, index, path, sizeof(path));
    return access(path, R_OK) == 0;
}

int vtp_spill_load(const char *dir, uint32_t index, vtp_result **out, char *why, size_t ws)
{
    char path[4200];
    struct stat st;
    uint8_t *data = NULL;
    size_t size = 0, got = 0;
    int ret = VTP_ERR_OUTPUT;

    vtp_spill_path(dir, index, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    errno = 0;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0 || (uint64_t)st.st_size > SIZE_MAX) {
        snprintf(why, ws, "reading stored segment '%s': %s", path,
                 errno ? strerror(errno) : "empty");
        goto end;
    }
    size = (size_t)st.st_size;
    if (!(data = malloc(size))) {
        snprintf(why, ws, "out of memory");
        ret = VTP_ERR_NOMEM;
        goto end;
    }
    while (got < size) {
        ssize_t r = read(fd, data + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(why, ws, "reading stored segment '%s': %s", path,
                     r < 0 ? strerror(errno) : "shorter than it was");
            goto end;
        }
        got += (size_t)r;
    }
    vtp_result *res = malloc(sizeof(*res));
    if (!res || vtp_result_init(res) < 0) {
        free(res);
        snprintf(why, ws, "out of memory");
        ret = VTP_ERR_NOMEM;
        goto end;
    }
    if (vtp_proto_read_result(data, size, res) < 0 || res->index != index) {
        vtp_result_clear(res);
        free(res);
        snprintf(why, ws, "stored segment '%s' is damaged", path);
        goto end;
    }
    *out = res;
    ret = 0;
end:
    if (fd >= 0)
        close(fd);
    free(data);
    return ret;
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
