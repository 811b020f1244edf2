#!/bin/bash
# Bad input, for every subcommand: one clear line on stderr ("mpmscope: ..."),
# a non-zero exit, and nothing left behind (no Apache, no BPF program, no
# runtime directory).
. "$(dirname "$0")/lib.sh"

M=$MPMSCOPE
SUBCMDS="compare run trace serve explain load server scenarios doctor version"

# --- unknown flags, unexpected arguments, unknown commands -------------------
for c in $SUBCMDS; do
	expect_error "$c: unknown flag" "^mpmscope: .*(unknown option|takes no argument).*frobnicate|^mpmscope: .*(unknown option|takes no argument)" \
		"$M" "$c" --frobnicate
	expect_error "$c: unknown short flag" "^mpmscope: " "$M" "$c" -Z
done
# (trace takes [interval [count]]: a stray word is a bad interval)
for c in compare run serve explain server scenarios doctor version; do
	expect_error "$c: unexpected argument" "^mpmscope: .*(unexpected argument|takes no argument)" "$M" "$c" stray-arg
done
expect_error "load: an argument that is not a URL" "not an http:// URL" "$M" load stray-arg
expect_error "unknown command" "unknown command 'frobnicate'" "$M" frobnicate
"$M" >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
check "no command: exit 2 with the usage on stderr" test "$rc" = 2 -a "$(head -1 "$TMP/err")" = "usage: mpmscope <command> [options]"
expect_error "an option instead of a command" "unknown command '--frobnicate'" "$M" --frobnicate

# --- bad option values ---------------------------------------------------------
expect_error "run: -n without a value" "option -n needs a value" "$M" run -m event -n
expect_error "run: -n negative" "-n: '-5' is not a non-negative integer" "$M" run -m event -n -5
expect_error "run: -n 0" "-n: must be at least 1" "$M" run -m event -n 0
expect_error "run: -c 0" "-c: must be between 1" "$M" run -m event -c 0
expect_error "run: -t nonsense" "-t" "$M" run -m event -t soon
expect_error "run: --port 70000" "not a port" "$M" run -m event --port 70000
expect_error "run: two MPMs" "exactly one MPM" "$M" run -m event,worker
expect_error "compare: empty MPM list" "no MPM given" "$M" compare -m ,
expect_error "compare: unknown MPM" "unknown MPM 'foo'" "$M" compare -m prefork,foo
expect_error "explain: unknown MPM" "unknown MPM 'foo'" "$M" explain -m foo
expect_error "server: without -m" "-m" "$M" server
expect_error "server: --port 0" "not a port" "$M" server -m event --port 0
expect_error "load: -n abc" "-n: 'abc' is not" "$M" load -n abc http://127.0.0.1:1/
expect_error "load: -c 0" "-c must be at least 1" "$M" load -n 1 -c 0 http://127.0.0.1:1/
expect_error "load: no -n or -t" "-n.*-t" "$M" load http://127.0.0.1:1/
expect_error "load: a host name" "not a numeric IP" "$M" load -n 1 http://example.com/
expect_error "load: https" "^mpmscope: load: " "$M" load -n 1 https://127.0.0.1/
expect_error "load: nothing listens" "cannot connect|refused" "$M" load -n 1 http://127.0.0.1:1/
expect_error "trace: a stray argument is not an interval" "^mpmscope: interval: " "$M" trace -C apache2 stray-arg
expect_error "trace: no -p nor -C" "^mpmscope: " "$M" trace
expect_error "trace: -p not a number" "^mpmscope: " "$M" trace -p abc

# --- scenarios -------------------------------------------------------------------
scn() { printf '%b' "$2" >"$TMP/$1.scn"; echo "$TMP/$1.scn"; }
expect_error "unknown scenario" "unknown scenario 'nosuch'" "$M" run -m event -s nosuch
expect_error "scenario file missing" "cannot open .*/missing.scn" "$M" run -m event -s "$TMP/missing.scn"
expect_error "scenario: syntax error" "bad.scn:2: malformed section header" \
	"$M" run -m event -s "$(scn bad '[scenario]\n[load\n')"
expect_error "scenario: not key = value" "junk.scn:2: expected 'key = value'" \
	"$M" run -m event -s "$(scn junk '[load]\njust words\n')"
expect_error "scenario: unknown key" "unknown.scn:3: unknown key 'frobs' in \[load\]" \
	"$M" run -m event -s "$(scn unknown '[load]\nrequests = 10\nfrobs = 1\n')"
expect_error "scenario: unknown section" "unknown section \[nosuch\]" \
	"$M" run -m event -s "$(scn section '[nosuch]\n')"
