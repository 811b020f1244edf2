// SPDX-License-Identifier: MIT
/*
 * Apache's connects paired with a backend's accepts, two ways (model/
 * backend.c): from every record at the end (compare) and as the records
 * stream (trace). On made-up records with the kernel's awkward cases, both
 * must find the waits the records were made from: a unix socket's address
 * given to the next connect once the last one closed, an accept stamped
 * before its connect (the other CPU), connects no backend accepts (cgid's
 * socket, prefork's dummy connections), loopback TCP keyed by port, waits of
 * seconds behind a saturated pool.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "trace/khist.h"
#include "unit.h"

#define NCONN 6000
#define US 1000ULL

struct gen {
	struct ms_event *ev;
	size_t n, cap;
	double *truth;
	size_t ntruth;
};

static struct ms_event *push(struct gen *g)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 1024;
		g->ev = realloc(g->ev, g->cap * sizeof(*g->ev));
	}
	memset(&g->ev[g->n], 0, sizeof(g->ev[0]));
	return &g->ev[g->n++];
}

static int by_ts(const void *a, const void *b)
{
	const struct ms_event *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* NCONN connections from Apache to a backend: on unix sockets from 8
 * addresses reused (each free again 300 us after its accept), or on TCP
 * from ports reused after a while; a wait of 0-2 ms, of seconds for every
 * 500th, and every 7th accept stamped 20 us before its connect. */
static size_t generate(struct gen *g, bool tcp, bool drop, uint64_t seed)
{
	uint64_t free_at[8] = { 0 }, t = 1000000000ULL;
	size_t dropped = 0;

	g->truth = calloc(NCONN, sizeof(double));
	for (int i = 0; i < NCONN; i++) {
		int a = (int)(rnd(&seed) % 8);
		uint64_t wait = i % 500 == 0 ? 3000000000ULL : rnd(&seed) % (2000 * US);
		struct ms_event *c, *x;

		t += rnd(&seed) % (100 * US);
		if (t < free_at[a])
			t = free_at[a];
		c = push(g);
		c->type = MS_EV_CONNECT;
		c->conn.family = tcp ? 2 : 1;
		c->conn.sk = 0xffff888100000000ULL + (uint64_t)a * 0x400;
		c->conn.lport = (uint16_t)(40000 + i % 20000);
		x = push(g);
		x->type = MS_EV_ACCEPT;
		x->flags = MS_EVF_BACKEND;
		x->conn.family = c->conn.family;
		x->conn.peer = c->conn.sk;
		x->conn.rport = c->conn.lport;
		if (i % 7 == 0) { /* the accept's record stamped first */
			c->ts = t + 20 * US;
			x->ts = t;
		} else {
			c->ts = t;
			x->ts = t + wait;
		}
		if (drop && i % 97 == 5) { /* the connect's record lost (a full ring buffer) */
			c->type = MS_EV_SPAWN;
			dropped++;
		} else {
			g->truth[g->ntruth++] = x->ts > c->ts ? (double)((x->ts - c->ts) / US) : 0;
		}
		free_at[a] = x->ts + 300 * US;
		if (i % 3 == 0) { /* a connect no backend accepts (cgid), and a dummy one */
			struct ms_event *o = push(g);

			o->type = MS_EV_CONNECT;
			o->ts = t + 5 * US;
			o->conn.family = 1;
			o->conn.sk = 0xffff888200000000ULL + (uint64_t)(i % 64) * 0x400;
			o = push(g);
			o->type = MS_EV_CONNECT;
			o->ts = t + 6 * US;
			o->conn.family = 2;
			o->conn.lport = (uint16_t)(20000 + i % 9000);
		}
	}
	qsort(g->ev, g->n, sizeof(*g->ev), by_ts);
	qsort(g->truth, g->ntruth, sizeof(double), cmp_double);
	return dropped;
}

/* With drop, one connect's record in 97 is lost: as many accepts stay
 * unpaired, none takes the connect of the connection before on its key
 * (each connect is taken once). */
