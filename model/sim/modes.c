/* sim/modes.c - mode selection; the fast loop. */
#include "sim/modes.h"

#include <stdio.h>
#include <string.h>

/* Weak: resolved to model/sc's runner when the SystemC layer is linked. */
__attribute__((weak)) int mmusim_sc_run(sim *s, enum sim_mode mode, const mode_options *mo);

int sim_mode_parse(const char *name, enum sim_mode *mode)
{
	if (!strcmp(name, "fast"))
		*mode = MODE_FAST;
	else if (!strcmp(name, "systemc"))
		*mode = MODE_SYSTEMC;
	else if (!strcmp(name, "cosim"))
		*mode = MODE_COSIM;
	else
		return -1;
	return 0;
}

const char *sim_mode_name(enum sim_mode mode)
{
	return mode == MODE_FAST ? "fast" : mode == MODE_SYSTEMC ? "systemc" : "cosim";
}

int sim_run_mode(sim *s, enum sim_mode mode, const mode_options *mo)
{
	if (mode != MODE_FAST) {
		if (!mmusim_sc_run) {
			snprintf(s->err, sizeof s->err,
			         "mmusim: error: --mode %s is not available: this build has no SystemC layer",
			         sim_mode_name(mode));
			return s->exit_code = EXIT_USAGE;
		}
		return mmusim_sc_run(s, mode, mo);
	}
	return sim_run_fast(s, mo->interrupted);
}
