/* SPDX-License-Identifier: MIT */
/* Shared by the run model's own files (kernel.c, spawn.c, sched.c, conns.c). */
#ifndef MPMSCOPE_MODEL_INTERNAL_H
#define MPMSCOPE_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* Generator connections sorted by (port, connect time) for the join. */
struct conn_ix {
	uint16_t port;
	uint64_t t;
	size_t i;
	bool matched;
};

/* The generator connection a kernel record belongs to: same client port, the
 * latest connect() at or before ts that is not matched yet (marked). */
bool model_join_accept(struct conn_ix *ix, size_t n, uint16_t port, uint64_t ts);
/* The process fact of pid, NULL if unknown. */
struct proc_fact *model_proc_find(struct kernel_facts *k, pid_t pid);

/* Parts of model_build_kernel, each from the records sorted by time. */
void model_build_spawn(struct run_model *r, const struct tracer_counts *c, const struct ms_event *ev, size_t nev);
void model_build_sched(struct run_model *r, const struct ms_event *ev, size_t nev);
void model_build_conn(struct run_model *r, const struct tracer_counts *c, const struct ms_event *ev, size_t nev,
		      struct conn_ix *ix, size_t nix);

#endif
