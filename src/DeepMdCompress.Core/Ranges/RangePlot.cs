using System;
using System.Linq;
using System.Text;
using DeepMdCompress.Core.Model;
using static DeepMdCompress.Core.Plotting.SvgText;

namespace DeepMdCompress.Core.Ranges;

/// <summary>
/// An SVG picture of a measured embedding range against the data: the histogram of centre–neighbour distances per
/// type pair (<see cref="DistanceHistogram"/>), with min_nbor_dist (the closest approach the fine tables cover: their
/// upper end), rcut_smth and rcut (their lower end: no neighbour) marked. Distances left of min_nbor_dist are read
/// from the coarse tables. Every series is a polyline with class "series" and the pair in data-pair.
/// </summary>
public static class RangePlot
{
    private const int Width = 880, Height = 380, Left = 70, Right = 190, Top = 40, PlotHeight = 280;

    /// <summary>The SVG document of <paramref name="range"/> against <paramref name="histogram"/>.</summary>
    public static string Svg(EmbeddingRange range, DistanceHistogram histogram)
    {
        double xMax = histogram.Cutoff;
        long yMax = Math.Max(1, histogram.Counts.SelectMany(c => c).DefaultIfEmpty(0).Max());
        int plotWidth = Width - Left - Right;
        double X(double x) => Left + (x / xMax * plotWidth);
        double Y(double count) => Top + PlotHeight - (count / yMax * PlotHeight);

        var svg = new StringBuilder();
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"11\">");
        svg.AppendLine($"<title>{Esc($"Neighbour distances against the embedding range of {range.Model}")}</title>");
        svg.AppendLine($"<text x=\"{Left}\" y=\"20\" font-size=\"14\">{Esc($"{range.Model}: neighbour distances in {histogram.Frames} frame(s), min_nbor_dist {F(range.MinNborDist)} Å ({range.MinNborDistSource})")}</text>");
        svg.AppendLine($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{PlotHeight}\" fill=\"none\" stroke=\"#444\"/>");
        for (int k = 0; k <= 4; k++)
        {
            double x = xMax * k / 4, count = yMax * k / 4.0;
            svg.AppendLine($"<text x=\"{N(X(x))}\" y=\"{Top + PlotHeight + 14}\" text-anchor=\"middle\">{F(x)}</text>");
            svg.AppendLine($"<line x1=\"{Left}\" x2=\"{Left + plotWidth}\" y1=\"{N(Y(count))}\" y2=\"{N(Y(count))}\" stroke=\"#eee\"/><text x=\"{Left - 6}\" y=\"{N(Y(count) + 4)}\" text-anchor=\"end\">{F(Math.Round(count))}</text>");
        }

        svg.AppendLine($"<text x=\"{Left + (plotWidth / 2)}\" y=\"{Top + PlotHeight + 30}\" text-anchor=\"middle\">distance (Å), bins of {F(histogram.BinWidth)} Å</text>");
        int ly = Top;
        for (int pair = 0; pair < histogram.Counts.Count; pair++)
        {
            var counts = histogram.Counts[pair];
            string colour = Colours[pair % Colours.Length];
            string name = histogram.PairName(pair);
            var points = string.Join(" ", Enumerable.Range(0, counts.Length).Select(b => $"{N(X((b + 0.5) * histogram.BinWidth))},{N(Y(counts[b]))}"));
            svg.AppendLine($"<polyline class=\"series\" data-pair=\"{Esc(name)}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1\" points=\"{points}\"/>");
            long closer = counts.Take((int)Math.Floor(range.MinNborDist / histogram.BinWidth)).Sum();
            svg.AppendLine($"<rect x=\"{Width - Right + 12}\" y=\"{ly}\" width=\"12\" height=\"3\" fill=\"{colour}\"/>");
            svg.AppendLine($"<text x=\"{Width - Right + 30}\" y=\"{ly + 5}\">{Esc(name)}: {counts.Sum()}</text>");
            svg.AppendLine($"<text x=\"{Width - Right + 30}\" y=\"{ly + 18}\" fill=\"#555\">{closer} below min_nbor_dist</text>");
            ly += 32;
        }

        foreach (var (x, label) in new[] { (range.MinNborDist, "min_nbor_dist"), (range.RcutSmth, "rcut_smth"), (range.Rcut, "rcut") })
        {
            if (double.IsNaN(x) || x > xMax)
            {
                continue;
            }

            svg.AppendLine($"<line class=\"mark\" data-mark=\"{label}\" x1=\"{N(X(x))}\" x2=\"{N(X(x))}\" y1=\"{Top}\" y2=\"{Top + PlotHeight}\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>");
            svg.AppendLine($"<text x=\"{N(X(x) + 3)}\" y=\"{Top + 12}\">{label}</text>");
        }

        svg.AppendLine($"<text x=\"{Left}\" y=\"{Height - 12}\" fill=\"#555\">fine tables: min_nbor_dist … rcut; closer neighbours fall in the coarse tables (up to extrapolate × the upper end)</text>");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
