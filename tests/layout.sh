#!/bin/bash
# The source tree is the architecture: user/ in layers that include only
# downwards (base <- scenario <- apache, backend, load, trace <- model <- report <- cmd
# <- main.c), no include cycle, files and functions of a readable size, the
# scenario fuzz target built from the parser and base/ only, and README's
# Architecture section naming every file. Reads the sources; runs nothing.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

rank() {
	case $1 in
	base) echo 0 ;; scenario) echo 1 ;; apache | backend | load | trace) echo 2 ;;
	model) echo 3 ;; report) echo 4 ;; cmd) echo 5 ;; main.c) echo 6 ;; *) echo -1 ;;
	esac
}

# --- includes go down the layers --------------------------------------------------
bad=0
edges=$(mktemp)
for f in $(find user -name '*.[ch]' | sort); do
	layer=${f#user/}
	layer=${layer%%/*}
	r=$(rank "$layer")
	if [ "$r" -lt 0 ]; then
		echo "  $f: not in a layer"
		bad=$((bad + 1))
		continue
	fi
	while read -r inc; do
		case $inc in
		mpmscope.h) continue ;; # the BPF ABI, below every layer
		mpmscope.skel.h) [ "$f" = user/trace/tracer.c ] && continue ;;
		esac
		to=${inc%%/*}
		if [ "$to" = "$inc" ]; then
			echo "  $f: #include \"$inc\" does not name its layer"
			bad=$((bad + 1))
		elif [ "$to" != "$layer" ] && { [ "$(rank "$to")" -lt 0 ] || [ "$(rank "$to")" -ge "$r" ]; }; then
			echo "  $f: #include \"$inc\": $layer may not include $to"
			bad=$((bad + 1))
		fi
		echo "$f user/$inc" >>"$edges"
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
check_eq "every include names its layer and goes down the layers (base <- scenario <- apache/backend/load/trace <- model <- report <- cmd)" "$bad" 0
check "no include cycle among user/ files" bash -c "tsort '$edges' >/dev/null 2>'$TMP/tsort.err' && ! grep -q loop '$TMP/tsort.err'" ||
	cat "$TMP/tsort.err"
rm -f "$edges"

# --- sizes ----------------------------------------------------------------------------
big=$(find user -name '*.c' -exec wc -l {} + | awk '$2 != "total" && $1 > 800 { print "  " $2 ": " $1 " lines" }')
check "no user/ .c file over 800 lines" test -z "$big" || echo "$big"
big=$(wc -l bpf/*.bpf.c | awk '$2 != "total" && $1 >= 600 { print "  " $2 ": " $1 " lines" }')
check "every BPF source under 600 lines" test -z "$big" || echo "$big"
# a function body runs from "{" alone at column 0 to "}" at column 0 (the
# kernel style of the tree); data tables ("= {" ... "};") are not functions
long=$(awk 'FNR == 1 { inb = 0 }
	/^{$/ { inb = 1; start = FNR; next }
	/^}$/ { if (inb && FNR - start + 1 > 120) print "  " FILENAME ":" start ": " FNR - start + 1 " lines"; inb = 0 }' \
	$(find user bpf -name '*.c'))
check "no function over 120 lines" test -z "$long" || echo "$long"

# --- the scenario fuzz target: the parser and base/ only --------------------------
srcs=$(make -s --no-print-directory --eval='print-srcs: ; @echo $(FUZZ_SCENARIO_SRCS)' print-srcs)
others=$(tr ' ' '\n' <<<"$srcs" | grep -v -e '^user/scenario/' -e '^user/base/' | grep . || true)
check "the scenario fuzz target links only user/scenario/ and user/base/ ($(wc -w <<<"$srcs") files)" \
	test -n "$srcs" -a -z "$others" || echo "  also: $others"

# --- every folder says what it owns; README names every file ----------------------
for d in user/*/; do
	check "$d has a README saying what it owns and may include" grep -qi 'may include' "$d/README.md"
done
arch=$(sed -n '/^## Architecture/,/^## /p' README.md)
missing=
for f in $(find user bpf -name '*.[ch]' | sort); do
	b=$(basename "$f")
	# "util.[ch]" names util.c and util.h
	grep -qF -e "$b" -e "${b%.*}.[ch]" <<<"$arch" || missing="$missing $f"
done
check "README's Architecture section names every file of user/ and bpf/" test -z "$missing" || echo "  missing:$missing"

finish
