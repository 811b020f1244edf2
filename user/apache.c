// SPDX-License-Identifier: MIT
/*
 * The Apache controller: one private httpd per run (see apache.h).
 *
 * Runtime directory /tmp/mpmscope.XXXXXX (0755: the children run as www-data):
 *   owner        "PID STARTTIME" of the mpmscope that made it (apache_sweep_stale)
 *   httpd.conf   self-contained: nothing is read from /etc/apache2
 *   htdocs/      the scenario's files (0644)
 *   logs/        error.log, access.log, stderr.log (httpd's stdout/stderr)
 *   run/         PidFile, DefaultRuntimeDir
 *
 * httpd always runs with a clean environment (PATH, LANG=C) so Debian's
 * APACHE_CONFDIR / APACHE_RUN_* variables can never leak in, and with -f and -d
 * absolute paths. The access log records, per request, the peer address and
 * port, %X (connection status after the response: X aborted, + keep-alive,
 * - closed), %k (keep-alive requests on the connection), status, bytes, the
 * time taken in us and the request line: an oracle to join with the tracer.
 */
#include "apache.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNDIR_PREFIX "/tmp/mpmscope."

static char *const clean_env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				   "LANG=C", NULL };

void apache_init(struct apache *a)
{
	memset(a, 0, sizeof(*a));
	a->gate_fd = -1;
	a->exec_fd = -1;
	snprintf(a->addr, sizeof(a->addr), "127.0.0.1");
}

static void fix_fds(struct apache *a)
{
	/* A zeroed struct apache (no apache_init) has fd 0 in its fd fields. */
	if (a->pid <= 0) {
		a->gate_fd = -1;
		a->exec_fd = -1;
	}
	if (!a->addr[0])
		snprintf(a->addr, sizeof(a->addr), "127.0.0.1");
}

/* ---- small helpers ---------------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
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

static int write_text(const char *path, const char *text, size_t len, mode_t mode, struct errbuf *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0 || write_all(fd, text, len) < 0 || fchmod(fd, mode) < 0) {
		err_set(e, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		err_set(e, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Whole small file into buf (NUL-terminated, truncated to the last len-1 bytes
 * when tail is set). Returns bytes, -1 on error. */
static ssize_t read_small(const char *path, char *buf, size_t len, bool tail)
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

static double now_s(void)
{
	return (double)now_ns() / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Start time of a process (field 22 of /proc/PID/stat), 0 if gone. */
static unsigned long long proc_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf), false) <= 0)
		return 0;
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* after ") " comes field 3 (state); starttime is field 22 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &st) != 1)
		return 0;
	return st;
}

/* Process group of a live pid from /proc (-1 if gone or a zombie). */
static pid_t proc_pgid(pid_t pid)
{
	char path[64], buf[1024], *p, state;
	int pgrp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf), false) <= 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c %*d %d", &state, &pgrp) != 2 || state == 'Z' || state == 'X')
		return -1;
	return pgrp;
}

int apache_list_procs(const struct apache *a, pid_t *pids, int max)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (a->pid <= 0 || !(d = opendir("/proc")))
		return 0;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (proc_pgid((pid_t)pid) == a->pid) {
			if (n < max)
				pids[n] = (pid_t)pid;
			n++;
		}
	}
	closedir(d);
	return n;
}

/* Run argv with a clean environment, stdout+stderr captured into out. Returns
 * the wait status, or -1 if it could not run. Kills it after timeout_s. */
