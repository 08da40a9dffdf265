import Testing

@testable import PeregrineEvents

@Suite struct PathNormalizerTests {
    @Test(arguments: [
        ("/a/b/../c", "/a/c"), ("/a/./b//c/", "/a/b/c"), ("/../..", "/"), ("/", "/"),
        ("a/../../b", "../b"), ("/tmp/x/..", "/tmp"), ("", "."), ("a/..", "."), ("../../a/../b", "../../b"),
        ("a/b/../../..", ".."), ("//x///y/.", "/x/y"), ("./a/./", "a"),
    ])
    func normalize(input: String, expected: String) {
        #expect(String(decoding: PathNormalizer.normalize(Array(input.utf8)), as: UTF8.self) == expected)
    }

    @Test func resolveAgainstBase() {
        let out = Array("sub/../f".utf8).withUnsafeBytes { p in
            Array("/work".utf8).withUnsafeBytes { b in PathNormalizer.resolve(p, relativeTo: b) }
        }
        #expect(String(decoding: out, as: UTF8.self) == "/work/f")
    }

    /// The in-place form the engine uses (no allocation) agrees with the array form.
    @Test(arguments: [
        ("sub/../f", "/work"), ("/abs/./x", "/work"), ("../../..", "/work"), ("a", ""), ("..", ""), ("", "/work"),
        ("x/./y//z/..", "/work/dir/"), ("../up", "rel/base"),
    ])
    func resolveIntoBuffer(path: String, base: String) {
        let expected = Array(path.utf8).withUnsafeBytes { p in
            Array(base.utf8).withUnsafeBytes { b in PathNormalizer.resolve(p, relativeTo: b) }
        }
        let room = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { room.deallocate() }
        let n = Array(path.utf8).withUnsafeBytes { p in
            Array(base.utf8).withUnsafeBytes { b in PathNormalizer.resolve(p, relativeTo: b, into: room) }
        }
        #expect(n.map { Array(room[0..<$0]) } == expected)
        let tooSmall = UnsafeMutableRawBufferPointer.allocate(byteCount: path.utf8.count + base.utf8.count, alignment: 1)
        defer { tooSmall.deallocate() }
        let refused = Array(path.utf8).withUnsafeBytes { p in
            Array(base.utf8).withUnsafeBytes { b in PathNormalizer.resolve(p, relativeTo: b, into: tooSmall) }
        }
        #expect(refused == nil)
    }
}

@Suite struct ContainerIDTests {
    static let id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

    @Test(arguments: [
        "/kubepods/besteffort/pod1234-5678/\(id)",
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12_34.slice/cri-containerd-\(id).scope",
        "/system.slice/crio-\(id).scope",
        "/kubepods/crio-\(id)",
        "/system.slice/docker-\(id).scope",
        "/docker/\(id)",
        "/machine.slice/libpod-\(id).scope",
        "/default/\(id)",
        "/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:\(id)",
        // CRI-O under the kubelet's systemd slices, with and without .scope
        "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12_34.slice/crio-\(id).scope",
        "/kubepods.slice/kubepods-pod12_34.slice/crio-\(id)",
        // nerdctl (its namespace, and its systemd scope) and a plain ctr namespace
        "/nerdctl/\(id)",
        "/system.slice/nerdctl-\(id).scope",
        "/k8s.io/\(id)",
        // cgroup v1: the same paths as one hierarchy's view
        "/kubepods/burstable/pod1234-5678/\(id)",
        "/docker/\(id)/init.scope",
        // a process in a child cgroup the container made
        "/kubepods/besteffort/pod1234-5678/\(id)/worker",
    ])
    func recognisesRuntimeLayouts(path: String) {
        #expect(ContainerID.fullID(fromCgroup: path) == Self.id)
        #expect(ContainerID.shortID(fromCgroup: path) == "0123456789ab")
    }

    /// A container may create cgroups below its own and name them after another container;
    /// the outermost id (the runtime's) is the one taken.
    @Test func childCgroupCannotForgeAnotherContainer() {
        let other = String(repeating: "f", count: 64)
        let path = "/kubepods/besteffort/pod1/\(Self.id)/\(other)"
        #expect(ContainerID.fullID(fromCgroup: path) == Self.id)
        #expect(ContainerID.fullID(fromCgroup: "/kubepods.slice/cri-containerd-\(Self.id).scope/cri-containerd-\(other).scope") == Self.id)
    }

    @Test(arguments: ["/", "/user.slice/user-0.slice/session-1.scope", "/system.slice/containerd.service", ""])
    func hostProcesses(path: String) {
        #expect(ContainerID.shortID(fromCgroup: path) == "host")
    }
}

@Suite struct FlagTests {
    @Test func openFlags() {
        #expect(OpenFlags.describe(0o1101) == "O_WRONLY|O_CREAT|O_TRUNC")
        #expect(OpenFlags.describe(0o2000000) == "O_RDONLY|O_CLOEXEC")
        #expect(OpenFlags.isWrite(0o2))
        #expect(OpenFlags.isRead(0o2))
        #expect(!OpenFlags.isWrite(0))
    }

    @Test func mountFlags() {
        #expect(MountFlags.describe(0xC0ED_0000 | 1 | 4096) == "MS_RDONLY|MS_BIND")
        #expect(MountFlags.describe(0) == "0")
    }

    @Test func errnoNames() {
        #expect(ErrnoName.name(2) == "ENOENT")
        #expect(ErrnoName.name(13) == "EACCES")
        #expect(ErrnoName.name(4000) == "E4000")
    }
}

