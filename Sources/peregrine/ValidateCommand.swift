import ArgumentParser
import Foundation
import PeregrineRules

/// `peregrine validate`: load rule files and folders and print every diagnostic.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Load rule files or folders, print every diagnostic; exit 1 on any error."
    )

    @Argument(help: "Rules files or folders, loaded in order ('default' names the built-in rules).")
    var paths: [String] = []

    @Flag(help: "Hide warnings and notes.")
    var errorsOnly = false

    @Option(help: "Instead of printing diagnostics, load the files this many times and print the CPU time per load.")
    var measure: Int?

    func run() throws {
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("error: give at least one rules file or folder\n".utf8))
            throw ExitCode(2)
        }
        let result = try RulePaths.load(paths)
        if let n = measure { try Self.measure(paths, times: max(1, n)); return }
        for d in result.diagnostics where !errorsOnly || d.severity == .error { print(d.description) }
        let errors = result.errors.count, warnings = result.warnings.count
        let rules = result.ruleSet.rules
        print("\(rules.count) rules (\(rules.filter(\.isEnabled).count) enabled), \(errors) errors, \(warnings) warnings")
        if errors > 0 { throw ExitCode(1) }
    }

    /// Loads the files `times` times and prints the CPU time of each load (read from disk once).
    static func measure(_ paths: [String], times: Int) throws {
        let (sources, library) = try RulePaths.sources(paths)
        var samples: [Double] = []
        for _ in 0..<times {
            let start = clock()
            let r = RuleLoader().load(sources, library: library)
            let end = clock()
            precondition(!r.ruleSet.rules.isEmpty || sources.isEmpty)
            samples.append(Double(end - start) * 1000 / Double(CLOCKS_PER_SEC))
        }
        samples.sort()
        let median = samples[samples.count / 2]
        print(String(format: "load+compile CPU time over %d runs: median %.1f ms, min %.1f ms, max %.1f ms",
                     times, median, samples.first!, samples.last!))
    }
}
