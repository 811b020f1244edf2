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
 *   tls         = off                   https: mod_ssl, a certificate made for the run
 *   tls_resume  = off                   the client offers its last TLS session again
 *   [file NAME]                         a file in DocumentRoot, NAME = [A-Za-z0-9._-]+
 *   content     = <html>...</html>\n    literal; escapes \n \r \t \\ (exclusive with size)
 *   size        = 10M                   that many bytes of filler (512, 4k, 10M, 1G)
 *   [cgi NAME], [php], [backend]        dynamic content (scenario/dynamic.c, scenarios/README.md)
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
#include "scenario/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/units.h"
#include "scenario/internal.h"
#include "scenario/metrics.h"

/* ---- the parser ---------------------------------------------------------------- */

enum section { SEC_NONE, SEC_SCENARIO, SEC_LOAD, SEC_FILE, SEC_SERVER, SEC_PREFORK,
	       SEC_WORKER, SEC_EVENT, SEC_LIMITS, SEC_EXPECT, SEC_CGI, SEC_PHP, SEC_BACKEND, SEC__MAX };

static const char *const sec_names[SEC__MAX] = {
	"", "scenario", "load", "file", "server", "prefork", "worker", "event", "limits", "expect", "cgi", "php", "backend",
};

static const char *const keys_scenario[] = { "name", "description", "seed", NULL };
static const char *const keys_load[] = { "path", "requests", "concurrency", "keepalive", "duration",
					 "rate", "hold", "ramp", "timeout", "threads", "tls",
					 "tls_resume", NULL };
static const char *const keys_limits[] = { "ulimit_v", "address_space", NULL };
static const char *const keys_backend[] = { "delay", "path", NULL };          /* sc_backend_key's order */
static const char *const keys_php[] = { "prefork", "worker", "event", "pm", "max_children", NULL }; /* sc_php_key's */

