/* sim/modes.h - the three ways to run one model (README.md, "Three
 * modes of one model"): fast (the C engine alone), systemc (the same
 * engine inside clocked SystemC modules that are signal views of it) and
 * cosim (systemc with the Verilated RTL L1 DTLB), by name, and what the
 * SystemC ones are given.  The layers above choose and run them. */
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
	const char *fst_path;           /* for messages */
	const char *fst_file;           /* the temp file the FST writer opens by name (or NULL) */
	/* The window of the waves: cycles, vcd_to 0 to the end; or, when
	 * the *_line field is nonzero, that trace line (docs/waves.md) */
	uint64_t vcd_from, vcd_to;
	uint64_t vcd_from_line, vcd_to_line;
	volatile sig_atomic_t *interrupted;
} mode_options;

int sim_mode_parse(const char *name, enum sim_mode *mode);
const char *sim_mode_name(enum sim_mode mode);

#ifdef __cplusplus
}
#endif

#endif
