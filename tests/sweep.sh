#!/bin/bash
# compare --sweep: the baseline at 3 concurrencies on the 3 MPMs, each point
# run for real (the load generator's own records say how many connections
# were open at once, the kernel how many it accepted), the curves in the
# table, the JSON (valid against doc/schema), the CSV and the HTML, drawn by
# Chromium: one line per MPM per metric, a vertex per point. Then a sweep
# that must fail: two prefork children behind a listen backlog of 1, whose
# knee is the point where the clients' SYNs are dropped twice.
. "$(dirname "$0")/lib.sh"

# jqe FILTER FILE: the filter holds (true) for the document
jqe() { jq -e "$1" "$2" >/dev/null; }

VALUES="5 20 60"
J="$TMP/sweep.json"
H="$TMP/sweep.html"
C="$TMP/sweep.csv"
"$MPMSCOPE" compare -s baseline --sweep concurrency=5,20,60 --json "$J" --html "$H" --csv "$C" \
	>"$TMP/out" 2>"$TMP/err"
check_eq "compare --sweep concurrency=5,20,60 exits 0" "$?" 0 || tail -5 "$TMP/err"
check_clean "sweep"

# --- what each point ran, measured ----------------------------------------------------
check_eq "JSON: the sweep's parameter" "$(jqr "$J" .sweep.param)" concurrency
check_eq "JSON: its values" "$(jqr "$J" '.sweep.values | map(tostring) | join(" ")')" "$VALUES"
check_eq "JSON: every point measured" "$(jqr "$J" .sweep.points_measured)" 3
k=0
for v in $VALUES; do
	P=".sweep.points[$k]"
	for m in prefork worker event; do
		R="$P.runs[] | select(.mpm == \"$m\")"
		check_eq "c=$v $m: ran" "$(jqr "$J" "$R | .ran")" true
		# the scenario's 10 requests per connection (1000 / 100) at every point
		check_eq "c=$v $m: 10 requests per connection asked" "$(jqr "$J" "$R | .requests")" $((10 * v))
		# (a closed loop: a generator thread the VM starves may find the
		# point's requests taken before its slots connect: 3 of 5 once in
		# CI; every other run, and every larger point, all of them)
		check_ge "c=$v $m: connections as configured ~ most the generator had open at once (>= 60 %)" \
			"$(jqr "$J" "$R | .peak_conns * 10")" "$((v * 6))"
		check_le "c=$v $m: ... and never more" "$(jqr "$J" "$R | .peak_conns")" "$v"
		check_eq "c=$v $m: every request served" "$(jqr "$J" "$R | .completed")" $((10 * v))
		check_eq "c=$v $m: the kernel accepted a connection per request (no keep-alive)" \
			"$(jqr "$J" "$R | .accepts")" $((10 * v))
		check_eq "c=$v $m: no failure" "$(jqr "$J" "$R | .failed")" 0
		check "c=$v $m: req/s and p99 measured" \
			jqe "$R | .rps > 0 and .latency_us.p99 > 0 and .latency_us.p50 <= .latency_us.p99" "$J"
	done
	check "c=$v: prefork's processes are single-threaded, worker's and event's are not" jqe \
		"[$P.runs[] | {(.mpm): .}] | add | (.prefork.threads_alive == .prefork.procs_alive) and
		 (.worker.threads_alive > 25 * (.worker.procs_alive - 1)) and
		 (.event.threads_alive > 25 * (.event.procs_alive - 1))" "$J"
	k=$((k + 1))
done
check_eq "JSON: the runs in full are the last point's" "$(jqr "$J" '[.runs[].load.config.connections] | unique | .[]')" 60
check_eq "JSON: a knee entry per MPM" "$(jqr "$J" '[.sweep.knees[].mpm] | join(" ")')" "prefork worker event"
check_eq "JSON: each claim with a verdict per point" \
	"$(jqr "$J" '[.sweep.expectations[] | .verdicts | length] | unique | .[]')" 3
check_eq "JSON: as many sweep claims as the scenario's" "$(jqr "$J" '.sweep.expectations | length')" \
	"$(jqr "$J" '.expectations | length')"

# --- the table: a block per point, then a curve per metric ------------------------------
for v in $VALUES; do
	check "text: a block for c=$v" grep -qE "^=== point [0-9]/3: c=$v$" "$TMP/out"
