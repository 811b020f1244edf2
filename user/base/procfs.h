/* SPDX-License-Identifier: MIT */
/*
 * Small readers of /proc: one place that knows its formats (the comm field of
 * /proc/PID/stat may hold spaces and parentheses; zombies have an empty
 * smaps_rollup...). Every reader returns -1 (or 0 entries) for a process that
 * is gone: callers race with exits by design.
 */
#ifndef MPMSCOPE_BASE_PROCFS_H
#define MPMSCOPE_BASE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Fields of /proc/PID/stat. */
struct proc_stat {
	char state;                    /* R, S, D, Z (zombie), X (dead)... */
	pid_t ppid, pgrp;
	unsigned long long starttime;  /* clock ticks after boot: tells a pid reused */
};
int procfs_stat(pid_t pid, struct proc_stat *st);
pid_t procfs_ppid(pid_t pid);                       /* -1 if gone */
int procfs_comm(pid_t pid, char *buf, size_t n);    /* the command name, no newline */
int procfs_exe(pid_t pid, char *buf, size_t n);     /* the binary's path */
int procfs_threads(pid_t pid);                      /* Threads: of /proc/PID/status, 0 if gone */
/* Pids whose parent is ppid / tids of pid / live members of process group
 * pgid (zombies excluded), up to max; return the count found, which may
 * exceed max. */
int procfs_children(pid_t ppid, pid_t *out, int max);
int procfs_tids(pid_t pid, pid_t *out, int max);
int procfs_pgid_members(pid_t pgid, pid_t *out, int max);
/* Every pid in /proc, visited in directory order. */
void procfs_each_pid(void (*fn)(pid_t pid, void *ctx), void *ctx);
/* The syscall a thread is blocked in (/proc/PID/task/TID/syscall: its
 * number, and its six arguments into args), -1 if running or unknown. */
long procfs_syscall(pid_t pid, pid_t tid, unsigned long args[6]);
/* The same, its number only. */
long procfs_blocked_in(pid_t pid, pid_t tid);
/* This process, as Prometheus client libraries report one: CPU time and
 * start time in seconds (the start since the epoch), memory in bytes, open
 * descriptors and their limit. 0, or -1 if /proc/self is unreadable. */
struct procfs_self {
	double cpu_s, start_s;
	unsigned long long rss, vsize, fds, max_fds;
};
int procfs_self_stats(struct procfs_self *out);
/* The machine's CPU time from /proc/stat's first line, in ns (USER_HZ
 * ticks: 10 ms each on most kernels), and the CPUs online. */
struct procfs_cpu {
	unsigned ncpu;
	unsigned long long user_ns;    /* user + nice */
	unsigned long long system_ns;  /* system */
	unsigned long long irq_ns;     /* irq + softirq (the loopback network's receive side) */
	unsigned long long idle_ns;    /* idle + iowait */
	unsigned long long steal_ns;   /* taken by the hypervisor for other guests */
};
int procfs_cpu_times(struct procfs_cpu *out);
/* This process's effective capabilities (CapEff); -1 if unreadable. */
int procfs_capeff(unsigned long long *eff);
/* A file holding one number (/proc/sys/kernel/pid_max); dflt if unreadable. */
long long procfs_number(const char *path, long long dflt);

#endif
