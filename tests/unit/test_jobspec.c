/* test_jobspec.c -- job specs as JSON (include/vtp_jobspec.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "vtp_error.h"
#include "vtp_jobspec.h"

#include "suites.h"

static int parse(const char *json, vtp_jobspec *j, char *why, size_t why_size)
{
    return vtp_jobspec_parse(json, strlen(json), j, why, why_size);
}

static const char *opt(const vtp_jobspec *j, const char *key)
{
    const AVDictionaryEntry *e = av_dict_get(j->opts.codec_opts, key, NULL, AV_DICT_MATCH_CASE);
    return e ? e->value : NULL;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Field-by-field equality; codec options compared as sets. */
static void assert_same_spec(const vtp_jobspec *a, const vtp_jobspec *b)
{
    const AVDictionaryEntry *e = NULL;
    ck_assert(same_str(a->input, b->input));
    ck_assert(same_str(a->output, b->output));
    ck_assert(same_str(a->opts.encoder, b->opts.encoder));
    ck_assert(same_str(a->opts.vf, b->opts.vf));
    /* NULL audio (an initialised spec) means "auto". */
    ck_assert(same_str(a->audio ? a->audio : "auto", b->audio ? b->audio : "auto"));
    ck_assert(a->segment_seconds == b->segment_seconds);
    ck_assert_int_eq(a->priority, b->priority);
    ck_assert_int_eq(a->overwrite, b->overwrite);
    ck_assert_int_eq(a->nrenditions, b->nrenditions);
    for (int i = 0; i < a->nrenditions; i++)
        ck_assert_msg(same_str(a->renditions[i], b->renditions[i]), "rendition %d", i);
    ck_assert_int_eq(a->live_playlist, b->live_playlist);
    ck_assert_int_eq(av_dict_count(a->opts.codec_opts), av_dict_count(b->opts.codec_opts));
    while ((e = av_dict_get(a->opts.codec_opts, "", e, AV_DICT_IGNORE_SUFFIX)))
        ck_assert_msg(same_str(e->value, opt(b, e->key)), "option %s", e->key);
}

/* to_json, parse it back, compare; and the canonical text is stable. */
static void assert_roundtrip(const vtp_jobspec *j)
{
    char why[256] = "";
    vtp_jobspec back;
    char *text = vtp_jobspec_to_json(j);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(parse(text, &back, why, sizeof(why)), 0);
    assert_same_spec(j, &back);
    char *again = vtp_jobspec_to_json(&back);
    ck_assert_ptr_nonnull(again);
    ck_assert_str_eq(text, again);
    ck_assert_ptr_null(strchr(text, '\n'));
    free(text);
    free(again);
    vtp_jobspec_clear(&back);
}

