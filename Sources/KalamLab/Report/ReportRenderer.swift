// The two forms of a lab report: a self-contained HTML page (inline CSS and SVG charts, no scripts, no
// network) and Markdown (charts as tables of their data). Both list the verdicts first, then one part per
// experiment, then the notes, and both are byte-identical for the same report.

import Foundation

/// Renders a ``LabReport`` as an HTML page or as Markdown.
public enum ReportRenderer {
    /// The report as a complete HTML document in UTF-8: inline style sheet, charts as inline SVG, every text
    /// escaped.
    public static func html(_ report: LabReport) -> String {
        var page = HTMLPage()
        page.add("<!DOCTYPE html>")
        page.add("<html lang=\"en\">")
        page.add("<head>")
        page.add("<meta charset=\"utf-8\">")
        page.add("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        page.add("<title>\(e(report.title))</title>")
        page.add("<style>\n\(styleSheet)</style>")
        page.add("</head>")
        page.add("<body>")
        page.add("<main>")
        page.add("<h1 dir=\"auto\">\(e(report.title))</h1>")
        page.add("<p class=\"meta\" dir=\"auto\">\(e(metaLine(report)))</p>")
        page.addVerdicts(report)
        for (index, section) in report.sections.enumerated() {
            page.addSection(section, index: index)
        }
        if !report.notes.isEmpty {
            page.add("<section id=\"notes\">")
            page.add("<h2>Notes</h2>")
            page.add("<ul>")
            for note in report.notes { page.add("<li dir=\"auto\">\(e(note))</li>") }
            page.add("</ul>")
            page.add("</section>")
        }
        page.add("</main>")
        page.add("</body>")
        page.add("</html>")
        return page.text
    }

    /// The report as Markdown: pipe tables for the verdicts, the tables and the charts' data, fenced code
    /// blocks for the examples.
    public static func markdown(_ report: LabReport) -> String {
        var blocks: [String] = []
        blocks.append("# " + oneLine(md(report.title)))
        blocks.append(md(metaLine(report)))
        blocks.append("## Verdicts")
        if !report.verdictRule.isEmpty {
            blocks.append(md("Rule, unless a row gives its own: " + report.verdictRule + "."))
        }
        if report.verdicts.isEmpty {
            blocks.append("_No claims were checked._")
        } else {
            let rows = report.verdicts.map { row in
                [row.id, row.claim, row.experiment, badgeText(row.verdict), row.evidence, row.rule]
            }
            blocks.append(pipeTable(header: ["ID", "Claim", "Experiment", "Verdict", "Evidence", "Rule"], rows: rows))
        }
        for section in report.sections {
            blocks.append("## " + oneLine(md(section.title)))
            if !section.question.isEmpty {
                blocks.append("### Question")
                blocks.append(md(section.question))
            }
            if !section.setup.isEmpty {
                blocks.append("### Set-up")
                blocks.append(md(section.setup))
            }
            for chart in section.charts { blocks.append(chartData(chart)) }
            for table in section.tables { blocks.append(pipeTable(header: table.header, rows: table.rows)) }
            for paragraph in section.paragraphs { blocks.append(md(paragraph)) }
            if !section.examples.isEmpty {
                blocks.append("### Examples")
                for example in section.examples {
                    if !example.title.isEmpty { blocks.append("**" + oneLine(md(example.title)) + "**") }
                    blocks.append(codeBlock(example.text))
                }
            }
            blocks.append("_Took " + duration(section.seconds) + "._")
        }
        if !report.notes.isEmpty {
            blocks.append("## Notes")
            blocks.append(report.notes.map { "- " + oneLine(md($0)) }.joined(separator: "\n"))
        }
        return blocks.joined(separator: "\n\n") + "\n"
    }
}

// MARK: - Shared

/// Machine, version, seeds and total time, in one line.
private func metaLine(_ report: LabReport) -> String {
    var parts: [String] = []
    if !report.machine.isEmpty { parts.append("Machine: " + report.machine) }
    if !report.kalamVersion.isEmpty { parts.append("Kalam " + report.kalamVersion) }
    let seeds = report.seeds.map { String($0) }.joined(separator: ", ")
    parts.append(report.seeds.count == 1 ? "Seed: " + seeds : "Seeds: " + (seeds.isEmpty ? "none" : seeds))
    parts.append("Total time: " + duration(report.seconds))
    return parts.joined(separator: " · ")
}

/// A duration in seconds for people: `0.412 s`, `12.5 s`, `340 s (5.7 min)`.
private func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "– s" }
    guard seconds >= 100, seconds < 1e15 else { return ReportFormat.number(seconds) + " s" }
    let whole = String(Int64(seconds.rounded())) + " s"
    if seconds < 120 { return whole }
    let (amount, unit) = seconds < 7200 ? (seconds / 60, "min") : (seconds / 3600, "h")
    return whole + " (" + ReportFormat.number(amount, digits: amount < 10 ? 2 : 3) + " " + unit + ")"
}

