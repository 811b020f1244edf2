// SPDX-License-Identifier: MIT
/*
 * Scenario files: scenarios/NAME.scn. Full reference: scenarios/README.md.
 *
 *   # comment            (a line whose first non-blank character is '#' or ';';
 *   ; comment             there are no trailing comments: '#' may be content)
 *   [scenario]
 *   name        = baseline              default: the file name without .scn
 *   description = free text
 *   seed        = 000                   seed file this scenario reproduces
 *   [load]
 *   path        = /test.html            request target, must start with '/'
 *   requests    = 1000                  > 0; 0 only with a duration; default 1000
 *                                       (or 0 = "until duration" when duration is set)
 *   concurrency = 100                   connections, >= 1, <= requests (default 100)
 *   keepalive   = off                   on/off, yes/no, true/false, 1/0
 *   duration    = 30s                   stop after this long (0: until requests)
 *   rate        = 0                     total requests/s, open loop (0: closed loop)
 *   hold        = 0                     extra idle keep-alive connections
 *   ramp        = 0                     open the connections over this many seconds
 *   timeout     = 30s                   per request, > 0
 *   threads     = 0                     load-generator threads (0: automatic)
 *   [file NAME]                         a file in DocumentRoot, NAME = [A-Za-z0-9._-]+
 *   content     = <html>...</html>\n    literal; escapes \n \r \t \\ (exclusive with size)
 *   size        = 10M                   that many bytes of filler (512, 4k, 10M, 1G)
 *   [server]                            Apache directives for every MPM
 *   KeepAlive   = On
 *   [prefork] / [worker] / [event]      Apache directives for one MPM
 *   StartServers = 5
 *   [limits]                            applied to the Apache processes only
 *   ulimit_v    = 500000                RLIMIT_AS in KiB, exactly like `ulimit -v`
 *   address_space = 488M                the same as a size (either key, not both)
 *   [expect]
 *   claim       = text                  repeatable: the claims to check
 *
 * A value may be wrapped in double quotes to keep leading/trailing blanks.
 * Directive sections take `Name = value` with Name from a fixed allow-list of
 * performance directives (case-insensitive; MaxClients and MaxRequestsPerChild
 * are the 2.2 names of MaxRequestWorkers and MaxConnectionsPerChild) and a
 * value made of [A-Za-z0-9 ._:-] only, so a scenario can never Include a file
 * or inject other configuration. A [server] directive that exists only in some
 * MPMs (ThreadsPerChild) applies to those; in an MPM section it is an error.
 * Values are not checked against Apache's own rules: `httpd -t` does that.
 *
 * Everything else is an error "ORIGIN:LINE: message": unknown section or key,
 * duplicate section, key or directive (claim repeats), bad number, a line that
 * is not `key = value`. If no [file] section is given, test.html is served
 * with the seed's content.
 */
#include "scenario.h"

#include "claims.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MPMSCOPE_PREFIX
#define MPMSCOPE_PREFIX "/usr/local"
#endif

#define SC_MAX_FILE_SIZE (1ULL << 30)   /* a served file is at most 1 GiB */
#define SC_MAX_TEXT (1U << 20)          /* a scenario file is at most 1 MiB */

static const char *const mpm_names[MPM__MAX] = { "prefork", "worker", "event" };

const char *mpm_name(enum mpm m)
{
	return (unsigned)m < MPM__MAX ? mpm_names[m] : "?";
}

int mpm_parse(const char *s, enum mpm *out)
{
	for (int i = 0; i < MPM__MAX; i++) {
		if (s && !strcasecmp(s, mpm_names[i])) {
			*out = (enum mpm)i;
			return 0;
		}
	}
	return -1;
}

/* ---- the directive allow-list ---------------------------------------------- */

#define MK_P (1u << MPM_PREFORK)
#define MK_W (1u << MPM_WORKER)
#define MK_E (1u << MPM_EVENT)
#define MK_ALL (MK_P | MK_W | MK_E)

