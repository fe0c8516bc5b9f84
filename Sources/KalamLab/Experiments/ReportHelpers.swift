import Foundation

/// Small helpers experiments share to turn per-seed numbers into chart points and table cells.
enum Summary {
    /// A chart point at `x`: the mean of `values`, the band mean ± std.
    static func point(_ x: Double, _ values: [Double], label: String? = nil) -> ChartPoint {
        let m = LabStatistics.mean(values), s = LabStatistics.std(values)
        return ChartPoint(x: x, y: m, low: m - s, high: m + s, label: label)
    }

    /// "mean ± std" with `digits` decimals.
    static func cell(_ values: [Double], digits: Int = 3) -> String { LabStatistics.format(values, digits: digits) }

    /// A whole number (a count, a parameter total) for a table; "–" for a value that is not finite, as a
    /// measure missing from a cell reads.
    static func count(_ value: Double) -> String {
        value.isFinite && abs(value) < 9e18 ? String(Int(value.rounded())) : "–"
    }

    /// One paragraph per claim: its id, verdict and evidence.
    static func paragraphs(_ claims: [ClaimResult]) -> [String] {
        claims.map { "\($0.id) (\($0.verdict.rawValue)): \($0.evidence.sentence)" }
    }

    /// A line chart.
    static func lines(
        _ title: String, x: String, y: String, series: [ChartSeries], logX: Bool = false, note: String? = nil
    ) -> Chart {
        Chart(
            kind: .lines, title: title, xLabel: x, yLabel: y, series: series, categories: [], rowLabels: [],
            columnLabels: [], cells: [], logX: logX, note: note)
    }

    /// A grouped bar chart: one series per group, one bar per category.
    static func bars(
        _ title: String, y: String, categories: [String], series: [ChartSeries], note: String? = nil
    )
        -> Chart
    {
        Chart(
            kind: .bars, title: title, xLabel: "", yLabel: y, series: series, categories: categories, rowLabels: [],
            columnLabels: [], cells: [], logX: false, note: note)
    }

    /// A scatter plot.
    static func scatter(_ title: String, x: String, y: String, series: [ChartSeries], note: String? = nil) -> Chart {
        Chart(
            kind: .scatter, title: title, xLabel: x, yLabel: y, series: series, categories: [], rowLabels: [],
            columnLabels: [], cells: [], logX: false, note: note)
    }

    /// A heat map.
    static func heatmap(
        _ title: String, rows: [String], columns: [String], cells: [[Double?]], note: String? = nil
    )
        -> Chart
    {
        Chart(
            kind: .heatmap, title: title, xLabel: "", yLabel: "", series: [], categories: [], rowLabels: rows,
            columnLabels: columns, cells: cells, logX: false, note: note)
    }
}
