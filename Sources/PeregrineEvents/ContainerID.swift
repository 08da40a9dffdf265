/// Reads a container id out of a cgroup path. Runtimes put the 64-hex-digit id in the last
/// component, with a runtime prefix and maybe a `.scope` suffix:
///   /kubepods/besteffort/pod<uid>/<id>                                  containerd, cgroupfs
///   /kubepods.slice/.../cri-containerd-<id>.scope                       containerd, systemd
///   /system.slice/crio-<id>.scope, /crio-<id>                           CRI-O
///   /system.slice/docker-<id>.scope, /docker/<id>                       docker
///   /machine.slice/libpod-<id>.scope                                    podman
///   /default/<id>, /k8s.io/<id>                                         nerdctl, ctr namespaces
///   ...:cri-containerd:<id>                                             containerd, systemd driver (raw)
public enum ContainerID {
    public static let host = "host"

    /// The full id, or nil for a host process. Components are scanned from the root down and the
    /// first id wins: a process inside a container can create and enter child cgroups below its
    /// own (named like another container's id, say), never above it, so the outermost id is the
    /// one the runtime assigned and the only one a container cannot forge.
    public static func fullID(fromCgroup path: String) -> String? {
        let bytes = Array(path.utf8)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "/") { end += 1 }
            if end > start, let id = hexRun(bytes[start..<end]) { return id }
            start = end + 1
        }
        return nil
    }

    /// Falco's `container.id`: the first 12 characters, or `host`.
    public static func shortID(fromCgroup path: String) -> String {
        guard let full = fullID(fromCgroup: path) else { return host }
        return String(full.prefix(12))
    }

    /// The last run of exactly 64 hex digits in a component, delimited by `-`, `:` or the ends.
    private static func hexRun(_ component: ArraySlice<UInt8>) -> String? {
        var runEnd = component.endIndex
        var i = component.endIndex
        func isHex(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
        }
        while i > component.startIndex {
            let c = component[i - 1]
            if isHex(c) {
                i -= 1
                continue
            }
            if runEnd - i == 64 && (c == UInt8(ascii: "-") || c == UInt8(ascii: ":")) {
                return String(decoding: component[i..<runEnd], as: UTF8.self)
            }
            i -= 1
            runEnd = i
        }
        if runEnd - i == 64 { return String(decoding: component[i..<runEnd], as: UTF8.self) }
        return nil
    }
}