struct parser {
	struct scenario *sc;
	const char *origin;
	struct errbuf *e;
	int line;
	enum section sec;
	int file_idx;                   /* current [file] */
	int sec_line[SEC__MAX];         /* where each single section started */
	int seen_scenario[3], seen_load[12], seen_limits[2], seen_php[5], seen_backend[2]; /* line of each key, 0 = unseen */
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

bool sc_name_ok(const char *s, bool allow_leading_dot)
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
		if (i == SEC_FILE || i == SEC_CGI) {
			struct sc_file *f;

			if (!*arg)
				return perr(p, "[%s] needs a name: [%s NAME]", inner, inner);
			if (!sc_name_ok(arg, false) || strlen(arg) >= sizeof(f->name))
				return perr(p, "bad file name '%s' (use [A-Za-z0-9._-], not starting with '.', at most %zu characters)",
					    shown(arg, b, sizeof(b)), sizeof(f->name) - 1);
			for (int j = 0; j < p->sc->nfiles; j++)
				if (!strcmp(p->sc->files[j].name, arg) && p->sc->files[j].cgi == (i == SEC_CGI))
					return perr(p, "duplicate section [%s %s]", inner, arg);
			if (p->sc->nfiles >= SC_MAX_FILES)
				return perr(p, "too many [file] and [cgi] sections (at most %d)", SC_MAX_FILES);
			p->file_idx = p->sc->nfiles++;
			f = &p->sc->files[p->file_idx];
			strcpy(f->name, arg);
			f->cgi = i == SEC_CGI;
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

	di = sc_directive_index(k);
	if (di < 0)
		return perr(p, "'%s' is not an allowed directive in [%s] (allowed: performance directives "
			       "such as StartServers, MaxRequestWorkers, ThreadsPerChild, KeepAlive; see scenarios/README.md)",
			    shown(k, b, sizeof(b)), sec_names[p->sec]);
	if (!sc_directive_value_ok(v))
		return perr(p, "%s: value '%s' may only contain letters, digits, spaces and . _ : -",
			    sc_directive_canon(di), shown(v, b, sizeof(b)));
	if (strlen(v) >= sizeof(list->value))
		return perr(p, "%s: value too long", sc_directive_canon(di));
	if (p->sec == SEC_SERVER) {
		list = p->sc->common;
		n = &p->sc->ncommon;
	} else {
		enum mpm m = p->sec == SEC_PREFORK ? MPM_PREFORK : p->sec == SEC_WORKER ? MPM_WORKER : MPM_EVENT;

		mask = sc_directive_mask(di);
		if (!(mask & (1u << m)))
			return perr(p, "%s is not a directive of the %s MPM", sc_directive_canon(di), mpm_name(m));
		list = p->sc->mpm[m];
		n = &p->sc->nmpm[m];
	}
	for (int i = 0; i < *n; i++)
		if (!strcmp(list[i].name, sc_directive_canon(di)))
			return perr(p, "duplicate directive %s in [%s]", sc_directive_canon(di), sec_names[p->sec]);
	if (*n >= SC_MAX_DIRECTIVES)
		return perr(p, "too many directives in [%s] (at most %d)", sec_names[p->sec], SC_MAX_DIRECTIVES);
	strcpy(list[*n].name, sc_directive_canon(di));
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
	if (!scenario_metric_known(tok[0]))
		return perr(p, "check '%s': unknown metric '%s' (known: %s)", v, tok[0], scenario_metric_list());
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

/* [scenario]: name, description, seed */
static int kv_scenario(struct parser *p, int i, const char *k, const char *v)
{
	struct scenario *sc = p->sc;
	char b[80];

	if (check_dup(p, &p->seen_scenario[i], k))
		return -1;
	if (i == 0) {
		if (!sc_name_ok(v, false) || strlen(v) >= sizeof(sc->name))
			return perr(p, "name: '%s' is not a valid scenario name ([A-Za-z0-9._-])", shown(v, b, sizeof(b)));
		strcpy(sc->name, v);
		return 0;
	}
	if (i == 1)
		return set_str(p, sc->description, sizeof(sc->description), v, k);
	return set_str(p, sc->seed, sizeof(sc->seed), v, k);
}

/* [load]: the keys of keys_load, by index */
static int kv_load(struct parser *p, int i, const char *k, const char *v)
{
	struct scenario *sc = p->sc;
	char b[80];
	uint64_t u;

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
	case 9: /* threads */
		if (num_u(p, v, k, 1024, &u))
			return -1;
		sc->threads = (unsigned)u;
		return 0;
	case 10:
		return num_bool(p, v, k, &sc->tls);
	default:
		return num_bool(p, v, k, &sc->tls_resume);
	}
}

/* [file NAME]: content or size; [cgi NAME]: content, a script */
static int kv_file(struct parser *p, const char *k, const char *v)
{
	struct sc_file *f = &p->sc->files[p->file_idx];
	char b[80];

	if (f->cgi) {
		if (strcmp(k, "content"))
			return perr(p, "unknown key '%s' in [cgi %s] (expected content)", shown(k, b, sizeof(b)), f->name);
		if (p->file_has_content[p->file_idx])
			return perr(p, "duplicate key 'content' in [cgi %s]", f->name);
		if (strncmp(v, "#!/", 3))
			return perr(p, "[cgi %s]: content must start with '#!/' and the interpreter's path (a script)",
				    f->name);
		p->file_has_content[p->file_idx] = true;
		return set_content(p, f, v);
	}
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

/* [php] and [backend] (scenario/dynamic.c): the key's value, or its error */
static int kv_dynamic(struct parser *p, int *seen, int i, const char *k, const char *v,
		      int (*set)(struct scenario *, int, const char *, const char *, struct errbuf *))
{
	struct errbuf e2;

	if (check_dup(p, &seen[i], k))
		return -1;
	if (set(p->sc, i, k, v, &e2))
		return perr(p, "%s", e2.msg);
	return 0;
}

/* [limits]: ulimit_v or address_space, one of them */
static int kv_limits(struct parser *p, int i, const char *k, const char *v)
{
	struct scenario *sc = p->sc;
	uint64_t u;

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
}

/* [expect]: claim, then its en and checks; 1 when k is none of them */
static int kv_expect(struct parser *p, const char *k, const char *v)
{
	struct scenario *sc = p->sc;
	struct sc_expect *x;

	if (!strcmp(k, "claim")) {
		if (sc->nexpect >= SC_MAX_EXPECT)
			return perr(p, "too many claims (at most %d)", SC_MAX_EXPECT);
		return set_str(p, sc->expect[sc->nexpect++].text, sizeof(sc->expect[0].text), v, k);
	}
	if (strcmp(k, "en") && strcmp(k, "check"))
		return 1;
	x = sc->nexpect ? &sc->expect[sc->nexpect - 1] : NULL;
	if (!x)
		return perr(p, "'%s' must follow a claim", k);
	if (!strcmp(k, "en"))
		return set_str(p, x->en, sizeof(x->en), v, k);
	if (x->nchecks >= SC_MAX_CHECKS)
		return perr(p, "too many checks for one claim (at most %d)", SC_MAX_CHECKS);
	return parse_check(p, &x->checks[x->nchecks++], v);
}

static int keyvalue(struct parser *p, const char *k, const char *v)
{
	char b[80];
	int i, rc = 1;

	switch (p->sec) {
	case SEC_NONE:
		return perr(p, "key '%s' outside any section", shown(k, b, sizeof(b)));
	case SEC_SCENARIO:
		if ((i = key_index(keys_scenario, k)) >= 0)
			return kv_scenario(p, i, k, v);
		break;
	case SEC_LOAD:
		if ((i = key_index(keys_load, k)) >= 0)
			return kv_load(p, i, k, v);
		break;
	case SEC_FILE:
	case SEC_CGI:
		return kv_file(p, k, v);
	case SEC_SERVER:
	case SEC_PREFORK:
	case SEC_WORKER:
	case SEC_EVENT:
		return directive_kv(p, k, v);
	case SEC_LIMITS:
		if ((i = key_index(keys_limits, k)) >= 0)
			return kv_limits(p, i, k, v);
		break;
	case SEC_PHP:
		if ((i = key_index(keys_php, k)) >= 0)
			return kv_dynamic(p, p->seen_php, i, k, v, sc_php_key);
		break;
	case SEC_BACKEND:
		if ((i = key_index(keys_backend, k)) >= 0)
			return kv_dynamic(p, p->seen_backend, i, k, v, sc_backend_key);
		break;
	case SEC_EXPECT:
		rc = kv_expect(p, k, v);
		break;
	default:
		break;
	}
	if (rc <= 0)
		return rc;
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
	if (!sc_name_ok(out, false))
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
			if (sc->files[i].cgi)
				perr(&p, "[cgi %s] needs content", sc->files[i].name);
			else
				perr(&p, "[file %s] needs content or size", sc->files[i].name);
			goto fail;
		}
	}
	{
		bool plain = false;

		for (int i = 0; i < sc->nfiles; i++)
			plain |= !sc->files[i].cgi;
		if (!plain && sc->nfiles >= SC_MAX_FILES) {
			p.line = 0;
			perr(&p, "too many [cgi] sections (at most %d with the default test.html)", SC_MAX_FILES - 1);
			goto fail;
		}
		if (!plain) {
			static const char def[] = "<html><body><h1>Apache Benchmark Test</h1></body></html>\n";
			struct sc_file *f = &sc->files[sc->nfiles++];

			strcpy(f->name, "test.html");
			f->content = xstrdup(def);
			f->size = sizeof(def) - 1;
		}
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
	if (sc->tls_resume && !sc->tls) {
		p.line = p.seen_load[11];
		perr(&p, "tls_resume = on needs tls = on");
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
	sc_dynamic_defaults(sc, p.sec_line[SEC_PHP], p.sec_line[SEC_BACKEND], p.seen_backend[0]);
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
