/// The section header block: byte-order magic, format version, section length.
public struct ScapSectionHeader: Sendable, Equatable {
    public static let magic: UInt32 = 0x1A2B_3C4D
    /// The only major version of the format there is; a larger one is refused.
    public static let supportedMajor: UInt16 = 1

    /// The section is written big-endian (the magic reads byte-swapped as little-endian).
    public var bigEndian: Bool
    public var major: UInt16
    public var minor: UInt16
    /// -1 when unspecified.
    public var sectionLength: Int64
}
