using Xunit;
using System.Collections.Concurrent;
using System.Text.Json;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Model;

namespace DeepMdCompress.Core.Tests;

/// <summary>Shared inputs of the evaluator tests: models loaded once, the deeppot_a_pbc case, small helpers.</summary>
internal static class EvaluatorTestData
{
    private static readonly ConcurrentDictionary<string, FrozenModel> Models = new();

    public static FrozenModel LoadModel(string name) => Models.GetOrAdd(name, n => FrozenModelReader.Load(TestData.Model(n)));

    public static DeepPotEvaluator Evaluator(string name) => new(LoadModel(name));

    /// <summary>The 6-atom water configuration of expected/deeppot_a_pbc.json (deepmd-kit's TestInferDeepPotA).</summary>
    public static ReferenceCase DeepPotA() => new(TestData.Shared("expected", "deeppot_a_pbc.json"));

    public static double MaxAbs(double[] a, double[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double m = 0;
        for (int i = 0; i < a.Length; i++)
        {
            m = Math.Max(m, Math.Abs(a[i] - b[i]));
        }

        return m;
    }

    public static double MaxAbs(double[] a) => a.Length == 0 ? 0 : a.Max(Math.Abs);

    /// <summary>Energy models among the shared models: every one but the tensor models and the legacy sea_012.</summary>
    public static IEnumerable<object[]> EnergyModels() =>
        TestData.SharedModels("*").Where(r => r[0] is string s && s is not ("deepdipole.pbtxt" or "deeppolar.pbtxt" or "sea_012.pbtxt"));

    /// <summary>Frame and atomic parameters for models that need them (fparam_aparam: one of each).</summary>
    public static (double[]? FParam, double[]? AParam) Parameters(DeepPotEvaluator ev, int natoms)
    {
        double[]? fp = ev.DimFParam > 0 ? Enumerable.Range(0, ev.DimFParam).Select(i => 0.25852028 + (0.1 * i)).ToArray() : null;
        double[]? ap = ev.DimAParam > 0 ? Enumerable.Range(0, natoms * ev.DimAParam).Select(i => 0.25852028 + (0.01 * i)).ToArray() : null;
        return (fp, ap);
    }

    /// <summary>A shared model evaluated on the water configuration with the types and parameters it needs.</summary>
    public static WaterRun RunWater(string model)
    {
        var c = DeepPotA();
        var ev = Evaluator(model);
        var types = Types(c, ev.NTypes);
        var (fp, ap) = Parameters(ev, types.Length);
        return new WaterRun(ev, c, types, fp, ap, ev.Evaluate(c.Coord, types, c.Box, fp, ap).Single());
    }

    /// <summary>Types of the water configuration for a model with <paramref name="ntypes"/> types (all 0 for one-type models).</summary>
    public static int[] Types(ReferenceCase c, int ntypes) => ntypes == 1 ? new int[c.Types.Length] : c.Types;

    /// <summary>r → r·M for every row of a flat xyz array.</summary>
    public static double[] Transform(double[] rows, double[,] m)
    {
        var o = new double[rows.Length];
        for (int i = 0; i < rows.Length; i += 3)
        {
            for (int b = 0; b < 3; b++)
            {
                o[i + b] = (rows[i] * m[0, b]) + (rows[i + 1] * m[1, b]) + (rows[i + 2] * m[2, b]);
            }
        }

        return o;
    }

    /// <summary>A fixed proper rotation (about the axis (1, 2, 3) by 0.7 rad).</summary>
    public static double[,] Rotation()
    {
        double[] axis = { 1, 2, 3 };
        double norm = Math.Sqrt(14);
        double x = axis[0] / norm, y = axis[1] / norm, z = axis[2] / norm, t = 0.7, c = Math.Cos(t), s = Math.Sin(t), C = 1 - c;
        return new[,]
        {
            { (x * x * C) + c, (x * y * C) - (z * s), (x * z * C) + (y * s) },
            { (y * x * C) + (z * s), (y * y * C) + c, (y * z * C) - (x * s) },
            { (z * x * C) - (y * s), (z * y * C) + (x * s), (z * z * C) + c },
        };
    }
}

internal sealed record WaterRun(DeepPotEvaluator Evaluator, ReferenceCase Case, int[] Types, double[]? FParam, double[]? AParam, ModelOutput Output);

internal sealed class ReferenceCase
{
    public ReferenceCase(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var r = doc.RootElement;
        Coord = Doubles(r, "coord");
        Types = r.GetProperty("atype").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Box = Doubles(r, "box");
        AtomEnergy = Doubles(r, "expected_e");
        Force = Doubles(r, "expected_f");
        AtomVirial = Doubles(r, "expected_v");
        Energy = r.GetProperty("expected_tot_e").GetDouble();
        Virial = Doubles(r, "expected_tot_v");
        Tolerance = r.GetProperty("tolerance").GetProperty("double").GetDouble();
    }

    public double[] Coord { get; }

    public int[] Types { get; }

    public double[] Box { get; }

    public double[] AtomEnergy { get; }

    public double[] Force { get; }

    public double[] AtomVirial { get; }

    public double Energy { get; }

    public double[] Virial { get; }

    public double Tolerance { get; }

    private static double[] Doubles(JsonElement r, string name) => r.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
