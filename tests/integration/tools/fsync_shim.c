/* fsync_shim.c -- LD_PRELOAD library for the durability tests.
 *
 * Logs every fsync() (with the path of its file descriptor) and rename() to
 * the file $VTP_SHIM_LOG, and makes fsync() fail with EIO on any path that
 * contains $VTP_SHIM_FAIL (when set). Built by the test case that uses it:
 *   cc -shared -fPIC -o fsync_shim.so fsync_shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void note(const char *what, const char *a, const char *b)
{
    const char *log = getenv("VTP_SHIM_LOG");
    FILE *f = log ? fopen(log, "a") : NULL;
    if (f) {
        fprintf(f, "%s %s%s%s\n", what, a, b ? " " : "", b ? b : "");
        fclose(f);
    }
}

int fsync(int fd)
{
    static int (*real)(int);
    char link[64], path[PATH_MAX];
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    path[n > 0 ? n : 0] = 0;
    note("fsync", path, NULL);
    const char *bad = getenv("VTP_SHIM_FAIL");
    if (bad && *bad && strstr(path, bad)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}

int rename(const char *from, const char *to)
{
    static int (*real)(const char *, const char *);
    if (!real)
        real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    note("rename", from, to);
    return real(from, to);
}