/// The verdict in words, with a symbol so that it does not rely on colour.
private func badgeText(_ verdict: Verdict) -> String {
    switch verdict {
    case .held: return "✓ held"
    case .failed: return "✗ failed"
    case .mixed: return "± mixed"
    case .inconclusive: return "? inconclusive"
    }
}

/// `text` with every line break (`\n`, `\r\n`, `\r`) replaced by a space.
private func oneLine(_ text: String) -> String {
    String(text.map { $0.isNewline ? " " : $0 })
}

// MARK: - HTML

/// Escapes `text` for HTML.
private func e(_ text: String) -> String { ReportFormat.escape(text) }

/// A section id usable as an HTML anchor: white space becomes `-`; an empty id gets a numbered one.
private func anchor(_ id: String, index: Int) -> String {
    let cleaned = String(id.map { $0.isWhitespace ? "-" : $0 })
    return cleaned.isEmpty ? "section-\(index + 1)" : cleaned
}

/// Whether a table cell holds a plain number (right-aligned in HTML).
private func isNumeric(_ cell: String) -> Bool {
    let trimmed = cell.trimmingCharacters(in: .whitespaces)
    return !trimmed.isEmpty && Double(trimmed) != nil
}

/// The size at which charts are drawn on the page (the style sheet scales them to the column).
private let chartWidth = 880
private let chartHeight = 420

/// The page's style sheet: readable width, system fonts, bordered tables, verdict badges.
private let styleSheet = """
    @font-face { font-family: "Kalam Persian"; unicode-range: U+0600-06FF, U+200C-200F, U+FB50-FDFF, U+FE70-FEFF;
      src: local("Vazirmatn"), local("Noto Naskh Arabic"), local("Noto Sans Arabic"), local("DejaVu Sans"),
        local("DejaVuSans"), local("Tahoma"); }
    :root { color-scheme: light; }
    body { margin: 0; background: #ffffff; color: #1b1b1b;
      font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Vazirmatn, Tahoma, sans-serif; }
    main { max-width: 960px; margin: 0 auto; padding: 24px 20px 64px; }
    h1 { font-size: 1.9em; line-height: 1.2; margin: 0.4em 0 0.2em; }
    h2 { font-size: 1.4em; margin: 1.2em 0 0.4em; }
    h3 { font-size: 1.05em; margin: 1.1em 0 0.3em; color: #333333; }
    h4 { font-size: 0.95em; margin: 0.9em 0 0.2em; }
    p { margin: 0.4em 0 0.8em; }
    a { color: #0a58ca; }
    .meta { color: #555555; font-size: 0.92em; }
    table { border-collapse: collapse; width: 100%; margin: 0.8em 0 1.2em; font-size: 0.9em; }
    th, td { border: 1px solid #c8c8c8; padding: 5px 8px; text-align: start; vertical-align: top;
      overflow-wrap: break-word; }
    th { background: #f2f2f2; font-weight: 600; }
    th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
    td.num { white-space: nowrap; }
    table.verdicts th:nth-child(2) { width: 42%; }
    table.verdicts th:nth-child(5) { width: 30%; }
    table.verdicts td:nth-child(1), table.verdicts td:nth-child(4) { white-space: nowrap; }
    .badge { display: inline-block; padding: 1px 9px; border-radius: 10px; border: 1px solid;
      font-weight: 600; font-size: 0.85em; white-space: nowrap; }
    .badge.held { background: #dcf3e1; color: #14532d; border-color: #2e7d32; }
    .badge.failed { background: #fbe0e0; color: #7f1d1d; border-color: #c62828; }
    .badge.mixed { background: #fdf0d0; color: #6b4200; border-color: #d49100; }
    .badge.inconclusive { background: #ececec; color: #3f3f3f; border-color: #8a8a8a; }
    .rule { display: block; margin-top: 3px; color: #5f5f5f; font-size: 0.85em; }
    section { border-top: 1px solid #dddddd; margin-top: 2.2em; padding-top: 0.3em; }
    figure { margin: 1.2em 0 1.6em; }
    figure svg { display: block; width: 100%; height: auto; border: 1px solid #eeeeee; }
    figcaption { color: #555555; font-size: 0.9em; margin-top: 0.4em; }
    pre { background: #f6f6f6; border: 1px solid #dddddd; border-radius: 4px; padding: 8px 12px;
      font: 0.88em/1.6 "Kalam Persian", ui-monospace, "SF Mono", Menlo, "DejaVu Sans Mono", monospace;
      white-space: pre-wrap; overflow-wrap: break-word; unicode-bidi: plaintext; }
    .took { color: #666666; font-size: 0.85em; }

    """

