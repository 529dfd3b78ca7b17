@testable import MobileNet

/// The repository's files the tests read: the bundled model and the
/// TensorFlow reference fixtures (tests/fixtures/README.md says how they
/// were made).
enum Fixtures {
    static let root: String = {
        var path = #filePath
        for _ in 0..<5 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    static var bundledModel: String { root + "/models/mobilenet_v1_1.0_224.safetensors" }

    static func referenceFiles() -> [String] {
        ["cat", "coffee"].map { root + "/tests/fixtures/tf_reference_\($0).safetensors" }
    }

    /// A fixture file's tensors, read with the library's own safetensors parser.
    struct File {
        let header: SafeTensorsHeader
        let source: FileByteSource

        init(path: String) throws {
            source = try FileByteSource(path: path)
            header = try SafeTensorsHeader.read(from: source)
        }

        func shape(_ name: String) -> [Int] { header.entries[name]!.shape }

        func floats(_ name: String) throws -> [Float] {
            let entry = header.entries[name]!
            var values = [Float](repeating: 0, count: (entry.end - entry.begin) / 4)
            try values.withUnsafeMutableBytes { try source.read(offset: entry.begin, count: $0.count, into: $0.baseAddress!) }
            return values
        }

        func bytes(_ name: String) throws -> [UInt8] {
            let entry = header.entries[name]!
            var values = [UInt8](repeating: 0, count: entry.end - entry.begin)
            try values.withUnsafeMutableBytes { try source.read(offset: entry.begin, count: $0.count, into: $0.baseAddress!) }
            return values
        }
    }
}
