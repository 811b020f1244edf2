# shellcheck shell=bash
# Shared helpers for mpmscope's integration tests. Each test file sources this,
# calls check/check_eq..., and ends with `finish`, which prints
# "N passed, N failed" (tests/run.sh adds these up).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MPMSCOPE="$ROOT/build/mpmscope"
export MPMSCOPE_SCENARIOS="$ROOT/scenarios"
TMP=$(mktemp -d /tmp/mpmscope-test.XXXXXX)
# a plain Apache a test started (plain_apache) is stopped whatever happens
trap 'plain_stop; rm -rf "$TMP"' EXIT
_pass=0
_fail=0

pass() { _pass=$((_pass + 1)); echo "ok - $*"; }
fail() { _fail=$((_fail + 1)); echo "FAIL - $*"; }

# check DESC CMD...: passes when CMD succeeds. The checks return 1 when they
# fail, so that a failure can be followed by what explains it (|| ...).
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; return 1; fi
}

# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', want '$3'"; return 1; fi
}

# check_ge DESC GOT MIN / check_le DESC GOT MAX (integers)
check_ge() {
	if [ -n "$2" ] && [ "$2" -ge "$3" ] 2>/dev/null; then pass "$1 ($2 >= $3)"; else fail "$1: got '$2', want >= $3"; return 1; fi
}
check_le() {
	if [ -n "$2" ] && [ "$2" -le "$3" ] 2>/dev/null; then pass "$1 ($2 <= $3)"; else fail "$1: got '$2', want <= $3"; return 1; fi
}

# jqr FILE FILTER: one raw value
jqr() { jq -r "$2" "$1"; }

# The links of the loaded SYN watchers (ms_syn_watch): "none" when none is
# loaded (under the tests' lock, the one trace running is the only tracer).
syn_watch_links() {
	local ids
	ids=$(bpftool prog show -j | jq -c '[.[] | select(.name == "ms_syn_watch") | .id]')
	[ "$ids" = "[]" ] && { echo none; return; }
	bpftool link show -j | jq --argjson ids "$ids" '[.[] | select(.prog_id as $i | $ids | index($i))] | length'
}

# run_of MPM: the jq path of that MPM's run in a compare/run JSON
run_of() { echo ".runs[] | select(.mpm == \"$1\")"; }

# measure NAME CMD WANT_RC [options...] < SCENARIO: writes the scenario read
# from stdin to $TMP/NAME.scn, runs `mpmscope CMD -s` on it with --json into
# $J ($TMP/NAME.json) and the output into $TMP/out, and checks its exit status.
measure() {
	local name=$1 cmd=$2 want=$3
	shift 3
	cat >"$TMP/$name.scn"
	J="$TMP/$name.json"
	json_seen "$J"
	"$MPMSCOPE" "$cmd" -s "$TMP/$name.scn" --json "$J" "$@" >"$TMP/out" 2>&1
	check_eq "$name: $cmd exits $want" "$?" "$want"
}

# reaped PID DESC WANT_RC: waits for background PID and checks its exit status
reaped() {
	wait "$1"
	check_eq "$2" "$?" "$3"
}

# one_error_line FILE PATTERN: FILE holds exactly one line, matching PATTERN
one_error_line() {
	test "$(wc -l <"$1")" = 1 -a -n "$(grep -E "$2" "$1")"
}

# free_port: a loopback TCP port no socket uses, below the kernel's ephemeral
# range (ip_local_port_range): the thousands of client connections of the
# other tests take their ports there, and one of them, even in TIME_WAIT or
# connected to another port, makes a bind to the same port fail.
free_port() {
	local lo p
	lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${lo:-0}" -gt 12000 ] 2>/dev/null || lo=32768
	while :; do
		p=$((10000 + RANDOM % (lo - 10000)))
		ss -Htan "( sport = :$p or dport = :$p )" 2>/dev/null | grep -q . || break
	done
	echo "$p"
}

