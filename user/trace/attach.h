/* SPDX-License-Identifier: MIT */
/*
 * Attaching to an Apache that mpmscope did not start: find its parent, tell
 * its MPM, and seed the tracer with every existing process and thread (with
 * their roles) and its listening ports. Tasks created afterwards are added
 * by the kernel, as for a server mpmscope starts itself.
 */
#ifndef MPMSCOPE_TRACE_ATTACH_H
#define MPMSCOPE_TRACE_ATTACH_H

#include <stdint.h>
#include <sys/types.h>

#include "base/mpm.h"
#include "trace/tracer.h"
#include "base/util.h"

#define ATTACH_MAX_PORTS 16
#define ATTACH_MAX_BACKENDS 8

struct attach_target {
	pid_t root;            /* the httpd parent */
	enum mpm mpm;
	char mpm_how[96];      /* how the MPM was told: "mod_mpm_event.so is mapped" ... */
	char exe[256];
	char comm[32];
	uint16_t ports[ATTACH_MAX_PORTS];
	int nports;
	int procs, threads;    /* seeded */
	/* php-fpm masters found on the host (attach_find_backends), seeded as
	 * backends: their pools' processes too (backend_procs) */
	pid_t backends[ATTACH_MAX_BACKENDS];
	int nbackends, backend_procs;
};

/* Find the server: by pid (a child's pid leads to its parent) or by command
 * name (-C apache2). Refuses a process that is not an Apache httpd. */
int attach_find(struct attach_target *a, pid_t pid, const char *comm, struct errbuf *e);
/* The same, by the port it listens on (the process that holds the listening
 * socket leads to its parent), or by the pid in a pid file (Apache's
 * PidFile, rewritten at each start). */
int attach_find_port(struct attach_target *a, uint16_t port, struct errbuf *e);
int attach_find_pidfile(struct attach_target *a, const char *path, struct errbuf *e);
/* Tell the MPM (before the tracer is opened: roles depend on it). */
int attach_detect_mpm(struct attach_target *a, struct errbuf *e);
/* The php-fpm masters of the host (a process named php-fpm* whose parent is
 * not one): Apache's PHP backends, as a rule; attach_seed then follows them
 * and their pools with the backend roles (fpm_master, fpm_worker), so that
 * Apache's connections to them are paired with their accepts. */
void attach_find_backends(struct attach_target *a);
/* Seed the tracer: the parent, every descendant and its threads, the ports,
 * and the backends found. */
int attach_seed(struct attach_target *a, struct tracer *t, struct errbuf *e);
/* Open the tracer for the target (its MPM, its ports as a kernel-side
 * filter) and seed it; on failure nothing is left open. */
int attach_open(struct attach_target *a, struct tracer_opts *to, struct tracer **t, struct errbuf *e);

#endif
