/* test_buf.c -- vtp_wbuf / vtp_rbuf (include/vtp_buf.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "vtp_buf.h"

START_TEST(test_buf_roundtrip_every_width)
{
    vtp_wbuf b;
    vtp_rbuf r;
    size_t n;
    static const uint8_t raw[5] = {1, 2, 3, 4, 5};

    vtp_wbuf_init(&b);
    vtp_wbuf_u8(&b, 0xAB);
    vtp_wbuf_u16(&b, 0xBEEF);
    vtp_wbuf_u32(&b, 0xDEADBEEFu);
    vtp_wbuf_u64(&b, 0x0123456789ABCDEFull);
    vtp_wbuf_i32(&b, -123456);
    vtp_wbuf_i32(&b, INT32_MIN);
    vtp_wbuf_i64(&b, INT64_MIN);
    vtp_wbuf_i64(&b, -2);
    vtp_wbuf_u8(&b, 0);
    vtp_wbuf_u16(&b, UINT16_MAX);
    vtp_wbuf_u32(&b, UINT32_MAX);
    vtp_wbuf_u64(&b, UINT64_MAX);
    vtp_wbuf_bytes(&b, raw, sizeof(raw));
    vtp_wbuf_blob(&b, "blob!", 5);
    vtp_wbuf_str(&b, "hello");
    ck_assert_int_eq(b.failed, 0);
    ck_assert_uint_eq(b.len, 1 + 2 + 4 + 8 + 4 + 4 + 8 + 8 + 1 + 2 + 4 + 8 + 5 + 9 + 9);

    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0xAB);
    ck_assert_uint_eq(vtp_rbuf_u16(&r), 0xBEEF);
    ck_assert_uint_eq(vtp_rbuf_u32(&r), 0xDEADBEEFu);
    ck_assert_uint_eq(vtp_rbuf_u64(&r), 0x0123456789ABCDEFull);
    ck_assert_int_eq(vtp_rbuf_i32(&r), -123456);
    ck_assert_int_eq(vtp_rbuf_i32(&r), INT32_MIN);
    ck_assert_int_eq(vtp_rbuf_i64(&r), INT64_MIN);
    ck_assert_int_eq(vtp_rbuf_i64(&r), -2);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0);
    ck_assert_uint_eq(vtp_rbuf_u16(&r), UINT16_MAX);
    ck_assert_uint_eq(vtp_rbuf_u32(&r), UINT32_MAX);
    ck_assert_uint_eq(vtp_rbuf_u64(&r), UINT64_MAX);
    const uint8_t *p = vtp_rbuf_bytes(&r, sizeof(raw));
    ck_assert_ptr_nonnull(p);
    ck_assert_mem_eq(p, raw, sizeof(raw));
    p = vtp_rbuf_blob(&r, 100, &n);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(p, "blob!", 5);
    char *s = vtp_rbuf_str(&r, 100);
    ck_assert_str_eq(s, "hello");
    free(s);
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);
    ck_assert_uint_eq(vtp_rbuf_left(&r), 0);
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_buf_little_endian_layout)
{
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_wbuf_u16(&b, 0x0102);
    vtp_wbuf_u32(&b, 0x03040506u);
    vtp_wbuf_i64(&b, -1);
    vtp_wbuf_blob(&b, "xy", 2);
    static const uint8_t expect[] = {0x02, 0x01, 0x06, 0x05, 0x04, 0x03, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 2,    0,    0,    0,    'x',  'y'};
    ck_assert_uint_eq(b.len, sizeof(expect));
    ck_assert_mem_eq(b.data, expect, sizeof(expect));
    vtp_wbuf_free(&b);
}
END_TEST

/* Text appended with printf stays a C string as it grows. */
START_TEST(test_buf_printf_text)
{
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_wbuf_printf(&b, "%s=%d", "a", 1);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_str_eq((char *)b.data, "a=1");
    for (int i = 0; i < 1000; i++)
        vtp_wbuf_printf(&b, ",%04d", i);
    ck_assert_uint_eq(b.len, 3 + 1000 * 5);
    ck_assert_int_eq(b.data[b.len], 0);
    ck_assert(memcmp(b.data + b.len - 5, ",0999", 5) == 0);
    vtp_wbuf_printf(&b, "%s", "");
    ck_assert_uint_eq(b.len, 3 + 1000 * 5);
    ck_assert(!b.failed);
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_buf_grows_past_initial_capacity)
{
    vtp_wbuf b;
    vtp_rbuf r;
    vtp_wbuf_init(&b);
    for (uint32_t i = 0; i < 10000; i++)
        vtp_wbuf_u32(&b, i * 2654435761u);
    ck_assert_int_eq(b.failed, 0);
    ck_assert_uint_eq(b.len, 40000);
    ck_assert_uint_ge(b.cap, b.len);
    vtp_rbuf_init(&r, b.data, b.len);
    for (uint32_t i = 0; i < 10000; i++)
        ck_assert_uint_eq(vtp_rbuf_u32(&r), i * 2654435761u);
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_buf_release_hands_over_and_resets)
{
    vtp_wbuf b;
    size_t len = 99;
    vtp_wbuf_init(&b);
    vtp_wbuf_u32(&b, 7);
    uint8_t *data = vtp_wbuf_release(&b, &len);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(len, 4);
    ck_assert_uint_eq(data[0], 7);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    free(data);
    /* The released buffer can be written again from scratch. */
    vtp_wbuf_u8(&b, 1);
    ck_assert_uint_eq(b.len, 1);
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_buf_reserve_overflow_fails)
{
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_wbuf_u8(&b, 1);
    ck_assert_ptr_null(vtp_wbuf_reserve(&b, SIZE_MAX));
    ck_assert_int_ne(b.failed, 0);
    /* Once failed, later writes add nothing. */
    vtp_wbuf_u32(&b, 5);
    ck_assert_uint_eq(b.len, 1);
    ck_assert_ptr_null(vtp_wbuf_reserve(&b, 1));
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_buf_read_past_end_fails_and_stays_failed)
{
    static const uint8_t data[3] = {1, 2, 3};
    vtp_rbuf r;

    vtp_rbuf_init(&r, data, sizeof(data));
    ck_assert_uint_eq(vtp_rbuf_u16(&r), 0x0201);
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);
    ck_assert_uint_eq(vtp_rbuf_left(&r), 1);
    ck_assert_uint_eq(vtp_rbuf_u16(&r), 0);    /* one byte left: fails */
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    ck_assert_uint_eq(vtp_rbuf_left(&r), 0);
    /* The byte that is still there is not handed out any more. */
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0);
    ck_assert_ptr_null(vtp_rbuf_bytes(&r, 0));
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);

    /* Every width fails on an empty buffer and returns 0. */
    vtp_rbuf_init(&r, data, 0);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0);
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    vtp_rbuf_init(&r, data, 3);
    ck_assert_uint_eq(vtp_rbuf_u32(&r), 0);
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    vtp_rbuf_init(&r, data, 3);
    ck_assert_uint_eq(vtp_rbuf_u64(&r), 0);
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    vtp_rbuf_init(&r, data, 3);
    ck_assert_int_eq(vtp_rbuf_i32(&r), 0);
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    vtp_rbuf_init(&r, data, 3);
    ck_assert_int_eq(vtp_rbuf_i64(&r), 0);
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    vtp_rbuf_init(&r, data, 3);
    ck_assert_ptr_null(vtp_rbuf_bytes(&r, 4));
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    ck_assert_ptr_null(vtp_rbuf_bytes(&r, 1));
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
}
END_TEST

