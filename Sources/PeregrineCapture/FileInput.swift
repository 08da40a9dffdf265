#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Sequential reads from a file, for streaming capture blocks with bounded memory. Works on
/// pipes too: bytes read to tell formats apart can be given back (`unread`) instead of read
/// again from a reopened path, which a pipe cannot do.
final class FileInput {
    private let fd: Int32
    let path: String
    private(set) var offset = 0
    /// Bytes given back by `unread`, served before the file's.
    private var pending: [UInt8] = []

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CaptureError(file: path, offset: 0, "cannot open: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Gives back the bytes just read: the next reads return them first.
    func unread(_ bytes: [UInt8]) {
        pending = bytes + pending
        offset -= bytes.count
    }

    /// Whether the input is a regular file (which can be opened again), not a pipe or device.
    var isRegularFile: Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Everything left, refusing more than `limit` bytes.
    func readToEnd(limit: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let chunk = try read(1 << 16)
            if chunk.isEmpty { return out }
            guard out.count + chunk.count <= limit else {
                throw CaptureError(file: path, offset: limit, "input is larger than the limit of \(limit) bytes")
            }
            out += chunk
        }
    }

    /// Reads exactly `count` bytes; returns fewer only at the end of the file.
    func read(_ count: Int) throws -> [UInt8] {
        if !pending.isEmpty {
            let taken = Array(pending.prefix(count))
            pending.removeFirst(taken.count)
            offset += taken.count
            return taken.count == count ? taken : taken + (try read(count - taken.count))
        }
        // Read straight into the array's storage: zero-filling it first cost ~30 instructions
        // per replayed event (callgrind, `scripts/bench-replay`).
        let out = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var got = 0
            while got < count {
                let n = Glibc.read(fd, buffer.baseAddress! + got, count - got)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CaptureError(file: path, offset: offset + got, "read failed: \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
                got += n
            }
            initialized = got
        }
        offset += out.count
        return out
    }
}
