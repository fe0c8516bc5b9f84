// Inline SVG charts for the lab report: line, scatter, grouped-bar and heatmap charts drawn from a `Chart`.
// The output is a self-contained `<svg>` element (no scripts, no external references, no element ids, so
// several charts can share one page) and is byte-identical for the same input.

import Foundation

/// Draws a ``Chart`` as an inline SVG element.
public enum SVGChart {
    /// Renders `chart` as an `<svg>` element of `width` × `height` pixels (with a matching `viewBox`, so it
    /// scales). Non-finite values are left out; a chart with nothing to draw shows a frame saying "no data".
    public static func render(_ chart: Chart, width: Int = 640, height: Int = 360) -> String {
        let size = (width: Double(max(width, 240)), height: Double(max(height, 160)))
        var canvas = SVGCanvas(width: size.width, height: size.height, title: chart.title)
        let drawn: Bool
        switch chart.kind {
        case .lines, .scatter: drawn = drawXY(chart, on: &canvas)
        case .bars: drawn = drawBars(chart, on: &canvas)
        case .heatmap: drawn = drawHeatmap(chart, on: &canvas)
        }
        if !drawn {
            canvas = SVGCanvas(width: size.width, height: min(size.height, 200), title: chart.title)
            drawNoData(chart, on: &canvas)
        }
        return canvas.document()
    }
}

// MARK: - Shared formatting

/// Locale-free text for numbers and markup, shared by ``SVGChart`` and ``ReportRenderer``.
enum ReportFormat {
    /// A short, locale-free rendering of `value` rounded to `digits` significant digits: fixed notation
    /// from 0.0001 up to a million (`0.153`, `12.5`, `3400`), scientific notation outside (`1.2e-05`,
    /// `3.4e+07`), trailing zeros dropped. Non-finite values give "–".
    static func number(_ value: Double, digits: Int = 3) -> String {
        guard value.isFinite else { return "–" }
        if value == 0 { return "0" }
        let digits = min(max(digits, 1), 15)
        let magnitude = abs(value)
        var exponent = decimalExponent(of: magnitude)
        // The significant digits as an integer: value ≈ units × 10^(exponent - digits + 1).
        var units = scale(magnitude, byPowerOfTen: digits - 1 - exponent).rounded(.toNearestOrAwayFromZero)
        if units >= scale(1, byPowerOfTen: digits) {
            units = (units / 10).rounded(.toNearestOrAwayFromZero)
            exponent += 1
        }
        let sign = value < 0 ? "-" : ""
        let decimals = digits - 1 - exponent
        if exponent >= -4 && exponent <= 5 {
            if decimals >= 0 { return sign + decimalText(UInt64(units), decimals: decimals) }
            return sign + String(UInt64(units)) + String(repeating: "0", count: -decimals)
        }
        let exponentDigits = String(abs(exponent))
        let paddedExponent = exponentDigits.count < 2 ? "0" + exponentDigits : exponentDigits
        return sign + decimalText(UInt64(units), decimals: digits - 1) + "e" + (exponent < 0 ? "-" : "+")
            + paddedExponent
    }

    /// A tick label for `value` on an axis whose ticks are `step` apart: enough digits to tell
    /// neighbouring ticks apart, and no more.
    static func tick(_ value: Double, step: Double) -> String {
        guard value.isFinite, step.isFinite, step > 0 else { return number(value) }
        if value == 0 { return "0" }
        let digits = decimalExponent(of: abs(value)) - decimalExponent(of: step) + 1
        return number(value, digits: max(digits, 1))
    }

    /// A pixel coordinate with one decimal (`12.5`, `300`); non-finite values give `0`.
    static func coordinate(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e12 else { return "0" }
        let tenths = Int64((value * 10).rounded(.toNearestOrAwayFromZero))
        let sign = tenths < 0 ? "-" : ""
        let whole = String(tenths.magnitude / 10)
        let fraction = tenths.magnitude % 10
        return sign + (fraction == 0 ? whole : whole + "." + String(fraction))
    }

    /// `text` escaped for XML and HTML text and attribute values (`&`, `<`, `>`, `"`, `'`); control
    /// characters that XML forbids are dropped.
    static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            case "\t", "\n", "\r": out.append(scalar)
            default:
                let forbidden = scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF
                if !forbidden { out.append(scalar) }
            }
        }
        return String(out)
    }

    /// The decimal exponent `e` with `10^e <= magnitude < 10^(e+1)`, for a positive finite magnitude.
    static func decimalExponent(of magnitude: Double) -> Int {
        guard magnitude.isFinite, magnitude > 0 else { return 0 }
        var exponent = Int(log10(magnitude).rounded(.down))
        if scale(1, byPowerOfTen: exponent) > magnitude {
            exponent -= 1
        } else if scale(1, byPowerOfTen: exponent + 1) <= magnitude {
            exponent += 1
        }
        return exponent
    }

    /// `value × 10^power`, in steps that stay within the range of `Double`.
    private static func scale(_ value: Double, byPowerOfTen power: Int) -> Double {
        var result = value
        var power = power
        while power > 300 {
            result *= 1e300
            power -= 300
        }
        while power < -300 {
            result /= 1e300
            power += 300
        }
        let factor = pow(10.0, Double(abs(power)))
        return power >= 0 ? result * factor : result / factor
    }

    /// `units / 10^decimals` written out, with trailing zeros (and a trailing point) removed.
    private static func decimalText(_ units: UInt64, decimals: Int) -> String {
        var digits = String(units)
        guard decimals > 0 else { return digits }
        if digits.count <= decimals {
            digits = String(repeating: "0", count: decimals - digits.count + 1) + digits
        }
        let split = digits.index(digits.endIndex, offsetBy: -decimals)
        var fraction = digits[split...]
        while fraction.last == "0" { fraction = fraction.dropLast() }
        return fraction.isEmpty ? String(digits[..<split]) : digits[..<split] + "." + fraction
    }
}

