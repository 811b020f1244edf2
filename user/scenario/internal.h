/* SPDX-License-Identifier: MIT */
/* Shared by the scenario module's own files (parse.c, directives.c, files.c). */
#ifndef MPMSCOPE_SCENARIO_INTERNAL_H
#define MPMSCOPE_SCENARIO_INTERNAL_H

#include <stdbool.h>

#include "base/util.h"
#include "scenario/scenario.h"

#define SC_MAX_FILE_SIZE (1ULL << 30)   /* a served file is at most 1 GiB */
#define SC_MAX_TEXT (1U << 20)          /* a scenario file is at most 1 MiB */

/* A scenario or file name: [A-Za-z0-9._-]+ (a leading dot only if allowed). */
bool sc_name_ok(const char *s, bool allow_leading_dot);

/* The directive allow-list: the index of NAME (case-insensitive, 2.2 names
 * included), -1 if it is not allowed; its stored spelling; the MPMs that know
 * it (1 << enum mpm); whether a value is from the allowed alphabet. */
int sc_directive_index(const char *name);
const char *sc_directive_canon(int i);
unsigned sc_directive_mask(int i);
bool sc_directive_value_ok(const char *v);

/* Dynamic content (dynamic.c): key i of [php] (prefork, worker, event, pm,
 * max_children) and of [backend] (delay, path) into sc, or -1 with e; the
 * defaults once the file is read (php, backend: the sections were there,
 * delay_seen: [backend] gave a delay). */
int sc_php_key(struct scenario *sc, int i, const char *k, const char *v, struct errbuf *e);
int sc_backend_key(struct scenario *sc, int i, const char *k, const char *v, struct errbuf *e);
void sc_dynamic_defaults(struct scenario *sc, bool php, bool backend, bool delay_seen);

#endif
