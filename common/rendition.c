/* rendition.c -- one rung of a ladder (see vtp_rendition.h). */
#include "vtp_rendition.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtp_codecpar.h"
#include "vtp_error.h"

/* A side: a positive number of pixels or -2. */
static int parse_side(const char *s, const char *end, int *out)
{
    char *stop;
    errno = 0;
    long v = strtol(s, &stop, 10);
    if (stop != end || s == end || errno ||
        (v != VTP_RENDITION_KEEP && (v < 2 || v > VTP_MAX_DIMENSION)))
        return -1;
    *out = (int)v;
    return 0;
}

int vtp_rendition_parse(const char *spec, vtp_rendition *r, char *why, size_t ws)
{
    memset(r, 0, sizeof(*r));
    const char *comma = strchr(spec, ',');
    const char *size_end = comma ? comma : spec + strlen(spec);
    const char *x = memchr(spec, 'x', (size_t)(size_end - spec));
    if (!x || parse_side(spec, x, &r->width) < 0 || parse_side(x + 1, size_end, &r->height) < 0) {
        snprintf(why, ws, "--rendition '%s': the size must be WIDTHxHEIGHT, each 2 to %d pixels "
                 "or -2 for one of them", spec, VTP_MAX_DIMENSION);
        return VTP_ERR_USAGE;
    }
    if (r->width == VTP_RENDITION_KEEP && r->height == VTP_RENDITION_KEEP) {
        snprintf(why, ws, "--rendition '%s': only one side may be -2", spec);
        return VTP_ERR_USAGE;
    }
    for (const char *at = comma ? comma + 1 : NULL; at;) {
        const char *next = strchr(at, ',');
        size_t len = next ? (size_t)(next - at) : strlen(at);
        const char *eq = memchr(at, '=', len);
        if (!eq || eq == at || eq + 1 == at + len) {
            snprintf(why, ws, "--rendition '%s': '%.*s' is not KEY=VALUE", spec, (int)len, at);
            vtp_rendition_clear(r);
            return VTP_ERR_USAGE;
        }
        char *key = strndup(at, (size_t)(eq - at));
        char *value = strndup(eq + 1, len - (size_t)(eq - at) - 1);
        int ret = key && value ? av_dict_set(&r->codec_opts, key, value, 0) : AVERROR(ENOMEM);
        free(key);
        free(value);
        if (ret < 0) {
            vtp_rendition_clear(r);
            snprintf(why, ws, "out of memory");
            return VTP_ERR_NOMEM;
        }
        at = next ? next + 1 : NULL;
    }
    return 0;
}

void vtp_rendition_clear(vtp_rendition *r)
{
    av_dict_free(&r->codec_opts);
    memset(r, 0, sizeof(*r));
}

/* other * num / den rounded to the nearest even number, at least 2. */
static long even_share(long other, long num, long den)
{
    long v = (long)(((long long)other * num + den) / (2LL * den)) * 2;
    return v < 2 ? 2 : v;
}

int vtp_rendition_size(const vtp_rendition *r, int in_w, int in_h, AVRational sar, int *w, int *h)
{
    if (sar.num <= 0 || sar.den <= 0)
        sar = (AVRational){1, 1};
    /* The display aspect ratio: in_w * sar / in_h. */
    long dw = (long)in_w * sar.num, dh = (long)in_h * sar.den;
    long ow = r->width, oh = r->height;
    if (ow == VTP_RENDITION_KEEP)
        ow = even_share(oh, dw, dh);
    else if (oh == VTP_RENDITION_KEEP)
        oh = even_share(ow, dh, dw);
    if (ow < 2 || oh < 2 || ow > VTP_MAX_DIMENSION || oh > VTP_MAX_DIMENSION)
        return VTP_ERR_USAGE;
    *w = (int)ow;
    *h = (int)oh;
    return 0;
}

int vtp_rendition_opts(const vtp_enc_opts *base, const vtp_rendition *r, vtp_enc_opts *out)
{
    int ret = vtp_enc_opts_copy(out, base);
    if (ret < 0)
        return ret;
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(r->codec_opts, "", e, AV_DICT_IGNORE_SUFFIX))) {
        if (!strcmp(e->key, "c")) {
            char *enc = strdup(e->value);
            if (!enc)
                goto nomem;
            free(out->encoder);
            out->encoder = enc;
        } else if (av_dict_set(&out->codec_opts, e->key, e->value, 0) < 0) {
            goto nomem;
        }
    }
    return 0;
nomem:
    vtp_enc_opts_clear(out);
    return VTP_ERR_NOMEM;
}