// MARK: - Drawing

/// The Okabe–Ito palette (distinguishable with the common colour-vision deficiencies), darkest first;
/// yellow comes last because it is faint on white.
private let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

/// The colour of series number `index`.
private func seriesColour(_ index: Int) -> String { palette[index % palette.count] }

/// Typography and spacing of every chart, in pixels.
private enum Style {
    static let font = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Vazirmatn, sans-serif"
    static let titleSize = 15.0
    static let textSize = 12.0
    static let tickSize = 11.0
    static let ink = "#222222"
    static let softInk = "#555555"
    static let grid = "#e3e3e3"
    static let axis = "#888888"
    static let empty = "#d9d9d9"
    static let margin = 10.0
}

/// An estimate of the rendered width of `text` at font size `size` (no font metrics are available).
private func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.6 }

/// `text` shortened with "…" so that it fits in `width` pixels at font size `size`.
private func clip(_ text: String, width: Double, size: Double) -> String {
    guard textWidth(text, size: size) > width else { return text }
    let keep = max(Int(width / (size * 0.6)) - 1, 1)
    return String(text.prefix(keep)) + "…"
}

/// `text` shortened in the middle with "…" so that it fits in `width` pixels at font size `size`; labels
/// often differ only at their ends ("run 1", "run 2"), so both ends are kept.
private func clipMiddle(_ text: String, width: Double, size: Double) -> String {
    guard textWidth(text, size: size) > width else { return text }
    let keep = max(Int(width / (size * 0.6)) - 1, 2)
    let tail = keep / 2
    return String(text.prefix(keep - tail)) + "…" + String(text.suffix(tail))
}

/// `text` broken at spaces into at most `maxLines` lines of `width` pixels; the last line is clipped.
private func wrap(_ text: String, width: Double, size: Double, maxLines: Int) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
        let candidate = current.isEmpty ? String(word) : current + " " + word
        if textWidth(candidate, size: size) <= width || current.isEmpty {
            current = candidate
        } else {
            lines.append(current)
            current = String(word)
        }
    }
    if !current.isEmpty { lines.append(current) }
    if lines.count > maxLines {
        let rest = lines[(maxLines - 1)...].joined(separator: " ")
        lines = Array(lines.prefix(maxLines - 1)) + [rest]
    }
    return lines.map { clip($0, width: width, size: size) }
}

/// A rectangle on the canvas, in pixels.
struct Box: Equatable {
    var left: Double
    var top: Double
    var width: Double
    var height: Double
    var right: Double { left + width }
    var bottom: Double { top + height }

    /// Whether the two rectangles share an area (touching edges do not count).
    func intersects(_ other: Box) -> Bool {
        left < other.right && other.left < right && top < other.bottom && other.top < bottom
    }
}

/// The SVG being written: the elements in drawing order, and the canvas size.
private struct SVGCanvas {
    let width: Double
    let height: Double
    let title: String
    private var elements: [String] = []

    init(width: Double, height: Double, title: String) {
        self.width = width
        self.height = height
        self.title = title
    }

    /// The finished `<svg>` element.
    func document() -> String {
        let w = ReportFormat.coordinate(width)
        let h = ReportFormat.coordinate(height)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\""
        out += " role=\"img\" aria-label=\"\(ReportFormat.escape(title))\" font-family=\"\(Style.font)\">\n"
        out += "<title>\(ReportFormat.escape(title))</title>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
        for element in elements { out += element + "\n" }
        return out + "</svg>"
    }

    /// Appends a raw element.
    mutating func add(_ element: String) { elements.append(element) }

    /// Draws `text` with its baseline at `y`; `anchor` is `start`, `middle` or `end`; `rotation` in degrees
    /// turns it about its anchor point.
    mutating func text(
        _ text: String, x: Double, y: Double, anchor: String = "start", size: Double = Style.textSize,
        fill: String = Style.ink, bold: Bool = false, rotation: Double? = nil
    ) {
        let px = ReportFormat.coordinate(x)
        let py = ReportFormat.coordinate(y)
        var attributes = "x=\"\(px)\" y=\"\(py)\" font-size=\"\(ReportFormat.coordinate(size))\" fill=\"\(fill)\""
        if anchor != "start" { attributes += " text-anchor=\"\(anchor)\"" }
        if bold { attributes += " font-weight=\"bold\"" }
        if let rotation { attributes += " transform=\"rotate(\(ReportFormat.coordinate(rotation)) \(px) \(py))\"" }
        add("<text \(attributes)>\(ReportFormat.escape(text))</text>")
    }

