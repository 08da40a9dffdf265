/// Parsers of the metadata blocks (`engine/savefile/scap_savefile.c` in falcosecurity/libs
/// has the layouts). Each reads one block body and throws `ScapFailure` at the first byte
/// that does not fit.
enum ScapMetadata {
    static let maxPath = 4096
    static let maxArgs = 4096 * 4
    static let maxEnv = 4096 * 4
    static let maxCgroups = 4096 * 4
    static let maxCredential = 256

    static func machineInfo(_ data: [UInt8], from: Int, to: Int, bigEndian: Bool) throws -> ScapMachineInfo {
        var c = ScapCursor(data, from: from, to: to, bigEndian: bigEndian)
        c.what = "machine info block"
        let cpus = try c.u32("num_cpus")
        let memory = try c.u64("memory_size_bytes")
        let maxPid = try c.u64("max_pid")
        var hostname = ""
        // hostname: a NUL-padded char array (256 bytes in current writers, shorter in old).
        if c.remaining > 0 {
            let raw = data[c.position..<(c.position + min(c.remaining, 256))]
            hostname = String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return ScapMachineInfo(cpuCount: cpus, memoryBytes: memory, maxPid: maxPid, hostname: hostname)
    }

    static func text(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { b in
            var end = 0
            while end < b.count && b[end] != 0 { end += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: b[0..<end]), as: UTF8.self)
        }
    }

    /// Where the entry at the cursor ends: newer lists give each entry its own u32 length
    /// (`sized`), which must fit the block; older ones run to the end of the block.
    static func entryEnd(_ c: inout ScapCursor, sized: Bool, to: Int, list: String) throws -> Int {
        guard sized else { return to }
        let entryStart = c.position
        let length = Int(try c.u32("entry length"))
        guard length >= 4, length <= to - entryStart else {
            throw ScapFailure(offset: entryStart, code: .malformedBlock,
                              message: "\(list) entry length \(length) does not fit the block (\(to - entryStart) bytes left)")
        }
        return entryStart + length
    }

    /// Process list, versions 1-9. Version 9 entries start with their own length, so fields
    /// added later are skipped; older versions have a fixed field set per version.
    static func processList(_ data: [UInt8], from: Int, to: Int, version: Int, bigEndian: Bool) throws -> [ScapThread] {
        var c = ScapCursor(data, from: from, to: to, bigEndian: bigEndian)
        c.what = "process list entry"
        var out: [ScapThread] = []
        while c.remaining >= 4 {
            let entryEnd = try Self.entryEnd(&c, sized: version >= 9, to: to, list: "process list")
            var e = ScapCursor(data, from: c.position, to: entryEnd, bigEndian: bigEndian)
            e.what = "process list entry"
            let tid = try e.i64("tid")
            var t = ScapThread(tid: tid, pid: try e.i64("pid"), ptid: try e.i64("ptid"))
            if version >= 6 { t.sid = try e.i64("sid") }
            if version >= 8 { t.vpgid = try e.i64("vpgid") }
            t.comm = text(try e.lengthPrefixed("comm", max: maxPath))
            t.exe = text(try e.lengthPrefixed("exe", max: maxPath))
            if version >= 7 { t.exePath = text(try e.lengthPrefixed("exepath", max: maxPath)) }
            t.argsList = try e.lengthPrefixed("args", max: maxArgs)
            t.cwd = text(try e.lengthPrefixed("cwd", max: maxPath))
            t.fdLimit = try e.i64("fdlimit")
            t.flags = try e.u32("flags")
            t.uid = try e.u32("uid")
            t.gid = try e.u32("gid")
            if version >= 2 {
                _ = try e.u32("vmsize_kb")
                _ = try e.u32("vmrss_kb")
                _ = try e.u32("vmswap_kb")
                _ = try e.u64("pfmajor")
                _ = try e.u64("pfminor")
                if version >= 3 { try e.skipLengthPrefixed("env", max: maxEnv) }
                if version >= 4 {
                    t.vtid = try e.i64("vtid")
                    t.vpid = try e.i64("vpid")
                    t.cgroupsList = try e.lengthPrefixed("cgroups", max: maxCgroups)
                    if version >= 5 { t.root = text(try e.lengthPrefixed("root", max: maxPath)) }
                }
            }
            if version >= 9 {
                // Fields added in place over time; present when the entry is long enough.
                // libs 0.10 inserted pidns_init_start_ts and tty before loginuid: entries with
                // more than 29 bytes left have them.
                if e.remaining > 29 {
                    if e.remaining >= 8 { _ = try e.u64("pidns_init_start_ts") }
                    if e.remaining >= 4 { t.tty = try e.u32("tty") }
                }
                if e.remaining >= 4 { t.loginuid = try e.u32("loginuid") }
                c = ScapCursor(data, from: entryEnd, to: to, bigEndian: bigEndian)
                c.what = "process list entry"
            } else {
                c = ScapCursor(data, from: e.position, to: to, bigEndian: bigEndian)
                c.what = "process list entry"
            }
            out.append(t)
        }
        return out
    }

