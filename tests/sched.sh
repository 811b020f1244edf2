#!/bin/bash
# Wake-ups, roles, run queue and off-CPU time per MPM against a real Apache
# with real BPF: the patterns each MPM's design implies must show.
. "$(dirname "$0")/lib.sh"

# One connection at a time, no keep-alive: the hand-offs are easy to count.
cat >"$TMP/seq.scn" <<'SCN'
[scenario]
name = sequential
description = 300 requests one connection at a time, 4 children
[load]
requests = 300
concurrency = 1
[prefork]
StartServers = 4
MinSpareServers = 4
MaxSpareServers = 8
[worker]
StartServers = 4
ThreadsPerChild = 10
MinSpareThreads = 10
MaxSpareThreads = 60
MaxRequestWorkers = 40
[event]
StartServers = 4
ThreadsPerChild = 10
MinSpareThreads = 10
MaxSpareThreads = 60
MaxRequestWorkers = 40
SCN
J="$TMP/seq.json"
"$MPMSCOPE" compare -s "$TMP/seq.scn" --json "$J" >"$TMP/out" 2>&1
check_eq "compare sequential exits 0" "$?" 0
pair() { jqr "$J" "[.runs[] | select(.mpm == \"$1\") | .kernel.sched.wakeups_by_pair[] | select(.waker == \"$2\" and .wakee == \"$3\") | .count] | add // 0"; }
role() { jqr "$J" ".runs[] | select(.mpm == \"$1\") | .kernel.sched.tasks_by_role.$2 // 0"; }

check_eq "prefork: no listener thread" "$(role prefork listener)" 0
check_eq "prefork: no listener -> worker wake-ups" "$(pair prefork listener worker)" 0
check_ge "prefork: children woken by the network (the client)" "$(pair prefork external prefork_child)" 150
for m in worker event; do
	check_eq "$m: one listener per child" "$(role $m listener)" "$(role $m child_main)"
	check_eq "$m: ThreadsPerChild workers per child" "$(role $m worker)" $(($(role $m child_main) * 10))
	check_eq "$m: one starter per child" "$(role $m starter)" "$(role $m child_main)"
done
# worker: the listener hands each accepted connection to a worker (one per
# connection); event: a worker per request too here (one request per connection)
lw=$(pair worker listener worker)
check_ge "worker: listener -> worker wake-ups ~ one per connection (>= 0.8)" "$((lw * 10))" $((300 * 8))
check_le "worker: listener -> worker wake-ups ~ one per connection (<= 1.5)" "$((lw * 10))" $((300 * 15))
le=$(pair event listener worker)
check_ge "event: listener -> worker wake-ups ~ one per request (>= 0.8)" "$((le * 10))" $((300 * 8))
# event: no EPOLLEXCLUSIVE in 2.4, so a new connection wakes the listener of
# every idle child (4 here): about 3 extra wake-ups per connection
herd=$(jqr "$J" '.runs[] | select(.mpm == "event") | .kernel.sched.herd_wakeups_per_conn * 100 | floor')
check_ge "event: thundering herd with StartServers 4 (>= 1 extra listener wake-up per connection)" "$herd" 100
# ...and it comes from the other children: the same load on one child gives
# about 3 fewer listener wake-ups per connection (what remains is event's
# asynchronous lingering close: the client's FIN reaches the listener). A
# connection wakes only the listeners idle in epoll_wait then: when this
# VM's neighbours hold the CPUs, the others are still on a run queue (1.6
# more, not 3, once in a full run), so more than one is asked, not three.
sed -e 's/^StartServers = 4$/StartServers = 1/' "$TMP/seq.scn" >"$TMP/seq1.scn"
"$MPMSCOPE" run -m event -s "$TMP/seq1.scn" --json "$TMP/seq1.json" >/dev/null 2>&1
herd1=$(jqr "$TMP/seq1.json" '.runs[0].kernel.sched.herd_wakeups_per_conn * 100 | floor')
check_ge "event: 3 more children add >= 1 listener wake-up per connection ($herd vs $herd1, x100)" \
	"$((herd - herd1))" 100
check_eq "prefork: children blocked in accept4 are woken one at a time (no EAGAIN)" \
	"$(jqr "$J" '.runs[] | select(.mpm == "prefork") | .kernel.sched.herd_eagain')" 0
# an idle worker's off-CPU time lands in idle_worker
for m in worker event; do
	idle=$(jqr "$J" ".runs[] | select(.mpm == \"$m\") | .kernel.sched.offcpu_us_by_role_reason.worker.idle_worker.us // 0 | floor")
	all=$(jqr "$J" "[.runs[] | select(.mpm == \"$m\") | .kernel.sched.offcpu_us_by_role_reason.worker[].us] | add | floor")
	check_ge "$m: workers' off-CPU time is mostly idle_worker (>= 90%)" "$((idle * 10))" $((all * 9))
done
# the listener of event waits in epoll_wait: wait_connection
check_ge "event: listener off-CPU in wait_connection" \
	"$(jqr "$J" '.runs[] | select(.mpm == "event") | .kernel.sched.offcpu_us_by_role_reason.listener.wait_connection.count // 0')" 100
check_ge "prefork: children wait for connections in accept4" \
	"$(jqr "$J" '.runs[] | select(.mpm == "prefork") | .kernel.sched.offcpu_us_by_role_reason.prefork_child.wait_connection.count // 0')" 100
