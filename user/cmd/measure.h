/* SPDX-License-Identifier: MIT */
/*
 * One measured run of a scenario on one MPM, as compare and run make it: a
 * private Apache with the tracer attached from its first instruction, the
 * scenario's load (with the command line's overrides), memory sampled
 * meanwhile, then the facts of both sides joined into the run model.
 */
#ifndef MPMSCOPE_CMD_MEASURE_H
#define MPMSCOPE_CMD_MEASURE_H

#include <stdbool.h>
#include <stdint.h>

#include "apache/apache.h"
#include "model/model.h"
#include "scenario/scenario.h"
#include "trace/tracer.h"

struct measure_opts {
	struct tracer_opts tracer;
	/* overrides of the scenario's load (0 / -1: the scenario's) */
	uint64_t requests;
	double duration_s;
	unsigned concurrency;
	double rate;             /* requests/s of an open loop (0: the scenario's) */
	int keepalive;
	bool quiet;              /* no progress lines on stderr */
};

/*
 * Returns 0 when the load ran (r->ran), 1 when the server could not serve
 * (it died during start-up: a result, e.g. under a memory limit), -1 with e
 * set when the run could not happen at all (bad config, no BPF...).
 * Whatever happens, Apache is stopped, the probes are detached and the
 * runtime directory is removed before returning.
 */
int measure_run(const struct scenario *sc, const struct measure_opts *o, const struct apache *proto, enum mpm m,
		struct run_model *r, struct errbuf *e);

#endif
