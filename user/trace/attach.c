// SPDX-License-Identifier: MIT
#include "trace/attach.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "base/procfs.h"
#include "mpmscope.h"

/* An Apache httpd: its binary answers to the usual names, or it maps an MPM
 * module or libapr-util (a renamed binary still does). */
static bool is_httpd(pid_t pid)
{
	char exe[PATH_MAX], path[64], line[512];
	const char *base;
	FILE *f;
	bool yes = false;

	if (procfs_exe(pid, exe, sizeof(exe)))
		return false;
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	if (!strcmp(base, "apache2") || !strcmp(base, "httpd"))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(path, "r")))
		return false;
	while (!yes && fgets(line, sizeof(line), f))
		yes = strstr(line, "mod_mpm_") || strstr(line, "libaprutil-1");
	fclose(f);
	return yes;
}

static void find_ports(struct attach_target *a);

struct by_comm {
	const char *comm;
	pid_t first;
	int n;
};

/* A process named comm whose parent is not: a server's parent. */
static void match_comm(pid_t p, void *ctx)
{
	struct by_comm *bc = ctx;
	char c[64], pc[64];
	pid_t pp;

	if (procfs_comm(p, c, sizeof(c)) || strcmp(c, bc->comm))
		return;
	pp = procfs_ppid(p);
	if (pp > 0 && !procfs_comm(pp, pc, sizeof(pc)) && !strcmp(pc, bc->comm))
		return;
	if (bc->n++ == 0)
		bc->first = p;
}

int attach_find(struct attach_target *a, pid_t pid, const char *comm, struct errbuf *e)
{
	memset(a, 0, sizeof(*a));
	if (!pid && comm) {
		struct by_comm bc = { .comm = comm };

		procfs_each_pid(match_comm, &bc);
		if (!bc.n) {
			err_set(e, "no process named '%s' is running", comm);
			return -1;
		}
		if (bc.n > 1) {
			err_set(e, "%d servers named '%s' are running: pick one with -p PID", bc.n, comm);
			return -1;
		}
		pid = bc.first;
	}
	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH)) {
		err_set(e, "no process %d", (int)pid);
		return -1;
	}
	if (!is_httpd(pid)) {
		char exe[PATH_MAX];

		if (procfs_exe(pid, exe, sizeof(exe)) && errno == EACCES)
			err_set(e, "cannot tell what process %d is: /proc/%d/exe is not readable (needs CAP_SYS_PTRACE)",
				(int)pid, (int)pid);
		else
			err_set(e, "process %d is not an Apache httpd", (int)pid);
		return -1;
	}
	/* a child's pid leads to its parent */
	for (pid_t pp; (pp = procfs_ppid(pid)) > 1 && is_httpd(pp);)
		pid = pp;
	a->root = pid;
	procfs_exe(pid, a->exe, sizeof(a->exe));
	procfs_comm(pid, a->comm, sizeof(a->comm));
	find_ports(a);
	return 0;
}

/* Children of root (direct descendants only: Apache's MPM children). */
static int children_of(pid_t root, pid_t *out, int max)
{
	int n = procfs_children(root, out, max);

	return n < max ? n : max;
}

static int threads_of(pid_t pid, pid_t *out, int max)
{
	int n = procfs_tids(pid, out, max);

	return n < max ? n : max;
}

static bool waits_for_connections(long nr)
{
	return nr == MS_NR_EPOLL_WAIT || nr == MS_NR_EPOLL_PWAIT || nr == MS_NR_EPOLL_PWAIT2 ||
	       nr == MS_NR_ACCEPT4 || nr == MS_NR_ACCEPT;
}

int attach_detect_mpm(struct attach_target *a, struct errbuf *e)
{
	static const char *const mods[] = { "mod_mpm_prefork.so", "mod_mpm_worker.so", "mod_mpm_event.so" };
	char path[64], line[512];
	pid_t kids[64], tids[512];
	FILE *f;
	int nk, nt;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)a->root);
	if ((f = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), f))
			for (int m = 0; m < MPM__MAX; m++)
				if (strstr(line, mods[m])) {
					fclose(f);
					a->mpm = (enum mpm)m;
					snprintf(a->mpm_how, sizeof(a->mpm_how), "%s is mapped", mods[m]);
					return 0;
				}
		fclose(f);
	}
	/* a static build: tell it by the shape of a child */
	nk = children_of(a->root, kids, 64);
	if (!nk) {
		err_set(e, "cannot tell the MPM of %d: no MPM module mapped and no child to look at", (int)a->root);
		return -1;
	}
	nt = threads_of(kids[0], tids, 512);
	if (nt <= 1) {
		a->mpm = MPM_PREFORK;
	} else {
		a->mpm = MPM_WORKER;
		for (int i = 0; i < nt; i++) {
			long nr = procfs_blocked_in(kids[0], tids[i]);

			if (nr == MS_NR_EPOLL_WAIT || nr == MS_NR_EPOLL_PWAIT || nr == MS_NR_EPOLL_PWAIT2)
				a->mpm = MPM_EVENT;
		}
	}
	snprintf(a->mpm_how, sizeof(a->mpm_how), "told by the shape of child %d (%d threads)", (int)kids[0], nt);
	return 0;
}

