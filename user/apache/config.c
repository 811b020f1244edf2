// SPDX-License-Identifier: MIT
/*
 * Preparing a run: the runtime directory, the scenario's files, a
 * self-contained httpd.conf for one MPM, checked by `httpd -t`.
 *
 * Runtime directory /tmp/mpmscope.XXXXXX (0755: the children run as www-data):
 *   owner        "PID STARTTIME" of the mpmscope that made it (apache_sweep_stale)
 *   httpd.conf   self-contained: nothing is read from /etc/apache2
 *   htdocs/      the scenario's files (0644)
 *   php/         php.ini for mod_php (PHPINIDir: nothing from /etc/php; httpd's
 *                environment empties PHP_INI_SCAN_DIR so that no conf.d is read either)
 *   cgi-bin/     its [cgi] scripts (0755), ScriptAlias /cgi-bin/: mod_cgi under
 *                prefork, mod_cgid under worker and event (its socket in run/)
 *   logs/        error.log, access.log, stderr.log (httpd's stdout/stderr)
 *   run/         PidFile, DefaultRuntimeDir
 *
 * httpd runs with -f and -d absolute paths. The access log records, per
 * request, the peer address and port, %X (connection status after the
 * response: X aborted, + keep-alive, - closed), %k (keep-alive requests on
 * the connection), status, bytes, the time taken in us and the request line:
 * an oracle to join with the tracer.
 */
#include <glob.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
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
#include "base/sbuf.h"


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

/* A file of the runtime directory (mode 0644, 0755 for a script): len bytes
 * of text, or of filler when text is NULL (a scenario's large file). */
static int write_file_mode(const char *path, const char *text, uint64_t len, mode_t mode, struct errbuf *e);

static int write_file(const char *path, const char *text, uint64_t len, struct errbuf *e)
{
	return write_file_mode(path, text, len, 0644, e);
}

