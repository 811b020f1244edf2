// SPDX-License-Identifier: MIT
#include "base/mpm.h"

#include <string.h>
#include <strings.h>

static const char *const mpm_names[MPM__MAX] = { "prefork", "worker", "event" };

const char *mpm_name(enum mpm m)
{
	return (unsigned)m < MPM__MAX ? mpm_names[m] : "?";
}

int mpm_parse(const char *s, enum mpm *out)
{
	for (int i = 0; i < MPM__MAX; i++) {
		if (s && !strcasecmp(s, mpm_names[i])) {
			*out = (enum mpm)i;
			return 0;
		}
	}
	return -1;
}

int mpm_parse_list(const char *list, bool *mpms, struct errbuf *e)
{
	char buf[256], *save = NULL;
	int n = 0;

	if (strlen(list) >= sizeof(buf)) {
		err_set(e, "-m: list too long");
		return -1;
	}
	strcpy(buf, list);
	memset(mpms, 0, sizeof(bool) * MPM__MAX);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum mpm m;

		if (mpm_parse(tok, &m)) {
			err_set(e, "unknown MPM '%s' (expected prefork, worker or event)", tok);
			return -1;
		}
		mpms[m] = true;
		n++;
	}
	if (!n) {
		err_set(e, "-m: no MPM given (expected prefork, worker or event)");
		return -1;
	}
	return 0;
}
