#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration tests of `mpmscope load` against tests/tools/badserver (loopback
# only). Needs build/mpmscope and build/tests/badserver (make all test-tools)
# and jq. Last line: "N passed, N failed"; exit status 1 if any failed.
set -u
cd "$(dirname "$0")/.."
MS=${MPMSCOPE:-build/mpmscope}
BS=${BADSERVER:-build/tests/badserver}
T=$(mktemp -d /tmp/mpmscope-loadgen.XXXXXX)
pass=0 fail=0
SRV_PID= PORT=

cleanup() {
	stop_server
	rm -rf "$T"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }

# start_server MODE [badserver options...]: sets PORT and SRV_PID.
start_server() {
	stop_server
	rm -f "$T/port"
	"$BS" --port 0 --mode "$@" --max-seconds 60 >"$T/port" 2>"$T/server.err" &
	SRV_PID=$!
	for _ in $(seq 100); do
		[ -s "$T/port" ] && break
		sleep 0.05
	done
	PORT=$(head -1 "$T/port")
	[ -n "$PORT" ] || echo "     (badserver $1 did not start: $(cat "$T/server.err"))"
}

# stop_server: ends the server, leaves "connections C requests R" in $T/server.err.
stop_server() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
		SRV_PID=
	fi
}
server_requests() { sed -n 's/.*requests \([0-9]*\).*/\1/p' "$T/server.err"; }
server_conns() { sed -n 's/.*connections \([0-9]*\).*/\1/p' "$T/server.err"; }

# load NAME [mpmscope load options...]: runs against the current server,
# JSON in $T/NAME.json, exit code in RC.
load() {
	local name=$1
	shift
	"$MS" load -q --json "$T/$name.json" "$@" "http://127.0.0.1:$PORT/t" >"$T/$name.out" 2>"$T/$name.err"
	RC=$?
	if [ "$RC" != 0 ]; then
		echo "     ($name: exit $RC: $(head -3 "$T/$name.err"))"
	fi
}

# expect NAME JQ-EXPR: the expression must be true on NAME's JSON.
expect() {
	local name=$1 expr=$2
	if [ -f "$T/$name.json" ] && [ "$(jq -r "$expr" "$T/$name.json" 2>/dev/null)" = true ]; then
		ok "$name: $expr"
	else
		ko "$name: $expr"
		[ -f "$T/$name.json" ] && jq -c '{completed,failed,failed_by_class,retried_idle_close,
			server_idle_closes,connections,keepalive_reused,ab_would_report,hold_completed,abandoned,
			duration_s,interrupted}' "$T/$name.json" | sed 's/^/     /'
	fi
}

check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else ko "$what"; fi
}

# ---- correct servers ----------------------------------------------------------
start_server ok
load ka -k -n 1000 -c 10
expect ka '.completed == 1000 and .failed == 0 and .requests == 1000 and .started == 1000'
expect ka '.connections == 10 and .keepalive_reused == 990 and .retried_idle_close == 0'
expect ka '.latency_us.count == 1000 and .latency_us.p50 > 0 and .latency_uncorrected_us == null'
expect ka '.ab_would_report.failed == 0 and .body_bytes == 13000 and .status_2xx == 1000'
stop_server
check "ka: the server saw exactly 1000 requests" [ "$(server_requests)" = 1000 ]

start_server ok
load close -n 200 -c 4
expect close '.completed == 200 and .failed == 0 and .connections == 200 and .keepalive_reused == 0'
stop_server
check "close: the server saw 200 connections, 200 requests" \
	[ "$(server_conns)/$(server_requests)" = 200/200 ]

start_server ok
load exact -k -n 10007 -c 7 --threads 2
expect exact '.completed == 10007 and .failed == 0 and .config.threads == 2'
stop_server
check "exact: -n is exact over threads" [ "$(server_requests)" = 10007 ]

