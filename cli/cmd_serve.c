/* cmd_serve.c -- `vtpool serve` and `vtpool worker`: the long-running
 * processes of the batch service. */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "vtp_cli.h"
#include "vtp_error.h"
#include "vtp_log.h"
#include "vtp_node.h"
#include "vtp_security.h"
#include "vtp_service.h"

/* Written by the signal handler, which runs on whichever thread the
 * signal lands on, and read by the main loop: an atomic (lock-free, so
 * safe in a handler), not a volatile sig_atomic_t, which is safe only
 * within one thread. */
static atomic_int stop_signal;

static void on_signal(int sig)
{
    atomic_store(&stop_signal, sig);
}

static void catch_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void set_verbosity(int verbose)
{
    vtp_log_init(verbose == 0 ? VTP_LOG_WARNING : verbose == 1 ? VTP_LOG_INFO : VTP_LOG_DEBUG);
}

enum { OPT_LISTEN = 256, OPT_CONTROL, OPT_DB, OPT_WORKDIR, OPT_CONNECT, OPT_HEARTBEAT, OPT_LEASE,
       OPT_LIVENESS, OPT_KEY, OPT_SERVER_KEY, OPT_AUTHORIZED, OPT_INSECURE, OPT_ROOT, OPT_HTTP,
       OPT_HTTP_TOKEN, OPT_HTTP_CERT, OPT_HTTP_KEY };

#define VTP_MAX_ROOTS 64

