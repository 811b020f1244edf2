// SPDX-License-Identifier: MIT
/*
 * `mpmscope load [options] URL`: the load generator alone.
 * Exit status: 0 when the run happened (failed requests are reported, not an
 * exit status; an interrupted run also exits 0), 1 when it could not run or
 * its JSON could not be written (e.g. nothing listens at the URL), 2 for bad
 * usage. Every error is one line on stderr starting "mpmscope: ".
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/units.h"
#include "cmd/cmds.h"
#include "cmd/opts.h"
#include "load/loadgen.h"
#include "report/report.h"

enum { OPT_THREADS = OPT_OWN, OPT_RATE, OPT_HOLD, OPT_RAMP, OPT_TIMEOUT, OPT_REMOTE, OPT_RECORD, OPT_TLS_RESUME,
       OPT_NO_TLS_RESUME, OPT_CACERT };

static int parse_uint(const char *s, unsigned *out, const char *what, struct errbuf *e)
{
	uint64_t v;

	if (parse_u64(s, &v, what, e) < 0)
		return -1;
	if (v > 1000000000) {
		err_set(e, "%s: '%s' is too large", what, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_rate(const char *s, double *out, struct errbuf *e)
{
	char *end;
	double v;

	errno = 0;
	v = s && *s && *s != '-' && *s != ' ' ? strtod(s, &end) : -1;
	if (v < 0 || errno || *end || !isfinite(v)) {
		err_set(e, "--rate: '%s' is not a non-negative number of requests per second", s ? s : "");
		return -1;
	}
	*out = v;
	return 0;
}

/* The load generator's own options, into its config. */
static int load_own(void *ctx, int id, const char *arg, struct errbuf *e)
{
	struct lg_config *cfg = ctx;

	switch (id) {
	case OPT_THREADS: return parse_uint(arg, &cfg->threads, "--threads", e);
	case OPT_RATE: return parse_rate(arg, &cfg->rate, e);
	case OPT_HOLD: return parse_uint(arg, &cfg->hold, "--hold", e);
	case OPT_RAMP: return parse_seconds(arg, &cfg->ramp_s, "--ramp", e);
	case OPT_TIMEOUT: return parse_seconds(arg, &cfg->timeout_s, "--timeout", e);
	case OPT_REMOTE: cfg->allow_remote = true; return 0;
	case OPT_RECORD: cfg->record_conns = true; return 0;
	case OPT_TLS_RESUME: cfg->tls_resume = true; return 0;
	case OPT_NO_TLS_RESUME: cfg->tls_resume = false; return 0;
	case OPT_CACERT:
		if (!*arg || strlen(arg) >= sizeof(cfg->tls_ca_file)) {
			err_set(e, "--cacert: '%s' is not a file name", arg);
			return -1;
		}
		snprintf(cfg->tls_ca_file, sizeof(cfg->tls_ca_file), "%s", arg);
		return 0;
	}
	return 0;
}

static const struct cmd_spec load_spec = {
	.name = "load",
	.usage = "[options] http[s]://127.0.0.1:PORT/PATH",
	.about = "HTTP/1.1 load against a loopback URL, ab's and wrk's figures in one summary;\n"
		 "https:// speaks TLS 1.2 or later (OpenSSL).",
	.footer = "exit status: 0 the run happened (even with failed requests), 1 it could not run,\n2 bad usage",
	.opts = OPTS({ OPT_REQUESTS, .help = "total requests (exact: retries are not extra requests)" },
		     { OPT_DURATION, .help = "stop after D (5, 1.5s, 200ms, 2m); with -n, whichever comes first" },
		     { OPT_CONCURRENCY, .help = "concurrent connections (default 1, at most -n)",
		       .alias = "connections" },
		     { OPT_KEEPALIVE, .help = "reuse connections (default: one request per connection)" },
		     { OPT_THREADS, "threads", 0, "N", "event-loop threads (default: one per CPU, at most -c)" },
		     { OPT_RATE, "rate", 0, "R",
		       "open loop: R requests/s in total, spread over the connections;\n"
		       "latency counts from each request's intended send time" },
		     { OPT_HOLD, "hold", 0, "N",
		       "N extra keep-alive connections: one request each, then idle\nuntil the end (counted apart from -n)" },
		     { OPT_RAMP, "ramp", 0, "D", "open the connections gradually over D" },
		     { OPT_TIMEOUT, "timeout", 0, "D", "per request (default 30s)" },
		     { OPT_JSON, .help = "also write the result as JSON (-: stdout, the summary then on stderr)" },
		     { OPT_RECORD, "record-conns", 0, NULL, "keep every connection's port and times (in the JSON)" },
		     { OPT_TLS_RESUME, "tls-resume", 0, NULL,
		       "https: each connection offers its slot's last TLS session again\n(tickets or session IDs)" },
		     { OPT_NO_TLS_RESUME, "no-tls-resume", 0, NULL,
		       "https: a full handshake on every connection, as ab and wrk (default)" },
		     { OPT_CACERT, "cacert", 0, "FILE",
		       "https: verify the server's certificate (and its IP address) against\nFILE (PEM); default: not verified, as ab, wrk and h2load" },
		     { OPT_REMOTE, "allow-remote", 0, NULL, "allow a non-loopback address" },
		     { OPT_QUIET, .help = "no summary on stdout" }),
	.max_args = 1,
	.own = load_own,
};

int cmd_load(int argc, char **argv)
{
	struct lg_config cfg = { .connections = 1 };
	struct cmd_spec spec = load_spec;
	struct common_opts o;
	struct lg_result res;
	struct errbuf e = { { 0 } };
	int rc;

	spec.ctx = &cfg;
	if ((rc = opts_get(&spec, argc, argv, &o, "load: ")) != OPTS_GO)
		return rc;
	if (!o.nargs) {
		fprintf(stderr, "mpmscope: load: no URL given (try 'mpmscope load --help')\n");
		return 2;
	}
	cfg.requests = o.requests;
	cfg.duration_s = o.duration_s;
	cfg.keepalive = o.keepalive > 0;
	if (o.given[OPT_CONCURRENCY]) /* -c 0 is refused below; without -c, one connection */
		cfg.connections = o.concurrency;
	if (lg_parse_url(&cfg, o.args[0], &e) < 0 || lg_validate(&cfg, &e) < 0 || opts_check_outputs(&o, &e)) {
		fprintf(stderr, "mpmscope: load: %s\n", e.msg);
		return 2;
	}
	if (!cfg.tls && (cfg.tls_resume || cfg.tls_ca_file[0]))
		err_set(&e, "--tls-resume and --cacert are for https:// URLs");
	else if (cfg.tls_ca_file[0] && access(cfg.tls_ca_file, R_OK) < 0)
		err_set(&e, "--cacert %s: %s", cfg.tls_ca_file, strerror(errno));
	if (e.msg[0]) {
		fprintf(stderr, "mpmscope: load: %s\n", e.msg);
		return 2;
	}
	if (lg_run(&cfg, &res, &e) < 0) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		return 1;
	}
	if (!o.quiet)
		report_load_summary(&cfg, &res, stdout);
	rc = 0;
	if (o.json && report_json_load_doc(&cfg, &res, o.json, &e) < 0) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		rc = 1;
	}
	lg_result_free(&res);
	return rc;
}
