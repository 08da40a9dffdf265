#if canImport(Glibc)
import Glibc
#endif

/// Appends alert lines to a file. With `keepAlive` the file stays open between alerts
/// (reopened on SIGUSR1 for log rotation); without, it is opened and closed per alert.
public final class FileOutput: AlertOutput {
    public let name = "file"
    public let wantsJSON: Bool
    public let maxRetries = 0
    let path: String
    let keepAlive: Bool
    private var fd: Int32 = -1

    public init(path: String, keepAlive: Bool, json: Bool) {
        self.path = path
        self.keepAlive = keepAlive
        self.wantsJSON = json
    }

    public func deliver(_ line: String) -> Delivery {
        if fd < 0 {
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            if fd < 0 { return .unreachable("open \(path): errno \(errno)") }
        }
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                closeFile()
                // A partial line is already out; the retry writes the whole line again.
                return .unreachable("write \(path): errno \(code)")
            }
            offset += n
        }
        if !keepAlive { closeFile() }
        return .sent
    }

    public func reopen() { closeFile() }
    public func close() { closeFile() }

    private func closeFile() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }
}
