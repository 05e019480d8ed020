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
#include "allocator/pg/data/assign.hpp"
#include "allocator/pg/guard.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

// Whether role `role` has (or inherits) access other than staff (allocator_grant_access).
#define SERVICE_ACCESS(role)                                                                  \
    "exists (select from @extschema@.allocator_role_access a "                                \
    "        where a.access OPERATOR(pg_catalog.<>) 'staff' and pg_catalog.pg_has_role(" role \
    ", "                                                                                      \
    "              pg_catalog.to_regrole(pg_catalog.quote_ident(a.role_name)), 'USAGE'))"

// What this file needs to know of a caller that is neither superuser nor owner: whether
// role $1 has (or inherits) service or operator access, and, for a staff RPC, its signed-in
// user and whether that user is staff of restaurant $2, or of booking $3's restaurant when
// $2 is null (the restaurant is returned: null for no such booking). One read, before any
// lock is taken (60_access.sql).
const Statement kLoadServiceAccess{"load service access", "select " SERVICE_ACCESS("$1"), {OIDOID}};
const Statement kLoadCallerAccess{
    "load caller access",
    "select " SERVICE_ACCESS("$1") ", u.id, "
    "       exists (select from @extschema@.allocator_staff s "
    "               where s.user_id OPERATOR(pg_catalog.=) u.id and s.restaurant_id OPERATOR(pg_catalog.=) r.id), "
    "       r.id "
    "from (select @extschema@.allocator_caller_user_id() as id) u, "
    "     (select coalesce($2, (select b.restaurant_id from @extschema@.bookings b "
    "                           where b.id OPERATOR(pg_catalog.=) $3)) as id) r",
    {OIDOID, UUIDOID, UUIDOID}};
enum CallerAccessColumn { kSeesAll = 1, kUserId, kIsStaff, kRestaurant };

#undef SERVICE_ACCESS

// Superuser, or the extension's owner (or a member of it): no query needed.
bool caller_is_owner_or_superuser(Oid caller) {
    const Oid owner = GetUserId();  // the definer of the SECURITY DEFINER function running
    return pg_call([&] { return superuser_arg(caller) || has_privs_of_role(caller, owner); });
}

bool caller_sees_all() {
    const Oid caller = GetOuterUserId();
    if (caller_is_owner_or_superuser(caller)) return true;
    return kLoadServiceAccess.execute({Param::of_datum(ObjectIdGetDatum(caller))})[0].boolean(1);
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
    Rows rows = kLoadCallerAccess.execute(
        {Param::of_datum(ObjectIdGetDatum(caller)), Param::of(restaurant_id), Param::of(booking_id)});
    const std::optional<Uuid> restaurant = rows[0].optional_uuid(kRestaurant);
    const bool sees_all = rows[0].boolean(kSeesAll);
    const std::optional<Uuid> user_id = rows[0].optional_uuid(kUserId);
    const bool is_staff = rows[0].boolean(kIsStaff);
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

BookingAccess lock_booking_of_caller(LockBudget& locks, const Uuid& booking_id) {
    const Oid caller = GetOuterUserId();
    BookingAccess access;
    if (!caller_is_owner_or_superuser(caller)) {
        access.checked_restaurant_ = check_caller(caller, std::nullopt, booking_id);
        if (!access.checked_restaurant_) throw_booking_not_found(booking_id);
    }
    locks.lock_booking(booking_id);
    return access;
}

void BookingAccess::confirm_restaurant(const std::optional<Uuid>& restaurant_id, const Uuid& booking_id) const {
    if (!restaurant_id) throw_booking_not_found(booking_id);
    if (checked_restaurant_ && *restaurant_id != *checked_restaurant_) require_access(*restaurant_id);
}

const Booking& BookingAccess::confirm(const std::optional<Booking>& booking, const Uuid& booking_id) const {
    confirm_restaurant(booking ? std::optional<Uuid>(booking->restaurant_id) : std::nullopt, booking_id);
    return *booking;
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
