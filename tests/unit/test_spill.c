/* test_spill.c -- a job's stored results (include/vtp_spill.h): stored
 * out of order, read back whole, damage told, every file removed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suites.h"
#include "vtp_error.h"
#include "vtp_spill.h"

static void result_for(vtp_result *r, uint32_t index, int npkts)
{
    ck_assert_int_eq(vtp_result_init(r), 0);
    r->job_id = 5;
    r->index = index;
    r->frames = npkts;
    r->frames_counted = npkts;
    r->time_base = (AVRational){1, 25};
    for (int i = 0; i < npkts; i++) {
        AVPacket *p = av_packet_alloc();
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(av_new_packet(p, 100 + i), 0);
        memset(p->data, (int)index + i, (size_t)p->size);
        p->pts = p->dts = i;
        p->duration = 1;
        p->flags = i == 0 ? AV_PKT_FLAG_KEY : 0;
        ck_assert_int_eq(vtp_pktlist_move(&r->pkts, p), 0);
        av_packet_free(&p);
    }
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_spill_store_load_remove)
{
    char dir[] = "/tmp/vtp-spill-XXXXXX", why[512], path[4200];
    vtp_result r;
    ck_assert_ptr_nonnull(mkdtemp(dir));

    /* Out of order, with gaps, as results arrive. */
    const uint32_t order[] = {7, 0, 2};
    for (int k = 0; k < 3; k++) {
        result_for(&r, order[k], 3 + k);
        ck_assert_int_eq(vtp_spill_store(dir, &r, why, sizeof(why)), 0);
        vtp_result_clear(&r);
    }
    ck_assert(vtp_spill_exists(dir, 0) && vtp_spill_exists(dir, 2) && vtp_spill_exists(dir, 7));
    ck_assert(!vtp_spill_exists(dir, 1));

    vtp_result *got = NULL;
    ck_assert_int_eq(vtp_spill_load(dir, 2, &got, why, sizeof(why)), 0);
    ck_assert_uint_eq(got->index, 2);
    ck_assert_int_eq(got->pkts.n, 5);
    ck_assert_int_eq(got->pkts.v[4]->size, 104);
    ck_assert_uint_eq(got->pkts.v[4]->data[0], 2 + 4);
    vtp_result_clear(got);
    free(got);

    /* Missing, damaged, or another segment's under this name: refused. */
    got = NULL;
    ck_assert_int_eq(vtp_spill_load(dir, 1, &got, why, sizeof(why)), VTP_ERR_OUTPUT);
    ck_assert_ptr_null(got);
    vtp_spill_path(dir, 3, path, sizeof(path));
    write_text(path, "VTP1 but not a result");
    ck_assert_int_eq(vtp_spill_load(dir, 3, &got, why, sizeof(why)), VTP_ERR_OUTPUT);
    ck_assert_ptr_nonnull(strstr(why, "damaged"));
    char from[4200];
    vtp_spill_path(dir, 2, from, sizeof(from));
    vtp_spill_path(dir, 4, path, sizeof(path));
    ck_assert_int_eq(link(from, path), 0);
    ck_assert_int_eq(vtp_spill_load(dir, 4, &got, why, sizeof(why)), VTP_ERR_OUTPUT);

    /* A result stored by another version of the protocol (before an
     * upgrade) does not count as stored: its segment is encoded again. */
    vtp_spill_path(dir, 5, path, sizeof(path));
    FILE *f = fopen(from, "rb"), *g = fopen(path, "wb");
    ck_assert(f && g);
    int c;
    for (long at = 0; (c = fgetc(f)) != EOF; at++)
        fputc(at == 4 ? c + 1 : c, g);      /* the version's low byte */
    fclose(f);
    fclose(g);
    ck_assert(!vtp_spill_exists(dir, 5));
    ck_assert(!vtp_spill_exists(dir, 3));   /* "VTP1 but...": no result header */

    /* A store a crash interrupted left its temporary file. Removing takes
     * every result, gaps or not, and the directory. */
    snprintf(path, sizeof(path), "%s/seg-00000009.vtpr.tmp", dir);
    write_text(path, "half");
    vtp_spill_remove(dir);
    struct stat st;
    ck_assert_int_ne(stat(dir, &st), 0);

    /* Files that are not results stay, and so does their directory. */
    ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/vtp-spill-XXXXXX")));
    result_for(&r, 1, 1);
    ck_assert_int_eq(vtp_spill_store(dir, &r, why, sizeof(why)), 0);
    vtp_result_clear(&r);
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    write_text(path, "mine");
    vtp_spill_remove(dir);
    ck_assert(!vtp_spill_exists(dir, 1));
    ck_assert_int_eq(stat(path, &st), 0);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_spill_store_fails_cleanly)
{
    /* A directory that is not there: an error naming the file, nothing written. */
    char why[512] = "";
    vtp_result r;
    result_for(&r, 0, 1);
    ck_assert_int_eq(vtp_spill_store("/nonexistent/vtp-spill", &r, why, sizeof(why)),
                     VTP_ERR_OUTPUT);
    ck_assert_ptr_nonnull(strstr(why, "seg-00000000.vtpr"));
    vtp_result_clear(&r);
}
END_TEST

Suite *spill_suite(void)
{
    Suite *s = suite_create("spill");
    TCase *tc = tcase_create("spill");
    tcase_add_test(tc, test_spill_store_load_remove);
    tcase_add_test(tc, test_spill_store_fails_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