for m in prefork worker event; do
	R=".runs[] | select(.mpm == \"$m\") | .kernel.sched"
	check_eq "$m: run-queue p50 <= p99 <= max, and measured" \
		"$(jqr "$J" "$R.runq_us | (.n > 0 and .p50 <= .p99 and .p99 <= .max)")" true
	check_eq "$m: CPU per request between 1 us and 10 ms" \
		"$(jqr "$J" "$R.cpu_us_per_request | (. > 1 and . < 10000)")" true
	check_eq "$m: context switches per request > 0" "$(jqr "$J" "$R.cswitch_per_request > 0")" true
done
# The hot programs take time from the scheduler's own clock and accounting
# (rq->clock, sum_exec_runtime, sched_info) where the kernel has them, else
# from bpf_ktime_get_ns(): both ways must tell the same story.
check_eq "the scheduler's clock is used on this kernel" \
	"$(jqr "$TMP/seq1.json" '.runs[0].kernel.sched_clock')" "run-queue clock + sched_info"
MPMSCOPE_KTIME_ONLY=1 "$MPMSCOPE" run -m event -s "$TMP/seq1.scn" --json "$TMP/seq1k.json" >/dev/null 2>&1
check_eq "MPMSCOPE_KTIME_ONLY=1: bpf_ktime_get_ns" "$(jqr "$TMP/seq1k.json" '.runs[0].kernel.sched_clock')" bpf_ktime_get_ns
for f in seq1 seq1k; do
	R=".runs[0].kernel.sched"
	check_ge "$f: listener -> worker wake-ups ~ one per request" \
		"$(jqr "$TMP/$f.json" "[$R.wakeups_by_pair[] | select(.waker == \"listener\" and .wakee == \"worker\") | .count] | add // 0")" 240
	# a listener that finds the next connection already queued (it was
	# preempted by the worker it woke) does not sleep for it: on 2 busy cores
	# that is up to ~20% of requests, so the floor is 2/3 per request
	check_ge "$f: listener's off-CPU periods in wait_connection >= 2/3 per request" \
		"$(jqr "$TMP/$f.json" "$R.offcpu_us_by_role_reason.listener.wait_connection.count // 0")" 200
	idle=$(jqr "$TMP/$f.json" "$R.offcpu_us_by_role_reason.worker.idle_worker.us // 0 | floor")
	all=$(jqr "$TMP/$f.json" "[$R.offcpu_us_by_role_reason.worker[].us] | add | floor")
	check_ge "$f: workers' off-CPU time is mostly idle_worker (>= 90%)" "$((idle * 10))" $((all * 9))
	check_eq "$f: run-queue samples >= one per request, p50 <= p99 <= max" \
		"$(jqr "$TMP/$f.json" "$R.runq_us | (.n >= 300 and .p50 <= .p99 and .p99 <= .max)")" true
done
# sched_switch keeps a per-CPU record of who runs, read by sched_waking and
# sock_recv_length instead of helper calls where per-CPU lookups are inlined;
# the raw_tp programs always call the helpers: the same wake-ups either way
check_eq "the current task from sched_switch's per-CPU record on this kernel" \
	"$(jqr "$TMP/seq1.json" '.runs[0].kernel.current_task')" "per-CPU record (sched_switch)"
"$MPMSCOPE" run -m event -s "$TMP/seq1.scn" --no-btf-tracepoints --json "$TMP/seq1r.json" >/dev/null 2>&1
check_eq "raw_tp: the current task from helper calls" "$(jqr "$TMP/seq1r.json" '.runs[0].kernel.current_task')" "helper calls"
# the counts vary from run to run (the listener wakes workers 1.3 to 1.8 times
# per request), who wakes whom does not: each wakee's main waker, either way
for f in seq1 seq1r; do
	share() { # WAKER WAKEE: percent of WAKEE's wake-ups that WAKER made
		jqr "$TMP/$f.json" "[.runs[0].kernel.sched.wakeups_by_pair[] | select(.wakee == \"$2\")] |
			((map(select(.waker == \"$1\") | .count) | add // 0) * 100 / ((map(.count) | add // 0) + 0.001) | floor)"
	}
	# (97-98 % as a rule; 89 % once in CI, on a run the VM's neighbours
	# disturbed: the main waker by far either way)
	check_ge "$f: workers are woken by the listener (% of their wake-ups)" "$(share listener worker)" 80
	# the client's SYN and FIN wake it; a worker wakes it when the FIN came
	# before the worker parked the connection in epoll, or when the listener
	# waited for an idle worker (timing: 1-20% of its wake-ups)
	check_ge "$f: the listener is woken from outside the server: the client (%)" "$(share external listener)" 67
done
# CPU time comes from se.sum_exec_runtime either way (charged at each
# switch-out); its oracle is the same counter at exit, per process: the
# child's lifetime CPU holds the load phase's on-CPU time of its listener
# and workers, and little else (starting, the readiness probe, stopping:
# 3-50 ms, against a load of 24-630 ms for the same 300 requests as this
# VM's neighbours come and go). Runs differ up to 25x on this machine, so
# each run is checked against itself, not the other, and "most" is half.
for f in seq1 seq1k; do
	load_us=$(jqr "$TMP/$f.json" '[.runs[0].kernel.sched.cpu_us_by_role[]] | add | floor')
	life_us=$(jqr "$TMP/$f.json" '[.runs[0].kernel.procs[] | select(.role == "child") | .cpu_ns] | add / 1000 | floor')
	check_le "$f: load-phase CPU of the child's threads <= its CPU at exit ($load_us vs $life_us us)" "$load_us" "$life_us"
	check_ge "$f: ... and most of it (>= 50%)" "$((load_us * 10))" "$((life_us * 5))"
done
check_clean "sched"
finish