start_server chunked
load chunked -k -n 200 -c 4
expect chunked '.completed == 200 and .failed == 0 and .body_bytes == 3000 and .connections == 4'

start_server ok
load records -n 30 -c 3 --record-conns
expect records '(.conns | length) == 30 and ([.conns[].local_port] | unique | length) == 30'
expect records 'all(.conns[]; .local_port > 0 and .t_established >= .t_connect and .t_close >= .t_established and .requests == 1)'
expect records 'all(.conns[]; .close == "server_close")'

# ---- keep-alive closes ---------------------------------------------------------
start_server close-on-reuse --n 10
load reuse -k -n 100 -c 1
expect reuse '.completed == 100 and .failed == 0 and .retried_idle_close == 9 and .server_idle_closes == 9'
expect reuse '.connections == 10 and .ab_would_report.length == 9'
stop_server
check "reuse: the server read 109 requests (9 retried)" [ "$(server_requests)" = 109 ]

start_server close-after-n --n 10
load idle -k -n 100 -c 1
# The 10th connection's close may also be seen (after the last response).
expect idle '.completed == 100 and .failed == 0 and .connections == 10 and .retried_idle_close <= 9'
expect idle '.server_idle_closes == 9 or .server_idle_closes == 10'

start_server close-after-n --n 5
load idle4 -k -n 400 -c 4 --record-conns
# 80 connections serve 5 each; each slot's last one may serve fewer.
expect idle4 '.completed == 400 and .failed == 0 and .server_idle_closes >= 76 and .connections >= 80 and .connections <= 84'
expect idle4 '([.conns[] | select(.close == "server_idle")] | length) == .server_idle_closes'
expect idle4 '.ab_would_report.length + .ab_would_report.receive == .retried_idle_close'

# ---- failures, one class each ------------------------------------------------------
start_server reset
load reset -n 20 -c 2
expect reset '.completed == 0 and .failed == 20 and .failed_by_class.reset == 20 and .ab_would_report.receive == 20'
expect reset '.retried_idle_close == 0'

start_server stall
SECONDS=0
load stall -n 2 -c 2 --timeout 500ms
expect stall '.failed == 2 and .failed_by_class.timeout == 2 and .ab_would_report.exceptions == 2'
check "stall: timed out in about 0.5 s" [ "$SECONDS" -le 3 ]

start_server badlength
load badlength -n 10 -c 1
expect badlength '.failed == 10 and .failed_by_class.length == 10 and .ab_would_report.length == 10'

start_server eof
load eof -n 10 -c 2
expect eof '.failed == 10 and .failed_by_class.eof == 10'

start_server garbage
load garbage -n 10 -c 2
expect garbage '.failed == 10 and .failed_by_class.length == 10'

start_server status503
load s503 -k -n 50 -c 5
expect s503 '.completed == 0 and .failed == 50 and .failed_by_class.status == 50 and .status_5xx == 50'
expect s503 '.ab_would_report.failed == 0 and .latency_us.count == 50'

# ---- shapes ------------------------------------------------------------------------
start_server ok
load rate -k -n 100 -c 5 --rate 200
expect rate '.completed == 100 and .duration_s >= 0.45 and .duration_s < 1.5'
expect rate '.latency_uncorrected_us.count == 100 and .latency_us.count == 100'

# 1 connection, 50 ms per answer, asked for 100/s: requests queue up behind
# each other; the corrected latency shows it, the uncorrected one does not.
start_server ok --delay-ms 50
load co -k -n 40 -c 1 --rate 100
expect co '.completed == 40 and .latency_uncorrected_us.p99 < 200000 and .latency_us.p99 > 1000000'

start_server ok
load duration -k -c 4 -t 1
expect duration '.completed > 100 and .failed == 0 and .requests == 0 and .duration_s > 0.9 and .duration_s < 1.5'
expect duration '(.timeline | length) >= 1 and (.timeline | length) <= 2 and .timeline[0].completed > 0 and .timeline[0].open_conns == 4'

