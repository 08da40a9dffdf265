import PeregrineEvents
import PeregrineRules

/// What the engine knows beyond the event and the process table: the host, the clock, user
/// and group names, and fields supplied by other layers (container metadata).
public struct EngineContext: Sendable {
    public var hostname: String
    public var bootToEpochNs: Int64
    public var users: [UInt32: String]
    public var groups: [UInt32: String]
    /// Fields another layer answers (container and Kubernetes metadata); nil if none.
    public var extraField: (@Sendable (ResolvedField, EventFields) -> FieldValue?)?

    public init(hostname: String, bootToEpochNs: Int64, users: [UInt32: String] = [0: "root"],
                groups: [UInt32: String] = [0: "root"]) {
        self.hostname = hostname
        self.bootToEpochNs = bootToEpochNs
        self.users = users
        self.groups = groups
    }

    func userName(_ uid: UInt32) -> String? { users[uid] }
    func groupName(_ gid: UInt32) -> String? { groups[gid] }

    /// Parses /etc/passwd or /etc/group text: name:x:id:...
    public static func parseIDFile(_ text: String) -> [UInt32: String] {
        var out: [UInt32: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 3, let id = UInt32(parts[2]) else { continue }
            if out[id] == nil { out[id] = String(parts[0]) }
        }
        return out
    }
}