# plain_apache MPM < DIRECTIVES: an Apache started the way a host starts one
# (apache2 -f CONF -k start: it daemonizes), not by mpmscope, with a private
# config under $TMP/srv: port $PORT on 127.0.0.1, test.html, a cgi-bin (mod_cgi
# under prefork, mod_cgid otherwise: sleep?S, fail), an access log in the common format and
# an error log in $SRV/logs, and the directives read from stdin last. Sets
# HTTPD, SRV, PORT, HPID; plain_stop stops it (lib.sh's EXIT trap does too: a
# test with a trap of its own calls plain_stop in it).
plain_apache() {
	local mpm=$1 mods=/usr/lib/apache2/modules cgi=cgid i
	HTTPD=$(command -v apache2 || command -v httpd || echo /usr/sbin/apache2)
	SRV="$TMP/srv"
	mkdir -p "$SRV/htdocs" "$SRV/logs" "$SRV/cgi-bin"
	chmod 755 "$TMP" "$SRV" "$SRV/htdocs" "$SRV/cgi-bin"
	echo "<html><body>plain apache</body></html>" >"$SRV/htdocs/test.html"
	chmod 644 "$SRV/htdocs/test.html"
	# /cgi-bin/sleep?S answers after S seconds; /cgi-bin/fail ends without
	# a header (Apache answers 500)
	printf '#!/bin/sh\nsleep "${QUERY_STRING:-1}"\nprintf "Content-Type: text/plain\\r\\n\\r\\nslept\\n"\n' \
		>"$SRV/cgi-bin/sleep"
	printf '#!/bin/sh\nexit 1\n' >"$SRV/cgi-bin/fail"
	chmod 755 "$SRV/cgi-bin/sleep" "$SRV/cgi-bin/fail"
	[ "$mpm" = prefork ] && cgi=cgi
	PORT=$(free_port)
	{
		cat <<CONF
ServerRoot "$SRV"
Listen 127.0.0.1:$PORT
PidFile "$SRV/logs/httpd.pid"
DefaultRuntimeDir "$SRV/logs"
ErrorLog "$SRV/logs/error.log"
LoadModule mpm_${mpm}_module $mods/mod_mpm_$mpm.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule alias_module $mods/mod_alias.so
LoadModule ${cgi}_module $mods/mod_$cgi.so
CustomLog "$SRV/logs/access.log" common
LogFormat "%h %l %u %t \"%r\" %>s %b" common
ScriptAlias /cgi-bin/ "$SRV/cgi-bin/"
User www-data
Group www-data
ServerName 127.0.0.1
DocumentRoot "$SRV/htdocs"
<Directory "$SRV/htdocs">
    Require all granted
</Directory>
<Directory "$SRV/cgi-bin">
    Require all granted
</Directory>
CONF
		[ "$cgi" = cgid ] && echo "ScriptSock \"$SRV/logs/cgisock\""
		cat
	} >"$SRV/httpd.conf"
	chown www-data "$SRV/logs"
	"$HTTPD" -f "$SRV/httpd.conf" -k start >"$TMP/start.out" 2>&1 || {
		echo "# apache2 -k start: $(head -c 400 "$TMP/start.out") $(tail -3 "$SRV/logs/error.log" 2>/dev/null)"
		return 1
	}
	for i in $(seq 50); do [ -s "$SRV/logs/httpd.pid" ] && break; sleep 0.1; done
	HPID=$(cat "$SRV/logs/httpd.pid" 2>/dev/null)
	[ -n "$HPID" ]
}
# plain_start_again: the plain Apache started again with the same config
# after it stopped or was killed (a new parent, the same port); HPID is it
plain_start_again() {
	local i
	"$HTTPD" -f "$SRV/httpd.conf" -k start >"$TMP/start.out" 2>&1
	for i in $(seq 50); do
		HPID=$(cat "$SRV/logs/httpd.pid" 2>/dev/null)
		[ -n "$HPID" ] && kill -0 "$HPID" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

plain_stop() {
	local i
	[ -n "${HPID:-}" ] && [ -n "${SRV:-}" ] || return 0
	"$HTTPD" -f "$SRV/httpd.conf" -k stop >/dev/null 2>&1
	for i in $(seq 50); do kill -0 "$HPID" 2>/dev/null || break; sleep 0.1; done
	HPID=
}

# prom_start TARGET: a Prometheus of our own (Debian's package, not its
# service) on a free loopback port, scraping TARGET (ADDR:PORT) every second,
# its data under $TMP/prom. Sets PROM_PID and API; promq EXPR queries it.
# The caller stops PROM_PID.
prom_start() {
	local attempt i
	mkdir -p "$TMP/prom"
	printf 'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: mpmscope\n    static_configs:\n      - targets: [%s]\n' \
		"'$1'" >"$TMP/prom/prometheus.yml"
	for attempt in 1 2 3; do
		PROM_PORT=$(free_port)
		prometheus --config.file="$TMP/prom/prometheus.yml" --storage.tsdb.path="$TMP/prom/data" \
			--web.listen-address="127.0.0.1:$PROM_PORT" >"$TMP/prom/log" 2>&1 &
		PROM_PID=$!
		for i in $(seq 100); do
			curl -sf -o /dev/null "http://127.0.0.1:$PROM_PORT/-/ready" && break
			kill -0 "$PROM_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$PROM_PID" 2>/dev/null && break
		wait "$PROM_PID" 2>/dev/null
		PROM_PID=
	done
	API="http://127.0.0.1:$PROM_PORT/api/v1"
	curl -sf -o /dev/null "http://127.0.0.1:$PROM_PORT/-/ready"
}
promq() { curl -sf -G --data-urlencode "query=$1" "$API/query"; }

# Programs of ours still loaded (names start with ms_), Apache processes
# started from an mpmscope runtime dir, and runtime dirs left behind. Dirs
# that existed before this test file started (another mpmscope running on a
# shared machine) are not ours to judge; in CI there are none.
_preexisting=" $(find /tmp -maxdepth 1 -name 'mpmscope.??????' -type d | tr '\n' ' ') "
_new_dirs() {
	local d
	for d in $(find /tmp -maxdepth 1 -name 'mpmscope.??????' -type d); do
		[[ "$_preexisting" == *" $d "* ]] || echo "$d"
	done
}
leftover_progs() { bpftool prog show 2>/dev/null | grep -cE ' name ms_' || true; }
leftover_httpd() {
	local d n=0
	for d in $(_new_dirs); do n=$((n + $(pgrep -f "$d/" | wc -l))); done
	echo $n
}
leftover_dirs() { _new_dirs | wc -l; }
# the backends mpmscope starts: php-fpm (its master names our conf, its pool
# is "mpmscope") and the slow upstream
leftover_backends() { pgrep -c -f '^php-fpm: (master process \(/tmp/mpmscope\.|pool mpmscope)|mpmscope upstream --port' || true; }

# check_clean DESC: nothing of mpmscope's is left behind
check_clean() {
	local p h d b i
	# the kernel frees a closed program asynchronously: give it a moment
	for i in $(seq 30); do
		p=$(leftover_progs)
		h=$(leftover_httpd)
		d=$(leftover_dirs)
		b=$(leftover_backends)
		[ "$p$h$d$b" = 0000 ] && break
		sleep 0.1
	done
	if [ "$p" = 0 ] && [ "$h" = 0 ] && [ "$d" = 0 ] && [ "$b" = 0 ]; then
		pass "$1: nothing left behind"
	else
		fail "$1: left behind: $p BPF programs, $h httpd processes, $d runtime dirs, $b backend processes"
	fi
}

# expect_error DESC PATTERN CMD...: non-zero exit, exactly one stderr line matching PATTERN
expect_error() {
	local desc=$1 pat=$2 rc lines
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	lines=$(wc -l <"$TMP/err")
	if [ "$rc" -ne 0 ] && [ "$lines" -eq 1 ] && grep -qE -e "$pat" "$TMP/err"; then
		pass "$desc: exit $rc, '$(cat "$TMP/err")'"
	else
		fail "$desc: exit $rc, $lines stderr lines: $(head -c 600 "$TMP/err")"
	fi
}

# json_seen FILE: keep a copy of a JSON document about to be overwritten
# (a loop writing the same path), for finish's schema check
_seen=0
json_seen() {
	[ -f "$1" ] || return 0
	mkdir -p "$TMP/json-seen"
	_seen=$((_seen + 1))
	cp "$1" "$TMP/json-seen/$_seen-$(basename "$1")"
}

# schema_check DIR...: every JSON the test wrote there validates against
# doc/schema/ (tests/schema/validate: ajv); one check per kind of document
schema_check() {
	local verdict what
	while IFS=$'\t' read -r verdict what; do
		if [ "$verdict" = PASS ]; then pass "schema: $what"; else fail "schema: $what"; fi
	done < <("$ROOT/tests/schema/validate" "$@")
}

finish() {
	schema_check "$TMP"
	echo "$(basename "$0"): $_pass passed, $_fail failed"
	[ "$_fail" -eq 0 ]
}

# have_chromium: Debian's chromium installed if missing (the tests' own
# browser), and chrome ARGS... running it headless with a profile of its
# own under $TMP; returns 1 if it cannot be had
have_chromium() {
	if ! command -v chromium >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				chromium >/dev/null 2>&1; }
	fi
	command -v chromium >/dev/null 2>&1 || return 1
	CHROME_PROFILE=$(mktemp -d "$TMP/chromium.XXXXXX")
}
chrome() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --hide-scrollbars \
		--user-data-dir="$CHROME_PROFILE" --enable-logging=stderr --v=0 "$@" </dev/null
}
