#!/bin/bash
# Faults during a run: Apache's children or parent killed, mpmscope itself
# interrupted (SIGINT, SIGTERM) in each phase, a second SIGINT during cleanup,
# the backends (php-fpm, the slow upstream) under SIGINT, SIGTERM, SIGKILL of
# mpmscope and php-fpm's master killed,
# the ring buffer overflowing, the report's file system full. Whatever
# happens: Apache stopped, probes detached, no runtime directory left.
#
# Exit codes: SIGINT and SIGTERM both end mpmscope with 130 ("interrupted",
# README: Exit codes), whatever the phase; a server that died under load is 1.
. "$(dirname "$0")/lib.sh"

M=$MPMSCOPE

# httpd_parent MPMSCOPE_PID: the Apache parent it started (after exec), or "".
httpd_parent() {
	local p
	for p in $(pgrep -P "$1" 2>/dev/null); do
		grep -q 'httpd.conf' "/proc/$p/cmdline" 2>/dev/null && grep -qv mpmscope "/proc/$p/comm" 2>/dev/null &&
			{ echo "$p"; return; }
	done
}

# wait_children MPMSCOPE_PID: until Apache's parent has children (the server
# answers soon after); prints the parent's pid. Gives up after 30 s.
wait_children() {
	local p i
	for i in $(seq 300); do
		p=$(httpd_parent "$1")
		[ -n "$p" ] && [ -n "$(pgrep -P "$p")" ] && { echo "$p"; return 0; }
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wait_requests MPMSCOPE_PID N: until its Apache has logged N requests.
wait_requests() {
	local d= i n p
	for i in $(seq 600); do
		if [ -z "$d" ]; then
			p=$(httpd_parent "$1")
			[ -n "$p" ] && d=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -m1 -A1 '^-d$' | tail -1)
		fi
		if [ -n "$d" ]; then
			n=$(grep -c ' "GET /test.html' "$d/logs/access.log" 2>/dev/null)
			[ "${n:-0}" -ge "$2" ] && return 0
		fi
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# stopped_within PID SECONDS: waits for a background job; "rc" gets its code,
# or 124 if it had to be killed.
stopped_within() {
	local i
	for i in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1"
		wait "$1" 2>/dev/null
		rc=124
	else
		wait "$1"
		rc=$?
	fi
}

# --- kill -9 of Apache's children: the run goes on and says so -----------------
J="$TMP/children.json"
"$M" run -m prefork -n 6000 -c 10 --json "$J" >"$TMP/out" 2>"$TMP/err" &
pid=$!
victims=
if parent=$(wait_children "$pid") && wait_requests "$pid" 300; then
	victims=$(pgrep -P "$parent" | head -2 | tr '\n' ' ')
	# shellcheck disable=SC2086
	kill -9 $victims
else
	fail "children: Apache did not start"
fi
stopped_within "$pid" 60
check_eq "children killed: run completes, exit 0" "$rc" 0
check_eq "children killed: every request accounted for (completed + failed)" \
	"$(jqr "$J" '.runs[0].load | .completed + .failed')" 6000
for v in $victims; do
	check_eq "children killed: pid $v exit by signal 9 in JSON procs" \
		"$(jqr "$J" ".runs[0].kernel.procs[] | select(.pid == $v) | .exit")" "signal 9"
done
check_eq "children killed: the parent was stopped normally, not by a signal 9" \
	"$(jqr "$J" '.runs[0].kernel.procs[] | select(.role == "parent") | .exit == "signal 9"')" false
check_clean "children killed"

# --- kill -9 of Apache's parent under load: the load stops, the run says so ------
J="$TMP/parent.json"
"$M" run -m worker -n 2000000 -c 10 -k --json "$J" >"$TMP/out" 2>"$TMP/err" &
pid=$!
if parent=$(wait_children "$pid") && wait_requests "$pid" 1000; then
	kill -9 "$parent"
	t0=$(date +%s%N)
else
	fail "parent: Apache did not start"
	t0=$(date +%s%N)
fi
stopped_within "$pid" 30
check_le "parent killed: mpmscope ends within 10 s (ms)" $((($(date +%s%N) - t0) / 1000000)) 10000
check_eq "parent killed: exit 1 (the server died)" "$rc" 1
check_eq "parent killed: one line on stderr" "$(wc -l <"$TMP/err")" 1
check "parent killed: it says the server died, and how" grep -qE '^mpmscope: worker: server died during the load \(apache parent killed by signal 9' "$TMP/err"
cat "$TMP/err"
check "parent killed: the table shows what was measured" grep -qE '^worker +[0-9.]+ ' "$TMP/out"
check_eq "parent killed: JSON written, the run ran" "$(jqr "$J" '.runs[0].ran')" true
c=$(jqr "$J" '.runs[0].load.completed')
check_ge "parent killed: requests completed before the kill were counted" "$c" 1000
check_le "parent killed: the load stopped early" "$c" 1999999
check_eq "parent killed: the parent's exit is signal 9" \
	"$(jqr "$J" '.runs[0].kernel.procs[] | select(.role == "parent") | .exit')" "signal 9"
check_clean "parent killed"

# --- SIGINT / SIGTERM in each phase ----------------------------------------------------
# phase_test SIG PHASE: launch a run, signal it in PHASE, check exit 130 and
# that nothing is left behind.
phase_test() {
	local sig=$1 phase=$2 n=400000 k=-k
	[ "$phase" = shutdown ] && n=400 && k=
	json_seen "$TMP/sig.json"
	"$M" run -m event -n $n -c 10 $k --json "$TMP/sig.json" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	case $phase in
	startup) # as soon as Apache exists, before it answers (or 0.2 s after launch)
		for _ in $(seq 40); do
			[ -n "$(httpd_parent "$pid")" ] && break
			sleep 0.005
		done ;;
	load) wait_requests "$pid" 2000 || fail "$sig $phase: no load seen" ;;
	shutdown) wait_requests "$pid" 400 || fail "$sig $phase: no load seen" ;;
	esac
	kill -"$sig" "$pid"
	stopped_within "$pid" 30
	check_eq "SIG$sig during $phase: exit 130" "$rc" 130
	if [ "$phase" = startup ]; then
		check "SIG$sig during startup: said it was interrupted" grep -qE 'not run: interrupted|\(interrupted\)' "$TMP/out"
	else
		check_eq "SIG$sig during $phase: JSON says interrupted" "$(jqr "$TMP/sig.json" .interrupted)" true
	fi
	if [ "$phase" = load ]; then
		check "SIG$sig during load: table marked interrupted" grep -q interrupted "$TMP/out"
	fi
	check_clean "SIG$sig during $phase"
}
for sig in INT TERM; do
	for phase in startup load shutdown; do
		phase_test $sig $phase
	done
