/* cli/progress.c - see progress.h. */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime */
#include "cli/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int progress_parse(const char *value, enum progress_mode *mode)
{
	static const struct { const char *name; enum progress_mode mode; } names[] = {
		{ "on", PROGRESS_ON }, { "json", PROGRESS_JSON }, { "off", PROGRESS_OFF },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(value, names[i].name)) {
			*mode = names[i].mode;
			return 0;
		}
	return -1;
}

/* 1234567 as "1.2M" (sep " ", unit "B": "1.2 MB") */
static void si(char *buf, size_t len, double v, const char *sep, const char *unit)
{
	static const char *const prefix[] = { "", "k", "M", "G", "T", "P" };
	unsigned i = 0;
	while (v >= 1000 && i + 1 < sizeof prefix / sizeof prefix[0])
		v /= 1000, i++;
	snprintf(buf, len, i ? "%.1f%s%s%s" : "%.0f%s%s%s", v, sep, prefix[i], unit);
}

static void clock_text(char *buf, size_t len, double seconds)
{
	unsigned long long s = (unsigned long long)(seconds + 0.5), m = s / 60;
	if (m >= 60)
		snprintf(buf, len, "%llu:%02llu:%02llu", m / 60, m % 60, s % 60);
	else
		snprintf(buf, len, "%llu:%02llu", m, s % 60);
}

static void line(progress *p, uint64_t records, bool done)
{
	double t = now(), elapsed = t - p->t0;
	uint64_t bytes = trace_bytes_read(p->r);
	double rate = elapsed > 0 ? (double)records / elapsed : 0;
	bool eta = p->sized && bytes > 0 && bytes <= p->size && !done;
	double left = eta ? elapsed * (double)(p->size - bytes) / (double)bytes : 0;
	double percent = p->sized && p->size ? 100.0 * (double)bytes / (double)p->size : 100.0;
	p->last = t;
	if (p->mode == PROGRESS_JSON) {
		fprintf(stderr, "{\"tool\": \"mmusim\", \"records\": %llu, \"bytes\": %llu, \"total_bytes\": ",
		        (unsigned long long)records, (unsigned long long)bytes);
		if (p->sized)
			fprintf(stderr, "%llu, \"percent\": %.1f", (unsigned long long)p->size, percent);
		else
			fprintf(stderr, "null, \"percent\": null");
		fprintf(stderr, ", \"rate_records_s\": %.1f, \"elapsed_s\": %.3f, \"eta_s\": ", rate, elapsed);
		if (eta)
			fprintf(stderr, "%.1f", left);
		else
			fprintf(stderr, done ? "0" : "null");
		fprintf(stderr, ", \"done\": %s}\n", done ? "true" : "false");
		fflush(stderr);
		return;
	}
	char recs[32], size[32], rate_text[32], spent[32], togo[32], where[96] = "";
	si(recs, sizeof recs, (double)records, "", "");
	si(rate_text, sizeof rate_text, rate, "", "");
	clock_text(spent, sizeof spent, elapsed);
	if (p->sized) {
		si(size, sizeof size, (double)p->size, " ", "B");
		snprintf(where, sizeof where, ", %.0f%% of %s", percent, size);
	}
	char tail[48] = "";
	if (eta) {
		clock_text(togo, sizeof togo, left);
		snprintf(tail, sizeof tail, ", ~%s left", togo);
	} else if (done) {
		snprintf(tail, sizeof tail, ", done");
	}
	fprintf(stderr, "%smmusim: %s records%s, %s records/s, %s elapsed%s%s", p->tty ? "\r\033[K" : "",
	        recs, where, rate_text, spent, tail, p->tty ? "" : "\n");
	fflush(stderr);
	p->shown = p->tty;
}

void progress_start(progress *p, enum progress_mode mode, const trace_reader *r)
{
	memset(p, 0, sizeof *p);
	p->tty = isatty(STDERR_FILENO);
	p->mode = mode == PROGRESS_AUTO ? (p->tty ? PROGRESS_ON : PROGRESS_OFF) : mode;
	p->r = r;
	p->sized = trace_file_size(r, &p->size);
	p->t0 = p->last = now();
	if (p->mode == PROGRESS_JSON)
		line(p, 0, false);
}

void progress_update(void *ctx, uint64_t records)
{
	progress *p = ctx;
	if (p->mode == PROGRESS_OFF)
		return;
	double t = now();
	/* a quarter second apart; a human line only after the first half second */
	if (t - p->last < 0.25 || (p->mode == PROGRESS_ON && t - p->t0 < 0.5))
		return;
	line(p, records, false);
}

void progress_end(progress *p, uint64_t records, bool done)
{
	if (p->mode == PROGRESS_JSON || (p->mode == PROGRESS_ON && !p->tty)) {
		line(p, records, done);
	} else if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->mode = PROGRESS_OFF;
}
