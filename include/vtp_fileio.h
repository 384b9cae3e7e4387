/* vtp_fileio.h -- whole files in and out, with every error told. */
#ifndef VTP_FILEIO_H
#define VTP_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* Writes the len bytes at data to path (created with mode, replaced if
 * there). With durable set, they go to "path.tmp", which is flushed to disk
 * and renamed over path, and then the directory is flushed: path holds all
 * of data or what it held before, whatever crashes. 0 or an AVERROR. */
int vtp_file_write(const char *path, const uint8_t *data, size_t len, int mode, int durable);

/* Reads all of path, at most max bytes, into *data (malloc'd; NULL when the
 * file is empty) and *len. 0, AVERROR(ENOENT) when it is missing,
 * AVERROR(EFBIG) when it holds more than max, or another AVERROR. */
int vtp_file_read(const char *path, size_t max, uint8_t **data, size_t *len);

/* fsync() of the file at path. 0 or an AVERROR. */
int vtp_file_sync(const char *path);

/* fsync() of the directory holding path. 0 or an AVERROR. */
int vtp_file_sync_dir(const char *path);

/* Tests only: every fsync() of this module (those of vtp_file_write(),
 * vtp_file_sync() and vtp_file_sync_dir(), so of the stored results and
 * the joiner's output) calls fn instead, which may fail as fsync() does
 * (-1 and errno), so that a test can fail one of them; NULL puts fsync()
 * back. Set it while no other thread writes files. */
void vtp_file_set_fsync(int (*fn)(int fd));

#endif
