using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>
/// The families with one net per (centre, neighbour) type pair — or per neighbour type with <c>type_one_side</c> —
/// that deepmd-kit tabulates in the same loop (se_e2_a and se_e2_r; docs/descriptors.md): net names
/// <c>filter_type_{i}{s}/matrix_{l}_{j}</c> or <c>filter_type_all{s}/matrix_{l}_{j}</c>, tables
/// <c>filter_{i}_net_{j}</c> / <c>filter_-1_net_{j}</c>, exclusions from missing nets or the script.
/// </summary>
public abstract class PerTypeNetsSpec : DescriptorSpec
{
    /// <summary>Whether deepmd-kit 0.12's <c>DS_layer_type_{i}</c> nets belong to this family.</summary>
    internal virtual bool HasLegacyNets => false;

    internal override void Discover(DescriptorPart part, PartEvidence evidence, List<string> notes)
    {
        var namings = HasLegacyNets
            ? new[] { NetNaming.CentreNeighbour, NetNaming.Neighbour, NetNaming.Legacy }
            : new[] { NetNaming.CentreNeighbour, NetNaming.Neighbour };
        part.Nets = NetFacts.Build(part, evidence.Catalog.Nets(part.Suffix, namings),
            c => c.Centre >= 0 ? $"filter_{c.Centre}_net_{c.Neighbours[0]}" : $"filter_-1_net_{c.Neighbours[0]}");
        bool anyOne = part.Nets.Any(n => n.CentreType < 0);
        bool anyTwo = part.Nets.Any(n => n.CentreType >= 0);
        part.TypeOneSide = anyOne ? true : anyTwo ? false : null;

        if (NetFacts.Pairs(part.Script, "exclude_types") is { } excluded)
        {
            part.ExcludeTypes = excluded;
        }
        else if (part.TypeOneSide == false && evidence.NTypes is int ntypes && ntypes > 0)
        {
            // Two-side nets: deepmd-kit builds none for an excluded pair, so the missing nets are the exclusions.
            var present = new HashSet<(int, int)>(part.Nets.Select(n => (n.CentreType, n.NeighbourTypes[0])));
            part.ExcludeTypes = NetFacts.NormalizePairs(Enumerable.Range(0, ntypes * ntypes)
                .Where(k => !present.Contains((k / ntypes, k % ntypes))).Select(k => new[] { k / ntypes, k % ntypes }));
        }
        else if (part.TypeOneSide == true)
        {
            notes.Add("ExcludeTypes: with one shared net per neighbour type the excluded pairs are applied by a mask and cannot be read from the net names; no training script says them.");
        }

        NetFacts.Describe(part, evidence, notes);
    }

    /// <summary>deepmd-kit's loop over ntypes² (or ntypes with type_one_side) table slots, skipping excluded ones.</summary>
    internal override IReadOnlyList<TabulatedNet> TabulatedNets(DescriptorPart part, int ntypes, List<string> notes)
    {
        var result = new List<TabulatedNet>();
        bool oneSide = part.TypeOneSide ?? throw new ModelStructureException(ErrorIds.MissingEmbeddingNet,
            "No embedding nets were found, so type_one_side is unknown and no range can be assigned.");
        var excluded = new HashSet<(int, int)>();
        if (part.ExcludeTypes is { } pairs)
        {
            foreach (var p in pairs.Where(p => p.Length == 2))
            {
                excluded.Add((p[0], p[1]));
                excluded.Add((p[1], p[0]));
            }
        }
        else if (oneSide)
        {
            notes.Add("exclude_types is not known (no training script in the graph); no pair is taken as excluded.");
        }

        EmbeddingNetInfo Net(int centre, int neighbour, string name) =>
            part.Nets.FirstOrDefault(n => n.CentreType == centre && n.NeighbourTypes.Length == 1 && n.NeighbourTypes[0] == neighbour)
            ?? throw new ModelStructureException(ErrorIds.MissingEmbeddingNet,
                $"deepmd-kit would tabulate {name + part.Suffix}, but the graph has no such embedding net (its weights are missing or named unexpectedly).");

        if (!oneSide)
        {
            for (int ii = 0; ii < ntypes * ntypes; ii++)
            {
                int i = ii / ntypes, j = ii % ntypes;
                if (!excluded.Contains((i, j)))
                {
                    result.Add(new TabulatedNet(Net(i, j, $"filter_{i}_net_{j}"), new[] { i }));
                }
            }

            return result;
        }

        var sel = part.Sel;
        if (sel is null)
        {
            notes.Add("sel is not known; every centre type is taken to have neighbours (sel > 0).");
        }

        for (int ii = 0; ii < ntypes; ii++)
        {
            if (Enumerable.Range(0, ntypes).All(k => excluded.Contains((ii, k))))
            {
                continue;
            }

            // deepmd-kit indexes sel by the centre type here.
            var centres = Enumerable.Range(0, ntypes)
                .Where(t => !excluded.Contains((t, ii)) && (sel is null || (t < sel.Length && sel[t] > 0))).ToArray();
            if (centres.Length == 0)
            {
                throw new UnsupportedModelException(ErrorIds.EmptyNetRange,
                    $"No centre type contributes to filter_-1_net_{ii}{part.Suffix} (every type is excluded with type {ii} or has sel 0), so deepmd-kit cannot size its table.");
            }

            result.Add(new TabulatedNet(Net(-1, ii, $"filter_-1_net_{ii}"), centres));
        }

        return result;
    }
}
