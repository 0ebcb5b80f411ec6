/*
 * spec §4, §7: blocking — receivers woken by senders, thread_abort, port death,
 * timeouts, blocked senders on full queues; several threads of one task at once.
 */
#include "ipctest.h"

#define WAIT_MS 2000                                  /* generous bound on any wake-up */

struct job {
    mach_port_t port;                                 /* what the worker waits on / sends to */
    mach_port_t report;                               /* where it reports: message id = result */
    mach_msg_option_t option;
    mach_msg_timeout_t timeout;
    int index;
};

static void report(mach_port_t to, mach_msg_id_t value)
{
    t_send(to, MACH_MSG_TYPE_MAKE_SEND, 0, 0, value, 0, 0);
}

/* The report a worker sent (its id), or the receive error. */
static mach_msg_id_t await_report(mach_port_t port)
{
    t_msg_t m;
    mach_msg_return_t mr = t_recv(port, &m, sizeof(m), 0, WAIT_MS);
    return mr == MACH_MSG_SUCCESS ? m.h.msgh_id : (mach_msg_id_t)mr;
}

static void receive_worker(void *arg)
{
    struct job *job = arg;
    t_msg_t m;
    mach_msg_return_t mr = mach_msg(&m.h, MACH_RCV_MSG | job->option, 0, sizeof(m), job->port, job->timeout, 0);
    if (mr == MACH_MSG_SUCCESS && MACH_PORT_VALID(m.h.msgh_remote_port))   /* answer through the reply right */
        t_send(m.h.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, m.h.msgh_id + 100, 0, 0);
    report(job->report, mr);
}

static void send_worker(void *arg)
{
    struct job *job = arg;
    report(job->report, t_send(job->port, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 500 + job->index, job->option,
                               job->timeout));
}

/* Starts `fn` on `job` and gives it time to block. */
static mach_port_t start(void (*fn)(void *), struct job *job)
{
    mach_port_t thread = MACH_PORT_NULL;
    EXPECT_EQ(thread_spawn(fn, job, &thread), KERN_SUCCESS);
    t_sleep(5);
    return thread;
}

static void receiver_woken_by_sender(void)
{
    struct job job = {.port = t_port(), .report = t_port()};
    mach_port_t reply = t_port();
    mach_port_t th = start(receive_worker, &job);
    EXPECT_EQ(t_count(job.report), 0);
    EXPECT_EQ(t_send(job.port, MACH_MSG_TYPE_MAKE_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, 7, 0, 0), 0);
    EXPECT_EQ(await_report(reply), 107);
    EXPECT_EQ(await_report(job.report), MACH_MSG_SUCCESS);
    mach_port_deallocate(TASK, th);
    t_destroy(job.port);
    t_destroy(job.report);
    t_destroy(reply);
}

static void abort_interrupts_receive(void)
{
    struct job job = {.port = t_port(), .report = t_port(), .option = MACH_RCV_INTERRUPT};
    mach_port_t th = start(receive_worker, &job);
    EXPECT_EQ(thread_abort(th), KERN_SUCCESS);
    EXPECT_EQ(await_report(job.report), MACH_RCV_INTERRUPTED);
    mach_port_deallocate(TASK, th);
    t_destroy(job.port);
    t_destroy(job.report);
}

