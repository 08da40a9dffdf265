/// Linux errno names (generic numbering, shared by x86-64 and arm64), for `evt.res`.
public enum ErrnoName {
    private static let names: [String] = [
        "0", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
        "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
        "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
        "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP",
    ]

    private static let more: [Int: String] = [
        61: "ENODATA", 75: "EOVERFLOW", 95: "EOPNOTSUPP", 110: "ETIMEDOUT", 116: "ESTALE", 122: "EDQUOT",
        125: "ECANCELED", 126: "ENOKEY", 127: "EKEYEXPIRED",
    ]

    /// "ENOENT" for 2; "E<n>" for numbers without a name.
    public static func name(_ errno: Int) -> String {
        if errno >= 0 && errno < names.count { return names[errno] }
        return more[errno] ?? "E\(errno)"
    }
}