    /// Draws a straight line.
    mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, extra: String = ""
    ) {
        let c = ReportFormat.coordinate
        add(
            "<line x1=\"\(c(x1))\" y1=\"\(c(y1))\" x2=\"\(c(x2))\" y2=\"\(c(y2))\" stroke=\"\(stroke)\""
                + " stroke-width=\"\(c(width))\"\(extra)/>")
    }

    /// Draws a rectangle; `inner` (a `<title>` tooltip, say) goes inside the element.
    mutating func rect(_ box: Box, fill: String, extra: String = "", inner: String = "") {
        let c = ReportFormat.coordinate
        let head =
            "<rect x=\"\(c(box.left))\" y=\"\(c(box.top))\" width=\"\(c(max(box.width, 0)))\""
            + " height=\"\(c(max(box.height, 0)))\" fill=\"\(fill)\"\(extra)"
        add(inner.isEmpty ? head + "/>" : head + ">" + inner + "</rect>")
    }

    /// Draws the chart title centred at the top and returns the y just below it.
    mutating func drawTitle() -> Double {
        var y = Style.margin
        for line in wrap(title, width: width - 2 * Style.margin, size: Style.titleSize, maxLines: 2) {
            y += Style.titleSize
            text(line, x: width / 2, y: y, anchor: "middle", size: Style.titleSize, bold: true)
            y += 4
        }
        return y + 4
    }
}

/// A `<title>` tooltip element.
private func tooltip(_ text: String) -> String { "<title>\(ReportFormat.escape(text))</title>" }

/// A numeric axis: its domain, ticks and tick labels, and where a value falls along it.
private struct Axis {
    /// The ends of the axis (log10 of the values on a log axis).
    var low: Double
    var high: Double
    var isLog: Bool
    /// The tick positions, in data units.
    var ticks: [Double]
    var labels: [String]

    /// The fraction 0...1 of the way along the axis at which `value` lies.
    func fraction(_ value: Double) -> Double {
        let v = isLog ? log10(value) : value
        let span = high - low
        if span.isFinite { return span > 0 ? (v - low) / span : 0.5 }
        return (v / 2 - low / 2) / (high / 2 - low / 2)
    }

    /// A linear axis covering `values` (finite, not empty) with about five ticks at 1, 2 or 5 × 10^k.
    static func linear(_ values: [Double], includeZero: Bool = false) -> Axis {
        var low = values.min() ?? 0
        var high = values.max() ?? 1
        if includeZero {
            low = min(low, 0)
            high = max(high, 0)
        }
        if !(high - low > 0) || !(high - low).isNormal {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            if includeZero && low == 0 {
                high = low + pad
            } else if includeZero && high == 0 {
                low = high - pad
            } else {
                low -= pad
                high += pad
            }
        }
        let span = high - low
        let raw = span / 4
        guard raw.isFinite, raw > 0 else {
            return Axis(
                low: low, high: high, isLog: false, ticks: [low, high],
                labels: [ReportFormat.number(low), ReportFormat.number(high)])
        }
        let exponent = ReportFormat.decimalExponent(of: raw)
        let unit = pow(10.0, Double(exponent))
        let mantissa = raw / unit
        let nice: Double = mantissa < 1.5 ? 1 : mantissa < 3 ? 2 : mantissa < 7 ? 5 : 10
        let step = nice * unit
        let first = (low / step).rounded(.down)
        let last = (high / step).rounded(.up)
        let count = last - first
        guard step.isFinite, count.isFinite, count >= 1, count <= 20 else {
            return Axis(
                low: low, high: high, isLog: false, ticks: [low, high],
                labels: [ReportFormat.number(low, digits: 6), ReportFormat.number(high, digits: 6)])
        }
        let ticks = (0...Int(count)).map { (first + Double($0)) * step }
        return Axis(
            low: first * step, high: last * step, isLog: false, ticks: ticks,
            labels: ticks.map { ReportFormat.tick($0, step: step) })
    }

