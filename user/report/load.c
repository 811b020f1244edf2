// SPDX-License-Identifier: MIT
/*
 * The load result, rendered: the text summary of `mpmscope load` (ab's
 * fields, wrk's units, a timeline) and the JSON object that every command
 * writes for it (`load --json`, compare's and run's "load").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/units.h"
#include "load/loadgen.h"
#include "report/report.h"

#define TIMELINE_ROWS 30

static const double pcts[] = { 50, 66, 75, 80, 90, 95, 98, 99, 99.9, 100 };

static void print_latency(FILE *out, const char *title, const struct hdr *h)
{
	char a[32], b[32], c[32], d[32];

	if (!h || !hdr_count(h))
		return;
	fprintf(out, "\n%s\n", title);
	fprintf(out, "  mean %s  stdev %s  min %s  max %s\n",
		fmt_duration_us(a, sizeof(a), hdr_mean(h)), fmt_duration_us(b, sizeof(b), hdr_stdev(h)),
		fmt_duration_us(c, sizeof(c), (double)hdr_min(h)),
		fmt_duration_us(d, sizeof(d), (double)hdr_max(h)));
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		fprintf(out, "  %6.5g%%  %9s%s", pcts[i],
			fmt_duration_us(a, sizeof(a), (double)hdr_percentile(h, pcts[i])),
			i % 5 == 4 ? "\n" : "");
	}
}

static void print_timeline(FILE *out, const struct lg_result *res)
{
	unsigned group, rows;
	char a[32];

	if (!res->nticks)
		return;
	group = (res->nticks + TIMELINE_ROWS - 1) / TIMELINE_ROWS;
	rows = (res->nticks + group - 1) / group;
	fprintf(out, "\nTimeline (%s):\n", group == 1 ? "per second" : "per group of seconds");
	fprintf(out, "  %9s %10s %8s %7s %9s\n", "seconds", "completed", "failed", "open", "max p99");
	for (unsigned r = 0; r < rows; r++) {
		uint64_t done = 0, failed = 0, p99 = 0;
		unsigned first = r * group, last = first + group;
		char span[32];

		if (last > res->nticks)
			last = res->nticks;
		for (unsigned s = first; s < last; s++) {
			done += res->ticks[s].completed;
			failed += res->ticks[s].failed;
			if (res->ticks[s].p99_us > p99)
				p99 = res->ticks[s].p99_us;
		}
		if (last - first == 1)
			snprintf(span, sizeof(span), "%u", first + 1);
		else
			snprintf(span, sizeof(span), "%u-%u", first + 1, last);
		fprintf(out, "  %9s %10" PRIu64 " %8" PRIu64 " %7u %9s\n", span, done, failed,
			res->ticks[last - 1].open_conns,
			p99 ? fmt_duration_us(a, sizeof(a), (double)p99) : "-");
	}
}

void report_load_summary(const struct lg_config *cfg, const struct lg_result *res, FILE *out)
{
	char a[32], b[32], c[32];
	bool v6 = strchr(cfg->host, ':') != NULL;
	uint64_t ab_failed = res->ab_connect + res->ab_receive + res->ab_length + res->ab_exceptions;

	fprintf(out, "Server:                 %s%s%s:%u\n", v6 ? "[" : "", cfg->host, v6 ? "]" : "",
		cfg->port);
	fprintf(out, "Document path:          %s\n", cfg->path);
	fprintf(out, "Load:                   %u connection%s on %u thread%s, %s", cfg->connections,
		cfg->connections == 1 ? "" : "s", cfg->threads, cfg->threads == 1 ? "" : "s",
		cfg->keepalive ? "keep-alive" : "one request per connection");
	if (cfg->rate > 0)
		fprintf(out, ", %.6g requests/s open loop", cfg->rate);
	if (cfg->hold)
		fprintf(out, ", %u held", cfg->hold);
	if (cfg->ramp_s > 0)
		fprintf(out, ", ramp %.3gs", cfg->ramp_s);
	fprintf(out, "\n\n");
	if (res->interrupted)
		fprintf(out, "Interrupted:            results so far\n");
	fprintf(out, "Time taken:             %.3f s\n", res->duration_s);
	fprintf(out, "Complete requests:      %" PRIu64 "\n", res->completed);
	fprintf(out, "Failed requests:        %" PRIu64, res->failed);
	if (res->failed) {
		const char *sep = " (";

		for (int f = 0; f < LG_FAIL__MAX; f++) {
			if (!res->failed_by[f])
				continue;
			fprintf(out, "%s%s %" PRIu64, sep, lg_fail_name(f), res->failed_by[f]);
			sep = ", ";
		}
		fprintf(out, ")");
	}
	fprintf(out, "\n");
	fprintf(out, "  as ab would count:    %" PRIu64 " (Connect: %" PRIu64 ", Receive: %" PRIu64
		", Length: %" PRIu64 ", Exceptions: %" PRIu64 ")\n", ab_failed, res->ab_connect,
		res->ab_receive, res->ab_length, res->ab_exceptions);
	if (res->abandoned)
		fprintf(out, "In flight at the end:   %" PRIu64 " (not counted)\n", res->abandoned);
	fprintf(out, "Retried idle closes:    %" PRIu64 " (server closed %" PRIu64
		" keep-alive connection%s unannounced)\n", res->retried_idle_close,
		res->server_idle_closes, res->server_idle_closes == 1 ? "" : "s");
	fprintf(out, "Keep-alive requests:    %" PRIu64 "\n", res->keepalive_reused);
	fprintf(out, "Connections opened:     %" PRIu64 "\n", res->connections);
	if (res->status_3xx + res->status_4xx + res->status_5xx)
		fprintf(out, "Non-2xx responses:      %" PRIu64 " (3xx %" PRIu64 ", 4xx %" PRIu64
			", 5xx %" PRIu64 ")\n", res->status_3xx + res->status_4xx + res->status_5xx,
			res->status_3xx, res->status_4xx, res->status_5xx);
	if (cfg->hold)
		fprintf(out, "Held connections:       %u (their requests: %" PRIu64 " complete, %" PRIu64
			" failed)\n", cfg->hold, res->hold_completed, res->hold_failed);
	fprintf(out, "Total transferred:      %s (bodies %s)\n",
		fmt_bytes(a, sizeof(a), (double)res->bytes_read),
		fmt_bytes(b, sizeof(b), (double)res->body_bytes));
	if (cfg->tls) {
		fprintf(out, "TLS:                    %s %s, %s%s\n", res->tls_protocol[0] ? res->tls_protocol : "-",
			res->tls_cipher[0] ? res->tls_cipher : "-", cfg->tls_resume ? "resumption on" : "resumption off",
			cfg->tls_ca_file[0] ? ", certificate verified" : ", certificate not verified");
		fprintf(out, "TLS handshakes:         %" PRIu64 " (full %" PRIu64 ", resumed %" PRIu64 ", failed %" PRIu64
			")\n", res->tls_handshakes, res->tls_full, res->tls_resumed, res->tls_failed);
		if (res->tls_handshake_us && hdr_count(res->tls_handshake_us))
			fprintf(out, "TLS handshake time:     p50 %s  p99 %s  max %s (connect to handshake done)\n",
				fmt_duration_us(a, sizeof(a), (double)hdr_percentile(res->tls_handshake_us, 50)),
				fmt_duration_us(b, sizeof(b), (double)hdr_percentile(res->tls_handshake_us, 99)),
				fmt_duration_us(c, sizeof(c), (double)hdr_percentile(res->tls_handshake_us, 100)));
		fprintf(out, "TLS bytes on the wire:  %s in, %s out\n", fmt_bytes(a, sizeof(a), (double)res->tls_bytes_in),
			fmt_bytes(b, sizeof(b), (double)res->tls_bytes_out));
	}
	fprintf(out, "Requests per second:    %.2f\n", res->rps);
	if (res->duration_s > 0)
		fprintf(out, "Transfer rate:          %s/s\n",
			fmt_bytes(a, sizeof(a), (double)res->bytes_read / res->duration_s));
	if (res->conns_dropped)
		fprintf(out, "Connection records:     %" PRIu64 " not kept (limit %u)\n",
			res->conns_dropped, LG_CONN_RECORDS_MAX);

	if (res->latency_uncorrected) {
		print_latency(out, "Latency from the intended send time (corrected for coordinated omission):",
			      res->latency);
		print_latency(out, "Latency from the actual send time (uncorrected):", res->latency_uncorrected);
	} else {
		print_latency(out, "Latency:", res->latency);
	}
	print_timeline(out, res);
}

static void json_latency(struct json *j, const char *key, const struct hdr *h)
{
	static const struct { const char *k; double p; } ps[] = {
		{ "p50", 50 }, { "p66", 66 }, { "p75", 75 }, { "p80", 80 }, { "p90", 90 },
		{ "p95", 95 }, { "p98", 98 }, { "p99", 99 }, { "p999", 99.9 },
	};

	json_key(j, key);
	if (!h) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_ku64(j, "count", hdr_count(h));
	json_ku64(j, "min", hdr_min(h));
	json_ku64(j, "max", hdr_max(h));
	json_kdouble(j, "mean", hdr_mean(h));
	json_kdouble(j, "stdev", hdr_stdev(h));
	for (size_t i = 0; i < ARRAY_SIZE(ps); i++)
		json_ku64(j, ps[i].k, hdr_percentile(h, ps[i].p));
	json_obj_end(j);
}

static void json_config(struct json *j, const struct lg_config *cfg)
{
	char url[512];
	bool v6 = strchr(cfg->host, ':') != NULL;

	snprintf(url, sizeof(url), "%s://%s%s%s:%u%s", cfg->tls ? "https" : "http", v6 ? "[" : "", cfg->host,
		 v6 ? "]" : "", cfg->port, cfg->path);
	json_key(j, "config");
	json_obj_begin(j);
	json_kstr(j, "url", url);
	json_kstr(j, "host", cfg->host);
	json_ku64(j, "port", cfg->port);
	json_kstr(j, "path", cfg->path);
	json_ku64(j, "requests", cfg->requests);
	json_kdouble(j, "duration_s", cfg->duration_s);
	json_ku64(j, "connections", cfg->connections);
	json_ku64(j, "threads", cfg->threads);
	json_kbool(j, "keepalive", cfg->keepalive);
	json_kdouble(j, "rate", cfg->rate);
	json_ku64(j, "hold", cfg->hold);
	json_kdouble(j, "ramp_s", cfg->ramp_s);
	json_kdouble(j, "timeout_s", cfg->timeout_s);
	json_kbool(j, "tls", cfg->tls);
	json_kbool(j, "tls_resume", cfg->tls && cfg->tls_resume);
	json_kbool(j, "tls_verify", cfg->tls && cfg->tls_ca_file[0]);
	json_obj_end(j);
}

static void json_conns(struct json *j, const struct lg_result *r)
{
	json_arr_begin(j);
	for (size_t i = 0; i < r->nconns; i++) {
		const struct lg_conn *c = &r->conns[i];

		json_obj_begin(j);
		json_ku64(j, "local_port", c->local_port);
		json_kstr(j, "close", lg_close_name(c->close));
		json_kbool(j, "held", c->held);
		json_ku64(j, "requests", c->requests);
		json_ku64(j, "t_connect", c->t_connect);
		json_ku64(j, "t_established", c->t_established);
		json_ku64(j, "t_close", c->t_close);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_timeline(struct json *j, const struct lg_result *r)
{
	json_key(j, "timeline");
	json_arr_begin(j);
	for (unsigned t = 0; t < r->nticks; t++) {
		json_obj_begin(j);
		json_ku64(j, "second", t);
		json_ku64(j, "completed", r->ticks[t].completed);
		json_ku64(j, "failed", r->ticks[t].failed);
		json_ku64(j, "open_conns", r->ticks[t].open_conns);
		json_ku64(j, "p99_us", r->ticks[t].p99_us);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* null without TLS */
