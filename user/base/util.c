// SPDX-License-Identifier: MIT
#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

volatile sig_atomic_t sig_interrupted;

void err_set(struct errbuf *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

static void oom(void)
{
	static const char m[] = "mpmscope: out of memory\n";

	if (write(2, m, sizeof(m) - 1) < 0) {
		/* nothing more we can do */
	}
	_exit(70);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

void vec_init(struct vec *v, size_t item)
{
	memset(v, 0, sizeof(*v));
	v->item = item;
}

void *vec_push(struct vec *v)
{
	void *slot;

	if (v->len == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->data = xrealloc(v->data, v->cap * v->item);
	}
	slot = (char *)v->data + v->len * v->item;
	memset(slot, 0, v->item);
	v->len++;
	return slot;
}

void vec_free(struct vec *v)
{
	free(v->data);
	v->data = NULL;
	v->len = v->cap = 0;
}

/* Open the temporary file a report is written to before its rename
 * ("<path>.tmp.<pid>", into tmp): the fd, or -1 with e set. */
static int open_tmp(const char *path, char *tmp, size_t n, int flags, struct errbuf *e)
{
	int fd;

	if (snprintf(tmp, n, "%s.tmp.%d", path, (int)getpid()) >= (int)n) {
		err_set(e, "%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	if (fd < 0)
		err_set(e, "cannot write %s: %s", path, strerror(errno));
	return fd;
}

static int document_fd = -1; /* the real stdout, once stdout_for_document() kept it */

int stdout_for_document(struct errbuf *e)
{
	if (document_fd >= 0)
		return 0;
	fflush(stdout);
	document_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (document_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		err_set(e, "cannot keep standard output for the document: %s", strerror(errno));
		return -1;
	}
	return 0;
}

FILE *stdout_document_stream(struct errbuf *e)
{
	FILE *f;
	int fd;

	if (stdout_for_document(e))
		return NULL;
	fd = fcntl(document_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err_set(e, "cannot write to standard output: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return f;
}

static int write_stdout(const char *data, size_t len, struct errbuf *e)
{
	fflush(stdout);
	if (write_all(document_fd >= 0 ? document_fd : STDOUT_FILENO, data, len) < 0) {
		err_set(e, "cannot write to standard output: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, struct errbuf *e)
{
	char tmp[4096];
	int fd;

	if (!strcmp(path, "-"))
		return write_stdout(data, len, e);

	fd = open_tmp(path, tmp, sizeof(tmp), O_TRUNC, e);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	err_set(e, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int check_writable(const char *path, struct errbuf *e)
{
	char dir[PATH_MAX];
	char *slash;

	if (!strcmp(path, "-"))
		return 0;
	if (strlen(path) >= sizeof(dir)) {
		err_set(e, "%s: path too long", path);
		return -1;
	}
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	if (access(dir, W_OK) < 0) {
		err_set(e, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	/* access() says yes to root for any writable mount, even when the
	 * "directory" is a file (/etc/passwd/x.json) or a pseudo file system
	 * (/proc): create and remove the very temporary file the report will
	 * be written to, so that a run of minutes never ends on this error. */
	{
		struct stat st;
		char tmp[PATH_MAX + 32];
		int fd;

		if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
			err_set(e, "cannot write %s: %s", path, strerror(EISDIR));
			return -1;
		}
		fd = open_tmp(path, tmp, sizeof(tmp), O_EXCL, e);
		if (fd < 0)
			return -1;
		close(fd);
		unlink(tmp);
	}
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

ssize_t read_small(const char *path, char *buf, size_t len, bool tail)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	if (fd < 0 || len == 0)
		return fd < 0 ? -1 : 0;
	if (tail) {
		off_t sz = lseek(fd, 0, SEEK_END);

		if (sz > (off_t)(len - 1))
			lseek(fd, sz - (off_t)(len - 1), SEEK_SET);
		else
			lseek(fd, 0, SEEK_SET);
	}
	while ((size_t)n < len - 1) {
		ssize_t r = read(fd, buf + n, len - 1 - (size_t)n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	buf[n] = 0;
	close(fd);
	return n;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* close_range(2) since 5.11, /proc/self/fd before */
void cloexec_from(int lowfd)
{
	DIR *d;
	struct dirent *de;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (fd >= lowfd && fd != dirfd(d))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}
