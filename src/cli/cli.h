/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h: entry points of the multi-call binary's command groups. Each returns the process exit
 * code: 0 success, 1 runtime failure, 2 usage error (as the temporal CLI). */
#ifndef SG_CLI_H
#define SG_CLI_H

/* `sandglass server start-dev [flags]`: argv[0] is "start-dev". */
int sg_cli_server_start_dev(int argc, char **argv);
/* `sandglass test-server PORT [flags]` (also `sandglass PORT ...`): a time-skipping server,
 * as the SDKs' test environments launch Temporal's test server. argv[0] is the command. */
int sg_cli_test_server(int argc, char **argv);

/* `sandglass workflow <command> [flags]`: argv[0] is "workflow". */
int sg_cli_workflow(int argc, char **argv);
/* `sandglass operator <namespace|search-attribute|cluster> <command> [flags]`. */
int sg_cli_operator(int argc, char **argv);
/* `sandglass schedule <command> [flags]`: argv[0] is "schedule". */
int sg_cli_schedule(int argc, char **argv);

#endif
