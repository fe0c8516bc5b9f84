import Foundation

/// A mean with a two-sided 95% interval: Student's t over the values (a paired difference when the
/// values are differences between two arms on the same seeds).
public struct Interval: Codable, Sendable, Equatable {
    /// The mean.
    public var mean: Double
    /// The lower and upper ends of the 95% interval (equal to the mean for a single value).
    public var low: Double
    public var high: Double
    /// The sample standard deviation (n − 1; 0 for a single value).
    public var std: Double
    /// How many values.
    public var n: Int

    /// `+mean [low, high]` in a precision that suits the numbers: whole counts without decimals, values
    /// under 0.01 (seconds per token) in scientific notation, others with three decimals.
    public var signedText: String {
        let largest = [mean, low, high].map(abs).filter(\.isFinite).max() ?? 0
        let format =
            largest >= 1_000 && [mean, low, high].allSatisfy({ $0 == $0.rounded() })
            ? "%+.0f"
            : largest > 0 && largest < 0.01 ? "%+.2e" : "%+.3f"
        return String(format: "\(format) [\(format), \(format)]", mean, low, high)
    }

    /// Whether the interval lies wholly above 0.
    public var isPositive: Bool { n >= 2 && low > 0 }
    /// Whether the interval lies wholly below 0.
    public var isNegative: Bool { n >= 2 && high < 0 }
}

/// The statistics the lab reports: mean ± std and paired t-intervals.
public enum LabStatistics {
    /// The mean of `values` (0 for none).
    public static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// The sample standard deviation (n − 1) of `values` (0 for fewer than two).
    public static func std(_ values: [Double]) -> Double {
        guard values.count >= 2 else { return 0 }
        let m = mean(values)
        return (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }

    /// The 97.5% quantile of Student's t with `df` degrees of freedom (the half-width factor of a
    /// two-sided 95% interval): exact to three decimals for df ≤ 30, then the values at 40, 60, 120 and
    /// the normal's 1.960, each used up to the next.
    public static func tQuantile975(df: Int) -> Double {
        let table: [Double] = [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
        ]
        if df >= 1, df <= table.count { return table[df - 1] }
        if df < 40 { return 2.042 }
        if df < 60 { return 2.021 }
        if df < 120 { return 2.000 }
        return df < 1_000 ? 1.980 : 1.960
    }

    /// The mean of `values` with its 95% t-interval.
    public static func interval(_ values: [Double]) -> Interval {
        let m = mean(values), s = std(values)
        guard values.count >= 2 else { return Interval(mean: m, low: m, high: m, std: 0, n: values.count) }
        let half = tQuantile975(df: values.count - 1) * s / Double(values.count).squareRoot()
        return Interval(mean: m, low: m - half, high: m + half, std: s, n: values.count)
    }

    /// The paired difference `a − b` (element by element: the same seeds) with its 95% t-interval.
    public static func pairedDifference(_ a: [Double], _ b: [Double]) -> Interval {
        interval(zip(a, b).map { $0 - $1 })
    }

    /// `mean ± std` with `digits` decimals.
    public static func format(_ values: [Double], digits: Int = 3) -> String {
        String(format: "%.\(digits)f ± %.\(digits)f", mean(values), std(values))
    }
}
