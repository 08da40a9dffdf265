#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPeregrineProbe
import PeregrineWire
import PeregrineEvents

/// The kernel probe: the only owner of libbpf objects. Opens, loads and attaches the BPF
/// programs, hands ring-buffer records to a handler, reports the kernel-side counters, and
/// detaches cleanly (also when the process is asked to stop).
public final class Probe {
    public struct Options: Sendable {
        /// Syscalls to report besides the process lifecycle (see `SyscallTable.lifecycle`).
        public var syscalls: Set<SyscallID> = Set(SyscallID.allCases).subtracting([.none])
        /// Report failed execve/execveat calls when `syscalls` has them (successful ones are
        /// always reported, as lifecycle). They come from the sys_exit program, which costs
        /// every syscall of every process ~+100 ns even when it returns at once; with this
        /// off, or no exec selected, and no open, mount or chdir selected, that program is
        /// not attached at all.
        public var failedExecs = true
        /// Ring buffer size in bytes (a power of two).
        public var ringBufferBytes: UInt32 = 16 << 20
        /// Wake the consumer once this much data is pending; below it the consumer's poll
        /// timer picks records up, so a quiet system costs no wake-ups at all.
        public var wakeupBytes: UInt64 = 256 << 10
        /// Report only this process (tests and benchmarks); nil for everything.
        public var onlyPid: UInt32? = nil
        /// Never report this process (the agent itself, to avoid feedback loops).
        public var selfPid: UInt32? = UInt32(getpid())
        public var btfPath = "/sys/kernel/btf/vmlinux"
        /// Which BPF object to load (`PEREGRINE_PROBE=fast|compat` in the environment
        /// overrides the default, for operators and the kernel-compatibility check).
        public var variant: Variant = Variant.fromEnvironment() ?? .automatic

        public init() {}
    }

    /// The fast probe needs kernel >= 6.16 (direct typed loads, open-coded iterators,
    /// bpf_rdonly_cast, arg:untrusted); the compat probe reads kernel memory through helpers
    /// and needs >= 5.8 (ring buffers). Automatic tries the fast one first.
    public enum Variant: String, Sendable, CaseIterable {
        case automatic, fast, compat

        var c: pg_probe_variant {
            switch self {
            case .automatic: PG_PROBE_AUTOMATIC
            case .fast: PG_PROBE_FAST
            case .compat: PG_PROBE_COMPAT
            }
        }

        static func fromEnvironment() -> Variant? {
            guard let value = getenv("PEREGRINE_PROBE") else { return nil }
            return Variant(rawValue: String(cString: value))
        }
    }

    /// The object in use: `fast` or `compat`.
    public private(set) var loadedVariant: Variant = .automatic

    /// Kernel-side counters, summed over CPUs.
    public struct Stats: Sendable, Equatable {
        public var attempted: UInt64 = 0
        public var lostRingBuffer: UInt64 = 0
        public var lostScratch: UInt64 = 0
        public var wakeups: UInt64 = 0
        public var lost: UInt64 { lostRingBuffer + lostScratch }
        public var delivered: UInt64 { attempted - lost }
    }

    private var skel: OpaquePointer?
    private var ring: OpaquePointer?
    private let sink = RecordSink()
    public let options: Options