START_TEST(test_buf_null_data_is_empty)
{
    vtp_rbuf r;
    vtp_rbuf_init(&r, NULL, 100);
    ck_assert_uint_eq(vtp_rbuf_left(&r), 0);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0);
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
}
END_TEST

START_TEST(test_buf_zero_length_read_at_end_ok)
{
    static const uint8_t data[2] = {9, 9};
    vtp_rbuf r;
    vtp_rbuf_init(&r, data, 2);
    ck_assert_ptr_nonnull(vtp_rbuf_bytes(&r, 2));
    ck_assert_ptr_nonnull(vtp_rbuf_bytes(&r, 0));
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);
    ck_assert_uint_eq(vtp_rbuf_left(&r), 0);
}
END_TEST

START_TEST(test_buf_blob_longer_than_remaining_fails)
{
    vtp_wbuf b;
    vtp_rbuf r;
    size_t n = 77;

    vtp_wbuf_init(&b);
    vtp_wbuf_u32(&b, 11);                   /* claims 11 bytes ... */
    vtp_wbuf_bytes(&b, "0123456789", 10);   /* ... has 10 */
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_ptr_null(vtp_rbuf_blob(&r, 1000, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0);
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);

    /* A length of UINT32_MAX must not wrap anything. */
    vtp_wbuf_free(&b);
    vtp_wbuf_u32(&b, UINT32_MAX);
    vtp_wbuf_bytes(&b, "abc", 3);
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_ptr_null(vtp_rbuf_blob(&r, SIZE_MAX, &n));
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_ptr_null(vtp_rbuf_str(&r, SIZE_MAX));
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_buf_blob_longer_than_max_fails)
{
    vtp_wbuf b;
    vtp_rbuf r;
    size_t n = 77;

    vtp_wbuf_init(&b);
    vtp_wbuf_blob(&b, "0123456789", 10);
    vtp_wbuf_u8(&b, 42);
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_ptr_null(vtp_rbuf_blob(&r, 9, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0);
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);

    /* Exactly max is accepted. */
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_ptr_nonnull(vtp_rbuf_blob(&r, 10, &n));
    ck_assert_uint_eq(n, 10);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 42);
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);

    /* The same limit holds for strings. */
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_ptr_null(vtp_rbuf_str(&r, 9));
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_buf_str_with_embedded_nul_rejected)
{
    vtp_wbuf b;
    vtp_rbuf r;

    vtp_wbuf_init(&b);
    vtp_wbuf_blob(&b, "ab\0cd", 5);
    vtp_wbuf_u8(&b, 1);
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_ptr_null(vtp_rbuf_str(&r, 100));
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0);
    vtp_wbuf_free(&b);

    /* A trailing NUL is embedded too. */
    vtp_wbuf_blob(&b, "abc\0", 4);
    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_ptr_null(vtp_rbuf_str(&r, 100));
    ck_assert_int_eq(vtp_rbuf_ok(&r), 0);
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_buf_empty_blob_and_str_are_null_without_failing)
{
    vtp_wbuf b;
    vtp_rbuf r;
    size_t n = 5;

    vtp_wbuf_init(&b);
    vtp_wbuf_blob(&b, NULL, 10);   /* NULL is written as length 0 */
    vtp_wbuf_blob(&b, "x", 0);
    vtp_wbuf_str(&b, "");
    vtp_wbuf_str(&b, NULL);
    vtp_wbuf_u8(&b, 0x5A);
    ck_assert_uint_eq(b.len, 4 * 4 + 1);

    vtp_rbuf_init(&r, b.data, b.len);
    ck_assert_ptr_null(vtp_rbuf_blob(&r, 100, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);
    n = 5;
    ck_assert_ptr_null(vtp_rbuf_blob(&r, 0, &n));   /* 0 <= max 0 */
    ck_assert_uint_eq(n, 0);
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);
    ck_assert_ptr_null(vtp_rbuf_str(&r, 100));
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);
    ck_assert_ptr_null(vtp_rbuf_str(&r, 100));
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);
    ck_assert_uint_eq(vtp_rbuf_u8(&r), 0x5A);
    ck_assert_int_ne(vtp_rbuf_ok(&r), 0);
    ck_assert_uint_eq(vtp_rbuf_left(&r), 0);
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_buf_grow_keeps_length)
{
    vtp_wbuf b;
    vtp_wbuf_init(&b);
    vtp_wbuf_u32(&b, 0x11223344u);
    vtp_wbuf_grow(&b, 100000);
    ck_assert_int_eq(b.failed, 0);
    ck_assert_uint_eq(b.len, 4);
    ck_assert_uint_ge(b.cap, 100004);
    uint8_t *before = b.data;
    /* What was reserved fits without another allocation. */
    ck_assert_ptr_nonnull(vtp_wbuf_reserve(&b, 100000));
    ck_assert_ptr_eq(b.data, before);
    ck_assert_uint_eq(b.data[0], 0x44);
    vtp_wbuf_free(&b);
}
END_TEST

