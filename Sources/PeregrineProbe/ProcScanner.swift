#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PeregrineEvents

/// Seeds the process table from /proc, so processes that started before the agent have
/// names, command lines and parents. Honours HOST_ROOT: in a DaemonSet the host's /proc is
/// mounted at /host/proc and HOST_ROOT=/host.
///
/// Attach the probe first, then scan, then consume: a process born in between is then seen
/// by the scan or by its fork record, and replaying its exec record only repeats what the
/// scan found.
public enum ProcScanner {
    public static func procRoot(environment hostRoot: String? = hostRootFromEnvironment()) -> String {
        (hostRoot ?? "") + "/proc"
    }

    public static func hostRootFromEnvironment() -> String? {
        guard let value = getenv("HOST_ROOT") else { return nil }
        let root = String(cString: value)
        return root.isEmpty ? nil : root
    }

    /// Every numeric entry of `proc` that could be read (processes may exit mid-scan).
    public static func scan(proc: String = procRoot()) -> [ProcessInfo] {
        guard let dir = opendir(proc) else { return [] }
        defer { closedir(dir) }
        var out: [ProcessInfo] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard let pid = UInt32(name), let info = read(pid: pid, proc: proc) else { continue }
            out.append(info)
        }
        return out
    }

    public static func read(pid: UInt32, proc: String = procRoot()) -> ProcessInfo? {
        let base = "\(proc)/\(pid)"
        guard let stat = FileReader.readText("\(base)/stat"),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
        let comm = String(stat[stat.index(after: open)..<close])
        // Fields after "(comm) ": state ppid pgrp session tty_nr ... starttime is field 22.
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        guard rest.count > 19, let ppid = UInt32(rest[1]) else { return nil }
        let sid = UInt32(rest[3]) ?? 0
        let tty = UInt32(rest[4]) ?? 0
        let startTicks = UInt64(rest[19]) ?? 0
        let ticksPerSecond = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))

        var info = ProcessInfo(pid: pid, ppid: ppid, name: comm)
        info.sid = sid
        info.tty = Self.kernelTTYToWire(tty)
        info.startBootNs = startTicks * (1_000_000_000 / ticksPerSecond)
        if let cmdline = FileReader.readBytes("\(base)/cmdline", limit: 4096) {
            info.args = cmdline.withUnsafeBytes { ProcessTable.argv($0) }
        }
        info.exePath = FileReader.readLink("\(base)/exe") ?? ""
        info.cwd = FileReader.readLink("\(base)/cwd") ?? ""
        if let status = FileReader.readText("\(base)/status") {
            for line in status.split(separator: "\n") {
                let parts = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
                guard parts.count >= 2 else { continue }
                switch parts[0] {
                case "Uid:": info.uid = UInt32(parts[1]) ?? 0
                case "Gid:": info.gid = UInt32(parts[1]) ?? 0
                case "NSpid:": info.vpid = UInt32(parts[parts.count - 1]) ?? pid
                default: break
                }
            }
        }
        if let loginuid = FileReader.readText("\(base)/loginuid") {
            info.loginuid = UInt32(loginuid.split(separator: "\n").first ?? "") ?? UInt32.max
        }
        if let cgroups = FileReader.readText("\(base)/cgroup") {
            for line in cgroups.split(separator: "\n") where line.hasPrefix("0::") {
                info.cgroup = String(line.dropFirst(3))
            }
            info.containerID = ContainerID.shortID(fromCgroup: info.cgroup)
        }
        info.pidNamespace = namespaceInode("\(base)/ns/pid")
        info.mountNamespace = namespaceInode("\(base)/ns/mnt")
        return info
    }

    /// A small text file (passwd, group), or nil.
    public static func readText(_ path: String) -> String? { FileReader.readText(path) }

    /// "pid:[4026531836]" → 4026531836
    static func namespaceInode(_ link: String) -> UInt32 {
        guard let target = FileReader.readLink(link),
              let open = target.firstIndex(of: "["), let close = target.firstIndex(of: "]") else { return 0 }
        return UInt32(target[target.index(after: open)..<close]) ?? 0
    }

    /// /proc's tty_nr packs major in bits 8-15 and minor in 0-7 and 20-31; the wire keeps
    /// (major << 20 | minor).
    static func kernelTTYToWire(_ nr: UInt32) -> UInt32 {
        guard nr != 0 else { return 0 }
        let major = (nr >> 8) & 0xFFF
        let minor = (nr & 0xFF) | ((nr >> 12) & 0xFFF00)
        return major << 20 | minor
    }
}
