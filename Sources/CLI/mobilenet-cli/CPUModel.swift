import Foundation

/// The CPU's model name, for reports: every figure holds for the host it was
/// measured on (the same machine kind has been AMD Zen 3, Zen 4 and Intel).
enum CPUModel {
    static var name: String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return "unknown CPU" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
}
