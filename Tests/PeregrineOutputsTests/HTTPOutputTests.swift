#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import PeregrineOutputs
import PeregrineRules
import Synchronization
import Testing

/// A real local HTTP server (Hummingbird) that records each POST it is sent.
final class WebhookServer: Sendable {
    struct Post: Sendable {
        let body: String
        let contentType: String?
    }

    final class Log: Sendable {
        let posts = Mutex<[Post]>([])
    }

    let log = Log()
    let port: Int
    let delayMs: Int
    private let task: Task<Void, any Error>

    init(port: Int, delayMs: Int = 0) async throws {
        self.port = port
        self.delayMs = delayMs
        let router = Router()
        let log = self.log
        router.post("alerts") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            if delayMs > 0 { try await Task.sleep(for: .milliseconds(delayMs)) }
            log.posts.withLock { $0.append(Post(body: String(buffer: body), contentType: request.headers[.contentType])) }
            return .ok
        }
        let running = AsyncStream<Void>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { _ in running.continuation.yield() })
        task = Task { try await app.runService() }
        for await _ in running.stream { break }
    }

    var count: Int { log.posts.withLock { $0.count } }
    var bodies: [String] { log.posts.withLock { $0.map(\.body) } }

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    /// A port nothing listens on right now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

@Suite(.serialized) struct HTTPOutputTests {
    /// A request that times out after the server got it is retried (at-least-once delivery):
    /// where duplicates would fail the test the time limit is far beyond any loaded machine.
    static func hub(port: Int, capacity: Int, maxBackoffMs: Int = 200, timeoutMs: Int = 60_000) throws -> OutputHub {
        var s = OutputSettings()
        s.http.enabled = true
        s.http.url = "http://127.0.0.1:\(port)/alerts"
        s.queueCapacity = capacity
        s.maxBackoffMs = maxBackoffMs
        s.http.timeoutMs = timeoutMs
        return try OutputHub(settings: s, json: false, log: { _ in })
    }

    @Test func onePostPerAlertWithFalcosJSON() async throws {
        let server = try await WebhookServer(port: WebhookServer.freePort())
        let hub = try Self.hub(port: server.port, capacity: 100)
        for i in 0..<20 { hub.publish(sampleAlert(i)) }
        #expect(OutputTestClock.wait(seconds: 60) { server.count >= 20 })
        hub.shutdown(timeoutNs: 2_000_000_000)
        let posts = server.log.posts.withLock { $0 }
        #expect(posts.map(\.body) == (0..<20).map { sampleAlert($0).jsonLine })
        #expect(posts.allSatisfy { $0.contentType == "application/json" })
        #expect(hub.counters.first?.sent == 20)
        #expect(hub.counters.first?.dropped == 0)
        await server.stop()
    }

    @Test func serverDownDropsBeyondTheBoundAndDeliversTheRestWhenBack() async throws {
        let port = WebhookServer.freePort()
        let hub = try Self.hub(port: port, capacity: 50, timeoutMs: 5_000)
        // The matcher's side never waits, server or not.
        let start = OutputTestClock.now()
        for i in 0..<500 { hub.publish(sampleAlert(i)) }
        let spent = OutputTestClock.now() - start
        #expect(spent < 200_000_000)
        // AsyncHTTPClient keeps retrying the connection until the request's time limit.
        #expect(OutputTestClock.wait(seconds: 30) { (hub.counters.first?.failures ?? 0) >= 1 })
        let down = try #require(hub.counters.first)
        #expect(down.dropped == 450)
        #expect(down.queued == 50)
        #expect(down.sent == 0)
        let server = try await WebhookServer(port: port)
        #expect(OutputTestClock.wait(seconds: 60) { server.count >= 50 })
        hub.shutdown(timeoutNs: 2_000_000_000)
        // The first 50, in order; a request that timed out after the server got it may have
        // been sent again (at-least-once), nothing else.
        var firsts: [String] = []
        for b in server.bodies where !firsts.contains(b) { firsts.append(b) }
        #expect(firsts == (0..<50).map { sampleAlert($0).jsonLine })
        #expect(hub.counters.first?.sent == 50)
        await server.stop()
    }

    @Test func slowServerDoesNotSlowThePublisher() async throws {
        let server = try await WebhookServer(port: WebhookServer.freePort(), delayMs: 200)
        let hub = try Self.hub(port: server.port, capacity: 10)
        let start = OutputTestClock.now()
        for i in 0..<1000 { hub.publish(sampleAlert(i)) }
        #expect(OutputTestClock.now() - start < 200_000_000)
        #expect(OutputTestClock.wait(seconds: 10) { server.count >= 3 })
        let c = try #require(hub.counters.first)
        #expect(c.dropped >= 989)
        #expect(c.failures == 0)
        hub.shutdown(timeoutNs: 100_000_000)
        await server.stop()
    }

    @Test func badCertificateFilesAreReportedByKey() {
        var s = OutputSettings()
        s.http.enabled = true
        s.http.url = "https://127.0.0.1:1/alerts"
        s.http.caCert = "/nonexistent/ca.pem"
        #expect(throws: HTTPOutput.SetupError.self) { try OutputHub(settings: s, json: true, log: { _ in }) }
        do {
            _ = try OutputHub(settings: s, json: true, log: { _ in })
        } catch {
            #expect(error.key == "http_output.ca_cert")
        }
    }

    @Test func settingsProblemsNameTheKey() {
        var s = OutputSettings()
        s.http.enabled = true
        #expect(s.problems().map(\.key) == ["http_output.url"])
        s.http.url = "ftp://x"
        #expect(s.problems().map(\.key) == ["http_output.url"])
        s.http.url = "https://x"
        s.http.mtls = true
        #expect(s.problems().map(\.key) == ["http_output.mtls"])
        s.file.enabled = true
        #expect(s.problems().map(\.key) == ["file_output.filename", "http_output.mtls"])
    }
}
