// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one definition of every map and every load-time knob of mpmscope's BPF
 * object, and its license. The programs (tasks.bpf.c, syscalls.bpf.c,
 * sched.bpf.c, sockets.bpf.c) see them through the extern declarations of
 * common.bpf.h, which also says what each one holds; user space sees them
 * in the one skeleton (skel->maps.NAME, skel->rodata->NAME), in the order
 * they are defined here. A new map: its typedef and its extern in
 * common.bpf.h, its definition here; a new knob: its extern there, its
 * definition and default here.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* maps: the types are common.bpf.h's, which its externs share */
tracked_map_t tracked SEC(".maps");
counters_map_t counters SEC(".maps");
accept_errno_map_t accept_errno SEC(".maps");
create_errno_map_t create_errno SEC(".maps");
task_tab_map_t task_tab SEC(".maps");
spawn_calls_map_t spawn_calls SEC(".maps");
hists_map_t hists SEC(".maps");
sched_map_t sched SEC(".maps");
conn_tab_map_t conn_tab SEC(".maps");
conns_map_t conns SEC(".maps");
listen_ports_map_t listen_ports SEC(".maps");
sample_ports_map_t sample_ports SEC(".maps");
events_map_t events SEC(".maps");
task_slot_map_t task_slot SEC(".maps");
oncpu_map_t oncpu SEC(".maps");
reap_calls_map_t reap_calls SEC(".maps");
listeners_map_t listeners SEC(".maps");
listen_sk_map_t listen_sk SEC(".maps");
syn_wait_map_t syn_wait SEC(".maps");
gauge_map_t gauge SEC(".maps");

/* knobs: the loader sets them in the skeleton's .rodata before load; these
 * are the values of a loader that does not */
const volatile __u64 wakeup_bytes = 64 * 1024;
const volatile __u32 targ_mpm = 0;
const volatile bool has_rdonly_cast = false;
const volatile bool fast_current = false;
const volatile bool use_rq_clock = false;
const volatile bool has_prev_state = false;
const volatile __u16 server_ports[4] = {};
const volatile __u32 nserver_ports = 0;
const volatile bool watch_syns = false;

/* Set at run time by the kernel side: one bit per server_ports[] slot whose
 * accept queue is at least half full, so that the SYN watcher is attached
 * only then (listen.bpf.c, trace/listen.c). */
__u32 listen_hot = 0;
