// SPDX-License-Identifier: MIT
/*
 * compare / run: for each MPM in turn (cmd/measure.c), a private Apache with
 * the tracer attached from its first instruction, the scenario's load, then
 * the facts of both sides joined into one run model and rendered; -s all
 * does it for every scenario file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apache/apache.h"
#include "cmd/cmds.h"
#include "cmd/measure.h"
#include "cmd/opts.h"
#include "cmd/session.h"
#include "model/claims.h"
#include "model/sweep.h"
#include "report/csv.h"
#include "report/html.h"
#include "report/report.h"
#include "scenario/scenario.h"

/* --sweep: parsed into the one sweep a command line can ask for */
enum { OPT_SWEEP = OPT_OWN };
struct compare_ctx {
	struct sweep *sweep; /* NULL: no --sweep */
};
static struct compare_ctx compare_ctx;

static int compare_own(void *ctx, int id, const char *arg, struct errbuf *e)
{
	struct compare_ctx *c = ctx;

	if (id != OPT_SWEEP)
		return 0;
	if (c->sweep) {
		err_set(e, "--sweep given twice: one parameter per sweep");
		return -1;
	}
	c->sweep = xcalloc(1, sizeof(*c->sweep));
	return sweep_parse(c->sweep, arg, e);
}

/* compare and run take the same options (run: one MPM) */
#define COMPARE_OPTS                                                                                               \
	OPTS({ OPT_MPM, .help = "MPMs to compare, comma-separated (default all three)" }, { OPT_SCENARIO },          \
	     { OPT_SWEEP, "sweep", 0, "PARAM=LIST",                                                                   \
	       "run the scenario at each value of LIST (increasing, at most 16), PARAM concurrency\n"                \
	       "or rate (open loop, requests/s): curves, knees, claims per point (see the man page)" },              \
	     { OPT_JSON }, { OPT_HTML }, { OPT_CSV },                                                                 \
	     { OPT_REQUESTS, .help = "override the scenario's request count", .min = 1 },                           \
	     { OPT_CONCURRENCY, .help = "override the scenario's concurrency", .min = 1, .max = 1000000 },          \
	     { OPT_DURATION, .help = "stop the load after this long (with -n: whichever comes first)",              \
	       .max = 86400 },                                                                                        \
	     { OPT_KEEPALIVE, .help = "force keep-alive on (--no-keepalive: off)" }, { OPT_NO_KEEPALIVE },          \
	     { OPT_HTTPD }, { OPT_PORT }, OPTS_PROBES, { OPT_QUIET })

static const struct cmd_spec compare_spec = {
	.name = "compare",
	.usage = "[-m prefork,worker,event] [-s SCENARIO] [--sweep PARAM=V1,V2,...] [--json FILE] [--html FILE]\n"
		 "       [--csv FILE] [options]",
	.about = "Run a scenario on each MPM in turn with the tracer attached; one row per MPM.\n"
		 "-s all runs every scenario file.",
	.opts = COMPARE_OPTS,
	.own = compare_own,
	.ctx = &compare_ctx,
};

static const struct cmd_spec run_spec = {
	.name = "run",
	.usage = "-m MPM [-s SCENARIO] [--json FILE] [--html FILE] [--csv FILE] [options]",
	.about = "Run a scenario on one MPM with the tracer attached (compare -m MPM).",
	.opts = COMPARE_OPTS,
	.own = compare_own,
	.ctx = &compare_ctx,
};

/* The scenarios asked for (one, or every file for "all"), each checked
 * before anything runs: a typo fails at once. Returns the count, -1 on error. */
static int load_scenarios(const char *name, struct scenario **out, struct errbuf *e)
{
	char **names = NULL;
	int n = 1, nnames = 0;

	if (!strcmp(name, "all")) {
		n = nnames = scenario_list(&names, e);
		if (n < 0)
			return -1;
		if (!n) {
			err_set(e, "no scenario in %s", scenario_dir());
			return -1;
		}
	}
	*out = xcalloc((size_t)n, sizeof(**out));
	for (int i = 0; i < n; i++)
		if (scenario_load(&(*out)[i], names ? names[i] : name, e)) {
			for (int k = 0; k < i; k++)
				scenario_free(&(*out)[k]);
			free(*out);
			*out = NULL;
			n = -1;
			break;
		}
	scenario_list_free(names, nnames);
	return n;
}

struct tally {
	int not_served, died;
};

/* Whether the scenario expects Apache to refuse MPM m: a confirmed claim
 * checks `refused m` (php-threaded: mod_php under a threaded MPM). Such a
 * refusal is the scenario's finding, not a failed run. */
