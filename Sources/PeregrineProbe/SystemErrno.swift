#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// errno as text: "EPERM (Operation not permitted)".
enum SystemErrno {
    static func describe(_ code: Int32) -> String {
        let positive = code < 0 ? -code : code
        let message = String(cString: strerror(positive))
        return "errno \(positive) (\(message))"
    }

    static var current: Int32 { errno }
}