expect_error "scenario: wrong type" "type.scn:2: requests: 'many' is not" \
	"$M" run -m event -s "$(scn type '[load]\nrequests = many\n')"
expect_error "scenario: keepalive not a boolean" "keepalive: 'sometimes' is not on/off" \
	"$M" run -m event -s "$(scn bool '[load]\nkeepalive = sometimes\n')"
expect_error "scenario: negative count" "neg.scn:2: requests: '-5' is not" \
	"$M" run -m event -s "$(scn neg '[load]\nrequests = -5\nconcurrency = 1\n')"
expect_error "scenario: concurrency > requests" "conc.scn:3: concurrency \(20\) is larger than requests \(10\)" \
	"$M" run -m event -s "$(scn conc '[load]\nrequests = 10\nconcurrency = 20\n')"
expect_error "scenario: directive outside the allow-list" "'Include' is not an allowed directive" \
	"$M" run -m event -s "$(scn include '[server]\nInclude = /etc/passwd\n')"
expect_error "scenario: directive value with a newline escape or slash" "may only contain" \
	"$M" run -m event -s "$(scn inject '[server]\nKeepAlive = On/x\n')"
expect_error "scenario: directive of another MPM" "not a directive of the prefork MPM" \
	"$M" run -m event -s "$(scn wrongmpm '[prefork]\nThreadsPerChild = 5\n')"
# A control character in a value reaches the error line as '?', never raw
# (found by tests/fuzz/fuzz_scenario).
expect_error "scenario: control characters shown as ?" "requests: '10\?\[31m' is not" \
	"$M" run -m event -s "$(scn ctl '[load]\nrequests = 10\033[31m\n')"
check "scenario: no escape character on the terminal" bash -c "! grep -q $'\033' '$TMP/err'"
expect_error "scenario: NUL byte" "NUL byte" "$M" run -m event -s "$(scn nul '[load]\nrequests\0 = 1\n')"
expect_error "scenario: [cgi] without a name" "nocginame.scn:1: \[cgi\] needs a name" \
	"$M" run -m event -s "$(scn nocginame '[cgi]\ncontent = #!/bin/sh\n')"
expect_error "scenario: [cgi] not a script" "notscript.scn:2: \[cgi x\]: content must start with '#!/'" \
	"$M" run -m event -s "$(scn notscript '[cgi x]\ncontent = echo hi\n')"
expect_error "scenario: [cgi] takes no size" "cgisize.scn:2: unknown key 'size' in \[cgi x\]" \
	"$M" run -m event -s "$(scn cgisize '[cgi x]\nsize = 4k\n')"
expect_error "scenario: [cgi] without content" "cgiempty.scn:1: \[cgi x\] needs content" \
	"$M" run -m event -s "$(scn cgiempty '[cgi x]\n')"
expect_error "scenario: duplicate [cgi]" "cgidup.scn:3: duplicate section \[cgi x\]" \
	"$M" run -m event -s "$(scn cgidup '[cgi x]\ncontent = #!/bin/sh\n[cgi x]\n')"
expect_error "scenario: [php] unknown mode" "phpmode.scn:2: worker: 'cgi' is not mod_php or fpm" \
	"$M" run -m event -s "$(scn phpmode '[php]\nworker = cgi\n')"
expect_error "scenario: [php] bad pm" "phppm.scn:2: pm: 'lazy' is not static, dynamic or ondemand" \
	"$M" run -m event -s "$(scn phppm '[php]\npm = lazy\n')"
expect_error "scenario: [php] max_children 0" "phpmax.scn:2: max_children: 0 is not between 1 and 256" \
	"$M" run -m event -s "$(scn phpmax '[php]\nmax_children = 0\n')"
expect_error "scenario: [php] unknown key" "phpkey.scn:2: unknown key 'listen' in \[php\]" \
	"$M" run -m event -s "$(scn phpkey '[php]\nlisten = /etc/x\n')"
expect_error "scenario: [backend] delay too long" "bkdelay.scn:2: delay: 2m is too long" \
	"$M" run -m event -s "$(scn bkdelay '[backend]\ndelay = 2m\n')"
expect_error "scenario: [backend] path not a prefix" "bkpath.scn:2: path: 'x' is not a prefix" \
	"$M" run -m event -s "$(scn bkpath '[backend]\npath = x\n')"
expect_error "scenario: [backend] path with a quote" "bkquote.scn:2: path: .* may only contain" \
	"$M" run -m event -s "$(scn bkquote '[backend]\npath = /a\"b/\n')"
