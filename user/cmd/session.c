// SPDX-License-Identifier: MIT
#include "cmd/session.h"

#include <string.h>

int session_find_apache(struct apache *proto, const char *httpd, uint16_t port, struct errbuf *e)
{
	apache_sweep_stale();
	apache_init(proto);
	proto->port = port;
	return apache_find(proto, httpd, e);
}

int session_start(struct session *s, const struct apache *proto, const struct scenario *sc, enum mpm m,
		  const struct tracer_opts *o, struct errbuf *e)
{
	struct tracer_opts topts = *o;

	memset(s, 0, sizeof(*s));
	s->a = *proto;
	s->a.mpm = m;
	s->a.sc = sc;
	topts.mpm = (int)m;
	if (apache_prepare(&s->a, e))
		return -1;
	topts.ports[0] = s->a.port; /* chosen by apache_prepare */
	topts.nports = 1;
	if (tracer_open(&s->t, &topts, e) || tracer_listen_port(s->t, s->a.port, e))
		return -1;
	if (apache_spawn(&s->a, e))
		return -1;
	/* The server is followed from its first instruction: its pid goes in the
	 * map while it still waits on the gate, before exec. */
	if (tracer_track(s->t, s->a.pid, e) || apache_release(&s->a, e))
		return -1;
	s->spawned = true;
	if (apache_wait_ready(&s->a, 15.0, e))
		return sig_interrupted ? -1 : 1;
	s->ready = true;
	return 0;
}

void session_stop(struct session *s)
{
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
