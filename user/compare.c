// SPDX-License-Identifier: MIT
/*
 * compare / run: for each MPM in turn, a private Apache with the tracer
 * attached from its first instruction, the scenario's load, then the facts
 * of both sides joined into one run model and rendered.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "apache.h"
#include "cmds.h"
#include "csv.h"
#include "html.h"
#include "failures.h"
#include "loadgen.h"
#include "memory.h"
#include "model.h"
#include "netstat.h"
#include "report.h"
#include "scenario.h"
#include "session.h"
#include "tracer.h"
#include "util.h"

struct compare_opts {
	bool mpms[MPM__MAX];
	const char *scenario;
	const char *json;
	const char *html;
	const char *csv;
	const char *httpd;
	uint16_t port;
	struct tracer_opts tracer;
	/* overrides of the scenario's load */
	uint64_t requests;
	double duration_s;
	unsigned concurrency;
	int keepalive; /* -1 keep the scenario's */
	bool quiet;
};

static void usage(FILE *f, const char *cmd)
{
	bool run = !strcmp(cmd, "run");

	fprintf(f,
		"usage: mpmscope %s %s[-s SCENARIO] [--json FILE] [--html FILE] [--csv FILE] [options]\n\n"
		"%s\n\n"
		"  -m, --mpm LIST         %s\n"
		"  -s, --scenario NAME    scenario name (see 'mpmscope scenarios') or a .scn path (default baseline)\n"
		"      --json FILE        write every fact as JSON (written to a temporary file, then renamed)\n"
		"      --html FILE        write a self-contained HTML report with plots (same atomic write)\n"
		"      --csv FILE         write one CSV row per MPM run (same atomic write)\n"
		"  -n, --requests N       override the scenario's request count\n"
		"  -c, --concurrency N    override the scenario's concurrency\n"
		"  -t, --duration SECS    stop the load after this long (with -n: whichever comes first)\n"
		"  -k, --keepalive        force keep-alive on (--no-keepalive: off)\n"
		"      --httpd PATH       Apache binary (default: apache2 or httpd found on this system)\n"
		"      --port N           listen port on 127.0.0.1 (default: a free one)\n"
		"      --no-btf-tracepoints  use raw_tp programs instead of tp_btf\n"
		"      --no-syscall-tracepoints  hook every syscall (sys_enter/sys_exit) instead of the few that matter\n"
		"      --btf PATH         kernel BTF file (default /sys/kernel/btf/vmlinux)\n"
		"  -q, --quiet            no progress lines on stderr\n"
		"  -v, --verbose          show libbpf's messages\n"
		"  -h, --help             this help\n",
		cmd, run ? "-m MPM " : "[-m prefork,worker,event] ",
		run ? "Run a scenario on one MPM with the tracer attached."
		    : "Run a scenario on each MPM in turn with the tracer attached; one row per MPM.",
		run ? "the MPM: prefork, worker or event" : "MPMs to compare, comma-separated (default all three)");
}

static int parse_mpms(const char *list, bool *mpms, struct errbuf *e)
{
	char buf[256], *save = NULL;
	int n = 0;

	if (strlen(list) >= sizeof(buf)) {
		err_set(e, "-m: list too long");
		return -1;
	}
	strcpy(buf, list);
	memset(mpms, 0, sizeof(bool) * MPM__MAX);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum mpm m;

		if (mpm_parse(tok, &m)) {
			err_set(e, "unknown MPM '%s' (expected prefork, worker or event)", tok);
			return -1;
		}
		mpms[m] = true;
		n++;
	}
	if (!n) {
		err_set(e, "-m: no MPM given (expected prefork, worker or event)");
		return -1;
	}
	return 0;
}


