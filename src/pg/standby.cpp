#include "allocator/pg/standby.hpp"

#include <optional>
#include <string>

#include "allocator/core/standby.hpp"
#include "allocator/pg/guard.hpp"
#include "allocator/pg/postgres.hpp"

namespace allocator::pg {

namespace {

// Where the WAL receiver is connected, read from its shared memory as pg_stat_wal_receiver
// does. Not primary_conninfo: that setting is superuser-only and may hold a password.
std::optional<PrimaryAddress> streaming_primary() {
    char host[NI_MAXHOST];
    int port = 0;
    bool streaming = false;
    SpinLockAcquire(&WalRcv->mutex);
    streaming = WalRcv->walRcvState == WALRCV_STREAMING && WalRcv->sender_host[0] != '\0';
    strlcpy(host, WalRcv->sender_host, sizeof host);
    port = WalRcv->sender_port;
    SpinLockRelease(&WalRcv->mutex);
    if (!streaming) return std::nullopt;
    return PrimaryAddress{host, port};
}

}  // namespace

void require_primary(const char* function) {
    if (!RecoveryInProgress()) return;
    throw read_only_standby_error(function, streaming_primary());
}

}  // namespace allocator::pg

// allocator_require_primary(p_function): the same refusal for the PL/pgSQL writers
// (flags, thresholds, access grants, the mirror repair, the sweeper's schedule).
ALLOCATOR_SQL_FUNCTION(allocator_require_primary, -1, [](FunctionCallInfo fcinfo) -> Datum {
    const char* function = PG_ARGISNULL(0) ? "allocator" : text_to_cstring(PG_GETARG_TEXT_PP(0));
    allocator::pg::require_primary(function);
    PG_RETURN_VOID();
})
