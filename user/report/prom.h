/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition format (version 0.0.4) of the kernel's
 * figures: what `mpmscope serve` answers on /metrics. Pure rendering from a
 * snapshot of the counters, so that it is unit-tested without BPF.
 */
#ifndef MPMSCOPE_REPORT_PROM_H
#define MPMSCOPE_REPORT_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/sbuf.h"
#include "model/conns.h"
#include "mpmscope.h"
#include "trace/tracer.h"

/* A label value, escaped as the format wants: \\, \" and \n. */
void prom_label_value(struct sbuf *b, const char *v);
/* ns as exact decimal seconds: 1500 -> "0.0000015", 2000000000 -> "2". */
void prom_seconds(struct sbuf *b, uint64_t ns);
/* The first (lowest) log2 slot given its own bucket: slots below are folded
 * into it (le = 2^(PROM_FIRST_SLOT+1) ns, about 1 us). */
#define PROM_FIRST_SLOT 9
/* One histogram series from a kernel log2-of-ns histogram (slot i holds
 * [2^i, 2^(i+1)) ns, so its upper bound le is 2^(i+1) ns): cumulative
 * _bucket lines, +Inf, _sum and _count in seconds. labels: "" or
 * `role="worker"` (already escaped). */
void prom_hist(struct sbuf *b, const char *name, const char *labels, const struct ms_hist *h);

struct prom_source {
	const char *mpm;            /* "event" */
	const char *comm;           /* "apache2" */
	const char *attach_mode;    /* "tp_btf" / "raw_tp" */
	const char *syscall_mode;   /* "fexit", "kprobe", "syscall tracepoints", "sys_enter/sys_exit" */
	pid_t httpd_pid;
	int seeded_procs, seeded_threads;      /* alive when attached */
	const struct tracer_counts *base;      /* read right after seeding */
	const struct tracer_counts *now;       /* read for this scrape */
	struct conn_counts conns;    /* folded from the CONN_END records */
	bool conns_available;       /* the kernel has the socket tracepoints */
	uint64_t scrapes;           /* this one included */
	/* the exporter across servers: up while one is followed; counters
	 * add up over every server followed (so they never go backwards) */
	bool up;
	uint64_t attaches;          /* servers followed since the exporter started */
	const uint64_t *failures;   /* failed connections by cause (enum fail_cause), NULL: none */
	const char *const *failure_ids; /* their label values, FC__MAX of them */
	int nfailures;
	const uint16_t *ports;      /* the server's listening ports (the listener metrics), nports of them */
	int nports;
	bool syn_watch;             /* the SYN watcher runs: per-packet drops are known */
	/* the host's php-fpm pools (attach_find_backends): Apache's connections
	 * to them, paired with their accepts as the records came */
	int backends;               /* php-fpm masters followed now */
	uint64_t backend_accepts, backend_paired;
	const struct ms_hist *backend_wait; /* connect to accept, ns */
	const int32_t *blocked;     /* server tasks blocked now, by reason (MS_OFF__MAX); NULL when down */
	int free_tasks;             /* of them, those free to take a connection */
	struct prom_self {          /* the exporter's own process (process_* metrics) */
		double cpu_s, start_s;  /* CPU time; start, seconds since the epoch */
		uint64_t rss, vsize;    /* bytes */
		uint64_t fds, max_fds;
		uint64_t http_accepted, http_evicted, http_timed_out;
		int http_open;
	} self;
};

void prom_render(struct sbuf *b, const struct prom_source *s);

#endif
