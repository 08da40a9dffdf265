#if canImport(Glibc)
import Glibc
#endif
import PeregrineContainers
import PeregrineEngine
import PeregrineEvents
import PeregrineOutputs
import PeregrineProbe
import PeregrineRules

/// Decode → process table → engine → alerts to stdout and the outputs: shared by `run`
/// (live) and `replay`.
struct AlertPipeline {
    var decoder = RecordDecoder()
    var table = ProcessTable()
    /// Replaced between records when rules are reloaded (SIGHUP).
    var engine: Engine
    var json: Bool
    var out = OutputStream(fd: 1)
    /// `stdout_output.enabled`
    var stdoutEnabled = true
    /// File and webhook outputs: alerts are queued there, never waited on.
    var outputs: OutputHub?
    private(set) var events: UInt64 = 0
    /// Container metadata (live runs): see `ContainerTracker` for what waits and why.
    var containers: ContainerTracker?
    private var heldDecoder = RecordDecoder()

    init(engine: Engine, json: Bool) {
        self.engine = engine
        self.json = json
    }

    mutating func seed(_ processes: [ProcessInfo]) {
        for p in processes {
            table.insert(p)
            containers?.attach(table.entry(p.pid))
        }
    }

    mutating func handle(record bytes: UnsafeRawBufferPointer, number: UInt64?) {
        guard let event = decoder.decode(bytes) else { return }
        events += 1
        let n = number ?? events
        // The exit's rules see the process it ends; everything else sees the table after
        // the event (an exec with its new image, a fork's child).
        if event.kind != .exit { table.apply(event) }
        // Events that need a pending container's metadata wait (copied) instead of matching now.
        if let containers, containers.observe(event, bytes: bytes, number: n, table: table) {
            if event.kind == .exit { table.apply(event) }
            return
        }
        match(event, number: n, processes: table)
        if event.kind == .exit { table.apply(event) }
    }

    private mutating func match(_ event: EventView, number: UInt64, processes: ProcessTable) {
        // The engine's callback only collects (an empty array allocates nothing): one that
        // wrote to `out` would capture `self`, and the table passed beside it would then be
        // copied, a retain and a release per event.
        var raised: [Alert] = []
        engine.process(event, number: number, processes: processes) { raised.append($0) }
        if raised.isEmpty { return }
        let handle = containers == nil ? nil : processes.entry(event.pid)?.container
        for var alert in raised {
            containers?.markAlert(&alert, container: handle)
            if stdoutEnabled { out.write(json ? alert.jsonLine + "\n" : alert.textLine + "\n") }
            outputs?.publish(alert)
        }
    }

    /// An alert that no rule raised (the internal event-drop alert) goes to every output.
    mutating func emit(_ alert: Alert) {
        if stdoutEnabled { out.write(json ? alert.jsonLine + "\n" : alert.textLine + "\n") }
        outputs?.publish(alert)
    }

    /// Releases held events whose metadata arrived or whose wait is over; on every tick.
    mutating func tick() {
        guard let containers else { return }
        let now = ContainerTracker.monotonicNs()
        var released: [ContainerTracker.HeldEvent] = []
        containers.poll(nowNs: now) { released.append($0) }
        for held in released {
            held.bytes.withUnsafeBytes { bytes in
                guard let event = heldDecoder.decode(bytes) else { return }
                match(event, number: held.number, processes: held.processes)
            }
        }
        containers.sweep(table: table, nowNs: now)
    }

    mutating func flush() -> Bool {
        out.flush()
        return !out.failed
    }
}

/// Loads rules for a command, printing diagnostics; exits 1 on rule errors.
func loadRules(_ paths: [String]) throws -> RuleSet {
    let result: RuleLoader.Result
    do {
        result = try RulePaths.load(paths)
    } catch {
        printError("\(error)")
        throw ExitCodeError.badInput
    }
    for d in result.errors { printError("\(d)") }
    if result.hasErrors { throw ExitCodeError.badInput }
    return result.ruleSet
}

/// The name alerts carry in `hostname`: `PEREGRINE_HOSTNAME` (the DaemonSet sets it to the
/// node's name), else the host's /etc/hostname under HOST_ROOT, else this system's hostname.
func hostName() -> String {
    if let name = getenv("PEREGRINE_HOSTNAME"), name.pointee != 0 { return String(cString: name) }
    if let root = ProcScanner.hostRootFromEnvironment(),
       let text = ProcScanner.readText(root + "/etc/hostname"),
       let line = text.split(separator: "\n").first, !line.isEmpty {
        return String(line)
    }
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, 255)
    return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
