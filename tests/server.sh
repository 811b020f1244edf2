#!/bin/bash
# SPDX-License-Identifier: MIT
# `mpmscope server`: the private Apache alone. It starts, answers on the URL it
# prints (checked with mpmscope load's JSON), stops on SIGTERM, on -d, and
# reports Apache's own death; bad input ends in one stderr line; nothing is
# left behind.
. "$(dirname "$0")/lib.sh"

SRV_PID=
stop_srv() {
	if [ -n "$SRV_PID" ]; then
		kill -TERM "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
		SRV_PID=
	fi
}
trap 'stop_srv; rm -rf "$TMP"' EXIT

# start_srv MPM [options...]: runs the server in the background, waits for its
# line; sets SRV_PID, URL, HTTPD_PID.
start_srv() {
	local mpm=$1 i
	shift
	: >"$TMP/srv.out"
	"$MPMSCOPE" server -m "$mpm" "$@" >"$TMP/srv.out" 2>"$TMP/srv.err" &
	SRV_PID=$!
	for i in $(seq 200); do
		[ -s "$TMP/srv.out" ] && break
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	URL=$(awk 'NR == 1 { print $1 }' "$TMP/srv.out")
	HTTPD_PID=$(awk 'NR == 1 { print $3 }' "$TMP/srv.out")
}

# ---- event, baseline: start, serve, SIGTERM ------------------------------------
start_srv event -s baseline
check "event: one line 'http://127.0.0.1:PORT/test.html pid PID'" \
	grep -qE '^http://127\.0\.0\.1:[0-9]+/test\.html pid [0-9]+$' "$TMP/srv.out"
check "event: the pid is a running httpd" kill -0 "${HTTPD_PID:-0}"
"$MPMSCOPE" load -q -n 10 -c 1 --json "$TMP/load.json" "$URL" >/dev/null 2>"$TMP/load.err"
check_eq "event: load exit status" "$?" 0
check_eq "event: 10 requests completed" "$(jqr "$TMP/load.json" .completed)" 10
check_eq "event: all 200 (2xx)" "$(jqr "$TMP/load.json" .status_2xx)" 10
check_eq "event: no failures" "$(jqr "$TMP/load.json" .failed)" 0
"$MPMSCOPE" load -n 10 -c 1 --json - "$URL" >"$TMP/load-stdout.json" 2>"$TMP/load-stdout.err"
check_eq "load --json -: stdout is one load document" \
	"$(jq -rs 'map(.kind) | join(",")' "$TMP/load-stdout.json" 2>/dev/null)" load
check "load --json -: the summary went to stderr" grep -q 'Timeline' "$TMP/load-stdout.err"
kill -TERM "$SRV_PID"
reaped "$SRV_PID" "event: SIGTERM -> exit 0" 0
SRV_PID=
check_eq "event: nothing on stderr" "$(wc -c <"$TMP/srv.err")" 0
check_clean "event after SIGTERM"

# ---- keep-alive through the server, another MPM, a fixed port -------------------
PORT=$(free_port)
start_srv worker -s keepalive --port "$PORT"
if grep -q "^http://127\.0\.0\.1:$PORT/" "$TMP/srv.out"; then
	pass "worker: listens on --port $PORT"
else
	fail "worker: listens on --port $PORT: $(head -1 "$TMP/srv.err")"
fi
"$MPMSCOPE" load -q -k -n 200 -c 4 --json "$TMP/ka.json" "$URL" >/dev/null 2>&1
check_eq "worker: 200 keep-alive requests completed" "$(jqr "$TMP/ka.json" .completed)" 200
check_ge "worker: connections reused" "$(jqr "$TMP/ka.json" .keepalive_reused)" 1
kill -INT "$SRV_PID"
reaped "$SRV_PID" "worker: SIGINT -> exit 0" 0
SRV_PID=
check_clean "worker after SIGINT"

# ---- -d: stops by itself --------------------------------------------------------
start=$(date +%s%N)
"$MPMSCOPE" server -m prefork -d 1 >"$TMP/d.out" 2>"$TMP/d.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "prefork -d 1: exit 0" "$rc" 0
check "prefork -d 1: printed its URL" grep -qE '^http://127\.0\.0\.1:[0-9]+/.* pid [0-9]+$' "$TMP/d.out"
check_ge "prefork -d 1: ran at least 1 s (${ms} ms)" "$ms" 1000
check_le "prefork -d 1: ended within 15 s (${ms} ms)" "$ms" 15000
check_clean "prefork after -d"

# ---- Apache dies on its own: exit 1, one line ------------------------------------
start_srv event
kill -KILL "${HTTPD_PID:-0}" 2>/dev/null
reaped "$SRV_PID" "apache killed: exit 1" 1
SRV_PID=
check "apache killed: one stderr line 'mpmscope: server: ...'" \
	one_error_line "$TMP/srv.err" '^mpmscope: server: event: apache '
check_clean "after apache was killed"

# ---- bad input --------------------------------------------------------------------
expect_error "bad MPM" '^mpmscope: .*unknown MPM' "$MPMSCOPE" server -m nosuch
expect_error "no MPM" '^mpmscope: .*-m MPM is required' "$MPMSCOPE" server
expect_error "bad scenario" '^mpmscope: .*scenario' "$MPMSCOPE" server -m event -s no-such-scenario
expect_error "bad port" '^mpmscope: .*port' "$MPMSCOPE" server -m event --port 70000
expect_error "bad duration" '^mpmscope: .*-d' "$MPMSCOPE" server -m event -d -3
expect_error "bad httpd" '^mpmscope: ' "$MPMSCOPE" server -m event --httpd /bin/false
expect_error "extra argument" '^mpmscope: .*unexpected argument' "$MPMSCOPE" server -m event extra
check "--help on stdout" sh -c "'$MPMSCOPE' server --help | grep -q '^usage: mpmscope server'"
check_clean "after bad input"

finish
