public import KyvernClient

/// An informer's lister is the cache reconcilers read in production.
extension Lister: ObjectCache {}
