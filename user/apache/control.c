// SPDX-License-Identifier: MIT
/*
 * Running the server: the gated fork, the release into exec, the readiness
 * probes, and the stop that leaves nothing behind.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
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
#include "base/procfs.h"
#include "base/util.h"

int apache_list_procs(const struct apache *a, pid_t *pids, int max)
{
	return a->pid > 0 ? procfs_pgid_members(a->pid, pids, max) : 0;
}

/* ---- spawn, release, wait ------------------------------------------------------------------- */


int apache_spawn(struct apache *a, struct errbuf *e)
{
	int gate[2], ex[2];
	pid_t parent = getpid(), pid;

	apache_fix_fds(a);
	if (a->pid > 0) {
		err_set(e, "apache_spawn: already spawned");
		return -1;
	}
	if (!a->rundir[0]) {
		err_set(e, "apache_spawn: apache_prepare() first");
		return -1;
	}
	if (pipe2(gate, O_CLOEXEC) < 0) {
		err_set(e, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(ex, O_CLOEXEC) < 0) {
		err_set(e, "pipe: %s", strerror(errno));
		close(gate[0]);
		close(gate[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		err_set(e, "fork: %s", strerror(errno));
		close(gate[0]);
		close(gate[1]);
		close(ex[0]);
		close(ex[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t all;
		char go = 0;
		ssize_t r;
		int fd, err;
		char *argv[] = { a->httpd, "-f", a->conf, "-d", a->rundir, "-DFOREGROUND", NULL };

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		close(gate[1]);
		close(ex[0]);
		/* stdin from /dev/null; stdout/stderr (start-up errors before
		 * ErrorLog is open) into logs/stderr.log */
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
		fd = open(a->stderr_log, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		/* nothing else of mpmscope's (BPF fds, sockets) may leak into httpd */
		cloexec_from(3);
		if (a->sc && a->sc->rlimit_as_kb) {
			struct rlimit rl;

			rl.rlim_cur = rl.rlim_max = (rlim_t)a->sc->rlimit_as_kb * 1024;
			if (setrlimit(RLIMIT_AS, &rl) < 0) {
				err = errno;
				if (write(ex[1], &err, sizeof(err)) < 0) {
					/* the parent reports a generic failure */
				}
				_exit(127);
			}
		}
		do
			r = read(gate[0], &go, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1 || go != 'g')
			_exit(0); /* aborted: the gate closed without a go */
		close(gate[0]);
		execve(a->httpd, argv, apache_clean_env);
		err = errno;
		if (write(ex[1], &err, sizeof(err)) < 0) {
			/* nothing more to do */
		}
		_exit(127);
	}
	setpgid(pid, pid); /* both sides set it: no race with a kill(-pid) */
	close(gate[0]);
	close(ex[1]);
	a->pid = pid;
	a->gate_fd = gate[1];
	a->exec_fd = ex[0];
	a->started = a->stopped = a->reaped = false;
	a->probe_conns = 0;
	return 0;
}

int apache_release(struct apache *a, struct errbuf *e)
{
	char go = 'g';

	if (a->pid <= 0 || a->gate_fd < 0 || a->started) {
		err_set(e, "apache_release: nothing to release");
		return -1;
	}
	if (write_all(a->gate_fd, &go, 1) < 0) {
		err_set(e, "cannot release the httpd start gate: %s", strerror(errno));
		return -1;
	}
	close(a->gate_fd);
	a->gate_fd = -1;
	a->started = true;
	return 0;
}

bool apache_alive(struct apache *a)
{
	int st;
	pid_t r;

	if (a->pid <= 0 || a->reaped)
		return false;
	r = waitpid(a->pid, &st, WNOHANG);
	if (r == a->pid || (r < 0 && errno == ECHILD)) {
		a->reaped = true;
		a->exit_status = r == a->pid ? st : -1;
		return false;
	}
	return true;
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
	if (!a->reaped)
		snprintf(buf, n, "still running");
	else
		apache_describe_status(a->exit_status, buf, n);
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

	if (a->pid <= 0 || !a->started) {
		err_set(e, "apache_wait_ready: not started");
		return -1;
	}
	for (;;) {
		if (a->exec_fd >= 0) {
			int err;
			ssize_t r = read(a->exec_fd, &err, sizeof(err));

			if (r == (ssize_t)sizeof(err)) {
				close(a->exec_fd);
				a->exec_fd = -1;
				apache_alive(a); /* reap if already gone */
				if (a->sc && a->sc->rlimit_as_kb && err != ENOENT && err != EACCES)
					err_set(e, "cannot start %s (address-space limit %llu KiB): %s", a->httpd,
						(unsigned long long)a->sc->rlimit_as_kb, strerror(err));
				else
					err_set(e, "cannot exec %s: %s", a->httpd, strerror(err));
				return -1;
			}
			if (r == 0) { /* exec happened: the CLOEXEC pipe closed */
				close(a->exec_fd);
				a->exec_fd = -1;
			}
		}
		if (!apache_alive(a)) {
			apache_describe_status(a->exit_status, how, sizeof(how));
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

/* Kill whatever is left in the process group and wait until it is gone. */
static void kill_group(struct apache *a)
{
	pid_t pids[1];
	double deadline = now_s() + 5;

	if (a->pid <= 0)
		return;
	while (apache_list_procs(a, pids, 1) > 0 && now_s() < deadline) {
		kill(-a->pid, SIGKILL);
		apache_alive(a);
		sleep_ms(10);
	}
}

int apache_stop(struct apache *a, double timeout_s)
{
	int rc = 0;

	if (a->pid <= 0 || a->stopped)
		return 0;
	if (!a->started) {
		/* gate never opened: closing it makes the child _exit(0) */
		if (a->gate_fd >= 0) {
			close(a->gate_fd);
			a->gate_fd = -1;
		}
		if (!wait_exit(a, timeout_s > 1 ? timeout_s : 1)) {
			kill(a->pid, SIGKILL);
			rc = 1;
		}
	} else if (apache_alive(a)) {
		kill(a->pid, SIGTERM); /* httpd's "stop": the parent kills its children and exits */
		if (!wait_exit(a, timeout_s)) {
			kill(-a->pid, SIGKILL);
			rc = 1;
		}
	}
	kill_group(a);
	if (!a->reaped) {
		int st;

		while (waitpid(a->pid, &st, 0) < 0 && errno == EINTR)
			;
		a->reaped = true;
		a->exit_status = st;
	}
	if (a->exec_fd >= 0) {
		close(a->exec_fd);
		a->exec_fd = -1;
	}
	a->stopped = true;
	return rc;
}

