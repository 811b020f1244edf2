#!/bin/bash
# SPDX-License-Identifier: MIT
# `mpmscope serve`: the Prometheus exporter of a running Apache. A private
# Apache (mpmscope server) is loaded while serve follows it; /metrics parses
# with promtool, holds the load's figures, and its counters only grow between
# two scrapes; a real Prometheus (Debian's package, our own process on
# loopback, nothing of the distro's service) scrapes it and answers a PromQL
# query, and every expression of the Grafana dashboard evaluates. HTTP errors,
# bad input, a non-loopback address (a warning), SIGTERM and the server's exit
# are checked; nothing is left behind.
. "$(dirname "$0")/lib.sh"

SRV_PID=
SERVE_PID=
PROM_PID=
stop_pid() { # stop_pid PID: SIGTERM, wait
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	stop_pid "$PROM_PID"
	stop_pid "$SERVE_PID"
	stop_pid "$SRV_PID"
	rm -rf "$TMP"
}
trap cleanup EXIT

# ---- Prometheus and curl: Debian's packages, installed when missing ---------------
missing=
for p in prometheus curl; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "# installing$missing"
	# shellcheck disable=SC2086 # one word per package
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$missing >/dev/null 2>&1
	# The package enables a service of its own; this test runs its own
	# Prometheus, so stop the distro's if the install started it.
	if pgrep -u prometheus -x prometheus >/dev/null 2>&1; then
		invoke-rc.d prometheus stop >/dev/null 2>&1 || service prometheus stop >/dev/null 2>&1 || true
	fi
fi
check "prometheus, promtool and curl are installed" sh -c "command -v prometheus && command -v promtool && command -v curl" >/dev/null
command -v prometheus >/dev/null && command -v curl >/dev/null || {
	finish
	exit 1
}

# metric FILE SERIES: the value of one sample line ("" if absent)
metric() { awk -v s="$2" '$1 == s { print $2; exit }' "$1"; }
# int VALUE: the integer part
int() { printf '%s' "${1%%.*}"; }

