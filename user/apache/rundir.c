// SPDX-License-Identifier: MIT
/*
 * Runtime directories: removing ours, reading the error log's tail, and
 * sweeping the directories (and servers) of mpmscope processes that died.
 */
#include <dirent.h>
#include <ftw.h>
#include <glob.h>
#include <time.h>
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

unsigned long long apache_starttime(pid_t pid)
{
	struct proc_stat st;

	return procfs_stat(pid, &st) ? 0 : st.starttime;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	if (remove(path) < 0 && errno != ENOENT) {
		/* keep going: remove as much as possible */
	}
	return 0;
}

static void rm_rundir(const char *dir)
{
	if (strncmp(dir, RUNDIR_PREFIX, strlen(RUNDIR_PREFIX)) || strstr(dir, ".."))
		return; /* never anything but our own directories */
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

void apache_cleanup(struct apache *a)
{
	if (a->proc.pid > 0 && !a->stopped)
		apache_stop(a, 5);
	if (a->rundir[0])
		rm_rundir(a->rundir);
	a->rundir[0] = 0;
}

void apache_errlog_tail(struct apache *a, char *buf, size_t len, int n)
{
	char text[32768];
	ssize_t l;
	const char *start;
	int lines = 0;

	if (!len)
		return;
	buf[0] = 0;
	l = read_small(a->errlog, text, sizeof(text), true);
	if (l <= 0)
		l = read_small(a->stderr_log, text, sizeof(text), true);
	if (l <= 0 || n <= 0)
		return;
	while (l > 0 && text[l - 1] == '\n')
		text[--l] = 0;
	start = text + l;
	while (start > text) {
		if (start[-1] == '\n' && ++lines == n)
			break;
		start--;
	}
	snprintf(buf, len, "%s", start);
}

/* Is /proc/PID an httpd started on this runtime dir? (its cmdline has "-d DIR") */
static bool proc_uses_rundir(pid_t pid, const char *dir)
{
	char path[64], cmd[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_small(path, cmd, sizeof(cmd), false);
	for (ssize_t i = 0; i + 3 < n; i += (ssize_t)strlen(cmd + i) + 1)
		if (!strcmp(cmd + i, "-d") && !strcmp(cmd + i + 3, dir))
			return true;
	return false;
}

void apache_sweep_stale(void)
{
	glob_t g;

	if (glob(RUNDIR_PREFIX "*", GLOB_NOSORT | GLOB_ONLYDIR, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *dir = g.gl_pathv[i];
		char path[400], buf[128];
		struct stat st;
		int pid = 0;
		unsigned long long start = 0;
		DIR *d;
		struct dirent *de;

		if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		snprintf(path, sizeof(path), "%s/owner", dir);
		if (read_small(path, buf, sizeof(buf), false) > 0 && sscanf(buf, "%d %llu", &pid, &start) >= 1 && pid > 0) {
			if (kill(pid, 0) == 0 || errno != ESRCH) {
				unsigned long long now = apache_starttime(pid);

				if (!start || now == start)
					continue; /* its owner is alive */
			}
		} else if (time(NULL) - st.st_mtime < 600) {
			continue; /* no owner file yet: maybe being created right now */
		}
		/* owner gone: kill any httpd still serving from this dir */
		if ((d = opendir("/proc"))) {
			while ((de = readdir(d))) {
				char *end;
				long p = strtol(de->d_name, &end, 10);

				if (!*end && p > 0 && proc_uses_rundir((pid_t)p, dir))
					kill((pid_t)p, SIGKILL);
			}
			closedir(d);
		}
		rm_rundir(dir);
	}
	globfree(&g);
}
