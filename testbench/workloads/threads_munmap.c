/* threads_munmap: remote TLB shootdowns from munmap.
 *
 * THREADS threads of one process, pinned to different CPUs, all keep
 * writing to a shared region (so the address space stays loaded on every
 * CPU) while each of them, ROUNDS times, mmaps 1..64 pages, writes every
 * page and munmaps them again: each munmap must flush the other CPUs' TLBs
 * (IPIs, or KVM's paravirtual flush for preempted vCPUs).
 *
 * usage: threads_munmap [-v] [ROUNDS [THREADS]]   (defaults 1000 and 2)
 *
 * Deterministic: region sizes come from fixed per-thread seeds and every
 * loop is counted, so the same arguments give the same mm operations and
 * the same checksum. With one CPU the threads are not pinned. Prints
 * nothing unless -v (then the checksum and the TLB shootdown interrupts
 * counted in /proc/interrupts while it ran).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

#define SHARED_PAGES 64
#define MAX_PAGES 64

struct worker {
    pthread_t thread;
    int index;
    long rounds;
    unsigned char *shared;
    size_t page;
    pthread_barrier_t *start;
    uint64_t sum;
    int err;
};

static void touch_shared(const struct worker *w, long round)
{
    /* each thread writes its own byte of every page: no data race */
    for (size_t i = 0; i < SHARED_PAGES; i++)
        w->shared[i * w->page + (size_t)w->index] = (unsigned char)round;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    uint64_t seed = wl_seed(1, (unsigned)w->index);

    pthread_barrier_wait(w->start);
    for (long r = 0; r < w->rounds; r++) {
        size_t pages = 1 + (size_t)(wl_random(&seed) % MAX_PAGES);
        size_t len = pages * w->page;
        unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            w->err = errno;
            return NULL;
        }
        for (size_t i = 0; i < pages; i++) {
            p[i * w->page] = (unsigned char)(r + (long)i);
            w->sum += p[i * w->page];
        }
        touch_shared(w, r);
        if (munmap(p, len) != 0) {
            w->err = errno;
            return NULL;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct wl_param param[] = {{"ROUNDS", 1000, 1, 100000000}, {"THREADS", 2, 1, 256}};
    int verbose;
    if (wl_parse(argc, argv, "threads_munmap", param, 2, &verbose) != 0)
        return 2;
    long rounds = param[0].value;
    int threads = (int)param[1].value;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *shared = mmap(NULL, SHARED_PAGES * page, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        return wl_fail("threads_munmap", "mmap", errno);
    memset(shared, 0, SHARED_PAGES * page);

    struct worker *w = calloc((size_t)threads, sizeof *w);
    struct wl_cpus cpus;
    pthread_barrier_t start;
    if (w == NULL)
        return wl_fail("threads_munmap", "calloc", ENOMEM);
    wl_cpus_init(&cpus);
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    long shootdowns = wl_tlb_shootdowns();
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.index = i, .rounds = rounds, .shared = shared,
                               .page = page, .start = &start};
        int e = wl_start(&w[i].thread, work, &w[i], &cpus, i);
        if (e != 0)
            return wl_fail("threads_munmap", "pthread_create", e);
    }
    uint64_t sum = 0;
    int err = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
        sum = sum * 31 + w[i].sum;
        if (w[i].err != 0)
            err = w[i].err;
    }
    pthread_barrier_destroy(&start);
    if (err != 0)
        return wl_fail("threads_munmap", "mmap/munmap", err);
    if (verbose)
        printf("threads_munmap: %d threads on %d CPUs, %ld rounds, checksum %016llx, "
               "TLB shootdown interrupts +%ld\n", threads, cpus.count, rounds,
               (unsigned long long)sum, wl_tlb_shootdowns() - shootdowns);
    free(w);
    munmap(shared, SHARED_PAGES * page);
    return 0;
}
