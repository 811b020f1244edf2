#!/bin/bash
# explain --html: one connection's story on each MPM drawn as a timeline.
# Each picture has one lane per server task that touched the connection (the
# tasks the story in words names), its phases in time order (listen queue,
# then read, handle, write and keep-alive idle per request, then the
# lingering close), held idle time hatched on prefork and worker and not on
# event, wake-ups as arrows; the page renders in headless Chromium.
. "$(dirname "$0")/lib.sh"

sed 's/^KeepAliveTimeout .*/KeepAliveTimeout     = 1/' "$ROOT/scenarios/keepalive.scn" >"$TMP/ka1.scn"

expect_error "explain --html: unwritable path" "cannot write /nonexistent-dir/x.html" \
	"$MPMSCOPE" explain -m event --html /nonexistent-dir/x.html
expect_error "explain: several MPMs without --html" "give exactly one MPM" "$MPMSCOPE" explain -m prefork,event
check_clean "explain: bad input"

H="$TMP/story.html"
"$MPMSCOPE" explain -m prefork,worker,event -s "$TMP/ka1.scn" --html "$H" >"$TMP/story.txt" 2>"$TMP/story.err"
check_eq "explain --html on three MPMs exits 0" "$?" 0 || cat "$TMP/story.err"
check_eq "no temporary file left" "$(find "$TMP" -name '*.tmp.*' | wc -l)" 0
# svg MPM: that MPM's picture
svg() { awk -v id="story-$1" 'index($0, "<svg class=\"chart\" id=\"" id "\"") { on = 1 } on { print } on && /<\/svg>/ { exit }' "$H"; }
# words MPM: that MPM's story in words, up to the socket's close
words() { awk -v m="$1" '/^explain: one keep-alive connection on / { on = ($6 == m) } on { print } on && /the connection is gone/ { exit }' "$TMP/story.txt"; }
for m in prefork worker event; do
	s=$(svg $m)
	check "$m: a timeline" test -n "$s"
	lanes=$(grep -o 'data-kind="task" data-tid="[0-9]*"' <<<"$s" | grep -o '[0-9]*' | sort -n | paste -sd,)
	told=$(words $m | grep -oE '(thread|process) [0-9]+' | grep -oE '[0-9]+' | sort -nu | paste -sd,)
	check_eq "$m: one lane per task the story names" "$lanes" "$told"
	check_ge "$m: at least one task lane" "$(grep -c 'data-kind="task"' <<<"$s")" 1
	phases=$(grep -o 'data-phase="[a-z-]*"' <<<"$s" | sed 's/.*="//; s/"//' | grep -v '^request$' | paste -sd' ')
	check_eq "$m: the phases, in time order" "$phases" \
		"listen-queue read handle write keepalive-idle read handle write keepalive-idle linger"
	check "$m: their start times never go back" awk -F'"' '{ for (i = 1; i < NF; i++) if ($i ~ /data-t0=$/) { t = $(i + 1) + 0;
		if (t < last) bad = 1; last = t } } END { exit bad }' \
		<(grep -o 'data-phase="[a-z-]*" data-lane="[0-9]*" data-t0="[0-9.]*"' <<<"$s" | grep -v '"request"')
	check_eq "$m: one arrow per wake-up the story tells" "$(grep -c 'class="arrow"' <<<"$s")" \
		"$(words $m | grep -c 'is woken by')"
	held=$(grep -c 'data-phase="keepalive-idle"[^>]*fill-opacity' <<<"$s")
	if [ $m = event ]; then
		check_eq "event: no task held while idle (no hatched bar)" "$held" 0
		lis=$(grep -o 'data-lane="[0-9]*" data-kind="task"' <<<"$s" | head -1 | grep -o '[0-9]*')
		check_eq "event: the idle gaps are on the listener's lane (the first task: it accepted)" \
			"$(grep -c "data-phase=\"keepalive-idle\" data-lane=\"$lis\"" <<<"$s")" 2
	else
		check_eq "$m: both idle gaps hatched: a task held" "$held" 2
	fi
done
check_eq "HTML: no network reference" "$(grep -ciE 'https?://|(src|href)="//' "$H")" 0
check_eq "HTML: no script" "$(grep -c '<script' "$H")" 0
check "HTML: the story in words beside" grep -q 'the story in words' "$H"
check_clean "explain --html"

if have_chromium; then
	chrome --screenshot="$TMP/story.png" --window-size=1200,1400 "file://$H" >/dev/null 2>"$TMP/chrome.err"
	check_ge "Chromium: screenshot rendered (bytes)" "$(stat -c %s "$TMP/story.png" 2>/dev/null || echo 0)" 50000
	check_eq "Chromium: PNG" "$(head -c 8 "$TMP/story.png" 2>/dev/null | od -An -c | tr -d ' ')" '211PNG\r\n032\n'
	chrome --dump-dom "file://$H" >"$TMP/dom.html" 2>>"$TMP/chrome.err"
	check_eq "Chromium: no console error" "$(grep -cE 'Uncaught|:CONSOLE[:(]' "$TMP/chrome.err")" 0
	check_eq "Chromium: DOM has the three timelines" "$(grep -o '<svg class="chart" id="story-' "$TMP/dom.html" | wc -l)" 3
	[ -n "${MPMSCOPE_KEEP_SCREENSHOT:-}" ] && cp "$TMP/story.png" "$MPMSCOPE_KEEP_SCREENSHOT"
else
	fail "Chromium: not installed and could not be installed (apt-get install chromium)"
fi

finish
