#!/bin/bash
# Why: the gap between two MPMs split into the kernel costs that make it
# (model/attrib.c). On keepalive, event against prefork: the machine-time
# account explains at least half of the measured gap with kernel-measured
# costs, the causes add up to what is said explained, the rest is shown as
# unexplained, and the text says it under the refuted claims. On
# idle-connections, where worker holds a thread per idle connection and
# event none, the task-time account puts the held time first.
. "$(dirname "$0")/lib.sh"

# jtrue DESC FILTER FILE: the filter holds on the document
jtrue() { check "$1" bash -c 'jq -e "$1" "$2" >/dev/null' _ "$2" "$3"; }

# acct FILE BASIS A B: the jq path of the account of that pair
acct() { echo ".explanations[] | select(.basis == \"$2\" and ([.lower, .higher] | sort) == ([\"$3\", \"$4\"] | sort))"; }

J="$TMP/ka.json"
"$MPMSCOPE" compare -s keepalive -m prefork,event --json "$J" >"$TMP/ka.out" 2>&1
check_eq "keepalive: compare exits 0" "$?" 0
A=$(acct "$J" machine_time prefork event)
check_eq "keepalive: one machine-time account of event vs prefork" "$(jq "[$A] | length" "$J")" 1
gap=$(jqr "$J" "$A | .gap")
share=$(jqr "$J" "$A | .explained_share")
# the measured gap: CPUs x load time, less other processes and the hypervisor's
# steal, / requests of each run, from the run's own facts
want=$(jq -r '[.runs[] | (.machine.cpus * .machine.load_ns - .machine.other_processes_ns - .machine.steal_ns) /
	1000 / (.load.completed + .load.failed)] |
	(max - min)' "$J")
check "keepalive: the gap is the measured machine time per request ($gap us vs $want)" \
	awk -v a="$gap" -v b="$want" 'BEGIN { exit !(a > 0 && (a - b < 0.01 && b - a < 0.01)) }'
check "keepalive: at least half of it explained by kernel-measured costs ($share)" \
	awk -v s="$share" 'BEGIN { exit !(s >= 0.5) }'
jtrue "keepalive: the causes add up to what is explained" \
	"$A | ((([.causes[].gap] | add) - .explained) | fabs) < 0.001" "$J"
jtrue "keepalive: the unexplained rest is the gap minus the explained" \
	"$A | ((.gap - .explained - .unexplained) | fabs) < 0.001" "$J"
jtrue "keepalive: causes ranked by their gap, largest first" \
	"$A | [.causes[].gap] | . == (sort | reverse)" "$J"
jtrue "keepalive: the load generator's share of the machine is said" \
	"$A | .note | test(\"load generator \\\\([0-9]+% of them\")" "$J"
jtrue "keepalive: the serving tasks' CPU is a cause, with its context switches" \
	"$A | .causes[] | select(.cause == \"serving_cpu\") | .text | test(\"context switches\")" "$J"
# every refuted claim about req/s points to that account
idx=$(jq "[.explanations | to_entries[] | select(.value.basis == \"machine_time\")] | .[0].key" "$J")
jtrue "keepalive: the refuted rps claims point to it" \
	"[.expectations[] | select(.verdict == \"refuted\" and (.evidence | test(\"^rps\")))] |
		length > 0 and all(.explanations | index($idx) != null)" "$J"
check "keepalive: the text says why under a refuted verdict" grep -q '^      refuted, because machine time per request' "$TMP/ka.out"
check "keepalive: and what is left unexplained" grep -q '^        unexplained: CPUs idle' "$TMP/ka.out"
check_clean "keepalive"

# idle keep-alive connections: worker's threads are held, event's are not
J2="$TMP/idle.json"
"$MPMSCOPE" compare -s idle-connections -m worker,event --json "$J2" --html "$TMP/idle.html" >"$TMP/idle.out" 2>&1
check_eq "idle-connections: compare exits 0" "$?" 0
T=$(acct "$J2" task_time worker event)
check_eq "idle: worker's task time per request is the higher" "$(jqr "$J2" "$T | .higher")" worker
check_eq "idle: held on idle keep-alive connections ranks first" "$(jqr "$J2" "$T | .causes[0].cause")" keepalive_held
held=$(jqr "$J2" "$(run_of worker) | .kernel.conn.held_task_seconds")
nreq=$(jqr "$J2" "$(run_of worker) | .load.completed + .load.failed")
got=$(jqr "$J2" "$T | .causes[0].higher")
check "idle: it is worker's held task-seconds per request ($got us; whole run: $held s / $nreq)" \
	awk -v g="$got" -v h="$held" -v n="$nreq" 'BEGIN { w = h * 1e6 / n; exit !(g > 0 && g <= w * 1.01 && g >= w * 0.8) }'
check "idle: the HTML has the why section and the account's table" \
	grep -q '<table class="why" id="why-[0-9]*"><tr><th>us/request' "$TMP/idle.html"
check "idle: the HTML ranks keepalive_held first in the task-time table" \
	bash -c "grep -A1 'data-basis=\"task_time\"><b>worker vs event' '$TMP/idle.html' | grep -q 'tr data-cause=\"keepalive_held\"'"
check_clean "idle-connections"

finish
