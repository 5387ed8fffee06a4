/* SPDX-License-Identifier: Apache-2.0 */
/* vis_bench.c: visibility at scale — N runs (default 1,000,000) in one namespace, written
 * through the store (not the SDK) with five custom search attributes, then list pages of 100
 * and counts for typical filters, each timed R times (p50 / p99), and the database size.
 *
 *   make && make -C bench vis_bench && bench/vis_bench [--n 1000000] [--reps 50] [--keep]
 *
 * Prints numbers; asserts nothing. The database is a temporary file (WAL, synchronous=FULL as
 * the server uses), removed at the end unless --keep. */
#include "store/store.h"
#include "visibility/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int attr_type(void *ud, const char *name)
{
    (void)ud;
    if (!strcmp(name, "CustomerId") || !strcmp(name, "Region"))
        return SG_VQ_KEYWORD;
    if (!strcmp(name, "Amount"))
        return SG_VQ_INT;
    if (!strcmp(name, "DueAt"))
        return SG_VQ_DATETIME;
    if (!strcmp(name, "Notes"))
        return SG_VQ_TEXT;
    return 0;
}

static int on_row(void *ud, const uint8_t *info, size_t len, const sg_vis_cursor *pos)
{
    (void)info, (void)len, (void)pos;
    (*(int *)ud)++;
    return 0;
}

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

int main(int argc, char **argv)
{
    long n = 1000000;
    int reps = 50;
    bool keep = false, reopen = true, walk = true;
    const char *db = NULL;
    const char *pragmas[16];
    size_t n_pragmas = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--keep"))
            keep = true;
        else if (!strcmp(argv[i], "--no-reopen"))
            reopen = false;
        else if (!strcmp(argv[i], "--no-walk"))
            walk = false;
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strcmp(argv[i], "--pragma") && i + 1 < argc && n_pragmas < 16)
            pragmas[n_pragmas++] = argv[++i];
        else {
            fprintf(stderr, "usage: vis_bench [--n N] [--reps R] [--keep] [--no-reopen]\n"
                            "                 [--db PATH (read a database kept by --keep; --n as written)]\n"
                            "                 [--pragma K=V ...] [--no-walk (every page as planned)]\n");
            return 2;
        }
    }
    char dir[] = "/tmp/sg-visbench-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/vis.db", db ? "" : dir);
    if (db) {
        rmdir(dir);
        snprintf(path, sizeof path, "%s", db);
        keep = true;
    }
    sg_store_options o = { .path = path, .pragmas = pragmas, .n_pragmas = n_pragmas };
    sg_store *st;
    if (sg_store_open(&o, &st) < 0)
        return 1;
    if (db)
        goto read;

    /* ---- write ---- */
    static const char *const words[] = { "urgent", "invoice", "refund", "shipping", "audit",
                                         "renewal", "onboarding", "escalation" };
    double t0 = now_ms();
    char run[40], wf[40], type[24], cust[24], region[16], notes[80];
    for (long i = 0; i < n; i++) {
        if (i % 10000 == 0 && sg_store_begin(st) < 0)
            return 1;
        snprintf(run, sizeof run, "run-%08ld", i);
        snprintf(wf, sizeof wf, "wf-%08ld", i);
        snprintf(type, sizeof type, "type-%ld", i % 20);
        snprintf(cust, sizeof cust, "cust-%ld", i % 10000);   /* 100 runs each: 0.01% */
        snprintf(region, sizeof region, "region-%ld", i % 10); /* 10% each */
        snprintf(notes, sizeof notes, "%s %s case %ld", words[i % 8], words[(i / 8) % 8], i % 1000);
        int status = i % 10 == 0 ? 1 : 2 + (int)(i % 4);       /* 10% running */
        int64_t start = T0 + i * 1000;                          /* one per second */
        sg_vis_attr attrs[] = {
            { "CustomerId", { .kind = VQ_V_TEXT, .s = cust } },
            { "Region", { .kind = VQ_V_TEXT, .s = region } },
            { "Amount", { .kind = VQ_V_INT, .i = i % 5000 } },
            { "DueAt", { .kind = VQ_V_INT, .i = start + 86400000 } },
            { "Notes", { .kind = VQ_V_TEXT, .s = words[i % 8] } },
            { "Notes", { .kind = VQ_V_TEXT, .s = words[(i / 8) % 8] } },
        };
        sg_visibility_rec r = {
            .namespace_id = "ns", .run_id = run, .workflow_id = wf, .workflow_type = type,
            .task_queue = "q", .status = status, .start_time_ms = start, .execution_time_ms = start,
            .close_time_ms = status == 1 ? 0 : start + 5000, .history_length = 11,
            .history_size_bytes = 1500, .state_transition_count = 6,
            .info = (const uint8_t *)notes, .info_len = 200 < strlen(notes) ? 200 : strlen(notes),
            .attrs = attrs, .n_attrs = 6, .is_new = true,
        };
        if (sg_store_visibility_put(st, &r) < 0)
            return 1;
        if (i % 10000 == 9999 || i == n - 1) {
            if (sg_store_commit(st) < 0)
                return 1;
        }
    }
    double write_ms = now_ms() - t0;
    struct stat sb;
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    long long size = stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
    long long wal_size = stat(wal, &sb) == 0 ? (long long)sb.st_size : 0;
    printf("runs: %ld written in %.1f s (%.1f us per run, 6 attribute values each, commits of 10k)\n",
           n, write_ms / 1000, write_ms * 1000 / n);
    printf("database: %.1f MB (+ %.1f MB WAL)\n\n", size / 1e6, wal_size / 1e6);

    if (reopen) {
        /* As a server start does (and a running server every 1000 commits): the store
         * refreshes the query planner's statistics. */
        double s0 = now_ms();
        sg_store_close(st);
        if (sg_store_open(&o, &st) < 0)
            return 1;
        printf("reopened (planner statistics refreshed) in %.1f ms\n\n", now_ms() - s0);
    } else {
        printf("no planner statistics (--no-reopen)\n\n");
    }

