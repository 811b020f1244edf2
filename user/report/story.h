/* SPDX-License-Identifier: MIT */
/*
 * explain's story: one connection told step by step in plain words, merged
 * from what its client saw and the kernel's step records (MS_EV_STEP) of it:
 * who accepts it, who serves each request, who holds it while idle, who
 * closes it.
 */
#ifndef MPMSCOPE_REPORT_STORY_H
#define MPMSCOPE_REPORT_STORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/mpm.h"
#include "base/util.h"
#include "mpmscope.h"

#define STORY_MAX_REQUESTS 20

/* What the client saw, CLOCK_MONOTONIC ns. */
struct story_client {
	uint16_t port;
	uint64_t t_connect, t_established;
	uint64_t t_sent[STORY_MAX_REQUESTS], t_response[STORY_MAX_REQUESTS];
	size_t resp_bytes[STORY_MAX_REQUESTS];
	int nreq;
	uint64_t t_eof;       /* the server closed (read returned 0), or reset */
	uint64_t t_close;
	bool server_closed, reset;
};

/* The server it talked to. */
struct story_server {
	enum mpm mpm;
	pid_t root;           /* the httpd parent */
	const char *version;  /* "Apache/2.4.71 (Debian)" */
	const char *addr;
	uint16_t port;
	const char *ka_timeout; /* the scenario's KeepAliveTimeout, NULL: Apache's default */
};

/* The story, on out. ev: every record of the trace (spawn records name
 * each thread's process; the steps are picked out and sorted by time). */
void report_story(FILE *out, const struct story_server *srv, const struct story_client *cv,
		  const struct ms_event *ev, size_t nev);

/* One connection's story on one MPM, as explain --html draws it. ev: the
 * step and spawn records (the caller's copy). */
struct story_run {
	struct story_server srv;
	struct story_client cv;
	const struct ms_event *ev;
	size_t nev;
};

/* "worker thread 1251 of child 1234", "child process 1234". */
void story_task_name(char *buf, size_t n, const struct story_run *r, int role, uint32_t tid);

/* A page with each run's story as a timeline (report/html_story.c): a lane
 * per task that touched the connection, the client's and the listen
 * queue's; phases as bars, wake-ups as arrows, idle time held by a task
 * hatched; the story in words beside. Written atomically. */
int report_story_html(const struct story_run *runs, int nruns, const char *path, struct errbuf *e);

#endif