    /// fd types (`scap_fd_type`) whose entry ends with a name.
    static let namedTypes: Set<UInt8> = [1, 2, 7, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21]
    static let fileTypes: Set<UInt8> = [1, 2, 16]

    /// fd list of one thread: file and directory fds by number (other kinds are parsed to
    /// be stepped over and dropped).
    static func fdList(_ data: [UInt8], from: Int, to: Int, sized: Bool, bigEndian: Bool) throws -> (Int64, [(Int64, String)]) {
        var c = ScapCursor(data, from: from, to: to, bigEndian: bigEndian)
        c.what = "fd list"
        let tid = try c.i64("tid")
        var out: [(Int64, String)] = []
        while c.remaining >= 4 {
            let entryEnd = try Self.entryEnd(&c, sized: sized, to: to, list: "fd list")
            var e = ScapCursor(data, from: c.position, to: entryEnd, bigEndian: bigEndian)
            e.what = "fd list entry"
            let fd = try e.i64("fd")
            _ = try e.u64("ino")
            let type = try e.u8("type")
            var name: String?
            switch type {
            case 3: try e.skip(13, "ipv4 socket")            // sip, dip, sport, dport, l4proto
            case 5: try e.skip(7, "ipv4 server socket")     // ip, port, l4proto
            case 4: try e.skip(37, "ipv6 socket")
            case 6: try e.skip(19, "ipv6 server socket")
            case 8:
                try e.skip(16, "unix socket")
                try e.skipLengthPrefixed("unix socket name", max: maxPath)
            case 16:
                _ = try e.u32("open flags")
                name = text(try e.lengthPrefixed("file name", max: maxPath))
            case let t where namedTypes.contains(t):
                name = text(try e.lengthPrefixed("fd name", max: maxPath))
            default:
                if !sized {
                    throw ScapFailure(offset: e.position - 1, code: .malformedBlock, message: "unknown fd type \(type) in an fd list without entry lengths")
                }
            }
            if let name, fileTypes.contains(type) { out.append((fd, name)) }
            c = ScapCursor(data, from: sized ? entryEnd : e.position, to: to, bigEndian: bigEndian)
            c.what = "fd list"
        }
        return (tid, out)
    }

    /// User and group names.
    static func userList(_ data: [UInt8], from: Int, to: Int, sized: Bool, bigEndian: Bool) throws -> ([UInt32: String], [UInt32: String]) {
        var c = ScapCursor(data, from: from, to: to, bigEndian: bigEndian)
        c.what = "user list"
        var users: [UInt32: String] = [:]
        var groups: [UInt32: String] = [:]
        while c.remaining >= 4 {
            let entryEnd = try Self.entryEnd(&c, sized: sized, to: to, list: "user list")
            var e = ScapCursor(data, from: c.position, to: entryEnd, bigEndian: bigEndian)
            e.what = "user list entry"
            let kind = try e.u8("entry type")
            switch kind {
            case 0: // user: uid, gid, name, home, shell
                let uid = try e.u32("uid")
                _ = try e.u32("gid")
                users[uid] = text(try e.lengthPrefixed("user name", max: maxCredential))
                try e.skipLengthPrefixed("home directory", max: maxCredential)
                try e.skipLengthPrefixed("shell", max: maxCredential)
            case 1: // group: gid, name
                let gid = try e.u32("gid")
                groups[gid] = text(try e.lengthPrefixed("group name", max: maxCredential))
            default:
                throw ScapFailure(offset: e.position - 1, code: .malformedBlock, message: "unknown user list entry type \(kind)")
            }
            c = ScapCursor(data, from: sized ? entryEnd : e.position, to: to, bigEndian: bigEndian)
            c.what = "user list"
        }
        return (users, groups)
    }
}
