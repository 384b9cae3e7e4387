/* test_rendition.c -- the rungs of a ladder (include/vtp_rendition.h):
 * what --rendition accepts and refuses, the sizes it gives, and whose
 * encoder options win. */
#include <string.h>

#include "suites.h"
#include "vtp_error.h"
#include "vtp_rendition.h"

static const char *opt(const AVDictionary *d, const char *key)
{
    const AVDictionaryEntry *e = av_dict_get(d, key, NULL, 0);
    return e ? e->value : NULL;
}

START_TEST(test_rendition_parses_size_and_options)
{
    vtp_rendition r;
    char why[256] = "";
    ck_assert_int_eq(vtp_rendition_parse("1280x720,crf=23,preset=fast,x264-params=keyint=60:bframes=3",
                                         &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.width, 1280);
    ck_assert_int_eq(r.height, 720);
    ck_assert_int_eq(av_dict_count(r.codec_opts), 3);
    ck_assert_str_eq(opt(r.codec_opts, "crf"), "23");
    ck_assert_str_eq(opt(r.codec_opts, "preset"), "fast");
    ck_assert_str_eq(opt(r.codec_opts, "x264-params"), "keyint=60:bframes=3");
    vtp_rendition_clear(&r);
    ck_assert_ptr_null(r.codec_opts);
    ck_assert_int_eq(vtp_rendition_parse("640x-2", &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.width, 640);
    ck_assert_int_eq(r.height, VTP_RENDITION_KEEP);
    ck_assert_ptr_null(r.codec_opts);
    vtp_rendition_clear(&r);
}
END_TEST

START_TEST(test_rendition_refuses_bad_specs)
{
    static const char *const bad[] = {
        "", "1280", "1280x", "x720", "1280x720x2", "1280*720", "0x720", "1x720", "-2x-2",
        "-1x720", "40000x720", "1280x720,", "1280x720,crf", "1280x720,=23", "1280x720,crf=",
        "1280 x 720", "1280x720;crf=23",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vtp_rendition r;
        char why[256] = "";
        ck_assert_msg(vtp_rendition_parse(bad[i], &r, why, sizeof(why)) == VTP_ERR_USAGE,
                      "'%s' was accepted", bad[i]);
        ck_assert_msg(strstr(why, "--rendition") != NULL, "'%s': %s", bad[i], why);
        ck_assert_ptr_null(r.codec_opts);
    }
}
END_TEST

START_TEST(test_rendition_keeps_the_aspect_ratio_even)
{
    vtp_rendition r = {.width = 1280, .height = VTP_RENDITION_KEEP};
    int w, h;
    ck_assert_int_eq(vtp_rendition_size(&r, 1920, 1080, (AVRational){1, 1}, &w, &h), 0);
    ck_assert_int_eq(w, 1280);
    ck_assert_int_eq(h, 720);
    /* 853.3 to the nearest even: 854. */
    r = (vtp_rendition){.width = VTP_RENDITION_KEEP, .height = 480};
    ck_assert_int_eq(vtp_rendition_size(&r, 1920, 1080, (AVRational){0, 1}, &w, &h), 0);
    ck_assert_int_eq(w, 854);
    ck_assert_int_eq(h, 480);
    /* Anamorphic: 720x576 with 16:11 pixels shows as 1047.3x576. */
    r = (vtp_rendition){.width = VTP_RENDITION_KEEP, .height = 576};
    ck_assert_int_eq(vtp_rendition_size(&r, 720, 576, (AVRational){16, 11}, &w, &h), 0);
    ck_assert_int_eq(w, 1048);
    /* Portrait. */
    r = (vtp_rendition){.width = 360, .height = VTP_RENDITION_KEEP};
    ck_assert_int_eq(vtp_rendition_size(&r, 1080, 1920, (AVRational){1, 1}, &w, &h), 0);
    ck_assert_int_eq(h, 640);
    /* Both given: as given. */
    r = (vtp_rendition){.width = 640, .height = 480};
    ck_assert_int_eq(vtp_rendition_size(&r, 1920, 1080, (AVRational){1, 1}, &w, &h), 0);
    ck_assert_int_eq(w, 640);
    ck_assert_int_eq(h, 480);
    /* Too large once worked out. */
    r = (vtp_rendition){.width = 30000, .height = VTP_RENDITION_KEEP};
    ck_assert_int_eq(vtp_rendition_size(&r, 100, 1000, (AVRational){1, 1}, &w, &h), VTP_ERR_USAGE);
}
END_TEST

START_TEST(test_rendition_options_override_the_top_level)
{
    vtp_enc_opts base, out;
    vtp_enc_opts_init(&base);
    base.encoder = strdup("libx264");
    av_dict_set(&base.codec_opts, "crf", "20", 0);
    av_dict_set(&base.codec_opts, "preset", "medium", 0);
    vtp_rendition r;
    char why[256];
    ck_assert_int_eq(vtp_rendition_parse("640x360,crf=26,maxrate=900k", &r, why, sizeof(why)), 0);
    ck_assert_int_eq(vtp_rendition_opts(&base, &r, &out), 0);
    ck_assert_str_eq(out.encoder, "libx264");
    ck_assert_str_eq(opt(out.codec_opts, "crf"), "26");
    ck_assert_str_eq(opt(out.codec_opts, "preset"), "medium");
    ck_assert_str_eq(opt(out.codec_opts, "maxrate"), "900k");
    /* The base is untouched. */
    ck_assert_str_eq(opt(base.codec_opts, "crf"), "20");
    vtp_enc_opts_clear(&out);
    vtp_rendition_clear(&r);
    /* c= names another encoder for this rendition. */
    ck_assert_int_eq(vtp_rendition_parse("1920x1080,c=libx265,crf=28", &r, why, sizeof(why)), 0);
    ck_assert_int_eq(vtp_rendition_opts(&base, &r, &out), 0);
    ck_assert_str_eq(out.encoder, "libx265");
    ck_assert_ptr_null(opt(out.codec_opts, "c"));
    ck_assert_str_eq(opt(out.codec_opts, "crf"), "28");
    vtp_enc_opts_clear(&out);
    vtp_rendition_clear(&r);
    vtp_enc_opts_clear(&base);
}
END_TEST

Suite *rendition_suite(void)
{
    Suite *s = suite_create("rendition");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_rendition_parses_size_and_options);
    tcase_add_test(tc, test_rendition_refuses_bad_specs);
    tcase_add_test(tc, test_rendition_keeps_the_aspect_ratio_even);
    tcase_add_test(tc, test_rendition_options_override_the_top_level);
    suite_add_tcase(s, tc);
    return s;
}
