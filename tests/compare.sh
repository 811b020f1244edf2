#!/bin/bash
# The foundation: compare on the seed baseline against a real Apache with real
# BPF, every MPM; exact counts on both sides; bad input; Ctrl-C.
. "$(dirname "$0")/lib.sh"

J="$TMP/baseline.json"
"$MPMSCOPE" compare -s baseline --json "$J" >"$TMP/table" 2>"$TMP/stderr"
check_eq "compare -s baseline exits 0" "$?" 0
cat "$TMP/table"
check "table has a row per MPM" grep -qE '^prefork .*\|' "$TMP/table"
check "table has worker" grep -qE '^worker .*\|' "$TMP/table"
check "table has event" grep -qE '^event .*\|' "$TMP/table"
check_eq "three runs in JSON" "$(jqr "$J" '.runs | length')" 3
check_eq "scenario name" "$(jqr "$J" .scenario)" baseline

for m in prefork worker event; do
	R=".runs[] | select(.mpm == \"$m\")"
	check_eq "$m: completed == 1000" "$(jqr "$J" "$R.load.completed")" 1000
	check_eq "$m: failed == 0" "$(jqr "$J" "$R.load.failed")" 0
	conns=$(jqr "$J" "$R.load.connections")
	check_eq "$m: generator opened one connection per request (no keep-alive)" "$conns" 1000
	check_eq "$m: kernel accepts == connections the generator opened" "$(jqr "$J" "$R.kernel.accepts")" "$conns"
	check_eq "$m: no accepted connection of unknown origin" "$(jqr "$J" "$R.kernel.accepts_other")" 0
	total=$(jqr "$J" "$R.kernel.accepts_total")
	parts=$(jqr "$J" "$R.kernel | .accepts + .accepts_internal + .accepts_probe + .accepts_other")
	check_eq "$m: accepts_total is the sum of its parts" "$total" "$parts"
	check_eq "$m: no events lost" "$(jqr "$J" "$R.events_lost")" 0
	check_eq "$m: p50 <= p99 <= max" "$(jqr "$J" "$R.load.latency_us | (.p50 <= .p99 and .p99 <= .max and .p50 > 0)")" true
	check_eq "$m: every server process exited at stop" \
		"$(jqr "$J" "[$R.kernel.procs[] | select(.exit == null)] | length")" 0
done

P='.runs[] | select(.mpm == "prefork")'
check_ge "prefork: processes_created >= StartServers (5)" "$(jqr "$J" "$P.kernel.processes_created")" 5
check_eq "prefork: no threads created" "$(jqr "$J" "$P.kernel.threads_created")" 0
check_eq "prefork: every server process single-threaded" "$(jqr "$J" "$P.kernel.server_procs_max_threads")" 1

