/* main.c -- the vtpool executable: one binary, one subcommand per use. */
#include <stdio.h>
#include <string.h>

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
    "\n"
    "'vtpool COMMAND --help' describes each command.\n";

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? VTP_EXIT_USAGE : VTP_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("vtpool %s\n", VTP_VERSION);
        return VTP_EXIT_OK;
    }
    if (strcmp(argv[1], "encode") == 0)
        return vtp_cmd_encode(argc - 1, argv + 1);
    vtp_log_line("unknown command '%s' (see 'vtpool --help')", argv[1]);
    return VTP_EXIT_USAGE;
}
