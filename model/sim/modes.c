/* sim/modes.c - the names of the modes (cli/main.c dispatches them). */
#include "sim/modes.h"

#include <string.h>

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
