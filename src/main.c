/* SPDX-License-Identifier: Apache-2.0 */
/* main.c: the multi-call entry point — `sandglass <group> <command> [flags]`. */
#include "cli/cli.h"
#include "core/version.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("Usage: sandglass <command> [flags]\n"
          "\n"
          "Commands:\n"
          "  server start-dev   run a development server (SQLite storage, Temporal gRPC API)\n"
          "  test-server PORT   run a time-skipping test server (also: sandglass PORT)\n"
          "  workflow           list, count, describe, show, start, signal, query, cancel, ...\n"
          "  batch              describe, list and terminate batch jobs\n"
          "  schedule           create, describe, list, update, toggle, trigger, backfill, delete\n"
          "  operator           namespaces, search attributes, cluster health\n"
          "  task-queue         describe a task queue's pollers\n"
          "  activity           complete or fail a running activity by hand\n"
          "  version            print the version\n"
          "\n"
          "Run 'sandglass server start-dev --help' for the server's flags.\n",
          f);
}

int main(int argc, char **argv)
{
    /* A peer that hangs up (a server that went away under a CLI command, a client under the
     * server) must surface as EPIPE where the write is checked, not end the process. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("sandglass %s\n", SG_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "server") == 0) {
        if (argc >= 3 && strcmp(argv[2], "start-dev") == 0)
            return sg_cli_server_start_dev(argc - 2, argv + 2);
        fprintf(stderr, "sandglass server: unknown command '%s'; try 'start-dev'\n",
                argc >= 3 ? argv[2] : "");
        return 2;
    }
    if (strcmp(argv[1], "workflow") == 0 || strcmp(argv[1], "task-queue") == 0 ||
        strcmp(argv[1], "activity") == 0 || strcmp(argv[1], "batch") == 0)
        return sg_cli_workflow(argc - 1, argv + 1);
    if (strcmp(argv[1], "operator") == 0)
        return sg_cli_operator(argc - 1, argv + 1);
    if (strcmp(argv[1], "schedule") == 0)
        return sg_cli_schedule(argc - 1, argv + 1);
    if (strcmp(argv[1], "test-server") == 0)
        return sg_cli_test_server(argc - 1, argv + 1);
    if (argv[1][0] >= '1' && argv[1][0] <= '9' && strspn(argv[1], "0123456789") == strlen(argv[1]))
        return sg_cli_test_server(argc, argv); /* `sandglass PORT`: argv[1] is the port */
    fprintf(stderr, "sandglass: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
