/*
 * Fuzzes mach_msg with random and mutated messages from a seeded PRNG: bad
 * sizes, bits, dispositions, descriptor counts and types, wild OOL addresses,
 * names the task does not own, stale generations, full queues, random MIG
 * requests to its own task port.  Every answer must be a code spec §4 lists
 * (with the §4 special bits only where they may appear).  Never blocks: every
 * call has SEND_TIMEOUT and RCV_TIMEOUT of 0.
 *
 * The last argument `fuzz=SEED,COUNT` (the kernel's root name argument for
 * init) picks the run; default seed 1, 300 messages.  Prints the message and
 * code counts, then "N passed, M failed" (one case per 100 messages).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mach/mach.h>

#define POOL 24
#define SCRATCH_PAGES 4
#define BUF_WORDS 256

static uint64_t rng;
static mach_port_name_t pool[POOL];
static mach_port_name_t *initial_names;
static mach_msg_type_number_t initial_count;
static vm_address_t scratch;
static uint32_t codes_seen[64], codes_count[64];
static int ncodes, unexpected;
static uint32_t seed = 1, count = 300, done;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static uint32_t below(uint32_t n)
{
    return n ? rnd() % n : 0;
}

/* spec §4: every code mach_msg may return, and which may carry the special bits. */
static int code_valid(mach_msg_return_t mr)
{
    uint32_t base = (uint32_t)mr & ~(uint32_t)MACH_MSG_MASK, bits = (uint32_t)mr & MACH_MSG_MASK;
    static const uint32_t plain[] = {
        MACH_MSG_SUCCESS, MACH_SEND_INVALID_DATA, MACH_SEND_INVALID_DEST, MACH_SEND_TIMED_OUT,
        MACH_SEND_INVALID_VOUCHER, MACH_SEND_INTERRUPTED, MACH_SEND_MSG_TOO_SMALL, MACH_SEND_INVALID_REPLY,
        MACH_SEND_INVALID_RIGHT, MACH_SEND_INVALID_MEMORY, MACH_SEND_NO_BUFFER, MACH_SEND_TOO_LARGE,
        MACH_SEND_INVALID_TYPE, MACH_SEND_INVALID_HEADER, MACH_SEND_INVALID_OPTIONS, MACH_RCV_INVALID_NAME,
        MACH_RCV_TIMED_OUT, MACH_RCV_TOO_LARGE, MACH_RCV_INTERRUPTED, MACH_RCV_INVALID_DATA, MACH_RCV_PORT_DIED,
        MACH_RCV_IN_SET, MACH_RCV_HEADER_ERROR, MACH_RCV_BODY_ERROR, MACH_RCV_INVALID_TRAILER,
        MACH_RCV_INVALID_ARGUMENTS,
    };
    for (unsigned i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        if (base == plain[i]) {
            if (bits == 0)
                return 1;
            return base == MACH_SEND_TIMED_OUT || base == MACH_SEND_INTERRUPTED || base == MACH_RCV_HEADER_ERROR
                   || base == MACH_RCV_BODY_ERROR;
        }
    }
    return 0;
}

static void record(mach_msg_return_t mr)
{
    if (!code_valid(mr)) {
        if (unexpected++ < 5)
            printf("unexpected code 0x%x\n", (uint32_t)mr);
        check_fail(__LINE__, "mach_msg result", (uint32_t)mr, 0);
    }
    for (int i = 0; i < ncodes; i++) {
        if (codes_seen[i] == (uint32_t)mr) {
            codes_count[i]++;
            return;
        }
    }
    if (ncodes < 64) {
        codes_seen[ncodes] = (uint32_t)mr;
        codes_count[ncodes++] = 1;
    }
}

/* A name to use: one of ours, a forged or stale one, NULL/DEAD, the task port. */
static mach_port_name_t any_name(void)
{
    switch (below(10)) {
    case 0: return MACH_PORT_NULL;
    case 1: return MACH_PORT_DEAD;
    case 2: return rnd();
    case 3: return pool[below(POOL)] ^ (1u + below(3));            /* stale or forged generation */
    case 4: return (pool[below(POOL)] + 0x100) | 1;                  /* another slot's name */
    default: return pool[below(POOL)];
    }
}

