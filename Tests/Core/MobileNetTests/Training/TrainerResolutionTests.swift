import XCTest
@testable import MobileNet

/// A model trained on square crops of another size than its base declares
/// the size it was trained at, so classify resizes inputs to what it learned.
final class TrainerResolutionTests: XCTestCase {
    func testExportAndCheckpointDeclareTheTrainedSide() throws {
        var options = TrainingOptions()
        options.numThreads = 1
        let trainer = try Trainer(variant: .separable, widthMultiplier: 0.25, resolution: 64, numClasses: 3,
                                  options: options)
        XCTAssertEqual(try trainer.export(options: LoadOptions(numThreads: 1)).metadata.resolution, 64)
        let batch = 2, side = 40
        let input = [Float](repeating: 0.25, count: batch * side * side * 3), labels: [Int32] = [0, 2]
        _ = try trainer.step(input: input, labels: labels, batch: batch, height: side, width: side)
        XCTAssertEqual(trainer.trainedResolution, side)
        XCTAssertEqual(try trainer.export(options: LoadOptions(numThreads: 1)).metadata.resolution, side)
        // A non-square batch leaves the declared side alone.
        let tall = [Float](repeating: 0.25, count: batch * 48 * side * 3)
        _ = try trainer.step(input: tall, labels: labels, batch: batch, height: 48, width: side)
        XCTAssertEqual(try trainer.export(options: LoadOptions(numThreads: 1)).metadata.resolution, side)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trained-\(getpid()).safetensors").path
        defer { unlink(path) }
        try trainer.save(pathBytes: Array(path.utf8CString))
        let reloaded = try Trainer(pathBytes: Array(path.utf8CString), options: nil)
        XCTAssertEqual(try reloaded.export(options: LoadOptions(numThreads: 1)).metadata.resolution, side)
    }
}
