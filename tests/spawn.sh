#!/bin/bash
# Process and thread creation cost, the spawn timeline and memory, against a
# real Apache with real BPF: what the kernel records must agree with itself,
# with Apache's documented behaviour, and with /proc.
. "$(dirname "$0")/lib.sh"

J="$TMP/spawn.json"
"$MPMSCOPE" compare -s spawn-burst -t 4 --json "$J" >"$TMP/out" 2>&1
check_eq "compare -s spawn-burst exits 0" "$?" 0
grep -A4 '^creation' "$TMP/out"

for m in prefork worker event; do
	R=".runs[] | select(.mpm == \"$m\")"
	S="$R.kernel.spawn"
	np=$(jqr "$J" "$S.process_create_us.n")
	check_eq "$m: a creation time for every process created" "$np" "$(jqr "$J" "$S.processes")"
	check_eq "$m: kernel histogram counts the same process creations" \
		"$(jqr "$J" "$S.kernel_hist.process_create.count")" "$np"
	check_eq "$m: process creation times are > 0 and < 1 s" \
		"$(jqr "$J" "$S.process_create_us | (.p50 > 0 and .max < 1000000)")" true
	check_eq "$m: first run of every new process measured" \
		"$(jqr "$J" "$S.process_first_run_us.n")" "$np"
	check_eq "$m: first-run times < 1 s" "$(jqr "$J" "$S.first_run_us.max < 1000000")" true
	check_eq "$m: every process created became ready to serve" "$(jqr "$J" "$S.process_ready_us.n")" "$np"
	# the timeline ends with every task gone (Apache stopped) and its peak is
	# the number of processes alive at once
	check_eq "$m: timeline ends with no process alive" "$(jqr "$J" "$S.timeline[-1].procs")" 0
	check_eq "$m: timeline creations add up" "$(jqr "$J" "[$S.timeline[].procs_created] | add")" "$np"
	# /proc and the kernel's records agree on the number of server processes
	n=$(jqr "$J" "$R.memory.samples | length")
	same=$(jqr "$J" "[$R.memory.samples[] | select(.procs == .procs_kernel)] | length")
	# a sample reads /proc over a few ms: processes born or gone meanwhile may
	# or may not be in it. Those read with memory were alive at that moment
	# (their memory goes before their exit record), so they are at most what
	# the kernel saw alive at some moment of the window. With those on their
	# way out (memory gone, not zombies yet: either side of the exit record),
	# they are at least what it saw alive all along, less one for a process
	# between its creation record and its entry in /proc.
	# one line per sample: "ok", or what it read
	verdicts=$(jqr "$J" "$R.memory.samples[] |
		if .procs + 1 >= .procs_kernel_min and .procs - .procs_exiting <= .procs_kernel_max then \"ok\" else
		\"    sample at \\(.t_ms) ms: /proc \\(.procs) (\\(.procs_exiting) exiting), kernel \\(.procs_kernel) (min \\(.procs_kernel_min), max \\(.procs_kernel_max))\" end")
	check_ge "$m: memory sampled during the load" "$n" 4
	check_ge "$m: processes alive per /proc == per the kernel at >= 80% of samples" "$((same * 100))" $((n * 80))
	check_eq "$m: and within the kernel's count over the sample's read window at every sample" \
		"$(grep -cx ok <<<"$verdicts")" "$n" || grep -vx ok <<<"$verdicts"
	check_ge "$m: PSS measured" "$(jqr "$J" "$R.memory.pss_kb")" 1
	check_eq "$m: per-process PSS for every process at the peak" \
		"$(jqr "$J" "$R.memory.per_process_pss_kb | length")" "$(jqr "$J" "$R.memory.children + 1")"
done

P='.runs[] | select(.mpm == "prefork") | .kernel.spawn'
check_eq "prefork: creates only processes" "$(jqr "$J" "$P.threads")" 0
check_ge "prefork: the burst made the parent spawn under load" \
	"$(jqr "$J" '.runs[] | select(.mpm == "prefork") | .kernel.spawn_by_phase.load.processes')" 3
# Apache's maintenance loop doubles its spawn rate each busy second: the
# number alive grows 1 -> 2 -> 3 -> 5 -> 9 ...: at least 3 distinct steps.
steps=$(jqr "$J" "[$P.timeline[] | select(.procs_created > 0)] | length")
check_ge "prefork: spawns come in successive maintenance cycles" "$steps" 3
for m in worker event; do
	S=".runs[] | select(.mpm == \"$m\") | .kernel.spawn"
	nt=$(jqr "$J" "$S.thread_create_us.n")
	check_eq "$m: a creation time for every thread" "$nt" "$(jqr "$J" "$S.threads")"
	check_eq "$m: thread creation measured apart, > 0 and < 1 s" \
		"$(jqr "$J" "$S.thread_create_us | (.n > 0 and .p50 > 0 and .max < 1000000)")" true
	check_eq "$m: kernel histogram counts the same thread creations" \
		"$(jqr "$J" "$S.kernel_hist.thread_create.count")" "$nt"
done
check_clean "spawn-burst"

# A child killed with SIGKILL: an exit by signal 9, and a replacement spawn.
"$MPMSCOPE" run -m prefork -s baseline -n 10000000 -t 5 -c 4 -k --json "$TMP/kill.json" >"$TMP/kill.out" 2>&1 &
pid=$!
victim=
for _ in $(seq 60); do
	sleep 0.1
	parent=$(pgrep -f -o '/tmp/mpmscope\.[A-Za-z0-9]{6}/httpd.conf')
	[ -n "$parent" ] || continue
	victim=$(pgrep -P "$parent" | tail -1)
	[ -n "$victim" ] && break
done
sleep 1.5
if [ -n "$victim" ]; then kill -9 "$victim"; fi
wait "$pid"
check_eq "run with a child killed exits 0" "$?" 0
check "a child was found to kill" test -n "$victim"
check_eq "the killed child shows as an exit by signal 9" \
	"$(jqr "$TMP/kill.json" "[.runs[0].kernel.procs[] | select(.pid == ${victim:-0}) | .exit] | join(\",\")")" "signal 9"
check_ge "the parent's wait4 that reaped children was timed" \
	"$(jqr "$TMP/kill.json" '.runs[0].kernel.spawn | if .reap_ns > 0 then .reaped else 0 end')" 1
check_ge "its replacement shows as a new spawn under load" \
	"$(jqr "$TMP/kill.json" '.runs[0].kernel.spawn_by_phase.load.processes')" 1
check_clean "child killed"

finish
