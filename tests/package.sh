#!/bin/bash
# The Debian package, as a host's configuration management would use it:
# `make deb` from a clean clone of this repository (committed state), lintian
# clean, dpkg -i, then /usr/bin/mpmscope with no environment (scenarios,
# doctor, compare -s baseline), the exporter's unit accepted by
# systemd-analyze verify and its ExecStart run under exactly the unit's
# CapabilityBoundingSet (and refused with one capability fewer), dpkg -P
# leaving nothing behind; and `make install` to any PREFIX/DESTDIR finding
# its scenarios.
. "$(dirname "$0")/lib.sh"

W=$(mktemp -d /tmp/mpmscope-pkg.XXXXXX)
trap 'plain_stop; dpkg -s mpmscope >/dev/null 2>&1 && dpkg -P mpmscope >/dev/null 2>&1; rm -rf "$W" "$TMP"' EXIT
VERSION=$(cat "$ROOT/VERSION")
ARCH=$(dpkg --print-architecture)
CLEAN_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin)

if dpkg -s mpmscope >/dev/null 2>&1; then
	fail "mpmscope is already installed as a package on this machine: not a test's to remove"
	finish
	exit 1
fi

# ---- build from a clean clone -------------------------------------------------------------------
git clone -q "$ROOT" "$W/src"
check "git clone of the repository" test -f "$W/src/debian/control"
start=$(date +%s)
make -C "$W/src" deb >"$W/deb.log" 2>&1
check_eq "make deb in the clone exits 0 ($(($(date +%s) - start)) s)" "$?" 0 || tail -20 "$W/deb.log"
DEB="$W/src/build/mpmscope_${VERSION}_${ARCH}.deb"
check "it built mpmscope_${VERSION}_${ARCH}.deb ($(stat -c %s "$DEB" 2>/dev/null) bytes)" test -s "$DEB"
# lintian: nothing at all, or only tags the package overrides with a reason
tags=$(grep -E '^[EWIPX]: ' "$W/src/build/deb/lintian.log" || true)
check "lintian: no error, warning, info or experimental tag left" test -z "$tags" || echo "$tags"
check "lintian ran (its log names the package or is empty: clean)" test -f "$W/src/build/deb/lintian.log"

# ---- install, use with no environment ---------------------------------------------------------
dpkg -i "$DEB" >"$W/dpkg-i.log" 2>&1
check_eq "dpkg -i exits 0" "$?" 0 || tail -5 "$W/dpkg-i.log"
dpkg -L mpmscope >"$W/files"
for f in /usr/bin/mpmscope /usr/share/man/man1/mpmscope.1.gz /usr/share/bash-completion/completions/mpmscope \
	/usr/share/mpmscope/grafana-dashboard.json /usr/share/mpmscope/scenarios/baseline.scn \
	/usr/share/mpmscope/schema/compare.schema.json /lib/systemd/system/mpmscope-exporter.service \
	/etc/default/mpmscope-exporter; do
	check "installs $f" test -f "$f"
done
(cd / && "${CLEAN_ENV[@]}" /usr/bin/mpmscope scenarios) >"$W/scenarios.out" 2>&1
check_eq "/usr/bin/mpmscope scenarios, no environment: exits 0" "$?" 0
check_eq "it lists the installed scenarios" "$(awk '{ print $1 }' "$W/scenarios.out" | sort | tr '\n' ' ')" \
	"$(cd /usr/share/mpmscope/scenarios && ls ./*.scn | sed 's|^\./||; s|\.scn$||' | sort | tr '\n' ' ')"
(cd / && "${CLEAN_ENV[@]}" /usr/bin/mpmscope doctor) >"$W/doctor.out" 2>&1
check_eq "/usr/bin/mpmscope doctor: exits 0 (mpmscope can run here)" "$?" 0 || tail -5 "$W/doctor.out"
(cd / && "${CLEAN_ENV[@]}" /usr/bin/mpmscope compare -s baseline --json "$TMP/pkg-compare.json") >"$W/compare.out" 2>&1
check_eq "/usr/bin/mpmscope compare -s baseline: exits 0" "$?" 0 || tail -5 "$W/compare.out"
check_eq "compare: three MPMs, 1000 requests completed on each" \
	"$(jq -r '[.runs[] | "\(.mpm)=\(.load.completed)"] | join(" ")' "$TMP/pkg-compare.json")" \
	"prefork=1000 worker=1000 event=1000"
