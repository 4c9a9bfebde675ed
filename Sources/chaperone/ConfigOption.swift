import ArgumentParser
import Proxy

/// The `--config FILE` option shared by the commands that read the daemon's configuration.
struct ConfigOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The daemon's YAML configuration. Every key is optional; without a file the defaults apply.",
            valueName: "file"))
    var config: String?

    /// The configuration, or a `ValidationError` that names the file, line and fix.
    func load() throws -> ChaperoneConfiguration {
        do {
            return try ConfigurationLoader.load(path: config)
        } catch {
            throw ValidationError(error.message)
        }
    }
}
