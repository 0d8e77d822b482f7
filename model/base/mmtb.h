/* base/mmtb.h - the binary trace format .mmtb (docs/trace-format.md,
 * "The binary form"): the same records as an mmtrace 1 text, with every
 * access in the canonical text form ("CPU OP ADDR [SIZE]", single spaces)
 * as a fixed 16-byte record and every other record as its text, each
 * with its line in the original so errors still point there.
 *
 * All numbers are little-endian.  The layout:
 *   header   8 bytes MMTB_MAGIC, u16 version (1), u16 cpus (1..256),
 *            u16 name length (0..255), u16 0, the name (the original's
 *            FILE in messages; empty: the .mmtb's own path), zeros to a
 *            multiple of 8 bytes
 *   access   u8 kind (1..6: r w x kr kw kx), u8 cpu, u8 ADDR's length
 *            in the text (1..20) | 0x80 when SIZE was written, u8 0,
 *            u16 SIZE (1..4096), u16 skip, u64 ADDR           (16 bytes)
 *   text     u8 MMTB_TEXT, 3 zero bytes, u16 length (1..4096), u16 skip,
 *            the line's text, zeros to a multiple of 8 bytes
 *   blank    u8 MMTB_BLANK, 3 zero bytes, u32 lines          (8 bytes)
 *   end      u8 MMTB_END, 7 zero bytes, u64 records          (16 bytes)
 * A record's line is the previous record's line + skip + 1 (the first
 * record's previous line is 0); a blank record only moves the line on by
 * its count, for runs of comments and blank lines longer than a u16.
 * The end record holds the number of access and text records before it
 * and is the last bytes of the file: a file cut short is refused.
 */
#ifndef MMUSIM_BASE_MMTB_H
#define MMUSIM_BASE_MMTB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/failure.h"
#include "base/trace.h"

#define MMTB_MAGIC "\x89MMTB\r\n\x1a"   /* 8 bytes: no text trace starts with 0x89 */
#define MMTB_MAGIC_LEN 8
#define MMTB_VERSION 1
#define MMTB_MAX_ADDR_LEN 20           /* 2^64 - 1 in decimal */
enum { MMTB_TEXT = 0x80, MMTB_BLANK = 0x81, MMTB_END = 0xff };
enum { MMTB_HAS_SIZE = 0x80 };

/* Decoding, shared by the reader (base/trace.c) and the writer. */
static inline uint16_t mmtb_le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t mmtb_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t mmtb_le64(const unsigned char *p)
{
	return (uint64_t)mmtb_le32(p) | (uint64_t)mmtb_le32(p + 4) << 32;
}

/* Whether a record the reader returned, with its line's text, is an
 * access in the canonical form: the CPU in decimal without leading
 * zeros, the operation, ADDR (1..20 characters, any spelling) and SIZE
 * in decimal without leading zeros if written, separated by single
 * spaces, nothing else.  Sets *addr_len and *has_size. */
bool mmtb_canonical_access(const trace_record *rec, const char *line, size_t len,
                           unsigned *addr_len, bool *has_size);

typedef struct mmtb_writer {
	FILE *f;
	uint64_t line;      /* the line of the last record written */
	uint64_t records;
} mmtb_writer;

/* Writes the header.  name: the original's name in messages (may be ""). */
void mmtb_begin(mmtb_writer *w, FILE *f, unsigned cpus, const char *name);
void mmtb_access(mmtb_writer *w, uint64_t line, enum rec_op op, unsigned cpu, uint64_t addr,
                 unsigned size, unsigned addr_len, bool has_size);
void mmtb_text(mmtb_writer *w, uint64_t line, const char *text, size_t len);
void mmtb_end(mmtb_writer *w);

/* The whole of r (its header not yet read) written to f in the binary
 * form: FAIL_NONE, or the failure (FAIL_TRACE, FAIL_INPUT for a read
 * error, FAIL_INTERNAL) with the reader's message in err.  What mmtb_pack writes; fuzz_mmtb packs in
 * memory with it. */
enum failure mmtb_pack_reader(trace_reader *r, FILE *f, char *err, size_t errlen);

/* mmusim --pack OUT TRACE: reads TRACE (text or .mmtb) with the reader's
 * every rule and writes OUT through a temporary file in OUT's directory,
 * renamed into place only when all of TRACE was read without error.
 * OUT is checked first, as every output (base/output.h): never TRACE nor
 * a device; "-" is standard output.  Returns FAIL_NONE or the failure
 * (FAIL_TRACE, FAIL_INPUT: cannot read or write, FAIL_INTERNAL) with a
 * complete message in err. */
enum failure mmtb_pack(const char *out, const char *in, char *err, size_t errlen);

#endif
