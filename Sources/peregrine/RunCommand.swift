#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import PeregrineContainers
import PeregrineEngine
import PeregrineEvents
import PeregrineOutputs
import PeregrineProbe
import PeregrineRules
import PeregrineService

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The live agent: kernel probe → process state → rules → alerts on stdout.",
        discussion: "Needs root, or CAP_BPF and CAP_PERFMON (exit 3 otherwise). The probe reports only the syscalls the loaded rules need. SIGHUP reloads configuration and rules (a broken rule file keeps the old ones); SIGUSR1 reopens output files; SIGTERM stops within 5 s."
    )

    @Option(name: .short, help: "Rule file or folder (repeatable); `default` names the built-in rules.")
    var r: [String] = []

    @Option(name: .short, help: "Configuration file (default /etc/peregrine/peregrine.yaml, if it exists).")
    var c: String?

    @Option(name: .short, help: "Override a configuration key: key=value (json_output, rule_matching, rules_files, cri.sockets, ring_buffer_bytes, webserver.listen_port, stdout_output.*, file_output.*, http_output.*, outputs_queue.*, syscall_event_drops.*).")
    var o: [String] = []

    @Flag(help: "Alerts as JSON lines (same as -o json_output=true).")
    var json = false

    @Option(help: "Stop cleanly after this many seconds.")
    var duration: Double?

    @Option(help: ArgumentHelp("Also record every event the agent receives into this capture file (as `peregrine capture -w`); a disk that falls behind costs capture blocks, counted, never detection.", valueName: "file"))
    var capture: String?

    @Option(help: "Compression level of --capture: 0 (stored) to 12, default 1 (see `peregrine capture --level`).")
    var captureLevel: Int32 = 1

    @Option(name: .customLong("capture-max-mb"), help: "Rotate --capture: once the file reaches this many MiB it becomes FILE.1 (FILE.1 becomes FILE.2, ...) and a new FILE starts, so the agent keeps its latest events in bounded disk (0: one file, no limit).")
    var captureMaxMiB: UInt64 = 256

    @Option(help: "Files --capture keeps when it rotates, the one being written included.")
    var captureFiles = 4

    func validate() throws {
        guard (0...12).contains(captureLevel) else { throw ValidationError("--capture-level must be 0 to 12, not \(captureLevel)") }
        try CaptureCommand.validateRotation(maxMiB: captureMaxMiB, files: captureFiles, names: ("--capture-max-mb", "--capture-files"))
        if capture == nil && (captureLevel != 1 || captureMaxMiB != 256 || captureFiles != 4) {
            throw ValidationError("--capture-level, --capture-max-mb and --capture-files need --capture FILE")
        }
    }

    /// File, then -o overrides, then flags; any problem stops the agent before it starts.
    func configuration() throws -> AgentConfiguration {
        do {
            return try readConfiguration()
        } catch {
            printError("configuration: \(error)")
            throw ExitCodeError.badInput
        }
    }

    /// The same, throwing the problem (SIGHUP reports it and keeps running).
    func readConfiguration() throws -> AgentConfiguration {
        var config = AgentConfiguration()
        let path = c ?? AgentConfiguration.defaultPath
        if let text = ProcScanner.readText(path) {
            try config.apply(yaml: text, source: path)
        } else if c != nil {
            throw AgentConfiguration.Problem(source: path, key: "(file)", reason: "cannot be read")
        }
        for item in o { try config.apply(override: item) }
        if json { config.jsonOutput = true }
        if !r.isEmpty { config.rulesFiles = r }
        try config.validate()
        return config
    }

    func run() throws {
        let config = try configuration()
        if let path = capture { try CaptureCommand.checkWritable(path) }
        StopSignal.install(reloadAndReopen: true)
        let outputs: OutputHub
        do {
            outputs = try OutputHub(settings: config.outputs, json: config.jsonOutput, log: { printError($0) })
        } catch {
            printError("configuration: \(error)")
            throw ExitCodeError.badInput
        }
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
        pipeline.stdoutEnabled = config.stdoutOutput
        pipeline.outputs = outputs.isEmpty ? nil : outputs
        let lookups = config.containerMetadata ? Self.startContainerMetadata(config, engine: engine, pipeline: &pipeline) : nil
        pipeline.seed(ProcScanner.scan())
        // Each capture file starts with the process table as the agent has it then (records
        // reach the capture after the table, so the snapshot and the file's first record agree).
        let capture = try self.capture.map {
            try CaptureCommand.openCapture($0, level: captureLevel, bootToEpochNs: context.bootToEpochNs,
                                           rotation: CaptureCommand.rotation(maxMiB: captureMaxMiB, files: captureFiles),
                                           probe: probe, processes: { pipeline.table.processes })
        }
        let metrics = server.map { AgentMetrics(server: $0) }
        let outputMetrics = server.map { OutputMetrics(server: $0) }
        server?.markReady()
        printError(Self.startSummary(engine: engine, probe: probe, syscalls: options.syscalls))

        var running = config
        var hub = outputs
        var drops = EventDropMonitor(settings: config.eventDrops)
        var dropAlerts: UInt64 = 0
        /// Alerts raised by engines that reloads replaced.
        var retiredAlerts: UInt64 = 0
        var lastDropCheck = Deadline.nowNs()
        var captureFailureLogged = false
        let reloader = RuleReloader()
        let command = self
        let stats = LiveLoop(probe: probe, deadline: Deadline(seconds: duration)).run(
            onRecord: {
                pipeline.handle(record: $0, number: nil)
                capture?.append($0)
            },
            onTick: {
                pipeline.tick()
                capture?.tick(nowNs: Deadline.nowNs())
                if StopSignal.takeReopen() { hub.reopen() }
                if StopSignal.takeReload() {
                    let current = running, context = pipeline.engine.context
                    reloader.start { try command.reloaded(from: current, context: context) }
                }
                if let next = reloader.take() {
                    metrics?.publish(probe: probe, pipeline: pipeline, force: true)
                    retiredAlerts += pipeline.engine.alertsRaised
                    Self.apply(next, probe: probe, pipeline: &pipeline, hub: &hub)
                    metrics?.engineReplaced()
                    drops.reconfigure(next.config.eventDrops)
                    running = next.config
                }
                let now = Deadline.nowNs()
                if now - lastDropCheck >= 1_000_000_000 {
                    lastDropCheck = now
                    let s = probe.stats()
                    if let report = drops.check(nowNs: now, attempted: s.attempted, kernelLost: s.lost,
                                                userDropped: pipeline.decoder.totalRejected) {
                        if report.log { printError(report.message) }
                        if report.alert {
                            dropAlerts += 1
                            pipeline.emit(EventDropMonitor.alert(report, timeNs: Self.epochNs(), hostname: pipeline.engine.context.hostname))
                        }
                    }
                    let captureCounters = capture?.counters
                    if let failure = captureCounters?.failure, !captureFailureLogged {
                        // Detection goes on; the capture counts what it can no longer write.
                        printError("capture stopped: \(failure); the agent goes on without it")
                        captureFailureLogged = true
                    }
                    outputMetrics?.publish(outputs: hub.counters, reloads: reloader.snapshot, dropAlerts: dropAlerts,
                                           capture: captureCounters)
                }
                metrics?.publish(probe: probe, pipeline: pipeline)
                return pipeline.flush()
            }
        )
        pipeline.tick()
        metrics?.publish(probe: probe, pipeline: pipeline, force: true)
        _ = pipeline.flush()
        // SIGTERM must be done within 5 s: outputs get at most 3 s to deliver what is queued.
        for (name, left) in hub.shutdown(timeoutNs: 3_000_000_000) where left > 0 {
            printError("output \(name): \(left) queued alerts not delivered at shutdown")
        }
        // The capture gets what is left of the 5 s after the outputs' 3 s.
        let captured = capture?.finish(timeoutNs: 1_500_000_000)
        outputMetrics?.publish(outputs: hub.counters, reloads: reloader.snapshot, dropAlerts: dropAlerts, capture: captured)
        lookups?.stop()
        printError("\(pipeline.events) events, \(retiredAlerts + pipeline.engine.alertsRaised) alerts; kernel lost \(stats.lost); malformed records \(pipeline.decoder.totalRejected)")
        if let c = pipeline.containers { printError(Self.containerSummary(c)) }
        if let path = self.capture, let c = captured {
            printError((c.failure.map { "capture failed: \($0); " } ?? "capture \(path): ") + CaptureCommand.summary(c, kernelLost: stats.lost))
        }
        probe.close()
    }

    /// Reload thread: configuration and rules read and compiled anew; outputs rebuilt only
    /// when their settings changed. Throws (keeping everything running) on any problem.
    func reloaded(from current: AgentConfiguration, context: EngineContext) throws -> RuleReloader.Result {
        let config = try readConfiguration()
        for key in ["ring_buffer_bytes", "webserver.listen_port", "cri.sockets", "container_metadata.enabled",
                    "container_metadata.timeout_ms"] where config.differs(from: current, in: key) {
            printError("reload: \(key) changes only at restart")
        }
        let result: RuleLoader.Result
        do {
            result = try RulePaths.load(config.rulesFiles)
        } catch {
            throw ReloadError(description: "\(error)")
        }
        if result.hasErrors {
            throw ReloadError(description: "rule errors:\n" + result.errors.map { "  \($0)" }.joined(separator: "\n"))
        }
        let engine = Engine(rules: result.ruleSet, context: context, matching: config.ruleMatching)
        var outputs: OutputHub? = nil
        if config.outputs != current.outputs || config.jsonOutput != current.jsonOutput {
            outputs = try OutputHub(settings: config.outputs, json: config.jsonOutput, log: { printError($0) })
        }
        return RuleReloader.Result(config: config, engine: engine, outputs: outputs)
    }

    /// Consumer thread, between two records: widen the probe's syscalls first, then swap.
    static func apply(_ next: RuleReloader.Result, probe: Probe, pipeline: inout AlertPipeline, hub: inout OutputHub) {
        do {
            try probe.select(syscalls(for: next.engine.neededEventTypes))
        } catch {
            printError("reload: the probe's syscall selection was not changed: \(error)")
        }
        pipeline.engine = next.engine
        pipeline.containers?.reconfigure(holdTypes: next.engine.eventTypesNeedingContainerMetadata,
                                         rulesNeedingMetadata: rulesNeedingMetadata(next.engine))
        printError("reload: \(next.engine.rules.rules.count) rules loaded")
        pipeline.json = next.config.jsonOutput
        pipeline.stdoutEnabled = next.config.stdoutOutput
        if let fresh = next.outputs {
            let old = hub
            hub = fresh
            pipeline.outputs = fresh.isEmpty ? nil : fresh
            let thread = Thread { old.shutdown(timeoutNs: 5_000_000_000) }
            thread.start()
        }
    }

    static func epochNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Starts CRI lookups on their own task and gives the pipeline its container tracker.
    static func startContainerMetadata(_ config: AgentConfiguration, engine: Engine, pipeline: inout AlertPipeline) -> ContainerLookupService {
        let sockets = RuntimeSockets.paths(config.criSockets.isEmpty ? RuntimeSockets.defaults : config.criSockets,
                                           hostRoot: ProcScanner.hostRootFromEnvironment())
        let service = ContainerLookupService(sockets: sockets)
        var options = ContainerTracker.Options()
        options.timeoutNs = UInt64(config.containerMetadataTimeoutMs) * 1_000_000
        let needing = rulesNeedingMetadata(engine)
        pipeline.containers = ContainerTracker(options: options, inbox: service.inbox, holdTypes: engine.eventTypesNeedingContainerMetadata,
                                               rulesNeedingMetadata: needing, request: service.request)
        service.start()
        return service
    }

    /// Enabled rules whose alerts need container metadata (they get the marker without it).
    static func rulesNeedingMetadata(_ engine: Engine) -> Set<String> {
        Set(engine.rules.rules.filter { $0.isEnabled && Engine.needsContainerMetadata($0) }.map(\.name))
    }

    static func containerSummary(_ c: ContainerTracker) -> String {
        let n = c.counters
        return "containers: \(n.containersTracked) tracked, \(n.lookupsStarted) lookups, \(c.failures) CRI failures, "
            + "\(n.metadataUnavailable) without metadata, \(n.eventsHeld) events held (\(n.heldOverflow) over the bound), "
            + "\(n.alertsWithoutMetadata) alerts without metadata"
    }

    /// The syscalls behind the event types rules name (process lifecycle is always on).
    /// What an operator needs to know the agent watches what they meant: how many rules run,
    /// which probe, and which syscalls cost every process something.
    static func startSummary(engine: Engine, probe: Probe, syscalls: Set<SyscallID>) -> String {
        let enabled = engine.rules.enabledRules.count
        let names = syscalls.map(\.falcoName).sorted()
        let traced = probe.sysExitAttached
            ? "process lifecycle, and \(names.joined(separator: ", ")) on the sys_exit tracepoint (which every syscall passes)"
            : "process lifecycle only (no syscall tracepoint)"
        return "watching: \(enabled) of \(engine.rules.rules.count) rules enabled; \(probe.loadedVariant.rawValue) probe; \(traced)"
    }

    static func syscalls(for eventTypes: Set<String>) -> Set<SyscallID> {
        var out: Set<SyscallID> = []
        for id in SyscallID.allCases where eventTypes.contains(id.falcoName) { out.insert(id) }
        if eventTypes.contains("umount") { out.insert(.umount2) }
        return out
    }
}
