import Foundation

/// Where the bundled model is when --model is not given: $MOBILENET_MODEL,
/// then models/ in the current directory, then models/ above the executable
/// (a build tree or an install prefix's share/mobilenet).
enum ModelLocation {
    static let bundledName = "mobilenet_v1_1.0_224.safetensors"

    static func resolve(_ explicit: String?) throws -> String {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["MOBILENET_MODEL"], !env.isEmpty { return env }
        var candidates = ["models/" + bundledName]
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("models/" + bundledName).path)
            candidates.append(directory.appendingPathComponent("share/mobilenet/" + bundledName).path)
            directory = directory.deletingLastPathComponent()
        }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw CLIError("no model given and the bundled \(bundledName) was not found; pass --model PATH or set MOBILENET_MODEL")
    }
}