START_TEST(test_jobspec_full_roundtrip)
{
    const char *json =
        "{\"input\": \"in/t\\u00e4lk.mkv\", \"output\": \"/out/talk.mp4\", \"encoder\": \"libx264\","
        " \"crf\": 23.5, \"bitrate\": \"2M\", \"preset\": \"slow\","
        " \"options\": {\"x264-params\": \"keyint=240\", \"g\": 250, \"qcomp\": 0.1},"
        " \"vf\": \"scale=1280:-2\", \"audio\": \"aac\", \"segment\": 2.5, \"priority\": -7,"
        " \"overwrite\": true}";
    char why[256] = "";
    vtp_jobspec j;

    ck_assert_msg(parse(json, &j, why, sizeof(why)) == 0, "why: %s", why);
    ck_assert_str_eq(j.input, "in/t\xc3\xa4lk.mkv");
    ck_assert_str_eq(j.output, "/out/talk.mp4");
    ck_assert_str_eq(j.opts.encoder, "libx264");
    ck_assert_str_eq(j.opts.vf, "scale=1280:-2");
    ck_assert_str_eq(j.audio, "aac");
    ck_assert(j.segment_seconds == 2.5);
    ck_assert_int_eq(j.priority, -7);
    ck_assert_int_eq(j.overwrite, 1);
    ck_assert_int_eq(av_dict_count(j.opts.codec_opts), 6);
    ck_assert_str_eq(opt(&j, "crf"), "23.5");
    ck_assert_str_eq(opt(&j, "b"), "2M");
    ck_assert_str_eq(opt(&j, "preset"), "slow");
    ck_assert_str_eq(opt(&j, "x264-params"), "keyint=240");
    ck_assert_str_eq(opt(&j, "g"), "250");
    ck_assert_str_eq(opt(&j, "qcomp"), "0.1");
    assert_roundtrip(&j);

    /* The canonical form: options folded and sorted, reals short. */
    char *text = vtp_jobspec_to_json(&j);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "\"options\":{\"b\":\"2M\",\"crf\":\"23.5\",\"g\":\"250\","
                               "\"preset\":\"slow\",\"qcomp\":\"0.1\","
                               "\"x264-params\":\"keyint=240\"}") != NULL, "json: %s", text);
    ck_assert_msg(strstr(text, "\"segment\":2.5,") != NULL, "json: %s", text);
    ck_assert_ptr_null(strstr(text, "\"crf\":23"));
    free(text);
    vtp_jobspec_clear(&j);

    /* Segment lengths that need many digits still read back exactly. */
    static const double segs[] = {0.04, 0.1, 1.0 / 3.0, 86400, 10};
    for (int i = 0; i < 5; i++) {
        vtp_jobspec_init(&j);
        j.input = strdup("a.mkv");
        j.output = strdup("b.mkv");
        j.segment_seconds = segs[i];
        assert_roundtrip(&j);
        vtp_jobspec_clear(&j);
    }
}
END_TEST

START_TEST(test_jobspec_defaults)
{
    char why[256] = "";
    vtp_jobspec j;

    ck_assert_int_eq(parse("{\"input\":\"a.mkv\",\"output\":\"b.mp4\"}", &j, why, sizeof(why)), 0);
    ck_assert_str_eq(j.input, "a.mkv");
    ck_assert_str_eq(j.output, "b.mp4");
    ck_assert_ptr_null(j.opts.encoder);
    ck_assert_ptr_null(j.opts.vf);
    ck_assert_ptr_null(j.opts.codec_opts);
    ck_assert_str_eq(j.audio, "auto");
    ck_assert(j.segment_seconds == 0);      /* planned */
    ck_assert_int_eq(j.priority, 0);
    ck_assert_int_eq(j.overwrite, 0);

    char *text = vtp_jobspec_to_json(&j);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "{\"input\":\"a.mkv\",\"output\":\"b.mp4\",\"options\":{},"
                           "\"audio\":\"auto\",\"priority\":0,"
                           "\"overwrite\":false,\"on_error\":\"fail\"}");
    free(text);
    assert_roundtrip(&j);
    vtp_jobspec_clear(&j);

    /* Explicit nulls for encoder and vf are the defaults. */
    ck_assert_int_eq(parse("{\"input\":\"a\",\"output\":\"b\",\"encoder\":null,\"vf\":null}", &j,
                           why, sizeof(why)), 0);
    ck_assert_ptr_null(j.opts.encoder);
    ck_assert_ptr_null(j.opts.vf);
    vtp_jobspec_clear(&j);

    /* Shorthand forms: numeric string crf, integer bitrate. */
    ck_assert_int_eq(parse("{\"input\":\"a\",\"output\":\"b\",\"crf\":\"28\",\"bitrate\":2000000,"
                           "\"audio\":\"none\",\"segment\":1}", &j, why, sizeof(why)), 0);
    ck_assert_str_eq(opt(&j, "crf"), "28");
    ck_assert_str_eq(opt(&j, "b"), "2000000");
    ck_assert_str_eq(j.audio, "none");
    ck_assert(j.segment_seconds == 1.0);
    assert_roundtrip(&j);
    vtp_jobspec_clear(&j);

    /* A struct that was only initialised writes "auto" for audio. */
    vtp_jobspec_init(&j);
    ck_assert_ptr_null(vtp_jobspec_to_json(&j));    /* no input/output */
    j.input = strdup("x");
    j.output = strdup("y");
    text = vtp_jobspec_to_json(&j);
    ck_assert_ptr_nonnull(strstr(text, "\"audio\":\"auto\""));
    free(text);
    vtp_jobspec_clear(&j);
    vtp_jobspec_clear(&j);   /* twice is fine */
}
END_TEST

