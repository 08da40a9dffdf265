#if canImport(Glibc)
import Glibc
#endif
import GRPCCore
import PeregrineEvents
import Synchronization

/// Runs CRI lookups on its own task, never on the consumer thread. Requests arrive through a
/// non-blocking stream; answers leave through the inbox. Connects to the first socket that
/// answers ListContainers, loads every container it lists, follows GetContainerEvents when the
/// runtime offers it, and reconnects with exponential backoff (0.25 s doubling to 30 s) when
/// the socket is missing, refuses, times out or restarts (a failed call or a broken event
/// stream drops the connection). While disconnected, requests fail at once (metadata unknown)
/// rather than piling up; the reconnect's listing fills them in later.
public final class ContainerLookupService: Sendable {
    public typealias SourceFactory = @Sendable (String) throws -> any ContainerMetadataSource

    public let inbox: ContainerInbox
    /// A container to look up; `attempt` counts the late retries (0: first sight), `soon` the
    /// quick ones of this attempt (the runtime did not know the container yet).
    struct Request: Sendable {
        var id: String
        var attempt = 0
        var soon = 0
    }
    private let requests: AsyncStream<Request>
    private let requestSink: AsyncStream<Request>.Continuation
    private let sockets: [String]
    private let makeSource: SourceFactory
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let current = Mutex<(any ContainerMetadataSource)?>(nil)
    private let initialBackoff: Duration
    private let maxBackoff: Duration

    public init(sockets: [String], inbox: ContainerInbox = ContainerInbox(),
                initialBackoff: Duration = .milliseconds(250), maxBackoff: Duration = .seconds(30),
                makeSource: @escaping SourceFactory = { try CRISource(socketPath: $0) }) {
        self.sockets = sockets
        self.inbox = inbox
        self.makeSource = makeSource
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        (requests, requestSink) = AsyncStream.makeStream(of: Request.self, bufferingPolicy: .unbounded)
    }

    /// Asks for one container's metadata (non-blocking; callable from any thread).
    public func request(_ id: String) {
        requestSink.yield(Request(id: id))
    }

    public func start() {
        task.withLock { $0 = Task { await self.run() } }
    }

    public func stop() {
        requestSink.finish()
        task.withLock { $0?.cancel() }
        current.withLock { $0?.close(); $0 = nil }
    }

