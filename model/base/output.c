/* base/output.c - checked, atomic output files (output.h). */
#define _POSIX_C_SOURCE 200809L   /* mkstemp, fsync, fchmod, sigaction */
#include "base/output.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_OUTPUTS 4

struct output {
	char *path;
	FILE *f;
	int slot;                 /* in temps[]; -1: standard output */
	bool existed;             /* the target existed when opened: its identity */
	dev_t dev, dir_dev;
	ino_t ino, dir_ino;
	const char *base;         /* within path */
};

/* The temp files alive, for the exit and signal handlers: a slot's path
 * is written before it is marked live, and unlink is async-signal-safe. */
static char temps[MAX_OUTPUTS][PATH_MAX];
static volatile sig_atomic_t live[MAX_OUTPUTS];
static char sides[MAX_OUTPUTS][PATH_MAX + 16];   /* a side file, "" for none */
static output *opened[MAX_OUTPUTS];   /* to compare a new output with the others */
static bool exit_handler_set;

static void remove_temps(void)
{
	for (int i = 0; i < MAX_OUTPUTS; i++)
		if (live[i]) {
			live[i] = 0;
			unlink(temps[i]);
			if (sides[i][0])
				unlink(sides[i]);
		}
}

static void remove_side(const output *o)
{
	if (o->slot >= 0 && sides[o->slot][0]) {
		unlink(sides[o->slot]);
		sides[o->slot][0] = 0;
	}
}

static void forget(output *o)
{
	for (int i = 0; i < MAX_OUTPUTS; i++)
		if (opened[i] == o)
			opened[i] = NULL;
	if (o->slot >= 0) {
		live[o->slot] = 0;
		sides[o->slot][0] = 0;
	}
	free(o->path);
	free(o);
}

static int fail(char *err, size_t errlen, const char *path, const char *why)
{
	snprintf(err, errlen, "cannot write %s: %s", path, why);
	return -1;
}

/* Where path's directory entry is: its directory's identity and the name. */
static int locate(output *o, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(o->path, '/');
	o->base = slash ? slash + 1 : o->path;
	if (!*o->base)
		return fail(err, errlen, o->path, "it names a directory");
	size_t n = slash ? (size_t)(slash - o->path) : 0;
	if (n + 32 >= sizeof dir)
		return fail(err, errlen, o->path, strerror(ENAMETOOLONG));
	if (slash)
		memcpy(dir, o->path, n ? n : 1);   /* "/name": the root */
	else
		dir[0] = '.';
	dir[slash ? (n ? n : 1) : 1] = 0;
	struct stat st;
	if (stat(dir, &st) != 0)
		return fail(err, errlen, o->path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(err, errlen, o->path, strerror(ENOTDIR));
	o->dir_dev = st.st_dev;
	o->dir_ino = st.st_ino;
	int len = snprintf(temps[o->slot], sizeof temps[o->slot], "%s/.mmusim-XXXXXX", dir);
	if (len < 0 || (size_t)len >= sizeof temps[o->slot])
		return fail(err, errlen, o->path, strerror(ENAMETOOLONG));
	return 0;
}

output *output_open(const char *path, const char *const *inputs, char *err, size_t errlen)
{
	if (!path[0]) {
		snprintf(err, errlen, "an empty output file name");
		return NULL;
	}
	int slot = -1, free_slot = -1;
	for (int i = 0; i < MAX_OUTPUTS; i++)
		if (!opened[i] && free_slot < 0)
			free_slot = i;
		else if (opened[i] && !strcmp(path, "-") && opened[i]->slot < 0) {
			snprintf(err, errlen, "only one output can be standard output ('-')");
			return NULL;
		}
	if (free_slot < 0) {
		snprintf(err, errlen, "too many outputs");
		return NULL;
	}
	output *o = calloc(1, sizeof *o);
	if (!o || !(o->path = strdup(path)))
		output_out_of_memory();
	o->slot = -1;
	if (!strcmp(path, "-")) {
		o->f = stdout;
		opened[free_slot] = o;
		return o;
	}
	o->slot = slot = free_slot;
	if (locate(o, err, errlen))
		goto bad;
	struct stat st;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			fail(err, errlen, path, S_ISDIR(st.st_mode) ? "it is a directory"
			     : "it is not a regular file (use '-' for standard output)");
			goto bad;
		}
		o->existed = true;
		o->dev = st.st_dev;
		o->ino = st.st_ino;
		for (const char *const *in = inputs; in && *in; in++) {
			struct stat is;
			if (strcmp(*in, "-") && stat(*in, &is) == 0 && is.st_dev == st.st_dev && is.st_ino == st.st_ino) {
				snprintf(err, errlen, "cannot write %s: it is the input %s", path, *in);
				goto bad;
			}
		}
	} else if (errno != ENOENT) {
		fail(err, errlen, path, strerror(errno));
		goto bad;
	}
	for (int i = 0; i < MAX_OUTPUTS; i++) {
		const output *p = opened[i];
		if (p && p->slot >= 0 &&
		    ((o->existed && p->existed && p->dev == o->dev && p->ino == o->ino) ||
		     (p->dir_dev == o->dir_dev && p->dir_ino == o->dir_ino && !strcmp(p->base, o->base)))) {
			snprintf(err, errlen, "cannot write %s twice (it is also %s)", path, p->path);
			goto bad;
		}
	}
	int fd = mkstemp(temps[slot]);
	if (fd < 0) {
		fail(err, errlen, path, strerror(errno));
		goto bad;
	}
	live[slot] = 1;
	if (!exit_handler_set) {
		atexit(remove_temps);
		exit_handler_set = true;
	}
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0 || !(o->f = fdopen(fd, "w"))) {
		fail(err, errlen, path, strerror(errno));
		close(fd);
		unlink(temps[slot]);
		goto bad;
	}
	opened[free_slot] = o;
	return o;
