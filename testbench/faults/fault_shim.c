/* fault_shim.c - an LD_PRELOAD library that makes read(2) misbehave the
 * way real inputs can, for testbench/faults (no FUSE, no root):
 *
 *   MMUSIM_FAULT_EIO_AFTER=N   after N bytes in all, every read fails with EIO
 *   MMUSIM_FAULT_SHORT=SEED    every read returns 1..4096 bytes at most
 *                              (a seeded choice), as pipes and sockets may
 *   MMUSIM_FAULT_EINTR=SEED    one read in four first fails with EINTR
 *
 * Only the program's own read calls are seen (stdio inside libc calls
 * its internal alias): in mmusim, the trace reader's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int64_t eio_after = -1;
static uint64_t short_state, eintr_state, total;
static int ready;

static uint64_t next(uint64_t *s)   /* xorshift64 */
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void setup(void)
{
	const char *v;
	if ((v = getenv("MMUSIM_FAULT_EIO_AFTER")))
		eio_after = strtoll(v, NULL, 0);
	if ((v = getenv("MMUSIM_FAULT_SHORT")))
		short_state = strtoull(v, NULL, 0) * 2654435761u + 1;
	if ((v = getenv("MMUSIM_FAULT_EINTR")))
		eintr_state = strtoull(v, NULL, 0) * 40503u + 1;
	ready = 1;
}

ssize_t read(int fd, void *buf, size_t count)
{
	if (!ready)
		setup();
	if (eintr_state && next(&eintr_state) % 4 == 0) {
		errno = EINTR;
		return -1;
	}
	if (eio_after >= 0) {
		if ((int64_t)total >= eio_after) {
			errno = EIO;
			return -1;
		}
		if ((int64_t)(total + count) > eio_after)
			count = (size_t)(eio_after - (int64_t)total);
	}
	if (short_state && count > 1)
		count = 1 + next(&short_state) % (count < 4096 ? count : 4096);
	ssize_t n = syscall(SYS_read, fd, buf, count);
	if (n > 0)
		total += (uint64_t)n;
	return n;
}
