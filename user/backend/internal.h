/* SPDX-License-Identifier: MIT */
/* Shared by the files of backend/ only. */
#ifndef MPMSCOPE_BACKEND_INTERNAL_H
#define MPMSCOPE_BACKEND_INTERNAL_H

#include <stddef.h>

#include "backend/backend.h"

/* The telling line of the backend's log (its first error), or "". */
void backend_log_error(const struct backend *b, char *out, size_t n);
/* Common fields of a prepared backend. */
void backend_init(struct backend *b, enum backend_kind kind, const char *rundir);

#endif
