// SPDX-License-Identifier: MIT
/* scenarios: the scenario files, one line each with its description. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmds.h"
#include "cmd/opts.h"
#include "scenario/scenario.h"

static const struct cmd_spec scenarios_spec = {
	.name = "scenarios",
	.usage = "",
	.about = "List the scenario files, each with its description (see 'mpmscope compare -s NAME').",
};

int cmd_scenarios(int argc, char **argv)
{
	struct common_opts o;
	struct errbuf e = { { 0 } };
	char **names = NULL;
	int n = opts_get(&scenarios_spec, argc, argv, &o, NULL);

	if (n != OPTS_GO)
		return n;
	if ((n = scenario_list(&names, &e)) < 0) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		struct scenario sc;

		if (scenario_load(&sc, names[i], &e)) {
			printf("%-20s (invalid: %s)\n", names[i], e.msg);
		} else {
			printf("%-20s %s\n", names[i], sc.description);
			scenario_free(&sc);
		}
	}
	scenario_list_free(names, n);
	return 0;
}
