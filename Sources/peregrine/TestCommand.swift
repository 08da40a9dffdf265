import ArgumentParser
import Foundation
import PeregrineRuleTest

/// `peregrine test`: run rule test files (see `PeregrineRuleTest` for the format).
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run rule test files: events written with Falco fields, the alerts they must and must not raise.",
        discussion: "PATH is a test file or a folder (its *.yaml and *.yml files, sorted); the default is rules/tests. Each case's events are built into kernel records and run through the real engine, after the records of its capture file (Peregrine capture or .scap) when it names one. Exit 1 if a case fails or a file has mistakes."
    )

    @Argument(help: "Test files or folders.")
    var paths: [String] = []

    @Flag(help: "Print one JSON object with every result instead of text.")
    var json = false

    @Option(help: "Also write JUnit XML to this file.")
    var junit: String?

    @Flag(help: "Show the alerts of passing cases too.")
    var verbose = false

    func run() throws {
        let files = try Self.testFiles(paths.isEmpty ? ["rules/tests"] : paths)
        let runner = RuleTestRunner(readFile: { path in
            FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
        }, readCapture: { path in
            // The same reader as `peregrine replay`: Peregrine captures and .scap files.
            var capture = RuleTestRunner.Capture(processes: [], records: [])
            _ = try ReplaySource(path: path).read(
                start: { _ in },
                processes: { capture.processes += $0 },
                record: { _, bytes in capture.records.append(Array(bytes)) }
            )
            return capture
        })
        var results: [FileResult] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("error: cannot read test file '\(file)'")
                throw ExitCodeError.badInput
            }
            results.append(runner.run(file: file, text: String(decoding: data, as: UTF8.self)))
        }
        if json { print(RuleTestReport.json(results)) } else { print(RuleTestReport.text(results, verbose: verbose), terminator: "") }
        if let junit {
            guard FileManager.default.createFile(atPath: junit, contents: Data(RuleTestReport.junit(results).utf8)) else {
                printError("error: cannot write JUnit report to '\(junit)'")
                throw ExitCodeError.badInput
            }
        }
        if !RuleTestReport.totals(results).ok { throw ExitCodeError.badInput }
    }

    static func testFiles(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                printError("error: no test file or folder '\(path)'")
                throw ExitCodeError.badInput
            }
            if isDir.boolValue {
                let names = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                if names.isEmpty {
                    printError("error: no *.yaml test files in '\(path)'")
                    throw ExitCodeError.badInput
                }
                out += names.map { (path as NSString).appendingPathComponent($0) }
            } else {
                out.append(path)
            }
        }
        return out
    }
}
