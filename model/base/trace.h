/* base/trace.h - streaming reader of mmtrace v1 (docs/trace-format.md).
 *
 * The reader checks everything that can be checked from the text alone:
 * lexical rules, the header, record syntax, number ranges (CPU < cpus,
 * PID range, COMM charset, PROT, FLAG names, alignment).  Whether a PID is
 * known, which task runs where, and so on is the engine's business; it
 * reports those with the record's line and the column of the field
 * (trace_record.col[]).
 *
 * Memory use is independent of trace length: one line buffer (lines longer
 * than TRACE_MAX_LINE are an error, not an allocation).  A file or stream
 * compressed with gzip, xz or zstd is decompressed under the buffer
 * (base/zsource.h), told by its first bytes; its data cut short or
 * damaged is a read error (trace_io_error), never the end.
 */
#ifndef MMUSIM_BASE_TRACE_H
#define MMUSIM_BASE_TRACE_H

#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>

#define TRACE_MAX_LINE 4096
#define TRACE_MAX_CPUS 256
#define TRACE_MAX_PID 4194304u
#define TRACE_COMM_MAX 15

enum rec_op {
	REC_NONE = 0,
	/* declarations (no CPU) */
	REC_PROC, REC_KTHREAD,
	/* CPU records */
	REC_SWITCH,
	REC_R, REC_W, REC_X, REC_KR, REC_KW, REC_KX,
	REC_SYSCALL, REC_TICK,
	REC_MMAP, REC_MUNMAP, REC_MPROTECT,
	REC_FORK, REC_VFORK, REC_CLONE, REC_EXEC, REC_EXIT,
	/* extensions of mmtrace 1 (docs/trace-format.md) */
	REC_MADVISE, REC_MREMAP, REC_PREEMPTED, REC_BRK,  /* CPU records */
	REC_THREAD, REC_VMA, REC_PRESENT, REC_CPUMASK, REC_NEXT_TRIM, REC_LAYOUT,  /* declarations */
	REC_VMAP, REC_VUNMAP, REC_KFLUSH,  /* CPU records: the kernel's own mappings and their flushes */
	REC_ROI,   /* roi begin | roi end: the region of interest (no CPU, no task) */
	REC_OP_COUNT
};

/* Declarations have no CPU: proc, kthread, thread, vma, present,
 * cpumask, next_trim, layout, and the marker roi. */
static inline bool rec_is_declaration(enum rec_op op)
{
	return op == REC_PROC || op == REC_KTHREAD || (op >= REC_THREAD && op <= REC_LAYOUT) ||
	       op == REC_ROI;
}

/* PROT bits of mmap/mprotect */
enum { PROT_R_ = 1, PROT_W_ = 2, PROT_X_ = 4 };
/* mmap FLAG bits */
enum { MAPF_SHARED = 1, MAPF_HUGE = 2, MAPF_GIANT = 4, MAPF_POPULATE = 8, MAPF_FILE = 16,
       MAPF_STACK = 32 /* VM_GROWSDOWN: a stack (VmStk) */,
       MAPF_SPECIAL = 64 /* _install_special_mapping: [vvar], [vvar_vclock], [vdso] */ };
/* file=NAME: at most this many characters */
#define TRACE_FILE_MAX 255
/* layout PID START_CODE END_CODE START_DATA END_DATA START_BRK BRK START_STACK [MMAP_BASE] */
enum { LAYOUT_MIN = 7, LAYOUT_MAX = 8 };
/* switch: the source kernel did not trace this switch (trace_record.flags) */
enum { SWITCH_UNTRACED = 1 };
enum { EXEC_PREEMPTED = 1 };   /* exec ... preempted: see os_exec */
/* madvise ADVICE (trace_record.flags) */
enum { MADV_DONTNEED_ = 1, MADV_FREE_ = 2 };
/* present KIND (trace_record.flags): what kind of page is mapped */
enum { PRESENT_ANON = 0, PRESENT_COW = 1, PRESENT_FILE = 2 };
/* kflush all: flush_tlb_all() instead of a range (trace_record.flags) */
enum { KFLUSH_ALL = 1 };
/* roi begin | roi end (trace_record.flags) */
enum { ROI_BEGIN = 0, ROI_END = 1 };

typedef struct trace_record {
	enum rec_op op;
	uint32_t cpu;        /* CPU records; cpumask: CPU */
	uint32_t pid;        /* proc/kthread/thread/vma/present/switch/fork/vfork/clone */
	uint32_t tgid;       /* thread: a live task of the process it joins */
	uint64_t addr;       /* accesses, mmap/munmap/mprotect/madvise/vma/present/vmap/vunmap/kflush; mremap: OLD */
	uint64_t size;       /* accesses: SIZE (default 1, >= 1); mmap/...: LEN; tick: CYCLES */
	uint64_t addr2, size2;  /* mremap: NEW, NEWLEN */
	uint32_t prot;       /* PROT_*_ */
	uint32_t flags;      /* MAPF_*; madvise: MADV_*_; present: PRESENT_* */
	bool timed;          /* the line began with @TIME */
	uint64_t time_ns;    /* TIME (and next_trim NS): nanoseconds from the trace's time origin */
	char comm[TRACE_COMM_MAX + 1];  /* proc/kthread/exec */
	/* mmap/vma with file=NAME: the name ("" for an unnamed file, or
	 * none) and offset=OFF, the byte offset of ADDR in the file */
	char file[TRACE_FILE_MAX + 1];
	uint64_t file_off;
	uint64_t layout[LAYOUT_MAX];    /* layout: its values in order */
	unsigned nlayout;
	uint64_t line;       /* 1-based line number */
	/* 1-based columns: col[0] the record's first field (CPU or keyword;
	 * after an @TIME prefix, the field after it), col[1] the operation
	 * keyword, col[2..] its arguments in order. */
	uint32_t col[8];
} trace_record;

