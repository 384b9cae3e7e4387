/* fileio.c -- whole files in and out (see vtp_fileio.h). */
#include "vtp_fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

/* fsync(), or what a test put in its place (vtp_file_set_fsync). */
static int (*sync_fd)(int fd) = fsync;

void vtp_file_set_fsync(int (*fn)(int fd))
{
    sync_fd = fn ? fn : fsync;
}

/* fsync() of what path names, opened with extra flags. */
static int sync_path(const char *path, int flags)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
    int ret = fd < 0 ? AVERROR(errno) : sync_fd(fd) == 0 ? 0 : AVERROR(errno);
    if (fd >= 0)
        close(fd);
    return ret;
}

int vtp_file_sync(const char *path)
{
    return sync_path(path, 0);
}

int vtp_file_sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return AVERROR(ENOMEM);
    int ret = sync_path(dirname(copy), O_DIRECTORY);
    free(copy);
    return ret;
}

int vtp_file_write(const char *path, const uint8_t *data, size_t len, int mode, int durable)
{
    char *tmp = NULL;
    if (durable && (!(tmp = malloc(strlen(path) + 5)) || !strcpy(tmp, path) ||
                    !strcat(tmp, ".tmp"))) {
        free(tmp);
        return AVERROR(ENOMEM);
    }
    const char *target = durable ? tmp : path;
    int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int ret = fd < 0 ? AVERROR(errno) : 0;
    for (size_t off = 0; ret == 0 && off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            ret = AVERROR(w < 0 ? errno : EIO);
        else
            off += (size_t)w;
    }
    if (ret == 0 && durable && sync_fd(fd) != 0)
        ret = AVERROR(errno);
    if (fd >= 0 && close(fd) != 0 && ret == 0)
        ret = AVERROR(errno);
    if (ret == 0 && durable && rename(tmp, path) != 0)
        ret = AVERROR(errno);
    if (ret < 0 && fd >= 0)
        unlink(target);
    if (ret == 0 && durable)
        ret = vtp_file_sync_dir(path);
    free(tmp);
    return ret;
}

int vtp_file_read(const char *path, size_t max, uint8_t **data, size_t *len)
{
    struct stat st;
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return AVERROR(errno);
    if (fstat(fd, &st) != 0 || st.st_size < 0) {
        int e = errno ? errno : EIO;
        close(fd);
        return AVERROR(e);
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return AVERROR(EFBIG);
    }
    size_t n = (size_t)st.st_size, off = 0;
    uint8_t *buf = n ? malloc(n) : NULL;
    if (n && !buf) {
        close(fd);
        return AVERROR(ENOMEM);
    }
    while (off < n) {
        ssize_t r = read(fd, buf + off, n - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;    /* shorter than it said */
            free(buf);
            close(fd);
            return AVERROR(e);
        }
        off += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = n;
    return 0;
}
