// SPDX-License-Identifier: MIT
/* compare --sweep: the curves as text tables and as the JSON's sweep object. */
#include <math.h>
#include <string.h>

#include "base/units.h"
#include "report/report.h"

/* A curve's value in its unit, as the text tables print it. */
static char *metric_text(char *buf, size_t n, enum sweep_metric m, double v)
{
	if (!isfinite(v)) {
		snprintf(buf, n, "-");
		return buf;
	}
	switch (m) {
	case SM_RPS: snprintf(buf, n, "%.1f", v); break;
	case SM_FAILURE_RATE: snprintf(buf, n, "%.2f%%", 100 * v); break;
	case SM_P50:
	case SM_P99:
	case SM_CPU: fmt_duration_us(buf, n, v); break;
	case SM_PSS: fmt_bytes(buf, n, v * 1024); break;
	case SM_HELD: snprintf(buf, n, "%.2f", v); break;
	default: snprintf(buf, n, "%.0f", v); break;
	}
	return buf;
}

static void knee_line(const struct sweep *sw, enum mpm m, FILE *out)
{
	const struct sweep_knee *kn = &sw->knee[m];
	char a[48], b[48];

	fprintf(out, "  %-8s ", mpm_name(m));
	if (kn->fail >= 0)
		fprintf(out, "fails from %s (%.2f%% failed)", sweep_point_name(sw, kn->fail, a, sizeof(a)),
			100 * sw->cell[kn->fail][m].failure_rate);
	else
		fprintf(out, "no failure within the sweep");
	if (kn->p99 >= 0)
		fprintf(out, "; p99 climbs at %s (%s, %.1fx the lowest before%s)\n",
			sweep_point_name(sw, kn->p99, a, sizeof(a)),
			fmt_duration_us(b, sizeof(b), sw->cell[kn->p99][m].p99_us), kn->p99_ratio,
			sw->param == SWEEP_CONCURRENCY ? " per connection" : "");
	else
		fprintf(out, "; p99 does not climb within the sweep\n");
}

void report_sweep_table(const struct report *rep, FILE *out)
{
	const struct sweep *sw = rep->sweep;
	char b[48];

	fprintf(out, "\n=== sweep of %s over %s: %d of %d points on", rep->sc->name, sweep_param_name(sw->param), sw->ndone,
		sw->npoints);
	for (int m = 0; m < MPM__MAX; m++)
		if (sw->mpms[m])
			fprintf(out, " %s", mpm_name((enum mpm)m));
	fprintf(out, "\n");
	for (int x = 0; x < SM__MAX; x++) {
		fprintf(out, "\n%-36s", sweep_metric_title((enum sweep_metric)x));
		for (int m = 0; m < MPM__MAX; m++)
			if (sw->mpms[m])
				fprintf(out, " %10s", mpm_name((enum mpm)m));
		fprintf(out, "\n");
		for (int k = 0; k < sw->ndone; k++) {
			fprintf(out, "  %-34s", sweep_point_name(sw, k, b, sizeof(b)));
			for (int m = 0; m < MPM__MAX; m++)
				if (sw->mpms[m])
					fprintf(out, " %10s",
						metric_text(b, sizeof(b), (enum sweep_metric)x,
							    sweep_metric_value(&sw->cell[k][m], (enum sweep_metric)x)));
			fprintf(out, "\n");
		}
	}
	fprintf(out, "\nknees (fail: the first point with a failed request; p99: the first point whose p99%s is more than "
		     "%gx the lowest of the points before it):\n",
		sw->param == SWEEP_CONCURRENCY ? " per connection" : "", SWEEP_P99_FACTOR);
	for (int m = 0; m < MPM__MAX; m++)
		if (sw->mpms[m])
			knee_line(sw, (enum mpm)m, out);
	if (sw->nclaims)
		fprintf(out, "\nthe seed's claims at each point:\n");
	for (int i = 0; i < sw->nclaims; i++) {
		int n[VERDICT_NOT_MEASURED + 1] = { 0 };

		for (int k = 0; k < sw->ndone; k++)
			n[sw->verdict[i][k]]++;
		fprintf(out, "  [confirmed at %d of %d points] %s\n", n[VERDICT_CONFIRMED], sw->ndone,
			sw->claim[i]->en[0] ? sw->claim[i]->en : sw->claim[i]->text);
		fprintf(out, "     ");
		for (int k = 0; k < sw->ndone; k++)
			fprintf(out, " %s %s", sweep_point_name(sw, k, b, sizeof(b)), verdict_name(sw->verdict[i][k]));
		fprintf(out, "\n");
	}
	fprintf(out, "(each point's full tables: the JSON and HTML keep the last point's, %s)\n",
		sw->ndone ? sweep_point_name(sw, sw->ndone - 1, b, sizeof(b)) : "none");
	if (rep->interrupted)
		fprintf(out, "interrupted: %d of %d points, the last up to Ctrl-C\n", sw->ndone, sw->npoints);
}

