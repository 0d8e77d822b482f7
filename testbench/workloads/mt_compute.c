/* mt_compute: a small "real" multi-threaded program for captures.
 *
 * WAVES times, it starts THREADS worker threads and joins them all. Each
 * worker does ITERATIONS steps: replace one of 8 live blocks by a new
 * malloc of a varied size (mostly small, some of 4-64 KiB, one in eight
 * of 128 KiB-1 MiB, which glibc serves with mmap and frees with munmap),
 * fill it, and fold it into a checksum; every 16 steps it also sorts a
 * small array. glibc gives the threads their own arenas (mmap, mprotect).
 *
 * usage: mt_compute [-v] [WAVES [THREADS [ITERATIONS]]]   (defaults 4, 4, 200)
 *
 * Deterministic: sizes and contents come from fixed seeds per (wave,
 * thread); the checksum printed by -v depends only on the arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define SLOTS 8
#define SORT_N 256
#define MMAP_THRESHOLD (128 * 1024)

struct worker {
    pthread_t thread;
    unsigned wave;
    unsigned index;
    long iterations;
    uint64_t sum;
    int err;
};

static size_t block_size(uint64_t *seed)
{
    uint64_t r = wl_random(seed);
    switch (r % 8) {
    case 0:
        return MMAP_THRESHOLD + (size_t)(r >> 8) % (1024 * 1024 - MMAP_THRESHOLD);
    case 1:
    case 2:
        return 4096 + (size_t)(r >> 8) % (60 * 1024);
    default:
        return 16 + (size_t)(r >> 8) % 1024;
    }
}

static uint64_t fold(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;          /* FNV-1a over every 64th byte */
    for (size_t i = 0; i < n; i += 64)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint64_t sort_step(uint64_t *seed)
{
    uint32_t v[SORT_N];
    for (int i = 0; i < SORT_N; i++)
        v[i] = (uint32_t)wl_random(seed);
    qsort(v, SORT_N, sizeof v[0], cmp_u32);
    return v[SORT_N / 2];
}

static void *work(void *arg)
{
    struct worker *w = arg;
    uint64_t seed = wl_seed(w->wave + 1, w->index);
    unsigned char *slot[SLOTS] = {0};
    for (long it = 0; it < w->iterations; it++) {
        int k = (int)(it % SLOTS);
        size_t n = block_size(&seed);
        free(slot[k]);
        slot[k] = malloc(n);
        if (slot[k] == NULL) {
            w->err = ENOMEM;
            break;
        }
        memset(slot[k], (int)(wl_random(&seed) & 0xff), n);
        slot[k][n - 1] = (unsigned char)it;
        w->sum = w->sum * 31 + fold(slot[k], n) + slot[k][n - 1];
        if (it % 16 == 15)
            w->sum ^= sort_step(&seed);
    }
    for (int k = 0; k < SLOTS; k++)
        free(slot[k]);
    return NULL;
}

int main(int argc, char **argv)
{
    struct wl_param param[] = {{"WAVES", 4, 1, 100000}, {"THREADS", 4, 1, 256},
                               {"ITERATIONS", 200, 1, 100000000}};
    int verbose;
    if (wl_parse(argc, argv, "mt_compute", param, 3, &verbose) != 0)
        return 2;
    unsigned waves = (unsigned)param[0].value;
    int threads = (int)param[1].value;
#ifdef M_MMAP_THRESHOLD
    /* a fixed threshold: glibc would otherwise raise it after the first
     * munmap and serve the big blocks from the heap */
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
#endif
    struct worker *w = calloc((size_t)threads, sizeof *w);
    if (w == NULL)
        return wl_fail("mt_compute", "calloc", ENOMEM);
    uint64_t sum = 0;
    for (unsigned wave = 0; wave < waves; wave++) {
        for (int i = 0; i < threads; i++) {
            w[i] = (struct worker){.wave = wave, .index = (unsigned)i,
                                   .iterations = param[2].value};
            int e = pthread_create(&w[i].thread, NULL, work, &w[i]);   /* unpinned */
            if (e != 0)
                return wl_fail("mt_compute", "pthread_create", e);
        }
        for (int i = 0; i < threads; i++) {
            pthread_join(w[i].thread, NULL);
            if (w[i].err != 0)
                return wl_fail("mt_compute", "malloc", w[i].err);
            sum = sum * 1000003 + w[i].sum;
        }
    }
    if (verbose)
        printf("mt_compute: %u waves of %d threads, %ld iterations each, checksum %016llx\n",
               waves, threads, param[2].value, (unsigned long long)sum);
    free(w);
    return 0;
}
