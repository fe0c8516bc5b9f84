import Foundation

/// What the trainer tells a progress display.
public struct ProgressUpdate: Sendable {
    /// Steps taken.
    public var step: Int
    /// Steps in the run.
    public var totalSteps: Int
    /// The latest training loss.
    public var loss: Float
    /// Recent throughput (target tokens per second).
    public var tokensPerSecond: Double
    /// Estimated seconds to the end.
    public var secondsRemaining: Double
    /// The latest validation loss, if any.
    public var validationLoss: Float?
}

/// Shows training progress: on a terminal, one line redrawn in place (a bar with step, loss, tokens/s
/// and ETA); otherwise (a pipe, a log file) plain lines.
public final class ProgressDisplay {
    /// Whether the output is a terminal.
    public let isTerminal: Bool
    private let output: FileHandle
    private var lineOpen = false

    /// A display on standard error (`fileDescriptor` 2) or another descriptor.
    public init(fileDescriptor: Int32 = 2) {
        output = FileHandle(fileDescriptor: fileDescriptor, closeOnDealloc: false)
        isTerminal = isatty(fileDescriptor) == 1
    }

    /// Shows one update.
    public func show(_ u: ProgressUpdate) {
        let text = Self.format(u, bar: isTerminal)
        if isTerminal {
            write("\r\u{1B}[2K" + text)
            lineOpen = true
        } else {
            write(text + "\n")
        }
    }

    /// Prints a line of its own (an evaluation, a checkpoint), below the redrawn line.
    public func message(_ line: String) {
        if lineOpen {
            write("\n")
            lineOpen = false
        }
        write(line + "\n")
    }

    /// Ends the redrawn line.
    public func finish() {
        if lineOpen {
            write("\n")
            lineOpen = false
        }
    }

    private func write(_ s: String) { output.write(Data(s.utf8)) }

    /// The text of an update: `step 120/1000 [####------] loss 4.1234 | 15.2k tok/s | ETA 1m05s`.
    public static func format(_ u: ProgressUpdate, bar: Bool) -> String {
        var parts = ["step \(u.step)/\(u.totalSteps)"]
        if bar {
            let width = 20
            let filled = u.totalSteps > 0 ? min(width, u.step * width / u.totalSteps) : 0
            parts.append(
                "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]")
        }
        parts.append(String(format: "loss %.4f", u.loss))
        if let v = u.validationLoss { parts.append(String(format: "val %.4f", v)) }
        let rate =
            u.tokensPerSecond >= 1000
            ? String(format: "%.1fk tok/s", u.tokensPerSecond / 1000) : String(format: "%.0f tok/s", u.tokensPerSecond)
        parts.append(rate)
        parts.append("ETA " + formatDuration(u.secondsRemaining))
        return parts.joined(separator: " | ").replacingOccurrences(of: " | [", with: " [")
    }

    /// `1h02m`, `3m05s`, `42s`.
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
