/// A capture file of either format, opened once. The format is told from the first bytes,
/// which are then given back rather than read again from a reopened path: so `replay
/// /dev/stdin` works from a pipe (`zcat x.scap.gz | peregrine replay /dev/stdin`).
public enum CaptureFile {
    case peregrine(CaptureReader)
    case scap(ScapReader)

    public static func open(path: String, scapOptions: ScapReader.Options = ScapReader.Options()) throws -> CaptureFile {
        let input = try FileInput(path: path)
        let prefix = try input.read(16)
        if CaptureReader.isCapture(prefix: prefix) {
            input.unread(prefix)
            return .peregrine(try CaptureReader(input: input))
        }
        // A regular file is read by ScapReader in chunks; a pipe cannot be reopened by path, so
        // what it holds is gathered here, under the size limit.
        if input.isRegularFile { return .scap(try ScapReader(path: path, options: scapOptions)) }
        let bytes = prefix + (try input.readToEnd(limit: max(0, scapOptions.maxDecompressedBytes - prefix.count)))
        return .scap(try ScapReader(bytes: bytes, fileName: path, options: scapOptions))
    }
}