static void progress(const struct compare_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const struct compare_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->quiet || !isatty(2))
		return;
	va_start(ap, fmt);
	fprintf(stderr, "mpmscope: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/* A live line on stderr while the load runs, when stderr is a terminal:
 * scenario, MPM, elapsed, requests done, req/s over the last second. */
struct live {
	const struct compare_opts *o;
	const char *scenario, *mpm;
	_Atomic uint64_t done;
	volatile bool stop;
	pthread_t thread;
	bool running;
};

static void *live_thread(void *arg)
{
	struct live *lv = arg;
	uint64_t t0 = now_ns(), last = 0, tl = t0;

	while (!lv->stop) {
		uint64_t t, d;

		usleep(250 * 1000);
		t = now_ns();
		if (t - tl < NSEC_PER_SEC)
			continue;
		d = atomic_load_explicit(&lv->done, memory_order_relaxed);
		fprintf(stderr, "\rmpmscope: %s: %s: load %.0f s, %llu done, %.0f req/s   ", lv->scenario, lv->mpm,
			(double)(t - t0) / 1e9, (unsigned long long)d, (double)(d - last) * 1e9 / (double)(t - tl));
		last = d;
		tl = t;
	}
	fprintf(stderr, "\r%*s\r", 70, "");
	return NULL;
}

static void live_start(struct live *lv, const struct compare_opts *o, const char *scenario, const char *mpm)
{
	memset(lv, 0, sizeof(*lv));
	lv->o = o;
	lv->scenario = scenario;
	lv->mpm = mpm;
	if (o->quiet || !isatty(2))
		return;
	lv->running = !pthread_create(&lv->thread, NULL, live_thread, lv);
}

static void live_stop(struct live *lv)
{
	lv->stop = true;
	if (lv->running)
		pthread_join(lv->thread, NULL);
	lv->running = false;
}

static void load_config(const struct scenario *sc, const struct compare_opts *o, const struct apache *a,
			struct lg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->host, sizeof(cfg->host), "%s", a->addr);
	cfg->port = a->port;
	snprintf(cfg->path, sizeof(cfg->path), "%s", sc->url_path);
	snprintf(cfg->host_header, sizeof(cfg->host_header), "%s:%u", a->addr, a->port);
	cfg->requests = o->requests ? o->requests : sc->requests;
	cfg->connections = o->concurrency ? o->concurrency : sc->concurrency;
	cfg->keepalive = o->keepalive >= 0 ? o->keepalive : sc->keepalive;
	cfg->duration_s = o->duration_s > 0 ? o->duration_s : sc->duration_s;
	cfg->rate = sc->rate;
	cfg->hold = sc->hold;
	cfg->ramp_s = sc->ramp_s;
	cfg->timeout_s = sc->timeout_s;
	cfg->threads = sc->threads;
	cfg->record_conns = true;
	cfg->watch_pid = a->pid; /* a server that dies ends the load */
}

/*
 * One MPM. Returns 0 when the load ran (r->ran), 1 when the server could not
 * serve (it died during start-up: a result, e.g. under a memory limit), -1
 * with e set when the run could not happen at all (bad config, no BPF...).
 * Whatever happens, Apache is stopped, the probes are detached and the
 * runtime directory is removed before returning.
 */
static int run_one(const struct scenario *sc, const struct compare_opts *o, const struct apache *proto,
		   enum mpm m, struct run_model *r, struct errbuf *e)
{
	struct session ss;
	struct tracer_counts counts;
	struct mem_sampler *ms = NULL;
	struct mem_result mr = { 0 };
	struct netstat net0 = { 0 }, net1 = { 0 }, netd = { 0 };
	struct live lv = { 0 };
	const struct ms_event *ev;
	size_t nev;
	int rc;

