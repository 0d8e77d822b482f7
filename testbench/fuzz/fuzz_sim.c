/* libFuzzer target: the whole engine (reader, kernel layer, hardware) on
 * arbitrary traces, with a small machine so each run is quick.  Semantic
 * nonsense must end in a trace error, never in a crash or an abort. */
#include <stdint.h>
#include <stdlib.h>

#include "sim/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static config cfg;
	static int ready;
	char err[256];
	if (!ready) {
		if (config_preset(&cfg, "skylake", err, sizeof err) ||
		    config_set(&cfg, "mem.size=256m", err, sizeof err) ||
		    config_set(&cfg, "cache.llc.size=1m", err, sizeof err))
			abort();
		ready = 1;
	}
	static sim s;
	if (sim_open_mem(&s, &cfg, "fuzz", (const char *)data, size) == 0) {
		int steps = 0;
		while (sim_step(&s) > 0 && ++steps < 20000)
			;
		sim_finish(&s);
	}
	sim_close(&s);
	return 0;
}