    /// A log10 axis covering `values` (finite, positive, not empty), ticks at powers of ten (and at 2 and 5
    /// times them when the data spans less than two decades).
    static func logarithmic(_ values: [Double]) -> Axis {
        let logs = values.map { log10($0) }
        var low = logs.min() ?? 0
        var high = logs.max() ?? 1
        let pad = high > low ? (high - low) * 0.04 : 0.5
        low -= pad
        high += pad
        let decades = high - low
        let multiples: [Double] = decades < 2 ? [1, 2, 5] : [1]
        let stride = max(1, Int((decades / 6).rounded(.up)))
        var ticks: [Double] = []
        // With one tick every `stride` decades, ticks fall on multiples of `stride` (1e-3, 1, 1e3, …).
        var decade = Int(low.rounded(.down))
        if stride > 1 { decade = Int((low / Double(stride)).rounded(.up)) * stride }
        while Double(decade) <= high {
            for multiple in multiples {
                let position = Double(decade) + log10(multiple)
                if position >= low && position <= high { ticks.append(multiple * pow(10.0, Double(decade))) }
            }
            decade += stride
        }
        return Axis(
            low: low, high: high, isLog: true, ticks: ticks, labels: ticks.map { ReportFormat.number($0, digits: 1) })
    }
}

/// The largest estimated width among `labels` at font size `size`.
private func widest(_ labels: [String], size: Double) -> Double {
    labels.map { textWidth($0, size: size) }.max() ?? 0
}

/// The left margin for a vertical axis with `labels` and an optional axis title.
private func leftMargin(labels: [String], title: String, limit: Double) -> Double {
    let titleRoom = title.isEmpty ? 0 : Style.textSize + 8
    return Style.margin + titleRoom + min(widest(labels, size: Style.tickSize), limit) + 8
}

/// A legend entry: the series name, its colour, and whether its swatch is a line or a block.
private struct LegendEntry {
    var name: String
    var colour: String
    var isLine: Bool
}

/// Lays the legend out in rows from `left`, wrapping within `width`, starting at `top`; draws it and
/// returns the y below it. Draws nothing when no series has a name.
private func drawLegend(
    _ entries: [LegendEntry], left: Double, width: Double, top: Double, on canvas: inout SVGCanvas
)
    -> Double
{
    guard entries.contains(where: { !$0.name.isEmpty }) else { return top }
    let rowHeight = Style.textSize + 6
    var x = left
    var y = top + Style.textSize
    for entry in entries {
        let name = clipMiddle(entry.name, width: max(width - 24, 40), size: Style.textSize)
        let itemWidth = 18 + textWidth(name, size: Style.textSize) + 16
        if x > left && x + itemWidth > left + width {
            x = left
            y += rowHeight
        }
        if entry.isLine {
            canvas.line(x1: x, y1: y - 4, x2: x + 14, y2: y - 4, stroke: entry.colour, width: 2.5)
        } else {
            canvas.rect(Box(left: x, top: y - 9, width: 12, height: 10), fill: entry.colour)
        }
        canvas.text(name, x: x + 18, y: y)
        x += itemWidth
    }
    return y + 8
}

/// Draws the horizontal grid lines and labels of a vertical axis over `plot`.
private func drawYAxis(_ axis: Axis, title: String, plot: Box, on canvas: inout SVGCanvas) {
    for (tick, label) in zip(axis.ticks, axis.labels) {
        let y = plot.bottom - axis.fraction(tick) * plot.height
        guard y.isFinite else { continue }
        let colour = tick == 0 && !axis.isLog ? Style.axis : Style.grid
        canvas.line(x1: plot.left, y1: y, x2: plot.right, y2: y, stroke: colour)
        canvas.text(label, x: plot.left - 6, y: y + 3.5, anchor: "end", size: Style.tickSize, fill: Style.softInk)
    }
    canvas.line(x1: plot.left, y1: plot.top, x2: plot.left, y2: plot.bottom, stroke: Style.axis)
    if !title.isEmpty {
        let x = Style.margin + Style.textSize
        let y = plot.top + plot.height / 2
        canvas.text(
            clip(title, width: plot.height, size: Style.textSize), x: x, y: y, anchor: "middle", rotation: -90)
    }
}

/// Draws the axis title centred under `plot`, at the bottom of the canvas.
private func drawXTitle(_ title: String, plot: Box, on canvas: inout SVGCanvas) {
    guard !title.isEmpty else { return }
    canvas.text(
        clip(title, width: plot.width, size: Style.textSize), x: plot.left + plot.width / 2,
        y: canvas.height - Style.margin, anchor: "middle")
}

/// The room below a plot for category labels of `width` pixels that are `rotated` or not, plus the axis title.
private func bottomMargin(labelWidth: Double, rotated: Bool, title: String) -> Double {
    let labels = rotated ? labelWidth * 0.643 + Style.tickSize + 6 : Style.tickSize + 8
    return Style.margin + labels + (title.isEmpty ? 0 : Style.textSize + 8)
}

/// How category labels go along a horizontal axis: level when every label fits its slot, otherwise clipped
/// and rotated, with the left margin widened so that the first rotated label stays on the canvas.
private struct CategoryLayout {
    var labels: [String]
    var rotated: Bool
    /// The widest label, in pixels (0 when level).
    var labelWidth: Double
    var left: Double
    var plotWidth: Double
    /// The width of one category.
    var slot: Double

