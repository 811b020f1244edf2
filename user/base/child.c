// SPDX-License-Identifier: MIT
#include "base/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/procfs.h"

void gated_init(struct gated_child *c)
{
	memset(c, 0, sizeof(*c));
	c->gate_fd = c->exec_fd = -1;
	c->exit_status = -1;
}

static void report_errno(int fd, int err)
{
	if (write(fd, &err, sizeof(err)) < 0) {
		/* the parent reports a generic failure */
	}
}

/* In the child: never returns. */
static void child(const struct gated_spec *s, int gate, int ex, pid_t parent)
{
	sigset_t none;
	char go = 0;
	ssize_t r;
	int fd, err;

	setpgid(0, s->pgid);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0); /* mpmscope died before the prctl */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | (s->truncate_log ? O_TRUNC : 0), 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	/* nothing else of mpmscope's (BPF fds, sockets) may leak into it */
	cloexec_from(3);
	if (s->prepare && (err = s->prepare(s->ctx))) {
		report_errno(ex, err);
		_exit(127);
	}
	do
		r = read(gate, &go, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1 || go != 'g')
		_exit(0); /* aborted: the gate closed without a go */
	execve(s->path, s->argv, s->envp);
	report_errno(ex, errno);
	_exit(127);
}

int gated_spawn(struct gated_child *c, const struct gated_spec *s, struct errbuf *e)
{
	int gate[2], ex[2];
	pid_t parent = getpid(), pid;

	if (c->pid <= 0)
		gated_init(c); /* a zeroed struct has fd 0 in its fd fields */
	if (c->pid > 0) {
		err_set(e, "%s: already started", s->path);
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
		close(gate[1]);
		close(ex[0]);
		child(s, gate[0], ex[1], parent);
	}
	setpgid(pid, s->pgid); /* both sides set it: no race with a kill(-pgid) */
	close(gate[0]);
	close(ex[1]);
	c->pid = pid;
	c->gate_fd = gate[1];
	c->exec_fd = ex[0];
	return 0;
}

int gated_release(struct gated_child *c, const char *what, struct errbuf *e)
{
	char go = 'g';

	if (c->pid <= 0 || c->gate_fd < 0 || c->started) {
		err_set(e, "%s: nothing to release", what);
		return -1;
	}
	if (write_all(c->gate_fd, &go, 1) < 0) {
		err_set(e, "cannot release %s's start gate: %s", what, strerror(errno));
		return -1;
	}
	close(c->gate_fd);
	c->gate_fd = -1;
	c->started = true;
	return 0;
}

void gated_abort(struct gated_child *c)
{
	if (c->gate_fd >= 0) {
		close(c->gate_fd);
		c->gate_fd = -1;
	}
}

int gated_exec_error(struct gated_child *c)
{
	ssize_t r;
	int err = 0;

	/* before the release the child may still be preparing: a read would
	 * wait for the gate */
	if (c->exec_fd < 0 || !c->started)
		return 0;
	do
		r = read(c->exec_fd, &err, sizeof(err));
	while (r < 0 && errno == EINTR);
	/* its errno, or end of file: the exec closed the pipe */
	close(c->exec_fd);
	c->exec_fd = -1;
	return r == (ssize_t)sizeof(err) ? err : 0;
}

bool gated_alive(struct gated_child *c)
{
	int st;
	pid_t r;

	if (c->pid <= 0 || c->reaped)
		return false;
	r = waitpid(c->pid, &st, WNOHANG);
	if (r == c->pid || (r < 0 && errno == ECHILD)) {
		c->reaped = true;
		c->exit_status = r == c->pid ? st : -1;
		return false;
	}
	return true;
}

void gated_reap(struct gated_child *c)
{
	int st;
	pid_t r;

	if (c->pid <= 0 || c->reaped)
		return;
	while ((r = waitpid(c->pid, &st, 0)) < 0 && errno == EINTR)
		;
	c->reaped = true;
	c->exit_status = r == c->pid ? st : -1;
}

void gated_finish(struct gated_child *c, double timeout_s)
{
	double deadline = now_s() + timeout_s;
	pid_t left[1];

	gated_abort(c);
	if (c->pid > 0)
		while (procfs_pgid_members(c->pid, left, 1) > 0 && now_s() < deadline) {
			kill(-c->pid, SIGKILL);
			gated_alive(c);
			sleep_ms(10);
		}
	gated_reap(c);
	if (c->exec_fd >= 0) {
		close(c->exec_fd);
		c->exec_fd = -1;
	}
}