static bool refusal_expected(const struct report *rep, enum mpm m)
{
	for (int i = 0; i < rep->nclaims; i++) {
		const struct claim_result *cr = &rep->claims[i];

		if (cr->verdict != VERDICT_CONFIRMED)
			continue;
		for (int k = 0; k < cr->claim->nchecks; k++)
			if (!strcmp(cr->claim->checks[k].metric, "refused") && cr->claim->checks[k].lhs == m)
				return true;
	}
	return false;
}

/* One scenario on every MPM asked for; its report, printed. Returns 0, or 2
 * when a run could not happen at all (e printed). */
static int compare_scenario(const struct scenario *sc, const bool *mpms, const struct measure_opts *mo,
			    const struct apache *proto, struct report *rep, struct run_model *runs, struct tally *t,
			    struct errbuf *e)
{
	int nruns = 0;

	for (int m = 0; m < MPM__MAX && !sig_interrupted; m++) {
		int r;

		if (!mpms[m])
			continue;
		r = measure_run(sc, mo, proto, (enum mpm)m, &runs[nruns], e);
		if (r > 0) {
			fprintf(stderr, "mpmscope: %s: %s\n", mpm_name((enum mpm)m), e->msg);
			t->not_served++;
		} else if (r == 0 && runs[nruns].error[0]) {
			fprintf(stderr, "mpmscope: %s: %s; figures cover the load until then\n", mpm_name((enum mpm)m),
				runs[nruns].error);
			t->died++;
		} else if (r < 0) {
			if (runs[nruns].interrupted || sig_interrupted) {
				nruns++;
				break;
			}
			fprintf(stderr, "mpmscope: %s: %s\n", mpm_name((enum mpm)m), e->msg);
			model_free(&runs[nruns]);
			rep->runs = runs;
			rep->nruns = nruns;
			return 2;
		}
		nruns++;
	}
	rep->sc = sc;
	rep->httpd = proto->httpd;
	rep->httpd_version = proto->version;
	rep->runs = runs;
	rep->nruns = nruns;
	rep->nclaims = claims_eval(sc, runs, nruns, rep->claims, SC_MAX_EXPECT);
	for (int i = 0; i < nruns; i++)
		if (runs[i].refused && refusal_expected(rep, runs[i].mpm))
			t->not_served--; /* as its claim says: exit 0 */
	rep->naccts = attrib_scenario(runs, nruns, rep->accts, REPORT_MAX_ACCOUNTS);
	attrib_claims(rep->claims, rep->nclaims, rep->accts, rep->naccts);
	rep->interrupted = sig_interrupted;
	report_table(rep, stdout);
	return 0;
}

/* --sweep: the scenario at each point on every MPM asked for, one compact
 * table per point; once a point's curves are kept its traces are freed
 * before the next point runs (the last point's stay: the reports' detail).
 * Then the curves. Returns 0, or 2 when a run could not happen at all. */
static int compare_sweep(struct sweep *sw, const struct scenario *sc, const struct common_opts *o,
			 const struct measure_opts *mo0, const struct apache *proto, struct report *rep,
			 struct run_model *runs, struct tally *t, struct errbuf *e)
{
	int rc = 0;
	char name[48];

	for (int m = 0; m < MPM__MAX; m++)
		sw->mpms[m] = o->mpms[m];
	for (int k = 0; k < sw->npoints && !sig_interrupted && !rc; k++) {
		struct measure_opts mo = *mo0;

		for (int i = 0; i < rep->nruns; i++) /* the point before: its curves are kept, its traces are not */
			model_free(&rep->runs[i]);
		memset(rep, 0, sizeof(*rep));
		sweep_point_load(sw, k, sc, o->requests, o->duration_s, o->concurrency, &mo.requests,
				 &mo.concurrency, &mo.rate);
		if (!k)
			fprintf(stdout, "\nscenario %s: %s\nsweep over %s: %d points, %s\n", sc->name, sc->description,
				sweep_param_name(sw->param), sw->npoints, sw->requests_rule);
		fprintf(stdout, "\n=== point %d/%d: %s\n", k + 1, sw->npoints, sweep_point_name(sw, k, name, sizeof(name)));
		rep->compact = true;
		rep->sc = sc; /* also when the point could not run at all */
		rc = compare_scenario(sc, o->mpms, &mo, proto, rep, runs, t, e);
		sweep_add(sw, k, rep->runs, rep->nruns, rep->claims, rep->nclaims);
	}
	sweep_knees(sw);
	rep->compact = false;
	rep->sweep = sw;
	if (sw->ndone)
		report_sweep_table(rep, stdout);
	return rc;
}

