// SPDX-License-Identifier: MIT
#include "cmd/session.h"

#include <string.h>

#include "mpmscope.h"

int session_find_apache(struct apache *proto, const char *httpd, uint16_t port, struct errbuf *e)
{
	apache_sweep_stale();
	apache_init(proto);
	proto->port = port;
	return apache_find(proto, httpd, e);
}

int session_start_backends(struct backend be[SESSION_MAX_BACKENDS], int *nbe, const struct apache *a,
			   struct tracer *t, struct errbuf *e)
{
	const struct scenario *sc = a->sc;
	struct backend *b;
	int role;

	if (scenario_php_mode(sc, a->mpm) == SC_PHP_FPM) {
		b = &be[*nbe];
		if (backend_prepare_fpm(b, sc, a->rundir, e))
			return -1;
		(*nbe)++;
	}
	if (sc && sc->backend.on) {
		b = &be[*nbe];
		if (backend_prepare_upstream(b, sc, a->rundir, a->upstream_port, e))
			return -1;
		(*nbe)++;
	}
	for (int i = 0; i < *nbe; i++) {
		b = &be[i];
		role = b->kind == BACKEND_FPM ? MS_ROLE_FPM_MASTER : MS_ROLE_BACKEND;
		if (backend_spawn(b, a->proc.pid, e) || (t && tracer_track_backend(t, b->proc.pid, role, e)) ||
		    backend_release(b, e) || backend_wait_ready(b, 10.0, e))
			return -1;
	}
	return 0;
}

int session_upstream_port(struct apache *a, struct errbuf *e)
{
	if (a->sc && a->sc->backend.on && !(a->upstream_port = backend_free_port())) {
		err_set(e, "no free loopback port for the upstream");
		return -1;
	}
	return 0;
}

int session_start(struct session *s, const struct apache *proto, const struct scenario *sc, enum mpm m,
		  const struct tracer_opts *o, struct errbuf *e)
{
	struct tracer_opts topts = *o;
	int rc;

	memset(s, 0, sizeof(*s));
	s->a = *proto;
	s->a.mpm = m;
	s->a.sc = sc;
	topts.mpm = (int)m;
	if (session_upstream_port(&s->a, e))
		return -1;
	rc = apache_prepare(&s->a, e);
	if (rc) {
		s->refused = rc > 0;
		return rc;
	}
	topts.ports[0] = s->a.port; /* chosen by apache_prepare */
	topts.nports = 1;
	if (tracer_open(&s->t, &topts, e) || tracer_listen_port(s->t, s->a.port, e))
		return -1;
	if (apache_spawn(&s->a, e))
		return -1;
	/* The server is followed from its first instruction: its pid goes in the
	 * map while it still waits on the gate, before exec. */
	if (tracer_track(s->t, s->a.proc.pid, e))
		return -1;
	if (session_start_backends(s->be, &s->nbe, &s->a, s->t, e) || apache_release(&s->a, e))
		return -1;
	s->spawned = true;
	if (apache_wait_ready(&s->a, 15.0, e))
		return sig_interrupted ? -1 : 1;
	s->ready = true;
	return 0;
}

void session_stop(struct session *s)
{
	for (int i = 0; i < s->nbe; i++)
		backend_stop(&s->be[i], 5.0);
	apache_stop(&s->a, 10.0);
	if (s->t)
		tracer_stop(s->t);
}

void session_end(struct session *s)
{
	session_stop(s);
	tracer_close(s->t);
	s->t = NULL;
	apache_cleanup(&s->a);
}