static int run_capture(char *const argv[], char *out, size_t outlen, double timeout_s)
{
	int pfd[2], status = -1;
	size_t n = 0;
	pid_t pid;
	double deadline = now_s() + timeout_s;

	if (outlen)
		out[0] = 0;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execve(argv[0], argv, clean_env);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd pf = { pfd[0], POLLIN, 0 };
		double left = deadline - now_s();
		char tmp[4096];
		ssize_t r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		r = read(pfd[0], tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (outlen && n < outlen - 1) {
			size_t c = (size_t)r < outlen - 1 - n ? (size_t)r : outlen - 1 - n;

			memcpy(out + n, tmp, c);
			n += c;
			out[n] = 0;
		}
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* ---- apache_find ---------------------------------------------------------------------- */

/* Is path an Apache httpd? Fills version ("Apache/2.4.71 (Debian)") if so. */
static bool is_apache(const char *path, char *version, size_t vlen)
{
	char out[2048];
	const char *v;
	char *argv[] = { (char *)path, "-v", NULL };
	int st;
	struct stat sb;

	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode) || access(path, X_OK) < 0)
		return false;
	st = run_capture(argv, out, sizeof(out), 10);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || !(v = strstr(out, "Server version: Apache/")))
		return false;
	v += strlen("Server version: ");
	snprintf(version, vlen, "%.*s", (int)strcspn(v, "\r\n"), v);
	return true;
}

static int find_modules(struct apache *a, struct errbuf *e)
{
	static const char *const fixed[] = { "/usr/lib/apache2/modules", "/usr/lib64/httpd/modules",
					     "/usr/lib/httpd/modules", "/usr/local/apache2/modules" };
	char derived[200] = "", so[320];
	const char *slash = strrchr(a->httpd, '/');

	/* an upstream build: PREFIX/bin/httpd -> PREFIX/modules */
	if (slash && slash > a->httpd && slash - a->httpd < 180)
		snprintf(derived, sizeof(derived), "%.*s/../modules", (int)(slash - a->httpd), a->httpd);
	for (size_t i = 0; i <= ARRAY_SIZE(fixed); i++) {
		const char *dir = i < ARRAY_SIZE(fixed) ? fixed[i] : derived;

		if (!*dir || strlen(dir) >= 200)
			continue;
		snprintf(so, sizeof(so), "%.200s/mod_mpm_%s.so", dir, mpm_name(a->mpm));
		if (!access(so, R_OK)) {
			snprintf(a->modules_dir, sizeof(a->modules_dir), "%.200s", dir);
			return 0;
		}
	}
	err_set(e, "no Apache modules directory with mod_mpm_%s.so (looked in /usr/lib/apache2/modules, "
		   "/usr/lib64/httpd/modules, /usr/lib/httpd/modules, /usr/local/apache2/modules)",
		mpm_name(a->mpm));
	return -1;
}

int apache_find(struct apache *a, const char *explicit_path, struct errbuf *e)
{
	static const char *const fixed[] = { "/usr/sbin/apache2", "/usr/sbin/httpd", "/usr/local/apache2/bin/httpd",
					     "/usr/local/apache2/bin/apache2" };
	char cand[sizeof(a->httpd)];

	fix_fds(a);
	if ((unsigned)a->mpm >= MPM__MAX) {
		err_set(e, "bad MPM");
		return -1;
	}
	if (explicit_path && *explicit_path) {
		if (strlen(explicit_path) >= sizeof(a->httpd)) {
			err_set(e, "httpd path too long: %s", explicit_path);
			return -1;
		}
		if (access(explicit_path, F_OK) < 0) {
			err_set(e, "%s: %s", explicit_path, strerror(errno));
			return -1;
		}
		if (!is_apache(explicit_path, a->version, sizeof(a->version))) {
			err_set(e, "%s is not an Apache httpd binary", explicit_path);
			return -1;
		}
		snprintf(a->httpd, sizeof(a->httpd), "%s", explicit_path);
		return find_modules(a, e);
	}
	a->httpd[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(fixed) && !a->httpd[0]; i++)
		if (is_apache(fixed[i], a->version, sizeof(a->version)))
			snprintf(a->httpd, sizeof(a->httpd), "%s", fixed[i]);
	if (!a->httpd[0]) {
		const char *path = getenv("PATH");

		while (path && *path && !a->httpd[0]) {
			size_t l = strcspn(path, ":");
			static const char *const names[] = { "apache2", "httpd" };

			for (size_t i = 0; i < ARRAY_SIZE(names) && l && !a->httpd[0]; i++) {
				if (l + strlen(names[i]) + 2 > sizeof(cand) || path[0] != '/')
					continue;
				snprintf(cand, sizeof(cand), "%.*s/%s", (int)l, path, names[i]);
				if (is_apache(cand, a->version, sizeof(a->version)))
					strcpy(a->httpd, cand);
			}
			path += l;
			if (*path == ':')
				path++;
		}
	}
	if (!a->httpd[0]) {
		err_set(e, "apache httpd not found (install apache2-bin or pass --httpd PATH)");
		return -1;
	}
	return find_modules(a, e);
}

