using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>
/// Every descriptor family the module knows (docs/descriptors.md). Stages ask it for a family by name or alias, and it
/// recognises a graph's descriptors: one per environment-matrix op (several for a hybrid), each claimed by the first
/// spec, in the order below, whose evidence matches.
/// </summary>
public static class DescriptorRegistry
{
    private static readonly Regex HybridStatistics = new(@"^descrpt_attr_(\d+)/t_avg", RegexOptions.CultureInvariant);

    /// <summary>The families, in recognition order (more specific layouts of an env-matrix op first).</summary>
    public static IReadOnlyList<DescriptorSpec> All { get; } = new DescriptorSpec[]
    {
        new SeAMaskSpec(),
        new SeE3Spec(),
        new SeAEbdV2Spec(),
        new SeATpeSpec(),
        new SeE2ASpec(),
        new SeAttenV2Spec(),
        new SeAttenSpec(),
        new SeE2RSpec(),
    };

    /// <summary>A mixture of descriptors; its members are the model's <see cref="FrozenModel.Descriptors"/>.</summary>
    public static HybridSpec Hybrid { get; } = new();

    /// <summary>Env-matrix op types of every family.</summary>
    public static IReadOnlyCollection<string> EnvMatOps { get; } = new HashSet<string>(All.SelectMany(s => s.EnvMatOps), StringComparer.Ordinal);

    /// <summary>The family named <paramref name="name"/> (its name or an alias, case-insensitive), or null.</summary>
    public static DescriptorSpec? Find(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        string n = name!.Trim();
        if (string.Equals(n, Hybrid.Name, StringComparison.OrdinalIgnoreCase))
        {
            return Hybrid;
        }

        return All.FirstOrDefault(s => string.Equals(s.Name, n, StringComparison.OrdinalIgnoreCase)
            || s.Aliases.Any(a => string.Equals(a, n, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>The canonical name of a descriptor type (an alias maps to its family's name; unknown names are kept).</summary>
    public static string? Canonical(string? name) => Find(name)?.Name ?? name;

    /// <summary>The descriptors of a graph, one per environment-matrix op, each with its nets located.</summary>
    internal static IReadOnlyList<DescriptorPart> Recognise(GraphIndex index, IReadOnlyList<NodeDef> envMats, JsonElement? descriptorScript, int? ntypes, List<string> notes)
    {
        var catalog = new NetCatalog(index);
        bool hybrid = envMats.Count > 1;
        var ordered = envMats.Select((node, i) => (Node: node, Index: hybrid ? MemberIndex(node, i) : -1)).OrderBy(p => p.Index).ToList();
        var parts = new List<DescriptorPart>(ordered.Count);
        foreach (var (node, k) in ordered)
        {
            string suffix = k < 0 ? string.Empty : "_" + k.ToString(CultureInfo.InvariantCulture);
            JsonElement? script = k < 0 ? descriptorScript : Member(descriptorScript, k);
            var evidence = new PartEvidence(node, suffix, catalog, index, script, ntypes);
            var spec = Recognised(evidence);
            if (evidence.DeclaredType is { } declared && declared != spec.Name)
            {
                notes.Add($"DescriptorType: the training script says '{declared}'; the graph's layout is that of {spec.Name}.");
            }

            var part = new DescriptorPart(spec, k, node) { Script = script };
            var attrs = spec.EnvMatAttrs;
            if (NetFacts.AttrFloat(node, attrs.Rcut) is float rc)
            {
                part.Rcut = NetFacts.Widen(rc);
            }

            if (NetFacts.AttrFloat(node, attrs.RcutSmth) is float rs)
            {
                part.RcutSmth = NetFacts.Widen(rs);
            }

            part.Sel = NetFacts.AttrInts(node, attrs.Sel);
            spec.Discover(part, evidence, notes);
            parts.Add(part);
        }

        return parts;
    }

    // A compressed graph's nets are tables now, so its layout says little: the training script it carries names the
    // family, else the TabulateFusion op type does (in reverse order, so that a family's default beats its variants).
    private static DescriptorSpec Recognised(PartEvidence evidence)
    {
        string op = evidence.EnvMat.Op;
        if (!evidence.HasNets)
        {
            if (Find(evidence.DeclaredType) is { } declared && declared.EnvMatOps.Contains(op))
            {
                return declared;
            }

            var tabulated = new HashSet<string>(evidence.Index.Nodes.Where(n => n.Op.StartsWith("TabulateFusion", StringComparison.Ordinal)).Select(n => n.Op), StringComparer.Ordinal);
            if (All.Reverse().FirstOrDefault(s => s.EnvMatOps.Contains(op) && s.TabulateOp is { } t && tabulated.Contains(t)) is { } byOp)
            {
                return byOp;
            }
        }

        return All.FirstOrDefault(s => s.Recognises(evidence)) ?? All.First(s => s.EnvMatOps.Contains(op));
    }

    /// <summary>A hybrid member's index, from the statistics its env-matrix op reads (<c>descrpt_attr_k/t_avg</c>).</summary>
    private static int MemberIndex(NodeDef envMat, int position)
    {
        foreach (string input in envMat.Input)
        {
            var m = HybridStatistics.Match(input);
            if (m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int k))
            {
                return k;
            }
        }

        return position;
    }

    private static JsonElement? Member(JsonElement? hybrid, int k) =>
        hybrid is { ValueKind: JsonValueKind.Object } h && h.TryGetProperty("list", out var list) && list.ValueKind == JsonValueKind.Array && k < list.GetArrayLength()
            ? list[k]
            : null;
}

/// <summary>
/// hybrid: several descriptors side by side, their outputs concatenated. Each member is a
/// <see cref="DescriptorPart"/> of its own family with suffix <c>_k</c> on its node names (<c>filter_type_0_1</c>,
/// <c>descrpt_attr_1</c>); every stage treats each member by its own spec, and a hybrid compresses when every member does.
/// </summary>
public sealed class HybridSpec : DescriptorSpec
{
    public override string Name => "hybrid";

    internal override IReadOnlyCollection<string> EnvMatOps => Array.Empty<string>();

    internal override bool Recognises(PartEvidence evidence) => false;

    internal override void Discover(DescriptorPart part, PartEvidence evidence, List<string> notes) =>
        throw new InvalidOperationException("A hybrid descriptor is not one env-matrix op; its members are.");

    internal override Refusal? Refuse(DescriptorPart part, GraphIndex index, int ntypes) => part.Spec.Refuse(part, index, ntypes);

    internal override IReadOnlyList<TabulatedNet> TabulatedNets(DescriptorPart part, int ntypes, List<string> notes) => part.Spec.TabulatedNets(part, ntypes, notes);

    internal override void Rewire(GraphRewrite rewrite, DescriptorPart part, IReadOnlyList<TableTensor> tables) => part.Spec.Rewire(rewrite, part, tables);
}
