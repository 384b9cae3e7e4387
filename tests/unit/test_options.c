/* test_options.c -- encoder settings (include/vtp_options.h). */
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "vtp_error.h"
#include "vtp_options.h"

static void set_opts(vtp_enc_opts *o, const char *encoder, const char *vf, const char *const *kv)
{
    vtp_enc_opts_init(o);
    o->encoder = encoder ? strdup(encoder) : NULL;
    o->vf = vf ? strdup(vf) : NULL;
    for (; kv && kv[0]; kv += 2)
        ck_assert_int_ge(av_dict_set(&o->codec_opts, kv[0], kv[1], 0), 0);
}

static int validate(const vtp_enc_opts *o, char *why, size_t why_size)
{
    why[0] = 0;
    return vtp_enc_opts_validate(o, why, why_size);
}

START_TEST(test_options_unknown_encoder_rejected)
{
    vtp_enc_opts o;
    char why[256];
    set_opts(&o, "nosuchencoder", NULL, NULL);
    ck_assert_int_eq(validate(&o, why, sizeof(why)), VTP_ERR_ENCODER);
    ck_assert_msg(strstr(why, "nosuchencoder") != NULL, "why: %s", why);
    vtp_enc_opts_clear(&o);

    /* No encoder at all. */
    set_opts(&o, NULL, NULL, NULL);
    ck_assert_int_eq(validate(&o, why, sizeof(why)), VTP_ERR_ENCODER);
    ck_assert_str_ne(why, "");
    vtp_enc_opts_clear(&o);
}
END_TEST

START_TEST(test_options_audio_encoder_rejected)
{
    static const char *const names[] = {"aac", "flac", "pcm_s16le"};
    for (int i = 0; i < 3; i++) {
        vtp_enc_opts o;
        char why[256];
        set_opts(&o, names[i], NULL, NULL);
        ck_assert_int_eq(validate(&o, why, sizeof(why)), VTP_ERR_ENCODER);
        ck_assert_msg(strstr(why, names[i]) != NULL, "why: %s", why);
        vtp_enc_opts_clear(&o);
    }
}
END_TEST

START_TEST(test_options_unknown_option_rejected)
{
    vtp_enc_opts o;
    char why[256];
    static const char *const kv[] = {"crf", "23", "nosuchoption", "1", NULL};
    set_opts(&o, "libx264", NULL, kv);
    ck_assert_int_eq(validate(&o, why, sizeof(why)), VTP_ERR_ENCODER);
    ck_assert_msg(strstr(why, "nosuchoption") != NULL, "why: %s", why);
    vtp_enc_opts_clear(&o);

    /* An option of another encoder is unknown to this one. */
    static const char *const kv2[] = {"crf", "23", NULL};
    set_opts(&o, "ffv1", NULL, kv2);
    ck_assert_int_eq(validate(&o, why, sizeof(why)), VTP_ERR_ENCODER);
    ck_assert_msg(strstr(why, "crf") != NULL, "why: %s", why);
    vtp_enc_opts_clear(&o);
}
END_TEST

START_TEST(test_options_bad_value_rejected)
{
    vtp_enc_opts o;
    char why[256];
    static const char *const kv[] = {"crf", "abc", NULL};
    set_opts(&o, "libx264", NULL, kv);
    ck_assert_int_eq(validate(&o, why, sizeof(why)), VTP_ERR_USAGE);
    ck_assert_msg(strstr(why, "crf") != NULL && strstr(why, "abc") != NULL, "why: %s", why);
    vtp_enc_opts_clear(&o);

    static const char *const kv2[] = {"level", "banana", NULL};
    set_opts(&o, "ffv1", NULL, kv2);
    ck_assert_int_eq(validate(&o, why, sizeof(why)), VTP_ERR_USAGE);
    ck_assert_msg(strstr(why, "level") != NULL, "why: %s", why);
    vtp_enc_opts_clear(&o);

    static const char *const kv3[] = {"coder", "nosuchcoder", NULL};
    set_opts(&o, "ffv1", NULL, kv3);
    ck_assert_int_eq(validate(&o, why, sizeof(why)), VTP_ERR_USAGE);
    vtp_enc_opts_clear(&o);
}
END_TEST

