/* SPDX-License-Identifier: MIT */
/*
 * The one growable text buffer: every renderer (JSON, HTML, SVG, CSV,
 * Prometheus, the Apache config writer) appends to one. A zeroed struct is an
 * empty buffer; once anything was put, buf is NUL-terminated. Appending never
 * fails (xrealloc exits on out-of-memory).
 */
#ifndef MPMSCOPE_BASE_SBUF_H
#define MPMSCOPE_BASE_SBUF_H

#include <stddef.h>

struct sbuf {
	char *buf;
	size_t len, cap;
};

void sb_init(struct sbuf *b);
void sb_free(struct sbuf *b);
void sb_put(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
void sb_putc(struct sbuf *b, char c);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text escaped for HTML/XML content and attribute values (& < > " '); control
 * characters, which XML forbids, become spaces, and bytes that are not UTF-8
 * U+FFFD. */
void sb_esc(struct sbuf *b, const char *s);
/* The length (1-4) of the well-formed UTF-8 sequence at p (RFC 3629: no
 * overlong form, no surrogate, nothing above U+10FFFF), 0 if p starts none
 * (or *p is NUL). Strings from /proc (comm, a version) and from files are
 * bytes: every renderer copies them through this. */
size_t utf8_len(const char *p);
/* s, with every byte that starts no well-formed sequence replaced by U+FFFD. */
void sb_put_utf8(struct sbuf *b, const char *s);
/* Forget the content, keep the memory. */
void sb_reset(struct sbuf *b);

#endif
