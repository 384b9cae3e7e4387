/* test_http.c -- the web server of `serve --http` (include/vtp_http.h),
 * without a service behind it: what it answers by itself (the dashboard,
 * refusals of every kind, the token), what it refuses to start with, and
 * the Prometheus text it makes of the service's counters. What needs the
 * service (jobs, events, metrics end to end) is the http_api integration
 * case's.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "suites.h"
#include "vtp_clock.h"
#include "vtp_http.h"
#include "vtp_metrics.h"

#define TOKEN "0123456789abcdef-token"

/* A server on 127.0.0.1 (any port), with the token when asked; the
 * request endpoint has nobody behind it. */
typedef struct server {
    void *zctx;
    vtp_http *h;
    char dir[64];
    char token_file[128];
} server;

static void server_start(server *s, int token)
{
    char why[512] = "";
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/vtp-http-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s->dir));
    snprintf(s->token_file, sizeof(s->token_file), "%s/token", s->dir);
    FILE *f = fopen(s->token_file, "w");
    ck_assert_ptr_nonnull(f);
    fputs("  " TOKEN "  \n", f);      /* blanks around it are not part of it */
    fclose(f);
    s->zctx = zmq_ctx_new();
    vtp_http_cfg cfg = {.address = "127.0.0.1:0", .token_file = token ? s->token_file : NULL,
                        .zctx = s->zctx, .requests = "inproc://nobody",
                        .events = "inproc://nothing"};
    s->h = vtp_http_start(&cfg, why, sizeof(why));
    ck_assert_msg(s->h != NULL, "vtp_http_start: %s", why);
    ck_assert_int_gt(vtp_http_port(s->h), 0);
}

static void server_stop(server *s)
{
    vtp_http_stop(&s->h);
    ck_assert_ptr_null(s->h);
    zmq_ctx_term(s->zctx);
    unlink(s->token_file);
    rmdir(s->dir);
}

/* Sends a raw request and returns the status of the answer (its body, up
 * to size bytes, in body when not NULL); -1 if none came. */
static int exchange(const server *s, const char *request, size_t len, char *body, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)vtp_http_port(s->h))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(write(fd, request, len), (ssize_t)len);
    char buf[65536];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    buf[got] = 0;
    int status = -1;
    if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
        return -1;
    const char *start = strstr(buf, "\r\n\r\n");
    if (body && size) {
        snprintf(body, size, "%s", start ? start + 4 : "");
    }
    return status;
}

static int ask(const server *s, const char *request, char *body, size_t size)
{
    return exchange(s, request, strlen(request), body, size);
}

/* "METHOD PATH" on a connection of its own, with Host: 127.0.0.1 (unless
 * host says another), the extra header lines (each ending in \r\n), and
 * body with its length unless NULL. The status; the answer's body in out. */
static int call(const server *s, const char *line, const char *host, const char *headers,
                const char *body, char *out, size_t size)
{
    char req[4096];
    int n = snprintf(req, sizeof(req), "%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s", line,
                     host ? host : "127.0.0.1", headers ? headers : "");
    if (body)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "Content-Length: %zu\r\n", strlen(body));
    snprintf(req + n, sizeof(req) - (size_t)n, "\r\n%s", body ? body : "");
    return ask(s, req, out, size);
}