static uint8_t any_disposition(void)
{
    return below(8) ? (uint8_t)(16 + below(6)) : (uint8_t)below(32);
}

/* vm_deallocates the OOL regions a received (or pseudo-received) message holds in our space. */
static void release_ool(const uint32_t *msg, uint32_t size)
{
    if (!(msg[0] & MACH_MSGH_BITS_COMPLEX) || size < 28)
        return;
    uint32_t n = msg[6], off = 28;
    for (uint32_t i = 0; i < n && off + 12 <= size; i++) {
        const uint8_t *d = (const uint8_t *)msg + off;
        if (d[11] == MACH_MSG_PORT_DESCRIPTOR) {
            off += 12;
            continue;
        }
        if (off + 16 > size)
            return;
        uint64_t addr;
        uint32_t len;
        memcpy(&addr, d, 8);
        memcpy(&len, d + 12, 4);
        if (d[11] == MACH_MSG_OOL_PORTS_DESCRIPTOR)
            len *= 4;
        if (addr != 0 && len != 0 && d[11] <= MACH_MSG_OOL_PORTS_DESCRIPTOR)
            vm_deallocate(mach_task_self(), addr, len);
        off += 16;
    }
}

/* Receives whatever is queued on every pool name (notifications, MIG replies, fuzz messages). */
static void drain(void)
{
    static uint32_t buf[BUF_WORDS + 32];
    for (int i = 0; i < POOL; i++) {
        for (int k = 0; k < 4; k++) {
            mach_msg_return_t mr = mach_msg((mach_msg_header_t *)buf, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
                                            sizeof(buf), pool[i], 0, 0);
            record(mr);
            if (mr == MACH_MSG_SUCCESS || (mr & ~MACH_MSG_MASK) == MACH_RCV_BODY_ERROR)
                release_ool(buf, buf[1] < sizeof(buf) ? buf[1] : sizeof(buf));
            else
                break;
        }
    }
}

static int is_initial(mach_port_name_t name)
{
    for (unsigned i = 0; i < initial_count; i++)
        if (initial_names[i] == name)
            return 1;
    return 0;
}

/* Destroys every name the fuzzing made (the task's own ports stay), then makes a fresh pool. */
static void reset_world(void)
{
    mach_port_name_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t n, nt;
    if (mach_port_names(mach_task_self(), &names, &n, &types, &nt) == KERN_SUCCESS) {
        for (unsigned i = 0; i < n; i++)
            if (!is_initial(names[i]) && names[i] != mig_get_reply_port())
                mach_port_destroy(mach_task_self(), names[i]);
        vm_deallocate(mach_task_self(), (vm_address_t)names, n * 4);
        vm_deallocate(mach_task_self(), (vm_address_t)types, n * 4);
    }
    for (int i = 0; i < POOL; i++) {
        mach_port_right_t right = i < 14 ? MACH_PORT_RIGHT_RECEIVE : i < 17 ? MACH_PORT_RIGHT_PORT_SET
                                                                            : MACH_PORT_RIGHT_DEAD_NAME;
        pool[i] = MACH_PORT_NULL;
        mach_port_allocate(mach_task_self(), right, &pool[i]);
    }
    for (int i = 0; i < 6; i++) {                        /* send and send-once rights, sets, limits */
        mach_port_t so;
        mach_msg_type_name_t type;
        mach_port_insert_right(mach_task_self(), pool[i], pool[i], MACH_MSG_TYPE_MAKE_SEND);
        if (mach_port_extract_right(mach_task_self(), pool[6 + i], MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &type)
            == KERN_SUCCESS)
            pool[17 + i] = so;
    }
    mach_port_move_member(mach_task_self(), pool[12], pool[14]);
    mach_port_move_member(mach_task_self(), pool[13], pool[15]);
    mach_port_set_qlimit(mach_task_self(), pool[0], 1);
    mach_port_set_qlimit(mach_task_self(), pool[1], 0);
}

