/* jobspec.c -- job specs to and from JSON (see vtp_jobspec.h).
 *
 * The parser is the one gate every queued job passes, so it is strict: the
 * input is size- and depth-checked before jansson sees it, duplicate keys
 * are rejected by jansson, and each key is checked for type and range with
 * a reason that names it. Messages never hold a line break (control
 * characters are replaced), whatever the input held.
 *
 * GUARANTEES
 *  - vtp_jobspec_parse() fills either a complete, valid spec or nothing.
 *  - vtp_jobspec_to_json() writes only what vtp_jobspec_parse() accepts for
 *    a spec that came from it, and parsing it gives back an equal spec
 *    (reals are written with the fewest digits that read back exactly).
 *  - vtp_jobspec_absolutize() changes j only when both paths succeeded.
 */
#include "vtp_jobspec.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libavutil/error.h>

#include "vtp_error.h"
#include "vtp_rendition.h"

#define DEFAULT_SEGMENT_S 0.0    /* planned (vtp_cutter.h) */
#define MIN_SEGMENT_S 0.04
#define MAX_SEGMENT_S 86400.0
#define MIN_PRIORITY (-1000)
#define MAX_PRIORITY 1000

void vtp_jobspec_init(vtp_jobspec *j)
{
    memset(j, 0, sizeof(*j));
    vtp_enc_opts_init(&j->opts);
    j->segment_seconds = DEFAULT_SEGMENT_S;
}

