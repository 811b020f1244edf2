// SPDX-License-Identifier: MIT
#include "cmd/opts.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "trace/tracer.h"

static const struct opt shared[] = {
	{ OPT_MPM, "mpm", 'm', "MPM", "prefork, worker or event" },
	{ OPT_SCENARIO, "scenario", 's', "NAME",
	  "scenario name (see 'mpmscope scenarios') or a .scn path (default baseline)" },
	{ OPT_REQUESTS, "requests", 'n', "N", "requests" },
	{ OPT_CONCURRENCY, "concurrency", 'c', "N", "concurrent connections" },
	{ OPT_DURATION, "duration", 'd', "SECS", "stop after this long (5, 1.5s, 200ms, 2m)", .alias_letter = 't' },
	{ OPT_KEEPALIVE, "keepalive", 'k', NULL, "keep-alive on" },
	{ OPT_NO_KEEPALIVE, "no-keepalive", 0, NULL, "keep-alive off" },
	{ OPT_HTTPD, "httpd", 0, "PATH", "Apache binary (default: apache2 or httpd found on this system)" },
	{ OPT_PORT, "port", 0, "N", "listen port on 127.0.0.1 (default: a free one)" },
	{ OPT_PID, "pid", 'p', "PID", "the httpd parent (a child's pid leads to its parent)" },
	{ OPT_COMM, "comm", 'C', "NAME", "the server by command name (apache2, httpd)" },
	{ OPT_INTERVAL, "interval", 'i', "SECS", "a summary line this often (default 1; 0: none)" },
	{ OPT_TIMESTAMP, "timestamp", 'T', NULL, "a timestamp (HH:MM:SS) on each interval" },
	{ OPT_HIST, "hist", 0, NULL, "log2 histograms at each interval, as runqlat prints them" },
	{ OPT_LISTEN, "listen", 'l', "ADDR:PORT", "where to serve" },
	{ OPT_JSON, "json", 0, "FILE", "write every fact as JSON (-: stdout; a file is written whole, then renamed)" },
	{ OPT_HTML, "html", 0, "FILE", "write a self-contained HTML report with plots (same; -: stdout)" },
	{ OPT_CSV, "csv", 0, "FILE", "write one CSV row per MPM run (same; -: stdout)" },
	{ OPT_RAW_TP, "no-btf-tracepoints", 0, NULL, "use raw_tp programs instead of tp_btf" },
	{ OPT_SYSCALL_PROBES, "syscall-probes", 0, "WAY",
	  "how the syscalls that matter are seen: fexit, kprobe, tracepoint or generic (default: fexit,\n"
	  "else tracepoint, else generic, the first this kernel accepts; kprobe only when asked)" },
	{ OPT_NO_SYSCALL_TPS, "no-syscall-tracepoints", 0, NULL,
	  "hook every syscall (sys_enter/sys_exit): --syscall-probes generic" },
	{ OPT_BTF, "btf", 0, "PATH", "kernel BTF file (default /sys/kernel/btf/vmlinux)" },
	{ OPT_QUIET, "quiet", 'q', NULL, "no progress lines on stderr" },
	{ OPT_VERBOSE, "verbose", 'v', NULL, "show libbpf's messages" },
	{ OPT_HELP, "help", 'h', NULL, "this help" },
};

#define MAX_OPTS 48

/* A command's options, each completed from the shared table. */
struct optset {
	struct opt o[MAX_OPTS];
	int n;
};

static void optset_of(const struct cmd_spec *spec, struct optset *s)
{
	bool help = false;

	s->n = 0;
	for (const struct opt *c = spec->opts; c && c->id && s->n < MAX_OPTS - 1; c++) {
		struct opt o = *c;

		for (size_t i = 0; i < ARRAY_SIZE(shared) && c->id < OPT_OWN; i++)
			if (shared[i].id == c->id) {
				o = shared[i];
				o.help = c->help ? c->help : shared[i].help;
				o.min = c->min;
				o.max = c->max;
				o.alias = c->alias ? c->alias : shared[i].alias;
				o.alias_letter = c->alias_letter ? c->alias_letter : shared[i].alias_letter;
			}
		help |= o.id == OPT_HELP;
		s->o[s->n++] = o;
	}
	if (!help)
		s->o[s->n++] = shared[ARRAY_SIZE(shared) - 1];
}