	memset(r, 0, sizeof(*r));
	r->mpm = m;
	progress(o, "%s: %s: starting Apache", sc->name, mpm_name(m));
	rc = session_start(&ss, proto, sc, m, &o->tracer, e);
	r->httpd_pid = ss.a.pid;
	r->port = ss.a.port;
	if (rc) {
		/* rc 1: the server's own failure (e.g. under a memory limit):
		 * recorded, the comparison goes on */
		r->interrupted = ms_interrupted;
		goto out;
	}
	rc = -1;
	r->t_ready = now_ns();
	load_config(sc, o, &ss.a, &r->load_cfg);
	if (lg_validate(&r->load_cfg, e))
		goto out;
	progress(o, "%s: %s: load -n %llu -c %u%s", sc->name, mpm_name(m),
		 (unsigned long long)r->load_cfg.requests, r->load_cfg.connections, r->load_cfg.keepalive ? " -k" : "");
	ms = mem_sampler_start(&ss.a, 250);
	live_start(&lv, o, sc->name, mpm_name(m));
	r->load_cfg.live_completed = &lv.done;
	netstat_read(&net0);
	tracer_read_counts(ss.t, &r->snap_start);
	rc = lg_run(&r->load_cfg, &r->load, e);
	live_stop(&lv);
	r->load_cfg.live_completed = NULL;
	if (rc) {
		rc = -1;
		goto out;
	}
	tracer_read_counts(ss.t, &r->snap_end);
	netstat_read(&net1);
	netstat_diff(&netd, &net1, &net0);
	r->ran = true;
	r->interrupted = r->load.interrupted;
	r->t_load_start = r->load.t_start;
	r->t_load_end = r->load.t_end;
	if (!apache_alive(&ss.a) || r->load.watch_exited) { /* apache_alive() first: it reaps */
		/* The server's parent died under load (killed, crashed): what was
		 * measured up to then is reported, and the run is marked. */
		char how[128];

		apache_describe_exit(&ss.a, how, sizeof(how));
		snprintf(r->error, sizeof(r->error), "server died during the load (apache parent %s)", how);
	} else if (!r->interrupted) {
		usleep(200 * 1000); /* let the last connections close: part of the "after" phase */
	}
	rc = 0;
out:
	if (ms)
		mem_sampler_stop(ms, &mr);
	session_stop(&ss);
	r->t_stopped = now_ns();
	if (ss.spawned) {
		tracer_read_counts(ss.t, &counts);
		ev = tracer_events(ss.t, &nev);
		model_probe_paths(&r->k, ss.t);
		model_build_kernel(r, &counts, ev, nev, ss.a.probe_ports,
				   ss.a.probe_conns < APACHE_MAX_PROBES ? ss.a.probe_conns : APACHE_MAX_PROBES);
		model_build_memory(r, &mr, sc);
		failures_build(r, sc, ev, nev, &netd, ss.a.errlog, ss.a.stderr_log);
	}
	apache_errlog_tail(&ss.a, r->errlog_tail, sizeof(r->errlog_tail), 10);
	session_end(&ss);
	mem_result_free(&mr);
	if (rc)
		snprintf(r->error, sizeof(r->error), "%s", e->msg);
	else if (r->error[0])
		snprintf(e->msg, sizeof(e->msg), "%s", r->error); /* ran, but the server died */
	return rc;
}

