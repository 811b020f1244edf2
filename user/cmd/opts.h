/* SPDX-License-Identifier: MIT */
/*
 * Command-line options, defined once: the options several commands take
 * (their spelling, help line, parsing and the one error line each mistake
 * gets) live in one table; a command lists the ones it takes, with its own
 * help text or limits where its meaning differs, and adds its own options.
 * --help is generated from the same list, so the two never drift apart.
 */
#ifndef MPMSCOPE_CMD_OPTS_H
#define MPMSCOPE_CMD_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/mpm.h"
#include "base/util.h"
#include "trace/tracer.h"

enum opt_id {
	/* options with a short form are their letter */
	OPT_MPM = 'm', OPT_SCENARIO = 's', OPT_REQUESTS = 'n', OPT_CONCURRENCY = 'c', OPT_DURATION = 'd',
	OPT_KEEPALIVE = 'k', OPT_QUIET = 'q', OPT_VERBOSE = 'v', OPT_HELP = 'h', OPT_PID = 'p',
	OPT_COMM = 'C', OPT_INTERVAL = 'i', OPT_LISTEN = 'l', OPT_TIMESTAMP = 'T',
	OPT_NO_KEEPALIVE = 256, OPT_HTTPD, OPT_PORT, OPT_BTF, OPT_RAW_TP, OPT_NO_SYSCALL_TPS, OPT_JSON, OPT_HTML,
	OPT_CSV, OPT_HIST, OPT_SYSCALL_PROBES,
	OPT_OWN = 512, /* a command's own options from here */
};

/* One option a command takes. For a shared option (id < OPT_OWN) only id is
 * needed: name, letter, argument and help come from the shared table, and a
 * command sets help (its own wording), min/max (its limits: a number outside
 * them is refused with one line) or alias (a second long name). A command's
 * own option spells everything. */
struct opt {
	int id;
	const char *name;    /* long name */
	int letter;          /* short letter, 0: none */
	const char *arg;     /* argument's name, NULL: a flag */
	const char *help;
	double min, max;     /* limits of a numeric value; max 0: none */
	const char *alias;   /* another long name */
	int alias_letter;    /* another short letter (-t for -d: ab's spelling of a duration) */
};

/* What the shared options said (zero/NULL: not given). */
struct common_opts {
	bool mpms[MPM__MAX];
	int nmpms;                 /* MPMs named by -m (0: -m not given) */
	const char *scenario;
	uint64_t requests;
	unsigned concurrency;
	double duration_s;
	int keepalive;             /* -1: not given, 0 --no-keepalive, 1 -k */
	bool quiet;
	struct tracer_opts tracer; /* --no-btf-tracepoints, --no-syscall-tracepoints, --btf, -v */
	const char *httpd;
	uint16_t port;
	pid_t pid;
	const char *comm;
	double interval_s;         /* -i, or the positional interval (opts_interval_count) */
	uint64_t count;            /* the positional count: that many intervals, then stop (0: no limit) */
	bool timestamps, hist;     /* -T, --hist */
	const char *json, *html, *csv, *listen;
	char **args;               /* positional arguments */
	int nargs;
	bool given[OPT_OWN];       /* which shared options the command line set */
};

struct cmd_spec {
	const char *name;          /* "compare" */
	const char *usage;         /* after "usage: mpmscope NAME " */
	const char *about;         /* a paragraph under it */
	const char *footer;        /* after the options (exit status...), or NULL */
	const struct opt *opts;    /* ended by { 0 } */
	int max_args;              /* positional arguments allowed */
	/* a command's own option: 0, or -1 with e set */
	int (*own)(void *ctx, int id, const char *arg, struct errbuf *e);
	void *ctx;
};

/* A command's options, in its spec: .opts = OPTS({ OPT_PID }, ...). */
#define OPTS(...) ((const struct opt[]){ __VA_ARGS__, { 0 } })
/* The probe options every tracing command takes, in a command's list. */
#define OPTS_PROBES { OPT_RAW_TP }, { OPT_SYSCALL_PROBES }, { OPT_NO_SYSCALL_TPS }, { OPT_BTF }, { OPT_VERBOSE }

/* Parse argv (argv[0] is the command's name). 0: parsed; 1: --help was
 * printed on stdout (the command exits 0); -1: e says what is wrong (exit 2). */
int opts_parse(const struct cmd_spec *spec, int argc, char **argv, struct common_opts *o, struct errbuf *e);
/* opts_parse for a command's entry point: OPTS_GO when the command goes on;
 * else the exit status, the help or the error line already printed
 * ("mpmscope: [prefix]message"). */
#define OPTS_GO (-1)
int opts_get(const struct cmd_spec *spec, int argc, char **argv, struct common_opts *o, const char *prefix);
void opts_usage(const struct cmd_spec *spec, FILE *f);
/* The one MPM of a command that takes exactly one (run, explain, server). */
int opts_one_mpm(const struct cmd_spec *spec, const struct common_opts *o, enum mpm *m, struct errbuf *e);
/* The server to attach to: exactly one of -p and -C. */
int opts_target(const struct cmd_spec *spec, const struct common_opts *o, struct errbuf *e);
/* libbpf-tools' positional [interval [count]] (runqlat 1 10), into
 * o->interval_s and o->count; -i is the same interval, and the two must not
 * disagree. */
int opts_interval_count(struct common_opts *o, struct errbuf *e);
/* Check every report path (--json/--html/--csv) before a long run. One of
 * them may be "-": standard output then carries that document alone, and
 * everything else the command prints goes to stderr (stdout_for_document). */
int opts_check_outputs(const struct common_opts *o, struct errbuf *e);

#endif
