// sc/rtl_cache.cpp - the Verilated tlb_array and tlb_psc models of --mode
// cosim, one shared object per module, geometry and policy, built on first
// use into the cache directory and loaded with dlopen (docs/rtl.md, "The
// model cache").
//
// A model is Verilator's C++ output (--cc) of the RTL sources embedded in
// mmusim at build time (rtl_sources.cpp, made by cmake/embed.cmake), with
// the module's shim (sc/rtl_shim.cpp, sc/rtl_psc_shim.cpp), compiled by
// the C++ compiler found at run time into DIR/tlb_array-SxW-POLICY-R-T/
// or DIR/tlb_psc-SxW-kSHIFT-POLICY-R-T/model.so; R hashes the embedded sources
// (RTL, shim, rtl_abi.h), T the tools (verilator's version and root, the
// compiler's command and version, the flags).  Verilator's runtime is
// compiled once per T into DIR/verilated-T/.  Builds run under an
// exclusive flock of DIR/lock, in DIR/tmp-XXXXXX, renamed into place when
// complete: a model directory that exists is whole, and concurrent runs
// wait for the one that builds.  Without verilator or a compiler, a model
// of the same R built by any tools is used if there is one.
#include "sc/rtl_cache.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>
#include <vector>

#include <dlfcn.h>
#include <fcntl.h>
#include <glob.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace mmusim_sc {

// rtl_sources.cpp (generated): the files a model is built from, the .sv
// files in the order Verilator reads them.
struct rtl_source {
	const char *name;   // its path in the source tree
	const unsigned char *text;
	size_t size;
};
extern const rtl_source rtl_sources[];
extern const size_t rtl_nsources;

namespace fs = std::filesystem;

