// sc/rtl_cache.h - the Verilated RTL models --mode cosim runs, built on
// first use into a cache directory and loaded from there (docs/rtl.md,
// "The model cache").
#ifndef MMUSIM_SC_RTL_CACHE_H
#define MMUSIM_SC_RTL_CACHE_H

#include <string>

extern "C" {
#include "base/failure.h"
}
#include "sc/rtl_abi.h"

namespace mmusim_sc {

// The VPN width every tlb_array model is Verilated with: the widest an
// entry holds (tlb_pkg::VpnMaxW), whatever its page size.
constexpr unsigned rtl_vpn_w = 45;

// The key width every tlb_psc model is Verilated with: the widest
// (tlb_pkg::PscKeyMaxW), whatever its level, so that the recoding of a
// key (cosim.cpp) has as much room as the L1 arrays' VPNs.
constexpr unsigned rtl_psc_key_w = 36;

// The Verilated tlb_array of Sets sets (a power of two), Ways ways and
// replacement Repl (0 LRU, 1 PLRU): from the cache, built there first if
// it is not (a line on standard error says so), and loaded.  nullptr on
// failure, with err and kind set: FAIL_USAGE when the cache cannot be
// used or verilator or a C++ compiler is missing, FAIL_INTERNAL when a
// build with both fails.  A loaded model stays loaded until exit.
const mmusim_rtl_tlb_array *rtl_tlb_array(unsigned sets, unsigned ways, unsigned repl, std::string &err,
                                          enum failure &kind);

// The same for a tlb_psc of Sets sets (a power of two), Ways ways, keys
// VA >> KeyShift (21, 30, 39, 48) and replacement Repl.
const mmusim_rtl_tlb_psc *rtl_tlb_psc(unsigned sets, unsigned ways, unsigned key_shift, unsigned repl,
                                      std::string &err, enum failure &kind);

// The cache directory: $MMUSIM_RTL_CACHE, else $XDG_CACHE_HOME/mmusim/rtl,
// else ~/.cache/mmusim/rtl; "" when there is no home to put it in.
std::string rtl_cache_dir();

} // namespace mmusim_sc

#endif
