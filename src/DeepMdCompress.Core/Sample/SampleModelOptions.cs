using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Sample;

/// <summary>
/// What <see cref="SampleModelGenerator"/> builds: the deepmd-kit input parameters of an energy model
/// (<c>model.descriptor</c>, <c>model.fitting_net</c>, <c>model.type_map</c>) plus the seed of the random
/// weights and the <c>train_attr/min_nbor_dist</c> to record. Defaults are deepmd-kit's.
/// </summary>
public sealed class SampleModelOptions
{
    /// <summary>Descriptors the generator writes, by deepmd-kit's canonical name.</summary>
    public static IReadOnlyList<string> Descriptors { get; } = new[] { "se_e2_a", "se_e2_r", "se_e3", "se_atten", "se_atten_v2", "se_a_ebd_v2", "hybrid" };

    /// <summary>The descriptors with per-type embedding nets: what a hybrid may combine, and what every variant (type_one_side, exclude_types) applies to.</summary>
    public static IReadOnlyList<string> PerTypeNetDescriptors { get; } = new[] { "se_e2_a", "se_e2_r", "se_e3" };

    /// <summary>The descriptors with a strip-mode type embedding (one geometric net shared by all types).</summary>
    public static IReadOnlyList<string> TypeEmbeddingDescriptors { get; } = new[] { "se_atten", "se_atten_v2", "se_a_ebd_v2" };

    /// <summary>Embedding-net activations deepmd-kit's tabulation supports (docs/tables.md#embedding-nets).</summary>
    public static IReadOnlyList<string> Activations { get; } = new[] { "tanh", "gelu", "gelu_tf", "relu", "relu6", "softplus", "sigmoid" };

    public static IReadOnlyList<string> Precisions { get; } = new[] { "float64", "float32" };

    /// <summary>Most types the generator handles (TF differentiates a concat of more than 16 tensors differently).</summary>
    public const int MaxTypes = 16;

    /// <summary>Upper bound on the weights of one model (about 800 MB of doubles): refuses absurd requests early.</summary>
    public const long MaxParameters = 100_000_000;

    /// <summary>
    /// se_e2_a, se_e2_r, se_e3, se_atten (strip type embedding, no attention layers), se_atten_v2 or se_a_ebd_v2; the
    /// aliases se_a, se_r, se_t, se_at, se_a_3be, dpa1 and se_a_tpe_v2 are accepted.
    /// </summary>
    public string Descriptor { get; set; } = "se_e2_a";

    public IList<string> TypeMap { get; set; } = new List<string>();

    /// <summary>Neighbour slots per neighbour type (se_atten, se_atten_v2: one number, the slots of all types).</summary>
    public IList<int> Sel { get; set; } = new List<int>();

    public double Rcut { get; set; } = 6.0;

    public double RcutSmth { get; set; } = 0.5;

    /// <summary>Embedding-net widths (descriptor <c>neuron</c>).</summary>
    public IList<int> Neuron { get; set; } = new List<int> { 25, 50, 100 };

    /// <summary>se_e2_a's <c>axis_neuron</c>: the number of embedding channels of the second factor of the descriptor.</summary>
    public int AxisNeuron { get; set; } = 16;

    /// <summary>Fitting-net hidden widths (<c>fitting_net.neuron</c>).</summary>
    public IList<int> FittingNeuron { get; set; } = new List<int> { 240, 240, 240 };

    /// <summary>One embedding net per neighbour type shared by all centre types (se_e2_a, se_e2_r).</summary>
    public bool TypeOneSide { get; set; }

    /// <summary>Excluded (centre, neighbour) type pairs; the exclusion is symmetric, as in deepmd-kit.</summary>
    public IList<int[]> ExcludeTypes { get; set; } = new List<int[]>();

    /// <summary>Activation of the embedding nets (the fitting net uses deepmd-kit's default, tanh).</summary>
    public string Activation { get; set; } = "tanh";

