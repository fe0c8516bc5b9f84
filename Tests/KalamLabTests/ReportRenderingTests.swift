import Foundation
import Testing

@testable import KalamLab

/// How many times `needle` occurs in `text` (non-overlapping).
private func occurrences(of needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}

/// Points at x = 0, 1, 2, … with the given y values, with a ±0.1 band when `band` is set.
private func points(_ ys: [Double], band: Bool = false) -> [ChartPoint] {
    ys.enumerated().map { index, y in
        ChartPoint(x: Double(index), y: y, low: band ? y - 0.1 : nil, high: band ? y + 0.1 : nil)
    }
}

/// A claim that would run a script if it reached the page unescaped.
private let hostileText = "<script>alert(1)</script> & \"x\""
private let hostileEscaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"
private let persian = "مدل فارسی با داده‌های بیشتر بهتر می‌شود"

/// A small report with every chart kind, all four verdicts and Persian text.
private func sampleReport() -> LabReport {
    let lines = Chart(
        kind: .lines, title: "Loss", xLabel: "step", yLabel: "loss",
        series: [
            ChartSeries(name: "cosine", points: points([3, 2, 1.5], band: true)),
            ChartSeries(name: "constant", points: points([3.2, 2.4, .nan])),
        ], note: "Bands: min–max over seeds.")
    let bars = Chart(
        kind: .bars, title: "Accuracy", series: [ChartSeries(name: "before", points: points([0.4, 0.2]))],
        categories: ["arithmetic", "spelling"])
    let heatmap = Chart(
        kind: .heatmap, title: "Heads", rowLabels: ["layer 0", "layer 1"], columnLabels: ["h0", "h1", "h2"],
        cells: [[0.1534, .infinity, nil], [0.2, 0.3, 0.4]])
    let scatter = Chart(
        kind: .scatter, title: "Size",
        series: [
            ChartSeries(name: "runs", points: [ChartPoint(x: 1e6, y: 30, label: "small")])
        ], logX: true)
    return LabReport(
        title: "Lab report", machine: "test machine", kalamVersion: "0.0.0", seconds: 12.5, seeds: [1, 2],
        verdicts: [
            ReportVerdictRow(
                id: "C1", claim: hostileText, experiment: "schedules", verdict: .held, evidence: "1.6 vs 1.8",
                rule: "lower by 5%"),
            ReportVerdictRow(id: "C2", claim: "a | b", experiment: "adaptation", verdict: .failed, evidence: "gap"),
            ReportVerdictRow(id: "C3", claim: "linear\nscaling", experiment: "throughput", verdict: .mixed),
            ReportVerdictRow(id: "C4", claim: persian, experiment: "scaling", verdict: .inconclusive),
        ],
        sections: [
            ReportSection(
                id: "schedules", title: "Schedules", question: "Which schedule?", setup: "Three seeds.",
                charts: [lines, bars], tables: [ReportTable(header: ["a", "b"], rows: [["1", "x"]])],
                paragraphs: ["Cosine wins."], seconds: 3),
            ReportSection(
                id: "scaling", title: "Scaling", charts: [heatmap, scatter],
                examples: [ReportExample(title: "Sample", text: persian + "\n<b>bold</b>")], seconds: 2.25),
        ],
        notes: ["A note."])
}

@Suite struct ReportRenderingTests {
    @Test func numbersAreShortAndLocaleFree() {
        #expect(ReportFormat.number(0.1534) == "0.153")
        #expect(ReportFormat.number(12.5) == "12.5")
        #expect(ReportFormat.number(1.2e-05) == "1.2e-05")
        #expect(ReportFormat.number(3400) == "3400")
        #expect(ReportFormat.number(-0.5) == "-0.5")
        #expect(ReportFormat.number(9.996) == "10")
        #expect(ReportFormat.number(3.4e7) == "3.4e+07")
        #expect(ReportFormat.number(0) == "0")
        #expect(ReportFormat.number(.nan) == "–")
        #expect(ReportFormat.tick(0.1 + 0.2, step: 0.1) == "0.3")
        #expect(ReportFormat.tick(100.2, step: 0.2) == "100.2")
    }

