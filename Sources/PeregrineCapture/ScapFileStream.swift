#if canImport(Glibc)
import Glibc
#endif

/// A plain `.scap` file read in chunks into one window that is reused, so replaying a capture
/// touches a few MiB of memory however large the file is. Reading a whole capture into fresh
/// memory cost more than translating it: on these VMs the first touch of each new page is
/// the dearest thing the replay does.
final class ScapFileStream {
    let path: String
    /// How much one refill asks for (a block larger than this is read whole all the same).
    let chunkBytes: Int
    private let fd: Int32
    private(set) var atEnd = false
    /// Bytes read from the file so far, and its size when opened (0: not known).
    private var position = 0
    private var sizeAtOpen = 0

    init(path: String, chunkBytes: Int) throws {
        self.path = path
        self.chunkBytes = max(chunkBytes, 1)
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw ScapError(file: path, offset: 0, code: .unreadable, message: "cannot open: \(String(cString: strerror(code)))")
        }
        sizeAtOpen = size
    }

    deinit { close(fd) }

    /// The file's size now (0 when it cannot be told).
    var size: Int {
        var info = stat()
        return fstat(fd, &info) == 0 && info.st_size > 0 ? Int(info.st_size) : 0
    }

    /// Drops `window[..<consumed]` and appends the file's next bytes until the window holds at
    /// least `needed` bytes (and a chunk's worth when there is that much), or the file ends.
    /// The window's storage is reused when nothing else holds it. Returns errno on a failed read.
    func refill(_ window: inout [UInt8], consumed: Int, needed: Int) -> Int32? {
        window.removeSubrange(0..<consumed)
        // No more than what is left of the file (as it was when opened, and a byte to see its
        // end): zero-filling a whole chunk cost a small capture more than reading it did.
        let left = sizeAtOpen > 0 ? max(sizeAtOpen - position, 0) + 1 : chunkBytes
        let target = max(needed, min(chunkBytes, left))
        while !atEnd && window.count < target {
            let have = window.count
            window.append(contentsOf: repeatElement(0, count: target - have))
            let n = window.withUnsafeMutableBytes { read(fd, $0.baseAddress! + have, target - have) }
            let code = errno
            window.removeLast(target - have - max(n, 0))
            position += max(n, 0)
            if n < 0 {
                if code == EINTR { continue }
                return code
            }
            if n == 0 { atEnd = true }
        }
        return nil
    }
}
