/* SPDX-License-Identifier: Apache-2.0 */
/* raw_worker.c: a minimal Temporal worker speaking gRPC directly (no SDK), to measure what the
 * Sandglass server itself can sustain. A benchmark, never a test: it prints numbers and asserts
 * no timings.
 *
 * It starts its own server (free port on 127.0.0.1, a temporary --db-filename, so every write
 * is durable through group commit), then:
 *   - one starter thread (own connection) starts N workflows with StartWorkflowExecution,
 *     pipelining up to 64 requests on its connection and keeping at most C workflows in flight;
 *   - W workflow-task threads (one connection each) loop PollWorkflowTaskQueue →
 *     RespondWorkflowTaskCompleted with ScheduleActivityTask while fewer than K
 *     ActivityTaskCompleted events are in the history (CompleteWorkflowExecution, carrying the
 *     last activity result, once K are);
 *   - A activity-task threads (one connection each) loop PollActivityTaskQueue →
 *     RespondActivityTaskCompleted, returning the activity input as its result.
 * Start-to-close latency of a workflow runs from just before its StartWorkflowExecution call
 * to the OK reply of the RespondWorkflowTaskCompleted that completed it.
 *
 *   raw_worker [--n 2000] [--k 1] [--concurrency 100] [--wf-threads 16] [--act-threads 16]
 *              [--server-bin ../build/sandglass] [--keep] [--timeout-s 900]
 *              [--address HOST:PORT [--server-pid PID]]   (use a running server instead)
 *
 * Polls carry a 5 s deadline (the server parks them for 4 s and answers an empty response,
 * empty task_token, when no task arrives), so the threads notice the end of the run quickly.
 * Every wait is bounded; the server is SIGTERMed (then SIGKILLed) on the way out unless --keep. */
#include "core/sg.h"
#include "net/grpc_client.h"

#include "temporal/api/command/v1/message.pb-c.h"
#include "temporal/api/common/v1/message.pb-c.h"
#include "temporal/api/enums/v1/command_type.pb-c.h"
#include "temporal/api/enums/v1/event_type.pb-c.h"
#include "temporal/api/enums/v1/task_queue.pb-c.h"
#include "temporal/api/history/v1/message.pb-c.h"
#include "temporal/api/taskqueue/v1/message.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WFS "/temporal.api.workflowservice.v1.WorkflowService/"
#define NS "default"
#define IDENTITY "raw_worker"
#define WF_TYPE "rawBench"
#define ACT_TYPE "echo"
#define POLL_TIMEOUT_MS 5000
#define CALL_TIMEOUT_MS 30000
#define OPEN_TIMEOUT_MS 5000
#define START_PIPELINE 64
#define MAX_ERR_KINDS 16

/* ---- options and shared state ---- */

static struct {
    int n, k, concurrency, wf_threads, act_threads, timeout_s;
    const char *server_bin;
    bool keep;
    char host[256];
    int port;
    pid_t server_pid;
    bool own_server;
    int serve_s;           /* > 0: start nothing, serve this task queue that long (schedules) */
    const char *serve_tq;
} opt = { .n = 2000, .k = 1, .concurrency = 100, .wf_threads = 16, .act_threads = 16,
          .timeout_s = 900, .server_bin = "../build/sandglass" };

static char task_queue[64];
static char dir_path[] = "/tmp/sandglass-rawbench-XXXXXX";
static char db_path[PATH_MAX], log_path[PATH_MAX];
static bool have_dir;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int inflight, completed, failed; /* under mu */
static atomic_bool stop_flag;
static double *start_ms, *latency_ms; /* per workflow; latency < 0 until done */
static atomic_long n_wft, n_act, n_empty_wft, n_empty_act, n_reconnects;

static struct {
    char what[200];
    long count;
} err_kinds[MAX_ERR_KINDS];
static int n_err_kinds;
static long n_err_other;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Counts one error by its text (RPC, status, message); the first occurrence is printed. */
static void note_error(const char *fmt, ...) SG_PRINTF(1, 2);
static void note_error(const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&mu);
    int i;
    for (i = 0; i < n_err_kinds; i++)
        if (!strcmp(err_kinds[i].what, buf))
            break;
    if (i < n_err_kinds) {
        err_kinds[i].count++;
    } else if (n_err_kinds < MAX_ERR_KINDS) {
        snprintf(err_kinds[n_err_kinds].what, sizeof err_kinds[0].what, "%s", buf);
        err_kinds[n_err_kinds++].count = 1;
        fprintf(stderr, "raw_worker: error: %s\n", buf);
    } else {
        n_err_other++;
    }
    pthread_mutex_unlock(&mu);
}

