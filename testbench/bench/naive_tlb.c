/* testbench/bench/naive_tlb.c - the least a text-trace TLB simulator does,
 * the yardstick of scripts/bench: each line read with fgets, its fields
 * with strtoull, every access looked up in one 64-entry 4-way LRU TLB of
 * 4 KiB pages (16 sets; the tag is the page number).  Lines that are not
 * "CPU OP ADDR [SIZE]" accesses are skipped unchecked.  Prints the
 * accesses, hits and misses so the work cannot be optimized away.
 *   naive_tlb TRACE */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETS 16
#define WAYS 4

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: naive_tlb TRACE\n");
		return 64;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 66;
	}
	uint64_t tag[SETS][WAYS];
	unsigned age[SETS][WAYS];   /* 0 = most recently used */
	bool valid[SETS][WAYS];
	memset(valid, 0, sizeof valid);
	for (unsigned s = 0; s < SETS; s++)
		for (unsigned w = 0; w < WAYS; w++)
			age[s][w] = w;
	uint64_t accesses = 0, hits = 0, misses = 0;
	char line[4200];
	while (fgets(line, sizeof line, f)) {
		char *p = line, *end;
		strtoull(p, &end, 10);               /* CPU */
		if (end == p || *end != ' ')
			continue;
		p = end + 1;
		if (*p == 'k')
			p++;
		if ((*p != 'r' && *p != 'w' && *p != 'x') || p[1] != ' ')
			continue;
		uint64_t addr = strtoull(p + 2, &end, 0);
		if (end == p + 2)
			continue;
		accesses++;
		uint64_t page = addr >> 12;
		unsigned set = (unsigned)(page % SETS), way = WAYS;
		for (unsigned w = 0; w < WAYS; w++)
			if (valid[set][w] && tag[set][w] == page)
				way = w;
		if (way < WAYS) {
			hits++;
		} else {
			misses++;
			for (unsigned w = 0; w < WAYS; w++)   /* the least recently used */
				if (age[set][w] == WAYS - 1)
					way = w;
			tag[set][way] = page;
			valid[set][way] = true;
		}
		for (unsigned w = 0; w < WAYS; w++)
			if (age[set][w] < age[set][way])
				age[set][w]++;
		age[set][way] = 0;
	}
	fclose(f);
	printf("naive_tlb: %llu accesses, %llu hits, %llu misses\n", (unsigned long long)accesses,
	       (unsigned long long)hits, (unsigned long long)misses);
	return 0;
}