done
for t in "requests per second" "latency p99" "memory (PSS, peak sample)" "threads alive (most at once)" \
	"server CPU per request" "held task-seconds (idle keep-alive)"; do
	check "text: the curve '$t', a row per point" \
		bash -c "grep -A3 -F '$t' '$TMP/out' | grep -cE '^  c=(5|20|60) ' | grep -qx 3"
done
rps=$(printf '%.1f' "$(jqr "$J" '.sweep.points[1].runs[] | select(.mpm == "worker") | .rps')")
check "text: worker's req/s at c=20 is the JSON's ($rps)" \
	bash -c "grep -A4 '^requests per second' '$TMP/out' | grep -E '^  c=20 ' | awk '{ print \$3 }' | grep -qx '$rps'"
check "text: the knees said for each MPM" bash -c "sed -n '/^knees/,/^\$/p' '$TMP/out' | grep -cE '^  (prefork|worker|event) ' | grep -qx 3"

# --- CSV: a row per point and MPM, the JSON's numbers ----------------------------------
check_eq "CSV: a header and 9 rows" "$(wc -l <"$C")" 10
col=$(head -1 "$C" | tr ',' '\n' | grep -nx latency_p99_us | cut -d: -f1)
check_eq "CSV: event's p99 at c=60 is the JSON's" \
	"$(awk -F, -v c="$col" '$3 == 60 && $4 == "event" { print $c }' "$C")" \
	"$(jqr "$J" '.sweep.points[2].runs[] | select(.mpm == "event") | .latency_us.p99')"

