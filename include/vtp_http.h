/* vtp_http.h -- the service on the web: `vtpool serve --http ADDR:PORT`.
 *
 * An HTTP server (libmicrohttpd, a thread per connection) inside the
 * service process, with:
 *   /api/v1/...        a JSON API over the same requests `vtpool submit`,
 *                      `status`, `list` and `cancel` make, plus the workers
 *                      and Server-Sent Events of every change
 *   /metrics           Prometheus text format
 *   /                  the dashboard, one static page built into the binary
 *
 * DESIGN
 * The server never touches the queue or the dispatcher. Each request is
 * put to the service's thread as a control request (vtp_service.h), over
 * an inproc socket, exactly as a `vtpool submit` would put it: one place
 * validates, confines to --root and commits, and the service's thread
 * stays the only one that owns its state. Events come the other way, from
 * a PUB socket the service's thread writes each change to; each
 * /api/v1/events connection reads them through its own SUB socket.
 *
 * With a token (--http-token FILE), every request but the dashboard page
 * needs `Authorization: Bearer TOKEN` (compared in constant time). A
 * non-loopback address needs a token. Without one (on loopback), a
 * request must name a loopback host (Host: 127.0.0.1, localhost, [::1]),
 * so that a web page whose name an attacker points at 127.0.0.1 (DNS
 * rebinding) is refused. A request a browser sends from another site's
 * page (an Origin that is not the Host) is refused too: there is no CORS.
 * TLS is the library's (GnuTLS).
 */
#ifndef VTP_HTTP_H
#define VTP_HTTP_H

#include <stddef.h>

#define VTP_HTTP_MAX_BODY (1 << 20)     /* bytes of a request body */
#define VTP_HTTP_MAX_CONNECTIONS 128
#define VTP_HTTP_MAX_PER_IP 32          /* connections from one address */
#define VTP_HTTP_MAX_STREAMS 64         /* open event streams; more get 503 */
#define VTP_HTTP_TIMEOUT_S 30           /* a connection idle this long is closed */
#define VTP_HTTP_ANSWER_MS 30000        /* the service's answer to a request */
#define VTP_HTTP_KEEPALIVE_MS 15000     /* between comments on an idle event stream */

typedef struct vtp_http vtp_http;

typedef struct vtp_http_cfg {
    const char *address;        /* "HOST:PORT" or "[V6]:PORT"; port 0: any free one */
    const char *token_file;     /* the bearer token, or NULL for none */
    const char *cert_file;      /* TLS: PEM certificate and key, or both NULL */
    const char *key_file;
    void *zctx;                 /* the service's ZeroMQ context */
    const char *requests;       /* inproc endpoint: a ROUTER answering control requests */
    const char *events;         /* inproc endpoint: a PUB of [TYPE, JSON] messages */
} vtp_http_cfg;

/* Starts serving; NULL with a one-line reason in why (a bad address, a
 * non-loopback address without a token, an unreadable token or key). */
vtp_http *vtp_http_start(const vtp_http_cfg *cfg, char *why, size_t why_size);

/* Stops serving (open event streams and waiting requests end within a
 * fifth of a second) and frees h;
 * NULL-safe. Call before the ZeroMQ context is terminated. */
void vtp_http_stop(vtp_http **h);

/* The port it listens on (the one chosen when 0 was asked). */
int vtp_http_port(const vtp_http *h);

/* Event streams open now: the service builds events only when some are. */
int vtp_http_listeners(const vtp_http *h);

#endif
