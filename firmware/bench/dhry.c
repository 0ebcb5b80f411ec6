/*
 * A Dhrystone-like mix: procedure calls, record copies through pointers,
 * string copies and comparisons, small integer arithmetic and enumerations.
 * Not Dhrystone itself (no claim to its figures); full size about 1e8 guest
 * instructions.
 */
#include "bench.h"

enum colour { RED, GREEN, BLUE, BLACK };

struct record {
    struct record *ptr;
    enum colour discr;
    int int_comp;
    char str_comp[31];
};

static struct record rec_a, rec_b;
static char str_1[31], str_2[31];
static int int_glob;
static char char_glob;
static int arr_1[50];
static int arr_2[50][50];

__attribute__((noinline)) static enum colour colour_of(char c1, char c2)
{
    return c1 == c2 ? GREEN : RED;
}

__attribute__((noinline)) static int strings_differ(const char *s1, const char *s2)
{
    int n = 2, same = 0;
    while (n <= 2) {
        same += colour_of(s1[n], s2[n + 1]) == GREEN;
        n++;
    }
    if (strcmp(s1, s2) > 0) {
        int_glob = n + 7 + same;
        return 1;
    }
    return 0;
}

__attribute__((noinline)) static void fill_arrays(int *a1, int (*a2)[50], int i1, int i2)
{
    int loc = i1 + 5;
    a1[loc] = i2;
    a1[loc + 1] = a1[loc];
    a1[loc + 30] = loc;
    for (int k = loc; k <= loc + 1; k++)
        a2[loc][k] = loc;
    a2[loc][loc - 1] += 1;
    a2[loc + 20][loc] = a1[loc];
    int_glob = 5;
}

__attribute__((noinline)) static void proc_record(struct record *p)
{
    struct record *next = p->ptr;
    *next = *p;                           /* record copy */
    p->int_comp = 5;
    next->int_comp = p->int_comp;
    next->ptr = p->ptr;
    if (next->discr == RED) {
        next->int_comp = 6;
        next->discr = colour_of(char_glob, 'C') == RED ? BLUE : BLACK;
        next->ptr = &rec_a;
        next->int_comp = (next->int_comp + int_glob) % 10;
    } else {
        *p = *next;
    }
}

int main(int argc, char **argv)
{
    uint32_t runs = bench_small(argc, argv) ? 1500 : 200000;
    uint64_t checksum = 0;
    rec_a.ptr = &rec_b;
    rec_a.discr = RED;
    rec_a.int_comp = 40;
    strcpy(rec_a.str_comp, "DHRYSTONE PROGRAM, SOME STRING");
    strcpy(str_1, "DHRYSTONE PROGRAM, 1'ST STRING");
    arr_2[8][7] = 10;
    for (uint32_t run = 1; run <= runs; run++) {
        int i1 = 2, i2 = 3, i3;
        strcpy(str_2, "DHRYSTONE PROGRAM, 2'ND STRING");
        str_2[run % 7] = (char)('A' + run % 26);
        char_glob = (char)('A' + run % 3);
        int different = !strings_differ(str_1, str_2);
        while (i1 < i2) {
            i3 = 5 * i1 - i2;
            i1++;
        }
        fill_arrays(arr_1, arr_2, i1, i3);
        rec_a.discr = (enum colour)(run & 1 ? RED : GREEN);
        proc_record(&rec_a);
        for (char c = 'A'; c <= 'C'; c++)
            if (colour_of(c, 'C') == GREEN)
                i2 = i2 * i1 + (int)run;
        i2 = i2 / i1 + (int)strlen(str_2);
        checksum = checksum * 33 + (uint64_t)(i1 + i2 + i3 + different + int_glob + rec_b.int_comp
                                              + (int)rec_b.discr + arr_2[8][7]);
    }
    bench_report("dhry", checksum);
    return 0;
}
