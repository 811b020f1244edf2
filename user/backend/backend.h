/* SPDX-License-Identifier: MIT */
/*
 * Backends: the components a scenario puts behind Apache, each started
 * privately like Apache (its config in the run directory, nothing from
 * /etc), followed from its first instruction, and stopped whatever happens:
 *  - php-fpm (`[php]` with fpm under an MPM): /usr/sbin/php-fpm8.2 in the
 *    foreground, `-n` (no php.ini) and `-y` its own conf, listening on the
 *    run directory's unix socket (SC_FPM_SOCKET), its log in logs/;
 *  - the slow upstream (`[backend]`): mpmscope's own delay server, forked
 *    and exec'd as `mpmscope upstream` on a loopback port.
 *
 * Start-up is gated as Apache's is: backend_spawn() forks a child that
 * joins the process group given (Apache's: a backend's memory counts with
 * the server's, and the group's kill at Apache's stop leaves nothing), sets
 * its parent-death signal (SIGTERM: mpmscope killed, the backend goes) and
 * blocks; the caller seeds its pid in the tracer; backend_release() lets it
 * exec. The run directory is Apache's: apache_cleanup() removes its files.
 */
#ifndef MPMSCOPE_BACKEND_BACKEND_H
#define MPMSCOPE_BACKEND_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/child.h"
#include "base/util.h"
#include "scenario/scenario.h"

enum backend_kind { BACKEND_FPM, BACKEND_UPSTREAM };

struct backend {
	enum backend_kind kind;
	char bin[256];          /* php-fpm, or mpmscope itself */
	char rundir[256];       /* Apache's run directory */
	char conf[320];         /* php-fpm.conf */
	char sock[320];         /* php-fpm's unix socket */
	char log[320];          /* its error log (php-fpm), its stderr (upstream) */
	uint16_t port;          /* the upstream's loopback port */
	double delay_s;         /* the upstream's delay before it answers */
	double max_s;           /* the upstream exits after this long, whatever happens */
	struct gated_child proc; /* the gated child, then the backend's main process */
	bool stopped;
};

/* php-fpm's binary (php-fpm8.2, or any /usr/sbin/php-fpm*), or NULL. */
const char *backend_fpm_binary(void);

/* php-fpm's conf for the scenario's pool, in rundir. */
int backend_prepare_fpm(struct backend *b, const struct scenario *sc, const char *rundir, struct errbuf *e);

/* The upstream: `self upstream --port P --delay D --max-seconds M` (self:
 * mpmscope's own binary), on 127.0.0.1:port (see backend_free_port). */
int backend_prepare_upstream(struct backend *b, const struct scenario *sc, const char *rundir, uint16_t port,
			     struct errbuf *e);
/* A free loopback port for the upstream (0 if none). */
uint16_t backend_free_port(void);

/* Fork the gated child into process group pgid (see above). */
int backend_spawn(struct backend *b, pid_t pgid, struct errbuf *e);
/* Let it exec. */
int backend_release(struct backend *b, struct errbuf *e);
/* Until it accepts connections (its socket or port), it exits, or timeout. */
int backend_wait_ready(struct backend *b, double timeout_s, struct errbuf *e);
/* Is its main process alive? (reaps it when not) */
bool backend_alive(struct backend *b);
/* Stop it: SIGTERM (php-fpm's master stops its pool), SIGKILL after
 * timeout; reap. Safe to call twice, and on a backend never spawned. */
void backend_stop(struct backend *b, double timeout_s);

/* The upstream itself (`mpmscope upstream`): answer every request on
 * 127.0.0.1:port after delay_s with a small body, until SIGTERM, its parent's
 * death or max_s. Returns an exit status. */
int backend_upstream_serve(uint16_t port, double delay_s, double max_s, struct errbuf *e);

#endif
