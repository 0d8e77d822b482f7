/* Helpers shared by the test workloads (header only, C11 + POSIX threads):
 * argument parsing, a seeded random generator, the CPUs this process may
 * run on, threads pinned to them, and the TLB shootdown interrupt count.
 * Include after defining _GNU_SOURCE (for the CPU affinity calls).
 */
#ifndef MMUSIM_WORKLOAD_H
#define MMUSIM_WORKLOAD_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One positional argument: its name in the usage line, default and range. */
struct wl_param {
    const char *name;
    long value;
    long min;
    long max;
};

static inline void wl_usage(const char *prog, const struct wl_param *p, int n)
{
    fprintf(stderr, "usage: %s [-v]", prog);
    for (int i = 0; i < n; i++)
        fprintf(stderr, " [%s", p[i].name);
    for (int i = 0; i < n; i++)
        fputc(']', stderr);
    fputs("\n  defaults:", stderr);
    for (int i = 0; i < n; i++)
        fprintf(stderr, " %s=%ld (%ld..%ld)", p[i].name, p[i].value, p[i].min, p[i].max);
    fputc('\n', stderr);
}

/* Parse [-v] and up to N numbers into P[i].value; 0, or 1 after a usage message. */
static inline int wl_parse(int argc, char **argv, const char *prog, struct wl_param *p, int n,
                           int *verbose)
{
    int k = 0;
    *verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            *verbose = 1;
            continue;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 || k == n) {
            wl_usage(prog, p, n);
            return 1;
        }
        char *end;
        errno = 0;
        long v = strtol(argv[i], &end, 10);
        if (errno != 0 || end == argv[i] || *end != '\0' || v < p[k].min || v > p[k].max) {
            fprintf(stderr, "%s: error: %s must be a number in %ld..%ld, not '%s'\n",
                    prog, p[k].name, p[k].min, p[k].max, argv[i]);
            return 1;
        }
        p[k++].value = v;
    }
    return 0;
}

static inline int wl_fail(const char *prog, const char *what, int err)
{
    fprintf(stderr, "%s: error: %s: %s\n", prog, what, strerror(err));
    return 1;
}

/* xorshift64*: a fixed sequence per seed, no time or address dependence. */
static inline uint64_t wl_seed(unsigned a, unsigned b)
{
    return 0x9e3779b97f4a7c15ull * (((uint64_t)a << 32) + b + 1);
}

static inline uint64_t wl_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

/* The CPUs this process may run on. */
struct wl_cpus {
    int count;
    int cpu[CPU_SETSIZE];
};

static inline void wl_cpus_init(struct wl_cpus *c)
{
    cpu_set_t set;
    c->count = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (int i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &set))
                c->cpu[c->count++] = i;
    }
    if (c->count == 0) {          /* unknown: one CPU, no pinning */
        c->count = 1;
        c->cpu[0] = -1;
    }
}

/* Start FN(ARG) on CPU number INDEX modulo the allowed CPUs (unpinned when
 * there is only one, or when the kernel refuses the affinity). */
static inline int wl_start(pthread_t *t, void *(*fn)(void *), void *arg,
                           const struct wl_cpus *c, int index)
{
    if (c->count > 1) {
        pthread_attr_t attr;
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(c->cpu[index % c->count], &set);
        if (pthread_attr_init(&attr) == 0) {
            int e = pthread_attr_setaffinity_np(&attr, sizeof set, &set);
            if (e == 0)
                e = pthread_create(t, &attr, fn, arg);
            pthread_attr_destroy(&attr);
            if (e == 0)
                return 0;
        }
    }
    return pthread_create(t, NULL, fn, arg);
}

/* Sum of the "TLB:" line of /proc/interrupts (TLB shootdowns), or -1. */
static inline long wl_tlb_shootdowns(void)
{
    FILE *f = fopen("/proc/interrupts", "r");
    char line[4096];
    long total = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line;
        while (*p == ' ')
            p++;
        if (strncmp(p, "TLB:", 4) != 0)
            continue;
        total = 0;
        p += 4;
        for (;;) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            total += v;
            p = end;
        }
        break;
    }
    fclose(f);
    return total;
}

#endif