/* Without a token: the dashboard, and refusals that need no service. */
START_TEST(test_http_answers_by_itself)
{
    server s;
    char body[65536];
    server_start(&s, 0);
    ck_assert_int_eq(call(&s, "GET /", NULL, NULL, NULL, body, sizeof(body)), 200);
    ck_assert_ptr_nonnull(strstr(body, "<title>vtpool"));
    ck_assert_int_eq(
        call(&s, "GET /api/v1/openapi.json", NULL, NULL, NULL, body, sizeof(body)), 200);
    json_t *api = json_loads(body, JSON_DISABLE_EOF_CHECK, NULL);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(api, "paths"), "/api/v1/jobs"));
    json_decref(api);

    ck_assert_int_eq(call(&s, "GET /nothing", NULL, NULL, NULL, body, sizeof(body)), 404);
    ck_assert_ptr_nonnull(strstr(body, "\"error\""));
    ck_assert_int_eq(call(&s, "GET /api/v1/jobs/0", NULL, NULL, NULL, NULL, 0), 404);
    ck_assert_int_eq(call(&s, "GET /api/v1/jobs/12x", NULL, NULL, NULL, NULL, 0), 404);
    ck_assert_int_eq(call(&s, "GET /api/v1/jobs/1/cancel", NULL, NULL, NULL, NULL, 0), 405);
    ck_assert_int_eq(call(&s, "DELETE /api/v1/jobs", NULL, NULL, NULL, NULL, 0), 405);
    const char *json = "Content-Type: application/json\r\n";
    ck_assert_int_eq(call(&s, "POST /api/v1/jobs", NULL,
                          "Content-Type: application/json\r\nContent-Length: 2000000\r\n", NULL,
                          body, sizeof(body)), 413);
    ck_assert_int_eq(call(&s, "POST /api/v1/jobs", NULL, "Content-Type: text/plain\r\n", "{}", NULL,
                          0), 415);
    ck_assert_int_eq(call(&s, "GET /api/v1/jobs?limit=5000", NULL, NULL, NULL, NULL, 0), 400);
    ck_assert_int_eq(call(&s, "POST /api/v1/jobs", NULL, json, "[1,2,3]", NULL, 0), 400);
    ck_assert_int_eq(call(&s, "POST /api/v1/jobs", NULL, json, "{x}", NULL, 0), 400);
    ck_assert_int_eq(vtp_http_listeners(s.h), 0);

    /* Without a token, only loopback names: a page whose host name an
     * attacker points at 127.0.0.1 (DNS rebinding) is refused. */
    static const char *const hosts[] = {"localhost", "localhost:8080", "127.0.0.1:1",
                                        "127.1.2.3", "[::1]:8080",     "LOCALHOST"};
    for (size_t i = 0; i < sizeof(hosts) / sizeof(*hosts); i++)
        ck_assert_msg(call(&s, "GET /nothing", hosts[i], NULL, NULL, NULL, 0) == 404,
                      "Host: %s was refused", hosts[i]);
    static const char *const strangers[] = {
        "evil.example",           "evil.example:8080", "127.0.0.1.evil.example",
        "localhost.evil.example", "[::2]:80",          "10.0.0.1"};
    for (size_t i = 0; i < sizeof(strangers) / sizeof(*strangers); i++)
        ck_assert_msg(call(&s, "GET /", strangers[i], NULL, NULL, NULL, 0) == 403,
                      "Host: %s was let in", strangers[i]);
    /* A browser's request from another site's page: refused, whatever it is. */
    ck_assert_int_eq(call(&s, "POST /api/v1/jobs/1/cancel", "127.0.0.1:8080",
                          "Origin: http://evil.example\r\n", "", NULL, 0), 403);
    ck_assert_int_eq(call(&s, "GET /nothing", "127.0.0.1:8080", "Origin: http://127.0.0.1:8080\r\n",
                          NULL, NULL, 0), 404);
    server_stop(&s);
}
END_TEST

/* With a token: everything but the page needs it, whole and exact. */
START_TEST(test_http_token)
{
    server s;
    server_start(&s, 1);
    ck_assert_int_eq(call(&s, "GET /", NULL, NULL, NULL, NULL, 0), 200);
    static const char *const wrong[] = {
        "",
        "Authorization: Bearer\r\n",
        "Authorization: Basic " TOKEN "\r\n",
        "Authorization: Bearer " TOKEN "x\r\n",
        "Authorization: Bearer 0123456789abcdef-toke\r\n",
        "Authorization: Bearer 1123456789abcdef-token\r\n",
    };
    for (size_t i = 0; i < sizeof(wrong) / sizeof(*wrong); i++) {
        ck_assert_msg(call(&s, "GET /nothing", NULL, wrong[i], NULL, NULL, 0) == 401,
                      "'%s' was let in", wrong[i]);
        ck_assert_int_eq(call(&s, "GET /metrics", NULL, wrong[i], NULL, NULL, 0), 401);
    }
    static const char *const right[] = {
        "Authorization: Bearer " TOKEN "\r\n",
        "Authorization: bearer " TOKEN "\r\n",
        "Authorization: Bearer " TOKEN "  \r\n",
    };
    for (size_t i = 0; i < sizeof(right) / sizeof(*right); i++)
        ck_assert_msg(call(&s, "GET /nothing", NULL, right[i], NULL, NULL, 0) == 404,
                      "'%s' was kept out", right[i]);
    /* With a token the host name is free (a proxy, a name on the network). */
    ck_assert_int_eq(call(&s, "GET /nothing", "vtpool.example", right[0], NULL, NULL, 0), 404);
    server_stop(&s);
}
END_TEST

static void *ask_jobs(void *arg)
{
    static int status;
    status = call(arg, "GET /api/v1/jobs", NULL, NULL, NULL, NULL, 0);
    return &status;
}

/* A request waiting on a service that will not answer (it is stopping)
 * does not hold the server's stop: that ends within a second or so, and
 * the request gets an answer (503) or its connection closed. */