static const struct opt *opt_by_id(const struct optset *s, int id)
{
	for (int i = 0; i < s->n; i++)
		if (s->o[i].id == id)
			return &s->o[i];
	return NULL;
}

void opts_usage(const struct cmd_spec *spec, FILE *f)
{
	struct optset s;

	optset_of(spec, &s);
	fprintf(f, "usage: mpmscope %s %s\n\n%s\n\n", spec->name, spec->usage, spec->about);
	for (int i = 0; i < s.n; i++) {
		const struct opt *o = &s.o[i];
		char left[96];
		int n = 0;

		if (o->letter)
			n += snprintf(left + n, sizeof(left) - (size_t)n, "-%c, ", o->letter);
		else
			n += snprintf(left + n, sizeof(left) - (size_t)n, "    ");
		if (o->alias_letter)
			n += snprintf(left + n, sizeof(left) - (size_t)n, "-%c, ", o->alias_letter);
		n += snprintf(left + n, sizeof(left) - (size_t)n, "--%s%s%s", o->name, o->arg ? " " : "",
			      o->arg ? o->arg : "");
		fprintf(f, "  %-23s%s", left, n >= 23 ? "  " : "");
		for (const char *h = o->help; *h; h++) { /* a help of several lines: aligned */
			fputc(*h, f);
			if (*h == '\n')
				fprintf(f, "%25s", "");
		}
		if (o->alias)
			fprintf(f, " (also --%s)", o->alias);
		fputc('\n', f);
	}
	if (spec->footer)
		fprintf(f, "\n%s\n", spec->footer);
}

