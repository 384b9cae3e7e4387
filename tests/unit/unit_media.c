/* unit_media.c -- see unit_media.h. */
#include "unit_media.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

static int plane_height(const AVPixFmtDescriptor *d, int plane, int h)
{
    /* Planes 1 and 2 are chroma (for semi-planar formats plane 1 is). */
    if (plane == 1 || plane == 2)
        return AV_CEIL_RSHIFT(h, d->log2_chroma_h);
    return h;
}

AVFrame *um_make_frame(enum AVPixelFormat fmt, int w, int h, int idx)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    AVFrame *f = av_frame_alloc();
    int lines[4];

    if (!f || !d)
        goto fail;
    f->format = fmt;
    f->width = w;
    f->height = h;
    f->pts = idx;
    f->sample_aspect_ratio = (AVRational){1, 1};
    if (av_frame_get_buffer(f, 0) < 0 || av_image_fill_linesizes(lines, fmt, w) < 0)
        goto fail;
    int depth = d->comp[0].depth;
    int wide = depth > 8;
    for (int p = 0; p < av_pix_fmt_count_planes(fmt); p++) {
        int ph = plane_height(d, p, h);
        for (int y = 0; y < ph; y++) {
            uint8_t *row = f->data[p] + (ptrdiff_t)y * f->linesize[p];
            if (wide) {
                uint16_t *r16 = (uint16_t *)row;
                for (int x = 0; x < lines[p] / 2; x++)
                    r16[x] = (uint16_t)((x * 7 + y * 13 + idx * 29 + p * 71) & ((1 << depth) - 1));
            } else {
                for (int x = 0; x < lines[p]; x++)
                    row[x] = (uint8_t)(x * 7 + y * 13 + idx * 29 + p * 71 + ((x ^ y) & idx & 3));
            }
        }
    }
    return f;
fail:
    av_frame_free(&f);
    return NULL;
}

int um_frames_equal(const AVFrame *a, const AVFrame *b, char *why, size_t why_size)
{
    char dummy[8];
    int lines[4];

    if (!why) {
        why = dummy;
        why_size = sizeof(dummy);
    }
    if (a->format != b->format || a->width != b->width || a->height != b->height) {
        snprintf(why, why_size, "format/size %s %dx%d vs %s %dx%d",
                 av_get_pix_fmt_name(a->format), a->width, a->height,
                 av_get_pix_fmt_name(b->format), b->width, b->height);
        return 0;
    }
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(a->format);
    if (!d || av_image_fill_linesizes(lines, a->format, a->width) < 0) {
        snprintf(why, why_size, "bad format");
        return 0;
    }
    for (int p = 0; p < av_pix_fmt_count_planes(a->format); p++) {
        int ph = plane_height(d, p, a->height);
        for (int y = 0; y < ph; y++) {
            if (memcmp(a->data[p] + (ptrdiff_t)y * a->linesize[p],
                       b->data[p] + (ptrdiff_t)y * b->linesize[p], (size_t)lines[p]) != 0) {
                snprintf(why, why_size, "plane %d row %d differs", p, y);
                return 0;
            }
        }
    }
    return 1;
}

void um_frames_push(um_frames *l, AVFrame *f)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = realloc(l->v, (size_t)l->cap * sizeof(*l->v));
        if (!l->v)
            abort();
    }
    l->v[l->n++] = f;
}

void um_frames_clear(um_frames *l)
{
    for (int i = 0; i < l->n; i++)
        av_frame_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

AVFrame *um_frames_find(const um_frames *l, int64_t ts)
{
    for (int i = 0; i < l->n; i++)
        if (l->v[i]->pts == ts)
            return l->v[i];
    return NULL;
}

static int drain(AVCodecContext *dec, um_frames *out)
{
    for (;;) {
        AVFrame *f = av_frame_alloc();
        if (!f)
            return AVERROR(ENOMEM);
        int ret = avcodec_receive_frame(dec, f);
        if (ret < 0) {
            av_frame_free(&f);
            return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
        }
        f->pts = f->best_effort_timestamp;
        um_frames_push(out, f);
    }
}

int um_decode(const AVCodecParameters *par, AVRational tb, AVPacket *const *pkts, int n,
              um_frames *out)
{
    const AVCodec *dc = avcodec_find_decoder(par->codec_id);
    AVCodecContext *dec = NULL;
    int ret;

    if (!dc)
        return AVERROR_DECODER_NOT_FOUND;
    if (!(dec = avcodec_alloc_context3(dc)))
        return AVERROR(ENOMEM);
    if ((ret = avcodec_parameters_to_context(dec, par)) < 0)
        goto end;
    dec->pkt_timebase = tb;
    dec->thread_count = 1;
    if ((ret = avcodec_open2(dec, dc, NULL)) < 0)
        goto end;
    for (int i = 0; i < n; i++) {
        if ((ret = avcodec_send_packet(dec, pkts[i])) < 0 || (ret = drain(dec, out)) < 0)
            goto end;
    }
    if ((ret = avcodec_send_packet(dec, NULL)) < 0 || (ret = drain(dec, out)) < 0)
        goto end;
    ret = 0;
end:
    avcodec_free_context(&dec);
    return ret;
}

static int take_packets(AVCodecContext *enc, AVPacket ***v, int *n, int *cap)
{
    for (;;) {
        AVPacket *p = av_packet_alloc();
        if (!p)
            return AVERROR(ENOMEM);
        int ret = avcodec_receive_packet(enc, p);
        if (ret < 0) {
            av_packet_free(&p);
            return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
        }
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *v = realloc(*v, (size_t)*cap * sizeof(**v));
            if (!*v)
                abort();
        }
        (*v)[(*n)++] = p;
    }
}

