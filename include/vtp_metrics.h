/* vtp_metrics.h -- what `vtpool serve` counts for Prometheus (GET /metrics).
 *
 * The service's thread counts (vtp_metrics_segment, vtp_metrics_pass) and,
 * on a "metrics" control request, writes the counts with the queue's and
 * the dispatcher's as one JSON object (vtp_metrics_json); the web server
 * turns that object into the Prometheus text format (vtp_metrics_text).
 * Counting is not thread-safe: one thread counts and reads.
 *
 * The metrics (all from the service's start):
 *   vtpool_jobs{state}                   gauge: jobs in the queue by state
 *   vtpool_queue_depth                   gauge: queued jobs
 *   vtpool_segments_encoded_total        counter: accepted results
 *   vtpool_frames_encoded_total          counter: their frames
 *   vtpool_encode_seconds_total{encoder} counter: workers' CPU seconds on them
 *   vtpool_workers_connected             gauge: peers (processes, threads)
 *   vtpool_slots, vtpool_slots_busy      gauge
 *   vtpool_segments_resent_total         counter: leases taken back
 *   vtpool_bytes_sent_total              counter: segments to workers
 *   vtpool_bytes_received_total          counter: messages from workers
 *   vtpool_dispatcher_loop_seconds       histogram: work of one loop pass
 *   vtpool_start_time_seconds            gauge: unix time
 */
#ifndef VTP_METRICS_H
#define VTP_METRICS_H

#include <stdint.h>

#include <jansson.h>

#include "vtp_dispatcher.h"
#include "vtp_queue.h"

#define VTP_METRICS_ENCODERS 32         /* encoders counted apart; the last entry is
                                           "other", for any beyond the first 31 */
#define VTP_METRICS_BUCKETS 12          /* of the loop histogram */

typedef struct vtp_metrics {
    double start_time;                  /* unix seconds */
    int64_t segments, frames;
    struct {
        char name[64];
        double seconds;
    } enc[VTP_METRICS_ENCODERS];
    int nenc;
    int64_t passes, pass_bucket[VTP_METRICS_BUCKETS];   /* by bucket, not cumulative */
    double pass_seconds;
} vtp_metrics;

/* Zeroes m and sets its start time to now. */
void vtp_metrics_init(vtp_metrics *m);
/* An accepted segment of `frames` frames that took a worker cpu_seconds
 * with encoder (NULL: "unknown"). */
void vtp_metrics_segment(vtp_metrics *m, const char *encoder, int64_t frames, double cpu_seconds);
/* One pass of the service's loop that took `seconds`. */
void vtp_metrics_pass(vtp_metrics *m, double seconds);

/* Everything there is to know now: what the service counted, the queue's
 * jobs by state (vtp_queue_count() order), the dispatcher's peers, slots
 * and stats. {"ok":true,...}, as the "metrics" control request answers
 * (vtp_service.h); NULL when out of memory. */
json_t *vtp_metrics_json(const vtp_metrics *m, const int64_t jobs[VTP_QUEUE_STATES],
                         int workers, int slots, int busy, const vtp_dispatcher_stats *ds);

/* The Prometheus text (format 0.0.4) of such an object; malloc'd, or NULL
 * when out of memory. */
char *vtp_metrics_text(const json_t *answer);

#endif