# worker/event: each child's starter thread creates ThreadsPerChild (25) workers
# and one listener; the child's main thread creates the starter.
for m in worker event; do
	R=".runs[] | select(.mpm == \"$m\")"
	start=$([ $m = worker ] && echo 3 || echo 2)
	kids=$(jqr "$J" "[$R.kernel.procs[] | select(.role == \"child\")] | length")
	check_ge "$m: processes_created >= StartServers ($start)" "$(jqr "$J" "$R.kernel.processes_created")" "$start"
	check_eq "$m: each child created ThreadsPerChild + listener + starter threads" \
		"$(jqr "$J" "[$R.kernel.procs[] | select(.role == \"child\") | .threads_created] | unique | join(\",\")")" 27
	check_eq "$m: threads_created == children x 27" "$(jqr "$J" "$R.kernel.threads_created")" $((kids * 27))
	check_eq "$m: the parent created no thread" "$(jqr "$J" "$R.kernel.procs[] | select(.role == \"parent\") | .threads_created")" 0
done
check_clean "compare baseline"

# The raw_tp twins give the same figures.
"$MPMSCOPE" run -m worker -s baseline --no-btf-tracepoints --json "$TMP/raw.json" >/dev/null 2>&1
check_eq "raw_tp: run exits 0" "$?" 0
check_eq "raw_tp: attach mode" "$(jqr "$TMP/raw.json" '.runs[0].kernel.attach_mode')" raw_tp
check_eq "raw_tp: accepts == connections" "$(jqr "$TMP/raw.json" '.runs[0].kernel.accepts')" \
	"$(jqr "$TMP/raw.json" '.runs[0].load.connections')"
check_eq "raw_tp: threads per child" \
	"$(jqr "$TMP/raw.json" '[.runs[0].kernel.procs[] | select(.role == "child") | .threads_created] | unique | join(",")')" 27
check_clean "raw_tp run"

# The generic sys_enter/sys_exit hooks (where tracefs cannot be had) too.
"$MPMSCOPE" run -m prefork -s baseline --no-syscall-tracepoints --json "$TMP/gen.json" >/dev/null 2>&1
check_eq "generic syscall hooks: run exits 0" "$?" 0
check_eq "generic syscall hooks: mode" "$(jqr "$TMP/gen.json" '.runs[0].kernel.syscall_mode')" "sys_enter/sys_exit"
check_eq "generic syscall hooks: accepts == connections" "$(jqr "$TMP/gen.json" '.runs[0].kernel.accepts')" \
	"$(jqr "$TMP/gen.json" '.runs[0].load.connections')"
check_eq "generic syscall hooks: a creation time for every process" \
	"$(jqr "$TMP/gen.json" '.runs[0].kernel.spawn | .process_create_us.n == .processes and .processes >= 5')" true
want="syscall tracepoints"
"$MPMSCOPE" doctor | grep -q '^fentry: *ok' && want=fexit
check_eq "default: the cheapest syscall way this kernel offers" "$(jqr "$J" '.runs[0].kernel.syscall_mode')" "$want"
expect_error "--syscall-probes: a way that does not exist" "--syscall-probes: 'bogus' is not fexit, kprobe, tracepoint or generic" \
	"$MPMSCOPE" run -m prefork -s baseline --syscall-probes bogus
if [ "$want" = "syscall tracepoints" ]; then
	expect_error "--syscall-probes fexit, forced on a kernel that refuses it" "--syscall-probes fexit: load of a fentry/kernel_clone program" \
		"$MPMSCOPE" run -m prefork -s baseline --syscall-probes fexit
fi
check_clean "generic syscall hooks"

# Bad input: one line, non-zero exit, nothing left behind.
expect_error "unknown MPM" "unknown MPM 'foo'" "$MPMSCOPE" compare -m foo
expect_error "unknown scenario" "unknown scenario 'nosuch'" "$MPMSCOPE" compare -s nosuch
expect_error "missing httpd binary" "/nonexistent/apache2" "$MPMSCOPE" compare --httpd /nonexistent/apache2
expect_error "httpd that is not Apache" "not an Apache" "$MPMSCOPE" compare --httpd /bin/true
expect_error "unknown option" "unknown option" "$MPMSCOPE" compare --frobnicate
expect_error "unknown command" "unknown command" "$MPMSCOPE" frobnicate
expect_error "run without -m" "-m MPM is required" "$MPMSCOPE" run
expect_error "unwritable --json" "cannot write" "$MPMSCOPE" compare --json /nonexistent-dir/x.json
expect_error "no CAP_BPF" "CAP_BPF" setpriv --bounding-set -bpf,-perfmon,-sys_admin "$MPMSCOPE" run -m event
cat >"$TMP/bad.scn" <<'SCN'
[scenario]
name = bad-config
description = a KeepAlive value Apache rejects
[load]
requests = 10
concurrency = 1
[server]
KeepAlive = maybe
SCN
expect_error "Apache config error" "apache config error.*KeepAlive" "$MPMSCOPE" run -m event -s "$TMP/bad.scn"
check_clean "bad input"

# A port already in use.
if [ -x "$ROOT/build/tests/badserver" ]; then
	"$ROOT/build/tests/badserver" --port 0 --mode ok --max-seconds 20 >"$TMP/bs.port" 2>/dev/null &
	bs=$!
	for _ in $(seq 50); do [ -s "$TMP/bs.port" ] && break; sleep 0.1; done
	port=$(grep -oE '[0-9]+' "$TMP/bs.port" | head -1)
	expect_error "port in use" "already in use" "$MPMSCOPE" run -m prefork --port "$port"
	kill "$bs" 2>/dev/null
	wait "$bs" 2>/dev/null
	check_clean "port in use"
else
	fail "badserver tool not built"
fi

# Ctrl-C during the load: Apache stopped, probes detached, partial figures printed.
"$MPMSCOPE" run -m event -n 2000000 -c 20 -k --json "$TMP/int.json" >"$TMP/int.out" 2>&1 &
pid=$!
sleep 4
kill -INT "$pid"
wait "$pid"
rc=$?
check_eq "SIGINT: exit code 130" "$rc" 130
check "SIGINT: table printed and marked interrupted" grep -q interrupted "$TMP/int.out"
check_eq "SIGINT: JSON says interrupted" "$(jqr "$TMP/int.json" .interrupted)" true
c=$(jqr "$TMP/int.json" '.runs[0].load.completed')
check_ge "SIGINT: requests completed before the interrupt were counted" "$c" 1
check_clean "SIGINT during load"

finish
