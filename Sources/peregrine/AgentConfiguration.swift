import PeregrineEngine
import PeregrineOutputs
import Yams

/// `peregrine run`'s configuration: one YAML file (`-c`, default
/// /etc/peregrine/peregrine.yaml), every key overridable with `-o key=value`. Unknown keys and
/// bad values are reported with the key and the reason, and the agent does not start.
struct AgentConfiguration: Equatable {
    var jsonOutput = false
    var ruleMatching = Engine.Matching.all
    /// Rule files or folders; `-r` on the command line replaces them.
    var rulesFiles: [String] = []
    /// CRI sockets for container metadata; empty means Falco's defaults (under HOST_ROOT).
    var criSockets: [String] = []
    /// Container metadata from the CRI runtime (`container_metadata.enabled`).
    var containerMetadata = true
    /// How long alerts that need a container's metadata wait for it (`container_metadata.timeout_ms`).
    var containerMetadataTimeoutMs = 500
    var ringBufferBytes: UInt32 = 16 << 20
    /// The self-monitoring port (/healthz, /metrics, /versions); 0 turns it off.
    var listenPort = 8765
    /// Alerts on stdout (`stdout_output.enabled`).
    var stdoutOutput = true
    /// File and webhook outputs and their queue bound (Falco's keys).
    var outputs = OutputSettings()
    /// What to do when events are lost (Falco's `syscall_event_drops`).
    var eventDrops = EventDropSettings()

    struct Problem: Error, CustomStringConvertible {
        let source: String
        let key: String
        let reason: String
        var description: String { (source.isEmpty ? "" : "\(source): ") + "\(key): \(reason)" }
    }

    static let defaultPath = "/etc/peregrine/peregrine.yaml"
    static let keys = [
        "json_output", "rule_matching", "rules_files", "cri.sockets", "ring_buffer_bytes", "webserver.listen_port",
        "container_metadata.enabled", "container_metadata.timeout_ms",
        "stdout_output.enabled",
        "file_output.enabled", "file_output.filename", "file_output.keep_alive",
        "http_output.enabled", "http_output.url", "http_output.user_agent", "http_output.ca_cert",
        "http_output.ca_bundle", "http_output.ca_path", "http_output.insecure", "http_output.mtls",
        "http_output.client_cert", "http_output.client_key", "http_output.keep_alive",
        "http_output.max_retries", "http_output.timeout_ms",
        "outputs_queue.capacity", "outputs_queue.max_backoff_ms",
        "syscall_event_drops.actions", "syscall_event_drops.rate", "syscall_event_drops.max_burst",
        "syscall_event_drops.threshold",
    ]
    /// Keys whose -o value may list several items, comma-separated.
    static let listKeys: Set<String> = ["rules_files", "cri.sockets", "syscall_event_drops.actions"]

