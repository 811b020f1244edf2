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
#include <stdio.h>
#include <string.h>

#include "apache/apache.h"
#include "cmd/cmds.h"
#include "cmd/opts.h"
#include "cmd/session.h"
#include "scenario/scenario.h"

#define POLL_MS 50

static const struct cmd_spec server_spec = {
	.name = "server",
	.usage = "-m MPM [-s SCENARIO] [--port N] [--httpd PATH] [-d SECONDS]",
	.about = "Start the private Apache of a scenario under one MPM, exactly as 'compare' does\n"
		 "(same config, files and readiness check; no tracer), print one line\n"
		 "  http://127.0.0.1:PORT/PATH pid PID   (https:// for a scenario with tls = on)\n"
		 "on stdout, then keep it running until SIGINT/SIGTERM, -d SECONDS, or Apache's own\n"
		 "exit. Apache is then stopped and its runtime directory removed.",
	.footer = "exit status: 0 stopped on request, 1 Apache exited by itself, 2 bad usage or start failure",
	.opts = OPTS({ OPT_MPM, .help = "prefork, worker or event (required)" }, { OPT_SCENARIO }, { OPT_PORT },
		     { OPT_HTTPD },
		     { OPT_DURATION, .help = "stop after this long (5, 1.5s, 200ms, 2m; default: until a signal)",
		       .max = 365 * 86400.0 }),
};

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

/* Until a signal, the deadline, or Apache's own exit (1, said on stderr). */
static int keep_running(struct apache *a, double duration_s)
{
	uint64_t deadline = duration_s > 0 ? now_ns() + (uint64_t)(duration_s * 1e9) : 0;

	while (!sig_interrupted) {
		uint64_t now;

		if (!apache_alive(a)) {
			char how[128], tail[1024];

			apache_describe_exit(a, how, sizeof(how));
			apache_errlog_tail(a, tail, sizeof(tail), 1);
			one_line(tail);
			fprintf(stderr, "mpmscope: server: %s: apache %s%s%s\n", mpm_name(a->mpm), how, tail[0] ? ": " : "",
				tail);
			return 1;
		}
		now = now_ns();
		if (deadline && now >= deadline)
			break;
		sleep_ms(deadline && deadline - now < POLL_MS * NSEC_PER_MSEC ? (int)((deadline - now) / NSEC_PER_MSEC) + 1
									   : POLL_MS);
	}
	return 0;
}

int cmd_server(int argc, char **argv)
{
	struct common_opts o;
	struct errbuf e = { { 0 } };
	struct scenario sc;
	struct apache a;
	struct backend be[SESSION_MAX_BACKENDS];
	int nbe = 0;
	enum mpm mpm;
	int rc = opts_get(&server_spec, argc, argv, &o, NULL);

	if (rc != OPTS_GO)
		return rc;
	if (opts_one_mpm(&server_spec, &o, &mpm, &e) || scenario_load(&sc, o.scenario ? o.scenario : "baseline", &e))
		goto usage_err;
	if (session_find_apache(&a, o.httpd, o.port, &e)) {
		scenario_free(&sc);
		goto usage_err;
	}
	a.mpm = mpm;
	a.sc = &sc;
	if (session_upstream_port(&a, &e) || apache_prepare(&a, &e) || apache_spawn(&a, &e) ||
	    session_start_backends(be, &nbe, &a, NULL, &e) || apache_release(&a, &e) ||
	    apache_wait_ready(&a, 15.0, &e)) {
		for (int i = 0; i < nbe; i++)
			backend_stop(&be[i], 5.0);
		apache_stop(&a, 10.0);
		apache_cleanup(&a);
		scenario_free(&sc);
		one_line(e.msg);
		fprintf(stderr, "mpmscope: server: %s: %s\n", mpm_name(mpm), e.msg);
		return 2;
	}
	printf("%s://%s:%u%s pid %d\n", sc.tls ? "https" : "http", a.addr, a.port, sc.url_path, (int)a.proc.pid);
	fflush(stdout);
	rc = keep_running(&a, o.duration_s);
	for (int i = 0; i < nbe; i++)
		backend_stop(&be[i], 5.0);
	apache_stop(&a, 10.0);
	apache_cleanup(&a);
	scenario_free(&sc);
	return rc;

usage_err:
	one_line(e.msg);
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	return 2;
}
