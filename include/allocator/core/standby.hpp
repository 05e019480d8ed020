// The error a writing call gets on a hot standby (docs/errors.md, read_only_standby).
#pragma once

#include <optional>
#include <string>

#include "allocator/core/errors.hpp"

namespace allocator {

// The server a standby streams WAL from, as its WAL receiver reports it
// (pg_stat_wal_receiver.sender_host / sender_port).
struct PrimaryAddress {
    std::string host;
    int port = 0;
};

// 25006 for `function` on a standby; `primary` is absent while no WAL receiver is connected
// (the standby lost its primary, or a failover is under way). The hint names the primary so
// the caller knows where writes go, and says how to get there without hard-coding it.
AllocatorError read_only_standby_error(const std::string& function, const std::optional<PrimaryAddress>& primary);

}  // namespace allocator
