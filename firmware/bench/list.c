/*
 * Linked lists: build a list of pseudo-random keys, insertion-sort it
 * (pointer chasing with data-dependent branches), walk it to check order
 * and sum it.  Full size about 1e8 guest instructions.
 */
#include "bench.h"

#define MAX_NODES 2000

struct node {
    struct node *next;
    uint32_t key;
    uint32_t payload;
};

static struct node nodes[MAX_NODES];

__attribute__((noinline)) static struct node *insertion_sort(struct node *head)
{
    struct node *sorted = 0;
    while (head) {
        struct node *n = head;
        head = head->next;
        struct node **pp = &sorted;
        while (*pp && (*pp)->key < n->key)
            pp = &(*pp)->next;
        n->next = *pp;
        *pp = n;
    }
    return sorted;
}

__attribute__((noinline)) static uint64_t walk(const struct node *n)
{
    uint64_t sum = 0;
    uint32_t prev = 0;
    for (; n; n = n->next) {
        sum = sum * 31 + n->key + (n->payload ^ (n->key < prev));
        prev = n->key;
    }
    return sum;
}

int main(int argc, char **argv)
{
    int small = bench_small(argc, argv);
    uint32_t count = small ? 150 : MAX_NODES;
    uint32_t rounds = small ? 4 : 14;
    uint32_t seed = 7;
    uint64_t checksum = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        struct node *head = 0;
        for (uint32_t i = 0; i < count; i++) {
            seed = seed * 1664525u + 1013904223u;
            nodes[i].key = seed >> 8;
            nodes[i].payload = i;
            nodes[i].next = head;
            head = &nodes[i];
        }
        checksum ^= walk(insertion_sort(head)) + r;
    }
    bench_report("list", checksum);
    return 0;
}
