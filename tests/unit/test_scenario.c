// SPDX-License-Identifier: MIT
/* Scenario parser: good texts, each error class with its line, the directive
 * allow-list, lookups, sizes, and the shipped scenarios. Run from the repo root. */
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "scenario/scenario.h"
#include "unit.h"

static int parse(struct scenario *sc, const char *text, struct errbuf *e)
{
	e->msg[0] = 0;
	return scenario_parse(sc, text, strlen(text), "t.scn", e);
}

/* The text must fail with exactly this message. */
static void bad(const char *text, const char *msg)
{
	struct scenario sc;
	struct errbuf e;
	int rc = parse(&sc, text, &e);

	CHECK(rc == -1);
	if (strcmp(e.msg, msg)) {
		unit_fail++;
		fprintf(stderr, "for text:\n%s\n  got:      %s\n  expected: %s\n", text, e.msg, msg);
	} else {
		unit_pass++;
	}
	scenario_free(&sc);
}

/* The text must fail with a message starting with prefix. */
static void bad_prefix(const char *text, const char *prefix)
{
	struct scenario sc;
	struct errbuf e;
	int rc = parse(&sc, text, &e);

	CHECK(rc == -1);
	if (strncmp(e.msg, prefix, strlen(prefix))) {
		unit_fail++;
		fprintf(stderr, "for text:\n%s\n  got:      %s\n  expected: %s...\n", text, e.msg, prefix);
	} else {
		unit_pass++;
	}
	scenario_free(&sc);
}

static void test_good(void)
{
	static const char text[] =
		"# a comment\n"
		"; another\n"
		"\n"
		"[scenario]\n"
		"name = demo\n"
		"description = \"  spaced  \"\n"
		"seed = 001\n"
		"[load]\n"
		"path = /big.bin\n"
		"requests = 5000\n"
		"concurrency = 500\n"
		"keepalive = on\n"
		"rate = 250.5\n"
		"hold = 10\n"
		"ramp = 500ms\n"
		"timeout = 2m\n"
		"threads = 2\n"
		"[file big.bin]\n"
		"size = 10M\n"
		"[file a.html]\r\n"
		"content = <p>#not a comment</p>\\n\\tx\\\\y\r\n"
		"[server]\n"
		"  KeepAlive  =  On  \n"
		"keepalivetimeout = 5\n"
		"ThreadsPerChild = 20\n"
		"MaxClients = 300\n"
		"LogLevel = warn mpm_event:info\n"
		"[prefork]\n"
		"MaxRequestWorkers = 50\n"
		"MaxRequestsPerChild = 4000\n"
		"[worker]\n"
		"ThreadsPerChild = 25\n"
		"[event]\n"
		"AsyncRequestWorkerFactor = 2\n"
		"[limits]\n"
		"ulimit_v = 500000\n"
		"[expect]\n"
		"claim = prefork fails first\n"
		"claim = event handles keep-alive\n";
	struct scenario sc;
	struct errbuf e;

	CHECK(parse(&sc, text, &e) == 0);
	if (e.msg[0])
		fprintf(stderr, "unexpected error: %s\n", e.msg);
	CHECK_STR(sc.name, "demo");
	CHECK_STR(sc.description, "  spaced  ");
	CHECK_STR(sc.seed, "001");
	CHECK_STR(sc.url_path, "/big.bin");
	CHECK_EQ_U(sc.requests, 5000);
	CHECK_EQ_U(sc.concurrency, 500);
	CHECK(sc.keepalive);
	CHECK(sc.rate > 250.4 && sc.rate < 250.6);
	CHECK_EQ_U(sc.hold, 10);
	CHECK(sc.ramp_s > 0.49 && sc.ramp_s < 0.51);
	CHECK(sc.timeout_s > 119.9 && sc.timeout_s < 120.1);
	CHECK_EQ_U(sc.threads, 2);
	CHECK_EQ_U(sc.nfiles, 2);
	CHECK_STR(sc.files[0].name, "big.bin");
	CHECK(sc.files[0].content == NULL);
	CHECK_EQ_U(sc.files[0].size, 10u << 20);
	CHECK_STR(sc.files[1].name, "a.html");
	CHECK_STR(sc.files[1].content, "<p>#not a comment</p>\n\tx\\y");
	CHECK_EQ_U(sc.files[1].size, strlen("<p>#not a comment</p>\n\tx\\y"));
	CHECK_EQ_U(sc.ncommon, 5);
	CHECK_STR(sc.common[1].name, "KeepAliveTimeout"); /* canonical spelling */
	CHECK_STR(sc.common[3].name, "MaxRequestWorkers"); /* MaxClients is an alias */
	CHECK_EQ_U(sc.rlimit_as_kb, 500000);
	CHECK_EQ_U(sc.nexpect, 2);
	CHECK_STR(sc.expect[1].text, "event handles keep-alive");

	/* lookups: per-MPM section first, then [server] when the MPM knows it */
	CHECK_STR(scenario_directive(&sc, MPM_PREFORK, "MaxRequestWorkers"), "50");
	CHECK_STR(scenario_directive(&sc, MPM_WORKER, "MaxRequestWorkers"), "300");
	CHECK_STR(scenario_directive(&sc, MPM_EVENT, "maxclients"), "300");
	CHECK_STR(scenario_directive(&sc, MPM_PREFORK, "MaxConnectionsPerChild"), "4000");
	CHECK(scenario_directive(&sc, MPM_WORKER, "MaxConnectionsPerChild") == NULL);
	CHECK_STR(scenario_directive(&sc, MPM_WORKER, "ThreadsPerChild"), "25");
	CHECK_STR(scenario_directive(&sc, MPM_EVENT, "ThreadsPerChild"), "20");
	CHECK(scenario_directive(&sc, MPM_PREFORK, "ThreadsPerChild") == NULL); /* not a prefork directive */
	CHECK_STR(scenario_directive(&sc, MPM_PREFORK, "KeepAlive"), "On");
	CHECK_STR(scenario_directive(&sc, MPM_EVENT, "LogLevel"), "warn mpm_event:info");
	CHECK(scenario_directive(&sc, MPM_EVENT, "Include") == NULL);
	CHECK(scenario_directive(&sc, MPM_EVENT, "StartServers") == NULL);
	scenario_free(&sc);
	scenario_free(&sc); /* twice is fine */
}