static void workflow_done(int idx, bool ok)
{
    double t = now_ms();
    pthread_mutex_lock(&mu);
    if (idx >= 0 && idx < opt.n && latency_ms[idx] < 0) {
        latency_ms[idx] = ok ? t - start_ms[idx] : 1e300;
        if (ok)
            completed++;
        else
            failed++;
        inflight--;
        pthread_cond_broadcast(&cv);
    }
    pthread_mutex_unlock(&mu);
}

/* ---- gRPC helpers ---- */

typedef struct conn {
    sg_grpc_client *c;
} conn;

static bool conn_open(conn *cn)
{
    for (int attempt = 0; attempt < 50 && !atomic_load(&stop_flag); attempt++) {
        if (sg_grpc_client_open(opt.host, opt.port, OPEN_TIMEOUT_MS, &cn->c) == 0)
            return true;
        sleep_ms(100);
    }
    cn->c = NULL;
    return false;
}

static void conn_reopen(conn *cn)
{
    sg_grpc_client_close(cn->c);
    cn->c = NULL;
    atomic_fetch_add(&n_reconnects, 1);
    conn_open(cn);
}

/* Packs msg, calls method; returns the unpacked response (free with protobuf_c_message_free_
 * unpacked) or NULL after noting the error. *transport is set when the connection failed. */
static ProtobufCMessage *rpc(conn *cn, const char *method, const ProtobufCMessage *msg,
                             const ProtobufCMessageDescriptor *resp_desc, int timeout_ms,
                             bool *transport)
{
    *transport = false;
    if (!cn->c) {
        *transport = true;
        return NULL;
    }
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    protobuf_c_message_pack(msg, buf);
    char path[160];
    snprintf(path, sizeof path, WFS "%s", method);
    sg_grpc_result res;
    int rc = sg_grpc_client_call(cn->c, path, buf, len, timeout_ms, &res);
    free(buf);
    if (rc < 0) {
        *transport = true;
        if (!atomic_load(&stop_flag))
            note_error("%s: client error %s", method, sg_strerror(rc));
        return NULL;
    }
    ProtobufCMessage *out = NULL;
    if (res.status != 0) {
        note_error("%s: grpc-status %d%s: %s", method, res.status,
                   res.is_from_server ? "" : " (made up by the client)", res.message);
    } else {
        out = protobuf_c_message_unpack(resp_desc, NULL, res.body_len, res.body);
        if (!out)
            note_error("%s: response does not decode", method);
    }
    sg_grpc_result_deinit(&res);
    return out;
}

static Temporal__Api__Taskqueue__V1__TaskQueue tq_msg(void)
{
    Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    tq.name = task_queue;
    tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
    return tq;
}

/* A one-payload Payloads {"i":idx} with json/plain encoding, in caller-provided storage. */
typedef struct payload_store {
    Temporal__Api__Common__V1__Payloads ps;
    Temporal__Api__Common__V1__Payload p, *pp[1];
    Temporal__Api__Common__V1__Payload__MetadataEntry me, *mep[1];
    char data[64];
} payload_store;

static Temporal__Api__Common__V1__Payloads *make_payload(payload_store *s, int idx)
{
    temporal__api__common__v1__payloads__init(&s->ps);
    temporal__api__common__v1__payload__init(&s->p);
    temporal__api__common__v1__payload__metadata_entry__init(&s->me);
    s->me.key = "encoding";
    s->me.value.data = (uint8_t *)"json/plain";
    s->me.value.len = 10;
    s->mep[0] = &s->me;
    s->p.n_metadata = 1;
    s->p.metadata = s->mep;
    int n = snprintf(s->data, sizeof s->data, "{\"i\":%d}", idx);
    s->p.data.data = (uint8_t *)s->data;
    s->p.data.len = (size_t)n;
    s->pp[0] = &s->p;
    s->ps.n_payloads = 1;
    s->ps.payloads = s->pp;
    return &s->ps;
}

/* ---- starter ---- */