done

# A second SIGINT while winding down: still nothing left behind.
"$M" run -m worker -n 400000 -c 10 -k >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_requests "$pid" 2000 || fail "double SIGINT: no load seen"
kill -INT "$pid"
sleep 0.05
kill -INT "$pid" 2>/dev/null
sleep 0.1
kill -INT "$pid" 2>/dev/null
stopped_within "$pid" 30
check_eq "second SIGINT during cleanup: exit 130" "$rc" 130
check_clean "second SIGINT during cleanup"

# --- TLS: SIGINT during a TLS run (mod_ssl, the run's key and certificate) ----------
# the run's key and certificate live in its runtime directory: gone with it,
# as Apache, and mod_ssl's session cache (shared memory in that directory)
cat >"$TMP/tlsint.scn" <<'EOF2'
[load]
requests    = 400000
concurrency = 10
keepalive   = on
tls         = on
tls_resume  = on
EOF2
json_seen "$TMP/sig.json"
"$M" run -m prefork -s "$TMP/tlsint.scn" --json "$TMP/sig.json" >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_requests "$pid" 2000 || fail "SIGINT during TLS load: no load seen"
d=$(tr '\0' '\n' <"/proc/$(httpd_parent "$pid")/cmdline" 2>/dev/null | grep -m1 -A1 '^-d$' | tail -1)
check "TLS run: its key is in the runtime directory, mode 0600" test "$(stat -c %a "$d/tls/key.pem" 2>/dev/null)" = 600
kill -INT "$pid"
stopped_within "$pid" 30
check_eq "SIGINT during TLS load: exit 130" "$rc" 130
check_eq "SIGINT during TLS load: JSON says interrupted, TLS handshakes counted" \
	"$(jqr "$TMP/sig.json" '"\(.interrupted) \(.runs[0].load.tls.handshakes > 0)"')" "true true"
