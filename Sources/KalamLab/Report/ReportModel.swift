// The data model of a `kalam lab` report: what the experiments found, in a form the renderers
// (`SVGChart`, `ReportRenderer`) turn into an HTML page or Markdown. Plain values only, so a report can be
// saved as JSON and rendered again later.

/// The outcome of checking one claim against an experiment's measurements.
public enum Verdict: String, Codable, Sendable, Equatable, CaseIterable {
    /// The measurements agree with the claim.
    case held
    /// The measurements contradict the claim.
    case failed
    /// Some measurements agree and some contradict.
    case mixed
    /// The measurements cannot decide (too few, too noisy, or the experiment did not run).
    case inconclusive
}

/// One point of a chart series.
public struct ChartPoint: Codable, Sendable, Equatable {
    /// The horizontal position; for bar charts, the category index.
    public var x: Double
    /// The vertical position (the measured value).
    public var y: Double
    /// The lower end of an uncertainty band or error bar, when known.
    public var low: Double?
    /// The upper end of an uncertainty band or error bar, when known.
    public var high: Double?
    /// A short text drawn next to the point (scatter charts).
    public var label: String?

    public init(x: Double, y: Double, low: Double? = nil, high: Double? = nil, label: String? = nil) {
        self.x = x
        self.y = y
        self.low = low
        self.high = high
        self.label = label
    }
}

/// A named sequence of points: one line, one set of markers, or one bar in every category.
public struct ChartSeries: Codable, Sendable, Equatable {
    /// The name shown in the legend.
    public var name: String
    /// The points, in drawing order.
    public var points: [ChartPoint]

    public init(name: String, points: [ChartPoint] = []) {
        self.name = name
        self.points = points
    }
}

/// How a chart draws its data.
public enum ChartKind: String, Codable, Sendable, Equatable, CaseIterable {
    /// One polyline per series, with a translucent band where points carry `low`/`high`.
    case lines
    /// Grouped bars: one bar per series in every category, with error bars from `low`/`high`.
    case bars
    /// A grid of coloured cells (`Chart.cells`) with row and column labels.
    case heatmap
    /// One marker per point, with the point's label next to it.
    case scatter
}

/// One chart of a report section.
public struct Chart: Codable, Sendable, Equatable {
    /// How the data is drawn.
    public var kind: ChartKind
    /// The title drawn above the chart.
    public var title: String
    /// The title of the horizontal axis.
    public var xLabel: String
    /// The title of the vertical axis.
    public var yLabel: String
    /// The data of line, scatter and bar charts. Bars: `point.x` is the category index.
    public var series: [ChartSeries]
    /// Bar charts: the category names along the horizontal axis.
    public var categories: [String]
    /// Heatmaps: the label of each row, top to bottom.
    public var rowLabels: [String]
    /// Heatmaps: the label of each column, left to right.
    public var columnLabels: [String]
    /// Heatmaps: `cells[row][column]`; `nil` is an empty cell.
    public var cells: [[Double?]]
    /// Line and scatter charts: a log10 horizontal axis (points with `x <= 0` are left out).
    public var logX: Bool
    /// A caption shown under the chart.
    public var note: String?

    public init(
        kind: ChartKind, title: String, xLabel: String = "", yLabel: String = "", series: [ChartSeries] = [],
        categories: [String] = [], rowLabels: [String] = [], columnLabels: [String] = [], cells: [[Double?]] = [],
        logX: Bool = false, note: String? = nil
    ) {
        self.kind = kind
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.categories = categories
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.cells = cells
        self.logX = logX
        self.note = note
    }
}

/// A plain table of text cells.
public struct ReportTable: Codable, Sendable, Equatable {
    /// The column headings.
    public var header: [String]
    /// The rows; a row shorter than the header is padded with empty cells.
    public var rows: [[String]]

    public init(header: [String], rows: [[String]] = []) {
        self.header = header
        self.rows = rows
    }
}

/// A verbatim example (generated text, a prompt, a log excerpt), shown in a preformatted block.
public struct ReportExample: Codable, Sendable, Equatable {
    /// A short heading for the example.
    public var title: String
    /// The text, shown exactly as given.
    public var text: String

    public init(title: String, text: String) {
        self.title = title
        self.text = text
    }
}

/// The part of a report written by one experiment.
public struct ReportSection: Codable, Sendable, Equatable {
    /// A stable identifier, used as the section's anchor.
    public var id: String
    /// The section heading.
    public var title: String
    /// The question the experiment answers.
    public var question: String
    /// How the experiment was set up (data, model, budget).
    public var setup: String
    /// The charts, in order.
    public var charts: [Chart]
    /// The tables, in order.
    public var tables: [ReportTable]
    /// Free text: what the results show.
    public var paragraphs: [String]
    /// Verbatim examples.
    public var examples: [ReportExample]
    /// How long the experiment took, in seconds.
    public var seconds: Double

    public init(
        id: String, title: String, question: String = "", setup: String = "", charts: [Chart] = [],
        tables: [ReportTable] = [], paragraphs: [String] = [], examples: [ReportExample] = [], seconds: Double = 0
    ) {
        self.id = id
        self.title = title
        self.question = question
        self.setup = setup
        self.charts = charts
        self.tables = tables
        self.paragraphs = paragraphs
        self.examples = examples
        self.seconds = seconds
    }
}

/// One row of the verdict table: a claim, the experiment that tested it, and what came out.
public struct ReportVerdictRow: Codable, Sendable, Equatable {
    /// A short identifier of the claim.
    public var id: String
    /// The claim, in words.
    public var claim: String
    /// The experiment that tested it (a section id links the row to that section).
    public var experiment: String
    /// The outcome.
    public var verdict: Verdict
    /// The measurements behind the verdict, in words.
    public var evidence: String
    /// The rule that turned the measurements into the verdict.
    public var rule: String

    public init(
        id: String, claim: String, experiment: String, verdict: Verdict, evidence: String = "", rule: String = ""
    ) {
        self.id = id
        self.claim = claim
        self.experiment = experiment
        self.verdict = verdict
        self.evidence = evidence
        self.rule = rule
    }
}

/// A whole `kalam lab` report.
public struct LabReport: Codable, Sendable, Equatable {
    /// The page title.
    public var title: String
    /// A description of the machine the experiments ran on.
    public var machine: String
    /// The Kalam version that ran them.
    public var kalamVersion: String
    /// The total running time, in seconds.
    public var seconds: Double
    /// The random seeds used.
    public var seeds: [UInt64]
    /// The verdict table, shown first.
    public var verdicts: [ReportVerdictRow]
    /// One section per experiment, in order.
    public var sections: [ReportSection]
    /// Closing remarks (caveats, what was skipped).
    public var notes: [String]
    /// The rule most verdicts follow, printed once above the table (rows print only a rule of their own).
    public var verdictRule: String = ""

    public init(
        title: String, machine: String = "", kalamVersion: String = "", seconds: Double = 0, seeds: [UInt64] = [],
        verdicts: [ReportVerdictRow] = [], sections: [ReportSection] = [], notes: [String] = []
    ) {
        self.title = title
        self.machine = machine
        self.kalamVersion = kalamVersion
        self.seconds = seconds
        self.seeds = seeds
        self.verdicts = verdicts
        self.sections = sections
        self.notes = notes
    }
}
