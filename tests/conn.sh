#!/bin/bash
# Connection lifecycle and keep-alive against a real Apache with real BPF:
# who holds an idle connection, for how long, who closes it; counts joined
# to the load generator's; explain's story on each MPM.
. "$(dirname "$0")/lib.sh"

# One keep-alive connection left idle (--hold) beside a trickle of short
# requests, KeepAliveTimeout 2, run for 3.5 s.
measure idle compare 0 <<'SCN'
[scenario]
name = one-idle
description = one held keep-alive connection, KeepAliveTimeout 2
[load]
requests = 7
rate = 2
concurrency = 1
hold = 1
[server]
KeepAlive = On
KeepAliveTimeout = 2
SCN
for m in prefork worker event; do
	C="$(run_of $m) | .kernel.conn"
	held=$(jqr "$J" "$C.held_task_seconds * 1000 | floor")
	if [ $m = event ]; then
		check_le "$m: no task held by the idle connection (held ms)" "$held" 50
	else
		check_ge "$m: one task held for about KeepAliveTimeout (held ms >= 1800)" "$held" 1800
		check_le "$m: ... and not more (held ms <= 2600)" "$held" 2600
	fi
	idle=$(jqr "$J" "$C.keepalive_idle_us.max / 1000 | floor")
	check_ge "$m: the idle gap ended at KeepAliveTimeout (ms >= 1900)" "$idle" 1900
	check_le "$m: ... (ms <= 2600)" "$idle" 2600
	check_ge "$m: the server closed the idle connection (server FIN)" "$(jqr "$J" "$C.closes.server_fin")" 1
	check_eq "$m: every generator connection seen by the kernel" "$(jqr "$J" "$C.joined")" \
		"$(jqr "$J" ".runs[] | select(.mpm == \"$m\") | .load.connections")"
	check_eq "$m: the held request completed" \
		"$(jqr "$J" ".runs[] | select(.mpm == \"$m\") | .load.hold_completed // .load.completed | . > 0")" true
done
check_clean "one idle connection"

# MaxKeepAliveRequests: a client that keeps sending gets a fixed number of
# requests per connection. Measured on Apache 2.4: MaxKeepAliveRequests + 1
# (the limit counts keep-alive renewals; the first request is not one).
measure mkar compare 0 <<'SCN'
[scenario]
name = max-keepalive-requests
description = MaxKeepAliveRequests 10, one connection at a time
[load]
requests = 110
concurrency = 1
keepalive = on
[server]
KeepAlive = On
MaxKeepAliveRequests = 10
SCN
for m in prefork worker event; do
	R=$(run_of $m)
	check_eq "$m: 110 completed, 0 failed" "$(jqr "$J" "$R.load | \"\(.completed),\(.failed)\"")" "110,0"
	check_eq "$m: kernel connections == generator connections" "$(jqr "$J" "$R.kernel.conn.joined")" \
		"$(jqr "$J" "$R.load.connections")"
	check_eq "$m: 10 connections" "$(jqr "$J" "$R.load.connections")" 10
	check_eq "$m: requests per connection == MaxKeepAliveRequests + 1" \
		"$(jqr "$J" "$R.kernel.conn.max_requests_per_conn")" 11
	check_eq "$m: kernel requests == generator requests (+ the readiness probe)" \
		"$(jqr "$J" "$R.kernel.conn.requests")" "$(jqr "$J" "$R | .load.completed + .kernel.accepts_probe")"
	check_eq "$m: every connection closed by a FIN or RST seen by the kernel" \
		"$(jqr "$J" "$R.kernel.conn.closes | .server_fin + .client_fin + .server_rst + .client_rst")" \
		"$(jqr "$J" "$R.kernel.conn.connections")"
done
check_clean "MaxKeepAliveRequests"

# explain tells a complete story on each MPM.
for m in prefork worker event; do
	"$MPMSCOPE" explain -m $m -s "$TMP/idle.scn" >"$TMP/explain.$m" 2>&1
	check_eq "explain $m exits 0" "$?" 0
	f="$TMP/explain.$m"
	check "explain $m: handshake" grep -q "completes the TCP handshake" "$f"
	check "explain $m: accept" grep -q "accepts it (accept4)" "$f"
	check "explain $m: both requests read" grep -q "reads request 2" "$f"
	check "explain $m: response written" grep -q "writes the response" "$f"
	check "explain $m: server FIN at KeepAliveTimeout" grep -qE "server closes its side \(FIN\) after 2\.[0-9]+ s idle" "$f"
	check "explain $m: the socket closed" grep -q "the connection is gone" "$f"
	if [ $m = event ]; then
		check "explain event: parked, no thread held" grep -q "no thread is held while it is idle" "$f"
		check "explain event: a worker handles the request, not the listener" grep -q "served by worker thread" "$f"
	else
		check "explain $m: a task blocks in poll holding it" grep -q "blocks in poll() on this idle connection" "$f"
	fi
done
cat "$TMP/explain.event"
expect_error "explain without -m" "-m MPM is required" "$MPMSCOPE" explain
check_clean "explain"
finish
