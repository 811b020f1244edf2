#!/bin/bash
# Reports people look at: --csv and --html next to --json, from one real
# compare (prefork and event, spawn-burst cut to 2 s). The CSV says what the
# JSON says; the HTML is self-contained, has every plot with data, escapes the
# scenario's text, and renders in headless Chromium without a console error.
. "$(dirname "$0")/lib.sh"

PLOTS="plot-rps plot-failrate plot-latency plot-spawn-cost plot-khist-proc-create plot-khist-thread-create
plot-khist-proc-first-run plot-khist-thread-first-run plot-spawn-timeline plot-thread-timeline plot-memory
plot-memory-slot plot-load-timeline plot-p99-timeline
plot-runq-role-prefork plot-runq-role-event plot-runq-hist plot-wakeups plot-offcpu plot-cpu-req plot-cswitch-req"
# per-connection plots: they have data when the kernel has sock_recv_length
CONN_PLOTS="plot-held plot-ka-idle-hist plot-closes plot-conn-times plot-req-per-conn"
# only when something failed (or was closed while idle): failed requests by class and by root cause
OPTIONAL_PLOTS="plot-failclass plot-failcause"

# Bad output paths: one line, non-zero exit, before any run.
expect_error "unwritable --html" "cannot write /nonexistent-dir/r.html" \
	"$MPMSCOPE" compare --html /nonexistent-dir/r.html
expect_error "unwritable --csv" "cannot write /nonexistent-dir/r.csv" \
	"$MPMSCOPE" compare --csv /nonexistent-dir/r.csv
expect_error "--html without a value" "needs a value" "$MPMSCOPE" compare --html
check_clean "bad output paths"

# The scenario's description is user input: make it hostile.
desc='<script>alert("x")</script> & '"'"'quoted'"'"', <b>bold</b>'
sed -e "s|^description *=.*|description = ${desc//&/\\&}|" -e 's|^name *=.*|name = report-test|' \
	"$ROOT/scenarios/spawn-burst.scn" >"$TMP/report-test.scn"

J="$TMP/r.json" C="$TMP/r.csv" H="$TMP/r.html"
"$MPMSCOPE" compare -s "$TMP/report-test.scn" -m prefork,event -t 2 --json "$J" --csv "$C" --html "$H" \
	>"$TMP/table" 2>"$TMP/stderr"
check_eq "compare with --json --csv --html exits 0" "$?" 0
check "JSON written" test -s "$J"
check "CSV written" test -s "$C"
check "HTML written" test -s "$H"
check_eq "no temporary file left" "$(find "$TMP" -name '*.tmp.*' | wc -l)" 0

# --- CSV ------------------------------------------------------------------------
check_eq "CSV: header + one row per MPM" "$(wc -l <"$C")" 3
check_eq "CSV: every line has as many fields as the header" \
	"$(awk -F, '{print NF}' "$C" | sort -u | wc -l)" 1
