/* ratealloc.c -- two-pass encoding: each segment's share of the bits
 * (see vtp_ratealloc.h). */
#include "vtp_ratealloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vtp_error.h"

/* The number after " key:" in line [p, end), or -1. */
static double field(const char *p, const char *end, const char *key)
{
    size_t n = strlen(key);
    for (const char *at = p; at + n + 1 < end; at++) {
        if ((at == p || at[-1] == ' ') && !memcmp(at, key, n) && at[n] == ':') {
            char *stop;
            double v = strtod(at + n + 1, &stop);
            return stop > at + n + 1 && stop <= end && v >= 0 ? v : -1;
        }
    }
    return -1;
}

int vtp_pass_cost_parse(const uint8_t *log, size_t len, vtp_pass_cost *c)
{
    const char *p = (const char *)log, *end = p + len;
    int frames = 0;
    c->tex = c->mv = c->misc = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if (eol - p > 3 && !memcmp(p, "in:", 3)) {
            double tex = field(p, eol, "tex"), mv = field(p, eol, "mv"),
                   misc = field(p, eol, "misc");
            if (tex >= 0 && mv >= 0 && misc >= 0) {
                c->tex += tex;
                c->mv += mv;
                c->misc += misc;
                frames++;
            }
        }
        p = eol + 1;
    }
    return frames ? 0 : VTP_ERR_PROTO;
}

/* Predicted bits of segment c with every quantizer divided by r. */
static double predict(const vtp_pass_cost *c, double r)
{
    return c->tex * pow(r, 1.1) + c->mv * pow(r, 0.5) + c->misc;
}

int vtp_ratealloc(const vtp_pass_cost *c, int n, double rate, double *bits)
{
    double seconds = 0, first = 0;
    for (int i = 0; i < n; i++) {
        seconds += c[i].seconds;
        first += predict(&c[i], 1);
    }
    if (n <= 0 || !(seconds > 0) || !(first > 0) || !(rate > 0))
        return VTP_ERR_USAGE;
    double budget = rate * seconds;
    /* The prediction rises with r: bisect on log r, within a quantizer
     * change of 2^-20..2^20 (far beyond x264's range of 0.1..~1600). */
    double lo = -20, hi = 20;
    for (int it = 0; it < 200 && hi - lo > 1e-12; it++) {
        double mid = (lo + hi) / 2, total = 0;
        for (int i = 0; i < n; i++)
            total += predict(&c[i], exp2(mid));
        if (total < budget)
            lo = mid;
        else
            hi = mid;
    }
    double r = exp2((lo + hi) / 2), total = 0;
    for (int i = 0; i < n; i++)
        total += bits[i] = predict(&c[i], r);
    /* Exactly the budget, whatever was left of the bisection (or of the
     * clamp, when no factor in range meets it). */
    for (int i = 0; i < n; i++)
        bits[i] *= budget / total;
    return 0;
}
