/* base/failure.h - the kind of a failure, which every layer reports
 * beside its message.  The layers name kinds, never statuses:
 * model/cli/main.c alone turns a kind into the command's exit status
 * (docs/trace-format.md, "The command line"), lib/mmusim.c into the
 * library's status of the same meaning. */
#ifndef MMUSIM_BASE_FAILURE_H
#define MMUSIM_BASE_FAILURE_H

enum failure {
	FAIL_NONE = 0,
	FAIL_CHECK,      /* a checker violation or a co-simulation mismatch */
	FAIL_USAGE,      /* the command line or the configuration */
	FAIL_TRACE,      /* the trace breaks a rule of docs/trace-format.md */
	FAIL_INPUT,      /* an input cannot be read, or an output written */
	FAIL_INTERNAL    /* a bug, or the host failed the model */
};

#endif
