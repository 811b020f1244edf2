#!/bin/bash
# make test-kernels: boot Debian 12's own kernel (linux-image-6.1.0-*-amd64)
# under qemu TCG with this machine's root read-only over 9p, run
# tests/kernels/guest.sh inside, and report its PASS/FAIL lines.
# Downloads and the unpacked kernel are cached in $KERNELS_DIR (build/kernels).
# Exit 0 only if the guest ran and every check passed.
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
KDIR=${KERNELS_DIR:-build/kernels}
TIMEOUT=${KERNELS_TIMEOUT:-600}
PKG=${KERNEL_PKG:-}
SCRIPT=${KERNELS_SCRIPT:-tests/kernels/guest.sh} # what the guest runs (relative to the repo, or absolute)
BIN=${KERNELS_MPMSCOPE:-}                         # another mpmscope binary to test (absolute path)
# KERNELS_APPEND: more words for the guest kernel command line (bench/syscall-cost: mspairs=N)
# virtio and 9p, loaded in this order (Debian builds them as modules)
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p"
mkdir -p "$KDIR"
KDIR=$(cd "$KDIR" && pwd)
t0=$(date +%s)

die() { echo "test-kernels: $*" >&2; exit 2; }
say() { echo "test-kernels: $*"; }

# --- tools ---------------------------------------------------------------------
need_pkgs=
command -v qemu-system-x86_64 >/dev/null || need_pkgs="$need_pkgs qemu-system-x86"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need_pkgs="$need_pkgs busybox-static"
command -v cpio >/dev/null || need_pkgs="$need_pkgs cpio"
command -v jq >/dev/null || need_pkgs="$need_pkgs jq"
if [ -n "$need_pkgs" ]; then
	[ "$(id -u)" = 0 ] || die "missing:$need_pkgs (install them: apt-get install$need_pkgs)"
	say "installing$need_pkgs"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need_pkgs >"$KDIR/apt.log" 2>&1; then
		apt-get update -qq >>"$KDIR/apt.log" 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need_pkgs >>"$KDIR/apt.log" 2>&1 ||
			die "cannot install$need_pkgs (see $KDIR/apt.log)"
	fi
fi
[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported (this is $(uname -m))"
[ -x build/mpmscope ] || die "build/mpmscope is not built (make)"

# --- the kernel package ----------------------------------------------------------
find_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | sed -nE 's/^ *Depends: (linux-image-[0-9][^ ]*-amd64)$/\1/p' | head -1; }
if [ -z "$PKG" ]; then
	PKG=$(find_pkg)
	if [ -z "$PKG" ]; then
		apt-get update -qq >/dev/null 2>&1
		PKG=$(find_pkg)
	fi
