// SPDX-License-Identifier: MIT
/*
 * A backend's life: the gated fork into Apache's process group, the release
 * into exec, readiness (its socket accepts), and the stop.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
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

int backend_spawn(struct backend *b, pid_t pgid, struct errbuf *e)
{
	char dly[32], mx[32], port[8];
	char *fpm[] = { b->bin, "-F", "-n", "-y", b->conf, NULL };
	char *up[] = { b->bin, "upstream", "--port", port, "--delay", dly, "--max-seconds", mx, NULL };
	/* the child has its copy of this stack frame: the arguments stay */
	struct gated_spec s = { .path = b->bin, .argv = b->kind == BACKEND_FPM ? fpm : up, .envp = clean_env,
				.pgid = pgid, .log = b->log };

	snprintf(dly, sizeof(dly), "%.6f", b->delay_s);
	snprintf(mx, sizeof(mx), "%.3f", b->max_s);
	snprintf(port, sizeof(port), "%u", b->port);
	return gated_spawn(&b->proc, &s, e);
}

int backend_release(struct backend *b, struct errbuf *e)
{
	return gated_release(&b->proc, b->kind == BACKEND_FPM ? "php-fpm" : "the upstream", e);
}

bool backend_alive(struct backend *b)
{
	return gated_alive(&b->proc);
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
		if ((err = gated_exec_error(&b->proc))) {
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

	if (b->proc.pid <= 0 || b->stopped)
		return;
	gated_abort(&b->proc); /* never released: the child _exits */
	/* php-fpm's master: SIGQUIT, a graceful stop of the pool (SIGTERM
	 * would kill its processes by signal) */
	if (backend_alive(b))
		kill(b->proc.pid, b->kind == BACKEND_FPM ? SIGQUIT : SIGTERM);
	while (backend_alive(b) && now_s() < deadline)
		sleep_ms(10);
	if (backend_alive(b))
		kill(b->proc.pid, SIGKILL);
	/* what the main process left (a pool process of a killed master): in
	 * Apache's process group, which apache_stop() kills, or in the
	 * backend's own (php-fpm makes itself a session leader) */
	gated_finish(&b->proc, 5);
	b->stopped = true;
}