START_TEST(test_jobspec_errors_name_the_key)
{
    static const char *const cases[][2] = {
        /* {json, a word the reason must contain} */
        {"{\"output\":\"o.mkv\"}", "input"},
        {"{\"input\":\"i.mkv\"}", "output"},
        {"{\"input\":\"\",\"output\":\"o\"}", "input"},
        {"{\"input\":null,\"output\":\"o\"}", "input"},
        {"{\"input\":42,\"output\":\"o\"}", "input"},
        {"{\"input\":\"i\",\"output\":\"o\",\"crf\":true}", "crf"},
        {"{\"input\":\"i\",\"output\":\"o\",\"crf\":[23]}", "crf"},
        {"{\"input\":\"i\",\"output\":\"o\",\"crf\":\"fast\"}", "crf"},
        {"{\"input\":\"i\",\"output\":\"o\",\"crf\":\"0x1A\"}", "crf"},
        {"{\"input\":\"i\",\"output\":\"o\",\"bogus\":1}", "bogus"},
        {"{\"input\":\"i\",\"output\":\"o\",\"segment\":0}", "segment"},
        {"{\"input\":\"i\",\"output\":\"o\",\"segment\":86400.5}", "segment"},
        {"{\"input\":\"i\",\"output\":\"o\",\"segment\":\"10\"}", "segment"},
        {"{\"input\":\"i\",\"output\":\"o\",\"priority\":1001}", "priority"},
        {"{\"input\":\"i\",\"output\":\"o\",\"priority\":-1001}", "priority"},
        {"{\"input\":\"i\",\"output\":\"o\",\"priority\":1.5}", "priority"},
        {"{\"input\":\"i\",\"output\":\"o\",\"overwrite\":1}", "overwrite"},
        {"{\"input\":\"i\",\"output\":\"o\",\"bitrate\":2.5}", "bitrate"},
        {"{\"input\":\"i\",\"output\":\"o\",\"bitrate\":0}", "bitrate"},
        {"{\"input\":\"i\",\"output\":\"o\",\"preset\":5}", "preset"},
        {"{\"input\":\"i\",\"output\":\"o\",\"encoder\":\"lib x264\"}", "encoder"},
        {"{\"input\":\"i\",\"output\":\"o\",\"encoder\":\"\"}", "encoder"},
        {"{\"input\":\"i\",\"output\":\"o\",\"audio\":false}", "audio"},
        {"{\"input\":\"i\",\"output\":\"o\",\"vf\":7}", "vf"},
        {"{\"input\":\"i\",\"output\":\"o\",\"options\":[1]}", "options"},
        {"{\"input\":\"i\",\"output\":\"o\",\"options\":{\"g\":[1]}}", "options"},
        {"{\"input\":\"i\",\"output\":\"o\",\"options\":{\"g\":true}}", "options"},
        {"{\"input\":\"i\",\"output\":\"o\",\"options\":{\"\":\"1\"}}", "options"},
        {"{\"input\":\"i\",\"output\":\"o\",\"crf\":20,\"options\":{\"crf\":\"21\"}}", "crf"},
        {"{\"input\":\"i\",\"output\":\"o\",\"options\":{\"g\":1,\"G\":2}}", "options"},
        {"{\"input\":\"a\",\"input\":\"b\",\"output\":\"o\"}", "input"},
        {"[{\"input\":\"i\",\"output\":\"o\"}]", "object"},
        {"\"just a string\"", "object"},
        {"{\"input\":\"i\",\"output\":\"o\"", "JSON"},
        {"{\"input\":\"i\",\"output\":\"o\"} trailing", "JSON"},
        {"", "JSON"},
        {"{\"input\":\"a\\u0000b\",\"output\":\"o\"}", "JSON"},
        {"{\"input\":\"i\",\"output\":\"o\",\"options\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":"
         "{\"g\":{}}}}}}}}}", "nested"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char why[256] = "";
        vtp_jobspec j;
        int ret = parse(cases[i][0], &j, why, sizeof(why));
        ck_assert_msg(ret == VTP_ERR_USAGE, "case %zu (%s): ret %d", i, cases[i][0], ret);
        ck_assert_msg(strstr(why, cases[i][1]) != NULL, "case %zu (%s): why '%s' lacks '%s'", i,
                      cases[i][0], why, cases[i][1]);
        ck_assert_ptr_null(strchr(why, '\n'));
        /* Nothing is left behind. */
        ck_assert_ptr_null(j.input);
        ck_assert_ptr_null(j.output);
        ck_assert_ptr_null(j.audio);
        ck_assert_ptr_null(j.opts.codec_opts);
        vtp_jobspec_clear(&j);
    }

    /* No why buffer at all. */
    vtp_jobspec j;
    ck_assert_int_eq(vtp_jobspec_parse("{", 1, &j, NULL, 0), VTP_ERR_USAGE);
    ck_assert_int_eq(vtp_jobspec_parse(NULL, 0, &j, NULL, 0), VTP_ERR_USAGE);
}
END_TEST

START_TEST(test_jobspec_limits)
{
    char why[256] = "";
    vtp_jobspec j;
    size_t cap = 80 * 1024;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);

    /* A 4096-byte input is fine, 4097 is not. */
    for (int extra = 0; extra <= 1; extra++) {
        int n = snprintf(buf, cap, "{\"output\":\"o\",\"input\":\"");
        memset(buf + n, 'x', 4096 + (size_t)extra);
        snprintf(buf + n + 4096 + extra, cap - (size_t)n - 4096 - (size_t)extra, "\"}");
        int ret = parse(buf, &j, why, sizeof(why));
        if (!extra) {
            ck_assert_int_eq(ret, 0);
            ck_assert_uint_eq(strlen(j.input), 4096);
        } else {
            ck_assert_int_eq(ret, VTP_ERR_USAGE);
            ck_assert_ptr_nonnull(strstr(why, "input"));
        }
        vtp_jobspec_clear(&j);
    }

    /* 256 options are fine, 257 are not. */
    for (int count = 256; count <= 257; count++) {
        size_t n = (size_t)snprintf(buf, cap, "{\"input\":\"i\",\"output\":\"o\",\"options\":{");
        for (int i = 0; i < count; i++)
            n += (size_t)snprintf(buf + n, cap - n, "%s\"k%d\":%d", i ? "," : "", i, i);
        snprintf(buf + n, cap - n, "}}");
        int ret = parse(buf, &j, why, sizeof(why));
        ck_assert_int_eq(ret, count == 256 ? 0 : VTP_ERR_USAGE);
        if (ret == 0)
            ck_assert_int_eq(av_dict_count(j.opts.codec_opts), 256);
        else
            ck_assert_ptr_nonnull(strstr(why, "options"));
        vtp_jobspec_clear(&j);
    }

    /* More than 64 KiB of JSON (whitespace counts). */
    memset(buf, ' ', cap);
    const char *small = "{\"input\":\"i\",\"output\":\"o\"}";
    memcpy(buf, small, strlen(small));
    ck_assert_int_eq(vtp_jobspec_parse(buf, 64 * 1024 + 1, &j, why, sizeof(why)), VTP_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(why, "larger"));
    ck_assert_int_eq(vtp_jobspec_parse(buf, 64 * 1024, &j, why, sizeof(why)), 0);
    vtp_jobspec_clear(&j);

    /* Brackets inside strings do not count as nesting. */
    ck_assert_int_eq(parse("{\"input\":\"[[[[[[[[[[{{{{{{{{\\\"\",\"output\":\"o\"}", &j, why,
                           sizeof(why)), 0);
    ck_assert_str_eq(j.input, "[[[[[[[[[[{{{{{{{{\"");
    vtp_jobspec_clear(&j);

    /* A key with a line break does not break the reason's line. */
    ck_assert_int_eq(parse("{\"in\\nput\":1}", &j, why, sizeof(why)), VTP_ERR_USAGE);
    ck_assert_ptr_null(strchr(why, '\n'));
    free(buf);
}
END_TEST