fi
deb=
if [ -n "$PKG" ]; then
	ver=$(apt-cache policy "$PKG" 2>/dev/null | sed -nE 's/^ *Candidate: ([^ ]+)$/\1/p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] && [ -f "$KDIR/${PKG}_${ver}_amd64.deb" ] && deb="$KDIR/${PKG}_${ver}_amd64.deb"
	if [ -z "$deb" ]; then
		say "downloading $PKG ${ver:-}"
		(cd "$KDIR" && apt-get download "$PKG" >"$KDIR/download.log" 2>&1) ||
			say "apt-get download $PKG failed: $(grep -E '^E:' "$KDIR/download.log" | head -1)"
		deb=$(ls -t "$KDIR/${PKG}"_*_amd64.deb 2>/dev/null | head -1)
	fi
fi
# apt unusable (offline, no lists): the newest kernel already cached
[ -n "$deb" ] || deb=$(ls -t "$KDIR"/linux-image-*_amd64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || die "no Debian kernel package: 'apt-cache depends linux-image-amd64' named ${PKG:-nothing} and none is cached in $KDIR (apt-get update, or put a linux-image-*-amd64 .deb there)"
say "kernel package $(basename "$deb")"

x="$KDIR/$(basename "$deb" .deb)"
if [ ! -f "$x/.unpacked" ]; then
	rm -rf "$x"
	dpkg-deb -x "$deb" "$x" || die "dpkg-deb -x $deb failed"
	touch "$x/.unpacked"
fi
vmlinuz=$(ls "$x"/boot/vmlinuz-* 2>/dev/null | head -1)
[ -n "$vmlinuz" ] || die "no boot/vmlinuz-* in $deb"
kver=${vmlinuz##*/vmlinuz-}
mdir="$x/lib/modules/$kver"

# --- initramfs: busybox, the modules, /init ---------------------------------------
ird="$KDIR/initramfs.d"
rm -rf "$ird"
mkdir -p "$ird/bin" "$ird/lib/modules"
cp /bin/busybox "$ird/bin/busybox"
cp tests/kernels/init "$ird/init"
chmod 755 "$ird/init"
: >"$ird/modules.order"
for m in $MODULES; do
	f=$(find "$mdir/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -1)
	if [ -z "$f" ]; then
		grep -qE "/$m\.ko" "$mdir/modules.builtin" 2>/dev/null && continue # built in
		die "module $m not found in $(basename "$deb")"
	fi
	case "$f" in
	*.xz) xz -dc "$f" >"$ird/lib/modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$ird/lib/modules/$m.ko" ;;
	*.gz) gzip -dc "$f" >"$ird/lib/modules/$m.ko" ;;
	*) cp "$f" "$ird/lib/modules/$m.ko" ;;
	esac || die "cannot unpack $f"
	echo "$m" >>"$ird/modules.order"
done
initrd="$KDIR/initramfs-$kver.cpio.gz"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd" || die "cannot pack the initramfs"

# --- boot -----------------------------------------------------------------------------
log="$KDIR/guest.log"
say "booting $kver under qemu TCG (timeout ${TIMEOUT}s), host root read-only over 9p"
tb=$(date +%s)
# thread=single: qemu's multi-threaded TCG (its default for x86 guests) can
# leave a vCPU running a stale translation of kernel text that another vCPU
# has just patched. Attaching or detaching a tracepoint or a trampoline
# patches kernel text (text_poke_bp: an int3, then the new bytes); when the
# int3 is already gone from memory, the kernel's handler backs up to re-run
# the new instruction, but the vCPU re-runs its cached int3 instead, forever.
# Seen here on the 6.1 guest in syscall_trace_enter (the sys_enter static key)
# and at vfs_read's fentry site (doctor's fentry probe), both CPUs in soft
# lockup: four times here, CI included; with a syscall stressor beside a loop
# of doctor, at the 2nd cycle. One host thread for both vCPUs runs them in
# turn and sees every write at once (60 cycles of that loop, no hang); the
# guest runs about 1.3x slower.
# softlockup_panic: a CPU stuck for 20 s ends the guest with the kernel's
# report on the console at once, not after the whole timeout.
timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg,thread=single -cpu max -m 2G -smp 2 \
	-kernel "$vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 softlockup_panic=1 quiet msroot=$ROOT msscript=$SCRIPT${BIN:+ msbin=$BIN}${KERNELS_APPEND:+ $KERNELS_APPEND}" \
	-nographic -no-reboot -nic none \
	-virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap \
	</dev/null 2>&1 |
	awk -v out="$log" '
		{ gsub(/\r/, ""); print > out; fflush(out) }
		/MSGUEST/ { up = 1 }
		/^qemu-system-x86_64: warning/ { next }
		/^\[ *[0-9.]+\] / && !up { next }
		{ print; fflush() }'
qrc=${PIPESTATUS[0]}
te=$(date +%s)

guest_uname=$(sed -nE 's/.*MSGUEST uname: (.*)$/\1/p' "$log" | tail -1)
result=$(grep -E '^MSGUEST-RESULT ' "$log" | tail -1)
echo
say "guest kernel: ${guest_uname:-unknown} (host: $(uname -r))"
say "guest run $((te - tb)) s, in all $((te - t0)) s"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	say "FAIL: qemu timed out after ${TIMEOUT}s (log: $log)"
	exit 1
fi
if [ -z "$result" ]; then
	panic=$(grep -m1 -oE 'Kernel panic - not syncing: .*' "$log")
	if [ -n "$panic" ]; then
		say "FAIL: the guest kernel panicked ($panic; the report is above, log: $log)"
		grep -E 'BUG: |RIP: 0010' "$log" | head -4
	else
		say "FAIL: the guest did not report (qemu exit $qrc; log: $log)"
	fi
	grep -E 'MSGUEST|Kernel panic|not syncing' "$log" | tail -5
	exit 1
fi
counts=${result#*: }
say "$counts"
echo "$counts" | grep -qE '^[0-9]+ passed, 0 failed$'
