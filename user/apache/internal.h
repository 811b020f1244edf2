/* SPDX-License-Identifier: MIT */
/* Shared by the Apache controller's own files (find, config, control, rundir). */
#ifndef MPMSCOPE_APACHE_INTERNAL_H
#define MPMSCOPE_APACHE_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "apache/apache.h"

#define RUNDIR_PREFIX "/tmp/mpmscope."

/* httpd always runs with this environment (PATH, LANG=C): Debian's
 * APACHE_CONFDIR / APACHE_RUN_* variables can never leak in. */
extern char *const apache_clean_env[];

/* A zeroed struct apache (no apache_init): its default address. */
void apache_fix_defaults(struct apache *a);
/* Run argv with apache_clean_env, stdout+stderr captured into out. Returns the
 * wait status, or -1 if it could not run. Killed after timeout_s. */
int apache_run_capture(char *const argv[], char *out, size_t outlen, double timeout_s);
/* The directory holding mod_mpm_<a->mpm>.so, into a->modules_dir. */
int apache_find_modules(struct apache *a, struct errbuf *e);
/* The most telling line of httpd's output (see config.c). */
void apache_first_error(const struct apache *a, const char *text, char *out, size_t n);
/* "exited with status 1", "killed by signal 9 (Killed)"... of a wait status. */
void apache_describe_status(int st, char *buf, size_t n);
/* A process's start time (clock ticks after boot), 0 if gone: a pid reused. */
unsigned long long apache_starttime(pid_t pid);
/* tls.c: the run's key and self-signed certificate in a->rundir/tls/ (fills
 * a->tls_key, tls_cert, tls_log); and one request over TLS on a connected
 * socket: the bytes of the answer read until deadline (at least 12), or -1
 * when the handshake or the write failed. */
int apache_tls_prepare(struct apache *a, struct errbuf *e);
ssize_t apache_tls_exchange(int fd, const char *req, size_t len, char *buf, size_t size, double deadline);

#endif