START_TEST(test_jobspec_absolutize)
{
    char *cwd = getcwd(NULL, 0);
    char expect[8192];
    vtp_jobspec j;

    ck_assert_ptr_nonnull(cwd);
    const char *base = strcmp(cwd, "/") ? cwd : "";

    vtp_jobspec_init(&j);
    j.input = strdup("a/../b/./c.mkv");
    j.output = strdup("/x/./y//../z.mp4/");
    ck_assert_int_eq(vtp_jobspec_absolutize(&j), 0);
    snprintf(expect, sizeof(expect), "%s/b/c.mkv", base);
    ck_assert_str_eq(j.input, expect);
    ck_assert_str_eq(j.output, "/x/z.mp4");
    /* Already absolute and normal: unchanged. */
    ck_assert_int_eq(vtp_jobspec_absolutize(&j), 0);
    ck_assert_str_eq(j.input, expect);
    vtp_jobspec_clear(&j);

    /* ".." past the root stays at the root; ".." of the cwd goes up. */
    vtp_jobspec_init(&j);
    j.input = strdup("/../../a");
    j.output = strdup("../out.mkv");
    ck_assert_int_eq(vtp_jobspec_absolutize(&j), 0);
    ck_assert_str_eq(j.input, "/a");
    snprintf(expect, sizeof(expect), "%s", base);
    char *slash = strrchr(expect, '/');
    if (slash)
        *slash = 0;
    snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect), "/out.mkv");
    ck_assert_str_eq(j.output, expect);
    vtp_jobspec_clear(&j);

    vtp_jobspec_init(&j);
    j.input = strdup("/");
    j.output = strdup(".");
    ck_assert_int_eq(vtp_jobspec_absolutize(&j), 0);
    ck_assert_str_eq(j.input, "/");
    ck_assert_str_eq(j.output, cwd);
    vtp_jobspec_clear(&j);

    /* Missing paths are a usage error and change nothing. */
    vtp_jobspec_init(&j);
    j.input = strdup("rel");
    ck_assert_int_eq(vtp_jobspec_absolutize(&j), VTP_ERR_USAGE);
    ck_assert_str_eq(j.input, "rel");
    vtp_jobspec_clear(&j);
    free(cwd);
}
END_TEST

