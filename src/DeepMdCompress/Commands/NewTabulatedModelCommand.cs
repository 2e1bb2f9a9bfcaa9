using System;
using System.Globalization;
using System.Management.Automation;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core;
using DeepMdCompress.Core.Tabulation;

namespace DeepMdCompress.Commands;

/// <summary>Tabulates the embedding nets of a model over their ranges, the way dp compress builds its tables.</summary>
[Cmdlet(VerbsCommon.New, "TabulatedModel", DefaultParameterSetName = StepSet)]
[OutputType(typeof(TabulatedModel))]
public sealed class NewTabulatedModelCommand : DeepMdCmdlet
{
    private const string StepSet = "Step";
    private const string MaxErrorSet = "MaxError";
    private const string Activity = "Tabulating embedding nets";

    private TabulationSettings _settings = new();

    /// <summary>The nets and their ranges (Measure-EmbeddingRange output).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public EmbeddingRange? InputObject { get; set; }

    /// <summary>dp compress -s: the fine stride; the coarse one is 10·Step (se_e3: 10·Step and 100·Step).</summary>
    [Parameter(ParameterSetName = StepSet)]
    public double Step { get; set; } = 0.01;

    /// <summary>dp compress -e: the tables reach upper·Extrapolate (an integer ≥ 1).</summary>
    [Parameter]
    public double Extrapolate { get; set; } = 5;

    /// <summary>dp compress -f: check_frequency, stored in table_info and read by no kernel (any integer).</summary>
    [Parameter]
    public double Frequency { get; set; } = -1;

    /// <summary>Which se_e3 table rows get the fine interval length: Legacy (deepmd-kit 2.2.9 … 3.1.1) or Current (3.1.2 and later).</summary>
    [Parameter]
    public SeTIntervalRule SeTIntervalRule { get; set; } = SeTIntervalRule.Legacy;

    /// <summary>Choose the largest step of the ladder whose worst value error over all nets is at most this.</summary>
    [Parameter(Mandatory = true, ParameterSetName = MaxErrorSet)]
    public double MaxError { get; set; }

    protected override void BeginProcessing()
    {
        try
        {
            _settings = new TabulationSettings
            {
                Step = Step,
                Extrapolate = RequireInteger(Extrapolate, "Extrapolate", ErrorIds.InvalidExtrapolate, "the coarse table ends at upper·extrapolate; dp compress -e takes an int"),
                Frequency = RequireInteger(Frequency, "Frequency", ErrorIds.InvalidFrequency, "dp compress -f takes an int"),
                MaxError = ParameterSetName == MaxErrorSet ? MaxError : null,
                SeTIntervalRule = SeTIntervalRule,
            };
            _settings.Validate();
        }
        catch (DeepMdException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, null));
        }
    }

    protected override void ProcessRecord()
    {
        var range = InputObject!;
        var progress = new CallbackProgress<TabulationProgress>(value =>
            WriteProgress(new ProgressRecord(1, Activity,
                string.Format(CultureInfo.InvariantCulture, "{0} ({1} of {2}), step {3}", value.NetName, value.NetIndex + 1, value.NetCount, value.Step))
            {
                PercentComplete = value.PercentComplete,
            }));
        Run(range, () =>
        {
            WarnIfLegacy(range.Model);
            var tabulated = Tabulator.Tabulate(range, _settings, progress, CancelToken);
            foreach (var t in tabulated.Tables)
            {
                WriteVerbose(string.Format(CultureInfo.InvariantCulture, "{0}: [{1}, {2}], {3} rows of {4} channels, value error {5:0.00E+00}, derivative error {6:0.00E+00}",
                    t.Name, t.Lower, t.Upper, t.Rows, t.LastLayerSize, t.MaxValueError, t.MaxDerivativeError));
            }

            WriteObject(tabulated);
        }, Activity, 1);
    }
}
