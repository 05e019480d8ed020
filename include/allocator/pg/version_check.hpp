// The shared library and the installed SQL must be one version: a library run against
// another version's functions and tables would misread them (a 0.1.0 database after
// `make install` of 0.2.0, before ALTER EXTENSION UPDATE; or a connection that loaded the
// old library before the update ran).
#pragma once

namespace allocator::pg {

// ERROR 55000 (reason version_mismatch, naming both versions) unless the allocator
// extension's installed version is the one this library was built as. Read once per
// connection, and again only after a function of the database changed (ALTER EXTENSION
// UPDATE replaces them all, and every connection hears of it): nothing per call. While
// connected to SPI.
void check_sql_version();

}  // namespace allocator::pg
