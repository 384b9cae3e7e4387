/* options.c -- encode settings: copy, validation and wire form. */
#include "vtp_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>

#include "vtp_error.h"

#define VTP_MAX_OPTIONS 256

void vtp_enc_opts_init(vtp_enc_opts *o)
{
    memset(o, 0, sizeof(*o));
}

void vtp_enc_opts_clear(vtp_enc_opts *o)
{
    free(o->encoder);
    free(o->vf);
    av_dict_free(&o->codec_opts);
    vtp_enc_opts_init(o);
}

int vtp_enc_opts_copy(vtp_enc_opts *dst, const vtp_enc_opts *src)
{
    vtp_enc_opts_init(dst);
    if ((src->encoder && !(dst->encoder = strdup(src->encoder))) ||
        (src->vf && !(dst->vf = strdup(src->vf))) ||
        av_dict_copy(&dst->codec_opts, src->codec_opts, 0) < 0) {
        vtp_enc_opts_clear(dst);
        return VTP_ERR_NOMEM;
    }
    return 0;
}

/* A number in the ':'-separated KEY=VALUE list of codec option `name`. */
static long param_number(const vtp_enc_opts *o, const char *name, const char *key)
{
    const AVDictionaryEntry *e = av_dict_get(o->codec_opts, name, NULL, 0);
    size_t n = strlen(key);
    for (const char *at = e ? e->value : NULL; at && *at;
         at = strchr(at, ':') ? strchr(at, ':') + 1 : NULL)
        if (!strncmp(at, key, n) && at[n] == '=')
            return strtol(at + n + 1, NULL, 10);
    return 0;
}

long vtp_enc_opts_keyint(const vtp_enc_opts *o)
{
    const AVDictionaryEntry *g = av_dict_get(o->codec_opts, "g", NULL, 0);
    const char *enc = o->encoder ? o->encoder : "";
    const char *params = !strcmp(enc, "libx264")   ? "x264-params"
                         : !strcmp(enc, "libx265") ? "x265-params"
                                                   : NULL;
    long frames = g ? strtol(g->value, NULL, 10) : 0;
    if (frames <= 0 && params)
        frames = param_number(o, params, "keyint");
    if (frames <= 0 && params)
        frames = 250;
    return frames > 0 ? frames : 0;
}

int vtp_enc_opts_validate(const vtp_enc_opts *o, char *why, size_t why_size)
{
    const char *name = o->encoder ? o->encoder : "(none)";
    const AVCodec *codec = o->encoder ? avcodec_find_encoder_by_name(o->encoder) : NULL;

    if (!codec) {
        snprintf(why, why_size, "unknown encoder '%s' (see 'ffmpeg -encoders')", name);
        return VTP_ERR_ENCODER;
    }
    if (codec->type != AVMEDIA_TYPE_VIDEO) {
        snprintf(why, why_size, "'%s' is not a video encoder", name);
        return VTP_ERR_ENCODER;
    }
    AVCodecContext *ctx = avcodec_alloc_context3(codec);
    if (!ctx) {
        snprintf(why, why_size, "out of memory");
        return VTP_ERR_NOMEM;
    }
    int ret = 0;
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(o->codec_opts, "", e, AV_DICT_IGNORE_SUFFIX))) {
        int r = av_opt_set(ctx, e->key, e->value, AV_OPT_SEARCH_CHILDREN);
        if (r == AVERROR_OPTION_NOT_FOUND) {
            snprintf(why, why_size, "encoder '%s' has no option '%s' (see 'ffmpeg -h encoder=%s')",
                     name, e->key, name);
            ret = VTP_ERR_ENCODER;
            break;
        }
        if (r < 0) {
            snprintf(why, why_size, "invalid value '%s' for option '%s' of encoder '%s'",
                     e->value, e->key, name);
            ret = VTP_ERR_USAGE;
            break;
        }
    }
    avcodec_free_context(&ctx);
    return ret;
}

void vtp_enc_opts_write(vtp_wbuf *b, const vtp_enc_opts *o)
{
    const AVDictionaryEntry *e = NULL;

    vtp_wbuf_str(b, o->encoder);
    vtp_wbuf_str(b, o->vf);
    vtp_wbuf_u32(b, (uint32_t)av_dict_count(o->codec_opts));
    while ((e = av_dict_get(o->codec_opts, "", e, AV_DICT_IGNORE_SUFFIX))) {
        vtp_wbuf_str(b, e->key);
        vtp_wbuf_str(b, e->value);
    }
}

int vtp_enc_opts_read(vtp_rbuf *r, vtp_enc_opts *o)
{
    o->encoder = vtp_rbuf_str(r, 256);
    o->vf = vtp_rbuf_str(r, 65536);
    uint32_t n = vtp_rbuf_u32(r);
    if (!o->encoder || n > VTP_MAX_OPTIONS)
        goto fail;
    for (uint32_t i = 0; i < n && vtp_rbuf_ok(r); i++) {
        char *key = vtp_rbuf_str(r, 256);
        char *value = vtp_rbuf_str(r, 65536);
        int ret = key ? av_dict_set(&o->codec_opts, key, value ? value : "", 0) : -1;
        free(key);
        free(value);
        if (ret < 0)
            goto fail;
    }
    if (vtp_rbuf_ok(r))
        return 0;
fail:
    vtp_enc_opts_clear(o);
    return VTP_ERR_PROTO;
}

int64_t vtp_enc_opts_bitrate(const vtp_enc_opts *o)
{
    const AVDictionaryEntry *b = av_dict_get(o->codec_opts, "b", NULL, 0);
    AVCodecContext *ctx = b ? avcodec_alloc_context3(NULL) : NULL;
    int64_t rate = ctx && av_opt_set(ctx, "b", b->value, 0) >= 0 ? ctx->bit_rate : 0;
    avcodec_free_context(&ctx);
    return rate > 0 ? rate : 0;
}
