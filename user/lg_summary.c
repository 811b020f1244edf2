// SPDX-License-Identifier: MIT
/* The text summary of a load run: ab's fields, wrk's units, and a timeline. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lg_internal.h"
#include "loadgen.h"

#define TIMELINE_ROWS 30

static const double pcts[] = { 50, 66, 75, 80, 90, 95, 98, 99, 99.9, 100 };

static void print_latency(FILE *out, const char *title, const struct hist *h)
{
	char a[32], b[32], c[32], d[32];

	if (!h || !hist_count(h))
		return;
	fprintf(out, "\n%s\n", title);
	fprintf(out, "  mean %s  stdev %s  min %s  max %s\n",
		fmt_duration_us(a, sizeof(a), hist_mean(h)), fmt_duration_us(b, sizeof(b), hist_stdev(h)),
		fmt_duration_us(c, sizeof(c), (double)hist_min(h)),
		fmt_duration_us(d, sizeof(d), (double)hist_max(h)));
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		fprintf(out, "  %6.5g%%  %9s%s", pcts[i],
			fmt_duration_us(a, sizeof(a), (double)hist_percentile(h, pcts[i])),
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

void lg_print_summary(const struct lg_config *cfg, const struct lg_result *res, FILE *out)
{
	char a[32], b[32];
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
