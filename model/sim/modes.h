/* sim/modes.h - the three ways to run one model (architecture.md):
 * fast (the C engine alone), systemc (the same engine inside clocked
 * SystemC modules) and cosim (systemc with the Verilated RTL L1 DTLB).
 * The SystemC runner lives in model/sc (C++) and is linked in when
 * SystemC is found; without it those modes report a usage error. */
#ifndef MMUSIM_SIM_MODES_H
#define MMUSIM_SIM_MODES_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "sim/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

enum sim_mode { MODE_FAST, MODE_SYSTEMC, MODE_COSIM };

typedef struct mode_options {
	const char *vcd_path;           /* for messages */
	FILE *vcd_file;                 /* opened (and committed) by the caller: base/output.h */
	uint64_t vcd_from, vcd_to;      /* vcd_to 0: to the end */
	volatile sig_atomic_t *interrupted;
} mode_options;

int sim_mode_parse(const char *name, enum sim_mode *mode);
const char *sim_mode_name(enum sim_mode mode);
/* Runs the whole trace in the mode; returns an exit status (s->err set). */
int sim_run_mode(sim *s, enum sim_mode mode, const mode_options *mo);

/* Provided by model/sc when built (weak otherwise). */
int mmusim_sc_run(sim *s, enum sim_mode mode, const mode_options *mo);

#ifdef __cplusplus
}
#endif

#endif
