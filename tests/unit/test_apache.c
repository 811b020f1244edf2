// SPDX-License-Identifier: MIT
/*
 * The Apache controller against the real httpd (needs root and apache2-bin;
 * prints "skipped" and passes otherwise). Run from the repo root.
 *  - each MPM: find, prepare, spawn (gated), release, wait_ready, GET /test.html,
 *    the process/thread tree, the access log oracle, stop, cleanup;
 *  - the gate aborted before release; exec failure; start-up failure (port taken);
 *  - bad inputs: missing --httpd, a non-Apache binary, port in use, config error;
 *  - every shipped scenario passes `httpd -t` on every MPM;
 *  - the address-space limit reaches Apache only;
 *  - parent death: the server goes away by itself; apache_sweep_stale cleans up.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apache/apache.h"
#include "base/procfs.h"
#include "unit.h"

static void msleep(int ms)
{
	usleep((useconds_t)ms * 1000);
}

static bool exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static int count_tasks(pid_t pid)
{
	return procfs_tids(pid, NULL, 0);
}

static uid_t proc_uid(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	unsigned uid = (unsigned)-1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return (uid_t)-1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %*u %u", &uid) == 1)
			break;
	fclose(f);
	return (uid_t)uid;
}

/* Any live process whose cmdline mentions s? */
static int procs_mentioning(const char *s)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		char path[64], cmd[4096];
		FILE *f;
		size_t len;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || atoi(de->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/cmdline", de->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		len = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		for (size_t i = 0; i < len; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		cmd[len] = 0;
		if (strstr(cmd, s))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* GET path over a raw socket; returns the status, the body in body. */
static int http_get(uint16_t port, const char *path, char *body, size_t blen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	char req[256], resp[8192];
	size_t got = 0;
	int fd, status = -1;
	ssize_t r;
	char *b;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return -1;
	}
	while (got < sizeof(resp) - 1 && (r = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)r;
	resp[got] = 0;
	close(fd);
	sscanf(resp, "HTTP/1.%*d %d", &status);
	b = strstr(resp, "\r\n\r\n");
	snprintf(body, blen, "%s", b ? b + 4 : "");
	return status;
}

static void load_text(struct scenario *sc, const char *text)
{
	struct errbuf e;

	if (scenario_parse(sc, text, strlen(text), "inline.scn", &e) < 0) {
		fprintf(stderr, "inline scenario: %s\n", e.msg);
		exit(2);
	}
}

/* Children of the httpd parent: its process group minus itself. */
static int children(struct apache *a, pid_t *out, int max)
{
	pid_t all[256];
	int n = apache_list_procs(a, all, 256), k = 0;

	for (int i = 0; i < n && i < 256; i++)
		if (all[i] != a->proc.pid && k < max)
			out[k++] = all[i];
	return k;
}

static void test_mpm(enum mpm m, const struct scenario *sc)
{
	struct apache a;
	struct errbuf e;
	char body[1024], rundir[256], tail[2048], conf_mention[300];
	pid_t kids[64];
	int nk = 0, want, tasks_seen[64];

	apache_init(&a);
	a.mpm = m;
	a.sc = sc;
	CHECK(apache_find(&a, NULL, &e) == 0);
	CHECK(apache_prepare(&a, &e) == 0);
	if (!a.rundir[0]) {
		fprintf(stderr, "%s: prepare: %s\n", mpm_name(m), e.msg);
		return;
	}
	snprintf(rundir, sizeof(rundir), "%s", a.rundir);
	snprintf(conf_mention, sizeof(conf_mention), "%s/httpd.conf", rundir);
	CHECK(a.port != 0);
	CHECK(exists(a.conf));
	{
		struct stat st;

		CHECK(stat(a.rundir, &st) == 0 && (st.st_mode & 0777) == 0755);
	}
	CHECK(apache_spawn(&a, &e) == 0);
	CHECK(a.proc.pid > 0);
	msleep(50);
	/* gated: the child exists, has not exec'd httpd, nothing listens */
	CHECK(apache_alive(&a));
	CHECK(getpgid(a.proc.pid) == a.proc.pid);
	CHECK(procs_mentioning(conf_mention) == 0);
	CHECK(http_get(a.port, "/", body, sizeof(body)) == -1);
	CHECK(apache_release(&a, &e) == 0);
	CHECK(apache_wait_ready(&a, 15, &e) == 0);
	if (!a.probe_conns)
		fprintf(stderr, "%s: wait_ready: %s\n", mpm_name(m), e.msg);
	CHECK(a.probe_conns >= 1);
	CHECK(a.probe_ports[0] != 0);

	CHECK_EQ_U(http_get(a.port, "/test.html", body, sizeof(body)), 200);
	CHECK_STR(body, "<html><body><h1>Apache Benchmark Test</h1></body></html>\n");
	CHECK_EQ_U(http_get(a.port, "/nope.html", body, sizeof(body)), 404);
	CHECK_EQ_U(http_get(a.port, "/server-status?auto", body, sizeof(body)), 200);
	CHECK(strstr(body, "ServerMPM: ") != NULL);
	{
		char want_mpm[64];

		snprintf(want_mpm, sizeof(want_mpm), "ServerMPM: %s", mpm_name(m));
		CHECK(strstr(body, want_mpm) != NULL);
	}

	/* The process tree once start-up is done: StartServers children. */
	want = atoi(scenario_directive(sc, m, "StartServers"));
	for (int i = 0; i < 100; i++) {
		bool settled = true;

		nk = children(&a, kids, 64);
		for (int k = 0; k < nk && k < 64; k++) {
			tasks_seen[k] = count_tasks(kids[k]);
			if (m != MPM_PREFORK && tasks_seen[k] != atoi(scenario_directive(sc, m, "ThreadsPerChild")) + 2)
				settled = false;
		}
		if (nk >= want && settled)
			break;
		msleep(50);
	}
	CHECK(nk >= want);
	printf("%s: httpd parent %d (%d threads), %d children:", mpm_name(m), (int)a.proc.pid, count_tasks(a.proc.pid), nk);
	for (int k = 0; k < nk && k < 64; k++)
		printf(" %d(%d threads, uid %d)", (int)kids[k], tasks_seen[k], (int)proc_uid(kids[k]));
	printf("\n");
	CHECK_EQ_U(count_tasks(a.proc.pid), 1);
	for (int k = 0; k < nk && k < 64; k++) {
		if (m == MPM_PREFORK)
			CHECK_EQ_U(tasks_seen[k], 1);
		else /* main thread (pod pipe) + listener + ThreadsPerChild workers; the starter exited */
			CHECK_EQ_U(tasks_seen[k], atoi(scenario_directive(sc, m, "ThreadsPerChild")) + 2);
		{
			/* a child forked a moment ago may not have dropped root yet */
			int uid = (int)proc_uid(kids[k]);

			for (int i = 0; uid == 0 && i < 40; i++) {
				msleep(50);
				uid = (int)proc_uid(kids[k]);
			}
			CHECK(uid != 0); /* www-data */
		}
	}
	CHECK(proc_uid(a.proc.pid) == 0);

	/* access log oracle: the probe's port is there */
	{
		char path[400], log[8192], needle[64];
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "%s", a.accesslog);
		msleep(100);
		f = fopen(path, "r");
		n = f ? fread(log, 1, sizeof(log) - 1, f) : 0;
		log[n] = 0;
		if (f)
			fclose(f);
		snprintf(needle, sizeof(needle), "127.0.0.1 %u - 0 200", a.probe_ports[0]);
		CHECK(strstr(log, needle) != NULL);
		CHECK(strstr(log, "\"GET /test.html HTTP/1.0\"") != NULL);
		if (!strstr(log, needle))
			fprintf(stderr, "access log:\n%s\nexpected: %s\n", log, needle);
	}
	apache_errlog_tail(&a, tail, sizeof(tail), 3);
	CHECK(strstr(tail, "resuming normal operations") != NULL);

	CHECK(apache_stop(&a, 10) == 0);
	CHECK(a.stopped);
	CHECK(apache_list_procs(&a, kids, 64) == 0);
	CHECK(procs_mentioning(conf_mention) == 0);
	CHECK(!apache_alive(&a));
	CHECK(apache_stop(&a, 10) == 0); /* twice */
	CHECK(exists(rundir));
	apache_cleanup(&a);
	CHECK(!exists(rundir));
	CHECK(a.rundir[0] == 0);
	apache_cleanup(&a); /* twice */
}

