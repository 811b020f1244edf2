// SPDX-License-Identifier: MIT
/*
 * Running the server: the gated fork, the release into exec, the readiness
 * probes, and the stop that leaves nothing behind.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apache/apache.h"
#include "apache/internal.h"
#include "base/child.h"
#include "base/procfs.h"
#include "base/util.h"

int apache_list_procs(const struct apache *a, pid_t *pids, int max)
{
	return a->proc.pid > 0 ? procfs_pgid_members(a->proc.pid, pids, max) : 0;
}

/* ---- spawn, release, wait ------------------------------------------------------------------- */


/* In the child, before the gate: the scenario's address-space limit
 * (memory-limit), on httpd alone. */
static int limit_as(void *ctx)
{
	const struct apache *a = ctx;
	struct rlimit rl;

	if (!a->sc || !a->sc->rlimit_as_kb)
		return 0;
	rl.rlim_cur = rl.rlim_max = (rlim_t)a->sc->rlimit_as_kb * 1024;
	return setrlimit(RLIMIT_AS, &rl) < 0 ? errno : 0;
}

int apache_spawn(struct apache *a, struct errbuf *e)
{
	char *argv[] = { a->httpd, "-f", a->conf, "-d", a->rundir, "-DFOREGROUND", NULL };
	/* stdout/stderr: start-up errors before ErrorLog is open */
	struct gated_spec s = { .path = a->httpd, .argv = argv, .envp = apache_clean_env, .log = a->stderr_log,
				.truncate_log = true, .prepare = limit_as, .ctx = a };

	apache_fix_defaults(a);
	if (a->proc.pid > 0) {
		err_set(e, "apache_spawn: already spawned");
		return -1;
	}
	if (!a->rundir[0]) {
		err_set(e, "apache_spawn: apache_prepare() first");
		return -1;
	}
	if (gated_spawn(&a->proc, &s, e))
		return -1;
	a->stopped = false;
	a->probe_conns = 0;
	return 0;
}

int apache_release(struct apache *a, struct errbuf *e)
{
	return gated_release(&a->proc, "httpd", e);
}

bool apache_alive(struct apache *a)
{
	return gated_alive(&a->proc);
}

void apache_describe_status(int st, char *buf, size_t n)
{
	if (st == -1)
		snprintf(buf, n, "exited");
	else if (WIFEXITED(st))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, n, "stopped");
}

void apache_describe_exit(const struct apache *a, char *buf, size_t n)
{
	if (!a->proc.reaped)
		snprintf(buf, n, "still running");
	else
		apache_describe_status(a->proc.exit_status, buf, n);
}

/* The telling error line from error.log, else from stderr.log. */
static void startup_error(const struct apache *a, char *out, size_t n)
{
	char text[16384];

	/* stderr.log only holds what httpd said before it opened ErrorLog: first */
	out[0] = 0;
	if (read_small(a->stderr_log, text, sizeof(text), true) > 0)
		apache_first_error(a, text, out, n);
	if (!out[0] && read_small(a->errlog, text, sizeof(text), true) > 0)
		apache_first_error(a, text, out, n);
}

/* One readiness probe: connect, GET /server-status?auto, read the status line.
 * 1 = answered, 0 = not yet (refused / no answer), records the local port. */