static void one_way(bool tcp, bool drop)
{
	struct gen g = { 0 };
	struct tracer_counts c = { 0 };
	static struct run_model batch, stream;
	struct backend_stream *s = backend_stream_new();
	const struct dist *qb, *qs;
	double p50 = 0, p99 = 0;
	size_t dropped = generate(&g, tcp, drop, tcp ? 88172645463325252ULL : 2463534242ULL);

	p50 = g.truth[g.ntruth / 2];
	p99 = g.truth[(size_t)(0.99 * (double)g.ntruth)];
	memset(&batch, 0, sizeof(batch));
	memset(&stream, 0, sizeof(stream));
	batch.t_load_start = 0;
	batch.t_load_end = UINT64_MAX;
	model_build_backend(&batch, &c, g.ev, g.n, g.ev, g.n);
	for (size_t i = 0; i < g.n; i++)
		if (g.ev[i].type == MS_EV_CONNECT)
			backend_stream_connect(s, &g.ev[i]);
		else if (g.ev[i].type == MS_EV_ACCEPT)
			backend_stream_accept(s, &g.ev[i]);
	model_build_backend_stream(&stream, &c, NULL, 0, s);
	qb = &batch.k.backend.queue_us;
	qs = &stream.k.backend.queue_us;
	CHECK_EQ_U(batch.k.backend.accepts, NCONN);
	CHECK_EQ_U(stream.k.backend.accepts, NCONN);
	CHECK_EQ_U(batch.k.backend.paired, NCONN - dropped);
	CHECK_EQ_U(stream.k.backend.paired, NCONN - dropped);
	CHECK_EQ_U(qs->n, NCONN - dropped);
	/* the batch keeps every wait, the stream a histogram of 3 digits; an
	 * accept whose connect was lost takes the next connection's on its key
	 * when it comes within the slack, and so on down that key: a few waits
	 * wrong, no more (measured: p50 818 against 825 us) */
	if (!drop) {
		CHECK(fabs(qb->p50 - p50) <= 1);
		CHECK(fabs(qs->p50 - p50) <= 1 + p50 / 1000);
		CHECK(fabs(qs->p99 - p99) <= 1 + p99 / 1000);
	} else {
		CHECK(fabs(qb->p50 - p50) <= p50 / 50);
		CHECK(fabs(qs->p50 - qb->p50) <= 1 + p50 / 1000);
	}
	CHECK(fabs(qs->max - 3000000) <= 3000);
	{ /* serve's histogram: the same pairs in the kernel's log2 slots */
		uint64_t acc, paired, long_waits = 0;
		struct ms_hist w;

		for (size_t i = 0; i < g.ntruth; i++)
			long_waits += g.truth[i] >= (double)(1ULL << 31) / 1000;
		backend_stream_counts(s, &acc, &paired, &w);
		CHECK_EQ_U(w.count, NCONN - dropped);
		CHECK_EQ_U(w.slots[31], long_waits); /* the 3 s waits: [2^31, 2^32) ns */
		CHECK(long_waits > 0);
	}
	if (unit_fail)
		fprintf(stderr, "%s%s: truth p50 %.0f p99 %.0f, batch %.0f %.0f (%llu paired), stream %.0f %.0f (%llu)\n",
			tcp ? "tcp" : "unix", drop ? " (records lost)" : "", p50, p99, qb->p50, qb->p99, (unsigned long long)batch.k.backend.paired,
			qs->p50, qs->p99, (unsigned long long)stream.k.backend.paired);
	model_free(&batch);
	backend_stream_free(s);
	free(g.ev);
	free(g.truth);
}

/* A value lands in its [2^i, 2^(i+1)) ns slot, as the kernel's hist_add(). */
static void log2_slots(void)
{
	struct ms_hist h = { 0 };

	khist_record(&h, 0);
	khist_record(&h, 1);
	khist_record(&h, 1023);
	khist_record(&h, 1024);
	khist_record(&h, UINT64_MAX);
	CHECK_EQ_U(h.slots[0], 2);
	CHECK_EQ_U(h.slots[9], 1);
	CHECK_EQ_U(h.slots[10], 1);
	CHECK_EQ_U(h.slots[MS_HIST_SLOTS - 1], 1);
	CHECK_EQ_U(h.count, 5);
}

int main(void)
{
	log2_slots();
	for (int drop = 0; drop < 2; drop++) {
		one_way(false, drop);
		one_way(true, drop);
	}
	return unit_done("test_backend");
}
