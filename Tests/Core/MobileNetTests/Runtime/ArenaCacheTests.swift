import XCTest
@testable import MobileNet

final class ArenaCacheTests: XCTestCase {
    func testKeepsTheMostRecentArenasWithinItsByteBudget() throws {
        let model = try Model.from(TestModelFile(alpha: 0.25, classes: 4).bytes())
        let sizes = [(32, 32), (64, 48), (96, 96), (128, 128), (40, 200)]
        let arenas = try sizes.map { try model.network.makeArena(height: $0.0, width: $0.1) }
        // Room for the last two.
        let budget = arenas[3].bytes + arenas[4].bytes
        let cache = ArenaCache(budgetBytes: budget)
        for arena in arenas { cache.give(arena) }
        XCTAssertLessThanOrEqual(cache.cachedBytes, budget)
        XCTAssertEqual(cache.cachedCount, 2)
        XCTAssertTrue(try cache.take(height: 40, width: 200) { XCTFail("should be cached"); return arenas[0] } === arenas[4])
        XCTAssertTrue(try cache.take(height: 128, width: 128) { XCTFail("should be cached"); return arenas[0] } === arenas[3])
        var made = 0
        _ = try cache.take(height: 32, width: 32) { made += 1; return try model.network.makeArena(height: 32, width: 32) }
        XCTAssertEqual(made, 1, "evicted arenas are made anew")
        XCTAssertEqual(cache.cachedBytes, 0)
    }

    func testAnArenaLargerThanTheBudgetIsNotKept() throws {
        let model = try Model.from(TestModelFile(alpha: 0.25, classes: 4).bytes())
        let big = try model.network.makeArena(height: 256, width: 256)
        let cache = ArenaCache(budgetBytes: big.bytes - 1)
        cache.give(big)
        XCTAssertEqual(cache.cachedCount, 0)
        XCTAssertEqual(cache.cachedBytes, 0)
    }

    func testManySizesStayWithinTheModelsBudget() throws {
        // Cycling through many input sizes no longer keeps an arena per size
        // without bound (the count-based cache kept 8 of any size).
        let model = try Model.from(TestModelFile(alpha: 0.25, classes: 4).bytes())
        for side in stride(from: 16, through: 400, by: 24) {
            let x = [Float](repeating: 0.1, count: side * side * 3)
            var logits = [Float](repeating: 0, count: 4)
            try model.run(input: x, batch: 1, height: side, width: side, logits: &logits, capacity: 4)
        }
        XCTAssertLessThanOrEqual(model.arenas.cachedBytes, model.arenas.budgetBytes)
        XCTAssertGreaterThanOrEqual(model.arenas.budgetBytes, Model.minimumArenaBudget)
        // A steady size is served from the cache: the same arena twice.
        let first = try model.arenas.take(height: 400, width: 400) { XCTFail("not cached"); throw MobileNetError(.internal, "") }
        model.arenas.give(first)
        let again = try model.arenas.take(height: 400, width: 400) { XCTFail("not cached"); throw MobileNetError(.internal, "") }
        XCTAssertTrue(first === again)
        model.arenas.give(again)
    }
}
