import ArgumentParser

@main
struct MobileNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mobilenet-cli",
        abstract: "Classify images with MobileNet v1 and inspect network structures.",
        subcommands: [Classify.self, Describe.self, Profile.self],
        defaultSubcommand: Classify.self
    )
}
