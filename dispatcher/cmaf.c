/* cmaf.c -- CMAF tracks in files of their own (see vtp_cmaf.h).
 *
 * DESIGN
 * One MP4 muxer per track, writing into a memory buffer: its header is the
 * initialization segment, and each fragment, ended by a flush
 * (movflags frag_custom), is a media segment. After each, the buffer's
 * bytes go to their file and the muxer gets a fresh buffer, as FFmpeg's
 * own DASH and HLS muxers do. empty_moov writes the moov with the header
 * (the encoder's parameters are known by then), and default_base_moof
 * makes each fragment's offsets relative to its own moof, so that a
 * segment stands alone. The cmaf and negative_cts_offsets flags are not
 * used: with them, FFmpeg 5.1 and 7.1 shift decode times differently.
 *
 * Each segment had an encoder of its own, which may have started with its
 * decode times before its presentation times (B-frames): each fragment
 * gets its first packet's own decode time (frag_discont), and all times
 * are moved by the track's shift so that none is negative. A frame is
 * then shown at its pts plus the shift, on every FFmpeg version (the
 * muxer's own shifts, which differ between versions, are not used). The
 * muxer takes a sample's duration from the next sample's decode time, and
 * the last one's from its packet: that one is set so that the segment's
 * decode span equals its presentation span.
 */
#include "vtp_cmaf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/opt.h>

#include "vtp_fileio.h"

#define FILE_MODE 0644

struct vtp_cmaf {
    AVFormatContext *mux;
    char *dir;
    AVRational tb;              /* of the packets given */
    int64_t shift;              /* added to their times, in tb */
    uint32_t last;              /* number of the last segment written */
    int written;                /* whether one was */
};

