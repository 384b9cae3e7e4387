/* package.c -- a ladder's tracks and playlists (see vtp_package.h).
 *
 * DESIGN
 * Times. Every track keeps the input's own timestamps, moved by one shift,
 * the same instant for all of them: enough that no decode time is
 * negative, neither the video's (an encoder with B-frames decodes its first
 * frame before showing it) nor the audio's (AAC priming may start before
 * 0). It is fixed when the first segment comes, from its decode times and
 * the audio read by then (what comes later is later). A track's time base
 * must be 1/N for the MPD's timescale: one of NUM/DEN becomes 1/DEN, its
 * times multiplied by NUM, which is exact.
 *
 * Audio is cut where the video is: audio segment k holds the packets
 * before video segment k's end. It is written once a packet at or after
 * that end has been read (or the input has ended), so that a file whose
 * audio lags its video a little still gets whole segments. Audio segments
 * are numbered on their own, 0, 1, 2, ..., as DASH's $Number$ needs.
 */
#include "vtp_package.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/bsf.h>
#include <libavutil/avstring.h>
#include <libavutil/mathematics.h>

#include "vtp_audio.h"
#include "vtp_cmaf.h"
#include "vtp_codecstr.h"
#include "vtp_error.h"
#include "vtp_log.h"
#include "vtp_playlist.h"

#define AUDIO_DIR "audio"

typedef struct track {
    char *name;                 /* directory, relative to the playlist */
    char *dir;                  /* ... as a path */
    int made_dir;               /* created here (removed on failure) */
    vtp_cmaf *cmaf;
    char codecs[VTP_CODECSTR_MAX];
    int width, height;
    AVRational src_tb;          /* of the packets given */
    AVRational tb;              /* written: 1/N */
    int64_t shift;              /* in tb */
    int64_t origin;             /* in tb */
    vtp_cmaf_info *segs;
    int nsegs, cap;
} track;

struct vtp_package {
    AVFormatContext *in;        /* not owned */
    int vidx, aidx;             /* input streams; aidx -1: no audio */
    char *output;               /* the master playlist or MPD */
    char *outdir;
    char **made;                /* directories above the tracks made here, deepest last */
    int nmade;
    int dash, live;
    int wrote_output;           /* the playlist at `output` exists (live) */
    int finished;
    track *video;
    int nvideo;
    track audio;
    int has_audio;
    vtp_audio *encoder;         /* NULL: the audio is copied */
    AVBSFContext *adts;         /* copied ADTS AAC (MPEG-TS): to MP4's framing */
    AVCodecParameters *apar;    /* the audio track's */
    vtp_pktlist aq;             /* audio read, not yet in a segment (src_tb) */
    int64_t *bounds;            /* video segment ends waiting for audio (audio src_tb) */
    int nbounds, capbounds;
    int started;                /* the shift is fixed */
    AVRational vtb;             /* the video results' */
    int64_t frames;
    int64_t video_end;          /* vtb, or AV_NOPTS_VALUE */
};

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && av_strcasecmp(s + n - m, suffix) == 0;
}

int vtp_package_is_ladder(const char *output)
{
    return output && (has_suffix(output, ".m3u8") || has_suffix(output, ".mpd"));
}

/* The audio stream a ladder carries: the input's default, else its first. */
static int audio_stream(const AVFormatContext *in, const char *audio)
{
    if (!strcmp(audio, "none"))
        return -1;
    int first = -1;
    for (unsigned i = 0; i < in->nb_streams; i++) {
        const AVCodecParameters *par = in->streams[i]->codecpar;
        if (par->codec_type != AVMEDIA_TYPE_AUDIO || par->sample_rate <= 0 ||
            par->ch_layout.nb_channels <= 0)
            continue;
        if (in->streams[i]->disposition & AV_DISPOSITION_DEFAULT)
            return (int)i;
        if (first < 0)
            first = (int)i;
    }
    return first;
}

