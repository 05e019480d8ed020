#include "allocator/core/json_object.hpp"

#include <gtest/gtest.h>

#include "core_test_support.hpp"

namespace allocator::test {
namespace {

TEST(JsonQuote, PlainTextIsWrappedInQuotes) {
    EXPECT_EQ(json_quote("hello"), "\"hello\"");
    EXPECT_EQ(json_quote(""), "\"\"");
}

TEST(JsonQuote, QuotesAndBackslashesAreEscaped) {
    EXPECT_EQ(json_quote("say \"hi\""), R"("say \"hi\"")");
    EXPECT_EQ(json_quote(R"(C:\tables)"), R"("C:\\tables")");
    EXPECT_EQ(json_quote(R"(\")"), R"("\\\"")");
}

TEST(JsonQuote, CommonControlCharactersUseShortEscapes) {
    EXPECT_EQ(json_quote("a\nb\rc\td"), R"("a\nb\rc\td")");
}

TEST(JsonQuote, OtherControlCharactersUseUnicodeEscapes) {
    EXPECT_EQ(json_quote(std::string("\x01", 1)), R"("\u0001")");
    EXPECT_EQ(json_quote("\x1f"), R"("\u001f")");
    EXPECT_EQ(json_quote("\b\f"), R"("\u0008\u000c")");
    EXPECT_EQ(json_quote(std::string("a\0b", 3)), R"("a\u0000b")");
}

TEST(JsonQuote, NonAsciiUtf8PassesThroughUnchanged) {
    EXPECT_EQ(json_quote("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
    EXPECT_EQ(json_quote("\x7f"), "\"\x7f\"");
    EXPECT_EQ(json_quote(" "), "\" \"");
}

TEST(JsonObject, EmptyObject) {
    EXPECT_EQ(JsonObject().to_json(), "{}");
}

TEST(JsonObject, FieldsInInsertionOrderWithTheirJsonTypes) {
    JsonObject object;
    object.add("zeta", "z").add("alpha", 7LL).add("table_id", table_id(1)).add("text", std::string("t"));
    EXPECT_EQ(object.to_json(),
              R"({"zeta": "z", "alpha": 7, "table_id": "7a000000-0000-0000-0000-000000000001", "text": "t"})");
}

TEST(JsonObject, MissingOptionalUuidIsNull) {
    JsonObject object;
    object.add("booking_id", std::optional<Uuid>{}).add("hold_id", std::optional<Uuid>{hold_id(2)});
    EXPECT_EQ(object.to_json(), R"({"booking_id": null, "hold_id": "40000000-0000-0000-0000-000000000002"})");
}

TEST(JsonObject, NumbersAreUnquotedIncludingNegativesAndLargeValues) {
    JsonObject object;
    object.add("count", -3LL).add("big", 9007199254740993LL);
    EXPECT_EQ(object.to_json(), R"({"count": -3, "big": 9007199254740993})");
}

TEST(JsonObject, KeysAndValuesAreEscaped) {
    JsonObject object;
    object.add("key\\with\nnewline", std::string("line1\nline2\t\"quoted\"\\\x02"));
    EXPECT_EQ(object.to_json(), R"({"key\\with\nnewline": "line1\nline2\t\"quoted\"\\\u0002"})");
}

}  // namespace
}  // namespace allocator::test