/* Each listening TCP socket of this network namespace: its port, inode. */
static void each_listener(void (*fn)(void *ctx, unsigned port, unsigned long inode), void *ctx)
{
	static const char *const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];

	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		FILE *f = fopen(tables[t], "r");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char local[64];
			unsigned port, st;
			unsigned long inode;

			if (sscanf(line, " %*d: %63s %*s %x %*s %*s %*s %*s %*s %lu", local, &st, &inode) != 3 || st != 0x0A)
				continue;
			if (strchr(local, ':') && sscanf(strrchr(local, ':') + 1, "%x", &port) == 1)
				fn(ctx, port, inode);
		}
		fclose(f);
	}
}

/* The socket inodes among pid's file descriptors, up to max. */
static int socket_inodes(pid_t pid, unsigned long *inodes, int max)
{
	char path[64], link[128];
	int n = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (!(d = opendir(path)))
		return 0;
	while ((de = readdir(d)) && n < max) {
		char fdpath[352];
		ssize_t r;

		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
		r = readlink(fdpath, link, sizeof(link) - 1);
		if (r <= 0)
			continue;
		link[r] = 0;
		if (sscanf(link, "socket:[%lu]", &inodes[n]) == 1)
			n++;
	}
	closedir(d);
	return n;
}

struct port_scan {
	struct attach_target *a;
	unsigned long inodes[256];
	int ninodes;
};

static void add_port(void *ctx, unsigned port, unsigned long inode)
{
	struct port_scan *ps = ctx;
	struct attach_target *a = ps->a;

	for (int i = 0; i < ps->ninodes; i++)
		if (ps->inodes[i] == inode && a->nports < ATTACH_MAX_PORTS) {
			bool dup = false;

			for (int k = 0; k < a->nports; k++)
				dup |= a->ports[k] == port;
			if (!dup)
				a->ports[a->nports++] = (uint16_t)port;
		}
}

/* Listening TCP ports among root's file descriptors. */
static void find_ports(struct attach_target *a)
{
	struct port_scan ps = { .a = a };

	ps.ninodes = socket_inodes(a->root, ps.inodes, 256);
	each_listener(add_port, &ps);
}

struct port_owner {
	unsigned port;
	unsigned long inodes[16];
	int ninodes;
	pid_t owner;
};

static void port_inode(void *ctx, unsigned port, unsigned long inode)
{
	struct port_owner *po = ctx;

	if (port == po->port && po->ninodes < 16)
		po->inodes[po->ninodes++] = inode;
}

static void holds_inode(pid_t pid, void *ctx)
{
	struct port_owner *po = ctx;
	unsigned long have[256];
	int n;

	if (po->owner || pid == getpid())
		return;
	n = socket_inodes(pid, have, 256);
	for (int i = 0; i < n && !po->owner; i++)
		for (int k = 0; k < po->ninodes; k++)
			if (have[i] == po->inodes[k])
				po->owner = pid;
}

int attach_find_port(struct attach_target *a, uint16_t port, struct errbuf *e)
{
	struct port_owner po = { .port = port };

	each_listener(port_inode, &po);
	if (!po.ninodes) {
		err_set(e, "nothing listens on port %u", port);
		return -1;
	}
	procfs_each_pid(holds_inode, &po);
	if (!po.owner) {
		err_set(e, "port %u: no process that can be seen holds its listening socket", port);
		return -1;
	}
	return attach_find(a, po.owner, NULL, e);
}