# --- HTML, drawn by Chromium: a line per MPM per metric, a vertex per point ---------------
METRICS="rps failure_rate p50_us p99_us pss_kb procs_alive threads_alive cpu_us_per_request held_task_seconds peak_conns"
if have_chromium; then
	chrome --dump-dom "file://$H" >"$TMP/dom.html" 2>"$TMP/chrome.err"
	check_eq "Chromium: no console error" "$(grep -cE 'Uncaught|:CONSOLE[:(]' "$TMP/chrome.err")" 0
	tr -d '\n' <"$TMP/dom.html" | sed 's|</svg>|</svg>\n|g' >"$TMP/svgs"
	for x in $METRICS; do
		svg=$(grep -o "<svg class=\"chart\" id=\"sweep-$x\".*" "$TMP/svgs")
		lines=$(grep -o '<path class="line"[^>]*>' <<<"$svg")
		check_eq "HTML: plot $x has a line per MPM" "$(grep -c . <<<"$lines")" 3
		check_eq "HTML: plot $x, each line with a vertex per point" \
			"$(sed 's/.* d="\([^"]*\)".*/\1/' <<<"$lines" | awk '{ print gsub(/[ML]/, "") }' | sort -u | tr '\n' ' ')" "3 "
		check_eq "HTML: plot $x's lines in the MPMs' colours" \
			"$(grep -o 'stroke="#[0-9a-f]*"' <<<"$lines" | tr '\n' ' ')" \
			'stroke="#4c78a8" stroke="#e45756" stroke="#54a24b" '
	done
	svg=$(grep -o '<svg class="chart" id="sweep-p99_us".*' "$TMP/svgs")
	check "HTML: the x axis is labelled, log scale (5 to 60 spans more than 10x)" \
		grep -q 'concurrent connections (-c) (log scale)' <<<"$svg"
	check "HTML: a legend with each MPM" grep -qE '<g class="legend">.*>prefork<.*>worker<.*>event<.*</g>' <<<"$svg"
	nknees=$(jqr "$J" '[.sweep.knees[] | .fail_at, .p99_at | select(. != null)] | length')
	check_eq "HTML: every knee of the JSON marked on the p99 plot" \
		"$(grep -o 'class="mark"' <<<"$svg" | wc -l)" "$nknees"
	check "HTML: the knees' table" grep -q 'id="sweep-knees"' "$TMP/dom.html"
else
	fail "no Chromium: the sweep's plots are not checked in a browser"
fi

# --- a sweep that must fail: two prefork children, a backlog of 1 ----------------------------
# At c=2 the two children and the queue hold every client; at c=40 most SYNs
# meet a full accept queue and are dropped, retransmitted after 1 s and again
# after 3 s: past the 1.5 s timeout, a failed request.
cat >"$TMP/knee.scn" <<'EOF'
[scenario]
name        = knee
description = two prefork children behind a listen backlog of 1

[load]
requests    = 20
concurrency = 2
timeout     = 1500ms

[prefork]
StartServers      = 2
MinSpareServers   = 1
MaxSpareServers   = 2
MaxRequestWorkers = 2
ListenBacklog     = 1
EOF
K="$TMP/knee.json"
"$MPMSCOPE" compare -m prefork -s "$TMP/knee.scn" --sweep concurrency=2,40 --json "$K" --html "$TMP/knee.html" \
	>"$TMP/kout" 2>"$TMP/kerr"
check_eq "knee sweep exits 0 (failed requests are a measurement)" "$?" 0 || tail -3 "$TMP/kerr"
check_clean "knee sweep"
check_eq "knee: no failure at c=2" "$(jqr "$K" '.sweep.points[0].runs[0].failed')" 0
check "knee: failures at c=40" jqe '.sweep.points[1].runs[0].failed > 0' "$K"
check_eq "knee: prefork starts to fail at c=40" "$(jqr "$K" '.sweep.knees[0].fail_at')" 40
check "knee: the text says so" grep -qE '^  prefork +fails from c=40 ' "$TMP/kout"
check "knee: the failures are timeouts of dropped handshakes" \
	jqe '.runs[0].failure_evidence.listen_overflows > 0 and .runs[0].load.failed_by_class.timeout > 0' "$K"
# the p99 knee by its definition, from the points' own numbers
want=$(jqr "$K" '.sweep.points | (.[0].runs[0].latency_us.p99 / 2) as $a | (.[1].runs[0].latency_us.p99 / 40) as $b |
	if $b > 2 * $a then 40 else null end')
check_eq "knee: p99's knee as defined (per connection, 2x the lowest before)" "$(jqr "$K" '.sweep.knees[0].p99_at')" "$want"
check "knee: the HTML rings the failure knee" grep -qE 'class="mark"[^>]* data-mark="fail"' "$TMP/knee.html"
check "knee: the HTML's knee table" grep -q 'data-fail-at="40"' "$TMP/knee.html"

# --- the open loop: a sweep over the rate -------------------------------------------------------
# 300 requests at 150 and at 600 per second: each point's generator kept
# its rate (req/s within 15 % of it, the duration its requests / rate)
"$MPMSCOPE" compare -m event -s baseline --sweep rate=150,600 -n 300 --json "$TMP/rate.json" --csv "$TMP/rate.csv" \
	>"$TMP/rout" 2>&1
check_eq "compare --sweep rate=150,600 exits 0" "$?" 0 || tail -3 "$TMP/rout"
check_clean "rate sweep"
check_eq "rate: the sweep's parameter and values" "$(jqr "$TMP/rate.json" '"\(.sweep.param) \(.sweep.values | map(tostring) | join(","))"')" "rate 150,600"
k=0
for v in 150 600; do
	R=".sweep.points[$k].runs[0]"
	check_eq "rate=$v: every request served, none failed" "$(jqr "$TMP/rate.json" "$R | \"\(.completed) \(.failed)\"")" "300 0"
	check "rate=$v: req/s within 15 % of the rate ($(jqr "$TMP/rate.json" "$R.rps | floor"))" \
		jqe "$R | .rps > $v * 0.85 and .rps < $v * 1.15" "$TMP/rate.json"
	k=$((k + 1))
done
check "rate: the table's blocks are by rate" grep -qE '^=== point 2/2: rate=600$' "$TMP/rout"
check_eq "rate: the CSV's rows, by rate" "$(awk -F, 'NR > 1 { print $3 }' "$TMP/rate.csv" | tr '\n' ' ')" "150 600 "

# --- Ctrl-C in the middle of a sweep: the points so far, a valid JSON, nothing left ----------
"$MPMSCOPE" compare -m event --sweep concurrency=5,10,20 -n 100000 --json "$TMP/int.json" >"$TMP/iout" 2>&1 &
pid=$!
sleep 3
kill -INT "$pid"
reaped "$pid" "interrupted sweep exits 130" 130
check_clean "interrupted sweep"
check_eq "interrupted: one point of three measured" "$(jqr "$TMP/int.json" .sweep.points_measured)" 1
check_eq "interrupted: the document says so" "$(jqr "$TMP/int.json" .interrupted)" true
check "interrupted: the table says so" grep -q '^interrupted: 1 of 3 points, the last up to Ctrl-C' "$TMP/iout"

finish
