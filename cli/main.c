/* main.c -- the vtpool executable: one binary, one subcommand per use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <sqlite3.h>
#include <zmq.h>

#include "vtp_cli.h"
#include "vtp_error.h"
#include "vtp_log.h"

static const char usage[] =
    "usage: vtpool COMMAND [options]\n"
    "\n"
    "Parallel video transcoding on a pool of per-core workers.\n"
    "\n"
    "commands:\n"
    "  encode INPUT -o OUTPUT [options]   transcode one file on all cores\n"
    "  serve [options]                    run the job queue (workers and clients connect)\n"
    "  worker --connect ENDPOINT          encode for a service, on this or another machine\n"
    "  submit INPUT -o OUTPUT [options]   queue a job; prints its id\n"
    "  status [JOB] | list                show jobs\n"
    "  wait JOB                           wait for a job; 0 done, 5 failed, 6 cancelled\n"
    "  cancel JOB                         cancel a job\n"
    "  bench INPUT [--cores 1,2,...]      throughput per worker count, against one encoder\n"
    "  keygen NAME                        make a CURVE key pair for serve, worker and clients\n"
    "\n"
    "'vtpool COMMAND --help' describes each command.\n";

/* Every segment opens a fresh encoder and decoder, which allocate hundreds
 * of MB at 1080p and free them at its end. By default glibc hands blocks
 * that large straight back to the kernel, and the next segment's pages
 * fault in and are zeroed again: 3-5% of the CPU time of a 1080p x264
 * encode on 2 cores (BENCHMARKS.md). Keeping them in the heap for reuse
 * costs only the memory the workers already peaked at. */
static void keep_freed_memory(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  /* glibc's maximum */
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}


/* The version, and the libraries' versions this binary runs with: encoder
 * options differ between FFmpeg versions (README, "Supported platforms"). */
static void print_version(void)
{
    unsigned lavc = avcodec_version(), lavf = avformat_version(), lavu = avutil_version();
    int zmq_major, zmq_minor, zmq_patch;
    zmq_version(&zmq_major, &zmq_minor, &zmq_patch);
    printf("vtpool %s\n", VTP_VERSION);
    printf("FFmpeg %s: libavcodec %u.%u.%u, libavformat %u.%u.%u, libavutil %u.%u.%u\n",
           av_version_info(), AV_VERSION_MAJOR(lavc), AV_VERSION_MINOR(lavc),
           AV_VERSION_MICRO(lavc), AV_VERSION_MAJOR(lavf), AV_VERSION_MINOR(lavf),
           AV_VERSION_MICRO(lavf), AV_VERSION_MAJOR(lavu), AV_VERSION_MINOR(lavu),
           AV_VERSION_MICRO(lavu));
    printf("libzmq %d.%d.%d, SQLite %s\n", zmq_major, zmq_minor, zmq_patch, sqlite3_libversion());
}

int main(int argc, char **argv)
{
    keep_freed_memory();
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? VTP_EXIT_USAGE : VTP_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        print_version();
        return VTP_EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"encode", vtp_cmd_encode}, {"serve", vtp_cmd_serve},   {"worker", vtp_cmd_worker},
        {"submit", vtp_cmd_submit}, {"status", vtp_cmd_status}, {"list", vtp_cmd_list},
        {"wait", vtp_cmd_wait},     {"cancel", vtp_cmd_cancel}, {"bench", vtp_cmd_bench},
        {"keygen", vtp_cmd_keygen},
    };
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    vtp_log_line("unknown command '%s' (see 'vtpool --help')", argv[1]);
    return VTP_EXIT_USAGE;
}
