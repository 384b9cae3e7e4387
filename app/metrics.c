/* metrics.c -- what `vtpool serve` counts for Prometheus (see vtp_metrics.h). */
#include "vtp_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtp_buf.h"
#include "vtp_clock.h"

/* Upper bounds of the loop-pass histogram, in seconds (Prometheus "le"). */
static const double pass_le[VTP_METRICS_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001,
                                                    0.0025, 0.005,   0.01,   0.025,
                                                    0.05,   0.1,     0.25,   1};

void vtp_metrics_init(vtp_metrics *m)
{
    memset(m, 0, sizeof(*m));
    m->start_time = vtp_clock_unix();
}

void vtp_metrics_segment(vtp_metrics *m, const char *encoder, int64_t frames, double cpu_seconds)
{
    if (!encoder)
        encoder = "unknown";
    m->segments++;
    m->frames += frames;
    int k = 0;
    while (k < m->nenc && strcmp(m->enc[k].name, encoder) != 0)
        k++;
    if (k == m->nenc) {
        /* The last entry is "other": for every encoder past the first ones. */
        k = m->nenc < VTP_METRICS_ENCODERS - 1 ? m->nenc++ : VTP_METRICS_ENCODERS - 1;
        if (k == VTP_METRICS_ENCODERS - 1)
            m->nenc = VTP_METRICS_ENCODERS;
        snprintf(m->enc[k].name, sizeof(m->enc[0].name), "%s",
                 k == VTP_METRICS_ENCODERS - 1 ? "other" : encoder);
    }
    m->enc[k].seconds += cpu_seconds;
}

void vtp_metrics_pass(vtp_metrics *m, double seconds)
{
    int k = 0;
    while (k < VTP_METRICS_BUCKETS && seconds > pass_le[k])
        k++;
    if (k < VTP_METRICS_BUCKETS)
        m->pass_bucket[k]++;
    m->passes++;
    m->pass_seconds += seconds;
}

json_t *vtp_metrics_json(const vtp_metrics *m, const int64_t jobs[VTP_QUEUE_STATES],
                         int workers, int slots, int busy, const vtp_dispatcher_stats *ds)
{
    json_t *states = json_object(), *enc = json_object(), *buckets = json_array();
    for (int k = 0; k < VTP_QUEUE_STATES; k++)
        json_object_set_new(states, vtp_queue_state_name(k), json_integer(jobs[k]));
    for (int k = 0; k < m->nenc; k++)
        json_object_set_new(enc, m->enc[k].name, json_real(m->enc[k].seconds));
    int64_t below = 0;
    for (int k = 0; k < VTP_METRICS_BUCKETS; k++) {
        below += m->pass_bucket[k];
        json_array_append_new(buckets, json_pack("[f, I]", pass_le[k], (json_int_t)below));
    }
    return json_pack("{s:b, s:o, s:I, s:I, s:o, s:i, s:i, s:i, s:I, s:I, s:I, s:f, "
                     "s:{s:o, s:f, s:I}}",
                     "ok", 1, "jobs", states, "segments", (json_int_t)m->segments, "frames",
                     (json_int_t)m->frames, "encode_seconds", enc, "workers", workers, "slots",
                     slots, "busy", busy, "resent", (json_int_t)ds->resent, "bytes_sent",
                     (json_int_t)ds->bytes_sent, "bytes_received", (json_int_t)ds->bytes_received,
                     "start_time", m->start_time, "loop", "buckets", buckets, "sum",
                     m->pass_seconds, "count", (json_int_t)m->passes);
}

/* ---- the text format ---- */

static void head(vtp_wbuf *t, const char *name, const char *type, const char *help)
{
    vtp_wbuf_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static double num(const json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key));
}

/* A label value, escaped as the text format wants (\\, \", \n). */
static void label(vtp_wbuf *t, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"')
            vtp_wbuf_printf(t, "\\%c", *p);
        else if (*p == '\n')
            vtp_wbuf_printf(t, "\\n");
        else
            vtp_wbuf_printf(t, "%c", *p);
    }
}

