/* base/output.h - the one way mmusim writes its output files
 * (--stats-json, --vcd): nothing lost, nothing half-written, nothing
 * overwritten that should not be.
 *
 * - An output is checked and its temp file created before the run
 *   starts (output_open), so a bad path costs nothing.
 * - The temp file is new and unpredictable (mkstemp, O_EXCL) and lies in
 *   the target's directory; output_commit renames it into place only
 *   when everything was written; any other way out removes it
 *   (output_abandon, the exit handler, the signal handlers).
 * - The target is never a non-regular file (a device, a FIFO, a
 *   directory) nor one of the run's inputs, nor another output.
 * - "-" is standard output, written directly.
 *
 * output_signals installs the handlers (sigaction): SIGINT, SIGTERM and
 * SIGHUP set *flag, and the run stops at its next check and writes what
 * it has (marked incomplete); a second one removes the temp files and
 * exits at once with the status the caller gave.  A fatal signal removes them before the default
 * action.  SIGPIPE and SIGXFSZ are ignored: a closed pipe or a file size limit
 * is a write error, reported.
 */
#ifndef MMUSIM_BASE_OUTPUT_H
#define MMUSIM_BASE_OUTPUT_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

typedef struct output output;

/* Checks PATH and creates its temp file; NULL with err set.  inputs:
 * NULL-terminated paths of the run's inputs ("-" and NULL entries are
 * skipped), which PATH must not be. */
output *output_open(const char *path, const char *const *inputs, char *err, size_t errlen);
FILE *output_stream(output *o);
const char *output_path(const output *o);
/* Flushes, syncs and renames into place; frees o.  0, or -1 with err set
 * (the temp file then removed). */
int output_commit(output *o, char *err, size_t errlen);
/* Removes the temp file; frees o.  NULL is allowed. */
void output_abandon(output *o);

/* For a writer that opens its file by name (the FST library, which also
 * unlinks and recreates it and keeps a side file NAME.hier while it
 * writes): the temp file's path (NULL for standard output). */
const char *output_temp_path(const output *o);
/* The temp file's side file, temp path + SUFFIX, removed with it
 * whenever the temp file is (abandon, commit, exit, signals). */
void output_side_file(output *o, const char *suffix);
/* After such a writer closed the file: take the one now at the temp path,
 * so that output_commit syncs and renames what it wrote.  0, or -1 with
 * err set. */
int output_reopen(output *o, char *err, size_t errlen);

/* Checks standard output after the last write: 0, or -1 with err set. */
int output_check_stdout(char *err, size_t errlen);

void output_signals(volatile sig_atomic_t *flag, int second_signal_status);
/* Out of host memory: the message, the temp files removed, and the exit
 * with the status set by output_on_out_of_memory (the program's front
 * end decides both; until it does, "out of host memory" and abort()). */
_Noreturn void output_out_of_memory(void);
void output_on_out_of_memory(const char *message, int status);

#endif
