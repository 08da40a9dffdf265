import ArgumentParser
import PeregrineEvents
import PeregrineProbe

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print live decoded kernel events, one JSON object per line, without rules.",
        discussion: "Needs root, or CAP_BPF and CAP_PERFMON. Exits 3 when the kernel probe cannot run here."
    )

    @Option(help: "Stop cleanly after this many seconds.")
    var duration: Double?

    func run() throws {
        StopSignal.install()
        let probe = try openProbe(Probe.Options())
        var printer = EventPrinter(bootToEpochNs: BootClock.bootToEpochOffsetNs())
        printer.seed(ProcScanner.scan())
        let stats = LiveLoop(probe: probe, deadline: Deadline(seconds: duration)).run(
            onRecord: { printer.print(record: $0, number: nil) },
            onTick: { printer.flush() }
        )
        _ = printer.flush()
        printError("\(printer.count) events; kernel lost \(stats.lost) (ring buffer full \(stats.lostRingBuffer)); malformed records \(printer.decoder.totalRejected); process table \(printer.table.count) (overflow \(printer.table.overflows))")
        probe.close()
    }
}

/// Decodes records, keeps the process table, and prints each event as a JSON line: the
/// path shared by `events` (live) and `replay --events` (files).
struct EventPrinter {
    var decoder = RecordDecoder()
    var table = ProcessTable()
    var json: EventJSON
    var out = OutputStream(fd: 1)
    private(set) var count: UInt64 = 0

    init(bootToEpochNs: Int64) {
        json = EventJSON(bootToEpochNs: bootToEpochNs)
    }

    mutating func seed(_ processes: [ProcessInfo]) {
        for p in processes { table.insert(p) }
    }

    /// `number` is the event's number in its file; live events are numbered as they come.
    mutating func print(record bytes: UnsafeRawBufferPointer, number: UInt64?) {
        guard let event = decoder.decode(bytes) else { return }
        count += 1
        let n = number ?? count
        // An exit is shown with the process it ends; everything else after the table has
        // taken it in (an exec with its new image).
        if event.kind == .exit {
            out.write(json.render(event, number: n, processes: table))
            table.apply(event)
        } else {
            table.apply(event)
            out.write(json.render(event, number: n, processes: table))
        }
    }

    /// Returns false once stdout is gone (a closed pipe): nothing more to do.
    mutating func flush() -> Bool {
        out.flush()
        return !out.failed
    }
}
