<#
.SYNOPSIS
    Builds, tests and runs DeepMdCompress.
.DESCRIPTION
    -Task Build (default): restore, build and stage the importable module to out/DeepMdCompress/,
    with MAML help compiled from en-US/*.md.
    -Task Test: Build, then run the xunit suite (core) and the Pester suite (cmdlets, in a child
    PowerShell so the module dll is never locked here) and print one closing line
    "N passed, N failed, N skipped". Fails when a test fails or when no test ran.
    -Task Run: Build, then run the main job: compress a model (default: the water-size sample, generated on first
    use) with Compress-FrozenModel, print the summary, and compare the compressed model with the original on a
    generated water configuration (Compare-FrozenModel), printing the largest errors.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Run')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Run: the frozen model to compress (default: the water-size sample, generated into out/samples/ by New-SampleModel).
    [string] $ModelPath,

    # Run: where to write the compressed model (default: out/compressed/<model name>-compress.pb).
    [string] $OutputPath,

    # Run: min_nbor_dist in Å, for a model whose graph has no train_attr/min_nbor_dist (as dp compress gets it from the data).
    [double] $MinNborDist,

    # Run: the training script (input.json) whose systems give min_nbor_dist when the graph has none (dp compress -t).
    [string] $TrainingScript,

    # Test: skip the xunit or Pester half (for quick local loops).
    [switch] $SkipUnit,
    [switch] $SkipPester
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
if ($PSVersionTable.PSVersion.Major -ge 7) { $PSStyle.OutputRendering = 'PlainText' }
$root = $PSScriptRoot
$out = [IO.Path]::Combine($root, 'out')
$stage = [IO.Path]::Combine($out, 'DeepMdCompress')
$pwshExe = Join-Path $PSHOME $(if ($IsWindows -or $PSVersionTable.PSEdition -eq 'Desktop') { 'pwsh.exe' } else { 'pwsh' })

function Invoke-Native([string] $what, [scriptblock] $block) {
    & $block
    if ($LASTEXITCODE -ne 0) { throw "$what failed with exit code $LASTEXITCODE" }
}

#region Build
function Invoke-Build {
    if (Test-Path -LiteralPath $stage) { Remove-Item -LiteralPath $stage -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $stage | Out-Null
    Invoke-Native 'dotnet publish' {
        dotnet publish ([IO.Path]::Combine($root, 'src', 'DeepMdCompress', 'DeepMdCompress.csproj')) -c $Configuration -o $stage --nologo -v:q -clp:ErrorsOnly
    }
    # 5.1 and 7 both load the dlls directly; deps.json only confuses PowerShell's loader.
    Get-ChildItem -LiteralPath $stage -Filter '*.deps.json' | Remove-Item -Force
    Copy-Item -LiteralPath ([IO.Path]::Combine($root, 'DeepMdCompress.psd1')), ([IO.Path]::Combine($root, 'DeepMdCompress.Format.ps1xml')) -Destination $stage
    $helpOut = [IO.Path]::Combine($stage, 'en-US')
    Invoke-Native 'help compilation' {
        & $pwshExe -NoProfile -NonInteractive -File ([IO.Path]::Combine($root, 'tools', 'Build-Help.ps1')) `
            -ModulePath ([IO.Path]::Combine($stage, 'DeepMdCompress.psd1')) -MarkdownPath ([IO.Path]::Combine($root, 'en-US')) -OutputPath $helpOut
    }
    Write-Host "Staged module: $stage"
}
#endregion

#region Test
function Read-TrxCounts([string] $dir) {
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($trx in Get-ChildItem -LiteralPath $dir -Filter '*.trx' -Recurse) {
        [xml] $doc = Get-Content -LiteralPath $trx.FullName -Raw
        # Count outcomes per result: the summary counters report skipped xunit tests as 0 notExecuted.
        foreach ($r in $doc.TestRun.Results.UnitTestResult) {
            switch ($r.outcome) {
                'Passed' { $passed++ }
                'NotExecuted' { $skipped++ }
                default { $failed++ }
            }
        }
    }
    @{ Passed = $passed; Failed = $failed; Skipped = $skipped }
}

function Invoke-Test {
    $results = [IO.Path]::Combine($out, 'TestResults')
    if (Test-Path -LiteralPath $results) { Remove-Item -LiteralPath $results -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $results | Out-Null
    $unit = @{ Passed = 0; Failed = 0; Skipped = 0 }
    $pester = @{ Passed = 0; Failed = 0; Skipped = 0 }

    if (-not $SkipUnit) {
        $unitDir = [IO.Path]::Combine($results, 'xunit')
        dotnet test ([IO.Path]::Combine($root, 'tests', 'units', 'DeepMdCompress.Core.Tests', 'DeepMdCompress.Core.Tests.csproj')) `
            -c $Configuration --nologo --logger 'trx;LogFileName=core.trx' --logger 'console;verbosity=minimal' --results-directory $unitDir
        $unitExit = $LASTEXITCODE
        $unit = Read-TrxCounts $unitDir
        if ($unitExit -ne 0 -and $unit.Failed -eq 0) { $unit.Failed = 1; Write-Warning "dotnet test exited with $unitExit without a failed test (build error?)" }
    }

    if (-not $SkipPester) {
        Invoke-Native 'Pester restore' { dotnet restore ([IO.Path]::Combine($root, 'tools', 'Pester.Restore.csproj')) --nologo -v:q }
        $pesterJson = [IO.Path]::Combine($results, 'pester.json')
        & $pwshExe -NoProfile -NonInteractive -File ([IO.Path]::Combine($root, 'tools', 'PesterTest.ps1')) `
            -ModulePath ([IO.Path]::Combine($stage, 'DeepMdCompress.psd1')) -TestPath ([IO.Path]::Combine($root, 'tests')) -ResultPath $pesterJson
        if (Test-Path -LiteralPath $pesterJson) {
            $p = Get-Content -LiteralPath $pesterJson -Raw | ConvertFrom-Json
            $pester = @{ Passed = [int] $p.Passed; Failed = [int] $p.Failed; Skipped = [int] $p.Skipped }
        }
        else {
            $pester.Failed = 1
            Write-Warning 'Pester produced no result file.'
        }
    }

    $passed = $unit.Passed + $pester.Passed
    $failed = $unit.Failed + $pester.Failed
    $skipped = $unit.Skipped + $pester.Skipped
    Write-Host ("xunit: {0} passed, {1} failed, {2} skipped; Pester: {3} passed, {4} failed, {5} skipped" -f `
            $unit.Passed, $unit.Failed, $unit.Skipped, $pester.Passed, $pester.Failed, $pester.Skipped)
    if ($passed + $failed -eq 0) { $failed = 1; Write-Warning 'No test ran.' }
    $summary = "$passed passed, $failed failed, $skipped skipped"
    Set-Content -LiteralPath ([IO.Path]::Combine($results, 'summary.txt')) -Value $summary
    Write-Host $summary
    if ($failed -gt 0) { exit 1 }
}
#endregion

#region Run
function Invoke-Run {
    $script = {
        param($psd1, $model, $sample, $output, $minNborDist, $trainingScript)
        $ErrorActionPreference = 'Stop'
        $PSStyle.OutputRendering = 'PlainText'
        Import-Module $psd1
        if (-not $model) {
            # No model given (e.g. a fresh clone): the water-size sample, made by the command the README documents.
            $model = $sample
            if (-not (Test-Path -LiteralPath $model)) {
                New-Item -ItemType Directory -Force -Path (Split-Path $model) | Out-Null
                New-SampleModel -Descriptor se_e2_a -TypeMap O, H -Sel 46, 92 -Rcut 6 -RcutSmth 0.5 -Neuron 25, 50, 100 -AxisNeuron 16 `
                    -FittingNeuron 240, 240, 240 -Seed 1 -MinNborDist 0.9 -LiteralPath $model
            }
        }

        if (-not $output) {
            $output = [IO.Path]::Combine((Split-Path (Split-Path $sample)), 'compressed', [IO.Path]::GetFileNameWithoutExtension($model) + '-compress.pb')
            New-Item -ItemType Directory -Force -Path (Split-Path $output) | Out-Null
        }

        # dp compress: min_nbor_dist from the graph, or from -MinNborDist / -TrainingScript when the graph has none.
        $compress = @{ InputPath = (Resolve-Path -LiteralPath $model).ProviderPath; OutputPath = $output; Force = $true }
        if ($minNborDist) { $compress.MinNborDist = [double] $minNborDist }
        if ($trainingScript) { $compress.TrainingScript = $trainingScript }
        $summary = Compress-FrozenModel @compress
        $summary | Format-List | Out-Host
        $summary.Nets | Format-Table | Out-Host

        # One generated configuration: 8 water molecules (O–H 0.96 Å, H–O–H 104.5°, random orientations) in a periodic
        # 6.2 Å box, about liquid density, no pair closer than 0.98 Å; types 0 and 1 are the first two of the type map.
        $original = Import-FrozenModel -LiteralPath $compress.InputPath
        $compressed = Import-FrozenModel -LiteralPath $output
        $rng = [Random]::new(7)
        $coord = [Collections.Generic.List[double]]::new()
        $types = [Collections.Generic.List[int]]::new()
        $h = [Math]::Min(1, $original.NTypes - 1)
        $theta = 104.5 * [Math]::PI / 180
        function Unit([double[]] $v) { $n = [Math]::Sqrt($v[0] * $v[0] + $v[1] * $v[1] + $v[2] * $v[2]); [double[]] ($v | ForEach-Object { $_ / $n }) }
        foreach ($cell in 0..7) {
            $o = [double[]] (0..2 | ForEach-Object { 3.1 * (($cell -shr $_) -band 1) + 0.8 + 0.2 * $rng.NextDouble() })
            $u = Unit (0..2 | ForEach-Object { $rng.NextDouble() - 0.5 })
            $w = Unit @(($u[1] * 0.3 - $u[2] * 0.9), ($u[2] * 0.2 - $u[0] * 0.3), ($u[0] * 0.9 - $u[1] * 0.2)) # u × (0.2, 0.9, 0.3) ⊥ u
            $coord.AddRange($o)
            $coord.AddRange([double[]] (0..2 | ForEach-Object { $o[$_] + 0.96 * $u[$_] }))
            $coord.AddRange([double[]] (0..2 | ForEach-Object { $o[$_] + 0.96 * ([Math]::Cos($theta) * $u[$_] + [Math]::Sin($theta) * $w[$_]) }))
            $types.AddRange([int[]] (0, $h, $h))
        }
        $box = [double[]] (6.2, 0, 0, 0, 6.2, 0, 0, 0, 6.2)
        Compare-FrozenModel -ReferenceModel $original -DifferenceModel $compressed -Coordinate $coord.ToArray() -AtomType $types.ToArray() -Box $box |
            Format-List | Out-Host
    }
    $sample = [IO.Path]::Combine($out, 'samples', 'water_se_e2_a.pb')
    $min = if ($MinNborDist) { [string] $MinNborDist } else { '' }
    & $pwshExe -NoProfile -NonInteractive -Command $script -args ([IO.Path]::Combine($stage, 'DeepMdCompress.psd1')), "$ModelPath", $sample, "$OutputPath", $min, "$TrainingScript"
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}
#endregion

Invoke-Build
switch ($Task) {
    'Test' { Invoke-Test }
    'Run' { Invoke-Run }
}