bad:
	forget(o);
	return NULL;
}

FILE *output_stream(output *o) { return o->f; }
const char *output_path(const output *o) { return o->path; }
const char *output_temp_path(const output *o) { return o->slot >= 0 ? temps[o->slot] : NULL; }

void output_side_file(output *o, const char *suffix)
{
	if (o->slot < 0)
		return;
	/* written whole before the handlers can see it: live is already set,
	 * and an empty or complete name is all they find */
	char *side = sides[o->slot];
	size_t n = strlen(temps[o->slot]);
	if (n + strlen(suffix) >= sizeof sides[o->slot])
		return;
	memcpy(side + 1, temps[o->slot] + 1, n - 1);
	strcpy(side + n, suffix);
	side[0] = temps[o->slot][0];
}

int output_reopen(output *o, char *err, size_t errlen)
{
	if (o->slot < 0)
		return 0;
	FILE *f = fopen(temps[o->slot], "r+");
	if (!f)
		return fail(err, errlen, o->path, strerror(errno));
	fclose(o->f);
	o->f = f;
	return 0;
}

int output_commit(output *o, char *err, size_t errlen)
{
	if (o->slot < 0) {
		int rc = output_check_stdout(err, errlen);
		forget(o);
		return rc;
	}
	int rc = 0;
	errno = 0;
	if (fflush(o->f) != 0 || ferror(o->f))
		rc = fail(err, errlen, o->path, strerror(errno ? errno : EIO));
	else if (fsync(fileno(o->f)) != 0 && errno != EINVAL)
		rc = fail(err, errlen, o->path, strerror(errno));
	if (fclose(o->f) != 0 && rc == 0)
		rc = fail(err, errlen, o->path, strerror(errno));
	o->f = NULL;
	/* what is there now: something may have taken the name during the run */
	struct stat st;
	if (rc == 0 && stat(o->path, &st) == 0 && !S_ISREG(st.st_mode))
		rc = fail(err, errlen, o->path, "it is no longer a regular file");
	if (rc == 0 && rename(temps[o->slot], o->path) != 0)
		rc = fail(err, errlen, o->path, strerror(errno));
	if (rc == 0)
		live[o->slot] = 0;
	else
		unlink(temps[o->slot]);
	remove_side(o);
	forget(o);
	return rc;
}

void output_abandon(output *o)
{
	if (!o)
		return;
	if (o->slot >= 0) {
		if (o->f)
			fclose(o->f);
		unlink(temps[o->slot]);
		remove_side(o);
	}
	forget(o);
}

int output_check_stdout(char *err, size_t errlen)
{
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		snprintf(err, errlen, "cannot write standard output: %s", strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

static volatile sig_atomic_t *stop_flag;
static int stop_status;

static void on_stop(int sig)
{
	(void)sig;
	if (*stop_flag) {      /* the second one: stop now */
		remove_temps();
		_exit(stop_status);
	}
	*stop_flag = 1;
}

static void on_fatal(int sig)
{
	remove_temps();
	raise(sig);            /* SA_RESETHAND: the default action now */
}

void output_signals(volatile sig_atomic_t *flag, int second_signal_status)
{
	stop_flag = flag;
	stop_status = second_signal_status;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sa.sa_handler = on_fatal;
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);   /* EPIPE: reported as a write error */
	sigaction(SIGXFSZ, &sa, NULL);   /* EFBIG likewise */
}

static const char *oom_message = "out of host memory\n";
static int oom_status = -1;   /* abort() */

void output_on_out_of_memory(const char *message, int status)
{
	oom_message = message;
	oom_status = status;
}

_Noreturn void output_out_of_memory(void)
{
	if (write(2, oom_message, strlen(oom_message)) < 0) {
		/* nothing more to say */
	}
	remove_temps();
	if (oom_status < 0)
		abort();
	_exit(oom_status);
}
