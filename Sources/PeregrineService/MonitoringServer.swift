import Hummingbird
import Prometheus
import Synchronization

/// The agent's self-monitoring port (default 8765): `/healthz` (200 once the probe is
/// attached and rules are loaded, 503 before), `/metrics` (Prometheus text), `/versions`.
/// Runs on its own threads; the matcher only publishes numbers into it, once per poll.
public final class MonitoringServer: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let ready = Atomic<Bool>(false)
    private let versions: String
    public let port: Int

    public init(port: Int, versions: [(String, String)]) {
        self.port = port
        self.versions = "{" + versions.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}\n"
    }

    public func markReady() { ready.store(true, ordering: .releasing) }

    /// Starts serving in the background; the returned task ends with the process.
    @discardableResult
    public func start() -> Task<Void, any Error> {
        let router = Router()
        router.get("healthz") { [self] _, _ -> Response in
            let ok = ready.load(ordering: .acquiring)
            return Response(status: ok ? .ok : .serviceUnavailable,
                            body: .init(byteBuffer: ByteBuffer(string: ok ? "ok\n" : "starting\n")))
        }
        router.get("metrics") { [self] _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("versions") { [self] _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: versions)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("0.0.0.0", port: port)))
        let port = self.port
        return Task.detached {
            do {
                // No signals: by default the service group takes SIGTERM and SIGINT for itself
                // (it sets them to SIG_IGN), so the agent's own stop handler never ran and a
                // pod's SIGTERM only stopped this port. The agent stops the process itself.
                try await app.runService(gracefulShutdownSignals: [])
            } catch {
                // Detection goes on without the port; say so rather than fail silently.
                let line = "peregrine: monitoring port \(port) is not served: \(error)\n"
                FileHandleLite.writeToStandardError(line)
                throw error
            }
        }
    }
}

/// stderr without Foundation.
enum FileHandleLite {
    static func writeToStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
