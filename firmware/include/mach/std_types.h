/* Basic Mach scalar types (spec §1): LP64, identical on x86_64 and aarch64. */
#ifndef _MACH_STD_TYPES_H_
#define _MACH_STD_TYPES_H_

#include <stdint.h>

typedef uint32_t natural_t;
typedef int32_t integer_t;
typedef int32_t boolean_t;          /* 0 false, nonzero true */

typedef uint64_t vm_address_t;
typedef uint64_t vm_offset_t;
typedef uint64_t vm_size_t;
typedef int32_t vm_prot_t;
typedef uint32_t vm_inherit_t;

#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif

/* spec §1: VM_PROT_* and VM_INHERIT_*. */
#define VM_PROT_NONE    0
#define VM_PROT_READ    1
#define VM_PROT_WRITE   2
#define VM_PROT_EXECUTE 4
#define VM_PROT_DEFAULT 3
#define VM_PROT_ALL     7

#define VM_INHERIT_SHARE 0
#define VM_INHERIT_COPY  1
#define VM_INHERIT_NONE  2

#define PAGE_SIZE 4096
#define PAGE_MASK (PAGE_SIZE - 1)

#endif
