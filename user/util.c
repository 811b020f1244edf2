// SPDX-License-Identifier: MIT
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t ms_interrupted;

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

int parse_u64(const char *s, uint64_t *out, const char *what, struct errbuf *e)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') {
		err_set(e, "%s: '%s' is not a non-negative integer", what, s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end) {
		err_set(e, "%s: '%s' is not a non-negative integer", what, s);
		return -1;
	}
	*out = v;
	return 0;
}

int parse_seconds(const char *s, double *out, const char *what, struct errbuf *e)
{
	char *end;
	double v, mul = 1;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		goto bad;
	if (!strcmp(end, "ms"))
		mul = 1e-3;
	else if (!strcmp(end, "us"))
		mul = 1e-6;
	else if (!strcmp(end, "s") || !*end)
		mul = 1;
	else if (!strcmp(end, "m"))
		mul = 60;
	else if (!strcmp(end, "h"))
		mul = 3600;
	else
		goto bad;
	*out = v * mul;
	return 0;
bad:
	err_set(e, "%s: '%s' is not a duration (e.g. 5, 1.5s, 200ms, 2m)", what, s ? s : "");
	return -1;
}

int parse_size(const char *s, uint64_t *out, const char *what, struct errbuf *e)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	default: goto bad;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (v && mul > UINT64_MAX / v))
		goto bad;
	*out = v * mul;
	return 0;
bad:
	err_set(e, "%s: '%s' is not a size (e.g. 512, 4k, 10M)", what, s ? s : "");
	return -1;
}

char *fmt_duration_us(char *buf, size_t n, double us)
{
	if (us < 1000)
		snprintf(buf, n, "%.0fus", us);
	else if (us < 1e6)
		snprintf(buf, n, "%.2fms", us / 1e3);
	else
		snprintf(buf, n, "%.2fs", us / 1e6);
	return buf;
}

char *fmt_count(char *buf, size_t n, double v)
{
	if (v < 1e3)
		snprintf(buf, n, "%.0f", v);
	else if (v < 1e6)
		snprintf(buf, n, "%.1fk", v / 1e3);
	else
		snprintf(buf, n, "%.2fM", v / 1e6);
	return buf;
}

char *fmt_bytes(char *buf, size_t n, double b)
{
	if (b < 1024)
		snprintf(buf, n, "%.0fB", b);
	else if (b < 1024 * 1024)
		snprintf(buf, n, "%.1fKB", b / 1024);
	else if (b < 1024.0 * 1024 * 1024)
		snprintf(buf, n, "%.1fMB", b / (1024 * 1024));
	else
		snprintf(buf, n, "%.2fGB", b / (1024.0 * 1024 * 1024));
	return buf;
}

/* The temporary file a report is written to before its rename. */
static int tmp_path(char *buf, size_t n, const char *path, struct errbuf *e)
{
	if (snprintf(buf, n, "%s.tmp.%d", path, (int)getpid()) >= (int)n) {
		err_set(e, "%s: path too long", path);
		return -1;
	}
	return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, struct errbuf *e)
{
	char tmp[4096];
	int fd;
	size_t off = 0;

	if (tmp_path(tmp, sizeof(tmp), path, e))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_set(e, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
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
		if (tmp_path(tmp, sizeof(tmp), path, e))
			return -1;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			err_set(e, "cannot write %s: %s", path, strerror(errno));
			return -1;
		}
		close(fd);
		unlink(tmp);
	}
	return 0;
}
