using System.Text;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Model;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// One frame of a periodic water box through graph.000.pb (se_e2_a, embedding 20-40-80, fitting 60-60-60):
/// 192 atoms (frame 0 of systems/model_devi) and its 2×2×2 replica of 1536 atoms. This is the uncompressed
/// baseline that compressed models are measured against.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class EvaluatorBenchmarks
{
    private DeepPotEvaluator _evaluator = null!;
    private double[] _coord = Array.Empty<double>();
    private int[] _types = Array.Empty<int>();
    private double[] _box = Array.Empty<double>();

    [Params(192, 1536)]
    public int Atoms { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string shared = Path.GetFullPath(Path.Combine(ImportBenchmarks.FindRoot(), "..", "shared", "testdata"));
        string system = Path.Combine(shared, "systems", "model_devi", "data");
        _evaluator = new DeepPotEvaluator(FrozenModelReader.Load(Path.Combine(shared, "models", "graph.000.pb")));
        var types = File.ReadAllText(Path.Combine(system, "type.raw")).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        var coord = Npy.ReadDoubles(Path.Combine(system, "set.000", "coord.npy")).Take(types.Length * 3).ToArray();
        var box = Npy.ReadDoubles(Path.Combine(system, "set.000", "box.npy")).Take(9).ToArray();
        int replicas = Atoms / types.Length;
        int n = (int)Math.Round(Math.Cbrt(replicas));
        if (n * n * n * types.Length != Atoms)
        {
            throw new InvalidOperationException($"{Atoms} atoms is not a cubic replica of the {types.Length}-atom box");
        }

        var c = new List<double>();
        for (int a = 0; a < n; a++)
        {
            for (int b = 0; b < n; b++)
            {
                for (int k = 0; k < n; k++)
                {
                    for (int i = 0; i < types.Length; i++)
                    {
                        for (int d = 0; d < 3; d++)
                        {
                            c.Add(coord[(3 * i) + d] + (a * box[d]) + (b * box[3 + d]) + (k * box[6 + d]));
                        }
                    }
                }
            }
        }

        _coord = c.ToArray();
        _types = Enumerable.Repeat(types, replicas).SelectMany(t => t).ToArray();
        _box = box.Select(v => v * n).ToArray();
        _evaluator.Evaluate(_coord, _types, _box);
    }

    [Benchmark]
    public double WaterBoxFrame() => _evaluator.Evaluate(_coord, _types, _box)[0].Energy;

    /// <summary>A minimal reader of the little-endian float32/float64 .npy files of a deepmd-kit system (benchmark input only).</summary>
    private static class Npy
    {
        public static double[] ReadDoubles(string path)
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            {
                throw new InvalidDataException($"{path} is not a .npy file");
            }

            int major = bytes[6];
            int headerLength = major == 1 ? BitConverter.ToUInt16(bytes, 8) : BitConverter.ToInt32(bytes, 8);
            int offset = (major == 1 ? 10 : 12) + headerLength;
            string header = Encoding.ASCII.GetString(bytes, major == 1 ? 10 : 12, headerLength);
            string descr = Regex.Match(header, @"'descr':\s*'([^']+)'").Groups[1].Value;
            if (header.Contains("'fortran_order': True"))
            {
                throw new InvalidDataException($"{path}: Fortran order is not supported");
            }

            return descr switch
            {
                "<f4" => Enumerable.Range(0, (bytes.Length - offset) / 4).Select(i => (double)BitConverter.ToSingle(bytes, offset + (4 * i))).ToArray(),
                "<f8" => Enumerable.Range(0, (bytes.Length - offset) / 8).Select(i => BitConverter.ToDouble(bytes, offset + (8 * i))).ToArray(),
                _ => throw new InvalidDataException($"{path}: dtype {descr} is not supported"),
            };
        }
    }
}
