import ArgumentParser

/// The one executable. Each subcommand lives in its own file as `XCommand`; this type only lists them.
@main
struct Peregrine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peregrine",
        abstract: "Runtime threat detection for Kubernetes GPU nodes, speaking Falco's rule language.",
        subcommands: [
            RunCommand.self,
            EventsCommand.self,
            CaptureCommand.self,
            ReplayCommand.self,
            ValidateCommand.self,
            RulesCommand.self,
            FieldsCommand.self,
            TestCommand.self,
        ]
    )

    /// ArgumentParser reports usage mistakes with EX_USAGE (64); shared/INTERFACE.md promises 2.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                var err = OutputStream(fd: 2)
                err.write(fullMessage(for: error) + "\n")
                err.flush()
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}
