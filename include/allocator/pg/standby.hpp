// Hot standbys: every writing entry point is refused at once there (docs/operations.md,
// "High availability"), before it reads its arguments, takes a lock or runs a statement.
#pragma once

namespace allocator::pg {

// Throws read_only_standby_error (25006) while this server is in recovery.
void require_primary(const char* function);

}  // namespace allocator::pg
