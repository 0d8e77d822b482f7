// sc/vcd_writer.cpp - see vcd_writer.h.
#include "sc/vcd_writer.h"

namespace mmusim_sc {

static const uint64_t units_per_cycle = 10;   // timescale 100 ps, 1 cycle = 1 ns

// VCD identifiers: base-94 numbers over the printable characters.
static std::string vcd_id(size_t n)
{
	std::string id;
	do {
		id += (char)('!' + n % 94);
		n /= 94;
	} while (n);
	return id;
}

vcd_writer::vcd_writer(sc_core::sc_module_name name, std::vector<trace_var> vars, FILE *out,
                       uint64_t from, uint64_t to)
	: sc_core::sc_module(name), vars_(std::move(vars)), last_(vars_.size()), out_(out),
	  from_(from), to_(to)
{
	for (size_t i = 0; i < vars_.size(); i++)
		ids_.push_back(vcd_id(i));
	header();
	SC_METHOD(on_change);
	for (const trace_var &v : vars_)
		sensitive << *v.changed;
	dont_initialize();
}

void vcd_writer::header()
{
	std::fprintf(out_, "$version mmusim systemc mode $end\n"
	                   "$comment 1 cycle = 1 ns; the clock runs only inside the window $end\n"
	                   "$timescale 100ps $end\n$scope module mmusim $end\n");
	std::string scope;
	for (size_t i = 0; i < vars_.size(); i++) {
		const trace_var &v = vars_[i];
		if (v.scope != scope) {
			if (!scope.empty())
				std::fputs("$upscope $end\n", out_);
			scope = v.scope;
			std::fprintf(out_, "$scope module %s $end\n", scope.c_str());
		}
		if (v.width == 1)
			std::fprintf(out_, "$var wire 1 %s %s $end\n", ids_[i].c_str(), v.name.c_str());
		else
			std::fprintf(out_, "$var wire %u %s %s [%u:0] $end\n", v.width, ids_[i].c_str(),
			             v.name.c_str(), v.width - 1);
	}
	if (!scope.empty())
		std::fputs("$upscope $end\n", out_);
	std::fputs("$upscope $end\n$enddefinitions $end\n", out_);
}

void vcd_writer::put_value(size_t i, uint64_t v)
{
	char buf[80];
	char *p = buf;
	if (vars_[i].width == 1) {
		*p++ = (char)('0' + (v & 1));
	} else {
		*p++ = 'b';
		int top = 63;
		while (top > 0 && !(v >> top & 1))
			top--;
		for (int b = top; b >= 0; b--)
			*p++ = (char)('0' + (v >> b & 1));
		*p++ = ' ';
	}
	std::fwrite(buf, 1, (size_t)(p - buf), out_);
	std::fputs(ids_[i].c_str(), out_);
	std::fputc('\n', out_);
	last_[i] = v;
}

void vcd_writer::on_change()
{
	uint64_t units = sc_core::sc_time_stamp().value() / (sc_core::sc_time(100, sc_core::SC_PS).value());
	uint64_t cycle = units / units_per_cycle;
	if (cycle < from_ || cycle > to_)
		return;
	if (!dumped_) {
		std::fprintf(out_, "#%llu\n$dumpvars\n", (unsigned long long)units);
		for (size_t i = 0; i < vars_.size(); i++)
			put_value(i, vars_[i].read(vars_[i].sig));
		std::fputs("$end\n", out_);
		dumped_ = true;
		last_units_ = units;
		return;
	}
	for (size_t i = 0; i < vars_.size(); i++) {
		uint64_t v = vars_[i].read(vars_[i].sig);
		if (v == last_[i])
			continue;
		if (units != last_units_) {
			std::fprintf(out_, "#%llu\n", (unsigned long long)units);
			last_units_ = units;
		}
		put_value(i, v);
	}
}

void vcd_writer::finish()
{
	if (dumped_)
		std::fprintf(out_, "#%llu\n",   // the next cycle boundary after the last change
		             (unsigned long long)((last_units_ / units_per_cycle + 1) * units_per_cycle));
}

} // namespace mmusim_sc