int um_encode(const char *encoder, AVFrame *const *frames, int n, AVRational tb,
              AVDictionary *opts, int flags, AVPacket ***out_pkts, AVCodecParameters *par)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(encoder);
    AVCodecContext *enc = NULL;
    AVDictionary *o = NULL;
    AVPacket **v = NULL;
    int nv = 0, cap = 0, ret;

    *out_pkts = NULL;
    if (!codec || n < 1)
        return AVERROR_ENCODER_NOT_FOUND;
    if (!(enc = avcodec_alloc_context3(codec)))
        return AVERROR(ENOMEM);
    enc->width = frames[0]->width;
    enc->height = frames[0]->height;
    enc->pix_fmt = frames[0]->format;
    enc->time_base = tb;
    enc->framerate = av_inv_q(tb);
    enc->sample_aspect_ratio = (AVRational){1, 1};
    enc->thread_count = 1;
    enc->flags |= flags;
    av_dict_copy(&o, opts, 0);
    ret = avcodec_open2(enc, codec, &o);
    av_dict_free(&o);
    if (ret < 0)
        goto end;
    for (int i = 0; i < n; i++) {
        if ((ret = avcodec_send_frame(enc, frames[i])) < 0 ||
            (ret = take_packets(enc, &v, &nv, &cap)) < 0)
            goto end;
    }
    if ((ret = avcodec_send_frame(enc, NULL)) < 0 || (ret = take_packets(enc, &v, &nv, &cap)) < 0)
        goto end;
    if (par && (ret = avcodec_parameters_from_context(par, enc)) < 0)
        goto end;
    ret = nv;
end:
    avcodec_free_context(&enc);
    if (ret < 0) {
        um_packets_free(v, nv);
        v = NULL;
    }
    *out_pkts = v;
    return ret;
}

void um_packets_free(AVPacket **v, int n)
{
    if (!v)
        return;
    for (int i = 0; i < n; i++)
        av_packet_free(&v[i]);
    free(v);
}

int um_write_video(const char *path, const char *encoder, int w, int h, int n, int fps)
{
    AVCodecParameters *par = avcodec_parameters_alloc();
    AVFormatContext *oc = NULL;
    AVPacket **pkts = NULL;
    um_frames src = {0};
    int npkts = 0, ret = AVERROR(ENOMEM);

    if (!par)
        return ret;
    for (int i = 0; i < n; i++)
        um_frames_push(&src, um_make_frame(AV_PIX_FMT_YUV420P, w, h, i));
    if ((ret = npkts = um_encode(encoder, src.v, src.n, (AVRational){1, fps}, NULL,
                                 AV_CODEC_FLAG_GLOBAL_HEADER, &pkts, par)) < 0)
        goto end;
    if ((ret = avformat_alloc_output_context2(&oc, NULL, "matroska", path)) < 0)
        goto end;
    AVStream *st = avformat_new_stream(oc, NULL);
    if (!st || (ret = avcodec_parameters_copy(st->codecpar, par)) < 0) {
        ret = ret < 0 ? ret : AVERROR(ENOMEM);
        goto end;
    }
    st->time_base = (AVRational){1, fps};
    st->avg_frame_rate = (AVRational){fps, 1};
    if ((ret = avio_open(&oc->pb, path, AVIO_FLAG_WRITE)) < 0 ||
        (ret = avformat_write_header(oc, NULL)) < 0)
        goto end;
    for (int i = 0; i < npkts && ret >= 0; i++) {
        pkts[i]->stream_index = st->index;
        av_packet_rescale_ts(pkts[i], (AVRational){1, fps}, st->time_base);
        ret = av_interleaved_write_frame(oc, pkts[i]);
    }
    if (ret >= 0)
        ret = av_write_trailer(oc);
end:
    if (oc) {
        avio_closep(&oc->pb);
        avformat_free_context(oc);
    }
    um_packets_free(pkts, npkts > 0 ? npkts : 0);
    um_frames_clear(&src);
    avcodec_parameters_free(&par);
    return ret < 0 ? ret : 0;
}

char *um_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/vtpool-unit-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(path))
        return NULL;
    return strdup(path);
}

void um_rmdir(char *dir)
{
    if (!dir)
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[4096];
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

uint64_t um_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}
