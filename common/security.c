/* security.c -- CURVE keys, socket options and the ZAP handler
 * (see vtp_security.h). */
#include "vtp_security.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "vtp_error.h"
#include "vtp_log.h"

#define VTP_ZAP_ENDPOINT "inproc://zeromq.zap.01"   /* fixed by the ZAP spec */
#define VTP_ZAP_POLL_MS 100

static int write_new_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int err = (w == (ssize_t)len && fsync(fd) == 0) ? 0 : -EIO;
    close(fd);
    if (err)
        unlink(path);
    return err;
}

int vtp_keygen(const char *name, char *why, size_t ws)
{
    vtp_keypair kp;
    char path[4096], text[256];

    if (zmq_curve_keypair(kp.public_key, kp.secret_key) != 0) {
        snprintf(why, ws, "this libzmq cannot make CURVE keys: %s", zmq_strerror(zmq_errno()));
        return VTP_ERR_ZMQ;
    }
    snprintf(path, sizeof(path), "%s.key", name);
    snprintf(text, sizeof(text),
             "# vtpool key pair: keep this file secret\npublic = %s\nsecret = %s\n",
             kp.public_key, kp.secret_key);
    int err = write_new_file(path, text, 0600);
    if (err == 0) {
        snprintf(path, sizeof(path), "%s.pub", name);
        snprintf(text, sizeof(text), "# vtpool public key\npublic = %s\n", kp.public_key);
        if ((err = write_new_file(path, text, 0644)) != 0) {
            char keypath[4096];
            snprintf(keypath, sizeof(keypath), "%s.key", name);
            unlink(keypath);
        }
    }
    memset(&kp, 0, sizeof(kp));
    if (err) {
        snprintf(why, ws, "cannot write '%s': %s", path, strerror(-err));
        return VTP_ERR_OUTPUT;
    }
    return 0;
}

/* Finds "NAME = VALUE" in a key file; the value must be a Z85 key. */
static int read_field(const char *path, const char *field, char out[VTP_Z85_KEY], char *why,
                      size_t ws)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int found = 0;

    if (!f) {
        snprintf(why, ws, "cannot read key file '%s': %s", path, strerror(errno));
        return VTP_ERR_USAGE;
    }
    while (!found && fgets(line, sizeof(line), f)) {
        char name[32], value[128];
        if (line[0] == '#' || sscanf(line, " %31[a-z] = %127s", name, value) != 2)
            continue;
        if (strcmp(name, field) == 0) {
            uint8_t raw[32];
            if (strlen(value) != VTP_Z85_KEY - 1 || !zmq_z85_decode(raw, value))
                break;
            memcpy(out, value, VTP_Z85_KEY);
            found = 1;
        }
    }
    fclose(f);
    if (!found) {
        snprintf(why, ws, "'%s' holds no valid %s key", path, field);
        return VTP_ERR_USAGE;
    }
    return 0;
}

int vtp_keypair_load(const char *path, vtp_keypair *kp, char *why, size_t ws)
{
    int ret = read_field(path, "public", kp->public_key, why, ws);
    return ret < 0 ? ret : read_field(path, "secret", kp->secret_key, why, ws);
}

int vtp_pubkey_load(const char *path, char out[VTP_Z85_KEY], char *why, size_t ws)
{
    return read_field(path, "public", out, why, ws);
}

int vtp_curve_server(void *sock, const vtp_keypair *kp)
{
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, "vtpool", 6) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, kp->secret_key, VTP_Z85_KEY - 1) != 0)
        return VTP_ERR_ZMQ;
    return 0;
}

int vtp_curve_client(void *sock, const vtp_keypair *kp, const char *server_public)
{
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_public, VTP_Z85_KEY - 1) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, kp->public_key, VTP_Z85_KEY - 1) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, kp->secret_key, VTP_Z85_KEY - 1) != 0)
        return VTP_ERR_ZMQ;
    return 0;
}

int vtp_client_keys_load(vtp_client_keys *k, const char *key_path, const char *server_key_path,
                         char *why, size_t ws)
{
    int ret;
    memset(k, 0, sizeof(*k));
    if (!key_path && !server_key_path)
        return 0;
    if (!key_path || !server_key_path) {
        snprintf(why, ws, "--key and --server-key go together");
        return VTP_ERR_USAGE;
    }
    if ((ret = vtp_keypair_load(key_path, &k->kp, why, ws)) < 0 ||
        (ret = vtp_pubkey_load(server_key_path, k->server_public, why, ws)) < 0)
        return ret;
    k->enabled = 1;
    return 0;
}

