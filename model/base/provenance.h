/* base/provenance.h - what made a set of statistics: the mmusim version,
 * the command line, the preset, and the trace's path, size and SHA-256
 * (the JSON's "provenance" object, docs/trace-format.md).
 *
 * A trace that is a regular file is hashed on a thread of its own while
 * the simulation reads it (pread: the reader's position is untouched);
 * a stream is hashed as its bytes pass (prov_feed).  A pipe that is not
 * fed through prov_feed has no size or hash (null). */
#ifndef MMUSIM_BASE_PROVENANCE_H
#define MMUSIM_BASE_PROVENANCE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/sha256.h"

typedef struct provenance {
	char path[4096];           /* as given */
	int fd;                    /* the file the thread hashes, or -1 */
	bool own_fd, threaded, fed, known;
	pthread_t thread;
	volatile sig_atomic_t *stop;   /* the run's interrupt flag: the thread stops too */
	uint64_t size;
	sha256_ctx ctx;
	char hex[65];
} provenance;

extern const char mmusim_build_version[];   /* cmake/version.cmake */

/* A trace file ("-": standard input, hashed when it is a regular file). */
void prov_start_file(provenance *p, const char *path, volatile sig_atomic_t *stop);
/* A trace whose bytes the caller passes to prov_feed. */
void prov_start_fed(provenance *p, const char *name);
void prov_feed(provenance *p, const void *data, size_t len);
/* Waits for the hash and returns the JSON object (one line, malloc'd;
 * NULL when out of memory).  argv NULL: "command": null (the library). */
char *prov_finish(provenance *p, int argc, char *const *argv, const char *preset);

#endif
