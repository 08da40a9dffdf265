#if canImport(Glibc)
import Glibc
#endif
import PeregrineRules
import Synchronization

/// Where the matcher hands alerts over. `publish` renders each alert once per format and
/// pushes it onto every output's bounded queue without waiting: a full queue drops the
/// alert and counts it. Each output's own thread delivers.
public final class OutputHub: @unchecked Sendable {
    public struct Counters: Equatable, Sendable {
        public var output: String
        public var sent: UInt64
        public var failures: UInt64
        public var dropped: UInt64
        public var givenUp: UInt64
        public var queued: Int
    }

    private let workers: [OutputWorker]
    private let needsJSON: Bool
    private let needsText: Bool

    public init(outputs: [any AlertOutput], capacity: Int, maxBackoffMs: Int = 5_000,
                log: @escaping @Sendable (String) -> Void) {
        workers = outputs.map {
            OutputWorker(output: $0, capacity: capacity, maxBackoffNs: UInt64(maxBackoffMs) * 1_000_000, log: log)
        }
        needsJSON = outputs.contains { $0.wantsJSON }
        needsText = outputs.contains { !$0.wantsJSON }
        for w in workers { w.start() }
    }

    /// The outputs `settings` enables (file, http), started. Throws on unusable TLS files.
    public convenience init(settings: OutputSettings, json: Bool, log: @escaping @Sendable (String) -> Void) throws(HTTPOutput.SetupError) {
        var outputs: [any AlertOutput] = []
        if settings.file.enabled {
            outputs.append(FileOutput(path: settings.file.filename, keepAlive: settings.file.keepAlive, json: json))
        }
        if settings.http.enabled { outputs.append(try HTTPOutput(settings: settings.http)) }
        self.init(outputs: outputs, capacity: settings.queueCapacity, maxBackoffMs: settings.maxBackoffMs, log: log)
    }

    public var isEmpty: Bool { workers.isEmpty }

    /// Matcher thread: never blocks beyond each queue's short mutex.
    public func publish(_ alert: Alert) {
        guard !workers.isEmpty else { return }
        let json = needsJSON ? alert.jsonLine : ""
        let text = needsText ? alert.textLine : ""
        for w in workers { w.queue.push(w.output.wantsJSON ? json : text) }
    }

    /// SIGUSR1: files are reopened before their next write.
    public func reopen() {
        for w in workers { w.reopenRequested.store(true, ordering: .releasing) }
    }

    public var counters: [Counters] {
        workers.map {
            Counters(output: $0.output.name, sent: $0.sent.load(ordering: .relaxed),
                     failures: $0.failures.load(ordering: .relaxed), dropped: $0.queue.dropped,
                     givenUp: $0.givenUp.load(ordering: .relaxed), queued: $0.queue.count)
        }
    }

    /// Waits up to `timeoutNs` for every queue to empty, then stops the workers; returns
    /// how many alerts were still queued per output (lost at shutdown).
    @discardableResult
    public func shutdown(timeoutNs: UInt64) -> [(output: String, abandoned: Int)] {
        let end = Self.now() + timeoutNs
        while Self.now() < end && !workers.allSatisfy(\.isDrained) { usleep(5_000) }
        let left = workers.map { ($0.output.name, $0.queue.close()) }
        // Give the workers a moment to close files and connections.
        let closeEnd = Self.now() + 500_000_000
        while Self.now() < closeEnd && !workers.allSatisfy(\.isFinished) { usleep(2_000) }
        return left
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