static void test_gate_abort(const struct scenario *sc)
{
	struct apache a;
	struct errbuf e;
	char rundir[256], errlog[300];

	apache_init(&a);
	a.mpm = MPM_EVENT;
	a.sc = sc;
	if (apache_find(&a, NULL, &e) || apache_prepare(&a, &e)) {
		CHECK(!"prepare");
		return;
	}
	snprintf(rundir, sizeof(rundir), "%s", a.rundir);
	snprintf(errlog, sizeof(errlog), "%s", a.errlog);
	CHECK(apache_spawn(&a, &e) == 0);
	CHECK(apache_stop(&a, 5) == 0);
	CHECK(a.proc.reaped && WIFEXITED(a.proc.exit_status) && WEXITSTATUS(a.proc.exit_status) == 0);
	CHECK(!exists(errlog)); /* httpd never ran */
	apache_cleanup(&a);
	CHECK(!exists(rundir));
}

static void test_bad_inputs(const struct scenario *sc)
{
	struct apache a;
	struct errbuf e;
	struct scenario bad;
	int lfd;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	apache_init(&a);
	a.mpm = MPM_WORKER;
	CHECK(apache_find(&a, "/nonexistent/httpd", &e) == -1);
	CHECK_STR(e.msg, "/nonexistent/httpd: No such file or directory");
	CHECK(apache_find(&a, "/bin/true", &e) == -1);
	CHECK_STR(e.msg, "/bin/true is not an Apache httpd binary");
	CHECK(apache_find(&a, "/etc/passwd", &e) == -1);
	CHECK_STR(e.msg, "/etc/passwd is not an Apache httpd binary");
	CHECK(apache_find(&a, "/usr/sbin/apache2", &e) == 0);
	CHECK_STR(a.modules_dir, "/usr/lib/apache2/modules");

	/* port in use */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(lfd, 1) == 0);
	getsockname(lfd, (struct sockaddr *)&sa, &sl);
	a.port = ntohs(sa.sin_port);
	a.sc = sc;
	CHECK(apache_prepare(&a, &e) == -1);
	{
		char want[128];

		snprintf(want, sizeof(want), "port 127.0.0.1:%u is already in use", a.port);
		CHECK_STR(e.msg, want);
	}
	CHECK(a.rundir[0] == 0);

	/* the port gets taken between prepare and start: httpd exits, we say why */
	close(lfd);
	a.port = 0;
	CHECK(apache_prepare(&a, &e) == 0);
	sa.sin_port = htons(a.port);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(lfd, 1) == 0);
	CHECK(apache_spawn(&a, &e) == 0 && apache_release(&a, &e) == 0);
	CHECK(apache_wait_ready(&a, 10, &e) == -1);
	{
		char want[160];

		snprintf(want, sizeof(want), "apache exited during start-up: AH00072: make_sock: could not bind to "
			 "address 127.0.0.1:%u (Address already in use)", a.port);
		CHECK_STR(e.msg, want);
	}
	CHECK(apache_stop(&a, 5) == 0);
	apache_cleanup(&a);
	close(lfd);

	/* exec failure */
	a.port = 0;
	CHECK(apache_prepare(&a, &e) == 0);
	snprintf(a.httpd, sizeof(a.httpd), "/nonexistent/apache2");
	CHECK(apache_spawn(&a, &e) == 0 && apache_release(&a, &e) == 0);
	CHECK(apache_wait_ready(&a, 5, &e) == -1);
	CHECK_STR(e.msg, "cannot exec /nonexistent/apache2: No such file or directory");
	apache_stop(&a, 5);
	apache_cleanup(&a);
	snprintf(a.httpd, sizeof(a.httpd), "/usr/sbin/apache2");

	/* values Apache itself rejects: the scenario parser leaves that to httpd -t */
	load_text(&bad, "[event]\nAsyncRequestWorkerFactor = abc\n");
	a.sc = &bad;
	a.mpm = MPM_EVENT;
	a.port = 0;
	CHECK(apache_find(&a, NULL, &e) == 0);
	CHECK(apache_prepare(&a, &e) == -1);
	CHECK_STR(e.msg, "apache config error: 'AsyncRequestWorkerFactor abc': error parsing value");
	CHECK(a.rundir[0] == 0);
	scenario_free(&bad);
	load_text(&bad, "[server]\nKeepAlive = maybe\n");
	CHECK(apache_prepare(&a, &e) == -1);
	CHECK_STR(e.msg, "apache config error: 'KeepAlive maybe': KeepAlive must be On or Off");
	scenario_free(&bad);
	/* ... and values it only adjusts: the warning is kept */
	load_text(&bad, "[worker]\nThreadsPerChild = abc\n");
	a.mpm = MPM_WORKER;
	CHECK(apache_find(&a, NULL, &e) == 0);
	CHECK(apache_prepare(&a, &e) == 0);
	CHECK(strstr(a.config_warnings, "AH00312: WARNING: ThreadsPerChild of 0 not allowed") != NULL);
	apache_cleanup(&a);
	scenario_free(&bad);
	load_text(&bad, "[server]\nLogLevel = verbose\n");
	CHECK(apache_prepare(&a, &e) == -1);
	CHECK(!strncmp(e.msg, "apache config error: 'LogLevel verbose': ", 41));
	printf("config error example: %s\n", e.msg);
	scenario_free(&bad);

	/* apache_stop / cleanup on a never-spawned struct are no-ops */
	apache_init(&a);
	CHECK(apache_stop(&a, 1) == 0);
	apache_cleanup(&a);
}

