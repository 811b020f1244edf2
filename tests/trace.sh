#!/bin/bash
# trace against an Apache mpmscope did not start: a plain `apache2 -k start`
# (it daemonizes) with a private config. The tracer must find its MPM, its
# processes and threads, its port, see the accepts of a load and the fork
# that replaces a killed child.
. "$(dirname "$0")/lib.sh"

plain_apache event <<'CONF'
StartServers 2
CONF
check_eq "apache2 -k start (outside mpmscope) starts" "$?" 0

J="$TMP/trace.json"
"$MPMSCOPE" trace -p "$HPID" -d 7 -i 1 --json "$J" >"$TMP/trace.out" 2>&1 &
tpid=$!
sleep 2
"$MPMSCOPE" load -q -n 500 -c 5 "http://127.0.0.1:$PORT/test.html" >/dev/null 2>&1
check_eq "load against it exits 0" "$?" 0
victim=$(pgrep -P "$HPID" | head -1)
kill -9 "$victim"
wait "$tpid"
check_eq "trace exits 0" "$?" 0
cat "$TMP/trace.out" | head -3
check "trace tells the MPM and the port" grep -q "event MPM: mod_mpm_event.so is mapped.*port $PORT" "$TMP/trace.out"
check_ge "trace saw the load's accepts" "$(jqr "$J" '.runs[0].kernel.accepts_total')" 500
check_eq "the killed child shows as an exit by signal 9" \
	"$(jqr "$J" "[.runs[0].kernel.procs[] | select(.pid == $victim) | .exit] | join(\",\")")" "signal 9"
check_ge "the parent forked its replacement" "$(jqr "$J" '.runs[0].kernel.processes_created')" 1
check_ge "its threads were created too" "$(jqr "$J" '.runs[0].kernel.threads_created')" 2
check_ge "connections followed from the handshake to the close" "$(jqr "$J" '.runs[0].kernel.conn.connections')" 500
check_ge "listener wake-ups seen" "$(jqr "$J" '[.runs[0].kernel.sched.wakeups_by_pair[] | select(.wakee == "listener") | .count] | add // 0')" 1

# -C finds the same server by its command name
"$MPMSCOPE" trace -C "$(basename "$HTTPD")" -d 1 -i 0 >"$TMP/trace-c.out" 2>&1
check_eq "trace -C $(basename "$HTTPD") exits 0" "$?" 0
check "trace -C found the same parent" grep -q "$(basename "$HTTPD") $HPID" "$TMP/trace-c.out"
pid=$HPID
plain_stop
check "apache2 -k stop stopped it" bash -c "! kill -0 $pid 2>/dev/null"
check_clean "trace"
finish
