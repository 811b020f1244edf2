// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the scenario parser (user/scenario/parse.c): arbitrary text
 * into scenario_parse(). Besides the sanitizers' own findings it checks what
 * the rest of mpmscope relies on:
 * - an error is one printable line (no control character reaches a terminal);
 * - an accepted scenario is coherent: 1..SC_MAX_FILES files with safe names,
 *   a request target starting with '/' without blanks, concurrency >= 1 and
 *   <= requests, requests == 0 only with a duration, a timeout > 0;
 * - every directive value is from the allow-listed alphabet, so nothing can
 *   reach httpd.conf but the values the scenario's README promises.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"

static const char *const names[] = {
	"StartServers", "MinSpareServers", "MaxSpareServers", "ServerLimit", "MaxRequestWorkers",
	"MaxClients", "MaxConnectionsPerChild", "ThreadsPerChild", "ThreadLimit", "KeepAlive",
	"KeepAliveTimeout", "Timeout", "LogLevel", "Include", "",
};

static void check_value(const char *v, size_t cap)
{
	size_t n = strnlen(v, cap);

	if (n == 0 || n == cap)
		abort();
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !strchr(" ._:-", *v))
			abort();
}

static void check_name(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == 0 || n == cap || s[0] == '.')
		abort();
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			abort();
}

static void check_scenario(const struct scenario *sc)
{
	check_name(sc->name, sizeof(sc->name));
	if (sc->nfiles < 1 || sc->nfiles > SC_MAX_FILES)
		abort();
	for (int i = 0; i < sc->nfiles; i++) {
		check_name(sc->files[i].name, sizeof(sc->files[i].name));
		if (sc->files[i].content && strlen(sc->files[i].content) > sc->files[i].size)
			abort();
	}
	if (sc->url_path[0] != '/' || strnlen(sc->url_path, sizeof(sc->url_path)) == sizeof(sc->url_path))
		abort();
	for (const char *c = sc->url_path; *c; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
			abort();
	if (sc->concurrency < 1 || (sc->requests && sc->concurrency > sc->requests))
		abort();
	if (!sc->requests && !(sc->duration_s > 0))
		abort();
	if (!(sc->timeout_s > 0) || sc->duration_s < 0 || sc->ramp_s < 0 || sc->rate < 0)
		abort();
	if (sc->ncommon < 0 || sc->ncommon > SC_MAX_DIRECTIVES || sc->nexpect < 0 || sc->nexpect > SC_MAX_EXPECT)
		abort();
	for (int i = 0; i < sc->ncommon; i++)
		check_value(sc->common[i].value, sizeof(sc->common[i].value));
	for (int m = 0; m < MPM__MAX; m++) {
		if (sc->nmpm[m] < 0 || sc->nmpm[m] > SC_MAX_DIRECTIVES)
			abort();
		for (int i = 0; i < sc->nmpm[m]; i++)
			check_value(sc->mpm[m][i].value, sizeof(sc->mpm[m][i].value));
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			const char *v = scenario_directive(sc, (enum mpm)m, names[k]);

			if (v)
				check_value(v, 128);
		}
	}
	for (int i = 0; i < sc->nexpect; i++)
		if (strnlen(sc->expect[i].text, sizeof(sc->expect[i].text)) == sizeof(sc->expect[i].text))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scenario sc; /* large: keep it off the stack */
	struct errbuf e;

	memset(&e, 0, sizeof(e));
	if (scenario_parse(&sc, (const char *)data, size, "fuzz.scn", &e) == 0) {
		check_scenario(&sc);
		scenario_free(&sc);
	} else {
		size_t n = strnlen(e.msg, sizeof(e.msg));

		if (n == 0 || n == sizeof(e.msg))
			abort();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)e.msg[i] < 0x20 || e.msg[i] == 0x7f)
				abort(); /* one printable line */
		/* a failed parse leaves nothing to free, and freeing twice is safe */
		scenario_free(&sc);
	}
	return 0;
}