/* Every shipped scenario passes `httpd -t` on every MPM. */
static void test_shipped_configs(void)
{
	char **names;
	struct errbuf e;
	int n = scenario_list(&names, &e);

	CHECK(n >= 6);
	for (int i = 0; i < n; i++) {
		struct scenario sc;

		if (scenario_load(&sc, names[i], &e) < 0) {
			CHECK(!"scenario_load");
			continue;
		}
		for (int m = 0; m < MPM__MAX; m++) {
			struct apache a;
			int rc;

			apache_init(&a);
			a.mpm = (enum mpm)m;
			a.sc = &sc;
			if (sc.backend.on)
				a.upstream_port = 9; /* httpd -t does not connect */
			rc = apache_find(&a, NULL, &e) ? -1 : apache_prepare(&a, &e);
			/* mod_php under a threaded MPM: Apache's own refusal (1), the
			 * scenario's point; anything else must pass httpd -t */
			if (rc == 1 && scenario_php_mode(&sc, a.mpm) == SC_PHP_MOD_PHP && a.mpm != MPM_PREFORK &&
			    strstr(e.msg, "not compiled to be threadsafe")) {
				unit_pass++;
				continue;
			}
			if (rc) {
				unit_fail++;
				fprintf(stderr, "%s on %s: %s\n", names[i], mpm_name(a.mpm), e.msg);
				continue;
			}
			unit_pass++;
			if (a.config_warnings[0])
				printf("%s/%s: httpd -t says: %s\n", names[i], mpm_name(a.mpm), a.config_warnings);
			apache_cleanup(&a);
		}
		scenario_free(&sc);
	}
	scenario_list_free(names, n);
}

