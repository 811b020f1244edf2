/* SPDX-License-Identifier: MIT */
/* Helpers shared by the load generator's own files (user/loadgen.c, lg_*.c). */
#ifndef MPMSCOPE_LG_INTERNAL_H
#define MPMSCOPE_LG_INTERNAL_H

#include <sys/socket.h>

#include "loadgen.h"

/* cfg->host/port as a socket address. */
int lg_sockaddr(const struct lg_config *cfg, struct sockaddr_storage *ss, socklen_t *len,
		struct errbuf *e);
const char *lg_close_name(enum lg_close c);

#endif
