#!/bin/bash
# CGI, a process per request, against a real Apache with real BPF: mod_cgi
# under prefork, mod_cgid under worker and event. The kernel must see one
# process created per request under load, give the exec'd scripts the cgi
# role (and mod_cgid's daemon its own), charge the serving tasks' wait for
# the script's output to the backend off-CPU reason, and find a CGI request
# much dearer in CPU than a static file's.
. "$(dirname "$0")/lib.sh"

J="$TMP/cgi.json"
"$MPMSCOPE" compare -s cgi --json "$J" >"$TMP/out" 2>&1
check_eq "compare -s cgi exits 0" "$?" 0 || tail -5 "$TMP/out"
grep -A4 '^sched' "$TMP/out"
N=$(jqr "$J" '.runs[0].load.requests')
for m in prefork worker event; do
	R=$(run_of "$m")
	check_eq "$m: every CGI request answered 2xx" "$(jqr "$J" "$R.load.status_2xx")" "$N"
	check_eq "$m: no failed request" "$(jqr "$J" "$R.load.failed")" 0
	check_ge "$m: processes created under load >= requests (one per request)" \
		"$(jqr "$J" "$R.kernel.spawn_by_phase.load.processes")" "$N"
	check_ge "$m: cgi role: >= one exec'd script per request" \
		"$(jqr "$J" "$R | (.kernel.sched.tasks_by_role.cgi // 0)")" "$N"
	check_ge "$m: the scripts' CPU is counted under their role" \
		"$(jqr "$J" "$R | (.kernel.sched.cpu_us_by_role.cgi // 0) | floor")" 1
done
P=$(run_of prefork)
check_eq "prefork: no cgid daemon (mod_cgi forks from the child)" "$(jqr "$J" "$P | (.kernel.sched.tasks_by_role.cgid // 0)")" 0
check_ge "prefork: the scripts wake the children (their output)" \
	"$(jqr "$J" "[$P.kernel.sched.wakeups_by_pair[] | select(.waker == \"cgi\" and .wakee == \"prefork_child\") | .count] | add // 0")" "$N"
for m in worker event; do
	R=$(run_of "$m")
	check_eq "$m: one mod_cgid daemon, role cgid" "$(jqr "$J" "$R | (.kernel.sched.tasks_by_role.cgid // 0)")" 1
	check_ge "$m: cgid wakes the workers (it hands over each script)" \
		"$(jqr "$J" "[$R.kernel.sched.wakeups_by_pair[] | select(.waker == \"cgid\" and .wakee == \"worker\") | .count] | add // 0")" "$((N / 2))"
done
# Who waits for the script: the serving task, blocked on its pipe (mod_cgi)
# or on cgid's socket (mod_cgid), at least once per request, and longer
# than in every other busy reason together.
for pair in prefork:prefork_child worker:worker event:worker; do
	m=${pair%%:*} role=${pair#*:}
	O="$(run_of "$m").kernel.sched.offcpu_us_by_role_reason.$role"
	check_ge "$m: $role blocked waiting for the backend at least once per request" \
		"$(jqr "$J" "$O | (.backend.count // 0)")" "$N"
	check_eq "$m: $role: backend is the longest busy off-CPU reason" \
		"$(jqr "$J" "$O | (.backend.us // 0) > ([to_entries[] | select(.key | IN(\"read_request\", \"write_response\", \"keepalive\", \"lingering_close\", \"other\")) | .value.us] | add // 0)")" true
done
check_clean "cgi"

# The same load on the static file: a CGI request costs many times its CPU.
S="$TMP/static.json"
"$MPMSCOPE" run -m prefork -s baseline -n "$N" -c 20 --json "$S" >"$TMP/out2" 2>&1
check_eq "run -m prefork -s baseline -n $N -c 20 exits 0" "$?" 0
cgi_cpu=$(jqr "$J" "$P.kernel.sched.cpu_us_per_request | floor")
static_cpu=$(jqr "$S" "$(run_of prefork).kernel.sched.cpu_us_per_request | floor")
check_ge "prefork: CPU per CGI request ($cgi_cpu us) >= 4 x the static file's ($static_cpu us)" \
	"$cgi_cpu" "$((4 * static_cpu))"
check_clean "static"
finish
