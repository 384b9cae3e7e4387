/* suites.h -- the check suites of vtpool-unit, one per module. */
#ifndef VTP_UNIT_SUITES_H
#define VTP_UNIT_SUITES_H

#include <check.h>

Suite *buf_suite(void);
Suite *proto_suite(void);
Suite *codecpar_suite(void);
Suite *cutter_suite(void);
Suite *options_suite(void);
Suite *error_suite(void);
Suite *pipeline_suite(void);
Suite *splitter_suite(void);
Suite *jobspec_suite(void);
Suite *queue_suite(void);
Suite *security_suite(void);
Suite *accounting_suite(void);
Suite *hdr_suite(void);
Suite *bench_suite(void);
Suite *ratealloc_suite(void);
Suite *spill_suite(void);
Suite *dispatcher_suite(void);
Suite *node_suite(void);
Suite *faults_suite(void);
Suite *package_suite(void);
Suite *rendition_suite(void);
Suite *http_suite(void);

#endif