check "man mpmscope finds the installed page" sh -c "man -w mpmscope | grep -q '^/usr/share/man/man1/mpmscope.1'"
complete_of() { # WORDS...: what the installed completion offers for the last word
	bash -c '. /usr/share/bash-completion/bash_completion
		. /usr/share/bash-completion/completions/mpmscope
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_mpmscope; echo "${COMPREPLY[*]}"' complete_of "$@" 2>/dev/null
}
check_eq "bash completion: mpmscope tr<TAB>" "$(complete_of /usr/bin/mpmscope tr)" trace
check_eq "bash completion: trace --h<TAB> (from the binary's --help)" "$(complete_of /usr/bin/mpmscope trace --h)" \
	"--hist --html --help"
check_eq "bash completion: compare -s ba<TAB> (the installed scenarios)" \
	"$(complete_of /usr/bin/mpmscope compare -s ba)" baseline

# ---- the exporter's unit ----------------------------------------------------------------------
UNIT=/lib/systemd/system/mpmscope-exporter.service
systemd-analyze verify "$UNIT" >"$W/verify.out" 2>&1
check_eq "systemd-analyze verify $(basename "$UNIT"): accepted (works without systemd as PID 1)" "$?" 0 ||
	cat "$W/verify.out"
check "verify said nothing" test ! -s "$W/verify.out" || cat "$W/verify.out"
sed 's/^Restart=on-failure/Restart=sometimes/' "$UNIT" >"$W/broken.service"
systemd-analyze verify "$W/broken.service" >"$W/broken.out" 2>&1
check "verify rejects a broken copy (Restart=sometimes)" grep -q "Failed to parse service restart specifier" "$W/broken.out"
check_eq "unit: Restart=on-failure" "$(sed -n 's/^Restart=//p' "$UNIT")" on-failure
check "unit: ordered after apache2.service" grep -qE '^After=.*\bapache2\.service\b' "$UNIT"
check "unit: ExecStart is serve with /etc/default's ARGS" grep -qxF 'ExecStart=/usr/bin/mpmscope serve $ARGS' "$UNIT"
check "unit: EnvironmentFile is /etc/default/mpmscope-exporter" \
	grep -qxF 'EnvironmentFile=-/etc/default/mpmscope-exporter' "$UNIT"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
