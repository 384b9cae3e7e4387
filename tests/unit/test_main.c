/* test_main.c -- runs every unit suite in one SRunner.
 *
 * Exit status 0 when every test passed, 1 otherwise. CK_FORK=no runs the
 * tests in this process (for valgrind); CK_RUN_SUITE / CK_RUN_CASE select.
 */
#include <stdlib.h>

#include "suites.h"
#include "vtp_log.h"

int main(void)
{
    /* libav stays quiet; the last error line is still recorded per thread. */
    vtp_log_init(VTP_LOG_QUIET);

    SRunner *sr = srunner_create(buf_suite());
    srunner_add_suite(sr, proto_suite());
    srunner_add_suite(sr, codecpar_suite());
    srunner_add_suite(sr, cutter_suite());
    srunner_add_suite(sr, options_suite());
    srunner_add_suite(sr, error_suite());
    srunner_add_suite(sr, pipeline_suite());
    srunner_add_suite(sr, splitter_suite());
    srunner_add_suite(sr, jobspec_suite());
    srunner_add_suite(sr, queue_suite());
    srunner_add_suite(sr, security_suite());
    srunner_add_suite(sr, accounting_suite());
    srunner_add_suite(sr, hdr_suite());
    srunner_add_suite(sr, bench_suite());
    srunner_add_suite(sr, ratealloc_suite());
    srunner_add_suite(sr, spill_suite());
    srunner_add_suite(sr, dispatcher_suite());
    srunner_add_suite(sr, node_suite());
    srunner_add_suite(sr, faults_suite());
    srunner_add_suite(sr, package_suite());
    srunner_add_suite(sr, rendition_suite());
    srunner_add_suite(sr, http_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
