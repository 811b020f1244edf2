#!/bin/bash
# Runs every test: the unit binaries, then each tests/*.sh integration file
# (real Apache, real BPF), and prints the total as "N passed, N failed".
# TEST_LOGS=DIR keeps each file's whole output there (DIR/NAME.log): the
# figures every passing check printed, to see how near its bound it ran.
set -u
cd "$(dirname "$0")/.."
total_pass=0
total_fail=0
failed_files=()

tally() { # file, log
	local line p f
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$2" | tail -1)
	p=$(sed -E 's/(^|.* )([0-9]+) passed.*/\2/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	if [ -z "$line" ]; then
		p=0
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$f" = 0 ] || failed_files+=("$1")
}

run_one() { # name cmd...
	local name=$1 log rc start
	shift
	log=$(mktemp)
	start=$(date +%s)
	echo "=== $name"
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	grep -E '^(FAIL|not ok)|CHECK failed|expected|passed, ' "$log" || true
	if [ $rc -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' "$log"; then
		echo "    (exit $rc; last lines:)"
		tail -5 "$log" | sed 's/^/    /'
		echo "$name: 0 passed, 1 failed" >>"$log"
	fi
	echo "    ($(($(date +%s) - start)) s)"
	tally "$name" "$log"
	if [ -n "${TEST_LOGS:-}" ]; then
		mkdir -p "$TEST_LOGS" && mv "$log" "$TEST_LOGS/$name.log"
	else
		rm -f "$log"
	fi
}

only=${1:-}
for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	run_one "$(basename "$t")" "$t"
done
for t in tests/*.sh; do
	case "$t" in tests/lib.sh | tests/run.sh | tests/run-unit.sh) continue ;; esac
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	run_one "$(basename "$t")" bash "$t"
done

echo
[ ${#failed_files[@]} -eq 0 ] || echo "failing: ${failed_files[*]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
