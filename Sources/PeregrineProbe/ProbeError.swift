/// Why the kernel probe cannot run here, in words a node operator can act on.
/// The CLI maps every case to exit code 3.
public enum ProbeError: Error, CustomStringConvertible, Sendable {
    case missingPrivileges(missing: [String])
    case missingBTF(path: String)
    case step(String, errno: Int32, detail: String)

    public var description: String {
        switch self {
        case .missingPrivileges(let missing):
            return "the kernel probe needs root or the capabilities \(missing.joined(separator: ", ")); run as root or grant them (DaemonSet securityContext.capabilities.add)"
        case .missingBTF(let path):
            return "the kernel has no BTF type information at \(path): build it with CONFIG_DEBUG_INFO_BTF=y (every major distribution kernel since 2021 has it)"
        case .step(let step, let errno, let detail):
            var text = "\(step) failed: \(SystemErrno.describe(errno))"
            if !detail.isEmpty { text += "\n" + detail }
            return text
        }
    }
}
