/* twopass.c -- an encoder's two-pass files for one segment (see vtp_twopass.h). */
#include "vtp_twopass.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/avstring.h>

#include "vtp_error.h"
#include "vtp_fileio.h"
#include "vtp_proto.h"

int vtp_twopass_supported(const char *encoder)
{
    return encoder && (!strcmp(encoder, "libx264") || !strcmp(encoder, "libx265"));
}

static int fail(char *why, size_t size, int err, const char *what, const char *path)
{
    snprintf(why, size, "%s '%s': %s", what, path, strerror(errno ? errno : EIO));
    return err;
}

/* What tells the encoder of its pass and names the file: libx264's
 * "stats" and pass flag, or entries added to libx265's x265-params (with
 * its fast first pass, as x264's is by default). */
static int set_options(vtp_twopass *tp, const char *encoder, AVDictionary **opts)
{
    if (!strcmp(encoder, "libx264")) {
        if (av_dict_set(opts, "stats", tp->log, 0) < 0 ||
            av_dict_set(opts, "flags", tp->pass == 1 ? "+pass1" : "+pass2", AV_DICT_APPEND) < 0)
            return VTP_ERR_NOMEM;
        if (tp->pass == 1)
            return 0;
        /* A second pass would fit its picture parameters (the initial
         * quantizer) to its own share: every segment's must be the same. */
        const AVDictionaryEntry *e = av_dict_get(*opts, "x264-params", NULL, 0);
        char *val = av_asprintf("%s%sstitchable=1", e ? e->value : "", e && *e->value ? ":" : "");
        return val && av_dict_set(opts, "x264-params", val, AV_DICT_DONT_STRDUP_VAL) >= 0
                   ? 0 : VTP_ERR_NOMEM;
    }
    /* x265 writes its options, the bitrate of each share among them, into
     * the headers: a second pass leaves them out, so that all segments'
     * headers are the same. */
    const AVDictionaryEntry *e = av_dict_get(*opts, "x265-params", NULL, 0);
    char *val = av_asprintf("%s%spass=%d:stats=%s%s", e ? e->value : "", e && *e->value ? ":" : "",
                            tp->pass, tp->log,
                            tp->pass == 2 ? ":info=0"
                            : !(e && strstr(e->value, "slow-firstpass")) ? ":slow-firstpass=0" : "");
    if (!val)
        return VTP_ERR_NOMEM;
    return av_dict_set(opts, "x265-params", val, AV_DICT_DONT_STRDUP_VAL) < 0 ? VTP_ERR_NOMEM : 0;
}

