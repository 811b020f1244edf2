// SPDX-License-Identifier: MIT
/*
 * A scenario's dynamic content: [php] (how PHP runs under each MPM, php-fpm's
 * pool) and [backend] (the slow upstream's delay and proxied prefix), with
 * their defaults; the questions the Apache controller and the session ask.
 * Values only: parse.c reads the lines and says where an error is.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/units.h"
#include "scenario/internal.h"
#include "scenario/scenario.h"

int sc_php_key(struct scenario *sc, int i, const char *k, const char *v, struct errbuf *e)
{
	struct sc_php *php = &sc->php;
	uint64_t u;

	if (i < MPM__MAX) {
		if (!strcmp(v, "mod_php"))
			php->mode[i] = SC_PHP_MOD_PHP;
		else if (!strcmp(v, "fpm"))
			php->mode[i] = SC_PHP_FPM;
		else
			err_set(e, "%s: '%.40s' is not mod_php or fpm", k, v);
		return i < MPM__MAX && !php->mode[i] ? -1 : 0;
	}
	if (!strcmp(k, "pm")) {
		if (strcmp(v, "static") && strcmp(v, "dynamic") && strcmp(v, "ondemand")) {
			err_set(e, "pm: '%.40s' is not static, dynamic or ondemand", v);
			return -1;
		}
		snprintf(php->pm, sizeof(php->pm), "%s", v);
		return 0;
	}
	if (parse_u64(v, &u, k, e))
		return -1;
	if (u < 1 || u > 256) {
		err_set(e, "max_children: %s is not between 1 and 256", v);
		return -1;
	}
	php->max_children = (unsigned)u;
	return 0;
}

int sc_backend_key(struct scenario *sc, int i, const char *k, const char *v, struct errbuf *e)
{
	struct sc_backend *bk = &sc->backend;
	size_t n = strlen(v);

	if (i == 0) {
		if (parse_seconds(v, &bk->delay_s, k, e))
			return -1;
		if (bk->delay_s > 60) {
			err_set(e, "delay: %s is too long (at most 60 s)", v);
			return -1;
		}
		return 0;
	}
	if (v[0] != '/' || n < 3 || v[n - 1] != '/' || n >= sizeof(bk->prefix)) {
		err_set(e, "path: '%.40s' is not a prefix like /backend/ (starts and ends with '/', at most %zu characters)",
			v, sizeof(bk->prefix) - 1);
		return -1;
	}
	for (const char *c = v; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("/._-", *c)) {
			err_set(e, "path: '%.40s' may only contain letters, digits and / . _ -", v);
			return -1;
		}
	snprintf(bk->prefix, sizeof(bk->prefix), "%s", v);
	return 0;
}

void sc_dynamic_defaults(struct scenario *sc, bool php, bool backend, bool delay_seen)
{
	if (backend) {
		sc->backend.on = true;
		if (!delay_seen)
			sc->backend.delay_s = 0.2;
		if (!sc->backend.prefix[0])
			strcpy(sc->backend.prefix, "/backend/");
	}
	if (php) {
		sc->php.on = true;
		for (int m = 0; m < MPM__MAX; m++)
			if (!sc->php.mode[m])
				sc->php.mode[m] = m == MPM_PREFORK ? SC_PHP_MOD_PHP : SC_PHP_FPM;
		if (!sc->php.pm[0])
			strcpy(sc->php.pm, "static");
		if (!sc->php.max_children)
			sc->php.max_children = 10;
	}
}

enum sc_php_mode scenario_php_mode(const struct scenario *sc, enum mpm m)
{
	return sc && sc->php.on && m < MPM__MAX ? sc->php.mode[m] : SC_PHP_NONE;
}

bool scenario_has_cgi(const struct scenario *sc)
{
	for (int i = 0; sc && i < sc->nfiles; i++)
		if (sc->files[i].cgi)
			return true;
	return false;
}
