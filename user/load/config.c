// SPDX-License-Identifier: MIT
/* The load generator's inputs: URL, shape validation, file limits, names. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "load/engine.h"
#include "load/loadgen.h"

const char *lg_fail_name(enum lg_fail f)
{
	static const char *const names[LG_FAIL__MAX] = {
		[LG_FAIL_CONNECT] = "connect", [LG_FAIL_RESET] = "reset", [LG_FAIL_EOF] = "eof",
		[LG_FAIL_TIMEOUT] = "timeout", [LG_FAIL_STATUS] = "status", [LG_FAIL_LENGTH] = "length",
		[LG_FAIL_WRITE] = "write", [LG_FAIL_TLS] = "tls",
	};

	return (unsigned)f < LG_FAIL__MAX ? names[f] : "?";
}

const char *lg_close_name(enum lg_close c)
{
	static const char *const names[LG_CLOSE__MAX] = {
		[LG_CLOSE_NONE] = "none", [LG_CLOSE_CLIENT] = "client",
		[LG_CLOSE_SERVER_CLOSE] = "server_close", [LG_CLOSE_SERVER_IDLE] = "server_idle",
		[LG_CLOSE_SERVER_EOF] = "server_eof", [LG_CLOSE_RESET] = "reset",
		[LG_CLOSE_TIMEOUT] = "timeout", [LG_CLOSE_CONNECT_FAIL] = "connect_fail",
	};

	return (unsigned)c < LG_CLOSE__MAX ? names[c] : "?";
}

double lg_failure_rate(const struct lg_result *r)
{
	uint64_t n = r->completed + r->failed;

	return n ? (double)r->failed / (double)n : 0;
}

static bool is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

int lg_parse_url(struct lg_config *cfg, const char *url, struct errbuf *e)
{
	const char *p, *h, *hend, *path;
	char host[64];
	unsigned long port = 80;
	bool v6 = false, explicit_port = false;
	size_t hl;
	struct in6_addr a6;
	struct in_addr a4;

	if (!url || !*url) {
		err_set(e, "no URL given (e.g. http://127.0.0.1:8080/)");
		return -1;
	}
	cfg->tls = !strncasecmp(url, "https://", 8);
	if (cfg->tls) {
		port = 443;
	} else if (strncasecmp(url, "http://", 7)) {
		err_set(e, "%s: not an http:// or https:// URL", url);
		return -1;
	}
	h = url + (cfg->tls ? 8 : 7);
	if (*h == '[') {
		v6 = true;
		h++;
		hend = strchr(h, ']');
		if (!hend) {
			err_set(e, "%s: missing ']' after the IPv6 address", url);
			return -1;
		}
		p = hend + 1;
	} else {
		hend = h + strcspn(h, ":/?#");
		p = hend;
	}
	hl = (size_t)(hend - h);
	if (!hl) {
		err_set(e, "%s: the URL has no host", url);
		return -1;
	}
	if (memchr(h, '@', hl)) {
		err_set(e, "%s: user names in URLs are not supported", url);
		return -1;
	}
	if (hl >= sizeof(host)) {
		err_set(e, "%s: host too long", url);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	if (*p == ':') {
		char *end;

		p++;
		errno = 0;
		port = strtoul(p, &end, 10);
		if (end == p || *p == '-' || *p == '+' || errno || port < 1 || port > 65535 ||
		    (*end && !strchr("/?#", *end))) {
			err_set(e, "%s: bad port (1-65535)", url);
			return -1;
		}
		explicit_port = true;
		p = end;
	} else if (*p && !strchr("/?#", *p)) {
		err_set(e, "%s: unexpected '%c' after the host", url, *p);
		return -1;
	}
	path = *p == '#' ? "" : p;
	for (const char *q = path; *q && *q != '#'; q++) {
		if ((unsigned char)*q <= ' ' || *q == 0x7f) {
			err_set(e, "%s: the path contains a space or control character", url);
			return -1;
		}
	}

	cfg->tls_sni[0] = 0;
	if (!v6 && !strcasecmp(host, "localhost")) {
		snprintf(cfg->host, sizeof(cfg->host), "127.0.0.1");
		snprintf(cfg->tls_sni, sizeof(cfg->tls_sni), "localhost"); /* SNI names hosts, never addresses */
	} else if ((v6 && inet_pton(AF_INET6, host, &a6) == 1) ||
		   (!v6 && inet_pton(AF_INET, host, &a4) == 1)) {
		snprintf(cfg->host, sizeof(cfg->host), "%s", host);
	} else {
		err_set(e, "%s: '%s' is not a numeric IP address (names other than localhost are not "
			   "looked up)", url, host);
		return -1;
	}
	if (!cfg->allow_remote && !is_loopback(cfg->host)) {
		err_set(e, "refusing to send load to %s: not a loopback address (add --allow-remote "
			   "if you mean it)", host);
		return -1;
	}
	cfg->port = (uint16_t)port;
	{
		size_t pl = strcspn(path, "#");

		if (pl + 2 > sizeof(cfg->path)) {
			err_set(e, "%s: path too long (max %zu bytes)", url, sizeof(cfg->path) - 2);
			return -1;
		}
		if (!pl || *path != '/') {
			cfg->path[0] = '/';
			memcpy(cfg->path + 1, path, pl);
			cfg->path[pl + 1] = 0;
		} else {
			memcpy(cfg->path, path, pl);
			cfg->path[pl] = 0;
		}
	}
	if (explicit_port)
		snprintf(cfg->host_header, sizeof(cfg->host_header), v6 ? "[%s]:%lu" : "%s:%lu", host, port);
	else
		snprintf(cfg->host_header, sizeof(cfg->host_header), v6 ? "[%s]" : "%s", host);
	return 0;
}

