#!/bin/bash
# SPDX-License-Identifier: MIT
# TLS (issue 18): the private Apache with mod_ssl and a certificate made for
# the run, the load generator over OpenSSL with and without session
# resumption, checked against what the kernel and Apache's own log say:
# - compare -s tls (keep-alive over TLS, 3 MPMs): 0 failures, the kernel's
#   accepts == the connections the client opened == its full handshakes,
#   the run's certificate pinned, event's idle TLS connections held by no thread;
# - run -s tls-resume on prefork: resumed for all but each slot's first
#   connection (the children share the session cache and ticket keys);
# - mpmscope server -s tls-resume + load alone: full and resumed handshakes
#   per client port against Apache's %{SSL_SESSION_RESUMED}x in its private
#   log (an independent oracle), --cacert with the run's certificate and
#   with another one;
# - load alone against openssl s_server started here, resumption checked
#   with s_client -reconnect's own count beside.
. "$(dirname "$0")/lib.sh"

SRV_PID=
SSL_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill -TERM "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	[ -n "$SSL_PID" ] && kill -TERM "$SSL_PID" 2>/dev/null && wait "$SSL_PID" 2>/dev/null
	plain_stop
	rm -rf "$TMP"
}
trap cleanup EXIT
M=$MPMSCOPE

# ---- compare -s tls: keep-alive over TLS on the three MPMs --------------------------
J=$TMP/tls.json
"$M" compare -s tls --json "$J" --csv "$TMP/tls.csv" >"$TMP/out" 2>&1
check_eq "compare -s tls: exit 0" "$?" 0
# the CSV's TLS columns, MPM by MPM: handshakes, full, resumed, failed as in the JSON
check_eq "CSV: the TLS columns are the JSON's" \
	"$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		{ print $c["mpm"], $c["tls_handshakes"], $c["tls_full"], $c["tls_resumed"], $c["tls_failed"] }' "$TMP/tls.csv" | tr '\n' ' ')" \
	"$(jqr "$J" '[.runs[] | "\(.mpm) \(.load.tls.handshakes) \(.load.tls.full) \(.load.tls.resumed) \(.load.tls.failed)"] | join(" ")') "
check_eq "compare's table: a tls line per MPM, 50 full handshakes each" \
	"$(awk '/^tls +protocol/ { t = 1; next } t && /^(prefork|worker|event) / { print $1, $4 } /^\(handshake/ { t = 0 }' "$TMP/out" | tr '\n' ' ')" \
	"prefork 50 worker 50 event 50 "
for m in prefork worker event; do
	R=$(run_of $m)
	conns=$(jqr "$J" "$R | .load.connections")
	check_eq "$m: 0 failed requests over TLS keep-alive" "$(jqr "$J" "$R | .load.failed")" 0
	check_eq "$m: every request answered (1500 + 30 held)" \
		"$(jqr "$J" "$R | .load.completed + .load.hold_completed")" 1530
	check_eq "$m: the kernel accepted every connection the client opened ($conns)" \
		"$(jqr "$J" "$R | .kernel.accepts")" "$conns"
	check_eq "$m: one full TLS handshake per connection (resumption off)" \
		"$(jqr "$J" "$R | .load.tls | \"\(.handshakes) \(.full) \(.resumed) \(.failed)\"")" "$conns $conns 0 0"
	check_eq "$m: the run's certificate pinned (verified), TLS 1.2 or later" \
		"$(jqr "$J" "$R | .load.config | \"\(.tls) \(.tls_verify)\"") $(jqr "$J" "$R | .load.tls.protocol" | grep -cE '^TLSv1\.[23]$')" \
		"true true 1"
	check "$m: handshake times measured (p50 > 0)" \
		test "$(jqr "$J" "$R | .load.tls.handshake_us.p50")" -gt 0
	check "$m: server CPU per connection measured" \
		test "$(jqr "$J" "$R | .kernel.sched.cpu_us_per_connection | floor")" -gt 0
done
wh=$(jqr "$J" "$(run_of worker) | .kernel.conn.held_task_seconds")
eh=$(jqr "$J" "$(run_of event) | .kernel.conn.held_task_seconds")
check "worker holds a thread per idle TLS connection (held $wh task-s > 5)" awk -v w="$wh" 'BEGIN { exit !(w > 5) }'
check "event holds none: its held task-seconds ($eh) under 5 % of worker's ($wh)" \
	awk -v e="$eh" -v w="$wh" 'BEGIN { exit !(e < 0.05 * w) }'
check_eq "the claims' verdicts come from those numbers" \
	"$(jqr "$J" '[.expectations[] | .verdict] | join(",")')" "confirmed,confirmed,confirmed"
check_clean "compare -s tls"

# ---- run -s tls-resume on prefork: every child resumes every other's sessions ------------
J=$TMP/resume.json
"$M" run -m prefork -s tls-resume --json "$J" >"$TMP/out" 2>&1
check_eq "run -s tls-resume: exit 0" "$?" 0
R=$(run_of prefork)
check_eq "prefork: 600 connections, 600 accepted by the kernel" \
	"$(jqr "$J" "$R | \"\(.load.connections) \(.kernel.accepts)\"")" "600 600"
check_eq "prefork: full handshakes = the 10 slots' first, resumed = the 590 others" \
	"$(jqr "$J" "$R | .load.tls | \"\(.full) \(.resumed)\"")" "10 590"
check_clean "run -s tls-resume"

# ---- mpmscope server + load alone, against Apache's own log ---------------------------------
"$M" server -m event -s tls-resume >"$TMP/srv.out" 2>"$TMP/srv.err" &
SRV_PID=$!
for _ in $(seq 200); do
	[ -s "$TMP/srv.out" ] && break
	sleep 0.05
