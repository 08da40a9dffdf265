import Foundation
import PeregrineEngine
import PeregrineOutputs
import PeregrineRules
import Synchronization

/// SIGHUP: configuration and rules are read and compiled on a thread of their own while the
/// consumer keeps matching with the old engine; the consumer takes the result between two
/// records. Anything wrong (bad key, rule error, unreadable TLS file) keeps everything as it
/// was and says why on stderr and in `peregrine_config_last_reload_successful`.
final class RuleReloader: @unchecked Sendable {
    /// What a successful reload hands the consumer: built on the reload thread, then owned
    /// by the consumer alone once taken (handed over exactly once, under the slot's lock).
    struct Result: @unchecked Sendable {
        let config: AgentConfiguration
        let engine: Engine
        /// New outputs when their configuration changed; nil keeps the running ones.
        let outputs: OutputHub?
    }

    struct Counts {
        var succeeded: UInt64 = 0
        var failed: UInt64 = 0
        var lastSucceeded = true
    }

    private let slot = Mutex<Result?>(nil)
    private let busy = Atomic<Bool>(false)
    private let counts = Mutex(Counts())

    var snapshot: Counts { counts.withLock { $0 } }

    /// Starts a reload unless one is under way. `build` runs on the reload thread.
    func start(_ build: @escaping @Sendable () throws -> Result) {
        guard !busy.exchange(true, ordering: .acquiring) else { return }
        let thread = Thread { [self] in
            do {
                let result = try build()
                slot.withLock { $0 = result }
            } catch {
                printError("reload refused, the running configuration and rules stay: \(error)")
                counts.withLock { $0.failed += 1; $0.lastSucceeded = false }
                busy.store(false, ordering: .releasing)
            }
        }
        thread.name = "peregrine-reload"
        thread.start()
    }

    /// The consumer's side: a finished reload, once.
    func take() -> Result? {
        guard let result = slot.withLock({ value -> Result? in defer { value = nil }; return value }) else { return nil }
        counts.withLock { $0.succeeded += 1; $0.lastSucceeded = true }
        busy.store(false, ordering: .releasing)
        return result
    }
}

/// Reasons a reload is refused, in words for stderr.
struct ReloadError: Error, CustomStringConvertible {
    let description: String
}