namespace {

const char *const cxx_flags[] = {
	"-std=c++17", "-O1", "-fPIC", "-fvisibility=hidden", "-faligned-new", "-pthread", "-w",
	"-DVM_COVERAGE=0", "-DVM_SC=0", "-DVM_TRACE=0", "-DVM_TRACE_FST=0", "-DVM_TRACE_VCD=0",
};

// after the objects when a model is linked: Verilator's runtime needs
// libatomic with some compilers (clang), as verilated.mk links it
const char *const link_flags[] = { "-pthread", "-latomic" };

// FNV-1a, 64 bits: a cache key, not a defence against anyone
struct hasher {
	uint64_t h = 0xcbf29ce484222325ull;
	hasher &add(const void *p, size_t n)
	{
		const unsigned char *b = static_cast<const unsigned char *>(p);
		for (size_t i = 0; i < n; i++)
			h = (h ^ b[i]) * 0x100000001b3ull;
		unsigned char sep = 0;   // "ab" + "c" differs from "a" + "bc"
		h = (h ^ sep) * 0x100000001b3ull;
		return *this;
	}
	hasher &add(const std::string &s) { return add(s.data(), s.size()); }
	std::string hex() const
	{
		char buf[17];
		std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
		return buf;
	}
};

// Runs argv (PATH searched) with standard input from /dev/null and its
// output to the file log (appended) or, log empty, into *out.  0: exit
// status 0; -1: it could not be started (why set); otherwise the wait
// status.
int run(const std::vector<std::string> &args, const std::string &log, std::string *out, std::string &why)
{
	std::vector<char *> argv;
	for (const std::string &a : args)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	int pfd[2] = { -1, -1 };
	if (log.empty() && pipe2(pfd, O_CLOEXEC)) {
		why = std::strerror(errno);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (log.empty()) {
		posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
		posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	} else {
		posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	}
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (rc) {
		if (pfd[0] >= 0)
			close(pfd[0]);
		why = rc != ENOENT ? std::strerror(rc) : args[0].find('/') == std::string::npos ? "not found on PATH" : "not found";
		return -1;
	}
	if (out) {
		char buf[4096];
		ssize_t n;
		while ((n = read(pfd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				out->append(buf, (size_t)n);
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			why = std::strerror(errno);
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {   // the shell's "not found"
		why = "not found";
		return -1;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : (status ? status : 1);
}

std::string status_text(int status)
{
	char buf[64];
	if (WIFSIGNALED(status))
		std::snprintf(buf, sizeof buf, "was stopped by signal %d", WTERMSIG(status));
	else
		std::snprintf(buf, sizeof buf, "exited with status %d", WEXITSTATUS(status));
	return buf;
}

std::string trim(std::string s)
{
	while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
		s.pop_back();
	return s;
}

// The tools of this run, found once.
struct toolchain {
	bool ok = false;
	std::string why;                 // !ok: what is missing
	std::string root;                // VERILATOR_ROOT
	std::vector<std::string> cxx;    // the compiler's command
	std::string key;                 // T
};

const toolchain &tools()
{
	static toolchain t;
	static bool done;
	if (done)
		return t;
	done = true;
	std::string version, root, cxx_version, why;
	if (run({ "verilator", "--version" }, "", &version, why) ||
	    run({ "verilator", "--getenv", "VERILATOR_ROOT" }, "", &root, why)) {
		t.why = "verilator " + why + " (Debian: apt-get install verilator)";
		return t;
	}
	t.root = trim(root);
	if (!fs::exists(t.root + "/include/verilated.cpp")) {
		t.why = "verilator's runtime (" + t.root + "/include/verilated.cpp) is missing";
		return t;
	}
	const char *cxx = std::getenv("CXX");
	std::string words = cxx && *cxx ? cxx : "c++";
	for (size_t i = 0; i < words.size();) {
		size_t j = words.find_first_of(" \t", i);
		if (j == std::string::npos)
			j = words.size();
		if (j > i)
			t.cxx.push_back(words.substr(i, j - i));
		i = j + 1;
	}
	std::vector<std::string> ask = t.cxx;
	ask.push_back("--version");
	if (t.cxx.empty() || run(ask, "", &cxx_version, why)) {
		t.why = "the C++ compiler '" + words + "' " + why + " (Debian: apt-get install g++; or set CXX)";
		return t;
	}
	hasher h;
	h.add("mmusim-rtl-tools").add(version).add(t.root).add(words).add(cxx_version);
	for (const char *f : cxx_flags)
		h.add(f, std::strlen(f));
	for (const char *f : link_flags)
		h.add(f, std::strlen(f));
	t.key = h.hex();
	t.ok = true;
	return t;
}

// R: the sources a model is built from.
const std::string &sources_key()
{
	static std::string key;
	if (key.empty()) {
		hasher h;
		h.add("mmusim-rtl-sources");
		for (size_t i = 0; i < rtl_nsources; i++)
			h.add(rtl_sources[i].name, std::strlen(rtl_sources[i].name)).add(rtl_sources[i].text, rtl_sources[i].size);
		key = h.hex();
	}
	return key;
}

bool write_file(const fs::path &p, const void *data, size_t n)
{
	FILE *f = std::fopen(p.c_str(), "wb");
	if (!f)
		return false;
	bool ok = std::fwrite(data, 1, n, f) == n;
	return std::fclose(f) == 0 && ok;
}

// A fresh build directory DIR/tmp-XXXXXX.
bool make_temp(const fs::path &dir, fs::path &tmp, std::string &err)
{
	std::string t = (dir / "tmp-XXXXXX").string();
	if (!mkdtemp(&t[0])) {
		err = "cannot make a build directory in the RTL model cache " + dir.string() + ": " + std::strerror(errno);
		return false;
	}
	tmp = t;
	return true;
}

// A failed build: its log kept as DIR/NAME.failed.log, the rest removed.
bool build_failed(const fs::path &dir, const fs::path &tmp, const std::string &name, const std::string &what,
                  const std::string &how, std::string &err, enum failure &kind)
{
	std::error_code ec;
	fs::path log = dir / (name + ".failed.log");
	fs::rename(tmp / "build.log", log, ec);
	fs::remove_all(tmp, ec);
	err = "building " + what + " failed: " + how + " (its output: " + log.string() + ")";
	kind = FAIL_INTERNAL;
	return false;
}

// Moves a complete build directory into place.
bool install(const fs::path &tmp, const fs::path &to, std::string &err, enum failure &kind)
{
	mode_t mask = umask(0);   // mkdtemp's 0700 becomes what mkdir would have made
	umask(mask);
	chmod(tmp.c_str(), 0777 & ~mask);
	if (std::rename(tmp.c_str(), to.c_str())) {
		err = "cannot rename " + tmp.string() + " to " + to.string() + ": " + std::strerror(errno);
		kind = FAIL_INTERNAL;
		std::error_code ec;
		fs::remove_all(tmp, ec);
		return false;
	}
	return true;
}

// Verilator's runtime, compiled once per toolchain: DIR/verilated-T/.
bool build_runtime(const fs::path &dir, const toolchain &t, fs::path &rt, std::string &err, enum failure &kind)
{
	rt = dir / ("verilated-" + t.key);
	if (fs::exists(rt / "verilated_threads.o"))
		return true;
	fs::path tmp;
	if (!make_temp(dir, tmp, err)) {
		kind = FAIL_USAGE;
		return false;
	}
	std::string log = (tmp / "build.log").string(), why;
	for (const char *unit : { "verilated", "verilated_threads" }) {
		std::vector<std::string> cmd = t.cxx;
		cmd.insert(cmd.end(), std::begin(cxx_flags), std::end(cxx_flags));
		cmd.insert(cmd.end(), { "-I" + t.root + "/include", "-I" + t.root + "/include/vltstd", "-c",
		                        t.root + "/include/" + unit + ".cpp", "-o", (tmp / unit).string() + ".o" });
		int rc = run(cmd, log, nullptr, why);
		if (rc)
			return build_failed(dir, tmp, "verilated-" + t.key, "Verilator's runtime",
			                    t.cxx[0] + " " + status_text(rc < 0 ? 1 << 8 : rc), err, kind);
	}
	return install(tmp, rt, err, kind);
}

// What a model is built from: a top module, its shim and the shim's entry
// point, and the parameters, each given to verilator (-GNAME=V) and to the
// shim (-DMMUSIM_RTL_DEFINE=V).
struct model_spec {
	const char *module, *shim, *entry;
	struct param {
		const char *name, *define;
		unsigned value;
	};
	std::vector<param> params;
	std::string base;   // the cache directory's name less -T: module-geometry-policy-R
	std::string what;   // for messages: "tlb_array 16x4 LRU"
};

// The model NAME of spec, built into DIR/NAME/model.so.
bool build_model(const fs::path &dir, const std::string &name, const model_spec &spec, const toolchain &t,
                 std::string &err, enum failure &kind)
{
	const std::string &what = spec.what;
	fs::path rt;
	if (!build_runtime(dir, t, rt, err, kind))
		return false;
	fs::path tmp;
	if (!make_temp(dir, tmp, err)) {
		kind = FAIL_USAGE;
		return false;
	}
	fs::path src = tmp / "src", gen = tmp / "gen";
	std::error_code ec;
	fs::create_directory(src, ec);
	std::vector<std::string> sv;
	for (size_t i = 0; i < rtl_nsources; i++) {
		fs::path p = src / fs::path(rtl_sources[i].name).filename();
		if (!write_file(p, rtl_sources[i].text, rtl_sources[i].size)) {
			err = "cannot write " + p.string() + ": " + std::strerror(errno);
			kind = FAIL_USAGE;
			fs::remove_all(tmp, ec);
			return false;
		}
		if (p.extension() == ".sv")
			sv.push_back(p.string());
	}
	std::string exports = std::string("{ global: ") + spec.entry + "; local: *; };\n";
	write_file(src / "exports.map", exports.data(), exports.size());
	std::string log = (tmp / "build.log").string(), why;
	std::vector<std::string> cmd = { "verilator", "--cc", "-Mdir", gen.string(), "--prefix",
	                                 std::string("V") + spec.module, "--top-module", spec.module, "-Wno-fatal" };
	for (const model_spec::param &p : spec.params)
		cmd.push_back(std::string("-G") + p.name + "=" + std::to_string(p.value));
	cmd.insert(cmd.end(), sv.begin(), sv.end());
	int rc = run(cmd, log, nullptr, why);
	if (rc)
		return build_failed(dir, tmp, name, "the RTL model of " + what, "verilator " + status_text(rc < 0 ? 1 << 8 : rc),
		                    err, kind);
	std::vector<std::string> units;
	for (const fs::directory_entry &e : fs::directory_iterator(gen, ec))
		if (e.path().extension() == ".cpp")
			units.push_back(e.path().string());
	std::sort(units.begin(), units.end());
	cmd = t.cxx;
	cmd.insert(cmd.end(), std::begin(cxx_flags), std::end(cxx_flags));
	cmd.push_back("-shared");
	for (const model_spec::param &p : spec.params)
		cmd.push_back(std::string("-DMMUSIM_RTL_") + p.define + "=" + std::to_string(p.value));
	cmd.insert(cmd.end(), { "-I" + src.string(), "-I" + gen.string(), "-I" + t.root + "/include",
	                        "-I" + t.root + "/include/vltstd", (src / spec.shim).string() });
	cmd.insert(cmd.end(), units.begin(), units.end());
	cmd.insert(cmd.end(), { (rt / "verilated.o").string(), (rt / "verilated_threads.o").string(),
	                        "-Wl,--version-script=" + (src / "exports.map").string(), "-o",
	                        (tmp / "model.so").string() });
	cmd.insert(cmd.end(), std::begin(link_flags), std::end(link_flags));
	rc = run(cmd, log, nullptr, why);
	if (rc)
		return build_failed(dir, tmp, name, "the RTL model of " + what, t.cxx[0] + " " + status_text(rc < 0 ? 1 << 8 : rc),
		                    err, kind);
	// a model that links but does not load (a library missing) is a failed
	// build, not a cache entry; the handle stays open for the load after
	if (!dlopen((tmp / "model.so").c_str(), RTLD_NOW | RTLD_LOCAL)) {
		const char *e = dlerror();
		FILE *f = std::fopen(log.c_str(), "a");
		if (f) {
			std::fprintf(f, "dlopen: %s\n", e ? e : "?");
			std::fclose(f);
		}
		return build_failed(dir, tmp, name, "the RTL model of " + what,
		                    std::string("it does not load: ") + (e ? e : "?"), err, kind);
	}
	fs::remove_all(gen, ec);   // 1 MB of generated code, not needed again
	fs::remove_all(src, ec);
	return install(tmp, dir / name, err, kind);
}

// Holds DIR/lock exclusively while it lives.
struct cache_lock {
	int fd = -1;
	~cache_lock()
	{
		if (fd >= 0)
			close(fd);   // releases the flock
	}
	bool take(const fs::path &dir, std::string &err)
	{
		fd = open((dir / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
		if (fd < 0) {
			err = "cannot use the RTL model cache " + dir.string() + ": " + (dir / "lock").string() + ": " +
			      std::strerror(errno) + " (set MMUSIM_RTL_CACHE to a writable directory)";
			return false;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return true;
		std::fprintf(stderr, "mmusim: waiting for another mmusim building into %s...\n", dir.c_str());
		while (flock(fd, LOCK_EX))
			if (errno != EINTR) {
				err = "cannot lock " + (dir / "lock").string() + ": " + std::strerror(errno);
				return false;
			}
		return true;
	}
};

// Loads so and returns what its entry point describes, if matches() says
// it is the model asked for.
template <class Model>
const Model *load(const std::string &so, const char *entry_name, bool (*matches)(const Model &, const model_spec &),
                  const model_spec &spec, std::string &err, enum failure &kind)
{
	kind = FAIL_INTERNAL;
	void *h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		err = "cannot load the RTL model " + so + ": " + (why ? why : "?") + " (remove its directory to build it again)";
		return nullptr;
	}
	typedef const Model *(*entry_fn)(void);
	entry_fn entry = reinterpret_cast<entry_fn>(dlsym(h, entry_name));
	const Model *m = entry ? entry() : nullptr;
	if (!m || m->abi != MMUSIM_RTL_ABI || !matches(*m, spec)) {
		err = "the RTL model " + so + " is not the one asked for (remove its directory to build it again)";
		return nullptr;
	}
	return m;
}

// The cache's model of spec, built there first if it is not: its
// model.so, or "" (err and kind set).
std::string model_path(const model_spec &spec, std::string &err, enum failure &kind)
{
	kind = FAIL_USAGE;
	std::string given = rtl_cache_dir();
	if (given.empty()) {
		err = "--mode cosim: no home directory for the RTL model cache (set MMUSIM_RTL_CACHE)";
		return "";
	}
	std::error_code ec;
	fs::create_directories(given, ec);
	fs::path dir = fs::absolute(given, ec);
	if (ec || !fs::is_directory(dir)) {
		err = "cannot make the RTL model cache " + given + ": " + (ec ? ec.message() : "not a directory") +
		      " (set MMUSIM_RTL_CACHE to a writable directory)";
		return "";
	}
	const toolchain &t = tools();
	std::string so;
	if (t.ok) {
		std::string name = spec.base + "-" + t.key;
		so = (dir / name / "model.so").string();
		if (!fs::exists(so)) {
			cache_lock lock;
			if (!lock.take(dir, err))
				return "";
			if (!fs::exists(so)) {   // not built meanwhile by the run we waited for
				for (const fs::directory_entry &e : fs::directory_iterator(dir, ec))
					if (e.path().filename().string().rfind("tmp-", 0) == 0)
						fs::remove_all(e.path(), ec);   // a build killed before its rename
				std::fprintf(stderr, "mmusim: building the RTL model of %s into %s (once)...\n", spec.what.c_str(),
				             dir.c_str());
				if (!build_model(dir, name, spec, t, err, kind))
					return "";
			}
		}
	} else {
		// no tools: a model of the same sources built by any
		glob_t g;
		std::string pattern = (dir / (spec.base + "-*")).string() + "/model.so";
		if (glob(pattern.c_str(), 0, nullptr, &g) == 0 && g.gl_pathc > 0)
			so = g.gl_pathv[g.gl_pathc - 1];
		globfree(&g);
		if (so.empty()) {
			err = "--mode cosim: the RTL model of " + spec.what + " is not in the cache " + dir.string() +
			      " and cannot be built here: " + t.why;
			return "";
		}
	}
	return so;
}

bool array_matches(const mmusim_rtl_tlb_array &m, const model_spec &spec)
{
	return m.io_size == sizeof(mmusim_rtl_tlb_io) && m.sets == spec.params[0].value &&
	       m.ways == spec.params[1].value && m.vpn_w == spec.params[2].value && m.repl == spec.params[3].value;
}

bool psc_matches(const mmusim_rtl_tlb_psc &m, const model_spec &spec)
{
	return m.io_size == sizeof(mmusim_rtl_psc_io) && m.sets == spec.params[0].value &&
	       m.ways == spec.params[1].value && m.key_shift == spec.params[2].value &&
	       m.key_w == spec.params[3].value && m.repl == spec.params[4].value;
}

} // namespace

std::string rtl_cache_dir()
{
	const char *d = std::getenv("MMUSIM_RTL_CACHE");
	if (d && *d)
		return d;
	d = std::getenv("XDG_CACHE_HOME");
	if (d && *d == '/')   // the XDG rule: a relative path is ignored
		return std::string(d) + "/mmusim/rtl";
	d = std::getenv("HOME");
	if (!d || !*d) {
		const passwd *pw = getpwuid(getuid());
		d = pw ? pw->pw_dir : nullptr;
	}
	return d && *d ? std::string(d) + "/.cache/mmusim/rtl" : std::string();
}

const mmusim_rtl_tlb_array *rtl_tlb_array(unsigned sets, unsigned ways, unsigned repl, std::string &err,
                                          enum failure &kind)
{
	static std::map<std::tuple<unsigned, unsigned, unsigned>, const mmusim_rtl_tlb_array *> loaded;
	auto it = loaded.find({ sets, ways, repl });
	if (it != loaded.end())
		return it->second;
	std::string geometry = std::to_string(sets) + "x" + std::to_string(ways);
	model_spec spec = { "tlb_array", "rtl_shim.cpp", MMUSIM_RTL_ENTRY,
	                    { { "Sets", "SETS", sets }, { "Ways", "WAYS", ways }, { "VpnW", "VPN_W", rtl_vpn_w },
	                      { "Repl", "REPL", repl } },
	                    "tlb_array-" + geometry + "-" + (repl ? "plru" : "lru") + "-" + sources_key(),
	                    "tlb_array " + geometry + " " + (repl ? "PLRU" : "LRU") };
	std::string so = model_path(spec, err, kind);
	const mmusim_rtl_tlb_array *m =
	    so.empty() ? nullptr : load<mmusim_rtl_tlb_array>(so, spec.entry, array_matches, spec, err, kind);
	if (m)
		loaded[{ sets, ways, repl }] = m;
	return m;
}

const mmusim_rtl_tlb_psc *rtl_tlb_psc(unsigned sets, unsigned ways, unsigned key_shift, unsigned repl,
                                      std::string &err, enum failure &kind)
{
	static std::map<std::tuple<unsigned, unsigned, unsigned, unsigned>, const mmusim_rtl_tlb_psc *> loaded;
	auto it = loaded.find({ sets, ways, key_shift, repl });
	if (it != loaded.end())
		return it->second;
	std::string geometry = std::to_string(sets) + "x" + std::to_string(ways);
	std::string shift = std::to_string(key_shift);
	model_spec spec = { "tlb_psc", "rtl_psc_shim.cpp", MMUSIM_RTL_PSC_ENTRY,
	                    { { "Sets", "SETS", sets }, { "Ways", "WAYS", ways }, { "KeyShift", "KEY_SHIFT", key_shift },
	                      { "KeyW", "KEY_W", rtl_psc_key_w }, { "Repl", "REPL", repl } },
	                    "tlb_psc-" + geometry + "-k" + shift + "-" + (repl ? "plru" : "lru") + "-" + sources_key(),
	                    "tlb_psc " + geometry + " key shift " + shift + " " + (repl ? "PLRU" : "LRU") };
	std::string so = model_path(spec, err, kind);
	const mmusim_rtl_tlb_psc *m =
	    so.empty() ? nullptr : load<mmusim_rtl_tlb_psc>(so, spec.entry, psc_matches, spec, err, kind);
	if (m)
		loaded[{ sets, ways, key_shift, repl }] = m;
	return m;
}

} // namespace mmusim_sc