    private func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.maintainConnection() }
            group.addTask { await self.answerRequests() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Keeps a connection: connects, and after a failure reconnects with exponential backoff.
    private func maintainConnection() async {
        var backoff = initialBackoff
        while !Task.isCancelled {
            if current.withLock({ $0 != nil }) {
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            inbox.connected.store(false, ordering: .relaxed)
            guard let source = await connect() else {
                inbox.failures.add(1, ordering: .relaxed)
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, maxBackoff)
                continue
            }
            backoff = initialBackoff
            current.withLock { $0 = source }
            inbox.connected.store(true, ordering: .relaxed)
            let inbox = self.inbox
            Task {
                do {
                    try await source.watchEvents { event in
                        switch event {
                        case .started(let m): inbox.post(.metadata(m))
                        case .removed(let id): inbox.post(.removed(id))
                        }
                    }
                } catch let error as RPCError where error.code == .unimplemented {
                    return  // the runtime does not offer events: lookups on first sight only
                } catch {}
                // The stream ended or broke: the runtime went away or restarted.
                self.drop(source)
            }
        }
    }

    /// Lookups run concurrently, at most `maxConcurrentLookups` at once: a node starting many
    /// pods at once (a deployment scaling up) asks about a few hundred containers and sandboxes
    /// within seconds, and one at a time (two calls each) they would queue past the alerts'
    /// deadline. Requests fail at once while no runtime is connected.
    private func answerRequests() async {
        await withTaskGroup(of: Void.self) { group in
            var requests = self.requests.makeAsyncIterator()
            // Counts finished-but-not-awaited tasks too, so at most that many results are kept.
            var inFlight = 0
            while true {
                if inFlight == Self.maxConcurrentLookups {
                    await group.next()
                    inFlight -= 1
                    continue
                }
                guard let request = await requests.next() else { break }
                group.addTask { await self.lookUp(request) }
                inFlight += 1
            }
        }
    }

    static let maxConcurrentLookups = 16

    /// A runtime can be asked about a container before it has recorded it: the container's
    /// first process (`runc init`) runs while the runtime is still inside the create call, and
    /// on a node starting a hundred pods that call can take seconds. Such a lookup is asked
    /// again after `notFoundRetryDelays` (2 s in all) before it counts as failed; meanwhile
    /// the container stays pending and each of its events that needs metadata waits its own
    /// timeout, so the container's own processes, which run once the create call has returned,
    /// find it known.
    static let notFoundRetryDelays: [Duration] = [50, 100, 150, 200, 500, 1000].map { .milliseconds($0) }

    /// After a failed lookup, when to ask again: the events that waited have gone out marked by
    /// then, but the container's later events get its metadata.
    static let lateRetryDelays: [Duration] = [.seconds(1), .seconds(3), .seconds(10)]

    /// One call (two with the pod's). Every retry waits outside the lookup slots, so containers
    /// the runtime does not know yet, or a failing runtime, cannot starve new containers' lookups.
    private func lookUp(_ request: Request) async {
        guard let source = current.withLock({ $0 }) else { return failed(request) }
        do {
            if let m = try await source.metadata(forContainer: request.id) {
                inbox.answered.add(1, ordering: .relaxed)
                inbox.post(.metadata(m))
                return
            }
        } catch let error as RPCError where error.code == .deadlineExceeded {
            // A runtime busy starting containers answers late: no reason to drop a working
            // connection.
            inbox.failures.add(1, ordering: .relaxed)
            return failed(request)
        } catch let error as RPCError where error.code == .unavailable && request.soon < Self.notFoundRetryDelays.count {
            // One call's stream can be reset while the connection stays good (seen from
            // containerd during a burst of pod starts): ask again before concluding that
            // the runtime went away.
            inbox.failures.add(1, ordering: .relaxed)
            return askAgainSoon(request)
        } catch {
            inbox.failures.add(1, ordering: .relaxed)
            drop(source)
            return failed(request)
        }
        askAgainSoon(request)  // not known to the runtime (yet)
    }

    private func askAgainSoon(_ request: Request) {
        guard request.soon < Self.notFoundRetryDelays.count else { return failed(request) }
        var next = request
        next.soon += 1
        later(Self.notFoundRetryDelays[request.soon], next)
    }

    /// Reports the first failure (the container's held events go out marked) and asks again later.
    private func failed(_ request: Request) {
        if request.attempt == 0 { inbox.post(.failed(request.id)) }
        guard request.attempt < Self.lateRetryDelays.count else { return }
        later(Self.lateRetryDelays[request.attempt], Request(id: request.id, attempt: request.attempt + 1))
    }

    private func later(_ delay: Duration, _ request: Request) {
        let sink = requestSink
        Task {
            try? await Task.sleep(for: delay)
            sink.yield(request)
        }
    }

    /// Forgets a broken connection (if it is still the current one): the next tick reconnects.
    private func drop(_ source: any ContainerMetadataSource) {
        let dropped = current.withLock { cur -> Bool in
            guard let c = cur, c === source else { return false }
            cur = nil
            return true
        }
        if dropped { source.close() }
    }

    /// The first socket whose runtime answers ListContainers, with every listed container's
    /// metadata posted.
    private func connect() async -> (any ContainerMetadataSource)? {
        for path in sockets {
            guard Self.exists(path), let source = try? makeSource(path) else { continue }
            do {
                let ids = try await source.listContainerIDs()
                for id in ids {
                    if let m = try? await source.metadata(forContainer: id) {
                        inbox.answered.add(1, ordering: .relaxed)
                        inbox.post(.metadata(m))
                    }
                }
                return source
            } catch {
                inbox.failures.add(1, ordering: .relaxed)
                source.close()
            }
        }
        return nil
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }
}
