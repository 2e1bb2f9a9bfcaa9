using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Ranges;
using DeepMdCompress.Core.Versioning;
using Microsoft.PowerShell.Commands;

namespace DeepMdCompress.Commands;

/// <summary>
/// Shared plumbing of every DeepMdCompress cmdlet: a cancellation token tied to Ctrl+C (StopProcessing),
/// path resolution restricted to the FileSystem provider, and core exceptions turned into ErrorRecords.
/// </summary>
public abstract class DeepMdCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();

    protected CancellationToken CancelToken => _cancel.Token;

    protected override void StopProcessing() => _cancel.Cancel();

    public void Dispose()
    {
        _cancel.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Maps a core failure to an ErrorRecord with the exception's id and a fitting category.</summary>
    protected static ErrorRecord ToErrorRecord(Exception ex, object? target) => NamingTheFile(ex is DeepMdException d
        ? new ErrorRecord(ex, d.ErrorId, Category(d.Kind), d.Target ?? target)
        : Untyped(ex, target));

    // Every message about a file names it, so a batch can be diagnosed from ConciseView alone
    // (which shows ErrorDetails when set, else the exception's message).
    private static ErrorRecord NamingTheFile(ErrorRecord record)
    {
        string? file = record.TargetObject switch
        {
            string s when s.Length > 0 => s,
            FileSystemInfo f => f.FullName,
            FrozenModel { Path: { } p } => p,
            _ => null,
        };
        string message = record.Exception.Message;
        if (file is not null && message.IndexOf(System.IO.Path.GetFileName(file), StringComparison.Ordinal) < 0)
        {
            record.ErrorDetails = new ErrorDetails($"{file}: {message}");
        }

        return record;
    }

    private static ErrorRecord Untyped(Exception ex, object? target) =>
        ex switch
        {
            FileNotFoundException => new ErrorRecord(ex, ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound, target),
            DirectoryNotFoundException => new ErrorRecord(ex, ErrorIds.DirectoryNotFound, ErrorCategory.ObjectNotFound, target),
            UnauthorizedAccessException => new ErrorRecord(ex, ErrorIds.AccessDenied, ErrorCategory.PermissionDenied, target),
            IOException => new ErrorRecord(ex, ErrorIds.IOError, ErrorCategory.ReadError, target),
            OperationCanceledException => new ErrorRecord(ex, ErrorIds.OperationStopped, ErrorCategory.OperationStopped, target),
            _ => new ErrorRecord(ex, ErrorIds.UnexpectedError, ErrorCategory.NotSpecified, target),
        };

    protected static ErrorCategory Category(DeepMdErrorKind kind) => kind switch
    {
        DeepMdErrorKind.InvalidData => ErrorCategory.InvalidData,
        DeepMdErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        DeepMdErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        DeepMdErrorKind.NotImplemented => ErrorCategory.NotImplemented,
        DeepMdErrorKind.LimitsExceeded => ErrorCategory.LimitsExceeded,
        DeepMdErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        DeepMdErrorKind.WriteError => ErrorCategory.WriteError,
        DeepMdErrorKind.OperationStopped => ErrorCategory.OperationStopped,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>True for exceptions a cmdlet reports as an error record rather than letting them crash the pipeline.</summary>
    protected static bool IsReportable(Exception ex) =>
        ex is DeepMdException or IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException or ArgumentException;

    /// <summary>Resolves -Path (wildcards) or -LiteralPath to FileSystem paths; unresolvable ones become non-terminating errors.</summary>
    protected List<string> ResolveInputPaths(string[] paths, bool literal)
    {
        var result = new List<string>();
        foreach (string p in paths)
        {
            try
            {
                if (literal)
                {
                    string resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(p, out var provider, out _);
                    if (!IsFileSystem(provider, p))
                    {
                        continue;
                    }

                    if (!File.Exists(resolved) && !Directory.Exists(resolved))
                    {
                        WriteError(new ErrorRecord(new FileNotFoundException($"Cannot find path '{resolved}' because it does not exist.", resolved),
                            ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound, p));
                        continue;
                    }

                    result.Add(resolved);
                }
                else
                {
                    var resolved = GetResolvedProviderPathFromPSPath(p, out var provider);
                    if (!IsFileSystem(provider, p))
                    {
                        continue;
                    }

                    if (resolved.Count == 0)
                    {
                        WriteError(new ErrorRecord(new FileNotFoundException($"No file matches '{p}'."), ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound, p));
                    }

                    result.AddRange(resolved);
                }
            }
            catch (ItemNotFoundException ex)
            {
                WriteError(new ErrorRecord(ex, ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound, p));
            }
            catch (Exception ex) when (ex is System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or PSArgumentException)
            {
                WriteError(new ErrorRecord(ex, ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, p));
            }
        }

        return result;
    }

    /// <summary>Resolves an output path that may not exist yet.</summary>
    protected string ResolveOutputPath(string path)
    {
        string resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
        if (provider.ImplementingType != typeof(FileSystemProvider))
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"'{path}' is not a FileSystem path."), ErrorIds.PathNotFileSystem, ErrorCategory.InvalidArgument, path));
        }

        return resolved;
    }

    /// <summary>
    /// Resolves an -OutputPath that may name one file per input: a file, a template (OutputNaming) or a folder (an
    /// existing one, or a path ending in a separator, created here with -Force; without it a missing folder stops the command).
    /// </summary>
    protected string ResolveOutputFolderOrTemplate(string path, bool force)
    {
        bool endsInSeparator = path.EndsWith("/", StringComparison.Ordinal) || path.EndsWith("\\", StringComparison.Ordinal);
        string resolved = ResolveOutputPath(path);
        if (endsInSeparator && !OutputNaming.IsFolder(resolved))
        {
            resolved += System.IO.Path.DirectorySeparatorChar;
        }

        if (!OutputNaming.IsTemplate(resolved) && OutputNaming.IsFolder(resolved) && !Directory.Exists(resolved))
        {
            if (!force)
            {
                ThrowTerminatingError(new ErrorRecord(new DirectoryNotFoundException($"Output folder '{resolved}' does not exist; use -Force to create it."),
                    ErrorIds.OutputDirectoryNotFound, ErrorCategory.ObjectNotFound, resolved));
            }

            if (ShouldProcess(resolved, "Create the output folder"))
            {
                Directory.CreateDirectory(resolved);
            }
        }

        return resolved;
    }

    /// <summary>
    /// The min_nbor_dist sources of -MinNborDist, -TrainingScript and -TrainingData, checked before the pipeline runs:
    /// a bad distance, a missing script or a missing data folder stops the command (they are parameter mistakes).
    /// </summary>
    protected MinNborDistInput MinNborDistParameters(double? value, string? trainingScript, string[]? trainingData)
    {
        var input = new MinNborDistInput { WorkingDirectory = SessionState.Path.CurrentFileSystemLocation.ProviderPath };
        if (value is double v)
        {
            if (!(v > 0) || double.IsInfinity(v))
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-MinNborDist {v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} is not a positive finite distance (Å)."),
                    ErrorIds.InvalidMinNborDist, ErrorCategory.InvalidArgument, v));
            }

            input.Value = v;
        }

        if (trainingScript is not null)
        {
            input.TrainingScript = ResolveFileSystemPath(trainingScript);
            if (!File.Exists(input.TrainingScript))
            {
                ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"The training script {input.TrainingScript} does not exist.", input.TrainingScript),
                    ErrorIds.TrainingScriptNotFound, ErrorCategory.ObjectNotFound, input.TrainingScript));
            }
        }

        if (trainingData is not null)
        {
            input.TrainingData = ResolveTrainingData(trainingData);
        }

        return input;
    }

    /// <summary>
    /// A legacy model goes through the stages only to be refused at the end; say so at every stage it passes
    /// (deepmd-kit 2.2/3.x does not load it either).
    /// </summary>
    protected void WarnIfLegacy(FrozenModel model)
    {
        string? version = ModelVersionDetector.Detect(model.GetGraphDef()).SourceVersion;
        if (SourceVersions.IsLegacy(version))
        {
            WriteWarning($"{model.Path ?? "The model"} was made by deepmd-kit {version}: deepmd-kit 2.2/3.x does not load it and compression refuses it (LegacyModel); upgrade it with Convert-LegacyModel -From {version} first.");
        }
    }

    /// <summary>Checks an output path before any work (see AtomicFile.CheckTarget); a problem becomes an error record.</summary>
    protected bool CheckOutputTarget(string target, bool force, string? inputPath = null)
    {
        try
        {
            AtomicFile.CheckTarget(target, force, inputPath);
            return true;
        }
        catch (OutputWriteException ex)
        {
            WriteError(ToErrorRecord(ex, target));
            return false;
        }
    }

    /// <summary>
    /// The one way every cmdlet does a unit of work (one input): Ctrl+C stops the pipeline; a failure the core reports
    /// becomes a non-terminating ErrorRecord about <paramref name="target"/>, and the next input goes on; the progress
    /// bar <paramref name="progressId"/> of <paramref name="activity"/>, when given, is closed however the work ends.
    /// Returns whether the work completed.
    /// </summary>
    protected bool Run(object? target, Action work, string? activity = null, int progressId = 0)
    {
        try
        {
            work();
            return true;
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (IsReportable(ex))
        {
            WriteError(ToErrorRecord(ex, target));
            return false;
        }
        finally
        {
            if (activity is not null)
            {
                WriteProgress(new ProgressRecord(progressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }
    }

    /// <inheritdoc cref="Run(object?, Action, string?, int)"/>
    protected bool Run<T>(object? target, Func<T> work, out T result)
    {
        T value = default!;
        bool done = Run(target, () => value = work());
        result = value;
        return done;
    }

    /// <summary>Writes a graph atomically with progress; returns false (after an error record) when it could not.</summary>
    protected bool WriteGraph(Func<DeepMdCompress.Core.Proto.GraphDef> graph, string target, GraphFormat format, bool overwrite, string activity)
    {
        WriteProgress(new ProgressRecord(2, activity, $"Writing {target}"));
        return Run(target, () => GraphFile.Write(graph(), target, format, overwrite, CancelToken), activity, 2);
    }

    /// <summary>The format asked for, else the one the file name implies.</summary>
    protected static GraphFormat FormatFor(string target, GraphFileFormat? format) =>
        format is { } f ? (f == GraphFileFormat.Text ? GraphFormat.Text : GraphFormat.Binary) : GraphFile.FormatFromExtension(target);

    /// <summary>A FileSystem path that may not exist yet (e.g. a training script checked later by the core).</summary>
    protected string ResolveFileSystemPath(string path)
    {
        string resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
        RequireFileSystem(provider, path);
        return resolved;
    }

    /// <summary>Training-data folders (wildcards allowed); a folder that does not exist stops the command.</summary>
    protected List<string> ResolveTrainingData(string[] paths)
    {
        var folders = new List<string>();
        foreach (string p in paths)
        {
            try
            {
                var resolved = GetResolvedProviderPathFromPSPath(p, out var provider);
                RequireFileSystem(provider, p);
                folders.AddRange(resolved);
            }
            catch (ItemNotFoundException ex)
            {
                ThrowTerminatingError(new ErrorRecord(new DirectoryNotFoundException($"The training data folder '{p}' does not exist.", ex), ErrorIds.SystemNotFound, ErrorCategory.ObjectNotFound, p));
            }
        }

        return folders;
    }

    /// <summary>deepmd-kit's CLI takes ints for -e and -f; a non-integer is refused with the given id.</summary>
    protected static int RequireInteger(double value, string name, string errorId, string why)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || Math.Floor(value) != value || value < int.MinValue || value > int.MaxValue)
        {
            throw new InvalidParameterException(errorId, $"{name} must be an integer ({why}), got {value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}.");
        }

        return (int)value;
    }

    private void RequireFileSystem(ProviderInfo provider, string path)
    {
        if (provider.ImplementingType != typeof(FileSystemProvider))
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"'{path}' is not a FileSystem path (provider {provider.Name})."),
                ErrorIds.PathNotFileSystem, ErrorCategory.InvalidArgument, path));
        }
    }

    private bool IsFileSystem(ProviderInfo provider, string p)
    {
        if (provider.ImplementingType == typeof(FileSystemProvider))
        {
            return true;
        }

        WriteError(new ErrorRecord(new ArgumentException($"'{p}' is not a FileSystem path (provider {provider.Name})."),
            ErrorIds.PathNotFileSystem, ErrorCategory.InvalidArgument, p));
        return false;
    }

    /// <summary>Reports frames done; the evaluator calls it synchronously on the pipeline thread.</summary>
    protected sealed class FrameProgress : IProgress<int>
    {
        private readonly Cmdlet _cmdlet;
        private readonly int _frames;
        private readonly ProgressRecord _record;

        public FrameProgress(Cmdlet cmdlet, int frames, string target, string activity = "Evaluating frozen model")
        {
            _cmdlet = cmdlet;
            _frames = frames;
            _record = new ProgressRecord(1, activity, target);
            Report(0);
        }

        public void Report(int value)
        {
            _record.PercentComplete = (int)(100L * value / Math.Max(1, _frames));
            _record.StatusDescription = $"{value} of {_frames} frames";
            _cmdlet.WriteProgress(_record);
        }

        public void Complete()
        {
            _record.RecordType = ProgressRecordType.Completed;
            _cmdlet.WriteProgress(_record);
        }
    }
}