static void test_defaults(void)
{
	struct scenario sc;
	struct errbuf e;

	CHECK(scenario_parse(&sc, "", 0, "dir/empty.scn", &e) == 0);
	CHECK_STR(sc.name, "empty");
	CHECK_STR(sc.url_path, "/test.html");
	CHECK_EQ_U(sc.requests, 1000);
	CHECK_EQ_U(sc.concurrency, 100);
	CHECK(!sc.keepalive);
	CHECK(sc.timeout_s == 30);
	CHECK_EQ_U(sc.rlimit_as_kb, 0);
	CHECK_EQ_U(sc.nfiles, 1); /* the seed's test.html */
	CHECK_STR(sc.files[0].name, "test.html");
	CHECK_STR(sc.files[0].content, "<html><body><h1>Apache Benchmark Test</h1></body></html>\n");
	scenario_free(&sc);

	/* a duration without requests means "until the duration" */
	CHECK(parse(&sc, "[load]\nduration = 10s\nconcurrency = 5000\n", &e) == 0);
	CHECK_EQ_U(sc.requests, 0);
	CHECK(sc.duration_s == 10);
	scenario_free(&sc);

	/* [limits] as a size */
	CHECK(parse(&sc, "[limits]\naddress_space = 512M\n", &e) == 0);
	CHECK_EQ_U(sc.rlimit_as_kb, 512 * 1024);
	scenario_free(&sc);

	/* empty content via quotes */
	CHECK(parse(&sc, "[file e.txt]\ncontent = \"\"\n", &e) == 0);
	CHECK_STR(sc.files[0].content, "");
	CHECK_EQ_U(sc.files[0].size, 0);
	scenario_free(&sc);
}