/* Ranges the reader decides where the format leaves them open:
 * - SIZE of an access is 1..4096: an access is at most one page crossing
 *   (two translations), as one x86 instruction's operand is.
 * - tick CYCLES is any 64-bit value; a tick that takes its CPU's clock
 *   past the simulated time limit (2^62 cycles, os.h) is the engine's
 *   error.
 * - mmap/munmap/mprotect: ADDR page-aligned, LEN >= 1, and ADDR + LEN
 *   rounded up to pages must not wrap around 2^64 (canonical form and the
 *   user half are the engine's checks).
 * - Leading zeros are allowed in numbers ("0x0001", "007"): the value
 *   must fit in 64 bits, not the spelling.
 * - A line is at most TRACE_MAX_LINE characters without its LF (or CRLF).
 * Fields a record kind does not use keep whatever the caller left in them
 * (the fast path for accesses writes only op, cpu, addr, size, prot, flags,
 * timed, line and col[]).
 * - @TIME is decimal or hex like any number, at most 64 bits; it may only
 *   prefix a CPU record.  Time stamps need not be in order: a record
 *   starts at the later of its time and its CPU's clock. */

/* An access record as the fast lane reads it (trace_next_accesses): the
 * fields and where they are on the line; trace_access_record expands it
 * into the trace_record that trace_next would have returned. */
typedef struct trace_access {
	uint64_t addr;
	uint64_t line;
	uint32_t size;
	uint16_t cpu;
	uint8_t op;          /* enum rec_op: REC_R .. REC_KX */
	/* 1-based; col_size == col_end: no SIZE.  col_op == 0: a record of a
	 * .mmtb, whose line is canonical ("CPU OP ADDR[ SIZE]"): the columns
	 * follow from the fields and mmtb_len and are derived only when asked
	 * for (trace_access_record, an error), not for every record. */
	uint8_t col_op, col_addr, col_size, col_end;
	uint8_t mmtb_len;    /* col_op == 0: ADDR's length | MMTB_HAS_SIZE (base/mmtb.h) */
} trace_access;

typedef struct trace_reader trace_reader;

/* Opens path ("-" = stdin).  On failure returns NULL and writes a message
 * (without "error:" prefix decoration) to err: a FAIL_INPUT. */
trace_reader *trace_open(const char *path, char *err, size_t errlen);
/* Same over a stream the caller opened (libmmusim's record streams);
 * the reader closes it.  name is used in messages. */
trace_reader *trace_open_stream(FILE *f, const char *name);
/* Same over an in-memory buffer (fuzzing, tests); name is used in messages.
 * Its bytes are the text or the binary form as they are: a compressed
 * buffer is not decoded (files and streams are). */
trace_reader *trace_open_mem(const char *name, const char *buf, size_t len);
void trace_close(trace_reader *r);

/* Reads the header ("mmtrace 1", "cpus N").  Returns 0, or -1 with a
 * complete "FILE:LINE:COL: error: MESSAGE" in err. */
int trace_read_header(trace_reader *r, unsigned *cpus, char *err, size_t errlen);

/* Next record: 1 = got one, 0 = end of input, -1 = error (message in err,
 * already formatted "FILE:LINE:COL: error: MESSAGE"). */
int trace_next(trace_reader *r, trace_record *rec, char *err, size_t errlen);

/* The fast lane: reads up to max lines in a row that are accesses in the
 * canonical form ("C OP 0xHEX [SIZE]", single spaces, LF) into a[] and
 * returns how many; it stops before anything else (or the end), which
 * trace_next then reads (whatever it is, the same record or the same
 * error). */
unsigned trace_next_accesses(trace_reader *r, trace_access *a, unsigned max);
/* The trace_record of an access read by trace_next_accesses. */
void trace_access_record(const trace_access *a, trace_record *rec);
/* Its columns: op, addr, size, end (as col_op .. col_end), derived for a
 * .mmtb record. */
void trace_access_columns(const trace_access *a, unsigned col[4]);

/* Whether the input is the binary form (base/mmtb.h; told by its magic
 * number when the header is read). */
bool trace_is_binary(const trace_reader *r);

/* The text of the line of the record trace_next last returned (valid
 * until the next call), or NULL for an access record of a binary trace. */
const char *trace_last_line(const trace_reader *r, size_t *len);

/* errno of a failed read (0: none): a -1 from the reader is then an
 * unreadable trace (exit 66), not a bad one. */
int trace_io_error(const trace_reader *r);
/* Bytes read so far from the file or stream (compressed bytes for a
 * compressed one); any thread may ask (progress). */
uint64_t trace_bytes_read(const trace_reader *r);
/* The size of the file read, when it is a regular file. */
bool trace_file_size(const trace_reader *r, uint64_t *size);
/* The name used in messages (path or "<stdin>"; for a binary trace the
 * original's name that it carries). */
const char *trace_name(const trace_reader *r);

/* Formats "FILE:LINE:COL: error: MESSAGE" for a record's field (used by the
 * engine for semantic errors). */
void trace_format_error(const trace_reader *r, uint64_t line, uint32_t col,
                        char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

const char *rec_op_name(enum rec_op op);

/* Tests only: turns off the SSE2 access parser, so the fuzzer can check
 * that it accepts and returns exactly what the byte-wise one does. */
void trace_bytewise_only(trace_reader *r);

#endif
