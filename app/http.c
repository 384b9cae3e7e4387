/* http.c -- the service on the web (see vtp_http.h).
 *
 * libmicrohttpd runs one thread per connection (at most
 * VTP_HTTP_MAX_CONNECTIONS), so a handler may block: on the service's
 * answer to a request, or, for an event stream, on the next event. Each of
 * those threads makes its own ZeroMQ sockets, as a socket belongs to the
 * thread that uses it.
 *
 * A refusal is sent as early as it can be: on the first call for the
 * handler (headers read, no body yet), every one that needs no body (403,
 * 401, 404, 405, 413 by Content-Length, 415), so a large body is never
 * read only to be refused. Answers come on the last call, after the body
 * (empty for GET): libmicrohttpd closes the connection after a response
 * queued on the first call, and keeps it after one queued then.
 */
#include "vtp_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <jansson.h>
#include <microhttpd.h>
#include <zmq.h>

#include "vtp_buf.h"
#include "vtp_clock.h"
#include "vtp_error.h"
#include "vtp_fileio.h"
#include "vtp_log.h"
#include "vtp_metrics.h"

/* Built into the binary from app/web/ (cmake/embed.cmake). */
extern const unsigned char vtp_web_dashboard[];
extern const size_t vtp_web_dashboard_size;
extern const unsigned char vtp_web_openapi[];
extern const size_t vtp_web_openapi_size;

#define MAX_TOKEN 4096
#define MIN_TOKEN 16
#define MAX_LIST 1000                   /* jobs in one GET /api/v1/jobs */
#define DEFAULT_LIST 100
#define SNAPSHOT_JOBS 100               /* jobs an event stream starts with */
#define STOP_CHECK_MS 200               /* a waiting thread looks at the stop this often */
#define DRAIN_LIMIT (8 << 20)           /* bytes of an oversized chunked body read
                                           before the connection is closed */

enum {
    HTTP_OK = 200,
    HTTP_CREATED = 201,
    HTTP_BAD_REQUEST = 400,
    HTTP_UNAUTHORIZED = 401,
    HTTP_FORBIDDEN = 403,
    HTTP_NOT_FOUND = 404,
    HTTP_METHOD_NOT_ALLOWED = 405,
    HTTP_CONTENT_TOO_LARGE = 413,
    HTTP_UNSUPPORTED_MEDIA_TYPE = 415,
    HTTP_INTERNAL_ERROR = 500,
    HTTP_UNAVAILABLE = 503,
};

struct vtp_http {
    struct MHD_Daemon *mhd;
    void *zctx;
    char *requests, *events;    /* endpoints, copied */
    char *token;                /* NULL: none */
    size_t token_len;
    char *cert, *key;           /* PEM text for TLS, or NULL */
    int port;
    int host_checked;           /* loopback without a token: Host must be a loopback name */
    atomic_int stop;
    atomic_int listeners;
};

/* ---- small helpers ---- */

static void set_why(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
}

/* A whole small file, NUL-terminated; NULL with a reason. */
/* A whole small file (vtp_file_read()) as a C string; NULL with a reason. */
static char *slurp(const char *path, size_t max, size_t *len, char *why, size_t ws)
{
    uint8_t *data = NULL;
    size_t n = 0;
    int err = vtp_file_read(path, max, &data, &n);
    char *text = err == 0 ? realloc(data, n + 1) : NULL;
    if (!text) {
        set_why(why, ws, "cannot read '%s': %s", path, vtp_strerror(err ? err : AVERROR(ENOMEM)));
        free(data);
        return NULL;
    }
    text[n] = 0;
    *len = n;
    return text;
}

/* The token of a token file: its first line, without surrounding blanks. */
static char *read_token(const char *path, size_t *len, char *why, size_t ws)
{
    size_t n;
    char *text = slurp(path, MAX_TOKEN, &n, why, ws);
    if (!text)
        return NULL;
    char *start = text;
    while (*start == ' ' || *start == '\t')
        start++;
    size_t k = strcspn(start, "\r\n");
    while (k > 0 && (start[k - 1] == ' ' || start[k - 1] == '\t'))
        k--;
    start[k] = 0;
    int printable = 1;
    for (size_t i = 0; i < k; i++)
        printable &= start[i] > 0x20 && start[i] < 0x7f;
    if (k < MIN_TOKEN || !printable) {
        set_why(why, ws, "the token in '%s' must be at least %d printable characters, no blanks",
                path, MIN_TOKEN);
        free(text);
        return NULL;
    }
    memmove(text, start, k + 1);
    *len = k;
    return text;
}

