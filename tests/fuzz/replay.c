/* replay.c -- runs a libFuzzer target on saved inputs, without libFuzzer.
 *
 *   vtpool-fuzz-replay-proto [-v] DIR_OR_FILE...
 *
 * Link it with one fuzz target (fuzz_proto.c or fuzz_jobspec.c) and any
 * compiler: every regular file given, or found in a directory given (and
 * its subdirectories, in name order; names starting with '.' are skipped),
 * is read into a buffer of its exact size and passed to
 * LLVMFuzzerTestOneInput(). A target reports a finding by crashing or
 * aborting; a sanitizer build reports bad reads and leaks. Prints
 * "N inputs replayed" and exits 0, or 1 when a path cannot be read or no
 * input was found at all (an empty corpus is a broken test).
 * -v names each input on stderr before it runs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* scandir, alphasort */
#endif

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int verbose;
static long replayed;
static const char *current;     /* the input being run, for the crash note */

static void on_crash(int sig)
{
    static const char head[] = "replay: crashed on input ";
    if (current) {
        ssize_t r = write(2, head, sizeof(head) - 1);
        r = write(2, current, strlen(current));
        r = write(2, "\n", 1);
        (void)r;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Reads path whole into a malloc'd buffer of exactly its size. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;

    if (!f)
        return -1;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *p = realloc(buf, cap);
            if (!p)
                goto fail;
            buf = p;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f))
        goto fail;
    fclose(f);
    /* Exact size, so that a read past the end is caught by a sanitizer. */
    *data = malloc(len ? len : 1);
    if (!*data) {
        free(buf);
        return -1;
    }
    if (len)
        memcpy(*data, buf, len);
    free(buf);
    *size = len;
    return 0;
fail:
    free(buf);
    fclose(f);
    return -1;
}

static int run_path(const char *path);

static int run_dir(const char *path)
{
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    int ret = 0;

    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (ret == 0 && names[i]->d_name[0] != '.') {
            size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
            char *child = malloc(len);
            if (!child) {
                fprintf(stderr, "replay: out of memory\n");
                ret = -1;
            } else {
                snprintf(child, len, "%s/%s", path, names[i]->d_name);
                ret = run_path(child);
                free(child);
            }
        }
        free(names[i]);
    }
    free(names);
    return ret;
}

static int run_path(const char *path)
{
    struct stat st;
    uint8_t *data;
    size_t size;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        return run_dir(path);
    if (!S_ISREG(st.st_mode))
        return 0;
    if (read_file(path, &data, &size) < 0) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (verbose)
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
    current = path;
    LLVMFuzzerTestOneInput(data, size);
    current = NULL;
    free(data);
    replayed++;
    return 0;
}

int main(int argc, char **argv)
{
    int first = 1;

    if (argc > 1 && !strcmp(argv[1], "-v")) {
        verbose = 1;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [-v] DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    signal(SIGABRT, on_crash);
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    signal(SIGILL, on_crash);
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = first; i < argc; i++)
        if (run_path(argv[i]) < 0)
            return 1;
    printf("%ld inputs replayed\n", replayed);
    if (replayed == 0) {
        fprintf(stderr, "replay: no input found\n");
        return 1;
    }
    return 0;
}
