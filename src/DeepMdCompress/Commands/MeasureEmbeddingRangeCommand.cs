using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using DeepMdCompress.Core;
using DeepMdCompress.Core.Ranges;
using Microsoft.PowerShell.Commands;

namespace DeepMdCompress.Commands;

/// <summary>Finds each embedding net's input range the way <c>dp compress</c> does, from min_nbor_dist.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "EmbeddingRange")]
[OutputType(typeof(EmbeddingRange))]
public sealed class MeasureEmbeddingRangeCommand : DeepMdCmdlet
{
    private const string Activity = "Measuring embedding ranges";
    private MinNborDistInput? _input;
    private bool _statisticsReported;

    /// <summary>The model to measure, usually from Import-FrozenModel.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FrozenModel InputObject { get; set; } = null!;

    /// <summary>min_nbor_dist in Å; takes precedence over every other source.</summary>
    [Parameter]
    public double MinNborDist { get; set; }

    /// <summary>A deepmd-kit training script (input.json) whose training systems are scanned.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TrainingScript { get; set; }

    /// <summary>deepmd-kit system folders (or folders holding systems) to scan.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? TrainingData { get; set; }

    protected override void BeginProcessing()
    {
        _input = MinNborDistParameters(MyInvocation.BoundParameters.ContainsKey(nameof(MinNborDist)) ? MinNborDist : null, TrainingScript, TrainingData);
    }

    protected override void ProcessRecord()
    {
        var watch = Stopwatch.StartNew();
        long last = -1000;
        var progress = new CallbackProgress<MinNborDistProgress>(p =>
        {
            // One record per frame would flood the host on big data sets; a few per second is plenty.
            if (p.FramesDone != p.TotalFrames && watch.ElapsedMilliseconds - last < 200)
            {
                return;
            }

            last = watch.ElapsedMilliseconds;
            WriteProgress(new ProgressRecord(1, Activity, $"min_nbor_dist: frame {p.FramesDone} of {p.TotalFrames}, smallest so far {p.Current.ToString("F6", CultureInfo.InvariantCulture)} Å")
            {
                PercentComplete = p.TotalFrames > 0 ? (int)(p.FramesDone * 100 / p.TotalFrames) : -1,
                CurrentOperation = p.Set,
            });
        });

        try
        {
            Run(InputObject, () =>
            {
                WarnIfLegacy(InputObject);
                var range = RangeMeasurement.Measure(InputObject, _input!, out var ignored, CancelToken, progress);
                foreach (string w in ignored)
                {
                    WriteWarning(w);
                }

                if (range.Statistics is { } stats && !_statisticsReported)
                {
                    _statisticsReported = true;
                    WriteVerbose($"Scanned {stats.Frames} frame(s) in {stats.Sets} set(s) of {stats.Systems.Count} system(s) in {stats.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s: min_nbor_dist {stats}.");
                    foreach (string w in stats.Warnings)
                    {
                        WriteWarning(w);
                    }
                }

                foreach (string note in range.Notes)
                {
                    WriteVerbose(note);
                }

                WriteObject(range);
            });
        }
        finally
        {
            WriteProgress(new ProgressRecord(1, Activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
