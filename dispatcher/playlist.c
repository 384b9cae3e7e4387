/* playlist.c -- HLS and DASH playlists of CMAF tracks (see vtp_playlist.h).
 *
 * Times: a track's segments carry their start and duration in the track's
 * time base, before the shift that keeps decode times from going below 0.
 * A frame is shown in the media at its pts plus the shift; HLS players
 * take the times from the media itself, and the MPD says where the
 * presentation starts in each track (presentationTimeOffset: the origin,
 * the first video frame's time, plus the shift), so that both begin at
 * the first frame with the tracks in step.
 */
#include "vtp_playlist.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/bprint.h>
#include <libavutil/error.h>
#include <libavutil/mathematics.h>
#include <libavutil/mem.h>

#include "vtp_fileio.h"

#define FILE_MODE 0644
#define MASTER_AUDIO_GROUP "audio"

static double seconds(int64_t v, AVRational tb)
{
    return (double)v * av_q2d(tb);
}

int64_t vtp_track_peak_bps(const vtp_track *t)
{
    double peak = 0;
    for (int i = 0; i < t->nsegs; i++) {
        double d = seconds(t->segs[i].duration, t->time_base);
        if (d > 0 && t->segs[i].bytes * 8 / d > peak)
            peak = t->segs[i].bytes * 8 / d;
    }
    return (int64_t)ceil(peak);
}

int64_t vtp_track_average_bps(const vtp_track *t)
{
    int64_t bytes = 0, duration = 0;
    for (int i = 0; i < t->nsegs; i++) {
        bytes += t->segs[i].bytes;
        duration += t->segs[i].duration;
    }
    double d = seconds(duration, t->time_base);
    return d > 0 ? (int64_t)ceil(bytes * 8 / d) : 0;
}

static int finish(AVBPrint *b, char **text)
{
    if (!av_bprint_is_complete(b)) {
        av_bprint_finalize(b, NULL);
        *text = NULL;
        return AVERROR(ENOMEM);
    }
    return av_bprint_finalize(b, text);
}

int vtp_hls_media(const vtp_track *t, int ended, char **text)
{
    AVBPrint b;
    av_bprint_init(&b, 0, AV_BPRINT_SIZE_UNLIMITED);
    /* Every EXTINF, rounded to the nearest second, must be at most the
     * target duration (RFC 8216, 4.3.3.1): its ceiling always is. */
    double longest = 0;
    for (int i = 0; i < t->nsegs; i++)
        longest = fmax(longest, seconds(t->segs[i].duration, t->time_base));
    av_bprintf(&b, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n",
               (int)fmax(1, ceil(longest)));
    av_bprintf(&b, "#EXT-X-MEDIA-SEQUENCE:%u\n", t->nsegs ? t->segs[0].number : 1u);
    av_bprintf(&b, "#EXT-X-PLAYLIST-TYPE:%s\n", ended ? "VOD" : "EVENT");
    av_bprintf(&b, "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"%s\"\n", VTP_CMAF_INIT);
    for (int i = 0; i < t->nsegs; i++) {
        av_bprintf(&b, "#EXTINF:%.6f,\n", seconds(t->segs[i].duration, t->time_base));
        av_bprintf(&b, VTP_CMAF_SEGMENT "\n", t->segs[i].number);
    }
    if (ended)
        av_bprintf(&b, "#EXT-X-ENDLIST\n");
    return finish(&b, text);
}

static int check_tracks(const vtp_track *video, int nv, const vtp_track *audio)
{
    if (nv < 1)
        return AVERROR(EINVAL);
    for (int i = 0; i < nv; i++)
        if (video[i].nsegs < 1)
            return AVERROR(EINVAL);
    return audio && audio->nsegs < 1 ? AVERROR(EINVAL) : 0;
}