# wait_line FILE PID: until FILE has a line or PID is gone (30 s: a busy machine)
wait_line() {
	local i
	for i in $(seq 600); do
		[ -s "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# ---- a private Apache (event) and the exporter on it ---------------------------------
"$MPMSCOPE" server -m event -s baseline -d 90 >"$TMP/srv.out" 2>"$TMP/srv.err" &
SRV_PID=$!
wait_line "$TMP/srv.out" "$SRV_PID"
URL=$(awk 'NR == 1 { print $1 }' "$TMP/srv.out")
HTTPD_PID=$(awk 'NR == 1 { print $3 }' "$TMP/srv.out")
check "the private Apache runs" test -n "$HTTPD_PID" -a -d "/proc/${HTTPD_PID:-none}"
if [ -z "$HTTPD_PID" ]; then
	echo "# server: $(head -c 300 "$TMP/srv.err")"
	finish
	exit 1
fi

start=$(date +%s%N)
"$MPMSCOPE" serve --listen 127.0.0.1:0 -p "$HTTPD_PID" >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE_PID=$!
wait_line "$TMP/serve.out" "$SERVE_PID"
echo "# $(cat "$TMP/serve.out") ($((($(date +%s%N) - start) / 1000000)) ms)"
check "serve: one line 'serving apache2 PID (event MPM...) ... on http://127.0.0.1:PORT/metrics'" \
	grep -qE "^serving [a-z0-9]+ $HTTPD_PID \(event MPM: .* on http://127\.0\.0\.1:[0-9]+/metrics; Ctrl-C to stop$" \
	"$TMP/serve.out"
check_eq "serve: nothing on stderr (loopback: no warning)" "$(wc -c <"$TMP/serve.err")" 0
METRICS=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/metrics' "$TMP/serve.out")
if [ -z "$METRICS" ]; then
	echo "# serve: $(head -c 300 "$TMP/serve.err")"
	finish
	exit 1
fi
EXP_PORT=$(sed -E 's|.*:([0-9]+)/metrics|\1|' <<<"$METRICS")
BASE=${METRICS%/metrics}

# ---- load, then the first scrape ------------------------------------------------------
"$MPMSCOPE" load -q -n 2000 -c 10 -k --json "$TMP/ka.json" "$URL" >/dev/null 2>&1
check_eq "load: 2000 keep-alive requests completed" "$(jqr "$TMP/ka.json" .completed)" 2000
"$MPMSCOPE" load -q -n 500 -c 5 --json "$TMP/close.json" "$URL" >/dev/null 2>&1
check_eq "load: 500 requests on new connections completed" "$(jqr "$TMP/close.json" .completed)" 500
curl -sf -o "$TMP/m1.txt" "$METRICS"
check "GET /metrics: 200" test -s "$TMP/m1.txt"
promtool check metrics <"$TMP/m1.txt" >"$TMP/promtool.out" 2>&1
check_eq "promtool check metrics: no problem ($(head -c 300 "$TMP/promtool.out"))" "$?" 0
check "Content-Type is the text format 0.0.4" \
	sh -c "curl -sfI '$METRICS' | grep -qi '^Content-Type: text/plain; version=0.0.4'"
check_eq "mpmscope_info names the MPM and pid" \
	"$(grep -cE "^mpmscope_info\{mpm=\"event\",httpd_pid=\"$HTTPD_PID\",comm=\"[^\"]+\",attach_mode=\"(tp_btf|raw_tp)\",syscall_mode=\"(fexit|kprobe|syscall tracepoints|sys_enter/sys_exit)\",version=\"[^\"]+\"\} 1$" "$TMP/m1.txt")" 1
check_ge "accepts_total: the 500 new connections at least" "$(metric "$TMP/m1.txt" mpmscope_accepts_total)" 510
check_ge "keepalive_idle_seconds_count: the keep-alive gaps" \
	"$(metric "$TMP/m1.txt" mpmscope_keepalive_idle_seconds_count)" 1900
check_ge "listen_queue_seconds_count" "$(metric "$TMP/m1.txt" mpmscope_listen_queue_seconds_count)" 510
check "cpu_seconds_total{role=\"worker\"} > 0" \
	awk '$1 == "mpmscope_cpu_seconds_total{role=\"worker\"}" && $2 > 0 { ok = 1 } END { exit !ok }' "$TMP/m1.txt"
check_ge "wakeups_total{waker=\"listener\",wakee=\"worker\"}: event hands connections over" \
	"$(metric "$TMP/m1.txt" 'mpmscope_wakeups_total{waker="listener",wakee="worker"}')" 500
check_ge "runqueue_latency_seconds{role=\"worker\"}: +Inf bucket" \
	"$(metric "$TMP/m1.txt" 'mpmscope_runqueue_latency_seconds_bucket{role="worker",le="+Inf"}')" 1
check_eq "the +Inf bucket equals _count" \
	"$(metric "$TMP/m1.txt" 'mpmscope_runqueue_latency_seconds_bucket{role="worker",le="+Inf"}')" \
	"$(metric "$TMP/m1.txt" 'mpmscope_runqueue_latency_seconds_count{role="worker"}')"
check "buckets are cumulative (never decrease along le)" awk '
	/_bucket\{/ { s = $1; sub(/,?le="[^"]*"\}/, "}", s); if (s == prev && $2 < last) bad = 1; prev = s; last = $2 }
	END { exit bad }' "$TMP/m1.txt"
check_ge "server_processes: the parent and its children" "$(metric "$TMP/m1.txt" mpmscope_server_processes)" 2
check_ge "server_threads" "$(metric "$TMP/m1.txt" mpmscope_server_threads)" 10
check_eq "events_lost_total" "$(metric "$TMP/m1.txt" mpmscope_events_lost_total)" 0
check_ge "every family has HELP and TYPE" "$(grep -c '^# TYPE mpmscope_' "$TMP/m1.txt")" 25

# ---- counters only grow -------------------------------------------------------------------
"$MPMSCOPE" load -q -n 300 -c 3 "$URL" >/dev/null 2>&1
curl -sf -o "$TMP/m2.txt" "$METRICS"
shrunk=$(awk 'NR == FNR { if ($1 !~ /^#/) a[$1] = $2; next }
	$1 ~ /(_total|_bucket|_sum|_count)(\{|$)/ && ($1 in a) && $2 < a[$1] { print $1 " " a[$1] " -> " $2 }' \
	"$TMP/m1.txt" "$TMP/m2.txt")
check_eq "second scrape: no counter, bucket, sum or count went down" "$shrunk" ""
gone=$(awk 'NR == FNR { if ($1 !~ /^#/ && $1 !~ /^mpmscope_server_/) a[$1] = 1; next } { b[$1] = 1 }
	END { for (s in a) if (!(s in b)) print s }' "$TMP/m1.txt" "$TMP/m2.txt")
check_eq "second scrape: no series disappeared" "$gone" ""
check_ge "second scrape: accepts grew by the 300 connections" \
	"$(($(metric "$TMP/m2.txt" mpmscope_accepts_total) - $(metric "$TMP/m1.txt" mpmscope_accepts_total)))" 300
check_eq "scrapes_total counts the scrapes" \
	"$(($(metric "$TMP/m2.txt" mpmscope_scrapes_total) - $(metric "$TMP/m1.txt" mpmscope_scrapes_total)))" 2
promtool check metrics <"$TMP/m2.txt" >/dev/null 2>&1
check_eq "second scrape: promtool check metrics" "$?" 0
# Connection summaries travel in ring-buffer records that the kernel may hold
# until 64 KiB of them wait (a wake-up per record would cost more than the
# record): the 300 connections since (600 records, more than 64 KiB) have
# pushed every summary of the first loads through.
check_ge "connection_requests_total: every request of the first loads" \
	"$(metric "$TMP/m2.txt" mpmscope_connection_requests_total)" 2500
closed=$(awk '/^mpmscope_connections_closed_total\{/ { n += $2 } END { print n + 0 }' "$TMP/m2.txt")
check_ge "connections_closed_total: every connection the first loads opened" "$closed" \
	"$(metric "$TMP/m1.txt" mpmscope_accepts_total)"

# ---- the rest of the HTTP side -------------------------------------------------------------
check_eq "GET /: 200" "$(curl -s -o "$TMP/index.html" -w '%{http_code}' "$BASE/")" 200
check "GET /: links /metrics" grep -q 'href="/metrics"' "$TMP/index.html"
check_eq "GET /nope: 404" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/nope")" 404
check_eq "POST /metrics: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "$METRICS")" 405
check_eq "GET /metrics?x=1: 200" "$(curl -s -o /dev/null -w '%{http_code}' "$METRICS?x=1")" 200
check_eq "a garbage request line: 400" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X 'G E T' "$METRICS")" 400
big=$(head -c 9000 /dev/zero | tr '\0' a)
check_eq "a 9 KB header: 431" "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$METRICS")" 431
# a client that connects and says nothing does not stop the others
exec 4<>"/dev/tcp/127.0.0.1/$EXP_PORT"
check_eq "a silent client does not block a scrape" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$METRICS")" 200
exec 4>&-

# ---- a real Prometheus scrapes it --------------------------------------------------------------
prom_start "127.0.0.1:$EXP_PORT"
check "prometheus is ready on 127.0.0.1:${PROM_PORT}" curl -sf -o /dev/null "http://127.0.0.1:$PROM_PORT/-/ready"
q() { promq "$@"; }
start=$(date +%s%N)
for i in $(seq 150); do
	q mpmscope_accepts_total >"$TMP/q.prom" 2>/dev/null &&
		[ "$(jq '.data.result | length' "$TMP/q.prom" 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "PromQL mpmscope_accepts_total: one series (after ${ms} ms)" "$(jq -r '.data.result | length' "$TMP/q.prom")" 1
check_ge "PromQL mpmscope_accepts_total: the value /metrics showed" \
	"$(jq -r '.data.result[0].value[1]' "$TMP/q.prom")" "$(metric "$TMP/m2.txt" mpmscope_accepts_total)"
check_eq "PromQL: the series carries job and instance" \
	"$(jq -r '.data.result[0].metric | "\(.job) \(.instance)"' "$TMP/q.prom")" "mpmscope 127.0.0.1:$EXP_PORT"
q 'up{job="mpmscope"}' >"$TMP/up.prom"
check_eq "PromQL up{job=\"mpmscope\"}: 1" "$(jq -r '.data.result[0].value[1]' "$TMP/up.prom")" 1
# the dashboard: valid JSON, and each of its expressions evaluates in this Prometheus
DASH="$ROOT/doc/grafana-dashboard.json"
check "doc/grafana-dashboard.json is valid JSON" sh -c "jq -e '.panels | length > 0' '$DASH' >/dev/null"
bad=0
nexpr=0
while IFS= read -r expr; do
	nexpr=$((nexpr + 1))
	e=${expr//\$__rate_interval/1m}
	e=${e//\$instance/.*}
	if ! q "$e" >"$TMP/dq.prom" || [ "$(jq -r .status "$TMP/dq.prom")" != success ]; then
		bad=$((bad + 1))
		echo "# dashboard expression failed: $expr"
	fi
done < <(jq -r '.. | objects | select(has("expr")) | .expr' "$DASH")
check_ge "dashboard: expressions found" "$nexpr" 8
check_eq "dashboard: every expression evaluates" "$bad" 0
# importable both ways: through the UI (__inputs asks for DS_PROMETHEUS) and
# provisioned from the file (nothing refers to ${DS_PROMETHEUS} but the
# datasource variable's starting value, which Grafana replaces by the default
# Prometheus when it names none)
check_eq "dashboard: __inputs asks for one Prometheus data source" \
	"$(jq -r '[.__inputs[] | select(.type == "datasource" and .pluginId == "prometheus") | .name] | join(",")' "$DASH")" DS_PROMETHEUS
check_eq "dashboard: a datasource template variable (type datasource, query prometheus)" \
	"$(jq -r '[.templating.list[] | select(.type == "datasource" and .query == "prometheus") | .name] | join(",")' "$DASH")" datasource
check_eq "dashboard: every panel, query and variable uses \${datasource}" \
	"$(jq -r '[.. | objects | select(has("datasource")) | .datasource | objects | .uid] | unique | join(",")' "$DASH")" '${datasource}'
check_eq "dashboard: \${DS_PROMETHEUS} only as the variable's starting value" \
	"$(jq '[paths(type == "string" and contains("${DS_PROMETHEUS}"))] | length' "$DASH")" 1
# instance kept in every aggregation; units that say what the numbers are
aggs=$(jq -r '.. | objects | select(has("expr")) | .expr' "$DASH" |
	grep -oE '\b(sum|avg|min|max|count|topk|bottomk|quantile|stddev|group)\b *(by *\([^)]*\))? *\(' || true)
check_ge "dashboard: aggregations found" "$(grep -c . <<<"$aggs")" 10
check "dashboard: every aggregation keeps instance (sum by (instance, ...))" \
	test -z "$(grep -v 'by *([^)]*\binstance\b' <<<"$aggs")" || grep -v 'by *([^)]*\binstance\b' <<<"$aggs" | sed 's/^/  /'
check "dashboard: every legend names the instance" \
	test -z "$(jq -r '.. | objects | select(has("legendFormat")) | .legendFormat | select(contains("{{instance}}") | not)' "$DASH")"
badunits=$(jq -r '.panels[] | select(.targets and ([.targets[].expr] | any(test("_seconds")))) |
	select((.fieldConfig.defaults.unit // "none") | (IN("s", "ms", "µs", "percentunit", "percent") or startswith("suffix:")) | not) |
	.title' "$DASH")
# (task-seconds per second are tasks: "suffix: tasks" names them)
check "dashboard: a panel of a _seconds series is in seconds, percent or a named unit, not a bare number" test -z "$badunits" ||
	echo "  $badunits"
check_eq "dashboard: CPU by role in percent of a CPU" \
	"$(jq -r '.panels[] | select(.title == "CPU by role") | .fieldConfig.defaults.unit' "$DASH")" percentunit
# a few seconds of samples: rates and quantiles the dashboard plots have data
"$MPMSCOPE" load -q -t 3 -c 4 -k "$URL" >/dev/null 2>&1
sleep 1
q 'histogram_quantile(0.99, sum by (le, role) (rate(mpmscope_runqueue_latency_seconds_bucket[30s])))' >"$TMP/p99.prom"
check_ge "PromQL run-queue p99 by role: series" "$(jq -r '.data.result | length' "$TMP/p99.prom")" 1
q 'sum(rate(mpmscope_wakeups_total[30s]))' >"$TMP/rate.prom"
check "PromQL wake-up rate > 0" sh -c "jq -e '(.data.result[0].value[1] | tonumber) > 0' '$TMP/rate.prom' >/dev/null"
stop_pid "$PROM_PID"
PROM_PID=

# ---- bad input (before anything is loaded) ------------------------------------------------------
expect_error "no -p/-C" '^mpmscope: .*exactly one of -p PID, -C COMM, --pidfile FILE and --port N' "$MPMSCOPE" serve
expect_error "both -p and -C" '^mpmscope: .*exactly one of -p PID, -C COMM' "$MPMSCOPE" serve -p "$HTTPD_PID" -C apache2
expect_error "-p of a process that is not Apache" '^mpmscope: .*not an Apache' "$MPMSCOPE" serve -p $$
expect_error "-p of no process" '^mpmscope: .*no process' "$MPMSCOPE" serve -p 4194000
expect_error "--listen without a port" '^mpmscope: .*--listen' "$MPMSCOPE" serve --listen 127.0.0.1 -p "$HTTPD_PID"
expect_error "--listen port out of range" '^mpmscope: .*port' "$MPMSCOPE" serve --listen 127.0.0.1:70000 -p "$HTTPD_PID"
expect_error "--listen on a port in use" '^mpmscope: .*Address already in use' \
	"$MPMSCOPE" serve --listen "127.0.0.1:$EXP_PORT" -p "$HTTPD_PID"
expect_error "unknown option" '^mpmscope: .*unknown option' "$MPMSCOPE" serve --nope
check "--help on stdout" sh -c "'$MPMSCOPE' serve --help | grep -q '^usage: mpmscope serve'"

# ---- a non-loopback address: served, with a warning; SIGTERM ends it with 0 ----------------------
"$MPMSCOPE" serve --listen 0.0.0.0:0 -p "$HTTPD_PID" >"$TMP/any.out" 2>"$TMP/any.err" &
any=$!
wait_line "$TMP/any.out" "$any"
check "0.0.0.0: one warning line on stderr" \
	test "$(wc -l <"$TMP/any.err")" = 1 -a -n "$(grep '^mpmscope: warning: .*not a loopback address' "$TMP/any.err")"
any_port=$(grep -oE ':[0-9]+/metrics' "$TMP/any.out" | tr -dc 0-9)
check_eq "0.0.0.0: answers" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$any_port/metrics")" 200
kill -TERM "$any"
wait "$any"
check_eq "SIGTERM: exit 0" "$?" 0

# ---- the server exits: serve keeps answering, mpmscope_up 0, one line -----------------------------
stop_pid "$SRV_PID"
SRV_PID=
for i in $(seq 100); do
	grep -q 'exited; looking for it' "$TMP/serve.err" && break
	sleep 0.1
done
check "server gone: one stderr line 'mpmscope: serve: the server ... exited; looking for it every second'" \
	one_error_line "$TMP/serve.err" '^mpmscope: serve: the server .* exited; looking for it every second$'
curl -sf -o "$TMP/m-gone.txt" "$METRICS"
check_eq "server gone: /metrics still answers, mpmscope_up 0" "$(metric "$TMP/m-gone.txt" mpmscope_up)" 0
check_ge "server gone: the counters stay (accepts_total)" "$(metric "$TMP/m-gone.txt" mpmscope_accepts_total)" 510
kill -TERM "$SERVE_PID"
reaped "$SERVE_PID" "server gone: SIGTERM still ends serve with 0" 0
SERVE_PID=
check_clean "serve"

finish
