/* sim/stage.c - the parse stage (sim/stage.h): a ring of chunks, one
 * producer (the reader's thread) and one consumer (the engine), one mutex
 * and two condition variables.  A hand-over costs a lock per chunk of up
 * to 256 records, next to the microseconds the engine spends on them. */
/* sysconf: POSIX beyond C11 */
#define _DEFAULT_SOURCE
#include "sim/stage.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct parse_stage {
	trace_reader *r;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t filled, emptied;
	uint64_t produced, consumed;  /* chunks handed over and given back */
	bool stop, holding;           /* holding: the consumer has chunk consumed % N */
	char err[640];
	stage_chunk ring[STAGE_CHUNKS];
};

/* The reader's thread.  It can be cancelled only while it reads, where a
 * pipe may block it for ever: stage_stop cancels it there, and anywhere
 * else it sees the stop flag. */
static void *produce(void *arg)
{
	parse_stage *p = arg;
	int old;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	for (uint64_t i = 0;; i++) {
		pthread_mutex_lock(&p->lock);
		while (!p->stop && i - p->consumed >= STAGE_CHUNKS)
			pthread_cond_wait(&p->emptied, &p->lock);
		bool stop = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			return NULL;
		stage_chunk *c = &p->ring[i % STAGE_CHUNKS];
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
		c->n = trace_next_accesses(p->r, c->acc, STAGE_BATCH);
		c->tail = TAIL_NONE;
		if (c->n == 0) {   /* as sim_run_fast's own loop: accesses first, then the rest */
			int got = trace_next(p->r, &c->rec, p->err, sizeof p->err);
			c->tail = got > 0 ? TAIL_RECORD : got == 0 ? TAIL_END : TAIL_ERROR;
		}
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
		pthread_mutex_lock(&p->lock);
		p->produced = i + 1;
		pthread_cond_signal(&p->filled);
		pthread_mutex_unlock(&p->lock);
		if (c->tail >= TAIL_END)
			return NULL;
	}
}

parse_stage *stage_start(trace_reader *r)
{
	parse_stage *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->r = r;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->filled, NULL);
	pthread_cond_init(&p->emptied, NULL);
	if (pthread_create(&p->thread, NULL, produce, p)) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->filled);
		pthread_cond_destroy(&p->emptied);
		free(p);
		return NULL;
	}
	return p;
}

const stage_chunk *stage_next(parse_stage *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->holding) {
		p->consumed++;
		pthread_cond_signal(&p->emptied);
	}
	while (p->produced == p->consumed)
		pthread_cond_wait(&p->filled, &p->lock);
	p->holding = true;
	pthread_mutex_unlock(&p->lock);
	return &p->ring[p->consumed % STAGE_CHUNKS];
}

const char *stage_error(const parse_stage *p)
{
	return p->err;
}

void stage_stop(parse_stage *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->emptied);
	pthread_mutex_unlock(&p->lock);
	pthread_cancel(p->thread);   /* acts only inside a read */
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->filled);
	pthread_cond_destroy(&p->emptied);
	free(p);
}

bool stage_worthwhile(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}
