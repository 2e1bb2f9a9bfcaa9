using System;
using System.Collections.Generic;
using System.Linq;

namespace DeepMdCompress.Core.Versioning;

/// <summary>Builds the <see cref="ModelVersionInfo"/> of a model: detection (docs/versions.md#detection), the C++ load check (docs/versions.md#what-deepmd-kits-c-inference-loads) and the next step.</summary>
public static class ModelVersionInspector
{
    public static ModelVersionInfo Inspect(FrozenModel model)
    {
        if (model is null)
        {
            throw new ArgumentNullException(nameof(model));
        }

        var detected = ModelVersionDetector.Detect(model.GetGraphDef());
        string? version = detected.SourceVersion;
        bool versionOk = CppModelVersion.IsCompatible(detected.ModelVersion, out string? loaderMessage);
        var missingForLoading = CppLoaderNodes.Missing(model);
        var missingForCompression = new List<string>();
        if (model.MinNborDist is null)
        {
            missingForCompression.Add("train_attr/min_nbor_dist");
        }

        if (model.TrainingScript is null)
        {
            missingForCompression.Add("train_attr/training_script");
        }

        // The verdict is the compressor's own check, so Test-ModelVersion and dp compress never disagree.
        var refusal = Descriptors.CompressionCapability.Check(model);
        var info = new ModelVersionInfo(model)
        {
            SourceVersion = version,
            ModelVersion = detected.ModelVersion,
            IsAmbiguous = detected.IsAmbiguous,
            Evidence = detected.Evidence,
            NeedsConversion = SourceVersions.IsLegacy(version),
            IsLoadable = versionOk && missingForLoading.Count == 0,
            IsCompressible = refusal is null,
            Refusal = refusal,
            MissingForLoading = missingForLoading,
            MissingForCompression = missingForCompression,
        };

        // Compression needs min_nbor_dist; Compress-FrozenModel makes a training script from the model when there is none.
        string rangeNote = model.MinNborDist is null
            ? "compression will still need -MinNborDist or -TrainingScript (the graph has no train_attr/min_nbor_dist)"
            : string.Empty;
        string loadProblem = !versionOk
            ? $"deepmd-kit's C++ loader refuses it ({loaderMessage})"
            : $"deepmd-kit's C++ loader would not find {string.Join(", ", missingForLoading)}";

        var parts = new List<string>();
        if (version is null)
        {
            parts.Add($"unknown deepmd-kit version ({detected.Evidence}); Convert-LegacyModel cannot upgrade it");
            if (!info.IsLoadable)
            {
                parts.Add(loadProblem);
            }
        }
        else if (info.NeedsConversion)
        {
            string made = detected.IsAmbiguous
                ? "made by deepmd-kit 1.1 or 1.2 (1.1/1.2 ambiguous; both convert the same way)"
                : $"made by deepmd-kit {version}";
            parts.Add($"{made}; upgrade with Convert-LegacyModel -From {version}");
            if (model.IsCompressed)
            {
                parts.Add("it is also already compressed; compress the original");
            }
            else if (rangeNote.Length > 0)
            {
                parts.Add("after that " + rangeNote);
            }
        }
        else if (model.IsCompressed)
        {
            parts.Add("already compressed; compress the original");
            if (version == SourceVersions.V2_0)
            {
                parts.Add("Convert-LegacyModel -From 2.0 gives its TabulateFusion ops the 2.1 names");
            }
        }
        else if (refusal is not null)
        {
            parts.Add($"deepmd-kit would refuse to compress it ({refusal.ErrorId}): {refusal.Message}");
            if (!info.IsLoadable)
            {
                parts.Add(loadProblem);
            }
        }
        else
        {
            parts.Add(version == SourceVersions.V2_0
                ? "deepmd-kit 2.0 layout (model version 1.0): loads and compresses as is (Convert-LegacyModel -From 2.0 would only raise the model version to 1.1)"
                : "deepmd-kit 2.1 or later layout (model version 1.1): compressible as is");
            if (!info.IsLoadable)
            {
                parts.Add(loadProblem);
            }

            if (rangeNote.Length > 0)
            {
                parts.Add(rangeNote);
            }
        }

        info.Reason = string.Join("; ", parts.Where(p => p.Length > 0));
        return info;
    }
}
