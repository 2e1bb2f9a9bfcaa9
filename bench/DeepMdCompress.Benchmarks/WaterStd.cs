using System.Text.Json;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Ranges;
using DeepMdCompress.Core.Tabulation;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// The speed model of the real corpus, real/water_std (se_e2_a 25-50-100, axis 16, fitting 240³, what deepmd-kit's
/// water example trains), its training system (80 frames of 192 atoms) and the frame cases/water192_f0: the inputs
/// issue 16's TensorFlow figures were measured on. Everything here uses only API that 6816ae0 had too, so the
/// same source measures the baseline build.
/// </summary>
internal static class WaterStd
{
    public static string Real => Path.Combine(Shared, "real");

    public static string ModelPath => Path.Combine(Real, "water_std", "original.pb");

    public static string TrainingSystem => Path.Combine(Shared, "systems", "model_compression", "data");

    private static string Shared => Path.GetFullPath(Path.Combine(FindRoot(), "..", "shared", "testdata"));

    public static FrozenModel Original() => FrozenModelReader.Load(ModelPath);

    public static MinNborDistInput MinNborDist() => new() { TrainingData = new[] { TrainingSystem } };

    public static FrozenModel Compressed(FrozenModel original) =>
        ModelCompressor.Compress(original, MinNborDist(), new TabulationSettings(), "original.pb").Model;

    /// <summary>Frame 0 of the training system as the corpus case stores it, replicated to <paramref name="atoms"/>.</summary>
    public static EvaluationFrames Frame(int atoms)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Real, "cases", "water192_f0.json")));
        var r = doc.RootElement;
        double[] Doubles(string name) => r.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var frame = new EvaluationFrames(Doubles("coord"), r.GetProperty("atype").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            Doubles("box"), null, null);
        return Replicate(frame, atoms);
    }

    /// <summary>An n×n×n replica of a periodic frame (the same box repeated, cell scaled by n).</summary>
    public static EvaluationFrames Replicate(EvaluationFrames frame, int atoms)
    {
        int natoms = frame.AtomTypes.Length;
        int replicas = atoms / natoms;
        int n = (int)Math.Round(Math.Cbrt(replicas));
        if (n * n * n * natoms != atoms || frame.Box is null)
        {
            throw new InvalidOperationException($"{atoms} atoms is not a cubic replica of the periodic {natoms}-atom frame");
        }

        var box = frame.Box;
        var coord = new List<double>(atoms * 3);
        for (int a = 0; a < n; a++)
        {
            for (int b = 0; b < n; b++)
            {
                for (int c = 0; c < n; c++)
                {
                    for (int i = 0; i < natoms * 3; i++)
                    {
                        int d = i % 3;
                        coord.Add(frame.Coordinates[i] + (a * box[d]) + (b * box[3 + d]) + (c * box[6 + d]));
                    }
                }
            }
        }

        return new EvaluationFrames(coord.ToArray(), Enumerable.Repeat(frame.AtomTypes, replicas).SelectMany(t => t).ToArray(),
            box.Select(v => v * n).ToArray(), null, null);
    }

    /// <summary>The repository root (the folder holding DeepMdCompress.psd1) above the running benchmark.</summary>
    public static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepMdCompress.psd1")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