static const struct {
	const char *name;   /* as written (matched case-insensitively) */
	const char *canon;  /* stored and emitted spelling */
	unsigned mask;      /* MPMs that know it */
} directives[] = {
	{ "StartServers", "StartServers", MK_ALL },
	{ "MinSpareServers", "MinSpareServers", MK_P },
	{ "MaxSpareServers", "MaxSpareServers", MK_P },
	{ "ServerLimit", "ServerLimit", MK_ALL },
	{ "MaxRequestWorkers", "MaxRequestWorkers", MK_ALL },
	{ "MaxClients", "MaxRequestWorkers", MK_ALL },
	{ "MaxConnectionsPerChild", "MaxConnectionsPerChild", MK_ALL },
	{ "MaxRequestsPerChild", "MaxConnectionsPerChild", MK_ALL },
	{ "MinSpareThreads", "MinSpareThreads", MK_W | MK_E },
	{ "MaxSpareThreads", "MaxSpareThreads", MK_W | MK_E },
	{ "ThreadsPerChild", "ThreadsPerChild", MK_W | MK_E },
	{ "ThreadLimit", "ThreadLimit", MK_W | MK_E },
	{ "ThreadStackSize", "ThreadStackSize", MK_ALL },
	{ "AsyncRequestWorkerFactor", "AsyncRequestWorkerFactor", MK_E },
	{ "ListenBacklog", "ListenBacklog", MK_ALL },
	{ "ListenCoresBucketsRatio", "ListenCoresBucketsRatio", MK_ALL },
	{ "SendBufferSize", "SendBufferSize", MK_ALL },
	{ "ReceiveBufferSize", "ReceiveBufferSize", MK_ALL },
	{ "KeepAlive", "KeepAlive", MK_ALL },
	{ "KeepAliveTimeout", "KeepAliveTimeout", MK_ALL },
	{ "MaxKeepAliveRequests", "MaxKeepAliveRequests", MK_ALL },
	{ "Timeout", "Timeout", MK_ALL },
	{ "EnableSendfile", "EnableSendfile", MK_ALL },
	{ "EnableMMAP", "EnableMMAP", MK_ALL },
	{ "MaxMemFree", "MaxMemFree", MK_ALL },
	{ "GracefulShutdownTimeout", "GracefulShutdownTimeout", MK_ALL },
	{ "ExtendedStatus", "ExtendedStatus", MK_ALL },
	{ "LogLevel", "LogLevel", MK_ALL },
};

static int directive_index(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(directives); i++)
		if (!strcasecmp(name, directives[i].name))
			return (int)i;
	return -1;
}

static bool directive_value_ok(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !strchr(" ._:-", *v))
			return false;
	return true;
}

const char *scenario_directive(const struct scenario *sc, enum mpm m, const char *name)
{
	int di = directive_index(name);
	const char *canon;

	if (!sc || di < 0 || (unsigned)m >= MPM__MAX)
		return NULL;
	canon = directives[di].canon;
	if (!(directives[di].mask & (1u << m)))
		return NULL;
	for (int i = 0; i < sc->nmpm[m]; i++)
		if (!strcmp(sc->mpm[m][i].name, canon))
			return sc->mpm[m][i].value;
	for (int i = 0; i < sc->ncommon; i++)
		if (!strcmp(sc->common[i].name, canon))
			return sc->common[i].value;
	return NULL;
}

/* ---- the parser ---------------------------------------------------------------- */

enum section { SEC_NONE, SEC_SCENARIO, SEC_LOAD, SEC_FILE, SEC_SERVER, SEC_PREFORK,
	       SEC_WORKER, SEC_EVENT, SEC_LIMITS, SEC_EXPECT, SEC__MAX };

static const char *const sec_names[SEC__MAX] = {
	"", "scenario", "load", "file", "server", "prefork", "worker", "event", "limits", "expect",
};

static const char *const keys_scenario[] = { "name", "description", "seed", NULL };
static const char *const keys_load[] = { "path", "requests", "concurrency", "keepalive", "duration",
					 "rate", "hold", "ramp", "timeout", "threads", NULL };
static const char *const keys_limits[] = { "ulimit_v", "address_space", NULL };

struct parser {
	struct scenario *sc;
	const char *origin;
	struct errbuf *e;
	int line;
	enum section sec;
	int file_idx;                   /* current [file] */
	int sec_line[SEC__MAX];         /* where each single section started */
	int seen_scenario[3], seen_load[10], seen_limits[2]; /* line of each key, 0 = unseen */
	int file_line[SC_MAX_FILES];
	bool file_has_content[SC_MAX_FILES], file_has_size[SC_MAX_FILES];
	int concurrency_line;
};

