// SPDX-License-Identifier: MIT
/* version: mpmscope's version. */
#include <stdio.h>

#include "cmd/cmds.h"
#include "cmd/opts.h"

static const struct cmd_spec version_spec = { .name = "version", .usage = "", .about = "Print mpmscope's version." };

int cmd_version(int argc, char **argv)
{
	struct common_opts o;
	int rc = opts_get(&version_spec, argc, argv, &o, NULL);

	if (rc != OPTS_GO)
		return rc;
	printf("mpmscope %s\n", MPMSCOPE_VERSION);
	return 0;
}
