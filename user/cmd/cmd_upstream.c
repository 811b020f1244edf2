// SPDX-License-Identifier: MIT
/*
 * `mpmscope upstream --port N --delay D --max-seconds M`: the slow backend's
 * own process, exec'd by mpmscope itself (backend/upstream.c) so that it is
 * a task of its own, traced as the backend. Internal: not in the usage.
 */
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "base/units.h"
#include "cmd/cmds.h"

int cmd_upstream(int argc, char **argv)
{
	struct errbuf e = { { 0 } };
	uint64_t port = 0;
	double delay = -1, max_s = -1;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			err_set(&e, "upstream: %s needs a value", argv[i]);
			goto bad;
		}
		if (!strcmp(argv[i], "--port")) {
			if (parse_u64(v, &port, "--port", &e))
				goto bad;
		} else if (!strcmp(argv[i], "--delay")) {
			if (parse_seconds(v, &delay, "--delay", &e))
				goto bad;
		} else if (!strcmp(argv[i], "--max-seconds")) {
			if (parse_seconds(v, &max_s, "--max-seconds", &e))
				goto bad;
		} else {
			err_set(&e, "upstream: unknown option '%s'", argv[i]);
			goto bad;
		}
		i++;
	}
	if (!port || port > 65535 || delay < 0 || max_s <= 0) {
		err_set(&e, "upstream: needs --port N --delay D --max-seconds M (an internal command of mpmscope)");
		goto bad;
	}
	if (backend_upstream_serve((uint16_t)port, delay, max_s, &e) == 0)
		return 0;
bad:
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	return 2;
}