/* The files asked for: 0, or 2 when one could not be written (printed). */
static int write_reports(const struct common_opts *o, const struct report *reps, int nreps, bool all)
{
	struct errbuf e = { { 0 } };
	int rc = 0;

	if (o->json && (all ? report_json_all(reps, nreps, o->json, &e) : report_json(&reps[0], o->json, &e))) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		rc = 2;
	}
	if (o->html && (all ? report_html_all(reps, nreps, o->html, &e) : report_html(&reps[0], o->html, &e))) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		rc = 2;
	}
	if (o->csv && (all ? report_csv_all(reps, nreps, o->csv, &e) : report_csv(&reps[0], o->csv, &e))) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		rc = 2;
	}
	return rc;
}

static int compare_main(const struct cmd_spec *spec, int argc, char **argv)
{
	struct common_opts o;
	struct measure_opts mo;
	struct scenario *scs = NULL;
	struct apache proto;
	struct report *reps;
	struct run_model *allruns;
	struct tally t = { 0 };
	struct errbuf e = { { 0 } };
	enum mpm one;
	int nsc, nreps = 0, rc;
	bool all;

	if ((rc = opts_get(spec, argc, argv, &o, NULL)) != OPTS_GO) {
		free(compare_ctx.sweep);
		compare_ctx.sweep = NULL;
		return rc;
	}
	rc = spec == &run_spec ? opts_one_mpm(spec, &o, &one, &e) : 0;
	if (!o.nmpms)
		for (int m = 0; m < MPM__MAX; m++)
			o.mpms[m] = true;
	if (rc || opts_check_outputs(&o, &e) || tracer_preflight(&o.tracer, &e))
		goto usage_err;
	mo = (struct measure_opts){ .tracer = o.tracer, .requests = o.requests, .duration_s = o.duration_s,
				    .concurrency = o.concurrency, .keepalive = o.keepalive, .quiet = o.quiet };
	all = o.scenario && !strcmp(o.scenario, "all");
	if (compare_ctx.sweep && all) {
		err_set(&e, "--sweep runs one scenario: not with -s all");
		goto usage_err;
	}
	if (compare_ctx.sweep && compare_ctx.sweep->param == SWEEP_CONCURRENCY && o.concurrency) {
		err_set(&e, "-c and --sweep concurrency both set the connections: give one");
		goto usage_err;
	}
	nsc = load_scenarios(o.scenario ? o.scenario : "baseline", &scs, &e);
	if (nsc < 0)
		goto usage_err;
	if (session_find_apache(&proto, o.httpd, o.port, &e)) {
		for (int i = 0; i < nsc; i++)
			scenario_free(&scs[i]);
		free(scs);
		goto usage_err;
	}
	reps = xcalloc((size_t)nsc, sizeof(*reps));
	allruns = xcalloc((size_t)nsc * MPM__MAX, sizeof(*allruns));
	if (compare_ctx.sweep) {
		rc = compare_sweep(compare_ctx.sweep, &scs[0], &o, &mo, &proto, &reps[0], allruns, &t, &e);
		nreps = 1;
	}
	for (int i = 0; i < nsc && !sig_interrupted && !rc && !compare_ctx.sweep; i++) {
		if (all)
			fprintf(stdout, "\n=== scenario %d/%d: %s\n", i + 1, nsc, scs[i].name);
		rc = compare_scenario(&scs[i], o.mpms, &mo, &proto, &reps[i], &allruns[i * MPM__MAX], &t, &e);
		nreps = i + 1;
	}
	if (!rc) {
		if (all && nreps)
			report_verdicts(reps, nreps, stdout);
		if (nreps)
			rc = write_reports(&o, reps, nreps, all);
		if (sig_interrupted && !rc)
			rc = 130;
		else if ((t.not_served || t.died) && !rc)
			rc = 1;
	}
	for (int i = 0; i < nreps; i++)
		for (int k = 0; k < reps[i].nruns; k++)
			model_free(&reps[i].runs[k]);
	for (int i = 0; i < nsc; i++)
		scenario_free(&scs[i]);
	free(scs);
	free(reps);
	free(allruns);
	free(compare_ctx.sweep);
	compare_ctx.sweep = NULL;
	return rc;

usage_err:
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	free(compare_ctx.sweep);
	compare_ctx.sweep = NULL;
	return 2;
}

int cmd_compare(int argc, char **argv)
{
	return compare_main(&compare_spec, argc, argv);
}

int cmd_run(int argc, char **argv)
{
	return compare_main(&run_spec, argc, argv);
}