static void port_death_wakes_receiver(void)
{
    struct job job = {.port = t_port(), .report = t_port()};
    mach_port_t th = start(receive_worker, &job);
    t_destroy(job.port);
    EXPECT_EQ(await_report(job.report), MACH_RCV_PORT_DIED);
    mach_port_deallocate(TASK, th);
    /* a set destroyed under a waiting receiver */
    job.port = t_set();
    th = start(receive_worker, &job);
    t_destroy(job.port);
    EXPECT_EQ(await_report(job.report), MACH_RCV_PORT_DIED);
    mach_port_deallocate(TASK, th);
    /* a receive right moved away while waiting */
    mach_port_t carrier = t_port();
    job.port = t_port();
    th = start(receive_worker, &job);
    EXPECT_EQ(t_send_port(carrier, job.port, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_MSG_SUCCESS);
    EXPECT_EQ(await_report(job.report), MACH_RCV_PORT_DIED);
    mach_port_deallocate(TASK, th);
    t_destroy(carrier);
    t_destroy(job.report);
}

static void receive_timeout(void)
{
    struct job job = {.port = t_port(), .report = t_port(), .option = MACH_RCV_TIMEOUT, .timeout = 20};
    mach_port_t th = start(receive_worker, &job);
    EXPECT_EQ(t_count(job.report), 0);                /* still waiting after 5 ms */
    EXPECT_EQ(await_report(job.report), MACH_RCV_TIMED_OUT);
    mach_port_deallocate(TASK, th);
    t_destroy(job.port);
    t_destroy(job.report);
}

static void blocked_sender_admitted_by_a_receive(void)
{
    struct job job = {.port = t_port(), .report = t_port()};
    mach_port_set_qlimit(TASK, job.port, 1);
    t_send(job.port, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, 0, 0);
    mach_port_t th = start(send_worker, &job);
    EXPECT_EQ(t_count(job.report), 0);                /* blocked on the full queue */
    t_msg_t m;
    EXPECT_EQ(t_poll(job.port, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_id, 1);
    EXPECT_EQ(await_report(job.report), MACH_MSG_SUCCESS);
    EXPECT_EQ(t_poll(job.port, &m), MACH_MSG_SUCCESS);
    EXPECT_EQ(m.h.msgh_id, 500);
    mach_port_deallocate(TASK, th);
    t_destroy(job.port);
    t_destroy(job.report);
}

static void blocked_sender_interrupted_or_timed_out(void)
{
    struct job job = {.port = t_port(), .report = t_port(), .option = MACH_SEND_INTERRUPT};
    mach_port_set_qlimit(TASK, job.port, 1);
    t_send(job.port, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, 0, 0);
    mach_port_t th = start(send_worker, &job);
    EXPECT_EQ(thread_abort(th), KERN_SUCCESS);
    EXPECT_EQ(await_report(job.report), MACH_SEND_INTERRUPTED);
    mach_port_deallocate(TASK, th);
    job.option = MACH_SEND_TIMEOUT;
    job.timeout = 20;
    th = start(send_worker, &job);
    EXPECT_EQ(t_count(job.report), 0);
    EXPECT_EQ(await_report(job.report), MACH_SEND_TIMED_OUT);
    mach_port_deallocate(TASK, th);
    EXPECT_EQ(t_count(job.port), 1);
    /* the port dies under a blocked sender: the send succeeds, the message is destroyed */
    job.option = 0;
    th = start(send_worker, &job);
    t_destroy(job.port);
    EXPECT_EQ(await_report(job.report), MACH_MSG_SUCCESS);
    mach_port_deallocate(TASK, th);
    t_destroy(job.report);
}

#define WORKERS 4
#define PER_WORKER 8

static void burst_worker(void *arg)
{
    struct job *job = arg;
    for (int i = 0; i < PER_WORKER; i++)
        t_send(job->port, MACH_MSG_TYPE_MAKE_SEND, 0, 0, job->index * 100 + i, 0, 0);
    /* MIG from several threads at once: each thread has its own reply port */
    int ok = 0;
    for (int i = 0; i < 10; i++) {
        mach_port_t p = t_port();
        ok += t_type(p) == MACH_PORT_TYPE_RECEIVE;
        t_destroy(p);
    }
    report(job->report, ok);
}

static void concurrent_senders_keep_their_order(void)
{
    mach_port_t port = t_port(), rep = t_port(), th[WORKERS];
    struct job jobs[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        jobs[w] = (struct job){.port = port, .report = rep, .index = w};
        EXPECT_EQ(thread_spawn(burst_worker, &jobs[w], &th[w]), KERN_SUCCESS);
    }
    int next[WORKERS] = {0};
    t_msg_t m;
    for (int i = 0; i < WORKERS * PER_WORKER; i++) {
        REQUIRE_EQ(t_recv(port, &m, sizeof(m), 0, WAIT_MS), MACH_MSG_SUCCESS);
        int w = m.h.msgh_id / 100;
        REQUIRE_EQ(w < WORKERS, 1);
        EXPECT_EQ(m.h.msgh_id % 100, next[w]);         /* one thread's messages stay ordered */
        next[w]++;
    }
    for (int w = 0; w < WORKERS; w++)
        EXPECT_EQ(await_report(rep), 10);
    for (int w = 0; w < WORKERS; w++)
        mach_port_deallocate(TASK, th[w]);
    t_destroy(port);
    t_destroy(rep);
}

CHECK_SUITE(ipc_block_suite, "ipc_block",
            CHECK_CASE(receiver_woken_by_sender), CHECK_CASE(abort_interrupts_receive),
            CHECK_CASE(port_death_wakes_receiver), CHECK_CASE(receive_timeout),
            CHECK_CASE(blocked_sender_admitted_by_a_receive), CHECK_CASE(blocked_sender_interrupted_or_timed_out),
            CHECK_CASE(concurrent_senders_keep_their_order));