read:
    sg_store_set_vis_walk(st, walk);
    /* ---- read ---- */
    char between[160], starts[64];
    long mid = n / 2;
    /* 1% of the runs by start time. */
    time_t a = (time_t)((T0 + mid * 1000) / 1000), b = (time_t)((T0 + (mid + n / 100) * 1000) / 1000);
    struct tm ta, tb;
    gmtime_r(&a, &ta);
    gmtime_r(&b, &tb);
    snprintf(between, sizeof between,
             "StartTime BETWEEN '%04d-%02d-%02dT%02d:%02d:%02dZ' AND '%04d-%02d-%02dT%02d:%02d:%02dZ'",
             ta.tm_year + 1900, ta.tm_mon + 1, ta.tm_mday, ta.tm_hour, ta.tm_min, ta.tm_sec,
             tb.tm_year + 1900, tb.tm_mon + 1, tb.tm_mday, tb.tm_hour, tb.tm_min, tb.tm_sec);
    snprintf(starts, sizeof starts, "WorkflowId STARTS_WITH 'wf-%05ld'", mid / 1000);
    const char *filters[] = {
        "ExecutionStatus = 'Running'",
        "WorkflowType = 'type-8' AND ExecutionStatus = 'Completed'",
        "CustomerId = 'cust-4242'",
        "Region = 'region-3' AND Amount > 4900",
        between,
        starts,
        "Notes = 'refund audit'",
        "Region = 'region-3'",
        "Notes = 'refund'",
        "GROUP BY ExecutionStatus",
        "",
        "ORDER BY StartTime DESC",
        "CustomerId = 'cust-4242' ORDER BY CloseTime",
        "ExecutionStatus = 'Running' ORDER BY WorkflowId",
        "ORDER BY WorkflowType",
    };
    printf("%-66s %9s %9s %9s %9s %9s\n", "filter", "matches", "page p50", "page p99", "cnt p50",
           "cnt p99");
    double *page_t = malloc(sizeof(double) * (size_t)reps), *count_t = malloc(sizeof(double) * (size_t)reps);
    for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
        sg_arena ar;
        sg_arena_init(&ar);
        sg_vq *q;
        const char *err;
        if (sg_vq_parse(&ar, filters[f], attr_type, NULL, &q, &err) < 0) {
            fprintf(stderr, "%s: %s\n", filters[f], err);
            return 1;
        }
        int64_t total = 0, by[9];
        for (int r = 0; r < reps; r++) {
            int rows = 0;
            sg_vis_cursor after = { 0 };
            double s = now_ms();
            if (!q->group_by_status && sg_store_visibility_list(st, "ns", q, &after, 100, on_row, &rows) < 0)
                return 1;
            page_t[r] = now_ms() - s;
            s = now_ms();
            if (sg_store_visibility_count(st, "ns", q, &total, q->group_by_status ? by : NULL, 9) < 0)
                return 1;
            count_t[r] = now_ms() - s;
        }
        qsort(page_t, (size_t)reps, sizeof *page_t, cmp_double);
        qsort(count_t, (size_t)reps, sizeof *count_t, cmp_double);
        int p99 = reps * 99 / 100 < reps ? reps * 99 / 100 : reps - 1;
        char label[67];
        snprintf(label, sizeof label, "%s", *filters[f] ? filters[f] : "(all)");
        if (q->group_by_status)
            printf("%-66s %9lld %9s %9s %9.2f %9.2f\n", label, (long long)total, "-", "-",
                   count_t[reps / 2], count_t[p99]);
        else
            printf("%-66s %9lld %9.2f %9.2f %9.2f %9.2f\n", label, (long long)total, page_t[reps / 2],
                   page_t[p99], count_t[reps / 2], count_t[p99]);
        sg_arena_deinit(&ar);
    }
    printf("\n(times in ms; a page is the first 100 in the default order or the ORDER BY; counts are exact)\n");
    sg_store_close(st);
    if (!keep) {
        unlink(wal);
        char shm[300];
        snprintf(shm, sizeof shm, "%s-shm", path);
        unlink(shm);
        unlink(path);
        rmdir(dir);
    } else {
        printf("kept %s\n", path);
    }
    free(page_t);
    free(count_t);
    return 0;
}
