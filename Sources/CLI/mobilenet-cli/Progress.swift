#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Training progress: on a terminal one line rewritten in place (at most ten
/// times a second, so printing costs nothing next to a step); in a log or a
/// pipe nothing but the lines `log` prints, one per epoch, which stay readable
/// with no carriage returns in them.
final class Progress {
    let interactive = isatty(STDOUT_FILENO) != 0
    private var lastDraw = 0.0
    private var drawn = false

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// The updating line (terminals only).
    func update(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, accuracy: Double?,
                imagesPerSecond: Double, secondsLeft: Double) {
        guard interactive else { return }
        let now = Progress.now()
        guard step == steps || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let width = 20, filled = steps > 0 ? width * step / steps : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "epoch \(epoch)/\(epochs) [\(bar)] \(step)/\(steps)"
            + Platform.format("  loss %.4f", loss)
            + (accuracy.map { Platform.format("  acc %.1f%%", $0 * 100) } ?? "")
            + Platform.format("  %.1f img/s  ", imagesPerSecond) + Progress.duration(secondsLeft) + " left"
        fputs("\r" + line + "\u{1B}[K", stdout)
        fflush(stdout)
        drawn = true
    }

    /// A free-form updating line (terminals only), e.g. the embedding pass's count.
    func status(_ text: @autoclosure () -> String) {
        guard interactive else { return }
        let now = Progress.now()
        guard now - lastDraw >= 0.1 else { return }
        lastDraw = now
        fputs("\r" + text() + "\u{1B}[K", stdout)
        fflush(stdout)
        drawn = true
    }

    /// A message on stderr (a skipped file) that must not land inside the updating line.
    func warn(_ line: String) {
        if drawn { fputs("\r\u{1B}[K", stdout); fflush(stdout); drawn = false }
        Platform.printError(line)
    }

    /// A line that stays (an epoch's summary, a message): ends the updating line first.
    func log(_ line: String) {
        if drawn { fputs("\r\u{1B}[K", stdout); drawn = false }
        print(line)
        fflush(stdout)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? Platform.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : Platform.format("%d:%02d", s / 60, s % 60)
    }
}
