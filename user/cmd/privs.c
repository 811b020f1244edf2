// SPDX-License-Identifier: MIT
#include "cmd/privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

/* the four every command keeps; trace keeps the fifth to write its reports */
static const cap_value_t keep[] = { CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_DAC_OVERRIDE };

static bool has_effective(cap_value_t c)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (caps) {
		cap_get_flag(caps, c, CAP_EFFECTIVE, &v);
		cap_free(caps);
	}
	return v == CAP_SET;
}

int privs_after_attach(const char *user, bool writes, struct errbuf *e)
{
	int nkeep = (int)ARRAY_SIZE(keep) - !writes;
	bool leave = user && strcmp(user, "root");
	struct passwd *pw = NULL;
	cap_t caps;
	int rc;

	if (geteuid() != 0 || (leave && !has_effective(CAP_SETUID)))
		return 0;
	if (leave) {
		if (!(pw = getpwnam(user))) {
			err_set(e, "--user %s: no such user", user);
			return -1;
		}
		if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
			err_set(e, "cannot become user %s: %s", user, strerror(errno));
			return -1;
		}
	}
	caps = cap_init();
	rc = !caps || cap_set_flag(caps, CAP_PERMITTED, nkeep, keep, CAP_SET) ||
	     cap_set_flag(caps, CAP_EFFECTIVE, nkeep, keep, CAP_SET) || cap_set_proc(caps);
	if (rc)
		err_set(e, "cannot keep only the capabilities needed after attaching: %s", strerror(errno));
	cap_free(caps);
	if (leave)
		prctl(PR_SET_KEEPCAPS, 0);
	return rc ? -1 : 0;
}
