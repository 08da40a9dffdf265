#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL

/// Falco's `http_output`: one alert per POST, the JSON object as the body
/// (Content-Type application/json), so Falcosidekick takes it unchanged. Connections are
/// pooled (keep-alive); TLS with CA files or a CA directory and, with `mtls`, a client
/// certificate. Each attempt waits on its worker thread, never on the matcher's.
public final class HTTPOutput: AlertOutput {
    public let name = "http"
    public let wantsJSON = true
    public let maxRetries: Int
    let url: String
    let headers: HTTPHeaders
    let timeout: TimeAmount
    private let client: HTTPClient
    private var closed = false

    public struct SetupError: Error, CustomStringConvertible {
        public let key: String
        public let reason: String
        public var description: String { "\(key): \(reason)" }
    }

    public init(settings: OutputSettings.HTTP) throws(SetupError) {
        maxRetries = settings.maxRetries
        url = settings.url
        timeout = .milliseconds(Int64(settings.timeoutMs))
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "User-Agent", value: settings.userAgent)
        if !settings.keepAlive { headers.add(name: "Connection", value: "close") }
        self.headers = headers
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: timeout)
        configuration.redirectConfiguration = .disallow
        if settings.url.hasPrefix("https://") {
            configuration.tlsConfiguration = try Self.tls(settings)
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static func tls(_ s: OutputSettings.HTTP) throws(SetupError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if s.insecure { tls.certificateVerification = .none }
        var roots: [NIOSSLCertificate] = []
        func load(_ path: String, key: String) throws(SetupError) -> [NIOSSLCertificate] {
            do {
                return try NIOSSLCertificate.fromPEMFile(path)
            } catch {
                throw SetupError(key: key, reason: "cannot read PEM certificates from \(path): \(error)")
            }
        }
        if !s.caCert.isEmpty { roots += try load(s.caCert, key: "http_output.ca_cert") }
        if !s.caBundle.isEmpty { roots += try load(s.caBundle, key: "http_output.ca_bundle") }
        if !s.caPath.isEmpty {
            guard let dir = opendir(s.caPath) else {
                throw SetupError(key: "http_output.ca_path", reason: "cannot open directory \(s.caPath) (errno \(errno))")
            }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                if name.hasSuffix(".pem") || name.hasSuffix(".crt") {
                    roots += try load(s.caPath + "/" + name, key: "http_output.ca_path")
                }
            }
        }
        if !roots.isEmpty { tls.trustRoots = .certificates(roots) }
        if s.mtls {
            let chain = try load(s.clientCert, key: "http_output.client_cert")
            tls.certificateChain = chain.map { .certificate($0) }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: s.clientKey, format: .pem))
            } catch {
                throw SetupError(key: "http_output.client_key", reason: "cannot read a PEM private key from \(s.clientKey): \(error)")
            }
        }
        return tls
    }

    public func deliver(_ line: String) -> Delivery {
        do {
            let request = try HTTPClient.Request(url: url, method: .POST, headers: headers, body: .string(line))
            let response = try client.execute(request: request, deadline: .now() + timeout).wait()
            let code = Int(response.status.code)
            switch code {
            case 200..<300: return .sent
            case 429, 500...: return .refused("HTTP \(code)")
            default: return .rejected("HTTP \(code)")
            }
        } catch {
            return .unreachable("\(error)")
        }
    }

    public func reopen() {}

    public func close() {
        guard !closed else { return }
        closed = true
        try? client.syncShutdown()
    }

    deinit { close() }
}