    init(names: [String], left: Double, right: Double, canvasWidth: Double) {
        self.left = left
        plotWidth = max(canvasWidth - left - right, 40)
        slot = plotWidth / Double(max(names.count, 1))
        rotated = widest(names, size: Style.tickSize) > slot - 4
        guard rotated else {
            labels = names
            labelWidth = 0
            return
        }
        let limit = min(canvasWidth * 0.3, 150)
        labels = names.map { clipMiddle($0, width: limit, size: Style.tickSize) }
        labelWidth = widest(labels, size: Style.tickSize)
        // A label rotated by 40° reaches cos(40°) ≈ 0.766 of its width to the left of its slot's centre.
        let first = textWidth(labels.first ?? "", size: Style.tickSize) * 0.766
        for _ in 0..<2 {
            let needed = Style.margin + first - slot / 2
            guard needed > self.left else { break }
            self.left = needed
            plotWidth = max(canvasWidth - needed - right, 40)
            slot = plotWidth / Double(max(names.count, 1))
        }
    }
}

/// Draws category labels centred at `centres` under `plot`, rotated when `rotated`.
private func drawCategoryLabels(
    _ labels: [String], centres: [Double], plot: Box, rotated: Bool, on canvas: inout SVGCanvas
) {
    for (label, x) in zip(labels, centres) {
        if rotated {
            canvas.text(
                label, x: x + 3, y: plot.bottom + 12, anchor: "end", size: Style.tickSize, fill: Style.softInk,
                rotation: -40)
        } else {
            canvas.text(label, x: x, y: plot.bottom + 14, anchor: "middle", size: Style.tickSize, fill: Style.softInk)
        }
    }
}

/// A finite value, or nil.
private func finite(_ value: Double?) -> Double? {
    guard let value, value.isFinite else { return nil }
    return value
}

/// The drawable points of a series: finite coordinates, positive x on a log axis; `low`/`high` made finite
/// and ordered.
private func usablePoints(_ series: ChartSeries, logX: Bool) -> [ChartPoint] {
    series.points.compactMap { point in
        guard point.x.isFinite, point.y.isFinite, !logX || point.x > 0 else { return nil }
        var clean = point
        let low = finite(point.low)
        let high = finite(point.high)
        if low != nil || high != nil {
            let a = low ?? point.y
            let b = high ?? point.y
            clean.low = min(a, b)
            clean.high = max(a, b)
        } else {
            clean.low = nil
            clean.high = nil
        }
        return clean
    }
}

/// Draws a line or scatter chart; false when there is no point to draw.
private func drawXY(_ chart: Chart, on canvas: inout SVGCanvas) -> Bool {
    let cleaned = chart.series.map { usablePoints($0, logX: chart.logX) }
    let points = cleaned.flatMap { $0 }
    guard !points.isEmpty else { return false }
    let isLines = chart.kind == .lines
    let xAxis = chart.logX ? Axis.logarithmic(points.map(\.x)) : Axis.linear(points.map(\.x))
    let yValues = points.flatMap { [$0.y, $0.low, $0.high].compactMap { $0 } }
    let yAxis = Axis.linear(yValues)

    var top = canvas.drawTitle()
    let left = leftMargin(labels: yAxis.labels, title: chart.yLabel, limit: canvas.width * 0.25)
    let lastLabel = xAxis.labels.last.map { textWidth($0, size: Style.tickSize) / 2 } ?? 0
    let right = max(Style.margin + 6, lastLabel + 4)
    let plotWidth = max(canvas.width - left - right, 40)
    let entries = chart.series.enumerated().map {
        LegendEntry(name: $0.element.name, colour: seriesColour($0.offset), isLine: isLines)
    }
    top = drawLegend(entries, left: left, width: plotWidth, top: top, on: &canvas) + 4
    let bottom = bottomMargin(labelWidth: 0, rotated: false, title: chart.xLabel)
    let plot = Box(left: left, top: top, width: plotWidth, height: max(canvas.height - top - bottom, 40))

    drawYAxis(yAxis, title: chart.yLabel, plot: plot, on: &canvas)
    // Label every tick, or every second (third, …) one when the labels would touch.
    let spacing = plot.width / Double(max(xAxis.ticks.count - 1, 1))
    let every = max(1, Int(((widest(xAxis.labels, size: Style.tickSize) + 8) / spacing).rounded(.up)))
    for (index, (tick, label)) in zip(xAxis.ticks, xAxis.labels).enumerated() {
        let x = plot.left + xAxis.fraction(tick) * plot.width
        guard x.isFinite else { continue }
        canvas.line(x1: x, y1: plot.top, x2: x, y2: plot.bottom, stroke: Style.grid)
        guard index % every == 0 else { continue }
        canvas.text(label, x: x, y: plot.bottom + 14, anchor: "middle", size: Style.tickSize, fill: Style.softInk)
    }
    canvas.line(x1: plot.left, y1: plot.bottom, x2: plot.right, y2: plot.bottom, stroke: Style.axis)
    drawXTitle(chart.xLabel, plot: plot, on: &canvas)

    let c = ReportFormat.coordinate
    func px(_ x: Double) -> Double { plot.left + xAxis.fraction(x) * plot.width }
    func py(_ y: Double) -> Double { plot.bottom - yAxis.fraction(y) * plot.height }
    if isLines {
        for (index, series) in cleaned.enumerated() {
            let band = series.filter { $0.low != nil }
            guard band.count >= 2 else { continue }
            let upper = band.map { "\(c(px($0.x))),\(c(py($0.high ?? $0.y)))" }
            let lower = band.reversed().map { "\(c(px($0.x))),\(c(py($0.low ?? $0.y)))" }
            canvas.add(
                "<polygon class=\"band\" points=\"\((upper + lower).joined(separator: " "))\""
                    + " fill=\"\(seriesColour(index))\" fill-opacity=\"0.18\" stroke=\"none\"/>")
        }
        for (index, series) in cleaned.enumerated() where !series.isEmpty {
            let path = series.map { "\(c(px($0.x))),\(c(py($0.y)))" }.joined(separator: " ")
            canvas.add(
                "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(seriesColour(index))\" stroke-width=\"2\""
                    + " stroke-linejoin=\"round\"/>")
        }
    }
    for (index, series) in cleaned.enumerated() {
        let name = chart.series[index].name
        for point in series {
            let x = px(point.x)
            let y = py(point.y)
            var tip =
                (name.isEmpty ? "" : name + ": ") + ReportFormat.number(point.x, digits: 4) + ", "
                + ReportFormat.number(point.y, digits: 4)
            if let low = point.low, let high = point.high {
                tip += " [" + ReportFormat.number(low, digits: 4) + ", " + ReportFormat.number(high, digits: 4) + "]"
            }
            if let label = point.label, !label.isEmpty { tip = label + " — " + tip }
            canvas.add(
                "<circle cx=\"\(c(x))\" cy=\"\(c(y))\" r=\"\(isLines ? "3" : "4")\" fill=\"\(seriesColour(index))\""
                    + " stroke=\"#ffffff\" stroke-width=\"1\">\(tooltip(tip))</circle>")
        }
    }
    if !isLines {
        let labelled = cleaned.flatMap { $0 }.compactMap { point -> ScatterLabel? in
            guard let label = point.label, !label.isEmpty else { return nil }
            return ScatterLabel(x: px(point.x), y: py(point.y), text: label)
        }
        for label in placeScatterLabels(labelled, plot: plot) {
            canvas.text(
                label.text, x: label.x, y: label.y, anchor: label.flipped ? "end" : "start", size: Style.tickSize,
                fill: Style.ink)
        }
    }
    return true
}

