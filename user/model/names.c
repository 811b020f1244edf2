// SPDX-License-Identifier: MIT
#include "model/names.h"

#include <string.h>

#include "base/util.h"
#include "mpmscope.h"

const char *role_name(int role)
{
	static const char *const n[] = { "other", "parent", "prefork_child", "child_main", "starter",
					 "listener", "worker", "cgi", "cgid", "fpm_master", "fpm_worker",
					 "backend", "kernel", "external" };

	_Static_assert(ARRAY_SIZE(n) == MS_WAKERS, "a name for every role and waker");
	return role >= 0 && role < (int)ARRAY_SIZE(n) ? n[role] : "?";
}

const char *offcpu_name(int reason)
{
	static const char *const n[] = { "wait_connection", "accept_mutex", "idle_worker", "wait_idle_worker",
					 "keepalive", "read_request", "write_response", "lingering_close",
					 "parent_maintenance", "pipe_of_death", "backend", "other" };

	_Static_assert(ARRAY_SIZE(n) == MS_OFF__MAX, "a name for every off-CPU reason");
	return reason >= 0 && reason < (int)ARRAY_SIZE(n) ? n[reason] : "?";
}

const char *errno_slot_name(int slot)
{
	static const char *const restart[] = { "ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD",
					       "ERESTART_RESTARTBLOCK", "EPROBE_DEFER", "EOPENSTALE", "ENOPARAM" };
	const char *n;

	if (slot >= MS_ERRNO_RESTART_BASE && slot < MS_ERRNO_SLOTS)
		return restart[slot - MS_ERRNO_RESTART_BASE];
	n = slot > 0 && slot < MS_ERRNO_RESTART_BASE ? strerrorname_np(slot) : NULL;
	return n ? n : "other";
}

bool offcpu_idle_by_design(int reason)
{
	return reason == MS_OFF_WAIT_CONN || reason == MS_OFF_POD || reason == MS_OFF_MAINTENANCE;
}


const char *phase_name(enum phase p)
{
	static const char *const n[] = { "startup", "load", "after" };

	return p < PHASE__MAX ? n[p] : "?";
}

