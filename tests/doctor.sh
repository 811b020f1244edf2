#!/bin/bash
# mpmscope doctor on this machine: every claim it makes is checked against
# what the kernel shows by other means (sysfs, procfs, BTF), so the test stays
# true on any kernel; plus bad --btf input, and the CO-RE helpers of
# bpf/core_fixes.bpf.h exercised on this kernel.
. "$(dirname "$0")/lib.sh"

D="$TMP/doctor.out"
"$MPMSCOPE" doctor >"$D" 2>"$TMP/doctor.err"
rc=$?
cat "$D"
check_eq "doctor exits 0 (mpmscope can run here)" "$rc" 0
check_eq "doctor prints nothing on stderr" "$(wc -l <"$TMP/doctor.err")" 0
claim() { sed -nE "s/^$1: +([a-z_-]+)[ ,(].*/\1/p; s/^$1: +([a-z_-]+)$/\1/p" "$D" | head -1; }
exists() { if [ -e "$1" ]; then echo "$2"; else echo "$3"; fi; }

check_eq "kernel line is uname -r" "$(sed -nE 's/^kernel: +([^ ]+) .*/\1/p' "$D")" "$(uname -r)"
check_eq "btf claim matches /sys/kernel/btf/vmlinux" "$(claim btf)" "$(exists /sys/kernel/btf/vmlinux ok absent)"
check_eq "privileges: root has what tracing needs" "$(claim privileges)" ok
check_eq "kprobes claim matches the kprobe PMU in sysfs" "$(claim kprobes)" \
	"$(exists /sys/bus/event_source/devices/kprobe/type ok absent)"
check_eq "uprobes claim matches the uprobe PMU in sysfs" "$(claim uprobes)" \
	"$(exists /sys/bus/event_source/devices/uprobe/type ok absent)"
tfs=absent
{ [ -e /sys/kernel/tracing/available_events ] || [ -e /sys/kernel/debug/tracing/available_events ]; } && tfs=ok
check_eq "tracefs claim matches the mounts" "$(claim tracefs)" "$tfs"
check_eq "ring buffer usable" "$(claim ringbuf)" ok
st=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)
check_eq "bpf_stats claim matches the sysctl" "$(claim bpf_stats)" "$([ "$st" = 1 ] && echo on || echo off)"
check "fentry: a verdict with its reason (ok, or the kernel's errno)" \
	grep -qE '^fentry: +(ok, a fentry/vfs_read program loaded and attached|(refused|absent), .*: [A-Z][a-z]+)' "$D"
state=$(bpftool btf dump file /sys/kernel/btf/vmlinux format c 2>/dev/null | awk '/^struct task_struct \{/{on=1} on&&/__state;/{print "__state"; exit} on&&/^\};/{on=0}')
check_eq "co-re claim about task_struct's state field matches the BTF" \
	"$(sed -nE 's/^co-re: +ok, task_struct\.([_a-z]+) .*/\1/p' "$D")" "${state:-state}"

# The real programs: the path the probes take, and the raw_tp fallback.
tpb=$(claim tp_btf)
n=$(sed -nE 's/^probes: +[a-z_]+ \(([0-9]+) programs attached\).*/\1/p' "$D")
nraw=$(sed -nE 's/^probes-raw: +raw_tp \(([0-9]+) programs attached\).*/\1/p' "$D")
check_eq "probes take tp_btf when the tp_btf probe works" "$(sed -nE 's/^probes: +([a-z_]+) .*/\1/p' "$D")" \
	"$([ "$tpb" = ok ] && echo tp_btf || echo raw_tp)"
check_ge "probes: programs attached" "$n" 1
check_eq "forced raw_tp attaches as many programs" "${nraw:-none}" "$n"
# the syscalls by the cheapest way the kernel accepts, the others said with why
want="syscall tracepoints"
[ "$(claim fentry)" = ok ] && want=fexit
check_eq "syscalls: the cheapest way offered (fentry $(claim fentry), kprobes $(claim kprobes))" \
	"$(sed -nE 's/^syscalls: +(fexit|kprobe|syscall tracepoints|sys_enter\/sys_exit) .*/\1/p' "$D")" "$want"
if [ "$want" != fexit ]; then
	check "syscalls: why not fexit" grep -qE '^syscalls: .*not taken: fexit: .*[A-Z][a-z]+' "$D"
fi
check "verdict line says ok" grep -qE '^verdict: +ok, mpmscope can run here' "$D"
check_clean "doctor"

# Explicit --btf: the kernel's own file works the same.
"$MPMSCOPE" doctor --btf /sys/kernel/btf/vmlinux >"$TMP/d2" 2>&1
check_eq "doctor --btf /sys/kernel/btf/vmlinux exits 0" "$?" 0
check "doctor --btf PATH names that file" grep -qE '^btf: +ok, /sys/kernel/btf/vmlinux ' "$TMP/d2"

# Bad input: one line, non-zero exit.
expect_error "doctor --btf missing file" "BTF file /nonexistent: No such file" "$MPMSCOPE" doctor --btf /nonexistent
expect_error "compare --btf missing file" "BTF file /nonexistent: No such file" "$MPMSCOPE" compare --btf /nonexistent
expect_error "doctor unknown option" "unknown option" "$MPMSCOPE" doctor --frobnicate
# A file that is not BTF: doctor says so and exits 1.
echo "not BTF" >"$TMP/bad.btf"
"$MPMSCOPE" doctor --btf "$TMP/bad.btf" >"$TMP/d3" 2>&1
check_eq "doctor --btf on a file that is not BTF exits 1" "$?" 1
check "... and says it is not BTF" grep -qE "^btf: +refused, .*not readable as BTF" "$TMP/d3"
# Without privileges: said, and exit 1.
setpriv --bounding-set -bpf,-perfmon,-sys_admin "$MPMSCOPE" doctor >"$TMP/d4" 2>&1
check_eq "doctor without CAP_BPF/CAP_SYS_ADMIN exits 1" "$?" 1
check "... and names the missing capabilities" grep -qE '^privileges: +missing, CAP_BPF no' "$TMP/d4"
check_clean "doctor bad input"

# bpf/core_fixes.bpf.h on this kernel (tests/kernels/core_check.c).
if [ -x "$ROOT/build/kernels/core_check" ]; then
	"$ROOT/build/kernels/core_check" >"$TMP/core" 2>&1
	rc=$?
	sed 's/^/  /' "$TMP/core"
	check_eq "CO-RE helpers read the right fields on this kernel" "$rc" 0
else
	fail "build/kernels/core_check not built (make core-check)"
fi

finish
