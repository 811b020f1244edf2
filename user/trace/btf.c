// SPDX-License-Identifier: MIT
#include "trace/btf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

struct btf *kbtf_load(const char *path)
{
	struct btf *b = path ? btf__parse(path, NULL) : btf__load_vmlinux_btf();

	return libbpf_get_error(b) ? NULL : b;
}

bool kbtf_has_struct(const struct btf *btf, const char *sname)
{
	return btf && btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT) > 0;
}

bool kbtf_has_member(const struct btf *btf, const char *sname, const char *mname)
{
	int id = btf ? btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT) : -1;
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (unsigned i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), mname))
			return true;
	return false;
}

static int tp_typedef(const struct btf *btf, const char *tp)
{
	char name[128];

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
}

bool kbtf_has_tracepoint(const struct btf *btf, const char *tp)
{
	return !btf || tp_typedef(btf, tp) > 0;
}

int kbtf_tp_nargs(const struct btf *btf, const char *tp)
{
	const struct btf_type *t;
	int id = btf ? tp_typedef(btf, tp) : -1;

	if (id <= 0)
		return -1;
	/* typedef -> pointer -> func proto (void *ctx, the tracepoint's args) */
	t = btf__type_by_id(btf, id);
	while (t && (btf_is_typedef(t) || btf_is_ptr(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -1;
	return (int)btf_vlen(t) - 1;
}

int kbtf_func_id(const struct btf *btf, const char *name)
{
	int id = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) : -1;

	return id > 0 ? id : 0;
}
