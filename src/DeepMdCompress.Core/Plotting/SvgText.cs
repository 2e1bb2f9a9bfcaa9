using System.Globalization;
using System.Security;

namespace DeepMdCompress.Core.Plotting;

/// <summary>How the SVG pictures write numbers, labels and colours.</summary>
internal static class SvgText
{
    /// <summary>Series colours, in order (matplotlib's default cycle, so the pictures look familiar).</summary>
    public static readonly string[] Colours =
    {
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    };

    /// <summary>A coordinate: at most two decimals, invariant culture.</summary>
    public static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A value in a label: six significant digits, invariant culture.</summary>
    public static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Text escaped for an element or attribute.</summary>
    public static string Esc(string s) => SecurityElement.Escape(s) ?? string.Empty;
}
