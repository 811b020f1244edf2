// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tasks: every process and thread the server creates (task_newtask: its
 * role, its slot in task_tab, a tracked process) and how each ends
 * (sched_process_exit: its life record, the slot freed).
 */
#include "common.bpf.h"

/* --- process and thread creation ------------------------------------------ */

static __always_inline void on_newtask(struct task_struct *task, __u64 clone_flags)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct ms_proc *parent = bpf_map_lookup_elem(&tracked, &tgid);
	struct ms_event *ev;
	bool thread = clone_flags & MS_CLONE_THREAD;

	struct ms_spawn_call *call;
	struct ms_task life = {};
	__u32 ctid, tid = (__u32)pid_tgid;
	bool be;

	if (!parent)
		return;
	ctid = BPF_CORE_READ(task, pid);
	life.created_ns = bpf_ktime_get_ns();
	life.flags = thread ? MS_TF_THREAD : 0;
	{
		/* Roles from the creator: the parent forks children; a worker/event
		 * child's main thread starts the starter, which starts the workers
		 * and, last, the listener (recognised later by what it waits on).
		 * A "child" of a threaded MPM's parent that forks processes is
		 * mod_cgid's daemon (a child's main thread only makes threads).
		 * The processes a child or cgid forks stay `other` until they exec
		 * (on_exec: cgi). A backend's tasks (php-fpm, the upstream, seeded
		 * by user space) keep to their own roles. */
		struct ms_task *creator = task_of(tid);
		__u32 crole = creator ? role_of(creator) : MS_ROLE_OTHER;

		if (crole == MS_ROLE_FPM_MASTER)
			life.role = thread ? MS_ROLE_FPM_MASTER : MS_ROLE_FPM_WORKER;
		else if (crole == MS_ROLE_FPM_WORKER || crole == MS_ROLE_BACKEND || crole == MS_ROLE_CGI)
			life.role = crole;
		else if (!thread)
			life.role = crole == MS_ROLE_PARENT ? (targ_mpm == TARG_PREFORK ? MS_ROLE_PREFORK_CHILD
										: MS_ROLE_CHILD_MAIN)
							    : MS_ROLE_OTHER;
		else if (crole == MS_ROLE_CHILD_MAIN)
			life.role = MS_ROLE_STARTER;
		else if (crole == MS_ROLE_STARTER)
			life.role = MS_ROLE_WORKER;
		else
			life.role = MS_ROLE_OTHER;
		if (!thread && creator && crole == MS_ROLE_CHILD_MAIN)
			creator->role = MS_ROLE_CGID;
	}
	be = backend_role(life.role);
	{
		struct ms_task *t = task_add(ctid);

		if (t) {
			life.tid = ctid;
			*t = life;
		}
	}
	call = bpf_map_lookup_elem(&spawn_calls, &tid);
	if (call)
		call->kind = thread ? 2 : 1;
	if (thread) {
		count(be ? MS_C_BACKEND_THREAD_CREATED : MS_C_THREAD_CREATED);
	} else {
		struct ms_proc child = {
			.created_ns = bpf_ktime_get_ns(),
			.parent_tgid = tgid,
			.depth = parent->depth + 1,
		};
		__u32 ctgid = BPF_CORE_READ(task, tgid);

		count(be ? MS_C_BACKEND_PROC_CREATED : MS_C_PROC_CREATED);
		if (bpf_map_update_elem(&tracked, &ctgid, &child, BPF_ANY))
			count(MS_C_TRACK_FULL);
	}
	ev = event_reserve(MS_EV_SPAWN, pid_tgid);
	if (!ev)
		return;
	ev->spawn.clone_flags = clone_flags;
	ev->spawn.child_tid = ctid;
	ev->spawn.child_tgid = BPF_CORE_READ(task, tgid);
	ev->flags = be ? MS_EVF_BACKEND : 0;
	event_submit(ev, false);
}

TWIN(ms_newtask, task_newtask, on_newtask(task, clone_flags), struct task_struct *task, __u64 clone_flags)

/* --- exits ------------------------------------------------------------------ */

static __always_inline void on_exit(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 tid = BPF_CORE_READ(task, pid);
	struct ms_event *ev;
	struct ms_task *life;
	bool group_dead, be;

	if (!bpf_map_lookup_elem(&tracked, &tgid))
		return;
	/* do_exit() decrements signal->live before this tracepoint: 0 means this
	 * is the last thread (the sched_process_exit group_dead argument exists
	 * only on recent kernels; this works on all). */
	group_dead = task_group_dead(task);
	life = task_of(tid);
	be = life && backend_role(role_of(life));
	count(be ? MS_C_BACKEND_EXITED : group_dead ? MS_C_PROC_EXITED : MS_C_THREAD_EXITED);
	ev = event_reserve(MS_EV_EXIT, ((__u64)tgid << 32) | tid);
	if (ev) {
		ev->exit.exit_code = BPF_CORE_READ(task, exit_code);
		ev->exit.group_dead = group_dead;
		ev->exit.runtime_ns = BPF_CORE_READ(task, se.sum_exec_runtime);
		ev->exit.min_flt = BPF_CORE_READ(task, min_flt);
		ev->exit.maj_flt = BPF_CORE_READ(task, maj_flt);
		ev->exit.nvcsw = BPF_CORE_READ(task, nvcsw);
		ev->exit.nivcsw = BPF_CORE_READ(task, nivcsw);
		if (life)
			ev->exit.life = *life;
		else
			__builtin_memset(&ev->exit.life, 0, sizeof(ev->exit.life));
		ev->flags = be ? MS_EVF_BACKEND : 0;
		event_submit(ev, group_dead);
	}
	task_del(tid, life);
	if (group_dead)
		bpf_map_delete_elem(&tracked, &tgid);
}

TWIN(ms_proc_exit, sched_process_exit, on_exit(task), struct task_struct *task)

/* --- exec: CGI processes ------------------------------------------------------ */

/*
 * A process two or more generations below the httpd parent that execs a
 * program is a CGI (mod_cgi's child forks it, mod_cgid's daemon does under
 * the threaded MPMs), and so is what a CGI script runs in turn. Decided from
 * the process tree and the exec itself, not from a name: the seeded parent
 * (depth 0) execs httpd, a piped logger is the parent's own child (depth 1)
 * and stays `other`. A backend's processes (php-fpm's pool) keep their
 * roles. Rare: one run per exec on the machine, one hash lookup.
 */
static __always_inline void on_exec(struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	struct ms_proc *proc = bpf_map_lookup_elem(&tracked, &tgid);
	struct ms_task *t;

	if (!proc || proc->depth < 2)
		return;
	t = task_of(BPF_CORE_READ(p, pid));
	if (t && (t->role == MS_ROLE_OTHER || t->role == MS_ROLE_PREFORK_CHILD))
		t->role = MS_ROLE_CGI;
}

TWIN(ms_exec, sched_process_exec, on_exec(p), struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