int vtp_twopass_begin(vtp_twopass *tp, const vtp_segment *seg, const char *encoder,
                      AVDictionary **opts, char *why, size_t ws)
{
    memset(tp, 0, sizeof(*tp));
    tp->pass = seg->flags & VTP_SEG_PASS1 ? 1 : seg->flags & VTP_SEG_PASS2 ? 2 : 0;
    if (!tp->pass)
        return 0;
    if (!vtp_twopass_supported(encoder)) {
        snprintf(why, ws, "two-pass encoding needs libx264 or libx265, not %s", encoder);
        return VTP_ERR_ENCODER;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/vtpool-pass-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    errno = 0;
    if (!mkdtemp(dir))
        return fail(why, ws, VTP_ERR_OUTPUT, "cannot create", dir);
    snprintf(tp->dir, sizeof(tp->dir), "%s", dir);
    snprintf(tp->log, sizeof(tp->log), "%s/pass.log", tp->dir);
    snprintf(tp->tree, sizeof(tp->tree), "%s/pass.log.%s", tp->dir,
             !strcmp(encoder, "libx264") ? "mbtree" : "cutree");
    int ret;
    if (tp->pass == 2 &&
        ((ret = vtp_file_write(tp->log, seg->pass.log, seg->pass.log_len, 0600, 0)) < 0 ||
         (seg->pass.tree_len &&
          (ret = vtp_file_write(tp->tree, seg->pass.tree, seg->pass.tree_len, 0600, 0)) < 0))) {
        snprintf(why, ws, "cannot write the first pass's record to '%s': %s", tp->dir,
                 av_err2str(ret));
        ret = ret == AVERROR(ENOSPC) ? ret : VTP_ERR_OUTPUT;
    } else if ((ret = set_options(tp, encoder, opts)) < 0) {
        snprintf(why, ws, "out of memory");
    } else {
        return 0;
    }
    vtp_twopass_end(tp);
    return ret;
}

int vtp_twopass_take(vtp_twopass *tp, vtp_passlog *out, char *why, size_t ws)
{
    if (tp->pass != 1)
        return 0;
    vtp_passlog_clear(out);
    int ret = vtp_file_read(tp->log, VTP_MAX_PASSLOG, &out->log, &out->log_len);
    if (ret == 0) {
        ret = vtp_file_read(tp->tree, VTP_MAX_PASSLOG, &out->tree, &out->tree_len);
        if (ret == AVERROR(ENOENT))     /* no macroblock tree (mbtree=0, cutree=0) */
            ret = 0;
    }
    if (ret < 0) {
        vtp_passlog_clear(out);
        snprintf(why, ws, "cannot read the encoder's first-pass record in '%s': %s", tp->dir,
                 av_err2str(ret));
        return VTP_ERR_OUTPUT;
    }
    if (!out->log_len) {
        snprintf(why, ws, "the encoder wrote no first-pass record");
        return VTP_ERR_ENCODER;
    }
    return 0;
}

void vtp_twopass_end(vtp_twopass *tp)
{
    if (!tp->dir[0])
        return;
    DIR *d = opendir(tp->dir);
    if (d) {
        char path[PATH_MAX + 300];
        for (struct dirent *e; (e = readdir(d));) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(path, sizeof(path), "%s/%s", tp->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(tp->dir);
    tp->dir[0] = 0;
}

/* The first NAL unit of type `type` in Annex B data, unescaped into rbsp
 * (at most size bytes); its length, or 0. hevc: two-byte NAL headers. */
static size_t find_nal(const uint8_t *p, size_t n, int hevc, int type, uint8_t *rbsp, size_t size)
{
    for (size_t i = 0; i + 3 < n; i++) {
        if (p[i] || p[i + 1] || p[i + 2] != 1)
            continue;
        size_t at = i + 3;
        int t = hevc ? (p[at] >> 1) & 0x3f : p[at] & 0x1f;
        if (t != type)
            continue;
        size_t len = 0, zeros = 0;
        for (size_t k = at; k < n && len < size; k++) {
            if (zeros >= 2 && p[k] == 3) {      /* emulation prevention */
                zeros = 0;
                continue;
            }
            if (zeros >= 2 && p[k] <= 1)        /* the next start code */
                break;
            zeros = p[k] ? 0 : zeros + 1;
            rbsp[len++] = p[k];
        }
        return len;
    }
    return 0;
}

/* level_idc from an H.264 or HEVC global header (avcC/hvcC or Annex B). */
static int header_level(enum AVCodecID id, const uint8_t *x, size_t n)
{
    uint8_t sps[64];
    size_t len;
    if (id == AV_CODEC_ID_H264) {
        if (n >= 4 && x[0] == 1)
            return x[3];
        len = find_nal(x, n, 0, 7, sps, sizeof(sps));
        return len >= 4 ? sps[3] : 0;
    }
    if (id == AV_CODEC_ID_HEVC) {
        if (n >= 23 && x[0] == 1)
            return x[12];
        /* NAL header, ids, profile_tier_level: 2 + 1 + 1 + 4 + 6 bytes. */
        len = find_nal(x, n, 1, 33, sps, sizeof(sps));
        return len >= 15 ? sps[14] : 0;
    }
    return 0;
}

static int user_level(const char *encoder, const AVDictionary *opts)
{
    const AVDictionaryEntry *e = av_dict_get(opts, "level", NULL, 0);
    if (e)
        return 1;
    e = av_dict_get(opts, !strcmp(encoder, "libx264") ? "x264-params" : "x265-params", NULL, 0);
    return e && (strstr(e->value, "level") != NULL);
}

int vtp_twopass_level(const char *encoder, const AVDictionary *opts,
                      const AVCodecParameters *par, AVRational time_base, AVRational rate,
                      int64_t bitrate, char *buf, size_t size)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(encoder);
    if (!codec || !vtp_twopass_supported(encoder) || user_level(encoder, opts) ||
        par->width <= 0 || par->height <= 0 || par->format < 0 || time_base.num <= 0)
        return 0;
    AVCodecContext *ctx = avcodec_alloc_context3(codec);
    AVDictionary *o = NULL;
    char rate_s[32];
    int ret = VTP_ERR_NOMEM, level = 0;
    snprintf(rate_s, sizeof(rate_s), "%lld", (long long)bitrate);
    if (!ctx || av_dict_copy(&o, opts, 0) < 0 || av_dict_set(&o, "b", rate_s, 0) < 0 ||
        av_dict_set(&o, "crf", NULL, 0) < 0)
        goto end;
    if (!strcmp(encoder, "libx265")) {
        const AVDictionaryEntry *e = av_dict_get(o, "x265-params", NULL, 0);
        char *v = av_asprintf("%s%slog-level=none", e ? e->value : "", e && *e->value ? ":" : "");
        if (!v || av_dict_set(&o, "x265-params", v, AV_DICT_DONT_STRDUP_VAL) < 0)
            goto end;
    }
    ctx->width = par->width;
    ctx->height = par->height;
    ctx->pix_fmt = par->format;
    ctx->sample_aspect_ratio = par->sample_aspect_ratio;
    ctx->time_base = time_base;
    ctx->framerate = rate;
    ctx->thread_count = 1;
    ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((ret = avcodec_open2(ctx, codec, &o)) < 0) {
        ret = 0;        /* the segments will say what is wrong */
        goto end;
    }
    level = header_level(codec->id, ctx->extradata, ctx->extradata_size > 0 ? (size_t)ctx->extradata_size : 0);
    /* x264 takes level_idc itself (9 is 1b); x265 takes "major.minor". */
    if (level > 0 && codec->id == AV_CODEC_ID_H264)
        snprintf(buf, size, "%d", level);
    else if (level > 0)
        snprintf(buf, size, "%d.%d", level / 30, level % 30 / 3);
    ret = level > 0;
end:
    av_dict_free(&o);
    avcodec_free_context(&ctx);
    return ret;
}
