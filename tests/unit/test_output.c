// SPDX-License-Identifier: MIT
/* Machine output: reals that read back as the same double and never in
 * exponent form, integers as integers, and valid UTF-8 whatever the bytes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/sbuf.h"
#include "base/units.h"
#include "unit.h"

static int bad_roundtrips, exponents;

static void roundtrip(double v)
{
	char b[FMT_REAL_MAX];
	char *end;

	fmt_real(b, sizeof(b), v);
	if (strtod(b, &end) != v || *end) {
		if (bad_roundtrips++ < 5)
			fprintf(stderr, "fmt_real(%.17g) = \"%s\" reads back as %.17g\n", v, b, strtod(b, NULL));
	}
	if (strpbrk(b, "eE") && exponents++ < 5)
		fprintf(stderr, "fmt_real(%.17g) = \"%s\": exponent form\n", v, b);
}

/* xorshift64: the same doubles every run */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_reals(void)
{
	static const double fixed[] = { 0, -0.0, 1, 0.1, 1.0 / 3, 2819770.5, 2911330.25, 4294967295.0,
					1000000.123, 1e-5, 5e-324, 1.7976931348623157e308, 123456789012.345678,
					-0.000123, 4.3e18, 9007199254740993.0 };
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	char b[FMT_REAL_MAX];

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		roundtrip(fixed[i]);
	/* any bit pattern that is a finite double, and figures of the size mpmscope writes */
	for (int i = 0; i < 100000; i++) {
		uint64_t bits = rnd(&s);
		double v;

		memcpy(&v, &bits, sizeof(v));
		if (isfinite(v))
			roundtrip(v);
		roundtrip((double)(rnd(&s) % 100000000000ULL) / 1e3); /* microseconds with ns decimals */
		roundtrip((double)(rnd(&s) % 10000000) / 1e6 * (double)(rnd(&s) % 1000));
	}
	CHECK(bad_roundtrips == 0);
	CHECK(exponents == 0);
	/* %.6g wrote these as 2.81977e+06 and 4.29497e+09 */
	CHECK_STR(fmt_real(b, sizeof(b), 2819770.5), "2819770.5");
	CHECK_STR(fmt_real(b, sizeof(b), 4294967295.0), "4294967295");
	CHECK_STR(fmt_real(b, sizeof(b), 1000000.125), "1000000.125"); /* a t_ms past 1,000,000 keeps its us */
	CHECK_STR(fmt_real(b, sizeof(b), 0.1), "0.1");
	CHECK_STR(fmt_real(b, sizeof(b), 1e-5), "0.00001");
	CHECK_STR(fmt_real(b, sizeof(b), 4.3e18), "4300000000000000000");
	CHECK_STR(fmt_real(b, sizeof(b), 3.0), "3");
	CHECK_STR(fmt_real(b, sizeof(b), -0.000123), "-0.000123");
}

/* A document through the JSON writer, the value read back from its text. */
static void test_json_double(void)
{
	const double vals[] = { 2819770.5, 0.30000000000000004, 1e-7, 123.456, 17e6 / 3 };
	struct json j;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		const char *colon;

		json_init(&j);
		json_obj_begin(&j);
		json_kdouble(&j, "v", vals[i]);
		json_obj_end(&j);
		colon = strchr(j.b.buf, ':');
		CHECK(colon && strtod(colon + 1, NULL) == vals[i]);
		CHECK(!strpbrk(j.b.buf, "eE"));
		json_free(&j);
	}
	json_init(&j);
	json_double(&j, NAN);
	CHECK_STR(j.b.buf, "null");
	json_free(&j);
}

static const char *json_of(struct json *j, const char *s)
{
	json_free(j);
	json_init(j);
	json_str(j, s);
	return j->b.buf;
}

static void test_utf8(void)
{
	struct json j;
	struct sbuf b = { 0 };

	json_init(&j);
	/* the seeds' scripts pass as they are */
	CHECK_STR(json_of(&j, "Sc\xc3\xa9nario \xe4\xba\x8b\xe4\xbb\xb6 \xec\x9d\xb4\xeb\xb2\xa4\xed\x8a\xb8 \xf0\x9f\x99\x82"),
		  "\"Sc\xc3\xa9nario \xe4\xba\x8b\xe4\xbb\xb6 \xec\x9d\xb4\xeb\xb2\xa4\xed\x8a\xb8 \xf0\x9f\x99\x82\"");
	/* a Latin-1 comm, a cut sequence, an overlong '/', a surrogate, beyond U+10FFFF */
	CHECK_STR(json_of(&j, "caf\xe9"), "\"caf\\ufffd\"");
	CHECK_STR(json_of(&j, "x\xe4\xba"), "\"x\\ufffd\\ufffd\"");
	CHECK_STR(json_of(&j, "\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	CHECK_STR(json_of(&j, "\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_STR(json_of(&j, "\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK_STR(json_of(&j, "tab\tq\"\x01"), "\"tab\\tq\\\"\\u0001\"");
	json_free(&j);
	sb_put_utf8(&b, "a\xff\xc3\xa9");
	CHECK_STR(b.buf, "a\xef\xbf\xbd\xc3\xa9");
	sb_free(&b);
	sb_esc(&b, "<\xfe>");
	CHECK_STR(b.buf, "&lt;\xef\xbf\xbd&gt;");
	sb_free(&b);
}

int main(void)
{
	test_reals();
	test_json_double();
	test_utf8();
	return unit_done("test_output");
}