/// The HTML page being written, one line at a time.
private struct HTMLPage {
    private(set) var text = ""

    /// Appends one line.
    mutating func add(_ line: String) { text += line + "\n" }

    /// The verdict table, rule under the evidence; an experiment that names a section links to it.
    mutating func addVerdicts(_ report: LabReport) {
        add("<section id=\"verdicts\">")
        add("<h2>Verdicts</h2>")
        if !report.verdictRule.isEmpty {
            add("<p class=\"rule-note\">Rule, unless a row gives its own: \(e(report.verdictRule)).</p>")
        }
        guard !report.verdicts.isEmpty else {
            add("<p>No claims were checked.</p>")
            add("</section>")
            return
        }
        let anchors = Set(report.sections.enumerated().map { anchor($0.element.id, index: $0.offset) })
        add("<table class=\"verdicts\">")
        add("<thead><tr><th>ID</th><th>Claim</th><th>Experiment</th><th>Verdict</th><th>Evidence</th></tr></thead>")
        add("<tbody>")
        for row in report.verdicts {
            let experiment =
                anchors.contains(row.experiment)
                ? "<a href=\"#\(e(row.experiment))\">\(e(row.experiment))</a>" : e(row.experiment)
            var evidence = e(row.evidence)
            if !row.rule.isEmpty { evidence += "<span class=\"rule\">Rule: \(e(row.rule))</span>" }
            let badge = "<span class=\"badge \(row.verdict.rawValue)\">\(e(badgeText(row.verdict)))</span>"
            add(
                "<tr class=\"verdict\"><td dir=\"auto\">\(e(row.id))</td><td dir=\"auto\">\(e(row.claim))</td>"
                    + "<td dir=\"auto\">\(experiment)</td><td>\(badge)</td><td dir=\"auto\">\(evidence)</td></tr>")
        }
        add("</tbody>")
        add("</table>")
        add("</section>")
    }

    /// One experiment's section.
    mutating func addSection(_ section: ReportSection, index: Int) {
        add("<section id=\"\(e(anchor(section.id, index: index)))\">")
        add("<h2 dir=\"auto\">\(e(section.title))</h2>")
        if !section.question.isEmpty {
            add("<h3>Question</h3>")
            add("<p dir=\"auto\">\(e(section.question))</p>")
        }
        if !section.setup.isEmpty {
            add("<h3>Set-up</h3>")
            add("<p dir=\"auto\">\(e(section.setup))</p>")
        }
        for chart in section.charts {
            add("<figure>")
            add(SVGChart.render(chart, width: chartWidth, height: chartHeight))
            if let note = chart.note, !note.isEmpty { add("<figcaption dir=\"auto\">\(e(note))</figcaption>") }
            add("</figure>")
        }
        for table in section.tables { addTable(table) }
        for paragraph in section.paragraphs { add("<p dir=\"auto\">\(e(paragraph))</p>") }
        if !section.examples.isEmpty {
            add("<h3>Examples</h3>")
            for example in section.examples {
                if !example.title.isEmpty { add("<h4 dir=\"auto\">\(e(example.title))</h4>") }
                add("<pre dir=\"auto\">\(e(example.text))</pre>")
            }
        }
        add("<p class=\"took\">took \(e(duration(section.seconds)))</p>")
        add("</section>")
    }