static const struct option options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"control", required_argument, NULL, OPT_CONTROL},
    {"db", required_argument, NULL, OPT_DB},
    {"workdir", required_argument, NULL, OPT_WORKDIR},
    {"connect", required_argument, NULL, OPT_CONNECT},
    {"heartbeat", required_argument, NULL, OPT_HEARTBEAT},
    {"liveness", required_argument, NULL, OPT_LIVENESS},
    {"lease-timeout", required_argument, NULL, OPT_LEASE},
    {"key", required_argument, NULL, OPT_KEY},
    {"server-key", required_argument, NULL, OPT_SERVER_KEY},
    {"authorized", required_argument, NULL, OPT_AUTHORIZED},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"root", required_argument, NULL, OPT_ROOT},
    {"http", required_argument, NULL, OPT_HTTP},
    {"http-token", required_argument, NULL, OPT_HTTP_TOKEN},
    {"http-cert", required_argument, NULL, OPT_HTTP_CERT},
    {"http-key", required_argument, NULL, OPT_HTTP_KEY},
    {"jobs", required_argument, NULL, 'j'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char serve_usage[] =
    "usage: vtpool serve [--listen ENDPOINT] [--control ENDPOINT] [--db FILE]\n"
    "                    [--workdir DIR] [-j N] [--heartbeat MS] [--liveness N] [--lease-timeout S]\n"
    "                    [--key FILE --authorized DIR] [--insecure] [--root DIR]...\n"
    "                    [--http HOST:PORT [--http-token FILE] [--http-cert FILE --http-key FILE]]\n"
    "                    [-v]\n"
    "\n"
    "Runs the job queue: clients submit jobs on --control, workers connect to --listen,\n"
    "and the jobs in the SQLite database --db run in priority, then arrival order.\n"
    "\n"
    "  --listen ENDPOINT      where workers connect (default " VTP_DEFAULT_LISTEN ")\n"
    "  --control ENDPOINT     where clients talk (default " VTP_DEFAULT_CONTROL ")\n"
    "  --db FILE              the queue (default vtpool.db)\n"
    "  --workdir DIR          finished segments, kept until their job is done\n"
    "                         (default vtpool-work)\n"
    "  -j N                   worker threads inside the service (default: all CPUs;\n"
    "                         0: remote workers only)\n"
    "  --heartbeat MS         heartbeat interval (default 1000)\n"
    "  --lease-timeout S      a worker that says nothing for S seconds about a segment\n"
    "                         it holds has lost it: it is sent again (default 300)\n"
    "  --liveness N           intervals of silence before a worker counts as dead\n"
    "                         and its segments go to others (default 3)\n"
    "  --key FILE             this service's key pair (from 'vtpool keygen'): CURVE\n"
    "                         encryption and authentication on both endpoints\n"
    "  --authorized DIR       the *.pub keys of workers and clients let in (with --key)\n"
    "  --insecure             allow a non-loopback endpoint without keys\n"
    "  --root DIR             jobs may read and write only below DIR (repeatable);\n"
    "                         others are refused at submit\n"
    "  --http HOST:PORT       serve the web API (/api/v1), the dashboard (/) and\n"
    "                         Prometheus metrics (/metrics), e.g. 127.0.0.1:8080\n"
    "  --http-token FILE      every web request but the dashboard page needs\n"
    "                         'Authorization: Bearer TOKEN' (the file's first line);\n"
    "                         required on a non-loopback address\n"
    "  --http-cert FILE       serve HTTPS with this certificate (PEM)...\n"
    "  --http-key FILE        ...and this private key (PEM)\n"
    "  -v                     log jobs starting and ending (-vv: segments too)\n";

static const char worker_usage[] =
    "usage: vtpool worker --connect ENDPOINT [-j N] [--heartbeat MS] [--liveness N]\n"
    "                     [--key FILE --server-key FILE] [-v]\n"
    "\n"
    "Encodes segments for a 'vtpool serve' on this or another machine. It needs no\n"
    "shared filesystem: segments and results travel over the connection. It keeps\n"
    "running when the service restarts, reconnecting with backoff.\n"
    "\n"
    "  --connect ENDPOINT     the service's worker endpoint, e.g. tcp://host:5555\n"
    "  -j N                   worker threads (default: all CPUs)\n"
    "  --heartbeat MS         heartbeat interval (default 1000; use the service's)\n"
    "  --liveness N           intervals of silence before reconnecting (default 3)\n"
    "  --key FILE             this worker's key pair, with --server-key\n"
    "  --server-key FILE      the service's public key (its .pub file)\n"
    "  -v                     more detail in the log (-vv: each segment)\n";

/* Parses the options of serve (serve = 1) or worker. -1 to go on, else the
 * exit status. */
typedef struct cmd_extra {
    int verbose;
    const char *key;
    const char *server_key;
    const char *roots[VTP_MAX_ROOTS];
} cmd_extra;

static int parse(int argc, char **argv, int serve, vtp_service_cfg *sc, vtp_node_cfg *nc,
                 cmd_extra *x)
{
    const char *cmd = serve ? "serve" : "worker";
    double v;
    int opt;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":j:vh", options, NULL)) != -1) {
        switch (opt) {
        case OPT_LISTEN:
        case OPT_CONTROL:
        case OPT_DB:
        case OPT_WORKDIR:
            if (!serve)
                return vtp_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
            *(opt == OPT_LISTEN ? &sc->listen : opt == OPT_CONTROL ? &sc->control
              : opt == OPT_DB ? &sc->db : &sc->workdir) = optarg;
            break;
        case OPT_HTTP:
        case OPT_HTTP_TOKEN:
        case OPT_HTTP_CERT:
        case OPT_HTTP_KEY:
            if (!serve)
                return vtp_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
            *(opt == OPT_HTTP ? &sc->http : opt == OPT_HTTP_TOKEN ? &sc->http_token
              : opt == OPT_HTTP_CERT ? &sc->http_cert : &sc->http_key) = optarg;
            break;
        case OPT_CONNECT:
            if (serve)
                return vtp_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
            nc->connect = optarg;
            break;
        case OPT_HEARTBEAT:
            if (vtp_cli_number(optarg, 10, 600000, &v) < 0)
                return vtp_cli_usage_error(cmd, "--heartbeat needs milliseconds, not '%s'",
                                           optarg);
            sc->heartbeat_ms = nc->heartbeat_ms = (int)v;
            break;
        case OPT_LEASE:
            if (!serve)
                return vtp_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
            if (vtp_cli_number(optarg, 1, 86400, &v) < 0)
                return vtp_cli_usage_error(cmd, "--lease-timeout needs seconds from 1 to 86400, "
                                                "not '%s'", optarg);
            sc->lease_ms = (int)(v * 1000);
            break;
        case OPT_LIVENESS:
            if (vtp_cli_number(optarg, 1, 1000, &v) < 0 || v != (int)v)
                return vtp_cli_usage_error(cmd, "--liveness needs a whole number, not '%s'",
                                           optarg);
            sc->liveness = nc->liveness = (int)v;
            break;
        case 'j':
            if (vtp_cli_number(optarg, serve ? 0 : 1, 1024, &v) < 0 || v != (int)v)
                return vtp_cli_usage_error(cmd, "-j needs a whole number of threads, not '%s'",
                                           optarg);
            sc->threads = nc->threads = (int)v;
            break;
        case 'v':
            x->verbose++;
            break;
        case OPT_KEY:
            x->key = optarg;
            break;
        case OPT_SERVER_KEY:
        case OPT_AUTHORIZED:
        case OPT_INSECURE:
        case OPT_ROOT:
            if (serve == (opt == OPT_SERVER_KEY))
                return vtp_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
            if (opt == OPT_SERVER_KEY)
                x->server_key = optarg;
            else if (opt == OPT_AUTHORIZED)
                sc->authorized = optarg;
            else if (opt == OPT_INSECURE)
                sc->insecure = 1;
            else if (sc->nroots == VTP_MAX_ROOTS)
                return vtp_cli_usage_error(cmd, "too many --root folders%s", "");
            else
                x->roots[sc->nroots++] = optarg;
            break;
        case 'h':
            fputs(serve ? serve_usage : worker_usage, stdout);
            return VTP_EXIT_OK;
        case ':':
            return vtp_cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            return vtp_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return vtp_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!serve && !nc->connect)
        return vtp_cli_usage_error(cmd, "%s", "--connect ENDPOINT is required");
    if (serve && !sc->http && (sc->http_token || sc->http_cert || sc->http_key))
        return vtp_cli_usage_error(cmd, "%s", "--http-token, --http-cert and --http-key need --http");
    return -1;
}