int attach_find_pidfile(struct attach_target *a, const char *path, struct errbuf *e)
{
	char buf[32], *end;
	long pid;

	if (read_small(path, buf, sizeof(buf), false) < 0) {
		err_set(e, "--pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	pid = strtol(buf, &end, 10);
	if (end == buf || pid <= 0 || pid > INT_MAX || (*end && *end != '\n')) {
		buf[strcspn(buf, "\n")] = 0;
		err_set(e, "--pidfile %s: '%.20s' is not a process id", path, buf);
		return -1;
	}
	return attach_find(a, (pid_t)pid, NULL, e);
}

/* Why an existing task is blocked, for the gauge of blocked tasks, where
 * /proc/PID/task/TID/syscall tells it as surely as the kernel side would
 * (its poll on a client socket needs the connection's state: not told);
 * -1 otherwise. */
static int blocked_reason(pid_t pid, pid_t tid, int role)
{
	unsigned long args[6];
	long nr = procfs_syscall(pid, tid, args);

	if (waits_for_connections(nr))
		return role == MS_ROLE_WORKER || role == MS_ROLE_CHILD_MAIN ? -1 : MS_OFF_WAIT_CONN;
	if (nr == MS_NR_FUTEX) {
		if ((args[1] & 127) == 6 /* FUTEX_LOCK_PI */)
			return MS_OFF_ACCEPT_MUTEX;
		return role == MS_ROLE_WORKER ? MS_OFF_IDLE_WORKER : role == MS_ROLE_LISTENER ? MS_OFF_WAIT_IDLER : -1;
	}
	if (nr == MS_NR_READ && role == MS_ROLE_CHILD_MAIN)
		return MS_OFF_POD;
	return -1;
}

static bool is_fpm(pid_t pid)
{
	char comm[32];

	return procfs_comm(pid, comm, sizeof(comm)) == 0 && !strncmp(comm, "php-fpm", 7);
}

static void fpm_master(pid_t pid, void *ctx)
{
	struct attach_target *a = ctx;

	if (a->nbackends < ATTACH_MAX_BACKENDS && is_fpm(pid) && !is_fpm(procfs_ppid(pid)))
		a->backends[a->nbackends++] = pid;
}

void attach_find_backends(struct attach_target *a)
{
	a->nbackends = 0;
	procfs_each_pid(fpm_master, a);
}

/* A php-fpm master and its pool, with their threads. */
static int seed_backend(struct attach_target *a, struct tracer *t, pid_t master, struct errbuf *e)
{
	pid_t kids[4096], tids[64];
	int nk;

	if (tracer_track_backend(t, master, MS_ROLE_FPM_MASTER, e))
		return -1;
	nk = children_of(master, kids, (int)ARRAY_SIZE(kids));
	for (int k = 0; k < nk; k++) {
		int nt = threads_of(kids[k], tids, (int)ARRAY_SIZE(tids));

		for (int i = 0; i < nt; i++)
			if (tracer_set_task(t, tids[i], kids[k], master, MS_ROLE_FPM_WORKER, -1, e))
				return -1;
		a->backend_procs++;
	}
	return 0;
}

int attach_seed(struct attach_target *a, struct tracer *t, struct errbuf *e)
{
	pid_t kids[4096], tids[1024];
	int nk;

	/* the parent first: from now on the kernel adds every task it creates */
	if (tracer_track(t, a->root, e))
		return -1;
	a->procs = 1;
	a->threads = 1;
	nk = children_of(a->root, kids, (int)ARRAY_SIZE(kids));
	for (int k = 0; k < nk; k++) {
		int nt = threads_of(kids[k], tids, (int)ARRAY_SIZE(tids));

		a->procs++;
		for (int i = 0; i < nt; i++) {
			int role;

			if (a->mpm == MPM_PREFORK)
				role = MS_ROLE_PREFORK_CHILD;
			else if (tids[i] == kids[k])
				role = MS_ROLE_CHILD_MAIN;
			else if (waits_for_connections(procfs_blocked_in(kids[k], tids[i])))
				role = MS_ROLE_LISTENER;
			else
				role = MS_ROLE_WORKER;
			if (tracer_set_task(t, tids[i], kids[k], a->root, role, blocked_reason(kids[k], tids[i], role), e))
				return -1;
			a->threads++;
		}
	}
	for (int i = 0; i < a->nports; i++)
		if (tracer_listen_port(t, a->ports[i], e))
			return -1;
	a->backend_procs = 0;
	for (int i = 0; i < a->nbackends; i++)
		if (seed_backend(a, t, a->backends[i], e))
			return -1;
	return 0;
}

int attach_open(struct attach_target *a, struct tracer_opts *to, struct tracer **t, struct errbuf *e)
{
	to->mpm = (int)a->mpm;
	to->nports = 0;
	if (a->nports <= (int)ARRAY_SIZE(to->ports)) { /* the listening ports filter sockets cheaply in the kernel */
		for (int i = 0; i < a->nports; i++)
			to->ports[i] = a->ports[i];
		to->nports = a->nports;
	}
	*t = NULL;
	if (tracer_open(t, to, e) || attach_seed(a, *t, e)) {
		tracer_close(*t);
		*t = NULL;
		return -1;
	}
	return 0;
}
