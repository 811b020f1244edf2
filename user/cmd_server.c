// SPDX-License-Identifier: MIT
/*
 * `mpmscope server -m MPM [-s SCENARIO]`: the private Apache of a run, alone,
 * for manual experiments and benchmarks. It is started exactly as compare
 * starts it (same config, same runtime directory, same readiness check), but
 * without the tracer. One line on stdout gives the URL and the httpd pid; the
 * server then runs until SIGINT/SIGTERM, -d SECONDS, or its own death.
 *
 * Exit status: 0 stopped on request (signal or -d), 1 Apache died by itself,
 * 2 bad usage or the server could not start (one stderr line "mpmscope: ...").
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "apache.h"
#include "cmds.h"
#include "scenario.h"
#include "util.h"

#define POLL_NS (50 * NSEC_PER_MSEC)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mpmscope server -m MPM [-s SCENARIO] [--port N] [--httpd PATH] [-d SECONDS]\n\n"
		"Start the private Apache of a scenario under one MPM, exactly as 'compare' does\n"
		"(same config, files and readiness check; no tracer), print one line\n"
		"  http://127.0.0.1:PORT/PATH pid PID\n"
		"on stdout, then keep it running until SIGINT/SIGTERM, -d SECONDS, or Apache's own\n"
		"exit. Apache is then stopped and its runtime directory removed.\n\n"
		"  -m, --mpm MPM          prefork, worker or event (required)\n"
		"  -s, --scenario NAME    scenario name (see 'mpmscope scenarios') or a .scn path (default baseline)\n"
		"      --port N           listen port on 127.0.0.1 (default: a free one)\n"
		"      --httpd PATH       Apache binary (default: apache2 or httpd found on this system)\n"
		"  -d, --duration SECS    stop after this long (5, 1.5s, 200ms, 2m; default: until a signal)\n"
		"  -h, --help             this help\n\n"
		"exit status: 0 stopped on request, 1 Apache exited by itself, 2 bad usage or start failure\n");
}

/* Errors from the controller may quote several log lines: one line only. */
static void one_line(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = 0;
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };

	/* A signal ends the sleep early (no SA_RESTART): the caller checks why. */
	nanosleep(&ts, NULL);
}

static void describe_exit(int st, char *buf, size_t n)
{
	if (st == -1)
		snprintf(buf, n, "exited");
	else if (WIFEXITED(st))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, n, "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, n, "stopped");
}

int cmd_server(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mpm", required_argument, NULL, 'm' },
		{ "scenario", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'P' },
		{ "httpd", required_argument, NULL, 'H' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *scenario = "baseline", *httpd = NULL;
	struct errbuf e = { { 0 } };
	struct scenario sc;
	struct apache a;
	enum mpm mpm = MPM_EVENT;
	bool mpm_given = false;
	double duration_s = 0;
	uint16_t port = 0;
	uint64_t v, deadline = 0;
	int opt, rc = 0;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":m:s:d:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (mpm_parse(optarg, &mpm)) {
				err_set(&e, "server: unknown MPM '%s' (expected prefork, worker or event)", optarg);
				goto usage_err;
			}
			mpm_given = true;
			break;
		case 's': scenario = optarg; break;
		case 'H': httpd = optarg; break;
		case 'P':
			if (parse_u64(optarg, &v, "--port", &e))
				goto usage_err;
			if (!v || v > 65535) {
				err_set(&e, "server: --port: '%s' is not a port (1-65535)", optarg);
				goto usage_err;
			}
			port = (uint16_t)v;
			break;
		case 'd':
			if (parse_seconds(optarg, &duration_s, "-d", &e))
				goto usage_err;
			if (duration_s <= 0 || duration_s > 365 * 86400.0) {
				err_set(&e, "server: -d: must be more than 0 and at most a year");
				goto usage_err;
			}
			break;
		case 'h': usage(stdout); return 0;
		case ':': err_set(&e, "server: option %s needs a value", argv[optind - 1]); goto usage_err;
		default:
			err_set(&e, "server: unknown option '%s' (see 'mpmscope server --help')", argv[optind - 1]);
			goto usage_err;
		}
	}
	if (optind < argc) {
		err_set(&e, "server: unexpected argument '%s' (see 'mpmscope server --help')", argv[optind]);
		goto usage_err;
	}
	if (!mpm_given) {
		err_set(&e, "server: -m MPM is required (prefork, worker or event)");
		goto usage_err;
	}
	if (scenario_load(&sc, scenario, &e))
		goto usage_err;

	apache_sweep_stale();
	apache_init(&a);
	if (apache_find(&a, httpd, &e)) {
		scenario_free(&sc);
		goto usage_err;
	}
	a.mpm = mpm;
	snprintf(a.addr, sizeof(a.addr), "127.0.0.1");
	a.port = port;
	a.sc = &sc;
	if (apache_prepare(&a, &e) || apache_spawn(&a, &e) || apache_release(&a, &e) ||
	    apache_wait_ready(&a, 15.0, &e)) {
		apache_stop(&a, 10.0);
		apache_cleanup(&a);
		scenario_free(&sc);
		one_line(e.msg);
		fprintf(stderr, "mpmscope: server: %s: %s\n", mpm_name(mpm), e.msg);
		return 2;
	}

	printf("http://%s:%u%s pid %d\n", a.addr, a.port, sc.url_path, (int)a.pid);
	fflush(stdout);

	if (duration_s > 0)
		deadline = now_ns() + (uint64_t)(duration_s * 1e9);
	for (;;) {
		uint64_t now, wait = POLL_NS;

		if (ms_interrupted)
			break;
		if (!apache_alive(&a)) {
			char how[128], tail[1024];

			describe_exit(a.exit_status, how, sizeof(how));
			apache_errlog_tail(&a, tail, sizeof(tail), 1);
			one_line(tail);
			fprintf(stderr, "mpmscope: server: %s: apache %s%s%s\n", mpm_name(mpm), how,
				tail[0] ? ": " : "", tail);
			rc = 1;
			break;
		}
		now = now_ns();
		if (deadline) {
			if (now >= deadline)
				break;
			if (deadline - now < wait)
				wait = deadline - now;
		}
		sleep_ns(wait);
	}

	apache_stop(&a, 10.0);
	apache_cleanup(&a);
	scenario_free(&sc);
	return rc;

usage_err:
	one_line(e.msg);
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	return 2;
}
