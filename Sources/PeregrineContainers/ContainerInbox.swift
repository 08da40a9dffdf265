import PeregrineEvents
import Synchronization

/// Where lookups hand their answers to the consumer thread: a lock-protected list the
/// consumer swaps out on its tick, and counters the monitoring port reads. Neither side ever
/// waits for the other beyond a short critical section.
public final class ContainerInbox: Sendable {
    public enum Update: Sendable {
        case metadata(ContainerMetadata)
        /// The lookup failed or the runtime does not know the id.
        case failed(String)
        case removed(String)
    }

    private let updates = Mutex<[Update]>([])
    private let pendingCount = Atomic<Int>(0)
    /// Failed CRI calls and connection attempts, since start.
    let failures = Atomic<UInt64>(0)
    /// Lookups answered with metadata, since start.
    let answered = Atomic<UInt64>(0)
    /// Whether a runtime socket is connected now.
    let connected = Atomic<Bool>(false)

    public init() {}

    func post(_ update: Update) {
        updates.withLock { $0.append(update) }
        pendingCount.add(1, ordering: .releasing)
    }

    /// Everything posted since the last call (cheap when nothing was).
    func take() -> [Update] {
        guard pendingCount.load(ordering: .acquiring) > 0 else { return [] }
        let out = updates.withLock { list -> [Update] in
            let taken = list
            list.removeAll(keepingCapacity: true)
            return taken
        }
        pendingCount.subtract(out.count, ordering: .releasing)
        return out
    }

    public var failureCount: UInt64 { failures.load(ordering: .relaxed) }
    public var answeredCount: UInt64 { answered.load(ordering: .relaxed) }
    public var isConnected: Bool { connected.load(ordering: .relaxed) }
}