@Suite struct ProcessTableTests {
    @Test func forkExecExitKeepsTheTableBounded() throws {
        var table = ProcessTable(capacity: 10)
        table.insert(ProcessInfo(pid: 1, ppid: 0, name: "init"))
        for child in UInt32(2)..<UInt32(1002) {
            var fork = RecordWriter(kind: .fork, syscall: .clone, pid: 1, comm: "init")
            fork.put(child, at: WireLayout.Fork.childTgid)
            fork.put(child, at: WireLayout.Fork.childTid)
            let exit = RecordWriter(kind: .exit, syscall: .none, pid: child, ppid: 1, comm: "init").bytes()
            var decoder = RecordDecoder()
            try fork.bytes().withUnsafeBytes { raw in
                let decoded = decoder.decode(raw)
                table.apply(try #require(decoded))
            }
            #expect(table[child]?.ppid == 1)
            try exit.withUnsafeBytes { raw in
                let decoded = decoder.decode(raw)
                table.apply(try #require(decoded))
            }
            #expect(table[child] == nil)
        }
        #expect(table.count == 1)
        #expect(table.overflows == 0)
    }

    /// The table remembers the process of the last record applied (the engine asks for it
    /// next); every kind of change to that process must be seen through `entry`, never the
    /// remembered box from before the change.
    @Test func theRememberedProcessFollowsEveryChange() throws {
        var table = ProcessTable()
        var decoder = RecordDecoder()
        func apply(_ record: RecordWriter) throws {
            try record.bytes().withUnsafeBytes { raw in
                let decoded = decoder.decode(raw)
                table.apply(try #require(decoded))
            }
        }
        func open() -> RecordWriter {
            var r = RecordWriter(kind: .open, syscall: .openat, pid: 40, ppid: 1, comm: "sh")
            r.string("/etc/passwd", at: WireLayout.Open.path)
            r.string("/etc/passwd", at: WireLayout.Open.raw)
            return r
        }
        try apply(open())
        try apply(open()) // the second is answered from the remembered entry
        #expect(table.entry(40)?.info.name == "sh")

        var exec = RecordWriter(kind: .exec, syscall: .execve, pid: 40, ppid: 1, comm: "python3")
        exec.string("/usr/bin/python3", at: WireLayout.Exec.exe)
        exec.arguments(["python3"], at: WireLayout.Exec.args)
        try apply(exec)
        #expect(table.entry(40)?.info.name == "python3")
        try apply(open())
        withUnsafePointer(to: table) { #expect(ProcessTable.entry(40, in: $0)?.info.exePath == "/usr/bin/python3") }

        var chdir = RecordWriter(kind: .chdir, syscall: .chdir, pid: 40, ppid: 1, comm: "python3")
        chdir.string("/srv", at: WireLayout.Chdir.cwd)
        try apply(chdir)
        #expect(table.entry(40)?.info.cwd == "/srv")

        try apply(open())
        table.insert(ProcessInfo(pid: 40, ppid: 1, name: "replaced"))
        #expect(table.entry(40)?.info.name == "replaced")

        try apply(open())
        let copy = table
        table.remove(pid: 40)
        #expect(table.entry(40) == nil)
        withUnsafePointer(to: table) { #expect(ProcessTable.entry(40, in: $0) == nil) }
        #expect(copy.entry(40)?.info.name == "replaced") // a copy keeps its own state

        try apply(open()) // an open of an unknown process enters it
        #expect(table.entry(40)?.info.name == "sh")
    }

    @Test func overflowIsCounted() {
        var table = ProcessTable(capacity: 2)
        for pid in UInt32(1)...UInt32(5) { table.insert(ProcessInfo(pid: pid, ppid: 0)) }
        #expect(table.count == 2)
        #expect(table.overflows == 3)
    }

    @Test func ancestorsStopAtLoops() {
        var table = ProcessTable()
        table.insert(ProcessInfo(pid: 3, ppid: 2, name: "c"))
        table.insert(ProcessInfo(pid: 2, ppid: 1, name: "b"))
        table.insert(ProcessInfo(pid: 1, ppid: 3, name: "a")) // corrupt: a loop
        #expect(table.ancestors(of: 3, limit: 5).map(\.name) == ["b", "a", "c", "b", "a"])
        #expect(table.ancestors(of: 3).count == 64)
    }
}

@Suite struct NormalAbsolutePathTests {
    @Test(arguments: [("/", true), ("/a/b", true), ("/a/.b/c..", true), ("/a//b", false), ("/a/./b", false),
                      ("/a/../b", false), ("/a/", false), ("a/b", false), ("", false), ("/..", false), ("/a/.", false)])
    func agreesWithNormalize(path: String, normal: Bool) {
        let bytes = Array(path.utf8)
        let result = bytes.withUnsafeBytes { PathNormalizer.isNormalAbsolute($0) }
        #expect(result == normal)
        if result { #expect(PathNormalizer.normalize(bytes) == bytes) }
    }

    /// Paths of every length around the 16-byte steps, with a '.', '..' or empty component or a
    /// trailing slash at every place (and names with dots that are not such components):
    /// the answer must be what normalizing says.
    @Test func agreesWithNormalizeAtEveryOffset() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "bc", ".d", "e.", "..f", "g..", "...", "hij.klm", ".", "..", ""]
        var checked = 0
        for _ in 0..<20_000 {
            let count = Int.random(in: 1...9, using: &generator)
            let components = (0..<count).map { _ in pieces.randomElement(using: &generator)! }
            var path = "/" + components.joined(separator: "/")
            if Bool.random(using: &generator) && path.count > 1 { path += "/" }
            let bytes = Array(path.utf8)
            let expected = bytes == PathNormalizer.normalize(bytes)
            let result = bytes.withUnsafeBytes { PathNormalizer.isNormalAbsolute($0) }
            #expect(result == expected, "\(path)")
            if result != expected { return }
            checked += 1
        }
        #expect(checked == 20_000)
    }
}
