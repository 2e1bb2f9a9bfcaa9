using System.Text.Json;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Ranges;
using DeepMdCompress.Core.Sample;
using DeepMdCompress.Core.Tabulation;
using DeepMdCompress.Core.Validation;
using Xunit;
using Xunit.Abstractions;

namespace DeepMdCompress.Core.Tests.Sample;

/// <summary>
/// New-SampleModel's type-embedding descriptors (se_atten, se_atten_v2, se_a_ebd_v2) and hybrids against deepmd-kit's real graphs of
/// the same configuration (docs/testing.md): the descriptor subgraph — environment-matrix op, type embedding net, the
/// geometric and two-side type nets and what reads their outputs — has the real original's nodes, ops and wiring; and
/// the generated models are sound (forces = −dE/dx) and compress like real ones.
/// </summary>
public sealed class TypeEmbeddingSampleTests
{
    // The embedding-net scopes: filter_type_all/, filter_type_{i}/, a hybrid member's filter_type_{i}_{k}/, type_embed_net/.
    private static readonly string[] Scopes = { "filter_type_", "type_embed_net/" };

    private readonly ITestOutputHelper _out;

    public TypeEmbeddingSampleTests(ITestOutputHelper output) => _out = output;

    /// <summary>Every real model of a type-embedding family or a hybrid (3.2 and 2.2 folders).</summary>
    public static IEnumerable<object[]> RealTypeEmbeddingModels() =>
        RealCorpus.Models().Where(r => r[0] is string f && (f == RealCorpus.None || DescriptorOf(f) is "se_atten_v2" or "se_a_ebd_v2" or "hybrid"
            || (DescriptorOf(f) == "se_atten" && IsStrip(f))));

