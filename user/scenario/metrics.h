/* SPDX-License-Identifier: MIT */
/*
 * The metrics a claim's check may compare (`check = METRIC MPM OP ...`), with
 * their units: one table that the scenario parser validates names against and
 * that model/claims.c evaluates (it defines one function m_NAME per entry).
 * X(name, unit)
 */
#ifndef MPMSCOPE_SCENARIO_METRICS_H
#define MPMSCOPE_SCENARIO_METRICS_H

#define SC_METRICS(X)                        \
	X(rps, "req/s")                      \
	X(failed, "requests")                \
	X(failure_rate, "")                  \
	X(p50_us, "us")                      \
	X(p90_us, "us")                      \
	X(p99_us, "us")                      \
	X(max_us, "us")                      \
	X(mean_us, "us")                     \
	X(pss_kb, "kB")                      \
	X(rss_kb, "kB")                      \
	X(uss_kb, "kB")                      \
	X(kb_per_slot, "kB")                 \
	X(cpu_us_per_request, "us")          \
	X(cpu_us_per_connection, "us")       \
	X(cswitch_per_request, "")           \
	X(wakeups_per_request, "")           \
	X(runq_p99_us, "us")                 \
	X(held_task_seconds, "s")            \
	X(processes_created, "")             \
	X(threads_created, "")               \
	X(listen_queue_p99_us, "us")         \
	X(transfer_mb_s, "MB/s")             \
	X(server_cpu_s, "s")                 \
	X(refused, "")

#endif
