/// A capture file that cannot be read further: which file, where, and what was wrong.
public struct CaptureError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let offset: Int
    public let message: String

    public init(file: String, offset: Int, _ message: String) {
        self.file = file
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(file): at byte offset \(offset): \(message)" }
}