/* ---- apache_prepare ----------------------------------------------------------------------- */

static int check_port(struct apache *a, struct errbuf *e)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai;
	char port[8];
	int fd, one = 1;

	snprintf(port, sizeof(port), "%u", a->port);
	if (getaddrinfo(a->addr, port, &hints, &ai)) {
		err_set(e, "bad listen address '%s' (a numeric IPv4 or IPv6 address)", a->addr);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(e, "socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	/* Apache sets SO_REUSEADDR too: TIME_WAIT leftovers do not count as "in use". */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		int err = errno;

		close(fd);
		freeaddrinfo(ai);
		if (err == EADDRINUSE)
			err_set(e, "port %s:%u is already in use", a->addr, a->port);
		else
			err_set(e, "cannot bind %s:%u: %s", a->addr, a->port, strerror(err));
		return -1;
	}
	if (!a->port) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			a->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
								 : ((struct sockaddr_in *)&ss)->sin_port);
	}
	close(fd);
	freeaddrinfo(ai);
	return 0;
}

static int write_filler(const char *path, uint64_t size, struct errbuf *e)
{
	static const char line[] = "mpmscope filler: 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVW\n";
	char *chunk = xmalloc(65536);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

	for (size_t i = 0; i < 65536; i++)
		chunk[i] = line[i % (sizeof(line) - 1)];
	if (fd < 0)
		goto fail;
	while (size) {
		size_t c = size < 65536 ? (size_t)size : 65536;

		if (write_all(fd, chunk, c) < 0)
			goto fail;
		size -= c;
	}
	if (fchmod(fd, 0644) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	free(chunk);
	return 0;
fail:
	err_set(e, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(chunk);
	return -1;
}

struct sbuf {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)(n > 0 ? n : 0) + 256;
		b->p = xrealloc(b->p, b->cap);
	}
	b->len += (size_t)n;
}

static void emit_directive(struct sbuf *b, const struct sc_directive *d)
{
	sb_printf(b, "%s %s\n", d->name, d->value);
}