/* Writes "WHAT: libav's reason" into why; returns ret. */
static int failed(char *why, size_t ws, int ret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int failed(char *why, size_t ws, int ret, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    snprintf(why, ws, "%s: %s", text, av_err2str(ret));
    return ret;
}

/* Writes what the muxer wrote since the last call to dir/name (whole:
 * vtp_file_write's temporary name, fsync and rename), and gives the muxer
 * a fresh buffer. *bytes (may be NULL) receives the file's size. */
static int take_file(vtp_cmaf *c, const char *name, int64_t *bytes, char *why, size_t ws)
{
    uint8_t *data = NULL;
    avio_flush(c->mux->pb);
    int len = avio_close_dyn_buf(c->mux->pb, &data);
    c->mux->pb = NULL;
    char *path = av_asprintf("%s/%s", c->dir, name);
    int ret = path ? vtp_file_write(path, data, (size_t)len, FILE_MODE, 1) : AVERROR(ENOMEM);
    if (ret < 0)
        failed(why, ws, ret, "cannot write '%s'", path ? path : name);
    else if (bytes)
        *bytes = len;
    av_free(data);
    av_free(path);
    if (ret == 0 && (ret = avio_open_dyn_buf(&c->mux->pb)) < 0)
        failed(why, ws, ret, "cannot allocate a buffer");
    return ret;
}

vtp_cmaf *vtp_cmaf_new(const char *dir, const AVCodecParameters *par, AVRational tb,
                       int64_t shift, char *why, size_t ws)
{
    vtp_cmaf *c = calloc(1, sizeof(*c));
    AVDictionary *opts = NULL;
    AVStream *st;
    int ret = AVERROR(ENOMEM);
    if (!c || !(c->dir = strdup(dir)))
        goto fail;
    c->tb = tb;
    c->shift = shift;
    if ((ret = avformat_alloc_output_context2(&c->mux, NULL, "mp4", NULL)) < 0 ||
        !(st = avformat_new_stream(c->mux, NULL))) {
        ret = ret < 0 ? ret : AVERROR(ENOMEM);
        goto fail;
    }
    if ((ret = avcodec_parameters_copy(st->codecpar, par)) < 0)
        goto fail;
    /* HLS wants HEVC's parameter sets in the sample entry only. */
    st->codecpar->codec_tag = par->codec_id == AV_CODEC_ID_HEVC ? MKTAG('h', 'v', 'c', '1') : 0;
    st->time_base = tb;
    if ((ret = avio_open_dyn_buf(&c->mux->pb)) < 0)
        goto fail;
    av_dict_set(&opts, "movflags", "+frag_custom+empty_moov+default_base_moof", 0);
    /* Without an edit list a fragment's decode time (tfdt) is its first
     * packet's decode time; with one it would be its presentation time. */
    av_dict_set(&opts, "use_editlist", "0", 0);
    /* No shift of libavformat's own: decode times are the packets' plus
     * shift, which keeps them from going below 0. */
    c->mux->avoid_negative_ts = AVFMT_AVOID_NEG_TS_MAKE_NON_NEGATIVE;
    ret = avformat_write_header(c->mux, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        failed(why, ws, ret, "the MP4 muxer refused a %s track",
               avcodec_get_name(par->codec_id));
        goto fail_quiet;
    }
    if ((ret = take_file(c, VTP_CMAF_INIT, NULL, why, ws)) < 0)
        goto fail_quiet;
    return c;
fail:
    failed(why, ws, ret, "cannot open a CMAF track");
fail_quiet:
    vtp_cmaf_destroy(&c);
    return NULL;
}

/* The packets' first pts (they are in decode order). */
static int64_t first_pts(AVPacket *const *pkts, int n)
{
    int64_t t = pkts[0]->pts;
    for (int i = 1; i < n; i++)
        if (pkts[i]->pts < t)
            t = pkts[i]->pts;
    return t;
}

int vtp_cmaf_write(vtp_cmaf *c, uint32_t number, AVPacket *const *pkts, int n, int64_t end,
                   vtp_cmaf_info *info, char *why, size_t ws)
{
    if (n <= 0 || !(pkts[0]->flags & AV_PKT_FLAG_KEY)) {
        snprintf(why, ws, "segment %u does not start with a keyframe", number);
        return AVERROR(EINVAL);
    }
    if (c->written && number <= c->last) {
        snprintf(why, ws, "segment %u written after segment %u", number, c->last);
        return AVERROR(EINVAL);
    }
    int64_t start = first_pts(pkts, n);
    /* Decode times run from pkts[0]->dts; the last sample lasts to what
     * keeps the fragment's decode span equal to its presentation span, so
     * that with a constant encoder delay the next segment's decode time
     * follows on. */
    int64_t last_duration = (end - start) - (pkts[n - 1]->dts - pkts[0]->dts);
    if (end <= start || last_duration <= 0) {
        snprintf(why, ws, "segment %u ends at %lld, not after its frames", number, (long long)end);
        return AVERROR(EINVAL);
    }
    if (pkts[0]->dts + c->shift < 0) {
        snprintf(why, ws, "segment %u decodes from %lld, before 0 even shifted by %lld", number,
                 (long long)pkts[0]->dts, (long long)c->shift);
        return AVERROR(EINVAL);
    }
    /* The fragment's decode time (tfdt) is its first packet's, not the sum
     * of the durations before it: each segment had an encoder of its own. */
    int ret = av_opt_set(c->mux->priv_data, "movflags", "+frag_discont", 0);
    if (ret < 0)
        return failed(why, ws, ret, "the MP4 muxer has no frag_discont");
    AVStream *st = c->mux->streams[0];
    AVPacket *pkt = av_packet_alloc();
    ret = pkt ? 0 : AVERROR(ENOMEM);
    for (int i = 0; ret == 0 && i < n; i++) {
        if ((ret = av_packet_ref(pkt, pkts[i])) < 0)
            break;
        if (i == n - 1)
            pkt->duration = last_duration;
        pkt->stream_index = 0;
        pkt->pts += c->shift;
        pkt->dts += c->shift;
        av_packet_rescale_ts(pkt, c->tb, st->time_base);
        ret = av_write_frame(c->mux, pkt);     /* takes pkt's reference */
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    if (ret == 0)
        ret = av_write_frame(c->mux, NULL);    /* ends the fragment */
    if (ret < 0)
        return failed(why, ws, ret, "the MP4 muxer refused segment %u", number);
    char name[32];
    snprintf(name, sizeof(name), VTP_CMAF_SEGMENT, number);
    int64_t bytes = 0;
    if ((ret = take_file(c, name, &bytes, why, ws)) < 0)
        return ret;
    c->last = number;
    c->written = 1;
    if (info)
        *info = (vtp_cmaf_info){number, start, end - start, bytes};
    return 0;
}

void vtp_cmaf_destroy(vtp_cmaf **cp)
{
    vtp_cmaf *c = *cp;
    if (!c)
        return;
    if (c->mux) {
        if (c->mux->pb) {
            uint8_t *data = NULL;
            avio_close_dyn_buf(c->mux->pb, &data);
            av_free(data);
        }
        avformat_free_context(c->mux);
    }
    free(c->dir);
    free(c);
    *cp = NULL;
}
