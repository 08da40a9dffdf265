import GRPCCore
import GRPCNIOTransportHTTP2
import PeregrineEvents
import Synchronization

/// The container runtime reached over its CRI socket (gRPC, HTTP/2 over a unix socket):
/// ListContainers, ContainerStatus and PodSandboxStatus with `verbose`, GetContainerEvents.
public final class CRISource: ContainerMetadataSource {
    public let socketPath: String
    let type: String
    private let client: GRPCClient<HTTP2ClientTransport.Posix>
    private let runtime: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
    private let connections: Task<Void, Never>
    private let options: CallOptions

    /// Connects lazily; the first call says whether the runtime answers.
    public init(socketPath: String, callTimeout: Duration = .seconds(2)) throws {
        self.socketPath = socketPath
        type = RuntimeSockets.containerType(socket: socketPath)
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        let client = GRPCClient(transport: transport)
        self.client = client
        runtime = Runtime_V1_RuntimeService.Client(wrapping: client)
        connections = Task { try? await client.runConnections() }
        var options = CallOptions.defaults
        options.timeout = callTimeout
        self.options = options
    }

    public func close() {
        client.beginGracefulShutdown()
        connections.cancel()
    }

    public func listContainerIDs() async throws -> [String] {
        let response = try await runtime.listContainers(Runtime_V1_ListContainersRequest(), options: options)
        return response.containers.filter { $0.state != .containerExited }.map(\.id)
    }

    public func metadata(forContainer id: String) async throws -> ContainerMetadata? {
        var request = Runtime_V1_ContainerStatusRequest()
        request.containerID = id
        request.verbose = true
        let status: Runtime_V1_ContainerStatusResponse
        do {
            status = try await runtime.containerStatus(request, options: options)
        } catch let error as RPCError where error.code == .notFound {
            // A pod's sandbox (pause) container is not a container to the CRI: ask for the pod.
            guard let pod = try await podStatus(id) else { return nil }
            return CRIMetadata.make(fullID: id, type: type, status: nil, info: nil, pod: pod)
        }
        let info = VerboseInfo(json: status.info["info"])
        let sandboxID = info.sandboxID ?? status.status.labels["io.kubernetes.sandbox.id"] ?? ""
        let pod = sandboxID.isEmpty ? nil : try? await podStatus(sandboxID)
        return CRIMetadata.make(fullID: id, type: type, status: status.status, info: info, pod: pod, sandboxID: sandboxID)
    }

    public func watchEvents(_ handle: @escaping @Sendable (ContainerEvent) -> Void) async throws {
        try await runtime.getContainerEvents(Runtime_V1_GetEventsRequest()) { response in
            for try await event in response.messages {
                switch event.containerEventType {
                case .containerStoppedEvent, .containerDeletedEvent:
                    handle(.removed(event.containerID))
                case .containerCreatedEvent, .containerStartedEvent:
                    let status = event.containersStatuses.first { $0.id == event.containerID }
                    guard let status else { continue }
                    let pod = event.hasPodSandboxStatus ? event.podSandboxStatus : nil
                    handle(.started(CRIMetadata.make(fullID: event.containerID, type: self.type, status: status, info: nil,
                                                     pod: pod, sandboxID: pod?.id ?? "")))
                default:
                    continue
                }
            }
        }
    }

    /// Pod answers by sandbox id, for a few seconds: a pod's sandbox and its containers start
    /// together and are looked up together, and a pod's identity does not change.
    private let recentPods = Mutex<[String: (status: Runtime_V1_PodSandboxStatus, atNs: UInt64)]>([:])
    static let podCacheNs: UInt64 = 10_000_000_000

    private func podStatus(_ id: String) async throws -> Runtime_V1_PodSandboxStatus? {
        let now = ContainerTracker.monotonicNs()
        if let hit = recentPods.withLock({ $0[id] }), now &- hit.atNs < Self.podCacheNs { return hit.status }
        guard let status = try await askPodStatus(id) else { return nil }
        recentPods.withLock { cache in
            if cache.count >= 1024 { cache = cache.filter { now &- $0.value.atNs < Self.podCacheNs } }
            if cache.count >= 1024 { cache.removeAll() }  // a bound even when every answer is fresh
            cache[id] = (status, now)
        }
        return status
    }

    private func askPodStatus(_ id: String) async throws -> Runtime_V1_PodSandboxStatus? {
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = id
        request.verbose = true
        do {
            let response = try await runtime.podSandboxStatus(request, options: options)
            return response.hasStatus ? response.status : nil
        } catch let error as RPCError where error.code == .notFound {
            return nil
        }
    }
}
