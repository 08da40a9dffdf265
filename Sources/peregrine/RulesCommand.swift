import ArgumentParser
import Foundation
import PeregrineRules

/// `peregrine rules`: the loaded rules with their compiled form and state.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "List the loaded rules: name, priority, event types, compiled condition, enabled or why not."
    )

    @Option(name: .short, help: "Rules file or folder (repeatable); 'default' names the built-in rules. Without -r the defaults load.")
    var rules: [String] = []

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let result = try RulePaths.load(rules)
        let errors = result.diagnostics.filter { $0.severity == .error }
        for d in errors { FileHandle.standardError.write(Data((d.description + "\n").utf8)) }
        if json {
            var out = "["
            for (i, r) in result.ruleSet.rules.enumerated() {
                if i > 0 { out += "," }
                out += "\n  {"
                out += "\"name\":" + JSONText.string(r.name)
                out += ",\"priority\":" + JSONText.string(r.priority.name)
                out += ",\"source\":" + JSONText.string(r.source)
                out += ",\"enabled\":" + (r.isEnabled ? "true" : "false")
                out += ",\"status\":" + JSONText.string(r.status.description)
                out += ",\"event_types\":" + (r.eventTypes.map { "[" + $0.sorted().map(JSONText.string).joined(separator: ",") + "]" } ?? "null")
                out += ",\"condition\":" + (r.condition.map { JSONText.string($0.description) } ?? "null")
                out += ",\"tags\":[" + r.tags.map(JSONText.string).joined(separator: ",") + "]"
                out += ",\"file\":" + JSONText.string(r.location.file) + ",\"line\":\(r.location.line)"
                out += "}"
            }
            print(out + "\n]")
        } else {
            for r in result.ruleSet.rules {
                print("\(r.name)")
                print("  priority:    \(r.priority.name)")
                print("  status:      \(r.status)")
                print("  event types: \(r.eventTypes.map { $0.sorted().joined(separator: ", ") } ?? "all")")
                if let c = r.condition { print("  condition:   \(c)") }
            }
            let enabled = result.ruleSet.rules.filter(\.isEnabled).count
            print("\(result.ruleSet.rules.count) rules, \(enabled) enabled")
        }
        if !errors.isEmpty { throw ExitCode(1) }
    }
}

/// Turns `-r` arguments into rule sources: files, folders (their *.yaml and *.yml files, sorted)
/// and `default` for the built-in rules. Without arguments the defaults load.
enum RulePaths {
    struct Unreadable: Error, CustomStringConvertible {
        var path: String
        var description: String { "cannot read rules from '\(path)': no such file or folder, or not readable" }
    }

    static func sources(_ paths: [String]) throws -> (sources: [RuleSource], library: Set<String>) {
        if paths.isEmpty { return (DefaultRules.sources, Set(DefaultRules.sources.map(\.name))) }
        var out: [RuleSource] = []
        var library: Set<String> = []
        let fm = FileManager.default
        for path in paths {
            if path == DefaultRules.argument {
                out += DefaultRules.sources
                library.formUnion(DefaultRules.sources.map(\.name))
                continue
            }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw Unreadable(path: path) }
            var files = [path]
            if isDir.boolValue {
                let names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
                files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
            }
            for file in files {
                guard let data = fm.contents(atPath: file) else { throw Unreadable(path: file) }
                out.append(RuleSource(name: file, text: String(decoding: data, as: UTF8.self)))
            }
        }
        return (out, library)
    }

    /// Loads, printing an unreadable path as an error (exit 1).
    static func load(_ paths: [String]) throws -> RuleLoader.Result {
        do {
            let (sources, library) = try sources(paths)
            return RuleLoader().load(sources, library: library)
        } catch let e as Unreadable {
            FileHandle.standardError.write(Data(("error: \(e)\n").utf8))
            throw ExitCode(1)
        }
    }
}
