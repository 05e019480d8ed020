#include "allocator/core/standby.hpp"

namespace allocator {

AllocatorError read_only_standby_error(const std::string& function, const std::optional<PrimaryAddress>& primary) {
    ErrorDetail detail("read_only_standby");
    detail.add("function", function);
    std::string hint;
    if (primary) {
        detail.add("primary_host", primary->host).add("primary_port", static_cast<long long>(primary->port));
        hint = "Writes go to the primary, host=" + primary->host + " port=" + std::to_string(primary->port) +
               " (the server this standby streams from). Connect with target_session_attrs=read-write to "
               "reach whichever node is primary; a retry with the same idempotency key is safe.";
    } else {
        hint =
            "This standby has no primary connected now (a failover may be under way). Connect with "
            "target_session_attrs=read-write to reach the new primary and retry with the same idempotency key.";
    }
    return AllocatorError(SqlState::ReadOnlyTransaction,
                          function + " cannot run on a standby: this server is in recovery and read-only",
                          std::move(detail), hint);
}

}  // namespace allocator
