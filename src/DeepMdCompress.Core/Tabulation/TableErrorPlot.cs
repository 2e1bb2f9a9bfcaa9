using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using DeepMdCompress.Core.Embedding;
using DeepMdCompress.Core.Errors;
using static DeepMdCompress.Core.Plotting.SvgText;

namespace DeepMdCompress.Core.Tabulation;

/// <summary>
/// An SVG picture of how well a model's tables reproduce their nets: per net, the largest value error (top panel) and
/// derivative error (bottom panel) of every table row against x, on a log scale, with each net's range marked — lower
/// (a neighbour at the cutoff), upper (the closest approach in the training data, min_nbor_dist) and the end of the
/// coarse table. Every series is a polyline with class "series" and the net's name in data-net.
/// </summary>
public static class TableErrorPlot
{
    private const int Width = 880, PanelHeight = 230, Left = 70, Right = 190, Top = 40, Gap = 60;

    /// <summary>The error profile of every table of <paramref name="tabulated"/>, measured against the exact nets.</summary>
    public static IReadOnlyList<TableErrorProfile> Profiles(TabulatedModel tabulated, CancellationToken cancellationToken = default)
    {
        var activation = EmbeddingNetReader.CheckModel(tabulated.Model);
        var result = new List<TableErrorProfile>();
        foreach (var table in tabulated.Tables)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = table.Net ?? throw new InvalidParameterException(ErrorIds.NetNotFound, $"Table {table.Name} does not say which net it tabulates.");
            var net = EmbeddingNetReader.Read(tabulated.Model, info, activation);
            var plan = TablePlan.Create(table.Name, table.Layout, table.Lower, table.Upper, tabulated.Extrapolate, table.Info.Stride0, table.Info.Stride1, tabulated.Frequency);
            result.Add(TableBuilder.Profile(net, plan, table, cancellationToken));
        }

        return result;
    }

    /// <summary>The SVG document of <paramref name="tabulated"/>'s table errors.</summary>
    public static string Svg(TabulatedModel tabulated, CancellationToken cancellationToken = default) =>
        Svg(tabulated, Profiles(tabulated, cancellationToken));

    internal static string Svg(TabulatedModel tabulated, IReadOnlyList<TableErrorProfile> profiles)
    {
        double xMin = tabulated.Tables.Min(t => t.Layout == TableLayout.SeT ? -t.Info.Max : t.Lower);
        double xMax = tabulated.Tables.Max(t => t.Info.Max);
        var all = profiles.SelectMany(p => p.ValueError.Concat(p.DerivativeError)).Where(e => e > 0 && !double.IsInfinity(e)).ToList();
        double yMin = all.Count == 0 ? -16 : Math.Max(-18, Math.Floor(Math.Log10(all.Min())));
        double yMax = all.Count == 0 ? 0 : Math.Max(yMin + 1, Math.Ceiling(Math.Log10(all.Max())));
        int plotWidth = Width - Left - Right;
        int height = Top + (2 * PanelHeight) + Gap + 50;

        var svg = new StringBuilder();
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"11\">");
        svg.AppendLine($"<title>{Esc($"Table errors of {tabulated.Model}")}</title>");
        svg.AppendLine($"<text x=\"{Left}\" y=\"20\" font-size=\"14\">{Esc($"{tabulated.Model}: |table − net| per row, step {F(tabulated.Step)}, min_nbor_dist {F(tabulated.Range.MinNborDist)} Å")}</text>");
        for (int panel = 0; panel < 2; panel++)
        {
            int y0 = Top + (panel * (PanelHeight + Gap));
            double X(double x) => Left + ((x - xMin) / (xMax - xMin) * plotWidth);
            double Y(double e) => y0 + ((yMax - Math.Max(yMin, e > 0 ? Math.Log10(e) : yMin)) / (yMax - yMin) * PanelHeight);
            svg.AppendLine($"<g class=\"panel\" data-quantity=\"{(panel == 0 ? "value" : "derivative")}\">");
            svg.AppendLine($"<rect x=\"{Left}\" y=\"{y0}\" width=\"{plotWidth}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#444\"/>");
            for (double d = yMin; d <= yMax; d++)
            {
                double y = Y(Math.Pow(10, d));
                svg.AppendLine($"<line x1=\"{Left}\" x2=\"{Left + plotWidth}\" y1=\"{N(y)}\" y2=\"{N(y)}\" stroke=\"#ddd\"/><text x=\"{Left - 6}\" y=\"{N(y + 4)}\" text-anchor=\"end\">1e{d.ToString(CultureInfo.InvariantCulture)}</text>");
            }

            svg.AppendLine($"<text x=\"{Left}\" y=\"{y0 - 6}\">{(panel == 0 ? "value error" : "derivative error")}</text>");
            for (int k = 0; k < 5; k++)
            {
                double x = xMin + ((xMax - xMin) * k / 4);
                svg.AppendLine($"<text x=\"{N(X(x))}\" y=\"{y0 + PanelHeight + 14}\" text-anchor=\"middle\">{F(x)}</text>");
            }

            for (int n = 0; n < profiles.Count; n++)
            {
                var p = profiles[n];
                var t = tabulated.Tables[n];
                string colour = Colours[n % Colours.Length];
                var errors = panel == 0 ? p.ValueError : p.DerivativeError;
                var points = string.Join(" ", Enumerable.Range(0, p.X.Count).Select(i => $"{N(X(p.X[i]))},{N(Y(errors[i]))}"));
                svg.AppendLine($"<polyline class=\"series\" data-net=\"{Esc(p.Name)}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1\" points=\"{points}\"/>");
                foreach (var (x, label) in new[] { (t.Lower, "lower"), (t.Upper, "upper"), (t.Info.Max, "max") })
                {
                    svg.AppendLine($"<line class=\"mark\" data-net=\"{Esc(p.Name)}\" data-mark=\"{label}\" x1=\"{N(X(x))}\" x2=\"{N(X(x))}\" y1=\"{y0}\" y2=\"{y0 + PanelHeight}\" stroke=\"{colour}\" stroke-dasharray=\"4 3\" stroke-opacity=\"0.6\"/>");
                }
            }

            svg.AppendLine("</g>");
        }

        // Legend: each net's colour, range and largest errors.
        int ly = Top;
        for (int n = 0; n < profiles.Count; n++)
        {
            var t = tabulated.Tables[n];
            string colour = Colours[n % Colours.Length];
            svg.AppendLine($"<rect x=\"{Width - Right + 12}\" y=\"{ly}\" width=\"12\" height=\"3\" fill=\"{colour}\"/>");
            svg.AppendLine($"<text x=\"{Width - Right + 30}\" y=\"{ly + 5}\">{Esc(t.Name)}</text>");
            svg.AppendLine($"<text x=\"{Width - Right + 30}\" y=\"{ly + 18}\" fill=\"#555\">[{F(t.Lower)}, {F(t.Upper)}], max {t.MaxValueError.ToString("0.0E+00", CultureInfo.InvariantCulture)}</text>");
            ly += 32;
        }

        svg.AppendLine($"<text x=\"{Left}\" y=\"{height - 12}\" fill=\"#555\">dashed: each net's lower (no neighbour), upper (closest approach in the data) and max = upper·{tabulated.Extrapolate}</text>");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