static int compare_main(const char *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mpm", required_argument, NULL, 'm' },
		{ "scenario", required_argument, NULL, 's' },
		{ "json", required_argument, NULL, 'J' },
		{ "html", required_argument, NULL, 'W' },
		{ "csv", required_argument, NULL, 'C' },
		{ "requests", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 't' },
		{ "keepalive", no_argument, NULL, 'k' },
		{ "no-keepalive", no_argument, NULL, 'K' },
		{ "httpd", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'P' },
		{ "no-btf-tracepoints", no_argument, NULL, 'R' },
		{ "no-syscall-tracepoints", no_argument, NULL, 'S' },
		{ "btf", required_argument, NULL, 'B' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct compare_opts o = { .scenario = "baseline", .keepalive = -1 };
	struct scenario *scs = NULL;
	struct apache proto;
	struct report *reps = NULL;
	struct run_model *allruns = NULL;
	char **names = NULL;
	int nsc = 0, nreps = 0;
	bool all;
	struct errbuf e = { { 0 } };
	bool run = !strcmp(cmd, "run"), mpm_given = false;
	uint64_t v;
	int opt, rc = 0, not_served = 0, died = 0;

	for (int m = 0; m < MPM__MAX; m++)
		o.mpms[m] = true;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":m:s:n:c:t:kqvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (parse_mpms(optarg, o.mpms, &e))
				goto usage_err;
			mpm_given = true;
			break;
		case 's': o.scenario = optarg; break;
		case 'J': o.json = optarg; break;
		case 'W': o.html = optarg; break;
		case 'C': o.csv = optarg; break;
		case 'n':
			if (parse_u64(optarg, &o.requests, "-n", &e))
				goto usage_err;
			if (!o.requests) {
				err_set(&e, "-n: must be at least 1");
				goto usage_err;
			}
			break;
		case 'c':
			if (parse_u64(optarg, &v, "-c", &e))
				goto usage_err;
			if (!v || v > 1000000) {
				err_set(&e, "-c: must be between 1 and 1000000");
				goto usage_err;
			}
			o.concurrency = (unsigned)v;
			break;
		case 't':
			if (parse_seconds(optarg, &o.duration_s, "-t", &e))
				goto usage_err;
			if (o.duration_s <= 0 || o.duration_s > 86400) {
				err_set(&e, "-t: must be more than 0 and at most a day");
				goto usage_err;
			}
			break;
		case 'k': o.keepalive = 1; break;
		case 'K': o.keepalive = 0; break;
		case 'H': o.httpd = optarg; break;
		case 'P':
			if (parse_u64(optarg, &v, "--port", &e))
				goto usage_err;
			if (!v || v > 65535) {
				err_set(&e, "--port: '%s' is not a port (1-65535)", optarg);
				goto usage_err;
			}
			o.port = (uint16_t)v;
			break;
		case 'R': o.tracer.raw_tp = true; break;
		case 'S': o.tracer.no_syscall_tps = true; break;
		case 'B': o.tracer.btf_path = optarg; break;
		case 'q': o.quiet = true; break;
		case 'v': o.tracer.verbose = true; break;
		case 'h': usage(stdout, cmd); return 0;
		case ':': err_set(&e, "option %s needs a value", argv[optind - 1]); goto usage_err;
		default: err_set(&e, "unknown option '%s' (see 'mpmscope %s --help')", argv[optind - 1], cmd); goto usage_err;
		}
	}
	if (optind < argc) {
		err_set(&e, "unexpected argument '%s' (see 'mpmscope %s --help')", argv[optind], cmd);
		goto usage_err;
	}
	if (run && !mpm_given) {
		err_set(&e, "run: -m MPM is required (prefork, worker or event)");
		goto usage_err;
	}
	if (run) {
		int n = 0;

		for (int m = 0; m < MPM__MAX; m++)
			n += o.mpms[m];
		if (n != 1) {
			err_set(&e, "run: give exactly one MPM (use compare for several)");
			goto usage_err;
		}
	}
	if (o.json && check_writable(o.json, &e))
		goto usage_err;
	if (o.html && check_writable(o.html, &e))
		goto usage_err;
	if (o.csv && check_writable(o.csv, &e))
		goto usage_err;
	if (tracer_preflight(&o.tracer, &e))
		goto usage_err;
	all = !strcmp(o.scenario, "all");
	if (all) {
		nsc = scenario_list(&names, &e);
		if (nsc < 0)
			goto usage_err;
		if (!nsc) {
			err_set(&e, "no scenario in %s", scenario_dir());
			goto usage_err;
		}
	} else {
		nsc = 1;
		names = xcalloc(1, sizeof(*names));
		names[0] = xstrdup(o.scenario);
	}
	scs = xcalloc((size_t)nsc, sizeof(*scs));
	reps = xcalloc((size_t)nsc, sizeof(*reps));
	allruns = xcalloc((size_t)nsc * MPM__MAX, sizeof(*allruns));
	/* every scenario is checked before anything runs: a typo fails at once */
	for (int i = 0; i < nsc; i++)
		if (scenario_load(&scs[i], names[i], &e)) {
			for (int k = 0; k < i; k++)
				scenario_free(&scs[k]);
			nsc = 0;
			rc = 2;
			fprintf(stderr, "mpmscope: %s\n", e.msg);
			goto done;
		}
	apache_sweep_stale();
	apache_init(&proto);
	if (apache_find(&proto, o.httpd, &e)) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		rc = 2;
		goto done;
	}
	snprintf(proto.addr, sizeof(proto.addr), "127.0.0.1");
	proto.port = o.port;

	for (int i = 0; i < nsc && !ms_interrupted; i++) {
		struct run_model *runs = &allruns[i * MPM__MAX];
		struct report *rep = &reps[i];
		int nruns = 0;

		if (all)
			fprintf(stdout, "\n=== scenario %d/%d: %s\n", i + 1, nsc, scs[i].name);
		for (int m = 0; m < MPM__MAX && !ms_interrupted; m++) {
			int r;

			if (!o.mpms[m])
				continue;
			r = run_one(&scs[i], &o, &proto, (enum mpm)m, &runs[nruns], &e);
			if (r > 0) {
				fprintf(stderr, "mpmscope: %s: %s\n", mpm_name((enum mpm)m), e.msg);
				not_served++;
			} else if (r == 0 && runs[nruns].error[0]) {
				fprintf(stderr, "mpmscope: %s: %s; figures cover the load until then\n",
					mpm_name((enum mpm)m), runs[nruns].error);
				died++;
			} else if (r < 0) {
				if (runs[nruns].interrupted || ms_interrupted) {
					nruns++;
					break;
				}
				fprintf(stderr, "mpmscope: %s: %s\n", mpm_name((enum mpm)m), e.msg);
				model_free(&runs[nruns]);
				rc = 2;
				goto done;
			}
			nruns++;
		}
		rep->sc = &scs[i];
		rep->httpd = proto.httpd;
		rep->httpd_version = proto.version;
		rep->runs = runs;
		rep->nruns = nruns;
		rep->nclaims = claims_eval(&scs[i], runs, nruns, rep->claims, SC_MAX_EXPECT);
		rep->interrupted = ms_interrupted;
		report_table(rep, stdout);
		nreps = i + 1;
	}
	if (all && nreps)
		report_verdicts(reps, nreps, stdout);
	if (o.json && nreps &&
	    (all ? report_json_all(reps, nreps, o.json, &e) : report_json(&reps[0], o.json, &e))) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		rc = 2;
	}
	if (o.html && nreps && (all ? report_html_all(reps, nreps, o.html, &e) : report_html(&reps[0], o.html, &e))) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		rc = 2;
	}
	if (o.csv && nreps && (all ? report_csv_all(reps, nreps, o.csv, &e) : report_csv(&reps[0], o.csv, &e))) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		rc = 2;
	}
	if (ms_interrupted && !rc)
		rc = 130;
	else if ((not_served || died) && !rc)
		rc = 1;