/* Whether the request carries the token: `Authorization: Bearer TOKEN`.
 * The time it takes depends on the token's length only, never on how much
 * of it a guess has right. */
static int authorized(const vtp_http *h, struct MHD_Connection *c)
{
    if (!h->token)
        return 1;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return 0;
    const char *got = auth + 7;
    while (*got == ' ' || *got == '\t')
        got++;
    size_t n = strlen(got);
    while (n > 0 && (got[n - 1] == ' ' || got[n - 1] == '\t'))
        n--;                    /* older libmicrohttpd keeps trailing blanks */
    unsigned diff = n != h->token_len;
    for (size_t i = 0; i < h->token_len; i++)
        diff |= (unsigned char)h->token[i] ^ (unsigned char)(i < n ? got[i] : 0);
    return diff == 0;
}

/* The names a loopback server is reached by: a request naming another
 * host came through a name that resolves here (DNS rebinding), from a
 * page that must not see or change this service. */
static int loopback_host(const char *host)
{
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    if (!host)
        return 1;       /* HTTP/1.0 without Host: no browser sends that */
    size_t n = strcspn(host, host[0] == '[' ? "]" : ":");
    if (host[0] == '[' && host[n] == ']')
        n++;
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        if (strlen(names[i]) == n && strncasecmp(host, names[i], n) == 0)
            return 1;
    return strncmp(host, "127.", 4) == 0 && n <= 15 && strspn(host, "0123456789.") == n;
}

/* Whether a browser sent the request from a page of this server: no
 * Origin (not a browser, or a same-origin GET), or an Origin whose host
 * and port are the Host the request names. Cross-site requests are
 * refused, whatever they would do: there is no CORS. */
static int same_origin(struct MHD_Connection *c)
{
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (!origin)
        return 1;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    const char *at = strstr(origin, "://");
    return host && at && strcasecmp(at + 3, host) == 0;
}

/* ---- responses ---- */

/* Sends obj as JSON (and drops the reference). */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *obj,
                                 const char *location)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!text)
        return MHD_NO;
    size_t len = strlen(text);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (location)
        MHD_add_response_header(r, "Location", location);
    if (status == HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"vtpool\"");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return send_json(c, status, json_pack("{s:s}", "error", msg), NULL);
}

static enum MHD_Result not_allowed(struct MHD_Connection *c, const char *allow)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "{\"error\":\"method not allowed (allowed: %s)\"}", allow);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(msg), msg, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Allow", allow);
    enum MHD_Result ret = MHD_queue_response(c, HTTP_METHOD_NOT_ALLOWED, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- the service's answers ---- */

/* Puts a control request to the service's thread and waits for its
 * answer: the answer, or NULL when none came in VTP_HTTP_ANSWER_MS or the
 * server is stopping (the service's thread no longer answers then, and
 * vtp_http_stop() waits for this thread). */
static json_t *ask(vtp_http *h, json_t *req)
{
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!text)
        return NULL;
    void *sock = zmq_socket(h->zctx, ZMQ_DEALER);
    int linger = 0;
    json_t *answer = NULL;
    if (sock && zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) == 0 &&
        zmq_connect(sock, h->requests) == 0 && zmq_send(sock, text, strlen(text), 0) >= 0) {
        int64_t until = vtp_clock_ms() + VTP_HTTP_ANSWER_MS;
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        while (!atomic_load(&h->stop) && vtp_clock_ms() < until && !(item.revents & ZMQ_POLLIN))
            if (zmq_poll(&item, 1, STOP_CHECK_MS) < 0 && zmq_errno() != EINTR)
                break;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if ((item.revents & ZMQ_POLLIN) && zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) >= 0)
            answer = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg), 0, NULL);
        zmq_msg_close(&msg);
    }
    if (sock)
        zmq_close(sock);
    free(text);
    return answer;
}

