/* SPDX-License-Identifier: MIT */
/*
 * TCP counters the kernel exposes only in /proc/net/{netstat,snmp}: listen
 * queue overflows have no tracepoint on current kernels. Read before and
 * after the load; the difference is the load phase's. These counters are
 * per network namespace, so other traffic on the host's loopback is
 * counted too: the report says so.
 */
#ifndef MPMSCOPE_TRACE_NETSTAT_H
#define MPMSCOPE_TRACE_NETSTAT_H

#include <stdint.h>

struct netstat {
	uint64_t listen_overflows, listen_drops, reqq_full_drops, syncookies_sent;
	uint64_t abort_on_data, abort_on_close, abort_on_timeout;
	uint64_t attempt_fails, estab_resets, out_rsts, retrans_segs;
};

/* 0 ok; -1 if /proc/net is unreadable (the figures are then left zero). */
int netstat_read(struct netstat *n);
void netstat_diff(struct netstat *out, const struct netstat *b, const struct netstat *a);

#endif