static void test_errors(void)
{
	/* structure */
	bad("[scenario]\nname = x\n[nope]\n", "t.scn:3: unknown section [nope]");
	bad("name = x\n", "t.scn:1: key 'name' outside any section");
	bad("[load]\nrequests 100\n", "t.scn:2: expected 'key = value', got 'requests 100'");
	bad("[load\n", "t.scn:1: malformed section header '[load' (expected [name])");
	bad("[load]\n[load]\n", "t.scn:2: duplicate section [load] (first at line 1)");
	bad("[load x]\n", "t.scn:1: section [load] takes no argument");
	bad("[load] x\n", "t.scn:1: malformed section header '[load] x' (expected [name])");
	bad("[load]\n = 3\n", "t.scn:2: missing key before '='");
	bad("[load]\nrequests =\n", "t.scn:2: empty value for 'requests' (use \"\" for an empty string)");
	bad("[load]\nre quests = 1\n", "t.scn:2: bad key 're quests' (expected 'key = value')");
	/* unknown keys, duplicates */
	bad("[scenario]\n\n\n\n\n\n\n\n\n\n\nfoo = 1\n", "t.scn:12: unknown key 'foo' in [scenario]");
	bad("[load]\nfoo = 1\n", "t.scn:2: unknown key 'foo' in [load]");
	bad("[limits]\nmemory = 1\n", "t.scn:2: unknown key 'memory' in [limits]");
	bad("[expect]\ntext = 1\n", "t.scn:2: unknown key 'text' in [expect]");
	bad("[load]\nrequests = 10\nrequests = 20\n", "t.scn:3: duplicate key 'requests' in [load] (first at line 2)");
	bad("[scenario]\nname = a\nname = b\n", "t.scn:3: duplicate key 'name' in [scenario] (first at line 2)");
	bad("[limits]\nulimit_v = 1000\nulimit_v = 1000\n", "t.scn:3: duplicate key 'ulimit_v' in [limits] (first at line 2)");
	bad("[limits]\nulimit_v = 1000\naddress_space = 1M\n", "t.scn:3: ulimit_v and address_space set the same limit: give only one");
	/* types and ranges */
	bad("[load]\nrequests = -5\n", "t.scn:2: requests: '-5' is not a non-negative integer");
	bad("[load]\nrequests = 1e3\n", "t.scn:2: requests: '1e3' is not a non-negative integer");
	bad("[load]\nconcurrency = 0\n", "t.scn:2: concurrency must be at least 1");
	bad("[load]\nconcurrency = ten\n", "t.scn:2: concurrency: 'ten' is not a non-negative integer");
	bad("[load]\nrequests = 10\nconcurrency = 20\n", "t.scn:3: concurrency (20) is larger than requests (10)");
	bad("[load]\nrequests = 10\n", "t.scn:2: requests (10) is smaller than the default concurrency (100): set concurrency");
	bad("[load]\nrequests = 0\n", "t.scn:2: requests = 0 needs a duration");
	bad("[load]\nkeepalive = maybe\n", "t.scn:2: keepalive: 'maybe' is not on/off");
	bad("[load]\nduration = 5 s\n", "t.scn:2: duration: '5 s' is not a duration (e.g. 5, 1.5s, 200ms, 2m)");
	bad("[load]\ntimeout = 0\n", "t.scn:2: timeout must be greater than 0");
	bad("[load]\nrate = -1\n", "t.scn:2: rate: '-1' is not a non-negative number of requests/s");
	bad("[load]\nthreads = 5000\n", "t.scn:2: threads: 5000 is too large (at most 1024)");
	bad("[load]\npath = test.html\n", "t.scn:2: path: 'test.html' must start with '/'");
	bad("[load]\npath = \"/a b\"\n", "t.scn:2: path: no blanks or control characters allowed");
	bad("[scenario]\nname = ../etc\n", "t.scn:2: name: '../etc' is not a valid scenario name ([A-Za-z0-9._-])");
	bad("[limits]\nulimit_v = 0\n", "t.scn:2: ulimit_v: 0 would forbid everything; leave [limits] out for no limit");
	/* files */
	bad("[file]\n", "t.scn:1: [file] needs a name: [file NAME]");
	bad("[file ../x]\n", "t.scn:1: bad file name '../x' (use [A-Za-z0-9._-], not starting with '.', at most 63 characters)");
	bad("[file .htaccess]\n", "t.scn:1: bad file name '.htaccess' (use [A-Za-z0-9._-], not starting with '.', at most 63 characters)");
	bad("[file a]\nsize = 1\n[file a]\n", "t.scn:3: duplicate section [file a]");
	bad("[file a]\ncontent = x\nsize = 1\n", "t.scn:3: [file a]: content and size are exclusive");
	bad("[file a]\nsize = 10Q\n", "t.scn:2: size: '10Q' is not a size (e.g. 512, 4k, 10M)");
	bad("[file a]\nsize = 2G\n", "t.scn:2: size: 2G is too large (at most 1G)");
	bad("[file a]\nmode = 1\n", "t.scn:2: unknown key 'mode' in [file a] (expected content or size)");
	bad("[file a]\ncontent = \\q\n", "t.scn:2: content: unknown escape '\\q' (use \\n \\r \\t \\\\ \\\")");
	bad("[load]\nrequests = 5\nconcurrency = 1\n[file a]\n\n[file b]\nsize = 1\n", "t.scn:4: [file a] needs content or size");
	/* the directive allow-list */
	bad_prefix("[server]\nInclude = /etc/passwd\n", "t.scn:2: 'Include' is not an allowed directive in [server]");
	bad_prefix("[prefork]\nLoadModule = x y\n", "t.scn:2: 'LoadModule' is not an allowed directive in [prefork]");
	bad("[server]\nLogLevel = debug\\nInclude /etc/x\n",
	    "t.scn:2: LogLevel: value 'debug\\nInclude /etc/x' may only contain letters, digits, spaces and . _ : -");
	bad("[server]\nTimeout = \"5\"\"\n", "t.scn:2: Timeout: value '5\"' may only contain letters, digits, spaces and . _ : -");
	bad("[worker]\nStartServers = $(reboot)\n",
	    "t.scn:2: StartServers: value '$(reboot)' may only contain letters, digits, spaces and . _ : -");
	bad("[prefork]\nThreadsPerChild = 25\n", "t.scn:2: ThreadsPerChild is not a directive of the prefork MPM");
	bad("[worker]\nAsyncRequestWorkerFactor = 2\n", "t.scn:2: AsyncRequestWorkerFactor is not a directive of the worker MPM");
	bad("[event]\nMinSpareServers = 2\n", "t.scn:2: MinSpareServers is not a directive of the event MPM");
	bad("[event]\nMaxClients = 2\nmaxrequestworkers = 3\n", "t.scn:3: duplicate directive MaxRequestWorkers in [event]");
	bad("[load]\nrequests = 5\nconcurrency = 1\nx\n", "t.scn:4: expected 'key = value', got 'x'");
	/* counts */
	{
		char text[4096] = "[expect]\n";

		for (int i = 0; i <= SC_MAX_EXPECT; i++)
			strcat(text, "claim = c\n");
		bad(text, "t.scn:18: too many claims (at most 16)");
	}
	/* binary junk */
	{
		struct scenario sc;
		struct errbuf e;
		static const char junk[] = "[load]\nrequests = 5\0\n";

		CHECK(scenario_parse(&sc, junk, sizeof(junk) - 1, "t.scn", &e) == -1);
		CHECK_STR(e.msg, "t.scn:2: NUL byte in the file");
	}
	/* Control characters quoted from a value reach the message as '?': an
	 * error is one printable line (found by tests/fuzz/fuzz_scenario). */
	bad("[load]\nrequests = 1000\021concurrency = 100\n",
	    "t.scn:2: requests: '1000?concurrency = 100' is not a non-negative integer");
	bad("[load]\nkeepalive = o\033[2Jn\r\r\n", "t.scn:2: keepalive: 'o?[2Jn' is not on/off");
	bad("[load]\nrate = 1\r5\n", "t.scn:2: rate: '1?5' is not a non-negative number of requests/s");
	bad("[file a\033b]\n", "t.scn:1: bad file name 'a?b' (use [A-Za-z0-9._-], not starting with '.', at most 63 characters)");
}