/* The status of a refusal ({"ok":false,...}): what its "kind" says. */
static unsigned refusal_status(const json_t *answer)
{
    const char *kind = json_string_value(json_object_get(answer, "kind"));
    if (kind && strcmp(kind, "not_found") == 0)
        return HTTP_NOT_FOUND;
    if (kind && strcmp(kind, "unavailable") == 0)
        return HTTP_UNAVAILABLE;
    return HTTP_BAD_REQUEST;
}

/* The service's answer to req when it accepts it (the caller drops it);
 * NULL when it refuses or does not answer, with the error answered and
 * what that gave in *ret. */
static json_t *ask_ok(vtp_http *h, struct MHD_Connection *c, json_t *req, enum MHD_Result *ret)
{
    json_t *answer = ask(h, req);
    if (!answer) {
        *ret = send_error(c, HTTP_UNAVAILABLE, "the service did not answer in %d s",
                          VTP_HTTP_ANSWER_MS / 1000);
        return NULL;
    }
    if (!json_is_true(json_object_get(answer, "ok"))) {
        const char *why = json_string_value(json_object_get(answer, "error"));
        *ret = send_error(c, refusal_status(answer), "%s", why ? why : "refused");
        json_decref(answer);
        return NULL;
    }
    return answer;
}

/* Answers with the service's answer to req: on success, its member `key`
 * (or the whole answer less "ok" when key is NULL) with status ok_status;
 * else the refusal's error. */
static enum MHD_Result relay(vtp_http *h, struct MHD_Connection *c, json_t *req,
                             const char *key, unsigned ok_status)
{
    enum MHD_Result ret;
    json_t *answer = ask_ok(h, c, req, &ret);
    if (!answer)
        return ret;
    json_t *body = key ? json_incref(json_object_get(answer, key)) : json_incref(answer);
    if (!key)
        json_object_del(body, "ok");
    json_decref(answer);
    return body ? send_json(c, ok_status, body, NULL) : MHD_NO;
}

/* ---- /metrics ---- */

