/* vtp_security.h -- who may talk to a service: CURVE keys and the ZAP
 * handler that checks them.
 *
 * A key pair is two files: NAME.key (both keys, mode 0600) and NAME.pub
 * (the public key alone), each key in Z85 text as ZeroMQ writes it. The
 * service has a key pair and a directory of authorized public keys; workers
 * and clients have their own pair and the service's public key. With CURVE
 * every byte on the network is encrypted and authenticated; a peer whose
 * public key is not authorized fails the handshake and never gets a message
 * through: no work, no answer.
 */
#ifndef VTP_SECURITY_H
#define VTP_SECURITY_H

#include <stddef.h>

#define VTP_Z85_KEY 41              /* bytes of a Z85 key with its NUL */

typedef struct vtp_keypair {
    char public_key[VTP_Z85_KEY];
    char secret_key[VTP_Z85_KEY];
} vtp_keypair;

/* Writes NAME.key and NAME.pub (refusing to overwrite either). 0 or a
 * negative code with a reason in why. */
int vtp_keygen(const char *name, char *why, size_t why_size);

/* Reads a key pair from a .key file. 0 or negative with a reason. */
int vtp_keypair_load(const char *path, vtp_keypair *kp, char *why, size_t why_size);
/* Reads a public key from a .pub (or .key) file into out. */
int vtp_pubkey_load(const char *path, char out[VTP_Z85_KEY], char *why, size_t why_size);

/* Socket options: a CURVE server with kp, checked by the ZAP handler. */
int vtp_curve_server(void *sock, const vtp_keypair *kp);
/* Socket options: a CURVE client with kp, talking to server_public. */
int vtp_curve_client(void *sock, const vtp_keypair *kp, const char *server_public);

/* Client-side security settings, as the command line gives them. */
typedef struct vtp_client_keys {
    int enabled;
    vtp_keypair kp;
    char server_public[VTP_Z85_KEY];
} vtp_client_keys;

/* Loads --key and --server-key (both or neither). 0 or negative. */
int vtp_client_keys_load(vtp_client_keys *k, const char *key_path, const char *server_key_path,
                         char *why, size_t why_size);

/* The ZAP handler: a thread answering ZeroMQ's authentication requests in
 * zctx, accepting CURVE clients whose public key is in a *.pub file of
 * `authorized` (read again at each request, so keys can be added or removed
 * while the service runs) or equals `own` (the service's own workers).
 * Started before any CURVE server socket binds. */
typedef struct vtp_zap vtp_zap;
vtp_zap *vtp_zap_start(void *zctx, const char *authorized, const char *own, char *why,
                       size_t why_size);
void vtp_zap_stop(vtp_zap **self_p);

/* Whether a tcp endpoint is on loopback ("tcp://127.x.x.x:", "tcp://[::1]:",
 * "tcp://localhost:"); ipc and inproc count as local too. */
int vtp_endpoint_is_local(const char *endpoint);

#endif
