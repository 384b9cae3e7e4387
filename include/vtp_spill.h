/* vtp_spill.h -- a job's stored results: one directory, one file a segment.
 *
 * In `serve` every result is stored before it counts as done, so that a job
 * survives a crash of the service (vtp_job.h). The directory holds
 * seg-NNNNNNNN.vtpr files, each a RESULT message (vtp_proto.h), written
 * under a temporary name, flushed to disk, renamed, and the directory
 * flushed after it: a result that counts as stored is on disk whole.
 * Results arrive out of order, so removing a job's results removes every
 * file the directory holds, gaps or not.
 */
#ifndef VTP_SPILL_H
#define VTP_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "vtp_segment.h"

/* The file of segment index in dir. */
void vtp_spill_path(const char *dir, uint32_t index, char *buf, size_t size);

/* Stores res as segment res->index in dir (which must exist). 0, or a
 * negative error (AVERROR(ENOSPC) when the disk is full) with why. */
int vtp_spill_store(const char *dir, const vtp_result *res, char *why, size_t why_size);

/* Whether segment index is stored in dir, as a result of this version of
 * the protocol (one stored before an upgrade of vtpool that changed it
 * counts as missing: the segment is encoded again). */
int vtp_spill_exists(const char *dir, uint32_t index);

/* Reads segment index back into a new result (of any size the protocol
 * allows). 0, or VTP_ERR_OUTPUT (missing, unreadable or damaged) or
 * VTP_ERR_NOMEM, with why. */
int vtp_spill_load(const char *dir, uint32_t index, vtp_result **out, char *why, size_t why_size);

/* Removes every stored result in dir, and dir itself when that leaves it
 * empty. */
void vtp_spill_remove(const char *dir);

#endif
