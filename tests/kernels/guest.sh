#!/bin/bash
# Runs inside the test-kernels guest (another kernel, this machine's root
# read-only): doctor, the CO-RE helper check, compare -s baseline with the
# checks of tests/compare.sh's baseline part, and the raw_tp path.
# Prints "PASS x" / "FAIL x" lines and "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
M=${MPMSCOPE_BIN:-$ROOT/build/mpmscope}
export MPMSCOPE_SCENARIOS="$ROOT/scenarios"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp
T=/tmp
np=0
nf=0
pass() { np=$((np + 1)); echo "PASS $*"; }
fail() { nf=$((nf + 1)); echo "FAIL $*"; }
check_eq() { if [ -n "$2" ] && [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi; }
check_ge() { if [ -n "$2" ] && [ "$2" -ge "$3" ] 2>/dev/null; then pass "$1 ($2 >= $3)"; else fail "$1: got '$2', want >= $3"; fi; }
jqr() { jq -r "$2" "$1" 2>/dev/null; }

echo "MSGUEST uname: $(uname -r)"
ip link set lo up || fail "loopback up"

# --- doctor ---
"$M" doctor >"$T/doctor.out" 2>&1
rc=$?
sed 's/^/  doctor| /' "$T/doctor.out"
check_eq "doctor exits 0" "$rc" 0
if grep -qE '^probes: +tp_btf \([1-9][0-9]* programs attached\)' "$T/doctor.out"; then
	pass "doctor: probes take tp_btf"
else fail "doctor: probes take tp_btf"; fi
if grep -qE '^probes-raw: +raw_tp \([1-9][0-9]* programs attached\)' "$T/doctor.out"; then
	pass "doctor: forced raw_tp attaches"
else fail "doctor: forced raw_tp attaches"; fi
# the scheduler programs' other clock (bpf_ktime_get_ns) must load here too
MPMSCOPE_KTIME_ONLY=1 "$M" doctor >"$T/doctor-k.out" 2>&1
if grep -qE '^probes: +tp_btf \([1-9][0-9]* programs attached\); scheduler times: bpf_ktime_get_ns' "$T/doctor-k.out" &&
	grep -qE '^probes-raw: +raw_tp \([1-9][0-9]* programs attached\); scheduler times: bpf_ktime_get_ns' "$T/doctor-k.out"; then
	pass "doctor: MPMSCOPE_KTIME_ONLY=1: tp_btf and raw_tp attach"
else
	sed 's/^/  doctor-k| /' "$T/doctor-k.out"
	fail "doctor: MPMSCOPE_KTIME_ONLY=1: tp_btf and raw_tp attach"
fi
# the verifier inlines per-CPU array lookups only on newer kernels (6.10+ on
# x86-64): on older ones the loader's probe must find the call, and the hot
# programs keep calling the helpers for the current task
kv=$(uname -r | awk -F. '{print $1 * 100 + $2}')
want="per-CPU record (sched_switch)"
[ "$kv" -lt 610 ] && want="helper calls"
check_eq "doctor: current task on $(uname -r)" "$(sed -nE 's/^probes: .*; current task: (.*)$/\1/p' "$T/doctor.out")" "$want"
want=absent
[ -e /sys/bus/event_source/devices/kprobe/type ] && want=ok
check_eq "doctor: kprobes claim matches the kprobe PMU" "$(sed -nE 's/^kprobes: +([a-z]+),.*/\1/p' "$T/doctor.out")" "$want"

# --- CO-RE helpers of bpf/core_fixes.bpf.h on this kernel ---
if [ -x build/kernels/core_check ]; then
	build/kernels/core_check >"$T/core.out" 2>&1
	sed -nE 's/^(PASS|FAIL) /\1 core: /p' "$T/core.out"
	np=$((np + $(grep -c '^PASS ' "$T/core.out")))
	nf=$((nf + $(grep -c '^FAIL ' "$T/core.out")))
	grep -q '^core_check: .* passed' "$T/core.out" || fail "core_check ran: $(tail -3 "$T/core.out")"
else
	fail "build/kernels/core_check not built"
fi

# --- compare -s baseline (tests/compare.sh's baseline checks) ---
J="$T/k.json"
start=$(date +%s)
# A watchdog: a compare that does not end within WATCHDOG seconds (about 25
# s is usual under TCG) is a hang to explain, not a timeout of the whole
# guest: what every process waits in is printed, then it is interrupted.
"$M" compare -s baseline --json "$J" >"$T/table" 2>"$T/stderr" &
cpid=$!
WATCHDOG=240
while kill -0 "$cpid" 2>/dev/null && [ $(($(date +%s) - start)) -lt "$WATCHDOG" ]; do sleep 1; done
if kill -0 "$cpid" 2>/dev/null; then
	fail "compare -s baseline still running after ${WATCHDOG}s"
	ps -eo pid,ppid,stat,wchan:28,etime,args 2>/dev/null | sed 's/^/  hang| ps /'
	for d in /proc/[0-9]*/task/[0-9]*; do
		case "$(cat "$d/comm" 2>/dev/null)" in mpmscope | apache2 | httpd)
			echo "  hang| $d $(cat "$d/comm") $(tr -d '\0' <"$d/wchan" 2>/dev/null)"
			sed 's/^/  hang|     /' "$d/stack" 2>/dev/null | head -12 ;;
		esac
	done
	dmesg 2>/dev/null | tail -30 | sed 's/^/  hang| dmesg /'
	tail -20 "$T/stderr" | sed 's/^/  hang| stderr /'
	kill -INT "$cpid"
	sleep 20
	kill -KILL "$cpid" 2>/dev/null
