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
# requests the kernel saw. Attached to a private server (`server`: no tracer
# of its own) before a load of mpmscope's, its CPU and context switches per
# request must be what /proc counts for every task of the server over the
# same load (schedstat's run time, voluntary + involuntary switches: the
# counters the probes read at each switch, summed by the kernel instead of by
# role, so a task missed, counted twice or cut at the window shows), and its
# request count the load's. (Against compare's own figures, trace
# attached a second into compare's load: the windows differed by a third, and
# this VM's CPU per request moves by more than 10 % from one second to the
# next: 14 % apart once in CI.)
cat >"$TMP/pr.scn" <<'SCN'
[scenario]
name = per-request
description = keep-alive, 10 connections
SCN
within() { # PCT A B: |A - B| <= PCT % of B
	awk -v p="$1" -v a="$2" -v b="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d <= p / 100 * b) }'
}
# tasks PID: "TID RUN_NS SWITCHES" for every thread of PID and its children
tasks() {
	local p t
	for p in "$1" $(pgrep -P "$1"); do
		for t in /proc/"$p"/task/*; do
			awk -v t="${t##*/}" 'FILENAME ~ /schedstat/ { ns = $1 } /ctxt_switches/ { n += $2 }
				END { if (ns != "") print t, ns, n }' "$t/schedstat" "$t/status" 2>/dev/null
		done
	done | sort -n
}
for m in event prefork; do
	"$MPMSCOPE" server -m $m -s "$TMP/pr.scn" -d 60 >"$TMP/pr-s.out" 2>"$TMP/pr-s.err" &
	sp=$!
	for _ in $(seq 100); do [ -s "$TMP/pr-s.out" ] && break; sleep 0.1; done
	read -r url _ hp <"$TMP/pr-s.out"
	"$MPMSCOPE" trace -p "$hp" -i 0 --json "$TMP/pr-t.json" >"$TMP/pr-t.out" 2>&1 &
	tp=$!
	for _ in $(seq 100); do grep -q '^tracing ' "$TMP/pr-t.out" && break; sleep 0.1; done
	tasks "$hp" >"$TMP/before"
	"$MPMSCOPE" load -q -d 3 -c 10 -k --json "$TMP/pr-l.json" "$url" >/dev/null 2>&1
	check_eq "$m: the load exits 0" "$?" 0
	tasks "$hp" >"$TMP/after"
	kill -INT "$tp"
	reaped "$tp" "$m: trace exits 0 on SIGINT" 0
	kill -TERM "$sp"
	reaped "$sp" "$m: server exits 0 on SIGTERM" 0
	# every task of before is still there after (none exited: the sums are whole)
	check_eq "$m: no server task exited during the load" \
		"$(join -v1 "$TMP/before" "$TMP/after" | wc -l)" 0
	read -r ns sw < <(join -a2 -e 0 -o 2.2,2.3,1.2,1.3 "$TMP/before" "$TMP/after" |
		awk '{ ns += $1 - $3; sw += $2 - $4 } END { print ns, sw }')
	n=$(jqr "$TMP/pr-l.json" '.completed')
	R='.runs[0].kernel.sched'
	check_eq "$m: trace counts per request of the kernel's own request count" \
		"$(jqr "$TMP/pr-t.json" "$R.per_request_basis")" kernel
	seen=$(jqr "$TMP/pr-t.json" "$R.requests_seen")
	check "$m: trace saw the load's requests ($seen vs $n completed): within 1 %" within 1 "$seen" "$n"
	a=$(jqr "$TMP/pr-t.json" "$R.cpu_us_per_request")
	b=$(awk -v ns="$ns" -v n="$seen" 'BEGIN { print ns / 1000 / n }')
	check "$m: cpu_us_per_request, trace vs /proc's run time of every task ($a vs $b): within 2 %" within 2 "$a" "$b"
	a=$(jqr "$TMP/pr-t.json" "$R.cswitch_per_request")
	b=$(awk -v sw="$sw" -v n="$seen" 'BEGIN { print sw / n }')
	check "$m: cswitch_per_request, trace vs /proc's switches of every task ($a vs $b): within 2 %" within 2 "$a" "$b"
	check "$m: accepts in trace's JSON are its clients' (not 0)" \
		test "$(jqr "$TMP/pr-t.json" '.runs[0].kernel | (.accepts > 0 and .accepts <= .accepts_total)')" = true
done
check_clean "trace"
finish
