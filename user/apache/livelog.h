/* SPDX-License-Identifier: MIT */
/*
 * The logs of an Apache that mpmscope did not start, read through the file
 * descriptors the server already holds (/proc/PID/fd: its ErrorLog is its
 * stderr, its CustomLog files are open for appending). Read only, from the
 * moment of attaching on, a new file (after a rotation) from its start; its
 * configuration is never read. Lines are passed on whole, one at a time.
 */
#ifndef MPMSCOPE_APACHE_LIVELOG_H
#define MPMSCOPE_APACHE_LIVELOG_H

#include <stddef.h>
#include <sys/types.h>

#define LIVELOG_MAX_FILES 8

enum livelog_kind { LIVELOG_ERROR, LIVELOG_ACCESS, LIVELOG_OTHER };

struct livelog;

/* The server's log files as they are now (none is not an error). */
struct livelog *livelog_open(pid_t server);
/* New complete lines since the last call; the server's descriptors are
 * looked at again (a rotation opens new files). */
void livelog_poll(struct livelog *l, void (*on_line)(void *ctx, enum livelog_kind kind, const char *line), void *ctx);
/* "error log /var/log/apache2/error.log, access log ..." or "none found". */
void livelog_describe(const struct livelog *l, char *buf, size_t n);
void livelog_close(struct livelog *l);

/* The status of an access-log line in the common or combined format (the
 * number after the quoted request line), 0 if it has none. */
unsigned livelog_status(const char *line);

#endif
