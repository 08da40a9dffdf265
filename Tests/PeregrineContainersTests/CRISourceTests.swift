#if canImport(Glibc)
import Glibc
#endif
import GRPCCore
import GRPCNIOTransportHTTP2
import PeregrineEvents
import Synchronization
import Testing

@testable import PeregrineContainers

/// A container runtime in the test process: the generated server over a real unix socket.
final class FakeRuntime: Runtime_V1_RuntimeService.SimpleServiceProtocol {
    static let container = String(repeating: "c", count: 64)
    static let sandbox = String(repeating: "5", count: 64)
    /// A container the runtime records only from `lateKnownFrom` on (a lookup racing its creation).
    static let late = String(repeating: "1", count: 64)
    let events = Mutex<[Runtime_V1_ContainerEventResponse]>([])
    let lateKnownFrom = Mutex(ContinuousClock.now)
    /// How long each ContainerStatus takes, and the most calls seen in progress at once.
    let statusDelay = Mutex<Duration>(.zero)
    let statusCalls = Mutex((now: 0, most: 0))
    /// ContainerStatus calls to fail with `unavailable` (a reset stream), and ListContainers calls seen.
    let resetStreams = Mutex(0)
    let listCalls = Mutex(0)

    func unimplemented() -> RPCError { RPCError(code: .unimplemented, message: "not in the fake") }
    func runPodSandbox(request: Runtime_V1_RunPodSandboxRequest, context: ServerContext) async throws -> Runtime_V1_RunPodSandboxResponse { throw unimplemented() }
    func stopPodSandbox(request: Runtime_V1_StopPodSandboxRequest, context: ServerContext) async throws -> Runtime_V1_StopPodSandboxResponse { throw unimplemented() }
    func removePodSandbox(request: Runtime_V1_RemovePodSandboxRequest, context: ServerContext) async throws -> Runtime_V1_RemovePodSandboxResponse { throw unimplemented() }
    func createContainer(request: Runtime_V1_CreateContainerRequest, context: ServerContext) async throws -> Runtime_V1_CreateContainerResponse { throw unimplemented() }
    func startContainer(request: Runtime_V1_StartContainerRequest, context: ServerContext) async throws -> Runtime_V1_StartContainerResponse { throw unimplemented() }
    func stopContainer(request: Runtime_V1_StopContainerRequest, context: ServerContext) async throws -> Runtime_V1_StopContainerResponse { throw unimplemented() }
    func removeContainer(request: Runtime_V1_RemoveContainerRequest, context: ServerContext) async throws -> Runtime_V1_RemoveContainerResponse { throw unimplemented() }

    func podSandboxStatus(request: Runtime_V1_PodSandboxStatusRequest, context: ServerContext) async throws -> Runtime_V1_PodSandboxStatusResponse {
        guard request.podSandboxID == Self.sandbox else { throw RPCError(code: .notFound, message: "no sandbox") }
        var r = Runtime_V1_PodSandboxStatusResponse()
        r.status = Self.podStatus()
        return r
    }

    static func podStatus() -> Runtime_V1_PodSandboxStatus {
        var s = Runtime_V1_PodSandboxStatus()
        s.id = sandbox
        s.metadata.name = "train-0"
        s.metadata.namespace = "ml"
        s.metadata.uid = "1f1e"
        s.labels = ["app": "train", "io.kubernetes.pod.name": "train-0"]
        return s
    }

    static func containerStatus() -> Runtime_V1_ContainerStatus {
        var s = Runtime_V1_ContainerStatus()
        s.id = container
        s.metadata.name = "trainer"
        s.state = .containerRunning
        s.image.image = "nvcr.io/nvidia/pytorch:24.01-py3"
        s.imageRef = "nvcr.io/nvidia/pytorch@sha256:" + String(repeating: "0", count: 64)
        s.labels = ["io.kubernetes.sandbox.id": sandbox]
        return s
    }

    func listContainers(request: Runtime_V1_ListContainersRequest, context: ServerContext) async throws -> Runtime_V1_ListContainersResponse {
        listCalls.withLock { $0 += 1 }
        var c = Runtime_V1_Container()
        c.id = Self.container
        c.state = .containerRunning
        var r = Runtime_V1_ListContainersResponse()
        r.containers = [c]
        return r
    }

