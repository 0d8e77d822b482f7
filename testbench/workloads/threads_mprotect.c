/* threads_mprotect: remote TLB shootdowns from mprotect.
 *
 * THREADS threads of one process, pinned to different CPUs. Thread 0, ROUNDS
 * times, makes a shared 64-page region read-only (mprotect PROT_READ: the
 * other CPUs' writable TLB entries must go, by shootdown), then read-write
 * again, and writes one word of every page; the other threads keep reading
 * the region the whole time, so their CPUs hold its translations.
 *
 * usage: threads_mprotect [-v] [ROUNDS [THREADS]]   (defaults 2000 and 2)
 *
 * Deterministic: thread 0's operations are a counted loop with fixed
 * values; the readers only read (how many passes they make depends on
 * timing, but no decision does). With one CPU the threads are not pinned.
 * Prints nothing unless -v.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

#define SHARED_PAGES 64

struct shared {
    _Atomic uint64_t *region;     /* SHARED_PAGES pages, read by all */
    size_t words_per_page;
    long rounds;
    atomic_int done;
    pthread_barrier_t start;
};

struct worker {
    pthread_t thread;
    int index;
    struct shared *s;
    uint64_t sum;
    long passes;
    int err;
};

static int toggle(struct worker *w)
{
    struct shared *s = w->s;
    size_t len = SHARED_PAGES * s->words_per_page * sizeof *s->region;
    for (long r = 0; r < s->rounds; r++) {
        if (mprotect((void *)s->region, len, PROT_READ) != 0)
            return errno;
        w->sum += atomic_load_explicit(&s->region[(size_t)r % SHARED_PAGES * s->words_per_page],
                                       memory_order_relaxed);
        if (mprotect((void *)s->region, len, PROT_READ | PROT_WRITE) != 0)
            return errno;
        for (size_t i = 0; i < SHARED_PAGES; i++)
            atomic_store_explicit(&s->region[i * s->words_per_page], (uint64_t)(r + 1),
                                  memory_order_relaxed);
    }
    return 0;
}

static void read_until_done(struct worker *w)
{
    struct shared *s = w->s;
    while (!atomic_load_explicit(&s->done, memory_order_acquire)) {
        for (size_t i = 0; i < SHARED_PAGES; i++)
            w->sum += atomic_load_explicit(&s->region[i * s->words_per_page],
                                           memory_order_relaxed);
        w->passes++;
    }
}

static void *work(void *arg)
{
    struct worker *w = arg;
    pthread_barrier_wait(&w->s->start);
    if (w->index == 0) {
        w->err = toggle(w);
        atomic_store_explicit(&w->s->done, 1, memory_order_release);
    } else {
        read_until_done(w);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct wl_param param[] = {{"ROUNDS", 2000, 1, 100000000}, {"THREADS", 2, 1, 256}};
    int verbose;
    if (wl_parse(argc, argv, "threads_mprotect", param, 2, &verbose) != 0)
        return 2;
    int threads = (int)param[1].value;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    struct shared s = {.words_per_page = page / sizeof(uint64_t), .rounds = param[0].value};
    void *region = mmap(NULL, SHARED_PAGES * page, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        return wl_fail("threads_mprotect", "mmap", errno);
    s.region = region;
    for (size_t i = 0; i < SHARED_PAGES; i++)      /* every page present */
        atomic_store_explicit(&s.region[i * s.words_per_page], 0, memory_order_relaxed);
    atomic_init(&s.done, 0);

    struct worker *w = calloc((size_t)threads, sizeof *w);
    struct wl_cpus cpus;
    if (w == NULL)
        return wl_fail("threads_mprotect", "calloc", ENOMEM);
    wl_cpus_init(&cpus);
    pthread_barrier_init(&s.start, NULL, (unsigned)threads);
    long shootdowns = wl_tlb_shootdowns();
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.index = i, .s = &s};
        int e = wl_start(&w[i].thread, work, &w[i], &cpus, i);
        if (e != 0)
            return wl_fail("threads_mprotect", "pthread_create", e);
    }
    long passes = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
        passes += w[i].passes;
    }
    pthread_barrier_destroy(&s.start);
    if (w[0].err != 0)
        return wl_fail("threads_mprotect", "mprotect", w[0].err);
    if (verbose)
        printf("threads_mprotect: %d threads on %d CPUs, %ld rounds, checksum %016llx, "
               "%ld reader passes, TLB shootdown interrupts +%ld\n", threads, cpus.count,
               s.rounds, (unsigned long long)w[0].sum, passes, wl_tlb_shootdowns() - shootdowns);
    free(w);
    munmap(region, SHARED_PAGES * page);
    return 0;
}
