/* cmd_client.c -- the clients of `vtpool serve`: submit, status, list,
 * wait and cancel. Each sends one JSON request to the control endpoint and
 * prints the answer for people (or, with --json, as it came). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <zmq.h>

#include "vtp_cli.h"
#include "vtp_clock.h"
#include "vtp_error.h"
#include "vtp_log.h"
#include "vtp_security.h"
#include "vtp_service.h"

#define VTP_CLIENT_TIMEOUT_MS 10000
#define VTP_WAIT_POLL_MS 100
#define VTP_MAX_LINE (64 << 10)     /* bytes of one line of a jobs file */

/* Sends req, waits for the answer. 0 with *answer, or VTP_ERR_ZMQ after
 * printing why (no answer in time). keys may be NULL. */
static int request_for(const char *server, const vtp_client_keys *keys, json_t *req,
                       json_t **answer, int quiet, int timeout_ms)
{
    void *zctx = zmq_ctx_new();
    void *sock = zctx ? zmq_socket(zctx, ZMQ_DEALER) : NULL;
    int linger = 0;
    int ret = VTP_ERR_ZMQ;
    char *text = json_dumps(req, JSON_COMPACT);

    *answer = NULL;
    if (!sock || !text || zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        (keys && keys->enabled && vtp_curve_client(sock, &keys->kp, keys->server_public) < 0) ||
        zmq_connect(sock, server) != 0) {
        if (!quiet)
            vtp_log_line("cannot connect to %s: %s", server, zmq_strerror(zmq_errno()));
        goto end;
    }
    if (zmq_send(sock, text, strlen(text), 0) < 0)
        goto end;
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0) {
        if (!quiet)
            vtp_log_line("no answer from %s (is 'vtpool serve' running there?)", server);
        goto end;
    }
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, sock, 0) >= 0) {
        *answer = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg), 0, NULL);
        ret = json_is_object(*answer) ? 0 : VTP_ERR_PROTO;
        if (ret < 0 && !quiet)
            vtp_log_line("a malformed answer from %s", server);
    }
    zmq_msg_close(&msg);
end:
    free(text);
    if (sock)
        zmq_close(sock);
    if (zctx)
        zmq_ctx_term(zctx);
    return ret;
}

static int request(const char *server, const vtp_client_keys *keys, json_t *req,
                   json_t **answer, int quiet)
{
    return request_for(server, keys, req, answer, quiet, VTP_CLIENT_TIMEOUT_MS);
}

/* Prints a refusal; returns the exit status the service gave for it. */
static int refused(const json_t *answer)
{
    const char *e = json_string_value(json_object_get(answer, "error"));
    json_int_t status = json_integer_value(json_object_get(answer, "exit"));
    vtp_log_line("%s", e ? e : "the service refused the request");
    return status >= 1 && status <= 5 ? (int)status : VTP_EXIT_USAGE;
}

static int ok(const json_t *answer)
{
    return json_is_true(json_object_get(answer, "ok"));
}

/* ---- submit ---- */

static const char submit_usage[] =
    "usage: vtpool submit [--server ENDPOINT] INPUT -o OUTPUT [encode options] [--priority N]\n"
    "       vtpool submit [--server ENDPOINT] --file JOBS.jsonl\n"
    "\n"
    "Queues transcodes on a 'vtpool serve' and prints each new job's id. The encode\n"
    "options are those of 'vtpool encode' (see 'vtpool encode --help'), except -j and\n"
    "--progress. Paths are made absolute here and must name the same files on the\n"
    "service's machine. A jobs file has one JSON object a line, e.g.\n"
    "  {\"input\": \"/media/a.mov\", \"output\": \"/out/a.mp4\", \"encoder\": \"libx264\",\n"
    "   \"crf\": 23, \"preset\": \"medium\", \"options\": {\"x264-params\": \"keyint=240\"},\n"
    "   \"vf\": \"scale=1280:-2\", \"audio\": \"copy\", \"segment\": 10, \"priority\": 0,\n"
    "   \"overwrite\": false}\n"
    "Either all jobs of a file are queued or none.\n"
    "\n"
    "  --server ENDPOINT      the service's control endpoint (default " VTP_DEFAULT_CONTROL ")\n"
    "  --priority N           higher runs first (default 0)\n"
    "  --key FILE, --server-key FILE  this client's key pair and the service's public\n"
    "                         key, for a service that uses keys\n";