static int set_why(char *why, size_t size, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void vtp_jobspec_clear(vtp_jobspec *j)
{
    free(j->input);
    free(j->output);
    free(j->audio);
    vtp_enc_opts_clear(&j->opts);
    for (int i = 0; i < j->nrenditions; i++)
        free(j->renditions[i]);
    free(j->renditions);
    vtp_jobspec_init(j);
}

int vtp_jobspec_add_rendition(vtp_jobspec *j, const char *spec, char *why, size_t why_size)
{
    vtp_rendition r;
    char bad[512];
    if (j->nrenditions >= VTP_MAX_RENDITIONS)
        return set_why(why, why_size, VTP_ERR_USAGE, "a ladder has at most %d renditions",
                       VTP_MAX_RENDITIONS);
    if (vtp_rendition_parse(spec, &r, bad, sizeof(bad)) < 0)
        return set_why(why, why_size, VTP_ERR_USAGE, "%s", bad);
    vtp_rendition_clear(&r);
    char **v = realloc(j->renditions, sizeof(*v) * (size_t)(j->nrenditions + 1));
    if (!v)
        return VTP_ERR_NOMEM;
    j->renditions = v;
    if (!(v[j->nrenditions] = strdup(spec)))
        return VTP_ERR_NOMEM;
    j->nrenditions++;
    return 0;
}

/* Writes a reason into why (if there is room) with control characters
 * replaced, and returns err. */
static int set_why(char *why, size_t size, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int set_why(char *why, size_t size, int err, const char *fmt, ...)
{
    if (!why || !size)
        return err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    for (char *p = why; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return err;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Nesting depth of the JSON text (brackets outside strings), so that a
 * deeply nested document is refused before the recursive parser sees it.
 * Returns -1 as soon as max is passed. */
static int json_depth(const char *s, size_t len, int max)
{
    int depth = 0, deepest = 0, in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return -1;
            if (depth > deepest)
                deepest = depth;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return deepest;
}

/* The fewest significant digits (1..17) with which "%.*g" gives back d. */
static int shortest_precision(double d)
{
    char buf[64];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return prec;
}

/* The precision for jansson to write d exactly and, when |d| >= 1, without
 * an exponent (10.0, not 1e1). */
static int real_precision(double d)
{
    int prec = shortest_precision(d), digits = 1;
    for (double a = fabs(d); a >= 10 && digits < 17; a /= 10)
        digits++;
    return prec > digits ? prec : digits;
}

/* A string value: type, length and (if nonempty) emptiness checked; the
 * copy goes to *out (freed first). */
static int take_string(const char *key, const json_t *v, size_t max, int nonempty, char **out,
                       char *why, size_t why_size)
{
    if (!json_is_string(v))
        return set_why(why, why_size, VTP_ERR_USAGE, "'%s' must be a string, not %s", key,
                       type_name(v));
    size_t n = json_string_length(v);
    if (nonempty && n == 0)
        return set_why(why, why_size, VTP_ERR_USAGE, "'%s' must not be empty", key);
    if (n > max)
        return set_why(why, why_size, VTP_ERR_USAGE, "'%s' is longer than %zu bytes", key, max);
    char *copy = strdup(json_string_value(v));
    if (!copy)
        return set_why(why, why_size, VTP_ERR_NOMEM, "out of memory");
    free(*out);
    *out = copy;
    return 0;
}

/* Whether s looks like a libavcodec encoder name. */
static int is_codec_name(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

static int take_name(const char *key, const json_t *v, char **out, char *why, size_t why_size)
{
    int ret = take_string(key, v, VTP_JOBSPEC_MAX_NAME, 1, out, why, why_size);
    if (ret < 0)
        return ret;
    if (!is_codec_name(*out))
        return set_why(why, why_size, VTP_ERR_USAGE,
                       "'%s' must be an encoder name (letters, digits, '_', '-', '.'), not '%.64s'",
                       key, *out);
    return 0;
}

/* Adds codec option name=value; from names the JSON key it came from. An
 * option libav would see as the same (keys compare case-insensitively) is
 * an error. */
static int add_option(vtp_jobspec *j, const char *from, const char *name, const char *value,
                      char *why, size_t why_size)
{
    if (av_dict_get(j->opts.codec_opts, name, NULL, 0))
        return set_why(why, why_size, VTP_ERR_USAGE,
                       "'%s': codec option '%.64s' is given twice", from, name);
    if (av_dict_count(j->opts.codec_opts) >= VTP_JOBSPEC_MAX_OPTIONS)
        return set_why(why, why_size, VTP_ERR_USAGE, "'%s': more than %d codec options", from,
                       VTP_JOBSPEC_MAX_OPTIONS);
    if (av_dict_set(&j->opts.codec_opts, name, value, 0) < 0)
        return set_why(why, why_size, VTP_ERR_NOMEM, "out of memory");
    return 0;
}

/* A JSON number as the text of a codec option. */
static void number_text(const json_t *v, char *buf, size_t size)
{
    if (json_is_integer(v))
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        snprintf(buf, size, "%.*g", shortest_precision(json_real_value(v)), json_real_value(v));
}

/* Whether s is a plain decimal number ("23", "-1.5", "2e1"). */
static int is_numeric(const char *s)
{
    if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
        return 0;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    return !*end && errno != ERANGE && isfinite(d);
}

static int parse_crf(vtp_jobspec *j, const json_t *v, char *why, size_t why_size)
{
    char buf[64];
    const char *text = buf;
    if (json_is_number(v)) {
        number_text(v, buf, sizeof(buf));
    } else if (json_is_string(v) && json_string_length(v) < 64 && is_numeric(json_string_value(v))) {
        text = json_string_value(v);
    } else {
        return set_why(why, why_size, VTP_ERR_USAGE,
                       "'crf' must be a number or a numeric string, not %s",
                       json_is_string(v) ? "a non-numeric string" : type_name(v));
    }
    return add_option(j, "crf", "crf", text, why, why_size);
}

static int parse_bitrate(vtp_jobspec *j, const json_t *v, char *why, size_t why_size)
{
    char buf[64];
    if (json_is_integer(v)) {
        if (json_integer_value(v) <= 0)
            return set_why(why, why_size, VTP_ERR_USAGE, "'bitrate' must be positive");
        number_text(v, buf, sizeof(buf));
        return add_option(j, "bitrate", "b", buf, why, why_size);
    }
    if (!json_is_string(v))
        return set_why(why, why_size, VTP_ERR_USAGE,
                       "'bitrate' must be a string or an integer, not %s", type_name(v));
    if (json_string_length(v) == 0 || json_string_length(v) > VTP_JOBSPEC_MAX_NAME)
        return set_why(why, why_size, VTP_ERR_USAGE, "'bitrate' must be 1 to %d bytes long",
                       VTP_JOBSPEC_MAX_NAME);
    return add_option(j, "bitrate", "b", json_string_value(v), why, why_size);
}

static int parse_preset(vtp_jobspec *j, const json_t *v, char *why, size_t why_size)
{
    if (!json_is_string(v))
        return set_why(why, why_size, VTP_ERR_USAGE, "'preset' must be a string, not %s",
                       type_name(v));
    if (json_string_length(v) == 0 || json_string_length(v) > VTP_JOBSPEC_MAX_NAME)
        return set_why(why, why_size, VTP_ERR_USAGE, "'preset' must be 1 to %d bytes long",
                       VTP_JOBSPEC_MAX_NAME);
    return add_option(j, "preset", "preset", json_string_value(v), why, why_size);
}

static int parse_options(vtp_jobspec *j, const json_t *v, char *why, size_t why_size)
{
    const char *name;
    const json_t *value;

    if (!json_is_object(v))
        return set_why(why, why_size, VTP_ERR_USAGE, "'options' must be an object, not %s",
                       type_name(v));
    if (json_object_size(v) > VTP_JOBSPEC_MAX_OPTIONS)
        return set_why(why, why_size, VTP_ERR_USAGE, "'options' has more than %d entries",
                       VTP_JOBSPEC_MAX_OPTIONS);
    json_object_foreach((json_t *)v, name, value) {
        char buf[64];
        const char *text = buf;
        size_t n = strlen(name);
        if (n == 0 || n > VTP_JOBSPEC_MAX_NAME)
            return set_why(why, why_size, VTP_ERR_USAGE,
                           "'options' keys must be 1 to %d bytes long", VTP_JOBSPEC_MAX_NAME);
        if (json_is_string(value)) {
            if (json_string_length(value) > VTP_JOBSPEC_MAX_STRING)
                return set_why(why, why_size, VTP_ERR_USAGE,
                               "'options': value of '%.64s' is longer than %d bytes", name,
                               VTP_JOBSPEC_MAX_STRING);
            text = json_string_value(value);
        } else if (json_is_number(value)) {
            number_text(value, buf, sizeof(buf));
        } else {
            return set_why(why, why_size, VTP_ERR_USAGE,
                           "'options': value of '%.64s' must be a string or a number, not %s",
                           name, type_name(value));
        }
        int ret = add_option(j, "options", name, text, why, why_size);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int parse_audio(vtp_jobspec *j, const json_t *v, char *why, size_t why_size)
{
    return take_name("audio", v, &j->audio, why, why_size);
}

static int parse_segment(vtp_jobspec *j, const json_t *v, char *why, size_t why_size)
{
    if (!json_is_number(v))
        return set_why(why, why_size, VTP_ERR_USAGE, "'segment' must be a number, not %s",
                       type_name(v));
    double d = json_number_value(v);
    if (!(d >= MIN_SEGMENT_S && d <= MAX_SEGMENT_S))
        return set_why(why, why_size, VTP_ERR_USAGE,
                       "'segment' must be between 0.04 and 86400 seconds");
    j->segment_seconds = d;
    return 0;
}

static int parse_priority(vtp_jobspec *j, const json_t *v, char *why, size_t why_size)
{
    if (!json_is_integer(v))
        return set_why(why, why_size, VTP_ERR_USAGE, "'priority' must be an integer, not %s",
                       type_name(v));
    json_int_t p = json_integer_value(v);
    if (p < MIN_PRIORITY || p > MAX_PRIORITY)
        return set_why(why, why_size, VTP_ERR_USAGE,
                       "'priority' must be between %d and %d", MIN_PRIORITY, MAX_PRIORITY);
    j->priority = (int)p;
    return 0;
}

static int parse_overwrite(vtp_jobspec *j, const json_t *v, char *why, size_t why_size)
{
    if (!json_is_boolean(v))
        return set_why(why, why_size, VTP_ERR_USAGE, "'overwrite' must be true or false, not %s",
                       type_name(v));
    j->overwrite = json_is_true(v);
    return 0;
}

static int parse_on_error(vtp_jobspec *j, const json_t *v, char *why, size_t why_size)
{
    const char *mode = json_string_value(v);
    if (!mode || (strcmp(mode, "fail") != 0 && strcmp(mode, "skip") != 0))
        return set_why(why, why_size, VTP_ERR_USAGE, "'on_error' must be \"fail\" or \"skip\"");
    j->skip_errors = strcmp(mode, "skip") == 0;
    return 0;
}

static int parse_renditions(vtp_jobspec *j, const json_t *v, char *why, size_t why_size)
{
    size_t i;
    json_t *e;
    if (!json_is_array(v))
        return set_why(why, why_size, VTP_ERR_USAGE, "'renditions' must be an array of "
                       "\"WxH[,KEY=VALUE]...\" strings, not %s", type_name(v));
    json_array_foreach(v, i, e) {
        const char *spec = json_string_value(e);
        if (!spec || strlen(spec) > VTP_JOBSPEC_MAX_STRING)
            return set_why(why, why_size, VTP_ERR_USAGE, "'renditions' must hold "
                           "\"WxH[,KEY=VALUE]...\" strings, not %s", type_name(e));
        int ret = vtp_jobspec_add_rendition(j, spec, why, why_size);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int parse_live(vtp_jobspec *j, const json_t *v, char *why, size_t why_size)
{
    if (!json_is_boolean(v))
        return set_why(why, why_size, VTP_ERR_USAGE,
                       "'live_playlist' must be true or false, not %s", type_name(v));
    j->live_playlist = json_is_true(v);
    return 0;
}

/* One key of the top-level object. */
static int parse_key(vtp_jobspec *j, const char *key, const json_t *v, char *why, size_t why_size)
{
    if (!strcmp(key, "input"))
        return take_string(key, v, VTP_JOBSPEC_MAX_STRING, 1, &j->input, why, why_size);
    if (!strcmp(key, "output"))
        return take_string(key, v, VTP_JOBSPEC_MAX_STRING, 1, &j->output, why, why_size);
    if (!strcmp(key, "encoder"))
        return json_is_null(v) ? 0 : take_name(key, v, &j->opts.encoder, why, why_size);
    if (!strcmp(key, "vf"))
        return json_is_null(v) ? 0 : take_string(key, v, VTP_JOBSPEC_MAX_STRING, 1, &j->opts.vf,
                                                  why, why_size);
    if (!strcmp(key, "crf"))
        return parse_crf(j, v, why, why_size);
    if (!strcmp(key, "bitrate"))
        return parse_bitrate(j, v, why, why_size);
    if (!strcmp(key, "preset"))
        return parse_preset(j, v, why, why_size);
    if (!strcmp(key, "options"))
        return parse_options(j, v, why, why_size);
    if (!strcmp(key, "audio"))
        return parse_audio(j, v, why, why_size);
    if (!strcmp(key, "segment"))
        return parse_segment(j, v, why, why_size);
    if (!strcmp(key, "priority"))
        return parse_priority(j, v, why, why_size);
    if (!strcmp(key, "overwrite"))
        return parse_overwrite(j, v, why, why_size);
    if (!strcmp(key, "on_error"))
        return parse_on_error(j, v, why, why_size);
    if (!strcmp(key, "renditions"))
        return parse_renditions(j, v, why, why_size);
    if (!strcmp(key, "live_playlist"))
        return parse_live(j, v, why, why_size);
    return set_why(why, why_size, VTP_ERR_USAGE, "unknown key '%.64s'", key);
}

int vtp_jobspec_parse(const char *json, size_t len, vtp_jobspec *j, char *why, size_t why_size)
{
    json_error_t error;
    const char *key;
    json_t *value;
    int ret = 0;

    vtp_jobspec_init(j);
    if (why && why_size)
        why[0] = 0;
    if (!json)
        return set_why(why, why_size, VTP_ERR_USAGE, "no job spec given");
    if (len > VTP_JOBSPEC_MAX_JSON)
        return set_why(why, why_size, VTP_ERR_USAGE, "job spec is larger than %d bytes",
                       VTP_JOBSPEC_MAX_JSON);
    if (json_depth(json, len, VTP_JOBSPEC_MAX_DEPTH) < 0)
        return set_why(why, why_size, VTP_ERR_USAGE, "job spec is nested more than %d deep",
                       VTP_JOBSPEC_MAX_DEPTH);

    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
    if (!root) {
        if (json_error_code(&error) == json_error_out_of_memory)
            return set_why(why, why_size, VTP_ERR_NOMEM, "out of memory");
        return set_why(why, why_size, VTP_ERR_USAGE, "invalid JSON at line %d column %d: %s",
                       error.line, error.column, error.text);
    }
    if (!json_is_object(root)) {
        ret = set_why(why, why_size, VTP_ERR_USAGE, "a job spec must be a JSON object, not %s",
                      type_name(root));
        goto end;
    }
    json_object_foreach(root, key, value) {
        if ((ret = parse_key(j, key, value, why, why_size)) < 0)
            goto end;
    }
    if (!j->input) {
        ret = set_why(why, why_size, VTP_ERR_USAGE, "missing required key 'input'");
        goto end;
    }
    if (!j->output) {
        ret = set_why(why, why_size, VTP_ERR_USAGE, "missing required key 'output'");
        goto end;
    }
    if (j->live_playlist && !j->nrenditions) {
        ret = set_why(why, why_size, VTP_ERR_USAGE, "'live_playlist' is for a ladder: give its "
                      "'renditions'");
        goto end;
    }
    if (!j->audio && !(j->audio = strdup("auto")))
        ret = set_why(why, why_size, VTP_ERR_NOMEM, "out of memory");
end:
    json_decref(root);
    if (ret < 0)
        vtp_jobspec_clear(j);
    return ret;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The codec options as a JSON object, keys sorted; NULL on failure. */
static json_t *options_json(const AVDictionary *dict)
{
    int n = av_dict_count(dict);
    const char **keys = calloc(n > 0 ? (size_t)n : 1, sizeof(*keys));
    json_t *obj = json_object();
    const AVDictionaryEntry *e = NULL;
    int i = 0;

    if (!keys || !obj)
        goto fail;
    while (i < n && (e = av_dict_get(dict, "", e, AV_DICT_IGNORE_SUFFIX)))
        keys[i++] = e->key;
    qsort(keys, (size_t)i, sizeof(*keys), cmp_str);
    for (int k = 0; k < i; k++) {
        e = av_dict_get(dict, keys[k], NULL, AV_DICT_MATCH_CASE);
        if (!e || json_object_set_new(obj, keys[k], json_string(e->value)) < 0)
            goto fail;
    }
    free(keys);
    return obj;
fail:
    free(keys);
    json_decref(obj);
    return NULL;
}

/* Sets key to a new string value, failing on a non-UTF-8 or NULL s. */
static int set_string(json_t *obj, const char *key, const char *s)
{
    json_t *v = s ? json_string(s) : NULL;
    return v ? json_object_set_new(obj, key, v) : -1;
}

char *vtp_jobspec_to_json(const vtp_jobspec *j)
{
    json_t *obj = json_object();
    json_t *options = options_json(j->opts.codec_opts);
    char *text = NULL;

    if (!obj || !options || !j->input || !j->output) {
        json_decref(options);
        goto end;
    }
    if (set_string(obj, "input", j->input) < 0 || set_string(obj, "output", j->output) < 0 ||
        (j->opts.encoder && set_string(obj, "encoder", j->opts.encoder) < 0) ||
        json_object_set_new(obj, "options", options) < 0 ||
        (j->opts.vf && set_string(obj, "vf", j->opts.vf) < 0) ||
        set_string(obj, "audio", j->audio ? j->audio : "auto") < 0 ||
        (j->segment_seconds > 0 &&
         json_object_set_new(obj, "segment", json_real(j->segment_seconds)) < 0) ||
        json_object_set_new(obj, "priority", json_integer(j->priority)) < 0 ||
        json_object_set_new(obj, "overwrite", json_boolean(j->overwrite)) < 0 ||
        set_string(obj, "on_error", j->skip_errors ? "skip" : "fail") < 0)
        goto end;
    if (j->nrenditions > 0) {
        json_t *list = json_array();
        if (!list || json_object_set_new(obj, "renditions", list) < 0)
            goto end;
        for (int i = 0; i < j->nrenditions; i++)
            if (json_array_append_new(list, json_string(j->renditions[i])) < 0)
                goto end;
        if (json_object_set_new(obj, "live_playlist", json_boolean(j->live_playlist)) < 0)
            goto end;
    }
    text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(real_precision(j->segment_seconds)));
end:
    json_decref(obj);
    return text;
}

/* path made absolute against cwd and normalised lexically; malloc'd, or
 * NULL when memory runs out. */
static char *absolute_path(const char *cwd, const char *path)
{
    size_t cap = strlen(cwd) + strlen(path) + 3;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t len = 0;
    out[0] = 0;
    /* Two passes over one loop: the current directory (if path is relative),
     * then path, each split at '/'. */
    const char *parts[2] = {path[0] == '/' ? "" : cwd, path};
    for (int p = 0; p < 2; p++) {
        const char *s = parts[p];
        while (*s) {
            while (*s == '/')
                s++;
            size_t n = strcspn(s, "/");
            if (n == 0 || (n == 1 && s[0] == '.')) {
                /* empty or "." */
            } else if (n == 2 && s[0] == '.' && s[1] == '.') {
                while (len > 0 && out[len - 1] != '/')
                    len--;
                if (len > 0)
                    len--;      /* the slash; "/.." is "/" */
            } else {
                out[len++] = '/';
                memcpy(out + len, s, n);
                len += n;
            }
            s += n;
        }
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = 0;
    return out;
}

int vtp_jobspec_absolutize(vtp_jobspec *j)
{
    char *cwd = NULL, *in = NULL, *out = NULL;
    int ret = 0;

    if (!j->input || !j->output)
        return VTP_ERR_USAGE;
    if (j->input[0] != '/' || j->output[0] != '/') {
        if (!(cwd = getcwd(NULL, 0)))
            return errno == ENOMEM ? VTP_ERR_NOMEM : AVERROR(errno);
    }
    if (!(in = absolute_path(cwd ? cwd : "", j->input)) ||
        !(out = absolute_path(cwd ? cwd : "", j->output))) {
        ret = VTP_ERR_NOMEM;
    } else if (strlen(in) > VTP_JOBSPEC_MAX_STRING || strlen(out) > VTP_JOBSPEC_MAX_STRING) {
        ret = VTP_ERR_USAGE;
    } else {
        free(j->input);
        free(j->output);
        j->input = in;
        j->output = out;
        in = out = NULL;
    }
    free(cwd);
    free(in);
    free(out);
    return ret;
}