int vtp_package_check(const vtp_package_cfg *cfg, const AVFormatContext *in, char *why,
                      size_t ws)
{
    if (!vtp_package_is_ladder(cfg->output))
        return vtp_why(why, ws, VTP_ERR_USAGE,
                       "'%s': a ladder is written as an HLS master playlist (.m3u8) or a DASH "
                       "MPD (.mpd)", cfg->output);
    if (cfg->live && has_suffix(cfg->output, ".mpd"))
        return vtp_why(why, ws, VTP_ERR_USAGE, "--live-playlist is for HLS (.m3u8)");
    if (cfg->nvideo < 1 || cfg->nvideo > VTP_MAX_OUTPUTS)
        return vtp_why(why, ws, VTP_ERR_USAGE, "a ladder has 1 to %d renditions",
                       VTP_MAX_OUTPUTS);
    const char *a = cfg->audio;
    if (strcmp(a, "auto") && strcmp(a, "copy") && strcmp(a, "none")) {
        const AVCodec *c = avcodec_find_encoder_by_name(a);
        if (!c || c->id != AV_CODEC_ID_AAC)
            return vtp_why(why, ws, VTP_ERR_USAGE,
                           "--audio %s: a ladder's audio is AAC (--audio aac, copy, auto or "
                           "none)", a);
    }
    int ai = audio_stream(in, a);
    if (ai >= 0 && !strcmp(a, "copy") && in->streams[ai]->codecpar->codec_id != AV_CODEC_ID_AAC)
        return vtp_why(why, ws, VTP_ERR_USAGE,
                       "--audio copy: a ladder's audio is AAC, the input's is %s (use --audio "
                       "auto to encode it)", avcodec_get_name(in->streams[ai]->codecpar->codec_id));
    return 0;
}

/* The time base written for src: 1/N. */
static AVRational unit_tb(AVRational src)
{
    return (AVRational){1, src.den};
}

/* Removes what this module writes in a track directory: its playlist, its
 * init segment and every media segment (a former ladder's, with -y). */
static void clean_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (!strcmp(n, VTP_CMAF_INIT) || !strcmp(n, VTP_HLS_MEDIA) ||
            (!strncmp(n, "seg-", 4) && has_suffix(n, ".m4s"))) {
            char *path = av_asprintf("%s/%s", dir, n);
            if (path)
                unlink(path);
            av_free(path);
        }
    }
    closedir(d);
}

static int open_track(vtp_package *p, track *t, const char *name, int overwrite, char *why,
                      size_t ws)
{
    if (!(t->name = av_strdup(name)) || !(t->dir = av_asprintf("%s/%s", p->outdir, name)))
        return VTP_ERR_NOMEM;
    if (mkdir(t->dir, 0755) == 0) {
        t->made_dir = 1;
        return 0;
    }
    if (errno != EEXIST)
        return vtp_why(why, ws, VTP_ERR_OUTPUT, "cannot create '%s': %s", t->dir,
                       strerror(errno));
    char *init = av_asprintf("%s/%s", t->dir, VTP_CMAF_INIT);
    int taken = init && access(init, F_OK) == 0;
    av_free(init);
    if (taken && !overwrite)
        return vtp_why(why, ws, VTP_ERR_EXISTS, "'%s' holds a track (use -y to overwrite)",
                       t->dir);
    clean_dir(t->dir);
    return 0;
}

static void remove_track(track *t)
{
    if (!t->dir)
        return;
    clean_dir(t->dir);
    if (t->made_dir)
        rmdir(t->dir);
}

static void free_track(track *t)
{
    vtp_cmaf_destroy(&t->cmaf);
    av_free(t->name);
    av_free(t->dir);
    free(t->segs);
    memset(t, 0, sizeof(*t));
}

void vtp_package_destroy(vtp_package **pp)
{
    vtp_package *p = *pp;
    if (!p)
        return;
    if (!p->finished) {
        for (int i = 0; i < p->nvideo; i++)
            remove_track(&p->video[i]);
        if (p->has_audio)
            remove_track(&p->audio);
        if (p->wrote_output)
            unlink(p->output);
        for (int i = p->nmade - 1; i >= 0; i--)
            rmdir(p->made[i]);
    }
    for (int i = 0; i < p->nmade; i++)
        free(p->made[i]);
    free(p->made);
    for (int i = 0; i < p->nvideo; i++)
        free_track(&p->video[i]);
    free(p->video);
    free_track(&p->audio);
    vtp_audio_destroy(&p->encoder);
    av_bsf_free(&p->adts);
    avcodec_parameters_free(&p->apar);
    vtp_pktlist_clear(&p->aq);
    free(p->bounds);
    free(p->output);
    free(p->outdir);
    free(p);
    *pp = NULL;
}

