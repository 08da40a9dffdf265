#if canImport(Glibc)
import Glibc
#endif
import PeregrineOutputs
import PeregrineRules
import Testing

@Suite struct FileOutputTests {
    static func read(_ path: String) -> String {
        guard let f = fopen(path, "r") else { return "" }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func tempDir() -> String {
        var template = Array("/tmp/peregrine-file-output-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    @Test(arguments: [true, false]) func appendsAndReopensAfterRotation(keepAlive: Bool) {
        let dir = Self.tempDir()
        let path = dir + "/alerts.log"
        let output = FileOutput(path: path, keepAlive: keepAlive, json: true)
        let hub = OutputHub(outputs: [output], capacity: 100, log: { _ in })
        hub.publish(sampleAlert(1))
        hub.publish(sampleAlert(2))
        #expect(OutputTestClock.wait(seconds: 5) { Self.read(path).split(separator: "\n").count == 2 })
        // logrotate: rename, then SIGUSR1 (here: reopen) makes the next alert go to a new file.
        #expect(rename(path, path + ".1") == 0)
        hub.reopen()
        hub.publish(sampleAlert(3))
        #expect(OutputTestClock.wait(seconds: 5) { Self.read(path).split(separator: "\n").count == 1 })
        hub.shutdown(timeoutNs: 1_000_000_000)
        let old = Self.read(path + ".1").split(separator: "\n")
        #expect(old.count == 2)
        #expect(old.first.map(String.init) == sampleAlert(1).jsonLine)
        #expect(Self.read(path) == sampleAlert(3).jsonLine + "\n")
        #expect(hub.counters.first?.sent == 3)
    }

    @Test func textLinesWhenNotJSON() {
        let path = Self.tempDir() + "/alerts.txt"
        let hub = OutputHub(outputs: [FileOutput(path: path, keepAlive: true, json: false)], capacity: 10, log: { _ in })
        hub.publish(sampleAlert(7))
        #expect(hub.shutdown(timeoutNs: 2_000_000_000).first?.abandoned == 0)
        #expect(Self.read(path) == sampleAlert(7).textLine + "\n")
    }
}
