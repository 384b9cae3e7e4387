/* cmd_encode.c -- `vtpool encode`: the command line of vtp_encode_run(). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "vtp_cli.h"
#include "vtp_error.h"
#include "vtp_log.h"

#define VTP_DEFAULT_SEGMENT_S 10.0
#define VTP_MAX_JOBS 1024

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static const char usage[] =
    "usage: vtpool encode INPUT -o OUTPUT [options]\n"
    "\n"
    "Transcodes INPUT on all cores: the video is cut into segments at clean decoding\n"
    "points and each worker thread encodes one segment at a time; audio, subtitles,\n"
    "chapters and metadata are carried over. The container follows OUTPUT's extension.\n"
    "\n"
    "  -o OUTPUT              output file (.mkv .mp4 .mov .webm .ts ...)\n"
    "  -c ENCODER             libavcodec video encoder (libx264, libx265, libsvtav1,\n"
    "                         libaom-av1, libvpx-vp9, ffv1, ...); default: the\n"
    "                         container's usual one\n"
    "  --crf N                constant rate factor (encoder option 'crf')\n"
    "  -b BITRATE             target bitrate, e.g. 4M (encoder option 'b')\n"
    "  --preset NAME          encoder preset (encoder option 'preset')\n"
    "  -x KEY=VALUE           any encoder AVOption, e.g. -x x264-params=keyint=240\n"
    "  --vf FILTERGRAPH       libavfilter graph applied to every frame\n"
    "  --audio MODE           copy (default), none, or an audio encoder name\n"
    "  -j N                   worker threads (default: all online CPUs)\n"
    "  --segment SECONDS      target segment length (default 10)\n"
    "  --progress MODE        auto (bar on a terminal), bar, json, none\n"
    "  -y                     overwrite OUTPUT if it exists\n"
    "  -v                     show warnings (-vv: libav's messages, -vvv: segments)\n"
    "  -h, --help             this help\n";

enum { OPT_CRF = 256, OPT_PRESET, OPT_VF, OPT_AUDIO, OPT_SEGMENT, OPT_PROGRESS };

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
    {"overwrite", no_argument, NULL, 'y'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int usage_error(const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, arg);
    vtp_log_line("encode: %s (see 'vtpool encode --help')", msg);
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

/* The container's usual video encoder, for when -c is not given. */
static const char *default_encoder(const char *output)
{
    const AVOutputFormat *fmt = av_guess_format(NULL, output, NULL);
    const AVCodec *c = fmt ? avcodec_find_encoder(fmt->video_codec) : NULL;
    return c ? c->name : "libx264";
}

int vtp_cmd_encode(int argc, char **argv)
{
    vtp_encode_cfg cfg = {.audio = "copy", .segment_seconds = VTP_DEFAULT_SEGMENT_S};
    int progress_mode = VTP_PROGRESS_AUTO;
    int verbose = 0;
    int status = VTP_EXIT_USAGE;
    double v;
    int opt;

    vtp_enc_opts_init(&cfg.opts);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":o:c:b:x:j:yvh", long_options, NULL)) != -1) {
        switch (opt) {
        case 'o':
            cfg.output = optarg;
            break;
        case 'c':
            free(cfg.opts.encoder);
            cfg.opts.encoder = strdup(optarg);
            break;
        case OPT_CRF:
            if (parse_double(optarg, -1000, 1000, &v) < 0) {
                status = usage_error("--crf needs a number, not '%s'", optarg);
                goto end;
            }
            av_dict_set(&cfg.opts.codec_opts, "crf", optarg, 0);
            break;
        case 'b':
            av_dict_set(&cfg.opts.codec_opts, "b", optarg, 0);
            break;
        case OPT_PRESET:
            av_dict_set(&cfg.opts.codec_opts, "preset", optarg, 0);
            break;
        case 'x': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                status = usage_error("-x needs KEY=VALUE, not '%s'", optarg);
                goto end;
            }
            char key[256];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - optarg), optarg);
            av_dict_set(&cfg.opts.codec_opts, key, eq + 1, 0);
            break;
        }
        case OPT_VF:
            free(cfg.opts.vf);
            cfg.opts.vf = strdup(optarg);
            break;
        case OPT_AUDIO:
            cfg.audio = optarg;
            break;
        case 'j':
            if (parse_double(optarg, 1, VTP_MAX_JOBS, &v) < 0 || v != (int)v) {
                status = usage_error("-j needs a whole number of threads from 1 to 1024, not '%s'",
                                     optarg);
                goto end;
            }
            cfg.jobs = (int)v;
            break;
        case OPT_SEGMENT:
            if (parse_double(optarg, 0.04, 86400, &cfg.segment_seconds) < 0) {
                status = usage_error("--segment needs seconds between 0.04 and 86400, not '%s'",
                                     optarg);
                goto end;
            }
            break;
        case OPT_PROGRESS:
            if ((progress_mode = parse_progress(optarg)) < 0) {
                status = usage_error("--progress is auto, bar, json or none, not '%s'", optarg);
                goto end;
            }
            break;
        case 'y':
            cfg.overwrite = 1;
            break;
        case 'v':
            verbose++;
            break;
        case 'h':
            fputs(usage, stdout);
            status = VTP_EXIT_OK;
            goto end;
        case ':':
            status = usage_error("option '%s' needs a value", argv[optind - 1]);
            goto end;
        default:
            status = usage_error("unknown option '%s'", argv[optind - 1]);
            goto end;
        }
    }
    if (optind != argc - 1) {
        status = usage_error("%s", optind >= argc ? "no input file given"
                                                  : "exactly one input file is expected");
        goto end;
    }
    if (!cfg.output) {
        status = usage_error("%s", "no output file given (-o OUTPUT)");
        goto end;
    }
    cfg.input = argv[optind];
    if (!cfg.opts.encoder)
        cfg.opts.encoder = strdup(default_encoder(cfg.output));

    vtp_log_init(verbose == 0 ? VTP_LOG_ERROR : verbose == 1 ? VTP_LOG_WARNING
                 : verbose == 2 ? VTP_LOG_INFO : VTP_LOG_DEBUG);
    vtp_progress_view view;
    vtp_progress_view_init(&view, progress_mode);
    if (view.mode != VTP_PROGRESS_NONE) {
        cfg.progress = vtp_progress_view_update;
        cfg.progress_opaque = &view;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cfg.stop = &stop_signal;

    char why[1024];
    int ret = vtp_encode_run(&cfg, why, sizeof(why));
    vtp_progress_view_end(&view);
    if (ret == VTP_ERR_INTERRUPTED || stop_signal) {
        vtp_log_line("interrupted; nothing was written to '%s'", cfg.output);
        status = 128 + (stop_signal ? stop_signal : SIGINT);
    } else if (ret < 0) {
        vtp_log_line("%s", why);
        status = vtp_exit_status(ret);
    } else {
        status = VTP_EXIT_OK;
    }
end:
    vtp_enc_opts_clear(&cfg.opts);
    return status;
}
