import ArgumentParser

/// The exit codes of shared/INTERFACE.md, by meaning.
enum ExitCodeError {
    /// Rule errors, failed test cases, unreadable input.
    static let badInput = ExitCode(1)
    /// The kernel probe cannot run here.
    static let probeUnavailable = ExitCode(3)
}
