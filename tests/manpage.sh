#!/bin/bash
# The man page against the binary: every command of `mpmscope --help` has its
# section, and every option that a command's --help prints (short letter,
# long name and aliases) is documented in that section, or in a shared
# section whose first line names the command; man --warnings is silent; the
# parts a reader looks for are there. Runs no BPF.
. "$(dirname "$0")/lib.sh"
MAN="$ROOT/doc/mpmscope.1"

# the roff source cut into sections: "TITLE<TAB>text" per .SS, text with
# roff's \- unescaped and font escapes removed
sections() {
	awk '/^\.SS / { if (t != "") print t "\t" body; t = substr($0, 5); gsub(/"/, "", t); body = ""; next }
		/^\.SH / { if (t != "") print t "\t" body; t = ""; body = ""; next }
		t != "" { body = body " " $0 }
		END { if (t != "") print t "\t" body }' "$MAN" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g'
}
sections >"$TMP/sections"

# a command's options as its --help prints them, one per line: -x, --name
options_of() {
	local h
	h=$("$MPMSCOPE" "$1" --help)
	{
		sed -n 's/^ \{2,6\}\(-[A-Za-z], \)\{0,1\}\(-[A-Za-z], \)\{0,1\}\(--[a-z][-a-z]*\).*/\1 \2 \3/p' <<<"$h"
		grep -o '(also --[a-z][-a-z]*)' <<<"$h" | sed 's/(also \(.*\))/\1/'
	} | tr -s ', ' '\n\n' | grep .
}

# the sections documenting COMMAND: its own (its title names it), and the
# shared ones (a title that names no command) whose first line names it
text_for() {
	awk -F'\t' -v c="$1" -v all=" $cmds " '{
		n = split($1, names, /, */); own = 0; shared = 1
		for (i = 1; i <= n; i++) {
			if (names[i] == c) own = 1
			if (index(all, " " names[i] " ")) shared = 0
		}
		first = $2; sub(/^ */, "", first); head = substr(first, 1, 120)
		if (own || (shared && head ~ ("(^|[ ,])" c "([ ,]|$)"))) print $2
	}' "$TMP/sections"
}

cmds=$("$MPMSCOPE" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | tr '\n' ' ')
check_ge "mpmscope --help lists the commands" "$(wc -w <<<"$cmds")" 10
for c in $cmds; do
	check "man: a section for $c" bash -c "awk -F'\t' '{ print \$1 }' '$TMP/sections' | tr ',' '\n' | sed 's/^ *//' | grep -qx '$c'"
	text=$(text_for "$c")
	missing=
	n=0
	for o in $(options_of "$c"); do
		n=$((n + 1))
		grep -qE -- "(^|[^-a-zA-Z])$o([^-a-zA-Z]|$)" <<<"$text" || missing="$missing $o"
	done
	check "man: every option of '$c --help' documented in its section ($n)" test -z "$missing" ||
		echo "  missing:$missing"
done

# warnings of man's and groff's own
LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN" >/dev/null 2>"$TMP/man.err"
check "man --warnings -l doc/mpmscope.1: no warning" test ! -s "$TMP/man.err" || head -5 "$TMP/man.err"
groff -man -ww -z "$MAN" 2>"$TMP/groff.err"
check "groff -ww: no warning" test ! -s "$TMP/groff.err" || head -5 "$TMP/groff.err"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" ENVIRONMENT FILES REQUIREMENTS EXAMPLES "SEE ALSO"; do
	check "man: a $s section" grep -qE "^\.SH \"?$s\"?$" "$MAN"
done
check "man: the kernel requirement as README says it (5.15)" \
	bash -c "grep -q 'kernel >= 5.15' '$ROOT/README.md' && grep -q 'kernel >= 5.15' '$MAN'"
for code in 0 1 2 130; do
	check "man: exit status $code" bash -c "sed -n '/^\.SH \"EXIT STATUS\"/,/^\.SH /p' '$MAN' | grep -qx '\.B $code'"
done
check_eq "man: the version is the binary's" "$(sed -n 's/^\.TH .*"mpmscope \([^"]*\)".*/\1/p' "$MAN")" \
	"$(cat "$ROOT/VERSION")"
finish
