/* MIG error codes and the error reply every routine may get (spec §5, §7). */
#ifndef _MACH_MIG_ERRORS_H_
#define _MACH_MIG_ERRORS_H_

#include <mach/message.h>
#include <mach/ndr.h>

#define MIG_TYPE_ERROR          (-300)
#define MIG_REPLY_MISMATCH      (-301)
#define MIG_REMOTE_ERROR        (-302)
#define MIG_BAD_ID              (-303)
#define MIG_BAD_ARGUMENTS       (-304)
#define MIG_NO_REPLY            (-305)
#define MIG_EXCEPTION           (-306)
#define MIG_ARRAY_TOO_LARGE     (-307)
#define MIG_SERVER_DIED         (-308)
#define MIG_DESTROY_REQUEST     (-309)  /* spec §5 [chosen: CMU] */

/* spec §7: a reply's id is the request's plus 100. */
#define MIG_REPLY_ID_OFFSET 100

#pragma pack(push, 4)
/* spec §7: every failure comes back as this 36-byte simple message. */
typedef struct {
    mach_msg_header_t Head;
    NDR_record_t NDR;
    kern_return_t RetCode;
} mig_reply_error_t;
#pragma pack(pop)

_Static_assert(sizeof(mig_reply_error_t) == 36, "spec §7: mig_reply_error_t is 36 bytes");

#endif