START_TEST(test_options_good_options_accepted)
{
    vtp_enc_opts o;
    char why[256];
    static const char *const x264[] = {"crf", "23", "preset", "fast", "x264-params", "keyint=50",
                                       NULL};
    set_opts(&o, "libx264", NULL, x264);
    ck_assert_msg(validate(&o, why, sizeof(why)) == 0, "why: %s", why);
    vtp_enc_opts_clear(&o);

    static const char *const ffv1[] = {"level", "3", NULL};
    set_opts(&o, "ffv1", "scale=32:24", ffv1);
    ck_assert_msg(validate(&o, why, sizeof(why)) == 0, "why: %s", why);
    vtp_enc_opts_clear(&o);

    /* Generic AVCodecContext options (-b, -g) count too. */
    static const char *const mpeg4[] = {"b", "2M", "g", "50", "bf", "2", NULL};
    set_opts(&o, "mpeg4", NULL, mpeg4);
    ck_assert_msg(validate(&o, why, sizeof(why)) == 0, "why: %s", why);
    vtp_enc_opts_clear(&o);

    set_opts(&o, "ffv1", NULL, NULL);
    ck_assert_msg(validate(&o, why, sizeof(why)) == 0, "why: %s", why);
    vtp_enc_opts_clear(&o);
}
END_TEST

START_TEST(test_options_copy_is_deep)
{
    vtp_enc_opts src, dst;
    static const char *const kv[] = {"crf", "23", "preset", "fast", NULL};
    set_opts(&src, "libx264", "scale=32:24", kv);
    ck_assert_int_eq(vtp_enc_opts_copy(&dst, &src), 0);
    ck_assert_ptr_ne(dst.encoder, src.encoder);
    ck_assert_ptr_ne(dst.vf, src.vf);
    ck_assert_ptr_ne(dst.codec_opts, src.codec_opts);
    /* Changing and freeing the source leaves the copy alone. */
    src.encoder[0] = 'X';
    src.vf[0] = 'X';
    av_dict_set(&src.codec_opts, "crf", "51", 0);
    vtp_enc_opts_clear(&src);
    ck_assert_ptr_null(src.encoder);
    ck_assert_ptr_null(src.codec_opts);
    ck_assert_str_eq(dst.encoder, "libx264");
    ck_assert_str_eq(dst.vf, "scale=32:24");
    ck_assert_int_eq(av_dict_count(dst.codec_opts), 2);
    ck_assert_str_eq(av_dict_get(dst.codec_opts, "crf", NULL, 0)->value, "23");
    ck_assert_str_eq(av_dict_get(dst.codec_opts, "preset", NULL, 0)->value, "fast");
    vtp_enc_opts_clear(&dst);

    /* An empty set copies to an empty set. */
    vtp_enc_opts_init(&src);
    ck_assert_int_eq(vtp_enc_opts_copy(&dst, &src), 0);
    ck_assert_ptr_null(dst.encoder);
    ck_assert_ptr_null(dst.vf);
    ck_assert_ptr_null(dst.codec_opts);
    vtp_enc_opts_clear(&dst);
}
END_TEST

