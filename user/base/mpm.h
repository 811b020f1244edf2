/* SPDX-License-Identifier: MIT */
/* Apache's three MPMs, by name. */
#ifndef MPMSCOPE_BASE_MPM_H
#define MPMSCOPE_BASE_MPM_H

#include <stdbool.h>

#include "base/util.h"

enum mpm { MPM_PREFORK, MPM_WORKER, MPM_EVENT, MPM__MAX };

const char *mpm_name(enum mpm m); /* "prefork", "worker", "event"; "?" out of range */
int mpm_parse(const char *s, enum mpm *out); /* case-insensitive; -1 on unknown */
/* "prefork,event" into mpms[MPM__MAX] (true for each named). 0, or -1 with
 * e set: an unknown name, an empty list. */
int mpm_parse_list(const char *list, bool *mpms, struct errbuf *e);

#endif
