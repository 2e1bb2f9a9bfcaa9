using System;
using System.Linq;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Versioning;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>
/// The one decision whether deepmd-kit's <c>dp compress</c> would compress a model, and if not why
/// (docs/descriptors.md, "refusals"). Test-ModelVersion's verdict and every stage's refusal come from here, so they
/// cannot disagree.
/// </summary>
public static class CompressionCapability
{
    /// <summary>Why <c>dp compress</c> would refuse <paramref name="model"/> as it is, or null when it compresses it.</summary>
    public static Refusal? Check(FrozenModel model)
    {
        if (model is null)
        {
            throw new ArgumentNullException(nameof(model));
        }

        if (model.IsCompressed)
        {
            return new Refusal(ErrorIds.AlreadyCompressed,
                "The model has already been compressed (it has TabulateFusion ops or root model_type 'compressed_model'); compress the original model instead (deepmd-kit refuses to compress a model repeatedly).");
        }

        var detection = ModelVersionDetector.Detect(model.GetGraphDef());
        var version = detection.SourceVersion;
        if (version is null)
        {
            return new Refusal(ErrorIds.UnknownModelVersion,
                $"The deepmd-kit version that made the model cannot be detected ({detection.Evidence}), so its layout is unknown; dp compress needs the 2.0 layout or later.");
        }

        if (SourceVersions.IsLegacy(version))
        {
            return new Refusal(ErrorIds.LegacyModel,
                $"The model was made by deepmd-kit {version}; upgrade it with Convert-LegacyModel -From {version} first (dp compress needs the 2.0 layout or later).");
        }

        return CheckDescriptors(model);
    }

    /// <summary>The descriptor- and net-level part of <see cref="Check"/>: what the stages that read nets (ranges, tables) need.</summary>
    public static Refusal? CheckDescriptors(FrozenModel model)
    {
        if (model is null)
        {
            throw new ArgumentNullException(nameof(model));
        }

        if (model.IsCompressed)
        {
            return Check(model);
        }

        if (model.Descriptors.Count == 0)
        {
            return new Refusal(ErrorIds.UnsupportedDescriptor, "The descriptor type of the model could not be determined, so its nets cannot be tabulated.");
        }

        int ntypes = model.NTypes ?? 0;
        return model.Descriptors.Select(p => p.Spec.Refuse(p, model.Index, ntypes)).FirstOrDefault(r => r is not null);
    }

    /// <summary>
    /// The family-level part of <see cref="CheckDescriptors"/> (compressed, descriptor options and layout; not the nets'
    /// weights): what deriving table ranges needs.
    /// </summary>
    public static Refusal? CheckFamilies(FrozenModel model)
    {
        if (model is null)
        {
            throw new ArgumentNullException(nameof(model));
        }

        if (model.IsCompressed)
        {
            return Check(model);
        }

        int ntypes = model.NTypes ?? 0;
        return model.Descriptors.Select(p => p.Spec.RefuseFamily(p, ntypes)).FirstOrDefault(r => r is not null);
    }

    /// <summary>Throws the refusal of <see cref="CheckFamilies"/>, if any.</summary>
    public static void EnsureFamilies(FrozenModel model)
    {
        if (CheckFamilies(model) is { } refusal)
        {
            throw refusal.ToException();
        }
    }

    /// <summary>Throws the refusal of <see cref="Check"/>, if any.</summary>
    public static void Ensure(FrozenModel model)
    {
        if (Check(model) is { } refusal)
        {
            throw refusal.ToException();
        }
    }

    /// <summary>Throws the refusal of <see cref="CheckDescriptors"/>, if any.</summary>
    public static void EnsureDescriptors(FrozenModel model)
    {
        if (CheckDescriptors(model) is { } refusal)
        {
            throw refusal.ToException();
        }
    }
}