/* The option as the user spelled it ("-t", "--duration"), for messages. */
static void spelled(char *buf, size_t n, const char *arg)
{
	if (!strncmp(arg, "--", 2))
		snprintf(buf, n, "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(buf, n, "%.2s", arg);
}

/* A number against the command's limits (o->max 0: none, o->min 0 too: no
 * check). Durations must be more than min; counts at least min. */
static int check_limits(const struct opt *o, const char *what, double v, bool duration, struct errbuf *e)
{
	if (duration) {
		if (o->max > 0 && (v <= o->min || v > o->max)) {
			err_set(e, "%s: must be more than %g and at most %g s", what, o->min, o->max);
			return -1;
		}
		return 0;
	}
	if (o->max > 0 && (v < o->min || v > o->max)) {
		err_set(e, "%s: must be between %g and %g", what, o->min, o->max);
		return -1;
	}
	if (o->min > 0 && v < o->min) {
		err_set(e, "%s: must be at least %g", what, o->min);
		return -1;
	}
	return 0;
}

static int number(const struct opt *o, const char *what, const char *arg, uint64_t *out, struct errbuf *e)
{
	if (parse_u64(arg, out, what, e) || check_limits(o, what, (double)*out, false, e))
		return -1;
	return 0;
}

static int seconds(const struct opt *o, const char *what, const char *arg, double *out, struct errbuf *e)
{
	if (parse_seconds(arg, out, what, e) || check_limits(o, what, *out, true, e))
		return -1;
	return 0;
}

/* The value of one shared option into o. */
static int shared_value(const struct opt *d, const char *what, const char *arg, struct common_opts *o,
			struct errbuf *e)
{
	uint64_t v;

	switch (d->id) {
	case OPT_MPM:
		if (mpm_parse_list(arg, o->mpms, e))
			return -1;
		o->nmpms = 0;
		for (int m = 0; m < MPM__MAX; m++)
			o->nmpms += o->mpms[m];
		return 0;
	case OPT_SCENARIO: o->scenario = arg; return 0;
	case OPT_REQUESTS: return number(d, what, arg, &o->requests, e);
	case OPT_CONCURRENCY:
		if (number(d, what, arg, &v, e))
			return -1;
		if (v > 1000000000) {
			err_set(e, "%s: '%s' is too large", what, arg);
			return -1;
		}
		o->concurrency = (unsigned)v;
		return 0;
	case OPT_DURATION: return seconds(d, what, arg, &o->duration_s, e);
	case OPT_INTERVAL: return seconds(d, what, arg, &o->interval_s, e);
	case OPT_TIMESTAMP: o->timestamps = true; return 0;
	case OPT_HIST: o->hist = true; return 0;
	case OPT_KEEPALIVE: o->keepalive = 1; return 0;
	case OPT_NO_KEEPALIVE: o->keepalive = 0; return 0;
	case OPT_HTTPD: o->httpd = arg; return 0;
	case OPT_PORT:
		if (parse_u64(arg, &v, what, e))
			return -1;
		if (!v || v > 65535) {
			err_set(e, "%s: '%s' is not a port (1-65535)", what, arg);
			return -1;
		}
		o->port = (uint16_t)v;
		return 0;
	case OPT_PID:
		if (parse_u64(arg, &v, what, e) || !v || v > 4194304) {
			err_set(e, "%s: '%s' is not a process id", what, arg);
			return -1;
		}
		o->pid = (pid_t)v;
		return 0;
	case OPT_COMM: o->comm = arg; return 0;
	case OPT_LISTEN: o->listen = arg; return 0;
	case OPT_JSON: o->json = arg; return 0;
	case OPT_HTML: o->html = arg; return 0;
	case OPT_CSV: o->csv = arg; return 0;
	case OPT_RAW_TP: o->tracer.raw_tp = true; return 0;
	case OPT_NO_SYSCALL_TPS: o->tracer.syscall_probes = SCP_GENERIC; return 0;
	case OPT_SYSCALL_PROBES: {
		int m = tracer_syscall_probes_named(arg);

		if (m < 0) {
			err_set(e, "%s: '%s' is not fexit, kprobe, tracepoint or generic", what, arg);
			return -1;
		}
		o->tracer.syscall_probes = m;
		return 0;
	}
	case OPT_BTF: o->tracer.btf_path = arg; return 0;
	case OPT_QUIET: o->quiet = true; return 0;
	case OPT_VERBOSE: o->tracer.verbose = true; return 0;
	}
	return 0;
}

/* getopt_long's tables for the set: long options (and their aliases) and
 * the short-option string. */
static void getopt_tables(const struct optset *s, struct option *lo, char *shorts, size_t nshorts)
{
	int nl = 0;
	size_t ns = 0;

	shorts[ns++] = ':'; /* a missing value is ':', not '?' */
	for (int i = 0; i < s->n; i++) {
		const struct opt *o = &s->o[i];
		int has = o->arg ? required_argument : no_argument;

		lo[nl++] = (struct option){ o->name, has, NULL, o->id };
		if (o->alias)
			lo[nl++] = (struct option){ o->alias, has, NULL, o->id };
		for (int k = 0; k < 2; k++) {
			int l = k ? o->alias_letter : o->letter;

			if (l && ns + 3 < nshorts) {
				shorts[ns++] = (char)l;
				if (o->arg)
					shorts[ns++] = ':';
			}
		}
	}
	lo[nl] = (struct option){ 0 };
	shorts[ns] = 0;
}

int opts_parse(const struct cmd_spec *spec, int argc, char **argv, struct common_opts *o, struct errbuf *e)
{
	struct optset s;
	struct option lo[MAX_OPTS * 2 + 1];
	char shorts[MAX_OPTS * 4 + 2], what[48];
	int opt;

	memset(o, 0, sizeof(*o));
	o->keepalive = -1;
	o->interval_s = -1;
	optset_of(spec, &s);
	getopt_tables(&s, lo, shorts, sizeof(shorts));
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const char *arg = argv[optind - 1];
		const struct opt *d;

		if (opt == ':') {
			err_set(e, "option %s needs a value", arg);
			return -1;
		}
		/* a short letter that is an alias (-d) stands for its option (-t) */
		for (int i = 0; i < s.n; i++)
			if (s.o[i].alias_letter && opt == s.o[i].alias_letter)
				opt = s.o[i].id;
		d = opt == '?' ? NULL : opt_by_id(&s, opt);
		if (!d) {
			/* an unknown letter may sit inside a cluster (-kZ): name it alone */
			if (optopt > ' ' && optopt < 127)
				snprintf(what, sizeof(what), "-%c", optopt);
			else
				snprintf(what, sizeof(what), "%s", arg);
			err_set(e, "unknown option '%s' (see 'mpmscope %s --help')", what, spec->name);
			return -1;
		}
		if (opt == OPT_HELP) {
			opts_usage(spec, stdout);
			return 1;
		}
		spelled(what, sizeof(what), d->arg && optarg == arg ? argv[optind - 2] : arg);
		if (opt < OPT_OWN)
			o->given[opt] = true;
		if (opt >= OPT_OWN ? spec->own(spec->ctx, opt, optarg, e) : shared_value(d, what, optarg, o, e))
			return -1;
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->nargs > spec->max_args) {
		err_set(e, "unexpected argument '%s' (see 'mpmscope %s --help')", o->args[spec->max_args], spec->name);
		return -1;
	}
	return 0;
}