    /// Applies a YAML document (a mapping; nested mappings spell dotted keys).
    mutating func apply(yaml text: String, source: String) throws {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw Problem(source: source, key: "(file)", reason: "not valid YAML: \(error)")
        }
        guard let node else { return }
        guard case .mapping(let mapping) = node else {
            throw Problem(source: source, key: "(file)", reason: "expected a mapping of keys to values")
        }
        var problems: [Problem] = []
        func walk(_ m: Node.Mapping, prefix: String) {
            for (k, v) in m {
                let key = prefix + (k.string ?? "?")
                if case .mapping(let inner) = v, !Self.keys.contains(key) {
                    walk(inner, prefix: key + ".")
                    continue
                }
                do {
                    try set(key, node: v, source: source)
                } catch let p as Problem {
                    problems.append(p)
                } catch {
                    problems.append(Problem(source: source, key: key, reason: "\(error)"))
                }
            }
        }
        walk(mapping, prefix: "")
        if let first = problems.first {
            throw problems.count == 1 ? first : Problem(source: source, key: first.key,
                                                         reason: first.reason + " (and \(problems.count - 1) more: " + problems.dropFirst().map(\.key).joined(separator: ", ") + ")")
        }
    }

    /// `-o key=value`
    mutating func apply(override item: String) throws {
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw Problem(source: "-o", key: item, reason: "expected key=value") }
        let value: Node = parts[1].contains(",") && Self.listKeys.contains(parts[0])
            ? .sequence(Node.Sequence(parts[1].split(separator: ",").map { Node(String($0)) }))
            : Node(parts[1])
        try set(parts[0], node: value, source: "-o")
    }

    /// Whether `key` (one that cannot change while running) differs between two configurations.
    func differs(from other: AgentConfiguration, in key: String) -> Bool {
        switch key {
        case "ring_buffer_bytes": ringBufferBytes != other.ringBufferBytes
        case "webserver.listen_port": listenPort != other.listenPort
        case "cri.sockets": criSockets != other.criSockets
        case "container_metadata.enabled": containerMetadata != other.containerMetadata
        case "container_metadata.timeout_ms": containerMetadataTimeoutMs != other.containerMetadataTimeoutMs
        default: false
        }
    }

    /// Checks between keys (a URL for an enabled webhook, ...), once everything is applied.
    func validate() throws {
        if let first = crossKeyProblems(source: "").first { throw first }
    }

    private func crossKeyProblems(source: String) -> [Problem] {
        outputs.problems().map { Problem(source: source, key: $0.key, reason: $0.reason) }
    }

    private mutating func set(_ key: String, node: Node, source: String) throws {
        func fail(_ reason: String) -> Problem { Problem(source: source, key: key, reason: reason) }
        func strings() throws -> [String] {
            if let s = node.string { return [s] }
            guard case .sequence(let seq) = node else { throw fail("expected a string or a list of strings") }
            return try seq.map { item in
                guard let s = item.string else { throw fail("expected a list of strings") }
                return s
            }
        }
        func bool() throws -> Bool {
            guard let b = node.bool ?? node.string.flatMap(Bool.init) else { throw fail("expected true or false, got \(node.string ?? "a non-scalar")") }
            return b
        }
        func int(_ range: ClosedRange<Int>) throws -> Int {
            guard let n = node.int ?? node.string.flatMap({ Int($0) }), range.contains(n) else {
                throw fail("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(node.string ?? "a non-scalar")")
            }
            return n
        }
        func double(_ range: ClosedRange<Double>) throws -> Double {
            guard let x = node.float ?? node.string.flatMap({ Double($0) }), range.contains(x) else {
                throw fail("expected a number from \(range.lowerBound) to \(range.upperBound), got \(node.string ?? "a non-scalar")")
            }
            return x
        }
        func string() throws -> String {
            guard let s = node.string else { throw fail("expected a string") }
            return s
        }
        switch key {
        case "json_output":
            jsonOutput = try bool()
        case "stdout_output.enabled": stdoutOutput = try bool()
        case "file_output.enabled": outputs.file.enabled = try bool()
        case "file_output.filename": outputs.file.filename = try string()
        case "file_output.keep_alive": outputs.file.keepAlive = try bool()
        case "http_output.enabled": outputs.http.enabled = try bool()
        case "http_output.url": outputs.http.url = try string()
        case "http_output.user_agent": outputs.http.userAgent = try string()
        case "http_output.ca_cert": outputs.http.caCert = try string()
        case "http_output.ca_bundle": outputs.http.caBundle = try string()
        case "http_output.ca_path": outputs.http.caPath = try string()
        case "http_output.insecure": outputs.http.insecure = try bool()
        case "http_output.mtls": outputs.http.mtls = try bool()
        case "http_output.client_cert": outputs.http.clientCert = try string()
        case "http_output.client_key": outputs.http.clientKey = try string()
        case "http_output.keep_alive": outputs.http.keepAlive = try bool()
        case "http_output.max_retries": outputs.http.maxRetries = try int(0...1000)
        case "http_output.timeout_ms": outputs.http.timeoutMs = try int(10...600_000)
        case "outputs_queue.capacity": outputs.queueCapacity = try int(1...10_000_000)
        case "outputs_queue.max_backoff_ms": outputs.maxBackoffMs = try int(100...600_000)
        case "syscall_event_drops.actions":
            var actions: Set<EventDropSettings.Action> = []
            for item in try strings() {
                guard let a = EventDropSettings.Action(rawValue: item) else { throw fail("expected ignore, log or alert, got \(item)") }
                if a != .ignore { actions.insert(a) }
            }
            eventDrops.actions = actions
        case "syscall_event_drops.rate": eventDrops.rate = try double(0.000001...1_000_000)
        case "syscall_event_drops.max_burst": eventDrops.maxBurst = try int(1...1_000_000)
        case "syscall_event_drops.threshold": eventDrops.threshold = try double(0...1)
        case "rule_matching":
            guard let s = node.string, let m = Engine.Matching(rawValue: s) else { throw fail("expected all or first, got \(node.string ?? "a non-scalar")") }
            ruleMatching = m
        case "rules_files":
            rulesFiles = try strings()
        case "cri.sockets":
            criSockets = try strings()
        case "container_metadata.enabled":
            guard let b = node.bool ?? node.string.flatMap(Bool.init) else { throw fail("expected true or false, got \(node.string ?? "a non-scalar")") }
            containerMetadata = b
        case "container_metadata.timeout_ms":
            guard let n = node.int ?? node.string.flatMap({ Int($0) }), (0...60_000).contains(n) else {
                throw fail("expected milliseconds between 0 and 60000")
            }
            containerMetadataTimeoutMs = n
        case "ring_buffer_bytes":
            guard let n = node.int ?? node.string.flatMap({ Int($0) }), n >= 4096, n <= 1 << 30, n & (n - 1) == 0 else {
                throw fail("expected a power of two between 4096 and 1073741824")
            }
            ringBufferBytes = UInt32(n)
        case "webserver.listen_port":
            guard let n = node.int ?? node.string.flatMap({ Int($0) }), (0...65535).contains(n) else {
                throw fail("expected a port number (0 turns the server off)")
            }
            listenPort = n
        default:
            let hint = Self.keys.min { EditDistanceLite.distance($0, key) < EditDistanceLite.distance($1, key) }
            throw fail("unknown key" + (hint.map { "; did you mean \($0)?" } ?? ""))
        }
    }
}

/// Levenshtein distance for "did you mean" hints on configuration keys.
enum EditDistanceLite {
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        var previous = Array(0...y.count)
        for i in 1...max(x.count, 1) where !x.isEmpty {
            var current = [i] + Array(repeating: 0, count: y.count)
            for j in 1...max(y.count, 1) where !y.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }
}