static enum MHD_Result serve_metrics(vtp_http *h, struct MHD_Connection *c)
{
    json_t *answer = ask(h, json_pack("{s:s}", "op", "metrics"));
    if (!answer || !json_is_true(json_object_get(answer, "ok"))) {
        json_decref(answer);
        return send_error(c, HTTP_UNAVAILABLE, "the service did not answer");
    }
    char *body = vtp_metrics_text(answer);
    json_decref(answer);
    if (!body)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body,
                                                             MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- /api/v1/events ---- */

typedef struct stream {
    vtp_http *h;
    void *sub;                  /* made by the first read, on the connection's thread */
    vtp_wbuf out;               /* what is still to send */
    size_t sent;                /* of out */
    int64_t last_write;         /* ms */
} stream;

static void put_event(vtp_wbuf *t, const char *type, const char *data, size_t len)
{
    vtp_wbuf_printf(t, "event: %s\ndata: %.*s\n\n", type, (int)len, data);
}

static void put_event_json(vtp_wbuf *t, const char *type, const json_t *obj)
{
    char *data = json_dumps(obj, JSON_COMPACT);
    if (!data) {
        t->failed = 1;
        return;
    }
    put_event(t, type, data, strlen(data));
    free(data);
}

/* Subscribes, then puts what is there now: the newest jobs (oldest first)
 * and the workers. What changes in between comes twice, which does no
 * harm: every event carries a whole state, not a difference. */
static int stream_begin(stream *st)
{
    vtp_http *h = st->h;
    int linger = 0;
    if (!(st->sub = zmq_socket(h->zctx, ZMQ_SUB)) ||
        zmq_setsockopt(st->sub, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_setsockopt(st->sub, ZMQ_SUBSCRIBE, "", 0) != 0 || zmq_connect(st->sub, h->events) != 0)
        return -1;
    vtp_wbuf_printf(&st->out, "retry: 2000\n\n");
    json_t *jobs = ask(h, json_pack("{s:s, s:i}", "op", "list", "limit", SNAPSHOT_JOBS));
    json_t *arr = json_object_get(jobs, "jobs");
    for (size_t i = json_array_size(arr); i-- > 0;)
        put_event_json(&st->out, "job", json_array_get(arr, i));
    json_decref(jobs);
    json_t *workers = ask(h, json_pack("{s:s}", "op", "workers"));
    if (workers) {
        json_object_del(workers, "ok");
        put_event_json(&st->out, "workers", workers);
    }
    json_decref(workers);
    return st->out.failed ? -1 : 0;
}

/* Takes every event waiting on the SUB socket into st->out. */
static int stream_take(stream *st)
{
    for (;;) {
        zmq_msg_t type, data;
        zmq_msg_init(&type);
        zmq_msg_init(&data);
        int ok = zmq_msg_recv(&type, st->sub, ZMQ_DONTWAIT) >= 0;
        if (!ok) {
            int err = zmq_errno();
            zmq_msg_close(&type);
            zmq_msg_close(&data);
            return err == EAGAIN || err == EINTR ? 0 : -1;
        }
        if (zmq_msg_more(&type) && zmq_msg_recv(&data, st->sub, 0) >= 0 && !zmq_msg_more(&data) &&
            zmq_msg_size(&type) < 32) {
            char name[32];
            memcpy(name, zmq_msg_data(&type), zmq_msg_size(&type));
            name[zmq_msg_size(&type)] = 0;
            put_event(&st->out, name, zmq_msg_data(&data), zmq_msg_size(&data));
        }
        zmq_msg_close(&type);
        zmq_msg_close(&data);
        if (st->out.failed)
            return -1;
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream *st = cls;
    (void)pos;
    if (!st->sub && stream_begin(st) < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    while (st->sent == st->out.len) {
        st->sent = st->out.len = 0;
        if (atomic_load(&st->h->stop))
            return MHD_CONTENT_READER_END_OF_STREAM;
        zmq_pollitem_t item = {st->sub, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, STOP_CHECK_MS);
        if (n < 0 && zmq_errno() != EINTR)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (n > 0 && stream_take(st) < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (st->out.len == 0 && vtp_clock_ms() - st->last_write >= VTP_HTTP_KEEPALIVE_MS)
            vtp_wbuf_printf(&st->out, ": keepalive\n\n");
        if (st->out.failed)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = st->out.len - st->sent < max ? st->out.len - st->sent : max;
    memcpy(buf, st->out.data + st->sent, n);
    st->sent += n;
    st->last_write = vtp_clock_ms();
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    stream *st = cls;
    if (st->sub)
        zmq_close(st->sub);
    atomic_fetch_sub(&st->h->listeners, 1);
    vtp_wbuf_free(&st->out);
    free(st);
}

static enum MHD_Result serve_events(vtp_http *h, struct MHD_Connection *c)
{
    stream *st = calloc(1, sizeof(*st));
    if (!st)
        return MHD_NO;
    st->h = h;
    vtp_wbuf_init(&st->out);
    st->last_write = vtp_clock_ms();
    atomic_fetch_add(&h->listeners, 1);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, st, stream_free);
    if (!r) {
        stream_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");   /* nginx in front: do not hold */
    enum MHD_Result ret = MHD_queue_response(c, HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- routing ---- */

typedef enum route {
    R_NONE,
    R_DASHBOARD,
    R_OPENAPI,
    R_METRICS,
    R_JOBS,
    R_JOB,
    R_CANCEL,
    R_WORKERS,
    R_EVENTS,
} route;

/* What the request is for, and the job id in the path. */
static route find_route(const char *url, int64_t *id)
{
    static const struct {
        const char *path;
        route r;
    } fixed[] = {
        {"/", R_DASHBOARD},         {"/index.html", R_DASHBOARD},
        {"/openapi.json", R_OPENAPI}, {"/api/v1/openapi.json", R_OPENAPI},
        {"/metrics", R_METRICS},    {"/api/v1/jobs", R_JOBS},
        {"/api/v1/workers", R_WORKERS}, {"/api/v1/events", R_EVENTS},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
        if (strcmp(url, fixed[i].path) == 0)
            return fixed[i].r;
    const char *prefix = "/api/v1/jobs/";
    if (strncmp(url, prefix, strlen(prefix)) != 0)
        return R_NONE;
    const char *p = url + strlen(prefix);
    int64_t v = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
        v = v * 10 + (*p - '0');
    if (digits == 0 || v < 1 || (*p >= '0' && *p <= '9'))
        return R_NONE;
    *id = v;
    if (*p == 0)
        return R_JOB;
    return strcmp(p, "/cancel") == 0 ? R_CANCEL : R_NONE;
}

/* The methods a route takes, for 405's Allow. */
static const char *allowed(route r)
{
    switch (r) {
    case R_JOBS:
        return "GET, HEAD, POST";
    case R_CANCEL:
        return "POST";
    default:
        return "GET, HEAD";
    }
}

static int method_fits(route r, const char *method)
{
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int post = strcmp(method, "POST") == 0;
    if (r == R_JOBS)
        return get || post;
    if (r == R_CANCEL)
        return post;
    return get;
}

/* A request on its way: its route and its body as it arrives. */
typedef struct request {
    route r;
    int post;                   /* the method is POST (else GET or HEAD) */
    int64_t id;
    char *body;
    size_t len;
    size_t dropped;             /* bytes past the limit (a chunked body) */
} request;

static int json_body(struct MHD_Connection *c)
{
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (!type)
        return 0;
    size_t n = strlen("application/json");
    return strncasecmp(type, "application/json", n) == 0 &&
           (type[n] == 0 || type[n] == ';' || type[n] == ' ');
}

/* GET /api/v1/jobs?state=S&limit=N */
static enum MHD_Result list_jobs(vtp_http *h, struct MHD_Connection *c)
{
    const char *state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
    const char *lim = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
    long limit = DEFAULT_LIST;
    if (lim) {
        char *end;
        errno = 0;
        limit = strtol(lim, &end, 10);
        if (errno || end == lim || *end || limit < 1 || limit > MAX_LIST || lim[0] == '+' ||
            lim[0] == ' ')
            return send_error(c, HTTP_BAD_REQUEST, "limit is a count from 1 to %d", MAX_LIST);
    }
    json_t *req = json_pack("{s:s, s:i}", "op", "list", "limit", (int)limit);
    if (state && *state)
        json_object_set_new(req, "state", json_string(state));
    return relay(h, c, req, NULL, HTTP_OK);
}

/* POST /api/v1/jobs: the body is one job, as a line of `submit --file`. */
static enum MHD_Result submit_job(vtp_http *h, struct MHD_Connection *c, const request *rq)
{
    json_error_t err;
    json_t *job = json_loadb(rq->body ? rq->body : "", rq->len, JSON_REJECT_DUPLICATES, &err);
    if (!job)
        return send_error(c, HTTP_BAD_REQUEST, "the body is not JSON: %s (line %d, column %d)",
                          err.text, err.line, err.column);
    if (!json_is_object(job)) {
        json_decref(job);
        return send_error(c, HTTP_BAD_REQUEST, "the body is one job: a JSON object");
    }
    enum MHD_Result ret;
    json_t *answer = ask_ok(h, c, json_pack("{s:s, s:[o]}", "op", "submit", "jobs", job), &ret);
    if (!answer)
        return ret;
    json_int_t id = json_integer_value(json_array_get(json_object_get(answer, "ids"), 0));
    json_decref(answer);
    char location[64];
    snprintf(location, sizeof(location), "/api/v1/jobs/%lld", (long long)id);
    return send_json(c, HTTP_CREATED, json_pack("{s:I}", "id", id), location);
}

static enum MHD_Result serve_static(struct MHD_Connection *c, const unsigned char *data,
                                    size_t len, const char *type, int page)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (page) {
        /* Its own inline script and style, and requests to this server only. */
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'none'; script-src 'unsafe-inline'; "
                                "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; "
                                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    }
    enum MHD_Result ret = MHD_queue_response(c, HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* On the first call for a request (its headers read, its body not yet):
 * every refusal that needs no body, queued; MHD_YES with nothing queued
 * when it may go on. Answers come on the last call, after the body (even
 * an empty one): a response queued on the first call closes the
 * connection, which is right for a refusal only. */
static enum MHD_Result check_request(vtp_http *h, struct MHD_Connection *c, const request *rq,
                                     const char *method)
{
    if (h->host_checked &&
        !loopback_host(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host")))
        return send_error(c, HTTP_FORBIDDEN, "this service answers only to a loopback host name");
    if (!same_origin(c))
        return send_error(c, HTTP_FORBIDDEN, "cross-origin requests are refused");
    if (rq->r == R_DASHBOARD && method_fits(rq->r, method))
        return MHD_YES;         /* the page holds no data: no token */
    if (!authorized(h, c))
        return send_error(c, HTTP_UNAUTHORIZED, "this service needs 'Authorization: Bearer TOKEN'");
    if (rq->r == R_NONE)
        return send_error(c, HTTP_NOT_FOUND, "no such path");
    if (!method_fits(rq->r, method))
        return not_allowed(c, allowed(rq->r));
    if (rq->post) {
        const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (len && strtoull(len, NULL, 10) > VTP_HTTP_MAX_BODY)
            return send_error(c, HTTP_CONTENT_TOO_LARGE, "a request body is at most %d bytes",
                              VTP_HTTP_MAX_BODY);
        if (rq->r == R_JOBS && !json_body(c))
            return send_error(c, HTTP_UNSUPPORTED_MEDIA_TYPE,
                              "a job is sent as Content-Type: application/json");
    }
    if (rq->r == R_EVENTS && vtp_http_listeners(h) >= VTP_HTTP_MAX_STREAMS)
        return send_error(c, HTTP_UNAVAILABLE, "%d event streams are open already",
                          VTP_HTTP_MAX_STREAMS);
    return MHD_YES;
}

/* The answer of a request that passed check_request(), its body read. */
static enum MHD_Result answer(vtp_http *h, struct MHD_Connection *c, const request *rq)
{
    if (rq->dropped)
        return send_error(c, HTTP_CONTENT_TOO_LARGE, "a request body is at most %d bytes",
                          VTP_HTTP_MAX_BODY);
    switch (rq->r) {
    case R_DASHBOARD:
        return serve_static(c, vtp_web_dashboard, vtp_web_dashboard_size,
                            "text/html; charset=utf-8", 1);
    case R_OPENAPI:
        return serve_static(c, vtp_web_openapi, vtp_web_openapi_size, "application/json", 0);
    case R_METRICS:
        return serve_metrics(h, c);
    case R_JOBS:
        return rq->post ? submit_job(h, c, rq) : list_jobs(h, c);
    case R_JOB:
        return relay(h, c, json_pack("{s:s, s:I}", "op", "status", "id", (json_int_t)rq->id),
                     "job", HTTP_OK);
    case R_CANCEL: {
        enum MHD_Result ret;
        json_t *answer = ask_ok(
            h, c, json_pack("{s:s, s:I}", "op", "cancel", "id", (json_int_t)rq->id), &ret);
        if (!answer)
            return ret;
        int changed = json_is_true(json_object_get(answer, "changed"));
        json_decref(answer);
        return send_json(c, HTTP_OK,
                         json_pack("{s:I, s:b}", "id", (json_int_t)rq->id, "changed", changed),
                         NULL);
    }
    case R_WORKERS:
        return relay(h, c, json_pack("{s:s}", "op", "workers"), NULL, HTTP_OK);
    case R_EVENTS:
        return serve_events(h, c);
    default:
        return send_error(c, HTTP_NOT_FOUND, "no such path");
    }
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    vtp_http *h = cls;
    request *rq = *con_cls;
    (void)version;

    if (!rq) {
        if (!(rq = calloc(1, sizeof(*rq))))
            return MHD_NO;
        *con_cls = rq;
        rq->r = find_route(url, &rq->id);
        rq->post = strcmp(method, "POST") == 0;
        return check_request(h, c, rq, method);
    }
    if (*upload_size > 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (!rq->post)
            return MHD_YES;     /* a body where none is read: ignored */
        if (rq->dropped || rq->len + n > VTP_HTTP_MAX_BODY) {
            rq->dropped += n;
            return rq->dropped > DRAIN_LIMIT ? MHD_NO : MHD_YES;
        }
        char *grown = realloc(rq->body, rq->len + n + 1);
        if (!grown)
            return MHD_NO;
        memcpy(grown + rq->len, upload, n);
        rq->body = grown;
        rq->len += n;
        rq->body[rq->len] = 0;
        return MHD_YES;
    }
    return answer(h, c, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)c;
    (void)code;
    request *rq = *con_cls;
    if (rq) {
        free(rq->body);
        free(rq);
    }
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[1024];
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = 0;
    vtp_log(VTP_LOG_DEBUG, "http: %s", line);
}

/* ---- start, stop ---- */

/* HOST:PORT or [V6]:PORT into an address to bind. */
static int resolve(const char *address, struct sockaddr_storage *sa, socklen_t *len, char *why,
                   size_t ws)
{
    char host[256];
    const char *colon = strrchr(address, ':');
    const char *h0 = address, *h1 = colon;
    if (address[0] == '[') {
        const char *close = strchr(address, ']');
        if (!close || close[1] != ':') {
            set_why(why, ws, "--http takes HOST:PORT or [IPV6]:PORT, not '%s'", address);
            return -1;
        }
        h0 = address + 1;
        h1 = close;
        colon = close + 1;
    }
    if (!colon || h1 - h0 <= 0 || (size_t)(h1 - h0) >= sizeof(host) || !colon[1]) {
        set_why(why, ws, "--http takes HOST:PORT or [IPV6]:PORT, not '%s'", address);
        return -1;
    }
    memcpy(host, h0, (size_t)(h1 - h0));
    host[h1 - h0] = 0;
    if (address[0] != '[' && strchr(host, ':')) {
        set_why(why, ws, "--http: write an IPv6 address in brackets, [%s]:PORT", host);
        return -1;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) {
        set_why(why, ws, "--http: '%s' is not a port", colon + 1);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *res = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0 || !res) {
        set_why(why, ws, "--http: cannot resolve '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int loopback(const struct sockaddr_storage *sa)
{
    if (sa->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return 0;
}

static void free_http(vtp_http *h)
{
    if (!h)
        return;
    free(h->requests);
    free(h->events);
    if (h->token)
        memset(h->token, 0, h->token_len);
    free(h->token);
    free(h->cert);
    if (h->key)
        memset(h->key, 0, strlen(h->key));
    free(h->key);
    free(h);
}

vtp_http *vtp_http_start(const vtp_http_cfg *cfg, char *why, size_t ws)
{
    struct sockaddr_storage sa;
    socklen_t salen;
    size_t n;

    if (resolve(cfg->address, &sa, &salen, why, ws) < 0)
        return NULL;
    vtp_http *h = calloc(1, sizeof(*h));
    if (!h || !(h->requests = strdup(cfg->requests)) || !(h->events = strdup(cfg->events))) {
        set_why(why, ws, "out of memory");
        free_http(h);
        return NULL;
    }
    h->zctx = cfg->zctx;
    if (cfg->token_file && !(h->token = read_token(cfg->token_file, &h->token_len, why, ws)))
        goto fail;
    if (!h->token && !loopback(&sa)) {
        set_why(why, ws, "--http on a non-loopback address needs --http-token FILE");
        goto fail;
    }
    h->host_checked = !h->token;
    if (h->token && !cfg->cert_file && !loopback(&sa))
        vtp_log(VTP_LOG_WARNING, "http: the token crosses the network in clear text: give "
                "--http-cert and --http-key, or put a TLS proxy in front");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (!cfg->cert_file != !cfg->key_file) {
        set_why(why, ws, "--http-cert and --http-key go together");
        goto fail;
    }
    if (cfg->cert_file) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            set_why(why, ws, "this libmicrohttpd has no TLS: put a TLS proxy in front instead");
            goto fail;
        }
        if (!(h->cert = slurp(cfg->cert_file, 1 << 20, &n, why, ws)) ||
            !(h->key = slurp(cfg->key_file, 1 << 20, &n, why, ws)))
            goto fail;
        flags |= MHD_USE_TLS;
    }
    h->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)VTP_HTTP_MAX_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)VTP_HTTP_MAX_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)VTP_HTTP_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        h->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->cert,
        MHD_OPTION_HTTPS_MEM_KEY, h->key, MHD_OPTION_END);
    if (!h->mhd) {
        set_why(why, ws, "cannot serve HTTP on %s (in use? a bad certificate or key?)",
                cfg->address);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : 0;
    (void)salen;
    return h;
fail:
    free_http(h);
    return NULL;
}

void vtp_http_stop(vtp_http **hp)
{
    vtp_http *h = *hp;
    if (!h)
        return;
    atomic_store(&h->stop, 1);
    if (h->mhd)
        MHD_stop_daemon(h->mhd);        /* joins every connection's thread */
    free_http(h);
    *hp = NULL;
}

int vtp_http_port(const vtp_http *h)
{
    return h->port;
}

int vtp_http_listeners(const vtp_http *h)
{
    return h ? atomic_load((atomic_int *)&h->listeners) : 0;
}
