import PeregrineEvents
import PeregrineProbe

/// The consumer loop every live command shares: poll the probe until --duration passes or a
/// stop signal arrives, then detach, drain what is queued, and return the kernel counters.
struct LiveLoop {
    let probe: Probe
    let deadline: Deadline
    /// How long a poll may wait when the ring buffer is quiet (the latency bound for
    /// records, since the probe does not wake the consumer per record).
    var pollTimeoutMs: Int32 = 50

    func run(onRecord: (UnsafeRawBufferPointer) -> Void, onTick: () -> Bool = { true }) -> Probe.Stats {
        while !StopSignal.isRequested && !deadline.passed {
            probe.poll(timeoutMs: pollTimeoutMs, onRecord)
            if !onTick() { break }
        }
        probe.detach()
        while probe.drain(onRecord) > 0 {}
        return probe.stats()
    }
}

/// Opens and attaches the probe, or exits 3 naming what is missing.
func openProbe(_ options: Probe.Options) throws -> Probe {
    do {
        let probe = try Probe(options: options)
        try probe.attach()
        if probe.loadedVariant == .compat {
            printError(options.variant == .compat
                ? "probe: running the compat BPF object, as PEREGRINE_PROBE asks"
                : "probe: running the compat BPF object: this kernel refused the fast one (it needs Linux >= 6.16); each record costs more")
        }
        return probe
    } catch {
        printError("the kernel probe cannot run here: \(error)")
        throw ExitCodeError.probeUnavailable
    }
}