static int open_audio(vtp_package *p, const vtp_package_cfg *cfg, char *why, size_t ws)
{
    const AVStream *ist = p->in->streams[p->aidx];
    const char *enc = NULL;
    if (strcmp(cfg->audio, "auto") && strcmp(cfg->audio, "copy"))
        enc = cfg->audio;
    else if (ist->codecpar->codec_id != AV_CODEC_ID_AAC)
        enc = "aac";
    if (!(p->apar = avcodec_parameters_alloc()))
        return VTP_ERR_NOMEM;
    if (enc) {
        p->encoder = vtp_audio_new(ist->codecpar, ist->time_base, enc, 1, p->apar,
                                   &p->audio.src_tb, why, ws);
        if (!p->encoder)
            return VTP_ERR_USAGE;
        vtp_audio_set_skip(p->encoder, cfg->skip_errors);
        vtp_log(VTP_LOG_INFO, "audio stream #%d encoded with %s", p->aidx, enc);
    } else {
        if (avcodec_parameters_copy(p->apar, ist->codecpar) < 0)
            return VTP_ERR_NOMEM;
        p->apar->codec_tag = 0;
        p->audio.src_tb = ist->time_base;
        /* AAC without an AudioSpecificConfig is in ADTS frames: MP4 holds
         * it without their headers, the config in the sample entry, which
         * the first packet gives (AV_PKT_DATA_NEW_EXTRADATA). */
        if (!p->apar->extradata_size) {
            const AVBitStreamFilter *f = av_bsf_get_by_name("aac_adtstoasc");
            int ret = f ? av_bsf_alloc(f, &p->adts) : AVERROR_BSF_NOT_FOUND;
            if (ret == 0 && (ret = avcodec_parameters_copy(p->adts->par_in, ist->codecpar)) >= 0) {
                p->adts->time_base_in = ist->time_base;
                ret = av_bsf_init(p->adts);
            }
            if (ret < 0)
                return vtp_why(why, ws, VTP_ERR_USAGE, "cannot unpack the input's ADTS audio: %s",
                               av_err2str(ret));
        }
    }
    p->audio.tb = unit_tb(p->audio.src_tb);
    int ret = vtp_codec_string(p->apar, p->audio.codecs, sizeof(p->audio.codecs));
    if (ret < 0)
        return vtp_why(why, ws, VTP_ERR_USAGE, "the ladder's audio has no codecs string: %s",
                       av_err2str(ret));
    return open_track(p, &p->audio, AUDIO_DIR, cfg->overwrite, why, ws);
}

/* Makes directory `path` unless it exists, remembering it (a failed ladder
 * removes it). */
static int make_dir(vtp_package *p, const char *path, char *why, size_t ws)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0
                                   : vtp_why(why, ws, VTP_ERR_OUTPUT, "'%s' is not a directory",
                                             path);
    char *copy = strdup(path);
    char **v = copy ? realloc(p->made, sizeof(*v) * (size_t)(p->nmade + 1)) : NULL;
    if (!v) {
        free(copy);
        return VTP_ERR_NOMEM;
    }
    p->made = v;
    if (mkdir(path, 0755) != 0) {
        free(copy);
        return vtp_why(why, ws, VTP_ERR_OUTPUT, "cannot create '%s': %s", path, strerror(errno));
    }
    v[p->nmade++] = copy;
    return 0;
}

/* Makes the playlist's directory and those above it that are missing, as
 * `mkdir -p` would. */
static int make_dirs(vtp_package *p, char *why, size_t ws)
{
    char *path = strdup(p->outdir);
    if (!path)
        return VTP_ERR_NOMEM;
    int ret = 0;
    size_t n = strlen(path);
    for (size_t i = 1; i <= n && ret == 0; i++) {
        if (path[i] != '/' && path[i] != 0)
            continue;
        char keep = path[i];
        path[i] = 0;
        ret = make_dir(p, path, why, ws);
        path[i] = keep;
    }
    free(path);
    return ret;
}

