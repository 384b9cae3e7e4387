/* jobargs.c -- the encode options, shared by `vtpool encode` and
 * `vtpool submit` so both take exactly the same words. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtp_cli.h"
#include "vtp_error.h"
#include "vtp_log.h"

#define VTP_MAX_JOBS 1024

enum {
    OPT_CRF = 256, OPT_PRESET, OPT_VF, OPT_AUDIO, OPT_SEGMENT, OPT_PROGRESS, OPT_SERVER,
    OPT_FILE, OPT_PRIORITY, OPT_CORES, OPT_BASELINE, OPT_JSON, OPT_CSV, OPT_REPEAT,
    OPT_QUALITY, OPT_KEY, OPT_SERVER_KEY, OPT_ON_ERROR, OPT_PASS, OPT_SIMULATE, OPT_RENDITION,
    OPT_LIVE,
};

static const struct option long_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"codec", required_argument, NULL, 'c'},
    {"crf", required_argument, NULL, OPT_CRF},
    {"bitrate", required_argument, NULL, 'b'},
    {"preset", required_argument, NULL, OPT_PRESET},
    {"option", required_argument, NULL, 'x'},
    {"vf", required_argument, NULL, OPT_VF},
    {"audio", required_argument, NULL, OPT_AUDIO},
    {"jobs", required_argument, NULL, 'j'},
    {"segment", required_argument, NULL, OPT_SEGMENT},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"server", required_argument, NULL, OPT_SERVER},
    {"file", required_argument, NULL, OPT_FILE},
    {"priority", required_argument, NULL, OPT_PRIORITY},
    {"cores", required_argument, NULL, OPT_CORES},
    {"baseline", no_argument, NULL, OPT_BASELINE},
    {"json", required_argument, NULL, OPT_JSON},
    {"csv", required_argument, NULL, OPT_CSV},
    {"repeat", required_argument, NULL, OPT_REPEAT},
    {"quality", required_argument, NULL, OPT_QUALITY},
    {"simulate", required_argument, NULL, OPT_SIMULATE},
    {"key", required_argument, NULL, OPT_KEY},
    {"on-error", required_argument, NULL, OPT_ON_ERROR},
    {"pass", required_argument, NULL, OPT_PASS},
    {"server-key", required_argument, NULL, OPT_SERVER_KEY},
    {"rendition", required_argument, NULL, OPT_RENDITION},
    {"live-playlist", no_argument, NULL, OPT_LIVE},
    {"overwrite", no_argument, NULL, 'y'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int vtp_cli_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

int vtp_cli_usage_error(const char *cmd, const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, arg);
    vtp_log_line("%s: %s (see 'vtpool %s --help')", cmd, msg, cmd);
    return VTP_EXIT_USAGE;
}

static int parse_progress(const char *s)
{
    static const char *const names[] = {"auto", "bar", "json", "none"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* Whether option opt belongs to this command. */
static int allowed(int opt, int mode)
{
    switch (opt) {
    case 'j':
    case OPT_PROGRESS:
        return mode == VTP_CLI_ENCODE;
    case OPT_PASS:
        return 1;
    case OPT_RENDITION:
    case OPT_LIVE:
        return mode != VTP_CLI_BENCH;
    case 'y':
        return mode != VTP_CLI_BENCH;
    case OPT_SERVER:
    case OPT_FILE:
    case OPT_PRIORITY:
    case OPT_KEY:
    case OPT_SERVER_KEY:
        return mode == VTP_CLI_SUBMIT;
    case OPT_CORES:
    case OPT_BASELINE:
    case OPT_JSON:
    case OPT_CSV:
    case OPT_REPEAT:
    case OPT_QUALITY:
    case OPT_SIMULATE:
        return mode == VTP_CLI_BENCH;
    default:
        return 1;
    }
}