static void test_mpm_names(void)
{
	enum mpm m;

	CHECK(mpm_parse("prefork", &m) == 0 && m == MPM_PREFORK);
	CHECK(mpm_parse("Worker", &m) == 0 && m == MPM_WORKER);
	CHECK(mpm_parse("event", &m) == 0 && m == MPM_EVENT);
	CHECK(mpm_parse("winnt", &m) == -1);
	CHECK(mpm_parse(NULL, &m) == -1);
	CHECK_STR(mpm_name(MPM_EVENT), "event");
	CHECK_STR(mpm_name(MPM__MAX), "?");
}

static void test_sizes(void)
{
	uint64_t v;
	struct errbuf e;

	CHECK(parse_size("10M", &v, "size", &e) == 0 && v == 10ull << 20);
	CHECK(parse_size("4k", &v, "size", &e) == 0 && v == 4096);
	CHECK(parse_size("512", &v, "size", &e) == 0 && v == 512);
	CHECK(parse_size("1GB", &v, "size", &e) == 0 && v == 1ull << 30);
	CHECK(parse_size("-1", &v, "size", &e) == -1);
	CHECK(parse_size("", &v, "size", &e) == -1);
}

/* The shipped scenarios: all parse, the list is sorted, baseline is the seed. */
static void test_shipped(void)
{
	char **names;
	struct errbuf e;
	struct scenario sc;
	int n;

	setenv("MPMSCOPE_SCENARIOS", "scenarios", 1);
	n = scenario_list(&names, &e);
	CHECK(n >= 1);
	for (int i = 0; i < n; i++) {
		if (i)
			CHECK(strcmp(names[i - 1], names[i]) < 0);
		if (scenario_load(&sc, names[i], &e) < 0) {
			unit_fail++;
			fprintf(stderr, "scenario %s: %s\n", names[i], e.msg);
			continue;
		}
		unit_pass++;
		CHECK_STR(sc.name, names[i]);
		CHECK(sc.description[0] != 0);
		CHECK(sc.nexpect > 0);
		scenario_free(&sc);
	}
	scenario_list_free(names, n);

	CHECK(scenario_load(&sc, "baseline", &e) == 0);
	CHECK_STR(sc.path, "scenarios/baseline.scn");
	CHECK_EQ_U(sc.requests, 1000);
	CHECK_EQ_U(sc.concurrency, 100);
	CHECK(!sc.keepalive);
	CHECK_STR(sc.url_path, "/test.html");
	CHECK_STR(sc.files[0].content, "<html><body><h1>Apache Benchmark Test</h1></body></html>\n");
	CHECK_STR(scenario_directive(&sc, MPM_PREFORK, "StartServers"), "5");
	CHECK_STR(scenario_directive(&sc, MPM_PREFORK, "MaxSpareServers"), "10");
	CHECK_STR(scenario_directive(&sc, MPM_PREFORK, "MaxRequestWorkers"), "100");
	CHECK_STR(scenario_directive(&sc, MPM_PREFORK, "MaxConnectionsPerChild"), "1000");
	CHECK_STR(scenario_directive(&sc, MPM_WORKER, "StartServers"), "3");
	CHECK_STR(scenario_directive(&sc, MPM_WORKER, "MaxRequestWorkers"), "150");
	CHECK_STR(scenario_directive(&sc, MPM_WORKER, "ThreadLimit"), "64");
	CHECK_STR(scenario_directive(&sc, MPM_EVENT, "StartServers"), "2");
	CHECK_STR(scenario_directive(&sc, MPM_EVENT, "MaxConnectionsPerChild"), "10000");
	CHECK_EQ_U(sc.nexpect, 3);
	scenario_free(&sc);

	CHECK(scenario_load(&sc, "memory-limit", &e) == 0);
	CHECK_EQ_U(sc.rlimit_as_kb, 500000);
	scenario_free(&sc);

	CHECK(scenario_load(&sc, "no-such-scenario", &e) == -1);
	CHECK_STR(e.msg, "unknown scenario 'no-such-scenario' (see 'mpmscope scenarios')");
	CHECK(scenario_load(&sc, "./scenarios/baseline.scn", &e) == 0);
	CHECK_STR(sc.name, "baseline");
	scenario_free(&sc);
	CHECK(scenario_load(&sc, "/nonexistent/x.scn", &e) == -1);
	CHECK_STR(e.msg, "cannot open /nonexistent/x.scn: No such file or directory");

	unsetenv("MPMSCOPE_SCENARIOS");
	/* run from the repo root, but the working directory is not searched:
	 * build/tests/ has no ../share/mpmscope nor ../scenarios beside it, so
	 * the compiled PREFIX is left (tests/package.sh checks the installed
	 * lookups) */
	CHECK_STR(scenario_dir(), MPMSCOPE_PREFIX "/share/mpmscope/scenarios");
}