    @Test func hostileTextIsEscapedInHTMLAndSVG() {
        let html = ReportRenderer.html(sampleReport())
        #expect(!html.contains("<script"))
        #expect(html.contains(hostileEscaped))
        let svg = SVGChart.render(
            Chart(
                kind: .scatter, title: hostileText, xLabel: "it's",
                series: [ChartSeries(name: hostileText, points: [ChartPoint(x: 1, y: 2, label: hostileText)])]))
        #expect(!svg.contains("<script"))
        #expect(occurrences(of: hostileEscaped, in: svg) >= 3)
        #expect(svg.contains("it&#39;s"))
    }

    @Test func aLinesChartDrawsOnePolylinePerSeriesAndACirclePerPoint() {
        let chart = Chart(
            kind: .lines, title: "two",
            series: [
                ChartSeries(name: "a", points: points([1, 2, 3])), ChartSeries(name: "b", points: points([3, 2, 1])),
            ])
        let svg = SVGChart.render(chart)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>"))
        #expect(occurrences(of: "<polyline", in: svg) == 2)
        #expect(occurrences(of: "<circle", in: svg) == 6)
        #expect(occurrences(of: "<polygon", in: svg) == 0)
    }

    @Test func aBandIsDrawnOnlyWhereLowAndHighAreGiven() {
        let chart = Chart(
            kind: .lines, title: "band",
            series: [
                ChartSeries(name: "a", points: points([1, 2, 3], band: true)),
                ChartSeries(name: "b", points: points([3, 2, 1])),
            ])
        #expect(occurrences(of: "<polygon", in: SVGChart.render(chart)) == 1)
    }

    @Test func aHeatmapDrawsEveryCellAndPrintsThreeSignificantDigits() {
        let chart = Chart(
            kind: .heatmap, title: "h", rowLabels: ["r0", "r1"], columnLabels: ["a", "b", "c"],
            cells: [[0.1534, 0.2, nil], [0.4, .nan, 0.9]])
        let svg = SVGChart.render(chart)
        #expect(occurrences(of: "class=\"cell\"", in: svg) == 6)
        #expect(svg.contains(">0.153<"))
        #expect(!svg.contains("0.1534"))
        #expect(occurrences(of: ">–<", in: svg) == 2)
        #expect(svg.contains(">r1<") && svg.contains(">c<"))
    }

    @Test func barsDrawOneRectanglePerValueWithErrorBars() {
        let chart = Chart(
            kind: .bars, title: "bars",
            series: [
                ChartSeries(name: "a", points: points([1, 2], band: true)),
                ChartSeries(name: "b", points: points([-1, 0.5])),
            ], categories: ["x", "y"])
        let svg = SVGChart.render(chart)
        #expect(occurrences(of: "class=\"bar\"", in: svg) == 4)
        #expect(occurrences(of: "class=\"error\"", in: svg) == 6)  // a stem and two caps per error bar
        #expect(svg.contains(">x<") && svg.contains(">y<"))
    }

    @Test func nonFiniteValuesNeverReachTheOutput() {
        let chart = Chart(
            kind: .lines, title: "w",
            series: [
                ChartSeries(
                    name: "a",
                    points: [
                        ChartPoint(x: 0, y: .nan), ChartPoint(x: 1, y: 1, low: -.infinity, high: .infinity),
                        ChartPoint(x: .infinity, y: 2), ChartPoint(x: 2, y: 3),
                    ])
            ])
        let svg = SVGChart.render(chart)
        #expect(occurrences(of: "<circle", in: svg) == 2)
        let report = sampleReport()
        for text in [svg, ReportRenderer.html(report), ReportRenderer.markdown(report)] {
            let lower = text.lowercased()
            #expect(!lower.contains("nan"))
            #expect(!lower.contains("inf"))
        }
    }