int opts_get(const struct cmd_spec *spec, int argc, char **argv, struct common_opts *o, const char *prefix)
{
	struct errbuf e = { { 0 } };
	int rc = opts_parse(spec, argc, argv, o, &e);

	if (rc > 0)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "mpmscope: %s%s\n", prefix ? prefix : "", e.msg);
		return 2;
	}
	return OPTS_GO;
}

int opts_one_mpm(const struct cmd_spec *spec, const struct common_opts *o, enum mpm *m, struct errbuf *e)
{
	if (!o->nmpms) {
		err_set(e, "%s: -m MPM is required (prefork, worker or event)", spec->name);
		return -1;
	}
	if (o->nmpms != 1) {
		err_set(e, "%s: give exactly one MPM (use compare for several)", spec->name);
		return -1;
	}
	for (int i = 0; i < MPM__MAX; i++)
		if (o->mpms[i])
			*m = (enum mpm)i;
	return 0;
}

int opts_target(const struct cmd_spec *spec, const struct common_opts *o, struct errbuf *e)
{
	if (!o->pid == !o->comm) {
		err_set(e, "%s: give the server with -p PID or -C COMM (one of them)", spec->name);
		return -1;
	}
	return 0;
}

int opts_check_outputs(const struct common_opts *o, struct errbuf *e)
{
	const char *paths[] = { o->json, o->html, o->csv };
	int to_stdout = 0;

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (paths[i] && check_writable(paths[i], e))
			return -1;
		to_stdout += paths[i] && !strcmp(paths[i], "-");
	}
	if (to_stdout > 1) {
		err_set(e, "only one of --json, --html and --csv can be '-' (standard output)");
		return -1;
	}
	return to_stdout ? stdout_for_document(e) : 0;
}

int opts_interval_count(struct common_opts *o, struct errbuf *e)
{
	double interval;

	if (o->nargs < 1)
		return 0;
	if (parse_seconds(o->args[0], &interval, "interval", e))
		return -1;
	if (interval <= 0) {
		err_set(e, "interval: must be more than 0 s");
		return -1;
	}
	if (o->interval_s >= 0 && o->interval_s != interval) {
		err_set(e, "interval given twice (-i %g and %g): give one", o->interval_s, interval);
		return -1;
	}
	o->interval_s = interval;
	if (o->nargs < 2)
		return 0;
	if (parse_u64(o->args[1], &o->count, "count", e))
		return -1;
	if (!o->count) {
		err_set(e, "count: must be at least 1");
		return -1;
	}
	return 0;
}
