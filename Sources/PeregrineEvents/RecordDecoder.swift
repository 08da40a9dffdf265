/// Turns raw record bytes (from the ring buffer or a capture file) into `EventView`s.
///
/// Kernel data is input: every length and string reference is checked before a view is
/// handed out. A record that fails a check is not an error to throw on the per-event path:
/// it is counted under its reason in `rejected`, and `decode` returns nil.
public struct RecordDecoder {
    /// Why a record was rejected.
    public enum Rejection: Int, CaseIterable, Sendable {
        case shorterThanHeader
        case sizeMismatch
        case unknownKind
        case shorterThanBody
        case stringOutOfBounds
        case syscallKindMismatch

        public var label: String {
            switch self {
            case .shorterThanHeader: return "shorter_than_header"
            case .sizeMismatch: return "size_mismatch"
            case .unknownKind: return "unknown_kind"
            case .shorterThanBody: return "shorter_than_body"
            case .stringOutOfBounds: return "string_out_of_bounds"
            case .syscallKindMismatch: return "syscall_kind_mismatch"
            }
        }
    }

    public private(set) var accepted: UInt64 = 0
    /// Rejections by reason, indexed by `Rejection.rawValue`.
    public private(set) var rejected = [UInt64](repeating: 0, count: Rejection.allCases.count)

    public init() {}

    public var totalRejected: UInt64 { rejected.reduce(0, +) }

    public func rejected(_ reason: Rejection) -> UInt64 { rejected[reason.rawValue] }

    public mutating func decode(_ bytes: UnsafeRawBufferPointer) -> EventView? {
        switch Self.check(bytes) {
        case .success(let kind, let size):
            accepted &+= 1
            return EventView(validated: UnsafeRawBufferPointer(rebasing: bytes[0..<size]), kind: kind)
        case .failure(let reason):
            rejected[reason.rawValue] &+= 1
            return nil
        }
    }

    enum Verdict { case success(EventKind, Int), failure(Rejection) }

    static func check(_ bytes: UnsafeRawBufferPointer) -> Verdict {
        guard bytes.count >= WireLayout.Header.byteCount else { return .failure(.shorterThanHeader) }
        let size = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: WireLayout.Header.size, as: UInt32.self)))
        // The ring buffer rounds slots up to 8 bytes; a record never claims more than it has.
        guard size >= WireLayout.Header.byteCount, size <= bytes.count, bytes.count - size < 8 else {
            return .failure(.sizeMismatch)
        }
        let rawKind = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: WireLayout.Header.kind, as: UInt16.self))
        guard let kind = EventKind(rawValue: rawKind) else { return .failure(.unknownKind) }
        let fixed = WireLayout.fixedSize(of: kind)
        guard size >= fixed else { return .failure(.shorterThanBody) }
        let rawSyscall = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: WireLayout.Header.syscall, as: UInt16.self))
        guard let syscall = SyscallID(rawValue: rawSyscall) else { return .failure(.syscallKindMismatch) }
        if syscall != .none && syscall.kind != kind { return .failure(.syscallKindMismatch) }
        let stringsInBounds = WireLayout.allStringFields(of: kind) { field in
            let off = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: field, as: UInt16.self)))
            let len = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: field + 2, as: UInt16.self)))
            return len == 0 || (off >= fixed && off + len <= size)
        }
        guard stringsInBounds else { return .failure(.stringOutOfBounds) }
        return .success(kind, size)
    }
}
