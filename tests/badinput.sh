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
expect_error "load: an argument that is not a URL" "not an http:// or https:// URL" "$M" load stray-arg
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
# --sweep PARAM=V1,V2,...: each mistake its own line, before anything runs
expect_error "--sweep: unknown parameter" "'foo' is not a parameter to sweep \(concurrency or rate\)" \
	"$M" compare --sweep foo=1,2
expect_error "--sweep: no values" "--sweep: no values: give concurrency=V1,V2" "$M" compare --sweep concurrency
expect_error "--sweep: an empty list" "--sweep: no values" "$M" compare --sweep rate=
expect_error "--sweep: an empty value" "an empty value in '1,,2'" "$M" compare --sweep concurrency=1,,2
expect_error "--sweep: not a number" "'x' is not a number" "$M" compare --sweep concurrency=1,x
expect_error "--sweep: an exponent" "'1e3' is not a number" "$M" run -m event --sweep rate=10,1e3
expect_error "--sweep: negative" "'-1' is not a number" "$M" compare --sweep concurrency=-1,5
expect_error "--sweep: zero" "concurrency must be positive, not 0" "$M" compare --sweep concurrency=0,5
expect_error "--sweep: a fraction of a connection" "1.5 is not a whole number of connections" \
	"$M" compare --sweep concurrency=1.5,5
expect_error "--sweep: decreasing" "values must increase: 5 after 10" "$M" compare --sweep concurrency=10,5
expect_error "--sweep: repeated" "values must increase: 10 after 10" "$M" compare --sweep rate=10,10
expect_error "--sweep: one value" "give at least two values" "$M" compare --sweep concurrency=5
expect_error "--sweep: 17 values" "at most 16 values" "$M" compare --sweep "concurrency=$(seq -s, 1 17)"
expect_error "--sweep: too many connections" "2000000 is not a whole number of connections from 1 to 1000000" \
	"$M" compare --sweep concurrency=1,2000000
expect_error "--sweep twice" "--sweep given twice" "$M" compare --sweep concurrency=1,2 --sweep rate=1,2
expect_error "--sweep with -s all" "--sweep runs one scenario: not with -s all" \
	"$M" compare --sweep concurrency=1,2 -s all
expect_error "--sweep concurrency with -c" "-c and --sweep concurrency both set the connections" \
	"$M" compare --sweep concurrency=1,2 -c 5
expect_error "explain: unknown MPM" "unknown MPM 'foo'" "$M" explain -m foo
expect_error "server: without -m" "-m" "$M" server
expect_error "server: --port 0" "not a port" "$M" server -m event --port 0
expect_error "load: -n abc" "-n: 'abc' is not" "$M" load -n abc http://127.0.0.1:1/
expect_error "load: -c 0" "-c must be at least 1" "$M" load -n 1 -c 0 http://127.0.0.1:1/
expect_error "load: no -n or -t" "-n.*-t" "$M" load http://127.0.0.1:1/
expect_error "load: a host name" "not a numeric IP" "$M" load -n 1 http://example.com/
expect_error "load: https, nothing listens" "cannot connect to 127.0.0.1:443" "$M" load -n 1 https://127.0.0.1/
expect_error "load: --tls-resume on an http:// URL" "--tls-resume and --cacert are for https:// URLs" \
	"$M" load -n 1 --tls-resume http://127.0.0.1:1/
expect_error "load: --cacert, no such file" "--cacert $TMP/none.pem: No such file" \
	"$M" load -n 1 --cacert "$TMP/none.pem" https://127.0.0.1:1/
expect_error "load: nothing listens" "cannot connect|refused" "$M" load -n 1 http://127.0.0.1:1/
expect_error "trace: a stray argument is not an interval" "^mpmscope: interval: " "$M" trace -C apache2 stray-arg
expect_error "trace: no -p nor -C" "^mpmscope: " "$M" trace
expect_error "trace: -p not a number" "^mpmscope: " "$M" trace -p abc

# --- https to servers that do not speak it: one line, or counted failures, never a hang
# a plain Apache (mpmscope server, baseline): it answers the ClientHello with a 400
"$M" server -m event -s baseline -d 60 >"$TMP/srv.out" 2>&1 &
SRV=$!
for _ in $(seq 200); do [ -s "$TMP/srv.out" ] && break; sleep 0.05; done
HP=$(sed -nE 's|^http://127\.0\.0\.1:([0-9]+)/.*|\1|p' "$TMP/srv.out")
echo 'not a certificate' >"$TMP/junk.pem"
expect_error "load: https to a plain HTTP port" "TLS handshake with 127\.0\.0\.1:$HP failed: .*not a TLS server" \
	"$M" load -n 20 -c 4 "https://127.0.0.1:$HP/test.html"
expect_error "load: --cacert that is not a certificate" "cannot read the CA certificate .*junk.pem" \
	"$M" load -n 1 --cacert "$TMP/junk.pem" "https://127.0.0.1:$HP/test.html"
kill -TERM "$SRV"
wait "$SRV" 2>/dev/null
# a server that accepts and never says a word: the handshake is bounded by --timeout
"$ROOT/build/tests/badserver" --port 0 --mode stall --max-seconds 30 >"$TMP/bs.port" 2>/dev/null &
BS=$!
for _ in $(seq 100); do [ -s "$TMP/bs.port" ] && break; sleep 0.05; done
start=$(date +%s%N)
"$M" load -q -n 2 -c 2 --timeout 500ms --json "$TMP/stall.json" "https://127.0.0.1:$(head -1 "$TMP/bs.port")/" 2>"$TMP/err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "load: https to a silent server: the run happens (exit 0)" "$rc" 0
check_eq "load: https to a silent server: 2 handshakes timed out, counted" \
	"$(jq -r '"\(.failed_by_class.timeout) \(.tls.handshakes) \(.tls.failed)"' "$TMP/stall.json")" "2 0 0"
check "load: https to a silent server: bounded by --timeout ($ms ms < 3000)" test "$ms" -lt 3000
kill "$BS" 2>/dev/null
wait "$BS" 2>/dev/null

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
expect_error "scenario: tls not a boolean" "tls: 'maybe' is not on/off" \
	"$M" run -m event -s "$(scn tlsbool '[load]\ntls = maybe\n')"
expect_error "explain: a TLS scenario" "explain: scenario tls uses TLS" "$M" explain -m event -s tls
expect_error "scenario: tls_resume without tls" "tlsres.scn:2: tls_resume = on needs tls = on" \
	"$M" run -m event -s "$(scn tlsres '[load]\ntls_resume = on\n')"
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
"$ROOT/build/tests/badserver" --port 0 --mode ok --max-seconds 30 >"$TMP/bs.port" 2>"$TMP/bs.err" &
bs=$!
for _ in $(seq 50); do [ -s "$TMP/bs.port" ] && break; sleep 0.1; done
port=$(grep -oE '[0-9]+' "$TMP/bs.port" | head -1)
if [ -n "$port" ]; then
	expect_error "run: --port in use" "already in use" "$M" run -m prefork --port "$port"
	expect_error "compare: --port in use" "already in use" "$M" compare --port "$port"
	expect_error "server: --port in use" "already in use" "$M" server -m event --port "$port"
else
	fail "badserver did not start (in 5 s: $(kill -0 "$bs" 2>/dev/null && echo running || echo exited); stderr: $(head -c 300 "$TMP/bs.err"))"
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
