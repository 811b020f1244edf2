/* SPDX-License-Identifier: MIT */
/*
 * Memory of the server, sampled from /proc/PID/smaps_rollup on a thread of its
 * own while the load runs: RSS, PSS (shared pages divided among the processes
 * that map them: the honest total) and USS (private pages: what one more
 * process really costs).
 */
#ifndef MPMSCOPE_TRACE_MEMORY_H
#define MPMSCOPE_TRACE_MEMORY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>


#define MEM_MAX_PROCS 1024
#define MEM_MAX_GROUPS 4

struct mem_proc {
	pid_t pid;
	uint32_t threads;
	uint64_t rss_kb, pss_kb, uss_kb;
};

/* One sampled instant: totals over the server's processes. */
struct mem_sample {
	uint64_t t_ns;             /* the processes were listed by then */
	uint64_t t_end_ns;         /* and read by then */
	uint32_t procs;            /* server processes found in /proc (zombies excluded) */
	uint32_t procs_exiting;    /* of which on their way out: memory released, not zombies yet */
	uint32_t threads;
	uint64_t rss_kb, pss_kb, uss_kb;
};

struct mem_result {
	struct mem_sample *samples;
	size_t nsamples;
	struct mem_sample peak;    /* the sample with the largest PSS */
	struct mem_proc *peak_procs; /* every process at the peak sample */
	size_t npeak_procs;
};

struct mem_sampler;

/* Sample the processes of group pgid (a server started in its own process
 * group: its parent and every child), and of the nalso groups also (its
 * backends': php-fpm leads a session of its own), every interval_ms until
 * mem_sampler_stop(). */
struct mem_sampler *mem_sampler_start(pid_t pgid, const pid_t *also, int nalso, unsigned interval_ms);
void mem_sampler_stop(struct mem_sampler *s, struct mem_result *out);
void mem_result_free(struct mem_result *r);

/* One process now; -1 if it is gone. */
int mem_read_proc(pid_t pid, struct mem_proc *out);

#endif
