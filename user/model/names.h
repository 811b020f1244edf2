/* SPDX-License-Identifier: MIT */
/*
 * The names of the kernel's enums (bpf/mpmscope.h) as every report prints
 * them: roles, off-CPU reasons, errno slots; and the load's phases.
 */
#ifndef MPMSCOPE_MODEL_NAMES_H
#define MPMSCOPE_MODEL_NAMES_H

#include <stdbool.h>

/* Load phases, cut on the load generator's CLOCK_MONOTONIC marks. */
enum phase { PHASE_STARTUP, PHASE_LOAD, PHASE_AFTER, PHASE__MAX };
const char *phase_name(enum phase p);      /* "startup", "load", "after" */

const char *role_name(int role);           /* enum ms_role, MS_WAKER_KERNEL, MS_WAKER_EXTERNAL */
const char *offcpu_name(int reason);       /* enum ms_offcpu */
const char *errno_slot_name(int slot);     /* see MS_ERRNO_SLOTS: "EAGAIN", "ERESTARTSYS", "other" */
/* Idleness by design, left out of "what held the server": waiting for
 * connections, the pipe of death, the parent's maintenance. */
bool offcpu_idle_by_design(int reason);

#endif
