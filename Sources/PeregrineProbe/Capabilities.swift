#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The effective capabilities of this process, from /proc/self/status (no libcap needed).
enum Capabilities {
    static let sysAdmin = 21
    static let perfmon = 38
    static let bpf = 39

    static func effective() -> UInt64? {
        guard let text = FileReader.readText("/proc/self/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst("CapEff:".count).trimmingCharacters()
            return UInt64(hex, radix: 16)
        }
        return nil
    }

    /// Names of what is missing to load and attach the probe; empty when it can run.
    /// CAP_SYS_ADMIN covers both on its own; otherwise CAP_BPF and CAP_PERFMON are needed.
    static func missingForProbe() -> [String] {
        guard let caps = effective() else { return [] } // cannot tell: let the kernel decide
        func has(_ bit: Int) -> Bool { caps & (1 << UInt64(bit)) != 0 }
        if has(sysAdmin) { return [] }
        var missing: [String] = []
        if !has(bpf) { missing.append("CAP_BPF") }
        if !has(perfmon) { missing.append("CAP_PERFMON") }
        return missing
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
