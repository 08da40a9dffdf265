import ArgumentParser
import PeregrineCapture
import PeregrineEngine
import PeregrineEvents

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run rules over capture files (Peregrine captures; Falco/sysdig .scap), or print their events.",
        discussion: "Deterministic: the same file gives the same output every run. A damaged file is reported with its byte offset after every event before the damage has been processed (exit 1)."
    )

    @Argument(help: "Capture files, replayed in order.")
    var files: [String]

    @Flag(help: "Print the decoded events (JSON lines) instead of alerts.")
    var events = false

    @Flag(help: "Alerts as JSON lines.")
    var json = false

    @Option(name: .short, help: "Rule file or folder (repeatable); `default` names the built-in rules.")
    var r: [String] = []

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one capture file") }
    }

    func run() throws {
        if !events { return try replayRules() }
        var failed = false
        for path in files {
            var printer = EventPrinter(bootToEpochNs: 0)
            // Whatever was read before a failure is printed before the failure is reported.
            defer { _ = printer.flush() }
            do {
                let reader = try CaptureReader(path: path)
                printer.json.bootToEpochNs = reader.header.bootToEpochNs
                let summary = try reader.read(
                    processes: { printer.seed($0) },
                    record: { number, bytes in printer.print(record: bytes, number: number) }
                )
                _ = printer.flush()
                if !summary.closedCleanly {
                    printError("\(path): the capture has no end block (the writer was stopped abruptly); read \(summary.records) events up to the last complete block")
                }
                if printer.decoder.totalRejected > 0 {
                    printError("\(path): \(printer.decoder.totalRejected) malformed records skipped")
                }
            } catch {
                _ = printer.flush()
                printError("\(error)")
                failed = true
            }
        }
        if failed { throw ExitCodeError.badInput }
    }

    /// Rules over every file, in order; alerts as text lines or JSON.
    private func replayRules() throws {
        let rules = try loadRules(r)
        var failed = false
        for path in files {
            var pipeline: AlertPipeline?
            defer { _ = pipeline?.flush() }
            do {
                let reader = try CaptureReader(path: path)
                let host = reader.header.metadata.first { $0.0 == "hostname" }?.1 ?? hostName()
                let engine = Engine(rules: rules, context: EngineContext(hostname: host, bootToEpochNs: reader.header.bootToEpochNs))
                pipeline = AlertPipeline(engine: engine, json: json)
                let summary = try reader.read(
                    processes: { pipeline!.seed($0) },
                    record: { number, bytes in pipeline!.handle(record: bytes, number: number) }
                )
                if !summary.closedCleanly {
                    printError("\(path): the capture has no end block (the writer was stopped abruptly); read \(summary.records) events up to the last complete block")
                }
            } catch {
                _ = pipeline?.flush()
                printError("\(error)")
                failed = true
            }
        }
        if failed { throw ExitCodeError.badInput }
    }
}
