/// Where the CRI runtime listens.
public enum RuntimeSockets {
    /// Falco's default list: containerd, CRI-O, k3s's containerd, and the host's containerd as
    /// Bottlerocket and similar systems mount it.
    public static let defaults = [
        "/run/containerd/containerd.sock",
        "/run/crio/crio.sock",
        "/run/k3s/containerd/containerd.sock",
        "/run/host-containerd/containerd.sock",
    ]

    /// The paths to try: each under `hostRoot` (the DaemonSet mounts the host's / there).
    public static func paths(_ configured: [String], hostRoot: String?) -> [String] {
        let root = (hostRoot ?? "").hasSuffix("/") ? String((hostRoot ?? "").dropLast()) : (hostRoot ?? "")
        return configured.map { root.isEmpty || !$0.hasPrefix("/") ? $0 : root + $0 }
    }

    /// Falco's `container.type` for a runtime reached on `path`.
    public static func containerType(socket path: String) -> String {
        if path.contains("crio") { return "cri-o" }
        if path.contains("containerd") { return "containerd" }
        return "cri"
    }
}