static void json_tls(struct json *j, const struct lg_config *cfg, const struct lg_result *r)
{
	json_key(j, "tls");
	if (!cfg->tls) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_kstr(j, "protocol", r->tls_protocol);
	json_kstr(j, "cipher", r->tls_cipher);
	json_ku64(j, "handshakes", r->tls_handshakes);
	json_ku64(j, "full", r->tls_full);
	json_ku64(j, "resumed", r->tls_resumed);
	json_ku64(j, "failed", r->tls_failed);
	json_ku64(j, "bytes_in", r->tls_bytes_in);
	json_ku64(j, "bytes_out", r->tls_bytes_out);
	json_latency(j, "handshake_us", r->tls_handshake_us);
	json_obj_end(j);
}

static void json_load_fields(struct json *j, const struct lg_config *cfg, const struct lg_result *r, bool with_conns)
{
	json_config(j, cfg);
	json_ku64(j, "requests", r->requested);
	json_ku64(j, "started", r->started);
	json_ku64(j, "completed", r->completed);
	json_ku64(j, "failed", r->failed);
	json_key(j, "failed_by_class");
	json_obj_begin(j);
	for (int f = 0; f < LG_FAIL__MAX; f++)
		json_ku64(j, lg_fail_name((enum lg_fail)f), r->failed_by[f]);
	json_obj_end(j);
	json_key(j, "ab_would_report");
	json_obj_begin(j);
	json_ku64(j, "failed", r->ab_connect + r->ab_receive + r->ab_length + r->ab_exceptions);
	json_ku64(j, "connect", r->ab_connect);
	json_ku64(j, "receive", r->ab_receive);
	json_ku64(j, "length", r->ab_length);
	json_ku64(j, "exceptions", r->ab_exceptions);
	json_obj_end(j);
	json_ku64(j, "status_2xx", r->status_2xx);
	json_ku64(j, "status_3xx", r->status_3xx);
	json_ku64(j, "status_4xx", r->status_4xx);
	json_ku64(j, "status_5xx", r->status_5xx);
	json_ku64(j, "retried_idle_close", r->retried_idle_close);
	json_ku64(j, "server_idle_closes", r->server_idle_closes);
	json_ku64(j, "keepalive_reused", r->keepalive_reused);
	json_ku64(j, "connections", r->connections);
	json_ku64(j, "bytes_read", r->bytes_read);
	json_ku64(j, "body_bytes", r->body_bytes);
	json_ku64(j, "hold_completed", r->hold_completed);
	json_ku64(j, "hold_failed", r->hold_failed);
	json_ku64(j, "abandoned", r->abandoned);
	json_ku64(j, "t_start_ns", r->t_start);
	json_ku64(j, "t_end_ns", r->t_end);
	json_kdouble(j, "duration_s", r->duration_s);
	json_kdouble(j, "rps", r->rps);
	json_kdouble(j, "failure_rate", lg_failure_rate(r));
	json_kbool(j, "interrupted", r->interrupted);
	json_latency(j, "latency_us", r->latency);
	json_latency(j, "latency_uncorrected_us", r->latency_uncorrected);
	json_timeline(j, r);
	json_tls(j, cfg, r);
	json_ku64(j, "conns_dropped", r->conns_dropped);
	json_key(j, "conns");
	if (with_conns)
		json_conns(j, r);
	else
		json_null(j);
}

void report_json_load(struct json *j, const struct lg_config *cfg, const struct lg_result *r, bool with_conns)
{
	json_obj_begin(j);
	json_load_fields(j, cfg, r, with_conns);
	json_obj_end(j);
}

void report_json_head(struct json *j, const char *kind)
{
	json_ku64(j, "schema_version", REPORT_SCHEMA_VERSION);
	json_kstr(j, "kind", kind);
	json_kstr(j, "tool", "mpmscope " MPMSCOPE_VERSION);
}

int report_json_load_doc(const struct lg_config *cfg, const struct lg_result *r, const char *path, struct errbuf *e)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j);
	report_json_head(&j, "load");
	json_load_fields(&j, cfg, r, cfg->record_conns);
	json_obj_end(&j);
	return json_write_file(&j, path, e);
}
