/* base/zsource.h - the decompressors under the trace reader: a trace
 * kept as .gz, .xz or .zst is read as the text (or .mmtb) it holds,
 * streamed block by block (docs/trace-format.md, "Compressed traces").
 *
 * The format is told by the magic number of the first bytes, never by
 * the file's name: gzip (RFC 1952, 1f 8b), xz (the .xz file format 1.0.4,
 * FD 37 7A 58 5A 00) and zstd (RFC 8878: a frame 28 B5 2F FD, or a
 * skippable frame 5? 2A 4D 18).  No mmtrace text or .mmtb begins with
 * any of them.  Several members or frames in a row (`cat a.gz b.gz`) are
 * one stream, as gzip -d, xz -d and zstd -d read them.
 *
 * The reader owns the reads; a zsource only decodes what it is given:
 * zs_in_space/zs_in_commit take compressed bytes in, zs_decode gives
 * text out.  Memory is fixed per stream (zlib's 32 KiB window, xz's
 * dictionary, zstd's window: at most 128 MiB, the library's default
 * limit, whatever the trace's length).
 */
#ifndef MMUSIM_BASE_ZSOURCE_H
#define MMUSIM_BASE_ZSOURCE_H

#include <stdbool.h>
#include <stddef.h>

enum zs_format { ZS_NONE, ZS_GZIP, ZS_XZ, ZS_ZSTD };

/* The format of a stream that begins with p[0..n-1] (n >= 6 unless the
 * stream is shorter): ZS_NONE for anything else. */
enum zs_format zs_detect(const unsigned char *p, size_t n);
/* "gzip", "xz", "zstd" */
const char *zs_format_name(enum zs_format f);
/* Whether this build can decode f (its library was found by CMake). */
bool zs_supported(enum zs_format f);

typedef struct zsource zsource;

/* A decoder of f (zs_supported), its input buffer of cap bytes; NULL when
 * out of host memory. */
zsource *zs_new(enum zs_format f, size_t cap);
void zs_free(zsource *z);

/* Room for compressed bytes (at the end of the unread input): *room
 * bytes at the pointer; zs_in_commit(z, n) adds the n written there. */
unsigned char *zs_in_space(zsource *z, size_t *room);
void zs_in_commit(zsource *z, size_t n);
/* Whether all the input given has been decoded. */
bool zs_in_empty(const zsource *z);

/* Decodes into out (cap bytes), *got the bytes written.  input_ended: no
 * more input will come.  Returns 0 (call again: more output room or more
 * input needed), 1 (the input ended at the end of a member or frame: the
 * stream is complete), or -1 with a message in msg: the data is damaged,
 * or ends inside a member or frame (a truncated file), or needs more
 * memory than the limit. */
int zs_decode(zsource *z, char *out, size_t cap, size_t *got, bool input_ended, char *msg,
              size_t msglen);

#endif