static void *starter_main(void *arg)
{
    SG_UNUSED(arg);
    conn cn;
    if (!conn_open(&cn)) {
        note_error("starter: cannot connect to %s:%d", opt.host, opt.port);
        return NULL;
    }
    Temporal__Api__Common__V1__WorkflowType wt = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
    wt.name = WF_TYPE;
    Temporal__Api__Taskqueue__V1__TaskQueue tq = tq_msg();
    Google__Protobuf__Duration wtt = GOOGLE__PROTOBUF__DURATION__INIT;
    wtt.seconds = 10;
    int next = 0;
    while (next < opt.n && !atomic_load(&stop_flag)) {
        pthread_mutex_lock(&mu);
        while (opt.concurrency > 0 && inflight >= opt.concurrency && !atomic_load(&stop_flag)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&cv, &mu, &ts);
        }
        int room = opt.concurrency > 0 ? opt.concurrency - inflight : INT_MAX;
        int batch = SG_MIN(SG_MIN(room, START_PIPELINE), opt.n - next);
        inflight += batch;
        pthread_mutex_unlock(&mu);
        if (batch <= 0)
            continue;

        int first = next;
        int32_t sids[START_PIPELINE];
        bool queued[START_PIPELINE];
        for (int j = 0; j < batch; j++) {
            int i = first + j;
            char wid[64], rid[64];
            snprintf(wid, sizeof wid, "raw-%d-%d", (int)getpid(), i);
            snprintf(rid, sizeof rid, "raw-req-%d-%d", (int)getpid(), i);
            payload_store ps;
            Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest req =
                TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_REQUEST__INIT;
            req.namespace_ = NS;
            req.workflow_id = wid;
            req.workflow_type = &wt;
            req.task_queue = &tq;
            req.input = make_payload(&ps, i);
            req.workflow_task_timeout = &wtt;
            req.identity = IDENTITY;
            req.request_id = rid;
            size_t len = protobuf_c_message_get_packed_size(&req.base);
            uint8_t *msg = malloc(len ? len : 1);
            protobuf_c_message_pack(&req.base, msg);
            uint8_t *framed;
            size_t framed_len;
            sg_grpc_client_frame(msg, len, false, &framed, &framed_len);
            free(msg);
            start_ms[i] = now_ms();
            queued[j] = cn.c && sg_grpc_client_start(cn.c, WFS "StartWorkflowExecution", NULL, 0,
                                                     framed, framed_len, CALL_TIMEOUT_MS,
                                                     &sids[j]) == 0;
            sg_free(framed);
        }
        bool broken = false;
        for (int j = 0; j < batch; j++) {
            int i = first + j;
            if (!queued[j] || broken) {
                note_error("StartWorkflowExecution: could not send (connection lost)");
                workflow_done(i, false);
                continue;
            }
            sg_grpc_result res;
            int rc = sg_grpc_client_wait(cn.c, sids[j], CALL_TIMEOUT_MS, &res);
            if (rc < 0) {
                note_error("StartWorkflowExecution: client error %s", sg_strerror(rc));
                workflow_done(i, false);
                if (rc != SG_ETIMEDOUT)
                    broken = true;
                continue;
            }
            if (res.status != 0) {
                note_error("StartWorkflowExecution: grpc-status %d: %s", res.status, res.message);
                workflow_done(i, false);
            }
            sg_grpc_result_deinit(&res);
        }
        if (broken)
            conn_reopen(&cn);
        next += batch;
    }
    sg_grpc_client_close(cn.c);
    return NULL;
}

/* ---- workflow tasks ---- */

typedef struct hist_count {
    int scheduled, completed;
    const Temporal__Api__Common__V1__Payloads *last_result; /* borrowed from the messages */
} hist_count;

static void count_events(const Temporal__Api__History__V1__History *h, hist_count *hc)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_events; i++) {
        const Temporal__Api__History__V1__HistoryEvent *ev = h->events[i];
        if (ev->event_type == TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
            hc->scheduled++;
        } else if (ev->event_type ==
                   TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
            hc->completed++;
            if (ev->attributes_case ==
                TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_ACTIVITY_TASK_COMPLETED_EVENT_ATTRIBUTES)
                hc->last_result = ev->activity_task_completed_event_attributes->result;
        }
    }
}

static int wf_index(const char *workflow_id)
{
    const char *dash = workflow_id ? strrchr(workflow_id, '-') : NULL;
    return dash ? atoi(dash + 1) : -1;
}

