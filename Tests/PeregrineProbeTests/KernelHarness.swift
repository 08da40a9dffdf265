#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents
import PeregrineProbe
import Synchronization
import Testing

/// Suites run in parallel, in one process. Tests that count this process's records
/// exactly (LostRecordTests) must not overlap with tests that open files or spawn
/// children from it; each such test holds this lock for its whole body.
let kernelActivityLock = Mutex(())

/// One real probe for the kernel tests, loaded once. Tests act (spawn processes, open
/// files, mount), then `collect` reads records until a marker open issued by the test
/// process after the action comes through: the ring buffer is ordered, so everything the
/// action caused is in by then.
final class KernelHarness: @unchecked Sendable {
    // Loading opens files in this process (/proc/self/status), so it takes the lock too.
    static let shared = Result { try kernelActivityLock.withLock { _ in try KernelHarness() } }

    let probe: Probe
    private let lock = Mutex(0)
    let scratch: String

    init() throws {
        var options = Probe.Options()
        options.selfPid = nil // the test process's own syscalls are under test too
        probe = try Probe(options: options)
        // scripts/test runs these tests again with PEREGRINE_PROBE=compat: make sure that
        // run really exercises the object it names.
        if options.variant != .automatic && probe.loadedVariant != options.variant {
            throw ProbeError.step("loading the \(options.variant.rawValue) probe", errno: 0,
                                  detail: "the \(probe.loadedVariant.rawValue) probe was loaded instead")
        }
        try probe.attach()
        scratch = "/tmp/pgk-\(getpid())"
        mkdir(scratch, 0o755)
    }

    /// Copies of the records produced between now and the end of `action`.
    func collect(_ action: () throws -> Void) throws -> [Record] {
        try kernelActivityLock.withLock { _ in try collectLocked(action) }
    }

    private func collectLocked(_ action: () throws -> Void) throws -> [Record] {
        try lock.withLock { counter in
            counter += 1
            let marker = "\(scratch)/marker-\(counter)"
            // Discard whatever was pending from before.
            probe.drain { _ in }
            try action()
            let fd = open(marker, O_RDONLY)
            if fd >= 0 { close(fd) }
            var records: [Record] = []
            var seenMarker = false
            var decoder = RecordDecoder()
            let deadline = Self.nowNs() + 10_000_000_000
            while !seenMarker && Self.nowNs() < deadline {
                probe.poll(timeoutMs: 20) { bytes in
                    guard let event = decoder.decode(bytes) else { return }
                    let record = Record(bytes: Array(bytes))
                    if event.kind == .open && String(decoding: event.open.raw, as: UTF8.self) == marker {
                        seenMarker = true
                    } else if !seenMarker {
                        records.append(record)
                    }
                }
            }
            #expect(decoder.totalRejected == 0, "the probe wrote records the decoder rejects")
            guard seenMarker else { throw HarnessError.markerNotSeen(marker) }
            return records
        }
    }

    static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

enum HarnessError: Error { case markerNotSeen(String), spawn(String, Int32) }

/// An owned copy of one record, re-decoded on demand for assertions.
struct Record {
    let bytes: [UInt8]

    func withEvent<T>(_ body: (EventView) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes { raw in
            var decoder = RecordDecoder()
            return try body(decoder.decode(raw)!)
        }
    }

    var kind: EventKind { withEvent { $0.kind } }
    var pid: UInt32 { withEvent { $0.pid } }
    var syscall: SyscallID { withEvent { $0.syscall } }
    var result: Int64? { withEvent { $0.result } }
    func string(_ field: (EventView) -> UnsafeRawBufferPointer) -> String {
        withEvent { String(decoding: field($0), as: UTF8.self) }
    }
}

/// Starts a real child process (posix_spawn), optionally in `cwd`, and waits for it.
/// Returns its pid and wait status.
@discardableResult
func spawnAndWait(_ path: String, _ args: [String], cwd: String? = nil) throws -> (pid: pid_t, status: Int32) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let cwd { _ = addChdir(&actions, cwd) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, nil, &argv, environ)
    guard rc == 0 else { throw HarnessError.spawn(path, rc) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (pid, status)
}

func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
    _ = text.withCString { write(fd, $0, strlen($0)) }
    fchmod(fd, mode)
    close(fd)
}

func readText(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 65536)
    let n = read(fd, &buffer, buffer.count)
    return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
}

func realPath(_ path: String) -> String {
    guard let p = realpath(path, nil) else { return path }
    defer { free(p) }
    return String(cString: p)
}

/// glibc's posix_spawn_file_actions_addchdir_np (2.29+), which Swift's Glibc module does not
/// import: looked up once by name.
private let addChdir: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32 = {
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else {
        fatalError("glibc without posix_spawn_file_actions_addchdir_np")
    }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)
}()
