import ArgumentParser

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print live decoded kernel events, one JSON object per line, without rules."
    )

    @Option(help: "Stop cleanly after this many seconds.")
    var duration: Double?

    func run() throws {
        throw ValidationError("not yet implemented")
    }
}
