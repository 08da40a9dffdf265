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
    func string(_ index: Int) -> [UInt8]? {
        guard index < params.count else { return nil }
        let range = params[index]
        var end = range.lowerBound
        while end < range.upperBound && bytes[end] != 0 { end += 1 }
        return Array(bytes[range.lowerBound..<end])
    }

    func text(_ index: Int) -> String? {
        string(index).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A NUL-separated list (argv, cgroups, env).
    func list(_ index: Int) -> [String] {
        guard index < params.count else { return [] }
        let range = params[index]
        var out: [String] = []
        var start = range.lowerBound
        for i in range where bytes[i] == 0 {
            out.append(String(decoding: bytes[start..<i], as: UTF8.self))
            start = i + 1
        }
        if start < range.upperBound {
            out.append(String(decoding: bytes[start..<range.upperBound], as: UTF8.self))
        }
        return out
    }
}
