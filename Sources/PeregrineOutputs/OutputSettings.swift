/// The outputs' part of the agent's configuration, with Falco's key names
/// (`file_output.*`, `http_output.*`) plus `outputs_queue.capacity`.
public struct OutputSettings: Equatable, Sendable {
    public struct File: Equatable, Sendable {
        public var enabled = false
        public var filename = ""
        /// Keep the file open between alerts (Falco's default is to reopen per alert).
        public var keepAlive = false
        public init() {}
    }

    public struct HTTP: Equatable, Sendable {
        public var enabled = false
        public var url = ""
        public var userAgent = "peregrine/0.1.0"
        /// PEM file of the CAs that sign the server's certificate (replaces the system set).
        public var caCert = ""
        /// Another PEM bundle of CAs, as Falco's `ca_bundle`.
        public var caBundle = ""
        /// A directory of PEM CA certificates (every `*.pem` / `*.crt` in it).
        public var caPath = ""
        /// Skip verifying the server's certificate.
        public var insecure = false
        /// Present `clientCert` / `clientKey` to the server.
        public var mtls = false
        public var clientCert = ""
        public var clientKey = ""
        /// Reuse connections between alerts.
        public var keepAlive = true
        /// Attempts for an alert the server refuses (5xx, 429) before it is given up.
        public var maxRetries = 5
        /// Per-request time limit.
        public var timeoutMs = 10_000
        public init() {}
    }

    public var file = File()
    public var http = HTTP()
    /// Alerts each output may hold before new ones are dropped (and counted).
    public var queueCapacity = 10_000
    /// The longest pause between retries of an unreachable output.
    public var maxBackoffMs = 5_000

    public init() {}

    /// Cross-key checks, each naming the key at fault.
    public func problems() -> [(key: String, reason: String)] {
        var out: [(String, String)] = []
        if file.enabled && file.filename.isEmpty { out.append(("file_output.filename", "required when file_output.enabled is true")) }
        if http.enabled {
            if http.url.isEmpty {
                out.append(("http_output.url", "required when http_output.enabled is true"))
            } else if !(http.url.hasPrefix("http://") || http.url.hasPrefix("https://")) {
                out.append(("http_output.url", "expected an http:// or https:// URL, got \(http.url)"))
            }
            if http.mtls && (http.clientCert.isEmpty || http.clientKey.isEmpty) {
                out.append(("http_output.mtls", "needs http_output.client_cert and http_output.client_key"))
            }
        }
        return out
    }
}
