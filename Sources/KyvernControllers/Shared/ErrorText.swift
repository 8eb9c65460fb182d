import KyvernAPI

/// The text upstream's `err.Error()` gives for an API failure: a Status error's message alone.
/// Events and conditions quote it, so users see the server's words, not a Swift dump.
func errorText(_ error: any Error) -> String {
    (error as? APIError)?.message ?? "\(error)"
}
