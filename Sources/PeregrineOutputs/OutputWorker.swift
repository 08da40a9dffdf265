import Foundation
import Synchronization

/// One output's queue and the thread that empties it: peek, deliver, remove; on failure
/// back off exponentially (100 ms doubling, capped) with the alert kept at the head.
final class OutputWorker: @unchecked Sendable {
    let output: any AlertOutput
    let queue: BoundedQueue<String>
    let sent = Atomic<UInt64>(0)
    let failures = Atomic<UInt64>(0)
    let givenUp = Atomic<UInt64>(0)
    let reopenRequested = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    private let idle = Atomic<Bool>(true)
    let maxBackoffNs: UInt64
    private let log: @Sendable (String) -> Void

    init(output: any AlertOutput, capacity: Int, maxBackoffNs: UInt64, log: @escaping @Sendable (String) -> Void) {
        self.output = output
        self.queue = BoundedQueue(capacity: capacity)
        self.maxBackoffNs = maxBackoffNs
        self.log = log
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "peregrine-output-\(output.name)"
        thread.start()
    }

    /// True once nothing is queued and no delivery is under way.
    var isDrained: Bool { queue.count == 0 && idle.load(ordering: .acquiring) }
    var isFinished: Bool { finished.load(ordering: .acquiring) }

    private func run() {
        var attempt = 0
        var failing = false
        while true {
            guard let line = queue.peek(waitingUpTo: 100_000_000) else {
                if reopenRequested.exchange(false, ordering: .acquiring) { output.reopen() }
                if queue.isClosed { break }
                continue
            }
            // Checked after the alert is in hand: an alert queued after SIGUSR1 goes to the new file.
            if reopenRequested.exchange(false, ordering: .acquiring) { output.reopen() }
            idle.store(false, ordering: .releasing)
            let result = output.deliver(line)
            switch result {
            case .sent:
                queue.removeFirst()
                sent.add(1, ordering: .relaxed)
                if failing { log("output \(output.name): delivering again") }
                failing = false
                attempt = 0
            case .rejected(let reason):
                queue.removeFirst()
                failures.add(1, ordering: .relaxed)
                givenUp.add(1, ordering: .relaxed)
                log("output \(output.name): alert refused, given up: \(reason)")
                attempt = 0
            case .unreachable(let reason), .refused(let reason):
                failures.add(1, ordering: .relaxed)
                if !failing { log("output \(output.name): delivery failed, retrying with back-off: \(reason)") }
                failing = true
                attempt += 1
                if case .refused = result, attempt > output.maxRetries {
                    queue.removeFirst()
                    givenUp.add(1, ordering: .relaxed)
                    log("output \(output.name): alert given up after \(attempt) attempts: \(reason)")
                    attempt = 0
                } else {
                    let backoff = min(maxBackoffNs, 100_000_000 << UInt64(min(attempt - 1, 20)))
                    idle.store(true, ordering: .releasing)
                    if !queue.sleep(nanoseconds: backoff) { break }
                }
            }
            idle.store(true, ordering: .releasing)
        }
        idle.store(true, ordering: .releasing)
        output.close()
        finished.store(true, ordering: .releasing)
    }
}
