/* SPDX-License-Identifier: MIT */
/*
 * The seeds' claims ("prefork uses more memory", "event wins with
 * keep-alive") as checks against measured numbers. A scenario's [expect]
 * section pairs each claim, quoted from its seed, with checks of the form
 *     check = METRIC MPM OP (MPM | NUMBER | NUMBER * MPM)
 * e.g. `check = pss_kb prefork > event` or `check = rps event >= 1.2 * worker`.
 * A claim is confirmed when all its checks hold, refuted when one does not;
 * a refuted claim is a finding, not a bug.
 */
#ifndef MPMSCOPE_MODEL_CLAIMS_H
#define MPMSCOPE_MODEL_CLAIMS_H

#include <stdbool.h>

#include "scenario/scenario.h"

struct run_model;

enum verdict { VERDICT_CONFIRMED, VERDICT_REFUTED, VERDICT_NOT_CHECKED, VERDICT_NOT_MEASURED };
const char *verdict_name(enum verdict v);

struct claim_result {
	const struct sc_expect *claim;
	enum verdict verdict;
	char evidence[600];      /* "pss_kb: prefork 3712 > event 6144: no; ..." */
	/* why: the accounts of model/attrib.h that explain it (indices into
	 * the report's), one per MPM pair its checks compare */
	int expl[SC_MAX_CHECKS];
	int nexpl;
};

/* Evaluate every claim of sc against the runs (one per MPM that was asked). */
int claims_eval(const struct scenario *sc, const struct run_model *runs, int nruns, struct claim_result *out, int max);

#endif
