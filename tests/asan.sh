#!/bin/bash
# Sanitizers: the unit tests and one full compare built with AddressSanitizer
# and UndefinedBehaviorSanitizer (make asan: build-asan/), and one run under
# valgrind's memcheck (build/) while that builds. Any report fails the test.
. "$(dirname "$0")/lib.sh"

ASAN="$ROOT/build-asan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
SAN_PAT='ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)'

# valgrind (on the normal build): every byte freed, no invalid access. libbpf's
# bpf() attributes confuse memcheck: tests/valgrind.supp explains. Its run
# (~23 s, most of it valgrind reading the kernel's BTF) goes beside the ASan
# build, which only compiles: nothing else runs Apache or BPF meanwhile.
vg_rc=
if command -v valgrind >/dev/null; then
	valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
		--error-exitcode=99 --suppressions="$ROOT/tests/valgrind.supp" --log-file="$TMP/vg.log" \
		"$MPMSCOPE" run -m prefork -n 200 -c 10 >"$TMP/vg.out" 2>"$TMP/vg.err" &
	vg_pid=$!
fi
make -s -j"$(nproc)" -C "$ROOT" asan >"$TMP/build.log" 2>&1
build_rc=$?
if [ -n "${vg_pid:-}" ]; then
	wait "$vg_pid"
	vg_rc=$?
	check_eq "valgrind: run -m prefork -n 200 -c 10 exits 0 with no memcheck error" "$vg_rc" 0
	[ "$vg_rc" -eq 0 ] || grep -m20 -E 'Invalid|uninitialised|definitely|indirectly|possibly|ERROR SUMMARY' "$TMP/vg.log"
	check "valgrind: no leak" grep -qE 'All heap blocks were freed|definitely lost: 0 bytes' "$TMP/vg.log"
	check_clean "valgrind run"
else
	fail "valgrind is not installed (apt-get install valgrind)"
fi

if [ "$build_rc" -ne 0 ]; then
	fail "make asan: $(grep -m1 -E 'error|Error' "$TMP/build.log")"
	finish
	exit
fi
pass "make asan builds build-asan/mpmscope and the unit tests"

# A sanitizer report makes the program abort; a grep catches what a test
# binary might survive (UBSan in a forked child, a leak at exit...).
for t in "$ASAN"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	"$t" >"$TMP/$n.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && ! grep -qE "$SAN_PAT" "$TMP/$n.log"; then
		pass "asan: $n ($(tail -1 "$TMP/$n.log"))"
	else
		fail "asan: $n: exit $rc: $(grep -m3 -E "$SAN_PAT|CHECK failed" "$TMP/$n.log" | tr '\n' ' ')"
	fi
done

J="$TMP/asan.json"
"$ASAN/mpmscope" compare -s baseline --json "$J" >"$TMP/cmp.out" 2>"$TMP/cmp.err"
rc=$?
check_eq "asan: compare -s baseline exits 0" "$rc" 0
if grep -qE "$SAN_PAT" "$TMP/cmp.err"; then
	fail "asan: compare: sanitizer report: $(grep -m5 -E "$SAN_PAT|^    #[0-4] " "$TMP/cmp.err" | tr '\n' ' ')"
else
	pass "asan: compare: no sanitizer report"
fi
check_eq "asan: compare ran every MPM" "$(jq -r '[.runs[] | select(.ran)] | length' "$J" 2>/dev/null)" 3
check_eq "asan: compare completed 1000 requests per MPM" \
	"$(jq -r '[.runs[].load.completed] | unique | join(",")' "$J" 2>/dev/null)" 1000
check_clean "asan compare"

# TLS under the sanitizers: the run's certificate made, the client's sessions kept
# per slot and freed, mod_ssl's readiness probe
J="$TMP/asan-tls.json"
"$ASAN/mpmscope" run -m worker -s tls-resume --json "$J" >"$TMP/tls.out" 2>"$TMP/tls.err"
check_eq "asan: run -s tls-resume exits 0" "$?" 0
if grep -qE "$SAN_PAT" "$TMP/tls.err"; then
	fail "asan: TLS run: sanitizer report: $(grep -m5 -E "$SAN_PAT|^    #[0-4] " "$TMP/tls.err" | tr '\n' ' ')"
else
	pass "asan: TLS run: no sanitizer report"
fi
check_eq "asan: TLS run: 600 completed, 10 full and 590 resumed handshakes" \
	"$(jq -r '.runs[0].load | "\(.completed) \(.tls.full) \(.tls.resumed)"' "$J" 2>/dev/null)" "600 10 590"
check_clean "asan TLS run"

finish