int vtp_cmd_serve(int argc, char **argv)
{
    vtp_service_cfg sc = {.listen = VTP_DEFAULT_LISTEN, .control = VTP_DEFAULT_CONTROL,
                          .db = "vtpool.db", .workdir = "vtpool-work", .threads = -1};
    vtp_node_cfg nc = {0};
    cmd_extra x = {0};
    int status = parse(argc, argv, 1, &sc, &nc, &x);
    if (status >= 0)
        return status;
    set_verbosity(x.verbose);
    catch_signals();
    sc.key = x.key;
    sc.roots = x.roots;
    sc.stop = &stop_signal;
    int ret = vtp_service_run(&sc);
    if (ret < 0)
        return vtp_exit_status(ret);
    return VTP_EXIT_OK;
}

int vtp_cmd_worker(int argc, char **argv)
{
    vtp_service_cfg sc = {0};
    vtp_node_cfg nc = {0};
    cmd_extra x = {0};
    vtp_client_keys keys;
    char why[512];
    int status = parse(argc, argv, 0, &sc, &nc, &x);
    if (status >= 0)
        return status;
    set_verbosity(x.verbose);
    if (vtp_client_keys_load(&keys, x.key, x.server_key, why, sizeof(why)) < 0) {
        vtp_log_line("worker: %s", why);
        return VTP_EXIT_USAGE;
    }
    catch_signals();
    nc.keys = &keys;
    nc.stop = &stop_signal;
    void *zctx = zmq_ctx_new();
    if (!zctx)
        return VTP_EXIT_INTERNAL;
    int ret = vtp_node_run(zctx, &nc);
    zmq_ctx_term(zctx);
    return ret < 0 ? vtp_exit_status(ret) : VTP_EXIT_OK;
}

static const char keygen_usage[] =
    "usage: vtpool keygen NAME\n"
    "\n"
    "Makes a CURVE key pair: NAME.key (keep it secret; give it to --key) and NAME.pub\n"
    "(the public key: put workers' and clients' .pub files in the service's\n"
    "--authorized folder, and give the service's .pub to their --server-key).\n";

int vtp_cmd_keygen(int argc, char **argv)
{
    char why[512];
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(keygen_usage, stdout);
        return VTP_EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == '-')
        return vtp_cli_usage_error("keygen", "%s", "exactly one NAME is expected");
    vtp_log_init(VTP_LOG_ERROR);
    if (vtp_keygen(argv[1], why, sizeof(why)) < 0) {
        vtp_log_line("keygen: %s", why);
        return VTP_EXIT_OUTPUT;
    }
    printf("wrote %s.key (secret) and %s.pub\n", argv[1], argv[1]);
    return VTP_EXIT_OK;
}