static void *wft_main(void *arg)
{
    SG_UNUSED(arg);
    conn cn;
    if (!conn_open(&cn)) {
        note_error("workflow-task thread: cannot connect");
        return NULL;
    }
    Temporal__Api__Taskqueue__V1__TaskQueue tq = tq_msg();
    while (!atomic_load(&stop_flag)) {
        Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueRequest preq =
            TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_REQUEST__INIT;
        preq.namespace_ = NS;
        preq.task_queue = &tq;
        preq.identity = IDENTITY;
        bool transport;
        Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *task = (void *)rpc(
            &cn, "PollWorkflowTaskQueue", &preq.base,
            &temporal__api__workflowservice__v1__poll_workflow_task_queue_response__descriptor,
            POLL_TIMEOUT_MS, &transport);
        if (!task) {
            if (atomic_load(&stop_flag))
                break;
            if (transport)
                conn_reopen(&cn);
            else
                sleep_ms(100);
            continue;
        }
        if (!task->task_token.len) { /* the long poll ended with no task */
            atomic_fetch_add(&n_empty_wft, 1);
            protobuf_c_message_free_unpacked(&task->base, NULL);
            continue;
        }
        atomic_fetch_add(&n_wft, 1);
        hist_count hc = { 0 };
        count_events(task->history, &hc);
        /* Further pages, if the history did not fit in the poll response. */
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *pages[64];
        int n_pages = 0;
        ProtobufCBinaryData token = task->next_page_token;
        bool history_ok = true;
        while (token.len && n_pages < (int)SG_ARRAY_LEN(pages)) {
            Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest hreq =
                TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
            hreq.namespace_ = NS;
            hreq.execution = task->workflow_execution;
            hreq.next_page_token = token;
            pages[n_pages] = (void *)rpc(
                &cn, "GetWorkflowExecutionHistory", &hreq.base,
                &temporal__api__workflowservice__v1__get_workflow_execution_history_response__descriptor,
                CALL_TIMEOUT_MS, &transport);
            if (!pages[n_pages]) {
                history_ok = false;
                break;
            }
            count_events(pages[n_pages]->history, &hc);
            token = pages[n_pages++]->next_page_token;
        }

        Temporal__Api__Command__V1__Command cmd = TEMPORAL__API__COMMAND__V1__COMMAND__INIT;
        Temporal__Api__Command__V1__Command *cmds[1] = { &cmd };
        Temporal__Api__Command__V1__ScheduleActivityTaskCommandAttributes sa =
            TEMPORAL__API__COMMAND__V1__SCHEDULE_ACTIVITY_TASK_COMMAND_ATTRIBUTES__INIT;
        Temporal__Api__Command__V1__CompleteWorkflowExecutionCommandAttributes cw =
            TEMPORAL__API__COMMAND__V1__COMPLETE_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES__INIT;
        Temporal__Api__Common__V1__ActivityType at = TEMPORAL__API__COMMON__V1__ACTIVITY_TYPE__INIT;
        Google__Protobuf__Duration st2c = GOOGLE__PROTOBUF__DURATION__INIT;
        payload_store ps;
        char activity_id[32];
        int idx = wf_index(task->workflow_execution ? task->workflow_execution->workflow_id : NULL);
        bool completes = false;
        size_t n_cmds = 0;
        if (history_ok && hc.completed >= opt.k) {
            cmd.command_type = TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION;
            cmd.attributes_case =
                TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_COMPLETE_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES;
            cw.result = hc.last_result ? (Temporal__Api__Common__V1__Payloads *)hc.last_result
                                       : make_payload(&ps, idx);
            cmd.complete_workflow_execution_command_attributes = &cw;
            n_cmds = 1;
            completes = true;
        } else if (history_ok && hc.scheduled == hc.completed) {
            snprintf(activity_id, sizeof activity_id, "%d", hc.completed + 1);
            at.name = ACT_TYPE;
            st2c.seconds = 60;
            sa.activity_id = activity_id;
            sa.activity_type = &at;
            sa.task_queue = &tq;
            sa.start_to_close_timeout = &st2c;
            sa.input = hc.last_result ? (Temporal__Api__Common__V1__Payloads *)hc.last_result
                                      : make_payload(&ps, idx);
            cmd.command_type = TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK;
            cmd.attributes_case =
                TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_SCHEDULE_ACTIVITY_TASK_COMMAND_ATTRIBUTES;
            cmd.schedule_activity_task_command_attributes = &sa;
            n_cmds = 1;
        } /* else an activity is still outstanding (or the history is incomplete): no commands */

        Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest rreq =
            TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__INIT;
        rreq.namespace_ = NS;
        rreq.task_token = task->task_token;
        rreq.identity = IDENTITY;
        rreq.n_commands = n_cmds;
        rreq.commands = cmds;
        ProtobufCMessage *rresp = rpc(
            &cn, "RespondWorkflowTaskCompleted", &rreq.base,
            &temporal__api__workflowservice__v1__respond_workflow_task_completed_response__descriptor,
            CALL_TIMEOUT_MS, &transport);
        if (rresp) {
            if (completes)
                workflow_done(idx, true);
            protobuf_c_message_free_unpacked(rresp, NULL);
        } else if (transport && !atomic_load(&stop_flag)) {
            conn_reopen(&cn);
        }
        for (int i = 0; i < n_pages; i++)
            protobuf_c_message_free_unpacked(&pages[i]->base, NULL);
        protobuf_c_message_free_unpacked(&task->base, NULL);
    }
    sg_grpc_client_close(cn.c);
    return NULL;
}

/* ---- activity tasks ---- */

