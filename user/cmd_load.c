// SPDX-License-Identifier: MIT
/*
 * `mpmscope load [options] URL`: the load generator alone.
 * Exit status: 0 when the run happened (failed requests are reported, not an
 * exit status; an interrupted run also exits 0), 1 when it could not run or
 * its JSON could not be written (e.g. nothing listens at the URL), 2 for bad
 * usage. Every error is one line on stderr starting "mpmscope: ".
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "json.h"
#include "lg_internal.h"
#include "loadgen.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mpmscope load [options] http://127.0.0.1:PORT/PATH\n\n"
		"HTTP/1.1 load against a loopback URL, ab's and wrk's figures in one summary.\n\n"
		"  -n, --requests N     total requests (exact: retries are not extra requests)\n"
		"  -t, --duration D     stop after D (5, 1.5s, 200ms, 2m); with -n, whichever comes first\n"
		"  -c, --connections N  concurrent connections (default 1, at most -n)\n"
		"  -k, --keepalive      reuse connections (default: one request per connection)\n"
		"      --threads N      event-loop threads (default: one per CPU, at most -c)\n"
		"      --rate R         open loop: R requests/s in total, spread over the connections;\n"
		"                       latency counts from each request's intended send time\n"
		"      --hold N         N extra keep-alive connections: one request each, then idle\n"
		"                       until the end (counted apart from -n)\n"
		"      --ramp D         open the connections gradually over D\n"
		"      --timeout D      per request (default 30s)\n"
		"      --json FILE      also write the result as JSON\n"
		"      --record-conns   keep every connection's port and times (in the JSON)\n"
		"      --allow-remote   allow a non-loopback address\n"
		"  -q, --quiet          no summary on stdout\n"
		"  -h, --help           this help\n\n"
		"exit status: 0 the run happened (even with failed requests), 1 it could not run,\n"
		"2 bad usage\n");
}

enum {
	OPT_THREADS = 256, OPT_RATE, OPT_HOLD, OPT_RAMP, OPT_TIMEOUT, OPT_JSON, OPT_REMOTE,
	OPT_RECORD,
};

static const struct option opts[] = {
	{ "requests", required_argument, NULL, 'n' },
	{ "connections", required_argument, NULL, 'c' },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "keepalive", no_argument, NULL, 'k' },
	{ "duration", required_argument, NULL, 't' },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "ramp", required_argument, NULL, OPT_RAMP },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "allow-remote", no_argument, NULL, OPT_REMOTE },
	{ "record-conns", no_argument, NULL, OPT_RECORD },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

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

static void json_hist(struct json *j, const char *key, const struct hist *h)
{
	static const struct { const char *k; double p; } ps[] = {
		{ "p50", 50 }, { "p66", 66 }, { "p75", 75 }, { "p80", 80 }, { "p90", 90 },
		{ "p95", 95 }, { "p98", 98 }, { "p99", 99 }, { "p99.9", 99.9 }, { "p100", 100 },
	};

	json_key(j, key);
	if (!h) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_ku64(j, "count", hist_count(h));
	json_kdouble(j, "mean", hist_mean(h));
	json_kdouble(j, "stdev", hist_stdev(h));
	json_ku64(j, "min", hist_min(h));
	json_ku64(j, "max", hist_max(h));
	for (size_t i = 0; i < ARRAY_SIZE(ps); i++)
		json_ku64(j, ps[i].k, hist_percentile(h, ps[i].p));
	json_obj_end(j);
}

static int write_json(const char *path, const char *url, const struct lg_config *cfg,
		      const struct lg_result *r, struct errbuf *e)
{
	struct json j;
	int rc;

	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "config");
	json_obj_begin(&j);
	json_kstr(&j, "url", url);
	json_kstr(&j, "host", cfg->host);
	json_ku64(&j, "port", cfg->port);
	json_kstr(&j, "path", cfg->path);
	json_ku64(&j, "requests", cfg->requests);
	json_kdouble(&j, "duration_s", cfg->duration_s);
	json_ku64(&j, "connections", cfg->connections);
	json_ku64(&j, "threads", cfg->threads);
	json_kbool(&j, "keepalive", cfg->keepalive);
	json_kdouble(&j, "rate", cfg->rate);
	json_ku64(&j, "hold", cfg->hold);
	json_kdouble(&j, "ramp_s", cfg->ramp_s);
	json_kdouble(&j, "timeout_s", cfg->timeout_s);
	json_obj_end(&j);

	json_ku64(&j, "requested", r->requested);
	json_ku64(&j, "started", r->started);
	json_ku64(&j, "completed", r->completed);
	json_ku64(&j, "failed", r->failed);
	json_key(&j, "failed_by");
	json_obj_begin(&j);
	for (int f = 0; f < LG_FAIL__MAX; f++)
		json_ku64(&j, lg_fail_name(f), r->failed_by[f]);
	json_obj_end(&j);
	json_ku64(&j, "status_2xx", r->status_2xx);
	json_ku64(&j, "status_3xx", r->status_3xx);
	json_ku64(&j, "status_4xx", r->status_4xx);
	json_ku64(&j, "status_5xx", r->status_5xx);
	json_ku64(&j, "retried_idle_close", r->retried_idle_close);
	json_ku64(&j, "server_idle_closes", r->server_idle_closes);
	json_ku64(&j, "keepalive_reused", r->keepalive_reused);
	json_ku64(&j, "connections", r->connections);
	json_ku64(&j, "bytes_read", r->bytes_read);
	json_ku64(&j, "body_bytes", r->body_bytes);
	json_key(&j, "ab");
	json_obj_begin(&j);
	json_ku64(&j, "failed", r->ab_connect + r->ab_receive + r->ab_length + r->ab_exceptions);
	json_ku64(&j, "connect", r->ab_connect);
	json_ku64(&j, "receive", r->ab_receive);
	json_ku64(&j, "length", r->ab_length);
	json_ku64(&j, "exceptions", r->ab_exceptions);
	json_obj_end(&j);
	json_ku64(&j, "hold_completed", r->hold_completed);
	json_ku64(&j, "hold_failed", r->hold_failed);
	json_ku64(&j, "abandoned", r->abandoned);
	json_ku64(&j, "t_start_ns", r->t_start);
	json_ku64(&j, "t_end_ns", r->t_end);
	json_kdouble(&j, "duration_s", r->duration_s);
	json_kdouble(&j, "rps", r->rps);
	json_kbool(&j, "interrupted", r->interrupted);
	json_hist(&j, "latency_us", r->latency);
	json_hist(&j, "latency_uncorrected_us", r->latency_uncorrected);
	json_key(&j, "ticks");
	json_arr_begin(&j);
	for (unsigned i = 0; i < r->nticks; i++) {
		json_obj_begin(&j);
		json_ku64(&j, "completed", r->ticks[i].completed);
		json_ku64(&j, "failed", r->ticks[i].failed);
		json_ku64(&j, "open_conns", r->ticks[i].open_conns);
		json_ku64(&j, "p99_us", r->ticks[i].p99_us);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_ku64(&j, "conns_dropped", r->conns_dropped);
	json_key(&j, "conns");
	if (!cfg->record_conns) {
		json_null(&j);
	} else {
		json_arr_begin(&j);
		for (size_t i = 0; i < r->nconns; i++) {
			const struct lg_conn *c = &r->conns[i];

			json_obj_begin(&j);
			json_ku64(&j, "local_port", c->local_port);
			json_kstr(&j, "close", lg_close_name(c->close));
			json_kbool(&j, "held", c->held);
			json_ku64(&j, "requests", c->requests);
			json_ku64(&j, "t_connect", c->t_connect);
			json_ku64(&j, "t_established", c->t_established);
			json_ku64(&j, "t_close", c->t_close);
			json_obj_end(&j);
		}
		json_arr_end(&j);
	}
	json_obj_end(&j);
	rc = write_file_atomic(path, j.buf, j.len, e);
	json_free(&j);
	return rc;
}

int cmd_load(int argc, char **argv)
{
	struct lg_config cfg = { .connections = 1 };
	struct lg_result res;
	struct errbuf e = { { 0 } };
	const char *json = NULL, *url = NULL;
	bool quiet = false, have_c = false;
	int opt, rc = 0;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":n:c:kt:qh", opts, NULL)) != -1) {
		int bad = 0;

		switch (opt) {
		case 'n': bad = parse_u64(optarg, &cfg.requests, "-n", &e); break;
		case 'c': bad = parse_uint(optarg, &cfg.connections, "-c", &e); have_c = true; break;
		case 'k': cfg.keepalive = true; break;
		case 't': bad = parse_seconds(optarg, &cfg.duration_s, "-t", &e); break;
		case OPT_THREADS: bad = parse_uint(optarg, &cfg.threads, "--threads", &e); break;
		case OPT_RATE: bad = parse_rate(optarg, &cfg.rate, &e); break;
		case OPT_HOLD: bad = parse_uint(optarg, &cfg.hold, "--hold", &e); break;
		case OPT_RAMP: bad = parse_seconds(optarg, &cfg.ramp_s, "--ramp", &e); break;
		case OPT_TIMEOUT: bad = parse_seconds(optarg, &cfg.timeout_s, "--timeout", &e); break;
		case OPT_JSON: json = optarg; break;
		case OPT_REMOTE: cfg.allow_remote = true; break;
		case OPT_RECORD: cfg.record_conns = true; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, "mpmscope: load: %s needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "mpmscope: load: unknown option '%s' (try 'mpmscope load --help')\n",
				argv[optind - 1]);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "mpmscope: load: %s\n", e.msg);
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "mpmscope: load: no URL given (try 'mpmscope load --help')\n");
		return 2;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "mpmscope: load: one URL only ('%s' is extra)\n", argv[optind + 1]);
		return 2;
	}
	url = argv[optind];
	if (have_c && !cfg.connections) {
		fprintf(stderr, "mpmscope: load: -c must be at least 1\n");
		return 2;
	}
	if (lg_parse_url(&cfg, url, &e) < 0 || lg_validate(&cfg, &e) < 0) {
		fprintf(stderr, "mpmscope: load: %s\n", e.msg);
		return 2;
	}
	if (lg_run(&cfg, &res, &e) < 0) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		return 1;
	}
	if (!quiet)
		lg_print_summary(&cfg, &res, stdout);
	if (json && write_json(json, url, &cfg, &res, &e) < 0) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		rc = 1;
	}
	lg_result_free(&res);
	return rc;
}