    @Test func equalValuesAndSinglePointsDoNotDivideByZero() {
        let flat = SVGChart.render(
            Chart(kind: .lines, title: "flat", series: [ChartSeries(name: "a", points: points([5, 5]))]))
        #expect(occurrences(of: "<circle", in: flat) == 2)
        let zero = SVGChart.render(
            Chart(kind: .bars, title: "zero", series: [ChartSeries(name: "a", points: points([0]))]))
        #expect(occurrences(of: "class=\"bar\"", in: zero) == 1)
        let same = SVGChart.render(Chart(kind: .heatmap, title: "same", cells: [[2, 2]]))
        #expect(occurrences(of: "class=\"cell\"", in: same) == 2)
        for svg in [flat, zero, same] {
            #expect(!svg.lowercased().contains("nan"))
        }
    }

    @Test func coincidingScatterPointsShareOneLabel() {
        let plot = Box(left: 50, top: 20, width: 500, height: 300)
        let placed = placeScatterLabels(
            [
                ScatterLabel(x: 100, y: 100, text: "greedy"), ScatterLabel(x: 102, y: 101, text: "beam 4"),
                ScatterLabel(x: 300, y: 200, text: "top-k 40"),
            ], plot: plot)
        #expect(placed.map(\.text) == ["greedy, beam 4", "top-k 40"])
        #expect(placed[0] == ScatterLabel(x: 106, y: 94, text: "greedy, beam 4"))
        // Through the renderer: one text element for the two coinciding points, both in it.
        let svg = SVGChart.render(
            Chart(
                kind: .scatter, title: "decoders",
                series: [
                    ChartSeries(
                        name: "d",
                        points: [
                            ChartPoint(x: 1, y: 1, label: "greedy"), ChartPoint(x: 1, y: 1, label: "beam 4"),
                            ChartPoint(x: 2, y: 2, label: "sampling"),
                        ])
                ]))
        #expect(svg.contains(">greedy, beam 4</text>"))
        #expect(occurrences(of: ">sampling</text>", in: svg) == 1)
    }

    @Test func nearbyScatterLabelsMoveDownALineInsteadOfOverlapping() {
        let plot = Box(left: 50, top: 20, width: 500, height: 300)
        // Two points 5 px apart vertically: the second label's box would overlap the first's.
        let placed = placeScatterLabels(
            [ScatterLabel(x: 100, y: 100, text: "typical 0.9"), ScatterLabel(x: 110, y: 105, text: "min-p 0.1")],
            plot: plot)
        #expect(placed.count == 2)
        #expect(placed[0].y == 94)
        #expect(placed[1].y == 99 + 13)
        // A label that would leave the plot on the right is drawn to the left of its point.
        let right = placeScatterLabels([ScatterLabel(x: 545, y: 100, text: "sampling")], plot: plot)
        #expect(right == [ScatterLabel(x: 539, y: 94, text: "sampling", flipped: true)])
    }

    @Test(arguments: [ChartKind.lines, .bars, .heatmap, .scatter])
    func anEmptyChartSaysNoData(kind: ChartKind) {
        let svg = SVGChart.render(Chart(kind: kind, title: "empty"))
        #expect(svg.contains("no data"))
        #expect(svg.hasSuffix("</svg>"))
    }

    @Test func aChartOfOnlyNonFinitePointsSaysNoData() {
        let chart = Chart(
            kind: .lines, title: "x", series: [ChartSeries(name: "a", points: [ChartPoint(x: .nan, y: 1)])])
        #expect(SVGChart.render(chart).contains("no data"))
    }

    @Test func renderingIsDeterministic() {
        #expect(ReportRenderer.html(sampleReport()) == ReportRenderer.html(sampleReport()))
        #expect(ReportRenderer.markdown(sampleReport()) == ReportRenderer.markdown(sampleReport()))
    }

