import Dispatch
import Foundation

/// Turns SIGINT (Ctrl-C) into a flag the training loop checks between steps, so an interrupted run
/// saves a checkpoint and exits cleanly instead of dying mid-step.
///
/// While installed, the default SIGINT action is ignored and a `DispatchSource` sets ``isSet``; the
/// first SIGINT restores the default action, so a second Ctrl-C ends a process that does not stop.
public final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var source: DispatchSourceSignal?

    /// A flag that is not yet listening for signals.
    public init() {}

    /// Whether an interrupt was requested.
    public var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return flag
    }

    /// Requests a stop (what SIGINT does; tests call it directly).
    public func set() {
        lock.lock()
        flag = true
        lock.unlock()
    }

    /// Starts listening for SIGINT.
    public func installSignalHandler() {
        guard source == nil else { return }
        signal(SIGINT, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue.global())
        s.setEventHandler { [weak self] in
            self?.set()
            signal(SIGINT, SIG_DFL)
        }
        s.resume()
        source = s
    }

    /// Stops listening and restores the default SIGINT action.
    public func removeSignalHandler() {
        source?.cancel()
        source = nil
        signal(SIGINT, SIG_DFL)
    }
}
