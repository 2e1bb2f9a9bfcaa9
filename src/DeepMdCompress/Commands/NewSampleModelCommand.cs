using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Sample;

namespace DeepMdCompress.Commands;

/// <summary>
/// Generates a deepmd-kit-structured frozen energy model with seeded random weights: in memory (a FrozenModel)
/// or written atomically to a .pb/.pbtxt file.
/// </summary>
[Cmdlet(VerbsCommon.New, "SampleModel", DefaultParameterSetName = MemorySet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FrozenModel), ParameterSetName = new[] { MemorySet })]
[OutputType(typeof(FileInfo), ParameterSetName = new[] { PathSet, LiteralPathSet })]
public sealed class NewSampleModelCommand : DeepMdCmdlet
{
    private const string MemorySet = "Memory";
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(SampleModelCompleter))]
    [ValidateNotNullOrEmpty]
    public string Descriptor { get; set; } = "se_e2_a";

    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public string[] TypeMap { get; set; } = Array.Empty<string>();

    /// <summary>Neighbour slots per type (one number for se_atten); a hybrid's members have their own.</summary>
    [Parameter]
    [ValidateNotNull]
    public int[] Sel { get; set; } = Array.Empty<int>();

    [Parameter]
    public double Rcut { get; set; } = 6.0;

    [Parameter]
    public double RcutSmth { get; set; } = 0.5;

    [Parameter]
    [ValidateNotNull]
    public int[] Neuron { get; set; } = { 25, 50, 100 };

    [Parameter]
    public int AxisNeuron { get; set; } = 16;

    [Parameter]
    [ValidateNotNull]
    public int[] FittingNeuron { get; set; } = { 240, 240, 240 };

    [Parameter]
    public SwitchParameter TypeOneSide { get; set; }

    /// <summary>Excluded type pairs as "a-b", by name (O-H) or index (0-1).</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] ExcludeTypes { get; set; } = Array.Empty<string>();

    [Parameter]
    [ArgumentCompleter(typeof(SampleModelCompleter))]
    public string Activation { get; set; } = "tanh";

    [Parameter]
    [ArgumentCompleter(typeof(SampleModelCompleter))]
    public string Precision { get; set; } = "float64";

    [Parameter]
    public int Seed { get; set; } = 1;

    [Parameter]
    public double MinNborDist { get; set; }

    /// <summary>
    /// The members of -Descriptor hybrid, one hashtable each with Descriptor (se_e2_a, se_e2_r, se_e3), Sel, and any of
    /// Rcut, RcutSmth, Neuron, AxisNeuron, TypeOneSide, ExcludeTypes, Activation (defaults as for a single descriptor).
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable[] Member { get; set; } = Array.Empty<Hashtable>();

    /// <summary>Width of the type embedding of se_atten, se_atten_v2 and se_a_ebd_v2 (tebd_dim, type_embedding.neuron).</summary>
    [Parameter]
    public int TypeEmbeddingDim { get; set; } = 8;

    /// <summary>A bias in the type embedding net, as deepmd-kit 2.2 writes it (3.x has none).</summary>
    [Parameter]
    public SwitchParameter TypeEmbeddingBias { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = string.Empty;

    /// <summary>Binary (.pb) or Text (.pbtxt); by default chosen from the output file's extension.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public GraphFileFormat? Format { get; set; }

    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public SwitchParameter Force { get; set; }

    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        var options = BuildOptions();
        string summary = $"{SampleModelOptions.CanonicalDescriptor(options.Descriptor)} ({string.Join(" ", options.TypeMap)}; sel {string.Join(" ", options.Sel)}; "
            + $"neuron {string.Join(" ", options.Neuron)}; {options.Activation}, {options.Precision}, seed {options.Seed})";
        WriteVerbose($"Generating {summary}: rcut {options.Rcut.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, "
            + $"rcut_smth {options.RcutSmth.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, fitting {string.Join(" ", options.FittingNeuron)}.");
        if (ParameterSetName == MemorySet)
        {
            var model = Run(() => SampleModelGenerator.Create(options, CancelToken), summary);
            WriteObject(model);
            return;
        }

        string target = ResolveOutputPath(ParameterSetName == LiteralPathSet ? LiteralPath : Path);
        var format = FormatFor(target, Format);
        bool exists = File.Exists(target);
        if (!CheckOutputTarget(target, Force)
            || !ShouldProcess(target, $"Write sample model {summary} as {format}{(exists ? " (overwrite)" : string.Empty)}"))
        {
            return;
        }

        var graph = Run(() => SampleModelGenerator.Generate(options, CancelToken), summary);
        if (WriteGraph(() => graph, target, format, Force, "Generating sample model") && PassThru)
        {
            WriteObject(new FileInfo(target));
        }
    }

    /// <summary>Parameters become the core options; a bad value stops the command with the core's specific error id.</summary>
    private SampleModelOptions BuildOptions()
    {
        try
        {
            var options = new SampleModelOptions
            {
                Descriptor = Descriptor,
                TypeMap = TypeMap.ToList(),
                Sel = Sel.ToList(),
                Rcut = Rcut,
                RcutSmth = RcutSmth,
                Neuron = Neuron.ToList(),
                AxisNeuron = AxisNeuron,
                FittingNeuron = FittingNeuron.ToList(),
                TypeOneSide = TypeOneSide,
                Activation = Activation,
                Precision = Precision,
                Seed = Seed,
                TypeEmbeddingDim = TypeEmbeddingDim,
                TypeEmbeddingBias = TypeEmbeddingBias,
                MinNborDist = MyInvocation.BoundParameters.ContainsKey(nameof(MinNborDist)) ? MinNborDist : null,
            };
            options.ExcludeTypes = ExcludeTypes.Select(p => SampleModelOptions.ParseExcludePair(p, options.TypeMap)).ToList();
            options.Members = Member.Select(m => MemberOptions(m, options.TypeMap)).ToList();
            options.Validate();
            return options;
        }
        catch (DeepMdException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, null));
            throw; // unreachable: ThrowTerminatingError does not return
        }
    }

    // One -Member hashtable as core options; keys are the parameter names of a single descriptor.
    private static SampleModelOptions MemberOptions(Hashtable member, IList<string> typeMap)
    {
        var known = new HashSet<string>(new[] { "Descriptor", "Sel", "Rcut", "RcutSmth", "Neuron", "AxisNeuron", "TypeOneSide", "ExcludeTypes", "Activation" },
            StringComparer.OrdinalIgnoreCase);
        foreach (var key in member.Keys.Cast<object>().Select(k => k.ToString()!).Where(k => !known.Contains(k)))
        {
            throw new InvalidParameterException(ErrorIds.InvalidHybrid, $"-Member key '{key}' is not one of {string.Join(", ", known)}.");
        }

        T Get<T>(string key, T fallback)
        {
            foreach (DictionaryEntry e in member)
            {
                if (string.Equals(e.Key.ToString(), key, StringComparison.OrdinalIgnoreCase))
                {
                    return LanguagePrimitives.ConvertTo<T>(e.Value);
                }
            }

            return fallback;
        }

        var defaults = new SampleModelOptions();
        return new SampleModelOptions
        {
            Descriptor = Get("Descriptor", string.Empty),
            Sel = Get("Sel", Array.Empty<int>()).ToList(),
            Rcut = Get("Rcut", defaults.Rcut),
            RcutSmth = Get("RcutSmth", defaults.RcutSmth),
            Neuron = Get("Neuron", defaults.Neuron.ToArray()).ToList(),
            AxisNeuron = Get("AxisNeuron", defaults.AxisNeuron),
            TypeOneSide = Get("TypeOneSide", false),
            Activation = Get("Activation", defaults.Activation),
            ExcludeTypes = Get("ExcludeTypes", Array.Empty<string>()).Select(p => SampleModelOptions.ParseExcludePair(p, typeMap)).ToList(),
        };
    }

    private T Run<T>(Func<T> work, string summary)
    {
        WriteProgress(new ProgressRecord(3, "Generating sample model", summary));
        try
        {
            return work();
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (DeepMdException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, null));
            throw;
        }
        finally
        {
            WriteProgress(new ProgressRecord(3, "Generating sample model", "Done") { RecordType = ProgressRecordType.Completed });
        }
    }
}

/// <summary>Tab completion for New-SampleModel's -Descriptor, -Activation and -Precision (values are checked by the core, with specific error ids).</summary>
public sealed class SampleModelCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IEnumerable<string> values = parameterName switch
        {
            nameof(NewSampleModelCommand.Descriptor) => SampleModelOptions.Descriptors,
            nameof(NewSampleModelCommand.Activation) => SampleModelOptions.Activations,
            nameof(NewSampleModelCommand.Precision) => SampleModelOptions.Precisions,
            _ => Array.Empty<string>(),
        };
        string prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return values.Where(v => v.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Select(v => new CompletionResult(v));
    }
}
