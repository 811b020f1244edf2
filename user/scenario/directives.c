// SPDX-License-Identifier: MIT
/*
 * The Apache directives a scenario may set: performance directives only, each
 * with the MPMs that know it, so that a scenario can never Include a file or
 * inject other configuration into the private httpd.conf; and the metrics a
 * claim's check may compare (scenario/metrics.h).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "scenario/internal.h"
#include "scenario/metrics.h"
#include "scenario/scenario.h"

/* ---- the directive allow-list ---------------------------------------------- */

#define MK_P (1u << MPM_PREFORK)
#define MK_W (1u << MPM_WORKER)
#define MK_E (1u << MPM_EVENT)
#define MK_ALL (MK_P | MK_W | MK_E)

static const struct {
	const char *name;   /* as written (matched case-insensitively) */
	const char *canon;  /* stored and emitted spelling */
	unsigned mask;      /* MPMs that know it */
} directives[] = {
	{ "StartServers", "StartServers", MK_ALL },
	{ "MinSpareServers", "MinSpareServers", MK_P },
	{ "MaxSpareServers", "MaxSpareServers", MK_P },
	{ "ServerLimit", "ServerLimit", MK_ALL },
	{ "MaxRequestWorkers", "MaxRequestWorkers", MK_ALL },
	{ "MaxClients", "MaxRequestWorkers", MK_ALL },
	{ "MaxConnectionsPerChild", "MaxConnectionsPerChild", MK_ALL },
	{ "MaxRequestsPerChild", "MaxConnectionsPerChild", MK_ALL },
	{ "MinSpareThreads", "MinSpareThreads", MK_W | MK_E },
	{ "MaxSpareThreads", "MaxSpareThreads", MK_W | MK_E },
	{ "ThreadsPerChild", "ThreadsPerChild", MK_W | MK_E },
	{ "ThreadLimit", "ThreadLimit", MK_W | MK_E },
	{ "ThreadStackSize", "ThreadStackSize", MK_ALL },
	{ "AsyncRequestWorkerFactor", "AsyncRequestWorkerFactor", MK_E },
	{ "ListenBacklog", "ListenBacklog", MK_ALL },
	{ "ListenCoresBucketsRatio", "ListenCoresBucketsRatio", MK_ALL },
	{ "SendBufferSize", "SendBufferSize", MK_ALL },
	{ "ReceiveBufferSize", "ReceiveBufferSize", MK_ALL },
	{ "KeepAlive", "KeepAlive", MK_ALL },
	{ "KeepAliveTimeout", "KeepAliveTimeout", MK_ALL },
	{ "MaxKeepAliveRequests", "MaxKeepAliveRequests", MK_ALL },
	{ "Timeout", "Timeout", MK_ALL },
	{ "EnableSendfile", "EnableSendfile", MK_ALL },
	{ "EnableMMAP", "EnableMMAP", MK_ALL },
	{ "MaxMemFree", "MaxMemFree", MK_ALL },
	{ "GracefulShutdownTimeout", "GracefulShutdownTimeout", MK_ALL },
	{ "ExtendedStatus", "ExtendedStatus", MK_ALL },
	{ "LogLevel", "LogLevel", MK_ALL },
};

int sc_directive_index(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(directives); i++)
		if (!strcasecmp(name, directives[i].name))
			return (int)i;
	return -1;
}

bool sc_directive_value_ok(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !strchr(" ._:-", *v))
			return false;
	return true;
}

const char *scenario_directive(const struct scenario *sc, enum mpm m, const char *name)
{
	int di = sc_directive_index(name);
	const char *canon;

	if (!sc || di < 0 || (unsigned)m >= MPM__MAX)
		return NULL;
	canon = directives[di].canon;
	if (!(directives[di].mask & (1u << m)))
		return NULL;
	for (int i = 0; i < sc->nmpm[m]; i++)
		if (!strcmp(sc->mpm[m][i].name, canon))
			return sc->mpm[m][i].value;
	for (int i = 0; i < sc->ncommon; i++)
		if (!strcmp(sc->common[i].name, canon))
			return sc->common[i].value;
	return NULL;
}

const char *sc_directive_canon(int i)
{
	return directives[i].canon;
}

unsigned sc_directive_mask(int i)
{
	return directives[i].mask;
}

/* ---- the metrics claims may check ------------------------------------------------ */

#define METRIC_NAME(name, unit) #name,
static const char *const metric_names[] = { SC_METRICS(METRIC_NAME) };
#undef METRIC_NAME

bool scenario_metric_known(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(metric_names); i++)
		if (!strcmp(metric_names[i], name))
			return true;
	return false;
}

const char *scenario_metric_list(void)
{
	static char buf[512];

	if (!buf[0])
		for (size_t i = 0; i < ARRAY_SIZE(metric_names); i++) {
			strcat(buf, i ? ", " : "");
			strcat(buf, metric_names[i]);
		}
	return buf;
}
