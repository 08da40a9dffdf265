#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// SIGINT/SIGTERM ask the main loop to stop; the loop then detaches the probe, drains what
/// is queued and flushes outputs. SIGHUP asks for a reload of configuration and rules,
/// SIGUSR1 for output files to be reopened (log rotation); `peregrine run` installs those.
/// The handlers only set flags (async-signal-safe).
enum StopSignal {
    static let requested = Atomic<Bool>(false)
    static let reloadRequested = Atomic<Bool>(false)
    static let reopenRequested = Atomic<Bool>(false)

    static func install(reloadAndReopen: Bool = false) {
        signal(SIGPIPE, SIG_IGN)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in StopSignal.requested.store(true, ordering: .relaxed) }
        }
        if reloadAndReopen {
            signal(SIGHUP) { _ in StopSignal.reloadRequested.store(true, ordering: .relaxed) }
            signal(SIGUSR1) { _ in StopSignal.reopenRequested.store(true, ordering: .relaxed) }
        }
    }

    static var isRequested: Bool { requested.load(ordering: .relaxed) }
    /// True once per SIGHUP.
    static func takeReload() -> Bool { reloadRequested.exchange(false, ordering: .relaxed) }
    /// True once per SIGUSR1.
    static func takeReopen() -> Bool { reopenRequested.exchange(false, ordering: .relaxed) }
}

/// Monotonic deadline for `--duration`.
struct Deadline {
    private let end: UInt64?

    init(seconds: Double?) {
        if let seconds { end = Deadline.nowNs() + UInt64(max(seconds, 0) * 1e9) } else { end = nil }
    }

    var passed: Bool {
        guard let end else { return false }
        return Deadline.nowNs() >= end
    }

    static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// Buffered writes to a file descriptor; reports failure (a closed pipe) instead of dying.
struct OutputStream {
    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var failed = false

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 16)
    }

    mutating func write(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func write(_ text: String) {
        write(Array(text.utf8))
    }

    mutating func flush() {
        var offset = 0
        while offset < buffer.count && !failed {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                failed = true
            } else {
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// One line on stderr.
func printError(_ message: String) {
    var err = OutputStream(fd: 2)
    err.write("peregrine: " + message + "\n")
    err.flush()
}
