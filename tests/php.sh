#!/bin/bash
# PHP, with the real components: mod_php inside prefork's children, php-fpm
# behind mod_proxy_fcgi under worker and event, each started privately by
# mpmscope and traced; and mod_php under a threaded MPM, which Apache itself
# refuses. Checks what the clients got (the page PHP computed), the roles the
# kernel gave php-fpm's processes against what /proc shows of the private
# pool, the workers' wait for php-fpm, and that nothing is left behind.
. "$(dirname "$0")/lib.sh"

check "the PHP packages are in the deps step (Makefile DEB_PKGS)" \
	grep -qE '^PHP_PKGS := .*libapache2-mod-php8.2.*php8.2-fpm' "$ROOT/Makefile"
for p in libapache2-mod-php8.2 php8.2-fpm; do
	check "$p installed" bash -c "dpkg-query -W -f='\${Status}' $p | grep -q 'install ok installed'"
done

# What PHP prints for the scenario's page, from php-cli (its content, unescaped)
page=$(sed -n 's/^content *= *\(<?php.*\)$/\1/p' "$ROOT/scenarios/php.scn" | sed 's/\\\\/\\/g')
printf '%s\n' "$page" >"$TMP/index.php"
want=$(php -n "$TMP/index.php")
bytes=$(php -n "$TMP/index.php" | wc -c)
check "php-cli runs the page ($want)" test -n "$want" -a "$bytes" -gt 10

# The private pool while the comparison runs: its master (the pid file in
# the run directory, our conf on its command line) and its processes.
J="$TMP/php.json"
"$MPMSCOPE" compare -s php --json "$J" --html "$TMP/php.html" >"$TMP/out" 2>&1 &
pid=$!
seen_master= seen_pool=0 seen_conf=
while kill -0 "$pid" 2>/dev/null; do
	for f in /tmp/mpmscope.??????/run/php-fpm.pid; do
		[ -s "$f" ] || continue
		m=$(cat "$f" 2>/dev/null)
		[ -n "$m" ] || continue
		seen_master=$m
		grep -q "$(dirname "$(dirname "$f")")/php-fpm.conf" "/proc/$m/cmdline" 2>/dev/null && seen_conf=yes
		n=$(pgrep -c -P "$m" 2>/dev/null)
		[ "${n:-0}" -gt "$seen_pool" ] && seen_pool=$n
	done
	sleep 0.2
done
reaped "$pid" "compare -s php" 0
grep -B2 -A4 '^MPM ' "$TMP/out"
N=$(jqr "$J" '.runs[0].load.requests')
check "php-fpm's master seen running on our own conf (pid $seen_master)" test "$seen_conf" = yes
check_eq "its pool: pm static, max_children 20 processes, in /proc" "$seen_pool" 20
for m in prefork worker event; do
	R=$(run_of "$m")
	check_eq "$m: every request 2xx" "$(jqr "$J" "$R | .load.status_2xx")" "$N"
	check_eq "$m: 0 failed" "$(jqr "$J" "$R | .load.failed")" 0
	check_eq "$m: each body is PHP's output ($bytes bytes)" "$(jqr "$J" "$R | .load.body_bytes / .load.requests")" "$bytes"
