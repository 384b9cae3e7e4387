/* fuzz_jobspec.c -- libFuzzer target for job specs (JSON from clients).
 *
 * The input is the JSON text as it arrives (not NUL-terminated). For every
 * input vtp_jobspec_parse() must return 0, VTP_ERR_USAGE or VTP_ERR_NOMEM;
 * on failure the spec must be left as vtp_jobspec_init() makes it, with a
 * one-line reason; the answer must not depend on whether a reason is asked
 * for. A spec that parses must be within the documented limits, and
 * vtp_jobspec_to_json() then parse then vtp_jobspec_to_json() must succeed
 * and give the same spec and the same text (the canonical form is stable).
 * vtp_jobspec_absolutize() must give paths that are absolute, normalised
 * and still serialisable. Any broken expectation is abort(), i.e. a finding.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtp_error.h"
#include "vtp_jobspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_failed(const char *what, int line) __attribute__((noreturn));
static void check_failed(const char *what, int line)
{
    fprintf(stderr, "fuzz_jobspec.c:%d: check failed: %s\n", line, what);
    abort();
}

#define CHECK(cond)                               \
    do {                                          \
        if (!(cond))                              \
            check_failed(#cond, __LINE__);        \
    } while (0)

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* As vtp_jobspec_init() leaves it. */
static void check_blank(const vtp_jobspec *j)
{
    CHECK(!j->input && !j->output && !j->audio);
    CHECK(!j->opts.encoder && !j->opts.vf && !j->opts.codec_opts);
    CHECK(j->segment_seconds == 0 && j->priority == 0 && j->overwrite == 0);
    CHECK(j->skip_errors == 0);
}

/* A reason: non-empty, one line, no control characters. */
static void check_why(const char *why, size_t size)
{
    size_t n = strnlen(why, size);
    CHECK(n > 0 && n < size);
    for (size_t i = 0; i < n; i++)
        CHECK((unsigned char)why[i] >= 0x20 && why[i] != 0x7f);
}

static int is_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

static void check_spec(const vtp_jobspec *j)
{
    CHECK(j->input && j->input[0] && strlen(j->input) <= VTP_JOBSPEC_MAX_STRING);
    CHECK(j->output && j->output[0] && strlen(j->output) <= VTP_JOBSPEC_MAX_STRING);
    CHECK(j->audio && strlen(j->audio) <= VTP_JOBSPEC_MAX_NAME && is_name(j->audio));
    CHECK(!j->opts.encoder ||
          (strlen(j->opts.encoder) <= VTP_JOBSPEC_MAX_NAME && is_name(j->opts.encoder)));
    CHECK(!j->opts.vf || (j->opts.vf[0] && strlen(j->opts.vf) <= VTP_JOBSPEC_MAX_STRING));
    CHECK(j->segment_seconds == 0 ||      /* planned */
          (j->segment_seconds >= 0.04 && j->segment_seconds <= 86400));
    CHECK(j->priority >= -1000 && j->priority <= 1000);
    CHECK(j->overwrite == 0 || j->overwrite == 1);
    CHECK(j->skip_errors == 0 || j->skip_errors == 1);
    CHECK(av_dict_count(j->opts.codec_opts) <= VTP_JOBSPEC_MAX_OPTIONS);
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(j->opts.codec_opts, "", e, AV_DICT_IGNORE_SUFFIX))) {
        CHECK(e->key[0] && strlen(e->key) <= VTP_JOBSPEC_MAX_NAME);
        CHECK(strlen(e->value) <= VTP_JOBSPEC_MAX_STRING);
        /* No two options that libav would take for one. */
        CHECK(av_dict_get(j->opts.codec_opts, e->key, NULL, 0) == e);
    }
}