int vtp_endpoint_is_local(const char *ep)
{
    if (strncmp(ep, "inproc://", 9) == 0 || strncmp(ep, "ipc://", 6) == 0)
        return 1;
    if (strncmp(ep, "tcp://", 6) != 0)
        return 0;
    const char *host = ep + 6;
    return strncmp(host, "127.", 4) == 0 || strncmp(host, "[::1]:", 6) == 0 ||
           strncmp(host, "localhost:", 10) == 0;
}

/* ---- the ZAP handler ---- */

struct vtp_zap {
    pthread_t thread;
    void *zctx;
    char *dir;
    char own[VTP_Z85_KEY];
    atomic_int stop;
    void *sock;             /* the handler thread's; bound before start returns */
};

/* Whether the Z85 form of key is own or in a *.pub file of dir. */
static int authorized(const char *dir, const char *own, const uint8_t key[32])
{
    char z85[VTP_Z85_KEY], why[256], path[4096];
    if (!zmq_z85_encode(z85, key, 32))
        return 0;
    if (own[0] && strcmp(own, z85) == 0)
        return 1;
    DIR *d = opendir(dir);
    struct dirent *e;
    int ok = 0;

    if (!d)
        return 0;
    while (!ok && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pub") != 0)
            continue;
        char pub[VTP_Z85_KEY];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (vtp_pubkey_load(path, pub, why, sizeof(why)) == 0 && strcmp(pub, z85) == 0)
            ok = 1;
    }
    closedir(d);
    return ok;
}

static void send_part(void *sock, const void *data, size_t len, int more)
{
    zmq_send(sock, data, len, more ? ZMQ_SNDMORE : 0);
}

/* Answers one ZAP request (RFC 27): version, request id, domain, address,
 * identity, mechanism, credentials. */
static void answer(vtp_zap *z)
{
    zmq_msg_t parts[8];
    int n = 0, more = 1;
    while (more && n < 8) {
        zmq_msg_init(&parts[n]);
        if (zmq_msg_recv(&parts[n], z->sock, 0) < 0) {
            zmq_msg_close(&parts[n]);
            break;
        }
        more = zmq_msg_more(&parts[n++]);
    }
    if (n >= 6) {
        const char *mech = zmq_msg_data(&parts[5]);
        size_t mlen = zmq_msg_size(&parts[5]);
        int ok = n == 7 && mlen == 5 && memcmp(mech, "CURVE", 5) == 0 &&
                 zmq_msg_size(&parts[6]) == 32 &&
                 authorized(z->dir, z->own, zmq_msg_data(&parts[6]));
        if (!ok)
            vtp_log(VTP_LOG_WARNING, "refused a peer whose key is not authorized");
        send_part(z->sock, "1.0", 3, 1);
        send_part(z->sock, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), 1);
        send_part(z->sock, ok ? "200" : "400", 3, 1);
        send_part(z->sock, ok ? "OK" : "key not authorized", ok ? 2 : 18, 1);
        send_part(z->sock, "", 0, 1);
        send_part(z->sock, "", 0, 0);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
}

static void *zap_main(void *arg)
{
    vtp_zap *z = arg;
    pthread_setname_np(pthread_self(), "vtp-zap");
    while (!atomic_load(&z->stop)) {
        zmq_pollitem_t item = {z->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, VTP_ZAP_POLL_MS) < 0 && zmq_errno() != EINTR)
            break;
        if (item.revents & ZMQ_POLLIN)
            answer(z);
    }
    return NULL;
}

vtp_zap *vtp_zap_start(void *zctx, const char *dir, const char *own, char *why, size_t ws)
{
    struct stat st;
    vtp_zap *z = calloc(1, sizeof(*z));
    int linger = 0;

    if (!z)
        return NULL;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, ws, "--authorized '%s' is not a directory", dir);
        free(z);
        return NULL;
    }
    z->zctx = zctx;
    if (own)
        snprintf(z->own, sizeof(z->own), "%s", own);
    /* The socket is made here and used only by the thread from now on. */
    if (!(z->dir = strdup(dir)) || !(z->sock = zmq_socket(zctx, ZMQ_REP)) ||
        zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_bind(z->sock, VTP_ZAP_ENDPOINT) != 0 ||
        pthread_create(&z->thread, NULL, zap_main, z) != 0) {
        snprintf(why, ws, "cannot start the authentication handler: %s",
                 zmq_strerror(zmq_errno()));
        if (z->sock)
            zmq_close(z->sock);
        free(z->dir);
        free(z);
        return NULL;
    }
    return z;
}

void vtp_zap_stop(vtp_zap **self_p)
{
    vtp_zap *z = *self_p;
    if (!z)
        return;
    atomic_store(&z->stop, 1);
    pthread_join(z->thread, NULL);
    zmq_close(z->sock);
    free(z->dir);
    free(z);
    *self_p = NULL;
}
