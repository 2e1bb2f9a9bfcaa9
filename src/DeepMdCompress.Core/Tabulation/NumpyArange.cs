using System;
using System.Collections.Generic;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Tabulation;

/// <summary>
/// numpy's <c>arange(start, stop, step, dtype)</c> for float64 and float32, element for element (docs/tables.md#the-two-sub-tables):
/// length = ceil((stop − start)/step) in double; element 0 = start, element 1 = start + step (added in double, then
/// stored in the dtype); element k ≥ 2 = e0 + k·d with d = e1 − e0, all in the dtype (numpy's <c>@TYPE@_fill</c>).
/// </summary>
internal static class NumpyArange
{
    /// <summary>Number of elements; throws when it would not fit an array.</summary>
    public static long Length(double start, double stop, double step)
    {
        double n = Math.Ceiling((stop - start) / step);
        if (double.IsNaN(n))
        {
            throw new InvalidParameterException(ErrorIds.InvalidGrid, $"arange({start}, {stop}, {step}) has no defined length.");
        }

        return n <= 0 ? 0 : n >= long.MaxValue ? long.MaxValue : (long)n;
    }

    /// <summary>Appends arange(start, stop, step) in float64 or float32 (values widened exactly) to <paramref name="into"/>.</summary>
    public static void Append(List<double> into, double start, double stop, double step, bool float32)
    {
        long n = Length(start, stop, step);
        if (n > int.MaxValue - into.Count)
        {
            throw new ResourceLimitException(ErrorIds.TableTooLarge, $"arange({start}, {stop}, {step}) has {n} elements, too many for one table.");
        }

        if (n == 0)
        {
            return;
        }

        if (float32)
        {
            float e0 = (float)start;
            into.Add(e0);
            if (n == 1)
            {
                return;
            }

            float e1 = (float)(start + step);
            into.Add(e1);
            float d = e1 - e0;
            for (long k = 2; k < n; k++)
            {
                into.Add((float)(e0 + (float)((float)k * d)));
            }
        }
        else
        {
            double e0 = start;
            into.Add(e0);
            if (n == 1)
            {
                return;
            }

            double e1 = start + step;
            into.Add(e1);
            double d = e1 - e0;
            for (long k = 2; k < n; k++)
            {
                into.Add(e0 + k * d);
            }
        }
    }

    public static double[] Arange(double start, double stop, double step, bool float32)
    {
        var list = new List<double>();
        Append(list, start, stop, step, float32);
        return list.ToArray();
    }
}