/* ---- ladders ---- */

START_TEST(test_jobspec_renditions_roundtrip)
{
    const char *json = "{\"input\":\"a\",\"output\":\"o/m.m3u8\","
                       "\"renditions\":[\"1280x720,crf=23\",\"640x-2\"],\"live_playlist\":true}";
    char why[256] = "";
    vtp_jobspec j, back;

    ck_assert_msg(parse(json, &j, why, sizeof(why)) == 0, "why: %s", why);
    ck_assert_str_eq(j.input, "a");
    ck_assert_str_eq(j.output, "o/m.m3u8");
    ck_assert_int_eq(j.nrenditions, 2);
    ck_assert_ptr_nonnull(j.renditions);
    ck_assert_str_eq(j.renditions[0], "1280x720,crf=23");
    ck_assert_str_eq(j.renditions[1], "640x-2");
    ck_assert_int_eq(j.live_playlist, 1);
    /* A rung's options stay in its string, not in the job's options. */
    ck_assert_ptr_null(j.opts.codec_opts);

    char *text = vtp_jobspec_to_json(&j);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "\"renditions\":[\"1280x720,crf=23\",\"640x-2\"]") != NULL,
                  "json: %s", text);
    ck_assert_msg(strstr(text, "\"live_playlist\":true") != NULL, "json: %s", text);
    ck_assert_ptr_null(strchr(text, '\n'));
    ck_assert_msg(parse(text, &back, why, sizeof(why)) == 0, "why: %s", why);
    assert_same_spec(&j, &back);
    ck_assert_int_eq(back.nrenditions, 2);
    ck_assert_str_eq(back.renditions[0], "1280x720,crf=23");
    ck_assert_str_eq(back.renditions[1], "640x-2");
    ck_assert_int_eq(back.live_playlist, 1);
    char *again = vtp_jobspec_to_json(&back);
    ck_assert_ptr_nonnull(again);
    ck_assert_str_eq(text, again);
    free(again);
    free(text);
    vtp_jobspec_clear(&back);
    vtp_jobspec_clear(&j);
    ck_assert_ptr_null(j.renditions);
    ck_assert_int_eq(j.nrenditions, 0);
    ck_assert_int_eq(j.live_playlist, 0);

    /* live_playlist false, and the most rungs a ladder may have. */
    char buf[2048];
    size_t n = (size_t)snprintf(buf, sizeof(buf),
                                "{\"input\":\"a\",\"output\":\"o.mpd\",\"live_playlist\":false,"
                                "\"renditions\":[");
    for (int i = 0; i < 16; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"%dx%d,b=%dk\"", i ? "," : "",
                              64 + 16 * i, 36 + 8 * i, 100 + i);
    snprintf(buf + n, sizeof(buf) - n, "]}");
    ck_assert_msg(parse(buf, &j, why, sizeof(why)) == 0, "why: %s", why);
    ck_assert_int_eq(j.nrenditions, 16);
    ck_assert_str_eq(j.renditions[15], "304x156,b=115k");
    ck_assert_int_eq(j.live_playlist, 0);
    text = vtp_jobspec_to_json(&j);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(parse(text, &back, why, sizeof(why)) == 0, "why: %s", why);
    ck_assert_int_eq(back.nrenditions, 16);
    for (int i = 0; i < 16; i++)
        ck_assert_str_eq(back.renditions[i], j.renditions[i]);
    ck_assert_int_eq(back.live_playlist, 0);
    free(text);
    vtp_jobspec_clear(&back);
    vtp_jobspec_clear(&j);

    /* No ladder: no renditions key in the canonical form. */
    ck_assert_int_eq(parse("{\"input\":\"a\",\"output\":\"b.mp4\"}", &j, why, sizeof(why)), 0);
    ck_assert_int_eq(j.nrenditions, 0);
    ck_assert_ptr_null(j.renditions);
    ck_assert_int_eq(j.live_playlist, 0);
    text = vtp_jobspec_to_json(&j);
    ck_assert_ptr_null(strstr(text, "renditions"));
    free(text);
    vtp_jobspec_clear(&j);
}
END_TEST