done
URL=$(awk 'NR == 1 { print $1 }' "$TMP/srv.out")
HPID=$(awk 'NR == 1 { print $3 }' "$TMP/srv.out")
check "server -s tls-resume: an https:// URL" grep -qE '^https://127\.0\.0\.1:[0-9]+/test\.html pid [0-9]+$' "$TMP/srv.out"
RUNDIR=$(tr '\0' '\n' </proc/"${HPID:-0}"/cmdline 2>/dev/null | awk 'p { print; exit } $0 == "-d" { p = 1 }')
check "the run's key and certificate: mode 0600 in the run directory" \
	test "$(stat -c %a "$RUNDIR/tls/key.pem" "$RUNDIR/tls/cert.pem" 2>/dev/null | sort -u)" = 600
check "the certificate: EC P-256, self-signed, for 127.0.0.1" \
	bash -c "openssl x509 -in '$RUNDIR/tls/cert.pem' -noout -text | grep -q 'prime256v1' &&
		 openssl x509 -in '$RUNDIR/tls/cert.pem' -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1'"
LOG=$RUNDIR/logs/tls.log

# oracle: Apache's "%{remote}p %{SSL_PROTOCOL}x %{SSL_SESSION_RESUMED}x" for the load's own ports
apache_says() { # JSON: Apache's Initial/Resumed count over the ports of that load
	sleep 0.3 # the log line comes after the response
	jq -r '.conns[].local_port' "$1" | sort >"$TMP/ports"
	awk '{ print $1, $3 }' "$LOG" | sort -k1,1 | join "$TMP/ports" - |
		awk '{ n[$2]++ } END { printf "%d %d\n", n["Initial"], n["Resumed"] }'
}
"$M" load -q -n 200 -c 5 --tls-resume --record-conns --json "$TMP/l1.json" "$URL" 2>"$TMP/l1.err"
check_eq "load --tls-resume: exit 0" "$?" 0
check_eq "load --tls-resume: 5 full (each slot's first), 195 resumed, 0 failed" \
	"$(jqr "$TMP/l1.json" '.tls | "\(.full) \(.resumed) \(.failed)"') $(jqr "$TMP/l1.json" .failed)" "5 195 0 0"
check_eq "Apache's own log agrees, port by port (Initial Resumed)" "$(apache_says "$TMP/l1.json")" "5 195"
"$M" load -q -n 60 -c 3 --no-tls-resume --record-conns --json "$TMP/l2.json" "$URL" 2>"$TMP/l2.err"
check_eq "load --no-tls-resume: 60 full, 0 resumed" "$(jqr "$TMP/l2.json" '.tls | "\(.full) \(.resumed)"')" "60 0"
check_eq "Apache's own log agrees: 60 Initial, 0 Resumed" "$(apache_says "$TMP/l2.json")" "60 0"
"$M" load -q -k -n 100 -c 4 --cacert "$RUNDIR/tls/cert.pem" --json "$TMP/l3.json" "$URL" 2>"$TMP/l3.err"
check_eq "load -k --cacert (the run's certificate): verified, 100 requests on 4 connections" \
	"$(jqr "$TMP/l3.json" '"\(.config.tls_verify) \(.completed) \(.connections) \(.tls.handshakes)"')" "true 100 4 4"

# ---- openssl s_server: any loopback TLS server --------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 \
	-keyout "$TMP/other.key" -out "$TMP/other.crt" >/dev/null 2>&1
expect_error "load --cacert with another certificate: the handshake fails, one line" \
	"TLS handshake with 127\.0\.0\.1:[0-9]+ failed: certificate verify failed" \
	"$M" load -n 5 --cacert "$TMP/other.crt" "$URL"
kill -TERM "$SRV_PID"
reaped "$SRV_PID" "server: SIGTERM -> exit 0" 0
SRV_PID=
check "server stopped: its run directory (key and certificate) removed" test ! -e "$RUNDIR"

SPORT=$(free_port)
openssl s_server -accept "127.0.0.1:$SPORT" -key "$TMP/other.key" -cert "$TMP/other.crt" -www -quiet \
	>/dev/null 2>&1 &
SSL_PID=$!
for _ in $(seq 100); do
	ss -Hltn "sport = :$SPORT" | grep -q . && break
	sleep 0.05
done
"$M" load -q -n 40 -c 2 --json "$TMP/s1.json" "https://127.0.0.1:$SPORT/" 2>"$TMP/s1.err"
check_eq "load https:// against openssl s_server: 40 answered, 40 full handshakes" \
	"$(jqr "$TMP/s1.json" '"\(.completed) \(.failed) \(.tls.full)"')" "40 0 40"
"$M" load -q -n 40 -c 2 --tls-resume --cacert "$TMP/other.crt" --json "$TMP/s2.json" \
	"https://127.0.0.1:$SPORT/" 2>"$TMP/s2.err"
check_eq "load --tls-resume --cacert against s_server: 2 full, 38 resumed, verified" \
	"$(jqr "$TMP/s2.json" '"\(.completed) \(.tls.full) \(.tls.resumed) \(.config.tls_verify)"')" "40 2 38 true"
# s_client's own count on the same server (TLS 1.2: its -reconnect takes the session
# before a TLS 1.3 ticket can come): the server does resume
n=$(echo | timeout 10 openssl s_client -tls1_2 -connect "127.0.0.1:$SPORT" -reconnect 2>/dev/null | grep -c '^Reused')
check "openssl s_client -reconnect resumes on the same server ($n of 5)" test "$n" -ge 4
kill -TERM "$SSL_PID"
wait "$SSL_PID" 2>/dev/null
SSL_PID=
check_eq "no openssl s_server left" "$(pgrep -fc "s_server -accept 127.0.0.1:$SPORT")" 0
check_clean "tls.sh"
finish