START_TEST(test_options_wire_roundtrip)
{
    vtp_enc_opts src, dst;
    vtp_wbuf b;
    vtp_rbuf r;
    static const char *const kv[] = {"crf", "23", "preset", "fast", "x264-params",
                                     "keyint=50:min-keyint=5", "empty", "", NULL};
    set_opts(&src, "libx264", "scale=640:-2,format=yuv420p", kv);
    vtp_wbuf_init(&b);
    vtp_enc_opts_write(&b, &src);
    vtp_wbuf_u8(&b, 0xEE);
    vtp_enc_opts_init(&dst);
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_int_eq(vtp_enc_opts_read(&r, &dst), 0);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0xEE);
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);
    ck_assert_str_eq(dst.encoder, "libx264");
    ck_assert_str_eq(dst.vf, "scale=640:-2,format=yuv420p");
    ck_assert_int_eq(av_dict_count(dst.codec_opts), 4);
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(src.codec_opts, "", e, AV_DICT_IGNORE_SUFFIX))) {
        const AVDictionaryEntry *f = av_dict_get(dst.codec_opts, e->key, NULL, 0);
        ck_assert_msg(f != NULL, "key %s lost", e->key);
        ck_assert_str_eq(f->value, e->value);
    }
    vtp_enc_opts_clear(&dst);

    /* Every truncation fails and leaves the options cleared. */
    for (size_t n = 0; n + 1 < b.len; n++) {
        vtp_rbuf_init(&r, b.data, n);
        ck_assert_int_eq(vtp_enc_opts_read(&r, &dst), VTP_ERR_PROTO);
        ck_assert_ptr_null(dst.encoder);
        ck_assert_ptr_null(dst.vf);
        ck_assert_ptr_null(dst.codec_opts);
    }
    vtp_wbuf_free(&b);
    vtp_enc_opts_clear(&src);

    /* No vf, no options. */
    set_opts(&src, "ffv1", NULL, NULL);
    vtp_wbuf_init(&b);
    vtp_enc_opts_write(&b, &src);
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_int_eq(vtp_enc_opts_read(&r, &dst), 0);
    ck_assert_str_eq(dst.encoder, "ffv1");
    ck_assert_ptr_null(dst.vf);
    ck_assert_int_eq(av_dict_count(dst.codec_opts), 0);
    ck_assert_uint_eq(vtp_rbuf_left(&r), 0);
    vtp_enc_opts_clear(&dst);
    vtp_wbuf_free(&b);
    vtp_enc_opts_clear(&src);
}
END_TEST

START_TEST(test_options_wire_malformed_rejected)
{
    vtp_enc_opts o;
    vtp_wbuf b;
    vtp_rbuf r;

    /* No encoder name. */
    vtp_wbuf_init(&b);
    vtp_wbuf_str(&b, "");
    vtp_wbuf_str(&b, NULL);
    vtp_wbuf_u32(&b, 0);
    vtp_enc_opts_init(&o);
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_int_eq(vtp_enc_opts_read(&r, &o), VTP_ERR_PROTO);
    ck_assert_ptr_null(o.encoder);
    vtp_wbuf_free(&b);

    /* Too many options. */
    vtp_wbuf_str(&b, "ffv1");
    vtp_wbuf_str(&b, NULL);
    vtp_wbuf_u32(&b, 100000);
    for (int i = 0; i < 3; i++) {
        vtp_wbuf_str(&b, "k");
        vtp_wbuf_str(&b, "v");
    }
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_int_eq(vtp_enc_opts_read(&r, &o), VTP_ERR_PROTO);
    ck_assert_ptr_null(o.encoder);
    ck_assert_ptr_null(o.codec_opts);
    vtp_wbuf_free(&b);

    /* An empty key. */
    vtp_wbuf_str(&b, "ffv1");
    vtp_wbuf_str(&b, NULL);
    vtp_wbuf_u32(&b, 1);
    vtp_wbuf_str(&b, "");
    vtp_wbuf_str(&b, "v");
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_int_eq(vtp_enc_opts_read(&r, &o), VTP_ERR_PROTO);
    ck_assert_ptr_null(o.encoder);
    vtp_wbuf_free(&b);

    /* A key with a NUL inside. */
    vtp_wbuf_str(&b, "ffv1");
    vtp_wbuf_str(&b, NULL);
    vtp_wbuf_u32(&b, 1);
    vtp_wbuf_blob(&b, "a\0b", 3);
    vtp_wbuf_str(&b, "v");
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_int_eq(vtp_enc_opts_read(&r, &o), VTP_ERR_PROTO);
    ck_assert_ptr_null(o.encoder);
    ck_assert_ptr_null(o.codec_opts);
    vtp_wbuf_free(&b);
}
END_TEST

Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_options_unknown_encoder_rejected);
    tcase_add_test(tc, test_options_audio_encoder_rejected);
    tcase_add_test(tc, test_options_unknown_option_rejected);
    tcase_add_test(tc, test_options_bad_value_rejected);
    tcase_add_test(tc, test_options_good_options_accepted);
    tcase_add_test(tc, test_options_copy_is_deep);
    tcase_add_test(tc, test_options_wire_roundtrip);
    tcase_add_test(tc, test_options_wire_malformed_rejected);
    suite_add_tcase(s, tc);
    return s;
}
