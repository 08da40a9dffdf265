/// One place alerts go (a file, a webhook). Its worker thread calls it, never the matcher.
public protocol AlertOutput: AnyObject {
    /// The `output` label in metrics (`file`, `http`).
    var name: String { get }
    /// Whether it wants Falco's JSON object or the text line.
    var wantsJSON: Bool { get }
    /// How many times an alert the far end refused (HTTP 5xx/429) is tried before it is
    /// given up; an unreachable far end is retried for as long as the agent runs.
    var maxRetries: Int { get }
    /// One attempt at delivering one alert line (no trailing newline).
    func deliver(_ line: String) -> Delivery
    /// Log rotation (SIGUSR1): let go of open files so the next delivery opens them anew.
    func reopen()
    /// The agent is stopping: release connections and files.
    func close()
}

/// What one delivery attempt came to.
public enum Delivery: Equatable, Sendable {
    case sent
    /// Could not reach the far end (refused connection, timeout, write error): keep the
    /// alert and retry with back-off until the agent stops.
    case unreachable(String)
    /// The far end answered but refused for now (HTTP 5xx, 429): retry up to `maxRetries`.
    case refused(String)
    /// The far end will never take it (HTTP 4xx): give it up, counted as a failure.
    case rejected(String)
}