check_eq "CSV: first columns" "$(head -1 "$C" | cut -d, -f1-4)" "scenario,mpm,httpd_version,ran"
# csv MPM COLUMN: one field by column name (no field of these rows needs quoting)
csv() { awk -F, -v m="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	$2 == m { print (c in col) ? $col[c] : "NO-SUCH-COLUMN" }' "$C"; }
# same MPM COLUMN JQPATH: the CSV's number equals the JSON's
same() {
	local got want
	got=$(csv "$1" "$2")
	want=$(jqr "$J" ".runs[] | select(.mpm == \"$1\") | $3")
	if [ -n "$got" ] && awk -v a="$got" -v b="$want" 'BEGIN { exit !(a + 0 == b + 0) }'; then
		pass "CSV = JSON: $1 $2 ($got)"
	else
		fail "CSV = JSON: $1 $2: CSV '$got', JSON '$want'"
	fi
}
for m in prefork event; do
	check_eq "CSV: $m row" "$(csv $m scenario),$(csv $m ran)" "report-test,true"
	same $m requests .load.requests
	same $m completed .load.completed
	same $m failed .load.failed
	for f in connect reset eof timeout status length write; do
		same $m "failed_$f" ".load.failed_by_class.$f"
	done
	same $m duration_s .load.duration_s
	same $m rps .load.rps
	same $m failure_rate .load.failure_rate
	for p in p50 p90 p99 p999 max; do
		same $m "latency_${p}_us" ".load.latency_us.$p"
	done
	same $m processes_created .kernel.processes_created
	same $m threads_created .kernel.threads_created
	same $m exits .kernel.exits
	same $m accepts .kernel.accepts
	same $m accept_errors .kernel.accept_errors
	same $m events_lost .events_lost
	same $m processes_load .kernel.spawn_by_phase.load.processes
	same $m process_create_p50_us .kernel.spawn.process_create_us.p50
	same $m process_create_p99_us .kernel.spawn.process_create_us.p99
	same $m process_first_run_p99_us .kernel.spawn.process_first_run_us.p99
	same $m create_cpu_share .kernel.spawn.create_cpu_share
	same $m rss_kb .memory.rss_kb
	same $m pss_kb .memory.pss_kb
	same $m uss_kb .memory.uss_kb
	same $m kb_per_slot .memory.kb_per_slot
	same $m cpu_us_per_request .kernel.sched.cpu_us_per_request
	same $m cpu_us_per_connection .kernel.sched.cpu_us_per_connection
	check_eq "CSV: $m: plain HTTP: empty TLS columns" "$(csv $m tls_handshakes),$(csv $m tls_full)" ","
done
same event thread_create_p50_us .kernel.spawn.thread_create_us.p50
same event thread_first_run_p99_us .kernel.spawn.thread_first_run_us.p99
check_eq "CSV: prefork created no thread: empty thread_create_p50_us" "$(csv prefork thread_create_p50_us)" ""

# --- HTML -------------------------------------------------------------------------
check_eq "HTML: no network reference (http://, https://, //host)" \
	"$(grep -ciE 'https?://|(src|href)="//' "$H")" 0
check_eq "HTML: no external resource (<link>, <script src>, <img>, @import, url())" \
	"$(grep -ciE '<link|<script|<img|@import|url\(' "$H")" 0
# chart ID [FILE]: the text of that one <svg> element
chart() { awk -v id="$1" 'index($0, "<svg class=\"chart\" id=\"" id "\"") { on = 1 } on { print } on && /<\/svg>/ { exit }' "${2:-$H}"; }
# has_data DESC ID [FILE]: the chart exists, draws bars or lines, and says no "no data"
has_data() {
	local body n pts
	body=$(chart "$2" "${3:-$H}")
	n=$(grep -c 'class="\(bar\|line\)"' <<<"$body")
	pts=$(grep -o 'data-points="[0-9]*"' <<<"$body" | head -1 | tr -dc 0-9)
	if [ -n "$body" ] && [ "$n" -gt 0 ] && [ "${pts:-0}" -gt 0 ] && ! grep -q 'no data' <<<"$body"; then
		pass "$1: $2 has data ($n bars/lines, $pts values)"
	else
		fail "$1: $2: ${#body} bytes, $n bars/lines, data-points '$pts'"
	fi
}
conn_avail=$(jqr "$J" '[.runs[] | select(.kernel.conn != null)] | length')
nopt=0
for id in $OPTIONAL_PLOTS; do grep -q "<svg class=\"chart\" id=\"$id\"" "$H" && nopt=$((nopt + 1)); done
NPLOTS=$(($(wc -w <<<"$PLOTS $CONN_PLOTS") + nopt))
check_eq "HTML: one <svg> per plot" "$(grep -o '<svg ' "$H" | wc -l)" "$NPLOTS"
for id in $PLOTS; do has_data HTML "$id"; done
if [ "$conn_avail" = 2 ]; then
	for id in $CONN_PLOTS; do has_data HTML "$id"; done
	check_eq "HTML: no 'kernel lacks' note when per-connection records exist" "$(grep -c 'this kernel lacks' "$H")" 0
else
	check "HTML: a kernel without sock_recv_length says so" grep -q 'no data: this kernel lacks' "$H"
fi
for id in $OPTIONAL_PLOTS; do grep -q "<svg class=\"chart\" id=\"$id\"" "$H" && has_data HTML "$id"; done
check_eq "HTML: every chart has a title" "$(grep -c '<svg class="chart"' "$H")" \
	"$(awk '/<svg class="chart"/ { n = 3 } n && /font-size="14" font-weight="600"/ { t++; n = 0 } n { n-- } END { print t + 0 }' "$H")"
check_eq "HTML: every chart's y (or value) axis has a label" "$(grep -c '<svg class="chart"' "$H")" \
	"$(awk '/<svg class="chart"/ { on = 1; got = 0 } on && (/rotate\(-90\)/ || /<text x="[0-9.]*" y="[0-9]*" text-anchor="middle" fill="#59636e">[a-z]/) { got = 1 }
		on && /<\/svg>/ { on = 0; t += got } END { print t + 0 }' "$H")"
for t in summary sched conns; do
	check "HTML: table $t" grep -q "<table id=\"$t\">" "$H"
done
check "HTML: section Scheduler" grep -q '<h2 id="scheduler">Scheduler</h2>' "$H"
check "HTML: section Connections" grep -q '<h2 id="connections">Connections</h2>' "$H"
check "HTML: section Failures" grep -q '<h2 id="failures">Failures</h2>' "$H"
# claims: one badge per expectation of the JSON, same verdicts in the same order
check_ge "HTML: the scenario has claims" "$(jqr "$J" '.expectations | length')" 1
check_eq "HTML: claims' badges = JSON expectations' verdicts" \
	"$(grep -o '<span class="badge [a-z-]*" data-verdict="[^"]*"' "$H" | sed 's/.*data-verdict="//; s/"$//' | paste -sd,)" \
	"$(jqr "$J" '.expectations[].verdict' | paste -sd,)"
check "HTML: a refuted claim is a finding (said once)" grep -q 'A refuted claim is a finding' "$H"
check_eq "HTML: each MPM has its colour in the legend of the latency plot" \
	"$(chart plot-latency | grep -oE '<text[^>]*>(prefork|event)</text>' | wc -l)" 2
check "HTML: the summary table has a row per MPM" \
	grep -q '<tr data-mpm="prefork">.*<tr data-mpm="event">' <(tr -d '\n' <"$H")
check "HTML: httpd version in the header" grep -q "$(jqr "$J" .httpd_version | sed 's/[().]/./g')" "$H"
check "HTML: kernel release in the header" grep -qF "$(uname -r)" "$H"
check_eq "HTML: the description's markup is escaped, not live" "$(grep -c '<script>\|<b>bold' "$H")" 0
check "HTML: the description is shown, escaped" \
	grep -qF '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;, &lt;b&gt;bold&lt;/b&gt;' "$H"

# --- in a browser -----------------------------------------------------------------
if have_chromium; then
	chrome --screenshot="$TMP/r.png" --window-size=1400,3000 "file://$H" >/dev/null 2>"$TMP/chrome.err"
	size=$(stat -c %s "$TMP/r.png" 2>/dev/null || echo 0)
	check_ge "Chromium: screenshot rendered (bytes)" "$size" 100000
	check_eq "Chromium: PNG" "$(head -c 8 "$TMP/r.png" 2>/dev/null | od -An -c | tr -d ' ')" '211PNG\r\n032\n'
	chrome --dump-dom "file://$H" >"$TMP/dom.html" 2>>"$TMP/chrome.err"
	check_eq "Chromium: no console error" "$(grep -cE 'Uncaught|:CONSOLE[:(]' "$TMP/chrome.err")" 0
	check_eq "Chromium: DOM has every plot" "$(grep -o '<svg class="chart"' "$TMP/dom.html" | wc -l)" "$NPLOTS"
	check_eq "Chromium: no script element in the DOM" "$(grep -c '<script' "$TMP/dom.html")" 0
	check "Chromium: DOM has the summary table" grep -q 'id="summary"' "$TMP/dom.html"
	[ -n "${MPMSCOPE_KEEP_SCREENSHOT:-}" ] && cp "$TMP/r.png" "$MPMSCOPE_KEEP_SCREENSHOT"

	# The seeds' scripts (French, Chinese, Korean) read in the language they
	# were written in: the report names fonts that have them, and Chromium
	# draws glyphs, not tofu. A claim of each script is added to a scenario;
	# its report's claims, in its own style, are drawn beside the same page
	# with every CJK character replaced by one no font has (tofu by
	# construction). With the fonts, the two differ; with fontconfig limited
	# to one Latin font, they are pixel for pixel the same (the check can
	# tell tofu).
	zh=$(sed -n 's/^claim *= *//p' "$ROOT/scenarios/idle-connections.scn" | head -1)
	ko=$(sed -n 's/^claim *= *//p' "$ROOT/scenarios/seed003.scn" | head -1)
	{ sed 's/^requests *=.*/requests = 200/' "$ROOT/scenarios/baseline.scn"; printf '\nclaim = %s\n\nclaim = %s\n' "$zh" "$ko"; } \
		>"$TMP/scripts.scn"
	"$MPMSCOPE" compare -s "$TMP/scripts.scn" -m event --html "$TMP/scripts.html" >/dev/null 2>"$TMP/scripts.err"
	check_eq "a report with French, Chinese and Korean claims" "$?" 0 || tail -3 "$TMP/scripts.err"
	check_eq "HTML: the Chinese and Korean claims carry their lang" \
		"$(grep -o '<q class="q" lang="[a-z]*">' "$TMP/scripts.html" | sed 's/.*lang="\(.*\)">/\1/' | tr '\n' ' ')" "zh ko "
	families=$(sed -n 's/^body{.*font:[^,]*,\([^}]*\)}$/\1/p' "$TMP/scripts.html" | tr ',' '\n' | tr -d "'")
	for l in zh-cn ko fr; do
		have=$(fc-list ":lang=$l" family | tr ',' '\n' | sort -u | grep -xF -f <(grep . <<<"$families") | head -1)
		check "HTML: the page's font-family names an installed font for $l ($have)" test -n "$have"
	done
	style=$(sed -n '/<style>/,/<\/style>/p' "$TMP/scripts.html")
	claims=$(grep -E '<div class="claim [^"]*">.*lang="(zh|ko)"' "$TMP/scripts.html")
	page() { printf '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">%s</head><body><main><div class="claims">\n%s\n</div></main></body></html>\n' "$style" "$1"; }
	page "$claims" >"$TMP/cjk.html"
	page "$(perl -CSD -pe 's/[\x{1100}-\x{11FF}\x{3000}-\x{303F}\x{3130}-\x{318F}\x{4E00}-\x{9FFF}\x{AC00}-\x{D7A3}\x{FF00}-\x{FFEF}]/\x{F0000}/g' <<<"$claims")" \
		>"$TMP/tofu.html"
	mkdir -p "$TMP/latin-font"
	cp "$(fc-list ':lang=en' file | grep -vi cjk | head -1 | cut -d: -f1)" "$TMP/latin-font/"
	printf '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>%s</dir><cachedir>%s</cachedir></fontconfig>\n' \
		"$TMP/latin-font" "$TMP/latin-font/cache" >"$TMP/latin.conf"
	for f in cjk tofu; do
		chrome --screenshot="$TMP/$f.png" --window-size=1000,260 "file://$TMP/$f.html" >/dev/null 2>>"$TMP/chrome.err"
		FONTCONFIG_FILE="$TMP/latin.conf" chrome --screenshot="$TMP/$f-latin.png" --window-size=1000,260 \
			"file://$TMP/$f.html" >/dev/null 2>>"$TMP/chrome.err"
	done
	check "Chromium: the Chinese and Korean claims are drawn in glyphs, not tofu" \
		bash -c "test -s '$TMP/cjk.png' && ! cmp -s '$TMP/cjk.png' '$TMP/tofu.png'"
	check "Chromium, control: with one Latin font only they are tofu, as the tofu page" \
		cmp -s "$TMP/cjk-latin.png" "$TMP/tofu-latin.png"
	[ -n "${MPMSCOPE_KEEP_SCREENSHOT:-}" ] && cp "$TMP/cjk.png" "${MPMSCOPE_KEEP_SCREENSHOT%.png}-cjk.png"
else
	fail "Chromium: not installed and could not be installed (apt-get install chromium)"
fi
check_clean "compare with reports"

# --- idle keep-alive connections: held task-seconds and closes -------------------------
# worker holds a thread per idle connection, event none (seed 004)
H2="$TMP/idle.html" J2="$TMP/idle.json"
"$MPMSCOPE" compare -s idle-connections -m worker,event --json "$J2" --html "$H2" >"$TMP/idle.table" 2>"$TMP/idle.err"
check_eq "idle-connections with --html exits 0" "$?" 0
if [ "$(jqr "$J2" '[.runs[] | select(.kernel.conn != null)] | length')" = 2 ]; then
	for id in plot-held plot-closes plot-ka-idle-hist plot-conn-times; do has_data idle "$id" "$H2"; done
	held=$(jqr "$J2" '.runs[] | select(.mpm == "worker") | .kernel.conn.held_task_seconds')
	check "idle: worker held more than 10 task-seconds (JSON: $held)" awk -v h="$held" 'BEGIN { exit !(h > 10) }'
	check "idle: the held chart shows worker's bar" grep -q '<rect class="bar"[^>]*><title>worker: [0-9.]*s</title>' \
		<(chart plot-held "$H2")
	for m in worker event; do
		sfin=$(jqr "$J2" ".runs[] | select(.mpm == \"$m\") | .kernel.conn.closes.server_fin")
		if [ "$sfin" -gt 0 ] && [ "$sfin" -lt 1000 ]; then
			check "idle: closes chart, $m server FIN = JSON ($sfin)" \
				grep -qF "<title>server FIN, $m: $sfin</title>" <(chart plot-closes "$H2")
		fi
	done
	check "idle: conns table" grep -q '<table id="conns">' "$H2"
else
	check "idle: a kernel without sock_recv_length says so" grep -q 'no data: this kernel lacks' "$H2"
fi
check_eq "idle: claims' badges = JSON expectations' verdicts" \
	"$(grep -o '<span class="badge [a-z-]*" data-verdict="[^"]*"' "$H2" | sed 's/.*data-verdict="//; s/"$//' | paste -sd,)" \
	"$(jqr "$J2" '.expectations[].verdict' | paste -sd,)"
has_data idle plot-failcause "$H2"
check_clean "idle-connections with --html"

# --- a run where every request fails: 20 HTTP 404s -------------------------------------
cat >"$TMP/notfound.scn" <<'EOF_SCN'
[scenario]
name        = notfound
description = every request asks for a file that does not exist

[load]
path        = /nonexistent.html
requests    = 20
concurrency = 2
EOF_SCN
H3="$TMP/nf.html" J3="$TMP/nf.json"
"$MPMSCOPE" compare -s "$TMP/notfound.scn" -m prefork --json "$J3" --html "$H3" >"$TMP/nf.table" 2>"$TMP/nf.err"
check_eq "404 run with --html exits 0" "$?" 0
check_eq "404: JSON says 20 failed" "$(jqr "$J3" '.runs[0].load.failed')" 20
check "404: failures table for prefork" grep -q '<table id="failures-prefork" class="failures">' "$H3"
check_eq "404: the table's failed rows add up to 20" \
	"$(grep -o '<tr data-cause="[a-z_]*" data-kind="failed"><td>[0-9]*</td>' "$H3" | sed 's/.*<td>//; s/<.*//' | awk '{ n += $1 } END { print n + 0 }')" 20
check "404: cause http_status" grep -q '<tr data-cause="http_status" data-kind="failed"><td>20</td>' "$H3"
check "404: the header counts them" grep -q 'prefork: 20 failed requests' "$H3"
has_data 404 plot-failcause "$H3"
has_data 404 plot-failclass "$H3"
check "404: root-cause chart: prefork, http_status: 20" grep -q 'prefork, http_status: 20<' <(chart plot-failcause "$H3")
check_clean "404 run with --html"

# --- '-': the document on stdout, alone; everything else on stderr -------------------------
"$MPMSCOPE" compare -s "$TMP/notfound.scn" -m event --json - >"$TMP/stdout.json" 2>"$TMP/stdout.err"
check_eq "compare --json -: exits 0" "$?" 0
check_eq "compare --json -: stdout is one JSON document" "$(jq -s 'length' "$TMP/stdout.json" 2>/dev/null)" 1
check "compare --json -: the table went to stderr" grep -q '^MPM  *time(s)' "$TMP/stdout.err"
"$MPMSCOPE" compare -s "$TMP/notfound.scn" -m event --csv - >"$TMP/stdout.csv" 2>"$TMP/stdout.err"
check_eq "compare --csv -: stdout is the header and one row" "$(wc -l <"$TMP/stdout.csv")" 2
check "compare --csv -: the header first" grep -q '^scenario,mpm,' <(head -1 "$TMP/stdout.csv")
check "compare --csv -: the table went to stderr" grep -q '^MPM  *time(s)' "$TMP/stdout.err"
# -s all over a directory of two small scenarios: the other JSON shape
mkdir -p "$TMP/two"
cp "$TMP/notfound.scn" "$TMP/two/notfound.scn"
sed -e 's/^name .*/name = small/' -e 's/^requests .*/requests = 100/' -e 's/^concurrency .*/concurrency = 10/' \
	"$ROOT/scenarios/baseline.scn" >"$TMP/two/small.scn"
MPMSCOPE_SCENARIOS="$TMP/two" "$MPMSCOPE" compare -s all -m event --json "$TMP/all.json" --csv "$TMP/all.csv" \
	>/dev/null 2>&1
check_eq "compare -s all: exits 0" "$?" 0
check_eq "compare -s all: two scenarios in the JSON" "$(jqr "$TMP/all.json" '[.scenarios[].scenario] | join(",")')" \
	"notfound,small"
check_eq "compare -s all: a row per scenario in the CSV" "$(wc -l <"$TMP/all.csv")" 3
check_clean "reports on stdout"

finish
