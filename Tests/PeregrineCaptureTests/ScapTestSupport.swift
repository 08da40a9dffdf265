#if canImport(Glibc)
import Glibc
#endif
import PeregrineCapture
import PeregrineEvents

/// Shared by the `.scap` tests: where the real captures are, how to run a program, and the
/// one-line rendering compared with sysdig.
enum ScapTestSupport {
    /// `../shared/captures` beside the repository (CI clones it that way).
    static var capturesDirectory: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast(3)  // Tests/PeregrineCaptureTests/<file>
        return parts.joined(separator: "/") + "/../shared/captures"
    }

    static func captureFiles() -> [String] {
        guard let dir = opendir(capturesDirectory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasSuffix(".scap") { names.append(name) }
        }
        return names.sorted()
    }

    static func path(_ name: String) -> String { capturesDirectory + "/" + name }

    static func readBytes(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Runs `arguments` (arguments[0] looked up in PATH), stdout to a file; returns
    /// (exit status, stdout). nil when the program cannot be started.
    static func run(_ arguments: [String]) -> (status: Int32, output: String)? {
        let outPath = "/tmp/peregrine-scap-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        guard rc == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let output = readBytes(outPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (code, output)
    }

    /// Reads every record of a capture; the error (if any) that stopped it.
    static func read(_ name: String, options: ScapReader.Options = .init()) throws -> (reader: ScapReader, records: [ScapRecord], error: ScapError?) {
        var reader = try ScapReader(path: path(name), options: options)
        let (records, error) = reader.readAll()
        return (reader, records, error)
    }

    /// `evt.num evt.type proc.name proc.pid fd.name` for each record sysdig would show with
    /// `evt.dir=<` (procexit is an entry event in scap, so its records are left out).
    /// A process table seeded from the process list and fed every record supplies proc.name
    /// when the record's comm is empty; sysdig prints `<NA>` for fields it does not have.
    static func lines(reader: ScapReader, records: [ScapRecord]) -> [String] {
        var table = ProcessTable()
        for p in reader.initialProcesses { table.insert(p) }
        var decoder = RecordDecoder()
        var out: [String] = []
        for r in records {
            r.record.withUnsafeBytes { raw in
                guard let view = decoder.decode(raw) else {
                    out.append("\(r.number) <undecodable record>")
                    return
                }
                table.apply(view)
                guard view.kind != .exit else { return }
                var name = String(decoding: view.comm, as: UTF8.self)
                if name.isEmpty { name = "<NA>" }
                var fdName = "<NA>"
                if view.kind == .open {
                    let path = EventJSON.openPath(view.open)
                    if !path.isEmpty { fdName = String(decoding: path, as: UTF8.self) }
                }
                out.append("\(r.number) \(EventJSON.eventType(view)) \(name) \(view.pid) \(fdName)")
            }
        }
        return out
    }
}
