// Who may act on which restaurant (docs/supabase.md, sql/install/60_access.sql): the check
// every staff RPC makes once it knows the restaurant, and the one every row-security policy
// makes. Native, because they run on every call and every read: as PL/pgSQL they cost more
// than the allocation itself.
//
// The caller is the role in effect outside our SECURITY DEFINER frame: the outer user id is
// what SET ROLE (PostgREST's set_config('role', ...)) set, else the login role; the current
// user inside is the definer, i.e. the extension's owner.
#include "allocator/pg/access.hpp"

#include "allocator/core/errors.hpp"
#include "allocator/pg/allocation_store.hpp"
#include "allocator/pg/guard.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

// Superuser, or the extension's owner (or a member of it): no query needed.
bool caller_is_owner_or_superuser(Oid caller) {
    const Oid owner = GetUserId();  // the definer of the SECURITY DEFINER function running
    return pg_call([&] { return superuser_arg(caller) || has_privs_of_role(caller, owner); });
}

bool caller_sees_all() {
    const Oid caller = GetOuterUserId();
    if (caller_is_owner_or_superuser(caller)) return true;
    return execute(Statement::LoadServiceAccess, {Param::of_datum(ObjectIdGetDatum(caller))})[0].boolean(1);
}

std::string caller_role_name() {
    const Oid caller = GetOuterUserId();
    char* name = pg_call([&] { return GetUserNameFromId(caller, false); });
    return name;
}

}  // namespace

namespace {

// 42501 unless `caller` may act on `restaurant_id`, or on `booking_id`'s restaurant when no
// restaurant is given. Returns the restaurant checked: nullopt when the booking does not
// exist (nothing was decided then).
std::optional<Uuid> check_caller(Oid caller, const std::optional<Uuid>& restaurant_id,
                                 const std::optional<Uuid>& booking_id) {
    Rows rows = execute(Statement::LoadCallerAccess,
                        {Param::of_datum(ObjectIdGetDatum(caller)), Param::of(restaurant_id), Param::of(booking_id)});
    const std::optional<Uuid> restaurant = rows[0].optional_uuid(4);
    const bool sees_all = rows[0].boolean(1);
    const std::optional<Uuid> user_id = rows[0].optional_uuid(2);
    const bool is_staff = rows[0].boolean(3);
    if (!restaurant || sees_all || is_staff) return restaurant;
    if (!user_id) {
        const std::string role = caller_role_name();
        throw AllocatorError(
            SqlState::InsufficientPrivilege,
            "role " + role + " acts only for the restaurants of a signed-in user, and no user is signed in",
            ErrorDetail("no_user").add("restaurant_id", *restaurant).add("role", role),
            "Call with a signed-in user's token (its sub is the user id), or give a backend role "
            "service access: SELECT allocator_grant_access('<role>', 'service');");
    }
    throw AllocatorError(SqlState::InsufficientPrivilege,
                         "user " + user_id->to_string() + " is not staff of restaurant " + restaurant->to_string(),
                         ErrorDetail("not_member").add("restaurant_id", *restaurant).add("user_id", *user_id),
                         "Staff act only on their own restaurants. If this user should, add them to allocator_staff "
                         "(or to the membership table that feeds it, docs/supabase.md).");
}

}  // namespace

void require_access(const Uuid& restaurant_id) {
    const Oid caller = GetOuterUserId();
    if (!caller_is_owner_or_superuser(caller)) check_caller(caller, restaurant_id, std::nullopt);
}

Booking lock_booking_of_caller(LockBudget& locks, const Uuid& booking_id) {
    const Oid caller = GetOuterUserId();
    std::optional<Uuid> checked_restaurant;
    if (!caller_is_owner_or_superuser(caller)) {
        checked_restaurant = check_caller(caller, std::nullopt, booking_id);
        if (!checked_restaurant) throw_booking_not_found(booking_id);
    }
    locks.lock_booking(booking_id);
    Booking booking = load_booking(booking_id);
    if (checked_restaurant && booking.restaurant_id != *checked_restaurant) require_access(booking.restaurant_id);
    return booking;
}

namespace {

Datum require_access_entry(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0)) return static_cast<Datum>(0);  // internal: callers pass a restaurant
    const Uuid restaurant_id = uuid_from_datum(PG_GETARG_DATUM(0));
    spi_connect(fcinfo);
    require_access(restaurant_id);
    spi_finish();
    PG_RETURN_VOID();
}

Datum caller_sees_all_entry(FunctionCallInfo fcinfo) {
    spi_connect(fcinfo);
    const bool sees_all = caller_sees_all();
    spi_finish();
    return BoolGetDatum(sees_all);
}

}  // namespace

}  // namespace allocator::pg

ALLOCATOR_SQL_FUNCTION(allocator_require_access, -1, allocator::pg::require_access_entry)
ALLOCATOR_SQL_FUNCTION(allocator_caller_sees_all, -1, allocator::pg::caller_sees_all_entry)
