/* SPDX-License-Identifier: MIT */
/* Subcommand entry points, one file each (cmd_NAME.c): each parses its
 * options with cmd/opts.h and returns the process exit code: 0 ok, 1
 * measured but a failure, 2 bad usage or an error that stopped the run, 130
 * interrupted. */
#ifndef MPMSCOPE_CMD_CMDS_H
#define MPMSCOPE_CMD_CMDS_H

int cmd_compare(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_scenarios(int argc, char **argv);
int cmd_server(int argc, char **argv);
/* internal: the slow backend's process (not in the usage) */
int cmd_upstream(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
