/* SPDX-License-Identifier: MIT */
/*
 * A child started in two steps, so that it is followed from its first
 * instruction: gated_spawn() forks it and holds it at a gate (a pipe), the
 * caller puts its pid in the tracer's map, gated_release() lets it exec. The
 * errno of a failed exec comes back on a close-on-exec pipe. What it runs is
 * the caller's: httpd (apache/), php-fpm or the upstream (backend/).
 */
#ifndef MPMSCOPE_BASE_CHILD_H
#define MPMSCOPE_BASE_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/util.h"

struct gated_child {
	pid_t pid;       /* the gated child, then the program after exec; 0 none */
	int gate_fd;     /* write end of the gate, until released */
	int exec_fd;     /* read end of the exec pipe, until the exec's outcome is known */
	bool started;    /* released */
	bool reaped;     /* waited for */
	int exit_status; /* its wait status once reaped (-1 unknown) */
};

struct gated_spec {
	const char *path;     /* what to exec */
	char *const *argv;
	char *const *envp;
	pid_t pgid;           /* its process group; 0: one of its own */
	const char *log;      /* stdout and stderr (stdin is /dev/null) */
	bool truncate_log;
	/* in the child, before the gate: 0, or an errno that fails the start
	 * (reported like a failed exec) */
	int (*prepare)(void *ctx);
	void *ctx;
};

/* No child: pid 0, fds -1. A zeroed struct is fixed by gated_spawn(). */
void gated_init(struct gated_child *c);
/* Fork the child, held at the gate: its signals default and unblocked, it
 * dies with mpmscope (PR_SET_PDEATHSIG), no fd of mpmscope's open across
 * the exec. */
int gated_spawn(struct gated_child *c, const struct gated_spec *s, struct errbuf *e);
/* Let it exec; what: its name in the error. */
int gated_release(struct gated_child *c, const char *what, struct errbuf *e);
/* Close the gate of a child never released: it _exits. */
void gated_abort(struct gated_child *c);
/* The errno of its failed exec once it came (0: not yet, or the exec
 * happened). Does not block once released. */
int gated_exec_error(struct gated_child *c);
/* Is it alive? Reaps it when not. */
bool gated_alive(struct gated_child *c);
/* Wait for it, whatever signal comes (after a kill). */
void gated_reap(struct gated_child *c);
/* SIGKILL its process group (its pid's) until no member is left, for up
 * to timeout_s, reaping it; then wait for it and close the fds. */
void gated_finish(struct gated_child *c, double timeout_s);

#endif
