#!/bin/bash
# `mpmscope serve` as a host runs it: on a plain Apache it did not start,
# found by its PidFile, scraped by a real Prometheus every second. Its
# connection failures by cause agree with what real clients saw; it drops
# root once attached; it keeps answering across `apache2 -k stop` + start
# and a kill -9 of the parent (mpmscope_up 0, then 1, new accepts counted,
# counters never going backwards); 1000 slowloris clients do not stop a
# scrape; bad ways of naming the server get one line and exit 2.
. "$(dirname "$0")/lib.sh"

CL="$ROOT/build/tests/clients"
SERVE_PID= PROM_PID= POLL_PID=
stop_pid() { # PID: SIGTERM, wait
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
orphans() { pgrep -f -- "-f $SRV/httpd.conf" || true; }
cleanup() {
	stop_pid "$POLL_PID"
	stop_pid "$PROM_PID"
	stop_pid "$SERVE_PID"
	plain_stop
	for p in $(orphans); do kill -9 "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
metric() { awk -v s="$2" '$1 == s { print $2; exit }' "$1"; }
scrape() { curl -sf -m 2 -o "$1" "$METRICS"; }
# wait_up V: until /metrics says mpmscope_up V (10 s)
wait_up() {
	local i
	for i in $(seq 100); do
		scrape "$TMP/up.txt" && [ "$(metric "$TMP/up.txt" mpmscope_up)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# One prefork child with one slot, ListenBacklog 1: the listen queue fails
# clients as soon as one keep-alive client holds the child.
plain_apache prefork <<'CONF'
StartServers 1
ServerLimit 1
MinSpareServers 1
MaxSpareServers 1
MaxRequestWorkers 1
ListenBacklog 1
KeepAlive On
KeepAliveTimeout 10
CONF
check_eq "a plain prefork Apache starts" "$?" 0
EXP="127.0.0.1:$(free_port)"
METRICS="http://$EXP/metrics"
"$MPMSCOPE" serve --pidfile "$SRV/logs/httpd.pid" --web.listen-address "$EXP" >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE_PID=$!
for _ in $(seq 100); do grep -q ^serving "$TMP/serve.out" && break; sleep 0.1; done
check "serve --pidfile follows it" grep -q "^serving apache2 $HPID (prefork MPM" "$TMP/serve.out" || cat "$TMP/serve.err"
check_eq "once attached, serve runs as nobody" "$(awk '/^Uid:/ { print $2 }' "/proc/$SERVE_PID/status")" 65534
check_eq "with CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH only" \
	"$(awk '/^CapEff:/ { print $2 }' "/proc/$SERVE_PID/status")" 000000c000080004
prom_start "$EXP"
check "a Prometheus of our own scrapes it" test -n "$PROM_PID"

# ---- failures by cause, against what the clients saw ------------------------------------------
"$CL" --port "$PORT" --mode hold --n 1 --hold-ms 4000 >"$TMP/hold.log" &
hold=$!
sleep 0.5
"$CL" --port "$PORT" --mode burst --n 8 --timeout-ms 2000 >"$TMP/burst.log"
wait "$hold"
"$CL" --port "$PORT" --mode burst --n 3 --path /cgi-bin/fail >"$TMP/fail.log"
nq=$(cat "$TMP/hold.log" "$TMP/burst.log" | awk '$2 != "ok"' | wc -l)
sleep 5 # clients that never got in are given up on after 3 s quiet; a scrape a second
promq 'sum by (cause) (mpmscope_connection_failures_total)' >"$TMP/causes.prom"
cause() { jq -r --arg c "$1" '[.data.result[] | select(.metric.cause == $c) | .value[1] | tonumber] | add // 0' \
	"$TMP/causes.prom"; }
check_ge "the listen queue failed clients" "$nq" 1
check_eq "Prometheus: listen-queue failures by cause = what the clients saw ($(jq -c '[.data.result[] | {(.metric.cause): .value[1]}] | add' "$TMP/causes.prom"))" \
	"$(($(cause listen_overflow) + $(cause never_accepted)))" "$nq"
check_ge "Prometheus: clients that never got in (their SYNs dropped)" "$(cause listen_overflow)" 1
check_eq "Prometheus: the three HTTP 500s, from the access log" "$(cause http_status)" 3
scrape "$TMP/listen.txt"
check_eq "the port's accept-queue limit, from its listener (ListenBacklog 1)" \
	"$(metric "$TMP/listen.txt" "mpmscope_listen_backlog{port=\"$PORT\"}")" 1
check_ge "the port's listener counted its own drops" \
	"$(metric "$TMP/listen.txt" "mpmscope_listen_drops_total{port=\"$PORT\"}")" 1

# ---- apache2 -k stop, then start: answers throughout, up 0 then 1 ---------------------------
scrape "$TMP/before.txt"
# (serve detaches and attaches, about a second of BPF work each, on a thread
# of its own: a scrape meanwhile is answered at once; each poll's time is kept)
( while :; do
	code=$(curl -s -m 3 -o "$TMP/p.txt" -w '%{http_code} %{time_total}' "$METRICS")
	echo "$code $(awk '$1 == "mpmscope_up" { print $2 }' "$TMP/p.txt" 2>/dev/null)"
	sleep 0.1
done ) >"$TMP/poll.log" &
POLL_PID=$!
old=$HPID
"$HTTPD" -f "$SRV/httpd.conf" -k stop >/dev/null 2>&1
for _ in $(seq 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
check "apache2 -k stop: the server is gone" bash -c "! kill -0 $old 2>/dev/null"
check "serve says so: mpmscope_up 0" wait_up 0
sleep 1
check "apache2 -k start again" plain_start_again
check "serve follows the new parent by itself: mpmscope_up 1" wait_up 1
check "the new parent is the one named" grep -q "httpd_pid=\"$HPID\"" "$TMP/up.txt"
# the follower thread attached this one: no thread of serve (the HTTP loop,
# the follower, the new tracer's) is root or holds a capability beyond those
threads=0 bad=
for st in /proc/"$SERVE_PID"/task/*/status; do
	read -r uid prm eff < <(awk '/^Uid:/ { u = $2 } /^CapPrm:/ { p = $2 } /^CapEff:/ { e = $2 }
		END { print u, p, e }' "$st" 2>/dev/null) || continue
	threads=$((threads + 1))
	if [ "$uid" != 65534 ] || (((0x$prm | 0x$eff) & ~0x000000c000080004)); then
		bad+="${st%/status}: uid $uid CapPrm $prm CapEff $eff; "
	fi
done
check_ge "serve's threads: the HTTP loop, the follower, the tracer's" "$threads" 3
check_eq "every thread of serve is nobody with those capabilities at most" "$bad" ""
"$MPMSCOPE" load -q -n 200 -c 2 "http://127.0.0.1:$PORT/test.html" >/dev/null
scrape "$TMP/after.txt"
check_ge "accepts after the restart are counted on top of those before" \
	"$(metric "$TMP/after.txt" mpmscope_accepts_total)" $(($(metric "$TMP/before.txt" mpmscope_accepts_total) + 200))
check_eq "mpmscope_attaches_total: two servers followed" "$(metric "$TMP/after.txt" mpmscope_attaches_total)" 2
shrunk=$(awk 'NR == FNR { if ($1 !~ /^#/) a[$1] = $2; next }
	$1 ~ /_total(\{|$)/ && ($1 in a) && $2 < a[$1] { print $1 " " a[$1] " -> " $2 }' "$TMP/before.txt" "$TMP/after.txt")
check_eq "no counter went backwards across the restart" "$shrunk" ""

# ---- kill -9 of the parent ------------------------------------------------------------------
kill -9 "$HPID"
check "kill -9 of the parent: mpmscope_up 0" wait_up 0
for p in $(orphans); do kill -9 "$p" 2>/dev/null; done # its children, orphaned, hold the port
sleep 0.5
check "start again after the kill" plain_start_again
check "followed again: mpmscope_up 1" wait_up 1
check_eq "three servers followed" "$(metric "$TMP/up.txt" mpmscope_attaches_total)" 3
stop_pid "$POLL_PID"
POLL_PID=
check_ge "polled through both restarts" "$(wc -l <"$TMP/poll.log")" 10
check_eq "/metrics answered 200 every time" "$(awk '$1 != 200' "$TMP/poll.log" | wc -l)" 0
check "it said 0 while the server was gone" grep -q '^200 [0-9.]* 0$' "$TMP/poll.log"
# two detaches and two attaches of ~1 s each among the polls: none waited
slowest=$(awk '{ if ($2 > m) m = $2 } END { print m + 0 }' "$TMP/poll.log")
check "no scrape waited for a detach or an attach (slowest of $(wc -l <"$TMP/poll.log"): $slowest s, limit 0.3 s)" \
	awk -v m="$slowest" 'BEGIN { exit !(m < 0.3) }'
check_eq "the server's exits, one stderr line each" "$(grep -c 'exited; looking for it every second$' "$TMP/serve.err")" 2
promq 'max_over_time(mpmscope_up[30s]) - min_over_time(mpmscope_up[30s])' >"$TMP/upd.prom"
check_eq "Prometheus saw mpmscope_up go down and up" "$(jq -r '.data.result[0].value[1]' "$TMP/upd.prom")" 1

# ---- 1000 slowloris clients: scrapes still answered within 1 s ------------------------------
EPORT=${EXP##*:}
"$CL" --port "$EPORT" --mode stall --n 1000 --hold-ms 6000 >"$TMP/stall.log" &
stall=$!
sleep 2
slow=0
for _ in $(seq 5); do
	t=$(curl -s -m 1 -o "$TMP/m.txt" -w '%{http_code} %{time_total}' "$METRICS")
	[ "${t%% *}" = 200 ] && awk -v s="${t#* }" 'BEGIN { exit !(s < 1.0) }' || slow=$((slow + 1))
	sleep 0.3
done
check_eq "with 1000 stalled clients, 5 scrapes answered within 1 s each" "$slow" 0
check_ge "they were open at once" "$(metric "$TMP/m.txt" mpmscope_http_connections_open)" 900
check_le "memory stays bounded (RSS, MiB)" $(($(metric "$TMP/m.txt" process_resident_memory_bytes) / 1048576)) 64
wait "$stall"
check_eq "each stalled client was closed by the exporter (head timeout)" "$(awk '$2 == "eof"' "$TMP/stall.log" | wc -l)" 1000
stop_pid "$PROM_PID"
PROM_PID=
kill -TERM "$SERVE_PID"
reaped "$SERVE_PID" "SIGTERM: serve exits 0" 0
SERVE_PID=

# ---- --port, --exit-with-server ------------------------------------------------------------
"$MPMSCOPE" serve --port "$PORT" --exit-with-server --listen 127.0.0.1:0 >"$TMP/s2.out" 2>"$TMP/s2.err" &
s2=$!
for _ in $(seq 100); do grep -q ^serving "$TMP/s2.out" && break; sleep 0.1; done
check "serve --port finds the Apache listening there" grep -q "^serving apache2 $HPID " "$TMP/s2.out"
plain_stop
reaped "$s2" "--exit-with-server: the server exits, serve exits 1" 1
check "... with one line" one_error_line "$TMP/s2.err" '^mpmscope: serve: the server .* exited$'

# ---- bad ways of naming the server ----------------------------------------------------------
expect_error "--pidfile that does not exist" '^mpmscope: --pidfile /nonexistent/httpd.pid: No such file' \
	"$MPMSCOPE" serve --pidfile /nonexistent/httpd.pid
echo garbage >"$TMP/bad.pid"
expect_error "--pidfile with no pid in it" "^mpmscope: --pidfile .*: 'garbage' is not a process id" \
	"$MPMSCOPE" serve --pidfile "$TMP/bad.pid"
echo $$ >"$TMP/sh.pid"
expect_error "--pidfile naming no Apache" '^mpmscope: process [0-9]+ is not an Apache httpd' \
	"$MPMSCOPE" serve --pidfile "$TMP/sh.pid"
expect_error "--port nothing listens on" "^mpmscope: nothing listens on port $PORT\$" "$MPMSCOPE" serve --port "$PORT"
expect_error "two ways at once" '^mpmscope: serve: name the server with exactly one of' \
	"$MPMSCOPE" serve -C apache2 --port "$PORT"
check_clean "exporter"
finish
