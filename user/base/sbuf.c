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

size_t utf8_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return p[0] ? 1 : 0;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0; /* a continuation byte, an overlong lead, or beyond U+10FFFF */
	n = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (p[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f; /* > U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

#define UTF8_REPLACEMENT "\xef\xbf\xbd"

void sb_put_utf8(struct sbuf *b, const char *s)
{
	while (s && *s) {
		size_t n = utf8_len(s);

		if (n)
			sb_put(b, s, n);
		else
			sb_puts(b, UTF8_REPLACEMENT);
		s += n ? n : 1;
	}
}

void sb_esc(struct sbuf *b, const char *s)
{
	while (s && *s) {
		const char *rep = NULL;
		size_t n = utf8_len(s);

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
			else if (!n)
				rep = UTF8_REPLACEMENT;
		}
		if (rep)
			sb_puts(b, rep);
		else
			sb_put(b, s, n);
		s += n ? n : 1;
	}
}
