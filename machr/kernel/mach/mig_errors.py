"""MIG error codes and wire constants shared by MIG clients and servers (spec §5, §7)."""

MIG_TYPE_ERROR = -300
MIG_REPLY_MISMATCH = -301
MIG_REMOTE_ERROR = -302
MIG_BAD_ID = -303
MIG_BAD_ARGUMENTS = -304
MIG_NO_REPLY = -305
MIG_EXCEPTION = -306
MIG_ARRAY_TOO_LARGE = -307
MIG_SERVER_DIED = -308
MIG_DESTROY_REQUEST = -309  # spec §5 [chosen: CMU]

# spec §7: the 8-byte NDR record that precedes inline data (little endian, ASCII, IEEE).
NDR_RECORD = bytes([0, 0, 0, 0, 1, 0, 0, 0])
NDR_SIZE = 8

# spec §7: a reply's id is the request's plus this.
MIG_REPLY_ID_OFFSET = 100

# spec §7: header + NDR + RetCode.
MIG_REPLY_ERROR_SIZE = 36
