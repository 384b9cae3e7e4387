/* test_error.c -- error codes, messages and exit statuses
 * (include/vtp_error.h). */
#include <errno.h>
#include <string.h>

#include <libavutil/error.h>

#include "suites.h"
#include "vtp_error.h"

START_TEST(test_error_every_code_has_distinct_message)
{
    const char *msgs[VTP_ERR_END - VTP_ERR_BASE];
    int n = 0;
    for (int err = VTP_ERR_BASE + 1; err < VTP_ERR_END; err++) {
        const char *m = vtp_strerror(err);
        ck_assert_ptr_nonnull(m);
        ck_assert_msg(m[0] != 0, "code %d has an empty message", err);
        for (int k = 0; k < n; k++)
            ck_assert_msg(strcmp(m, msgs[k]) != 0, "code %d repeats '%s'", err, m);
        msgs[n++] = m;
    }
    ck_assert_int_eq(n, 13);
    /* Not libav's text for an unknown code either. */
    char unknown[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(VTP_ERR_PROTO, unknown, sizeof(unknown));
    ck_assert_str_ne(vtp_strerror(VTP_ERR_PROTO), unknown);
    ck_assert_str_eq(vtp_strerror(VTP_ERR_INTERRUPTED), "interrupted");
}
END_TEST

START_TEST(test_error_libav_codes_pass_through)
{
    char expect[AV_ERROR_MAX_STRING_SIZE];
    static const int codes[] = {AVERROR(ENOENT), AVERROR(ENOSPC), AVERROR_EOF, AVERROR_INVALIDDATA,
                                AVERROR_ENCODER_NOT_FOUND};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        av_strerror(codes[i], expect, sizeof(expect));
        ck_assert_str_eq(vtp_strerror(codes[i]), expect);
    }
    ck_assert_str_eq(vtp_strerror(AVERROR(ENOENT)), strerror(ENOENT));
    ck_assert_str_ne(vtp_strerror(0), "");
}
END_TEST

START_TEST(test_error_exit_status_classes)
{
    ck_assert_int_eq(vtp_exit_status(0), VTP_EXIT_OK);
    ck_assert_int_eq(vtp_exit_status(1), VTP_EXIT_OK);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_USAGE), 2);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_ENCODER), 2);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_INPUT), 3);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_NO_VIDEO), 3);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_TRUNCATED), 3);
    ck_assert_int_eq(vtp_exit_status(AVERROR(ENOENT)), 3);
    ck_assert_int_eq(vtp_exit_status(AVERROR_INVALIDDATA), 3);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_OUTPUT), 4);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_EXISTS), 4);
    ck_assert_int_eq(vtp_exit_status(AVERROR(ENOSPC)), 4);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_SEGMENT), 5);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_MISMATCH), 5);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_INTERRUPTED), 130);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_NOMEM), VTP_EXIT_INTERNAL);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_ZMQ), VTP_EXIT_INTERNAL);
    ck_assert_int_eq(vtp_exit_status(VTP_ERR_PROTO), VTP_EXIT_INTERNAL);
}
END_TEST

START_TEST(test_error_exit_status_in_byte_range)
{
    static const int extra[] = {INT32_MIN, INT32_MIN + 1, -1, -255, -256, AVERROR_EOF,
                                AVERROR_BUG, VTP_ERR_BASE, VTP_ERR_END, 255, 256, INT32_MAX};
    for (int err = VTP_ERR_BASE - 5; err <= VTP_ERR_END + 5; err++) {
        int st = vtp_exit_status(err);
        ck_assert_int_ge(st, 0);
        ck_assert_int_le(st, 255);
        ck_assert_ptr_nonnull(vtp_strerror(err));
    }
    for (int err = -300; err <= 300; err++) {
        int st = vtp_exit_status(err);
        ck_assert_int_ge(st, 0);
        ck_assert_int_le(st, 255);
        ck_assert_int_eq(st == 0, err >= 0);   /* only success exits 0 */
    }
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        int st = vtp_exit_status(extra[i]);
        ck_assert_int_ge(st, 0);
        ck_assert_int_le(st, 255);
        /* Every failure is a failure. */
        if (extra[i] < 0)
            ck_assert_int_ne(st, 0);
        ck_assert_ptr_nonnull(vtp_strerror(extra[i]));
    }
}
END_TEST

Suite *error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_error_every_code_has_distinct_message);
    tcase_add_test(tc, test_error_libav_codes_pass_through);
    tcase_add_test(tc, test_error_exit_status_classes);
    tcase_add_test(tc, test_error_exit_status_in_byte_range);
    suite_add_tcase(s, tc);
    return s;
}
