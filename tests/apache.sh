#!/usr/bin/env bash
# Apache controller tests against the real httpd: runs build/tests/test_apache
# (see tests/unit/test_apache.c) and checks from outside that nothing was left
# behind: no httpd on one of its runtime dirs, no new /tmp/mpmscope.* dir.
# Needs root and apache2-bin; run from anywhere. Prints "N passed, N failed" last.
set -u
cd "$(dirname "$0")/.." || exit 2

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }

bin=${BUILD:-build}/tests/test_apache
if [ ! -x "$bin" ]; then
	make -s "$bin" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi

before=$(ls -d /tmp/mpmscope.* 2>/dev/null | sort)

out=$(MPMSCOPE_SCENARIOS=scenarios timeout 300 "$bin" 2>&1)
rc=$?
echo "$out"
if [ $rc -eq 0 ]; then ok "test_apache"; else ko "test_apache (exit $rc)"; fi

if [ "$(id -u)" = 0 ] && ! echo "$out" | grep -q skipped; then
	echo "$out" | grep -q '^worker: .* children: .*(27 threads' && ok "worker child: 27 threads" || ko "worker thread count"
	echo "$out" | grep -q '^event: .* children: .*(27 threads' && ok "event child: 27 threads" || ko "event thread count"
fi

after=$(ls -d /tmp/mpmscope.* 2>/dev/null | sort)
new=$(comm -13 <(echo "$before") <(echo "$after") | grep . || true)
if [ -z "$new" ]; then ok "no runtime dir left in /tmp"; else ko "left behind: $new"; fi

# no live httpd on a runtime dir that the test made (zombies are ignored: init reaps them)
stray=""
for pid in $(pgrep -f -- '-d /tmp/mpmscope\.' || true); do
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || continue
	[ "$state" = Z ] && continue
	d=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -m1 '^/tmp/mpmscope\.' | sed 's|/httpd.conf$||')
	[ -n "$d" ] && ! echo "$before" | grep -qx -- "$d" && stray="$stray $pid:$d"
done
if [ -z "$stray" ]; then ok "no stray httpd"; else ko "httpd still running:$stray"; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
