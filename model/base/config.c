/* base/config.c - the key table, presets, parsing and checks. */
#define _POSIX_C_SOURCE 200809L   /* fileno, fstat */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct key_info {
	const char *name;
	enum cfg_type type;
	const char *def, *unit, *meaning, *source;
};

static const struct key_info keys[K_COUNT] = {
#define CFG_INFO(id, name, type, def, unit, meaning, source) \
	[K_##id] = { name, type, def, unit, meaning, source },
	CONFIG_KEYS(CFG_INFO)
#undef CFG_INFO
};

/* Presets: overlays on the key defaults (which are Skylake client), each
 * value with its source (--list-config --preset NAME prints them). */
struct preset_set { const char *set, *source; };
struct preset { const char *name; const struct preset_set *sets; };
static const struct preset_set skylake_sets[] = { { NULL, NULL } };
/* AMD Zen 2, approximated with this model's split L1 arrays: the 64-entry
 * fully associative L1 DTLB becomes 64 fully associative entries per page
 * size; L2 TLB 2048 entries 16-way (docs/semantics.md 1.6: "L2 TLB 2048 entries";
 * AMD Software Optimization Guide for Family 17h Model 30h). */
#define SOG17 "AMD Software Optimization Guide for Family 17h Models 30h (Zen 2)"
static const struct preset_set zen2_sets[] = {
	{ "tlb.l1d.4k.entries=64", SOG17 ": L1 DTLB 64 entries, fully associative, all page sizes" },
	{ "tlb.l1d.4k.ways=64", SOG17 }, { "tlb.l1d.2m.entries=64", SOG17 }, { "tlb.l1d.2m.ways=64", SOG17 },
	{ "tlb.l1d.1g.entries=64", SOG17 }, { "tlb.l1d.1g.ways=64", SOG17 },
	{ "tlb.l1i.4k.entries=64", SOG17 ": L1 ITLB 64 entries, fully associative" },
	{ "tlb.l1i.4k.ways=64", SOG17 }, { "tlb.l1i.2m.entries=64", SOG17 }, { "tlb.l1i.2m.ways=64", SOG17 },
	{ "tlb.stlb.entries=2048", SOG17 ": L2 DTLB 2048 entries" }, { "tlb.stlb.ways=16", SOG17 },
	{ "cache.l1d.latency=4", SOG17 ": 4-cycle L1D load-to-use" },
	{ "cache.l2.size=512k", SOG17 ": 512 KiB 8-way L2" }, { "cache.l2.ways=8", SOG17 },
	{ "cache.l2.latency=12", SOG17 ": L2 12 cycles" }, { "cache.llc.size=16m", SOG17 ": 16 MiB L3 per CCX" },
	{ "cache.llc.latency=39", "7-cpu.com AMD Zen 2: L3 39 cycles" },
	{ NULL, NULL }
};
/* AMD Zen 3, 4 and 5 (EPYC 7003, 9004, 9005): the fully associative L1
 * DTLB that holds every page size is one fully associative array per size
 * here, as for zen2; the L2 DTLB's 4 KiB geometry stands for the STLB.
 * The CPUID values are those of real parts (libcpuid's test dumps:
 * tests/amd/zen3/epyc-milan.test, EPYC 7713; tests/amd/zen4/epyc-genoa.test,
 * EPYC 9124; tests/amd/zen5/epyc-turin.test, EPYC 9655): Fn8000_0005 (L1
 * TLBs and L1D), Fn8000_0006 (L2 TLB, associativity code 6 = 8 ways),
 * Fn8000_0019 (1 GiB entries), Fn8000_001D (cache ways and sets),
 * Fn8000_0008 EDX (INVLPGB count 7: 8 pages), Fn8000_0008 EBX bit 3
 * (INVLPGB). Keys not named keep the skylake value and its source. */
#define MILAN "CPUID of an EPYC 7713 (Zen 3; libcpuid tests/amd/zen3/epyc-milan.test)"
#define GENOA "CPUID of an EPYC 9124 (Zen 4; libcpuid tests/amd/zen4/epyc-genoa.test)"
#define TURIN "CPUID of an EPYC 9655 (Zen 5; libcpuid tests/amd/zen5/epyc-turin.test)"
#define SOG19 "AMD Software Optimization Guide for AMD Family 19h Processors (Zen 3, pub. 56665)"
#define SOG19Z4 "AMD Software Optimization Guide for the AMD Zen 4 Microarchitecture (pub. 57647)"
#define SOG1A "AMD Software Optimization Guide for the AMD Zen 5 Microarchitecture (pub. 58455)"
#define AMD_COMMON(src, sog, walkers_src) \
	{ "invlpgb=on", src ": Fn8000_0008 EBX bit 3, INVLPGB; Linux 6.15+ uses it" }, \
	{ "invlpgb.count_max=8", src ": Fn8000_0008 EDX = 0x00010007, invlpgb_count_max 8" }, \
	{ "tlb.l1i.4k.entries=64", src ": Fn8000_0005 EBX[15:0] = 0xff40, 64 entries fully associative" }, \
	{ "tlb.l1i.4k.ways=64", src }, \
	{ "tlb.l1i.2m.entries=64", src ": Fn8000_0005 EAX[15:0] = 0xff40" }, { "tlb.l1i.2m.ways=64", src }, \
	{ "cache.l1d.latency=4", sog ": 4-cycle integer load-to-use from L1D" }, \
	{ "cache.llc.size=32m", sog ": 32 MiB L3 per CCX" }, \
	{ "cache.llc.ways=16", src ": Fn8000_001D subleaf 3, 16 ways" }, \
	{ "walkers=6", walkers_src }
/* The CPUID fields of the Zen parts, each encoding written once: the L1
 * DTLB (Fn8000_0005 EBX[31:16] and EAX[31:16] for 4K and 2M, Fn8000_0019
 * EAX[31:16] for 1G: 0xff or 0xf0 = fully associative, then the count in
 * hex), the L2 DTLB (Fn8000_0006 EBX, 8 ways), a cache level (Fn8000_001D). */
#define AMD_L1D(src, n, hex) \
	{ "tlb.l1d.4k.entries=" #n, src ": Fn8000_0005 EBX[31:16] = 0xff" #hex ", " #n " entries fully associative" }, \
	{ "tlb.l1d.4k.ways=" #n, src }, \
	{ "tlb.l1d.2m.entries=" #n, src ": Fn8000_0005 EAX[31:16] = 0xff" #hex }, { "tlb.l1d.2m.ways=" #n, src }, \
	{ "tlb.l1d.1g.entries=" #n, src ": Fn8000_0019 EAX[31:16] = 0xf0" #hex }, { "tlb.l1d.1g.ways=" #n, src }
#define AMD_STLB(src, n, ebx) \
	{ "tlb.stlb.entries=" #n, src ": Fn8000_0006 EBX = " #ebx ", L2 DTLB 4K " #n " entries, 8 ways" }, \
	{ "tlb.stlb.ways=8", src }
#define AMD_CACHE(src, level, subleaf, size, size_text, ways) \
	{ "cache." level ".size=" size, src ": Fn8000_001D subleaf " #subleaf ", " size_text " " #ways " ways" }, \
	{ "cache." level ".ways=" #ways, src }
#define AMD_L2_LATENCY(sog, cycles) { "cache.l2.latency=" #cycles, sog ": L2 " #cycles " cycles" }
static const struct preset_set zen3_sets[] = {
	AMD_COMMON(MILAN, SOG19, SOG19 ": up to six page table walks in flight (docs/semantics.md 1.6: Zen 3 has 6 walkers)"),
	AMD_L1D(MILAN, 64, 40),
	AMD_STLB(MILAN, 2048, 0x68004200),
	AMD_CACHE(MILAN, "l1d", 0, "32k", "32 KiB", 8),
	AMD_CACHE(MILAN, "l2", 2, "512k", "512 KiB", 8),
	AMD_L2_LATENCY(SOG19, 12),
	{ "cache.llc.latency=46", SOG19 ": L3 46 cycles on average" },
	{ NULL, NULL }
};
static const struct preset_set zen4_sets[] = {
	AMD_COMMON(GENOA, SOG19Z4, SOG19Z4 ": six page table walkers, as Zen 3"),
	AMD_L1D(GENOA, 72, 48),
	AMD_STLB(GENOA, 3072, 0x6c004200),
	AMD_CACHE(GENOA, "l1d", 0, "32k", "32 KiB", 8),
	AMD_CACHE(GENOA, "l2", 2, "1m", "1 MiB", 8),
	AMD_L2_LATENCY(SOG19Z4, 14),
	{ "cache.llc.latency=50", SOG19Z4 ": L3 about 50 cycles on average" },
	{ NULL, NULL }
};
static const struct preset_set zen5_sets[] = {
	AMD_COMMON(TURIN, SOG1A, "assumption, range 6-8: as Zen 4 (no published change)"),
	AMD_L1D(TURIN, 96, 60),
	{ "tlb.stlb.entries=4096", SOG1A ": L2 DTLB 4096 entries (Fn8000_0006 no longer gives the count directly); assumption 16 ways, range 8-16" },
	{ "tlb.stlb.ways=16", "assumption, range 8-16" },
	{ "cache.l1d.size=48k", TURIN ": Fn8000_0005 ECX = 0x300c0140, 48 KiB 12 ways" }, { "cache.l1d.ways=12", TURIN },
	AMD_CACHE(TURIN, "l2", 2, "1m", "1 MiB", 16),
	AMD_L2_LATENCY(SOG1A, 14),
	{ "cache.llc.latency=50", SOG1A ": L3 about 50 cycles on average" },
	{ NULL, NULL }
};
static const struct preset presets[] = {
	{ "skylake", skylake_sets },
	{ "zen2", zen2_sets },
	{ "zen3", zen3_sets },
	{ "zen4", zen4_sets },
	{ "zen5", zen5_sets },
};
static const char *const preset_names[] = { "skylake", "zen2", "zen3", "zen4", "zen5", NULL };

const char *const *config_presets(void) { return preset_names; }
const char *config_key_name(enum cfg_key k) { return keys[k].name; }
bool config_hidden(enum cfg_key k) { return strncmp(keys[k].name, "test.", 5) == 0; }

static int parse_u64(const char *s, uint64_t *out)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!isxdigit((unsigned char)*s))
			return -1;
	}
	uint64_t v = 0;
	for (; *s; s++) {
		int d;
		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			return -1;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

static int parse_value(enum cfg_type type, const char *s, uint64_t *out)
{
	switch (type) {
	case CFG_BOOL:
		if (!strcmp(s, "on") || !strcmp(s, "true") || !strcmp(s, "1"))
			return *out = 1, 0;
		if (!strcmp(s, "off") || !strcmp(s, "false") || !strcmp(s, "0"))
			return *out = 0, 0;
		return -1;
	case CFG_REPL:
		if (!strcmp(s, "lru"))
			return *out = 0, 0;
		if (!strcmp(s, "plru"))
			return *out = 1, 0;
		return -1;
	case CFG_KERNEL:
		if (!strcmp(s, "6.13"))
			return *out = KERNEL_6_13, 0;
		if (!strcmp(s, "6.14"))
			return *out = KERNEL_6_14, 0;
		if (!strcmp(s, "6.18"))
			return *out = KERNEL_6_18, 0;
		return -1;
	case CFG_UINT:
		return parse_u64(s, out);
	case CFG_BYTES: {
		char num[32];
		size_t n = strlen(s);
		if (n == 0 || n >= sizeof num)
			return -1;
		memcpy(num, s, n + 1);
		unsigned shift = 0;
		switch (tolower((unsigned char)num[n - 1])) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		case 't': shift = 40; break;
		}
		if (shift)
			num[n - 1] = 0;
		uint64_t v;
		if (parse_u64(num, &v) || (shift && v > (UINT64_MAX >> shift)))
			return -1;
		*out = v << shift;
		return 0;
	}
	}
	return -1;
}

static const char *type_hint(enum cfg_type t)
{
	switch (t) {
	case CFG_BOOL: return "on/off, true/false or 1/0";
	case CFG_REPL: return "lru or plru";
	case CFG_UINT: return "an unsigned number";
	case CFG_BYTES: return "a size in bytes with an optional k, m, g or t suffix";
	case CFG_KERNEL: return "6.13, 6.14 or 6.18";
	}
	return "";
}

static int set_kv(config *c, const char *key, const char *val, char *err, size_t errlen)
{
	if (!strcmp(key, "hz"))
		key = "kernel.hz";   /* hz is another name of kernel.hz */
	for (int k = 0; k < K_COUNT; k++) {
		if (strcmp(keys[k].name, key))
			continue;
		if (parse_value(keys[k].type, val, &c->v[k])) {
			snprintf(err, errlen, "bad value '%s' for configuration key '%s' (expected %s)",
			         val, key, type_hint(keys[k].type));
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown configuration key '%s' (see --list-config)", key);
	return -1;
}

int config_set(config *c, const char *assignment, char *err, size_t errlen)
{
	const char *eq = strchr(assignment, '=');
	if (!eq || eq == assignment) {
		snprintf(err, errlen, "expected KEY=VALUE, got '%s'", assignment);
		return -1;
	}
	char key[128];
	size_t kl = (size_t)(eq - assignment);
	if (kl >= sizeof key) {
		snprintf(err, errlen, "unknown configuration key '%.*s...'", 40, assignment);
		return -1;
	}
	memcpy(key, assignment, kl);
	key[kl] = 0;
	return set_kv(c, key, eq + 1, err, errlen);
}

int config_preset(config *c, const char *preset, char *err, size_t errlen)
{
	for (int k = 0; k < K_COUNT; k++)
		if (parse_value(keys[k].type, keys[k].def, &c->v[k]))
			abort(); /* a bad default is a bug in the table */
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
		if (strcmp(presets[i].name, preset))
			continue;
		for (const struct preset_set *p = presets[i].sets; p->set; p++)
			if (config_set(c, p->set, err, errlen))
				abort();
		return 0;
	}
	snprintf(err, errlen, "unknown preset '%s' (known: skylake, zen2, zen3, zen4, zen5)", preset);
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* A --config line is at most this long (comment included). */
#define CONFIG_MAX_LINE 65536

int config_load(config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	int e = !f ? errno : fstat(fileno(f), &st) ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
	if (e) {
		snprintf(err, errlen, "%s: cannot read configuration file: %s", path, strerror(e));
		if (f)
			fclose(f);
		return -2;
	}
	static char line[CONFIG_MAX_LINE + 2];
	unsigned lineno = 0;
	int rc = 0;
	for (;;) {
		/* one whole line, however long its comment, up to CONFIG_MAX_LINE */
		size_t n = 0;
		int ch = 0;
		while (n <= CONFIG_MAX_LINE && (ch = getc(f)) != EOF && ch != '\n')
			line[n++] = (char)ch;
		if (ch == EOF && n == 0)
			break;
		lineno++;
		if (n > CONFIG_MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line longer than %d characters", path, lineno, CONFIG_MAX_LINE);
			rc = -1;
			break;
		}
		line[n] = 0;
		if (memchr(line, 0, n)) {
			snprintf(err, errlen, "%s:%u: NUL byte in the line", path, lineno);
			rc = -1;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected KEY=VALUE", path, lineno);
			rc = -1;
			break;
		}
		*eq = 0;
		char msg[512];
		if (set_kv(c, trim(s), trim(eq + 1), msg, sizeof msg)) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		/* a read error is not the end of the file */
		snprintf(err, errlen, "%s:%u: cannot read configuration file: %s", path, lineno + 1,
		         strerror(errno ? errno : EIO));
		rc = -2;
	}
	fclose(f);
	return rc;
}

static int check_geometry(const config *c, enum cfg_key ek, enum cfg_key wk,
                          char *err, size_t errlen)
{
	uint64_t e = c->v[ek], w = c->v[wk];
	if (e == 0)
		return 0;
	if (w == 0 || w > 255 || e % w != 0 || e > (1u << 20)) {
		snprintf(err, errlen, "impossible geometry: %s=%" PRIu64 " with %s=%" PRIu64
		         " (entries must be a multiple of ways; ways 1..255; at most 1048576 entries)",
		         keys[ek].name, e, keys[wk].name, w);
		return -1;
	}
	return 0;
}

static int check_cache(const config *c, enum cfg_key sk, enum cfg_key wk, char *err, size_t errlen)
{
	uint64_t size = c->v[sk], ways = c->v[wk];
	if (size == 0)
		return 0;
	uint64_t lines = size / 64;
	/* in this order: a size below one line has no sets to divide by */
	bool ok = size % 64 == 0 && ways != 0 && ways <= 64 && lines % ways == 0 && lines / ways != 0 &&
	          size <= (1ull << 32) && (c->v[K_MEM_SIZE] >> 6) / (lines / ways) < UINT32_MAX;
	if (!ok) {
		snprintf(err, errlen, "impossible geometry: %s=%" PRIu64 " with %s=%" PRIu64
		          " (size a multiple of 64-byte lines times ways; ways 1..64; at most 4 GiB;"
		         " at least mem.size / 2^38 bytes per way)",
		         keys[sk].name, size, keys[wk].name, ways);
		return -1;
	}
	return 0;
}

/* Keys with a plain range, checked before the cross-key rules.  Every
 * latency and cost is at most 10^9 cycles (a quarter of a second at
 * 4 GHz, far beyond any measured figure): with that bound no sum of one
 * record's costs can wrap the 64-bit clock (os.h: OS_CLOCK_LIMIT). */
#define MAX_CYCLES 1000000000ull
static const struct { enum cfg_key k; uint64_t lo, hi; const char *why; } ranges[] = {
	{ K_FLUSH_CEILING, 0, 1u << 20, "pages, at most 1048576" },
	{ K_LAT_L1TLB, 0, MAX_CYCLES, "cycles" }, { K_LAT_STLB, 0, MAX_CYCLES, "cycles" },
	{ K_LAT_PWC, 0, MAX_CYCLES, "cycles" }, { K_LAT_L1D, 0, MAX_CYCLES, "cycles" },
	{ K_LAT_L2, 0, MAX_CYCLES, "cycles" }, { K_LAT_LLC, 0, MAX_CYCLES, "cycles" },
	{ K_LAT_DRAM, 0, MAX_CYCLES, "cycles" }, { K_COST_AD_WRITE, 0, MAX_CYCLES, "cycles" },
	{ K_COST_CR3, 0, MAX_CYCLES, "cycles" }, { K_COST_INVLPG, 0, MAX_CYCLES, "cycles" },
	{ K_COST_INVPCID, 0, MAX_CYCLES, "cycles" }, { K_COST_CR4, 0, MAX_CYCLES, "cycles" },
	{ K_COST_ENTRY, 0, MAX_CYCLES, "cycles" }, { K_COST_EXIT, 0, MAX_CYCLES, "cycles" },
	{ K_COST_FAULT, 0, MAX_CYCLES, "cycles" }, { K_COST_COPY_PAGE, 0, MAX_CYCLES, "cycles" },
	{ K_COST_SWITCH, 0, MAX_CYCLES, "cycles" }, { K_COST_PTE, 0, MAX_CYCLES, "cycles" },
	{ K_COST_SYSCALL_BODY, 0, MAX_CYCLES, "cycles" }, { K_COST_MM_OP, 0, MAX_CYCLES, "cycles" },
	{ K_IPI_LATENCY, 0, MAX_CYCLES, "cycles" }, { K_IPI_SEND, 0, MAX_CYCLES, "cycles" },
	{ K_IPI_HANDLER, 0, MAX_CYCLES, "cycles" }, { K_IPI_ACK, 0, MAX_CYCLES, "cycles" },
	{ K_COST_INVLPGB, 0, MAX_CYCLES, "cycles" }, { K_COST_INVLPGB_LATENCY, 0, MAX_CYCLES, "cycles" },
	{ K_COST_INVLPGB_PER_CPU, 0, MAX_CYCLES, "cycles" }, { K_COST_INVLPGB_PER_PAGE, 0, MAX_CYCLES, "cycles" },
	{ K_COST_TLBSYNC, 0, MAX_CYCLES, "cycles" },
	{ K_ASIDS, 1, 2047, "PCIDs are 12 bits and PTI uses bit 11" },
	{ K_WALKERS, 1, 64, "walks" },
	{ K_CLOCK_MHZ, 1, 100000, "MHz" },
	{ K_KERNEL_HZ, 1, 10000, "Hz" },
};

int config_validate(const config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		uint64_t v = c->v[ranges[i].k];
		if (v < ranges[i].lo || v > ranges[i].hi) {
			snprintf(err, errlen, "bad value for configuration key '%s': %" PRIu64 " (%" PRIu64 "..%" PRIu64
			         ", %s)", keys[ranges[i].k].name, v, ranges[i].lo, ranges[i].hi, ranges[i].why);
			return -1;
		}
	}
	static const enum cfg_key geo[][2] = {
		{ K_L1D4K_ENTRIES, K_L1D4K_WAYS }, { K_L1D2M_ENTRIES, K_L1D2M_WAYS },
		{ K_L1D1G_ENTRIES, K_L1D1G_WAYS }, { K_L1I4K_ENTRIES, K_L1I4K_WAYS },
		{ K_L1I2M_ENTRIES, K_L1I2M_WAYS }, { K_STLB_ENTRIES, K_STLB_WAYS },
		{ K_PWC_PD_ENTRIES, K_PWC_PD_WAYS },
	};
	for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++)
		if (check_geometry(c, geo[i][0], geo[i][1], err, errlen))
			return -1;
	static const enum cfg_key fa[] = { K_PWC_PML5_ENTRIES, K_PWC_PML4_ENTRIES, K_PWC_PDPT_ENTRIES };
	for (size_t i = 0; i < sizeof fa / sizeof fa[0]; i++)
		if (c->v[fa[i]] > 255) {
			snprintf(err, errlen, "impossible geometry: %s=%" PRIu64 " (fully associative, at most 255)",
			         keys[fa[i]].name, c->v[fa[i]]);
			return -1;
		}
	if (check_cache(c, K_L1D_SIZE, K_L1D_WAYS, err, errlen) ||
	    check_cache(c, K_L2_SIZE, K_L2_WAYS, err, errlen) ||
	    check_cache(c, K_LLC_SIZE, K_LLC_WAYS, err, errlen))
		return -1;
	if (c->v[K_PAGING_LEVELS] != 4 && c->v[K_PAGING_LEVELS] != 5) {
		snprintf(err, errlen, "bad value for configuration key 'paging_levels': %" PRIu64 " (4 or 5)",
		         c->v[K_PAGING_LEVELS]);
		return -1;
	}
	if (c->v[K_INVLPGB] && c->v[K_KERNEL] < KERNEL_6_18) {
		snprintf(err, errlen, "invlpgb=on needs kernel=6.18 (global ASIDs and broadcast flushes came in Linux 6.15)");
		return -1;
	}
	if (c->v[K_INVLPGB_COUNT_MAX] < 1 || c->v[K_INVLPGB_COUNT_MAX] > 65536) {
		snprintf(err, errlen, "bad value for configuration key 'invlpgb.count_max': %" PRIu64
		         " (1..65536: ECX[15:0] counts the pages after the first)", c->v[K_INVLPGB_COUNT_MAX]);
		return -1;
	}
	if (c->v[K_MACHINE_CPUS] > 256) {
		snprintf(err, errlen, "bad value for configuration key 'machine.cpus': %" PRIu64 " (0..256)",
		         c->v[K_MACHINE_CPUS]);
		return -1;
	}
	uint64_t top = c->v[K_PTI_BUILT_IN] ? 2046 : 4094;
	if (c->v[K_TEST_MAX_ASID] && (c->v[K_TEST_MAX_ASID] > top || c->v[K_TEST_MAX_ASID] < c->v[K_ASIDS] + 2)) {
		snprintf(err, errlen, "bad value for configuration key 'test.max_asid': %" PRIu64 " (asids + 2..%" PRIu64 ")",
		         c->v[K_TEST_MAX_ASID], top);
		return -1;
	}
	if (c->v[K_PTI] && !c->v[K_PTI_BUILT_IN]) {
		snprintf(err, errlen, "pti=on needs kernel.pti_built_in=on");
		return -1;
	}
	uint64_t m = c->v[K_MEM_SIZE];
	if (m < (256ull << 20) || m > (4ull << 40) || m % (2ull << 20)) {
		snprintf(err, errlen, "bad value for configuration key 'mem.size': %" PRIu64
		         " (256m..4t, a multiple of 2 MiB)", m);
		return -1;
	}
	return 0;
}

void config_format(const config *c, enum cfg_key k, char *buf, size_t len)
{
	uint64_t v = c->v[k];
	switch (keys[k].type) {
	case CFG_BOOL: snprintf(buf, len, "%s", v ? "on" : "off"); break;
	case CFG_REPL: snprintf(buf, len, "%s", v ? "plru" : "lru"); break;
	case CFG_KERNEL: snprintf(buf, len, "%u.%u", (unsigned)(v / 100), (unsigned)(v % 100)); break;
	default: snprintf(buf, len, "%" PRIu64, v); break;
	}
}

/* The source of key k's value in a preset: its own, or the key table's. */
static const char *preset_source(const struct preset *p, enum cfg_key k)
{
	size_t n = strlen(keys[k].name);
	const char *src = NULL;
	for (const struct preset_set *q = p->sets; q->set; q++)
		if (!strncmp(q->set, keys[k].name, n) && q->set[n] == '=')
			src = q->source;   /* the last one wins, as in config_preset */
	return src;
}

int config_list(FILE *out, const char *preset, char *err, size_t errlen)
{
	const struct preset *p = NULL;
	config c;
	if (preset) {
		if (config_preset(&c, preset, err, errlen))
			return -1;
		for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
			if (!strcmp(presets[i].name, preset))
				p = &presets[i];
	}
	fprintf(out, "%-22s %-8s %-8s %s\n", "KEY", p ? "VALUE" : "DEFAULT", "UNIT", "MEANING [SOURCE]");
	for (int k = 0; k < K_COUNT; k++) {
		if (config_hidden((enum cfg_key)k))
			continue;
		char buf[64];
		const char *value = keys[k].def, *source = keys[k].source;
		if (p) {
			config_format(&c, (enum cfg_key)k, buf, sizeof buf);
			value = buf;
			const char *own = preset_source(p, (enum cfg_key)k);
			if (own)
				source = own;
		}
		fprintf(out, "%-22s %-8s %-8s %s [%s]\n", keys[k].name, value,
		        keys[k].unit[0] ? keys[k].unit : "-", keys[k].meaning, source);
	}
	if (p)
		fprintf(out, "\npreset %s; hz is another name of kernel.hz\n", p->name);
	else
		fprintf(out, "\npresets (--preset): skylake (default), zen2, zen3, zen4, zen5;"
		        " --list-config --preset NAME gives a preset's values; hz is another name of kernel.hz\n");
	return 0;
}