vtp_package *vtp_package_new(AVFormatContext *in, int vidx, const vtp_package_cfg *cfg,
                             int *err, char *why, size_t ws)
{
    vtp_package *p = calloc(1, sizeof(*p));
    int ret = VTP_ERR_NOMEM;
    char *copy = NULL;
    if (!p)
        goto fail;
    p->in = in;
    p->vidx = vidx;
    p->video_end = AV_NOPTS_VALUE;
    p->dash = has_suffix(cfg->output, ".mpd");
    p->live = cfg->live;
    if ((ret = vtp_package_check(cfg, in, why, ws)) < 0)
        goto fail;
    ret = VTP_ERR_NOMEM;
    if (!(p->output = strdup(cfg->output)) || !(copy = strdup(cfg->output)) ||
        !(p->outdir = strdup(dirname(copy))))
        goto fail;
    if (!cfg->overwrite && access(cfg->output, F_OK) == 0) {
        ret = vtp_why(why, ws, VTP_ERR_EXISTS, "'%s' exists (use -y to overwrite)",
                      cfg->output);
        goto fail;
    }
    if ((ret = make_dirs(p, why, ws)) < 0)
        goto fail;
    if (!(p->video = calloc((size_t)cfg->nvideo, sizeof(*p->video))))
        goto fail;
    for (int i = 0; i < cfg->nvideo; i++, p->nvideo++) {
        char name[64];
        snprintf(name, sizeof(name), "%dx%d", cfg->width[i], cfg->height[i]);
        for (int k = 0; k < i; k++)     /* two rungs of one size: WxH-2, ... */
            if (!strcmp(p->video[k].name, name))
                snprintf(name, sizeof(name), "%dx%d-%d", cfg->width[i], cfg->height[i], i + 1);
        p->video[i].width = cfg->width[i];
        p->video[i].height = cfg->height[i];
        if ((ret = open_track(p, &p->video[i], name, cfg->overwrite, why, ws)) < 0) {
            p->nvideo++;        /* what it made is removed */
            goto fail;
        }
    }
    p->aidx = audio_stream(in, cfg->audio);
    if (p->aidx >= 0) {
        p->has_audio = 1;
        if ((ret = open_audio(p, cfg, why, ws)) < 0)
            goto fail;
    }
    for (unsigned i = 0; i < in->nb_streams; i++)
        if ((int)i != vidx && (int)i != p->aidx &&
            !(in->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC))
            vtp_log(VTP_LOG_WARNING, "stream #%u (%s) left out: a ladder carries one video and "
                    "one audio", i, avcodec_get_name(in->streams[i]->codecpar->codec_id));
    free(copy);
    return p;
fail:
    if (!why[0])
        vtp_why(why, ws, ret, "preparing '%s': %s", cfg->output, vtp_strerror(ret));
    *err = ret;
    free(copy);
    vtp_package_destroy(&p);
    return NULL;
}

static int queue_audio(void *opaque, AVPacket *pkt)
{
    vtp_package *p = opaque;
    pkt->flags |= AV_PKT_FLAG_KEY;      /* every AAC frame starts decoding */
    if (pkt->dts == AV_NOPTS_VALUE)
        pkt->dts = pkt->pts;
    if (pkt->pts == AV_NOPTS_VALUE) {
        av_packet_unref(pkt);
        return 0;
    }
    return vtp_pktlist_move(&p->aq, pkt);
}

/* A copied packet in MP4's framing: its config, from the first, goes to
 * the track. */
