import ArgumentParser
import CStbImage.LibraryVersion

@main
struct MobileNetCommand: ParsableCommand {
    /// The CLI is versioned with the library it is built with.
    static let cliVersion = MOBILENET_VERSION_STRING

    static let configuration = CommandConfiguration(
        commandName: "mobilenet-cli",
        abstract: "Classify images with MobileNet v1, train your own classifier, evaluate it, embed images, inspect networks.",
        version: "mobilenet-cli \(cliVersion), libmobilenet \(MOBILENET_VERSION_STRING) (built in)",
        subcommands: [Classify.self, Train.self, Evaluate.self, Embed.self, Describe.self, Profile.self,
                      Quantize.self],
        defaultSubcommand: Classify.self
    )
}
