using System;
using System.Runtime.CompilerServices;

namespace DeepMdCompress.Core.Tabulation;

/// <summary>
/// The table builder's own reading of one table row (docs/tables.md): channel k's coefficients a0..a5 sit at columns
/// 6k..6k+5 and the value at offset t into the row is Σ a_c·t^c. Used to measure a table against its net; the
/// evaluator has its own kernels, so a mistake here cannot hide a mistake there.
/// </summary>
internal static class QuinticRow
{
    [MethodImpl(Jit.Optimized)]
    public static void Evaluate(Array table, int row, int lastLayerSize, double t, Span<double> value, Span<double> derivative)
    {
        long o = (long)row * 6 * lastLayerSize;
        if (table is float[] f)
        {
            for (int k = 0; k < lastLayerSize; k++)
            {
                long c = o + 6 * k;
                Evaluate(f[c], f[c + 1], f[c + 2], f[c + 3], f[c + 4], f[c + 5], t, out value[k], out derivative[k]);
            }

            return;
        }

        var d = (double[])table;
        for (int k = 0; k < lastLayerSize; k++)
        {
            long c = o + 6 * k;
            Evaluate(d[c], d[c + 1], d[c + 2], d[c + 3], d[c + 4], d[c + 5], t, out value[k], out derivative[k]);
        }
    }

    private static void Evaluate(double a0, double a1, double a2, double a3, double a4, double a5, double t, out double value, out double derivative)
    {
        double t2 = t * t, t3 = t2 * t, t4 = t3 * t;
        value = a0 + a1 * t + a2 * t2 + a3 * t3 + a4 * t4 + a5 * t4 * t;
        derivative = a1 + 2 * a2 * t + 3 * a3 * t2 + 4 * a4 * t3 + 5 * a5 * t4;
    }
}
