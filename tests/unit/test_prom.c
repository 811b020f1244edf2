// SPDX-License-Identifier: MIT
/* prom: exact seconds, label escaping, log2-ns histograms as cumulative
 * Prometheus buckets, and a rendered page's families and gauges. */
#include <stdlib.h>

#include "model/model.h"
#include "report/prom.h"
#include "unit.h"

static const char *sec(uint64_t ns)
{
	static struct sbuf b;

	b.len = 0;
	prom_seconds(&b, ns);
	return b.buf;
}

/* The value on the line that starts with `prefix ` (NULL if absent). */
static const char *value_of(const char *page, const char *prefix)
{
	static char v[64];
	size_t n = strlen(prefix);

	for (const char *l = page; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, prefix, n) && l[n] == ' ') {
			size_t k = strcspn(l + n + 1, "\n");

			snprintf(v, sizeof(v), "%.*s", (int)k, l + n + 1);
			return v;
		}
	}
	return NULL;
}

/* The series of a page and the values they must have (NULL: not there). */
struct want {
	const char *series, *value;
};

static void check_page(const char *page, const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *got = value_of(page, w[i].series);

		if (w[i].value ? got && !strcmp(got, w[i].value) : !got) {
			unit_pass++;
		} else {
			unit_fail++;
			fprintf(stderr, "%s: %s is %s, expected %s\n", __FILE__, w[i].series, got ? got : "(absent)",
				w[i].value ? w[i].value : "(absent)");
		}
	}
}

static const struct want hist_worker[] = {
	{ "x_seconds_bucket{role=\"worker\",le=\"0.000001024\"}", "3" },
	{ "x_seconds_bucket{role=\"worker\",le=\"0.000004096\"}", "3" },
	{ "x_seconds_bucket{role=\"worker\",le=\"0.000008192\"}", "5" },
	{ "x_seconds_bucket{role=\"worker\",le=\"1099.511627776\"}", "5" },
	{ "x_seconds_bucket{role=\"worker\",le=\"+Inf\"}", "5" },
	{ "x_seconds_sum{role=\"worker\"}", "0.0000115" },
	{ "x_seconds_count{role=\"worker\"}", "5" },
	{ "x_seconds_bucket{role=\"worker\",le=\"0.000000512\"}", NULL },
};

static const struct want page[] = {
	{ "mpmscope_server_processes", "4" },  /* 3 + (4-1) - 2 */
	{ "mpmscope_server_threads", "61" },   /* 50 + 3 + 10 - 2 */
	{ "mpmscope_tasks_created_total{kind=\"process\"}", "4" },
	{ "mpmscope_accepts_total", "2000" },
	{ "mpmscope_accept_errors_total{errno=\"EAGAIN\"}", "7" },
	{ "mpmscope_cpu_seconds_total{role=\"worker\"}", "1.5" },
	{ "mpmscope_cpu_seconds_total{role=\"listener\"}", NULL }, /* zero: left out */
	{ "mpmscope_keepalive_held_task_seconds_total", "2.5" },
	{ "mpmscope_wakeups_total{waker=\"external\",wakee=\"listener\"}", "9" },
	{ "mpmscope_runqueue_latency_seconds_bucket{role=\"worker\",le=\"0.000032768\"}", "3" },
	{ "mpmscope_connections_closed_total{closer=\"server_fin\"}", "5" },
	{ "mpmscope_connection_requests_total", "77" },
	{ "mpmscope_scrapes_total", "1" },
};