    /// A plain table; short rows are padded, columns of numbers right-aligned.
    mutating func addTable(_ table: ReportTable) {
        let width = max(table.header.count, table.rows.map(\.count).max() ?? 0)
        guard width > 0 else { return }
        let rows = table.rows.map { padded($0, to: width) }
        let numeric = (0..<width).map { column in
            let cells = rows.map { $0[column] }.filter { !$0.isEmpty }
            return !cells.isEmpty && cells.allSatisfy(isNumeric)
        }
        func attributes(_ column: Int) -> String { numeric[column] ? " class=\"num\"" : " dir=\"auto\"" }
        add("<table>")
        if !table.header.isEmpty {
            let header = padded(table.header, to: width).enumerated().map {
                "<th\(attributes($0.offset))>\(e($0.element))</th>"
            }
            add("<thead><tr>\(header.joined())</tr></thead>")
        }
        add("<tbody>")
        for row in rows {
            let cells = row.enumerated().map { "<td\(attributes($0.offset))>\(e($0.element))</td>" }
            add("<tr>\(cells.joined())</tr>")
        }
        add("</tbody>")
        add("</table>")
    }
}

/// `cells` padded with empty strings to `count` entries.
private func padded(_ cells: [String], to count: Int) -> [String] {
    cells.count >= count ? cells : cells + Array(repeating: "", count: count - cells.count)
}

// MARK: - Markdown

/// `text` with the characters that would turn into Markdown formatting or raw HTML (`\`, `` ` ``, `*`, `<`)
/// escaped with a backslash.
private func md(_ text: String) -> String {
    var out = ""
    for character in text {
        if character == "\\" || character == "`" || character == "*" || character == "<" { out.append("\\") }
        out.append(character)
    }
    return out
}

/// `text` for a pipe-table cell: escaped, `|` escaped, line breaks turned into spaces.
private func cell(_ text: String) -> String {
    var out = ""
    for character in oneLine(md(text)) {
        if character == "|" { out.append("\\") }
        out.append(character)
    }
    return out
}

/// A Markdown pipe table; short rows are padded to the widest row.
private func pipeTable(header: [String], rows: [[String]]) -> String {
    let width = max(header.count, rows.map(\.count).max() ?? 0, 1)
    func line(_ cells: [String]) -> String {
        "| " + padded(cells, to: width).map(cell).joined(separator: " | ") + " |"
    }
    var lines = [line(header), "|" + String(repeating: " --- |", count: width)]
    lines += rows.map(line)
    return lines.joined(separator: "\n")
}

/// A fenced code block holding `text` verbatim; the fence is longer than any run of backticks inside.
private func codeBlock(_ text: String) -> String {
    var longest = 0
    var run = 0
    for character in text {
        run = character == "`" ? run + 1 : 0
        longest = max(longest, run)
    }
    let fence = String(repeating: "`", count: max(3, longest + 1))
    let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
    return fence + "text\n" + body + "\n" + fence
}

/// The name of series `index`, or a numbered one when it has none.
private func seriesName(_ series: ChartSeries, index: Int) -> String {
    series.name.isEmpty ? "series \(index + 1)" : series.name
}

/// A point's value with its band when it has one: `0.51 [0.48, 0.55]`.
private func valueText(_ point: ChartPoint) -> String {
    var text = ReportFormat.number(point.y, digits: 4)
    let low = point.low.flatMap { $0.isFinite ? $0 : nil }
    let high = point.high.flatMap { $0.isFinite ? $0 : nil }
    if low != nil || high != nil {
        text +=
            " [" + ReportFormat.number(low ?? point.y, digits: 4) + ", "
            + ReportFormat.number(high ?? point.y, digits: 4) + "]"
    }
    return text
}

