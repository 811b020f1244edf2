#!/bin/bash
# trace against an Apache mpmscope did not start: a plain `apache2 -k start`
# (it daemonizes) with a private config. The tracer must find its MPM, its
# processes and threads, its port, see the accepts of a load and the fork
# that replaces a killed child.
. "$(dirname "$0")/lib.sh"

plain_apache event <<'CONF'
StartServers 2
CONF
check_eq "apache2 -k start (outside mpmscope) starts" "$?" 0

J="$TMP/trace.json"
"$MPMSCOPE" trace -p "$HPID" -d 7 -i 1 --json "$J" >"$TMP/trace.out" 2>&1 &
tpid=$!
sleep 2
"$MPMSCOPE" load -q -n 500 -c 5 "http://127.0.0.1:$PORT/test.html" >/dev/null 2>&1
check_eq "load against it exits 0" "$?" 0
# the accept queue (backlog 511) never got half full: the packets went by
# without the SYN watcher
check_eq "the SYN watcher is loaded but not attached (no accept queue half full)" "$(syn_watch_links)" 0
victim=$(pgrep -P "$HPID" | head -1)
kill -9 "$victim"
wait "$tpid"
check_eq "trace exits 0" "$?" 0
cat "$TMP/trace.out" | head -3
check "trace tells the MPM and the port" grep -q "event MPM: mod_mpm_event.so is mapped.*port $PORT" "$TMP/trace.out"
check_ge "trace saw the load's accepts" "$(jqr "$J" '.runs[0].kernel.accepts_total')" 500
check_eq "the killed child shows as an exit by signal 9" \
	"$(jqr "$J" "[.runs[0].kernel.procs[] | select(.pid == $victim) | .exit] | join(\",\")")" "signal 9"
check_ge "the parent forked its replacement" "$(jqr "$J" '.runs[0].kernel.processes_created')" 1
check_ge "its threads were created too" "$(jqr "$J" '.runs[0].kernel.threads_created')" 2
check_ge "connections followed from the handshake to the close" "$(jqr "$J" '.runs[0].kernel.conn.connections')" 500
check_ge "listener wake-ups seen" "$(jqr "$J" '[.runs[0].kernel.sched.wakeups_by_pair[] | select(.wakee == "listener") | .count] | add // 0')" 1

# -C finds the same server by its command name
"$MPMSCOPE" trace -C "$(basename "$HTTPD")" -d 1 -i 0 >"$TMP/trace-c.out" 2>&1
check_eq "trace -C $(basename "$HTTPD") exits 0" "$?" 0
check "trace -C found the same parent" grep -q "$(basename "$HTTPD") $HPID" "$TMP/trace-c.out"
# libbpf-tools' conventions: `trace -C apache2 1 3` prints three interval
# lines and exits; -T stamps them; --hist prints runqlat's log2 histograms
# per interval, and after count intervals they add up to the JSON's.
COMM=$(basename "$HTTPD")
"$MPMSCOPE" trace -C "$COMM" 1 3 >"$TMP/t13.out" 2>"$TMP/t13.err"
check_eq "trace -C $COMM 1 3 exits 0" "$?" 0
lines=$(grep -cE '^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ ' "$TMP/t13.out")
check_eq "trace -C $COMM 1 3: three interval lines" "$lines" 3
check "without -T, no time column" grep -qE '^ *procs +threads' "$TMP/t13.out"
( sleep 0.3; "$MPMSCOPE" load -q -d 2 -c 4 -k "http://127.0.0.1:$PORT/test.html" >/dev/null 2>&1 ) &
ldr=$!
"$MPMSCOPE" trace -C "$COMM" -T --hist --json - 1 3 >"$TMP/hist.json" 2>"$TMP/hist.out"
check_eq "trace -T --hist --json - 1 3 exits 0" "$?" 0
wait "$ldr"
check_eq "-T: three lines stamped HH:MM:SS" "$(grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2} +[0-9]+ ' "$TMP/hist.out")" 3
check "--json -: stdout is the JSON document alone" sh -c "jq -e '.kind == \"trace\"' '$TMP/hist.json' >/dev/null"
check "--json -: the text went to stderr" grep -q "^tracing $COMM" "$TMP/hist.out"
check "--hist: runqlat's layout" grep -qE '^ +nsecs +: count +distribution$' "$TMP/hist.out"
# the rows of every histogram, summed over the intervals, against the JSON
awk '/^(run-queue latency|off-CPU time|listen-queue time|keep-alive idle time)/ { key = $0; next }
	/^ *[0-9]+ -> [0-9]+ *: [0-9]+/ && key != "" { split($0, a, ":"); split(a[2], c, " "); sum[key] += c[1]; next }
	/^$/ { key = "" }
	END { for (k in sum) print k "\t" sum[k] }' "$TMP/hist.out" | sort >"$TMP/hist.printed"