    /// Opens, loads and configures the probe; `attach()` starts the flow of records.
    public init(options: Options = Options()) throws(ProbeError) {
        self.options = options
        try Self.checkPrerequisites(options)
        if let raw = getenv("PEREGRINE_PROBE"), Variant(rawValue: String(cString: raw)) == nil {
            throw ProbeError.step("reading PEREGRINE_PROBE", errno: EINVAL,
                                  detail: "'\(String(cString: raw))' is not automatic, fast or compat")
        }
        pg_probe_clear_log()
        var handle: OpaquePointer?
        try Self.check("opening the BPF object", pg_probe_open(&handle, options.ringBufferBytes, options.variant.c))
        skel = handle
        do {
            try Self.check("loading the BPF programs (verifier)", pg_probe_load(handle))
            loadedVariant = Variant(rawValue: String(cString: pg_probe_variant_name(handle))) ?? .automatic
            configure()
            var consumer: OpaquePointer?
            try Self.check("mapping the ring buffer", pg_ring_open(&consumer, pg_probe_events_fd(handle)))
            ring = consumer
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private func configure() {
        let wanted = table(for: options.syscalls)
        for entry in SyscallTable.numbers where wanted.contains(entry.id) {
            pg_probe_set_syscall_kind(skel, entry.nr, UInt8(entry.id.rawValue))
        }
        pg_probe_set_self_tgid(skel, options.selfPid ?? 0)
        pg_probe_set_only_tgid(skel, options.onlyPid ?? 0)
        pg_probe_set_wakeup_bytes(skel, options.wakeupBytes)
        pg_probe_set_failed_execs(skel, reportsFailedExecs(options.syscalls))
        requested = options.syscalls
    }

    public func attach() throws(ProbeError) {
        try Self.check("attaching the BPF programs", pg_probe_attach(skel, needsSysExit(requested)))
    }

    /// Whether the sys_exit program is attached (false when only lifecycle events are wanted).
    public var sysExitAttached: Bool { skel != nil && pg_probe_sys_exit_attached(skel) }

    /// The syscalls reported on return by the sys_exit program.
    static let reportedOnExit: Set<SyscallID> = [
        .open, .openat, .openat2, .creat, .mount, .umount2, .fsopen, .fsmount, .moveMount, .openTree,
        .chdir, .fchdir,
    ]

    /// `syscalls`: as asked for, before the lifecycle is added (the lifecycle's execs are
    /// always in the kernel table, for sched_process_exec; only asking for them asks for the
    /// failed ones too).
    private func needsSysExit(_ syscalls: Set<SyscallID>) -> Bool {
        !syscalls.isDisjoint(with: Self.reportedOnExit) || reportsFailedExecs(syscalls)
    }

    private func reportsFailedExecs(_ syscalls: Set<SyscallID>) -> Bool {
        options.failedExecs && !syscalls.isDisjoint(with: [.execve, .execveat])
    }

    /// The syscalls asked for (`Options.syscalls`, then `select`).
    private var requested: Set<SyscallID> = []

    /// What the kernel table holds: the selection and the lifecycle (the exec numbers stay
    /// in even without failed execs: sched_process_exec looks execveat up where the kernel
    /// still tells it apart; on x86-64 it does not, and a successful one is execve, as in Falco).
    private func table(for syscalls: Set<SyscallID>) -> Set<SyscallID> {
        syscalls.union(SyscallTable.lifecycle)
    }

    /// Waits up to `timeoutMs` for records and hands each to `handler`, in order. The bytes
    /// are valid only during the call. Returns the number of records handled.
    @discardableResult
    public func poll(timeoutMs: Int32, _ handler: (UnsafeRawBufferPointer) -> Void) -> Int {
        withoutActuallyEscaping(handler) { handler in
            sink.handler = handler
            defer { sink.handler = nil }
            // Records below the wake-up mark are not announced: consume first.
            var n = consume()
            if n == 0 && pg_ring_wait(ring, timeoutMs) > 0 {
                n = consume()
            }
            return n
        }
    }

    /// Hands every record already in the ring buffer to `handler` without waiting.
    @discardableResult
    public func drain(_ handler: (UnsafeRawBufferPointer) -> Void) -> Int {
        withoutActuallyEscaping(handler) { handler in
            sink.handler = handler
            defer { sink.handler = nil }
            return consume()
        }
    }

    /// Records that wrapped around the ring buffer's end, so were copied whole before being
    /// handed on (the ring's data is mapped once; see ring.c).
    public var wrappedRecords: UInt64 { pg_ring_wrapped_records(ring) }

    private func consume() -> Int {
        let context = Unmanaged.passUnretained(sink).toOpaque()
        return max(Int(pg_ring_consume(ring, probeRecordCallback, context)), 0)
    }

    /// Stops new records; those already queued can still be drained.
    public func detach() {
        if skel != nil { pg_probe_detach(skel) }
    }

    public func stats() -> Stats {
        var s = Stats()
        func read(_ stat: UInt32) -> UInt64 {
            var value: UInt64 = 0
            _ = pg_probe_read_stat(skel, stat, &value)
            return value
        }
        guard skel != nil else { return s }
        s.attempted = read(UInt32(PG_STAT_ATTEMPTED.rawValue))
        s.lostRingBuffer = read(UInt32(PG_STAT_LOST_RINGBUF.rawValue))
        s.lostScratch = read(UInt32(PG_STAT_LOST_SCRATCH.rawValue))
        s.wakeups = read(UInt32(PG_STAT_WAKEUPS.rawValue))
        return s
    }

    /// Time the kernel spent in the sys_exit program and how often it ran, since load.
    /// Counts only while run-time accounting is on (`enableRunTimeStats()` or the
    /// kernel.bpf_stats_enabled sysctl). For benchmarks.
    public func sysExitRunStats() -> (runs: UInt64, ns: UInt64) {
        var ns: UInt64 = 0, runs: UInt64 = 0
        if skel != nil { _ = pg_probe_sys_exit_run_stats(skel, &ns, &runs) }
        return (runs, ns)
    }

    /// Turns on the kernel's per-program run-time accounting until the returned descriptor
    /// is closed; nil when the kernel refuses.
    public static func enableRunTimeStats() -> Int32? {
        let fd = pg_probe_enable_run_time_stats()
        return fd >= 0 ? fd : nil
    }

    /// Changes which syscalls are reported, while attached (on rule reload); attaches or
    /// detaches the sys_exit program as the new selection needs it.
    public func select(_ syscalls: Set<SyscallID>) throws(ProbeError) {
        let wanted = table(for: syscalls)
        let needed = needsSysExit(syscalls)
        // Attach before widening the table and narrow it before detaching: nothing selected
        // is ever missed in between.
        if reportsFailedExecs(syscalls) { pg_probe_set_failed_execs(skel, true) }
        if needed && !sysExitAttached {
            try Self.check("attaching the sys_exit program", pg_probe_set_sys_exit(skel, true))
        }
        for entry in SyscallTable.numbers {
            pg_probe_set_syscall_kind(skel, entry.nr, wanted.contains(entry.id) ? UInt8(entry.id.rawValue) : 0)
        }
        requested = syscalls
        if !reportsFailedExecs(syscalls) { pg_probe_set_failed_execs(skel, false) }
        if !needed && sysExitAttached {
            _ = pg_probe_set_sys_exit(skel, false)
        }
    }

    public func close() {
        pg_ring_free(ring)
        ring = nil
        if let s = skel { pg_probe_destroy(s) }
        skel = nil
    }

    // MARK: prerequisites

    private static func check(_ step: String, _ result: Int32) throws(ProbeError) {
        guard result == 0 else {
            let log = String(cString: pg_probe_last_log())
            throw ProbeError.step(step, errno: result, detail: Self.tail(of: log, lines: 12))
        }
    }

    private static func tail(of text: String, lines: Int) -> String {
        let all = text.split(separator: "\n", omittingEmptySubsequences: true)
        return all.suffix(lines).joined(separator: "\n")
    }

    static func checkPrerequisites(_ options: Options) throws(ProbeError) {
        if access(options.btfPath, R_OK) != 0 {
            throw ProbeError.missingBTF(path: options.btfPath)
        }
        let missing = Capabilities.missingForProbe()
        if !missing.isEmpty {
            throw ProbeError.missingPrivileges(missing: missing)
        }
    }
}

/// Receives records from the ring consumer's C callback and forwards them to the current handler.
final class RecordSink {
    var handler: ((UnsafeRawBufferPointer) -> Void)?
}

private let probeRecordCallback: pg_ring_record_fn = { context, data, size in
    guard let context, let data else { return }
    let sink = Unmanaged<RecordSink>.fromOpaque(context).takeUnretainedValue()
    sink.handler?(UnsafeRawBufferPointer(start: data, count: Int(size)))
}