check "SIGINT during TLS load: key and certificate removed" test ! -e "$d/tls/key.pem" -a ! -e "$d"
check_clean "SIGINT during TLS load"
# --- the backends (php-fpm, the slow upstream): mpmscope interrupted or killed ----------
# backend_fault SIG SCENARIO MPM PATTERN: a run of SCENARIO, signalled once its
# backend (pgrep -f PATTERN) runs and requests are served; whatever the
# signal, no backend, Apache, probe or run directory is left (after SIGKILL:
# the parent-death signals stop them, the next run sweeps the directory).
backend_fault() {
	local sig=$1 scn=$2 mpm=$3 pat=$4 up= i d= p
	"$M" run -m "$mpm" -s "$scn" -n 100000 -c 10 -t 20 >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	for i in $(seq 300); do
		up=$(pgrep -f "$pat" | head -1)
		p=$(httpd_parent "$pid")
		[ -n "$p" ] && d=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -m1 -A1 '^-d$' | tail -1)
		[ -n "$up" ] && [ -n "$d" ] && [ "$(wc -l <"$d/logs/access.log" 2>/dev/null || echo 0)" -ge 20 ] && break
		sleep 0.1
	done
	check "$scn/$mpm: backend running and serving before SIG$sig" test -n "$up"
	kill -"$sig" "$pid"
	stopped_within "$pid" 30
	if [ "$sig" = KILL ]; then
		check_eq "$scn/$mpm: SIGKILL: exit 137" "$rc" 137
		for i in $(seq 50); do
			[ "$(leftover_backends)" = 0 ] && [ "$(leftover_httpd)" = 0 ] && break
			sleep 0.1
		done
		check_eq "$scn/$mpm: SIGKILL: the backend went with mpmscope (parent-death signal)" "$(leftover_backends)" 0
		"$M" run -m prefork -n 10 -c 1 >/dev/null 2>&1 # sweeps the dead run's directory
	else
		check_eq "$scn/$mpm: SIG$sig during the load: exit 130" "$rc" 130
	fi
	check_clean "$scn/$mpm: SIG$sig"
}
for sig in INT TERM KILL; do
	backend_fault $sig php event '^php-fpm: pool mpmscope'
	backend_fault $sig slow-backend worker 'mpmscope upstream --port'
done

# php-fpm's master killed under load: the run goes on (its pool, orphaned,
# is stopped with the run), and nothing is left.
J="$TMP/fpmkill.json"
"$M" run -m event -s php -n 100000 -c 10 -t 4 --json "$J" >"$TMP/out" 2>"$TMP/err" &
pid=$!
master=
for _ in $(seq 100); do
	master=$(pgrep -f '^php-fpm: master process \(/tmp/mpmscope\.' | head -1)
	[ -n "$master" ] && break
	sleep 0.1
done
sleep 1
[ -n "$master" ] && kill -9 "$master"
stopped_within "$pid" 40
check "php-fpm's master seen and killed" test -n "$master"
check_eq "php-fpm's master killed: the run completes, exit 0" "$rc" 0
check_clean "php-fpm's master killed"

# --- the ring buffer overflows: drops counted and reported, the run completes ---------
J="$TMP/ring.json"
MPMSCOPE_RINGBUF_BYTES=4096 "$M" run -m prefork -n 5000 -c 50 --json "$J" >"$TMP/out" 2>"$TMP/err"
check_eq "small ring buffer: run completes, exit 0" "$?" 0
check_eq "small ring buffer: every request completed" "$(jqr "$J" '.runs[0].load.completed')" 5000
check_ge "small ring buffer: events_lost > 0 in JSON" "$(jqr "$J" '.runs[0].events_lost')" 1
check "small ring buffer: the table warns" grep -qE 'WARNING: [0-9]+ kernel records lost' "$TMP/out"
check_clean "small ring buffer"

# --- the report's file system is full: one error, no partial file ---------------------
mkdir -p "$TMP/full"
if mount -t tmpfs -o size=8k none "$TMP/full"; then
	dd if=/dev/zero of="$TMP/full/filler" bs=1k count=64 2>/dev/null
	for f in json html csv; do
		"$M" run -m event -n 200 -c 10 --$f "$TMP/full/x.$f" >"$TMP/out" 2>"$TMP/err"
		rc=$?
		check "full file system (--$f): non-zero exit" test "$rc" -ne 0
		check_eq "full file system (--$f): one line on stderr" "$(wc -l <"$TMP/err")" 1
		check "full file system (--$f): says why" grep -qE "^mpmscope: cannot write $TMP/full/x.$f: No space left on device" "$TMP/err"
		check_eq "full file system (--$f): no partial file" "$(find "$TMP/full" -name "x.$f*" | wc -l)" 0
	done
	umount "$TMP/full"
else
	fail "cannot mount a tmpfs (root needed)"
fi
check_clean "full file system"

finish
