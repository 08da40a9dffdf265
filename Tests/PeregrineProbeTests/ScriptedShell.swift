#if canImport(Glibc)
import Glibc
#endif
import Testing

/// A child `sh -c SCRIPT` for tests that trace one process alone (`Probe.Options.onlyPid`)
/// and count its records exactly. The script reads the test's lines on its stdin and reports
/// to the test on its stderr. Scripts start with `exec 3>&2 2>/dev/null; echo ready >&3`:
/// stderr then goes to /dev/null, and reports go to fd 3, so that the shell's own start-up
/// (the loader's opens, the redirections) is over before the test attaches the probe.
struct ScriptedShell {
    let pid: pid_t
    /// Write end of the script's stdin, and read end of its reports.
    private let control: Int32
    private let report: Int32

    /// Spawns the script and waits for its first report ("ready").
    init(_ script: String) {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        #expect(pipe(&toChild) == 0 && pipe(&fromChild) == 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 2)
        let words: [String] = ["sh", "-c", script]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        #expect(posix_spawn(&child, "/bin/sh", &actions, nil, &argv, environ) == 0)
        close(toChild[0])
        close(fromChild[1])
        pid = child
        control = toChild[1]
        report = fromChild[0]
        // The shell's start-up is slower than attaching on some machines: wait for it.
        #expect(awaitReport(), "the script did not start")
    }

    /// Sends one line to the script's `read`.
    func send(_ line: String) {
        let text = line + "\n"
        #expect(text.withCString { write(control, $0, strlen($0)) } == text.utf8.count)
    }

    /// Blocks until the script reports (writes a line to fd 3); false if it ended instead.
    @discardableResult
    func awaitReport() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return read(report, &buffer, buffer.count) > 0
    }

    /// Whether a report is waiting, without blocking.
    func hasReport() -> Bool {
        var ready = pollfd(fd: report, events: Int16(POLLIN), revents: 0)
        return poll(&ready, 1, 0) == 1
    }

    /// Tells the script to stop (its last `read`), and reaps it: its exit has been traced by
    /// the time it can be reaped.
    func finish() {
        send("stop")
        close(control)
        close(report)
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
    }
}
