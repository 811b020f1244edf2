// SPDX-License-Identifier: MIT
#include "base/procfs.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/util.h"

static bool numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int procfs_stat(pid_t pid, struct proc_stat *st)
{
	char path[64], buf[1024], *p;
	int ppid, pgrp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf), false) <= 0)
		return -1;
	/* the comm field may hold spaces and parentheses: skip to the last ')' */
	p = strrchr(buf, ')');
	memset(st, 0, sizeof(*st));
	/* after ") " comes field 3 (state); starttime is field 22 */
	if (!p || sscanf(p + 2, "%c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &st->state, &ppid, &pgrp, &st->starttime) != 4)
		return -1;
	st->ppid = (pid_t)ppid;
	st->pgrp = (pid_t)pgrp;
	return 0;
}

pid_t procfs_ppid(pid_t pid)
{
	struct proc_stat st;

	return procfs_stat(pid, &st) ? -1 : st.ppid;
}

int procfs_comm(pid_t pid, char *buf, size_t n)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_small(path, buf, n, false) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int procfs_exe(pid_t pid, char *buf, size_t n)
{
	char path[64];
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	r = readlink(path, buf, n - 1);
	if (r < 0)
		return -1;
	buf[r] = 0;
	return 0;
}

int procfs_threads(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

void procfs_each_pid(void (*fn)(pid_t pid, void *ctx), void *ctx)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (numeric(de->d_name))
			fn((pid_t)atoi(de->d_name), ctx);
	closedir(d);
}

struct collect {
	pid_t *out;
	int max, n;
	pid_t key;
	bool by_pgid;
};

static void collect_one(pid_t pid, void *ctx)
{
	struct collect *c = ctx;
	struct proc_stat st;

	if (procfs_stat(pid, &st))
		return;
	if (c->by_pgid ? st.pgrp != c->key || st.state == 'Z' || st.state == 'X' : st.ppid != c->key)
		return;
	if (c->n < c->max)
		c->out[c->n] = pid;
	c->n++;
}

int procfs_children(pid_t ppid, pid_t *out, int max)
{
	struct collect c = { .out = out, .max = max, .key = ppid };

	procfs_each_pid(collect_one, &c);
	return c.n;
}

int procfs_pgid_members(pid_t pgid, pid_t *out, int max)
{
	struct collect c = { .out = out, .max = max, .key = pgid, .by_pgid = true };

	if (pgid <= 0)
		return 0;
	procfs_each_pid(collect_one, &c);
	return c.n;
}

int procfs_tids(pid_t pid, pid_t *out, int max)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return 0;
	while ((de = readdir(d)))
		if (numeric(de->d_name)) {
			if (n < max)
				out[n] = (pid_t)atoi(de->d_name);
			n++;
		}
	closedir(d);
	return n;
}

long procfs_blocked_in(pid_t pid, pid_t tid)
{
	unsigned long args[6];

	return procfs_syscall(pid, tid, args);
}

long procfs_syscall(pid_t pid, pid_t tid, unsigned long args[6])
{
	char path[96], buf[256];
	long nr;
	int n;

	memset(args, 0, 6 * sizeof(args[0]));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	if (read_small(path, buf, sizeof(buf), false) <= 0 || !isdigit((unsigned char)buf[0]))
		return -1;
	n = sscanf(buf, "%ld %lx %lx %lx %lx %lx %lx", &nr, &args[0], &args[1], &args[2], &args[3], &args[4], &args[5]);
	return n >= 1 ? nr : -1;
}

int procfs_self_stats(struct procfs_self *out)
{
	char buf[1024], *p;
	unsigned long long utime, stime, start, vsize, btime = 0;
	long long rss;
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	struct dirent *de;
	DIR *d;
	FILE *f;

	memset(out, 0, sizeof(*out));
	if (read_small("/proc/self/stat", buf, sizeof(buf), false) <= 0 || !(p = strrchr(buf, ')')))
		return -1;
	/* after "pid (comm)": state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
		   &utime, &stime, &start, &vsize, &rss) != 5)
		return -1;
	if ((f = fopen("/proc/stat", "r"))) {
		while (fgets(buf, sizeof(buf), f))
			if (sscanf(buf, "btime %llu", &btime) == 1)
				break;
		fclose(f);
	}
	out->cpu_s = (double)(utime + stime) / (double)tick;
	out->start_s = (double)btime + (double)start / (double)tick;
	out->vsize = vsize;
	out->rss = rss > 0 ? (unsigned long long)rss * (unsigned long long)page : 0;
	if ((d = opendir("/proc/self/fd"))) {
		while ((de = readdir(d)))
			out->fds += isdigit((unsigned char)de->d_name[0]) != 0;
		closedir(d);
		out->fds--; /* the one opendir holds */
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		out->max_fds = rl.rlim_cur;
	return 0;
}

int procfs_capeff(unsigned long long *eff)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int rc = -1;

	*eff = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", eff) == 1) {
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

long long procfs_number(const char *path, long long dflt)
{
	char buf[64], *end;
	long long v;

	if (read_small(path, buf, sizeof(buf), false) <= 0)
		return dflt;
	v = strtoll(buf, &end, 10);
	return end == buf ? dflt : v;
}

int procfs_cpu_times(struct procfs_cpu *out)
{
	unsigned long long v[8] = { 0 };
	double ns_per_tick = 1e9 / (double)sysconf(_SC_CLK_TCK);
	char buf[512];

	memset(out, 0, sizeof(*out));
	if (read_small("/proc/stat", buf, sizeof(buf), false) <= 0 ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &v[6], &v[7]) < 4)
		return -1;
	out->ncpu = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	out->user_ns = (unsigned long long)((double)(v[0] + v[1]) * ns_per_tick);
	out->system_ns = (unsigned long long)((double)v[2] * ns_per_tick);
	out->irq_ns = (unsigned long long)((double)(v[5] + v[6]) * ns_per_tick);
	out->idle_ns = (unsigned long long)((double)(v[3] + v[4]) * ns_per_tick);
	out->steal_ns = (unsigned long long)((double)v[7] * ns_per_tick);
	return 0;
}
