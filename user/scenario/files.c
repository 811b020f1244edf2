// SPDX-License-Identifier: MIT
/* Scenario files on disk: where they are, reading one, listing them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario/internal.h"
#include "scenario/scenario.h"

#ifndef MPMSCOPE_PREFIX
#define MPMSCOPE_PREFIX "/usr/local"
#endif

static bool is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/*
 * Where the binary is decides, not where it was configured to go: `make
 * install PREFIX=/usr DESTDIR=/tmp/x` and a package both put the scenarios
 * at ../share/mpmscope/scenarios from bin/mpmscope, whatever PREFIX the
 * objects were compiled with; build/mpmscope finds the source tree's. The
 * working directory is never searched: an installed binary run from a
 * folder that happens to hold "scenarios" must not pick those up.
 */
const char *scenario_dir(void)
{
	static const char *const beside[] = { "../share/mpmscope/scenarios", "../scenarios" };
	static char dir[PATH_MAX];
	const char *env = getenv("MPMSCOPE_SCENARIOS");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(dir, sizeof(dir), "%s", env);
		return dir;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			for (size_t i = 0; i < ARRAY_SIZE(beside); i++)
				if (snprintf(dir, sizeof(dir), "%s/%s", exe, beside[i]) < (int)sizeof(dir) && is_dir(dir))
					return dir;
		}
	}
	return MPMSCOPE_PREFIX "/share/mpmscope/scenarios";
}

static int read_all(const char *path, char **out, size_t *len, struct errbuf *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 8192, n = 0;
	char *buf;

	if (fd < 0) {
		err_set(e, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(cap);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap > SC_MAX_TEXT) {
				err_set(e, "%s: file too large (at most 1 MiB)", path);
				goto fail;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err_set(e, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
fail:
	close(fd);
	free(buf);
	return -1;
}

int scenario_load(struct scenario *sc, const char *name_or_path, struct errbuf *e)
{
	char path[sizeof(sc->path)];
	char *text;
	size_t len, nl = strlen(name_or_path);
	int rc;

	memset(sc, 0, sizeof(*sc));
	if (strchr(name_or_path, '/') || (nl > 4 && !strcmp(name_or_path + nl - 4, ".scn"))) {
		if (nl >= sizeof(path)) {
			err_set(e, "scenario path too long");
			return -1;
		}
		strcpy(path, name_or_path);
	} else {
		if (!sc_name_ok(name_or_path, false)) {
			err_set(e, "bad scenario name '%s'", name_or_path);
			return -1;
		}
		if (snprintf(path, sizeof(path), "%s/%s.scn", scenario_dir(), name_or_path) >= (int)sizeof(path)) {
			err_set(e, "scenario path too long");
			return -1;
		}
		if (access(path, F_OK)) {
			err_set(e, "unknown scenario '%s' (see 'mpmscope scenarios')", name_or_path);
			return -1;
		}
	}
	if (read_all(path, &text, &len, e) < 0)
		return -1;
	rc = scenario_parse(sc, text, len, path, e);
	free(text);
	if (!rc)
		strcpy(sc->path, path);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int scenario_list(char ***names, struct errbuf *e)
{
	const char *dir = scenario_dir();
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	int n = 0, cap = 0;

	*names = NULL;
	if (!d) {
		err_set(e, "cannot open the scenario directory %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l <= 4 || strcmp(de->d_name + l - 4, ".scn") || de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, (size_t)cap * sizeof(*v));
		}
		v[n] = xstrdup(de->d_name);
		v[n++][l - 4] = 0;
	}
	closedir(d);
	if (n)
		qsort(v, (size_t)n, sizeof(*v), cmp_str);
	*names = v;
	return n;
}

void scenario_list_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
