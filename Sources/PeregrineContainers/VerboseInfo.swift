import Foundation

/// What Peregrine reads from the `info` map of a verbose ContainerStatus: the runtime's own
/// JSON under the key `info`. CRI-O puts `privileged` at the top; containerd keeps the
/// container's CRI config, where it is `config.linux.security_context.privileged` (left out
/// when false, so a config without it means not privileged).
public struct VerboseInfo: Sendable, Equatable {
    public var privileged: Bool?
    public var sandboxID: String?
    public var runtimeType: String?

    public init(privileged: Bool? = nil, sandboxID: String? = nil, runtimeType: String? = nil) {
        self.privileged = privileged
        self.sandboxID = sandboxID
        self.runtimeType = runtimeType
    }

    /// Parses the JSON text; anything malformed or absent leaves the field nil.
    public init(json text: String?) {
        self.init()
        guard let text, let data = text.data(using: .utf8),
              let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return }
        sandboxID = root["sandboxID"] as? String
        runtimeType = root["runtimeType"] as? String
        if let p = Self.bool(root["privileged"]) {
            privileged = p
        } else if let config = root["config"] as? [String: Any] {
            let linux = config["linux"] as? [String: Any]
            let security = linux?["security_context"] as? [String: Any]
            privileged = Self.bool(security?["privileged"]) ?? false
        }
    }

    private static func bool(_ v: Any?) -> Bool? { v as? Bool }
}