static void build_config(struct apache *a, struct sbuf *b)
{
	const struct scenario *sc = a->sc;
	const char *m = mpm_name(a->mpm), *user = NULL, *group = NULL;
	const char *r = a->rundir, *md = a->modules_dir;
	bool v6 = strchr(a->addr, ':') != NULL;

	if (geteuid() == 0) {
		user = getpwnam("www-data") ? "www-data" : "nobody";
		group = getgrnam("www-data") ? "www-data" : getgrnam("nogroup") ? "nogroup" : "nobody";
	}
	sb_printf(b, "# Written by mpmscope for one run; removed afterwards. Nothing from /etc/apache2.\n");
	sb_printf(b, "ServerRoot \"%s\"\n", r);
	sb_printf(b, "Listen %s%s%s:%u\n", v6 ? "[" : "", a->addr, v6 ? "]" : "", a->port);
	sb_printf(b, "PidFile \"%s/run/httpd.pid\"\n", r);
	sb_printf(b, "DefaultRuntimeDir \"%s/run\"\n", r);
	sb_printf(b, "ErrorLog \"%s\"\n", a->errlog);
	sb_printf(b, "LogLevel warn mpm_%s:info\n", m);
	sb_printf(b, "LoadModule mpm_%s_module \"%s/mod_mpm_%s.so\"\n", m, md, m);
	sb_printf(b, "LoadModule authz_core_module \"%s/mod_authz_core.so\"\n", md);
	sb_printf(b, "LoadModule authz_host_module \"%s/mod_authz_host.so\"\n", md);
	sb_printf(b, "LoadModule mime_module \"%s/mod_mime.so\"\n", md);
	sb_printf(b, "LoadModule dir_module \"%s/mod_dir.so\"\n", md);
	sb_printf(b, "LoadModule status_module \"%s/mod_status.so\"\n", md);
	if (user)
		sb_printf(b, "User %s\nGroup %s\n", user, group);
	sb_printf(b, "ServerName %s\n", v6 ? "localhost" : a->addr);
	sb_printf(b, "ServerTokens Prod\n");
	sb_printf(b, "HostnameLookups Off\n");
	sb_printf(b, "TypesConfig /dev/null\n");
	sb_printf(b, "AddType text/html .html .htm\nAddType text/plain .txt\nAddType application/octet-stream .bin\n");
	sb_printf(b, "DocumentRoot \"%s/htdocs\"\n", r);
	sb_printf(b, "<Directory />\n    AllowOverride None\n    Require all denied\n</Directory>\n");
	sb_printf(b, "<Directory \"%s/htdocs\">\n    Options None\n    AllowOverride None\n    Require all granted\n</Directory>\n", r);
	sb_printf(b, "DirectoryIndex index.html\n");
	/* peer address and port, %X connection status, %k keep-alive count, status, bytes, us */
	sb_printf(b, "LogFormat \"%%a %%{remote}p %%X %%k %%>s %%B %%D \\\"%%r\\\"\" mpmscope\n");
	sb_printf(b, "CustomLog \"%s\" mpmscope\n", a->accesslog);
	sb_printf(b, "ExtendedStatus On\n");
	sb_printf(b, "<Location \"/server-status\">\n    SetHandler server-status\n    Require local\n</Location>\n");
	if (!sc)
		return;
	sb_printf(b, "# scenario %s: [server]\n", sc->name);
	for (int i = 0; i < sc->ncommon; i++) {
		const struct sc_directive *d = &sc->common[i];
		const char *eff = scenario_directive(sc, a->mpm, d->name);

		/* skipped if the MPM lacks it or its own section overrides it */
		if (eff == d->value)
			emit_directive(b, d);
	}
	sb_printf(b, "# scenario %s: [%s]\n", sc->name, m);
	for (int i = 0; i < sc->nmpm[a->mpm]; i++)
		emit_directive(b, &sc->mpm[a->mpm][i]);
}

/* Apache's error log / stderr line: "[date] [mod:level] [pid N] (98)Err: AH00072: text"
 * -> "AH00072: text (Err)". Returns the level in *lvl (or ""). */
static void clean_log_line(const char *in, char *out, size_t n, char *lvl, size_t lvln)
{
	const char *p = in;
	char errtext[128] = "";

	if (lvl && lvln)
		lvl[0] = 0;
	while (*p == '[') {
		const char *q = strchr(p, ']');
		const char *colon;

		if (!q)
			break;
		colon = memchr(p, ':', (size_t)(q - p));
		if (lvl && colon && !memchr(p, ' ', (size_t)(q - p)) && (size_t)(q - colon - 1) < lvln) {
			memcpy(lvl, colon + 1, (size_t)(q - colon - 1));
			lvl[q - colon - 1] = 0;
		}
		p = q + 1;
		while (*p == ' ')
			p++;
	}
	if (*p == '(') { /* (98)Address already in use: ... */
		const char *q = strchr(p, ')'), *c = q ? strstr(q, ": ") : NULL;

		if (q && c && c - q < (long)sizeof(errtext)) {
			snprintf(errtext, sizeof(errtext), "%.*s", (int)(c - q - 1), q + 1);
			p = c + 2;
		}
	}
	if (errtext[0])
		snprintf(out, n, "%s (%s)", p, errtext);
	else
		snprintf(out, n, "%s", p);
}

static bool severe(const char *lvl)
{
	return !strcmp(lvl, "emerg") || !strcmp(lvl, "alert") || !strcmp(lvl, "crit") || !strcmp(lvl, "error");
}

