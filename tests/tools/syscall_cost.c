// SPDX-License-Identifier: MIT
/*
 * syscall_cost [LOOPS [ROUNDS]]: nanoseconds per getppid(), the cheapest
 * system call there is: the best of ROUNDS (default 15) rounds of LOOPS calls
 * (default 200,000). Many short rounds find the quiet moments of a busy or
 * emulated machine (qemu TCG runs both vCPUs on one host thread). While a
 * syscall tracepoint is attached anywhere, every task's system calls take the
 * kernel's slow path; this shows what that costs, and that fexit and kprobes
 * do not cost it (tests/kernels/guest.sh, bench/syscall-cost).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long loops = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 15;
	double best = 1e18;

	if (argc > 3 || loops < 1000 || loops > 100000000 || rounds < 1 || rounds > 100000) {
		fprintf(stderr, "usage: syscall_cost [LOOPS: 1000 to 100000000 [ROUNDS: 1 to 100000]]\n");
		return 2;
	}
	for (long r = 0; r < rounds; r++) {
		struct timespec a, b;
		double ns;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < loops; i++)
			syscall(SYS_getppid);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)loops;
		if (ns < best)
			best = ns;
	}
	printf("%.1f\n", best);
	return 0;
}
