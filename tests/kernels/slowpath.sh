# Sourced by tests/kernels/guest.sh and bench/syscall-cost.guest, in the
# test-kernels guest: what mpmscope attached costs every other task's system
# calls, by the syscall way it takes. Needs $M (mpmscope), $T (a scratch
# directory), $ROOT.
SCC="$ROOT/build/tests/syscall_cost"
# slow_path WAY PAIRS: a server, mpmscope trace attached to it the WAY given;
# the syscall tracepoints bpftool lists meanwhile in $T/perf-WAY, and
# getppid() without and with it attached, alternated PAIRS times:
# $T/sc-WAY.off and $T/sc-WAY.on, a figure (ns) a line
slow_path() {
	local way=$1 pairs=$2 srv tr hpid i
	"$M" server -m event -s baseline -d 200 >"$T/srv.out" 2>"$T/srv.err" &
	srv=$!
	for i in $(seq 300); do [ -s "$T/srv.out" ] && break; sleep 0.1; done
	hpid=$(awk 'NR == 1 { print $3 }' "$T/srv.out")
	# a round not counted: the server's threads are still starting under
	# TCG when it answers (one first "without" measured 981 ns, 540 as a rule)
	"$SCC" 5000 300 >/dev/null
	: >"$T/sc-$way.off"
	: >"$T/sc-$way.on"
	for i in $(seq "$pairs"); do
		"$SCC" 5000 300 >>"$T/sc-$way.off"
		# -i 0: no lines; its first line is printed once the probes are attached
		"$M" trace -p "$hpid" -d 60 -i 0 --syscall-probes "$way" >"$T/tr.out" 2>&1 &
		tr=$!
		for _ in $(seq 600); do grep -q '^tracing ' "$T/tr.out" && break; sleep 0.1; done
		[ "$i" = 1 ] && bpftool perf show 2>/dev/null | grep -c 'tracepoint  *sys_' >"$T/perf-$way"
		"$SCC" 5000 300 >>"$T/sc-$way.on"
		kill -INT "$tr"
		wait "$tr"
	done
	kill -TERM "$srv"
	wait "$srv"
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
best() { sort -g | head -1; }
