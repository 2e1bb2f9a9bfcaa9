using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>How a net's weights are named, which tells which types it serves (docs/descriptors.md, "net names").</summary>
internal enum NetNaming
{
    /// <summary><c>filter_type_{i}{s}/matrix_{l}_{j}</c>: centre type i, neighbour type j (se_e2_a, se_e2_r).</summary>
    CentreNeighbour,

    /// <summary><c>filter_type_all{s}/matrix_{l}_{j}</c>: neighbour type j, every centre (type_one_side).</summary>
    Neighbour,

    /// <summary><c>filter_type_all{s}/matrix_{l}_{i}_{j}</c>: the unordered type pair i ≤ j (se_e3).</summary>
    Pair,

    /// <summary><c>filter_type_all{s}/matrix_{l}</c>: one net for all types (type-embedding descriptors).</summary>
    Shared,

    /// <summary><c>DS_layer_type_{i}/matrix_{l}_{j}</c>: deepmd-kit 0.12's centre/neighbour nets.</summary>
    Legacy,
}

/// <summary>A candidate net: weights sharing a scope and suffix, by layer.</summary>
internal sealed class NetCandidate
{
    public NetCandidate(NetNaming naming, string scope, string descriptorSuffix, string suffix, int centre, int[] neighbours)
    {
        Naming = naming;
        Scope = scope;
        DescriptorSuffix = descriptorSuffix;
        Suffix = suffix;
        Centre = centre;
        Neighbours = neighbours;
    }

    public NetNaming Naming { get; }

    public string Scope { get; }

    /// <summary>The hybrid member suffix in the scope ("" or <c>_k</c>).</summary>
    public string DescriptorSuffix { get; }

    /// <summary>The weight-name suffix after the layer index (<c>_j</c>, <c>_i_j</c> or "").</summary>
    public string Suffix { get; }

    public int Centre { get; }

    public int[] Neighbours { get; }

    public SortedDictionary<int, NodeDef> Layers { get; } = new();

    /// <summary>Widths of the consecutive layers 1, 2, … (a gap ends the list); -1 for a weight that is not a matrix.</summary>
    public int[] Widths()
    {
        var widths = new List<int>();
        int expected = 1;
        foreach (var layer in Layers)
        {
            if (layer.Key != expected++)
            {
                break;
            }

            var shape = NetCatalog.ConstShape(layer.Value);
            widths.Add(shape is { Length: 2 } ? shape[1] : -1);
        }

        return widths.ToArray();
    }
}

