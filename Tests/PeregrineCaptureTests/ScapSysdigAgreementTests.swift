import PeregrineCapture
import PeregrineEvents
import Testing

/// Our reader against sysdig (Debian 12's 0.29) on every real capture: for the exit events
/// Peregrine models, `evt.num evt.type proc.name proc.pid fd.name` must match line for line.
/// sysdig must be installed (`scripts/check-scap-agreement` installs it): without it the
/// test fails, it does not skip.
///
/// Two documented differences are taken out of sysdig's side before comparing: the child's
/// half of a clone/fork (res 0: Peregrine reports a fork once, in the parent) and failed
/// clones (no child: no fork record).
@Suite struct ScapSysdigAgreementTests {
    static let types = "execve,execveat,open,openat,openat2,creat,mount,umount,umount2,clone,clone3,fork,vfork,procexit,chdir,fchdir"
    static let forkTypes: Set<String> = ["clone", "clone3", "fork", "vfork"]

    /// sysdig's lines, with the clone halves we do not report removed.
    static func sysdigLines(_ path: String) -> (status: Int32, lines: [String])? {
        guard let result = ScapTestSupport.run([
            "sysdig", "-r", path, "-p", "*%evt.num %evt.type %proc.name %proc.pid %fd.name %evt.rawres",
            "evt.dir=< and evt.type in (\(types))",
        ]) else { return nil }
        var lines: [String] = []
        for line in result.output.split(separator: "\n") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let rawres = Int64(line[line.index(after: space)...]) ?? 0
            let rest = String(line[..<space])
            let type = rest.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            if forkTypes.contains(type) && rawres <= 0 { continue }
            lines.append(rest)
        }
        return (result.status, lines)
    }

    @Test func sysdigIsInstalled() {
        let result = ScapTestSupport.run(["sysdig", "--version"])
        #expect(result?.status == 0, "sysdig is not installed: run scripts/check-scap-agreement (apt-get install sysdig)")
    }

    @Test(arguments: ScapTestSupport.captureFiles().filter { $0 != "libs_e2e_curl_google_comments.scap" })
    func agreesWithSysdig(_ name: String) throws {
        let (reader, records, error) = try ScapTestSupport.read(name, options: .init(eventTypeLimit: ScapReader.sysdig029EventTypeLimit))
        #expect(error == nil, "\(error.map(String.init(describing:)) ?? "")")
        let ours = ScapTestSupport.lines(reader: reader, records: records)
        let sysdig = try #require(Self.sysdigLines(ScapTestSupport.path(name)), "sysdig could not be run")
        #expect(sysdig.status == 0)
        #expect(ours.count == sysdig.lines.count, "\(name): \(ours.count) lines from us, \(sysdig.lines.count) from sysdig")
        for (i, (a, b)) in zip(ours, sysdig.lines).enumerated() where a != b {
            Issue.record("\(name) line \(i + 1): ours '\(a)' sysdig '\(b)'")
            break
        }
        print("agreement \(name): \(ours.count) lines compared, \(ours == sysdig.lines ? "equal" : "DIFFERENT")")
    }

    @Test func capturesArePresent() {
        #expect(ScapTestSupport.captureFiles().count == 17, "expected the 17 captures in \(ScapTestSupport.capturesDirectory)")
    }

    /// sysdig 0.29 cannot read the file with section-header comment options; we must, and it
    /// holds the same events as its uncommented twin.
    @Test func commentedSectionHeaderReadsLikeItsTwin() throws {
        let plain = try ScapTestSupport.read("libs_e2e_curl_google.scap")
        let commented = try ScapTestSupport.read("libs_e2e_curl_google_comments.scap")
        #expect(plain.error == nil)
        #expect(commented.error == nil)
        #expect(commented.records.count > 0)
        #expect(ScapTestSupport.lines(reader: commented.reader, records: commented.records)
                == ScapTestSupport.lines(reader: plain.reader, records: plain.records))
        #expect(commented.reader.eventCount == plain.reader.eventCount)
        #expect(sysdigLinesFailFor("libs_e2e_curl_google_comments.scap"))
    }

    func sysdigLinesFailFor(_ name: String) -> Bool {
        guard let result = Self.sysdigLines(ScapTestSupport.path(name)) else { return false }
        return result.status != 0
    }
}