/* The metrics that are one number of the answer. */
static const struct {
    const char *name, *type, *help, *key;
} scalars[] = {
    {"vtpool_segments_encoded_total", "counter", "Segments encoded and accepted.", "segments"},
    {"vtpool_frames_encoded_total", "counter", "Frames encoded and accepted.", "frames"},
    {"vtpool_workers_connected", "gauge",
     "Workers connected (worker processes and in-process threads).", "workers"},
    {"vtpool_slots", "gauge", "Segment slots of the connected workers.", "slots"},
    {"vtpool_slots_busy", "gauge", "Slots holding a segment.", "busy"},
    {"vtpool_segments_resent_total", "counter",
     "Segments taken back from a worker (dead, or silent past its lease) to be sent again.",
     "resent"},
    {"vtpool_bytes_sent_total", "counter", "Bytes of segments sent to workers.", "bytes_sent"},
    {"vtpool_bytes_received_total", "counter", "Bytes received from workers.", "bytes_received"},
};

char *vtp_metrics_text(const json_t *m)
{
    vtp_wbuf t;
    const char *key;
    json_t *value;
    size_t i;

    vtp_wbuf_init(&t);
    head(&t, "vtpool_jobs", "gauge", "Jobs in the queue, by state.");
    json_object_foreach((json_t *)json_object_get(m, "jobs"), key, value)
        vtp_wbuf_printf(&t, "vtpool_jobs{state=\"%s\"} %.0f\n", key, json_number_value(value));
    head(&t, "vtpool_queue_depth", "gauge", "Jobs waiting to start.");
    vtp_wbuf_printf(&t, "vtpool_queue_depth %.0f\n", num(json_object_get(m, "jobs"), "queued"));
    for (size_t k = 0; k < sizeof(scalars) / sizeof(*scalars); k++) {
        head(&t, scalars[k].name, scalars[k].type, scalars[k].help);
        vtp_wbuf_printf(&t, "%s %.0f\n", scalars[k].name, num(m, scalars[k].key));
    }
    head(&t, "vtpool_encode_seconds_total", "counter",
         "Worker CPU seconds spent on accepted segments, by encoder.");
    json_object_foreach((json_t *)json_object_get(m, "encode_seconds"), key, value) {
        vtp_wbuf_printf(&t, "vtpool_encode_seconds_total{encoder=\"");
        label(&t, key);
        vtp_wbuf_printf(&t, "\"} %.6f\n", json_number_value(value));
    }
    json_t *loop = json_object_get(m, "loop");
    head(&t, "vtpool_dispatcher_loop_seconds", "histogram",
         "Work of one pass of the service's loop (messages, leases, requests, new jobs).");
    json_array_foreach(json_object_get(loop, "buckets"), i, value)
        vtp_wbuf_printf(&t, "vtpool_dispatcher_loop_seconds_bucket{le=\"%g\"} %.0f\n",
                        json_number_value(json_array_get(value, 0)),
                        json_number_value(json_array_get(value, 1)));
    vtp_wbuf_printf(&t, "vtpool_dispatcher_loop_seconds_bucket{le=\"+Inf\"} %.0f\n",
                    num(loop, "count"));
    vtp_wbuf_printf(&t, "vtpool_dispatcher_loop_seconds_sum %.9f\n", num(loop, "sum"));
    vtp_wbuf_printf(&t, "vtpool_dispatcher_loop_seconds_count %.0f\n", num(loop, "count"));
    head(&t, "vtpool_start_time_seconds", "gauge", "When the service started (unix time).");
    vtp_wbuf_printf(&t, "vtpool_start_time_seconds %.3f\n", num(m, "start_time"));
    if (t.failed) {
        vtp_wbuf_free(&t);
        return NULL;
    }
    size_t len;
    return (char *)vtp_wbuf_release(&t, &len);
}
