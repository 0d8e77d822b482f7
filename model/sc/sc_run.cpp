// sc/sc_run.cpp - mmusim --mode systemc: builds the SystemC machine around
// the C engine and runs it to the end of the trace (sc/sc_run.h).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>

#include "sc/replay.h"
#include "sc/sc_run.h"
#ifdef MMUSIM_HAVE_COSIM
#include "sc/cosim.h"
#endif

extern "C" enum failure mmusim_sc_run(sim *s, enum sim_mode mode, const mode_options *mo)
{
#ifdef MMUSIM_HAVE_COSIM
	std::unique_ptr<mmusim_sc::cosim> rtl;
	if (mode == MODE_COSIM) {
		rtl.reset(new mmusim_sc::cosim(s));
		if (!rtl->attach()) {
			/* a SIGINT to the process group stops a model build with mmusim:
			 * an interrupted run (130, nothing simulated), not a failed build */
			if (mo->interrupted && *mo->interrupted)
				return s->failure = FAIL_NONE;
			return s->failure;   /* FAIL_USAGE, or FAIL_INTERNAL for a model build that failed */
		}
	}
#else
	if (mode != MODE_SYSTEMC) {
		std::snprintf(s->err, sizeof s->err,
		              "--mode %s is not available in this build", sim_mode_name(mode));
		return s->failure = FAIL_USAGE;
	}
#endif
	if ((mo->vcd_to && mo->vcd_to < mo->vcd_from) ||
	    (mo->vcd_to_line && mo->vcd_to_line < mo->vcd_from_line)) {
		std::snprintf(s->err, sizeof s->err, "--vcd-to is before --vcd-from");
		return s->failure = FAIL_USAGE;
	}
	// the outputs were checked and opened before the run (base/output.h)
	std::vector<std::unique_ptr<mmusim_sc::wave_sink>> sinks;
	if (FILE *vcd = mo->vcd_file) {
		static char buf[1 << 16];
		std::setvbuf(vcd, buf, _IOFBF, sizeof buf);
		sinks.push_back(mmusim_sc::vcd_sink(vcd));
	}
	if (mo->fst_file) {
#ifdef MMUSIM_HAVE_FST
		std::string why;
		std::unique_ptr<mmusim_sc::wave_sink> fst = mmusim_sc::fst_sink(mo->fst_file, why);
		if (!fst) {
			std::snprintf(s->err, sizeof s->err, "cannot write the FST: %s", why.c_str());
			return s->failure = FAIL_INPUT;
		}
		sinks.push_back(std::move(fst));
#else
		std::snprintf(s->err, sizeof s->err,
		              "--fst is not available: this build has no FST writer (Verilator's fstapi)");
		return s->failure = FAIL_USAGE;
#endif
	}
	// the library's banner would land in the middle of our output
	setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
	enum failure rc;
	try {
		mmusim_sc::machine m("mmusim", s, mo, std::move(sinks));
		sc_core::sc_start();
		std::string why;
		bool written = m.finish_waves(why);
		rc = m.result();
#ifdef MMUSIM_HAVE_COSIM
		if (rtl) {
			if (rtl->failed())   /* the engine stops at the step that found it */
				rc = FAIL_CHECK;
			s->st.cosim.on = true;
			s->st.cosim.compared_l1d = rtl->compared(mmusim_sc::cosim::l1d);
			s->st.cosim.compared_l1i = rtl->compared(mmusim_sc::cosim::l1i);
			s->st.cosim.compared_psc = rtl->compared(mmusim_sc::cosim::psc);
			s->st.cosim.mismatches = rtl->failed();
		}
#endif
		bool stopped = mo->interrupted && *mo->interrupted;
		if (rc == FAIL_NONE && !stopped && !m.window_found(s->err, sizeof s->err))
			rc = s->failure = FAIL_USAGE;
		if (!written && (rc == FAIL_NONE || rc == FAIL_CHECK)) {
			std::snprintf(s->err, sizeof s->err, "cannot write %s: %s", mo->fst_path, why.c_str());
			rc = s->failure = FAIL_INPUT;
		}
	} catch (const std::exception &e) {
		std::snprintf(s->err, sizeof s->err, "SystemC: %s", e.what());
		rc = s->failure = FAIL_INTERNAL;
	}
	return rc;
}

// libsystemc refers to sc_main from its own main(); mmusim has its main in
// cli/main.c and never enters SystemC that way.
int sc_main(int, char **)
{
	std::fputs("sc_main is not an entry point of mmusim\n", stderr);
	std::abort();
}