/// A point's label in a scatter chart, at the point's pixel position.
struct ScatterLabel: Equatable {
    var x: Double
    var y: Double
    var text: String
    var flipped = false
}

/// Where the labels of a scatter chart go: points that coincide (within 3 pixels) share one label
/// ("greedy, beam 4"), each label sits above and right of its point (left where it would leave the
/// plot), and a label that would overlap one already placed moves down a line at a time.
func placeScatterLabels(_ points: [ScatterLabel], plot: Box) -> [ScatterLabel] {
    var groups: [ScatterLabel] = []
    for point in points {
        if let g = groups.firstIndex(where: { abs($0.x - point.x) <= 3 && abs($0.y - point.y) <= 3 }) {
            groups[g].text += ", " + point.text
        } else {
            groups.append(point)
        }
    }
    let line = Style.tickSize + 2
    var placed: [(label: ScatterLabel, box: Box)] = []
    for group in groups.sorted(by: { ($0.y, $0.x) < ($1.y, $1.x) }) {
        let text = clipMiddle(group.text, width: plot.width / 3, size: Style.tickSize)
        let width = textWidth(text, size: Style.tickSize)
        let flipped = group.x + 6 + width > plot.right
        let left = flipped ? group.x - 6 - width : group.x + 6
        var y = max(group.y - 6, plot.top + Style.tickSize)
        func box(_ y: Double) -> Box { Box(left: left, top: y - Style.tickSize, width: width, height: line) }
        var tries = 0
        while tries < 8, placed.contains(where: { $0.box.intersects(box(y)) }), y + line <= plot.bottom {
            y += line
            tries += 1
        }
        let label = ScatterLabel(x: flipped ? group.x - 6 : group.x + 6, y: y, text: text, flipped: flipped)
        placed.append((label, box(y)))
    }
    return placed.map(\.label)
}

