/// Why a `.scap` file could not be read (further). Every error names the file, the byte
/// offset where the problem starts, and what was wrong. Offsets count bytes of the
/// uncompressed stream: for a gzip file, after inflation.
public struct ScapError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: String, Sendable {
        /// The file could not be opened or read.
        case unreadable
        /// The first block is not a section header, or its byte-order magic is wrong.
        case notScap
        /// A section header with a major version this reader does not know.
        case unsupportedVersion
        /// A block length below the minimum, past the end of the data, or over the cap.
        case badBlockLength
        /// A block's trailing length differs from its leading one.
        case trailerMismatch
        /// The data ends inside a block.
        case truncated
        /// A metadata block (process, fd, user list, ...) whose content does not parse.
        case malformedBlock
        /// An event whose header or parameter lengths do not fit its block.
        case malformedEvent
        /// The gzip stream is corrupt, truncated, or inflates past the size cap.
        case decompression
        /// A plain file larger than the size cap.
        case tooLarge
    }

    public let file: String
    /// Byte offset in the uncompressed stream.
    public let offset: Int
    public let code: Code
    public let message: String

    public init(file: String, offset: Int, code: Code, message: String) {
        self.file = file
        self.offset = offset
        self.code = code
        self.message = message
    }

    public var description: String {
        "\(file): byte \(offset) (uncompressed stream): \(message)"
    }
}

/// A parse failure before the file name is attached (the cursor and block parsers do not
/// know it); `ScapReader` turns it into a `ScapError`.
struct ScapFailure: Error {
    let offset: Int
    let code: ScapError.Code
    let message: String
}
