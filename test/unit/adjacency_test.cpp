#include "allocator/core/adjacency.hpp"

#include <gtest/gtest.h>

#include "core_test_support.hpp"

namespace allocator::test {
namespace {

std::vector<Uuid> tables(std::initializer_list<std::uint8_t> numbers) {
    std::vector<Uuid> ids;
    for (std::uint8_t n : numbers) ids.push_back(table_id(n));
    return ids;
}

TEST(TablesConnected, SingleTableIsConnectedWithoutEdges) {
    EXPECT_TRUE(tables_connected(tables({1}), {}));
}

TEST(TablesConnected, TwoTablesWithoutEdgesAreNotConnected) {
    EXPECT_FALSE(tables_connected(tables({1, 2}), {}));
}

TEST(TablesConnected, TwoAdjacentTablesAreConnected) {
    EXPECT_TRUE(tables_connected(tables({1, 2}), {edge(1, 2)}));
}

TEST(TablesConnected, EdgeStoredInTheOtherDirectionCounts) {
    EXPECT_TRUE(tables_connected(tables({1, 2}), {edge(2, 1)}));
}

TEST(TablesConnected, PathWithEdgesStoredInMixedDirectionsIsConnected) {
    // a-b stored as (b, a), b-c stored as (b, c): b is the source of both rows.
    EXPECT_TRUE(tables_connected(tables({1, 2, 3}), {edge(2, 1), edge(2, 3)}));
    // a-b stored as (a, b), b-c stored as (c, b): b is the target of both rows.
    EXPECT_TRUE(tables_connected(tables({1, 2, 3}), {edge(1, 2), edge(3, 2)}));
}

TEST(TablesConnected, EndsOfAPathAreNotConnectedWithoutTheMiddleTable) {
    // a-b-c with b not part of the merge: a and c are not physically joined.
    EXPECT_FALSE(tables_connected(tables({1, 3}), {edge(1, 2), edge(2, 3)}));
}

TEST(TablesConnected, TwoDisjointPairsAreNotConnectedThoughEveryTableHasANeighbour) {
    // a-b and c-d: the "each has a neighbour" check of the original accepted this.
    EXPECT_FALSE(tables_connected(tables({1, 2, 3, 4}), {edge(1, 2), edge(3, 4)}));
}

TEST(TablesConnected, BridgeEdgeJoinsTwoPairs) {
    EXPECT_TRUE(tables_connected(tables({1, 2, 3, 4}), {edge(1, 2), edge(3, 4), edge(4, 2)}));
}

TEST(TablesConnected, IsolatedTableBreaksConnectivity) {
    EXPECT_FALSE(tables_connected(tables({1, 2, 3, 4}), {edge(1, 2), edge(2, 3), edge(3, 1)}));
}

TEST(TablesConnected, DuplicateEdgesDoNotCountTwice) {
    // Both directions and repeats of the one a-b edge must not be mistaken for a b-c edge.
    EXPECT_FALSE(tables_connected(tables({1, 2, 3}), {edge(1, 2), edge(2, 1), edge(1, 2), edge(2, 1)}));
}

TEST(TablesConnected, EdgesToNonMembersAreIgnored) {
    const std::vector<AdjacencyEdge> edges{edge(1, 9), edge(9, 2), edge(2, 8), edge(8, 3), edge(1, 2), edge(7, 7)};
    EXPECT_FALSE(tables_connected(tables({1, 2, 3}), edges));
    EXPECT_TRUE(tables_connected(tables({1, 2}), edges));
}

TEST(TablesConnected, SelfLoopDoesNotConnectAnything) {
    EXPECT_FALSE(tables_connected(tables({1, 2}), {edge(1, 1), edge(2, 2)}));
}

TEST(TablesConnected, OrderOfTablesAndEdgesDoesNotMatter) {
    EXPECT_TRUE(tables_connected(tables({4, 1, 3, 2}), {edge(3, 4), edge(2, 1), edge(3, 2)}));
}

TEST(TablesConnected, SixteenTableChainIsConnectedAndBreaksWhenOneLinkIsMissing) {
    std::vector<Uuid> chain;
    std::vector<AdjacencyEdge> links;
    for (std::uint8_t n = 1; n <= 16; ++n) {
        chain.push_back(table_id(n));
        if (n > 1) links.push_back(n % 2 ? edge(n, n - 1) : edge(n - 1, n));
    }
    EXPECT_TRUE(tables_connected(chain, links));
    links.erase(links.begin() + 7);
    EXPECT_FALSE(tables_connected(chain, links));
}

TEST(TablesConnected, TablesSharingAPrefixAreDistinguished) {
    // Ids equal in the first 15 bytes; an edge between 1 and 2 says nothing about 3.
    EXPECT_FALSE(tables_connected(tables({1, 2, 3}), {edge(1, 2)}));
    EXPECT_TRUE(tables_connected(tables({1, 2, 3}), {edge(1, 2), edge(2, 3)}));
}

}  // namespace
}  // namespace allocator::test
