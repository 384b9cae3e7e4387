/* test_security.c -- key files, socket options and endpoint checks
 * (include/vtp_security.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "suites.h"
#include "vtp_error.h"
#include "vtp_security.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/vtp-security-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_security_keygen_writes_a_private_pair_that_loads)
{
    char name[128], path[160], why[256] = "";
    vtp_keypair kp;
    char pub[VTP_Z85_KEY];
    struct stat st;

    make_dir();
    snprintf(name, sizeof(name), "%s/node", dir);
    ck_assert_int_eq(vtp_keygen(name, why, sizeof(why)), 0);
    snprintf(path, sizeof(path), "%s.key", name);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(vtp_keypair_load(path, &kp, why, sizeof(why)), 0);
    ck_assert_uint_eq(strlen(kp.public_key), VTP_Z85_KEY - 1);
    ck_assert_uint_eq(strlen(kp.secret_key), VTP_Z85_KEY - 1);
    snprintf(path, sizeof(path), "%s.pub", name);
    ck_assert_int_eq(vtp_pubkey_load(path, pub, why, sizeof(why)), 0);
    ck_assert_str_eq(pub, kp.public_key);
    /* The .pub file holds no secret. */
    ck_assert_int_eq(vtp_keypair_load(path, &kp, why, sizeof(why)), VTP_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(why, "secret"));
    /* Never overwritten. */
    why[0] = 0;
    ck_assert_int_eq(vtp_keygen(name, why, sizeof(why)), VTP_ERR_OUTPUT);
    ck_assert_ptr_nonnull(strstr(why, "node.key"));
    remove_dir();
}
END_TEST

START_TEST(test_security_bad_key_files_are_refused_with_a_reason)
{
    static const char *const texts[] = {
        "",
        "public = tooshort\n",
        "public = ################################@@@@@@@@\n",   /* 48 characters */
        "public = 0123456789012345678901234567890123456789\n",  /* 40, but not Z85 of 32 bytes? */
        "# only a comment\n",
    };
    char path[128], why[256];
    char pub[VTP_Z85_KEY];

    make_dir();
    snprintf(path, sizeof(path), "%s/bad.pub", dir);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(texts[i], f);
        fclose(f);
        why[0] = 0;
        int ret = vtp_pubkey_load(path, pub, why, sizeof(why));
        if (i == 3 && ret == 0)
            continue;   /* 40 Z85 characters always decode: a well-formed key */
        ck_assert_int_eq(ret, VTP_ERR_USAGE);
        ck_assert_msg(why[0], "no reason for text %zu", i);
    }
    why[0] = 0;
    ck_assert_int_eq(vtp_pubkey_load("/nonexistent/x.pub", pub, why, sizeof(why)), VTP_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(why, "/nonexistent/x.pub"));
    remove_dir();
}
END_TEST

START_TEST(test_security_client_keys_go_together)
{
    vtp_client_keys k;
    char why[256] = "";
    ck_assert_int_eq(vtp_client_keys_load(&k, NULL, NULL, why, sizeof(why)), 0);
    ck_assert_int_eq(k.enabled, 0);
    ck_assert_int_eq(vtp_client_keys_load(&k, "a.key", NULL, why, sizeof(why)), VTP_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(why, "--server-key"));
}
END_TEST

START_TEST(test_security_local_endpoints)
{
    ck_assert(vtp_endpoint_is_local("tcp://127.0.0.1:5555"));
    ck_assert(vtp_endpoint_is_local("tcp://localhost:5555"));
    ck_assert(vtp_endpoint_is_local("tcp://[::1]:5555"));
    ck_assert(vtp_endpoint_is_local("ipc://@x"));
    ck_assert(vtp_endpoint_is_local("inproc://x"));
    ck_assert(!vtp_endpoint_is_local("tcp://0.0.0.0:5555"));
    ck_assert(!vtp_endpoint_is_local("tcp://*:5555"));
    ck_assert(!vtp_endpoint_is_local("tcp://10.0.0.5:5555"));
    ck_assert(!vtp_endpoint_is_local("tcp://127example.com:5555"));
}
END_TEST

START_TEST(test_security_curve_sockets_accept_the_keys)
{
    char pub[VTP_Z85_KEY], sec[VTP_Z85_KEY];
    vtp_keypair kp;
    void *ctx = zmq_ctx_new();
    void *srv = zmq_socket(ctx, ZMQ_ROUTER), *cli = zmq_socket(ctx, ZMQ_DEALER);
    ck_assert_int_eq(zmq_curve_keypair(pub, sec), 0);
    memcpy(kp.public_key, pub, sizeof(pub));
    memcpy(kp.secret_key, sec, sizeof(sec));
    ck_assert_int_eq(vtp_curve_server(srv, &kp), 0);
    ck_assert_int_eq(vtp_curve_client(cli, &kp, pub), 0);
    int is_server = 0;
    size_t len = sizeof(is_server);
    ck_assert_int_eq(zmq_getsockopt(srv, ZMQ_CURVE_SERVER, &is_server, &len), 0);
    ck_assert_int_eq(is_server, 1);
    zmq_close(srv);
    zmq_close(cli);
    zmq_ctx_term(ctx);
}
END_TEST

Suite *security_suite(void)
{
    Suite *s = suite_create("security");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_security_keygen_writes_a_private_pair_that_loads);
    tcase_add_test(tc, test_security_bad_key_files_are_refused_with_a_reason);
    tcase_add_test(tc, test_security_client_keys_go_together);
    tcase_add_test(tc, test_security_local_endpoints);
    tcase_add_test(tc, test_security_curve_sockets_accept_the_keys);
    suite_add_tcase(s, tc);
    return s;
}
