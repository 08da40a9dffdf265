import ArgumentParser
import PeregrineCapture
import PeregrineEngine
import PeregrineEvents

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run rules over capture files (Peregrine captures; Falco/sysdig .scap, plain or gzip), or print their events.",
        discussion: "The same decoder, process table and engine as the live agent. Deterministic: the same file gives the same output every run. A damaged file is reported with its byte offset after every event before the damage has been processed (exit 1)."
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
        let rules = events ? nil : try loadRules(r)
        var failed = false
        for path in files {
            var printer: EventPrinter?
            var pipeline: AlertPipeline?
            func flush() {
                _ = printer?.flush()
                _ = pipeline?.flush()
            }
            do {
                let notes = try ReplaySource(path: path).read(
                    start: { info in
                        if let rules {
                            var context = EngineContext(hostname: info.hostname ?? hostName(), bootToEpochNs: info.bootToEpochNs)
                            if !info.users.isEmpty { context.users = info.users }
                            if !info.groups.isEmpty { context.groups = info.groups }
                            pipeline = AlertPipeline(engine: Engine(rules: rules, context: context), json: json)
                        } else {
                            printer = EventPrinter(bootToEpochNs: info.bootToEpochNs)
                        }
                    },
                    processes: { list in
                        printer?.seed(list)
                        pipeline?.seed(list)
                    },
                    record: { number, bytes in
                        printer?.print(record: bytes, number: number)
                        pipeline?.handle(record: bytes, number: number)
                    }
                )
                flush()
                for note in notes { printError(note) }
            } catch {
                // Whatever was read before the damage is out before the damage is reported.
                flush()
                printError("\(error)")
                failed = true
            }
            let rejected = (printer?.decoder.totalRejected ?? 0) + (pipeline?.decoder.totalRejected ?? 0)
            if rejected > 0 { printError("\(path): \(rejected) malformed records skipped") }
        }
        if failed { throw ExitCodeError.badInput }
    }
}