static void json_cell(struct json *j, const struct sweep_cell *c, enum mpm m)
{
	json_obj_begin(j);
	json_kstr(j, "mpm", mpm_name(m));
	json_kbool(j, "ran", c->ran);
	json_kstr(j, "error", c->error);
	json_ku64(j, "requests", c->requests);
	json_ku64(j, "connections", c->connections);
	json_kdouble(j, "rate", c->rate);
	if (c->ran) {
		json_ku64(j, "peak_conns", c->peak_conns);
		json_ku64(j, "completed", c->completed);
		json_ku64(j, "failed", c->failed);
		json_kdouble(j, "failure_rate", c->failure_rate);
		json_kdouble(j, "rps", c->rps);
		json_kdouble(j, "duration_s", c->duration_s);
		json_key(j, "latency_us");
		json_obj_begin(j);
		json_kdouble(j, "p50", c->p50_us);
		json_kdouble(j, "p90", c->p90_us);
		json_kdouble(j, "p99", c->p99_us);
		json_kdouble(j, "max", c->max_us);
		json_obj_end(j);
		json_kdouble(j, "rss_kb", c->mem_sampled ? (double)c->rss_kb : NAN);
		json_kdouble(j, "pss_kb", c->mem_sampled ? (double)c->pss_kb : NAN);
		json_ku64(j, "procs_alive", c->procs_max);
		json_ku64(j, "threads_alive", c->threads_max);
		json_kdouble(j, "cpu_us_per_request", c->cpu_us_per_request);
		json_kdouble(j, "held_task_seconds", c->conn_known ? c->held_task_seconds : NAN);
		json_ku64(j, "accepts", c->accepts);
		json_ku64(j, "events_lost", c->events_lost);
	}
	json_obj_end(j);
}

/* A point index as the JSON gives it: its value, or null (none). */
static void json_point(struct json *j, const char *key, const struct sweep *sw, int k)
{
	json_key(j, key);
	if (k < 0)
		json_null(j);
	else
		json_double(j, sw->values[k]);
}

void report_json_sweep(struct json *j, const struct sweep *sw)
{
	json_key(j, "sweep");
	json_obj_begin(j);
	json_kstr(j, "param", sweep_param_name(sw->param));
	json_key(j, "values");
	json_arr_begin(j);
	for (int k = 0; k < sw->npoints; k++)
		json_double(j, sw->values[k]);
	json_arr_end(j);
	json_ki64(j, "points_measured", sw->ndone);
	json_ki64(j, "detail_point", sw->ndone - 1);
	json_kstr(j, "requests_rule", sw->requests_rule);
	json_kdouble(j, "knee_p99_factor", SWEEP_P99_FACTOR);
	json_kbool(j, "knee_p99_per_unit", sw->param == SWEEP_CONCURRENCY);
	json_key(j, "points");
	json_arr_begin(j);
	for (int k = 0; k < sw->ndone; k++) {
		json_obj_begin(j);
		json_kdouble(j, "value", sw->values[k]);
		json_key(j, "runs");
		json_arr_begin(j);
		for (int m = 0; m < MPM__MAX; m++)
			if (sw->mpms[m] && sw->cell[k][m].measured)
				json_cell(j, &sw->cell[k][m], (enum mpm)m);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "knees");
	json_arr_begin(j);
	for (int m = 0; m < MPM__MAX; m++) {
		const struct sweep_knee *kn = &sw->knee[m];

		if (!sw->mpms[m])
			continue;
		json_obj_begin(j);
		json_kstr(j, "mpm", mpm_name((enum mpm)m));
		json_point(j, "fail_at", sw, kn->fail);
		json_point(j, "p99_at", sw, kn->p99);
		json_kdouble(j, "p99_ratio", kn->p99 >= 0 ? kn->p99_ratio : NAN);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "expectations");
	json_arr_begin(j);
	for (int i = 0; i < sw->nclaims; i++) {
		int n[VERDICT_NOT_MEASURED + 1] = { 0 };

		json_obj_begin(j);
		json_kstr(j, "claim", sw->claim[i]->text);
		json_kstr(j, "en", sw->claim[i]->en);
		json_key(j, "verdicts");
		json_arr_begin(j);
		for (int k = 0; k < sw->ndone; k++) {
			n[sw->verdict[i][k]]++;
			json_str(j, verdict_name(sw->verdict[i][k]));
		}
		json_arr_end(j);
		json_key(j, "evidence");
		json_arr_begin(j);
		for (int k = 0; k < sw->ndone; k++)
			json_str(j, sw->evidence[i][k]);
		json_arr_end(j);
		json_ki64(j, "confirmed", n[VERDICT_CONFIRMED]);
		json_ki64(j, "refuted", n[VERDICT_REFUTED]);
		json_ki64(j, "points", sw->ndone);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}