jq -r '.runs[0].kernel | (.sched.kernel_hist.runq_by_role | to_entries[] | "run-queue latency, role = \(.key)\t\(.value.count)"),
	(.sched.kernel_hist.offcpu_by_reason | to_entries[] | "off-CPU time, reason = \(.key)\t\(.value.count)"),
	"listen-queue time\t\(.conn.kernel_hist.listen_queue.count)", "keep-alive idle time\t\(.conn.kernel_hist.keepalive_idle.count)"' \
	"$TMP/hist.json" | grep -v $'\t0$' | sort >"$TMP/hist.json.counts"
check_ge "--hist: histograms printed" "$(wc -l <"$TMP/hist.printed")" 4
check_ge "--hist: the load's keep-alive idle gaps are there" \
	"$(awk -F'\t' '$1 == "keep-alive idle time" { print $2 }' "$TMP/hist.printed")" 100
check "--hist: every histogram's counts add up to the JSON's kernel_hist$(diff "$TMP/hist.printed" "$TMP/hist.json.counts" | grep '^[<>]' | tr '\t\n' ': ' | sed 's/^./ (printed <, JSON >: &/; s/.$/&)/')" \
	diff "$TMP/hist.printed" "$TMP/hist.json.counts"
check_eq "--hist: run-queue counts == the JSON's runq_us_by_role n" \
	"$(awk -F'\t' '/^run-queue/ { s += $2 } END { print s }' "$TMP/hist.printed")" \
	"$(jq '[.runs[0].kernel.sched.runq_us_by_role[].n] | add' "$TMP/hist.json")"
expect_error "trace: count 0" "count: must be at least 1" "$MPMSCOPE" trace -C "$COMM" 1 0
expect_error "trace: interval twice" "interval given twice" "$MPMSCOPE" trace -C "$COMM" -i 2 1
expect_error "trace: a third positional argument" "unexpected argument '9'" "$MPMSCOPE" trace -C "$COMM" 1 3 9
expect_error "trace: an unwritable --conn-log" "cannot write /nonexistent-dir/c.jsonl" "$MPMSCOPE" trace -C "$COMM" --conn-log /nonexistent-dir/c.jsonl
expect_error "trace: an unwritable --html" "cannot write /nonexistent-dir/t.html" "$MPMSCOPE" trace -C "$COMM" --html /nonexistent-dir/t.html

pid=$HPID
plain_stop
check "apache2 -k stop stopped it" bash -c "! kill -0 $pid 2>/dev/null"

# Per request in attach mode: trace, with no load of its own, divides by the
# requests the kernel saw. Attached to compare's own Apache during its load,
# it must tell the same figures per request as compare (same load, same
# kernel), within 10 %.
cat >"$TMP/pr.scn" <<'SCN'
[scenario]
name = per-request
description = keep-alive, 10 connections, 3 s
[load]
duration = 3s
concurrency = 10
keepalive = on
SCN
within10() { # A B: |A - B| <= 10 % of B
	awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d <= 0.1 * b) }'
}
for m in event prefork; do
	"$MPMSCOPE" run -m $m -s "$TMP/pr.scn" --json "$TMP/pr-c.json" >"$TMP/pr-c.out" 2>&1 &
	rp=$!
	hp=
	for _ in $(seq 200); do
		hp=$(pgrep -of -- "-f /tmp/mpmscope\.[A-Za-z0-9]{6}/httpd.conf" || true)
		[ -n "$hp" ] && break
		sleep 0.05
	done
	"$MPMSCOPE" trace -p "$hp" -i 0 --json "$TMP/pr-t.json" >"$TMP/pr-t.out" 2>&1 &
	tp=$!
	reaped "$rp" "$m: compare's run exits 0" 0
	reaped "$tp" "$m: trace of compare's Apache exits 0 when it stops" 0
	R='.runs[0].kernel.sched'
	check_eq "$m: trace counts per request of the kernel's own request count" \
		"$(jqr "$TMP/pr-t.json" "$R | \"\(.per_request_basis) \(.requests_seen > 1000)\"")" "kernel true"
	for k in wakeups_per_request cswitch_per_request cpu_us_per_request; do
		a=$(jqr "$TMP/pr-t.json" "$R.$k")
		b=$(jqr "$TMP/pr-c.json" "$R.$k")
		check "$m: $k, trace vs compare on the same load ($a vs $b): within 10 %" within10 "$a" "$b"
	done
	check "$m: accepts in trace's JSON are its clients' (not 0)" \
		test "$(jqr "$TMP/pr-t.json" '.runs[0].kernel | (.accepts > 0 and .accepts <= .accepts_total)')" = true
done
check_clean "trace"
finish
