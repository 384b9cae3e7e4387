/* buf.c -- little-endian writer and bounds-checked reader (see vtp_buf.h). */
#include "vtp_buf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define VTP_HUGE_BUFFER (8u << 20)      /* bytes: ask for huge pages from here */
#define VTP_HUGE_PAGE (2u << 20)

void vtp_wbuf_init(vtp_wbuf *b)
{
    memset(b, 0, sizeof(*b));
}

void vtp_wbuf_free(vtp_wbuf *b)
{
    vtp_wbuf_recycle(b->data, b->cap);
    vtp_wbuf_init(b);
}

uint8_t *vtp_wbuf_release(vtp_wbuf *b, size_t *len)
{
    uint8_t *p = b->data;
    *len = b->len;
    vtp_wbuf_init(b);
    return p;
}

/* Large buffers (segments of raw frames, tens to hundreds of MB) are
 * recycled instead of returned to the system: fresh pages must be faulted
 * in and cleared by the kernel, which cost more than the copy that fills
 * them. A small pool keeps freed ones; all are huge-page backed where the
 * kernel allows. Any thread may recycle, so the pool has a lock. */
#define VTP_POOL_BUFFERS 16
#define VTP_POOL_BYTES (2ULL << 30)

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { void *data; size_t cap; } pool[VTP_POOL_BUFFERS];   /* guarded by pool_lock */
static int pool_n;                                                  /* guarded by pool_lock */
static size_t pool_bytes;                                           /* guarded by pool_lock */

static void *big_alloc(size_t *cap)
{
    pthread_mutex_lock(&pool_lock);
    int best = -1;
    for (int i = 0; i < pool_n; i++)
        if (pool[i].cap >= *cap && (best < 0 || pool[i].cap < pool[best].cap))
            best = i;
    if (best >= 0) {
        void *p = pool[best].data;
        *cap = pool[best].cap;
        pool_bytes -= pool[best].cap;
        pool[best] = pool[--pool_n];
        pthread_mutex_unlock(&pool_lock);
        return p;
    }
    pthread_mutex_unlock(&pool_lock);

    *cap = (*cap + VTP_HUGE_PAGE - 1) & ~(size_t)(VTP_HUGE_PAGE - 1);
    void *p = aligned_alloc(VTP_HUGE_PAGE, *cap);
    if (p)
        madvise(p, *cap, MADV_HUGEPAGE);
    return p;
}

void vtp_wbuf_recycle(void *data, size_t cap)
{
    if (!data)
        return;
    if (cap >= VTP_HUGE_BUFFER) {
        pthread_mutex_lock(&pool_lock);
        if (pool_n < VTP_POOL_BUFFERS && pool_bytes + cap <= VTP_POOL_BYTES) {
            pool[pool_n].data = data;
            pool[pool_n].cap = cap;
            pool_n++;
            pool_bytes += cap;
            data = NULL;
        }
        pthread_mutex_unlock(&pool_lock);
    }
    free(data);
}

uint8_t *vtp_wbuf_reserve(vtp_wbuf *b, size_t n)
{
    if (b->failed)
        return NULL;
    if (n > SIZE_MAX / 2 - b->len) {
        b->failed = 1;
        return NULL;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p;
        if (cap >= VTP_HUGE_BUFFER) {
            if ((p = big_alloc(&cap)) && b->len)
                memcpy(p, b->data, b->len);
            if (p)
                vtp_wbuf_recycle(b->data, b->cap);
        } else {
            p = realloc(b->data, cap);
        }
        if (!p) {
            b->failed = 1;
            return NULL;
        }
        b->data = p;
        b->cap = cap;
    }
    uint8_t *at = b->data + b->len;
    b->len += n;
    return at;
}

void vtp_wbuf_grow(vtp_wbuf *b, size_t n)
{
    if (vtp_wbuf_reserve(b, n))
        b->len -= n;
}