/* The address-space limit lands on Apache (parent and children), not on us. */
static void test_rlimit(void)
{
	struct scenario sc;
	struct apache a;
	struct errbuf e;
	struct rlimit mine;
	pid_t kids[64];
	char body[256];

	CHECK(scenario_load(&sc, "memory-limit", &e) == 0);
	apache_init(&a);
	a.mpm = MPM_PREFORK;
	a.sc = &sc;
	if (apache_find(&a, NULL, &e) || apache_prepare(&a, &e) || apache_spawn(&a, &e) ||
	    apache_release(&a, &e) || apache_wait_ready(&a, 15, &e)) {
		fprintf(stderr, "memory-limit: %s\n", e.msg);
		CHECK(!"memory-limit start");
	} else {
		pid_t procs[2] = { a.proc.pid, 0 };

		CHECK_EQ_U(http_get(a.port, "/test.html", body, sizeof(body)), 200);
		if (children(&a, kids, 64) > 0)
			procs[1] = kids[0];
		for (int i = 0; i < 2; i++) {
			char path[64], line[256];
			unsigned long long soft = 0, hard = 0;
			FILE *f;

			CHECK(procs[i] > 0);
			snprintf(path, sizeof(path), "/proc/%d/limits", (int)procs[i]);
			f = fopen(path, "r");
			while (f && fgets(line, sizeof(line), f))
				if (sscanf(line, "Max address space %llu %llu", &soft, &hard) == 2)
					break;
			if (f)
				fclose(f);
			CHECK_EQ_U(soft, 500000ull * 1024);
			CHECK_EQ_U(hard, 500000ull * 1024);
		}
	}
	getrlimit(RLIMIT_AS, &mine);
	CHECK(mine.rlim_cur == RLIM_INFINITY);
	apache_stop(&a, 10);
	apache_cleanup(&a);
	scenario_free(&sc);
}