/* Maps the scratch pages again after a message with the deallocate flag may have taken them. */
static int scratch_gone = 1;

static void scratch_refill(void)
{
    if (!scratch_gone)
        return;
    scratch_gone = 0;
    vm_deallocate(mach_task_self(), scratch, SCRATCH_PAGES * PAGE_SIZE);
    vm_address_t at = scratch;
    vm_allocate(mach_task_self(), &at, SCRATCH_PAGES * PAGE_SIZE, FALSE);
    uint32_t *words = (uint32_t *)scratch;
    for (unsigned i = 0; i < 64; i++)                   /* names for OOL port arrays */
        words[i] = below(4) ? pool[below(POOL)] : rnd();
}

static void fuzz_one(void)
{
    static uint32_t buf[BUF_WORDS + 32];
    int to_kernel = below(8) == 0;
    for (int i = 0; i < 64; i++)
        buf[i] = below(3) ? any_name() : below(64);
    mach_msg_header_t *h = (mach_msg_header_t *)buf;
    uint32_t ndesc = below(6) ? below(5) : rnd() & 0xFF;
    h->msgh_bits = MACH_MSGH_BITS(any_disposition(), below(3) ? any_disposition() : 0);
    if (below(3))
        h->msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    if (below(16) == 0)
        h->msgh_bits |= 1u << below(32);
    h->msgh_remote_port = to_kernel ? mach_task_self() : any_name();
    h->msgh_local_port = below(2) ? any_name() : MACH_PORT_NULL;
    h->msgh_voucher_port = below(16) == 0 ? any_name() : 0;
    h->msgh_id = to_kernel ? (mach_msg_id_t)(3200 + below(21)) : (mach_msg_id_t)rnd();
    if (to_kernel) {
        /* a MIG request: COPY_SEND to the task port, a reply right of ours, NDR then arguments */
        h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE)
                       | (below(4) == 0 ? MACH_MSGH_BITS_COMPLEX : 0);
        h->msgh_local_port = pool[below(14)];
        buf[6] = 0;
        buf[7] = 0x00000001;
        /* never rename or destroy names outside the pool */
        for (int i = 8; i < 16; i++)
            buf[i] = below(3) ? pool[below(POOL)] : below(40);
    }
    uint32_t off = 28;
    buf[6] = h->msgh_bits & MACH_MSGH_BITS_COMPLEX ? ndesc : buf[6];
    for (uint32_t i = 0; i < ndesc && off + 16 <= 4 * BUF_WORDS && !to_kernel; i++) {
        uint8_t *d = (uint8_t *)buf + off;
        uint8_t type = below(8) ? (uint8_t)below(3) : (uint8_t)below(256);
        if (type == MACH_MSG_PORT_DESCRIPTOR) {
            uint32_t name = any_name();
            memcpy(d, &name, 4);
            memset(d + 4, 0, 6);
            d[10] = any_disposition();
            d[11] = type;
            off += 12;
            continue;
        }
        uint64_t addr;
        uint32_t size = type == MACH_MSG_OOL_PORTS_DESCRIPTOR ? below(16) : below(3 * PAGE_SIZE);
        switch (below(6)) {
        case 0: addr = 0; break;
        case 1: addr = 0x10 + below(0x10000); break;                     /* wild */
        case 2: addr = ((uint64_t)rnd() << 20) | rnd(); break;           /* wilder */
        default: addr = scratch + below(PAGE_SIZE); break;
        }
        if (below(10) == 0)
            size = rnd();
        memcpy(d, &addr, 8);
        d[8] = below(4) == 0;                                            /* deallocate */
        scratch_gone |= d[8];
        d[9] = below(8) ? (uint8_t)below(2) : (uint8_t)below(5);          /* copy */
        d[10] = type == MACH_MSG_OOL_PORTS_DESCRIPTOR ? any_disposition() : 0;
        d[11] = type;
        memcpy(d + 12, &size, 4);
        off += 16;
    }
    uint32_t send_size = off + 4 * below(8);
    switch (below(12)) {
    case 0: send_size = below(64); break;
    case 1: send_size = rnd(); break;
    case 2: send_size = 24; break;
    default: break;
    }
    if (send_size > 4 * BUF_WORDS && send_size < (64u << 20))
        send_size = 4 * BUF_WORDS;
    mach_msg_option_t option = MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT;
    if (below(4) == 0)
        option |= MACH_RCV_MSG | (below(3) == 0 ? MACH_RCV_LARGE : 0)
                  | (below(6) == 0 ? (mach_msg_option_t)(rnd() & 0xFF000000u) : 0)
                  | (below(4) == 0 ? MACH_RCV_TRAILER_ELEMENTS(below(9)) : 0);
    if (below(20) == 0)
        option |= (mach_msg_option_t)(1u << below(32));
    option |= MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT;                      /* never block */
    option &= ~(MACH_SEND_INTERRUPT | MACH_RCV_INTERRUPT);
    mach_msg_size_t rcv_size = below(4) ? sizeof(buf) : below(sizeof(buf));
    mach_port_name_t rcv_name = below(4) ? pool[below(POOL)] : any_name();
    mach_msg_return_t mr = mach_msg_trap(h, option, send_size, rcv_size, rcv_name, 0, 0);
    record(mr);
    uint32_t base = (uint32_t)mr & ~(uint32_t)MACH_MSG_MASK;
    if (base == MACH_SEND_TIMED_OUT || base == MACH_SEND_INTERRUPTED)
        release_ool(buf, send_size);                                     /* pseudo-received regions */
    else if ((option & MACH_RCV_MSG) && (mr == MACH_MSG_SUCCESS || base == MACH_RCV_BODY_ERROR))
        release_ool(buf, h->msgh_size < 4 * BUF_WORDS ? h->msgh_size : 4 * BUF_WORDS);
}

