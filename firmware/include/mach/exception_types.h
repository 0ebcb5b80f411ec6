/* Exception types, masks and behaviours (spec §8). */
#ifndef _MACH_EXCEPTION_TYPES_H_
#define _MACH_EXCEPTION_TYPES_H_

#define EXC_BAD_ACCESS      1
#define EXC_BAD_INSTRUCTION 2
#define EXC_ARITHMETIC      3
#define EXC_EMULATION       4
#define EXC_SOFTWARE        5
#define EXC_BREAKPOINT      6
#define EXC_SYSCALL         7
#define EXC_MACH_SYSCALL    8
#define EXC_RPC_ALERT       9

#define EXC_MASK_ALL 0x3FE

#define EXCEPTION_DEFAULT           1
#define EXCEPTION_STATE             2
#define EXCEPTION_STATE_IDENTITY    3
#define MACH_EXCEPTION_CODES        0x80000000

#endif
