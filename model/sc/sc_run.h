/* sc/sc_run.h - model/sc's runner (sc/sc_run.cpp), linked in when SystemC
 * is found (MMUSIM_HAVE_SC; cosim also needs Verilator, MMUSIM_HAVE_COSIM). */
#ifndef MMUSIM_SC_SC_RUN_H
#define MMUSIM_SC_SC_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include "sim/modes.h"

/* Runs the whole trace in systemc or cosim mode: FAIL_NONE, or the
 * failure with s->err (FAIL_CHECK: a co-simulation mismatch). */
enum failure mmusim_sc_run(sim *s, enum sim_mode mode, const mode_options *mo);

#ifdef __cplusplus
}
#endif

#endif