    /// <summary>float64 or float32: the precision of the embedding and fitting nets (<c>precision</c> in both sections).</summary>
    public string Precision { get; set; } = "float64";

    public int Seed { get; set; } = 1;

    /// <summary>
    /// The descriptors of a hybrid, side by side (deepmd-kit's descriptor.list): each member's Descriptor, Sel, Rcut,
    /// RcutSmth, Neuron, AxisNeuron, TypeOneSide, ExcludeTypes and Activation are its own; TypeMap, FittingNeuron,
    /// Precision, Seed and MinNborDist are the model's.
    /// </summary>
    public IList<SampleModelOptions> Members { get; set; } = new List<SampleModelOptions>();

    /// <summary>Width of the type embedding (type_embedding.neuron / tebd_dim) of the type-embedding descriptors.</summary>
    public int TypeEmbeddingDim { get; set; } = 8;

    /// <summary>Whether the type embedding net has a bias: deepmd-kit 2.2's layout (true) or 3.x's (false, the default).</summary>
    public bool TypeEmbeddingBias { get; set; }

    /// <summary>Recorded as <c>train_attr/min_nbor_dist</c>; null means min(1.0, rcut/2).</summary>
    public double? MinNborDist { get; set; }

    public int NTypes => TypeMap.Count;

    public double EffectiveMinNborDist => MinNborDist ?? Math.Min(1.0, Rcut / 2);

    /// <summary>
    /// The water-size se_e2_a model of deepmd-kit's examples (O, H; sel 46, 92; rcut 6; rcut_smth 0.5; neuron 25, 50, 100;
    /// axis_neuron 16; fitting 240, 240, 240; tanh; float64; seed 1; min_nbor_dist 0.9): the README's sample.
    /// </summary>
    public static SampleModelOptions Water() => new()
    {
        Descriptor = "se_e2_a",
        TypeMap = new List<string> { "O", "H" },
        Sel = new List<int> { 46, 92 },
        Rcut = 6.0,
        RcutSmth = 0.5,
        Neuron = new List<int> { 25, 50, 100 },
        AxisNeuron = 16,
        FittingNeuron = new List<int> { 240, 240, 240 },
        Seed = 1,
        MinNborDist = 0.9,
    };

    /// <summary>The canonical descriptor name of <see cref="Descriptor"/>, or null when it is not one the generator writes.</summary>
    public static string? CanonicalDescriptor(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "se_e2_a" or "se_a" => "se_e2_a",
        "se_e2_r" or "se_r" => "se_e2_r",
        "se_e3" or "se_t" or "se_at" or "se_a_3be" => "se_e3",
        "se_atten" or "dpa1" => "se_atten",
        "se_atten_v2" => "se_atten_v2",
        "se_a_ebd_v2" or "se_a_tpe_v2" => "se_a_ebd_v2",
        "hybrid" => "hybrid",
        _ => null,
    };

