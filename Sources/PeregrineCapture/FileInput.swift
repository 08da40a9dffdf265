#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Sequential reads from a file, for streaming capture blocks with bounded memory.
final class FileInput {
    private let fd: Int32
    let path: String
    private(set) var offset = 0

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CaptureError(file: path, offset: 0, "cannot open: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Reads exactly `count` bytes; returns fewer only at the end of the file.
    func read(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + got, count - got) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CaptureError(file: path, offset: offset + got, "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            got += n
        }
        offset += got
        if got < count { out.removeLast(count - got) }
        return out
    }
}