int lg_sockaddr(const struct lg_config *cfg, struct sockaddr_storage *ss, socklen_t *len,
		struct errbuf *e)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, cfg->host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(cfg->port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, cfg->host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(cfg->port);
		*len = sizeof(*s6);
		return 0;
	}
	err_set(e, "'%s' is not a numeric IP address", cfg->host);
	return -1;
}

static int raise_nofile(uint64_t need, const struct lg_config *cfg, struct errbuf *e)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_cur == RLIM_INFINITY)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		err_set(e, "-c %u%s needs %llu open files but the hard limit is %llu (raise 'ulimit -Hn' "
			   "or use fewer connections)", cfg->connections, cfg->hold ? " plus --hold" : "",
			(unsigned long long)need, (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		err_set(e, "cannot raise the open file limit to %llu: %s", (unsigned long long)need,
			strerror(errno));
		return -1;
	}
	return 0;
}

int lg_validate(struct lg_config *cfg, struct errbuf *e)
{
	long ncpu;

	if (!cfg->port) {
		err_set(e, "no URL given");
		return -1;
	}
	if (!cfg->connections) {
		err_set(e, "-c must be at least 1");
		return -1;
	}
	if (cfg->connections > 1000000 || cfg->hold > 1000000) {
		err_set(e, "at most 1000000 connections (-c) and held connections (--hold)");
		return -1;
	}
	if (!(cfg->duration_s >= 0) || !isfinite(cfg->duration_s)) {
		err_set(e, "the duration must be a positive number of seconds");
		return -1;
	}
	if (!cfg->requests && cfg->duration_s <= 0) {
		err_set(e, "give a number of requests (-n) or a duration (-t)");
		return -1;
	}
	if (cfg->requests && cfg->connections > cfg->requests) {
		err_set(e, "-c %u is more than -n %llu: cannot use more connections than requests",
			cfg->connections, (unsigned long long)cfg->requests);
		return -1;
	}
	if (!(cfg->rate >= 0) || !isfinite(cfg->rate)) {
		err_set(e, "--rate must be a non-negative number of requests per second");
		return -1;
	}
	if (!(cfg->ramp_s >= 0) || !isfinite(cfg->ramp_s)) {
		err_set(e, "--ramp must be a non-negative duration");
		return -1;
	}
	if (cfg->timeout_s == 0)
		cfg->timeout_s = 30;
	if (!(cfg->timeout_s > 0) || !isfinite(cfg->timeout_s) || cfg->timeout_s > 3600) {
		err_set(e, "--timeout must be between 0 and 3600 seconds");
		return -1;
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	if (!cfg->threads)
		cfg->threads = (unsigned)ncpu;
	if (cfg->threads > 1024) {
		err_set(e, "--threads: at most 1024");
		return -1;
	}
	if (cfg->threads > cfg->connections)
		cfg->threads = cfg->connections;
	/* One descriptor per connection, an epoll per thread, stdio and slack. */
	return raise_nofile((uint64_t)cfg->connections + cfg->hold + cfg->threads + 64, cfg, e);
}