# one thread: with two, a thread starved of the CPU may find the 100
# requests done before its slot connects (4 connections: 6 in 40 runs beside
# three busy loops); the held requests are answered before the end, however
# quick the main load (before, 2 of 3 in 4 of 40 such runs)
start_server ok
load hold -k -n 100 -c 2 --hold 3 --threads 1
expect hold '.completed == 100 and .hold_completed == 3 and .connections == 5'
stop_server
check "hold: the server saw 103 requests on 5 connections" \
	[ "$(server_conns)/$(server_requests)" = 5/103 ]

start_server ok
load ramp -k -t 1 -c 4 --ramp 500ms --record-conns
expect ramp '(.conns | length) == 4 and ((.conns | map(.t_connect) | max) - (.conns | map(.t_connect) | min)) > 300000000'

# Ctrl-C: the partial result is still reported, exit 0.
start_server stall
"$MS" load -q --json "$T/intr.json" -n 5 -c 5 --timeout 30 "http://127.0.0.1:$PORT/" \
	>"$T/intr.out" 2>"$T/intr.err" &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
RC=$?
check "interrupted: exit 0" [ "$RC" = 0 ]
expect intr '.interrupted == true and .abandoned == 5 and .failed == 0'
stop_server

# Memory does not grow with -n.
start_server ok
/usr/bin/time -f %M -o "$T/rss" "$MS" load -q -k -n 300000 -c 50 "http://127.0.0.1:$PORT/" >/dev/null 2>&1
check "300k requests in under 64 MiB RSS ($(cat "$T/rss") KiB)" [ "$(cat "$T/rss")" -lt 65536 ]
stop_server

# ---- bad input: one line on stderr, non-zero exit ------------------------------------
# bad EXPECTED-EXIT ARGS...
bad() {
	local want=$1
	shift
	"$MS" load "$@" >"$T/bad.out" 2>"$T/bad.err"
	local rc=$? lines
	lines=$(wc -l <"$T/bad.err")
	if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && grep -q '^mpmscope: ' "$T/bad.err"; then
		ok "bad input ($*): exit $rc, $(cat "$T/bad.err")"
	else
		ko "bad input ($*): exit $rc (want $want), $lines stderr lines: $(head -3 "$T/bad.err")"
	fi
}
start_server ok
U="http://127.0.0.1:$PORT/"
bad 2 -n 10 "htp://127.0.0.1:$PORT/"
bad 2 -n 10 "ftp://127.0.0.1:$PORT/"
bad 2 -n 10 "http://127.0.0.1:99999/"
bad 2 -n 10 "http:///"
bad 2 -n 10 "http://example.com/"
bad 2 -n 10 "http://10.1.2.3:80/"
bad 2 -n abc "$U"
bad 2 -n -5 "$U"
bad 2 -n 10 -c -1 "$U"
bad 2 -n 10 -c 0 "$U"
bad 2 -n 5 -c 10 "$U"
bad 2 -n 10 --rate -3 "$U"
bad 2 -n 10 --timeout soon "$U"
bad 2 -n 10 --bogus "$U"
bad 2 -n 10 -c
bad 2 -n 10
bad 2 "$U"
bad 2 -n 10 "$U" "$U"
bad 2 -n 10 -c 5000000 "$U"
stop_server
# Nothing listens on a port we just freed.
free_port=$PORT
bad 1 -n 10 -c 2 "http://127.0.0.1:$free_port/"
check "refused: the message names the address" \
	grep -q "cannot connect to 127.0.0.1:$free_port: Connection refused" "$T/bad.err"

# every JSON written above validates against doc/schema/load.schema.json
while IFS=$'\t' read -r verdict what; do
	if [ "$verdict" = PASS ]; then ok "schema: $what"; else ko "schema: $what"; fi
done < <(tests/schema/validate "$T")
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