/// <summary>
/// Every embedding-net weight of a graph, classified once by deepmd-kit's naming patterns (the matrices; biases and
/// timesteps are looked up by name from them). Specs take their nets from here; nothing else parses net names.
/// </summary>
internal sealed class NetCatalog
{
    private static readonly Regex CentreNeighbourNet = new(@"^filter_type_(\d+)((?:_\d+)?)/matrix_(\d+)_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex PairNet = new(@"^filter_type_all((?:_\d+)?)/matrix_(\d+)_(\d+)_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex NeighbourNet = new(@"^filter_type_all((?:_\d+)?)/matrix_(\d+)_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex SharedNet = new(@"^filter_type_all((?:_\d+)?)/matrix_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex StripNetPattern = new(@"^filter_type_all((?:_\d+)?)/matrix_(\d+)_(one|two)_side_ebd$", RegexOptions.CultureInvariant);
    private static readonly Regex LegacyNet = new(@"^DS_layer_type_(\d+)/matrix_(\d+)_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex AnyIdt = new(@"^(filter_type_\w+|DS_layer_type_\d+)/idt_\d+", RegexOptions.CultureInvariant);

    private readonly List<NetCandidate> _nets = new();
    private readonly Dictionary<(string Suffix, bool TwoSide), SortedDictionary<int, NodeDef>> _strip = new();

    public NetCatalog(GraphIndex index)
    {
        var byKey = new Dictionary<(string Scope, string Suffix), NetCandidate>();
        foreach (var node in index.Nodes)
        {
            if (node.Op != "Const" || (!node.Name.StartsWith("filter_type_", StringComparison.Ordinal) && !node.Name.StartsWith("DS_layer_type_", StringComparison.Ordinal)))
            {
                continue;
            }

            if (AnyIdt.IsMatch(node.Name))
            {
                HasIdt = true;
            }

            Match m;
            if ((m = StripNetPattern.Match(node.Name)).Success)
            {
                var key = (m.Groups[1].Value, m.Groups[3].Value == "two");
                if (!_strip.TryGetValue(key, out var layers))
                {
                    _strip[key] = layers = new SortedDictionary<int, NodeDef>();
                }

                layers[Int(m.Groups[2].Value)] = node;
                continue;
            }

            NetCandidate? Candidate(NetNaming naming, string scope, string ds, string suffix, int centre, int[] neighbours)
            {
                if (!byKey.TryGetValue((scope, suffix), out var c))
                {
                    byKey[(scope, suffix)] = c = new NetCandidate(naming, scope, ds, suffix, centre, neighbours);
                    _nets.Add(c);
                }

                return c;
            }

            int layer;
            NetCandidate? net;
            if ((m = CentreNeighbourNet.Match(node.Name)).Success)
            {
                layer = Int(m.Groups[3].Value);
                net = Candidate(NetNaming.CentreNeighbour, node.Name.Substring(0, node.Name.IndexOf('/')), m.Groups[2].Value, "_" + m.Groups[4].Value,
                    Int(m.Groups[1].Value), new[] { Int(m.Groups[4].Value) });
            }
            else if ((m = PairNet.Match(node.Name)).Success)
            {
                layer = Int(m.Groups[2].Value);
                net = Candidate(NetNaming.Pair, "filter_type_all" + m.Groups[1].Value, m.Groups[1].Value, "_" + m.Groups[3].Value + "_" + m.Groups[4].Value,
                    Int(m.Groups[3].Value), new[] { Int(m.Groups[3].Value), Int(m.Groups[4].Value) });
            }
            else if ((m = NeighbourNet.Match(node.Name)).Success)
            {
                layer = Int(m.Groups[2].Value);
                net = Candidate(NetNaming.Neighbour, "filter_type_all" + m.Groups[1].Value, m.Groups[1].Value, "_" + m.Groups[3].Value,
                    -1, new[] { Int(m.Groups[3].Value) });
            }
            else if ((m = SharedNet.Match(node.Name)).Success)
            {
                layer = Int(m.Groups[2].Value);
                net = Candidate(NetNaming.Shared, "filter_type_all" + m.Groups[1].Value, m.Groups[1].Value, string.Empty, -1, Array.Empty<int>());
            }
            else if ((m = LegacyNet.Match(node.Name)).Success)
            {
                layer = Int(m.Groups[2].Value);
                net = Candidate(NetNaming.Legacy, node.Name.Substring(0, node.Name.IndexOf('/')), string.Empty, "_" + m.Groups[3].Value,
                    Int(m.Groups[1].Value), new[] { Int(m.Groups[3].Value) });
            }
            else
            {
                continue;
            }

            net!.Layers[layer] = node;
        }
    }

    /// <summary>Whether any embedding layer has a resnet timestep variable (<c>idt</c>).</summary>
    public bool HasIdt { get; }

    /// <summary>The candidate nets of one descriptor (by its scope suffix) with one of the given namings.</summary>
    public IEnumerable<NetCandidate> Nets(string descriptorSuffix, params NetNaming[] namings) =>
        _nets.Where(n => n.DescriptorSuffix == descriptorSuffix && namings.Contains(n.Naming));

    /// <summary>The strip-mode type net of one descriptor, two-side preferred, as (two side?, layers) or null.</summary>
    public (bool TwoSide, SortedDictionary<int, NodeDef> Layers)? StripNet(string descriptorSuffix)
    {
        if (_strip.TryGetValue((descriptorSuffix, true), out var two))
        {
            return (true, two);
        }

        return _strip.TryGetValue((descriptorSuffix, false), out var one) ? (false, one) : null;
    }

    internal static int[]? ConstShape(NodeDef node) =>
        node.Attr.TryGetValue("value", out var v) && v.Tensor?.TensorShape is { } shape
            ? shape.Dim.Select(d => (int)Math.Max(-1, Math.Min(int.MaxValue, d.Size))).ToArray()
            : null;

    // Names come from untrusted files: an index too large for int maps to -1 instead of throwing.
    private static int Int(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1;
}
