// sc/wave_writer.cpp - see wave_writer.h: the writer and its VCD back end.
#include "sc/wave_writer.h"

namespace mmusim_sc {

wave_writer::wave_writer(sc_core::sc_module_name name, std::vector<trace_var> vars,
                         std::vector<std::unique_ptr<wave_sink>> sinks, const wave_window &window)
	: sc_core::sc_module(name), vars_(std::move(vars)), last_(vars_.size()),
	  sinks_(std::move(sinks)), window_(window)
{
	for (auto &k : sinks_)
		k->header(vars_);
	SC_METHOD(on_change);
	for (const trace_var &v : vars_)
		sensitive << *v.changed;
	dont_initialize();
}

void wave_writer::on_change()
{
	uint64_t units = sc_core::sc_time_stamp().value() / (sc_core::sc_time(100, sc_core::SC_PS).value());
	uint64_t cycle = units / units_per_cycle;
	if (cycle < window_.from || cycle > window_.to)
		return;
	if (!dumped_) {
		for (auto &k : sinks_)
			k->dump_begin(units);
		for (size_t i = 0; i < vars_.size(); i++) {
			last_[i] = vars_[i].read(vars_[i].sig);
			for (auto &k : sinks_)
				k->value(i, last_[i]);
		}
		for (auto &k : sinks_)
			k->dump_end();
		dumped_ = true;
		last_units_ = units;
		return;
	}
	for (size_t i = 0; i < vars_.size(); i++) {
		uint64_t v = vars_[i].read(vars_[i].sig);
		if (v == last_[i])
			continue;
		if (units != last_units_) {
			for (auto &k : sinks_)
				k->time(units);
			last_units_ = units;
		}
		last_[i] = v;
		for (auto &k : sinks_)
			k->value(i, v);
	}
}

bool wave_writer::finish(std::string &err)
{
	if (dumped_) {
		// the next cycle boundary after the last change
		uint64_t end = (last_units_ / units_per_cycle + 1) * units_per_cycle;
		for (auto &k : sinks_)
			k->finish(end);
	}
	bool ok = true;
	for (auto &k : sinks_)
		if (ok && !k->close(err))
			ok = false;
	return ok;
}

// ---- VCD ----

namespace {

// VCD identifiers: base-94 numbers over the printable characters.
std::string vcd_id(size_t n)
{
	std::string id;
	do {
		id += (char)('!' + n % 94);
		n /= 94;
	} while (n);
	return id;
}

class vcd_text : public wave_sink {
public:
	explicit vcd_text(FILE *out) : out_(out) {}

	void header(const std::vector<trace_var> &vars) override
	{
		std::fprintf(out_, "$version mmusim systemc mode $end\n"
		                   "$comment 1 cycle = 1 ns; the clock runs only inside the window $end\n"
		                   "$timescale 100ps $end\n$scope module mmusim $end\n");
		std::string scope;
		for (size_t i = 0; i < vars.size(); i++) {
			const trace_var &v = vars[i];
			ids_.push_back(vcd_id(i));
			widths_.push_back(v.width);
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
	void dump_begin(uint64_t units) override
	{
		std::fprintf(out_, "#%llu\n$dumpvars\n", (unsigned long long)units);
	}
	void dump_end() override { std::fputs("$end\n", out_); }
	void time(uint64_t units) override { std::fprintf(out_, "#%llu\n", (unsigned long long)units); }
	void value(size_t i, uint64_t v) override
	{
		char buf[80];
		char *p = buf;
		if (widths_[i] == 1) {
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
	}
	void finish(uint64_t units) override { time(units); }

private:
	FILE *out_;
	std::vector<std::string> ids_;
	std::vector<unsigned> widths_;
};

} // namespace

std::unique_ptr<wave_sink> vcd_sink(FILE *out)
{
	return std::unique_ptr<wave_sink>(new vcd_text(out));
}

} // namespace mmusim_sc
