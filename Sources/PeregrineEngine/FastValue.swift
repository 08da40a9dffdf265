import PeregrineEvents

/// A field's value for one event without heap allocation in the common cases: numbers and
/// flags inline, text either borrowed from the record (valid while the event is processed)
/// or a `String` shared with the process table (a retain, not a copy).
enum FastValue {
    case missing
    case int(Int64)
    case bool(Bool)
    case string(String)
    case record(UnsafeRawBufferPointer)
    /// Text computed for this event (a failed relative open's absolute path, say).
    case owned([UInt8])

    /// Runs `body` over the value's bytes if it is text.
    @inline(__always)
    func withText<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R? {
        switch self {
        case .record(let b): return body(b)
        case .owned(let a): return a.withUnsafeBytes(body)
        case .string(let s):
            // Borrowed in place when it can be (native and small strings): `withUTF8` is
            // mutating, and the copy it needs costs a retain and a release per test.
            if let r = s.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return r }
            var s = s
            return s.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        default: return nil
        }
    }
}
