/// A framework with plugins placed per extension point, as a configuration profile decides,
/// rather than at every point each plugin implements.
extension Framework {
    init(all: [any Plugin], preFilters: [any PreFilterPlugin], filters: [any FilterPlugin],
         postFilters: [any PostFilterPlugin], preScores: [any PreScorePlugin],
         scorers: [(plugin: any ScorePlugin, weight: Int64)], percentageOfNodesToScore: Int?) {
        self.plugins = all
        self.preFilters = preFilters
        self.filters = filters
        self.postFilters = postFilters
        self.preScores = preScores
        self.scorers = scorers
        // Preemption keeps the state of exactly the PreFilters that run.
        self.preFilterExtensions = preFilters.compactMap { $0 as? any PreFilterExtensions }
        self.percentageOfNodesToScore = percentageOfNodesToScore
        reservers = all.compactMap { $0 as? any ReservePlugin }
        permitters = all.compactMap { $0 as? any PermitPlugin }
        preBinders = all.compactMap { $0 as? any PreBindPlugin }
        binders = all.compactMap { $0 as? any BindPlugin }
    }
}
