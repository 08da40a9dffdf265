import PeregrineEvents

/// The process table at the start of a capture, so replay knows processes that existed
/// before recording began (their names, command lines and parents).
enum ProcessSnapshotCodec {
    static func encode(_ processes: [ProcessInfo]) -> [UInt8] {
        var e = ByteEncoder()
        e.u32(UInt32(processes.count))
        for p in processes {
            e.u32(p.pid); e.u32(p.ppid); e.u32(p.uid); e.u32(p.gid); e.u32(p.loginuid); e.u32(p.tty)
            e.u32(p.vpid); e.u32(p.sid); e.u32(p.pidNamespace); e.u32(p.mountNamespace); e.u64(p.startBootNs)
            e.str16(p.name); e.str16(p.exePath); e.str16(p.cwd); e.str16(p.cgroup); e.str16(p.containerID)
            e.u16(UInt16(min(p.args.count, 1024)))
            for a in p.args.prefix(1024) { e.str16(a) }
        }
        return e.bytes
    }

    static func decode(_ body: UnsafeRawBufferPointer) -> [ProcessInfo]? {
        var d = ByteDecoder(body)
        guard let count = d.u32(), Int(count) <= body.count / 48 + 1 else { return nil }
        var out: [ProcessInfo] = []
        out.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let pid = d.u32(), let ppid = d.u32(), let uid = d.u32(), let gid = d.u32(),
                  let loginuid = d.u32(), let tty = d.u32(), let vpid = d.u32(), let sid = d.u32(),
                  let pidNs = d.u32(), let mntNs = d.u32(), let start = d.u64(),
                  let name = d.str16(), let exe = d.str16(), let cwd = d.str16(), let cgroup = d.str16(),
                  let container = d.str16(), let argc = d.u16() else { return nil }
            var args: [String] = []
            for _ in 0..<argc {
                guard let a = d.str16() else { return nil }
                args.append(a)
            }
            out.append(ProcessInfo(pid: pid, ppid: ppid, name: name, exePath: exe, args: args, cwd: cwd, uid: uid,
                                   gid: gid, loginuid: loginuid, tty: tty, vpid: vpid, sid: sid, pidNamespace: pidNs,
                                   mountNamespace: mntNs, cgroup: cgroup, containerID: container, startBootNs: start))
        }
        return d.remaining == 0 ? out : nil
    }
}