/// Draws a grouped bar chart; false when there is no bar to draw.
private func drawBars(_ chart: Chart, on canvas: inout SVGCanvas) -> Bool {
    let maximumCategories = 10_000
    let cleaned = chart.series.map { series in
        usablePoints(series, logX: false).filter { $0.x >= 0 && $0.x.rounded() < Double(maximumCategories) }
    }
    let points = cleaned.flatMap { $0 }
    guard !points.isEmpty else { return false }
    let highestIndex = points.map { Int($0.x.rounded()) }.max() ?? 0
    let count = max(min(chart.categories.count, maximumCategories), highestIndex + 1)
    let yValues = points.flatMap { [$0.y, $0.low, $0.high].compactMap { $0 } }
    let yAxis = Axis.linear(yValues, includeZero: true)

    var top = canvas.drawTitle()
    let names = (0..<count).map { $0 < chart.categories.count ? chart.categories[$0] : String($0) }
    let layout = CategoryLayout(
        names: names, left: leftMargin(labels: yAxis.labels, title: chart.yLabel, limit: canvas.width * 0.25),
        right: Style.margin + 6, canvasWidth: canvas.width)
    let entries = chart.series.enumerated().map {
        LegendEntry(name: $0.element.name, colour: seriesColour($0.offset), isLine: false)
    }
    top = drawLegend(entries, left: layout.left, width: layout.plotWidth, top: top, on: &canvas) + 4
    let slot = layout.slot
    let bottom = bottomMargin(labelWidth: layout.labelWidth, rotated: layout.rotated, title: chart.xLabel)
    let plot = Box(
        left: layout.left, top: top, width: layout.plotWidth, height: max(canvas.height - top - bottom, 40))

    drawYAxis(yAxis, title: chart.yLabel, plot: plot, on: &canvas)
    canvas.line(x1: plot.left, y1: plot.bottom, x2: plot.right, y2: plot.bottom, stroke: Style.axis)
    let centres = (0..<count).map { plot.left + (Double($0) + 0.5) * slot }
    drawCategoryLabels(layout.labels, centres: centres, plot: plot, rotated: layout.rotated, on: &canvas)
    drawXTitle(chart.xLabel, plot: plot, on: &canvas)

    func py(_ y: Double) -> Double { plot.bottom - yAxis.fraction(y) * plot.height }
    let barWidth = slot * 0.8 / Double(max(chart.series.count, 1))
    let zero = py(0)
    for (index, series) in cleaned.enumerated() {
        let name = chart.series[index].name
        for point in series {
            let category = Int(point.x.rounded())
            let x = plot.left + Double(category) * slot + slot * 0.1 + Double(index) * barWidth
            let y = py(point.y)
            let box = Box(left: x, top: min(y, zero), width: barWidth, height: abs(zero - y))
            var tip =
                (name.isEmpty ? "" : name + ", ") + names[category] + ": " + ReportFormat.number(point.y, digits: 4)
            if let low = point.low, let high = point.high {
                tip += " [" + ReportFormat.number(low, digits: 4) + ", " + ReportFormat.number(high, digits: 4) + "]"
            }
            canvas.rect(box, fill: seriesColour(index), extra: " class=\"bar\"", inner: tooltip(tip))
        }
    }
    for (index, series) in cleaned.enumerated() {
        for point in series {
            guard let low = point.low, let high = point.high else { continue }
            let category = Int(point.x.rounded())
            let centre = plot.left + Double(category) * slot + slot * 0.1 + (Double(index) + 0.5) * barWidth
            let cap = min(barWidth * 0.25, 6)
            let extra = " class=\"error\""
            canvas.line(x1: centre, y1: py(low), x2: centre, y2: py(high), stroke: Style.ink, width: 1.2, extra: extra)
            for end in [low, high] {
                canvas.line(
                    x1: centre - cap, y1: py(end), x2: centre + cap, y2: py(end), stroke: Style.ink, width: 1.2,
                    extra: extra)
            }
        }
    }
    return true
}

/// Viridis, sampled at five points: a perceptually even, colour-blind-safe dark-to-light scale.
private let sequentialStops: [(Double, Double, Double)] = [
    (68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37),
]

/// The colour at `t` (0...1) on the sequential scale, as `#rrggbb`.
private func sequentialColour(_ t: Double) -> String {
    let t = min(max(t.isFinite ? t : 0, 0), 1) * Double(sequentialStops.count - 1)
    let index = min(Int(t), sequentialStops.count - 2)
    let f = t - Double(index)
    let a = sequentialStops[index]
    let b = sequentialStops[index + 1]
    func hex(_ x: Double, _ y: Double) -> String {
        let value = Int((x + (y - x) * f).rounded())
        let text = String(min(max(value, 0), 255), radix: 16)
        return text.count < 2 ? "0" + text : text
    }
    return "#" + hex(a.0, b.0) + hex(a.1, b.1) + hex(a.2, b.2)
}

