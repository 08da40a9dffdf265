#if canImport(Glibc)
import Glibc
#endif
import PeregrineCapture
import PeregrineEvents

/// A capture file of either format, read the same way: an initial process table, then
/// records in the probe's wire layout with their event numbers. What differs is only where
/// the bytes come from.
struct ReplaySource {
    let path: String

    struct Info {
        var bootToEpochNs: Int64
        var hostname: String?
        var users: [UInt32: String] = [:]
        var groups: [UInt32: String] = [:]
    }

    /// Reads the whole file: `start` once with what the file says about itself (before any
    /// record), `processes` with initial state, `record` per event. Throws the first damage
    /// after delivering everything before it; returns notes for the operator.
    func read(start: (Info) -> Void, processes: ([ProcessInfo]) -> Void,
              record: (UInt64, UnsafeRawBufferPointer) -> Void) throws -> [String] {
        switch try CaptureFile.open(path: path) {
        case .peregrine(let reader):
            start(Info(bootToEpochNs: reader.header.bootToEpochNs,
                       hostname: reader.header.metadata.first { $0.0 == "hostname" }?.1))
            let summary = try reader.read(processes: processes, record: record)
            guard summary.closedCleanly else {
                return ["\(path): the capture has no end block (the writer was stopped abruptly); read \(summary.records) events up to the last complete block"]
            }
            // Alerts a replay cannot raise: say so, with where the events went.
            guard summary.missing > 0 else { return [] }
            return ["\(path): \(summary.missing) events that happened while it was recorded are not in the capture: "
                + "the kernel dropped \(summary.kernelLost) (ring buffer full) and the writer \(summary.writerDropped) (it fell behind or its file failed)"]
        case .scap(var reader):
            return try readScap(&reader, start: start, processes: processes, record: record)
        }
    }

    private func readScap(_ reader: inout ScapReader, start: (Info) -> Void, processes: ([ProcessInfo]) -> Void,
                          record: (UInt64, UnsafeRawBufferPointer) -> Void) throws -> [String] {
        start(Info(bootToEpochNs: reader.bootToEpochNs, hostname: reader.machine?.hostname, users: reader.users, groups: reader.groups))
        processes(reader.initialProcesses)
        while let item = try reader.next() {
            item.record.withUnsafeBytes { record(item.number, $0) }
        }
        let skipped = reader.skippedEvents.values.reduce(0, +)
        var warnings = skipped > 0 ? ["\(path): \(skipped) events of types Peregrine does not model were skipped"] : []
        warnings += reader.stateOverflows.map { "\(path): \($0)" }
        return warnings
    }
}