    func containerStatus(request: Runtime_V1_ContainerStatusRequest, context: ServerContext) async throws -> Runtime_V1_ContainerStatusResponse {
        statusCalls.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
        defer { statusCalls.withLock { $0.now -= 1 } }
        try await Task.sleep(for: statusDelay.withLock { $0 })
        if resetStreams.withLock({ n in defer { n = max(0, n - 1) }; return n > 0 }) {
            throw RPCError(code: .unavailable, message: "Stream unexpectedly closed.")
        }
        let known = request.containerID == Self.container
            || (request.containerID == Self.late && ContinuousClock.now >= lateKnownFrom.withLock { $0 })
        guard known else { throw RPCError(code: .notFound, message: "no container") }
        var r = Runtime_V1_ContainerStatusResponse()
        r.status = Self.containerStatus()
        r.status.id = request.containerID
        if request.verbose {
            r.info = ["info": #"{"sandboxID":"\#(Self.sandbox)","config":{"linux":{"security_context":{"privileged":true}}}}"#]
        }
        return r
    }

    func getContainerEvents(request: Runtime_V1_GetEventsRequest, response: RPCWriter<Runtime_V1_ContainerEventResponse>,
                            context: ServerContext) async throws {
        for e in events.withLock({ $0 }) { try await response.write(e) }
        try await Task.sleep(for: .seconds(30))
    }
}

@Suite(.serialized) struct CRISourceTests {
    /// The agent's 2 s call timeout is too short for a first connection while the whole test
    /// suite (kernel tests included) loads a 2-core machine.
    static let callTimeout: Duration = .seconds(60)
    static let slowMachineSource: ContainerLookupService.SourceFactory = { try CRISource(socketPath: $0, callTimeout: callTimeout) }

    static func socketPath() -> String { "/tmp/peregrine-cri-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock" }

    static func withRuntime(_ fake: FakeRuntime = FakeRuntime(), _ body: (String) async throws -> Void) async throws {
        let path = socketPath()
        let transport = HTTP2ServerTransport.Posix(address: .unixDomainSocket(path: path), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: [fake])
        let serving = Task { try await server.serve() }
        defer {
            server.beginGracefulShutdown()
            serving.cancel()
            unlink(path)
        }
        _ = try await transport.listeningAddress
        try await body(path)
    }

    /// A lookup service connected to `fake` (on the slow-machine call timeout), stopped after `body`.
    static func withConnectedService(_ fake: FakeRuntime, _ body: (ContainerLookupService) async throws -> Void) async throws {
        try await withRuntime(fake) { path in
            let service = ContainerLookupService(sockets: [path], makeSource: slowMachineSource)
            service.start()
            defer { service.stop() }
            _ = await waitFor(service.inbox) { _ in service.inbox.isConnected }
            try await body(service)
        }
    }

    @Test func metadataFromARealServer() async throws {
        try await Self.withRuntime { path in
            let source = try CRISource(socketPath: path, callTimeout: Self.callTimeout)
            defer { source.close() }
            #expect(try await source.listContainerIDs() == [FakeRuntime.container])
            let m = try #require(try await source.metadata(forContainer: FakeRuntime.container))
            #expect(m.name == "trainer")
            #expect(m.imageRepository == "nvcr.io/nvidia/pytorch")
            #expect(m.imageTag == "24.01-py3")
            #expect(m.imageDigest == "sha256:" + String(repeating: "0", count: 64))
            #expect(m.privileged == true)
            #expect(m.podName == "train-0")
            #expect(m.podNamespace == "ml")
            #expect(m.podUID == "1f1e")
            #expect(m.sandboxID == FakeRuntime.sandbox)
            #expect(m.podLabels == ["app": "train"])
            #expect(m.type == "cri")
            // The sandbox's own (pause) container: the pod, no image.
            let pod = try #require(try await source.metadata(forContainer: FakeRuntime.sandbox))
            #expect(pod.podName == "train-0")
            #expect(pod.image.isEmpty)
            #expect(try await source.metadata(forContainer: String(repeating: "9", count: 64)) == nil)
        }
    }