START_TEST(test_http_stops_with_a_request_waiting)
{
    server s;
    server_start(&s, 0);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, ask_jobs, &s), 0);
    usleep(300 * 1000);
    int64_t t0 = vtp_clock_ms();
    vtp_http_stop(&s.h);
    int64_t took = vtp_clock_ms() - t0;
    void *status;
    pthread_join(t, &status);
    ck_assert_msg(took < 3000, "the stop took %lld ms", (long long)took);
    ck_assert(*(int *)status == 503 || *(int *)status == -1);
    zmq_ctx_term(s.zctx);
    unlink(s.token_file);
    rmdir(s.dir);
}
END_TEST

/* What it will not start with. */
START_TEST(test_http_refuses_to_start)
{
    void *zctx = zmq_ctx_new();
    char why[512], dir[64], file[128];
    snprintf(dir, sizeof(dir), "/tmp/vtp-http-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/short", dir);
    FILE *f = fopen(file, "w");
    fputs("short\n", f);
    fclose(f);
    const struct {
        const char *address, *token, *cert, *key, *says;
    } bad[] = {
        {"0.0.0.0:0", NULL, NULL, NULL, "--http-token"},
        {"[::]:0", NULL, NULL, NULL, "--http-token"},
        {"127.0.0.1", NULL, NULL, NULL, "HOST:PORT"},
        {"127.0.0.1:99999", NULL, NULL, NULL, "port"},
        {"[::1:0", NULL, NULL, NULL, "HOST:PORT"},
        {"::1:0", NULL, NULL, NULL, "brackets"},
        {"127.0.0.1:0", "/nonexistent/token", NULL, NULL, "/nonexistent/token"},
        {"127.0.0.1:0", file, NULL, NULL, "at least"},
        {"127.0.0.1:0", NULL, "/nonexistent/cert.pem", NULL, "go together"},
        {"127.0.0.1:0", NULL, "/nonexistent/cert.pem", "/nonexistent/key.pem", "cert.pem"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        vtp_http_cfg cfg = {.address = bad[i].address, .token_file = bad[i].token,
                            .cert_file = bad[i].cert, .key_file = bad[i].key, .zctx = zctx,
                            .requests = "inproc://a", .events = "inproc://b"};
        why[0] = 0;
        vtp_http *h = vtp_http_start(&cfg, why, sizeof(why));
        ck_assert_msg(h == NULL, "%s started", bad[i].address);
        ck_assert_msg(strstr(why, bad[i].says), "%s: '%s' does not say '%s'", bad[i].address,
                      why, bad[i].says);
    }
    vtp_http *none = NULL;
    vtp_http_stop(&none);     /* NULL-safe */
    unlink(file);
    rmdir(dir);
    zmq_ctx_term(zctx);
}
END_TEST

/* The service's counters as Prometheus text: HELP and TYPE for each,
 * labels escaped, the histogram cumulative with +Inf equal to the count. */
START_TEST(test_http_metrics_text)
{
    json_t *m = json_loads(
        "{\"ok\":true,\"jobs\":{\"queued\":3,\"running\":1,\"done\":7,\"failed\":0,"
        "\"cancelled\":2},"
        "\"segments\":40,\"frames\":1000,\"encode_seconds\":{\"libx264\":12.5,\"we\\\"ird\\\\\":1},"
        "\"workers\":2,\"slots\":4,\"busy\":3,\"resent\":1,\"bytes_sent\":123456,"
        "\"bytes_received\":654321,\"start_time\":1700000000.25,"
        "\"loop\":{\"buckets\":[[0.001,5],[0.01,9]],\"sum\":0.05,\"count\":10}}",
        0, NULL);
    ck_assert_ptr_nonnull(m);
    char *text = vtp_metrics_text(m);
    json_decref(m);
    ck_assert_ptr_nonnull(text);
    static const char *const lines[] = {
        "# TYPE vtpool_jobs gauge\n",
        "vtpool_jobs{state=\"queued\"} 3\n",
        "vtpool_jobs{state=\"cancelled\"} 2\n",
        "vtpool_queue_depth 3\n",
        "# TYPE vtpool_frames_encoded_total counter\n",
        "vtpool_frames_encoded_total 1000\n",
        "vtpool_segments_encoded_total 40\n",
        "vtpool_encode_seconds_total{encoder=\"libx264\"} 12.500000\n",
        "vtpool_encode_seconds_total{encoder=\"we\\\"ird\\\\\"} 1.000000\n",
        "vtpool_workers_connected 2\n",
        "vtpool_slots 4\n",
        "vtpool_slots_busy 3\n",
        "vtpool_segments_resent_total 1\n",
        "vtpool_bytes_sent_total 123456\n",
        "vtpool_bytes_received_total 654321\n",
        "# TYPE vtpool_dispatcher_loop_seconds histogram\n",
        "vtpool_dispatcher_loop_seconds_bucket{le=\"0.001\"} 5\n",
        "vtpool_dispatcher_loop_seconds_bucket{le=\"0.01\"} 9\n",
        "vtpool_dispatcher_loop_seconds_bucket{le=\"+Inf\"} 10\n",
        "vtpool_dispatcher_loop_seconds_count 10\n",
        "vtpool_start_time_seconds 1700000000.250\n",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++)
        ck_assert_msg(strstr(text, lines[i]), "no line %s", lines[i]);
    free(text);
}
END_TEST

/* Counting: segments by encoder (the 32nd and later share the last
 * entry), loop passes into the right buckets, cumulative in the answer. */
START_TEST(test_http_metrics_counting)
{
    vtp_metrics m;
    vtp_metrics_init(&m);
    ck_assert(m.start_time > 1e9);
    vtp_metrics_segment(&m, "libx264", 100, 2.0);
    vtp_metrics_segment(&m, "libx264", 50, 1.0);
    vtp_metrics_segment(&m, NULL, 10, 0.5);
    char name[32];
    for (int k = 0; k < 40; k++) {
        snprintf(name, sizeof(name), "enc%d", k);
        vtp_metrics_segment(&m, name, 1, 1.0);
    }
    ck_assert_int_eq(m.segments, 43);
    ck_assert_int_eq(m.frames, 200);
    ck_assert_int_eq(m.nenc, VTP_METRICS_ENCODERS);
    ck_assert_str_eq(m.enc[0].name, "libx264");
    ck_assert(m.enc[0].seconds == 3.0);
    ck_assert_str_eq(m.enc[1].name, "unknown");
    /* enc0..enc28 took the 29 entries left before "other", which has enc29..enc39. */
    ck_assert_str_eq(m.enc[VTP_METRICS_ENCODERS - 2].name, "enc28");
    ck_assert_str_eq(m.enc[VTP_METRICS_ENCODERS - 1].name, "other");
    ck_assert(m.enc[VTP_METRICS_ENCODERS - 1].seconds == 11.0);

    vtp_metrics_pass(&m, 0.00005);      /* first bucket (0.0001) */
    vtp_metrics_pass(&m, 0.0001);       /* first too: le is "at most" */
    vtp_metrics_pass(&m, 0.003);        /* 0.005 */
    vtp_metrics_pass(&m, 5.0);          /* past the last bound: +Inf only */
    int64_t jobs[VTP_QUEUE_STATES] = {1, 2, 3, 4, 5};
    vtp_dispatcher_stats ds = {.resent = 6, .bytes_sent = 7, .bytes_received = 8};
    json_t *j = vtp_metrics_json(&m, jobs, 2, 4, 3, &ds);
    ck_assert_ptr_nonnull(j);
    json_t *buckets = json_object_get(json_object_get(j, "loop"), "buckets");
    ck_assert_int_eq(json_array_size(buckets), VTP_METRICS_BUCKETS);
    ck_assert_int_eq(json_integer_value(json_array_get(json_array_get(buckets, 0), 1)), 2);
    ck_assert_int_eq(json_integer_value(json_array_get(json_array_get(buckets, 4), 1)), 2);
    ck_assert_int_eq(json_integer_value(json_array_get(json_array_get(buckets, 5), 1)), 3);
    ck_assert_int_eq(json_integer_value(json_array_get(json_array_get(buckets, 11), 1)), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "loop"), "count")), 4);
    char *text = vtp_metrics_text(j);
    json_decref(j);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "vtpool_jobs{state=\"cancelled\"} 5\n"));
    ck_assert_ptr_nonnull(strstr(text, "vtpool_dispatcher_loop_seconds_bucket{le=\"1\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "vtpool_dispatcher_loop_seconds_bucket{le=\"+Inf\"} 4\n"));
    ck_assert_ptr_nonnull(
        strstr(text, "vtpool_encode_seconds_total{encoder=\"unknown\"} 0.500000\n"));
    ck_assert_ptr_nonnull(strstr(text, "vtpool_segments_resent_total 6\n"));
    free(text);
}
END_TEST

Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_http_answers_by_itself);
    tcase_add_test(tc, test_http_token);
    tcase_add_test(tc, test_http_stops_with_a_request_waiting);
    tcase_add_test(tc, test_http_refuses_to_start);
    tcase_add_test(tc, test_http_metrics_text);
    tcase_add_test(tc, test_http_metrics_counting);
    suite_add_tcase(s, tc);
    return s;
}