static int probe(struct apache *a, int timeout_ms)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai;
	char port[8], buf[256];
	static const char req[] = "GET /server-status?auto HTTP/1.0\r\nHost: localhost\r\n"
				  "User-Agent: mpmscope-readiness-probe\r\n\r\n";
	struct pollfd pf;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, rc = 0, soerr = 0;
	size_t got = 0;
	double deadline = now_s() + timeout_ms / 1000.0;

	snprintf(port, sizeof(port), "%u", a->port);
	if (getaddrinfo(a->addr, port, &hints, &ai))
		return 0;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return 0;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		goto out;
	pf = (struct pollfd){ fd, POLLOUT, 0 };
	if (poll(&pf, 1, timeout_ms) <= 0)
		goto out;
	sl = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr)
		goto out;
	/* connected: the server's kernel has (or will have) an accept for this one */
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		uint16_t lp = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							     : ((struct sockaddr_in *)&ss)->sin_port);

		if (a->probe_conns < APACHE_MAX_PROBES)
			a->probe_ports[a->probe_conns] = lp;
		a->probe_conns++;
	}
	if (a->sc && a->sc->tls) {
		ssize_t n = apache_tls_exchange(fd, req, sizeof(req) - 1, buf, sizeof(buf) - 1, deadline);

		if (n < 12)
			goto out;
		got = (size_t)n;
		goto answered;
	}
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
		goto out;
	while (got < 12) {
		double left = deadline - now_s();
		ssize_t r;

		pf = (struct pollfd){ fd, POLLIN, 0 };
		if (left <= 0 || poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
			goto out;
		r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
answered:
	buf[got] = 0;
	if (!strncmp(buf, "HTTP/1.", 7))
		rc = 1;
out:
	close(fd);
	freeaddrinfo(ai);
	return rc;
}

int apache_wait_ready(struct apache *a, double timeout_s, struct errbuf *e)
{
	double deadline = now_s() + timeout_s;
	char why[600], how[64];
	int err;

	if (a->proc.pid <= 0 || !a->proc.started) {
		err_set(e, "apache_wait_ready: not started");
		return -1;
	}
	for (;;) {
		err = gated_exec_error(&a->proc);
		if (err) {
			apache_alive(a); /* reap if already gone */
			if (a->sc && a->sc->rlimit_as_kb && err != ENOENT && err != EACCES)
				err_set(e, "cannot start %s (address-space limit %llu KiB): %s", a->httpd,
					(unsigned long long)a->sc->rlimit_as_kb, strerror(err));
			else
				err_set(e, "cannot exec %s: %s", a->httpd, strerror(err));
			return -1;
		}
		if (!apache_alive(a)) {
			apache_describe_status(a->proc.exit_status, how, sizeof(how));
			startup_error(a, why, sizeof(why));
			if (why[0])
				err_set(e, "apache exited during start-up: %s", why);
			else
				err_set(e, "apache exited during start-up (%s); see %s", how, a->errlog);
			return -1;
		}
		if (probe(a, 1000))
			return 0;
		if (sig_interrupted) {
			err_set(e, "interrupted while waiting for apache");
			return -1;
		}
		if (now_s() >= deadline) {
			startup_error(a, why, sizeof(why));
			err_set(e, "apache did not answer on %s:%u within %.0f s%s%s", a->addr, a->port, timeout_s,
				why[0] ? ": " : "", why);
			return -1;
		}
		sleep_ms(20);
	}
}

/* ---- stop, cleanup -------------------------------------------------------------------------- */

static bool wait_exit(struct apache *a, double timeout_s)
{
	double deadline = now_s() + timeout_s;

	while (apache_alive(a)) {
		if (now_s() >= deadline)
			return false;
		sleep_ms(10);
	}
	return true;
}

int apache_stop(struct apache *a, double timeout_s)
{
	int rc = 0;

	if (a->proc.pid <= 0 || a->stopped)
		return 0;
	if (!a->proc.started) {
		gated_abort(&a->proc); /* the gate never opened: the child _exits */
		if (!wait_exit(a, timeout_s > 1 ? timeout_s : 1)) {
			kill(a->proc.pid, SIGKILL);
			rc = 1;
		}
	} else if (apache_alive(a)) {
		kill(a->proc.pid, SIGTERM); /* httpd's "stop": the parent kills its children and exits */
		if (!wait_exit(a, timeout_s)) {
			kill(-a->proc.pid, SIGKILL);
			rc = 1;
		}
	}
	/* whatever is left in the process group */
	gated_finish(&a->proc, 5);
	a->stopped = true;
	return rc;
}

