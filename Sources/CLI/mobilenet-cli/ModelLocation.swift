/// Where the model is when --model is not given, in this order:
///   1. $MOBILENET_MODEL
///   2. PREFIX/share/mobilenet/ for an executable installed as PREFIX/bin/mobilenet-cli
///   3. models/ of the source tree, for an executable in its SwiftPM build
///      directory (REPO/.build/.../mobilenet-cli)
///   4. /usr/local/share/mobilenet/, /usr/share/mobilenet/
/// The executable's real path (symlinks resolved) is used, not argv[0], so the
/// installed tool finds its model when run through PATH or a symlink.
import MobileNet

enum ModelLocation {
    static let bundledName = "mobilenet_v1_1.0_224.safetensors"
    static let environmentVariable = "MOBILENET_MODEL"

    /// The model at `explicit`, else at the default location; an error names the file.
    static func load(_ explicit: String?, options: LoadOptions) throws -> Model {
        let path = try resolve(explicit)
        do {
            return try Model(path: path, options: options)
        } catch {
            let message = "\(error)"
            // Some load errors name the file already; the others say nothing of which file.
            throw CLIError(message.contains(path) ? message : "model \(path): \(message)")
        }
    }

    static func resolve(_ explicit: String?) throws -> String {
        if let explicit { return explicit }
        if let path = Platform.environment(environmentVariable), !path.isEmpty { return path }
        let places = candidates(executable: Platform.executablePath())
        if let found = places.first(where: Platform.isRegularFile) { return found }
        throw CLIError("no model given and the bundled \(bundledName) was not found in "
                       + places.joined(separator: ", ")
                       + "; pass --model PATH or set \(environmentVariable)")
    }

    /// The default model's possible paths for an executable at `executable`
    /// (an absolute, symlink-free path; nil if unknown).
    static func candidates(executable: String?) -> [String] {
        var places: [String] = []
        if let executable, executable.hasPrefix("/") {
            let directory = PathName.parent(executable)
            let prefix = PathName.parent(directory)
            places.append(PathName.join(prefix, "share/mobilenet/" + bundledName))
            // A build tree: the first component named .build or .build-* (the
            // sanitizer builds) sits in the repository's root.
            let components = directory.split(separator: "/", omittingEmptySubsequences: false)
            if let build = components.firstIndex(where: { $0 == ".build" || $0.hasPrefix(".build-") }) {
                let repository = components[..<build].joined(separator: "/")
                places.append(PathName.join(repository.isEmpty ? "/" : repository, "models/" + bundledName))
            }
        }
        for shared in ["/usr/local/share/mobilenet/", "/usr/share/mobilenet/"] {
            let path = shared + bundledName
            if !places.contains(path) { places.append(path) }
        }
        return places
    }
}
