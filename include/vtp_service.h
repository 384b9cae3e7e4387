/* vtp_service.h -- `vtpool serve`: the dispatcher as a long-running service.
 *
 * The service owns the durable queue (vtp_queue, SQLite), the dispatcher
 * (workers connect to `listen`), and a control socket (`control`) where
 * clients submit, inspect and cancel jobs. It runs queued jobs in priority
 * then arrival order, several at a time so that no worker idles while any
 * job has work, and stores each finished segment in the work directory, so
 * that after a crash a running job continues with only what was in flight.
 *
 * Control requests and answers are JSON objects, one per message:
 *   {"op":"submit","jobs":[SPEC,...]}      -> {"ok":true,"ids":[...]}
 *   {"op":"status","id":N}                 -> {"ok":true,"job":JOB}
 *   {"op":"list","state":S,"limit":N}      -> {"ok":true,"jobs":[JOB,...]}
 *   {"op":"cancel","id":N}                 -> {"ok":true,"changed":BOOL}
 *   {"op":"workers"}                       -> {"ok":true,"workers":[...],"slots":N,"busy":N}
 *   {"op":"metrics"}                       -> {"ok":true, counters and gauges}
 * and {"ok":false,"error":"...","exit":N} for anything refused, with
 * "kind":"not_found" for an unknown job and "kind":"unavailable" when the
 * queue cannot be written or read. A SPEC is what
 * vtp_jobspec_parse() takes; paths in it are resolved on this machine.
 */
#ifndef VTP_SERVICE_H
#define VTP_SERVICE_H

#include <stdatomic.h>

#define VTP_DEFAULT_LISTEN "tcp://127.0.0.1:5555"
#define VTP_DEFAULT_CONTROL "tcp://127.0.0.1:5556"
#define VTP_MAX_ACTIVE_JOBS 8           /* jobs read at once */
#define VTP_MAX_CONTROL_MESSAGE (16 << 20)  /* bytes */

typedef struct vtp_service_cfg {
    const char *listen;
    const char *control;
    const char *db;
    const char *workdir;
    int threads;                        /* worker threads inside; <0 = all CPUs */
    int heartbeat_ms;                   /* 0 = default */
    int liveness;                       /* 0 = default */
    int lease_ms;                       /* 0 = VTP_LEASE_MS (vtp_dispatcher.h) */
    const char *key;                    /* CURVE key pair file, or NULL */
    const char *authorized;             /* directory of authorized *.pub keys */
    int insecure;                       /* allow a network endpoint without keys */
    const char *http;                   /* "HOST:PORT" of the web API and dashboard
                                           (vtp_http.h), or NULL for none */
    const char *http_token;             /* file of its bearer token, or NULL */
    const char *http_cert, *http_key;   /* its TLS certificate and key (PEM), or NULL */
    const char *const *roots;           /* folders jobs may read and write; */
    int nroots;                         /* none: anywhere */
    const atomic_int *stop;     /* the signal that asks to stop, set by a signal
                                   handler (any thread may run it); may be NULL */
} vtp_service_cfg;

/* Runs until *stop is set. 0, or a negative code when it cannot start
 * (with a reason printed). */
int vtp_service_run(const vtp_service_cfg *cfg);

#endif