    static func waitFor(_ inbox: ContainerInbox, seconds: Double = 60, until done: ([ContainerInbox.Update]) -> Bool) async -> [ContainerInbox.Update] {
        var all: [ContainerInbox.Update] = []
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < end {
            all += inbox.take()
            if done(all) { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return all
    }

    @Test func serviceListsAtConnectAndFollowsEvents() async throws {
        let fake = FakeRuntime()
        var started = Runtime_V1_ContainerEventResponse()
        started.containerID = String(repeating: "e", count: 64)
        started.containerEventType = .containerStartedEvent
        var status = FakeRuntime.containerStatus()
        status.id = started.containerID
        started.containersStatuses = [status]
        started.podSandboxStatus = FakeRuntime.podStatus()
        var removed = Runtime_V1_ContainerEventResponse()
        removed.containerID = FakeRuntime.container
        removed.containerEventType = .containerDeletedEvent
        fake.events.withLock { $0 = [started, removed] }
        try await Self.withRuntime(fake) { path in
            let service = ContainerLookupService(sockets: ["/nonexistent/first.sock", path], makeSource: Self.slowMachineSource)
            service.start()
            defer { service.stop() }
            let updates = await Self.waitFor(service.inbox) { all in
                all.contains { if case .removed = $0 { true } else { false } }
            }
            let ids = updates.compactMap { if case .metadata(let m) = $0 { m.fullID } else { nil } }
            #expect(ids.contains(FakeRuntime.container))
            #expect(ids.contains(started.containerID))
            #expect(updates.contains { if case .removed(let id) = $0 { id == FakeRuntime.container } else { false } })
            #expect(service.inbox.isConnected)
        }
    }

    /// A burst of new containers: lookups overlap instead of queueing one behind another, and
    /// a container asked about before the runtime has recorded it is asked again.
    @Test func lookupsOverlapAndLateContainersAreRetried() async throws {
        let fake = FakeRuntime()
        fake.statusDelay.withLock { $0 = .milliseconds(100) }
        try await Self.withConnectedService(fake) { service in
            fake.lateKnownFrom.withLock { $0 = ContinuousClock.now + .milliseconds(120) }
            service.request(FakeRuntime.late)
            for _ in 0..<ContainerLookupService.maxConcurrentLookups { service.request(FakeRuntime.container) }
            let updates = await Self.waitFor(service.inbox) { all in
                all.contains { if case .metadata(let m) = $0 { m.fullID == FakeRuntime.late } else { false } }
                    && all.filter { if case .metadata(let m) = $0 { m.fullID == FakeRuntime.container } else { false } }.count
                        == ContainerLookupService.maxConcurrentLookups
            }
            #expect(!updates.contains { if case .failed = $0 { true } else { false } })
            #expect(updates.contains { if case .metadata(let m) = $0 { m.fullID == FakeRuntime.late } else { false } })
            let most = fake.statusCalls.withLock { $0.most }
            #expect(most > 1, "lookups ran one at a time")
            #expect(most <= ContainerLookupService.maxConcurrentLookups)
        }
    }

    /// A runtime busy starting a hundred pods can take a second or more to record a container
    /// whose first process already runs: it is still found, with no failure reported first
    /// (the quick retries span 2 s), and other containers are answered meanwhile.
    @Test func aContainerRecordedLateIsFoundWithoutAFailure() async throws {
        let fake = FakeRuntime()
        try await Self.withConnectedService(fake) { service in
            let knownAt = ContinuousClock.now + .milliseconds(1000)
            fake.lateKnownFrom.withLock { $0 = knownAt }
            service.request(FakeRuntime.late)
            try await Task.sleep(for: .milliseconds(300))
            for _ in 0..<ContainerLookupService.maxConcurrentLookups { service.request(FakeRuntime.container) }
            let early = await Self.waitFor(service.inbox) { all in
                all.filter { if case .metadata(let m) = $0 { m.fullID == FakeRuntime.container } else { false } }.count
                    == ContainerLookupService.maxConcurrentLookups
            }
            #expect(ContinuousClock.now < knownAt, "new containers waited for the late one's retries")
            let updates = early + (await Self.waitFor(service.inbox) { all in
                all.contains { if case .metadata(let m) = $0 { m.fullID == FakeRuntime.late } else { false } }
            })
            #expect(!updates.contains { if case .failed = $0 { true } else { false } })
            #expect(updates.contains { if case .metadata(let m) = $0 { m.fullID == FakeRuntime.late } else { false } })
        }
    }

    /// One reset stream is asked again on the same connection, not taken for a runtime restart.
    @Test func aResetStreamIsRetriedWithoutReconnecting() async throws {
        let fake = FakeRuntime()
        try await Self.withConnectedService(fake) { service in
            fake.resetStreams.withLock { $0 = 1 }
            service.request(FakeRuntime.container)
            let updates = await Self.waitFor(service.inbox) { all in
                all.contains { if case .metadata = $0 { true } else if case .failed = $0 { true } else { false } }
            }
            #expect(updates.contains { if case .metadata(let m) = $0 { m.fullID == FakeRuntime.container } else { false } })
            #expect(!updates.contains { if case .failed = $0 { true } else { false } })
            #expect(fake.listCalls.withLock { $0 } == 1, "the connection was dropped and made again")
            #expect(service.inbox.failureCount == 1)
        }
    }

    @Test func missingSocketFailsFastAndCounts() async throws {
        let service = ContainerLookupService(sockets: [Self.socketPath()], initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(100))
        service.start()
        defer { service.stop() }
        service.request(FakeRuntime.container)
        let updates = await Self.waitFor(service.inbox, seconds: 5) { !$0.isEmpty }
        #expect(updates.contains { if case .failed(let id) = $0 { id == FakeRuntime.container } else { false } })
        try await Task.sleep(for: .milliseconds(300))
        #expect(service.inbox.failureCount >= 2)  // retried with backoff
        #expect(!service.inbox.isConnected)
    }

    @Test func runtimeAppearingLaterIsPickedUp() async throws {
        let path = Self.socketPath()
        let service = ContainerLookupService(sockets: [path], initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(100),
                                             makeSource: Self.slowMachineSource)
        service.start()
        defer { service.stop() }
        try await Task.sleep(for: .milliseconds(200))
        let transport = HTTP2ServerTransport.Posix(address: .unixDomainSocket(path: path), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: [FakeRuntime()])
        let serving = Task { try await server.serve() }
        defer {
            server.beginGracefulShutdown()
            serving.cancel()
            unlink(path)
        }
        let updates = await Self.waitFor(service.inbox) { all in
            all.contains { if case .metadata = $0 { true } else { false } }
        }
        #expect(updates.contains { if case .metadata(let m) = $0 { m.fullID == FakeRuntime.container } else { false } })
    }
}