int vtp_hls_master(const vtp_track *video, int nv, const vtp_track *audio, char **text)
{
    *text = NULL;
    int ret = check_tracks(video, nv, audio);
    if (ret < 0)
        return ret;
    AVBPrint b;
    av_bprint_init(&b, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprintf(&b, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    if (audio)
        av_bprintf(&b,
                   "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"%s\",NAME=\"audio\",DEFAULT=YES,"
                   "AUTOSELECT=YES,CHANNELS=\"%d\",URI=\"%s/%s\"\n",
                   MASTER_AUDIO_GROUP, audio->channels, audio->dir, VTP_HLS_MEDIA);
    for (int i = 0; i < nv; i++) {
        const vtp_track *v = &video[i];
        /* BANDWIDTH and AVERAGE-BANDWIDTH count every rendition played
         * together: the video and its audio. */
        int64_t peak = vtp_track_peak_bps(v) + (audio ? vtp_track_peak_bps(audio) : 0);
        int64_t avg = vtp_track_average_bps(v) + (audio ? vtp_track_average_bps(audio) : 0);
        av_bprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%lld,AVERAGE-BANDWIDTH=%lld,CODECS=\"%s%s%s\","
                   "RESOLUTION=%dx%d", (long long)peak, (long long)avg, v->codecs,
                   audio ? "," : "", audio ? audio->codecs : "", v->width, v->height);
        if (v->frame_rate.num > 0 && v->frame_rate.den > 0)
            av_bprintf(&b, ",FRAME-RATE=%.3f", av_q2d(v->frame_rate));
        if (audio)
            av_bprintf(&b, ",AUDIO=\"%s\"", MASTER_AUDIO_GROUP);
        av_bprintf(&b, "\n%s/%s\n", v->dir, VTP_HLS_MEDIA);
    }
    return finish(&b, text);
}

/* "PT12.345S" */
static void iso_duration(AVBPrint *b, double s)
{
    av_bprintf(b, "PT%.3fS", s);
}

static void mpd_representation(AVBPrint *b, const vtp_track *t, const char *id)
{
    av_bprintf(b, "      <Representation id=\"%s\" bandwidth=\"%lld\" codecs=\"%s\"", id,
               (long long)vtp_track_peak_bps(t), t->codecs);
    if (t->width)
        av_bprintf(b, " width=\"%d\" height=\"%d\" sar=\"1:1\"", t->width, t->height);
    if (t->width && t->frame_rate.num > 0 && t->frame_rate.den > 0)
        av_bprintf(b, " frameRate=\"%d/%d\"", t->frame_rate.num, t->frame_rate.den);
    if (!t->width)
        av_bprintf(b, " audioSamplingRate=\"%d\"", t->sample_rate);
    av_bprintf(b, ">\n");
    if (!t->width)
        av_bprintf(b, "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:"
                   "audio_channel_configuration:2011\" value=\"%d\"/>\n", t->channels);
    /* Times in the track's own time base; the media shows a frame at its
     * pts plus the shift, and the presentation starts at the origin, the
     * same instant in every track (audio may hold encoder priming before
     * it, which is not shown). */
    int64_t origin = t->origin + t->shift;
    av_bprintf(b, "        <SegmentTemplate timescale=\"%d\" presentationTimeOffset=\"%lld\" "
               "initialization=\"%s/%s\" media=\"%s/seg-$Number%%05d$.m4s\" startNumber=\"%u\">\n",
               t->time_base.den, (long long)origin, t->dir,
               VTP_CMAF_INIT, t->dir, t->segs[0].number);
    av_bprintf(b, "          <SegmentTimeline>\n");
    for (int i = 0; i < t->nsegs;) {
        int j = i + 1;
        while (j < t->nsegs && t->segs[j].duration == t->segs[i].duration &&
               t->segs[j].start == t->segs[j - 1].start + t->segs[j - 1].duration)
            j++;
        av_bprintf(b, "            <S t=\"%lld\" d=\"%lld\"", (long long)(t->segs[i].start + t->shift),
                   (long long)t->segs[i].duration);
        if (j - i > 1)
            av_bprintf(b, " r=\"%d\"", j - i - 1);
        av_bprintf(b, "/>\n");
        i = j;
    }
    av_bprintf(b, "          </SegmentTimeline>\n        </SegmentTemplate>\n      </Representation>\n");
}

/* From the presentation's start to the end of t's last segment. */
static double track_seconds(const vtp_track *t)
{
    const vtp_cmaf_info *last = &t->segs[t->nsegs - 1];
    return seconds(last->start + last->duration - t->origin, t->time_base);
}

int vtp_dash_mpd(const vtp_track *video, int nv, const vtp_track *audio, char **text)
{
    *text = NULL;
    int ret = check_tracks(video, nv, audio);
    if (ret < 0)
        return ret;
    for (int i = 0; i < nv; i++)
        if (video[i].time_base.num != 1)
            return AVERROR(EINVAL);     /* a timescale is 1/den */
    if (audio && audio->time_base.num != 1)
        return AVERROR(EINVAL);
    /* The presentation lasts until its longest track ends. */
    double total = audio ? track_seconds(audio) : 0, longest = 0;
    for (int i = 0; i < nv; i++)
        total = fmax(total, track_seconds(&video[i]));
    for (int i = 0; i < video[0].nsegs; i++)
        longest = fmax(longest, seconds(video[0].segs[i].duration, video[0].time_base));
    AVBPrint b;
    av_bprint_init(&b, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprintf(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
               "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
               "profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" type=\"static\" "
               "mediaPresentationDuration=\"");
    iso_duration(&b, total);
    av_bprintf(&b, "\" minBufferTime=\"");
    iso_duration(&b, fmax(1, ceil(longest)));
    av_bprintf(&b, "\">\n  <Period id=\"0\" start=\"PT0S\">\n");
    av_bprintf(&b, "    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\" "
               "segmentAlignment=\"true\" startWithSAP=\"1\">\n");
    for (int i = 0; i < nv; i++) {
        char id[16];
        snprintf(id, sizeof(id), "v%d", i);
        mpd_representation(&b, &video[i], id);
    }
    av_bprintf(&b, "    </AdaptationSet>\n");
    if (audio) {
        av_bprintf(&b, "    <AdaptationSet id=\"1\" contentType=\"audio\" mimeType=\"audio/mp4\" "
                   "segmentAlignment=\"true\" startWithSAP=\"1\" lang=\"und\">\n");
        mpd_representation(&b, audio, "a0");
        av_bprintf(&b, "    </AdaptationSet>\n");
    }
    av_bprintf(&b, "  </Period>\n</MPD>\n");
    return finish(&b, text);
}

int vtp_playlist_write(const char *path, const char *text)
{
    return vtp_file_write(path, (const uint8_t *)text, strlen(text), FILE_MODE, 1);
}