/* [cgi NAME]: a script beside the files, and test.html still served */
static void test_cgi(void)
{
	struct scenario sc;
	struct errbuf e;

	CHECK(parse(&sc, "[cgi hello]\ncontent = #!/bin/sh\\necho hi\\n\n", &e) == 0);
	CHECK_EQ_U(sc.nfiles, 2);
	CHECK(sc.files[0].cgi);
	CHECK_STR(sc.files[0].name, "hello");
	CHECK_STR(sc.files[0].content, "#!/bin/sh\necho hi\n");
	CHECK(!sc.files[1].cgi);
	CHECK_STR(sc.files[1].name, "test.html");
	CHECK(scenario_has_cgi(&sc));
	scenario_free(&sc);
	CHECK(parse(&sc, "[file hello]\ncontent = x\n[cgi hello]\ncontent = #!/bin/sh\n", &e) == 0);
	CHECK_EQ_U(sc.nfiles, 2);
	scenario_free(&sc);
	CHECK(parse(&sc, "[file a]\ncontent = x\n", &e) == 0);
	CHECK(!scenario_has_cgi(&sc));
	scenario_free(&sc);
	bad("[cgi]\n", "t.scn:1: [cgi] needs a name: [cgi NAME]");
	bad("[cgi ../x]\n", "t.scn:1: bad file name '../x' (use [A-Za-z0-9._-], not starting with '.', at most 63 characters)");
	bad("[cgi x]\ncontent = echo\n", "t.scn:2: [cgi x]: content must start with '#!/' and the interpreter's path (a script)");
	bad("[cgi x]\nsize = 1k\n", "t.scn:2: unknown key 'size' in [cgi x] (expected content)");
	bad("[cgi x]\n", "t.scn:1: [cgi x] needs content");
	bad("[cgi x]\ncontent = #!/bin/sh\n[cgi x]\n", "t.scn:3: duplicate section [cgi x]");
}

