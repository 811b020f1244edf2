/* SPDX-License-Identifier: MIT */
/* Small helpers shared by every user-space module: time, errors, memory. */
#ifndef MPMSCOPE_BASE_UTIL_H
#define MPMSCOPE_BASE_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

/* CLOCK_MONOTONIC in ns: the same clock as bpf_ktime_get_ns(), so load-side and
 * kernel-side timestamps compare without any translation. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static inline double now_s(void)
{
	return (double)now_ns() / 1e9;
}

/* Sleep that long, whatever signals arrive meanwhile. */
void sleep_ms(int ms);

/* Set by SIGINT/SIGTERM handlers; every long loop polls it and winds down
 * cleanly so that what was measured so far is still reported. */
extern volatile sig_atomic_t sig_interrupted;

/* Error text buffer used across module boundaries: modules never print, they
 * fill an errbuf with one line and return -1; main() prints "mpmscope: <line>". */
struct errbuf {
	char msg[512];
};

void err_set(struct errbuf *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Growable array of fixed-size items. */
struct vec {
	void *data;
	size_t len, cap, item;
};
void vec_init(struct vec *v, size_t item);
void *vec_push(struct vec *v); /* returns a zeroed slot */
void vec_free(struct vec *v);
#define vec_at(v, T, i) (&((T *)(v)->data)[i])

/* Fail before a long run if the report could not be written at path: the
 * temporary file write_file_atomic() would create is created and removed.
 * "-" is standard output, always writable. */
int check_writable(const char *path, struct errbuf *e);

/* Write a file atomically: write to "<path>.tmp.<pid>", fsync, rename.
 * Path "-" writes to standard output (the descriptor stdout_for_document()
 * kept, if it was called). */
int write_file_atomic(const char *path, const char *data, size_t len, struct errbuf *e);

/* Give standard output to one machine-readable document (`--json -`):
 * the real stdout is kept for write_file_atomic("-"), and descriptor 1
 * becomes a copy of stderr, so that everything else the process prints
 * (tables, progress, Apache's own output) goes to stderr and never mixes
 * into the document. 0, or -1 with e set. */
int stdout_for_document(struct errbuf *e);
/* The same for a document written as it comes (trace --conn-log -): a
 * stream on the real stdout, or NULL with e set. */
FILE *stdout_document_stream(struct errbuf *e);

/* All of len bytes to fd (EINTR retried); 0 or -1 with errno. */
int write_all(int fd, const void *buf, size_t len);
/* Mark every fd >= lowfd close-on-exec (before an exec that must not inherit them). */
void cloexec_from(int lowfd);
/* A whole small file into buf, NUL-terminated (with tail: its last len-1
 * bytes). Returns the bytes read, -1 if it cannot be opened. */
ssize_t read_small(const char *path, char *buf, size_t len, bool tail);

#endif