START_TEST(test_jobspec_add_rendition)
{
    char why[256] = "";
    vtp_jobspec j;
    vtp_jobspec_init(&j);
    ck_assert_int_eq(vtp_jobspec_add_rendition(&j, "1920x1080,c=libx265,crf=26", why,
                                               sizeof(why)), 0);
    ck_assert_int_eq(vtp_jobspec_add_rendition(&j, "-2x360", why, sizeof(why)), 0);
    ck_assert_int_eq(j.nrenditions, 2);
    ck_assert_str_eq(j.renditions[0], "1920x1080,c=libx265,crf=26");
    ck_assert_str_eq(j.renditions[1], "-2x360");
    /* A bad one is refused with a reason and adds nothing. */
    why[0] = 0;
    ck_assert_int_eq(vtp_jobspec_add_rendition(&j, "1280x", why, sizeof(why)), VTP_ERR_USAGE);
    ck_assert_msg(strstr(why, "1280x") != NULL, "why: %s", why);
    ck_assert_int_eq(j.nrenditions, 2);
    why[0] = 0;
    ck_assert_int_eq(vtp_jobspec_add_rendition(&j, "640x360,crf", why, sizeof(why)),
                     VTP_ERR_USAGE);
    ck_assert_msg(strstr(why, "KEY=VALUE") != NULL, "why: %s", why);
    ck_assert_int_eq(j.nrenditions, 2);
    /* Up to 16 rungs, not 17. */
    for (int i = 2; i < 16; i++)
        ck_assert_int_eq(vtp_jobspec_add_rendition(&j, "320x180", why, sizeof(why)), 0);
    ck_assert_int_eq(j.nrenditions, 16);
    why[0] = 0;
    ck_assert_int_eq(vtp_jobspec_add_rendition(&j, "320x180", why, sizeof(why)), VTP_ERR_USAGE);
    ck_assert_msg(strstr(why, "16") != NULL, "why: %s", why);
    ck_assert_int_eq(j.nrenditions, 16);
    vtp_jobspec_clear(&j);
    ck_assert_int_eq(j.nrenditions, 0);
    ck_assert_ptr_null(j.renditions);
}
END_TEST

