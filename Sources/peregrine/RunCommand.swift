import ArgumentParser
import PeregrineContainers
import PeregrineEngine
import PeregrineEvents
import PeregrineProbe
import PeregrineRules
import PeregrineService

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The live agent: kernel probe → process state → rules → alerts on stdout.",
        discussion: "Needs root, or CAP_BPF and CAP_PERFMON (exit 3 otherwise). The probe reports only the syscalls the loaded rules need."
    )

    @Option(name: .short, help: "Rule file or folder (repeatable); `default` names the built-in rules.")
    var r: [String] = []

    @Option(name: .short, help: "Configuration file (default /etc/peregrine/peregrine.yaml, if it exists).")
    var c: String?

    @Option(name: .short, help: "Override a configuration key: key=value (json_output, rule_matching, rules_files, cri.sockets, ring_buffer_bytes, webserver.listen_port).")
    var o: [String] = []

    @Flag(help: "Alerts as JSON lines (same as -o json_output=true).")
    var json = false

    @Option(help: "Stop cleanly after this many seconds.")
    var duration: Double?

    /// File, then -o overrides, then flags; any problem stops the agent before it starts.
    func configuration() throws -> AgentConfiguration {
        var config = AgentConfiguration()
        do {
            let path = c ?? AgentConfiguration.defaultPath
            if let text = ProcScanner.readText(path) {
                try config.apply(yaml: text, source: path)
            } else if c != nil {
                throw AgentConfiguration.Problem(source: path, key: "(file)", reason: "cannot be read")
            }
            for item in o { try config.apply(override: item) }
        } catch {
            printError("configuration: \(error)")
            throw ExitCodeError.badInput
        }
        if json { config.jsonOutput = true }
        if !r.isEmpty { config.rulesFiles = r }
        return config
    }

    func run() throws {
        let config = try configuration()
        StopSignal.install()
        // The port comes up first and says "starting" until the probe is attached.
        let server = config.listenPort > 0
            ? MonitoringServer(port: config.listenPort, versions: [("peregrine", "0.1.0"), ("wire", String(WireLayout.version))])
            : nil
        server?.start()
        let rules = try loadRules(config.rulesFiles)
        var context = EngineContext(hostname: hostName(), bootToEpochNs: BootClock.bootToEpochOffsetNs())
        let root = ProcScanner.hostRootFromEnvironment() ?? ""
        if let passwd = ProcScanner.readText(root + "/etc/passwd") { context.users = EngineContext.parseIDFile(passwd) }
        if let group = ProcScanner.readText(root + "/etc/group") { context.groups = EngineContext.parseIDFile(group) }
        let engine = Engine(rules: rules, context: context, matching: config.ruleMatching)

        var options = Probe.Options()
        options.syscalls = Self.syscalls(for: engine.neededEventTypes)
        options.ringBufferBytes = config.ringBufferBytes
        let probe = try openProbe(options)
        var pipeline = AlertPipeline(engine: engine, json: config.jsonOutput)
        let lookups = config.containerMetadata ? Self.startContainerMetadata(config, engine: engine, pipeline: &pipeline) : nil
        pipeline.seed(ProcScanner.scan())
        let metrics = server.map { AgentMetrics(server: $0) }
        server?.markReady()
        let stats = LiveLoop(probe: probe, deadline: Deadline(seconds: duration)).run(
            onRecord: { pipeline.handle(record: $0, number: nil) },
            onTick: {
                pipeline.tick()
                metrics?.publish(probe: probe, pipeline: pipeline)
                return pipeline.flush()
            }
        )
        pipeline.tick()
        metrics?.publish(probe: probe, pipeline: pipeline, force: true)
        _ = pipeline.flush()
        lookups?.stop()
        printError("\(pipeline.events) events, \(engine.alertsRaised) alerts; kernel lost \(stats.lost); malformed records \(pipeline.decoder.totalRejected)")
        if let c = pipeline.containers { printError(Self.containerSummary(c)) }
        probe.close()
    }

    /// Starts CRI lookups on their own task and gives the pipeline its container tracker.
    static func startContainerMetadata(_ config: AgentConfiguration, engine: Engine, pipeline: inout AlertPipeline) -> ContainerLookupService {
        let sockets = RuntimeSockets.paths(config.criSockets.isEmpty ? RuntimeSockets.defaults : config.criSockets,
                                           hostRoot: ProcScanner.hostRootFromEnvironment())
        let service = ContainerLookupService(sockets: sockets)
        var options = ContainerTracker.Options()
        options.timeoutNs = UInt64(config.containerMetadataTimeoutMs) * 1_000_000
        let needing = Set(engine.rules.rules.filter { $0.isEnabled && Engine.needsContainerMetadata($0) }.map(\.name))
        pipeline.containers = ContainerTracker(options: options, inbox: service.inbox, holdTypes: engine.eventTypesNeedingContainerMetadata,
                                               rulesNeedingMetadata: needing, request: service.request)
        service.start()
        return service
    }

    static func containerSummary(_ c: ContainerTracker) -> String {
        let n = c.counters
        return "containers: \(n.containersTracked) tracked, \(n.lookupsStarted) lookups, \(c.failures) CRI failures, "
            + "\(n.metadataUnavailable) without metadata, \(n.eventsHeld) events held (\(n.heldOverflow) over the bound), "
            + "\(n.alertsWithoutMetadata) alerts without metadata"
    }

    /// The syscalls behind the event types rules name (process lifecycle is always on).
    static func syscalls(for eventTypes: Set<String>) -> Set<SyscallID> {
        var out: Set<SyscallID> = []
        for id in SyscallID.allCases where eventTypes.contains(id.falcoName) { out.insert(id) }
        if eventTypes.contains("umount") { out.insert(.umount2) }
        return out
    }
}
