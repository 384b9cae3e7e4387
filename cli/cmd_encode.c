/* cmd_encode.c -- `vtpool encode`: the command line of vtp_encode_run(). */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "vtp_cli.h"
#include "vtp_error.h"
#include "vtp_log.h"


/* Written by the signal handler, which runs on whichever thread the
 * signal lands on, and read by the main loop: an atomic (lock-free, so
 * safe in a handler), not a volatile sig_atomic_t, which is safe only
 * within one thread. */
static atomic_int stop_signal;

static void on_signal(int sig)
{
    atomic_store(&stop_signal, sig);
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
    "  -b BITRATE             target bitrate, e.g. 4M (encoder option 'b'); each\n"
    "                         segment averages it, unless --pass 2\n"
    "  --pass 2               two passes (libx264, libx265): the first encodes every\n"
    "                         segment at one quality (--crf, or the encoder's\n"
    "                         default), the second gives each its share of -b by\n"
    "                         what it cost, as one two-pass encoder would\n"
    "  --preset NAME          encoder preset (encoder option 'preset')\n"
    "  -x KEY=VALUE           any encoder AVOption, e.g. -x x264-params=keyint=240\n"
    "  --vf FILTERGRAPH       libavfilter graph applied to every frame\n"
    "  --audio MODE           auto (default: copy where OUTPUT's container holds the\n"
    "                         codec, else its usual audio codec), copy (or refuse),\n"
    "                         none, or an audio encoder name\n"
    "  -j N                   worker threads (default: all online CPUs)\n"
    "  --segment SECONDS      a fixed segment length instead of the plan (default:\n"
    "                         planned from the duration and the workers, 2 to 120 s,\n"
    "                         whole keyframe intervals of x264/x265); the last\n"
    "                         stretch is cut finer so all workers finish together\n"
    "  --progress MODE        auto (bar on a terminal), bar, json, none\n"
    "  --on-error MODE        fail (default): damaged input is an error, nothing is\n"
    "                         written; skip: drop what cannot be decoded, with a count\n"
    "  -y                     overwrite OUTPUT if it exists\n"
    "\n"
    "An adaptive-bitrate ladder (HLS or DASH over CMAF): each segment is decoded once\n"
    "and encoded at every size; segments are the media segments, cut at the same\n"
    "times in every rendition.\n"
    "  -o DIR/master.m3u8     an HLS master playlist (DIR/manifest.mpd: a DASH MPD);\n"
    "                         each rendition goes to DIR/WxH/, the audio (AAC) to\n"
    "                         DIR/audio/; segments of 6 s unless --segment\n"
    "  --rendition WxH[,KEY=VALUE]...\n"
    "                         one rung, repeated for each: its size (-2 for one side\n"
    "                         keeps the aspect ratio) and its own encoder options\n"
    "                         over -c/--crf/--preset/-x, e.g. --rendition 1280x720,\n"
    "                         crf=23 --rendition 640x-2,b=800k,maxrate=900k\n"
    "  --live-playlist        HLS: EVENT playlists that grow as segments finish, so a\n"
    "                         player can start while the rest encodes\n"
    "  -v                     show warnings (-vv: details, -vvv: segments and libav's\n"
    "                         own messages)\n"
    "  -h, --help             this help\n";

int vtp_cmd_encode(int argc, char **argv)
{
    vtp_jobspec spec;
    vtp_cli_extra extra;
    int status = vtp_cli_parse_job(argc, argv, "encode", VTP_CLI_ENCODE, usage, &spec, &extra);
    if (status >= 0)
        goto end;

    vtp_encode_cfg cfg = {
        .input = spec.input,
        .output = spec.output,
        .opts = spec.opts,
        .audio = spec.audio,
        .jobs = extra.jobs,
        .segment_seconds = spec.segment_seconds,
        .overwrite = spec.overwrite,
        .skip_errors = spec.skip_errors,
        .passes = extra.passes,
        .renditions = spec.renditions,
        .nrenditions = spec.nrenditions,
        .live_playlist = spec.live_playlist,
    };
    int verbose = extra.verbose;
    vtp_log_init(verbose == 0 ? VTP_LOG_ERROR : verbose == 1 ? VTP_LOG_WARNING
                 : verbose == 2 ? VTP_LOG_INFO : VTP_LOG_DEBUG);
    vtp_progress_view view;
    vtp_progress_view_init(&view, extra.progress);
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
    vtp_encode_stats stats = {0};
    int ret = vtp_encode_run_stats(&cfg, &stats, why, sizeof(why));
    vtp_progress_view_end(&view);
    int sig = atomic_load(&stop_signal);
    if (ret == VTP_ERR_INTERRUPTED || sig) {
        vtp_log_line("interrupted; nothing was written to '%s'", cfg.output);
        status = 128 + (sig ? sig : SIGINT);
    } else if (ret < 0) {
        vtp_log_line("%s", why);
        status = vtp_exit_status(ret);
    } else {
        if (stats.skipped > 0)
            vtp_log_line("warning: %lld damaged frames or packets of the input were dropped "
                         "(--on-error skip)", (long long)stats.skipped);
        status = VTP_EXIT_OK;
    }
end:
    vtp_jobspec_clear(&spec);
    return status;
}