/* [php] and [backend]: modes per MPM, the pool, the upstream's delay and prefix */
static void test_dynamic(void)
{
	struct scenario sc;
	struct errbuf e;

	CHECK(parse(&sc, "[php]\nworker = mod_php\nmax_children = 5\n", &e) == 0);
	CHECK(sc.php.on);
	CHECK(scenario_php_mode(&sc, MPM_PREFORK) == SC_PHP_MOD_PHP);
	CHECK(scenario_php_mode(&sc, MPM_WORKER) == SC_PHP_MOD_PHP);
	CHECK(scenario_php_mode(&sc, MPM_EVENT) == SC_PHP_FPM);
	CHECK_STR(sc.php.pm, "static");
	CHECK_EQ_U(sc.php.max_children, 5);
	CHECK(!sc.backend.on);
	scenario_free(&sc);
	CHECK(parse(&sc, "[backend]\n", &e) == 0);
	CHECK(sc.backend.on);
	CHECK(sc.backend.delay_s > 0.199 && sc.backend.delay_s < 0.201);
	CHECK_STR(sc.backend.prefix, "/backend/");
	CHECK(scenario_php_mode(&sc, MPM_EVENT) == SC_PHP_NONE);
	scenario_free(&sc);
	CHECK(parse(&sc, "[backend]\ndelay = 0\npath = /api/v1/\n", &e) == 0);
	CHECK(sc.backend.delay_s == 0);
	CHECK_STR(sc.backend.prefix, "/api/v1/");
	scenario_free(&sc);
	bad("[php]\nevent = cgi\n", "t.scn:2: event: 'cgi' is not mod_php or fpm");
	bad("[php]\npm = lazy\n", "t.scn:2: pm: 'lazy' is not static, dynamic or ondemand");
	bad("[php]\nmax_children = 257\n", "t.scn:2: max_children: 257 is not between 1 and 256");
	bad("[php]\nprefork = fpm\nprefork = fpm\n", "t.scn:3: duplicate key 'prefork' in [php] (first at line 2)");
	bad("[backend]\ndelay = 61\n", "t.scn:2: delay: 61 is too long (at most 60 s)");
	bad("[backend]\npath = /\n", "t.scn:2: path: '/' is not a prefix like /backend/ (starts and ends with '/', at most 63 characters)");
	bad("[backend]\npath = /a b/\n", "t.scn:2: path: '/a b/' may only contain letters, digits and / . _ -");
	bad("[backend]\nport = 80\n", "t.scn:2: unknown key 'port' in [backend]");
}

int main(void)
{
	test_dynamic();
	test_good();
	test_cgi();
	test_defaults();
	test_errors();
	test_mpm_names();
	test_sizes();
	test_shipped();
	return unit_done("test_scenario");
}