/* The most telling line of httpd's output: the first emerg/alert/crit/error
 * line, else the last non-empty line. For `httpd -t` output, "Syntax error on
 * line N of F:" is joined with the next line and with line N of our config. */
static void first_error(const struct apache *a, const char *text, char *out, size_t n)
{
	char line[1024], best[1024] = "", last[1024] = "", lvl[32];
	const char *p = text;

	while (*p) {
		size_t l = strcspn(p, "\n");
		unsigned lineno;

		snprintf(line, sizeof(line), "%.*s", (int)(l < sizeof(line) ? l : sizeof(line) - 1), p);
		p += l;
		if (*p)
			p++;
		if (!line[0] || !strcmp(line, "Syntax OK"))
			continue;
		if (sscanf(line, "AH00526: Syntax error on line %u of", &lineno) == 1) {
			char next[512], conf[8192], cline[256] = "";
			size_t nl = strcspn(p, "\n");
			const char *c = conf;

			snprintf(next, sizeof(next), "%.*s", (int)(nl < sizeof(next) ? nl : sizeof(next) - 1), p);
			if (read_small(a->conf, conf, sizeof(conf), false) > 0) {
				for (unsigned i = 1; i < lineno && *c; i++) {
					c = strchr(c, '\n');
					c = c ? c + 1 : "";
				}
				snprintf(cline, sizeof(cline), "%.*s", (int)strcspn(c, "\n"), c);
			}
			if (cline[0])
				snprintf(out, n, "'%s': %s", cline, next);
			else
				snprintf(out, n, "line %u: %s", lineno, next);
			return;
		}
		clean_log_line(line, last, sizeof(last), lvl, sizeof(lvl));
		/* error-log lines carry a level; httpd's bare stderr lines (before
		 * ErrorLog is open) do not: those count unless they are warnings */
		if (!best[0] && (lvl[0] ? severe(lvl) : !strstr(last, "WARNING")))
			snprintf(best, sizeof(best), "%s", last);
	}
	snprintf(out, n, "%s", best[0] ? best : last);
}

static int mkdir_in(const char *dir, const char *sub, mode_t mode, struct errbuf *e)
{
	char p[400];

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	if (mkdir(p, mode) < 0 || chmod(p, mode) < 0) {
		err_set(e, "cannot create %s: %s", p, strerror(errno));
		return -1;
	}
	return 0;
}