static void *act_main(void *arg)
{
    SG_UNUSED(arg);
    conn cn;
    if (!conn_open(&cn)) {
        note_error("activity-task thread: cannot connect");
        return NULL;
    }
    Temporal__Api__Taskqueue__V1__TaskQueue tq = tq_msg();
    while (!atomic_load(&stop_flag)) {
        Temporal__Api__Workflowservice__V1__PollActivityTaskQueueRequest preq =
            TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_REQUEST__INIT;
        preq.namespace_ = NS;
        preq.task_queue = &tq;
        preq.identity = IDENTITY;
        bool transport;
        Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *task = (void *)rpc(
            &cn, "PollActivityTaskQueue", &preq.base,
            &temporal__api__workflowservice__v1__poll_activity_task_queue_response__descriptor,
            POLL_TIMEOUT_MS, &transport);
        if (!task) {
            if (atomic_load(&stop_flag))
                break;
            if (transport)
                conn_reopen(&cn);
            else
                sleep_ms(100);
            continue;
        }
        if (!task->task_token.len) {
            atomic_fetch_add(&n_empty_act, 1);
            protobuf_c_message_free_unpacked(&task->base, NULL);
            continue;
        }
        atomic_fetch_add(&n_act, 1);
        Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedRequest rreq =
            TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_COMPLETED_REQUEST__INIT;
        rreq.namespace_ = NS;
        rreq.task_token = task->task_token;
        rreq.identity = IDENTITY;
        rreq.result = task->input; /* echo */
        ProtobufCMessage *rresp = rpc(
            &cn, "RespondActivityTaskCompleted", &rreq.base,
            &temporal__api__workflowservice__v1__respond_activity_task_completed_response__descriptor,
            CALL_TIMEOUT_MS, &transport);
        if (rresp)
            protobuf_c_message_free_unpacked(rresp, NULL);
        else if (transport && !atomic_load(&stop_flag))
            conn_reopen(&cn);
        protobuf_c_message_free_unpacked(&task->base, NULL);
    }
    sg_grpc_client_close(cn.c);
    return NULL;
}

/* ---- the server process ---- */

typedef struct proc_stats {
    bool ok;
    long rss_kb, hwm_kb;
    double cpu_s;
} proc_stats;

static proc_stats read_proc(pid_t pid)
{
    proc_stats st = { 0 };
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return st;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6))
            st.rss_kb = atol(line + 6);
        else if (!strncmp(line, "VmHWM:", 6))
            st.hwm_kb = atol(line + 6);
    }
    fclose(f);
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return st;
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return st;
    /* after ") " comes field 3 (state); utime and stime are fields 14 and 15 */
    unsigned long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return st;
    long tck = sysconf(_SC_CLK_TCK);
    st.cpu_s = (double)(utime + stime) / (double)(tck > 0 ? tck : 100);
    st.ok = true;
    return st;
}

/* Busy CPU seconds of the whole machine (all cores, /proc/stat), to spot other load. */
static double machine_busy_s(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0.0 / 0.0;
    unsigned long long v[8] = { 0 };
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n != 8)
        return 0.0 / 0.0;
    long tck = sysconf(_SC_CLK_TCK);
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]; /* all but idle, iowait */
    return (double)busy / (double)(tck > 0 ? tck : 100);
}

static double loadavg1(void)
{
    double l = 0.0 / 0.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = 0.0 / 0.0;
        fclose(f);
    }
    return l;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* SIGTERM, wait <= 5 s, SIGKILL, wait <= 5 s. Returns the wait status or -1. */
static int stop_server(void)
{
    if (opt.server_pid <= 0 || !opt.own_server)
        return -1;
    int status = -1;
    kill(opt.server_pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(opt.server_pid, &status, WNOHANG) == opt.server_pid)
            goto done;
        sleep_ms(50);
    }
    fprintf(stderr, "raw_worker: server did not exit within 5 s of SIGTERM; SIGKILL\n");
    kill(opt.server_pid, SIGKILL);
    for (int i = 0; i < 100; i++) {
        if (waitpid(opt.server_pid, &status, WNOHANG) == opt.server_pid)
            goto done;
        sleep_ms(50);
    }
    status = -1;
done:
    opt.server_pid = 0;
    return status;
}

static void remove_dir(void)
{
    if (!have_dir)
        return;
    const char *suffix[] = { "", "-wal", "-shm", "-journal" };
    char p[PATH_MAX + 16];
    for (size_t i = 0; i < SG_ARRAY_LEN(suffix); i++) {
        snprintf(p, sizeof p, "%s%s", db_path, suffix[i]);
        unlink(p);
    }
    unlink(log_path);
    rmdir(dir_path);
    have_dir = false;
}

static void print_server_log(void)
{
    FILE *f = fopen(log_path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > 16384 ? size - 16384 : 0, SEEK_SET);
    char buf[4096];
    size_t n;
    fprintf(stderr, "--- server log (tail) ---\n");
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(f);
}