expect_error "scenario: duplicate [backend] key" "bkdup.scn:3: duplicate key 'delay' in \[backend\]" \
	"$M" run -m event -s "$(scn bkdup '[backend]\ndelay = 1s\ndelay = 2s\n')"
expect_error "upstream: internal command without its options" "upstream: needs --port" "$M" upstream
expect_error "Apache rejects a value (KeepAlive maybe)" "apache config error.*KeepAlive" \
	"$M" run -m event -s "$(scn maybe '[load]\nrequests = 10\nconcurrency = 1\n[server]\nKeepAlive = maybe\n')"
expect_error "Apache rejects a value (server)" "apache config error.*KeepAlive" \
	"$M" server -m prefork -s "$TMP/maybe.scn"
check_clean "scenarios"

# --- outputs that cannot be written: refused before any run --------------------
for opt in --json --html --csv; do
	expect_error "run $opt in a missing directory" "cannot write /nonexistent-dir/x: No such file" \
		"$M" run -m event $opt /nonexistent-dir/x
	expect_error "run $opt under a file" "cannot write /etc/passwd/x: Not a directory" \
		"$M" run -m event $opt /etc/passwd/x
	expect_error "compare $opt that is a directory" "cannot write $TMP: Is a directory" \
		"$M" compare $opt "$TMP"
done
expect_error "--json on /proc" "cannot write /proc/x.json" "$M" run -m event --json /proc/x.json
expect_error "two reports on stdout" "only one of --json, --html and --csv can be '-'" \
	"$M" compare --json - --csv -
check "refused before any run: no table printed" bash -c "! grep -q '^MPM ' '$TMP/out'"
check_clean "unwritable outputs"

# --- what is not Apache --------------------------------------------------------------
expect_error "--httpd /bin/true (compare)" "/bin/true is not an Apache" "$M" compare --httpd /bin/true
expect_error "--httpd /bin/true (run)" "/bin/true is not an Apache" "$M" run -m event --httpd /bin/true
expect_error "--httpd /bin/true (server)" "/bin/true is not an Apache" "$M" server -m event --httpd /bin/true
expect_error "--httpd /bin/true (explain)" "/bin/true is not an Apache" "$M" explain -m event --httpd /bin/true
expect_error "--httpd missing" "/nonexistent/apache2" "$M" run -m event --httpd /nonexistent/apache2
expect_error "--httpd a directory" "^mpmscope: .*/tmp" "$M" run -m event --httpd /tmp
expect_error "trace -p of a shell" "process $$ is not an Apache httpd" "$M" trace -p $$
expect_error "serve -p of a shell" "process $$ is not an Apache httpd" "$M" serve -l 127.0.0.1:0 -p $$
expect_error "trace -p of no process" "no process 999999" "$M" trace -p 999999
expect_error "trace -C of no such command" "^mpmscope: " "$M" trace -C no-such-comm-xyz
check_clean "not Apache"

# --- a port already taken ------------------------------------------------------------
"$ROOT/build/tests/badserver" --port 0 --mode ok --max-seconds 30 >"$TMP/bs.port" 2>/dev/null &
bs=$!
for _ in $(seq 50); do [ -s "$TMP/bs.port" ] && break; sleep 0.1; done
port=$(grep -oE '[0-9]+' "$TMP/bs.port" | head -1)
if [ -n "$port" ]; then
	expect_error "run: --port in use" "already in use" "$M" run -m prefork --port "$port"
	expect_error "compare: --port in use" "already in use" "$M" compare --port "$port"
	expect_error "server: --port in use" "already in use" "$M" server -m event --port "$port"
else
	fail "badserver did not start"
fi
kill "$bs" 2>/dev/null
wait "$bs" 2>/dev/null
check_clean "port in use"

# --- privileges and kernel -------------------------------------------------------------
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
NOCAPS=(setpriv --bounding-set -bpf,-perfmon,-sys_admin)
for c in "run -m event" "compare" "explain -m event" "trace -p 1" "serve -l 127.0.0.1:0 -p 1"; do
	# shellcheck disable=SC2086
	expect_error "not root: $c" "CAP_BPF" "${NOBODY[@]}" "$M" $c
	# shellcheck disable=SC2086
	expect_error "root without CAP_BPF/PERFMON/SYS_ADMIN: $c" "CAP_BPF" "${NOCAPS[@]}" "$M" $c
	# shellcheck disable=SC2086
	expect_error "no BTF (--btf /nonexistent): $c" "BTF file /nonexistent: No such file" "$M" $c --btf /nonexistent
done
expect_error "doctor --btf /nonexistent" "/nonexistent" "$M" doctor --btf /nonexistent
check_clean "privileges and BTF"

finish
