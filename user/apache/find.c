// SPDX-License-Identifier: MIT
/* Finding Apache: the httpd binary, its version and its modules directory. */
#include <poll.h>
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

/* PHP_INI_SCAN_DIR empty: mod_php reads no conf.d of /etc/php (its php.ini
 * is the run directory's, PHPINIDir) */
char *const apache_clean_env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				   "LANG=C", "PHP_INI_SCAN_DIR=", NULL };

void apache_init(struct apache *a)
{
	memset(a, 0, sizeof(*a));
	gated_init(&a->proc);
	snprintf(a->addr, sizeof(a->addr), "127.0.0.1");
}

void apache_fix_defaults(struct apache *a)
{
	if (!a->addr[0])
		snprintf(a->addr, sizeof(a->addr), "127.0.0.1");
}

/* Run argv with a clean environment, stdout+stderr captured into out. Returns
 * the wait status, or -1 if it could not run. Kills it after timeout_s. */
int apache_run_capture(char *const argv[], char *out, size_t outlen, double timeout_s)
{
	int pfd[2], status = -1;
	size_t n = 0;
	pid_t pid;
	uint64_t deadline = now_ns() + (uint64_t)(timeout_s * 1e9);

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
		execve(argv[0], argv, apache_clean_env);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd pf = { pfd[0], POLLIN, 0 };
		double left = ((double)deadline - (double)now_ns()) / 1e9;
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
	st = apache_run_capture(argv, out, sizeof(out), 10);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || !(v = strstr(out, "Server version: Apache/")))
		return false;
	v += strlen("Server version: ");
	snprintf(version, vlen, "%.*s", (int)strcspn(v, "\r\n"), v);
	return true;
}

int apache_find_modules(struct apache *a, struct errbuf *e)
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

	apache_fix_defaults(a);
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
		return apache_find_modules(a, e);
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
	return apache_find_modules(a, e);
}

