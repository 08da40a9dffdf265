import PeregrineEvents

/// A container runtime as the lookup service sees it: the CRI client in the agent, a fake in
/// tests. Every call may be slow or fail; none is ever made on the consumer thread.
public protocol ContainerMetadataSource: AnyObject, Sendable {
    /// Ids of the containers the runtime has now.
    func listContainerIDs() async throws -> [String]
    /// One container's metadata, or nil when the runtime does not know the id.
    func metadata(forContainer id: String) async throws -> ContainerMetadata?
    /// Delivers container lifecycle events until the stream ends (throws when the runtime does
    /// not offer them, or the connection drops).
    func watchEvents(_ handle: @escaping @Sendable (ContainerEvent) -> Void) async throws
    /// Lets go of the connection.
    func close()
}

/// A container lifecycle event from the runtime.
public enum ContainerEvent: Sendable, Equatable {
    /// Created or started: metadata is known before the container's first exec.
    case started(ContainerMetadata)
    /// Stopped or deleted: its cached metadata can go.
    case removed(String)

    public static func == (a: ContainerEvent, b: ContainerEvent) -> Bool {
        switch (a, b) {
        case (.started(let x), .started(let y)): x === y
        case (.removed(let x), .removed(let y)): x == y
        default: false
        }
    }
}
