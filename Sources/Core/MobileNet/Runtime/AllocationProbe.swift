import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Swift's allocator aborts the process when malloc fails ("failed to
/// allocate N bytes"), so a String or Array whose size the input chose is
/// first tried with malloc: failure is then an OUT_OF_MEMORY status. Under
/// RLIMIT_AS, a 64 MiB label string in a header aborted the host without
/// this. The probe is freed at once; the real allocation that follows asks
/// for the same amount, so it finds that memory (another thread could take
/// it in between, which leaves the abort possible but no longer the rule).
enum AllocationProbe {
    /// Sizes below this are not probed: the 4 KiB of a page, far below any
    /// limit a process that loaded the library runs under.
    static let threshold = 4096

    private static let lastProbe = Atomic<UInt>(0)

    static func ensure(bytes: Int, for what: @autoclosure () -> String) throws {
        guard bytes >= threshold else { return }
        // Swift's String and Array storage adds a header of 32 bytes or so.
        let (padded, overflow) = bytes.addingReportingOverflow(4096)
        guard !overflow, let probe = malloc(padded) else {
            throw MobileNetError(.outOfMemory, "cannot allocate \(bytes) bytes for \(what())")
        }
        // The address escapes to a global, or the optimizer removes the
        // unused malloc/free pair and assumes success (it did).
        lastProbe.store(UInt(bitPattern: probe), ordering: .relaxed)
        free(probe)
    }
}