/* mpmscope dies with SIGKILL: PDEATHSIG stops httpd; the sweep removes the dir. */
static void test_parent_death(const struct scenario *sc)
{
	int pfd[2];
	pid_t mid;
	char rundir[256] = "", mention[300];
	struct apache info;

	CHECK(pipe(pfd) == 0);
	mid = fork();
	if (mid == 0) {
		struct apache a;
		struct errbuf e;

		close(pfd[0]);
		apache_init(&a);
		a.mpm = MPM_WORKER;
		a.sc = sc;
		if (apache_find(&a, NULL, &e) || apache_prepare(&a, &e) || apache_spawn(&a, &e) ||
		    apache_release(&a, &e) || apache_wait_ready(&a, 15, &e))
			_exit(1);
		if (write(pfd[1], &a, sizeof(a)) != (ssize_t)sizeof(a))
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &info, sizeof(info)) != (ssize_t)sizeof(info)) {
		CHECK(!"intermediate process failed");
		close(pfd[0]);
		waitpid(mid, NULL, 0);
		return;
	}
	close(pfd[0]);
	snprintf(rundir, sizeof(rundir), "%s", info.rundir);
	snprintf(mention, sizeof(mention), "%s/httpd.conf", rundir);
	CHECK(procs_mentioning(mention) >= 2);
	kill(mid, SIGKILL);
	waitpid(mid, NULL, 0);
	for (int i = 0; i < 100 && procs_mentioning(mention); i++)
		msleep(100);
	CHECK_EQ_U(procs_mentioning(mention), 0);
	CHECK(exists(rundir));
	apache_sweep_stale();
	CHECK(!exists(rundir));
}

static void test_sweep_keeps_live(void)
{
	char dir[] = "/tmp/mpmscope.XXXXXX", path[64], buf[64];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/owner", dir);
	f = fopen(path, "w");
	snprintf(buf, sizeof(buf), "%d 0\n", (int)getpid());
	fputs(buf, f);
	fclose(f);
	apache_sweep_stale();
	CHECK(exists(dir)); /* we are alive */
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	struct scenario sc;
	struct errbuf e;
	struct apache probe;

	if (geteuid() != 0) {
		printf("test_apache: skipped (needs root)\n");
		return 0;
	}
	apache_init(&probe);
	if (apache_find(&probe, NULL, &e) < 0) {
		printf("test_apache: skipped (%s)\n", e.msg);
		return 0;
	}
	setenv("MPMSCOPE_SCENARIOS", "scenarios", 1);
	if (scenario_load(&sc, "baseline", &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	for (int m = 0; m < MPM__MAX; m++)
		test_mpm((enum mpm)m, &sc);
	test_gate_abort(&sc);
	test_bad_inputs(&sc);
	test_shipped_configs();
	test_rlimit();
	test_parent_death(&sc);
	test_sweep_keeps_live();
	scenario_free(&sc);
	return unit_done("test_apache");
}
