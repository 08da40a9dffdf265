/// One event of a `.scap` file: its header and where each parameter lies in the stream.
/// Parameters are read by index as the event table lays them out for `type`.
struct ScapEvent {
    /// sysdig's `evt.num`.
    let number: UInt64
    let timestamp: UInt64
    let tid: Int64
    let type: UInt16
    let bytes: [UInt8]
    let params: [Range<Int>]
    let bigEndian: Bool

    var count: Int { params.count }
    /// Exit events have odd type numbers.
    var isExit: Bool { type & 1 == 1 }

    func has(_ index: Int) -> Bool { index < params.count }

    /// An integer parameter, read at the width it was written with (1, 2, 4 or 8 bytes),
    /// sign-extended.
    func int(_ index: Int) -> Int64? {
        guard index < params.count else { return nil }
        let range = params[index]
        let value = ScapCursor.load(bytes, at: range.lowerBound, size: min(range.count, 8), bigEndian: bigEndian)
        switch range.count {
        case 1: return Int64(Int8(truncatingIfNeeded: value))
        case 2: return Int64(Int16(truncatingIfNeeded: value))
        case 4: return Int64(Int32(truncatingIfNeeded: value))
        case 8: return Int64(bitPattern: value)
        default: return nil
        }
    }

    /// An unsigned integer parameter (zero-extended).
    func uint(_ index: Int) -> UInt64? {
        guard index < params.count else { return nil }
        let range = params[index]
        guard [1, 2, 4, 8].contains(range.count) else { return nil }
        return ScapCursor.load(bytes, at: range.lowerBound, size: range.count, bigEndian: bigEndian)
    }

    /// A string parameter up to its first NUL (the driver writes them NUL-terminated).
    func text(_ index: Int) -> String? {
        withString(index) { String(decoding: $0, as: UTF8.self) }
    }

    /// `body` over the bytes of string parameter `index`, up to its first NUL; nil if absent.
    private func withString<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        guard index < params.count else { return nil }
        let range = params[index]
        return bytes.withUnsafeBufferPointer { all in
            let value = UnsafeBufferPointer(rebasing: all[range])
            return body(UnsafeBufferPointer(rebasing: value[..<(value.firstIndex(of: 0) ?? value.endIndex)]))
        }
    }

    /// The event with a copy of just its parameters' bytes: for keeping it (an entry waiting
    /// for its exit) past the reader's window, which is reused once no event holds it.
    func detached() -> ScapEvent {
        guard let first = params.first?.lowerBound, let last = params.last?.upperBound else {
            return ScapEvent(number: number, timestamp: timestamp, tid: tid, type: type, bytes: [], params: [], bigEndian: bigEndian)
        }
        return ScapEvent(number: number, timestamp: timestamp, tid: tid, type: type, bytes: Array(bytes[first..<last]),
                         params: params.map { ($0.lowerBound - first)..<($0.upperBound - first) }, bigEndian: bigEndian)
    }

    /// A parameter's bytes as they are (a NUL-separated list: argv, cgroups, env).
    func raw(_ index: Int) -> [UInt8] {
        guard index < params.count else { return [] }
        return Array(bytes[params[index]])
    }
}
