using Xunit;

namespace DeepMdCompress.Core.Tests;

/// <summary>The finite-difference helper itself: its kink refinement steps around a kink and cannot hide a wrong gradient.</summary>
public class FiniteDifferencesTests
{
    /// <summary>Direction 0: E = t + 3·relu(t − 3e-5) (slope 1 at 0, a kink 3e-5 away); direction 1: E = sin t.</summary>
    private static double[] Energies(IReadOnlyList<(int K, double T)> points) =>
        points.Select(p => p.K == 0 ? p.T + (3 * Math.Max(p.T - 3e-5, 0)) : Math.Sin(p.T)).ToArray();

    [Fact]
    public void AKinkInsideTheStencilIsSteppedAround()
    {
        // The 1e-4 stencil reaches across the kink: the plain quotient misses the slope 1.
        var plain = FiniteDifferences.Gradient(Energies, 2, 1e-4);
        Assert.True(Math.Abs(plain.Values[0] - 1) > 0.1, $"quotient {plain.Values[0]}");
        Assert.Equal(1, plain.Values[1], 12);

        // With the expected values it shrinks to 1.25e-5 (kink outside) and confirms with 1.6e-6.
        var r = FiniteDifferences.Gradient(Energies, 2, 1e-4, new[] { 1.0, 1.0 }, 1e-6);
        Assert.Equal(1, r.Values[0], 12);
        Assert.Equal(new[] { 2, 0 }, r.Refinements);
        Assert.Equal(1, r.RefinedCount);
    }

    [Fact]
    public void AWrongGradientStillFailsAfterRefinement()
    {
        // The slope beyond the kink is 4; claiming it at 0 is wrong, and the refined estimates agree on 1.
        var r = FiniteDifferences.Gradient(Energies, 2, 1e-4, new[] { 4.0, 1.0 }, 1e-6);
        Assert.Equal(1, r.Values[0], 12);
        Assert.True(Math.Abs(r.Values[0] - 4) > 1e-6);
    }

    [Fact]
    public void FivePointStencilIsExactForQuartics() =>
        Assert.Equal(-3, FiniteDifferences.FivePoint(t => Math.Pow(t + 1, 4) - (7 * t) - (2 * t * t * t), 0.1), 12);
}
