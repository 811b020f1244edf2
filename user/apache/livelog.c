// SPDX-License-Identifier: MIT
#include "apache/livelog.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define LINE_MAX_BYTES 8192
#define READ_MAX_BYTES (4u << 20) /* per file and poll: a burst is read over several polls */

struct logfile {
	dev_t dev;
	ino_t ino;
	off_t off;
	int fdnum;               /* the server's descriptor it was last seen under */
	char path[256];          /* what the descriptor names */
	enum livelog_kind kind;  /* decided from its first line */
	bool seen;               /* still open by the server at the last look */
	char part[LINE_MAX_BYTES]; /* a line not yet ended */
	size_t npart;
};

struct livelog {
	pid_t pid;
	bool started;            /* the first look: files start at their end */
	struct logfile f[LIVELOG_MAX_FILES];
	int n;
};

/* Is the server's descriptor fd a file it appends to (a log)? */
static bool appended(pid_t pid, int fd)
{
	char path[64], buf[256];
	unsigned long flags = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	if (!(f = fopen(path, "r")))
		return false;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "flags: %lo", &flags) == 1)
			break;
	fclose(f);
	return (flags & O_APPEND) && (flags & (O_WRONLY | O_RDWR));
}

static struct logfile *find(struct livelog *l, dev_t dev, ino_t ino)
{
	for (int i = 0; i < l->n; i++)
		if (l->f[i].dev == dev && l->f[i].ino == ino)
			return &l->f[i];
	return NULL;
}

static enum livelog_kind kind_of(const char *line);

/* What the last complete line of a log says it is (error or access log). */
static enum livelog_kind last_line_kind(const char *path, off_t size)
{
	char buf[LINE_MAX_BYTES + 1];
	off_t from = size > LINE_MAX_BYTES ? size - LINE_MAX_BYTES : 0;
	ssize_t r;
	char *end, *start;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return LIVELOG_OTHER;
	r = pread(fd, buf, LINE_MAX_BYTES, from);
	close(fd);
	if (r <= 0)
		return LIVELOG_OTHER;
	buf[r] = 0;
	end = strrchr(buf, '\n');
	if (!end)
		return LIVELOG_OTHER;
	*end = 0;
	start = strrchr(buf, '\n');
	return kind_of(start ? start + 1 : buf);
}

/* Look at the server's descriptors: new log files join, closed ones go. */
static void rescan(struct livelog *l)
{
	char dir[64], fdpath[320], link[256];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)l->pid);
	for (int i = 0; i < l->n; i++)
		l->f[i].seen = false;
	if ((d = opendir(dir))) {
		while ((de = readdir(d))) {
			int fd = atoi(de->d_name);
			struct logfile *lf;
			struct stat st;
			ssize_t r;

			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			snprintf(fdpath, sizeof(fdpath), "%s/%s", dir, de->d_name);
			r = readlink(fdpath, link, sizeof(link) - 1);
			if (r <= 0 || link[0] != '/' || !strncmp(link, "/dev/", 5))
				continue;
			link[r] = 0;
			if (stat(fdpath, &st) || !S_ISREG(st.st_mode) || !appended(l->pid, fd))
				continue;
			if (!(lf = find(l, st.st_dev, st.st_ino))) {
				if (l->n == LIVELOG_MAX_FILES)
					continue;
				lf = &l->f[l->n++];
				memset(lf, 0, sizeof(*lf));
				lf->dev = st.st_dev;
				lf->ino = st.st_ino;
				/* Apache makes its ErrorLog its stderr */
				lf->kind = fd == 2 ? LIVELOG_ERROR : last_line_kind(fdpath, st.st_size);
				/* at attach, only what comes from now on; a file
				 * opened later (a rotation) from its start */
				lf->off = l->started ? 0 : st.st_size;
			}
			lf->fdnum = fd;
			lf->seen = true;
			snprintf(lf->path, sizeof(lf->path), "%s", link);
		}
		closedir(d);
	}
	for (int i = 0; i < l->n;)
		if (!l->f[i].seen)
			l->f[i] = l->f[--l->n];
		else
			i++;
	l->started = true;
}

struct livelog *livelog_open(pid_t server)
{
	struct livelog *l = xcalloc(1, sizeof(*l));

	l->pid = server;
	rescan(l);
	return l;
}

static enum livelog_kind kind_of(const char *line)
{
	if (line[0] == '[' && strstr(line, "] ["))
		return LIVELOG_ERROR;
	return livelog_status(line) ? LIVELOG_ACCESS : LIVELOG_OTHER;
}

static void one_line(struct logfile *lf, char *line, void (*on_line)(void *, enum livelog_kind, const char *), void *ctx)
{
	if (lf->kind == LIVELOG_OTHER)
		lf->kind = kind_of(line);
	on_line(ctx, lf->kind == LIVELOG_OTHER ? kind_of(line) : lf->kind, line);
}

static void read_new(struct livelog *l, struct logfile *lf, void (*on_line)(void *, enum livelog_kind, const char *),
		     void *ctx)
{
	char path[64], buf[65536];
	size_t total = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)l->pid, lf->fdnum);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	while (total < READ_MAX_BYTES) {
		ssize_t r = pread(fd, buf, sizeof(buf), lf->off);

		if (r <= 0)
			break;
		lf->off += r;
		total += (size_t)r;
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				if (lf->npart < sizeof(lf->part) - 1)
					lf->part[lf->npart++] = buf[i];
				continue;
			}
			lf->part[lf->npart] = 0;
			one_line(lf, lf->part, on_line, ctx);
			lf->npart = 0;
		}
	}
	close(fd);
}

void livelog_poll(struct livelog *l, void (*on_line)(void *ctx, enum livelog_kind kind, const char *line), void *ctx)
{
	rescan(l);
	for (int i = 0; i < l->n; i++)
		read_new(l, &l->f[i], on_line, ctx);
}

void livelog_describe(const struct livelog *l, char *buf, size_t n)
{
	static const char *const what[] = { "error log", "access log", "log" };
	int u = 0;

	buf[0] = 0;
	for (int i = 0; i < l->n && u >= 0 && (size_t)u < n; i++)
		u += snprintf(buf + u, n - (size_t)u, "%s%s %s", i ? ", " : "", what[l->f[i].kind], l->f[i].path);
	if (!l->n)
		snprintf(buf, n, "none found (a piped logger, syslog, or no log open)");
}

void livelog_close(struct livelog *l)
{
	free(l);
}

unsigned livelog_status(const char *line)
{
	/* %h %l %u %t "%r" %>s ...: the first quoted string, then a status */
	const char *q = strchr(line, '"'), *e;

	if (!q || !(e = strstr(q + 1, "\" ")))
		return 0;
	e += 2;
	if (!isdigit((unsigned char)e[0]) || !isdigit((unsigned char)e[1]) || !isdigit((unsigned char)e[2]) ||
	    (e[3] && e[3] != ' '))
		return 0;
	return (unsigned)((e[0] - '0') * 100 + (e[1] - '0') * 10 + (e[2] - '0'));
}