/// Draws a heatmap; false when it has no rows or no columns.
private func drawHeatmap(_ chart: Chart, on canvas: inout SVGCanvas) -> Bool {
    let rows = max(chart.rowLabels.count, chart.cells.count)
    let columns = max(chart.columnLabels.count, chart.cells.map(\.count).max() ?? 0)
    guard rows > 0, columns > 0 else { return false }
    func value(_ row: Int, _ column: Int) -> Double? {
        guard row < chart.cells.count, column < chart.cells[row].count else { return nil }
        return finite(chart.cells[row][column])
    }
    let values = chart.cells.flatMap { $0.compactMap(finite) }
    let lowest = values.min()
    let highest = values.max()

    let top = canvas.drawTitle()
    let rowNames = (0..<rows).map { $0 < chart.rowLabels.count ? chart.rowLabels[$0] : String($0) }
    let columnNames = (0..<columns).map { $0 < chart.columnLabels.count ? chart.columnLabels[$0] : String($0) }
    let rowLimit = canvas.width * 0.3
    let rowLabels = rowNames.map { clipMiddle($0, width: rowLimit, size: Style.tickSize) }
    let legendLabels = [lowest, highest].compactMap { $0 }.map { ReportFormat.number($0) }
    let legendWidth = lowest == nil ? 0 : 12 + 6 + widest(legendLabels, size: Style.tickSize) + 8
    let layout = CategoryLayout(
        names: columnNames, left: leftMargin(labels: rowLabels, title: chart.yLabel, limit: rowLimit),
        right: Style.margin + legendWidth + 8, canvasWidth: canvas.width)
    let cellWidth = layout.slot
    let bottom = bottomMargin(labelWidth: layout.labelWidth, rotated: layout.rotated, title: chart.xLabel)
    let plot = Box(
        left: layout.left, top: top, width: layout.plotWidth, height: max(canvas.height - top - bottom, 40))
    let cellHeight = plot.height / Double(rows)

    for (row, label) in rowLabels.enumerated() {
        let y = plot.top + (Double(row) + 0.5) * cellHeight + 3.5
        canvas.text(label, x: plot.left - 6, y: y, anchor: "end", size: Style.tickSize, fill: Style.softInk)
    }
    let centres = (0..<columns).map { plot.left + (Double($0) + 0.5) * cellWidth }
    drawCategoryLabels(layout.labels, centres: centres, plot: plot, rotated: layout.rotated, on: &canvas)
    if !chart.yLabel.isEmpty {
        canvas.text(
            clip(chart.yLabel, width: plot.height, size: Style.textSize), x: Style.margin + Style.textSize,
            y: plot.top + plot.height / 2, anchor: "middle", rotation: -90)
    }
    drawXTitle(chart.xLabel, plot: plot, on: &canvas)

    let span = (highest ?? 0) - (lowest ?? 0)
    for row in 0..<rows {
        for column in 0..<columns {
            let box = Box(
                left: plot.left + Double(column) * cellWidth, top: plot.top + Double(row) * cellHeight,
                width: cellWidth, height: cellHeight)
            let cell = value(row, column)
            let t = cell.map { span > 0 && span.isFinite ? ($0 - (lowest ?? 0)) / span : 0.5 } ?? 0
            let fill = cell == nil ? Style.empty : sequentialColour(t)
            let text = cell.map { ReportFormat.number($0) } ?? "–"
            let tip = rowNames[row] + " × " + columnNames[column] + ": " + text
            canvas.rect(
                box, fill: fill, extra: " class=\"cell\" stroke=\"#ffffff\" stroke-width=\"1\"",
                inner: tooltip(tip))
            let fitted = min(Style.textSize, cellHeight * 0.5, (cellWidth - 4) / (Double(text.count) * 0.6))
            let ink = cell == nil ? Style.softInk : (t < 0.6 ? "#ffffff" : "#111111")
            canvas.text(
                text, x: box.left + box.width / 2, y: box.top + box.height / 2 + fitted * 0.35, anchor: "middle",
                size: max(fitted, 6), fill: ink)
        }
    }

    if let lowest, let highest {
        let steps = 10
        let barHeight = min(plot.height, 160)
        let x = plot.right + 12
        let stepHeight = barHeight / Double(steps)
        for step in 0..<steps {
            let t = 1 - (Double(step) + 0.5) / Double(steps)
            let box = Box(left: x, top: plot.top + Double(step) * stepHeight, width: 12, height: stepHeight + 0.5)
            canvas.rect(box, fill: sequentialColour(t))
        }
        canvas.add(
            "<rect x=\"\(ReportFormat.coordinate(x))\" y=\"\(ReportFormat.coordinate(plot.top))\" width=\"12\""
                + " height=\"\(ReportFormat.coordinate(barHeight))\" fill=\"none\" stroke=\"\(Style.axis)\"/>")
        let labelX = x + 18
        canvas.text(
            ReportFormat.number(highest), x: labelX, y: plot.top + 8, size: Style.tickSize, fill: Style.softInk)
        canvas.text(
            ReportFormat.number(lowest), x: labelX, y: plot.top + barHeight, size: Style.tickSize, fill: Style.softInk)
    }
    return true
}

/// Draws the frame of a chart with nothing to show.
private func drawNoData(_ chart: Chart, on canvas: inout SVGCanvas) {
    let top = canvas.drawTitle()
    let box = Box(
        left: Style.margin, top: top, width: canvas.width - 2 * Style.margin,
        height: max(canvas.height - top - Style.margin, 20))
    canvas.rect(box, fill: "#fafafa", extra: " stroke=\"\(Style.axis)\" stroke-dasharray=\"4 3\"")
    canvas.text(
        "no data", x: box.left + box.width / 2, y: box.top + box.height / 2 + 5, anchor: "middle", size: 14,
        fill: Style.softInk)
}
