#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many CPUs this process may actually use: the least of the online
/// count, the affinity mask (taskset, sched_setaffinity) and the cgroup CPU
/// quota (v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us, rounded up),
/// at least 1. Under `taskset -c 0` the online count alone started 2
/// threads on the one CPU. Files are read with plain POSIX calls (no
/// Foundation in the core) and parsed strictly: anything unexpected means
/// "no limit from this source", never a crash or 0.
enum AvailableCPUs {
    static func count() -> Int {
        var result = max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
        if let affinity = affinityCount() { result = min(result, affinity) }
        if let quota = cgroupQuota() { result = min(result, quota) }
        return max(result, 1)
    }

    // MARK: affinity

    static func affinityCount() -> Int? {
        #if os(Linux)
        // 1,024 bytes: masks of up to 8,192 CPUs (cpu_set_t has 1,024).
        let bytes = 1024
        let mask = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 8)
        defer { mask.deallocate() }
        memset(mask, 0, bytes)
        // Glibc's module map leaves out the _GNU_SOURCE declaration; the
        // symbol is looked up instead (RTLD_DEFAULT is a null handle).
        typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
        guard let symbol = dlsym(nil, "sched_getaffinity") else { return nil }
        let getAffinity = unsafeBitCast(symbol, to: GetAffinity.self)
        guard getAffinity(0, bytes, mask) == 0 else { return nil }
        var count = 0
        for i in 0..<(bytes / 8) { count += mask.load(fromByteOffset: 8 * i, as: UInt64.self).nonzeroBitCount }
        return count > 0 ? count : nil
        #else
        return nil
        #endif
    }

    // MARK: cgroups

    static func cgroupQuota() -> Int? {
        guard let membership = readSmallFile("/proc/self/cgroup") else { return nil }
        let paths = parseCgroupMembership(membership)
        var best: Int?
        func consider(_ value: Int?) {
            if let value { best = min(best ?? value, value) }
        }
        // v2: the process's own cgroup and each ancestor up to the mount
        // (a parent's quota binds the children too).
        if let v2 = paths.v2 {
            for directory in ancestors(of: v2, under: "/sys/fs/cgroup") {
                if let text = readSmallFile(directory + "/cpu.max") { consider(parseCPUMax(text)) }
            }
        }
        // v1: the cpu controller, mounted as cpu or cpu,cpuacct.
        if let v1 = paths.v1CPU {
            for mount in ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"] {
                for directory in ancestors(of: v1, under: mount) {
                    if let quota = readSmallFile(directory + "/cpu.cfs_quota_us"),
                       let period = readSmallFile(directory + "/cpu.cfs_period_us") {
                        consider(parseCFS(quota: quota, period: period))
                    }
                }
            }
        }
        return best
    }

    /// mount + path, then each parent directory down to the mount itself.
    static func ancestors(of path: String, under mount: String) -> [String] {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !parts.contains(".."), parts.count <= 64 else { return [mount] }
        var result: [String] = []
        while true {
            result.append(parts.isEmpty ? mount : mount + "/" + parts.joined(separator: "/"))
            if parts.isEmpty { return result }
            parts.removeLast()
        }
    }

    /// From /proc/self/cgroup: the v2 path ("0::/path") and the v1 path of
    /// the cpu controller ("N:cpu,cpuacct:/path").
    static func parseCgroupMembership(_ text: String) -> (v2: String?, v1CPU: String?) {
        var v2: String?, v1: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[2].hasPrefix("/") else { continue }
            if fields[0] == "0" && fields[1].isEmpty {
                v2 = String(fields[2])
            } else if fields[1].split(separator: ",").contains("cpu") {
                v1 = String(fields[2])
            }
        }
        return (v2, v1)
    }

    /// cgroup v2 cpu.max: "QUOTA PERIOD" or "max PERIOD", one line. The CPU
    /// count is QUOTA / PERIOD rounded up, at least 1; nil for no limit or
    /// text of any other form.
    static func parseCPUMax(_ text: String) -> Int? {
        let line = text.hasSuffix("\n") ? String(text.dropLast()) : text
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2, let period = positive(fields[1]) else { return nil }
        if fields[0] == "max" { return nil }
        guard let quota = positive(fields[0]) else { return nil }
        return cpus(quota: quota, period: period)
    }

    /// cgroup v1: cpu.cfs_quota_us (-1 = no limit) and cpu.cfs_period_us.
    static func parseCFS(quota: String, period: String) -> Int? {
        func value(_ text: String) -> Substring { text.hasSuffix("\n") ? text.dropLast() : Substring(text) }
        guard value(quota) != "-1", let q = positive(value(quota)), let p = positive(value(period)) else {
            return nil
        }
        return cpus(quota: q, period: p)
    }

    private static func cpus(quota: Int, period: Int) -> Int {
        // Both positive: no overflow.
        max(quota / period + (quota % period == 0 ? 0 : 1), 1)
    }

    /// Decimal digits only, no sign or leading zero, at most 18 digits.
    private static func positive(_ text: Substring) -> Int? {
        guard (1...18).contains(text.utf8.count), text.utf8.first != UInt8(ascii: "0"),
              text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(text)
    }

    /// The first 4 KiB of a file, or nil if it cannot be read or is longer
    /// (every file read here is one line or a short list).
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4097)
        var used = 0
        while used < buffer.count {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + used, $0.count - used) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            used += n
        }
        guard used < buffer.count else { return nil }
        return String(validating: buffer[..<used], as: UTF8.self)
    }
}