static void fuzz_batch(void)
{
    for (int i = 0; i < 100 && done < count; i++, done++) {
        if (done % 50 == 0)
            reset_world();
        scratch_refill();
        fuzz_one();
        if (below(8) == 0)
            drain();
    }
    drain();
}

static check_case_t cases[1024];
static check_suite_t suite = {"ipc_fuzz", cases, 0};
static const check_suite_t *const suites[] = {&suite};

int main(int argc, char **argv)
{
    const char *arg = argc > 1 ? argv[argc - 1] : "";
    if (strncmp(arg, "fuzz=", 5) == 0) {
        char *end;
        seed = (uint32_t)strtoul(arg + 5, &end, 0);
        if (*end == ',')
            count = (uint32_t)strtoul(end + 1, 0, 0);
    }
    rng = 0x9E3779B97F4A7C15ull ^ seed;
    printf("ipc_fuzz seed %u, %u messages\n", seed, count);         /* opens the console first */
    mach_port_type_t *types;
    mach_msg_type_number_t nt;
    mig_get_reply_port();
    mach_port_names(mach_task_self(), &initial_names, &initial_count, &types, &nt);
    scratch = 0;
    vm_allocate(mach_task_self(), &scratch, SCRATCH_PAGES * PAGE_SIZE, TRUE);
    int ncases = (int)((count + 99) / 100);
    if (ncases > 1024)
        ncases = 1024, count = 102400;
    /* volatile: one store each (gcc pairs them into movhps, which machr's x86 ISA does not decode yet) */
    for (int i = 0; i < ncases; i++) {
        ((volatile check_case_t *)cases)[i].name = "batch";
        ((volatile check_case_t *)cases)[i].run = fuzz_batch;
    }
    suite.ncases = ncases;
    int failed = check_run(suites, 1);
    reset_world();
    printf("ipc_fuzz seed %u: %u messages, %d distinct codes, %d unexpected\n", seed, done, ncodes, unexpected);
    for (int i = 0; i < ncodes; i++)
        printf("  0x%08x x%u\n", codes_seen[i], codes_count[i]);
    exit(failed ? 1 : 0);
}
