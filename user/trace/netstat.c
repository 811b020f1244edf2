// SPDX-License-Identifier: MIT
#include "trace/netstat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* /proc/net/netstat and /proc/net/snmp come in pairs of lines: "Prefix: names"
 * then "Prefix: values". */
static void scan(const char *path, const char *prefix, const char *const *names, uint64_t *const *out, int n)
{
	char head[8192], vals[8192];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(head, sizeof(head), f) && fgets(vals, sizeof(vals), f)) {
		char *hs, *vs, *h, *v;

		if (strncmp(head, prefix, strlen(prefix)) || strncmp(vals, prefix, strlen(prefix)))
			continue;
		h = strtok_r(head + strlen(prefix), " \n", &hs);
		v = strtok_r(vals + strlen(prefix), " \n", &vs);
		for (; h && v; h = strtok_r(NULL, " \n", &hs), v = strtok_r(NULL, " \n", &vs))
			for (int i = 0; i < n; i++)
				if (!strcmp(h, names[i]))
					*out[i] = strtoull(v, NULL, 10);
	}
	fclose(f);
}

int netstat_read(struct netstat *n)
{
	static const char *const ext[] = { "ListenOverflows", "ListenDrops", "TCPReqQFullDrop", "SyncookiesSent",
					   "TCPAbortOnData", "TCPAbortOnClose", "TCPAbortOnTimeout" };
	static const char *const tcp[] = { "AttemptFails", "EstabResets", "OutRsts", "RetransSegs" };
	uint64_t *const eo[] = { &n->listen_overflows, &n->listen_drops, &n->reqq_full_drops, &n->syncookies_sent,
				 &n->abort_on_data, &n->abort_on_close, &n->abort_on_timeout };
	uint64_t *const to[] = { &n->attempt_fails, &n->estab_resets, &n->out_rsts, &n->retrans_segs };
	FILE *f;

	memset(n, 0, sizeof(*n));
	if (!(f = fopen("/proc/net/netstat", "r")))
		return -1;
	fclose(f);
	scan("/proc/net/netstat", "TcpExt:", ext, eo, 7);
	scan("/proc/net/snmp", "Tcp:", tcp, to, 4);
	return 0;
}

void netstat_diff(struct netstat *out, const struct netstat *b, const struct netstat *a)
{
	const uint64_t *pb = (const uint64_t *)b, *pa = (const uint64_t *)a;
	uint64_t *po = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		po[i] = pb[i] >= pa[i] ? pb[i] - pa[i] : 0;
}
