# PGXS build of allocator.so (CMakeLists.txt builds the same sources the same way).
#   make && make install          build and install into the pg_config found on PATH
#   bash scripts/test.sh          everything CI runs (unit, regression, isolation, clients, pg_cron)

EXTENSION = allocator
MODULE_big = allocator
EXTVERSION = 0.2.0

CORE_SRCS = $(sort $(wildcard src/core/*.cpp))
PG_SRCS = $(sort $(wildcard src/pg/*.cpp src/pg/data/*.cpp))
OBJS = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

# The install script is assembled from sql/install/*.sql, one file per area, in name order:
#   00 header, 05 what the privileges step covers, 10 schema (tables, seeds),
#   20-79 functions, 80 triggers, 90 privileges.
# Functions and triggers are written once, as CREATE: an update script replays the same
# files as CREATE OR REPLACE around its own schema changes (sql/upgrade/FROM--TO.sql), so a
# database updated in place runs exactly the code of a fresh install (scripts/assemble-update.sh).
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
UPGRADES = 0.1.0--$(EXTVERSION)
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql $(foreach u,$(UPGRADES),sql/$(EXTENSION)--$(u).sql)

# Tests, the PGXS way: after `make install` and `make install-test-helpers`,
#   make installcheck                          every regression suite and isolation spec
#   make installcheck REGRESS=holds_confirm ISOLATION=    one suite (or ISOLATION=x REGRESS=)
# run as a user that may run initdb (not root): each tool starts its own temporary instance
# with test/regress.conf (pg_cron preloaded, the test helpers' schema on the search_path).
# Every suite and spec loads what it needs itself (test/helpers/setup.sql, or the specs'
# --load-extension list), so any of them runs alone and in any order.
# Regression suites: sql/*.sql against expected/*.out (allocator--*.sql are install scripts).
REGRESS = $(filter-out $(EXTENSION)--%,$(basename $(notdir $(sort $(wildcard sql/*.sql)))))
REGRESS_OPTS = --temp-instance=tmp_check --temp-config=test/regress.conf
# Isolation specs: test/isolation/specs/*.spec against test/isolation/expected/*.out.
ISOLATION = $(basename $(notdir $(sort $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --temp-instance=tmp_check_iso --temp-config=test/regress.conf \
	--load-extension=btree_gist --load-extension=$(EXTENSION) --load-extension=allocator_test

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
INCLUDEDIR_SERVER := $(shell $(PG_CONFIG) --includedir-server)

# Our code is warning-free C++17; PostgreSQL's headers are not, so they come in as system
# headers (-isystem wins over the -I that PGXS adds for the same directory).
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror -Iinclude -isystem $(INCLUDEDIR_SERVER) -DALLOCATOR_VERSION=\"$(EXTVERSION)\"
SHLIB_LINK = -lstdc++

# Debian's PGXS would also compile LLVM bitcode with clang as C++14, which cannot build
# C++17; `override` before the include wins over Makefile.global's setting.
override with_llvm = no

include $(PGXS)

# PGXS tracks no header dependencies; rebuild everything when any header changes.
$(OBJS): $(wildcard include/allocator/*/*.hpp include/allocator/*/*/*.hpp src/pg/data/*.hpp)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS)
	cat $^ > $@

sql/$(EXTENSION)--%--$(EXTVERSION).sql: sql/upgrade/%--$(EXTVERSION).sql sql/upgrade/record_privileges.sql $(INSTALL_PARTS) scripts/assemble-update.sh
	sh scripts/assemble-update.sh sql/install $< > $@

# The test-only extension that holds the suites' fixture and helpers (test/helpers/).
.PHONY: install-test-helpers list-regress list-isolation
install-test-helpers:
	$(MAKE) -C test/helpers install

# The suites installcheck would run, one per line (the test scripts count results against it).
list-regress:
	@printf '%s\n' $(REGRESS)
list-isolation:
	@printf '%s\n' $(ISOLATION)
