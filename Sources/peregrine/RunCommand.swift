import ArgumentParser
import PeregrineEngine
import PeregrineEvents
import PeregrineProbe
import PeregrineRules

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The live agent: kernel probe → process state → rules → alerts on stdout.",
        discussion: "Needs root, or CAP_BPF and CAP_PERFMON (exit 3 otherwise). The probe reports only the syscalls the loaded rules need."
    )

    @Option(name: .short, help: "Rule file or folder (repeatable); `default` names the built-in rules.")
    var r: [String] = []

    @Option(name: .short, help: "Override a configuration key: key=value (json_output, rule_matching).")
    var o: [String] = []

    @Flag(help: "Alerts as JSON lines (same as -o json_output=true).")
    var json = false

    @Option(help: "Stop cleanly after this many seconds.")
    var duration: Double?

    func run() throws {
        var jsonOutput = json
        var matching = Engine.Matching.all
        for item in o {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("-o \(item): expected key=value") }
            switch parts[0] {
            case "json_output":
                guard let b = Bool(parts[1]) else { throw ValidationError("-o json_output: expected true or false, got \(parts[1])") }
                jsonOutput = b
            case "rule_matching":
                guard let m = Engine.Matching(rawValue: parts[1]) else { throw ValidationError("-o rule_matching: expected all or first, got \(parts[1])") }
                matching = m
            default:
                throw ValidationError("-o \(parts[0]): unknown configuration key")
            }
        }
        StopSignal.install()
        let rules = try loadRules(r)
        var context = EngineContext(hostname: hostName(), bootToEpochNs: BootClock.bootToEpochOffsetNs())
        let root = ProcScanner.hostRootFromEnvironment() ?? ""
        if let passwd = ProcScanner.readText(root + "/etc/passwd") { context.users = EngineContext.parseIDFile(passwd) }
        if let group = ProcScanner.readText(root + "/etc/group") { context.groups = EngineContext.parseIDFile(group) }
        let engine = Engine(rules: rules, context: context, matching: matching)

        var options = Probe.Options()
        options.syscalls = Self.syscalls(for: engine.neededEventTypes)
        let probe = try openProbe(options)
        var pipeline = AlertPipeline(engine: engine, json: jsonOutput)
        pipeline.seed(ProcScanner.scan())
        let stats = LiveLoop(probe: probe, deadline: Deadline(seconds: duration)).run(
            onRecord: { pipeline.handle(record: $0, number: nil) },
            onTick: { pipeline.flush() }
        )
        _ = pipeline.flush()
        printError("\(pipeline.events) events, \(engine.alertsRaised) alerts; kernel lost \(stats.lost); malformed records \(pipeline.decoder.totalRejected)")
        probe.close()
    }

    /// The syscalls behind the event types rules name (process lifecycle is always on).
    static func syscalls(for eventTypes: Set<String>) -> Set<SyscallID> {
        var out: Set<SyscallID> = []
        for id in SyscallID.allCases where eventTypes.contains(id.falcoName) { out.insert(id) }
        if eventTypes.contains("umount") { out.insert(.umount2) }
        return out
    }
}
