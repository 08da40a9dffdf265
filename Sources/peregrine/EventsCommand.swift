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
        var table = ProcessTable()
        for info in ProcScanner.scan() { table.insert(info) }

        var decoder = RecordDecoder()
        var json = EventJSON(bootToEpochNs: BootClock.bootToEpochOffsetNs())
        var out = OutputStream(fd: 1)
        var number: UInt64 = 0
        let deadline = Deadline(seconds: duration)

        let handle: (UnsafeRawBufferPointer) -> Void = { bytes in
            guard let event = decoder.decode(bytes) else { return }
            number += 1
            // An exit is shown with the process it ends; everything else after the table
            // has taken it in (an exec with its new image).
            if event.kind == .exit {
                out.write(json.render(event, number: number, processes: table))
                table.apply(event)
            } else {
                table.apply(event)
                out.write(json.render(event, number: number, processes: table))
            }
        }
        while !StopSignal.isRequested && !deadline.passed && !out.failed {
            probe.poll(timeoutMs: 50, handle)
            out.flush()
        }
        probe.detach()
        while probe.drain(handle) > 0 {}
        out.flush()
        let stats = probe.stats()
        printError("\(number) events; kernel lost \(stats.lost) (ring buffer full \(stats.lostRingBuffer)); malformed records \(decoder.totalRejected); process table \(table.count) (overflow \(table.overflows))")
        probe.close()
    }
}

/// Opens and attaches the probe, or exits 3 naming what is missing.
func openProbe(_ options: Probe.Options) throws -> Probe {
    do {
        let probe = try Probe(options: options)
        try probe.attach()
        return probe
    } catch {
        printError("the kernel probe cannot run here: \(error)")
        throw ExitCode(3)
    }
}