done
P=$(run_of prefork)
check_eq "prefork (mod_php): no php-fpm" "$(jqr "$J" "$P | (.kernel.sched.tasks_by_role.fpm_master // 0) + (.kernel.sched.tasks_by_role.fpm_worker // 0)")" 0
for m in worker event; do
	R=$(run_of "$m")
	check_eq "$m: one fpm_master" "$(jqr "$J" "$R | (.kernel.sched.tasks_by_role.fpm_master // 0)")" 1
	check_eq "$m: fpm_worker = the pool /proc showed" "$(jqr "$J" "$R | (.kernel.sched.tasks_by_role.fpm_worker // 0)")" "$seen_pool"
	check_ge "$m: the pool's CPU counted under its role (ms)" \
		"$(jqr "$J" "$R | (.kernel.sched.cpu_us_by_role.fpm_worker // 0) / 1000 | floor")" 100
	# (a worker that finds php-fpm's answer already there does not block:
	# nine requests in ten at least wait for it)
	check_ge "$m: php-fpm wakes the workers (its answer), for >= 90% of the requests" \
		"$(jqr "$J" "[$R | .kernel.sched.wakeups_by_pair[] | select(.waker == \"fpm_worker\" and .wakee == \"worker\") | .count] | add // 0")" "$((N * 9 / 10))"
	check_ge "$m: workers blocked waiting for php-fpm, for >= 90% of the requests" \
		"$(jqr "$J" "$R | (.kernel.sched.offcpu_us_by_role_reason.worker.backend.count // 0)")" "$((N * 9 / 10))"
	check_ge "$m: the pool's memory counts with the server (PSS > 10 MB)" "$(jqr "$J" "$R | .memory.pss_kb")" 10000
	check_eq "$m: php-fpm's accepts are not the server's (accepts = connections)" \
		"$(jqr "$J" "$R | .kernel.accepts")" "$N"
	# Apache's connects to php-fpm's socket, paired with the pool's accepts
	# of them (the accepted end's unix peer): one per request
	check_eq "$m: the pool accepted a connection per request, each paired with Apache's connect" \
		"$(jqr "$J" "$R | .kernel.backend | \"\(.accepts) \(.connects_paired) \(.queue_us.n)\"")" "$N $N $N"
	check_eq "$m: time in php-fpm per connection >= its CPU per connection" \
		"$(jqr "$J" "$R | (.kernel.backend.busy_us_per_connection >= (.kernel.sched.cpu_us_by_role.fpm_worker / .kernel.backend.accepts))")" true
done
# the HTML report's backend table: php-fpm's connections per MPM, none on prefork
check_eq "HTML: the backend table, worker and event paired $N of $N, prefork none" \
	"$(sed -n '/<table id="[a-z0-9-]*backend">/,/<\/table>/p' "$TMP/php.html" | grep -oE '>[0-9]+ \([0-9]+\)<|no backend in this run' | tr '\n' ' ')" \
	"no backend in this run >$N ($N)< >$N ($N)< "
check_clean "php"

# Four connections on a pool of one, then of four: on one, Apache's
# connections wait in php-fpm's queue for the free worker, ~3x (1.5x at least) a
# request's time in PHP, and the workers stay blocked on php-fpm for at
# least that wait (the scheduler's view against the connect/accept pairs');
# on four, hardly at all (measured: 866 against 60 us)
for pool in 1 4; do
	sed -e "s/^max_children = 20/max_children = $pool/" -e 's/^concurrency = 20/concurrency = 4/' \
		-e 's/^requests    = 2000/requests    = 400/' -e '/^\[expect\]/,$d' "$ROOT/scenarios/php.scn" >"$TMP/pool$pool.scn"
	"$MPMSCOPE" run -m event -s "$TMP/pool$pool.scn" --json "$TMP/pool$pool.json" >"$TMP/pool$pool.out" 2>&1
	check_eq "run -m event, a pool of $pool for 4 connections: exit 0" "$?" 0
	check_eq "pool of $pool: $pool fpm_worker task(s)" "$(jqr "$TMP/pool$pool.json" '.runs[0].kernel.sched.tasks_by_role.fpm_worker')" "$pool"
	check_eq "pool of $pool: 400 connections accepted by the pool, each paired" \
		"$(jqr "$TMP/pool$pool.json" '.runs[0].kernel.backend | "\(.accepts) \(.connects_paired)"')" "400 400"
done
B='.runs[0].kernel.backend'
q1=$(jqr "$TMP/pool1.json" "$B.queue_us.p50 | floor")
q4=$(jqr "$TMP/pool4.json" "$B.queue_us.p50 | floor")
check_ge "pool of 1: waited for the free fpm worker >= 1.5x a request's time in PHP (p50 $q1 us, PHP $(jqr "$TMP/pool1.json" "$B.busy_us_per_connection | floor") us)" \
	"$q1" "$(jqr "$TMP/pool1.json" "$B.busy_us_per_connection * 1.5 | floor")"
check_ge "pool of 4: waited a quarter of that at most (p50 $q4 us)" "$((q1 / 4))" "$q4"
# (per request: a request's wait may be two blocked spells, so not per spell)
check_ge "pool of 1: the workers blocked on php-fpm per request >= the queue wait (mean, us)" \
	"$(jqr "$TMP/pool1.json" '.runs[0].kernel.sched.offcpu_us_by_role_reason.worker.backend.us / 400 | floor')" \
	"$(jqr "$TMP/pool1.json" "$B.queue_us.mean | floor")"
check "pool of 1: the table says it" grep -qE "waited [0-9]+ us \(p50\) / [0-9]+ us \(p99\) for a free worker" "$TMP/pool1.out"
check_clean "php, pools of 1 and 4"
check_eq "no php-fpm left" "$(pgrep -c -f 'php-fpm: (master process \(/tmp/mpmscope|pool mpmscope)')" 0

# trace, attached to an Apache it did not start, follows the host's php-fpm
# too: `server` (no tracer of its own) runs the pool of 1, trace attaches,
# then 4 connections load it. Every connection from Apache is paired with the
# pool's accept as the records stream, and waits behind the one worker, as
# compare saw it above.
"$MPMSCOPE" server -m event -s "$TMP/pool1.scn" -d 60 >"$TMP/tsrv" 2>"$TMP/tsrv.err" &
spid=$!
for _ in $(seq 100); do [ -s "$TMP/tsrv" ] && break; sleep 0.1; done
read -r url _ hp <"$TMP/tsrv"
master=$(pgrep -f 'php-fpm: master process \(/tmp/mpmscope' | head -1)
"$MPMSCOPE" trace -p "$hp" -i 0 --json "$TMP/tfpm.json" >"$TMP/tfpm.out" 2>&1 &
tp=$!
"$MPMSCOPE" serve -p "$hp" --listen 127.0.0.1:0 >"$TMP/sfpm.out" 2>"$TMP/sfpm.err" &
sp=$!
for _ in $(seq 100); do grep -q '^tracing ' "$TMP/tfpm.out" && grep -q '^serving ' "$TMP/sfpm.out" && break; sleep 0.1; done
"$MPMSCOPE" load -q -n 400 -c 4 "$url" >/dev/null 2>&1
check_eq "trace + php-fpm: the load exits 0" "$?" 0
kill -INT "$tp"
reaped "$tp" "trace + php-fpm: trace exits 0" 0
# serve, beside it: the same pairs as counters and a histogram
murl=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/metrics' "$TMP/sfpm.out")
curl -s -m 5 "$murl" >"$TMP/sfpm.prom"
metric() { awk -v m="$1" '$1 == m { print $2 }' "$TMP/sfpm.prom"; }
check_eq "serve + php-fpm: one master followed, and said" \
	"$(metric mpmscope_backend_masters) $(grep -c '^backends: 1 php-fpm master, 1 pool process' "$TMP/sfpm.out")" "1 1"
check_eq "serve: the pool's 400 connections, each paired, each in the wait histogram" \
	"$(metric mpmscope_backend_connections_total) $(metric mpmscope_backend_connections_paired_total) $(metric mpmscope_backend_queue_wait_seconds_count)" \
	"400 400 400"
check "serve: the mean wait is trace's, within 20 % ($(metric mpmscope_backend_queue_wait_seconds_sum) s in all)" \
	awk -v s="$(metric mpmscope_backend_queue_wait_seconds_sum)" -v t="$(jqr "$TMP/tfpm.json" '.runs[0].kernel.backend.queue_us.mean')" \
	'BEGIN { m = s * 1e6 / 400; exit !(t > 0 && m > 0.8 * t && m < 1.2 * t) }'
kill -TERM "$sp"
reaped "$sp" "serve + php-fpm: serve exits 0" 0
kill -TERM "$spid"
reaped "$spid" "trace + php-fpm: server exits 0" 0
check "trace names the php-fpm master it follows ($master) and its pool of 1" \
	grep -qE "^backends: php-fpm master $master, 1 pool process, followed" "$TMP/tfpm.out"
B='.runs[0].kernel.backend'
check_eq "trace: the pool accepted the 400 connections, each paired with Apache's connect" \
	"$(jqr "$TMP/tfpm.json" "$B | \"\(.accepts) \(.connects_paired) \(.queue_us.n)\"")" "400 400 400"
tq=$(jqr "$TMP/tfpm.json" "$B.queue_us.p50 | floor")
check_ge "trace: waited for the one fpm worker >= 1.5x a request's time in PHP (p50 $tq us, PHP $(jqr "$TMP/tfpm.json" "$B.busy_us_per_connection | floor") us)" \
	"$tq" "$(jqr "$TMP/tfpm.json" "$B.busy_us_per_connection * 1.5 | floor")"
check_ge "trace: the pool's CPU under its role (us)" "$(jqr "$TMP/tfpm.json" '.runs[0].kernel.sched.cpu_us_by_role.fpm_worker | floor')" 1000
check "trace: the summary says the wait" \
	grep -qE "^php-fpm: 400 connections from Apache accepted by its pools, 400 paired .*waited [0-9]+ us \(p50\)" "$TMP/tfpm.out"
check_eq "trace: Apache's accepts are the load's 400 connections (its connects to php-fpm are not its own dummy ones)" "$(jqr "$TMP/tfpm.json" '.runs[0].kernel | "\(.accepts) \(.accepts_internal)"')" "400 0"
check_clean "trace + php-fpm"

# `server` (no tracer) starts the scenario's php-fpm too, and stops it.
"$MPMSCOPE" server -m event -s php -d 3 >"$TMP/srv" 2>&1 &
spid=$!
for _ in $(seq 100); do [ -s "$TMP/srv" ] && break; sleep 0.1; done
url=$(awk 'NR == 1 { print $1 }' "$TMP/srv")
check_eq "server -m event -s php: the page, through php-fpm" "$(curl -s -m 5 "$url")" "$want"
reaped "$spid" "server -m event -s php" 0
check_clean "server -s php"

# mod_php under every MPM: Apache refuses the threaded ones, in its words.
J2="$TMP/threaded.json"
"$MPMSCOPE" compare -s php-threaded --json "$J2" >"$TMP/out2" 2>&1
check_eq "compare -s php-threaded exits 0 (the refusals its claims expect are its finding)" "$?" 0
check_eq "prefork serves mod_php: 0 failed" "$(jqr "$J2" "$(run_of prefork) | .load.failed")" 0
for m in worker event; do
	R=$(run_of "$m")
	check_eq "$m: did not serve" "$(jqr "$J2" "$R | .ran")" false
	check "$m: Apache's own error: not compiled to be threadsafe" \
		grep -q "not compiled to be threadsafe" <<<"$(jqr "$J2" "$R | .error")"
	check "$m: said on stderr too" grep -q "$m: Apache refused to start: .*threadsafe" "$TMP/out2"
done
check_eq "the seed's claim (worker cannot run PHP's mod_php) confirmed" \
	"$(jqr "$J2" '.expectations[0].verdict')" confirmed
check "its evidence quotes Apache" grep -q "recompile PHP" <<<"$(jqr "$J2" '.expectations[0].evidence')"
check_eq "every claim of php-threaded confirmed" "$(jqr "$J2" '[.expectations[] | select(.verdict != "confirmed")] | length')" 0
check_clean "php-threaded"
# the same refusal that no claim expects is a run that failed: exit 1
sed '/^\[expect\]/,$d' "$ROOT/scenarios/php-threaded.scn" >"$TMP/unexpected.scn"
"$MPMSCOPE" run -m worker -s "$TMP/unexpected.scn" >"$TMP/out3" 2>&1
check_eq "a refusal no claim expects: run exits 1" "$?" 1
check "... and says why" grep -q "worker: Apache refused to start: .*threadsafe" "$TMP/out3"
check_clean "php-threaded without its claims"
finish
