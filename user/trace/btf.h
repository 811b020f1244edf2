/* SPDX-License-Identifier: MIT */
/*
 * Questions to the kernel's BTF (its own, or a --btf file): which fields,
 * tracepoints and functions this kernel has. The loader (tracer.c) and the
 * feature probes (probe.c) decide from these answers, not from versions.
 */
#ifndef MPMSCOPE_TRACE_BTF_H
#define MPMSCOPE_TRACE_BTF_H

#include <stdbool.h>

struct btf;

/* path NULL: the running kernel's (/sys/kernel/btf/vmlinux). NULL on error
 * (errno set); free with btf__free(). */
struct btf *kbtf_load(const char *path);
/* Does struct sname have a member mname? */
/* Does the kernel have this struct type (bpf_iter__tcp: the TCP socket iterator)? */
bool kbtf_has_struct(const struct btf *btf, const char *sname);
bool kbtf_has_member(const struct btf *btf, const char *sname, const char *mname);
/* Does BTF know tracepoint tp (its btf_trace_<tp> typedef)? A NULL btf
 * answers yes: cannot tell, let the load decide. */
bool kbtf_has_tracepoint(const struct btf *btf, const char *tp);
/* The arguments of BTF-typed tracepoint tp, without its context pointer;
 * -1 if unknown. */
int kbtf_tp_nargs(const struct btf *btf, const char *tp);
/* The BTF id of kernel function (or kfunc) name, 0 if it has none. */
int kbtf_func_id(const struct btf *btf, const char *name);

#endif