/* Appends spec (validated and made absolute) to jobs. */
static int add_spec(json_t *jobs, vtp_jobspec *spec, const char *where)
{
    if (vtp_jobspec_absolutize(spec) < 0)
        return VTP_EXIT_INTERNAL;
    char *text = vtp_jobspec_to_json(spec);
    json_t *obj = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!obj) {
        vtp_log_line("submit: %s: cannot express the job as JSON", where);
        return VTP_EXIT_USAGE;
    }
    json_array_append_new(jobs, obj);
    return -1;
}

static int read_jobs_file(const char *path, json_t *jobs)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *line = malloc(VTP_MAX_LINE);
    int status = -1, n = 0;

    if (!f || !line) {
        vtp_log_line("submit: cannot read '%s'", path);
        free(line);
        return VTP_EXIT_INPUT;
    }
    while (status < 0 && fgets(line, VTP_MAX_LINE, f)) {
        char why[1024], where[64];
        vtp_jobspec spec;
        n++;
        size_t len = strspn(line, " \t\r\n");
        if (line[len] == 0 || line[len] == '#')
            continue;
        snprintf(where, sizeof(where), "line %d", n);
        line[strcspn(line, "\r\n")] = 0;
        if (vtp_jobspec_parse(line, strlen(line), &spec, why, sizeof(why)) < 0) {
            vtp_log_line("submit: %s of '%s': %s", where, path, why);
            status = VTP_EXIT_USAGE;
            break;
        }
        status = add_spec(jobs, &spec, where);
        vtp_jobspec_clear(&spec);
    }
    if (f != stdin)
        fclose(f);
    free(line);
    if (status < 0 && json_array_size(jobs) == 0) {
        vtp_log_line("submit: '%s' holds no job", path);
        status = VTP_EXIT_USAGE;
    }
    return status;
}

int vtp_cmd_submit(int argc, char **argv)
{
    vtp_jobspec spec;
    vtp_cli_extra extra;
    json_t *jobs = json_array(), *answer = NULL;
    int status = vtp_cli_parse_job(argc, argv, "submit", VTP_CLI_SUBMIT, submit_usage, &spec, &extra);

    vtp_log_init(VTP_LOG_ERROR);
    if (status < 0)
        status = extra.file ? read_jobs_file(extra.file, jobs) : add_spec(jobs, &spec, "the job");
    vtp_client_keys keys;
    char why[512];
    if (status < 0 && vtp_client_keys_load(&keys, extra.key, extra.server_key, why,
                                           sizeof(why)) < 0) {
        vtp_log_line("submit: %s", why);
        status = VTP_EXIT_USAGE;
    }
    if (status < 0) {
        json_t *req = json_pack("{s:s, s:O}", "op", "submit", "jobs", jobs);
        const char *server = extra.server ? extra.server : VTP_DEFAULT_CONTROL;
        if (request(server, &keys, req, &answer, 0) < 0)
            status = VTP_EXIT_UNREACHABLE;
        else if (!ok(answer))
            status = refused(answer);
        else {
            json_t *ids = json_object_get(answer, "ids"), *id;
            size_t i;
            json_array_foreach(ids, i, id)
                printf("%lld\n", (long long)json_integer_value(id));
            status = VTP_EXIT_OK;
        }
        json_decref(req);
    }
    json_decref(answer);
    json_decref(jobs);
    vtp_jobspec_clear(&spec);
    return status;
}

/* ---- status, list, wait, cancel ---- */

enum { OPT_SERVER = 256, OPT_JSON, OPT_STATE, OPT_LIMIT, OPT_TIMEOUT, OPT_KEY, OPT_SERVER_KEY };