done:
	for (int i = 0; i < nreps; i++)
		for (int k = 0; k < reps[i].nruns; k++)
			model_free(&reps[i].runs[k]);
	for (int i = 0; i < nsc; i++)
		scenario_free(&scs[i]);
	if (names)
		for (int i = 0; i < (all ? nsc : 1); i++)
			free(names[i]);
	free(names);
	free(scs);
	free(reps);
	free(allruns);
	return rc;

usage_err:
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	return 2;
}

int cmd_compare(int argc, char **argv)
{
	return compare_main("compare", argc, argv);
}

int cmd_run(int argc, char **argv)
{
	return compare_main("run", argc, argv);
}

int cmd_scenarios(int argc, char **argv)
{
	struct errbuf e;
	char **names = NULL;
	int n;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: mpmscope scenarios\n\nList the scenario files in %s.\n", scenario_dir());
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "mpmscope: scenarios takes no argument\n");
		return 2;
	}
	n = scenario_list(&names, &e);
	if (n < 0) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		struct scenario sc;

		if (scenario_load(&sc, names[i], &e)) {
			printf("%-20s (invalid: %s)\n", names[i], e.msg);
		} else {
			printf("%-20s %s\n", names[i], sc.description);
			scenario_free(&sc);
		}
		free(names[i]);
	}
	free(names);
	return 0;
}
