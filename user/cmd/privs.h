/* SPDX-License-Identifier: MIT */
/*
 * What a command keeps once it has attached to a server: loading and
 * attaching the probes needed root (or CAP_SYS_ADMIN, to mount tracefs for
 * the per-syscall tracepoints); following the server afterwards needs only
 * CAP_BPF and CAP_PERFMON (the probes for a server restarted in full),
 * CAP_SYS_PTRACE (its /proc: exe, maps, fd, syscall) and CAP_DAC_READ_SEARCH
 * (its logs, read through /proc/PID/fd). serve also leaves root for an
 * unprivileged user (its HTTP side faces the network); trace stays uid 0
 * and keeps CAP_DAC_OVERRIDE too, to write its reports where it was asked
 * to, without the other capabilities.
 */
#ifndef MPMSCOPE_CMD_PRIVS_H
#define MPMSCOPE_CMD_PRIVS_H

#include <stdbool.h>

#include "base/util.h"

/* Keep those four capabilities only (and, writes, CAP_DAC_OVERRIDE); with
 * user (not NULL, not "root"),
 * become that user too. A process that is not root, or root without
 * CAP_SETUID (bounded already, by a service manager), keeps what it has.
 * 0, or -1 with e set. */
int privs_after_attach(const char *user, bool writes, struct errbuf *e);

#endif