static const struct option client_options[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"json", no_argument, NULL, OPT_JSON},
    {"state", required_argument, NULL, OPT_STATE},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"key", required_argument, NULL, OPT_KEY},
    {"server-key", required_argument, NULL, OPT_SERVER_KEY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct client_args {
    const char *server;
    int json;
    const char *state;
    int limit;
    double timeout;
    long long id;               /* 0 when not given */
    const char *key, *server_key;
    vtp_client_keys keys;
} client_args;

static const char client_usage[] =
    "usage: vtpool status [JOB] [--json] [--server ENDPOINT]\n"
    "       vtpool list [--state STATE] [--limit N] [--json] [--server ENDPOINT]\n"
    "       vtpool wait JOB [--timeout SECONDS] [--server ENDPOINT]\n"
    "       vtpool cancel JOB [--server ENDPOINT]\n"
    "\n"
    "Ask a 'vtpool serve' about its jobs. States: queued, running, done, failed,\n"
    "cancelled. 'wait' returns 0 when the job is done, 5 when it failed, 6 when it\n"
    "was cancelled; it keeps waiting through restarts of the service.\n"
    "With a service that uses keys: --key FILE --server-key FILE.\n";

static int parse_client(int argc, char **argv, const char *cmd, int need_id, client_args *a)
{
    double v;
    int opt;

    memset(a, 0, sizeof(*a));
    a->server = VTP_DEFAULT_CONTROL;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", client_options, NULL)) != -1) {
        switch (opt) {
        case OPT_SERVER:
            a->server = optarg;
            break;
        case OPT_JSON:
            a->json = 1;
            break;
        case OPT_STATE:
            if (strcmp(optarg, "queued") && strcmp(optarg, "running") && strcmp(optarg, "done") &&
                strcmp(optarg, "failed") && strcmp(optarg, "cancelled"))
                return vtp_cli_usage_error(cmd, "--state takes queued, running, done, failed "
                                                "or cancelled, not '%s'", optarg);
            a->state = optarg;
            break;
        case OPT_LIMIT:
            if (vtp_cli_number(optarg, 1, 1e9, &v) < 0)
                return vtp_cli_usage_error(cmd, "--limit needs a count, not '%s'", optarg);
            a->limit = (int)v;
            break;
        case OPT_KEY:
            a->key = optarg;
            break;
        case OPT_SERVER_KEY:
            a->server_key = optarg;
            break;
        case OPT_TIMEOUT:
            if (vtp_cli_number(optarg, 0, 1e9, &a->timeout) < 0)
                return vtp_cli_usage_error(cmd, "--timeout needs seconds, not '%s'", optarg);
            break;
        case 'h':
            fputs(client_usage, stdout);
            return VTP_EXIT_OK;
        case ':':
            return vtp_cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            return vtp_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        if (vtp_cli_number(argv[optind], 1, 9e18, &v) < 0 || v != (long long)v)
            return vtp_cli_usage_error(cmd, "'%s' is not a job id", argv[optind]);
        a->id = (long long)v;
        optind++;
    }
    if (optind < argc)
        return vtp_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (need_id && !a->id)
        return vtp_cli_usage_error(cmd, "%s", "a job id is required");
    vtp_log_init(VTP_LOG_ERROR);
    char why[512];
    if (vtp_client_keys_load(&a->keys, a->key, a->server_key, why, sizeof(why)) < 0) {
        vtp_log_line("%s: %s", cmd, why);
        return VTP_EXIT_USAGE;
    }
    return -1;
}

static const char header[] = "ID     STATE      DONE     FPS      ETA  INPUT -> OUTPUT";

/* Seconds as people read a wait: 45s, 12m05s, 3h20m; "-" when unknown. */
static void format_eta(const json_t *eta, char *buf, size_t size)
{
    if (!json_is_number(eta) || json_number_value(eta) < 0) {
        snprintf(buf, size, "-");
        return;
    }
    long long t = (long long)(json_number_value(eta) + 0.5);
    if (t < 60)
        snprintf(buf, size, "%llds", t);
    else if (t < 3600)
        snprintf(buf, size, "%lldm%02llds", t / 60, t % 60);
    else
        snprintf(buf, size, "%lldh%02lldm", t / 3600, t / 60 % 60);
}

static void print_job(const json_t *job)
{
    const json_t *spec = json_object_get(job, "spec");
    const char *state = json_string_value(json_object_get(job, "state"));
    const char *error = json_string_value(json_object_get(job, "error"));
    double fps = json_number_value(json_object_get(job, "fps"));
    char fps_text[32], eta[32];
    if (fps > 0)
        snprintf(fps_text, sizeof(fps_text), "%.1f", fps);
    else
        snprintf(fps_text, sizeof(fps_text), "-");
    format_eta(json_object_get(job, "eta"), eta, sizeof(eta));
    printf("%-6lld %-9s %5.1f%% %7s %8s  %s -> %s%s%s\n",
           (long long)json_integer_value(json_object_get(job, "id")), state ? state : "?",
           json_real_value(json_object_get(job, "percent")), fps_text, eta,
           json_string_value(json_object_get(spec, "input")),
           json_string_value(json_object_get(spec, "output")), error ? ": " : "",
           error ? error : "");
}

static int ask(const client_args *a, json_t *req, json_t **answer)
{
    int ret = request(a->server, &a->keys, req, answer, 0);
    json_decref(req);
    if (ret < 0)
        return VTP_EXIT_UNREACHABLE;
    return ok(*answer) ? -1 : refused(*answer);
}

static int show(const client_args *a, const json_t *answer, const char *key)
{
    const json_t *v = json_object_get(answer, key);
    if (a->json) {
        char *text = json_dumps(v, JSON_COMPACT);
        puts(text ? text : "null");
        free(text);
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *job;
        if (json_array_size(v) > 0)
            puts(header);
        json_array_foreach(v, i, job)
            print_job(job);
    } else {
        puts(header);
        print_job(v);
    }
    return VTP_EXIT_OK;
}

int vtp_cmd_list(int argc, char **argv)
{
    client_args a;
    json_t *answer = NULL;
    int status = parse_client(argc, argv, "list", 0, &a);
    if (status >= 0)
        return status;
    json_t *req = json_pack("{s:s, s:i}", "op", "list", "limit", a.limit);
    if (a.state)
        json_object_set_new(req, "state", json_string(a.state));
    if ((status = ask(&a, req, &answer)) < 0)
        status = show(&a, answer, "jobs");
    json_decref(answer);
    return status;
}

int vtp_cmd_status(int argc, char **argv)
{
    client_args a;
    json_t *answer = NULL;
    int status = parse_client(argc, argv, "status", 0, &a);
    if (status >= 0)
        return status;
    if (!a.id)
        return vtp_cmd_list(argc, argv);
    if ((status = ask(&a, json_pack("{s:s, s:I}", "op", "status", "id", (json_int_t)a.id),
                      &answer)) < 0)
        status = show(&a, answer, "job");
    json_decref(answer);
    return status;
}

int vtp_cmd_cancel(int argc, char **argv)
{
    client_args a;
    json_t *answer = NULL;
    int status = parse_client(argc, argv, "cancel", 1, &a);
    if (status >= 0)
        return status;
    if ((status = ask(&a, json_pack("{s:s, s:I}", "op", "cancel", "id", (json_int_t)a.id),
                      &answer)) < 0) {
        int changed = json_is_true(json_object_get(answer, "changed"));
        printf("job %lld %s\n", a.id, changed ? "cancelled" : "had already ended");
        status = VTP_EXIT_OK;
    }
    json_decref(answer);
    return status;
}

int vtp_cmd_wait(int argc, char **argv)
{
    client_args a;
    int status = parse_client(argc, argv, "wait", 1, &a);
    if (status >= 0)
        return status;
    double until = a.timeout > 0 ? vtp_clock_now() + a.timeout : 0;
    int unreachable = 0;
    for (;;) {
        json_t *answer = NULL;
        json_t *req = json_pack("{s:s, s:I}", "op", "status", "id", (json_int_t)a.id);
        int wait_ms = VTP_CLIENT_TIMEOUT_MS;
        if (until && (until - vtp_clock_now()) * 1000 < wait_ms)
            wait_ms = (int)((until - vtp_clock_now()) * 1000) + 1;
        int ret = request_for(a.server, &a.keys, req, &answer, 1, wait_ms > 0 ? wait_ms : 1);
        json_decref(req);
        if (ret == 0 && !ok(answer)) {
            status = refused(answer);
            json_decref(answer);
            return status;
        }
        if (ret == 0) {
            unreachable = 0;
            json_t *job = json_object_get(answer, "job");
            const char *state = json_string_value(json_object_get(job, "state"));
            if (state && strcmp(state, "done") == 0)
                status = VTP_EXIT_OK;
            else if (state && strcmp(state, "failed") == 0) {
                const char *e = json_string_value(json_object_get(job, "error"));
                vtp_log_line("job %lld failed: %s", a.id, e ? e : "unknown reason");
                status = VTP_EXIT_ENCODE;
            } else if (state && strcmp(state, "cancelled") == 0) {
                vtp_log_line("job %lld was cancelled", a.id);
                status = VTP_EXIT_CANCELLED;
            }
        } else {
            unreachable++;      /* the service may be restarting: keep waiting */
        }
        json_decref(answer);
        if (status >= 0)
            return status;
        if (until && vtp_clock_now() >= until) {
            vtp_log_line("job %lld still not ended after %.0f s%s", a.id, a.timeout,
                         unreachable ? " (the service does not answer)" : "");
            return VTP_EXIT_UNREACHABLE;
        }
        struct timespec ts = {0, VTP_WAIT_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
}
