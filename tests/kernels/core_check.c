// SPDX-License-Identifier: MIT
/*
 * core_check: loads tests/kernels/core_check.bpf.c (every helper of
 * bpf/core_fixes.bpf.h, CO-RE-relocated against the running kernel),
 * makes the kernel produce the events they read (switches, a TCP connection,
 * a child process and a thread exiting), and compares the values with what
 * /proc and the syscalls say. Prints "PASS x" / "FAIL x" and "N passed, N failed".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "core_check.skel.h"

static int npass, nfail;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		npass++;
	else
		nfail++;
}

static void *thread_fn(void *arg) { return arg; }

static int quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	return l == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(void)
{
	struct core_check_bpf *s;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	long statm_size, statm_rss = -1;
	pthread_t th;
	pid_t child;
	FILE *f;
	int ls, cs, as;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(quiet);
	s = core_check_bpf__open();
	if (!s) {
		check(0, "core_check: open the BPF object");
		goto out;
	}
	s->rodata->target_tgid = (unsigned)getpid();
	if (core_check_bpf__load(s)) {
		check(0, "core_check: load (CO-RE relocations of core_fixes.bpf.h against this kernel)");
		goto out;
	}
	check(1, "core_check: loaded (CO-RE relocations of core_fixes.bpf.h resolved)");
	if (core_check_bpf__attach(s)) {
		check(0, "core_check: attach");
		goto out;
	}

	/* a TCP connection on loopback, a child process, a thread, some sleeps */
	ls = socket(AF_INET, SOCK_STREAM, 0);
	bind(ls, (struct sockaddr *)&a, sizeof(a));
	listen(ls, 1);
	getsockname(ls, (struct sockaddr *)&a, &al);
	cs = socket(AF_INET, SOCK_STREAM, 0);
	connect(cs, (struct sockaddr *)&a, sizeof(a));
	as = accept(ls, NULL, NULL);
	close(cs);
	close(as);
	close(ls);
	child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	pthread_create(&th, NULL, thread_fn, NULL);
	pthread_join(th, NULL);
	for (int i = 0; i < 20; i++)
		usleep(5000);
	f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &statm_size, &statm_rss) != 2)
			statm_rss = -1;
		fclose(f);
	}
	getppid(); /* a syscall after the statm read: rss_pages is fresh */
	core_check_bpf__detach(s);

	check(s->bss->switches > 0, "sched_switch ran (%llu times)", (unsigned long long)s->bss->switches);
	check(s->bss->state_counts[1] > 0, "task_state(prev): TASK_INTERRUPTIBLE seen (%llu)",
	      (unsigned long long)s->bss->state_counts[1]);
	check(s->bss->state_bogus == 0 && s->bss->state_counts[0] > 0,
	      "task_state(prev): every value a task state (running:%llu interruptible:%llu "
	      "uninterruptible:%llu bogus:%llu)",
	      (unsigned long long)s->bss->state_counts[0], (unsigned long long)s->bss->state_counts[1],
	      (unsigned long long)s->bss->state_counts[2], (unsigned long long)s->bss->state_bogus);
	check(s->bss->cpu_checked > 0 && s->bss->cpu_mismatch == 0,
	      "task_cpu(next) == the CPU it is switched in on (%llu checked, %llu mismatches)",
	      (unsigned long long)s->bss->cpu_checked, (unsigned long long)s->bss->cpu_mismatch);
	check(statm_rss > 0 && s->bss->rss_pages > statm_rss / 2 && s->bss->rss_pages < statm_rss * 2 + 64,
	      "mm_rss_total_pages() close to /proc/self/statm (%ld vs %ld pages)", s->bss->rss_pages, statm_rss);
	check(s->bss->proto_seen == IPPROTO_TCP, "sk_protocol() of a TCP socket == IPPROTO_TCP (%u)",
	      s->bss->proto_seen);
	check(s->bss->exits_group_dead == 1, "task_group_dead(): the child process's exit (%llu)",
	      (unsigned long long)s->bss->exits_group_dead);
	check(s->bss->exits_thread == 1, "task_group_dead(): false for a thread's exit (%llu threads)",
	      (unsigned long long)s->bss->exits_thread);
out:
	core_check_bpf__destroy(s);
	printf("core_check: %d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
