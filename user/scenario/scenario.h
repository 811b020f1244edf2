/* SPDX-License-Identifier: MIT */
/*
 * Scenario files (scenarios/NAME.scn): an INI-style description of one
 * experiment: the load shape, the files served, the Apache directives common
 * to all MPMs and per MPM, limits applied to Apache only, and the claims to
 * check. Parsed strictly: unknown sections or keys, bad types, negative
 * counts are errors with the file name and line.
 */
#ifndef MPMSCOPE_SCENARIO_SCENARIO_H
#define MPMSCOPE_SCENARIO_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "base/mpm.h"
#include "base/util.h"


#define SC_MAX_DIRECTIVES 32
#define SC_MAX_FILES 8
#define SC_MAX_EXPECT 16

struct sc_directive {
	char name[48];  /* an allow-listed Apache directive, e.g. "MaxRequestWorkers" */
	char value[128];
};

struct sc_file {
	char name[64];        /* relative to DocumentRoot, [A-Za-z0-9._-]+ */
	uint64_t size;        /* bytes, when content is empty */
	char *content;        /* literal content (NULL: size bytes of filler) */
	bool cgi;             /* [cgi NAME]: a script in cgi-bin/ (mode 0755), run by mod_cgi / mod_cgid */
};

#define SC_MAX_CHECKS 4

/* One check: METRIC LHS OP RHS, RHS an MPM (times a factor) or a number. */
struct sc_check {
	char metric[32];
	enum mpm lhs;
	char op[3];           /* ">", ">=", "<", "<=" */
	bool rhs_is_mpm;
	enum mpm rhs;
	double factor;        /* rhs = factor * metric(rhs), or the number itself */
	char text[96];        /* as written */
};

struct sc_expect {
	char text[256];       /* the claim as written (quoted from the seed) */
	char en[256];         /* an English rendering, if the claim is not in English */
	struct sc_check checks[SC_MAX_CHECKS];
	int nchecks;
};

/* How PHP runs under one MPM ([php]). */
enum sc_php_mode { SC_PHP_NONE, SC_PHP_MOD_PHP, SC_PHP_FPM };

struct sc_php {
	bool on;                       /* a [php] section: *.php files are run by PHP */
	enum sc_php_mode mode[MPM__MAX]; /* default mod_php under prefork, fpm under worker and event */
	char pm[16];                   /* php-fpm's pool: static (default), dynamic or ondemand */
	unsigned max_children;         /* pm.max_children, default 10 */
};

/* The slow upstream ([backend]): mod_proxy_http to mpmscope's own delay server. */
struct sc_backend {
	bool on;
	double delay_s;                /* before it answers, default 200 ms */
	char prefix[64];               /* the proxied path prefix, default /backend/ */
};

struct scenario {
	char name[64];
	char description[256];
	char seed[64];        /* seed file this scenario comes from, if any */
	char path[512];       /* file it was read from */
	/* [load] */
	char url_path[256];   /* request target, default "/test.html" */
	uint64_t requests;    /* default 1000 */
	unsigned concurrency; /* default 100 */
	bool keepalive;       /* default off */
	double duration_s, rate, ramp_s, timeout_s;
	unsigned hold, threads;
	bool tls;             /* https: Apache with mod_ssl and a certificate made for the run */
	bool tls_resume;      /* the client offers its last TLS session again (default off) */
	/* [file NAME] and [cgi NAME] (cgi set) */
	struct sc_file files[SC_MAX_FILES];
	int nfiles;
	/* [server] and [prefork]/[worker]/[event] */
	struct sc_directive common[SC_MAX_DIRECTIVES];
	int ncommon;
	struct sc_directive mpm[MPM__MAX][SC_MAX_DIRECTIVES];
	int nmpm[MPM__MAX];
	/* [php], [backend] */
	struct sc_php php;
	struct sc_backend backend;
	/* [limits]: applied to the Apache processes only, never to mpmscope */
	uint64_t rlimit_as_kb; /* like `ulimit -v`; 0 = unlimited */
	/* [expect] */
	struct sc_expect expect[SC_MAX_EXPECT];
	int nexpect;
};

/* Directory holding scenario files: $MPMSCOPE_SCENARIOS, else, from the
 * binary's own directory, ../share/mpmscope/scenarios (installed) or
 * ../scenarios (build/mpmscope in the source tree), else the compiled
 * PREFIX/share/mpmscope/scenarios. */
const char *scenario_dir(void);
/* Load by name ("baseline") from scenario_dir(), or by path if it contains '/'. */
int scenario_load(struct scenario *sc, const char *name_or_path, struct errbuf *e);
/* Parse from a buffer (used by tests and the fuzzer); origin names it in errors. */
int scenario_parse(struct scenario *sc, const char *text, size_t len, const char *origin, struct errbuf *e);
void scenario_free(struct scenario *sc);
/* The run directory's php-fpm socket, relative to it (config and backend agree on it). */
#define SC_FPM_SOCKET "run/php-fpm.sock"
/* How PHP runs under m (SC_PHP_NONE without a [php] section). */
enum sc_php_mode scenario_php_mode(const struct scenario *sc, enum mpm m);
/* Does the scenario have [cgi] scripts? */
bool scenario_has_cgi(const struct scenario *sc);
/* Value of a directive for an MPM (per-MPM section first, then [server]), or NULL. */
const char *scenario_directive(const struct scenario *sc, enum mpm m, const char *name);
/* Names of all scenarios in the directory, sorted; returns count, -1 on error. */
int scenario_list(char ***names, struct errbuf *e);
/* Free what scenario_list() returned (n = its return value). */
void scenario_list_free(char **names, int n);
/* Is NAME a metric a claim's check may use (scenario/metrics.h)? The list of
 * them, comma-separated, for error messages. */
bool scenario_metric_known(const char *name);
const char *scenario_metric_list(void);

#endif