static int same_spec(const vtp_jobspec *a, const vtp_jobspec *b)
{
    const AVDictionaryEntry *e = NULL;
    if (!same_str(a->input, b->input) || !same_str(a->output, b->output) ||
        !same_str(a->opts.encoder, b->opts.encoder) || !same_str(a->opts.vf, b->opts.vf) ||
        !same_str(a->audio, b->audio) || a->segment_seconds != b->segment_seconds ||
        a->priority != b->priority || a->overwrite != b->overwrite ||
        a->skip_errors != b->skip_errors ||
        av_dict_count(a->opts.codec_opts) != av_dict_count(b->opts.codec_opts))
        return 0;
    while ((e = av_dict_get(a->opts.codec_opts, "", e, AV_DICT_IGNORE_SUFFIX))) {
        const AVDictionaryEntry *f = av_dict_get(b->opts.codec_opts, e->key, NULL,
                                                 AV_DICT_MATCH_CASE);
        if (!f || strcmp(e->value, f->value))
            return 0;
    }
    return 1;
}

/* to_json, parse, to_json: the same spec and the same text. */
static void check_roundtrip(const vtp_jobspec *j)
{
    char why[256];
    vtp_jobspec back;
    char *text = vtp_jobspec_to_json(j);
    CHECK(text != NULL);
    CHECK(!strchr(text, '\n'));
    int ret = vtp_jobspec_parse(text, strlen(text), &back, why, sizeof(why));
    if (ret < 0)
        fprintf(stderr, "fuzz_jobspec: canonical form refused (%s): %s\n", why, text);
    CHECK(ret == 0);
    check_spec(&back);
    CHECK(same_spec(j, &back));
    char *again = vtp_jobspec_to_json(&back);
    CHECK(again != NULL);
    if (strcmp(text, again))
        fprintf(stderr, "fuzz_jobspec: canonical form not stable:\n  %s\n  %s\n", text, again);
    CHECK(!strcmp(text, again));
    free(again);
    free(text);
    vtp_jobspec_clear(&back);
}

/* Absolute and lexically normal: no empty, "." or ".." component. */
static int is_normal_path(const char *p)
{
    if (p[0] != '/')
        return 0;
    if (!strcmp(p, "/"))
        return 1;
    for (const char *s = p + 1;; ) {
        size_t n = strcspn(s, "/");
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return 0;
        if (!s[n])
            return 1;
        s += n + 1;
    }
}

static void check_absolutize(const vtp_jobspec *j)
{
    vtp_jobspec a = *j;         /* absolutize replaces the two paths only */
    CHECK((a.input = strdup(j->input)) != NULL && (a.output = strdup(j->output)) != NULL);
    char *in = a.input, *out = a.output;
    int ret = vtp_jobspec_absolutize(&a);
    CHECK(ret == 0 || ret == VTP_ERR_USAGE || ret == VTP_ERR_NOMEM);
    if (ret < 0) {
        CHECK(a.input == in && a.output == out);   /* unchanged */
    } else {
        CHECK(is_normal_path(a.input) && is_normal_path(a.output));
        CHECK(strlen(a.input) <= VTP_JOBSPEC_MAX_STRING);
        CHECK(strlen(a.output) <= VTP_JOBSPEC_MAX_STRING);
        /* An absolute normal path is its own absolute form. */
        if (j->input[0] == '/' && is_normal_path(j->input))
            CHECK(!strcmp(a.input, j->input));
        check_roundtrip(&a);
    }
    free(a.input);
    free(a.output);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    vtp_jobspec j;

    memset(&j, 0x5a, sizeof(j));    /* parse() initialises it itself */
    memset(why, 'x', sizeof(why));
    int ret = vtp_jobspec_parse((const char *)data, size, &j, why, sizeof(why));
    CHECK(ret == 0 || ret == VTP_ERR_USAGE || ret == VTP_ERR_NOMEM);

    /* The same answer without a reason buffer, and with a tiny one. */
    vtp_jobspec k;
    CHECK(vtp_jobspec_parse((const char *)data, size, &k, NULL, 0) == ret);
    vtp_jobspec_clear(&k);
    char tiny[4];
    CHECK(vtp_jobspec_parse((const char *)data, size, &k, tiny, sizeof(tiny)) == ret);
    CHECK(strnlen(tiny, sizeof(tiny)) < sizeof(tiny));
    vtp_jobspec_clear(&k);

    if (ret < 0) {
        check_blank(&j);
        check_why(why, sizeof(why));
        return 0;
    }
    CHECK(why[0] == 0);
    check_spec(&j);
    check_roundtrip(&j);
    check_absolutize(&j);
    vtp_jobspec_clear(&j);
    check_blank(&j);
    return 0;
}