static void put_le(vtp_wbuf *b, uint64_t v, int width)
{
    uint8_t *p = vtp_wbuf_reserve(b, (size_t)width);
    if (!p)
        return;
    for (int i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void vtp_wbuf_u8(vtp_wbuf *b, uint8_t v) { put_le(b, v, 1); }
void vtp_wbuf_u16(vtp_wbuf *b, uint16_t v) { put_le(b, v, 2); }
void vtp_wbuf_u32(vtp_wbuf *b, uint32_t v) { put_le(b, v, 4); }
void vtp_wbuf_u64(vtp_wbuf *b, uint64_t v) { put_le(b, v, 8); }
void vtp_wbuf_i32(vtp_wbuf *b, int32_t v) { put_le(b, (uint32_t)v, 4); }
void vtp_wbuf_i64(vtp_wbuf *b, int64_t v) { put_le(b, (uint64_t)v, 8); }

void vtp_wbuf_bytes(vtp_wbuf *b, const void *p, size_t n)
{
    uint8_t *at = vtp_wbuf_reserve(b, n);
    if (at && n)
        memcpy(at, p, n);
}

void vtp_wbuf_blob(vtp_wbuf *b, const void *p, size_t n)
{
    if (!p || n > UINT32_MAX)
        n = 0;
    vtp_wbuf_u32(b, (uint32_t)n);
    vtp_wbuf_bytes(b, p, n);
}

void vtp_wbuf_str(vtp_wbuf *b, const char *s)
{
    vtp_wbuf_blob(b, s, s ? strlen(s) : 0);
}

void vtp_wbuf_printf(vtp_wbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    uint8_t *at = vtp_wbuf_reserve(b, (size_t)n + 1);
    if (!at)
        return;
    va_start(ap, fmt);
    vsnprintf((char *)at, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len--;                   /* the NUL stays after the text */
}

void vtp_rbuf_init(vtp_rbuf *r, const void *data, size_t len)
{
    r->data = data;
    r->len = data ? len : 0;
    r->pos = 0;
    r->failed = 0;
}

int vtp_rbuf_ok(const vtp_rbuf *r) { return !r->failed; }
size_t vtp_rbuf_left(const vtp_rbuf *r) { return r->failed ? 0 : r->len - r->pos; }

const uint8_t *vtp_rbuf_bytes(vtp_rbuf *r, size_t n)
{
    if (r->failed || n > r->len - r->pos) {
        r->failed = 1;
        return NULL;
    }
    const uint8_t *p = r->data + r->pos;
    r->pos += n;
    return p;
}

static uint64_t get_le(vtp_rbuf *r, int width)
{
    const uint8_t *p = vtp_rbuf_bytes(r, (size_t)width);
    uint64_t v = 0;
    if (!p)
        return 0;
    for (int i = 0; i < width; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint8_t vtp_rbuf_u8(vtp_rbuf *r) { return (uint8_t)get_le(r, 1); }
uint16_t vtp_rbuf_u16(vtp_rbuf *r) { return (uint16_t)get_le(r, 2); }
uint32_t vtp_rbuf_u32(vtp_rbuf *r) { return (uint32_t)get_le(r, 4); }
uint64_t vtp_rbuf_u64(vtp_rbuf *r) { return get_le(r, 8); }
int32_t vtp_rbuf_i32(vtp_rbuf *r) { return (int32_t)(uint32_t)get_le(r, 4); }
int64_t vtp_rbuf_i64(vtp_rbuf *r) { return (int64_t)get_le(r, 8); }

const uint8_t *vtp_rbuf_blob(vtp_rbuf *r, size_t max, size_t *n)
{
    uint32_t len = vtp_rbuf_u32(r);
    *n = 0;
    if (r->failed)
        return NULL;
    if (len > max) {
        r->failed = 1;
        return NULL;
    }
    const uint8_t *p = vtp_rbuf_bytes(r, len);
    if (!p || len == 0)
        return NULL;
    *n = len;
    return p;
}

char *vtp_rbuf_str(vtp_rbuf *r, size_t max)
{
    size_t n;
    const uint8_t *p = vtp_rbuf_blob(r, max, &n);
    if (!p)
        return NULL;
    if (memchr(p, 0, n)) {
        r->failed = 1;
        return NULL;
    }
    char *s = malloc(n + 1);
    if (!s) {
        r->failed = 1;
        return NULL;
    }
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}
