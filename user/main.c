// SPDX-License-Identifier: MIT
/* mpmscope: subcommand dispatch, signals, and the one place errors are printed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "cmd/cmds.h"

struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcmd subcmds[] = {
	{ "compare", cmd_compare, "run a scenario on each MPM with the tracer attached, one row per MPM" },
	{ "run", cmd_run, "run a scenario on one MPM (same as compare -m MPM)" },
	{ "trace", cmd_trace, "follow a running Apache (-p PID or -C COMM) without generating load" },
	{ "serve", cmd_serve, "a Prometheus exporter (/metrics) of a running Apache's kernel figures (-p PID or -C COMM)" },
	{ "explain", cmd_explain, "the kernel-level story of one keep-alive connection on one MPM" },
	{ "load", cmd_load, "the built-in HTTP/1.1 load generator alone, against a loopback URL" },
	{ "server", cmd_server, "start a scenario's private Apache under one MPM and keep it running (no tracer)" },
	{ "scenarios", cmd_scenarios, "list the scenario files" },
	{ "doctor", cmd_doctor, "check what this kernel offers and which path the probes take" },
	{ "version", cmd_version, "print the version" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mpmscope <command> [options]\n\n"
		   "eBPF profiler for Apache httpd's MPMs (prefork, worker, event).\n\n"
		   "commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(subcmds); i++)
		fprintf(f, "  %-10s %s\n", subcmds[i].name, subcmds[i].summary);
	fprintf(f, "\n'mpmscope <command> --help' describes each command.\n");
}

static void on_signal(int sig)
{
	/* A second Ctrl-C while winding down means "now": the cleanup handlers of
	 * the controller (process group kill) still run from atexit paths. */
	if (sig_interrupted)
		sig_interrupted = 2;
	else
		sig_interrupted = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	/* mpmscope's own slow upstream, exec'd by a run with a [backend] */
	if (!strcmp(argv[1], "upstream"))
		return cmd_upstream(argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(subcmds); i++)
		if (!strcmp(argv[1], subcmds[i].name))
			return subcmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mpmscope: unknown command '%s' (try 'mpmscope --help')\n", argv[1]);
	return 2;
}
