// SPDX-License-Identifier: MIT
/*
 * A backend's life: the gated fork into Apache's process group, the release
 * into exec, readiness (its socket accepts), and the stop.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/internal.h"
#include "base/procfs.h"

static char *const clean_env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C",
				   "PHP_INI_SCAN_DIR=", NULL };

/* In the child: wait for the gate, then exec (the errno of a failed exec
 * goes back on ex). Never returns. */
static void child(struct backend *b, int gate, int ex, pid_t parent)
{
	char go = 0, dly[32], mx[32], port[8];
	char *fpm[] = { b->bin, "-F", "-n", "-y", b->conf, NULL };
	char *up[] = { b->bin, "upstream", "--port", port, "--delay", dly, "--max-seconds", mx, NULL };
	ssize_t r;
	int fd, err;
	sigset_t none;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	fd = open(b->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	cloexec_from(3);
	do
		r = read(gate, &go, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1 || go != 'g')
		_exit(0);
	snprintf(dly, sizeof(dly), "%.6f", b->delay_s);
	snprintf(mx, sizeof(mx), "%.3f", b->max_s);
	snprintf(port, sizeof(port), "%u", b->port);
	execve(b->bin, b->kind == BACKEND_FPM ? fpm : up, clean_env);
	err = errno;
	if (write(ex, &err, sizeof(err)) < 0) {
		/* the parent reports a generic failure */
	}
	_exit(127);
}

int backend_spawn(struct backend *b, pid_t pgid, struct errbuf *e)
{
	int gate[2], ex[2];
	pid_t parent = getpid(), pid;

	if (pipe2(gate, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
		err_set(e, "pipe: %s", strerror(errno));
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
		setpgid(0, pgid);
		close(gate[1]);
		close(ex[0]);
		child(b, gate[0], ex[1], parent);
	}
	setpgid(pid, pgid); /* both sides: no race with a kill(-pgid) */
	close(gate[0]);
	close(ex[1]);
	b->pid = pid;
	b->gate_fd = gate[1];
	b->exec_fd = ex[0];
	b->started = b->stopped = b->reaped = false;
	b->exit_status = -1;
	return 0;
}

int backend_release(struct backend *b, struct errbuf *e)
{
	char go = 'g';

	if (b->pid <= 0 || b->gate_fd < 0) {
		err_set(e, "backend_release: nothing to release");
		return -1;
	}
	if (write_all(b->gate_fd, &go, 1) < 0) {
		err_set(e, "cannot release the backend's start gate: %s", strerror(errno));
		return -1;
	}
	close(b->gate_fd);
	b->gate_fd = -1;
	b->started = true;
	return 0;
}

bool backend_alive(struct backend *b)
{
	int st;
	pid_t r;

	if (b->pid <= 0 || b->reaped)
		return false;
	r = waitpid(b->pid, &st, WNOHANG);
	if (r == b->pid || (r < 0 && errno == ECHILD)) {
		b->reaped = true;
		b->exit_status = r == b->pid ? st : -1;
		return false;
	}
	return true;
}

/* Does the backend accept a connection now? */
static bool accepts(const struct backend *b)
{
	int fd = socket(b->kind == BACKEND_FPM ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	if (b->kind == BACKEND_FPM) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", b->sock);
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	} else {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(b->port) };

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	}
	close(fd);
	return ok;
}

int backend_wait_ready(struct backend *b, double timeout_s, struct errbuf *e)
{
	double deadline = now_s() + timeout_s;
	const char *what = b->kind == BACKEND_FPM ? "php-fpm" : "the upstream";
	int err = 0;

	for (;;) {
		if (b->exec_fd >= 0 && read(b->exec_fd, &err, sizeof(err)) == (ssize_t)sizeof(err)) {
			err_set(e, "cannot run %s (%s): %s", what, b->bin, strerror(err));
			return -1;
		}
		if (!backend_alive(b)) {
			char line[512];

			backend_log_error(b, line, sizeof(line));
			err_set(e, "%s exited during start-up%s%s", what, line[0] ? ": " : "", line);
			return -1;
		}
		if (accepts(b))
			return 0;
		if (sig_interrupted) {
			err_set(e, "interrupted while waiting for %s", what);
			return -1;
		}
		if (now_s() >= deadline) {
			err_set(e, "%s did not accept connections within %.0f s", what, timeout_s);
			return -1;
		}
		sleep_ms(20);
	}
}

void backend_stop(struct backend *b, double timeout_s)
{
	double deadline = now_s() + timeout_s;

	if (b->pid <= 0 || b->stopped)
		return;
	if (b->gate_fd >= 0) {
		close(b->gate_fd); /* never released: the child _exits */
		b->gate_fd = -1;
	}
	/* php-fpm's master: SIGQUIT, a graceful stop of the pool (SIGTERM
	 * would kill its processes by signal) */
	if (backend_alive(b))
		kill(b->pid, b->kind == BACKEND_FPM ? SIGQUIT : SIGTERM);
	while (backend_alive(b) && now_s() < deadline)
		sleep_ms(10);
	if (backend_alive(b))
		kill(b->pid, SIGKILL);
	if (!b->reaped) {
		int st;

		while (waitpid(b->pid, &st, 0) < 0 && errno == EINTR)
			;
		b->reaped = true;
		b->exit_status = st;
	}
	/* what the main process left (a pool process of a killed master): in
	 * Apache's process group, which apache_stop() kills, or in the
	 * backend's own (php-fpm makes itself a session leader) */
	{
		pid_t left[1];
		double until = now_s() + 5;

		while (procfs_pgid_members(b->pid, left, 1) > 0 && now_s() < until) {
			kill(-b->pid, SIGKILL);
			sleep_ms(10);
		}
	}
	if (b->exec_fd >= 0) {
		close(b->exec_fd);
		b->exec_fd = -1;
	}
	b->stopped = true;
}