START_TEST(test_jobspec_renditions_errors)
{
    static const char *const cases[][2] = {
        /* {json, a word the reason must contain} */
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":\"1280x720\"}", "renditions"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":{\"a\":\"1280x720\"}}", "renditions"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":7}", "renditions"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":null}", "renditions"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[\"640x360\",7]}", "renditions"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[null]}", "renditions"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[[\"640x360\"]]}", "renditions"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[\"0x0\"]}", "0x0"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[\"x720\"]}", "x720"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[\"-2x-2\"]}", "-2x-2"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[\"1280x720\",\"1x720\"]}", "1x720"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[\"1280\"]}", "1280"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[\"\"]}", "rendition"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[\"640x360,=1\"]}", "KEY=VALUE"},
        {"{\"input\":\"i\",\"output\":\"o\",\"live_playlist\":1}", "live_playlist"},
        {"{\"input\":\"i\",\"output\":\"o\",\"live_playlist\":\"true\"}", "live_playlist"},
        {"{\"input\":\"i\",\"output\":\"o\",\"live_playlist\":null}", "live_playlist"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[\"640x360\"],"
         "\"live_playlist\":[true]}", "live_playlist"},
        /* A live playlist without a ladder. */
        {"{\"input\":\"i\",\"output\":\"o\",\"live_playlist\":true}", "renditions"},
        {"{\"input\":\"i\",\"output\":\"o\",\"renditions\":[],\"live_playlist\":true}",
         "renditions"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char why[256] = "";
        vtp_jobspec j;
        int ret = parse(cases[i][0], &j, why, sizeof(why));
        ck_assert_msg(ret == VTP_ERR_USAGE, "case %zu (%s): ret %d", i, cases[i][0], ret);
        ck_assert_msg(strstr(why, cases[i][1]) != NULL, "case %zu (%s): why '%s' lacks '%s'", i,
                      cases[i][0], why, cases[i][1]);
        ck_assert_ptr_null(strchr(why, '\n'));
        /* Nothing is left behind, not even the rungs read before. */
        ck_assert_ptr_null(j.input);
        ck_assert_ptr_null(j.output);
        ck_assert_ptr_null(j.renditions);
        ck_assert_int_eq(j.nrenditions, 0);
        ck_assert_int_eq(j.live_playlist, 0);
        vtp_jobspec_clear(&j);
    }

    /* More than 16 rungs. */
    char buf[2048], why[256] = "";
    vtp_jobspec j;
    size_t n = (size_t)snprintf(buf, sizeof(buf),
                                "{\"input\":\"i\",\"output\":\"o\",\"renditions\":[");
    for (int i = 0; i < 17; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"%dx360\"", i ? "," : "",
                              640 + 2 * i);
    snprintf(buf + n, sizeof(buf) - n, "]}");
    ck_assert_int_eq(parse(buf, &j, why, sizeof(why)), VTP_ERR_USAGE);
    ck_assert_msg(strstr(why, "at most 16 renditions") != NULL, "why: %s", why);
    ck_assert_ptr_null(j.renditions);
    ck_assert_int_eq(j.nrenditions, 0);
    vtp_jobspec_clear(&j);
}
END_TEST

Suite *jobspec_suite(void)
{
    Suite *s = suite_create("jobspec");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_jobspec_full_roundtrip);
    tcase_add_test(tc, test_jobspec_defaults);
    tcase_add_test(tc, test_jobspec_errors_name_the_key);
    tcase_add_test(tc, test_jobspec_limits);
    tcase_add_test(tc, test_jobspec_absolutize);
    tcase_add_test(tc, test_jobspec_renditions_roundtrip);
    tcase_add_test(tc, test_jobspec_add_rendition);
    tcase_add_test(tc, test_jobspec_renditions_errors);
    suite_add_tcase(s, tc);
    return s;
}
