
-- ---- Access ----------------------------------------------------------------------------------
-- The security and tenancy suites call the helpers as other roles (SET ROLE), as they did
-- when the helpers sat in public: every role may use this test-only schema's functions.
GRANT USAGE ON SCHEMA allocator_test TO PUBLIC;
