-- allocator 0.1.0: schema and SQL API. See SPEC sections 2 and 3.
--
-- Every object is qualified with @extschema@ and every function pins its search_path, so a
-- hostile search_path at CREATE EXTENSION time or at call time cannot redirect anything.

\echo Use "CREATE EXTENSION allocator" to load this file. \quit