int main(void)
{
	struct sbuf b = { 0 };
	struct ms_hist h = { 0 };
	static struct tracer_counts base, now;
	struct prom_source s = { 0 };

	CHECK_STR(sec(0), "0");
	CHECK_STR(sec(1), "0.000000001");
	CHECK_STR(sec(1500), "0.0000015");
	CHECK_STR(sec(2000000000ULL), "2");
	CHECK_STR(sec(1099511627776ULL), "1099.511627776");

	prom_label_value(&b, "a\"b\\c\nd");
	CHECK_STR(b.buf, "a\\\"b\\\\c\\nd");
	sb_free(&b);

	/* 3 values under 1 us (folded into the first bucket), 2 in [2^12, 2^13) ns */
	h.slots[0] = 1;
	h.slots[9] = 2;
	h.slots[12] = 2;
	h.count = 5;
	h.sum_ns = 3 * 500 + 2 * 5000;
	prom_hist(&b, "x_seconds", "role=\"worker\"", &h);
	check_page(b.buf, hist_worker, sizeof(hist_worker) / sizeof(hist_worker[0]));
	sb_free(&b);
	/* count read before a slot it includes: +Inf and _count never below a bucket */
	h.count = 4;
	prom_hist(&b, "y", "", &h);
	CHECK_STR(value_of(b.buf, "y_bucket{le=\"+Inf\"}"), "5");
	CHECK_STR(value_of(b.buf, "y_count"), "5");
	sb_free(&b);

	/* a page */
	base.c[MS_C_PROC_CREATED] = 1;
	now.c[MS_C_PROC_CREATED] = 4;
	now.c[MS_C_PROC_EXITED] = 2;
	now.c[MS_C_THREAD_CREATED] = 10;
	now.c[MS_C_ACCEPT_OK] = 2000;
	now.accept_errno[11] = 7;
	now.sched.oncpu_ns[MS_ROLE_WORKER] = 1500000000ULL;
	now.sched.off_ns[MS_ROLE_WORKER][MS_OFF_KEEPALIVE] = 2 * NSEC_PER_SEC;
	now.sched.off_ns[MS_ROLE_CHILD_MAIN][MS_OFF_KEEPALIVE] = NSEC_PER_SEC / 2;
	now.sched.wakeups[MS_WAKER_EXTERNAL][MS_ROLE_LISTENER] = 9;
	now.hists[MS_H_RUNQ + MS_ROLE_WORKER].slots[14] = 3;
	now.hists[MS_H_RUNQ + MS_ROLE_WORKER].count = 3;
	s.mpm = "event";
	s.comm = "ap\"ache";
	s.attach_mode = "tp_btf";
	s.syscall_mode = "fexit";
	s.httpd_pid = 42;
	s.seeded_procs = 3;
	s.seeded_threads = 50;
	s.base = &base;
	s.now = &now;
	s.conns_available = true;
	s.conns.closes[CLOSER_SERVER_FIN] = 5;
	s.conns.requests = 77;
	s.scrapes = 1;
	prom_render(&b, &s);
	CHECK(strstr(b.buf, "mpmscope_info{mpm=\"event\",httpd_pid=\"42\",comm=\"ap\\\"ache\",attach_mode=\"tp_btf\",syscall_mode=\"fexit\",version=\"") != NULL);
	check_page(b.buf, page, sizeof(page) / sizeof(page[0]));
	CHECK(strstr(b.buf, "# TYPE mpmscope_runqueue_latency_seconds histogram\n") != NULL);
	CHECK(strstr(b.buf, "# TYPE mpmscope_accepts_total counter\n") != NULL);
	CHECK(b.buf[b.len - 1] == '\n');
	sb_free(&b);
	s.conns_available = false;
	prom_render(&b, &s);
	CHECK(strstr(b.buf, "mpmscope_connections_closed_total") == NULL);
	CHECK(strstr(b.buf, "mpmscope_listen_backlog") == NULL); /* no port known: no listener metrics */
	sb_free(&b);

	/* each listening port, from its listener; the SYN watcher's drops only when it runs */
	{
		static const uint16_t ports[] = { 8080, 8443 };

		s.ports = ports;
		s.nports = 2;
		now.listen[0].queue = 3;
		now.listen[0].backlog = 511;
		now.listen[1].kernel_drops = 17;
		now.listen[1].syn_drops = 12;
		now.listen[1].ack_drops = 2;
		prom_render(&b, &s);
		CHECK(strstr(b.buf, "\nmpmscope_listen_queue_length{port=\"8080\"} 3\n") != NULL);
		CHECK(strstr(b.buf, "\nmpmscope_listen_backlog{port=\"8080\"} 511\n") != NULL);
		CHECK(strstr(b.buf, "\nmpmscope_listen_drops_total{port=\"8443\"} 17\n") != NULL);
		CHECK(strstr(b.buf, "mpmscope_listen_handshake_drops_total") == NULL);
		sb_free(&b);
		s.syn_watch = true;
		prom_render(&b, &s);
		CHECK(strstr(b.buf, "\nmpmscope_listen_handshake_drops_total{port=\"8443\",packet=\"syn\"} 12\n") != NULL);
		CHECK(strstr(b.buf, "\nmpmscope_listen_handshake_drops_total{port=\"8443\",packet=\"ack\"} 2\n") != NULL);
		sb_free(&b);
	}
	return unit_done("test_prom");
}