static int write_file_mode(const char *path, const char *text, uint64_t len, mode_t mode, struct errbuf *e)
{
	static const char line[] = "mpmscope filler: 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVW\n";
	char chunk[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	int rc = fd < 0 ? -1 : 0;

	if (!text)
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = line[i % (sizeof(line) - 1)];
	while (!rc && len) {
		size_t c = text ? (size_t)len : len < sizeof(chunk) ? (size_t)len : sizeof(chunk);

		rc = write_all(fd, text ? text : chunk, c);
		len -= c;
	}
	if (!rc)
		rc = fchmod(fd, mode);
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	if (rc)
		err_set(e, "cannot write %s: %s", path, strerror(errno));
	return rc;
}

static void emit_directive(struct sbuf *b, const struct sc_directive *d)
{
	sb_printf(b, "%s %s\n", d->name, d->value);
}

/* PHP for *.php files: mod_php inside the server, or php-fpm behind
 * mod_proxy_fcgi on the run directory's unix socket (user/backend/ runs it). */
static void php_config(struct apache *a, struct sbuf *b)
{
	const char *r = a->rundir, *md = a->modules_dir;
	enum sc_php_mode mode = scenario_php_mode(a->sc, a->mpm);

	if (mode == SC_PHP_NONE)
		return;
	sb_printf(b, "# scenario %s: [php] %s\n", a->sc->name, mode == SC_PHP_FPM ? "fpm" : "mod_php");
	if (mode == SC_PHP_MOD_PHP) {
		glob_t g;
		char so[300];

		/* libphp8.2.so on Debian 12: whichever libphp the modules hold */
		snprintf(so, sizeof(so), "%.250s/libphp*.so", md);
		if (glob(so, 0, NULL, &g) == 0 && g.gl_pathc > 0)
			snprintf(so, sizeof(so), "%.290s", g.gl_pathv[g.gl_pathc - 1]);
		else
			snprintf(so, sizeof(so), "%.250s/libphp.so", md);
		globfree(&g);
		sb_printf(b, "LoadModule php_module \"%s\"\n", so);
		sb_printf(b, "PHPINIDir \"%s/php\"\n", r);
		sb_printf(b, "<FilesMatch \"\\.php$\">\n    SetHandler application/x-httpd-php\n</FilesMatch>\n");
	} else {
		sb_printf(b, "LoadModule proxy_module \"%s/mod_proxy.so\"\n", md);
		sb_printf(b, "LoadModule proxy_fcgi_module \"%s/mod_proxy_fcgi.so\"\n", md);
		sb_printf(b, "<FilesMatch \"\\.php$\">\n    SetHandler \"proxy:unix:%s/%s|fcgi://localhost\"\n</FilesMatch>\n",
			  r, SC_FPM_SOCKET);
	}
	sb_printf(b, "DirectoryIndex index.php index.html\n");
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
	if (sc->tls) {
		/* the session cache is shared memory: prefork's children resume each
		 * other's sessions (TLS 1.2 session IDs; TLS 1.3 tickets are keyed
		 * by the parent, whatever the child) */
		sb_printf(b, "# scenario %s: tls = on\n", sc->name);
		sb_printf(b, "LoadModule socache_shmcb_module \"%s/mod_socache_shmcb.so\"\n", md);
		sb_printf(b, "LoadModule ssl_module \"%s/mod_ssl.so\"\n", md);
		sb_printf(b, "SSLEngine on\n");
		sb_printf(b, "SSLProtocol -all +TLSv1.2 +TLSv1.3\n");
		sb_printf(b, "SSLCertificateFile \"%s\"\nSSLCertificateKeyFile \"%s\"\n", a->tls_cert, a->tls_key);
		sb_printf(b, "SSLSessionCache \"shmcb:%s/run/ssl_scache(512000)\"\nSSLSessionCacheTimeout 300\n", r);
		sb_printf(b, "CustomLog \"%s\" \"%%{remote}p %%{SSL_PROTOCOL}x %%{SSL_SESSION_RESUMED}x\"\n", a->tls_log);
	}
	php_config(a, b);
	if (sc->backend.on) {
		/* no connection reuse to the upstream: each request holds its own,
		 * for as long as the upstream takes */
		sb_printf(b, "# scenario %s: [backend] a slow upstream\n", sc->name);
		if (scenario_php_mode(sc, a->mpm) != SC_PHP_FPM)
			sb_printf(b, "LoadModule proxy_module \"%s/mod_proxy.so\"\n", md);
		sb_printf(b, "LoadModule proxy_http_module \"%s/mod_proxy_http.so\"\n", md);
		sb_printf(b, "ProxyPass \"%s\" \"http://127.0.0.1:%u/\" disablereuse=On timeout=%d\n", sc->backend.prefix,
			  a->upstream_port, (int)sc->backend.delay_s + 30);
	}
	if (scenario_has_cgi(sc)) {
		/* a process per request: mod_cgi forks it from the serving child;
		 * a threaded MPM's process must not fork, so mod_cgid's daemon
		 * (the parent's child) forks it and passes the socket */
		bool cgid = a->mpm != MPM_PREFORK;

		sb_printf(b, "# scenario %s: [cgi] scripts\n", sc->name);
		sb_printf(b, "LoadModule alias_module \"%s/mod_alias.so\"\n", md);
		sb_printf(b, "LoadModule %s_module \"%s/mod_%s.so\"\n", cgid ? "cgid" : "cgi", md, cgid ? "cgid" : "cgi");
		if (cgid)
			sb_printf(b, "ScriptSock \"%s/run/cgid.sock\"\n", r);
		sb_printf(b, "ScriptAlias /cgi-bin/ \"%s/cgi-bin/\"\n", r);
		sb_printf(b, "<Directory \"%s/cgi-bin\">\n    Options +ExecCGI\n    AllowOverride None\n    Require all granted\n</Directory>\n", r);
	}
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
void apache_first_error(const struct apache *a, const char *text, char *out, size_t n)
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

	apache_fix_defaults(a);
	if (a->proc.pid > 0 && !a->stopped) {
		err_set(e, "apache_prepare: the previous server is still running");
		return -1;
	}
	if (a->rundir[0])
		apache_cleanup(a);
	/* a struct apache may be reused after stop + cleanup */
	gated_init(&a->proc);
	a->stopped = false;
	a->probe_conns = 0;
	memset(a->probe_ports, 0, sizeof(a->probe_ports));
	if (!a->httpd[0] || !a->modules_dir[0]) {
		err_set(e, "apache_prepare: apache_find() first");
		return -1;
	}
	/* apache_find() may have run for another MPM (a copied struct apache) */
	snprintf(path, sizeof(path), "%.250s/mod_mpm_%s.so", a->modules_dir, mpm_name(a->mpm));
	if (access(path, R_OK) < 0 && apache_find_modules(a, e) < 0)
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
	snprintf(owner, sizeof(owner), "%d %llu\n", (int)getpid(), apache_starttime(getpid()));
	if (write_file(path, owner, strlen(owner), e) < 0)
		goto fail;
	if (mkdir_in(a->rundir, "htdocs", 0755, e) || mkdir_in(a->rundir, "logs", 0755, e) ||
	    mkdir_in(a->rundir, "run", 0755, e))
		goto fail;
	snprintf(a->conf, sizeof(a->conf), "%s/httpd.conf", a->rundir);
	snprintf(a->errlog, sizeof(a->errlog), "%s/logs/error.log", a->rundir);
	snprintf(a->accesslog, sizeof(a->accesslog), "%s/logs/access.log", a->rundir);
	snprintf(a->stderr_log, sizeof(a->stderr_log), "%s/logs/stderr.log", a->rundir);

	a->tls_cert[0] = a->tls_key[0] = a->tls_log[0] = 0;
	if (a->sc && a->sc->tls && apache_tls_prepare(a, e) < 0)
		goto fail;
	if (scenario_has_cgi(a->sc) && mkdir_in(a->rundir, "cgi-bin", 0755, e))
		goto fail;
	if (scenario_php_mode(a->sc, a->mpm) == SC_PHP_MOD_PHP) {
		static const char ini[] = "; written by mpmscope for one run: PHP's defaults, nothing from /etc/php\n";

		if (mkdir_in(a->rundir, "php", 0755, e))
			goto fail;
		snprintf(path, sizeof(path), "%s/php/php.ini", a->rundir);
		if (write_file(path, ini, sizeof(ini) - 1, e))
			goto fail;
	}
	if (a->sc) {
		for (int i = 0; i < a->sc->nfiles; i++) {
			const struct sc_file *f = &a->sc->files[i];

			snprintf(path, sizeof(path), "%s/%s/%s", a->rundir, f->cgi ? "cgi-bin" : "htdocs", f->name);
			if (write_file_mode(path, f->content, f->content ? strlen(f->content) : f->size,
					    f->cgi ? 0755 : 0644, e))
				goto fail;
		}
	}
	build_config(a, &b);
	st = write_file(a->conf, b.buf, b.len, e);
	sb_free(&b);
	if (st < 0)
		goto fail;

	{
		char *argv[] = { a->httpd, "-t", "-f", a->conf, "-d", a->rundir, NULL };

		st = apache_run_capture(argv, out, sizeof(out), 30);
	}
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		apache_first_error(a, out, line, sizeof(line));
		if (strstr(out, "AH00013:")) {
			/* "Pre-configuration failed": a module refused this server in
			 * its own start-up check (mod_php under a threaded MPM): Apache
			 * will not run it, a result for this MPM, not bad input */
			err_set(e, "Apache refused to start: %s", line[0] ? line : "pre-configuration failed");
			apache_cleanup(a);
			return 1;
		}
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

