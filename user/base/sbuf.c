// SPDX-License-Identifier: MIT
#include "base/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void sb_init(struct sbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void sb_free(struct sbuf *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void sb_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->buf)
		b->buf[0] = 0;
}

/* Room for n more bytes and the terminating NUL. */
static void reserve(struct sbuf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	while (b->len + n + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 8192;
	b->buf = xrealloc(b->buf, b->cap);
}

void sb_put(struct sbuf *b, const char *s, size_t n)
{
	reserve(b, n);
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = 0;
}

void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

void sb_putc(struct sbuf *b, char c)
{
	sb_put(b, &c, 1);
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sb_esc(struct sbuf *b, const char *s)
{
	const char *run = s;

	if (!s)
		return;
	for (; *s; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			/* control characters are not allowed in XML text */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				rep = " ";
			else
				continue;
		}
		sb_put(b, run, (size_t)(s - run));
		sb_puts(b, rep);
		run = s + 1;
	}
	sb_put(b, run, (size_t)(s - run));
}