static int unpack_adts(vtp_package *p, AVPacket *pkt)
{
    int ret = av_bsf_send_packet(p->adts, pkt);
    av_packet_unref(pkt);
    if (ret < 0)
        return ret == AVERROR_INVALIDDATA ? VTP_ERR_TRUNCATED : ret;
    while ((ret = av_bsf_receive_packet(p->adts, pkt)) == 0) {
        size_t size;
        const uint8_t *asc = av_packet_get_side_data(pkt, AV_PKT_DATA_NEW_EXTRADATA, &size);
        if (asc && size > 0 && size < 1024 && !p->apar->extradata_size) {
            if (!(p->apar->extradata = av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE)))
                return VTP_ERR_NOMEM;
            memcpy(p->apar->extradata, asc, size);
            p->apar->extradata_size = (int)size;
        }
        if ((ret = queue_audio(p, pkt)) < 0)
            return ret;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

int vtp_package_side_packet(vtp_package *p, AVPacket *pkt)
{
    if (!p->has_audio || pkt->stream_index != p->aidx) {
        av_packet_unref(pkt);
        return 0;
    }
    if (p->adts)
        return unpack_adts(p, pkt);
    if (!p->encoder)
        return queue_audio(p, pkt);
    int ret = vtp_audio_send(p->encoder, pkt, queue_audio, p);
    av_packet_unref(pkt);
    return ret;
}

/* Times of pkts from src_tb to the track's 1/N. */
static void to_track_tb(const track *t, AVPacket *const *pkts, int n)
{
    int64_t m = t->src_tb.num;
    if (m == 1)
        return;
    for (int i = 0; i < n; i++) {
        if (pkts[i]->pts != AV_NOPTS_VALUE)
            pkts[i]->pts *= m;
        if (pkts[i]->dts != AV_NOPTS_VALUE)
            pkts[i]->dts *= m;
        pkts[i]->duration *= m;
    }
}

/* Makes room for one more of n elements of size bytes in *v (capacity
 * *cap, doubled as needed). 0 or VTP_ERR_NOMEM. */
static int grow(void *v, int *cap, int n, size_t size)
{
    if (n < *cap)
        return 0;
    int more = *cap ? 2 * *cap : 64;
    void *p = realloc(*(void **)v, size * (size_t)more);
    if (!p)
        return VTP_ERR_NOMEM;
    *(void **)v = p;
    *cap = more;
    return 0;
}

static int add_info(track *t, const vtp_cmaf_info *info)
{
    if (grow(&t->segs, &t->cap, t->nsegs, sizeof(*t->segs)) < 0)
        return VTP_ERR_NOMEM;
    t->segs[t->nsegs++] = *info;
    return 0;
}

static vtp_track view(const track *t)
{
    return (vtp_track){.dir = t->name, .codecs = t->codecs, .width = t->width,
                       .height = t->height, .time_base = t->tb, .shift = t->shift,
                       .origin = t->origin, .segs = t->segs, .nsegs = t->nsegs};
}

/* Writes the playlists: each track's (HLS) and the master or MPD. */
static int write_playlists(vtp_package *p, int ended, char *why, size_t ws)
{
    vtp_track v[VTP_MAX_OUTPUTS], a;
    AVRational rate = p->in->streams[p->vidx]->avg_frame_rate;
    for (int i = 0; i < p->nvideo; i++) {
        v[i] = view(&p->video[i]);
        v[i].frame_rate = rate;
    }
    if (p->has_audio) {
        a = view(&p->audio);
        a.sample_rate = p->apar->sample_rate;
        a.channels = p->apar->ch_layout.nb_channels;
    }
    const vtp_track *ap = p->has_audio && p->audio.nsegs > 0 ? &a : NULL;
    char *text = NULL;
    int ret = 0;
    if (!p->dash) {
        for (int i = 0; i <= p->nvideo && ret == 0; i++) {
            const vtp_track *t = i < p->nvideo ? &v[i] : ap;
            const char *dir = i < p->nvideo ? p->video[i].dir : p->audio.dir;
            if (!t)
                continue;
            char *path = av_asprintf("%s/%s", dir, VTP_HLS_MEDIA);
            if (!path || (ret = vtp_hls_media(t, ended, &text)) < 0 ||
                (ret = vtp_playlist_write(path, text)) < 0)
                ret = ret < 0 ? ret : AVERROR(ENOMEM);
            if (ret < 0)
                vtp_why(why, ws, VTP_ERR_OUTPUT, "cannot write '%s': %s", path ? path : dir,
                        av_err2str(ret));
            av_free(path);
            av_freep(&text);
        }
        if (ret == 0)
            ret = vtp_hls_master(v, p->nvideo, ap, &text);
    } else {
        ret = vtp_dash_mpd(v, p->nvideo, ap, &text);
    }
    if (ret == 0 && (ret = vtp_playlist_write(p->output, text)) == 0)
        p->wrote_output = 1;
    av_free(text);
    if (ret < 0 && !why[0])
        vtp_why(why, ws, VTP_ERR_OUTPUT, "cannot write '%s': %s", p->output, av_err2str(ret));
    return ret < 0 ? VTP_ERR_OUTPUT : 0;
}

/* The first segment: the tracks' common shift and origin, and their init
 * segments. */
static int start(vtp_package *p, const vtp_result *res, char *why, size_t ws)
{
    p->vtb = res->time_base;
    int64_t origin = INT64_MAX, low = 0;
    for (int i = 0; i < res->pkts.n; i++)
        origin = FFMIN(origin, res->pkts.v[i]->pts);
    for (int k = 0; k <= res->nmore; k++) {
        const vtp_pktlist *l = k == 0 ? &res->pkts : &res->more[k - 1].pkts;
        if (l->n > 0 && l->v[0]->dts != AV_NOPTS_VALUE)
            low = FFMIN(low, l->v[0]->dts);
    }
    if (p->has_audio && p->aq.n > 0)
        low = FFMIN(low, av_rescale_q_rnd(p->aq.v[0]->dts, p->audio.src_tb, p->vtb,
                                          AV_ROUND_DOWN));
    int64_t shift = -low;      /* video time base */
    for (int k = 0; k < p->nvideo; k++) {
        track *t = &p->video[k];
        const AVCodecParameters *par = k == 0 ? res->par : res->more[k - 1].par;
        t->src_tb = p->vtb;
        t->tb = unit_tb(p->vtb);
        t->shift = shift * p->vtb.num;
        t->origin = origin * p->vtb.num;
        int ret = vtp_codec_string(par, t->codecs, sizeof(t->codecs));
        if (ret < 0)
            return vtp_why(why, ws, VTP_ERR_USAGE,
                           "rendition %s: no codecs string for %s video (a ladder is H.264, "
                           "HEVC or AV1): %s", t->name, avcodec_get_name(par->codec_id),
                           av_err2str(ret));
        if (!(t->cmaf = vtp_cmaf_new(t->dir, par, t->tb, t->shift, why, ws)))
            return VTP_ERR_OUTPUT;
    }
    if (p->has_audio) {
        track *t = &p->audio;
        t->shift = av_rescale_q_rnd(shift, p->vtb, t->src_tb, AV_ROUND_UP) * t->src_tb.num;
        t->origin = av_rescale_q(origin, p->vtb, t->src_tb) * t->src_tb.num;
        if (!(t->cmaf = vtp_cmaf_new(t->dir, p->apar, t->tb, t->shift, why, ws)))
            return VTP_ERR_OUTPUT;
    }
    p->started = 1;
    return 0;
}

/* Writes audio packets before `bound` (audio src_tb; VTP_PTS_MAX: all) as
 * the next audio segment; none: no segment. */
static int write_audio_segment(vtp_package *p, int64_t bound, char *why, size_t ws)
{
    int n = 0;
    while (n < p->aq.n && (bound == VTP_PTS_MAX || p->aq.v[n]->pts < bound))
        n++;
    if (n == 0)
        return 0;
    track *t = &p->audio;
    AVPacket **pk = p->aq.v;
    int64_t end;
    if (n < p->aq.n) {
        end = pk[n]->pts;
    } else {
        int64_t d = pk[n - 1]->duration;
        if (d <= 0)
            d = n > 1 ? pk[n - 1]->pts - pk[n - 2]->pts : 1;
        end = pk[n - 1]->pts + (d > 0 ? d : 1);
    }
    end *= t->src_tb.num;
    to_track_tb(t, pk, n);
    vtp_cmaf_info info;
    int ret = vtp_cmaf_write(t->cmaf, (uint32_t)t->nsegs, pk, n, end, &info, why, ws);
    for (int i = 0; i < n; i++)
        av_packet_free(&pk[i]);
    memmove(pk, pk + n, sizeof(*pk) * (size_t)(p->aq.n - n));
    p->aq.n -= n;
    if (ret < 0)
        return VTP_ERR_OUTPUT;
    return add_info(t, &info);
}

/* Audio segments whose end the audio read has passed. */
static int flush_audio(vtp_package *p, int at_end, char *why, size_t ws)
{
    int ret = 0, done = 0;
    while (done < p->nbounds && ret == 0) {
        int64_t b = p->bounds[done];
        int last = b == VTP_PTS_MAX;
        if (!at_end && (last || p->aq.n == 0 || p->aq.v[p->aq.n - 1]->pts < b))
            break;
        ret = write_audio_segment(p, b, why, ws);
        done++;
    }
    memmove(p->bounds, p->bounds + done, sizeof(*p->bounds) * (size_t)(p->nbounds - done));
    p->nbounds -= done;
    if (ret == 0 && at_end)
        ret = write_audio_segment(p, VTP_PTS_MAX, why, ws);
    return ret;
}

int vtp_package_write(vtp_package *p, vtp_result *res, int64_t end, char *why, size_t ws)
{
    int ret;
    if (res->nmore != p->nvideo - 1)
        return vtp_why(why, ws, VTP_ERR_MISMATCH, "segment %u has %d renditions, not %d",
                       res->index, res->nmore + 1, p->nvideo);
    if (res->pkts.n == 0)
        return 0;       /* a segment with no frame (all damaged and skipped) */
    if (!p->started && (ret = start(p, res, why, ws)) < 0)
        return ret;
    if (av_cmp_q(res->time_base, p->vtb) != 0)
        return vtp_why(why, ws, VTP_ERR_MISMATCH, "segment %u has another time base",
                       res->index);
    int64_t seg_end = end;
    if (end == VTP_PTS_MAX) {
        seg_end = INT64_MIN;
        for (int i = 0; i < res->pkts.n; i++)
            seg_end = FFMAX(seg_end, res->pkts.v[i]->pts + FFMAX(res->pkts.v[i]->duration, 1));
    }
    int64_t frames = res->pkts.n;
    for (int k = 0; k < p->nvideo; k++) {
        track *t = &p->video[k];
        vtp_pktlist *l = k == 0 ? &res->pkts : &res->more[k - 1].pkts;
        to_track_tb(t, l->v, l->n);
        vtp_cmaf_info info;
        if ((ret = vtp_cmaf_write(t->cmaf, res->index, l->v, l->n, seg_end * p->vtb.num, &info,
                                  why, ws)) < 0)
            return VTP_ERR_OUTPUT;
        /* The playlists count in the input's time: before the shift. */
        if ((ret = add_info(t, &info)) < 0)
            return ret;
    }
    p->frames += frames;
    p->video_end = seg_end;
    vtp_log(VTP_LOG_DEBUG, "ladder: segment %u written in %d renditions", res->index, p->nvideo);
    if (p->has_audio) {
        if (grow(&p->bounds, &p->capbounds, p->nbounds, sizeof(*p->bounds)) < 0)
            return VTP_ERR_NOMEM;
        p->bounds[p->nbounds++] = end == VTP_PTS_MAX
                                      ? VTP_PTS_MAX
                                      : av_rescale_q(end, p->vtb, p->audio.src_tb);
        if ((ret = flush_audio(p, 0, why, ws)) < 0)
            return ret;
    }
    if (p->live && (ret = write_playlists(p, 0, why, ws)) < 0)
        return ret;
    return 0;
}

int vtp_package_finish(vtp_package *p, char *why, size_t ws)
{
    int ret;
    if (!p->started)
        return VTP_ERR_TRUNCATED;       /* no frame */
    if (p->has_audio) {
        if (p->encoder && (ret = vtp_audio_send(p->encoder, NULL, queue_audio, p)) < 0)
            return vtp_why(why, ws, ret, "encoding the audio: %s", vtp_strerror(ret));
        if ((ret = flush_audio(p, 1, why, ws)) < 0)
            return ret;
    }
    if ((ret = write_playlists(p, 1, why, ws)) < 0)
        return ret;
    p->finished = 1;
    return 0;
}

int64_t vtp_package_frames(const vtp_package *p)
{
    return p->frames;
}

double vtp_package_video_seconds(const vtp_package *p)
{
    if (p->video_end == AV_NOPTS_VALUE)
        return 0;
    return (double)p->video_end * av_q2d(p->vtb);
}
