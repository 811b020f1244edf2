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
 * characters, which XML forbids, become spaces. */
void sb_esc(struct sbuf *b, const char *s);
/* Forget the content, keep the memory. */
void sb_reset(struct sbuf *b);

#endif