int vtp_cli_parse_job(int argc, char **argv, const char *cmd, int mode, const char *usage,
                      vtp_jobspec *spec, vtp_cli_extra *extra)
{
    double v;
    int opt;
    char *audio = NULL;

    vtp_jobspec_init(spec);
    spec->segment_seconds = 0;  /* automatic unless given */
    memset(extra, 0, sizeof(*extra));
    extra->progress = VTP_PROGRESS_AUTO;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":o:c:b:x:j:yvh", long_options, NULL)) != -1) {
        if (opt != ':' && opt != '?' && !allowed(opt, mode))
            return vtp_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        switch (opt) {
        case 'o':
            free(spec->output);
            spec->output = strdup(optarg);
            break;
        case 'c':
            free(spec->opts.encoder);
            spec->opts.encoder = strdup(optarg);
            break;
        case OPT_CRF:
            if (vtp_cli_number(optarg, -1000, 1000, &v) < 0)
                return vtp_cli_usage_error(cmd, "--crf needs a number, not '%s'", optarg);
            av_dict_set(&spec->opts.codec_opts, "crf", optarg, 0);
            break;
        case 'b':
            av_dict_set(&spec->opts.codec_opts, "b", optarg, 0);
            break;
        case OPT_PRESET:
            av_dict_set(&spec->opts.codec_opts, "preset", optarg, 0);
            break;
        case 'x': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg)
                return vtp_cli_usage_error(cmd, "-x needs KEY=VALUE, not '%s'", optarg);
            char key[256];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - optarg), optarg);
            av_dict_set(&spec->opts.codec_opts, key, eq + 1, 0);
            break;
        }
        case OPT_VF:
            free(spec->opts.vf);
            spec->opts.vf = strdup(optarg);
            break;
        case OPT_AUDIO:
            audio = optarg;
            break;
        case 'j':
            if (vtp_cli_number(optarg, 1, VTP_MAX_JOBS, &v) < 0 || v != (int)v)
                return vtp_cli_usage_error(
                    cmd, "-j needs a whole number of threads from 1 to 1024, not '%s'", optarg);
            extra->jobs = (int)v;
            break;
        case OPT_SEGMENT:
            if (vtp_cli_number(optarg, 0.04, 86400, &spec->segment_seconds) < 0)
                return vtp_cli_usage_error(
                    cmd, "--segment needs seconds between 0.04 and 86400, not '%s'", optarg);
            break;
        case OPT_PROGRESS:
            if ((extra->progress = parse_progress(optarg)) < 0)
                return vtp_cli_usage_error(cmd, "--progress is auto, bar, json or none, not '%s'",
                                           optarg);
            break;
        case OPT_SERVER:
            extra->server = optarg;
            break;
        case OPT_FILE:
            extra->file = optarg;
            break;
        case OPT_PRIORITY:
            if (vtp_cli_number(optarg, -1000, 1000, &v) < 0 || v != (int)v)
                return vtp_cli_usage_error(cmd, "--priority needs a whole number from -1000 to "
                                                "1000, not '%s'", optarg);
            spec->priority = (int)v;
            break;
        case 'y':
            spec->overwrite = 1;
            break;
        case OPT_CORES:
            extra->cores = optarg;
            break;
        case OPT_BASELINE:
            extra->baseline = 1;
            break;
        case OPT_JSON:
            extra->json = optarg;
            break;
        case OPT_CSV:
            extra->csv = optarg;
            break;
        case OPT_QUALITY:
            extra->quality = optarg;
            break;
        case OPT_SIMULATE:
            extra->simulate = optarg;
            break;
        case OPT_KEY:
            extra->key = optarg;
            break;
        case OPT_ON_ERROR:
            if (strcmp(optarg, "fail") != 0 && strcmp(optarg, "skip") != 0)
                return vtp_cli_usage_error(cmd, "--on-error is fail or skip, not '%s'", optarg);
            spec->skip_errors = strcmp(optarg, "skip") == 0;
            break;
        case OPT_SERVER_KEY:
            extra->server_key = optarg;
            break;
        case OPT_RENDITION: {
            char why[512];
            int ret = vtp_jobspec_add_rendition(spec, optarg, why, sizeof(why));
            if (ret == VTP_ERR_NOMEM)
                return VTP_EXIT_INTERNAL;
            if (ret < 0)
                return vtp_cli_usage_error(cmd, "%s", why);
            break;
        }
        case OPT_LIVE:
            spec->live_playlist = 1;
            break;
        case OPT_PASS:
            if (strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0)
                return vtp_cli_usage_error(cmd, "--pass is 1 or 2, not '%s'", optarg);
            extra->passes = atoi(optarg);
            break;
        case OPT_REPEAT:
            if (vtp_cli_number(optarg, 1, 100, &v) < 0 || v != (int)v)
                return vtp_cli_usage_error(cmd, "--repeat needs a count from 1 to 100, not '%s'",
                                           optarg);
            extra->repeat = (int)v;
            break;
        case 'v':
            extra->verbose++;
            break;
        case 'h':
            fputs(usage, stdout);
            return VTP_EXIT_OK;
        case ':':
            return vtp_cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            return vtp_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!(spec->audio = strdup(audio ? audio : "auto")))
        return VTP_EXIT_INTERNAL;
    if (mode == VTP_CLI_SUBMIT && extra->file) {
        if (optind != argc || spec->output)
            return vtp_cli_usage_error(cmd, "%s", "--file takes the jobs from the file: no "
                                                  "INPUT or -o with it");
        return -1;
    }
    if (optind != argc - 1)
        return vtp_cli_usage_error(cmd, "%s", optind >= argc ? "no input file given"
                                                             : "exactly one input file is expected");
    if (!spec->output && mode != VTP_CLI_BENCH)
        return vtp_cli_usage_error(cmd, "%s", "no output file given (-o OUTPUT)");
    if (spec->live_playlist && !spec->nrenditions)
        return vtp_cli_usage_error(cmd, "%s", "--live-playlist is for a ladder: give its "
                                              "--rendition options");
    if (extra->passes == 2 && mode == VTP_CLI_SUBMIT)
        return vtp_cli_usage_error(cmd, "%s", "--pass 2 is for vtpool encode: the queue encodes "
                                              "in one pass");
    if (extra->passes == 2 && !av_dict_get(spec->opts.codec_opts, "b", NULL, 0))
        return vtp_cli_usage_error(cmd, "%s", "--pass 2 shares a bitrate: give it with -b");
    if (!(spec->input = strdup(argv[optind])))
        return VTP_EXIT_INTERNAL;
    return -1;
}
