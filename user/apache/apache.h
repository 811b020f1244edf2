/* SPDX-License-Identifier: MIT */
/*
 * The Apache controller: a private httpd per run, under one MPM, with a
 * self-contained config in a private runtime directory. It never reads or
 * writes /etc/apache2 and never signals a server it did not start.
 *
 * Start-up is split so that the tracer can follow the server from its first
 * instruction: apache_spawn() forks a child that blocks on a pipe; the caller
 * puts that pid in the tracer's map; apache_release() lets it exec httpd.
 */
#ifndef MPMSCOPE_APACHE_APACHE_H
#define MPMSCOPE_APACHE_APACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "scenario/scenario.h"
#include "base/child.h"
#include "base/util.h"

struct apache {
	/* inputs */
	char httpd[256];       /* binary; found by apache_find() unless given */
	enum mpm mpm;
	char addr[64];         /* listen address, default "127.0.0.1" */
	uint16_t port;         /* 0: pick a free one */
	const struct scenario *sc;
	uint16_t upstream_port; /* [backend]: the upstream's loopback port (chosen by the caller) */
	/* state */
	char rundir[256];      /* /tmp/mpmscope.XXXXXX (mode 0755), removed by apache_cleanup */
	char conf[300];        /* rundir/httpd.conf */
	char errlog[300];      /* rundir/logs/error.log */
	char modules_dir[256];
	char version[64];      /* "Apache/2.4.71 (Debian)", from `httpd -v` */
	struct gated_child proc; /* the httpd parent: the gated child, then httpd after exec */
	bool stopped;
	char accesslog[300];   /* rundir/logs/access.log: "%a %{remote}p %X %k %>s %B %D \"%r\"" */
	char stderr_log[300];  /* rundir/logs/stderr.log: httpd's stdout/stderr */
	/* a->sc->tls: mod_ssl with a key and certificate made for the run
	 * (rundir/tls/, 0600), and a log of each TLS request: "%{remote}p
	 * %{SSL_PROTOCOL}x %{SSL_SESSION_RESUMED}x" (Initial or Resumed) */
	char tls_cert[300], tls_key[300], tls_log[300];
	char config_warnings[512]; /* what `httpd -t` said besides "Syntax OK" (Apache adjusting limits) */
	/* Readiness probes made by apache_wait_ready(): each connected probe is
	 * one accept() the tracer sees and one request in mod_status and the
	 * access log ("GET /server-status?auto"). Local ports of the first
	 * APACHE_MAX_PROBES ones (= the server's peer port), to exclude them. */
	unsigned probe_conns;
#define APACHE_MAX_PROBES 16
	uint16_t probe_ports[APACHE_MAX_PROBES];
};

/* Zero the struct, fds to -1, addr "127.0.0.1". Optional but recommended
 * before filling the inputs (a zeroed struct also works). */
void apache_init(struct apache *a);

/* Pids of every process still in the server's process group (the httpd
 * parent and its children; zombies excluded), up to max; returns the count
 * (may exceed max). Processes are found through /proc. */
int apache_list_procs(const struct apache *a, pid_t *pids, int max);

/* Locate httpd: explicit path (must be an executable Apache: checks `-v`),
 * else apache2 / httpd in /usr/sbin, /usr/local/apache2/bin, PATH. Also finds
 * the modules directory (mod_mpm_event.so). */
int apache_find(struct apache *a, const char *explicit_path, struct errbuf *e);

/* Make the runtime dir, write the config for a->mpm with the scenario's
 * directives, create the DocumentRoot files, and check the config with
 * `httpd -t` (its error becomes e). Checks the port is free. Returns 0, -1
 * on error, 1 when a module refused the server in its pre-configuration
 * (AH00013: mod_php under a threaded MPM): Apache's own verdict, in e. */
int apache_prepare(struct apache *a, struct errbuf *e);

/* Fork the gated child (own process group, parent-death signal SIGTERM,
 * scenario rlimits applied to it only). Returns its pid in a->pid.
 * The parent-death signal follows the calling THREAD: call it from the main
 * thread (or one that outlives the server). */
int apache_spawn(struct apache *a, struct errbuf *e);

/* Release the gate: the child execs httpd -DFOREGROUND. */
int apache_release(struct apache *a, struct errbuf *e);

/* Wait until GET / answers (any HTTP status) or the server exits or timeout.
 * On failure e holds Apache's own error (config error or error-log tail). */
int apache_wait_ready(struct apache *a, double timeout_s, struct errbuf *e);

/* Is the httpd parent still alive? */
bool apache_alive(struct apache *a);

/* How the httpd parent ended, once apache_alive() said it is gone:
 * "killed by signal 9 (Killed)", "exited with status 1"... */
void apache_describe_exit(const struct apache *a, char *buf, size_t n);

/* Stop: SIGTERM to the parent, wait up to timeout for it to reap its children,
 * then SIGKILL the whole process group; reap. Safe to call twice.
 * Returns 0 if it stopped by itself, 1 if SIGKILL was needed. */
int apache_stop(struct apache *a, double timeout_s);

/* Remove the runtime dir. Safe to call twice. */
void apache_cleanup(struct apache *a);

/* Last n lines of the error log into buf (for reports). */
void apache_errlog_tail(struct apache *a, char *buf, size_t len, int n);

/* Remove runtime dirs left by mpmscope processes that no longer exist
 * (a previous run killed with SIGKILL). */
void apache_sweep_stale(void);

#endif