/// A chart as Markdown: its title, a table of its data, and its note.
private func chartData(_ chart: Chart) -> String {
    var heading = "**Chart: " + oneLine(md(chart.title)) + "**"
    let axes = [chart.xLabel.isEmpty ? "" : "x: " + chart.xLabel, chart.yLabel.isEmpty ? "" : "y: " + chart.yLabel]
        .filter { !$0.isEmpty }
    if !axes.isEmpty { heading += " (" + md(axes.joined(separator: "; ")) + ")" }
    let table = chartTable(chart).map { pipeTable(header: $0.header, rows: $0.rows) } ?? "_no data_"
    var parts = [heading, table]
    if let note = chart.note, !note.isEmpty { parts.append("_" + oneLine(md(note)) + "_") }
    return parts.joined(separator: "\n\n")
}

/// The data of a chart as a table, or nil when it has none.
private func chartTable(_ chart: Chart) -> ReportTable? {
    switch chart.kind {
    case .lines: return linesTable(chart)
    case .scatter: return scatterTable(chart)
    case .bars: return barsTable(chart)
    case .heatmap: return heatmapTable(chart)
    }
}

/// Lines: one row per distinct x (ascending), one column per series.
private func linesTable(_ chart: Chart) -> ReportTable? {
    var xs = chart.series.flatMap { $0.points.map(\.x) }.filter(\.isFinite).sorted()
    xs = xs.enumerated().filter { $0.offset == 0 || xs[$0.offset - 1] != $0.element }.map(\.element)
    guard !xs.isEmpty else { return nil }
    let header =
        [chart.xLabel.isEmpty ? "x" : chart.xLabel]
        + chart.series.enumerated().map { seriesName($0.element, index: $0.offset) }
    let rows = xs.map { x in
        [ReportFormat.number(x, digits: 6)]
            + chart.series.map { series in
                series.points.filter { $0.x == x }.map(valueText).joined(separator: "; ")
            }
    }
    return ReportTable(header: header, rows: rows)
}

/// Scatter: one row per point.
private func scatterTable(_ chart: Chart) -> ReportTable? {
    var rows: [[String]] = []
    for (index, series) in chart.series.enumerated() {
        for point in series.points where point.x.isFinite {
            rows.append(
                [
                    seriesName(series, index: index), point.label ?? "", ReportFormat.number(point.x, digits: 4),
                    valueText(point),
                ])
        }
    }
    guard !rows.isEmpty else { return nil }
    return ReportTable(
        header: [
            "series", "label", chart.xLabel.isEmpty ? "x" : chart.xLabel, chart.yLabel.isEmpty ? "y" : chart.yLabel,
        ],
        rows: rows)
}

/// Bars: one row per category, one column per series.
private func barsTable(_ chart: Chart) -> ReportTable? {
    let indices = chart.series.flatMap { $0.points.map(\.x) }.filter { $0.isFinite && $0 >= 0 && $0 < 10_000 }
    let count = max(chart.categories.count, (indices.map { Int($0.rounded()) }.max() ?? -1) + 1)
    guard count > 0, !chart.series.isEmpty else { return nil }
    let header =
        [chart.xLabel.isEmpty ? "category" : chart.xLabel]
        + chart.series.enumerated().map { seriesName($0.element, index: $0.offset) }
    let rows = (0..<count).map { category in
        [category < chart.categories.count ? chart.categories[category] : String(category)]
            + chart.series.map { series in
                series.points.filter { $0.x.isFinite && Int($0.x.rounded()) == category }.map(valueText)
                    .joined(separator: "; ")
            }
    }
    return ReportTable(header: header, rows: rows)
}

/// Heatmap: one row per row label, one column per column label, values to three significant digits.
private func heatmapTable(_ chart: Chart) -> ReportTable? {
    let rowCount = max(chart.rowLabels.count, chart.cells.count)
    let columnCount = max(chart.columnLabels.count, chart.cells.map(\.count).max() ?? 0)
    guard rowCount > 0, columnCount > 0 else { return nil }
    let columns = (0..<columnCount).map { $0 < chart.columnLabels.count ? chart.columnLabels[$0] : String($0) }
    let rows = (0..<rowCount).map { row in
        let label = row < chart.rowLabels.count ? chart.rowLabels[row] : String(row)
        let values = (0..<columnCount).map { column -> String in
            guard row < chart.cells.count, column < chart.cells[row].count, let value = chart.cells[row][column]
            else { return "–" }
            return ReportFormat.number(value)
        }
        return [label] + values
    }
    return ReportTable(header: [chart.yLabel] + columns, rows: rows)
}
