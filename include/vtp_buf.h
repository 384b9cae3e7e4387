/* vtp_buf.h -- bounds-checked byte buffers for the wire protocol.
 *
 * A vtp_wbuf grows as values are appended (little-endian, fixed widths).
 * A vtp_rbuf reads them back; any read past the end, or of a length that does
 * not fit what is left, puts the reader in a failed state: every later read
 * returns zero values, and vtp_rbuf_ok() tells the caller once at the end.
 * That keeps decoders short and makes every message field checked.
 */
#ifndef VTP_BUF_H
#define VTP_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct vtp_wbuf {
    uint8_t *data;      /* owned; taken over by vtp_wbuf_release() */
    size_t len;
    size_t cap;
    int failed;         /* an allocation failed; data is incomplete */
} vtp_wbuf;

void vtp_wbuf_init(vtp_wbuf *b);
void vtp_wbuf_free(vtp_wbuf *b);
/* Hands the bytes to the caller (who frees them with free(), or better
 * with vtp_wbuf_recycle() and the capacity b had); resets b. */
uint8_t *vtp_wbuf_release(vtp_wbuf *b, size_t *len);
/* Frees bytes released from a wbuf of capacity cap, keeping large buffers
 * for reuse. Any thread. */
void vtp_wbuf_recycle(void *data, size_t cap);
/* Makes room for n more bytes; returns a pointer to write them or NULL. */
uint8_t *vtp_wbuf_reserve(vtp_wbuf *b, size_t n);
/* Makes sure n more bytes fit without another allocation (len unchanged). */
void vtp_wbuf_grow(vtp_wbuf *b, size_t n);

void vtp_wbuf_u8(vtp_wbuf *b, uint8_t v);
void vtp_wbuf_u16(vtp_wbuf *b, uint16_t v);
void vtp_wbuf_u32(vtp_wbuf *b, uint32_t v);
void vtp_wbuf_u64(vtp_wbuf *b, uint64_t v);
void vtp_wbuf_i32(vtp_wbuf *b, int32_t v);
void vtp_wbuf_i64(vtp_wbuf *b, int64_t v);
void vtp_wbuf_bytes(vtp_wbuf *b, const void *p, size_t n);
/* A u32 length, then the bytes. NULL is written as length 0. */
void vtp_wbuf_blob(vtp_wbuf *b, const void *p, size_t n);
void vtp_wbuf_str(vtp_wbuf *b, const char *s);
/* Text, as printf writes it, with a NUL kept after it (not in len): the
 * data of a buffer only written with this is a C string. */
void vtp_wbuf_printf(vtp_wbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct vtp_rbuf {
    const uint8_t *data;  /* not owned */
    size_t len;
    size_t pos;
    int failed;
} vtp_rbuf;

void vtp_rbuf_init(vtp_rbuf *r, const void *data, size_t len);
int vtp_rbuf_ok(const vtp_rbuf *r);
size_t vtp_rbuf_left(const vtp_rbuf *r);

uint8_t vtp_rbuf_u8(vtp_rbuf *r);
uint16_t vtp_rbuf_u16(vtp_rbuf *r);
uint32_t vtp_rbuf_u32(vtp_rbuf *r);
uint64_t vtp_rbuf_u64(vtp_rbuf *r);
int32_t vtp_rbuf_i32(vtp_rbuf *r);
int64_t vtp_rbuf_i64(vtp_rbuf *r);
/* Points into the buffer (no copy): n bytes, or NULL on failure. */
const uint8_t *vtp_rbuf_bytes(vtp_rbuf *r, size_t n);
/* A blob written by vtp_wbuf_blob(); *n receives its length. At most max
 * bytes are accepted. Returns NULL for an empty blob or on failure. */
const uint8_t *vtp_rbuf_blob(vtp_rbuf *r, size_t max, size_t *n);
/* A string written by vtp_wbuf_str(), copied with malloc (caller frees);
 * NULL for an empty string or on failure. Strings with NUL bytes fail. */
char *vtp_rbuf_str(vtp_rbuf *r, size_t max);

#endif
