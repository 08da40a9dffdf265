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
        if try isPeregrineCapture() {
            let reader = try CaptureReader(path: path)
            start(Info(bootToEpochNs: reader.header.bootToEpochNs,
                       hostname: reader.header.metadata.first { $0.0 == "hostname" }?.1))
            let summary = try reader.read(processes: processes, record: record)
            return summary.closedCleanly ? [] : ["\(path): the capture has no end block (the writer was stopped abruptly); read \(summary.records) events up to the last complete block"]
        }
        var reader = try ScapReader(path: path)
        start(Info(bootToEpochNs: reader.bootToEpochNs, hostname: reader.machine?.hostname, users: reader.users, groups: reader.groups))
        processes(reader.initialProcesses)
        while let item = try reader.next() {
            item.record.withUnsafeBytes { record(item.number, $0) }
        }
        let skipped = reader.skippedEvents.values.reduce(0, +)
        return skipped > 0 ? ["\(path): \(skipped) events of types Peregrine does not model were skipped"] : []
    }

    private func isPeregrineCapture() throws -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CaptureError(file: path, offset: 0, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var prefix = [UInt8](repeating: 0, count: 16)
        let n = Glibc.read(fd, &prefix, 16)
        return n == 16 && CaptureReader.isCapture(prefix: prefix)
    }
}