START_TEST(test_buf_large_buffer_keeps_content)
{
    /* Past 8 MB the buffer moves to recycled, huge-page backed memory; the
     * bytes written so far must move with it, through several growths. */
    vtp_wbuf b;
    vtp_rbuf r;
    const uint32_t n = (20u << 20) / 4;
    vtp_wbuf_init(&b);
    for (uint32_t i = 0; i < n; i++)
        vtp_wbuf_u32(&b, i ^ 0x5A5A5A5Au);
    ck_assert_int_eq(b.failed, 0);
    ck_assert_uint_eq(b.len, (size_t)n * 4);
    vtp_rbuf_init(&r, b.data, b.len);
    for (uint32_t i = 0; i < n; i++)
        if (vtp_rbuf_u32(&r) != (i ^ 0x5A5A5A5Au))
            ck_abort_msg("word %u differs", i);
    ck_assert_uint_eq(vtp_rbuf_left(&r), 0);

    /* Handed back, a large buffer may serve the next one; the new buffer
     * starts empty and is fully usable. */
    size_t cap = b.cap, len;
    uint8_t *data = vtp_wbuf_release(&b, &len);
    vtp_wbuf_recycle(data, cap);
    vtp_wbuf_grow(&b, 9u << 20);
    ck_assert_int_eq(b.failed, 0);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_ge(b.cap, 9u << 20);
    uint8_t *p = vtp_wbuf_reserve(&b, 9u << 20);
    ck_assert_ptr_nonnull(p);
    memset(p, 0xC3, 9u << 20);
    ck_assert_uint_eq(p[(9u << 20) - 1], 0xC3);
    vtp_wbuf_free(&b);
    vtp_wbuf_recycle(NULL, 1u << 30);   /* NULL is fine */
    ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_buf_recycled_buffers_are_not_shared)
{
    /* Two large buffers alive at once never overlap, even when both come
     * from the recycling pool. */
    vtp_wbuf a, b;
    size_t len;
    vtp_wbuf_init(&a);
    vtp_wbuf_init(&b);
    vtp_wbuf_grow(&a, 10u << 20);
    size_t cap = a.cap;
    uint8_t *d = vtp_wbuf_release(&a, &len);
    vtp_wbuf_recycle(d, cap);
    vtp_wbuf_grow(&a, 10u << 20);
    vtp_wbuf_grow(&b, 10u << 20);
    ck_assert_ptr_nonnull(a.data);
    ck_assert_ptr_nonnull(b.data);
    ck_assert(a.data + a.cap <= b.data || b.data + b.cap <= a.data);
    memset(vtp_wbuf_reserve(&a, 10u << 20), 1, 10u << 20);
    memset(vtp_wbuf_reserve(&b, 10u << 20), 2, 10u << 20);
    ck_assert_uint_eq(a.data[0], 1);
    ck_assert_uint_eq(b.data[0], 2);
    vtp_wbuf_free(&a);
    vtp_wbuf_free(&b);
}
END_TEST

Suite *buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_buf_roundtrip_every_width);
    tcase_add_test(tc, test_buf_little_endian_layout);
    tcase_add_test(tc, test_buf_printf_text);
    tcase_add_test(tc, test_buf_grows_past_initial_capacity);
    tcase_add_test(tc, test_buf_release_hands_over_and_resets);
    tcase_add_test(tc, test_buf_reserve_overflow_fails);
    tcase_add_test(tc, test_buf_read_past_end_fails_and_stays_failed);
    tcase_add_test(tc, test_buf_null_data_is_empty);
    tcase_add_test(tc, test_buf_zero_length_read_at_end_ok);
    tcase_add_test(tc, test_buf_blob_longer_than_remaining_fails);
    tcase_add_test(tc, test_buf_blob_longer_than_max_fails);
    tcase_add_test(tc, test_buf_str_with_embedded_nul_rejected);
    tcase_add_test(tc, test_buf_empty_blob_and_str_are_null_without_failing);
    tcase_add_test(tc, test_buf_grow_keeps_length);
    tcase_add_test(tc, test_buf_large_buffer_keeps_content);
    tcase_add_test(tc, test_buf_recycled_buffers_are_not_shared);
    suite_add_tcase(s, tc);
    return s;
}
