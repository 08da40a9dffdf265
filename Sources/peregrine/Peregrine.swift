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
}