static void on_signal(int sig)
{
    /* Async-signal-safe: kill our server and leave. */
    if (opt.own_server && opt.server_pid > 0 && !opt.keep)
        kill(opt.server_pid, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

static bool start_server(void)
{
    if (!mkdtemp(dir_path)) {
        perror("mkdtemp");
        return false;
    }
    have_dir = true;
    snprintf(db_path, sizeof db_path, "%s/bench.db", dir_path);
    snprintf(log_path, sizeof log_path, "%s/server.log", dir_path);
    opt.port = free_port();
    snprintf(opt.host, sizeof opt.host, "127.0.0.1");
    if (opt.port <= 0) {
        fprintf(stderr, "raw_worker: no free port\n");
        return false;
    }
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", opt.port);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return false;
    }
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int nul = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (nul >= 0)
            dup2(nul, 0);
        if (opt.keep)
            setsid();
        execl(opt.server_bin, opt.server_bin, "server", "start-dev", "--ip", "127.0.0.1", "--port",
              port_s, "--headless", "--db-filename", db_path, "--log-level", "error", (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", opt.server_bin, strerror(errno));
        _exit(127);
    }
    opt.server_pid = pid;
    opt.own_server = true;
    return true;
}

/* Waits (<= 15 s) until DescribeNamespace("default") answers OK. */
static bool wait_ready(void)
{
    double deadline = now_ms() + 15000;
    while (now_ms() < deadline) {
        if (opt.own_server && waitpid(opt.server_pid, NULL, WNOHANG) == opt.server_pid) {
            fprintf(stderr, "raw_worker: the server exited during start-up\n");
            opt.server_pid = 0;
            return false;
        }
        sg_grpc_client *c;
        if (sg_grpc_client_open(opt.host, opt.port, 500, &c) == 0) {
            Temporal__Api__Workflowservice__V1__DescribeNamespaceRequest req =
                TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_NAMESPACE_REQUEST__INIT;
            req.namespace_ = NS;
            uint8_t buf[64];
            size_t len = protobuf_c_message_pack(&req.base, buf);
            sg_grpc_result res;
            int rc = sg_grpc_client_call(c, WFS "DescribeNamespace", buf, len, 2000, &res);
            bool ok = rc == 0 && res.status == 0;
            if (rc == 0)
                sg_grpc_result_deinit(&res);
            sg_grpc_client_close(c);
            if (ok)
                return true;
        }
        sleep_ms(50);
    }
    fprintf(stderr, "raw_worker: the server did not answer DescribeNamespace within 15 s\n");
    return false;
}

/* ---- main ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *sorted, int n, double p)
{
    if (n <= 0)
        return 0.0 / 0.0;
    int i = (int)((p / 100.0) * n + 0.999999) - 1;
    return sorted[SG_MIN(n - 1, SG_MAX(0, i))];
}

static void usage(void)
{
    fprintf(stderr,
            "usage: raw_worker [--n 2000] [--k 1] [--concurrency 100 (0 = all at once)]\n"
            "                  [--wf-threads 16] [--act-threads 16] [--threads T (sets both)]\n"
            "                  [--server-bin PATH] [--keep] [--timeout-s 900]\n"
            "                  [--address HOST:PORT [--server-pid PID]]\n"
            "                  [--serve-s S --task-queue Q (start nothing: complete what arrives\n"
            "                   on Q for S seconds, e.g. the runs of schedules)]\n");
    exit(2);
}

static int int_arg(const char *name, const char *v, int min)
{
    char *end;
    errno = 0;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || *end || x < min || x > INT_MAX) {
        fprintf(stderr, "raw_worker: %s needs an integer >= %d\n", name, min);
        usage();
    }
    return (int)x;
}

int main(int argc, char **argv)
{
    const char *address = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--n"))
            opt.n = int_arg(a, v, 1), i++;
        else if (!strcmp(a, "--k"))
            opt.k = int_arg(a, v, 0), i++;
        else if (!strcmp(a, "--concurrency"))
            opt.concurrency = int_arg(a, v, 0), i++;
        else if (!strcmp(a, "--wf-threads"))
            opt.wf_threads = int_arg(a, v, 1), i++;
        else if (!strcmp(a, "--act-threads"))
            opt.act_threads = int_arg(a, v, 1), i++;
        else if (!strcmp(a, "--threads"))
            opt.wf_threads = opt.act_threads = int_arg(a, v, 1), i++;
        else if (!strcmp(a, "--timeout-s"))
            opt.timeout_s = int_arg(a, v, 1), i++;
        else if (!strcmp(a, "--server-bin") && v)
            opt.server_bin = v, i++;
        else if (!strcmp(a, "--address") && v)
            address = v, i++;
        else if (!strcmp(a, "--server-pid"))
            opt.server_pid = int_arg(a, v, 1), i++;
        else if (!strcmp(a, "--keep"))
            opt.keep = true;
        else if (!strcmp(a, "--serve-s"))
            opt.serve_s = int_arg(a, v, 1), i++;
        else if (!strcmp(a, "--task-queue") && v)
            opt.serve_tq = v, i++;
        else
            usage();
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    if (address) {
        const char *colon = strrchr(address, ':');
        if (!colon || (size_t)(colon - address) >= sizeof opt.host)
            usage();
        snprintf(opt.host, sizeof opt.host, "%.*s", (int)(colon - address), address);
        opt.port = int_arg("--address port", colon + 1, 1);
    } else {
        if (access(opt.server_bin, X_OK) != 0) {
            fprintf(stderr, "raw_worker: %s is not executable (make at the top first, or --server-bin)\n",
                    opt.server_bin);
            return 1;
        }
        if (!start_server()) {
            stop_server();
            remove_dir();
            return 1;
        }
    }
    if (!wait_ready()) {
        print_server_log();
        stop_server();
        remove_dir();
        return 1;
    }
    if (opt.serve_tq)
        snprintf(task_queue, sizeof task_queue, "%s", opt.serve_tq);
    else
        snprintf(task_queue, sizeof task_queue, "raw-%d-%ld", (int)getpid(), (long)time(NULL));

    start_ms = calloc((size_t)opt.n, sizeof *start_ms);
    latency_ms = malloc((size_t)opt.n * sizeof *latency_ms);
    for (int i = 0; i < opt.n; i++)
        latency_ms[i] = -1;

    printf("sandglass %s\n", opt.own_server ? opt.server_bin : "(external)");
    if (opt.own_server)
        printf("server    %s:%d pid %d db %s\n", opt.host, opt.port, (int)opt.server_pid, db_path);
    else
        printf("server    %s:%d pid %d\n", opt.host, opt.port, (int)opt.server_pid);
    printf("run       N=%d K=%d concurrency=%d%s, 1 starter thread (pipeline %d), %d workflow-task "
           "threads, %d activity-task threads, task queue %s\n",
           opt.n, opt.k, opt.concurrency, opt.concurrency ? "" : " (unbounded)", START_PIPELINE,
           opt.wf_threads, opt.act_threads, task_queue);
    fflush(stdout);

    proc_stats s0 = opt.server_pid > 0 ? read_proc(opt.server_pid) : (proc_stats){ 0 };
    struct rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    double busy0 = machine_busy_s(), load0 = loadavg1();
    double t0 = now_ms();
    int nthreads = 1 + opt.wf_threads + opt.act_threads;
    pthread_t *th = calloc((size_t)nthreads, sizeof *th);
    if (!opt.serve_s)
        pthread_create(&th[0], NULL, starter_main, NULL);
    for (int i = 0; i < opt.wf_threads; i++)
        pthread_create(&th[1 + i], NULL, wft_main, NULL);
    for (int i = 0; i < opt.act_threads; i++)
        pthread_create(&th[1 + opt.wf_threads + i], NULL, act_main, NULL);

    /* Wait for every workflow to finish one way or the other, or the overall timeout. */
    double deadline = t0 + opt.timeout_s * 1000.0, last_report = t0;
    bool timed_out = false, server_died = false;
    int server_status = 0;
    if (opt.serve_s)
        deadline = t0 + opt.serve_s * 1000.0;
    pthread_mutex_lock(&mu);
    while (opt.serve_s || completed + failed < opt.n) {
        if (now_ms() > deadline) {
            timed_out = true;
            break;
        }
        if (opt.own_server && waitpid(opt.server_pid, &server_status, WNOHANG) == opt.server_pid) {
            server_died = true;
            break;
        }
        if (now_ms() - last_report > 5000) {
            last_report = now_ms();
            fprintf(stderr, "  ... %d/%d completed, %d failed, %.1f s\n", completed, opt.n, failed,
                    (now_ms() - t0) / 1000);
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&cv, &mu, &ts);
    }
    int done_ok = completed, done_failed = failed;
    pthread_mutex_unlock(&mu);
    double wall = now_ms() - t0;
    if (server_died) {
        fprintf(stderr, "raw_worker: the server exited during the run (wait status 0x%x%s%s)\n",
                server_status, WIFSIGNALED(server_status) ? ", signal " : "",
                WIFSIGNALED(server_status) ? strsignal(WTERMSIG(server_status)) : "");
        opt.server_pid = 0;
        print_server_log();
    }
    proc_stats s1 = opt.server_pid > 0 ? read_proc(opt.server_pid) : (proc_stats){ 0 };
    struct rusage ru1;
    getrusage(RUSAGE_SELF, &ru1);
    double busy1 = machine_busy_s(), load1 = loadavg1();
    long c_wft = atomic_load(&n_wft), c_act = atomic_load(&n_act),
         c_empty_wft = atomic_load(&n_empty_wft), c_empty_act = atomic_load(&n_empty_act),
         c_reconnects = atomic_load(&n_reconnects);

    atomic_store(&stop_flag, true);
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    /* Threads notice within one poll deadline (5 s) or one call deadline (30 s) at worst. */
    struct timespec jd;
    clock_gettime(CLOCK_REALTIME, &jd);
    jd.tv_sec += CALL_TIMEOUT_MS / 1000 + 5;
    int unjoined = 0;
    for (int i = opt.serve_s ? 1 : 0; i < nthreads; i++)
        if (pthread_timedjoin_np(th[i], NULL, &jd) != 0)
            unjoined++;

    double *ok = malloc((size_t)opt.n * sizeof *ok);
    int n_ok = 0;
    for (int i = 0; i < opt.n; i++)
        if (latency_ms[i] >= 0 && latency_ms[i] < 1e300)
            ok[n_ok++] = latency_ms[i];
    qsort(ok, (size_t)n_ok, sizeof *ok, cmp_double);
    double secs = wall / 1000;
    printf("\ncompleted %d/%d workflows, %d failed%s\n", done_ok, opt.n, done_failed,
           timed_out ? " (overall --timeout-s reached)" : server_died ? " (the server died)" : "");
    printf("wall      %.2f s\n", secs);
    printf("rate      %.1f workflows/s, %.1f activities/s\n", n_ok / secs,
           (double)n_ok * opt.k / secs);
    printf("latency   start-to-close (client-observed, ms): p50 %.1f  p95 %.1f  p99 %.1f  max %.1f\n",
           pct(ok, n_ok, 50), pct(ok, n_ok, 95), pct(ok, n_ok, 99), n_ok ? ok[n_ok - 1] : 0.0 / 0.0);
    printf("tasks     %ld workflow tasks, %ld activity tasks; empty polls: %ld workflow, %ld "
           "activity; reconnects %ld\n",
           c_wft, c_act, c_empty_wft, c_empty_act, c_reconnects);
    if (s1.ok)
        printf("server    RSS %.1f MiB (peak VmHWM %.1f MiB), CPU %.2f s total, %.2f s during the "
               "run (%.0f%% of one core)\n",
               s1.rss_kb / 1024.0, s1.hwm_kb / 1024.0, s1.cpu_s, s1.cpu_s - s0.cpu_s,
               (s1.cpu_s - s0.cpu_s) / secs * 100);
    else if (opt.server_pid > 0)
        printf("server    pid %d: /proc not readable (gone?)\n", (int)opt.server_pid);
    double my_cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                    (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                    (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                    (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    printf("driver    CPU %.2f s during the run (%.0f%% of one core)\n", my_cpu, my_cpu / secs * 100);
    double ours = my_cpu + (s1.ok ? s1.cpu_s - s0.cpu_s : 0);
    printf("machine   %ld CPUs, %.2f CPU-s busy during the run, %.2f of them outside server+driver; "
           "loadavg %.2f -> %.2f\n",
           sysconf(_SC_NPROCESSORS_ONLN), busy1 - busy0, SG_MAX(0.0, busy1 - busy0 - ours), load0,
           load1);
    if (n_err_kinds) {
        printf("errors:\n");
        for (int i = 0; i < n_err_kinds; i++)
            printf("  %6ld x %s\n", err_kinds[i].count, err_kinds[i].what);
        if (n_err_other)
            printf("  %6ld x (other kinds)\n", n_err_other);
    }
    if (unjoined)
        printf("note: %d thread(s) still blocked in a call at exit\n", unjoined);
    fflush(stdout);

    bool bad = timed_out || server_died || done_failed || n_err_kinds;
    if (opt.own_server) {
        if (opt.keep) {
            printf("--keep: server still running at %s:%d (pid %d, db %s, log %s); kill %d when "
                   "done\n",
                   opt.host, opt.port, (int)opt.server_pid, db_path, log_path, (int)opt.server_pid);
        } else {
            if (bad && !server_died)
                print_server_log();
            int st = server_died ? 0 : stop_server();
            if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "raw_worker: server exit status 0x%x\n", st);
                print_server_log();
            }
            remove_dir();
        }
    }
    /* Threads still blocked (if any) die with the process. */
    fflush(stdout);
    _exit(bad ? 1 : 0);
}
