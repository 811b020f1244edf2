// SPDX-License-Identifier: MIT
#include "trace/memory.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/procfs.h"
#include "base/util.h"

struct mem_sampler {
	pid_t pgid;
	pid_t also[MEM_MAX_GROUPS]; /* more groups: a backend's (php-fpm makes its own session) */
	int nalso;
	unsigned interval_ms;
	pthread_t thread;
	bool stop;                 /* set and read atomically */
	struct vec samples;     /* struct mem_sample */
	struct mem_proc *peak_procs;
	size_t npeak;
	struct mem_sample peak;
};

/* A process that has released its memory on the way out (do_exit's exit_mm,
 * then the unmapping) but is not a zombie yet: the kernel still counts it
 * alive, and the unmapping of a large process can take milliseconds. */
static bool proc_exiting(pid_t pid)
{
	struct proc_stat st;

	return !procfs_stat(pid, &st) && st.state != 'Z' && st.state != 'X';
}

int mem_read_proc(pid_t pid, struct mem_proc *out)
{
	char path[64], line[256];
	unsigned long long v;
	uint64_t priv_clean = 0, priv_dirty = 0;
	FILE *f;
	bool any = false;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Rss: %llu kB", &v) == 1) {
			out->rss_kb = v;
			any = true;
		} else if (sscanf(line, "Pss: %llu kB", &v) == 1) {
			out->pss_kb = v;
		} else if (sscanf(line, "Private_Clean: %llu kB", &v) == 1) {
			priv_clean = v;
		} else if (sscanf(line, "Private_Dirty: %llu kB", &v) == 1) {
			priv_dirty = v;
		}
	}
	fclose(f);
	out->uss_kb = priv_clean + priv_dirty;
	out->threads = (uint32_t)procfs_threads(pid);
	return any ? 0 : -1; /* a zombie has an empty smaps_rollup */
}

static void sample_once(struct mem_sampler *s)
{
	pid_t pids[MEM_MAX_PROCS];
	struct mem_proc *procs;
	struct mem_sample *sm;
	/* the sample's window opens before /proc is listed: a process listed
	 * and read was alive at some moment of it */
	uint64_t t0 = now_ns();
	int n = procfs_pgid_members(s->pgid, pids, MEM_MAX_PROCS);
	size_t np = 0;

	if (n > MEM_MAX_PROCS)
		n = MEM_MAX_PROCS;
	for (int g = 0; g < s->nalso && n < MEM_MAX_PROCS; g++) {
		int m = procfs_pgid_members(s->also[g], pids + n, MEM_MAX_PROCS - n);

		n += m < MEM_MAX_PROCS - n ? m : MEM_MAX_PROCS - n;
	}
	procs = xcalloc((size_t)(n > 0 ? n : 1), sizeof(*procs));
	sm = vec_push(&s->samples);
	sm->t_ns = t0;
	for (int i = 0; i < n; i++) {
		if (mem_read_proc(pids[i], &procs[np])) {
			if (proc_exiting(pids[i]))
				sm->procs_exiting++;
			continue;
		}
		sm->rss_kb += procs[np].rss_kb;
		sm->pss_kb += procs[np].pss_kb;
		sm->uss_kb += procs[np].uss_kb;
		sm->threads += procs[np].threads;
		np++;
	}
	sm->procs = (uint32_t)np + sm->procs_exiting;
	sm->t_end_ns = now_ns();
	if (sm->pss_kb >= s->peak.pss_kb) {
		s->peak = *sm;
		free(s->peak_procs);
		s->peak_procs = procs;
		s->npeak = np;
	} else {
		free(procs);
	}
}

static void *sampler_thread(void *arg)
{
	struct mem_sampler *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		sample_once(s);
		for (unsigned slept = 0; slept < s->interval_ms && !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE); slept += 10)
			usleep(10 * 1000);
	}
	return NULL;
}

struct mem_sampler *mem_sampler_start(pid_t pgid, const pid_t *also, int nalso, unsigned interval_ms)
{
	struct mem_sampler *s = xcalloc(1, sizeof(*s));

	s->pgid = pgid;
	for (int i = 0; i < nalso && i < MEM_MAX_GROUPS; i++)
		s->also[s->nalso++] = also[i];
	s->interval_ms = interval_ms ? interval_ms : 250;
	vec_init(&s->samples, sizeof(struct mem_sample));
	if (pthread_create(&s->thread, NULL, sampler_thread, s)) {
		vec_free(&s->samples);
		free(s);
		return NULL;
	}
	return s;
}

void mem_sampler_stop(struct mem_sampler *s, struct mem_result *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
	pthread_join(s->thread, NULL);
	out->samples = s->samples.data;
	out->nsamples = s->samples.len;
	out->peak = s->peak;
	out->peak_procs = s->peak_procs;
	out->npeak_procs = s->npeak;
	free(s);
}

void mem_result_free(struct mem_result *r)
{
	free(r->samples);
	free(r->peak_procs);
	memset(r, 0, sizeof(*r));
}
