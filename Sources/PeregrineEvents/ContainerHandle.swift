/// One container as the consumer thread tracks it. The process-table entries of its processes
/// point at the same handle, so matching reads metadata with two pointer loads and no lookup
/// by id; when the runtime answers, filling the handle updates every process at once.
/// Owned by the consumer thread: only it reads or writes a handle (lookups hand their answers
/// over through the tracker's inbox), hence the unchecked Sendable.
public final class ContainerHandle: @unchecked Sendable {
    public enum State: Sendable, Equatable {
        /// A lookup is under way; alerts that need metadata wait for it (each up to a deadline).
        case pending
        /// The runtime answered (`metadata` is set).
        case known
        /// The runtime did not answer in time, or failed: fields read as missing (`<NA>`).
        case unavailable
    }

    public let fullID: String
    public var state: State
    public var metadata: ContainerMetadata?
    /// Whether the container was counted as lacking metadata when an alert needed it (an
    /// event's wait ran out, or the lookup failed): counted once per container.
    public var countedUnavailable = false

    public init(fullID: String, state: State = .pending, metadata: ContainerMetadata? = nil) {
        self.fullID = fullID
        self.state = state
        self.metadata = metadata
    }
}