__attribute__((format(printf, 2, 3))) static int perr(struct parser *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Values are quoted raw in some messages: keep the error one printable
	 * line (no terminal escapes, no carriage return from a stray '\r'). */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (p->line > 0)
		err_set(p->e, "%s:%d: %s", p->origin, p->line, msg);
	else
		err_set(p->e, "%s: %s", p->origin, msg);
	return -1;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = 0;
	return s;
}

/* Short, printable rendition of a user string for error messages. */
static const char *shown(const char *s, char *buf, size_t n)
{
	size_t i = 0;

	for (; *s && i + 4 < n; s++)
		buf[i++] = isprint((unsigned char)*s) ? *s : '?';
	if (*s && n > 4) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = 0;
	return buf;
}

static int key_index(const char *const *keys, const char *k)
{
	for (int i = 0; keys[i]; i++)
		if (!strcmp(keys[i], k))
			return i;
	return -1;
}

static int set_str(struct parser *p, char *dst, size_t n, const char *v, const char *key)
{
	if (strlen(v) >= n)
		return perr(p, "value of '%s' is too long (at most %zu characters)", key, n - 1);
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return perr(p, "control character in the value of '%s'", key);
	strcpy(dst, v);
	return 0;
}

static bool name_ok(const char *s, bool allow_leading_dot)
{
	if (!*s || (!allow_leading_dot && *s == '.'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static int num_u(struct parser *p, const char *v, const char *key, uint64_t max, uint64_t *out)
{
	struct errbuf e2;

	if (parse_u64(v, out, key, &e2) < 0)
		return perr(p, "%s", e2.msg);
	if (*out > max)
		return perr(p, "%s: %s is too large (at most %llu)", key, v, (unsigned long long)max);
	return 0;
}

static int num_sec(struct parser *p, const char *v, const char *key, double *out)
{
	struct errbuf e2;

	if (parse_seconds(v, out, key, &e2) < 0)
		return perr(p, "%s", e2.msg);
	if (*out > 7 * 86400.0)
		return perr(p, "%s: %s is too long (at most a week)", key, v);
	return 0;
}

static int num_bool(struct parser *p, const char *v, const char *key, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return perr(p, "%s: '%s' is not on/off", key, v);
}

static int section_header(struct parser *p, char *s)
{
	char *end = s + strlen(s), *inner, *arg;
	char b[80];

	if (end[-1] != ']')
		return perr(p, "malformed section header '%s' (expected [name])", shown(s, b, sizeof(b)));
	end[-1] = 0;
	inner = trim(s + 1);
	arg = inner + strcspn(inner, " \t");
	if (*arg) {
		*arg++ = 0;
		arg = trim(arg);
	}
	for (int i = 1; i < SEC__MAX; i++) {
		if (strcmp(inner, sec_names[i]))
			continue;
		if (i == SEC_FILE) {
			struct sc_file *f;

			if (!*arg)
				return perr(p, "[file] needs a name: [file NAME]");
			if (!name_ok(arg, false) || strlen(arg) >= sizeof(f->name))
				return perr(p, "bad file name '%s' (use [A-Za-z0-9._-], not starting with '.', at most %zu characters)",
					    shown(arg, b, sizeof(b)), sizeof(f->name) - 1);
			for (int j = 0; j < p->sc->nfiles; j++)
				if (!strcmp(p->sc->files[j].name, arg))
					return perr(p, "duplicate section [file %s]", arg);
			if (p->sc->nfiles >= SC_MAX_FILES)
				return perr(p, "too many [file] sections (at most %d)", SC_MAX_FILES);
			p->file_idx = p->sc->nfiles++;
			f = &p->sc->files[p->file_idx];
			strcpy(f->name, arg);
			p->file_line[p->file_idx] = p->line;
		} else {
			if (*arg)
				return perr(p, "section [%s] takes no argument", inner);
			if (p->sec_line[i])
				return perr(p, "duplicate section [%s] (first at line %d)", inner, p->sec_line[i]);
			p->sec_line[i] = p->line;
		}
		p->sec = (enum section)i;
		return 0;
	}
	return perr(p, "unknown section [%s]", shown(inner, b, sizeof(b)));
}

/* content: process \n \r \t \\ escapes. */
static int set_content(struct parser *p, struct sc_file *f, const char *v)
{
	size_t n = strlen(v), o = 0;
	char *out = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		if (v[i] != '\\') {
			out[o++] = v[i];
			continue;
		}
		switch (v[++i]) {
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case '\\': out[o++] = '\\'; break;
		case '"': out[o++] = '"'; break;
		default:
			free(out);
			return perr(p, "content: unknown escape '\\%c' (use \\n \\r \\t \\\\ \\\")",
				    v[i] ? v[i] : ' ');
		}
	}
	out[o] = 0;
	f->content = out;
	f->size = o;
	return 0;
}

static int directive_kv(struct parser *p, const char *k, const char *v)
{
	struct sc_directive *list;
	int *n, di;
	char b[80];
	unsigned mask;

	di = directive_index(k);
	if (di < 0)
		return perr(p, "'%s' is not an allowed directive in [%s] (allowed: performance directives "
			       "such as StartServers, MaxRequestWorkers, ThreadsPerChild, KeepAlive; see scenarios/README.md)",
			    shown(k, b, sizeof(b)), sec_names[p->sec]);
	if (!directive_value_ok(v))
		return perr(p, "%s: value '%s' may only contain letters, digits, spaces and . _ : -",
			    directives[di].canon, shown(v, b, sizeof(b)));
	if (strlen(v) >= sizeof(list->value))
		return perr(p, "%s: value too long", directives[di].canon);
	if (p->sec == SEC_SERVER) {
		list = p->sc->common;
		n = &p->sc->ncommon;
	} else {
		enum mpm m = p->sec == SEC_PREFORK ? MPM_PREFORK : p->sec == SEC_WORKER ? MPM_WORKER : MPM_EVENT;

		mask = directives[di].mask;
		if (!(mask & (1u << m)))
			return perr(p, "%s is not a directive of the %s MPM", directives[di].canon, mpm_name(m));
		list = p->sc->mpm[m];
		n = &p->sc->nmpm[m];
	}
	for (int i = 0; i < *n; i++)
		if (!strcmp(list[i].name, directives[di].canon))
			return perr(p, "duplicate directive %s in [%s]", directives[di].canon, sec_names[p->sec]);
	if (*n >= SC_MAX_DIRECTIVES)
		return perr(p, "too many directives in [%s] (at most %d)", sec_names[p->sec], SC_MAX_DIRECTIVES);
	strcpy(list[*n].name, directives[di].canon);
	strcpy(list[*n].value, v);
	(*n)++;
	return 0;
}

static int check_dup(struct parser *p, int *seen, const char *k)
{
	if (*seen)
		return perr(p, "duplicate key '%s' in [%s] (first at line %d)", k, sec_names[p->sec], *seen);
	*seen = p->line;
	return 0;
}


/* check = METRIC MPM OP (MPM | NUMBER | NUMBER * MPM) */
static int parse_check(struct parser *p, struct sc_check *c, const char *v)
{
	char buf[160], *save = NULL, *tok[6];
	int n = 0;

	memset(c, 0, sizeof(*c));
	if (strlen(v) >= sizeof(c->text))
		return perr(p, "check too long");
	snprintf(c->text, sizeof(c->text), "%s", v);
	snprintf(buf, sizeof(buf), "%s", v);
	/* "1.5*event" reads as "1.5 * event" */
	for (char *s = strtok_r(buf, " \t", &save); s && n < 6; s = strtok_r(NULL, " \t", &save)) {
		char *star = strchr(s, '*');

		if (star && star != s && star[1] && n + 3 <= 6) {
			*star = 0;
			tok[n++] = s;
			tok[n++] = "*";
			tok[n++] = star + 1;
		} else {
			tok[n++] = s;
		}
	}
	if (n != 4 && n != 6)
		return perr(p, "check '%s': expected METRIC MPM OP (MPM | NUMBER | NUMBER * MPM)", v);
	if (!claims_metric_known(tok[0]))
		return perr(p, "check '%s': unknown metric '%s' (known: %s)", v, tok[0], claims_metric_list());
	snprintf(c->metric, sizeof(c->metric), "%s", tok[0]);
	if (mpm_parse(tok[1], &c->lhs))
		return perr(p, "check '%s': '%s' is not an MPM", v, tok[1]);
	if (strcmp(tok[2], ">") && strcmp(tok[2], ">=") && strcmp(tok[2], "<") && strcmp(tok[2], "<="))
		return perr(p, "check '%s': operator '%s' is not one of > >= < <=", v, tok[2]);
	snprintf(c->op, sizeof(c->op), "%s", tok[2]);
	c->factor = 1;
	if (n == 4 && !mpm_parse(tok[3], &c->rhs)) {
		c->rhs_is_mpm = true;
	} else {
		char *end;
		double f = strtod(tok[3], &end);

		if (*end || end == tok[3] || f != f)
			return perr(p, "check '%s': '%s' is neither an MPM nor a number", v, tok[3]);
		c->factor = f;
		if (n == 6) {
			if (strcmp(tok[4], "*") || mpm_parse(tok[5], &c->rhs))
				return perr(p, "check '%s': expected NUMBER * MPM", v);
			c->rhs_is_mpm = true;
		}
	}
	return 0;
}

static int keyvalue(struct parser *p, const char *k, const char *v)
{
	struct scenario *sc = p->sc;
	char b[80];
	uint64_t u;
	int i;

	switch (p->sec) {
	case SEC_NONE:
		return perr(p, "key '%s' outside any section", shown(k, b, sizeof(b)));
	case SEC_SCENARIO:
		i = key_index(keys_scenario, k);
		if (i < 0)
			break;
		if (check_dup(p, &p->seen_scenario[i], k))
			return -1;
		if (i == 0) {
			if (!name_ok(v, false) || strlen(v) >= sizeof(sc->name))
				return perr(p, "name: '%s' is not a valid scenario name ([A-Za-z0-9._-])",
					    shown(v, b, sizeof(b)));
			strcpy(sc->name, v);
			return 0;
		}
		if (i == 1)
			return set_str(p, sc->description, sizeof(sc->description), v, k);
		return set_str(p, sc->seed, sizeof(sc->seed), v, k);
	case SEC_LOAD:
		i = key_index(keys_load, k);
		if (i < 0)
			break;
		if (check_dup(p, &p->seen_load[i], k))
			return -1;
		switch (i) {
		case 0: /* path */
			if (v[0] != '/')
				return perr(p, "path: '%s' must start with '/'", shown(v, b, sizeof(b)));
			for (const char *c = v; *c; c++)
				if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
					return perr(p, "path: no blanks or control characters allowed");
			return set_str(p, sc->url_path, sizeof(sc->url_path), v, k);
		case 1:
			return num_u(p, v, k, UINT64_MAX, &sc->requests);
		case 2:
			if (num_u(p, v, k, 1000000, &u))
				return -1;
			if (!u)
				return perr(p, "concurrency must be at least 1");
			sc->concurrency = (unsigned)u;
			p->concurrency_line = p->line;
			return 0;
		case 3:
			return num_bool(p, v, k, &sc->keepalive);
		case 4:
			return num_sec(p, v, k, &sc->duration_s);
		case 5: {
			char *end;

			errno = 0;
			sc->rate = strtod(v, &end);
			if (errno || end == v || *end || !isfinite(sc->rate) || sc->rate < 0 || *v == '-' || *v == '+')
				return perr(p, "rate: '%s' is not a non-negative number of requests/s", v);
			return 0;
		}
		case 6:
			if (num_u(p, v, k, 1000000, &u))
				return -1;
			sc->hold = (unsigned)u;
			return 0;
		case 7:
			return num_sec(p, v, k, &sc->ramp_s);
		case 8:
			if (num_sec(p, v, k, &sc->timeout_s))
				return -1;
			if (sc->timeout_s <= 0)
				return perr(p, "timeout must be greater than 0");
			return 0;
		case 9:
			if (num_u(p, v, k, 1024, &u))
				return -1;
			sc->threads = (unsigned)u;
			return 0;
		}
		break;
	case SEC_FILE: {
		struct sc_file *f = &sc->files[p->file_idx];

		if (!strcmp(k, "content")) {
			if (p->file_has_content[p->file_idx])
				return perr(p, "duplicate key 'content' in [file %s]", f->name);
			if (p->file_has_size[p->file_idx])
				return perr(p, "[file %s]: content and size are exclusive", f->name);
			p->file_has_content[p->file_idx] = true;
			return set_content(p, f, v);
		}
		if (!strcmp(k, "size")) {
			struct errbuf e2;

			if (p->file_has_size[p->file_idx])
				return perr(p, "duplicate key 'size' in [file %s]", f->name);
			if (p->file_has_content[p->file_idx])
				return perr(p, "[file %s]: content and size are exclusive", f->name);
			p->file_has_size[p->file_idx] = true;
			if (parse_size(v, &f->size, "size", &e2) < 0)
				return perr(p, "%s", e2.msg);
			if (f->size > SC_MAX_FILE_SIZE)
				return perr(p, "size: %s is too large (at most 1G)", v);
			return 0;
		}
		return perr(p, "unknown key '%s' in [file %s] (expected content or size)", shown(k, b, sizeof(b)), f->name);
	}
	case SEC_SERVER:
	case SEC_PREFORK:
	case SEC_WORKER:
	case SEC_EVENT:
		return directive_kv(p, k, v);
	case SEC_LIMITS:
		i = key_index(keys_limits, k);
		if (i < 0)
			break;
		if (p->seen_limits[0] || p->seen_limits[1]) {
			if (p->seen_limits[i])
				return check_dup(p, &p->seen_limits[i], k);
			return perr(p, "ulimit_v and address_space set the same limit: give only one");
		}
		p->seen_limits[i] = p->line;
		if (i == 0) {
			if (num_u(p, v, k, UINT64_MAX / 1024, &sc->rlimit_as_kb))
				return -1;
		} else {
			struct errbuf e2;

			if (parse_size(v, &u, k, &e2) < 0)
				return perr(p, "%s", e2.msg);
			sc->rlimit_as_kb = u / 1024;
		}
		if (!sc->rlimit_as_kb)
			return perr(p, "%s: 0 would forbid everything; leave [limits] out for no limit", k);
		return 0;
	case SEC_EXPECT:
		if (!strcmp(k, "claim")) {
			if (sc->nexpect >= SC_MAX_EXPECT)
				return perr(p, "too many claims (at most %d)", SC_MAX_EXPECT);
			return set_str(p, sc->expect[sc->nexpect++].text, sizeof(sc->expect[0].text), v, k);
		}
		if (!strcmp(k, "en") || !strcmp(k, "check")) {
			struct sc_expect *x = sc->nexpect ? &sc->expect[sc->nexpect - 1] : NULL;

			if (!x)
				return perr(p, "'%s' must follow a claim", k);
			if (!strcmp(k, "en"))
				return set_str(p, x->en, sizeof(x->en), v, k);
			if (x->nchecks >= SC_MAX_CHECKS)
				return perr(p, "too many checks for one claim (at most %d)", SC_MAX_CHECKS);
			return parse_check(p, &x->checks[x->nchecks++], v);
		}
		break;
	default:
		break;
	}
	return perr(p, "unknown key '%s' in [%s]", shown(k, b, sizeof(b)), sec_names[p->sec]);
}

static int parse_line(struct parser *p, char *raw)
{
	char *s = trim(raw), *eq, *k, *v;
	char b[80];

	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return section_header(p, s);
	eq = strchr(s, '=');
	if (!eq)
		return perr(p, "expected 'key = value', got '%s'", shown(s, b, sizeof(b)));
	*eq = 0;
	k = trim(s);
	v = trim(eq + 1);
	if (!*k)
		return perr(p, "missing key before '='");
	for (char *c = k; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return perr(p, "bad key '%s' (expected 'key = value')", shown(k, b, sizeof(b)));
	if (strlen(v) >= 2 && v[0] == '"' && v[strlen(v) - 1] == '"') {
		v[strlen(v) - 1] = 0;
		v++;
	} else if (!*v) {
		return perr(p, "empty value for '%s' (use \"\" for an empty string)", k);
	}
	return keyvalue(p, k, v);
}

static void origin_basename(const char *origin, char *out, size_t n)
{
	const char *b = strrchr(origin, '/');
	size_t len;

	b = b ? b + 1 : origin;
	len = strlen(b);
	if (len > 4 && !strcmp(b + len - 4, ".scn"))
		len -= 4;
	if (len >= n)
		len = n - 1;
	memcpy(out, b, len);
	out[len] = 0;
	if (!name_ok(out, false))
		snprintf(out, n, "scenario");
}

int scenario_parse(struct scenario *sc, const char *text, size_t len, const char *origin, struct errbuf *e)
{
	struct parser p = { .sc = sc, .origin = origin ? origin : "scenario", .e = e };
	size_t pos = 0;
	char *buf;

	memset(sc, 0, sizeof(*sc));
	if (len > SC_MAX_TEXT) {
		perr(&p, "file too large (at most 1 MiB)");
		return -1;
	}
	if (memchr(text, 0, len)) {
		p.line = 1;
		for (size_t i = 0; text[i]; i++)
			p.line += text[i] == '\n';
		perr(&p, "NUL byte in the file");
		return -1;
	}
	buf = xmalloc(len + 1);
	while (pos < len) {
		size_t end = pos;

		while (end < len && text[end] != '\n')
			end++;
		memcpy(buf, text + pos, end - pos);
		buf[end - pos] = 0;
		p.line++;
		if (parse_line(&p, buf) < 0)
			goto fail;
		pos = end + 1;
	}
	free(buf);
	buf = NULL;

	/* Whole-file checks and defaults. */
	for (int i = 0; i < sc->nfiles; i++) {
		if (!p.file_has_content[i] && !p.file_has_size[i]) {
			p.line = p.file_line[i];
			perr(&p, "[file %s] needs content or size", sc->files[i].name);
			goto fail;
		}
	}
	if (!sc->nfiles) {
		static const char def[] = "<html><body><h1>Apache Benchmark Test</h1></body></html>\n";

		sc->nfiles = 1;
		strcpy(sc->files[0].name, "test.html");
		sc->files[0].content = xstrdup(def);
		sc->files[0].size = sizeof(def) - 1;
	}
	if (!sc->name[0])
		origin_basename(p.origin, sc->name, sizeof(sc->name));
	if (!sc->url_path[0])
		strcpy(sc->url_path, "/test.html");
	if (!p.seen_load[0 + 1]) /* requests not given */
		sc->requests = sc->duration_s > 0 ? 0 : 1000;
	if (!sc->requests && sc->duration_s <= 0) {
		p.line = p.seen_load[1];
		perr(&p, "requests = 0 needs a duration");
		goto fail;
	}
	if (!p.concurrency_line)
		sc->concurrency = 100;
	if (sc->requests && sc->concurrency > sc->requests) {
		if (p.concurrency_line) {
			p.line = p.concurrency_line;
			perr(&p, "concurrency (%u) is larger than requests (%llu)", sc->concurrency,
			     (unsigned long long)sc->requests);
		} else {
			p.line = p.seen_load[1];
			perr(&p, "requests (%llu) is smaller than the default concurrency (100): set concurrency",
			     (unsigned long long)sc->requests);
		}
		goto fail;
	}
	if (!p.seen_load[8])
		sc->timeout_s = 30;
	return 0;
fail:
	free(buf);
	scenario_free(sc);
	memset(sc, 0, sizeof(*sc));
	return -1;
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	for (int i = 0; i < sc->nfiles && i < SC_MAX_FILES; i++) {
		free(sc->files[i].content);
		sc->files[i].content = NULL;
	}
}

/* ---- files ------------------------------------------------------------------------ */

static bool is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

const char *scenario_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("MPMSCOPE_SCENARIOS");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(dir, sizeof(dir), "%s", env);
		return dir;
	}
	if (is_dir("scenarios"))
		return "scenarios";
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			if (snprintf(dir, sizeof(dir), "%s/../scenarios", exe) < (int)sizeof(dir) && is_dir(dir))
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
		if (!name_ok(name_or_path, false)) {
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