int apache_prepare(struct apache *a, struct errbuf *e)
{
	char path[400], owner[64], out[8192], line[512];
	struct sbuf b = { 0 };
	int st;

	fix_fds(a);
	if (a->pid > 0 && !a->stopped) {
		err_set(e, "apache_prepare: the previous server is still running");
		return -1;
	}
	if (a->rundir[0])
		apache_cleanup(a);
	/* a struct apache may be reused after stop + cleanup */
	a->pid = 0;
	a->gate_fd = a->exec_fd = -1;
	a->started = a->stopped = a->reaped = false;
	a->exit_status = -1;
	a->probe_conns = 0;
	memset(a->probe_ports, 0, sizeof(a->probe_ports));
	if (!a->httpd[0] || !a->modules_dir[0]) {
		err_set(e, "apache_prepare: apache_find() first");
		return -1;
	}
	/* apache_find() may have run for another MPM (a copied struct apache) */
	snprintf(path, sizeof(path), "%.250s/mod_mpm_%s.so", a->modules_dir, mpm_name(a->mpm));
	if (access(path, R_OK) < 0 && find_modules(a, e) < 0)
		return -1;
	if (check_port(a, e) < 0)
		return -1;
	snprintf(a->rundir, sizeof(a->rundir), RUNDIR_PREFIX "XXXXXX");
	if (!mkdtemp(a->rundir)) {
		err_set(e, "cannot create a directory in /tmp: %s", strerror(errno));
		a->rundir[0] = 0;
		return -1;
	}
	if (chmod(a->rundir, 0755) < 0) {
		err_set(e, "chmod %s: %s", a->rundir, strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/owner", a->rundir);
	snprintf(owner, sizeof(owner), "%d %llu\n", (int)getpid(), proc_starttime(getpid()));
	if (write_text(path, owner, strlen(owner), 0644, e) < 0)
		goto fail;
	if (mkdir_in(a->rundir, "htdocs", 0755, e) || mkdir_in(a->rundir, "logs", 0755, e) ||
	    mkdir_in(a->rundir, "run", 0755, e))
		goto fail;
	snprintf(a->conf, sizeof(a->conf), "%s/httpd.conf", a->rundir);
	snprintf(a->errlog, sizeof(a->errlog), "%s/logs/error.log", a->rundir);
	snprintf(a->accesslog, sizeof(a->accesslog), "%s/logs/access.log", a->rundir);
	snprintf(a->stderr_log, sizeof(a->stderr_log), "%s/logs/stderr.log", a->rundir);

	if (a->sc) {
		for (int i = 0; i < a->sc->nfiles; i++) {
			const struct sc_file *f = &a->sc->files[i];

			snprintf(path, sizeof(path), "%s/htdocs/%s", a->rundir, f->name);
			if (f->content ? write_text(path, f->content, strlen(f->content), 0644, e)
				       : write_filler(path, f->size, e))
				goto fail;
		}
	}
	build_config(a, &b);
	st = write_text(a->conf, b.p, b.len, 0644, e);
	free(b.p);
	if (st < 0)
		goto fail;

	{
		char *argv[] = { a->httpd, "-t", "-f", a->conf, "-d", a->rundir, NULL };

		st = run_capture(argv, out, sizeof(out), 30);
	}
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		first_error(a, out, line, sizeof(line));
		err_set(e, "apache config error: %s", line[0] ? line : "httpd -t failed");
		goto fail;
	}
	/* keep the start-up warnings (Apache adjusts inconsistent limits and says so) */
	a->config_warnings[0] = 0;
	for (const char *p = out; *p;) {
		size_t l = strcspn(p, "\n"), have = strlen(a->config_warnings);

		if (l && strncmp(p, "Syntax OK", 9) && have + l + 2 < sizeof(a->config_warnings))
			snprintf(a->config_warnings + have, sizeof(a->config_warnings) - have, "%s%.*s",
				 have ? "\n" : "", (int)l, p);
		p += l;
		if (*p)
			p++;
	}
	return 0;
fail:
	apache_cleanup(a);
	return -1;
}

/* ---- spawn, release, wait ------------------------------------------------------------------- */

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Mark every fd >= lowfd close-on-exec (the gate pipes are already). */
static void cloexec_from(int lowfd)
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

int apache_spawn(struct apache *a, struct errbuf *e)
{
	int gate[2], ex[2];
	pid_t parent = getpid(), pid;

	fix_fds(a);
	if (a->pid > 0) {
		err_set(e, "apache_spawn: already spawned");
		return -1;
	}
	if (!a->rundir[0]) {
		err_set(e, "apache_spawn: apache_prepare() first");
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
		sigset_t all;
		char go = 0;
		ssize_t r;
		int fd, err;
		char *argv[] = { a->httpd, "-f", a->conf, "-d", a->rundir, "-DFOREGROUND", NULL };

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		close(gate[1]);
		close(ex[0]);
		/* stdin from /dev/null; stdout/stderr (start-up errors before
		 * ErrorLog is open) into logs/stderr.log */
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
		fd = open(a->stderr_log, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		/* nothing else of mpmscope's (BPF fds, sockets) may leak into httpd */
		cloexec_from(3);
		if (a->sc && a->sc->rlimit_as_kb) {
			struct rlimit rl;

			rl.rlim_cur = rl.rlim_max = (rlim_t)a->sc->rlimit_as_kb * 1024;
			if (setrlimit(RLIMIT_AS, &rl) < 0) {
				err = errno;
				if (write(ex[1], &err, sizeof(err)) < 0) {
					/* the parent reports a generic failure */
				}
				_exit(127);
			}
		}
		do
			r = read(gate[0], &go, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1 || go != 'g')
			_exit(0); /* aborted: the gate closed without a go */
		close(gate[0]);
		execve(a->httpd, argv, clean_env);
		err = errno;
		if (write(ex[1], &err, sizeof(err)) < 0) {
			/* nothing more to do */
		}
		_exit(127);
	}
	setpgid(pid, pid); /* both sides set it: no race with a kill(-pid) */
	close(gate[0]);
	close(ex[1]);
	a->pid = pid;
	a->gate_fd = gate[1];
	a->exec_fd = ex[0];
	a->started = a->stopped = a->reaped = false;
	a->probe_conns = 0;
	return 0;
}

int apache_release(struct apache *a, struct errbuf *e)
{
	char go = 'g';

	if (a->pid <= 0 || a->gate_fd < 0 || a->started) {
		err_set(e, "apache_release: nothing to release");
		return -1;
	}
	if (write_all(a->gate_fd, &go, 1) < 0) {
		err_set(e, "cannot release the httpd start gate: %s", strerror(errno));
		return -1;
	}
	close(a->gate_fd);
	a->gate_fd = -1;
	a->started = true;
	return 0;
}

bool apache_alive(struct apache *a)
{
	int st;
	pid_t r;

	if (a->pid <= 0 || a->reaped)
		return false;
	r = waitpid(a->pid, &st, WNOHANG);
	if (r == a->pid || (r < 0 && errno == ECHILD)) {
		a->reaped = true;
		a->exit_status = r == a->pid ? st : -1;
		return false;
	}
	return true;
}

static void describe_status(int st, char *buf, size_t n)
{
	if (st == -1)
		snprintf(buf, n, "exited");
	else if (WIFEXITED(st))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, n, "stopped");
}

void apache_describe_exit(const struct apache *a, char *buf, size_t n)
{
	if (!a->reaped)
		snprintf(buf, n, "still running");
	else
		describe_status(a->exit_status, buf, n);
}

/* The telling error line from error.log, else from stderr.log. */
static void startup_error(const struct apache *a, char *out, size_t n)
{
	char text[16384];

	/* stderr.log only holds what httpd said before it opened ErrorLog: first */
	out[0] = 0;
	if (read_small(a->stderr_log, text, sizeof(text), true) > 0)
		first_error(a, text, out, n);
	if (!out[0] && read_small(a->errlog, text, sizeof(text), true) > 0)
		first_error(a, text, out, n);
}

/* One readiness probe: connect, GET /server-status?auto, read the status line.
 * 1 = answered, 0 = not yet (refused / no answer), records the local port. */
static int probe(struct apache *a, int timeout_ms)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai;
	char port[8], buf[256];
	static const char req[] = "GET /server-status?auto HTTP/1.0\r\nHost: localhost\r\n"
				  "User-Agent: mpmscope-readiness-probe\r\n\r\n";
	struct pollfd pf;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, rc = 0, soerr = 0;
	size_t got = 0;
	double deadline = now_s() + timeout_ms / 1000.0;

	snprintf(port, sizeof(port), "%u", a->port);
	if (getaddrinfo(a->addr, port, &hints, &ai))
		return 0;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return 0;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		goto out;
	pf = (struct pollfd){ fd, POLLOUT, 0 };
	if (poll(&pf, 1, timeout_ms) <= 0)
		goto out;
	sl = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr)
		goto out;
	/* connected: the server's kernel has (or will have) an accept for this one */
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		uint16_t lp = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							     : ((struct sockaddr_in *)&ss)->sin_port);

		if (a->probe_conns < APACHE_MAX_PROBES)
			a->probe_ports[a->probe_conns] = lp;
		a->probe_conns++;
	}
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
		goto out;
	while (got < 12) {
		double left = deadline - now_s();
		ssize_t r;

		pf = (struct pollfd){ fd, POLLIN, 0 };
		if (left <= 0 || poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
			goto out;
		r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	buf[got] = 0;
	if (!strncmp(buf, "HTTP/1.", 7))
		rc = 1;
out:
	close(fd);
	freeaddrinfo(ai);
	return rc;
}

int apache_wait_ready(struct apache *a, double timeout_s, struct errbuf *e)
{
	double deadline = now_s() + timeout_s;
	char why[600], how[64];

	if (a->pid <= 0 || !a->started) {
		err_set(e, "apache_wait_ready: not started");
		return -1;
	}
	for (;;) {
		if (a->exec_fd >= 0) {
			int err;
			ssize_t r = read(a->exec_fd, &err, sizeof(err));

			if (r == (ssize_t)sizeof(err)) {
				close(a->exec_fd);
				a->exec_fd = -1;
				apache_alive(a); /* reap if already gone */
				if (a->sc && a->sc->rlimit_as_kb && err != ENOENT && err != EACCES)
					err_set(e, "cannot start %s (address-space limit %llu KiB): %s", a->httpd,
						(unsigned long long)a->sc->rlimit_as_kb, strerror(err));
				else
					err_set(e, "cannot exec %s: %s", a->httpd, strerror(err));
				return -1;
			}
			if (r == 0) { /* exec happened: the CLOEXEC pipe closed */
				close(a->exec_fd);
				a->exec_fd = -1;
			}
		}
		if (!apache_alive(a)) {
			describe_status(a->exit_status, how, sizeof(how));
			startup_error(a, why, sizeof(why));
			if (why[0])
				err_set(e, "apache exited during start-up: %s", why);
			else
				err_set(e, "apache exited during start-up (%s); see %s", how, a->errlog);
			return -1;
		}
		if (probe(a, 1000))
			return 0;
		if (ms_interrupted) {
			err_set(e, "interrupted while waiting for apache");
			return -1;
		}
		if (now_s() >= deadline) {
			startup_error(a, why, sizeof(why));
			err_set(e, "apache did not answer on %s:%u within %.0f s%s%s", a->addr, a->port, timeout_s,
				why[0] ? ": " : "", why);
			return -1;
		}
		sleep_ms(20);
	}
}

/* ---- stop, cleanup -------------------------------------------------------------------------- */

static bool wait_exit(struct apache *a, double timeout_s)
{
	double deadline = now_s() + timeout_s;

	while (apache_alive(a)) {
		if (now_s() >= deadline)
			return false;
		sleep_ms(10);
	}
	return true;
}

/* Kill whatever is left in the process group and wait until it is gone. */
static void kill_group(struct apache *a)
{
	pid_t pids[1];
	double deadline = now_s() + 5;

	if (a->pid <= 0)
		return;
	while (apache_list_procs(a, pids, 1) > 0 && now_s() < deadline) {
		kill(-a->pid, SIGKILL);
		apache_alive(a);
		sleep_ms(10);
	}
}

int apache_stop(struct apache *a, double timeout_s)
{
	int rc = 0;

	if (a->pid <= 0 || a->stopped)
		return 0;
	if (!a->started) {
		/* gate never opened: closing it makes the child _exit(0) */
		if (a->gate_fd >= 0) {
			close(a->gate_fd);
			a->gate_fd = -1;
		}
		if (!wait_exit(a, timeout_s > 1 ? timeout_s : 1)) {
			kill(a->pid, SIGKILL);
			rc = 1;
		}
	} else if (apache_alive(a)) {
		kill(a->pid, SIGTERM); /* httpd's "stop": the parent kills its children and exits */
		if (!wait_exit(a, timeout_s)) {
			kill(-a->pid, SIGKILL);
			rc = 1;
		}
	}
	kill_group(a);
	if (!a->reaped) {
		int st;

		while (waitpid(a->pid, &st, 0) < 0 && errno == EINTR)
			;
		a->reaped = true;
		a->exit_status = st;
	}
	if (a->exec_fd >= 0) {
		close(a->exec_fd);
		a->exec_fd = -1;
	}
	a->stopped = true;
	return rc;
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
	if (a->pid > 0 && !a->stopped)
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
				unsigned long long now = proc_starttime(pid);

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
