import PeregrineEngine
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

    struct Problem: Error, CustomStringConvertible {
        let source: String
        let key: String
        let reason: String
        var description: String { "\(source): \(key): \(reason)" }
    }

    static let defaultPath = "/etc/peregrine/peregrine.yaml"
    static let keys = ["json_output", "rule_matching", "rules_files", "cri.sockets", "ring_buffer_bytes", "webserver.listen_port",
                       "container_metadata.enabled", "container_metadata.timeout_ms"]

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
        let value: Node = parts[1].contains(",") && (parts[0] == "rules_files" || parts[0] == "cri.sockets")
            ? .sequence(Node.Sequence(parts[1].split(separator: ",").map { Node(String($0)) }))
            : Node(parts[1])
        try set(parts[0], node: value, source: "-o")
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
        switch key {
        case "json_output":
            guard let b = node.bool ?? node.string.flatMap(Bool.init) else { throw fail("expected true or false, got \(node.string ?? "a non-scalar")") }
            jsonOutput = b
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