fi
wait "$cpid"
rc=$?
echo "  (compare took $(($(date +%s) - start)) s)"
cat "$T/table"
check_eq "compare -s baseline exits 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/  stderr| /' "$T/stderr" | tail -20
check_eq "three runs in JSON" "$(jqr "$J" '.runs | length')" 3
for m in prefork worker event; do
	R=".runs[] | select(.mpm == \"$m\")"
	check_eq "$m: attach mode" "$(jqr "$J" "$R.kernel.attach_mode")" tp_btf
	check_eq "$m: completed == 1000" "$(jqr "$J" "$R.load.completed")" 1000
	check_eq "$m: failed == 0" "$(jqr "$J" "$R.load.failed")" 0
	conns=$(jqr "$J" "$R.load.connections")
	check_eq "$m: kernel accepts == connections" "$(jqr "$J" "$R.kernel.accepts")" "$conns"
	check_eq "$m: no events lost" "$(jqr "$J" "$R.events_lost")" 0
done
P='.runs[] | select(.mpm == "prefork")'
check_ge "prefork: processes_created >= 5" "$(jqr "$J" "$P.kernel.processes_created")" 5
check_eq "prefork: threads_created == 0" "$(jqr "$J" "$P.kernel.threads_created")" 0
for m in worker event; do
	R=".runs[] | select(.mpm == \"$m\")"
	check_eq "$m: threads per child == 27" \
		"$(jqr "$J" "[$R.kernel.procs[] | select(.role == \"child\") | .threads_created] | unique | join(\",\")")" 27
done

# --- the raw_tp twins, forced ---
RJ="$T/raw.json"
"$M" run -m worker -s baseline --no-btf-tracepoints --json "$RJ" >/dev/null 2>"$T/raw.err"
rc=$?
sed "s/^/  raw| /" "$T/raw.err"
check_eq "raw_tp: run exits 0" "$rc" 0
check_eq "raw_tp: attach mode" "$(jqr "$RJ" '.runs[0].kernel.attach_mode')" raw_tp
check_eq "raw_tp: completed == 1000" "$(jqr "$RJ" '.runs[0].load.completed')" 1000
check_eq "raw_tp: accepts == connections" "$(jqr "$RJ" '.runs[0].kernel.accepts')" \
	"$(jqr "$RJ" '.runs[0].load.connections')"
check_eq "raw_tp: threads per child == 27" \
	"$(jqr "$RJ" '[.runs[0].kernel.procs[] | select(.role == "child") | .threads_created] | unique | join(",")')" 27

echo "MSGUEST-RESULT $(uname -r): $np passed, $nf failed"
[ "$nf" -eq 0 ]
