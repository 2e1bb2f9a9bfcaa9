using System;
using System.Collections.Generic;
using System.Globalization;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Tabulation;

/// <summary>
/// Which rows of an se_e3 table are fitted with the fine interval length (docs/tables.md#coefficients). The grid and the kernel put
/// the fine intervals at rows [n1, n1 + n0); both of deepmd-kit's rules fit row n1 with stride1, and the current one
/// also fits row n1 + n0 (the first upper coarse row) with stride0. Those rows interpolate badly; the error report shows it.
/// </summary>
public enum SeTIntervalRule
{
    /// <summary>deepmd-kit 2.2.9 … v3.1.1: rows [n1 + 1, n1 + n0) get stride0 (row n1 is mis-fitted).</summary>
    Legacy = 0,

    /// <summary>deepmd-kit v3.1.2 and later (the latest releases, commit c41c366): rows [n1 + 1, n1 + n0 + 1) get stride0 (rows n1 and n1 + n0 are mis-fitted).</summary>
    Current = 1,
}

/// <summary>The <c>dp compress</c> table settings (-s, -e, -f) plus the error-driven step choice of New-TabulatedModel.</summary>
public sealed class TabulationSettings
{
    /// <summary>The -MaxError ladder: the largest step whose worst value error meets the target wins.</summary>
    public static IReadOnlyList<double> DefaultStepLadder { get; } = new[] { 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001 };

    /// <summary>The fine stride (dp compress -s, default 0.01); the coarse one is 10·Step. se_e3 multiplies both by 10.</summary>
    public double Step { get; set; } = 0.01;

    /// <summary>max = upper · Extrapolate (dp compress -e, an integer, default 5).</summary>
    public int Extrapolate { get; set; } = 5;

    /// <summary>check_frequency (dp compress -f, default −1): stored in table_info, read by no kernel.</summary>
    public int Frequency { get; set; } = -1;

    /// <summary>When set, <see cref="Step"/> is ignored and the largest ladder step whose worst value error is at most this is chosen.</summary>
    public double? MaxError { get; set; }

    public IReadOnlyList<double> StepLadder { get; set; } = DefaultStepLadder;

    /// <summary>
    /// The se_e3 interval rule. Default <see cref="SeTIntervalRule.Legacy"/> (deepmd-kit 2.2.9 … v3.1.1, most releases):
    /// the v3.1.2+ rule also fits the first upper coarse row with the fine length, which makes that row's values
    /// explode for inputs just above upper (about 1e4 off on a test net); choose <see cref="SeTIntervalRule.Current"/>
    /// only to reproduce a v3.1.2+ table bit for bit.
    /// </summary>
    public SeTIntervalRule SeTIntervalRule { get; set; } = SeTIntervalRule.Legacy;

    /// <summary>Refuses settings deepmd-kit would refuse or that make no table.</summary>
    public void Validate()
    {
        if (MaxError is null)
        {
            CheckStep(Step, "Step");
        }
        else
        {
            double target = MaxError.Value;
            if (double.IsNaN(target) || double.IsInfinity(target) || target <= 0)
            {
                throw new InvalidParameterException(ErrorIds.InvalidMaxError, $"MaxError must be a positive number, got {Format(target)}.");
            }

            if (StepLadder is null || StepLadder.Count == 0)
            {
                throw new InvalidParameterException(ErrorIds.InvalidStepLadder, "The step ladder is empty.");
            }

            foreach (double s in StepLadder)
            {
                CheckStep(s, "StepLadder");
            }
        }

        if (Extrapolate < 1)
        {
            throw new InvalidParameterException(ErrorIds.InvalidExtrapolate,
                $"Extrapolate must be an integer of at least 1 (the coarse table ends at upper·extrapolate), got {Extrapolate}.");
        }
    }

    internal static void CheckStep(double step, string what)
    {
        if (double.IsNaN(step) || double.IsInfinity(step) || step <= 0)
        {
            throw new InvalidParameterException(ErrorIds.InvalidStep, $"{what} must be a positive finite number, got {Format(step)}.");
        }
    }

    internal static string Format(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Progress of a tabulation: one report before each net (and for each -MaxError trial step).</summary>
public sealed class TabulationProgress
{
    public TabulationProgress(int netIndex, int netCount, string netName, double step)
    {
        NetIndex = netIndex;
        NetCount = netCount;
        NetName = netName;
        Step = step;
    }

    public int NetIndex { get; }

    public int NetCount { get; }

    public string NetName { get; }

    public double Step { get; }

    public int PercentComplete => NetCount == 0 ? 100 : NetIndex * 100 / NetCount;
}