check "unit: a capability bounding set ($caps)" test -n "$caps"
check_eq "unit: a user of its own, not root (DynamicUser)" "$(sed -n 's/^DynamicUser=//p' "$UNIT")" yes
check_eq "unit: the same capabilities given (ambient) as bounded" "$(sed -n 's/^AmbientCapabilities=//p' "$UNIT")" "$caps"
# systemd is not PID 1 here, so the unit cannot be started: run its
# ExecStart as systemd would, as a uid of DynamicUser's range that owns
# nothing, with exactly those capabilities,
# against an Apache started the system's way (children as www-data).
setpriv_caps() { # CAP_A CAP_B... -> -all,+a,+b
	local s=-all c
	for c in "$@"; do s="$s,+$(tr 'A-Z' 'a-z' <<<"${c#CAP_}")"; done
	echo "$s"
}
# shellcheck disable=SC1091 # the package's own file
ARGS=$(. /etc/default/mpmscope-exporter && echo "$ARGS")
plain_apache event <<'CONF'
StartServers 2
CONF
check_eq "a plain apache2 -k start for the exporter" "$?" 0
exporter() { # bounding set: serve with the unit's ARGS, its --listen on a free port
	local listen
	listen="127.0.0.1:$(free_port)"
	# shellcheck disable=SC2086 # ARGS is words, as systemd splits $ARGS
	setpriv --reuid=61184 --regid=61184 --clear-groups --inh-caps="$1" --ambient-caps="$1" \
		--bounding-set="$1" --no-new-privs /usr/bin/mpmscope serve $ARGS --listen "$listen" \
		>"$W/serve.out" 2>"$W/serve.err" &
	SERVE_PID=$!
	SERVE_URL="http://$listen/metrics"
}
# shellcheck disable=SC2086
exporter "$(setpriv_caps $caps)"
for _ in $(seq 100); do grep -q serving "$W/serve.out" 2>/dev/null && break; kill -0 $SERVE_PID 2>/dev/null || break; sleep 0.1; done
curl -s "$SERVE_URL" >"$W/metrics" 2>/dev/null
check "ExecStart under exactly '$caps' serves the Apache's metrics" \
	grep -q "^mpmscope_info{mpm=\"event\",httpd_pid=\"$HPID\"" "$W/metrics" || cat "$W/serve.err"
kill -TERM $SERVE_PID 2>/dev/null
reaped $SERVE_PID "the exporter stops on SIGTERM with 0" 0
# (CAP_DAC_READ_SEARCH reads root:adm 0750 logs; this test's Apache logs
# where anyone may read)
for drop in ${caps/CAP_DAC_READ_SEARCH/}; do
	# shellcheck disable=SC2086
	exporter "$(setpriv_caps ${caps/$drop/})"
	for _ in $(seq 50); do kill -0 $SERVE_PID 2>/dev/null || break; sleep 0.1; done
	if kill -0 $SERVE_PID 2>/dev/null; then
		kill -TERM $SERVE_PID
		wait $SERVE_PID
		fail "without $drop the exporter still runs: the unit grants more than it needs"
	else
		wait $SERVE_PID
		pass "without $drop it cannot run: $(head -c 120 "$W/serve.err")"
	fi
done
plain_stop

# ---- purge: nothing of it left -------------------------------------------------------------------
dpkg -P mpmscope >"$W/dpkg-p.log" 2>&1
check_eq "dpkg -P exits 0" "$?" 0 || tail -5 "$W/dpkg-p.log"
left=
while IFS= read -r f; do
	[ -d "$f" ] && continue # shared directories (/usr/bin, /lib -> usr/lib...) stay
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$W/files"
for d in /usr/share/mpmscope /usr/share/doc/mpmscope /etc/default/mpmscope-exporter; do
	[ -e "$d" ] && left="$left $d"
done
check "dpkg -P removed every file it installed ($(wc -l <"$W/files") paths)" test -z "$left" || echo "  left:$left"
check "dpkg knows no mpmscope any more" bash -c "! dpkg -s mpmscope >/dev/null 2>&1"

# ---- make install to any PREFIX and DESTDIR ----------------------------------------------------
# objects compiled for PREFIX=/usr (the package's), installed elsewhere: the
# binary looks beside itself, not at the PREFIX it was built with
B="$W/src/build/deb/mpmscope-$VERSION"
make -C "$B" install PREFIX=/opt/mpmscope DESTDIR="$W/dest" >"$W/install.log" 2>&1
check_eq "make install PREFIX=/opt/mpmscope DESTDIR=... exits 0" "$?" 0 || tail -5 "$W/install.log"
sed 's/^name .*/name = zz-installed/' "$ROOT/scenarios/baseline.scn" \
	>"$W/dest/opt/mpmscope/share/mpmscope/scenarios/zz-installed.scn"
(cd / && "${CLEAN_ENV[@]}" "$W/dest/opt/mpmscope/bin/mpmscope" scenarios) >"$W/dest.out" 2>&1
check "the DESTDIR binary lists the DESTDIR's scenarios" grep -q '^zz-installed ' "$W/dest.out" || cat "$W/dest.out"
check_eq "and all of them" "$(grep -c . "$W/dest.out")" "$(ls "$W/dest/opt/mpmscope/share/mpmscope/scenarios" | grep -c '\.scn$')"

rm -rf "$W"
check "the build directory is removed" test ! -e "$W"
check_clean "package"
finish
