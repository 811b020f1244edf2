// SPDX-License-Identifier: MIT
/*
 * php-fpm, privately: its conf in the run directory (global: pid file, error
 * log, foreground; one pool, `mpmscope`, on a unix socket there, as the
 * server's user), run with -n (no php.ini: nothing from /etc/php) and -y
 * that conf.
 */
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/internal.h"
#include "base/sbuf.h"


void backend_init(struct backend *b, enum backend_kind kind, const char *rundir)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	gated_init(&b->proc);
	snprintf(b->rundir, sizeof(b->rundir), "%s", rundir);
}

void backend_log_error(const struct backend *b, char *out, size_t n)
{
	char text[8192], *p, *best = NULL;

	out[0] = 0;
	if (read_small(b->log, text, sizeof(text), true) <= 0)
		return;
	/* php-fpm: "[date] ERROR: ..." / "ALERT: ..."; else the last line */
	for (p = strtok(text, "\n"); p; p = strtok(NULL, "\n")) {
		if (!best || strstr(p, "ERROR:") || strstr(p, "ALERT:") || strstr(p, "error"))
			best = p;
		if (strstr(p, "ERROR:") || strstr(p, "ALERT:"))
			break;
	}
	if (best)
		snprintf(out, n, "%s", best);
}

const char *backend_fpm_binary(void)
{
	static char found[256];
	glob_t g;

	if (!access("/usr/sbin/php-fpm8.2", X_OK))
		return "/usr/sbin/php-fpm8.2";
	if (glob("/usr/sbin/php-fpm*", 0, NULL, &g) == 0 && g.gl_pathc > 0) {
		snprintf(found, sizeof(found), "%s", g.gl_pathv[g.gl_pathc - 1]);
		globfree(&g);
		return found;
	}
	return NULL;
}

int backend_prepare_fpm(struct backend *b, const struct scenario *sc, const char *rundir, struct errbuf *e)
{
	const char *bin = backend_fpm_binary(), *user = "www-data", *group = "www-data";
	const struct sc_php *php = &sc->php;
	struct sbuf c = { 0 };
	unsigned n = php->max_children;
	int fd, rc;

	backend_init(b, BACKEND_FPM, rundir);
	if (!bin) {
		err_set(e, "php-fpm is not installed (/usr/sbin/php-fpm*; Debian: php8.2-fpm, which `make deps` installs)");
		return -1;
	}
	snprintf(b->bin, sizeof(b->bin), "%s", bin);
	snprintf(b->conf, sizeof(b->conf), "%s/php-fpm.conf", rundir);
	snprintf(b->sock, sizeof(b->sock), "%s/%s", rundir, SC_FPM_SOCKET);
	snprintf(b->log, sizeof(b->log), "%s/logs/php-fpm.log", rundir);
	if (!getpwnam(user))
		user = "nobody";
	if (!getgrnam(group))
		group = getgrnam("nogroup") ? "nogroup" : "nobody";
	sb_printf(&c, "; Written by mpmscope for one run; removed afterwards. Nothing from /etc/php.\n");
	sb_printf(&c, "[global]\npid = %s/run/php-fpm.pid\nerror_log = %s\ndaemonize = no\n", rundir, b->log);
	sb_printf(&c, "[mpmscope]\n");
	if (geteuid() == 0)
		sb_printf(&c, "user = %s\ngroup = %s\nlisten.owner = %s\nlisten.group = %s\n", user, group, user, group);
	sb_printf(&c, "listen = %s\nlisten.mode = 0660\nlisten.backlog = 511\n", b->sock);
	sb_printf(&c, "pm = %s\npm.max_children = %u\n", php->pm, n);
	if (!strcmp(php->pm, "dynamic")) {
		unsigned lo = n / 4 ? n / 4 : 1, hi = n / 2 > lo ? n / 2 : lo;

		sb_printf(&c, "pm.start_servers = %u\npm.min_spare_servers = %u\npm.max_spare_servers = %u\n", lo, lo, hi);
	}
	fd = open(b->conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	rc = fd < 0 ? -1 : write_all(fd, c.buf, c.len);
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	sb_free(&c);
	if (rc) {
		err_set(e, "cannot write %s", b->conf);
		return -1;
	}
	return 0;
}