    [SkippableTheory]
    [MemberData(nameof(RealTypeEmbeddingModels))]
    public void Descriptor_subgraph_has_the_real_originals_nodes_and_wiring(string folder)
    {
        var corpus = RealCorpus.Load(folder);
        var real = new GraphIndex(FrozenModelReader.Load(corpus.OriginalPb).GetGraphDef());
        var options = OptionsLike(corpus);
        var mine = new GraphIndex(SampleModelGenerator.Generate(options));
        var failures = new List<string>();
        var scoped = real.Nodes.Where(n => InScope(n.Name)).ToList();
        Assert.True(scoped.Count > 60, $"only {scoped.Count} nodes in the real descriptor scopes");
        foreach (var r in scoped)
        {
            var m = mine.Find(r.Name);
            if (m is null)
            {
                failures.Add($"missing {r.Name} ({r.Op})");
                continue;
            }

            if (m.Op != r.Op || m.Input.Count != r.Input.Count)
            {
                failures.Add($"{r.Name}: {m.Op}/{m.Input.Count} inputs, real {r.Op}/{r.Input.Count}");
                continue;
            }

            for (int k = 0; k < r.Input.Count; k++)
            {
                // Inside the scopes names must agree; outside them (root counters differ between releases) the op must.
                string expected = InScope(r.Input[k]) ? r.Input[k] : OpOf(real, r.Input[k]);
                string actual = InScope(r.Input[k]) ? m.Input[k] : OpOf(mine, m.Input[k]);
                if (expected != actual)
                {
                    failures.Add($"{r.Name} input {k}: {actual}, real {expected}");
                }
            }

            failures.AddRange(AttrDifferences(r, m));
        }

        failures.AddRange(Difference("nodes in the scopes", scoped.Count, mine.Nodes.Count(n => InScope(n.Name))));
        failures.AddRange(Difference("readers of the scopes' outputs", Readers(real), Readers(mine)));
        failures.AddRange(Difference("readers of t_typeebd", ReadersOf(real, "t_typeebd"), ReadersOf(mine, "t_typeebd")));
        var realEnv = real.Nodes.Where(n => n.Op.StartsWith("ProdEnvMat", StringComparison.Ordinal)).ToList();
        var myEnv = mine.Nodes.Where(n => n.Op.StartsWith("ProdEnvMat", StringComparison.Ordinal)).ToList();
        string Signature(GraphIndex index, NodeDef n) => $"{n.Op}({string.Join(", ", n.Input.Select(i => OpOf(index, i)))})";
        failures.AddRange(Difference("environment-matrix ops", realEnv.Select(n => Signature(real, n)).ToList(), myEnv.Select(n => Signature(mine, n)).ToList()));
        foreach (var (r, m) in realEnv.Zip(myEnv, (r, m) => (r, m)))
        {
            failures.AddRange(AttrDifferences(r, m));
        }
        _out.WriteLine($"{folder}: {scoped.Count} scoped nodes compared, {failures.Count} difference(s)");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(40)));
    }

    [Theory]
    [InlineData("se_atten", false)]
    [InlineData("se_atten_v2", false)]
    [InlineData("se_a_ebd_v2", true)]
    [InlineData("hybrid", false)]
    public void Generated_models_are_sound_and_compress_like_real_ones(string descriptor, bool typeEmbeddingBias)
    {
        var options = new SampleModelOptions
        {
            Descriptor = descriptor, TypeMap = new List<string> { "O", "H" }, Sel = descriptor == "se_a_ebd_v2" ? new List<int> { 8, 16 } : new List<int> { 24 },
            Rcut = 4, RcutSmth = 0.5, Neuron = new List<int> { 4, 8 }, AxisNeuron = 4, FittingNeuron = new List<int> { 8 }, Seed = 5, MinNborDist = 0.9,
            TypeEmbeddingDim = 4, TypeEmbeddingBias = typeEmbeddingBias,
        };
        if (descriptor == "hybrid")
        {
            options.Members = new List<SampleModelOptions>
            {
                new() { Descriptor = "se_e2_a", Sel = new List<int> { 8, 16 }, Rcut = 4, Neuron = new List<int> { 4, 8 }, AxisNeuron = 4 },
                new() { Descriptor = "se_e2_r", Sel = new List<int> { 6, 12 }, Rcut = 3, Neuron = new List<int> { 3, 6 } },
            };
        }

        var model = SampleModelGenerator.Create(options);
        Assert.Equal(descriptor, model.DescriptorType);
        Assert.Null(Descriptors.CompressionCapability.Check(model));
        GraphValidator.Validate(model.GetGraphDef());

        double[] coord = { 0.0, 0.0, 0.0, 0.95, 0.1, 0.0, -0.2, 0.92, 0.1, 3.1, 0.2, 0.3, 3.9, 0.5, 0.1, 2.8, 1.1, 0.6 };
        int[] types = { 0, 1, 1, 0, 1, 1 };
        double[] box = { 8, 0, 0, 0, 8, 0, 0, 0, 8 };
        var ev = new DeepPotEvaluator(model);
        var output = ev.Evaluate(coord, types, box).Single();
        var fd = FiniteDifferences.Forces(ev, coord, types, box).Values;
        double err = output.Force!.Zip(fd, (a, b) => Math.Abs(a - b)).Max();
        double scale = output.Force!.Max(Math.Abs);
        _out.WriteLine($"{descriptor}: E = {output.Energy:G10}, max |F| = {scale:G3}, |F − (−dE/dx)| = {err:G3}");
        Assert.True(scale > 1e-3, $"the forces ({scale:G3}) are too small for the check to mean anything");
        Assert.True(err < 1e-8, $"forces differ from −dE/dx by {err:G3}");

        var compressed = ModelCompressor.Compress(model, new MinNborDistInput(), new TabulationSettings(), "sample.pb");
        var cmp = ModelComparer.Compare(model, compressed.Model, new EvaluationFrames(coord, types, box, null, null), 1e-9);
        _out.WriteLine($"{descriptor} compressed: {cmp}");
        Assert.True(cmp.Passed, cmp.ToString());
        string[] expectedOps = descriptor == "hybrid" ? new[] { "TabulateFusionSeA", "TabulateFusionSeR" } : new[] { "TabulateFusionSeAtten" };
        foreach (string op in expectedOps)
        {
            Assert.Contains(compressed.Model.GetGraphDef().Node, n => n.Op == op);
        }
    }

    private static bool InScope(string name) => Scopes.Any(s => name.StartsWith(s, StringComparison.Ordinal));

    private static string OpOf(GraphIndex index, string input) =>
        input.StartsWith("^", StringComparison.Ordinal) ? "^" + index.Get(input.Substring(1)).Op : index.Get(GraphIndex.ParseInput(input).Node).Op;

    // Attributes the real node has that ours lacks must be at their OpDef default (TensorFlow 2.16+ adds some, e.g. grad_a).
    private static IEnumerable<string> AttrDifferences(NodeDef real, NodeDef mine)
    {
        TensorFlowOps.TryGet(real.Op, out var def);
        foreach (var attr in real.Attr.Where(a => a.Key is not "value" and not "_class" and not "_has_manual_control_dependencies"))
        {
            if (mine.Attr.TryGetValue(attr.Key, out var value))
            {
                if (!value.Equals(attr.Value))
                {
                    yield return $"{real.Name}: attr {attr.Key} = {value}, real {attr.Value}";
                }
            }
            else if (def?.Attr.FirstOrDefault(a => a.Name == attr.Key)?.DefaultValue is not { } d || !d.Equals(attr.Value))
            {
                yield return $"{real.Name}: attr {attr.Key} missing";
            }
        }
    }

    private static List<string> Readers(GraphIndex index) => index.Nodes
        .Where(n => !InScope(n.Name) && !n.Name.StartsWith("gradients", StringComparison.Ordinal) && n.Input.Any(i => InScope(GraphIndex.ParseInput(i.TrimStart('^')).Node)))
        .Select(n => n.Op).OrderBy(o => o, StringComparer.Ordinal).ToList();

    private static List<string> ReadersOf(GraphIndex index, string node) => index.Nodes
        .Where(n => !n.Name.StartsWith("gradients", StringComparison.Ordinal) && n.Input.Any(i => GraphIndex.ParseInput(i).Node == node))
        .Select(n => n.Op).OrderBy(o => o, StringComparer.Ordinal).ToList();

    private static IEnumerable<string> Difference<T>(string what, T real, T mine)
    {
        bool same = real is System.Collections.IEnumerable a && mine is System.Collections.IEnumerable b && real is not string
            ? a.Cast<object>().SequenceEqual(b.Cast<object>())
            : Equals(real, mine);
        if (!same)
        {
            yield return $"{what}: {Show(mine)}, real {Show(real)}";
        }
    }

    private static string Show(object? x) => x is System.Collections.IEnumerable e && x is not string ? "[" + string.Join(", ", e.Cast<object>()) + "]" : $"{x}";

    /// <summary>The generator's options for the configuration of a real model, from its training script.</summary>
    private static SampleModelOptions OptionsLike(CorpusModel corpus)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(corpus.InputJson));
        var model = doc.RootElement.GetProperty("model");
        var options = DescriptorOptions(model, model.GetProperty("descriptor"), corpus);
        if (options.Descriptor == "hybrid")
        {
            options.Members = model.GetProperty("descriptor").GetProperty("list").EnumerateArray().Select(m => DescriptorOptions(model, m, corpus)).ToList();
        }

        return options;
    }

    private static SampleModelOptions DescriptorOptions(JsonElement model, JsonElement d, CorpusModel corpus)
    {
        string type = d.GetProperty("type").GetString()!;
        if (type == "hybrid")
        {
            return new SampleModelOptions
            {
                Descriptor = type,
                TypeMap = model.GetProperty("type_map").EnumerateArray().Select(e => e.GetString()!).ToList(),
                FittingNeuron = model.GetProperty("fitting_net").GetProperty("neuron").EnumerateArray().Select(e => e.GetInt32()).ToList(),
                MinNborDist = 0.9,
            };
        }

        var sel = d.GetProperty("sel");
        var neuron = d.GetProperty("neuron").EnumerateArray().Select(e => e.GetInt32()).ToList();
        int tebd = model.TryGetProperty("type_embedding", out var te) && te.TryGetProperty("neuron", out var tn)
            ? tn.EnumerateArray().Last().GetInt32()
            : d.TryGetProperty("tebd_dim", out var td) ? td.GetInt32() : 8;
        return new SampleModelOptions
        {
            Descriptor = type,
            TypeMap = model.GetProperty("type_map").EnumerateArray().Select(e => e.GetString()!).ToList(),
            Sel = sel.ValueKind == JsonValueKind.Array ? sel.EnumerateArray().Select(e => e.GetInt32()).ToList() : new List<int> { sel.GetInt32() },
            Rcut = d.GetProperty("rcut").GetDouble(),
            RcutSmth = d.GetProperty("rcut_smth").GetDouble(),
            Neuron = neuron,
            AxisNeuron = d.TryGetProperty("axis_neuron", out var axis) ? axis.GetInt32() : 4,
            FittingNeuron = model.GetProperty("fitting_net").GetProperty("neuron").EnumerateArray().Select(e => e.GetInt32()).ToList(),
            TypeEmbeddingDim = tebd,
            // deepmd-kit 2.2's type embedding net has a bias; 3.x's has none.
            TypeEmbeddingBias = !corpus.IsV3,
            MinNborDist = 0.9,
        };
    }

    private static string? DescriptorOf(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RealCorpus.Load(folder).InputJson));
        return Descriptors.DescriptorRegistry.Canonical(doc.RootElement.GetProperty("model").GetProperty("descriptor").GetProperty("type").GetString());
    }

    private static bool IsStrip(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RealCorpus.Load(folder).InputJson));
        var d = doc.RootElement.GetProperty("model").GetProperty("descriptor");
        // deepmd-kit 3.x says tebd_input_mode "strip", 2.2 says stripped_type_embedding true.
        bool strip = (d.TryGetProperty("tebd_input_mode", out var mode) && mode.GetString() == "strip")
            || (d.TryGetProperty("stripped_type_embedding", out var stripped) && stripped.ValueKind == JsonValueKind.True);
        return strip && (!d.TryGetProperty("attn_layer", out var layers) || layers.GetInt32() == 0);
    }
}
