// sc/fst_sink.cpp - the FST back end of the wave writer (wave_writer.h),
// through GTKWave's fstapi as Verilator ships it (model/sc/CMakeLists.txt).
// The same declarations as the VCD: scope mmusim, a module scope per
// module, wires named as in the VCD (a vector's name with its range, as
// "[63:0]" follows the name in a VCD's $var), timescale 100 ps; no date,
// so that the same run writes the same bytes.
#include "sc/wave_writer.h"

#include "fstapi.h"

namespace mmusim_sc {

namespace {

class fst_file : public wave_sink {
public:
	explicit fst_file(void *ctx) : ctx_(ctx) {}
	~fst_file() override
	{
		if (ctx_)
			fstWriterClose(ctx_);
	}

	void header(const std::vector<trace_var> &vars) override
	{
		fstWriterSetVersion(ctx_, "mmusim systemc mode");
		fstWriterSetDate(ctx_, "");   // no time of writing: one run, one file, byte for byte
		fstWriterSetComment(ctx_, "1 cycle = 1 ns; the clock runs only inside the window");
		fstWriterSetTimescale(ctx_, -10);   // 10^-10 s = 100 ps
		fstWriterSetScope(ctx_, FST_ST_VCD_MODULE, "mmusim", nullptr);
		std::string scope;
		for (const trace_var &v : vars) {
			if (v.scope != scope) {
				if (!scope.empty())
					fstWriterSetUpscope(ctx_);
				scope = v.scope;
				fstWriterSetScope(ctx_, FST_ST_VCD_MODULE, scope.c_str(), nullptr);
			}
			std::string name = v.name;
			if (v.width > 1)
				name += " [" + std::to_string(v.width - 1) + ":0]";
			handles_.push_back(fstWriterCreateVar(ctx_, FST_VT_VCD_WIRE, FST_VD_IMPLICIT, v.width,
			                                      name.c_str(), 0));
			widths_.push_back(v.width);
		}
		if (!scope.empty())
			fstWriterSetUpscope(ctx_);
		fstWriterSetUpscope(ctx_);
	}
	void dump_begin(uint64_t units) override { time(units); }
	void dump_end() override {}
	void time(uint64_t units) override { fstWriterEmitTimeChange(ctx_, units); }
	void value(size_t i, uint64_t v) override
	{
		fstWriterEmitValueChange64(ctx_, handles_[i], widths_[i], v);
	}
	void finish(uint64_t units) override
	{
		time(units);
		end_ = units;
	}
	// fstapi reports no write error (a full disk, a file size limit): the
	// file it closed is read back, and must hold every variable and end
	// at the closing time stamp.
	bool close(std::string &err) override
	{
		if (!ctx_)
			return true;
		fstWriterClose(ctx_);
		ctx_ = nullptr;
		void *r = fstReaderOpen(path_.c_str());
		bool ok = r && fstReaderGetVarCount(r) == handles_.size() && fstReaderGetEndTime(r) == end_;
		if (r)
			fstReaderClose(r);
		if (!ok)
			err = "the FST written is incomplete (a full disk or a file size limit?)";
		return ok;
	}

	std::string path_;

private:
	void *ctx_;
	uint64_t end_ = 0;
	std::vector<fstHandle> handles_;
	std::vector<uint32_t> widths_;
};

} // namespace

std::unique_ptr<wave_sink> fst_sink(const char *path, std::string &err)
{
	void *ctx = fstWriterCreate(path, 1);
	if (!ctx) {
		err = "the FST writer cannot create its files";
		return nullptr;
	}
	fstWriterSetPackType(ctx, FST_WR_PT_LZ4);
	fst_file *f = new fst_file(ctx);
	f->path_ = path;
	return std::unique_ptr<wave_sink>(f);
}

} // namespace mmusim_sc