    @Test func theHTMLPageIsSelfContainedAndOrdered() throws {
        let html = ReportRenderer.html(sampleReport())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(!html.contains("<link") && !html.contains("<script") && !html.contains("src="))
        #expect(occurrences(of: "<svg", in: html) == 4)
        #expect(occurrences(of: "<figure>", in: html) == 4)
        #expect(html.contains("<figcaption dir=\"auto\">Bands: min–max over seeds.</figcaption>"))
        #expect(html.contains("<section id=\"schedules\">") && html.contains("<section id=\"scaling\">"))
        #expect(html.contains("took 3 s") && html.contains("took 2.25 s"))
        #expect(html.contains("<span class=\"rule\">Rule: lower by 5%</span>"))
        #expect(html.contains("<pre dir=\"auto\">\(persian)\n&lt;b&gt;bold&lt;/b&gt;</pre>"))
        let verdicts = try #require(html.range(of: "<table class=\"verdicts\">"))
        let firstSection = try #require(html.range(of: "<section id=\"schedules\">"))
        let notes = try #require(html.range(of: "<li dir=\"auto\">A note.</li>"))
        #expect(verdicts.lowerBound < firstSection.lowerBound)
        #expect(firstSection.lowerBound < notes.lowerBound)
    }

    @Test func everyVerdictRowAppearsInOrderInHTMLAndMarkdown() {
        let report = sampleReport()
        let html = ReportRenderer.html(report)
        let markdown = ReportRenderer.markdown(report)
        var htmlPosition = html.startIndex
        var markdownPosition = markdown.startIndex
        for row in report.verdicts {
            let htmlRow = html.range(of: "<td dir=\"auto\">\(row.id)</td>", range: htmlPosition..<html.endIndex)
            #expect(htmlRow != nil, "\(row.id) in the HTML table")
            if let htmlRow { htmlPosition = htmlRow.upperBound }
            #expect(html[htmlPosition...].contains("class=\"badge \(row.verdict.rawValue)\""))
            let markdownRow = markdown.range(of: "| \(row.id) |", range: markdownPosition..<markdown.endIndex)
            #expect(markdownRow != nil, "\(row.id) in the Markdown table")
            if let markdownRow { markdownPosition = markdownRow.upperBound }
        }
        #expect(occurrences(of: "<tr class=\"verdict\">", in: html) == 4)
    }

    @Test func markdownEscapesTableCellsAndKeepsCharts() {
        let markdown = ReportRenderer.markdown(sampleReport())
        #expect(markdown.contains("| a \\| b |"))
        #expect(markdown.contains("| linear scaling |"))
        #expect(markdown.contains("\\<script>"))
        #expect(markdown.contains("**Chart: Loss** (x: step; y: loss)"))
        #expect(markdown.contains("| step | cosine | constant |"))
        #expect(markdown.contains("| 0 | 3 [2.9, 3.1] | 3.2 |"))
        #expect(markdown.contains("| layer 0 | 0.153 | – | – |"))
        #expect(markdown.contains("| arithmetic | 0.4 |"))
        #expect(markdown.contains("```text\n\(persian)\n<b>bold</b>\n```"))
        #expect(!markdown.contains("<svg"))
    }

    @Test func persianTextSurvivesIntact() throws {
        let report = sampleReport()
        #expect(ReportRenderer.html(report).contains(persian))
        #expect(ReportRenderer.markdown(report).contains(persian))
        let svg = SVGChart.render(
            Chart(kind: .bars, title: persian, series: [ChartSeries(name: "a", points: points([1]))]))
        #expect(svg.contains(persian))
        // The model survives a JSON round trip (non-finite values need the encoder's string strategy).
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "+Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "+Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let decoded = try decoder.decode(LabReport.self, from: encoder.encode(report))
        #expect(decoded.verdicts == report.verdicts)
        #expect(decoded.sections[1].examples == report.sections[1].examples)
    }
}