    /// <summary>
    /// Parses one excluded pair written as <c>a-b</c> (also <c>a,b</c> or <c>a:b</c>), each side a type index
    /// or a name from <paramref name="typeMap"/>.
    /// </summary>
    public static int[] ParseExcludePair(string text, IList<string> typeMap)
    {
        var parts = (text ?? string.Empty).Split(new[] { '-', ',', ':' }, StringSplitOptions.None);
        if (parts.Length != 2 || parts.Any(p => p.Trim().Length == 0))
        {
            throw new InvalidParameterException(ErrorIds.InvalidExcludePair, $"Exclude pair '{text}' must be two types joined by '-', e.g. O-H or 0-1.");
        }

        return parts.Select(p =>
        {
            string s = p.Trim();
            int byName = typeMap.IndexOf(s);
            if (byName >= 0)
            {
                return byName;
            }

            if (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index))
            {
                return index;
            }

            throw new InvalidParameterException(ErrorIds.InvalidExcludePair,
                $"Exclude pair '{text}': '{s}' is neither a type index nor a name in the type map ({string.Join(" ", typeMap)}).");
        }).ToArray();
    }

    /// <summary>The excluded pairs with the smaller type first, without duplicates, sorted.</summary>
    public IReadOnlyList<int[]> NormalizedExcludeTypes() => ExcludeTypes
        .Select(p => p[0] <= p[1] ? new[] { p[0], p[1] } : new[] { p[1], p[0] })
        .GroupBy(p => (p[0], p[1])).Select(g => g.First())
        .OrderBy(p => p[0]).ThenBy(p => p[1]).ToList();

    /// <summary>True when the pair (i, j) is excluded in either order.</summary>
    public bool IsExcluded(int i, int j) => ExcludeTypes.Any(p => (p[0] == i && p[1] == j) || (p[0] == j && p[1] == i));

    /// <summary>Checks every parameter; throws <see cref="InvalidParameterException"/> with a specific id.</summary>
    public void Validate()
    {
        string? descriptor = CanonicalDescriptor(Descriptor);
        if (descriptor is null)
        {
            throw Invalid(ErrorIds.UnknownDescriptor, $"Descriptor '{Descriptor}' is not one the generator writes ({string.Join(", ", Descriptors)}; aliases se_a, se_r, se_t, dpa1, se_a_tpe_v2).");
        }

        if (descriptor == "hybrid")
        {
            ValidateHybrid();
            return;
        }

        if (TypeMap is null || TypeMap.Count == 0)
        {
            throw Invalid(ErrorIds.TypeMapEmpty, "The type map must name at least one type.");
        }

        if (TypeMap.Any(t => string.IsNullOrWhiteSpace(t) || t.Any(char.IsWhiteSpace)))
        {
            throw Invalid(ErrorIds.InvalidTypeName, "Type names must be non-empty and contain no white space (model_attr/tmap is space-separated).");
        }

        if (TypeMap.Distinct(StringComparer.Ordinal).Count() != TypeMap.Count)
        {
            throw Invalid(ErrorIds.DuplicateTypeName, $"The type map ({string.Join(" ", TypeMap)}) names a type twice.");
        }

        if (TypeMap.Count > MaxTypes)
        {
            throw Invalid(ErrorIds.TooManyTypes, $"The type map has {TypeMap.Count} types; the generator supports at most {MaxTypes}.");
        }

        bool mixed = descriptor is "se_atten" or "se_atten_v2";
        if (mixed && (Sel is null || Sel.Count != 1))
        {
            throw Invalid(ErrorIds.SelCountMismatch, $"{descriptor} takes one sel, the neighbour slots of all types together; got {Sel?.Count ?? 0} entries.");
        }

        if (!mixed && (Sel is null || Sel.Count != TypeMap.Count))
        {
            throw Invalid(ErrorIds.SelCountMismatch, $"sel has {Sel?.Count ?? 0} entries but the type map has {TypeMap.Count} types; give one per type.");
        }

        if (Sel.Any(s => s < 0))
        {
            throw Invalid(ErrorIds.InvalidSel, $"sel [{string.Join(", ", Sel)}] has a negative entry.");
        }

        if (Sel.Sum() == 0)
        {
            throw Invalid(ErrorIds.InvalidSel, "sel must reserve at least one neighbour slot.");
        }

        if (descriptor == "se_e3" && Sel.Any(s => s == 0))
        {
            throw Invalid(ErrorIds.InvalidSel, "se_e3 needs at least one neighbour slot per type (its nets act on pairs of slots).");
        }

        if (!IsFinite(Rcut) || Rcut <= 0)
        {
            throw Invalid(ErrorIds.InvalidCutoff, $"rcut = {Format(Rcut)} must be a positive number.");
        }

        if (!IsFinite(RcutSmth) || RcutSmth < 0)
        {
            throw Invalid(ErrorIds.InvalidCutoff, $"rcut_smth = {Format(RcutSmth)} must be a non-negative number.");
        }

        if (RcutSmth >= Rcut)
        {
            throw Invalid(ErrorIds.InvalidCutoff, $"rcut_smth = {Format(RcutSmth)} must be smaller than rcut = {Format(Rcut)}.");
        }

        if (Neuron is null || Neuron.Count == 0)
        {
            throw Invalid(ErrorIds.NeuronEmpty, "The embedding net needs at least one layer (neuron must not be empty).");
        }

        if (Neuron.Any(n => n <= 0))
        {
            throw Invalid(ErrorIds.InvalidNeuron, $"neuron [{string.Join(", ", Neuron)}] must contain positive widths.");
        }

        if (FittingNeuron is null || FittingNeuron.Any(n => n <= 0))
        {
            throw Invalid(ErrorIds.InvalidFittingNeuron, $"fitting neuron [{string.Join(", ", FittingNeuron ?? new List<int>())}] must contain positive widths.");
        }

        bool typeEmbedding = TypeEmbeddingDescriptors.Contains(descriptor);
        if ((descriptor == "se_e2_a" || typeEmbedding) && (AxisNeuron <= 0 || AxisNeuron > Neuron[Neuron.Count - 1]))
        {
            throw Invalid(ErrorIds.InvalidAxisNeuron, $"axis_neuron = {AxisNeuron} must be between 1 and the last embedding width {Neuron[Neuron.Count - 1]}.");
        }

        if (!Activations.Contains(Activation?.ToLowerInvariant() ?? string.Empty))
        {
            throw Invalid(ErrorIds.UnknownActivation, $"Activation '{Activation}' is not one deepmd-kit can tabulate ({string.Join(", ", Activations)}).");
        }

        if (!Precisions.Contains(Precision?.ToLowerInvariant() ?? string.Empty))
        {
            throw Invalid(ErrorIds.UnknownPrecision, $"Precision '{Precision}' must be float64 or float32.");
        }

        if (descriptor == "se_e3" && TypeOneSide)
        {
            throw Invalid(ErrorIds.TypeOneSideNotSupported, "se_e3 has one net per type pair; type_one_side does not apply.");
        }

        if (typeEmbedding && TypeOneSide)
        {
            throw Invalid(ErrorIds.TypeOneSideNotSupported, $"{descriptor} has one net for all types and a two-side type embedding; type_one_side does not apply.");
        }

        if (typeEmbedding && TypeEmbeddingDim <= 0)
        {
            throw Invalid(ErrorIds.InvalidNeuron, $"The type embedding width must be positive, got {TypeEmbeddingDim}.");
        }

        if (ExcludeTypes is null)
        {
            ExcludeTypes = new List<int[]>();
        }

        if ((descriptor == "se_e3" || typeEmbedding) && ExcludeTypes.Count > 0)
        {
            throw Invalid(ErrorIds.ExcludeTypesNotSupported, $"The generator writes {descriptor} without exclude_types.");
        }

        foreach (var pair in ExcludeTypes)
        {
            if (pair is null || pair.Length != 2)
            {
                throw Invalid(ErrorIds.InvalidExcludePair, "Each excluded pair must have exactly two types.");
            }

            if (pair.Any(t => t < 0 || t >= TypeMap.Count))
            {
                throw Invalid(ErrorIds.ExcludeTypeOutOfRange, $"Exclude pair [{pair[0]}, {pair[1]}] names a type outside 0..{TypeMap.Count - 1}.");
            }
        }

        int pairs = TypeMap.Count * TypeMap.Count;
        if (ExcludeTypes.Count > 0 && Enumerable.Range(0, pairs).All(k => IsExcluded(k / TypeMap.Count, k % TypeMap.Count)))
        {
            throw Invalid(ErrorIds.AllPairsExcluded, "Every type pair is excluded, so the energy would not depend on the coordinates.");
        }

        double minDist = EffectiveMinNborDist;
        if (!IsFinite(minDist) || minDist <= 0 || minDist >= Rcut)
        {
            throw Invalid(ErrorIds.InvalidMinNborDist, $"min_nbor_dist = {Format(minDist)} must be positive and smaller than rcut = {Format(Rcut)}.");
        }

        long parameters = CountParameters(descriptor);
        if (parameters > MaxParameters)
        {
            throw new ResourceLimitException(ErrorIds.SampleModelTooLarge, $"The requested model has {parameters} weights; the generator's limit is {MaxParameters}.");
        }
    }

    /// <summary>A member as the generator builds it: its own descriptor settings with the model's type map, fitting and seed.</summary>
    public SampleModelOptions MemberOptions(SampleModelOptions member) => new()
    {
        Descriptor = member.Descriptor,
        Sel = member.Sel,
        Rcut = member.Rcut,
        RcutSmth = member.RcutSmth,
        Neuron = member.Neuron,
        AxisNeuron = member.AxisNeuron,
        TypeOneSide = member.TypeOneSide,
        ExcludeTypes = member.ExcludeTypes ?? new List<int[]>(),
        Activation = member.Activation,
        TypeMap = TypeMap,
        FittingNeuron = FittingNeuron,
        Precision = Precision,
        Seed = Seed,
        MinNborDist = MinNborDist,
    };

    private void ValidateHybrid()
    {
        if (Members is null || Members.Count < 2)
        {
            throw Invalid(ErrorIds.InvalidHybrid, $"A hybrid descriptor needs at least two members, got {Members?.Count ?? 0}.");
        }

        foreach (var member in Members)
        {
            string? type = CanonicalDescriptor(member?.Descriptor);
            if (member is null || type is null || !PerTypeNetDescriptors.Contains(type))
            {
                throw Invalid(ErrorIds.InvalidHybrid, $"A hybrid member must be one of {string.Join(", ", PerTypeNetDescriptors)}; got '{member?.Descriptor}'.");
            }

            // A member must stand on its own, except that its min_nbor_dist only has to be below the model's largest rcut.
            var own = MemberOptions(member);
            own.MinNborDist = Math.Min(EffectiveMinNborDist, own.Rcut / 2);
            own.Validate();
        }

        double rcut = Members.Max(m => m.Rcut);
        double minDist = EffectiveMinNborDist;
        if (!IsFinite(minDist) || minDist <= 0 || minDist >= rcut)
        {
            throw Invalid(ErrorIds.InvalidMinNborDist, $"min_nbor_dist = {Format(minDist)} must be positive and smaller than rcut = {Format(rcut)}.");
        }

        long parameters = Members.Sum(m => MemberOptions(m).CountParameters(CanonicalDescriptor(m.Descriptor)!));
        if (parameters > MaxParameters)
        {
            throw new ResourceLimitException(ErrorIds.SampleModelTooLarge, $"The requested model has {parameters} weights; the generator's limit is {MaxParameters}.");
        }
    }

    /// <summary>Number of weights and biases the model will carry (for the size guard).</summary>
    internal long CountParameters(string descriptor)
    {
        long net = 0;
        int previous = 1;
        foreach (int n in Neuron)
        {
            net += ((long)previous + 1) * n;
            previous = n;
        }

        int nt = TypeMap.Count;
        bool typeEmbedding = TypeEmbeddingDescriptors.Contains(descriptor);
        long nets = descriptor == "se_e3" ? nt * (nt + 1L) / 2 : TypeOneSide ? nt : typeEmbedding ? 2 : (long)nt * nt;
        long last = Neuron[Neuron.Count - 1];
        long dimDescrpt = descriptor == "se_e2_a" || typeEmbedding ? last * AxisNeuron : last;
        long fitting = 0;
        long width = dimDescrpt;
        foreach (int n in FittingNeuron)
        {
            fitting += (width + 1) * n;
            width = n;
        }

        fitting += width + 1;
        return (nets * net) + (nt * fitting);
    }

    private static bool IsFinite(double v) => !double.IsNaN(v) && !double.IsInfinity(v);

    private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static InvalidParameterException Invalid(string id, string message) => new(id, message);
}
