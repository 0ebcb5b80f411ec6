/*
 * A first-fit free-list heap.  It grows by whole vm_allocate regions (at
 * least HEAP_GROW bytes) and never returns them; free blocks are kept sorted
 * by address and merged with their neighbours.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mach/mach_init.h>
#include <mach/mach_interface.h>

#define ALIGN       16u
#define HEAP_GROW   (64u * 1024u)

/* Precedes every block; a block's size includes this header. */
struct block {
    size_t size;
    struct block *next;     /* free blocks only */
};

#define HEADER_SIZE ((sizeof(struct block) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

static struct block *free_list;

/* Inserts `b` in address order and merges it with adjacent free blocks. */
static void insert_free(struct block *b)
{
    struct block **link = &free_list;
    while (*link != 0 && *link < b)
        link = &(*link)->next;
    b->next = *link;
    *link = b;
    if (b->next != 0 && (char *)b + b->size == (char *)b->next) {
        b->size += b->next->size;
        b->next = b->next->next;
    }
    if (link != &free_list) {
        struct block *prev = (struct block *)((char *)link - offsetof(struct block, next));
        if ((char *)prev + prev->size == (char *)b) {
            prev->size += b->size;
            prev->next = b->next;
        }
    }
}

static int grow(size_t need)
{
    vm_size_t size = need > HEAP_GROW ? (need + PAGE_MASK) & ~(vm_size_t)PAGE_MASK : HEAP_GROW;
    vm_address_t address = 0;
    if (vm_allocate(mach_task_self(), &address, size, TRUE) != KERN_SUCCESS)
        return 0;
    struct block *b = (struct block *)address;
    b->size = size;
    insert_free(b);
    return 1;
}

void *malloc(size_t size)
{
    if (size > SIZE_MAX / 2)
        return 0;
    size_t need = HEADER_SIZE + ((size + ALIGN - 1) & ~(size_t)(ALIGN - 1));
    for (int attempt = 0; attempt < 2; attempt++) {
        for (struct block **link = &free_list; *link != 0; link = &(*link)->next) {
            struct block *b = *link;
            if (b->size < need)
                continue;
            if (b->size - need >= HEADER_SIZE + ALIGN) {
                struct block *rest = (struct block *)((char *)b + need);
                rest->size = b->size - need;
                rest->next = b->next;
                b->size = need;
                *link = rest;
            } else {
                *link = b->next;
            }
            return (char *)b + HEADER_SIZE;
        }
        if (!grow(need))
            return 0;
    }
    return 0;
}

void free(void *ptr)
{
    if (ptr != 0)
        insert_free((struct block *)((char *)ptr - HEADER_SIZE));
}

void *calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return 0;
    void *p = malloc(count * size);
    if (p != 0)
        memset(p, 0, count * size);
    return p;
}

void *realloc(void *ptr, size_t size)
{
    if (ptr == 0)
        return malloc(size);
    size_t have = ((struct block *)((char *)ptr - HEADER_SIZE))->size - HEADER_SIZE;
    if (size <= have)
        return ptr;
    void *p = malloc(size);
    if (p != 0) {
        memcpy(p, ptr, have);
        free(ptr);
    }
    return p;
}
