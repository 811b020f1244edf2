/* SPDX-License-Identifier: MIT */
/*
 * One traced server: a private Apache under one MPM with the tracer attached
 * before its first instruction. compare/run, explain and the tests' tools
 * share it so that start-up, stop and cleanup happen in one way only.
 */
#ifndef MPMSCOPE_CMD_SESSION_H
#define MPMSCOPE_CMD_SESSION_H

#include <stdbool.h>

#include "apache/apache.h"
#include "backend/backend.h"
#include "base/util.h"
#include "scenario/scenario.h"
#include "trace/tracer.h"

#define SESSION_MAX_BACKENDS 2

struct session {
	struct apache a;
	/* the scenario's backends: php-fpm ([php] fpm under this MPM), the slow
	 * upstream ([backend]); started before Apache, stopped before it */
	struct backend be[SESSION_MAX_BACKENDS];
	int nbe;
	struct tracer *t;
	bool spawned;    /* httpd was released: the tracer has facts about it */
	bool ready;      /* it answered */
	bool refused;    /* Apache refused this server in its own start-up check (e says why) */
};

/* The Apache to run: the runtime directories of dead mpmscope runs swept,
 * then httpd found (explicit path, else the system's), its version and
 * modules; port 0: a free one at each start. */
int session_find_apache(struct apache *proto, const char *httpd, uint16_t port, struct errbuf *e);

/*
 * Prepare the config, open the tracer, fork the gated httpd, put its pid in
 * the tracer's map; start the scenario's backends the same way (gated, in
 * httpd's process group, seeded with their roles) and wait until they
 * accept; release httpd, wait until it answers.
 * Returns 0 when serving; 1 when Apache refused the config (AH00013, see
 * apache_prepare) or died during start-up (e holds its error: a result for
 * this MPM, not a failure of mpmscope); -1 on error.
 * Whatever it returns, session_end() must follow.
 */
int session_start(struct session *s, const struct apache *proto, const struct scenario *sc, enum mpm m,
		  const struct tracer_opts *o, struct errbuf *e);
/* The parts of session_start that `server` shares (no tracer there): the
 * upstream's port, chosen before apache_prepare writes it in httpd.conf;
 * the scenario's backends for a->mpm, started with httpd gated (a->pid),
 * seeded in t when there is one. Stop them with backend_stop() before
 * apache_stop(). */
int session_upstream_port(struct apache *a, struct errbuf *e);
int session_start_backends(struct backend be[SESSION_MAX_BACKENDS], int *nbe, const struct apache *a,
			   struct tracer *t, struct errbuf *e);
/* Stop Apache (reaping every child) and detach the probes; the tracer's
 * counters and records stay readable until session_end(). */
void session_stop(struct session *s);
/* Close the tracer and remove the runtime directory. Safe to call twice. */
void session_end(struct session *s);

#endif
